package sfn_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// testState runs TestState through the wire.
func testState(t *testing.T, c *sfn.Client, b *bundle, in *sfn.TestStateInput) *sfn.TestStateOutput {
	t.Helper()
	if in.RoleArn == nil {
		in.RoleArn = aws.String("arn:aws:iam::000000000000:role/test")
	}
	out, err := c.TestState(b.Ctx, in)
	if err != nil {
		t.Fatalf("TestState %s: %v", aws.ToString(in.Definition), err)
	}
	return out
}

func TestTestStatePassLevels(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := syncClient(b)
	def := `{"Type":"Pass","InputPath":"$.in","Parameters":{"v.$":"$.v","k":"fixed"},"ResultPath":"$.r","OutputPath":"$.r","Next":"After"}`

	info := testState(t, c, b, &sfn.TestStateInput{Definition: aws.String(def), Input: aws.String(`{"in":{"v":7}}`)})
	if info.Status != types.TestExecutionStatusSucceeded || aws.ToString(info.NextState) != "After" || !servertest.JSONEqual(t, aws.ToString(info.Output), `{"v":7,"k":"fixed"}`) {
		t.Errorf("INFO: status %s next %s output %s", info.Status, aws.ToString(info.NextState), aws.ToString(info.Output))
	}
	if info.InspectionData != nil {
		t.Errorf("INFO: inspectionData %+v, want none", info.InspectionData)
	}

	for _, lvl := range []types.InspectionLevel{types.InspectionLevelDebug, types.InspectionLevelTrace} {
		out := testState(t, c, b, &sfn.TestStateInput{Definition: aws.String(def), Input: aws.String(`{"in":{"v":7}}`), InspectionLevel: lvl})
		d := out.InspectionData
		if d == nil {
			t.Fatalf("%s: no inspectionData", lvl)
		}
		for name, c := range map[string]struct{ got, want string }{
			"input":               {aws.ToString(d.Input), `{"in":{"v":7}}`},
			"afterInputPath":      {aws.ToString(d.AfterInputPath), `{"v":7}`},
			"afterParameters":     {aws.ToString(d.AfterParameters), `{"v":7,"k":"fixed"}`},
			"result":              {aws.ToString(d.Result), `{"v":7,"k":"fixed"}`},
			"afterResultSelector": {aws.ToString(d.AfterResultSelector), `{"v":7,"k":"fixed"}`},
			"afterResultPath":     {aws.ToString(d.AfterResultPath), `{"in":{"v":7},"r":{"v":7,"k":"fixed"}}`},
		} {
			if !servertest.JSONEqual(t, c.got, c.want) {
				t.Errorf("%s: %s = %s, want %s", lvl, name, c.got, c.want)
			}
		}
	}
}

func TestTestStateChoiceWaitFailVariables(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := syncClient(b)
	choice := `{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":10,"Next":"Big"}],"Default":"Small"}`
	if out := testState(t, c, b, &sfn.TestStateInput{Definition: aws.String(choice), Input: aws.String(`{"n":11}`)}); out.Status != types.TestExecutionStatusSucceeded || aws.ToString(out.NextState) != "Big" {
		t.Errorf("Choice 11: %s %s", out.Status, aws.ToString(out.NextState))
	}
	if out := testState(t, c, b, &sfn.TestStateInput{Definition: aws.String(choice), Input: aws.String(`{"n":1}`)}); aws.ToString(out.NextState) != "Small" {
		t.Errorf("Choice 1: %s %s", out.Status, aws.ToString(out.NextState))
	}
	noDefault := `{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"One"}]}`
	if out := testState(t, c, b, &sfn.TestStateInput{Definition: aws.String(noDefault), Input: aws.String(`{"n":2}`)}); out.Status != types.TestExecutionStatusFailed || aws.ToString(out.Error) != "States.NoChoiceMatched" {
		t.Errorf("Choice without a match: %s %s", out.Status, aws.ToString(out.Error))
	}

	// A Wait state does not wait.
	wait := testState(t, c, b, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Wait","Seconds":3600,"Next":"Later"}`), Input: aws.String(`{"a":1}`)})
	if wait.Status != types.TestExecutionStatusSucceeded || aws.ToString(wait.NextState) != "Later" || aws.ToString(wait.Output) != `{"a":1}` {
		t.Errorf("Wait: %s %s %s", wait.Status, aws.ToString(wait.NextState), aws.ToString(wait.Output))
	}

	fail := testState(t, c, b, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Fail","ErrorPath":"$.e","Cause":"because"}`), Input: aws.String(`{"e":"Custom"}`), InspectionLevel: types.InspectionLevelDebug})
	if fail.Status != types.TestExecutionStatusFailed || aws.ToString(fail.Error) != "Custom" || aws.ToString(fail.Cause) != "because" || fail.Output != nil {
		t.Errorf("Fail: %s %s %s", fail.Status, aws.ToString(fail.Error), aws.ToString(fail.Cause))
	}

	// Variables given go in; Assign's show in inspectionData.variables.
	assign := `{"Type":"Pass","Parameters":{"seen.$":"$greeting"},"Assign":{"count":2},"End":true}`
	out := testState(t, c, b, &sfn.TestStateInput{Definition: aws.String(assign), Variables: aws.String(`{"greeting":"hi"}`), InspectionLevel: types.InspectionLevelDebug})
	if !servertest.JSONEqual(t, aws.ToString(out.Output), `{"seen":"hi"}`) || out.NextState != nil {
		t.Errorf("variables: output %s next %v", aws.ToString(out.Output), out.NextState)
	}
	if out.InspectionData == nil || !servertest.JSONEqual(t, aws.ToString(out.InspectionData.Variables), `{"greeting":"hi","count":2}`) {
		t.Errorf("variables after: %+v", out.InspectionData)
	}

	// A whole state machine and stateName.
	whole := `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Result":"b","End":true}}}`
	if out := testState(t, c, b, &sfn.TestStateInput{Definition: aws.String(whole), StateName: aws.String("B")}); aws.ToString(out.Output) != `"b"` {
		t.Errorf("stateName B: %s", aws.ToString(out.Output))
	}
	_, err := c.TestState(b.Ctx, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","Nxt":"X"}`), RoleArn: aws.String("arn:aws:iam::000000000000:role/test")})
	servertest.WantClientError(t, "TestState of a bad state", err, "InvalidDefinition")
	_, err = c.TestState(b.Ctx, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","End":true}`), Input: aws.String("{"), RoleArn: aws.String("arn:aws:iam::000000000000:role/test")})
	servertest.WantClientError(t, "TestState with bad input", err, "InvalidExecutionInput")
	_, err = c.TestState(b.Ctx, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","End":true}`), Mock: &types.MockInput{Result: aws.String("{}")}})
	servertest.WantClientError(t, "TestState of a Pass state with a mock", err, "ValidationException")
}

func TestTestStateTask(t *testing.T) {
	t.Parallel()
	fl := newFakeLambda(t)
	b := &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{LambdaEndpoint: fl.URL})).SFN()}
	c := syncClient(b)

	// A Lambda call, made.
	call := `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"echo","Payload.$":"$"},"ResultSelector":{"p.$":"$.Payload"},"ResultPath":"$.out","Next":"N"}`
	out := testState(t, c, b, &sfn.TestStateInput{Definition: aws.String(call), Input: aws.String(`{"q":1}`), InspectionLevel: types.InspectionLevelTrace})
	if out.Status != types.TestExecutionStatusSucceeded || aws.ToString(out.NextState) != "N" || !servertest.JSONEqual(t, aws.ToString(out.Output), `{"q":1,"out":{"p":{"echo":{"q":1}}}}`) {
		t.Fatalf("Lambda: %s %s %s %s", out.Status, aws.ToString(out.Output), aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	if d := out.InspectionData; d == nil || !strings.Contains(aws.ToString(d.Result), `"StatusCode":200`) || !servertest.JSONEqual(t, aws.ToString(d.AfterResultSelector), `{"p":{"echo":{"q":1}}}`) ||
		!servertest.JSONEqual(t, aws.ToString(d.AfterParameters), `{"FunctionName":"echo","Payload":{"q":1}}`) {
		t.Errorf("Lambda inspection: %+v", out.InspectionData)
	}
	if fn := <-fl.got; fn != "echo" {
		t.Errorf("called %s", fn)
	}

	// A function error, retried: RETRIABLE with the retrier; past its
	// attempts, caught: CAUGHT_ERROR with the catcher's Next.
	boom := `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"boom","Payload":{}},
		"Retry":[{"ErrorEquals":["Other"]},{"ErrorEquals":["BadThing"],"MaxAttempts":2,"IntervalSeconds":3}],
		"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Recover"}],"End":true}`
	out = testState(t, c, b, &sfn.TestStateInput{Definition: aws.String(boom), Input: aws.String(`{}`)})
	if out.Status != types.TestExecutionStatusRetriable || aws.ToString(out.Error) != "BadThing" {
		t.Fatalf("boom: %s %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	if d := out.InspectionData; d == nil || d.ErrorDetails == nil || aws.ToInt32(d.ErrorDetails.RetryIndex) != 1 || aws.ToInt32(d.ErrorDetails.RetryBackoffIntervalSeconds) != 3 {
		t.Errorf("boom retry details: %+v", out.InspectionData)
	}
	out = testState(t, c, b, &sfn.TestStateInput{Definition: aws.String(boom), StateConfiguration: &types.TestStateConfiguration{RetrierRetryCount: aws.Int32(2)}})
	if out.Status != types.TestExecutionStatusCaughtError || aws.ToString(out.NextState) != "Recover" || !strings.Contains(aws.ToString(out.Output), `"Error":"BadThing"`) {
		t.Errorf("boom caught: %s %s %s", out.Status, aws.ToString(out.NextState), aws.ToString(out.Output))
	}
	if d := out.InspectionData; d == nil || d.ErrorDetails == nil || aws.ToInt32(d.ErrorDetails.CatchIndex) != 0 {
		t.Errorf("boom catch details: %+v", out.InspectionData)
	}

	// A mocked integration gaffer cannot call; a mocked error without a
	// handler fails the state.
	sqs := `{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"q","MessageBody.$":"$"},"End":true}`
	out = testState(t, c, b, &sfn.TestStateInput{Definition: aws.String(sqs), Mock: &types.MockInput{Result: aws.String(`{"MessageId":"m-1"}`)}})
	if out.Status != types.TestExecutionStatusSucceeded || aws.ToString(out.Output) != `{"MessageId":"m-1"}` {
		t.Errorf("mocked sqs: %s %s", out.Status, aws.ToString(out.Output))
	}
	out = testState(t, c, b, &sfn.TestStateInput{Definition: aws.String(sqs), Mock: &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String("SQS.Down"), Cause: aws.String("no")}}})
	if out.Status != types.TestExecutionStatusFailed || aws.ToString(out.Error) != "SQS.Down" || aws.ToString(out.Cause) != "no" {
		t.Errorf("mocked sqs error: %s %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	_, err := c.TestState(b.Ctx, &sfn.TestStateInput{Definition: aws.String(sqs), RoleArn: aws.String("arn:aws:iam::000000000000:role/test")})
	servertest.WantClientError(t, "TestState of an unmocked SQS task", err, "ValidationException")

	// Activities run only mocked, as on AWS; so do Map and Parallel.
	act := b.Activity(t)
	_, err = c.TestState(b.Ctx, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","Resource":"` + act + `","End":true}`), RoleArn: aws.String("arn:aws:iam::000000000000:role/test")})
	servertest.WantClientError(t, "TestState of an activity", err, "ValidationException")
	out = testState(t, c, b, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","Resource":"` + act + `","End":true}`), Mock: &types.MockInput{Result: aws.String(`"done"`)}})
	if aws.ToString(out.Output) != `"done"` {
		t.Errorf("mocked activity: %s %s", out.Status, aws.ToString(out.Output))
	}
	par := `{"Type":"Parallel","Branches":[{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}],"ResultSelector":{"first.$":"$[0]"},"End":true}`
	out = testState(t, c, b, &sfn.TestStateInput{Definition: aws.String(par), Mock: &types.MockInput{Result: aws.String(`[{"a":1}]`)}})
	if !servertest.JSONEqual(t, aws.ToString(out.Output), `{"first":{"a":1}}`) {
		t.Errorf("mocked Parallel: %s %s %s", out.Status, aws.ToString(out.Output), aws.ToString(out.Error))
	}
	_, err = c.TestState(b.Ctx, &sfn.TestStateInput{Definition: aws.String(par), RoleArn: aws.String("arn:aws:iam::000000000000:role/test")})
	servertest.WantClientError(t, "TestState of an unmocked Parallel", err, "ValidationException")
}
