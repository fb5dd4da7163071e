package server_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	dptypes "github.com/aws/aws-sdk-go-v2/service/datapipeline/types"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/store/sqlite"
)

// spoilRecord changes, in the store of a stopped server, the JSON body of
// the object of kind whose ID contains marker with change.
func spoilRecord(t *testing.T, dataDir, kind, marker string, change func(body map[string]any)) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(dataDir, "gaffer.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer st.Close()
	err = st.Update(t.Context(), func(tx store.Tx) error {
		objs, err := tx.ListObjects(store.ObjectQuery{Kind: kind})
		if err != nil {
			return err
		}
		for _, o := range objs {
			if !strings.Contains(o.ID, marker) {
				continue
			}
			var body map[string]any
			if err := json.Unmarshal(o.Body, &body); err != nil {
				return err
			}
			change(body)
			if o.Body, err = json.Marshal(body); err != nil {
				return err
			}
			return tx.PutObject(o)
		}
		return fmt.Errorf("no %s object's id contains %q", kind, marker)
	})
	if err != nil {
		t.Fatalf("spoil %s %s: %v", kind, marker, err)
	}
}

// quietRetries fails the test if the process logs more than one "will
// retry" warning within a second: a reaction that fails again and again.
func quietRetries(t *testing.T, p *servertest.Process) {
	t.Helper()
	if p.Await(time.Second, func() bool { return strings.Count(p.Log(), "will retry") > 1 }) {
		t.Errorf("the engine retries a failing reaction:\n%s", p.Log())
	}
}

// TestSWFCrashWithBadExecutions persists workflow executions whose stored
// runtime state no longer decodes — one with a timer due, one with an
// activity task a worker holds — kills the server, and checks that the
// restarted one serves, terminates each bad execution (OPERATOR_INITIATED,
// by gaffer) at its next reaction, and does not retry them endlessly.
func TestSWFCrashWithBadExecutions(t *testing.T) {
	t.Parallel()
	p := servertest.StartProcess(t, "")
	e := swfcSetup(t, p.URL, p, servertest.Uniq("bad-runs"))
	h := swfcNewHandouts()

	timed, held := "bad-timed", "bad-held"
	timedRun, heldRun := e.start(t, timed), e.start(t, held)
	d := e.mustPollDecision(t, timed, h)
	e.respond(t, timed, d.TaskToken, types.Decision{
		DecisionType:                 types.DecisionTypeStartTimer,
		StartTimerDecisionAttributes: &types.StartTimerDecisionAttributes{TimerId: aws.String("t1"), StartToFireTimeout: aws.String("1")},
	})
	d = e.mustPollDecision(t, held, h)
	e.respond(t, held, d.TaskToken, e.scheduleDecision("held-a", swfcActivityList(held), "NONE"))
	a := e.mustPollActivity(t, held, h)

	p.Kill(t)
	for _, wid := range []string{timed, held} {
		spoilRecord(t, p.DataDir, "swf.execution", "|"+wid+"|", func(body map[string]any) { body["runtime"] = "spoilt" })
	}
	p = p.Restart(t)
	e = e.restarted(p)

	// The node serves: a new execution starts and completes.
	okRun := e.start(t, "ok")
	d = e.mustPollDecision(t, "ok", h)
	e.respond(t, "ok", d.TaskToken, types.Decision{DecisionType: types.DecisionTypeCompleteWorkflowExecution, CompleteWorkflowExecutionDecisionAttributes: &types.CompleteWorkflowExecutionDecisionAttributes{}})
	if st := e.describe(t, "ok", okRun).CloseStatus; st != types.CloseStatusCompleted {
		t.Errorf("ok: close status %q", st)
	}

	// The worker's answer is taken, and the execution terminated.
	if _, err := e.RespondActivityTaskCompleted(e.ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: a.TaskToken, Result: aws.String("r")}); err != nil {
		t.Fatalf("RespondActivityTaskCompleted after restart: %v", err)
	}
	broken := func(ev types.HistoryEvent) bool {
		at := ev.WorkflowExecutionTerminatedEventAttributes
		return at.Cause == types.WorkflowExecutionTerminatedCauseOperatorInitiated && strings.Contains(aws.ToString(at.Reason), "gaffer") && strings.Contains(aws.ToString(at.Details), "runtime")
	}
	e.waitEvent(t, held, heldRun, types.EventTypeWorkflowExecutionTerminated, broken, 10*time.Second)
	// The timer fires and terminates its execution.
	e.waitEvent(t, timed, timedRun, types.EventTypeWorkflowExecutionTerminated, broken, 30*time.Second)
	for wid, run := range map[string]string{timed: timedRun, held: heldRun} {
		if info := e.describe(t, wid, run); info.ExecutionStatus != types.ExecutionStatusClosed || info.CloseStatus != types.CloseStatusTerminated {
			t.Errorf("%s: %s %s, want CLOSED TERMINATED", wid, info.ExecutionStatus, info.CloseStatus)
		}
	}
	quietRetries(t, p)
}

// TestPipelineCrashWithBadAttempt persists a handed-out attempt whose
// stored record no longer decodes, kills the server, and checks that the
// restarted one serves, takes the runner's SetTaskStatus, fails that
// attempt and its instance (Service_InternalError), and does not retry it
// endlessly.
func TestPipelineCrashWithBadAttempt(t *testing.T) {
	t.Parallel()
	p := servertest.StartProcess(t, "")
	e := p.Env().DataPipeline()
	wg := servertest.Uniq("wg")
	str := func(k, v string) dptypes.Field { return dptypes.Field{Key: aws.String(k), StringValue: aws.String(v)} }
	shell := func(id string) dptypes.PipelineObject {
		return dptypes.PipelineObject{Id: aws.String(id), Name: aws.String(id), Fields: []dptypes.Field{str("type", "ShellCommandActivity"), str("command", "echo "+id)}}
	}
	id := e.Create(t, servertest.Uniq("bad-attempt"))
	e.Put(t, id, []dptypes.PipelineObject{
		{Id: aws.String("Default"), Name: aws.String("Default"), Fields: []dptypes.Field{str("scheduleType", "ondemand"), str("workerGroup", wg)}},
		shell("Bad"), shell("Other"),
	})
	_, err := e.Client.ActivatePipeline(e.Ctx, &datapipeline.ActivatePipelineInput{PipelineId: aws.String(id)})
	servertest.OK(t, "ActivatePipeline", err)
	poll := func(e *servertest.PipelineEnv) *dptypes.TaskObject {
		for range 10 {
			out, err := e.Client.PollForTask(e.Ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String(wg), Hostname: aws.String("host-1")})
			servertest.OK(t, "PollForTask", err)
			if out.TaskObject != nil {
				return out.TaskObject
			}
		}
		t.Fatalf("no task for %s", wg)
		return nil
	}
	tasks := map[string]string{} // component → taskId
	for range 2 {
		task := poll(e)
		comp := strings.SplitN(strings.TrimPrefix(aws.ToString(task.AttemptId), "@"), "_", 2)[0]
		tasks[comp] = aws.ToString(task.TaskId)
		_, err := e.Client.ReportTaskProgress(e.Ctx, &datapipeline.ReportTaskProgressInput{TaskId: task.TaskId})
		servertest.OK(t, "ReportTaskProgress", err)
	}

	p.Kill(t)
	spoilRecord(t, p.DataDir, "pipeline.attempt", "@Bad_", func(body map[string]any) { body["taskId"] = "spoilt" })
	p = p.Restart(t)
	e = p.Env().DataPipeline()

	for _, comp := range []string{"Bad", "Other"} {
		_, err := e.Client.SetTaskStatus(e.Ctx, &datapipeline.SetTaskStatusInput{TaskId: aws.String(tasks[comp]), TaskStatus: dptypes.TaskStatusFinished})
		servertest.OK(t, "SetTaskStatus "+comp+" after restart", err)
	}
	q, err := e.Client.QueryObjects(e.Ctx, &datapipeline.QueryObjectsInput{PipelineId: aws.String(id), Sphere: aws.String("INSTANCE")})
	servertest.OK(t, "QueryObjects", err)
	d, err := e.Client.DescribeObjects(e.Ctx, &datapipeline.DescribeObjectsInput{PipelineId: aws.String(id), ObjectIds: q.Ids})
	servertest.OK(t, "DescribeObjects", err)
	want := map[string]string{"Bad": "FAILED", "Other": "FINISHED"}
	for _, o := range d.PipelineObjects {
		f := servertest.PipelineFields(o.Fields)
		comp := strings.TrimPrefix(f["@componentParent"], "ref:")
		if f["@status"] != want[comp] {
			t.Errorf("instance %s: @status %s, want %s", aws.ToString(o.Id), f["@status"], want[comp])
		}
		if comp == "Bad" && (f["errorId"] != "Service_InternalError" || !strings.Contains(f["errorMessage"], "decode")) {
			t.Errorf("instance %s = %v, want Service_InternalError about its record", aws.ToString(o.Id), f)
		}
	}
	quietRetries(t, p)
}
