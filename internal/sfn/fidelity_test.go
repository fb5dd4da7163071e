package sfn_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// errorMessage returns the message of an API error ("" for another error).
func errorMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

// encryptionEqual compares two encryption configurations as the wire shows
// them.
func encryptionEqual(got *types.EncryptionConfiguration, want types.EncryptionConfiguration) bool {
	return got != nil && got.Type == want.Type && aws.ToString(got.KmsKeyId) == aws.ToString(want.KmsKeyId) &&
		aws.ToInt32(got.KmsDataKeyReusePeriodSeconds) == aws.ToInt32(want.KmsDataKeyReusePeriodSeconds)
}

// encryptionConfiguration is validated as the model and AWS require,
// stored, and described; an activity's may not be changed by a second
// CreateActivity; a state machine's is changed by UpdateStateMachine, and
// an execution keeps the one its machine had when it started.
func TestEncryptionConfiguration(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cmk := types.EncryptionConfiguration{Type: types.EncryptionTypeCustomerManagedKmsKey, KmsKeyId: aws.String("alias/gaffer-test"), KmsDataKeyReusePeriodSeconds: aws.Int32(120)}
	owned := types.EncryptionConfiguration{Type: types.EncryptionTypeAwsOwnedKey}

	// Refused: a customer managed key without its id; a reuse period out of
	// the model's 60..900.
	_, err := b.Client.CreateActivity(b.Ctx, &sfn.CreateActivityInput{Name: aws.String(servertest.Uniq("enc")), EncryptionConfiguration: &types.EncryptionConfiguration{Type: types.EncryptionTypeCustomerManagedKmsKey}})
	cpWantCode(t, "CreateActivity with a customer managed key and no kmsKeyId", err, "InvalidEncryptionConfiguration")
	if msg := errorMessage(err); !strings.Contains(msg, "kmsKeyId") {
		t.Errorf("message %q does not name kmsKeyId", msg)
	}
	for _, secs := range []int32{59, 901} {
		bad := cmk
		bad.KmsDataKeyReusePeriodSeconds = aws.Int32(secs)
		_, err = b.Client.CreateActivity(b.Ctx, &sfn.CreateActivityInput{Name: aws.String(servertest.Uniq("enc")), EncryptionConfiguration: &bad})
		cpWantCode(t, "CreateActivity with kmsDataKeyReusePeriodSeconds out of range", err, "ValidationException")
	}
	_, err = b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{Name: aws.String(servertest.Uniq("enc")), Definition: aws.String(cpPassDef), RoleArn: aws.String(cpRole),
		EncryptionConfiguration: &types.EncryptionConfiguration{Type: types.EncryptionTypeCustomerManagedKmsKey}})
	cpWantCode(t, "CreateStateMachine with a customer managed key and no kmsKeyId", err, "InvalidEncryptionConfiguration")

	// An activity: stored and described; the same settings again are
	// idempotent, other settings ActivityAlreadyExists.
	name := servertest.Uniq("enc-act")
	act, err := b.Client.CreateActivity(b.Ctx, &sfn.CreateActivityInput{Name: aws.String(name), EncryptionConfiguration: &cmk})
	if err != nil {
		t.Fatalf("CreateActivity: %v", err)
	}
	desc, err := b.Client.DescribeActivity(b.Ctx, &sfn.DescribeActivityInput{ActivityArn: act.ActivityArn})
	if err != nil || !encryptionEqual(desc.EncryptionConfiguration, cmk) {
		t.Fatalf("DescribeActivity = %+v, %v; want %+v", desc.EncryptionConfiguration, err, cmk)
	}
	if again, err := b.Client.CreateActivity(b.Ctx, &sfn.CreateActivityInput{Name: aws.String(name), EncryptionConfiguration: &cmk}); err != nil || aws.ToString(again.ActivityArn) != aws.ToString(act.ActivityArn) {
		t.Fatalf("identical CreateActivity = %+v, %v", again, err)
	}
	for what, other := range map[string]*types.EncryptionConfiguration{"none": nil, "AWS owned": &owned, "another key": {Type: types.EncryptionTypeCustomerManagedKmsKey, KmsKeyId: aws.String("alias/other")}} {
		_, err := b.Client.CreateActivity(b.Ctx, &sfn.CreateActivityInput{Name: aws.String(name), EncryptionConfiguration: other})
		cpWantCode(t, "CreateActivity with encryption "+what, err, "ActivityAlreadyExists")
	}
	// Without settings: AWS's own key, and giving it explicitly is the same.
	plain := b.Activity(t)
	desc, err = b.Client.DescribeActivity(b.Ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(plain)})
	if err != nil || !encryptionEqual(desc.EncryptionConfiguration, owned) {
		t.Fatalf("DescribeActivity of a plain activity = %+v, %v; want AWS_OWNED_KEY", desc.EncryptionConfiguration, err)
	}
	if _, err := b.Client.CreateActivity(b.Ctx, &sfn.CreateActivityInput{Name: aws.String(plain[strings.LastIndex(plain, ":")+1:]), EncryptionConfiguration: &owned}); err != nil {
		t.Fatalf("CreateActivity with AWS_OWNED_KEY over a plain activity: %v", err)
	}

	// A state machine.
	smName := servertest.Uniq("enc-sm")
	created, err := b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{Name: aws.String(smName), Definition: aws.String(cpPassDef), RoleArn: aws.String(cpRole), EncryptionConfiguration: &cmk})
	if err != nil {
		t.Fatalf("CreateStateMachine: %v", err)
	}
	sm := aws.ToString(created.StateMachineArn)
	d, err := b.Client.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(sm)})
	if err != nil || !encryptionEqual(d.EncryptionConfiguration, cmk) {
		t.Fatalf("DescribeStateMachine = %+v, %v; want %+v", d.EncryptionConfiguration, err, cmk)
	}
	_, err = b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{Name: aws.String(smName), Definition: aws.String(cpPassDef), RoleArn: aws.String(cpRole)})
	cpWantCode(t, "CreateStateMachine with other encryption settings", err, "StateMachineAlreadyExists")
	exec := b.Start(t, sm, `{}`)
	if _, err := b.Client.UpdateStateMachine(b.Ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(sm), EncryptionConfiguration: &owned}); err != nil {
		t.Fatalf("UpdateStateMachine with only encryptionConfiguration: %v", err)
	}
	d, err = b.Client.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(sm)})
	if err != nil || !encryptionEqual(d.EncryptionConfiguration, owned) {
		t.Fatalf("DescribeStateMachine after update = %+v, %v; want AWS_OWNED_KEY", d.EncryptionConfiguration, err)
	}
	fe, err := b.Client.DescribeStateMachineForExecution(b.Ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: aws.String(exec)})
	if err != nil || !encryptionEqual(fe.EncryptionConfiguration, cmk) {
		t.Fatalf("DescribeStateMachineForExecution = %+v, %v; want the settings at start %+v", fe.EncryptionConfiguration, err, cmk)
	}
	_, err = b.Client.UpdateStateMachine(b.Ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(sm), EncryptionConfiguration: &types.EncryptionConfiguration{Type: types.EncryptionTypeCustomerManagedKmsKey}})
	cpWantCode(t, "UpdateStateMachine with a customer managed key and no kmsKeyId", err, "InvalidEncryptionConfiguration")
}

// A page token belongs to the call that made it: the same operation, on the
// same resource, with the same filters and order.
func TestPageTokenBoundToFilters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, cpTaskDef, act)
	for range 2 {
		b.Start(t, sm, `{}`)
	}
	var aborted string
	for range 2 {
		aborted = b.Start(t, sm, `{}`)
		if _, err := b.Client.StopExecution(b.Ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(aborted)}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := b.Client.ListExecutions(b.Ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm), StatusFilter: types.ExecutionStatusRunning, MaxResults: 1})
	if err != nil || page.NextToken == nil {
		t.Fatalf("ListExecutions(RUNNING) = %+v, %v; want a next page", page, err)
	}
	// The same call goes on.
	next, err := b.Client.ListExecutions(b.Ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm), StatusFilter: types.ExecutionStatusRunning, MaxResults: 1, NextToken: page.NextToken})
	if err != nil || len(next.Executions) != 1 || next.Executions[0].Status != types.ExecutionStatusRunning {
		t.Fatalf("second page = %+v, %v", next, err)
	}
	for what, in := range map[string]*sfn.ListExecutionsInput{
		"another status filter": {StateMachineArn: aws.String(sm), StatusFilter: types.ExecutionStatusAborted, NextToken: page.NextToken},
		"no status filter":      {StateMachineArn: aws.String(sm), NextToken: page.NextToken},
		"a redrive filter":      {StateMachineArn: aws.String(sm), StatusFilter: types.ExecutionStatusRunning, RedriveFilter: types.ExecutionRedriveFilterRedriven, NextToken: page.NextToken},
	} {
		_, err := b.Client.ListExecutions(b.Ctx, in)
		cpWantCode(t, "ListExecutions token with "+what, err, "InvalidToken")
	}
	_, err = b.Client.ListStateMachines(b.Ctx, &sfn.ListStateMachinesInput{NextToken: page.NextToken})
	cpWantCode(t, "ListExecutions token on ListStateMachines", err, "InvalidToken")

	hist, err := b.Client.GetExecutionHistory(b.Ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(aborted), MaxResults: 1})
	if err != nil || hist.NextToken == nil {
		t.Fatalf("GetExecutionHistory = %+v, %v; want a next page", hist, err)
	}
	_, err = b.Client.GetExecutionHistory(b.Ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(aborted), ReverseOrder: true, NextToken: hist.NextToken})
	cpWantCode(t, "history token with reverseOrder changed", err, "InvalidToken")
	_, err = b.Client.GetExecutionHistory(b.Ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(aborted), IncludeExecutionData: aws.Bool(false), NextToken: hist.NextToken})
	cpWantCode(t, "history token with includeExecutionData changed", err, "InvalidToken")
	if _, err := b.Client.GetExecutionHistory(b.Ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(aborted), IncludeExecutionData: aws.Bool(true), NextToken: hist.NextToken}); err != nil {
		t.Fatalf("history token with includeExecutionData true (the default): %v", err)
	}
}

// Page tokens expire 24 hours after they were issued, as AWS documents.
func TestPageTokenExpires(t *testing.T) {
	t.Parallel()
	var clock servertest.Clock
	b := &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{Now: clock.Now})).SFN()}
	b.Activity(t)
	b.Activity(t)
	page, err := b.Client.ListActivities(b.Ctx, &sfn.ListActivitiesInput{MaxResults: 1})
	if err != nil || page.NextToken == nil {
		t.Fatalf("ListActivities = %+v, %v; want a next page", page, err)
	}
	clock.Advance(23 * time.Hour)
	if _, err := b.Client.ListActivities(b.Ctx, &sfn.ListActivitiesInput{MaxResults: 1, NextToken: page.NextToken}); err != nil {
		t.Fatalf("a 23-hour-old token: %v", err)
	}
	clock.Advance(time.Hour + time.Minute)
	_, err = b.Client.ListActivities(b.Ctx, &sfn.ListActivitiesInput{MaxResults: 1, NextToken: page.NextToken})
	cpWantCode(t, "a token older than 24 hours", err, "InvalidToken")
	if msg := errorMessage(err); !strings.Contains(msg, "maximum lifetime") {
		t.Errorf("message %q does not say the token expired", msg)
	}
}

// The create and update checks AWS makes beyond the model's constraints.
func TestCreateUpdateValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sm := b.Machine(t, cpPassDef, "")
	create := func(mod func(*sfn.CreateStateMachineInput)) error {
		in := &sfn.CreateStateMachineInput{Name: aws.String(servertest.Uniq("val")), Definition: aws.String(cpPassDef), RoleArn: aws.String(cpRole)}
		mod(in)
		_, err := b.Client.CreateStateMachine(b.Ctx, in)
		return err
	}

	// versionDescription without publish: true.
	err := create(func(in *sfn.CreateStateMachineInput) { in.VersionDescription = aws.String("v1") })
	cpWantCode(t, "CreateStateMachine with versionDescription and no publish", err, "ValidationException")
	if msg := errorMessage(err); msg != "Version description can only be set when publish is true" {
		t.Errorf("message %q", msg)
	}
	_, err = b.Client.UpdateStateMachine(b.Ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(sm), Definition: aws.String(cpPassDef), VersionDescription: aws.String("v2")})
	cpWantCode(t, "UpdateStateMachine with versionDescription and no publish", err, "ValidationException")

	// Role ARNs that are not an IAM role's: InvalidArn, in AWS's words.
	for _, role := range []string{
		"not-a-role",
		"arn:aws:iam::12345:role/short-account",
		"arn:aws:iam::aws:policy/AWSBatchFullAccess",
		"arn:aws:iam::000000000000:user/someone",
		"arn:aws:iam:us-east-1:000000000000:role/regional",
		"arn:aws:sts::000000000000:assumed-role/r/s",
		"arn:aws:iam::000000000000:role/",
	} {
		err := create(func(in *sfn.CreateStateMachineInput) { in.RoleArn = aws.String(role) })
		cpWantCode(t, "CreateStateMachine with role "+role, err, "InvalidArn")
		if msg, want := errorMessage(err), "Invalid Role Arn: '"+role+"'"; msg != want {
			t.Errorf("role %s: message %q, want %q", role, msg, want)
		}
		_, err = b.Client.UpdateStateMachine(b.Ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(sm), RoleArn: aws.String(role)})
		cpWantCode(t, "UpdateStateMachine with role "+role, err, "InvalidArn")
	}
	for _, role := range []string{"arn:aws:iam::000000000000:role/service-role/StepFunctions-x", "arn:aws-cn:iam::000000000000:role/r", "arn:aws:iam::000000000000:role/a+b=c,d.e@f-g_h"} {
		if err := create(func(in *sfn.CreateStateMachineInput) { in.RoleArn = aws.String(role) }); err != nil {
			t.Errorf("CreateStateMachine with role %s: %v", role, err)
		}
	}

	// Logging: one destination at most, required unless OFF, a log group ARN
	// ending with ":*".
	group := func(arn string) types.LogDestination {
		return types.LogDestination{CloudWatchLogsLogGroup: &types.CloudWatchLogsLogGroup{LogGroupArn: aws.String(arn)}}
	}
	good := "arn:aws:logs:us-east-1:000000000000:log-group:/aws/states/x:*"
	for what, l := range map[string]*types.LoggingConfiguration{
		"ALL without a destination": {Level: types.LogLevelAll},
		"two destinations":          {Level: types.LogLevelAll, Destinations: []types.LogDestination{group(good), group(good)}},
		"a log group without :*":    {Level: types.LogLevelError, Destinations: []types.LogDestination{group(strings.TrimSuffix(good, ":*"))}},
	} {
		err := create(func(in *sfn.CreateStateMachineInput) { in.LoggingConfiguration = l })
		cpWantCode(t, "CreateStateMachine with logging "+what, err, "InvalidLoggingConfiguration")
		_, err = b.Client.UpdateStateMachine(b.Ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(sm), LoggingConfiguration: l})
		cpWantCode(t, "UpdateStateMachine with logging "+what, err, "InvalidLoggingConfiguration")
	}
	if err := create(func(in *sfn.CreateStateMachineInput) {
		in.LoggingConfiguration = &types.LoggingConfiguration{Level: types.LogLevelAll, Destinations: []types.LogDestination{group(good)}}
	}); err != nil {
		t.Errorf("CreateStateMachine with a good logging configuration: %v", err)
	}

	// PENDING_REDRIVE lists a Map Run's children only.
	_, err = b.Client.ListExecutions(b.Ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm), StatusFilter: types.ExecutionStatusPendingRedrive})
	cpWantCode(t, "ListExecutions of a state machine with PENDING_REDRIVE", err, "ValidationException")
}
