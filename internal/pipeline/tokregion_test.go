package pipeline_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// TestTaskIDsByRegion: a taskId is an id too. The task of a pipeline of
// one region cannot be reported on or ended from another (the node's
// default region included, either way round): TaskNotFoundException, as
// an unknown task; the attempt is untouched and its own region ends it.
func TestTaskIDsByRegion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct{ home, other string }{{"eu-west-1", "us-east-1"}, {"us-east-1", "eu-west-1"}, {"eu-west-1", "ap-south-1"}} {
		own := &bundle{&servertest.PipelineEnv{Env: b.Env, Client: regionClient(b, tc.home)}}
		other := regionClient(b, tc.other)
		wg := servertest.Uniq("wg")
		id := own.activated(t, onDemand(wg), shell("Hello", ref("parent", "Default")))
		task := own.poll(t, wg)
		what := tc.home + "'s task from " + tc.other + ": "
		_, err := other.ReportTaskProgress(b.Ctx, &datapipeline.ReportTaskProgressInput{TaskId: task.TaskId,
			Fields: []types.Field{str("progress", tc.other)}})
		servertest.WantClientError(t, what+"ReportTaskProgress", err, "TaskNotFoundException")
		for _, st := range []types.TaskStatus{types.TaskStatusFinished, types.TaskStatusFailed, types.TaskStatusFalse} {
			_, err = other.SetTaskStatus(b.Ctx, &datapipeline.SetTaskStatusInput{TaskId: task.TaskId, TaskStatus: st, ErrorId: aws.String("E")})
			servertest.WantClientError(t, what+"SetTaskStatus "+string(st), err, "TaskNotFoundException")
		}
		// Untouched: running, no foreign progress field, and its own
		// region reports on it and ends it.
		f := own.objects(t, id, "ATTEMPT")[aws.ToString(task.AttemptId)]
		if f["@status"] != "RUNNING" || f["progress"] != "" {
			t.Fatalf("%sthe attempt is %v, want RUNNING without progress", what, f)
		}
		if own.progress(t, aws.ToString(task.TaskId)) {
			t.Fatalf("%scanceled", what)
		}
		own.setStatus(t, aws.ToString(task.TaskId), types.TaskStatusFinished, "", "")
		own.wantState(t, id, "FINISHED")
		_, err = other.SetTaskStatus(b.Ctx, &datapipeline.SetTaskStatusInput{TaskId: task.TaskId, TaskStatus: types.TaskStatusFinished})
		servertest.WantClientError(t, what+"SetTaskStatus once finished", err, "TaskNotFoundException")
	}
}
