package pipeline_test

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// slowClock reads a whole second, then moves a millisecond per real
// second: every activation of a short test falls in the same second.
func slowClock() func() time.Time {
	base, start := time.Now().Truncate(time.Second), time.Now()
	return func() time.Time { return base.Add(time.Since(start) / 1000) }
}

// Instance and attempt ids belong to their pipeline, as on AWS: pipelines
// with the same component ids activated in the same second each get
// "@Work_<time>" and "@Work_<time>_Attempt=1" (no suffix of gaffer's own),
// each its own object, and DescribeObjects and EvaluateExpression on one
// pipeline do not find another's. (Before, ids were global: the second
// pipeline got "@Work_<time>_2", and DescribeObjects on pipeline B with A's
// instance id answered A's instance with B's component fields.)
func TestInstanceIDsBelongToTheirPipeline(t *testing.T) {
	t.Parallel()
	b := &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{Now: slowClock()})).DataPipeline()}
	const n = 3
	pipelines := make([]string, n)
	for i := range n {
		wg := servertest.Uniq("wg")
		pipelines[i] = b.activated(t, onDemand(wg), shell("Work", str("stage", "false"), str("note", "pipeline "+string(rune('A'+i)))))
		task := b.poll(t, wg)
		if aws.ToString(task.PipelineId) != pipelines[i] {
			t.Fatalf("pipeline %d: task of pipeline %s, want %s", i, aws.ToString(task.PipelineId), pipelines[i])
		}
		b.progress(t, *task.TaskId)
		b.setStatus(t, *task.TaskId, types.TaskStatusFinished, "", "")
	}
	var instID, attID string
	for i, p := range pipelines {
		insts := b.objects(t, p, "INSTANCE")
		atts := b.objects(t, p, "ATTEMPT")
		if len(insts) != 1 || len(atts) != 1 {
			t.Fatalf("pipeline %d: %d instances and %d attempts, want 1 and 1", i, len(insts), len(atts))
		}
		inst := slices.Collect(maps.Keys(insts))[0]
		att := slices.Collect(maps.Keys(atts))[0]
		if !strings.HasPrefix(inst, "@Work_") || strings.Count(inst, "_") != 1 {
			t.Errorf("pipeline %d: instance id %q, want @Work_<time>", i, inst)
		}
		if att != inst+"_Attempt=1" {
			t.Errorf("pipeline %d: attempt id %q, want %q", i, att, inst+"_Attempt=1")
		}
		if i == 0 {
			instID, attID = inst, att
		} else if inst != instID || att != attID {
			t.Errorf("pipeline %d: ids %s, %s; want the first pipeline's %s, %s (activated in the same second)", i, inst, att, instID, attID)
		}
		want := "pipeline " + string(rune('A'+i))
		for id, fields := range map[string]map[string]string{inst: insts[inst], att: atts[att]} {
			if fields["note"] != want || fields["@status"] != "FINISHED" {
				t.Errorf("pipeline %d: %s has note %q and @status %q, want %q and FINISHED", i, id, fields["note"], fields["@status"], want)
			}
		}
	}

	// A pipeline without run objects does not find another's.
	wg := servertest.Uniq("wg")
	other := b.activated(t, onDemand(wg), shell("Else"))
	d, err := b.Client.DescribeObjects(b.Ctx, &datapipeline.DescribeObjectsInput{PipelineId: aws.String(other), ObjectIds: []string{instID, attID}})
	servertest.OK(t, "DescribeObjects", err)
	for _, o := range d.PipelineObjects {
		t.Errorf("DescribeObjects on %s with another pipeline's ids answered %s, want no object", other, aws.ToString(o.Id))
	}
	_, err = b.Client.EvaluateExpression(b.Ctx, &datapipeline.EvaluateExpressionInput{PipelineId: aws.String(other), ObjectId: aws.String(instID), Expression: aws.String("#{note}")})
	if got := servertest.ErrorCode(err); got != "TaskNotFoundException" {
		t.Errorf("EvaluateExpression on %s with another pipeline's instance: %v, want TaskNotFoundException (as for any object the pipeline does not have)", other, err)
	}
}
