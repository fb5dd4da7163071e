package pipeline_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// Invariant 1: ActivatePipeline, handed-out tasks, SetTaskStatus and retry
// timers survive a kill -9.
func TestRunnerSurvivesKill(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs gaffer serve")
	}
	proc := servertest.StartProcess(t, "")
	b := &bundle{proc.Env().DataPipeline()}
	wg := servertest.Uniq("wg")
	id := b.activated(t, onDemand(wg),
		shell("A"), shell("B", ref("dependsOn", "A")), shell("C"))
	tasks := map[string]*types.TaskObject{}
	for range 2 {
		task := b.poll(t, wg)
		tasks[component(task)] = task
	}
	if tasks["A"] == nil || tasks["C"] == nil {
		t.Fatalf("first tasks: %v", tasks)
	}
	b.progress(t, aws.ToString(tasks["A"].TaskId))
	b.progress(t, aws.ToString(tasks["C"].TaskId))
	// C fails: its retry (after 1 s) is a durable timer.
	b.setStatus(t, aws.ToString(tasks["C"].TaskId), types.TaskStatusFailed, "E", "first try")

	proc = proc.Crash(t, 0)
	b.PipelineEnv = proc.Env().DataPipeline()

	// A's task survived with its taskId.
	if b.progress(t, aws.ToString(tasks["A"].TaskId)) {
		t.Fatal("A canceled after restart")
	}
	b.setStatus(t, aws.ToString(tasks["A"].TaskId), types.TaskStatusFinished, "", "")
	got := map[string]string{}
	for range 2 {
		task := b.poll(t, wg)
		got[component(task)] = aws.ToString(task.AttemptId)
		b.progress(t, aws.ToString(task.TaskId))
		b.setStatus(t, aws.ToString(task.TaskId), types.TaskStatusFinished, "", "")
	}
	if !strings.HasSuffix(got["C"], "_Attempt=2") || !strings.HasSuffix(got["B"], "_Attempt=1") {
		t.Fatalf("after restart: %v", got)
	}
	want := map[string]string{"A": "1", "B": "1", "C": "2"}
	for iid, f := range b.objects(t, id, "INSTANCE") {
		comp := strings.TrimPrefix(f["@componentParent"], "ref:")
		if f["@status"] != "FINISHED" || f["@attemptCount"] != want[comp] {
			t.Errorf("instance %s = %v", iid, f)
		}
	}
	b.wantState(t, id, "FINISHED")
}

// component returns the component id of a task's attempt.
func component(task *types.TaskObject) string { return componentOf(aws.ToString(task.AttemptId)) }

// A precondition's re-check (a durable retry timer) and the run's
// bookkeeping survive a kill -9: the run still ends FINISHED and HEALTHY.
func TestPreconditionSurvivesKill(t *testing.T) {
	t.Parallel()
	proc := servertest.StartProcess(t, "")
	b := &bundle{proc.Env().DataPipeline()}
	wg := servertest.Uniq("wg")
	id := b.activated(t, onDemand(wg),
		obj("Ready", str("type", "ShellCommandPrecondition"), str("command", "test -f /ready")),
		shell("Work", ref("precondition", "Ready")))
	check := b.poll(t, wg)
	if component(check) != "Ready" {
		t.Fatalf("first task: %s", aws.ToString(check.AttemptId))
	}
	b.progress(t, aws.ToString(check.TaskId))
	b.setStatus(t, aws.ToString(check.TaskId), types.TaskStatusFalse, "", "")

	proc = proc.Crash(t, 0)
	b.PipelineEnv = proc.Env().DataPipeline()

	for _, want := range []string{"Ready", "Work"} {
		task := b.poll(t, wg)
		if component(task) != want {
			t.Fatalf("after restart: %s, want a task of %s", aws.ToString(task.AttemptId), want)
		}
		b.progress(t, aws.ToString(task.TaskId))
		b.setStatus(t, aws.ToString(task.TaskId), types.TaskStatusFinished, "", "")
	}
	b.wantState(t, id, "FINISHED")
	if h := b.health(t, id); h["@healthStatus"] != "HEALTHY" {
		t.Fatalf("health after the run: %v", h)
	}
}
