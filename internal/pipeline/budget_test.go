package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// The evaluation budget (package expr: MaxSteps, MaxBytes, MaxLen) over
// the wire: refused when a definition is put where it is known then, a
// failed attempt where it depends on values given at activation.

// fanOut returns fields myL1..myL<depth>, each referring width times to
// the next; the last is leaf.
func fanOut(width, depth int, leaf string) []types.Field {
	var fs []types.Field
	for i := 1; i < depth; i++ {
		fs = append(fs, str(fmt.Sprintf("myL%d", i), strings.Repeat(fmt.Sprintf("#{myL%d}", i+1), width)))
	}
	return append(fs, str(fmt.Sprintf("myL%d", depth), leaf))
}

// bounded returns a context that ends the test's calls if one hangs.
func bounded(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantFieldError fails unless errs hold, for object id, an error on field
// key containing each of want.
func wantFieldError(t *testing.T, what string, errs []types.ValidationError, id, key string, want ...string) {
	t.Helper()
	for _, e := range errs {
		if aws.ToString(e.Id) != id {
			continue
		}
		for _, msg := range e.Errors {
			if !strings.HasPrefix(msg, "INVALID_EXPRESSION: field '"+key+"'") {
				continue
			}
			for _, w := range want {
				if !strings.Contains(msg, w) {
					t.Fatalf("%s: error %q lacks %q", what, msg, w)
				}
			}
			return
		}
	}
	t.Fatalf("%s: no INVALID_EXPRESSION error on field %s of %s in %s", what, key, id, servertest.PipelineErrors(errs))
}

// The reported definition: fields 40 wide and 7 deep (40^7 references).
// PutPipelineDefinition and ValidatePipelineDefinition answer at once, the
// field named; the definition is not saved.
func TestPutRefusesExpressionFanOut(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := bounded(t)
	id := b.Create(t, "fanout")
	objs := []types.PipelineObject{
		onDemand(servertest.Uniq("wg")),
		shell("Act", append([]types.Field{str("scriptArgument", "#{myL1}")}, fanOut(40, 7, "x")...)...),
	}
	put, err := b.Client.PutPipelineDefinition(ctx, &datapipeline.PutPipelineDefinitionInput{PipelineId: aws.String(id), PipelineObjects: objs})
	servertest.OK(t, "PutPipelineDefinition", err)
	if !put.Errored {
		t.Fatal("PutPipelineDefinition accepted fields whose references fan out 40^7 times")
	}
	wantFieldError(t, "PutPipelineDefinition", put.ValidationErrors, "Act", "myL1", "more than 10000 steps", "refer to fewer fields")
	wantFieldError(t, "PutPipelineDefinition", put.ValidationErrors, "Act", "scriptArgument", "more than 10000 steps")
	val, err := b.Client.ValidatePipelineDefinition(ctx, &datapipeline.ValidatePipelineDefinitionInput{PipelineId: aws.String(id), PipelineObjects: objs})
	servertest.OK(t, "ValidatePipelineDefinition", err)
	if !val.Errored {
		t.Fatal("ValidatePipelineDefinition found no error")
	}
	wantFieldError(t, "ValidatePipelineDefinition", val.ValidationErrors, "Act", "myL1", "more than 10000 steps")
	got, err := b.Client.GetPipelineDefinition(ctx, &datapipeline.GetPipelineDefinitionInput{PipelineId: aws.String(id)})
	servertest.OK(t, "GetPipelineDefinition", err)
	if len(got.PipelineObjects) != 0 {
		t.Fatalf("the refused definition was saved: %d objects", len(got.PipelineObjects))
	}

	// Inherited, the field is refused once, where it is first met.
	objs = []types.PipelineObject{
		obj("Default", append([]types.Field{str("scheduleType", "ondemand"), str("workerGroup", "wg")}, fanOut(40, 7, "x")...)...),
		shell("Act", str("scriptArgument", "#{myL1}")),
	}
	put, err = b.Client.PutPipelineDefinition(ctx, &datapipeline.PutPipelineDefinitionInput{PipelineId: aws.String(id), PipelineObjects: objs})
	servertest.OK(t, "PutPipelineDefinition inherited", err)
	wantFieldError(t, "PutPipelineDefinition inherited", put.ValidationErrors, "Act", "scriptArgument", "more than 10000 steps")
	wantFieldError(t, "PutPipelineDefinition inherited", put.ValidationErrors, "Default", "myL1", "more than 10000 steps")
	if n := strings.Count(servertest.PipelineErrors(put.ValidationErrors), "field 'myL1'"); n != 1 {
		t.Fatalf("myL1 reported %d times: %s", n, servertest.PipelineErrors(put.ValidationErrors))
	}
}

// A value longer than 10,240 characters once evaluated (AWS's limit on a
// field value) is refused when it reads no runtime value; up to the limit
// it evaluates.
func TestPutRefusesOverlongEvaluatedValue(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := bounded(t)
	id := b.Create(t, "overlong")
	def := func(leaf int) []types.PipelineObject {
		return []types.PipelineObject{
			onDemand(servertest.Uniq("wg")),
			shell("Act", fanOut(40, 2, strings.Repeat("y", leaf))...),
		}
	}
	put, err := b.Client.PutPipelineDefinition(ctx, &datapipeline.PutPipelineDefinitionInput{PipelineId: aws.String(id), PipelineObjects: def(300)})
	servertest.OK(t, "PutPipelineDefinition", err)
	if !put.Errored {
		t.Fatal("PutPipelineDefinition accepted a field of 12,000 characters once evaluated")
	}
	wantFieldError(t, "PutPipelineDefinition", put.ValidationErrors, "Act", "myL1", "longer than 10240 characters")

	b.Put(t, id, def(256)) // 10,240 characters: the limit
	out, err := b.Client.EvaluateExpression(ctx, &datapipeline.EvaluateExpressionInput{
		PipelineId: aws.String(id), ObjectId: aws.String("Act"), Expression: aws.String("#{myL1}"),
	})
	servertest.OK(t, "EvaluateExpression", err)
	if n := len(aws.ToString(out.EvaluatedExpression)); n != 10240 {
		t.Fatalf("EvaluateExpression gave %d characters, want 10240", n)
	}
	// An expression given to EvaluateExpression has the same budget.
	_, err = b.Client.EvaluateExpression(ctx, &datapipeline.EvaluateExpressionInput{
		PipelineId: aws.String(id), ObjectId: aws.String("Act"), Expression: aws.String("#{myL1}#{myL2}"),
	})
	servertest.WantClientError(t, "EvaluateExpression over the limit", err, "InvalidRequestException")
	if !strings.Contains(err.Error(), "longer than 10240 characters") {
		t.Fatalf("EvaluateExpression error %v does not say the value is too long", err)
	}
}

// A definition whose values grow past the limit only with the parameter
// value given at activation runs: PollForTask fails each attempt it
// cannot build (retried as any failed attempt, maximumRetries), answers
// promptly, and the instance ends FAILED with the reason.
func TestParameterBlowUpFailsAttempt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := bounded(t)
	wg := servertest.Uniq("wg")
	id := b.Create(t, "param-blowup")
	fields := []types.Field{str("maximumRetries", "1"), str("myL1", strings.Repeat("#{myL2}", 40)), str("myL2", strings.Repeat("#{myWord}", 40))}
	put, err := b.Client.PutPipelineDefinition(ctx, &datapipeline.PutPipelineDefinitionInput{
		PipelineId:       aws.String(id),
		PipelineObjects:  []types.PipelineObject{onDemand(wg), obj("Act", append([]types.Field{str("type", "ShellCommandActivity"), str("command", "echo #{myL1}")}, fields...)...)},
		ParameterObjects: []types.ParameterObject{param("myWord", "type", "String", "default", "x")},
	})
	servertest.OK(t, "PutPipelineDefinition", err)
	if put.Errored {
		t.Fatalf("PutPipelineDefinition errored: %s", servertest.PipelineErrors(put.ValidationErrors))
	}
	// 1,600 characters with the default; 160,000 with this value.
	_, err = b.Client.ActivatePipeline(ctx, &datapipeline.ActivatePipelineInput{
		PipelineId: aws.String(id), ParameterValues: []types.ParameterValue{value("myWord", strings.Repeat("w", 100))},
	})
	servertest.OK(t, "ActivatePipeline", err)

	var inst map[string]string
	for range 10 {
		out, err := b.Client.PollForTask(ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String(wg), Hostname: aws.String("host-1")})
		servertest.OK(t, "PollForTask", err)
		if out.TaskObject != nil {
			t.Fatalf("PollForTask handed out %s, whose command is over the budget", aws.ToString(out.TaskObject.AttemptId))
		}
		insts := b.objects(t, id, "INSTANCE")
		if len(insts) != 1 {
			t.Fatalf("instances = %v", insts)
		}
		for _, f := range insts {
			inst = f
		}
		if inst["@status"] == "FAILED" {
			break
		}
	}
	const reason = "The task could not be built: field 'command' of 'Act': '#{myL1}': the evaluated value is longer than 10240 characters"
	if inst["@status"] != "FAILED" || inst["@attemptCount"] != "2" || inst["errorId"] != "Service_ExpressionBudgetExceeded" || !strings.HasPrefix(inst["errorMessage"], reason) {
		t.Fatalf("instance = %v; want FAILED after 2 attempts, with %q", inst, reason)
	}
	atts := b.objects(t, id, "ATTEMPT")
	if len(atts) != 2 {
		t.Fatalf("attempts = %v", atts)
	}
	for aid, f := range atts {
		if f["@status"] != "FAILED" || !strings.HasPrefix(f["errorMessage"], reason) {
			t.Fatalf("attempt %s = %v", aid, f)
		}
	}
	b.wantState(t, id, "FINISHED")

	// Evaluating the attempts' fields answers the reason too; the
	// component's are evaluated with the definition's parameter values.
	for aid := range atts {
		_, err = b.Client.DescribeObjects(ctx, &datapipeline.DescribeObjectsInput{PipelineId: aws.String(id), ObjectIds: []string{aid}, EvaluateExpressions: true})
		servertest.WantClientError(t, "DescribeObjects evaluateExpressions of "+aid, err, "InvalidRequestException")
		if !strings.Contains(err.Error(), "field 'command' of 'Act'") || !strings.Contains(err.Error(), "longer than 10240 characters") {
			t.Fatalf("DescribeObjects error %v does not name the field and the limit", err)
		}
	}
	d, err := b.Client.DescribeObjects(ctx, &datapipeline.DescribeObjectsInput{PipelineId: aws.String(id), ObjectIds: []string{"Act"}, EvaluateExpressions: true})
	servertest.OK(t, "DescribeObjects evaluateExpressions of Act", err)
	if got := servertest.PipelineFields(d.PipelineObjects[0].Fields)["command"]; got != "echo "+strings.Repeat("x", 1600) {
		t.Fatalf("command = %q", got)
	}
	// Without evaluating, the objects are described as ever.
	d, err = b.Client.DescribeObjects(ctx, &datapipeline.DescribeObjectsInput{PipelineId: aws.String(id), ObjectIds: []string{"Act"}})
	servertest.OK(t, "DescribeObjects", err)
	if got := servertest.PipelineFields(d.PipelineObjects[0].Fields)["command"]; got != "echo #{myL1}" {
		t.Fatalf("command = %q", got)
	}
}
