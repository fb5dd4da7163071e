package pipeline_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// Pipelines with the same component ids activated in the same second get
// distinct instances: instance ids are stored across all pipelines. (The
// bench found this with four runners: the third pipeline's instance
// overwrote the second's, and that pipeline never finished.)
func TestInstancesOfPipelinesActivatedTogetherAreDistinct(t *testing.T) {
	t.Parallel()
	b := setupRunner(t, time.Minute)
	const n = 5
	wgs := make([]string, n)
	ids := make([]string, n)
	for i := range n {
		wgs[i] = servertest.Uniq("wg")
		ids[i] = b.activated(t, onDemand(wgs[i]), shell("Work"))
	}
	seen := map[string]string{}
	for i := range n {
		task := b.poll(t, wgs[i])
		if task.PipelineId == nil || *task.PipelineId != ids[i] {
			t.Fatalf("worker group %d got a task of pipeline %v, want %s", i, task.PipelineId, ids[i])
		}
		b.progress(t, *task.TaskId)
		b.setStatus(t, *task.TaskId, types.TaskStatusFinished, "", "")
	}
	for i := range n {
		insts := b.objects(t, ids[i], "INSTANCE")
		if len(insts) != 1 {
			t.Fatalf("pipeline %d has %d instances, want 1: %v", i, len(insts), insts)
		}
		for id, fields := range insts {
			if other, dup := seen[id]; dup {
				t.Fatalf("instance id %s is shared by pipelines %s and %s", id, other, ids[i])
			}
			seen[id] = ids[i]
			if got := fields["@status"]; got != "FINISHED" {
				t.Errorf("pipeline %d instance %s: @status %q, want FINISHED", i, id, got)
			}
		}
	}
	if len(seen) != n {
		t.Fatalf("%d distinct instances, want %d", len(seen), n)
	}
}
