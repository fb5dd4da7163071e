//lint:file-ignore SA1019 aws-sdk-go v1 is deprecated by AWS; covering the workers that still use it is this package's point.

package sdkv1_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/service/datapipeline"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// fields returns a pipeline object's fields as key → value, references as
// "ref:<id>".
func fields(fs []*datapipeline.Field) map[string]string {
	m := map[string]string{}
	for _, f := range fs {
		if f.RefValue != nil {
			m[aws.StringValue(f.Key)] = "ref:" + aws.StringValue(f.RefValue)
		} else {
			m[aws.StringValue(f.Key)] = aws.StringValue(f.StringValue)
		}
	}
	return m
}

// object is a pipeline object whose name is its id; fields alternate key
// and value, a value "ref:<id>" a reference.
func object(id string, kv ...string) *datapipeline.PipelineObject {
	o := &datapipeline.PipelineObject{Id: aws.String(id), Name: aws.String(id), Fields: []*datapipeline.Field{}}
	for i := 0; i+1 < len(kv); i += 2 {
		f := &datapipeline.Field{Key: aws.String(kv[i])}
		if ref, isRef := strings.CutPrefix(kv[i+1], "ref:"); isRef {
			f.RefValue = aws.String(ref)
		} else {
			f.StringValue = aws.String(kv[i+1])
		}
		o.Fields = append(o.Fields, f)
	}
	return o
}

// TestPipelineFlow defines and activates an on-demand pipeline with the v1
// Data Pipeline client and runs its one task as a task runner would.
func TestPipelineFlow(t *testing.T) {
	t.Parallel()
	env, sess := setup(t)
	c, ctx := datapipeline.New(sess), env.Ctx
	wg := servertest.Uniq("v1-wg")

	created, err := c.CreatePipelineWithContext(ctx, &datapipeline.CreatePipelineInput{Name: aws.String("v1-pipeline"), UniqueId: aws.String(servertest.Uniq("u"))})
	ok(t, "CreatePipeline", err)
	id := aws.StringValue(created.PipelineId)
	if !strings.HasPrefix(id, "df-") {
		t.Fatalf("CreatePipeline: pipelineId %q", id)
	}
	put, err := c.PutPipelineDefinitionWithContext(ctx, &datapipeline.PutPipelineDefinitionInput{
		PipelineId: aws.String(id),
		PipelineObjects: []*datapipeline.PipelineObject{
			object("Default", "scheduleType", "ondemand", "workerGroup", wg),
			object("Hello", "type", "ShellCommandActivity", "command", "echo hello", "parent", "ref:Default"),
		},
	})
	ok(t, "PutPipelineDefinition", err)
	if aws.BoolValue(put.Errored) || len(put.ValidationErrors) != 0 {
		t.Fatalf("PutPipelineDefinition = %v", put)
	}
	_, err = c.ActivatePipelineWithContext(ctx, &datapipeline.ActivatePipelineInput{PipelineId: aws.String(id)})
	ok(t, "ActivatePipeline", err)

	// The task runner: poll, report progress, finish.
	var task *datapipeline.TaskObject
	for range 10 {
		out, err := c.PollForTaskWithContext(ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String(wg), Hostname: aws.String("v1-host")})
		ok(t, "PollForTask", err)
		if task = out.TaskObject; task != nil {
			break
		}
	}
	if task == nil {
		t.Fatal("PollForTask: no task in 10 polls")
	}
	attempt := aws.StringValue(task.AttemptId)
	if aws.StringValue(task.PipelineId) != id || !strings.HasPrefix(attempt, "@Hello_") || !strings.HasSuffix(attempt, "_Attempt=1") || aws.StringValue(task.TaskId) == "" {
		t.Fatalf("task = %v", task)
	}
	att, found := task.Objects[attempt]
	if !found {
		t.Fatalf("task objects %v lack the attempt %s", task.Objects, attempt)
	}
	if fm := fields(att.Fields); fm["command"] != "echo hello" || fm["workerGroup"] != wg || fm["@status"] != "RUNNING" {
		t.Fatalf("attempt fields = %v", fm)
	}
	progress, err := c.ReportTaskProgressWithContext(ctx, &datapipeline.ReportTaskProgressInput{TaskId: task.TaskId})
	ok(t, "ReportTaskProgress", err)
	if progress.Canceled == nil || *progress.Canceled {
		t.Fatalf("ReportTaskProgress = %v, want canceled false", progress)
	}
	_, err = c.SetTaskStatusWithContext(ctx, &datapipeline.SetTaskStatusInput{TaskId: task.TaskId, TaskStatus: aws.String(datapipeline.TaskStatusFinished)})
	ok(t, "SetTaskStatus FINISHED", err)

	// The instance is FINISHED, and so is the pipeline.
	q, err := c.QueryObjectsWithContext(ctx, &datapipeline.QueryObjectsInput{PipelineId: aws.String(id), Sphere: aws.String("INSTANCE")})
	ok(t, "QueryObjects", err)
	if len(q.Ids) != 1 {
		t.Fatalf("QueryObjects INSTANCE = %v", q)
	}
	objs, err := c.DescribeObjectsWithContext(ctx, &datapipeline.DescribeObjectsInput{PipelineId: aws.String(id), ObjectIds: q.Ids})
	ok(t, "DescribeObjects", err)
	if len(objs.PipelineObjects) != 1 {
		t.Fatalf("DescribeObjects = %v", objs)
	}
	inst := fields(objs.PipelineObjects[0].Fields)
	if inst["@status"] != "FINISHED" || inst["@componentParent"] != "ref:Hello" || inst["@attemptCount"] != "1" || inst["@actualEndTime"] == "" {
		t.Fatalf("instance %s = %v", aws.StringValue(objs.PipelineObjects[0].Id), inst)
	}
	desc, err := c.DescribePipelinesWithContext(ctx, &datapipeline.DescribePipelinesInput{PipelineIds: []*string{aws.String(id)}})
	ok(t, "DescribePipelines", err)
	if st := fields(desc.PipelineDescriptionList[0].Fields)["@pipelineState"]; st != "FINISHED" {
		t.Fatalf("@pipelineState = %s, want FINISHED", st)
	}

	// The finished task's id is stale.
	_, err = c.ReportTaskProgressWithContext(ctx, &datapipeline.ReportTaskProgressInput{TaskId: task.TaskId})
	var gone *datapipeline.TaskNotFoundException
	if !errors.As(wantError(t, "ReportTaskProgress of a finished task", err, datapipeline.ErrCodeTaskNotFoundException), &gone) {
		t.Fatalf("ReportTaskProgress of a finished task: %T, want *datapipeline.TaskNotFoundException", err)
	}
}

// TestPipelineErrors checks that v1 reads gaffer's Data Pipeline errors as
// AWS's: the code (awserr.Error Code()) and the modelled exception type.
func TestPipelineErrors(t *testing.T) {
	t.Parallel()
	env, sess := setup(t)
	c, ctx := datapipeline.New(sess), env.Ctx

	_, err := c.DescribePipelinesWithContext(ctx, &datapipeline.DescribePipelinesInput{PipelineIds: []*string{aws.String("df-NOSUCHPIPELINE")}})
	var notFound *datapipeline.PipelineNotFoundException
	if !errors.As(wantError(t, "DescribePipelines of an unknown id", err, datapipeline.ErrCodePipelineNotFoundException), &notFound) {
		t.Fatalf("DescribePipelines of an unknown id: %T, want *datapipeline.PipelineNotFoundException", err)
	}
	_, err = c.SetTaskStatusWithContext(ctx, &datapipeline.SetTaskStatusInput{TaskId: aws.String("bogus"), TaskStatus: aws.String(datapipeline.TaskStatusFinished)})
	var noTask *datapipeline.TaskNotFoundException
	if !errors.As(wantError(t, "SetTaskStatus of a bogus task", err, datapipeline.ErrCodeTaskNotFoundException), &noTask) {
		t.Fatalf("SetTaskStatus of a bogus task: %T, want *datapipeline.TaskNotFoundException", err)
	}
	_, err = c.EvaluateExpressionWithContext(ctx, &datapipeline.EvaluateExpressionInput{
		PipelineId: aws.String("df-NOSUCHPIPELINE"), ObjectId: aws.String("Default"), Expression: aws.String("#{1+1}"),
	})
	if !errors.As(wantError(t, "EvaluateExpression on an unknown pipeline", err, datapipeline.ErrCodePipelineNotFoundException), &notFound) {
		t.Fatalf("EvaluateExpression on an unknown pipeline: %T, want *datapipeline.PipelineNotFoundException", err)
	}
}
