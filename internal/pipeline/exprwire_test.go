package pipeline_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"
	"github.com/aws/smithy-go"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// runningTask activates an on-demand pipeline whose activity Echo runs
// command, and polls its task.
func runningTask(t *testing.T, command string, fields ...types.Field) (*bundle, string, *types.TaskObject) {
	t.Helper()
	b := setup(t)
	wg := servertest.Uniq("wg")
	echo := obj("Echo", append([]types.Field{str("type", "ShellCommandActivity"), str("command", command)}, fields...)...)
	id := b.activated(t, onDemand(wg), echo)
	return b, id, b.poll(t, wg)
}

// scheduledStart returns the @scheduledStartTime of the task's instance.
func scheduledStart(t *testing.T, task *types.TaskObject) (string, time.Time) {
	t.Helper()
	inst := strings.TrimSuffix(aws.ToString(task.AttemptId), "_Attempt=1")
	s := servertest.PipelineFields(task.Objects[inst].Fields)["@scheduledStartTime"]
	start, err := time.Parse("2006-01-02T15:04:05", s)
	if err != nil {
		t.Fatalf("instance %s: @scheduledStartTime %q: %v", inst, s, err)
	}
	return inst, start
}

func TestEvaluateExpressionFunctionOnInstance(t *testing.T) {
	t.Parallel()
	b, id, task := runningTask(t, "echo hello")
	inst, start := scheduledStart(t, task)
	for _, tc := range []struct{ expr, want string }{
		{"#{format(minusDays(@scheduledStartTime,1),'YYYY-MM-dd')}", start.AddDate(0, 0, -1).Format("2006-01-02")},
		{"s3://b/#{format(@scheduledStartTime,'YYYY/MM/dd')}/#{1 + 2}/#{2 ^ 2}", "s3://b/" + start.Format("2006/01/02") + "/3/4.0"},
		{"#{plusHours(@scheduledStartTime,1)}", start.Add(time.Hour).Format("2006-01-02T15:04:05")},
	} {
		out, err := b.Client.EvaluateExpression(b.Ctx, &datapipeline.EvaluateExpressionInput{
			PipelineId: aws.String(id), ObjectId: aws.String(inst), Expression: aws.String(tc.expr),
		})
		servertest.OK(t, "EvaluateExpression "+tc.expr, err)
		if got := aws.ToString(out.EvaluatedExpression); got != tc.want {
			t.Errorf("EvaluateExpression %s = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

func TestPollForTaskEvaluatesFunctions(t *testing.T) {
	t.Parallel()
	_, _, task := runningTask(t,
		"echo #{format(@scheduledStartTime,'YYYY')} #{format(plusDays(@scheduledStartTime,1),'MMM d')} #{myCount * 2}",
		str("myCount", "21"))
	_, start := scheduledStart(t, task)
	att := servertest.PipelineFields(task.Objects[aws.ToString(task.AttemptId)].Fields)
	if want := "echo " + start.Format("2006") + " " + start.AddDate(0, 0, 1).Format("Jan 2") + " 42"; att["command"] != want {
		t.Fatalf("attempt's command = %q, want %q", att["command"], want)
	}
}

func TestPollForTaskEvaluatesReferencedObjects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wg := servertest.Uniq("wg")
	b.activated(t, onDemand(wg),
		obj("In", str("type", "S3DataNode"), str("directoryPath", "s3://bucket/#{format(@scheduledStartTime,'YYYY-MM-dd')}/#{@id}")),
		obj("Copy", str("type", "ShellCommandActivity"), str("command", "cat #{input.directoryPath}"), ref("input", "In")))
	task := b.poll(t, wg)
	_, start := scheduledStart(t, task)
	want := "s3://bucket/" + start.Format("2006-01-02") + "/In"
	if got := servertest.PipelineFields(task.Objects["In"].Fields)["directoryPath"]; got != want {
		t.Fatalf("data node's directoryPath = %q, want %q", got, want)
	}
	if got := servertest.PipelineFields(task.Objects[aws.ToString(task.AttemptId)].Fields)["command"]; got != "cat "+want {
		t.Fatalf("attempt's command = %q, want %q", got, "cat "+want)
	}
}

func TestEvaluateExpressionBadCall(t *testing.T) {
	t.Parallel()
	b, id, task := runningTask(t, "echo hello")
	inst, _ := scheduledStart(t, task)
	for _, tc := range []struct{ object, expr, want string }{
		{inst, "x #{minusDays('abc',1)}", `Cannot evaluate '#{minusDays('abc',1)}' in the context of '` + inst + `': minusDays expects (DateTime, Integer), got (String "abc", Integer 1)`},
		{aws.ToString(task.AttemptId), "#{plusDays(@scheduledStartTime, 1 + 'x')}", `plusDays expects (DateTime, Integer), got (DateTime `},
		{inst, "#{nope}", `'nope' is not a field of 'Echo', a parameter or a runtime field`},
		{"Echo", "#{format(@scheduledStartTime,'YYYY')}", `'@scheduledStartTime' is a runtime field: it has a value in the context of an instance or attempt, not of component 'Echo'`},
		{inst, "#{fromat(@scheduledStartTime,'YYYY')}", `unknown function 'fromat'; did you mean 'format'?`},
		{inst, "#{minusDays(@scheduledStartTime)}", `minusDays takes 2 arguments (DateTime, Integer), got 1`},
	} {
		_, err := b.Client.EvaluateExpression(b.Ctx, &datapipeline.EvaluateExpressionInput{
			PipelineId: aws.String(id), ObjectId: aws.String(tc.object), Expression: aws.String(tc.expr),
		})
		servertest.WantClientError(t, "EvaluateExpression "+tc.expr, err, "InvalidRequestException")
		var ae smithy.APIError
		errors.As(err, &ae) // wantCode made sure it is one
		if !strings.Contains(ae.ErrorMessage(), tc.want) {
			t.Errorf("EvaluateExpression %s on %s: message %q, want it to contain %q", tc.expr, tc.object, ae.ErrorMessage(), tc.want)
		}
	}
}

func TestPutPipelineDefinitionRejectsUnknownFunction(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.Create(t, "unknown-function")
	objs := append(servertest.HelloPipeline(),
		obj("Typo", str("type", "ShellCommandActivity"), ref("parent", "Default"), ref("schedule", "Schedule"),
			str("command", "echo #{fromat(@scheduledStartTime,'YYYY')}")),
		obj("Count", str("type", "ShellCommandActivity"), ref("parent", "Default"), ref("schedule", "Schedule"),
			str("command", "echo #{minusDays(@scheduledStartTime)}")))
	out, err := b.Client.PutPipelineDefinition(b.Ctx, &datapipeline.PutPipelineDefinitionInput{PipelineId: aws.String(id), PipelineObjects: objs})
	servertest.OK(t, "PutPipelineDefinition", err)
	if !out.Errored {
		t.Fatalf("errored = false, want true (errors %s)", servertest.PipelineErrors(out.ValidationErrors))
	}
	got := servertest.PipelineErrors(out.ValidationErrors)
	for _, want := range []string{
		"Typo: INVALID_EXPRESSION: field 'command': expression '#{fromat(@scheduledStartTime,'YYYY')}': unknown function 'fromat'; did you mean 'format'?",
		"Count: INVALID_EXPRESSION: field 'command': expression '#{minusDays(@scheduledStartTime)}': minusDays takes 2 arguments (DateTime, Integer), got 1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("validation errors %s lack %q", got, want)
		}
	}
	def, err := b.Client.GetPipelineDefinition(b.Ctx, &datapipeline.GetPipelineDefinitionInput{PipelineId: aws.String(id)})
	if err == nil && len(def.PipelineObjects) != 0 {
		t.Fatalf("an errored definition was saved: %d objects", len(def.PipelineObjects))
	}
}
