package main

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

func TestRunnersCommand(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	dp := servertest.DataPipeline(srv.URL())
	beat := func() bool {
		out, err := dp.ReportTaskRunnerHeartbeat(t.Context(), &datapipeline.ReportTaskRunnerHeartbeatInput{
			TaskrunnerId: aws.String("r-7"), WorkerGroup: aws.String("etl"), Hostname: aws.String("box"),
		})
		if err != nil {
			t.Fatal(err)
		}
		return out.Terminate
	}
	beat()
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"runners", "-endpoint", srv.URL()}, &stdout, &stderr); code != 0 {
		t.Fatalf("gaffer runners exited %d: %s", code, stderr.String())
	}
	if out := stdout.String(); !strings.Contains(out, "r-7") || !strings.Contains(out, "etl") || !strings.Contains(out, "box") {
		t.Fatalf("gaffer runners printed:\n%s", out)
	}
	stdout.Reset()
	if code := run(t.Context(), []string{"runners", "-endpoint", srv.URL(), "-terminate", "r-7"}, &stdout, &stderr); code != 0 {
		t.Fatalf("gaffer runners -terminate exited %d: %s", code, stderr.String())
	}
	if !beat() {
		t.Fatal("the runner was not told to terminate")
	}
	stderr.Reset()
	if code := run(t.Context(), []string{"runners", "-endpoint", srv.URL(), "-terminate", "nobody"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "404") {
		t.Fatalf("terminate of an unknown runner: exit %d, stderr %q", code, stderr.String())
	}
}

// With AWS credentials in the environment, gaffer runners signs its
// requests (SigV4, service gaffer), so that it works against a node that
// authenticates them. The node's authenticator here is servertest's fake,
// which trusts the access key the signature names.
func TestRunnersCommandSigned(t *testing.T) {
	var mu sync.Mutex
	var scopes []string
	trusting := servertest.Identities(t, map[string]string{
		"AKIDTEST": `{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}`,
		"READER":   `{"Statement": [{"Effect": "Allow", "Action": "gaffer:ListRunners", "Resource": "*"}]}`,
		"OPS":      `{"Statement": [{"Effect": "Allow", "Action": "gaffer:*", "Resource": "arn:aws:gaffer::*:taskrunner/*"}, {"Effect": "Allow", "Action": "gaffer:ListRunners", "Resource": "*"}]}`,
	})
	auth := func(r *http.Request, body []byte) (awsapi.Principal, error) {
		if strings.HasPrefix(r.URL.Path, "/gaffer/") {
			_, cred, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
			cred, _, _ = strings.Cut(cred, ",")
			mu.Lock()
			scopes = append(scopes, cred)
			mu.Unlock()
		}
		return trusting.Authenticate(r, body)
	}
	srv := servertest.Start(t, servertest.Options{Authenticate: auth})
	dp := servertest.DataPipeline(srv.URL())
	if _, err := dp.ReportTaskRunnerHeartbeat(t.Context(), &datapipeline.ReportTaskRunnerHeartbeatInput{TaskrunnerId: aws.String("r-9")}); err != nil {
		t.Fatal(err)
	}
	runners := func(key string, args ...string) (int, string, string) {
		t.Helper()
		t.Setenv("AWS_ACCESS_KEY_ID", key)
		t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
		t.Setenv("AWS_SESSION_TOKEN", "")
		t.Setenv("AWS_REGION", "eu-west-2")
		var stdout, stderr bytes.Buffer
		code := run(t.Context(), append([]string{"runners", "-endpoint", srv.URL()}, args...), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	if code, out, errs := runners("OPS"); code != 0 || !strings.Contains(out, "r-9") {
		t.Fatalf("gaffer runners as OPS: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := runners("READER", "-terminate", "r-9"); code != 1 || !strings.Contains(errs, "403") ||
		!strings.Contains(errs, "AccessDeniedException") || !strings.Contains(errs, "gaffer:TerminateRunner") {
		t.Fatalf("gaffer runners -terminate as READER: exit %d: %s", code, errs)
	}
	if code, _, errs := runners("OPS", "-terminate", "r-9"); code != 0 {
		t.Fatalf("gaffer runners -terminate as OPS: exit %d: %s", code, errs)
	}
	if code, _, errs := runners("", "-terminate", "r-9"); code != 1 || !strings.Contains(errs, "MissingAuthenticationToken") {
		t.Fatalf("gaffer runners without credentials: exit %d: %s", code, errs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(scopes) != 4 {
		t.Fatalf("scopes %q, want 4", scopes)
	}
	for _, s := range scopes[:3] {
		if !strings.HasSuffix(s, "/eu-west-2/gaffer/aws4_request") {
			t.Errorf("credential scope %q, want region eu-west-2, service gaffer", s)
		}
	}
}

func TestSignOperatorRegion(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		env  map[string]string
		want string // the credential scope's region, "" for unsigned
	}{
		{map[string]string{}, ""},
		{map[string]string{"AWS_ACCESS_KEY_ID": "K"}, ""},
		{map[string]string{"AWS_ACCESS_KEY_ID": "K", "AWS_SECRET_ACCESS_KEY": "S"}, "us-east-1"},
		{map[string]string{"AWS_ACCESS_KEY_ID": "K", "AWS_SECRET_ACCESS_KEY": "S", "AWS_DEFAULT_REGION": "ap-south-1"}, "ap-south-1"},
		{map[string]string{"AWS_ACCESS_KEY_ID": "K", "AWS_SECRET_ACCESS_KEY": "S", "AWS_DEFAULT_REGION": "ap-south-1", "AWS_REGION": "eu-west-1"}, "eu-west-1"},
	} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://127.0.0.1:7710/gaffer/runners", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := signOperator(t.Context(), req, func(k string) string { return tt.env[k] }); err != nil {
			t.Fatal(err)
		}
		auth := req.Header.Get("Authorization")
		if tt.want == "" {
			if auth != "" {
				t.Errorf("env %v: signed %q", tt.env, auth)
			}
			continue
		}
		if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=K/") || !strings.Contains(auth, "/"+tt.want+"/gaffer/aws4_request") {
			t.Errorf("env %v: Authorization %q, want region %s, service gaffer", tt.env, auth, tt.want)
		}
	}
}

// gaffer runners talks to a node serving HTTPS with a certificate it is
// told to trust.
func TestRunnersCommandTLS(t *testing.T) {
	t.Parallel()
	cert := servertest.NewCert(t, t.TempDir(), 1)
	srv := servertest.Start(t, servertest.Options{TLSCertFile: cert.CertFile, TLSKeyFile: cert.KeyFile})
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"runners", "-endpoint", srv.URL(), "-ca-file", cert.CertFile}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "TASKRUNNER") {
		t.Fatalf("gaffer runners -ca-file over HTTPS: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	stderr.Reset()
	if code := run(t.Context(), []string{"runners", "-endpoint", srv.URL()}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "certificate") {
		t.Fatalf("gaffer runners trusting only the system's certificates: exit %d: %s", code, stderr.String())
	}
	stderr.Reset()
	if code := run(t.Context(), []string{"runners", "-endpoint", srv.URL(), "-ca-file", cert.KeyFile}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "no PEM certificate") {
		t.Fatalf("gaffer runners -ca-file KEY: exit %d: %s", code, stderr.String())
	}
}
