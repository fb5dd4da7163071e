package pipeline_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// Preconditions and maxActiveInstances together on a backfilled schedule:
// every period's check is handed out at once, its activity one at a time,
// and the run ends FINISHED with every instance finished.
func TestPreconditionsWithMaxActiveBackfill(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wg := servertest.Uniq("wg")
	id := b.activated(t,
		obj("Default", str("workerGroup", wg), str("scheduleType", "timeseries"), ref("schedule", "Past")),
		obj("Past", str("type", "Schedule"), str("period", "15 minutes"), str("startDateTime", "2012-09-25T17:00:00"), str("endDateTime", "2012-09-25T17:45:00")),
		obj("Ready", str("type", "ShellCommandPrecondition"), str("command", "true")),
		shell("Load", ref("precondition", "Ready"), str("maxActiveInstances", "1")))
	counts := map[string]int{}
	for range 6 {
		task := b.poll(t, wg)
		c := component(task)
		counts[c]++
		if active := b.activeInstances(t, id, "Load"); active > 1 {
			t.Fatalf("with %s handed out, %d Load instances waiting for a runner or running, want at most 1", aws.ToString(task.AttemptId), active)
		}
		b.progress(t, aws.ToString(task.TaskId))
		b.setStatus(t, aws.ToString(task.TaskId), types.TaskStatusFinished, "", "")
	}
	if counts["Ready"] != 3 || counts["Load"] != 3 {
		t.Fatalf("tasks handed out: %v, want 3 checks and 3 loads", counts)
	}
	insts := b.objects(t, id, "INSTANCE")
	for iid, f := range insts {
		if f["@status"] != "FINISHED" {
			t.Errorf("instance %s = %v", iid, f)
		}
	}
	if len(insts) != 6 {
		t.Fatalf("%d instances, want 6", len(insts))
	}
	b.wantState(t, id, "FINISHED")
}
