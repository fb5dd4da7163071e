package runner_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"

	"github.com/gaffer-dev/gaffer/internal/runner"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

var (
	str = servertest.PipelineString
	ref = servertest.PipelineRef
	obj = servertest.PipelineObject
)

func pipelineSetup(t *testing.T) *servertest.PipelineEnv {
	t.Helper()
	return servertest.InProcess(servertest.Start(t, servertest.Options{})).DataPipeline()
}

// activate creates, defines and activates an on-demand pipeline for wg
// with objs and returns its id.
func activate(t *testing.T, e *servertest.PipelineEnv, wg string, objs ...types.PipelineObject) string {
	t.Helper()
	id := e.Create(t, servertest.Uniq("p"))
	objs = append(objs, obj("Default", str("scheduleType", "ondemand"), str("workerGroup", wg), str("retryDelay", "1 seconds")))
	e.Put(t, id, objs)
	_, err := e.Client.ActivatePipeline(e.Ctx, &datapipeline.ActivatePipelineInput{PipelineId: aws.String(id)})
	servertest.OK(t, "ActivatePipeline", err)
	return id
}

// attempts returns the pipeline's attempts: id → fields.
func attempts(t *testing.T, e *servertest.PipelineEnv, id string) map[string]map[string]string {
	t.Helper()
	q, err := e.Client.QueryObjects(e.Ctx, &datapipeline.QueryObjectsInput{PipelineId: aws.String(id), Sphere: aws.String("ATTEMPT")})
	servertest.OK(t, "QueryObjects", err)
	out := map[string]map[string]string{}
	if len(q.Ids) == 0 {
		return out
	}
	d, err := e.Client.DescribeObjects(e.Ctx, &datapipeline.DescribeObjectsInput{PipelineId: aws.String(id), ObjectIds: q.Ids})
	servertest.OK(t, "DescribeObjects", err)
	for _, o := range d.PipelineObjects {
		out[aws.ToString(o.Id)] = servertest.PipelineFields(o.Fields)
	}
	return out
}

func pipelineState(t *testing.T, e *servertest.PipelineEnv, id string) string {
	t.Helper()
	out, err := e.Client.DescribePipelines(e.Ctx, &datapipeline.DescribePipelinesInput{PipelineIds: []string{id}})
	servertest.OK(t, "DescribePipelines", err)
	return servertest.PipelineFields(out.PipelineDescriptionList[0].Fields)["@pipelineState"]
}

// A staged ShellCommandActivity after a precondition: the input directory
// is copied in, the output copied out, arguments are $1…, stdout goes to
// the local path of its stdout field.
func TestPipelineStagedActivity(t *testing.T) {
	t.Parallel()
	e := pipelineSetup(t)
	wg, dir := servertest.Uniq("wg"), t.TempDir()
	in, out, stdout := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "stdout.txt")
	if err := os.MkdirAll(in, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in, "data.txt"), []byte("abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := startRunner(t, e.Env, runner.Config{WorkerGroup: wg})
	id := activate(t, e, wg,
		obj("Ready", str("type", "ShellCommandPrecondition"), str("command", "test -f "+filepath.Join(in, "data.txt"))),
		obj("In", str("type", "S3DataNode"), str("directoryPath", in)),
		obj("Out", str("type", "S3DataNode"), str("directoryPath", out)),
		obj("Work", str("type", "ShellCommandActivity"), str("stage", "true"), ref("precondition", "Ready"),
			ref("input", "In"), ref("output", "Out"), str("stdout", "file://"+stdout),
			str("command", `tr a-z A-Z < "${INPUT1_STAGING_DIR}/data.txt" > "${OUTPUT1_STAGING_DIR}/result.txt"; echo "$1 $2"`),
			str("scriptArgument", "one"), str("scriptArgument", "two")))
	for _, want := range []string{"Ready", "Work"} {
		if res := h.next(t); res.Outcome != "succeeded" || !strings.Contains(res.Task, want) {
			t.Fatalf("result %+v, want %s succeeded", res, want)
		}
	}
	if !e.Wait.Await(wait, func() bool { return pipelineState(t, e, id) == "FINISHED" }) {
		t.Fatalf("pipeline state %s; attempts %v", pipelineState(t, e, id), attempts(t, e, id))
	}
	if b, err := os.ReadFile(filepath.Join(out, "result.txt")); err != nil || string(b) != "ABC\n" {
		t.Fatalf("staged output %q, %v", b, err)
	}
	if b, err := os.ReadFile(stdout); err != nil || string(b) != "one two\n" {
		t.Fatalf("stdout file %q, %v", b, err)
	}
}

func TestPipelineFailures(t *testing.T) {
	t.Parallel()
	e := pipelineSetup(t)
	wg := servertest.Uniq("wg")
	h := startRunner(t, e.Env, runner.Config{WorkerGroup: wg, TaskTimeout: 500 * time.Millisecond, Concurrency: 2})
	id := activate(t, e, wg,
		obj("Bad", str("type", "ShellCommandActivity"), str("command", `echo broken pipe >&2; exit 4`), str("maximumRetries", "0")),
		obj("Slow", str("type", "ShellCommandActivity"), str("command", `sleep 30`), str("maximumRetries", "0")),
		obj("Copy", str("type", "CopyActivity"), str("maximumRetries", "0")),
		obj("NotYet", str("type", "ShellCommandPrecondition"), str("command", `exit 1`), str("maximumRetries", "0")),
		obj("Gated", str("type", "ShellCommandActivity"), str("command", `true`), ref("precondition", "NotYet")))
	got := map[string]string{}
	for range 4 {
		res := h.next(t)
		got[strings.SplitN(strings.TrimPrefix(res.Task, "dp-@"), "_", 2)[0]] = res.Outcome
	}
	want := map[string]string{"Bad": "failed", "Slow": "timed out", "Copy": "unsupported", "NotYet": "false"}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("outcomes %v, want %v", got, want)
		}
	}
	for aid, f := range attempts(t, e, id) {
		var errID, msg string
		switch {
		case strings.HasPrefix(aid, "@Bad_"):
			errID, msg = "Runner.ExitCode4", "broken pipe"
		case strings.HasPrefix(aid, "@Slow_"):
			errID, msg = "Runner.Timeout", "task timeout"
		case strings.HasPrefix(aid, "@Copy_"):
			errID, msg = "Runner.UnsupportedType", `type "CopyActivity"`
		default:
			continue
		}
		if f["@status"] != "FAILED" || f["errorId"] != errID || !strings.Contains(f["errorMessage"], msg) {
			t.Fatalf("attempt %s: %v; want FAILED, %s, a message with %q", aid, f, errID, msg)
		}
	}
}

// An operator's terminate reaches the runner at its next heartbeat: it
// stops polling and Run returns.
func TestPipelineTerminate(t *testing.T) {
	t.Parallel()
	e := pipelineSetup(t)
	wg := servertest.Uniq("wg")
	h := startRunner(t, e.Env, runner.Config{WorkerGroup: wg, TaskRunnerID: servertest.Uniq("tr"), RunnerHeartbeat: 50 * time.Millisecond})
	url := e.URL + "/gaffer/runners/" + h.r.TaskRunnerID() + "/terminate"
	var status int
	// The runner registers with its first heartbeat, a write.
	if !e.Wait.Await(wait, func() bool {
		resp, err := http.Post(url, "", nil)
		servertest.OK(t, "POST terminate", err)
		resp.Body.Close()
		status = resp.StatusCode
		return status == http.StatusOK
	}) {
		t.Fatalf("terminate answered %d", status)
	}
	if err := h.stopped(t); err != nil {
		t.Fatalf("Run after terminate: %v", err)
	}
	if log := h.log.String(); !strings.Contains(log, "asked this runner to terminate") {
		t.Fatalf("runner log:\n%s", log)
	}
}

// A cancel (SetStatus TRY_CANCEL) reaches the runner through
// ReportTaskProgress: the command is killed, and the runner reports
// nothing more.
func TestPipelineCancel(t *testing.T) {
	t.Parallel()
	e := pipelineSetup(t)
	wg := servertest.Uniq("wg")
	h := startRunner(t, e.Env, runner.Config{WorkerGroup: wg, Heartbeat: 50 * time.Millisecond})
	id := activate(t, e, wg, obj("Long", str("type", "ShellCommandActivity"), str("command", `sleep 30`)))
	h.started(t)
	q, err := e.Client.QueryObjects(e.Ctx, &datapipeline.QueryObjectsInput{PipelineId: aws.String(id), Sphere: aws.String("INSTANCE")})
	servertest.OK(t, "QueryObjects", err)
	_, err = e.Client.SetStatus(e.Ctx, &datapipeline.SetStatusInput{PipelineId: aws.String(id), ObjectIds: q.Ids, Status: aws.String("TRY_CANCEL")})
	servertest.OK(t, "SetStatus TRY_CANCEL", err)
	if res := h.next(t); res.Outcome != "canceled" || res.Signal != "SIGTERM" {
		t.Fatalf("result %+v", res)
	}
}
