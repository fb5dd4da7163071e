package pipeline_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"

	"github.com/gaffer-dev/gaffer/internal/pipeline"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// componentOf returns the component id of an instance or attempt id
// ("@Work_2024-..._Attempt=1" → "Work").
func componentOf(id string) string {
	return strings.SplitN(strings.TrimPrefix(id, "@"), "_", 2)[0]
}

// activeInstances counts the instances of component that wait for a
// runner or run (what maxActiveInstances limits).
func (b *bundle) activeInstances(t *testing.T, id, component string) int {
	t.Helper()
	n := 0
	for _, f := range b.objects(t, id, "INSTANCE") {
		if f["@componentParent"] == "ref:"+component && (f["@status"] == "WAITING_FOR_RUNNER" || f["@status"] == "RUNNING") {
			n++
		}
	}
	return n
}

// noTask fails if workerGroup has a task to hand out.
func (b *bundle) noTask(t *testing.T, wg, why string) {
	t.Helper()
	out, err := b.Client.PollForTask(b.Ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String(wg)})
	servertest.OK(t, "PollForTask", err)
	if out.TaskObject != nil {
		t.Fatalf("%s: %s was handed out", why, aws.ToString(out.TaskObject.AttemptId))
	}
}

func TestPreconditionCheckedByRunner(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wg, checkers := servertest.Uniq("wg"), servertest.Uniq("checkers")
	id := b.activated(t, onDemand(wg),
		obj("Ready", str("type", "ShellCommandPrecondition"), str("command", "test -f /data/ready"),
			str("workerGroup", checkers), str("retryDelay", "1 seconds")),
		shell("Work", ref("precondition", "Ready")))

	b.noTask(t, wg, "before its precondition held")
	first := b.poll(t, checkers)
	fm := servertest.PipelineFields(first.Objects[aws.ToString(first.AttemptId)].Fields)
	if componentOf(aws.ToString(first.AttemptId)) != "Ready" || fm["type"] != "ShellCommandPrecondition" || fm["command"] != "test -f /data/ready" {
		t.Fatalf("precondition task %s: %v", aws.ToString(first.AttemptId), fm)
	}
	b.progress(t, aws.ToString(first.TaskId))
	// Not met: checked again after retryDelay, with a new attempt.
	_, err := b.Client.SetTaskStatus(b.Ctx, &datapipeline.SetTaskStatusInput{TaskId: first.TaskId, TaskStatus: types.TaskStatusFalse})
	servertest.OK(t, "SetTaskStatus FALSE", err)
	b.noTask(t, wg, "after its precondition answered FALSE")
	second := b.poll(t, checkers)
	if !strings.HasSuffix(aws.ToString(second.AttemptId), "_Attempt=2") || componentOf(aws.ToString(second.AttemptId)) != "Ready" {
		t.Fatalf("second check = %s", aws.ToString(second.AttemptId))
	}
	b.progress(t, aws.ToString(second.TaskId))
	b.setStatus(t, aws.ToString(second.TaskId), types.TaskStatusFinished, "", "")

	work := b.poll(t, wg)
	if componentOf(aws.ToString(work.AttemptId)) != "Work" {
		t.Fatalf("after the precondition: %s", aws.ToString(work.AttemptId))
	}
	b.progress(t, aws.ToString(work.TaskId))
	b.setStatus(t, aws.ToString(work.TaskId), types.TaskStatusFinished, "", "")

	insts := b.objects(t, id, "INSTANCE")
	var readyID string
	for iid, f := range insts {
		if f["@componentParent"] == "ref:Ready" {
			readyID = iid
			if f["@status"] != "FINISHED" || f["@attemptCount"] != "2" {
				t.Fatalf("precondition instance %s = %v", iid, f)
			}
		}
	}
	if readyID == "" || len(insts) != 2 {
		t.Fatalf("instances = %v", insts)
	}
	for iid, f := range insts {
		if f["@componentParent"] == "ref:Work" && (f["@status"] != "FINISHED" || f["@waitingOn"] != "ref:"+readyID) {
			t.Fatalf("activity instance %s = %v", iid, f)
		}
	}
	if f := b.objects(t, id, "ATTEMPT")[aws.ToString(first.AttemptId)]; f["@status"] != "FAILED" || !strings.Contains(f["errorMessage"], "not met") {
		t.Fatalf("the check that answered FALSE: %v", f)
	}
	b.wantState(t, id, "FINISHED")
}

func TestPreconditionTimeoutOnInputDataNode(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wg := servertest.Uniq("wg")
	id := b.activated(t, onDemand(wg),
		obj("Landing", str("type", "S3DataNode"), str("directoryPath", "s3://bucket/in"), ref("precondition", "Arrived")),
		// No workerGroup: checked by the activity's worker group.
		obj("Arrived", str("type", "ShellCommandPrecondition"), str("command", "ls /in"),
			str("preconditionTimeout", "2 seconds"), str("retryDelay", "1 seconds"), str("maximumRetries", "0")),
		shell("Load", ref("input", "Landing"), str("failureAndRerunMode", "cascade")))

	checks := 0
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := b.Client.PollForTask(b.Ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String(wg)})
		servertest.OK(t, "PollForTask", err)
		if out.TaskObject == nil {
			break
		}
		if c := componentOf(aws.ToString(out.TaskObject.AttemptId)); c != "Arrived" {
			t.Fatalf("check %d: %s handed out before its input's precondition held", checks+1, aws.ToString(out.TaskObject.AttemptId))
		}
		checks++
		b.progress(t, aws.ToString(out.TaskObject.TaskId))
		_, err = b.Client.SetTaskStatus(b.Ctx, &datapipeline.SetTaskStatusInput{TaskId: out.TaskObject.TaskId, TaskStatus: types.TaskStatusFalse, ErrorMessage: aws.String("/in is empty")})
		servertest.OK(t, "SetTaskStatus FALSE", err)
		if time.Now().After(deadline) {
			t.Fatalf("still checked after %d checks", checks)
		}
	}
	// maximumRetries 0, yet checked more than once: a condition not met is
	// checked again until preconditionTimeout.
	if checks < 2 {
		t.Fatalf("%d checks, want at least 2 within the 2-second preconditionTimeout", checks)
	}
	want := map[string]string{"Arrived": "FAILED", "Load": "CASCADE_FAILED"}
	insts := b.objects(t, id, "INSTANCE")
	for iid, f := range insts {
		c := strings.TrimPrefix(f["@componentParent"], "ref:")
		if f["@status"] != want[c] {
			t.Errorf("instance %s (%s): @status %s, want %s", iid, c, f["@status"], want[c])
		}
		if c == "Arrived" && f["errorMessage"] != "/in is empty" {
			t.Errorf("precondition instance errorMessage = %q", f["errorMessage"])
		}
	}
	if len(insts) != 2 {
		t.Fatalf("instances = %v", insts)
	}
	b.wantState(t, id, "FINISHED")
}

func TestMaxActiveInstances(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wg := servertest.Uniq("wg")
	// Four past periods, backfilled at once, but one at a time.
	id := b.activated(t,
		obj("Default", str("workerGroup", wg), str("scheduleType", "timeseries"), ref("schedule", "Past")),
		obj("Past", str("type", "Schedule"), str("period", "15 minutes"), str("startDateTime", "2012-09-25T17:00:00"), str("endDateTime", "2012-09-25T18:00:00")),
		obj("Serial", str("type", "ShellCommandActivity"), str("maxActiveInstances", "1"), str("command", "echo #{@scheduledStartTime} #{@scheduledEndTime}")))
	var order []string
	for n := range 4 {
		task := b.poll(t, wg)
		fm := servertest.PipelineFields(task.Objects[aws.ToString(task.AttemptId)].Fields)
		start, _ := time.Parse("2006-01-02T15:04:05", fm["@scheduledStartTime"])
		if end := start.Add(15 * time.Minute).Format("2006-01-02T15:04:05"); fm["@scheduledEndTime"] != end || fm["command"] != "echo "+fm["@scheduledStartTime"]+" "+end {
			t.Fatalf("task %d fields: %v", n, fm)
		}
		order = append(order, fm["@scheduledStartTime"])
		if waiting := b.activeInstances(t, id, "Serial"); waiting != 1 {
			t.Fatalf("with task %d out, %d instances waiting for a runner or running, want 1", n, waiting)
		}
		b.noTask(t, wg, "a second instance while one is active")
		b.progress(t, aws.ToString(task.TaskId))
		b.setStatus(t, aws.ToString(task.TaskId), types.TaskStatusFinished, "", "")
	}
	if strings.Join(order, ",") != "2012-09-25T17:00:00,2012-09-25T17:15:00,2012-09-25T17:30:00,2012-09-25T17:45:00" {
		t.Fatalf("periods ran in order %v", order)
	}
	b.wantState(t, id, "FINISHED")
}

func TestAckWindowDoesNotSpendRetries(t *testing.T) {
	t.Parallel()
	b := setupRunner(t, time.Second)
	wg := servertest.Uniq("wg")
	id := b.activated(t, onDemand(wg), shell("Lost", str("maximumRetries", "0")))
	// Two answers lost on the way to the runner: handed out again each
	// time, although no retry is allowed.
	for n := 1; n <= 2; n++ {
		task := b.poll(t, wg)
		if !strings.HasSuffix(aws.ToString(task.AttemptId), "_Attempt="+string(rune('0'+n))) {
			t.Fatalf("hand-out %d = %s", n, aws.ToString(task.AttemptId))
		}
	}
	third := b.poll(t, wg)
	b.progress(t, aws.ToString(third.TaskId))
	b.setStatus(t, aws.ToString(third.TaskId), types.TaskStatusFinished, "", "")
	for iid, f := range b.objects(t, id, "INSTANCE") {
		if f["@status"] != "FINISHED" || f["@attemptCount"] != "3" {
			t.Fatalf("instance %s = %v", iid, f)
		}
	}
}

// A runner that waits when the pipeline is activated gets the task started
// for it in the activation's own transaction: the attempt is RUNNING on
// its host at once, acknowledged by its first report, and finishes.
func TestTaskStartedForWaitingRunner(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wg := servertest.Uniq("wg")
	got := make(chan *types.TaskObject, 1)
	go func() {
		out, err := b.Client.PollForTask(b.Ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String(wg), Hostname: aws.String("early-host")})
		if err != nil {
			t.Errorf("PollForTask: %v", err)
		}
		got <- out.TaskObject
	}()
	servertest.WaitPolling(t, b.Srv, pipeline.TaskQueue(wg))
	id := b.activated(t, onDemand(wg), shell("Only"))
	task := <-got
	if task == nil || componentOf(aws.ToString(task.AttemptId)) != "Only" {
		t.Fatalf("PollForTask = %+v", task)
	}
	if f := servertest.PipelineFields(task.Objects[aws.ToString(task.AttemptId)].Fields); f["@status"] != "RUNNING" || f["hostname"] != "early-host" {
		t.Fatalf("attempt in the answer: %v", f)
	}
	atts := b.objects(t, id, "ATTEMPT")
	if f := atts[aws.ToString(task.AttemptId)]; len(atts) != 1 || f["@status"] != "RUNNING" || f["hostname"] != "early-host" {
		t.Fatalf("attempts = %v", atts)
	}
	b.progress(t, aws.ToString(task.TaskId))
	b.setStatus(t, aws.ToString(task.TaskId), types.TaskStatusFinished, "", "")
	b.wantState(t, id, "FINISHED")
}
