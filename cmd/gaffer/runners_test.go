package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"

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
