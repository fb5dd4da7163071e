package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// An operator asks a Data Pipeline task runner to stop through the server's
// operator endpoint; the runner learns it from its next heartbeat.
func TestOperatorTerminatesRunner(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	dp := servertest.DataPipeline(srv.URL())
	ctx := t.Context()
	beat := func() bool {
		t.Helper()
		out, err := dp.ReportTaskRunnerHeartbeat(ctx, &datapipeline.ReportTaskRunnerHeartbeatInput{
			TaskrunnerId: aws.String("runner-1"), WorkerGroup: aws.String("wg"), Hostname: aws.String("host-1"),
		})
		if err != nil {
			t.Fatalf("ReportTaskRunnerHeartbeat: %v", err)
		}
		return out.Terminate
	}
	if beat() {
		t.Fatal("a new runner was told to terminate")
	}

	resp, err := http.Get(srv.URL() + "/gaffer/runners")
	if err != nil {
		t.Fatal(err)
	}
	var runners []struct {
		ID          string `json:"taskrunnerId"`
		WorkerGroup string `json:"workerGroup"`
		Hostname    string `json:"hostname"`
		Terminate   bool   `json:"terminate"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&runners); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(runners) != 1 || runners[0].ID != "runner-1" || runners[0].WorkerGroup != "wg" || runners[0].Hostname != "host-1" || runners[0].Terminate {
		t.Fatalf("GET /gaffer/runners = %+v", runners)
	}

	resp, err = http.Post(srv.URL()+"/gaffer/runners/runner-1/terminate", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("terminate: status %d", resp.StatusCode)
	}
	if !beat() {
		t.Fatal("the runner's heartbeat after terminate did not say terminate")
	}

	resp, err = http.Post(srv.URL()+"/gaffer/runners/nobody/terminate", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("terminate of an unknown runner: status %d, want 404", resp.StatusCode)
	}
}

// With no task runner registered, the operator endpoint lists an empty JSON
// array, not null.
func TestOperatorListsNoRunnersAsEmptyArray(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	resp, err := http.Get(srv.URL() + "/gaffer/runners")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(body)); resp.StatusCode != http.StatusOK || got != "[]" {
		t.Fatalf("GET /gaffer/runners with no runners = %d %q, want 200 []", resp.StatusCode, got)
	}
}

// With an authenticator, the operator endpoints take the AWS APIs'
// authentication: a request without a signature, or from a principal not
// allowed the action on the runner, is answered 403 with an AWS error.
func TestOperatorEndpointsAuthenticated(t *testing.T) {
	t.Parallel()
	policies := map[string]string{
		"AKIDTEST": servertest.AllowAll, // the SDK clients' key
		"READER":   `{"Statement": [{"Effect": "Allow", "Action": "gaffer:ListRunners", "Resource": "*"}]}`,
		"OPERATOR": `{"Statement": [{"Effect": "Allow", "Action": "gaffer:*", "Resource": "*"},
			{"Effect": "Deny", "Action": "gaffer:TerminateRunner", "Resource": "arn:aws:gaffer::*:taskrunner/prod-*"}]}`,
	}
	srv := servertest.Start(t, servertest.Options{Authenticate: servertest.Identities(t, policies).Authenticate})
	dp := servertest.DataPipeline(srv.URL())
	for _, id := range []string{"etl-1", "prod-1"} {
		if _, err := dp.ReportTaskRunnerHeartbeat(t.Context(), &datapipeline.ReportTaskRunnerHeartbeatInput{TaskrunnerId: aws.String(id)}); err != nil {
			t.Fatalf("ReportTaskRunnerHeartbeat: %v", err)
		}
	}
	call := func(key, method, path string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if key != "" {
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+key+"/20261207/us-east-1/gaffer/aws4_request, SignedHeaders=host;x-amz-date, Signature=0")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		m, _ := body.(map[string]any)
		return resp.StatusCode, m
	}
	const list, etl, prod = "/gaffer/runners", "/gaffer/runners/etl-1/terminate", "/gaffer/runners/prod-1/terminate"
	for _, tt := range []struct {
		key, method, path string
		status            int
		code, message     string
	}{
		{"", "GET", list, 403, "MissingAuthenticationToken", ""},
		{"", "POST", etl, 403, "MissingAuthenticationToken", ""},
		{"NOBODY", "GET", list, 403, "UnrecognizedClientException", ""},
		{"READER", "GET", list, 200, "", ""},
		{"READER", "POST", etl, 403, "AccessDeniedException",
			"User: READER is not authorized to perform: gaffer:TerminateRunner on resource: arn:aws:gaffer::000000000000:taskrunner/etl-1"},
		{"OPERATOR", "POST", prod, 403, "AccessDeniedException", "arn:aws:gaffer::000000000000:taskrunner/prod-1"},
		{"OPERATOR", "POST", etl, 200, "", ""},
		{"OPERATOR", "POST", "/gaffer/runners/nobody/terminate", 404, "", ""},
	} {
		status, body := call(tt.key, tt.method, tt.path)
		if status != tt.status || (tt.code != "" && body["__type"] != tt.code) || !strings.Contains(fmt.Sprint(body["message"]), tt.message) {
			t.Errorf("%s %s as %q = %d %v, want %d %s %q", tt.method, tt.path, tt.key, status, body, tt.status, tt.code, tt.message)
		}
	}
	out, err := dp.ReportTaskRunnerHeartbeat(t.Context(), &datapipeline.ReportTaskRunnerHeartbeatInput{TaskrunnerId: aws.String("prod-1")})
	if err != nil || out.Terminate {
		t.Errorf("prod-1, whose termination was refused, heard terminate %v (%v)", out.Terminate, err)
	}
	out, err = dp.ReportTaskRunnerHeartbeat(t.Context(), &datapipeline.ReportTaskRunnerHeartbeatInput{TaskrunnerId: aws.String("etl-1")})
	if err != nil || !out.Terminate {
		t.Errorf("etl-1 was not told to terminate (%v)", err)
	}
}
