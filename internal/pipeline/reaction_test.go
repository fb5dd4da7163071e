package pipeline_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"

	"github.com/gaffer-dev/gaffer/internal/pipeline"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// TestReactionPanicFailsInstance: a reaction that panics fails its attempt
// and instance (Service_InternalError, no retry), the runner's call that
// caused it answers as usual, and dependents cascade as for any failure.
func TestReactionPanicFailsInstance(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wg := servertest.Uniq("wg")
	bad := pipeline.PanicPrefix + "closed-A"
	id := b.activated(t, onDemand(wg), shell(bad), shell("After", ref("dependsOn", bad), str("failureAndRerunMode", "cascade")), shell("Other"))
	tasks := map[string]*types.TaskObject{}
	for range 2 {
		task := b.poll(t, wg)
		tasks[component(task)] = task
	}
	for _, task := range tasks {
		b.progress(t, aws.ToString(task.TaskId))
		b.setStatus(t, aws.ToString(task.TaskId), types.TaskStatusFinished, "", "")
	}
	want := map[string]string{bad: "FAILED", "After": "CASCADE_FAILED", "Other": "FINISHED"}
	for iid, f := range b.objects(t, id, "INSTANCE") {
		comp := strings.TrimPrefix(f["@componentParent"], "ref:")
		if f["@status"] != want[comp] {
			t.Errorf("instance %s: @status %s, want %s", iid, f["@status"], want[comp])
		}
		if comp == bad && (f["errorId"] != "Service_InternalError" || !strings.Contains(f["errorMessage"], "panics") || f["@attemptCount"] != "1") {
			t.Errorf("instance %s = %v, want Service_InternalError about the panic after one attempt", iid, f)
		}
	}
	for aid, f := range b.objects(t, id, "ATTEMPT") {
		if strings.Contains(aid, bad) && (f["@status"] != "FAILED" || f["errorId"] != "Service_InternalError") {
			t.Errorf("attempt %s = %v", aid, f)
		}
	}
	b.wantState(t, id, "FINISHED")
}
