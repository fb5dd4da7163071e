package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"

	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// TestRun runs the runner with -setup against an in-process gaffer, adds a
// pipeline whose command fails, and checks over the wire that the demo
// pipeline's instances finished and the failing attempt failed with
// CommandFailed.
func TestRun(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	client := servertest.DataPipeline(srv.URL())
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	progressPeriod = 200 * time.Millisecond

	const wg = "example-wg"
	var out servertest.Buffer
	runCtx, stop := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- run(runCtx, srv.URL(), wg, "test-runner", true, &out) }()
	stopped := false
	defer func() {
		if !stopped {
			stop()
			<-errc
		}
	}()

	failID, err := definePipeline(ctx, client, "fail-"+wg, []types.PipelineObject{
		object("Default", str("scheduleType", "ondemand"), str("workerGroup", wg)),
		object("Fail", str("type", "ShellCommandActivity"), ref("parent", "Default"),
			str("command", "echo working; echo oops >&2; exit 3"), str("maximumRetries", "0")),
	})
	if err != nil {
		t.Fatal(err)
	}
	preID, err := definePipeline(ctx, client, "pre-"+wg, []types.PipelineObject{
		object("Default", str("scheduleType", "ondemand"), str("workerGroup", wg), str("retryDelay", "1 seconds")),
		object("Holds", str("type", "ShellCommandPrecondition"), str("command", "true")),
		object("Never", str("type", "ShellCommandPrecondition"), str("command", "exit 1"), str("maximumRetries", "0")),
		object("Gated", str("type", "ShellCommandActivity"), ref("parent", "Default"), str("command", "echo gated"), ref("precondition", "Holds")),
		object("Blocked", str("type", "ShellCommandActivity"), ref("parent", "Default"), str("command", "echo blocked"),
			ref("precondition", "Never"), str("failureAndRerunMode", "cascade")),
	})
	if err != nil {
		t.Fatal(err)
	}
	demoID := waitPipelineNamed(t, ctx, srv, client, "demo-"+wg, &out)

	demo := waitObjects(t, ctx, srv, client, demoID, "INSTANCE", &out, func(m map[string]map[string]string) bool {
		return len(m) == 2 && allStatus(m, "FINISHED")
	})
	for iid, f := range demo {
		if f["@componentParent"] != "ref:First" && f["@componentParent"] != "ref:Second" {
			t.Errorf("demo instance %s = %v", iid, f)
		}
	}
	fail := waitObjects(t, ctx, srv, client, failID, "INSTANCE", &out, func(m map[string]map[string]string) bool {
		return len(m) == 1 && allStatus(m, "FAILED")
	})
	for iid, f := range fail {
		if f["errorId"] != "CommandFailed" || f["@attemptCount"] != "1" {
			t.Errorf("failing instance %s = %v", iid, f)
		}
	}
	want := map[string]string{"ref:Holds": "FINISHED", "ref:Gated": "FINISHED", "ref:Never": "FAILED", "ref:Blocked": "CASCADE_FAILED"}
	waitObjects(t, ctx, srv, client, preID, "INSTANCE", &out, func(m map[string]map[string]string) bool {
		for _, f := range m {
			if want[f["@componentParent"]] != f["@status"] {
				return false
			}
		}
		return len(m) == 4
	})
	atts := waitObjects(t, ctx, srv, client, failID, "ATTEMPT", &out, func(m map[string]map[string]string) bool {
		return len(m) == 1 && allStatus(m, "FAILED")
	})
	for aid, f := range atts {
		if f["errorId"] != "CommandFailed" || !strings.Contains(f["errorMessage"], "exit status 3") || !strings.Contains(f["errorMessage"], "oops") {
			t.Errorf("failing attempt %s = %v, want errorId CommandFailed and the exit status and stderr in errorMessage", aid, f)
		}
	}

	stop()
	stopped = true
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("run did not return after its context ended:\n%s", out.String())
	}
	for _, step := range []string{
		"pipeline df-", "heartbeat: runner test-runner, terminate false", "polling worker group " + wg,
		`run "echo hello"`, "stdout: hello", "progress: running", "exit 0; FINISHED", "SetTaskStatus FINISHED",
		"stdout: working", "exit status 3; stderr: oops; FAILED", "SetTaskStatus FAILED",
		`check "true"`, `check "exit 1"`, "exit status 1; condition not met; FALSE", "SetTaskStatus FALSE", "stdout: gated",
		"runner test-runner stopped",
	} {
		if !strings.Contains(out.String(), step) {
			t.Errorf("output lacks %q:\n%s", step, out.String())
		}
	}
}

func allStatus(m map[string]map[string]string, want string) bool {
	for _, f := range m {
		if f["@status"] != want {
			return false
		}
	}
	return true
}

// waitPipelineNamed returns the id of the pipeline called name once it
// exists.
func waitPipelineNamed(t *testing.T, ctx context.Context, srv *server.Server, client *datapipeline.Client, name string, out *servertest.Buffer) string {
	t.Helper()
	var id string
	await(t, ctx, srv, func() string { return "pipeline " + name }, out, func() bool {
		list, err := client.ListPipelines(ctx, &datapipeline.ListPipelinesInput{})
		if err != nil {
			t.Fatalf("ListPipelines: %v\noutput:\n%s", err, out.String())
		}
		for _, p := range list.PipelineIdList {
			if aws.ToString(p.Name) == name {
				id = aws.ToString(p.Id)
				return true
			}
		}
		return false
	})
	return id
}

// waitObjects reads the objects of a sphere (id → fields, refs as
// "ref:<id>") until done accepts them.
func waitObjects(t *testing.T, ctx context.Context, srv *server.Server, client *datapipeline.Client, id, sphere string, out *servertest.Buffer, done func(map[string]map[string]string) bool) map[string]map[string]string {
	t.Helper()
	var m map[string]map[string]string
	await(t, ctx, srv, func() string { return sphere + " objects of " + id + " (last: " + describe(m) + ")" }, out, func() bool {
		m = map[string]map[string]string{}
		q, err := client.QueryObjects(ctx, &datapipeline.QueryObjectsInput{PipelineId: aws.String(id), Sphere: aws.String(sphere)})
		if err != nil {
			t.Fatalf("QueryObjects: %v", err)
		}
		if len(q.Ids) > 0 {
			d, err := client.DescribeObjects(ctx, &datapipeline.DescribeObjectsInput{PipelineId: aws.String(id), ObjectIds: q.Ids})
			if err != nil {
				t.Fatalf("DescribeObjects: %v", err)
			}
			for _, o := range d.PipelineObjects {
				f := map[string]string{}
				for _, fl := range o.Fields {
					if fl.RefValue != nil {
						f[aws.ToString(fl.Key)] = "ref:" + *fl.RefValue
					} else {
						f[aws.ToString(fl.Key)] = aws.ToString(fl.StringValue)
					}
				}
				m[aws.ToString(o.Id)] = f
			}
		}
		return done(m)
	})
	return m
}

func describe(m map[string]map[string]string) string {
	var b strings.Builder
	for id, f := range m {
		b.WriteString(id + "=" + f["@status"] + " ")
	}
	return b.String()
}

// await re-checks cond after every commit of srv (the runner and the
// server's timers do the work) until it holds; it fails the test when
// ctx's deadline passes first.
func await(t *testing.T, ctx context.Context, srv *server.Server, what func() string, out *servertest.Buffer, cond func() bool) {
	t.Helper()
	deadline, _ := ctx.Deadline()
	if !servertest.Await(srv, time.Until(deadline), cond) {
		t.Fatalf("gave up waiting for %s\noutput:\n%s", what(), out.String())
	}
}
