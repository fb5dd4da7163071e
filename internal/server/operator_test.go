package server_test

import (
	"encoding/json"
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
