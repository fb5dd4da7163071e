package sfn_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// noHostPrefix is the Go SDK v2's way past the model's "sync-" host
// prefix of StartSyncExecution and TestState (README, "Reaching
// StartSyncExecution and TestState on a local endpoint"): without it the
// SDK calls http://sync-127.0.0.1:PORT, which does not resolve.
func noHostPrefix(o *sfn.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("DisableHostPrefix",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
			}), middleware.Before)
	})
}

// syncClient returns a client of b's server that reaches StartSyncExecution
// and TestState.
func syncClient(b *bundle) *sfn.Client {
	return sfn.NewFromConfig(servertest.AWSConfig(b.URL), noHostPrefix)
}

// expressMachine creates an EXPRESS state machine.
func expressMachine(t *testing.T, b *bundle, definition string) string {
	t.Helper()
	out, err := b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{
		Name: aws.String(servertest.Uniq("express")), Definition: aws.String(definition),
		RoleArn: aws.String("arn:aws:iam::000000000000:role/test"), Type: types.StateMachineTypeExpress,
	})
	if err != nil {
		t.Fatalf("CreateStateMachine EXPRESS: %v", err)
	}
	return aws.ToString(out.StateMachineArn)
}

const threePasses = `{"StartAt":"A","States":{
	"A":{"Type":"Pass","Result":{"n":1},"ResultPath":"$.a","Next":"B"},
	"B":{"Type":"Pass","Parameters":{"sum.$":"States.MathAdd($.a.n, $.x)"},"ResultPath":"$.b","Next":"C"},
	"C":{"Type":"Succeed","OutputPath":"$.b"}}}`

func TestExpressSyncSucceeds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := syncClient(b)
	sm := expressMachine(t, b, threePasses)
	d, err := b.Client.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(sm)})
	servertest.OK(t, "DescribeStateMachine", err)
	if d.Type != types.StateMachineTypeExpress {
		t.Errorf("type %s, want EXPRESS", d.Type)
	}
	out, err := c.StartSyncExecution(b.Ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String("one"), Input: aws.String(`{"x":41}`), TraceHeader: aws.String("Root=1-abc")})
	servertest.OK(t, "StartSyncExecution", err)
	if out.Status != types.SyncExecutionStatusSucceeded || !servertest.JSONEqual(t, aws.ToString(out.Output), `{"sum":42}`) {
		t.Fatalf("status %s output %s error %s %s", out.Status, aws.ToString(out.Output), aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	arn := aws.ToString(out.ExecutionArn)
	if !strings.HasPrefix(arn, strings.Replace(sm, ":stateMachine:", ":express:", 1)+":one:") {
		t.Errorf("execution ARN %s: want the express form arn:…:express:MACHINE:one:UUID", arn)
	}
	if aws.ToString(out.StateMachineArn) != sm || aws.ToString(out.Name) != "one" || aws.ToString(out.TraceHeader) != "Root=1-abc" {
		t.Errorf("stateMachineArn %s name %s traceHeader %s", aws.ToString(out.StateMachineArn), aws.ToString(out.Name), aws.ToString(out.TraceHeader))
	}
	if aws.ToString(out.Input) != `{"x":41}` || out.InputDetails == nil || !out.InputDetails.Included || out.OutputDetails == nil || !out.OutputDetails.Included {
		t.Errorf("input %s inputDetails %+v outputDetails %+v", aws.ToString(out.Input), out.InputDetails, out.OutputDetails)
	}
	if out.StartDate == nil || out.StopDate == nil || out.StopDate.Before(*out.StartDate) {
		t.Errorf("startDate %v stopDate %v", out.StartDate, out.StopDate)
	}
	bd := out.BillingDetails
	if bd == nil || bd.BilledMemoryUsedInMB != 64 || bd.BilledDurationInMilliseconds < 100 || bd.BilledDurationInMilliseconds%100 != 0 {
		t.Errorf("billingDetails %+v: want 64 MB and a duration in 100 ms steps", bd)
	}

	// A name may be used again (the ARN has a UUID of its own), and
	// METADATA_ONLY leaves the data out.
	again, err := c.StartSyncExecution(b.Ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String("one"), Input: aws.String(`{"x":1}`), IncludedData: types.IncludedDataMetadataOnly})
	servertest.OK(t, "StartSyncExecution again", err)
	if aws.ToString(again.ExecutionArn) == arn || again.Status != types.SyncExecutionStatusSucceeded || again.Input != nil || again.Output != nil {
		t.Errorf("again: arn %s status %s input %v output %v", aws.ToString(again.ExecutionArn), again.Status, again.Input, again.Output)
	}

	// What AWS does not offer for Express executions.
	_, err = b.Client.DescribeExecution(b.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	servertest.WantClientError(t, "DescribeExecution of an Express execution", err, "InvalidArn")
	_, err = b.Client.GetExecutionHistory(b.Ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	servertest.WantClientError(t, "GetExecutionHistory of an Express execution", err, "InvalidArn")
	_, err = b.Client.StopExecution(b.Ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(arn)})
	servertest.WantClientError(t, "StopExecution of an Express execution", err, "InvalidArn")
	_, err = b.Client.ListExecutions(b.Ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm)})
	servertest.WantClientError(t, "ListExecutions of an Express state machine", err, "StateMachineTypeNotSupported")
}

func TestExpressSyncFailsAndTimesOut(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := syncClient(b)
	fail := expressMachine(t, b, `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"F"},"F":{"Type":"Fail","Error":"Bad","Cause":"it went wrong"}}}`)
	out, err := c.StartSyncExecution(b.Ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(fail)})
	servertest.OK(t, "StartSyncExecution (fails)", err)
	if out.Status != types.SyncExecutionStatusFailed || aws.ToString(out.Error) != "Bad" || aws.ToString(out.Cause) != "it went wrong" || out.Output != nil {
		t.Errorf("failed: status %s error %s cause %s output %v", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause), out.Output)
	}
	if aws.ToString(out.Input) != "{}" || out.BillingDetails == nil {
		t.Errorf("failed: input %s billing %+v", aws.ToString(out.Input), out.BillingDetails)
	}

	// TimeoutSeconds below the five-minute limit ends a waiting execution.
	slow := expressMachine(t, b, `{"TimeoutSeconds":1,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":600,"End":true}}}`)
	out, err = c.StartSyncExecution(b.Ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(slow)})
	servertest.OK(t, "StartSyncExecution (times out)", err)
	if out.Status != types.SyncExecutionStatusTimedOut || aws.ToString(out.Error) != "States.Timeout" || out.Output != nil {
		t.Errorf("timed out: status %s error %s output %v", out.Status, aws.ToString(out.Error), out.Output)
	}
	if bd := out.BillingDetails; bd == nil || bd.BilledDurationInMilliseconds < 1000 {
		t.Errorf("timed out: billingDetails %+v, want at least 1000 ms", bd)
	}
}

func TestExpressLambdaSyncAndAsync(t *testing.T) {
	t.Parallel()
	fl := newFakeLambda(t)
	b := &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{LambdaEndpoint: fl.URL})).SFN()}
	c := syncClient(b)
	sm := expressMachine(t, b, `{"StartAt":"Call","States":{
		"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"echo","Payload.$":"$"},"ResultSelector":{"p.$":"$.Payload"},"Next":"Done"},
		"Done":{"Type":"Pass","End":true}}}`)
	out, err := c.StartSyncExecution(b.Ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String(`{"k":"v"}`)})
	servertest.OK(t, "StartSyncExecution with a Lambda task", err)
	if out.Status != types.SyncExecutionStatusSucceeded || !servertest.JSONEqual(t, aws.ToString(out.Output), `{"p":{"echo":{"k":"v"}}}`) {
		t.Fatalf("status %s output %s error %s %s", out.Status, aws.ToString(out.Output), aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	<-fl.got

	// Asynchronous: StartExecution answers at once with an Express ARN,
	// is not idempotent on the name, and the execution runs.
	var arns []string
	for range 2 {
		st, err := b.Client.StartExecution(b.Ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String("same"), Input: aws.String(`{"async":true}`)})
		servertest.OK(t, "StartExecution of an Express state machine", err)
		arns = append(arns, aws.ToString(st.ExecutionArn))
	}
	if arns[0] == arns[1] || !strings.Contains(arns[0], ":express:") {
		t.Errorf("async ARNs %v: want two distinct express ARNs", arns)
	}
	for range 2 {
		if fn := <-fl.got; fn != "echo" {
			t.Errorf("async execution called %s", fn)
		}
	}
	_, err = b.Client.DescribeExecution(b.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arns[0])})
	servertest.WantClientError(t, "DescribeExecution of an async Express execution", err, "InvalidArn")
}

func TestExpressRefusals(t *testing.T) {
	t.Parallel()
	fl := newFakeLambda(t)
	b := &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{LambdaEndpoint: fl.URL})).SFN()}
	act := b.Activity(t)
	create := func(def string) error {
		_, err := b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{
			Name: aws.String(servertest.Uniq("x")), Definition: aws.String(def), RoleArn: aws.String("arn:aws:iam::000000000000:role/test"), Type: types.StateMachineTypeExpress,
		})
		return err
	}
	err := create(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + act + `","End":true}}}`)
	servertest.WantClientError(t, "an activity in an EXPRESS machine", err, "InvalidDefinition")
	if err == nil || !strings.Contains(err.Error(), "Activity") {
		t.Errorf("activity refusal: %v", err)
	}
	err = create(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","Parameters":{"FunctionName":"f","Payload":{"t.$":"$$.Task.Token"}},"End":true}}}`)
	servertest.WantClientError(t, ".waitForTaskToken in an EXPRESS machine", err, "InvalidDefinition")
	if err == nil || !strings.Contains(err.Error(), ".waitForTaskToken") {
		t.Errorf(".waitForTaskToken refusal: %v", err)
	}
	v, err := b.Client.ValidateStateMachineDefinition(b.Ctx, &sfn.ValidateStateMachineDefinitionInput{
		Definition: aws.String(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + act + `","End":true}}}`), Type: types.StateMachineTypeExpress,
	})
	servertest.OK(t, "ValidateStateMachineDefinition EXPRESS", err)
	if v.Result != types.ValidateStateMachineDefinitionResultCodeFail || len(v.Diagnostics) != 1 || aws.ToString(v.Diagnostics[0].Code) != "SCHEMA_VALIDATION_FAILED" {
		t.Errorf("validate: %s %+v", v.Result, v.Diagnostics)
	}

	// UpdateStateMachine checks an Express machine's new definition alike.
	sm := expressMachine(t, b, `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	_, err = b.Client.UpdateStateMachine(b.Ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(sm),
		Definition: aws.String(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + act + `","End":true}}}`)})
	servertest.WantClientError(t, "UpdateStateMachine of an EXPRESS machine to an activity", err, "InvalidDefinition")

	// StartSyncExecution runs Express state machines only.
	std := b.Machine(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, "")
	_, err = syncClient(b).StartSyncExecution(b.Ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(std)})
	servertest.WantClientError(t, "StartSyncExecution of a STANDARD machine", err, "StateMachineTypeNotSupported")
	_, err = syncClient(b).StartSyncExecution(b.Ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String("{")})
	servertest.WantClientError(t, "StartSyncExecution with bad input", err, "InvalidExecutionInput")
	_, err = syncClient(b).StartSyncExecution(b.Ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(sm + "nope")})
	servertest.WantClientError(t, "StartSyncExecution of a missing machine", err, "StateMachineDoesNotExist")
}

// boto3SyncScript calls StartSyncExecution with boto3, host prefix
// injection off, and prints the status and output.
const boto3SyncScript = `
import sys, boto3, botocore
s = boto3.session.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="us-east-1")
cfg = botocore.config.Config(retries={"max_attempts": 1}, inject_host_prefix=False)
out = s.client("stepfunctions", endpoint_url=sys.argv[1], config=cfg).start_sync_execution(stateMachineArn=sys.argv[2], input='{"x":1}')
print(out["status"], out["output"], out["billingDetails"]["billedMemoryUsedInMB"])
`

func TestExpressSyncBoto3(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sm := expressMachine(t, b, threePasses)
	cmd := exec.Command(python3, "-c", boto3SyncScript, b.URL, sm)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "AWS_EC2_METADATA_DISABLED=true"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3 (%s with Debian's python3-boto3; scripts/test-deps installs it): %v\n%s", python3, err, out)
	}
	if got := strings.TrimSpace(string(out)); got != `SUCCEEDED {"sum":2} 64` {
		t.Errorf("boto3 start_sync_execution: %q", got)
	}
}

// python3 is Debian's, with its python3-boto3 package (scripts/test-deps).
const python3 = "/usr/bin/python3"
