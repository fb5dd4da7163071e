package server_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	dptypes "github.com/aws/aws-sdk-go-v2/service/datapipeline/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// Data Pipeline authorizes the pipeline operations on the pipeline's ARN:
// two identities, each allowed its own pipeline, cannot see or change each
// other's. CreatePipeline, ListPipelines and the task runner's operations
// name no resource on AWS (authorized on "*"), and listings filter
// nothing.
func TestAuthorizationDataPipeline(t *testing.T) {
	t.Parallel()
	const anyResource = `{"Effect":"Allow","Action":["datapipeline:CreatePipeline","datapipeline:ListPipelines"],"Resource":"*"}`
	ids := servertest.Identities(t, map[string]string{
		"AKIDALICE": policyDoc(anyResource),
		"AKIDBOB":   policyDoc(anyResource),
		// Task runners: datapipeline:PollForTask etc. on "*", denied the
		// rest by a NotAction deny.
		"AKIDRUNNER": policyDoc(
			`{"Effect":"Allow","Action":"datapipeline:*","Resource":"*"}`,
			`{"Effect":"Deny","NotAction":["datapipeline:PollForTask","datapipeline:ReportTask*","datapipeline:SetTaskStatus"],"Resource":"*"}`),
	})
	srv := servertest.Start(t, servertest.Options{MaxPollWait: 50 * time.Millisecond, Authenticate: ids.Authenticate})
	ctx := context.Background()
	as := func(akid string) *datapipeline.Client {
		return datapipeline.NewFromConfig(servertest.IdentityConfig(srv.URL(), akid))
	}
	alice, bob, runner := as("AKIDALICE"), as("AKIDBOB"), as("AKIDRUNNER")
	denied := func(what string, err error) {
		t.Helper()
		servertest.WantClientError(t, what, err, accessDenied)
	}
	create := func(c *datapipeline.Client, who string) string {
		out, err := c.CreatePipeline(ctx, &datapipeline.CreatePipelineInput{Name: aws.String(who), UniqueId: aws.String(who)})
		servertest.OK(t, who+" CreatePipeline", err)
		return *out.PipelineId
	}
	aliceID, bobID := create(alice, "alice"), create(bob, "bob")
	// Each is allowed everything on its own pipeline.
	own := func(id string) string {
		return `{"Effect":"Allow","Action":"datapipeline:*","Resource":"arn:aws:datapipeline:us-east-1:000000000000:pipeline/` + id + `"}`
	}
	ids.Set(t, "AKIDALICE", policyDoc(anyResource, own(aliceID)))
	ids.Set(t, "AKIDBOB", policyDoc(anyResource, own(bobID)))

	_, err := alice.DescribePipelines(ctx, &datapipeline.DescribePipelinesInput{PipelineIds: []string{aliceID}})
	servertest.OK(t, "alice DescribePipelines", err)
	_, err = bob.DescribePipelines(ctx, &datapipeline.DescribePipelinesInput{PipelineIds: []string{bobID, aliceID}})
	denied("bob DescribePipelines alice's", err)
	_, err = bob.GetPipelineDefinition(ctx, &datapipeline.GetPipelineDefinitionInput{PipelineId: aws.String(aliceID)})
	denied("bob GetPipelineDefinition", err)
	objs := []dptypes.PipelineObject{servertest.PipelineObject("Default", servertest.PipelineString("scheduleType", "ondemand"), servertest.PipelineString("workerGroup", "wg"))}
	_, err = bob.PutPipelineDefinition(ctx, &datapipeline.PutPipelineDefinitionInput{PipelineId: aws.String(aliceID), PipelineObjects: objs})
	denied("bob PutPipelineDefinition", err)
	_, err = bob.ActivatePipeline(ctx, &datapipeline.ActivatePipelineInput{PipelineId: aws.String(aliceID)})
	denied("bob ActivatePipeline", err)
	_, err = bob.QueryObjects(ctx, &datapipeline.QueryObjectsInput{PipelineId: aws.String(aliceID), Sphere: aws.String("COMPONENT")})
	denied("bob QueryObjects", err)
	_, err = bob.AddTags(ctx, &datapipeline.AddTagsInput{PipelineId: aws.String(aliceID), Tags: []dptypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	denied("bob AddTags", err)
	_, err = bob.DeletePipeline(ctx, &datapipeline.DeletePipelineInput{PipelineId: aws.String(aliceID)})
	denied("bob DeletePipeline", err)
	list, err := bob.ListPipelines(ctx, &datapipeline.ListPipelinesInput{})
	servertest.OK(t, "bob ListPipelines", err)
	if !slices.ContainsFunc(list.PipelineIdList, func(p dptypes.PipelineIdName) bool { return *p.Id == aliceID }) {
		t.Errorf("bob ListPipelines lacks alice's pipeline: %+v", list.PipelineIdList)
	}

	// Alice runs her pipeline; the runner polls and reports (its actions
	// are on "*"), and may do nothing else.
	_, err = alice.PutPipelineDefinition(ctx, &datapipeline.PutPipelineDefinitionInput{PipelineId: aws.String(aliceID), PipelineObjects: append(objs,
		servertest.PipelineObject("Cmd", servertest.PipelineString("type", "ShellCommandActivity"), servertest.PipelineString("command", "true")))})
	servertest.OK(t, "alice PutPipelineDefinition", err)
	_, err = alice.ActivatePipeline(ctx, &datapipeline.ActivatePipelineInput{PipelineId: aws.String(aliceID)})
	servertest.OK(t, "alice ActivatePipeline", err)
	_, err = runner.DescribePipelines(ctx, &datapipeline.DescribePipelinesInput{PipelineIds: []string{aliceID}})
	denied("runner DescribePipelines", err)
	_, err = runner.ListPipelines(ctx, &datapipeline.ListPipelinesInput{})
	denied("runner ListPipelines", err)
	_, err = alice.PollForTask(ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String("wg")})
	denied("alice PollForTask", err)
	task, err := runner.PollForTask(ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String("wg")})
	servertest.OK(t, "runner PollForTask", err)
	if task.TaskObject == nil {
		t.Fatal("runner PollForTask: no task")
	}
	_, err = runner.ReportTaskProgress(ctx, &datapipeline.ReportTaskProgressInput{TaskId: task.TaskObject.TaskId})
	servertest.OK(t, "runner ReportTaskProgress", err)
	_, err = alice.SetTaskStatus(ctx, &datapipeline.SetTaskStatusInput{TaskId: task.TaskObject.TaskId, TaskStatus: dptypes.TaskStatusFinished})
	denied("alice SetTaskStatus", err)
	_, err = runner.SetTaskStatus(ctx, &datapipeline.SetTaskStatusInput{TaskId: task.TaskObject.TaskId, TaskStatus: dptypes.TaskStatusFinished})
	servertest.OK(t, "runner SetTaskStatus", err)
}
