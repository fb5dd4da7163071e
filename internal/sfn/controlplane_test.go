package sfn_test

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

const (
	cpRole  = "arn:aws:iam::000000000000:role/test"
	cpRole2 = "arn:aws:iam::000000000000:role/other"
	// cpTaskDef waits on an activity, so its executions stay RUNNING.
	cpTaskDef = `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","End":true}}}`
	// cpPassDef ends at once.
	cpPassDef = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	// cpChoiceDef succeeds when $.done is true and otherwise waits on an
	// activity.
	cpChoiceDef = `{"StartAt":"C","States":{
		"C":{"Type":"Choice","Choices":[{"Variable":"$.done","BooleanEquals":true,"Next":"S"}],"Default":"T"},
		"S":{"Type":"Succeed"},
		"T":{"Type":"Task","Resource":"$ACT","End":true}}}`
)

// cpWantCode fails unless err is the AWS error code want.
func cpWantCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := servertest.ErrorCode(err); got != want {
		t.Fatalf("%s: error %v (code %q), want %s", what, err, got, want)
	}
}

// cpStatus returns the HTTP status of an SDK error (0 if it has none).
func cpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// cpLastPart returns what follows the last ':' of an ARN.
func cpLastPart(a string) string { return a[strings.LastIndexByte(a, ':')+1:] }

// cpTags turns tags into a map.
func cpTags(tags []types.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func (b *bundle) cpListTags(t *testing.T, arn string) map[string]string {
	t.Helper()
	out, err := b.Client.ListTagsForResource(b.Ctx, &sfn.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListTagsForResource(%s): %v", arn, err)
	}
	return cpTags(out.Tags)
}

// cpStartNamed starts a named execution and returns its ARN.
func (b *bundle) cpStartNamed(t *testing.T, sm, name, input string) string {
	t.Helper()
	out, err := b.Client.StartExecution(b.Ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String(name), Input: aws.String(input)})
	if err != nil {
		t.Fatalf("StartExecution(%s): %v", name, err)
	}
	return aws.ToString(out.ExecutionArn)
}

func TestCPActivityLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	name := servertest.Uniq("cp-act")
	created, err := b.Client.CreateActivity(b.Ctx, &sfn.CreateActivityInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.ActivityArn)
	if want := "arn:aws:states:us-east-1:000000000000:activity:" + name; arn != want {
		t.Fatalf("ARN %q, want %q", arn, want)
	}
	if created.CreationDate == nil || created.CreationDate.IsZero() {
		t.Fatal("no creationDate")
	}

	again, err := b.Client.CreateActivity(b.Ctx, &sfn.CreateActivityInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateActivity again: %v", err)
	}
	if got := aws.ToString(again.ActivityArn); got != arn {
		t.Fatalf("second CreateActivity ARN %q, want %q", got, arn)
	}
	if !again.CreationDate.Equal(*created.CreationDate) {
		t.Fatalf("second CreateActivity creationDate %v, want %v", again.CreationDate, created.CreationDate)
	}

	desc, err := b.Client.DescribeActivity(b.Ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(desc.ActivityArn) != arn || aws.ToString(desc.Name) != name || !desc.CreationDate.Equal(*created.CreationDate) {
		t.Fatalf("DescribeActivity = %s %s %v, want %s %s %v", aws.ToString(desc.ActivityArn), aws.ToString(desc.Name), desc.CreationDate, arn, name, created.CreationDate)
	}

	if _, err := b.Client.DeleteActivity(b.Ctx, &sfn.DeleteActivityInput{ActivityArn: aws.String(arn)}); err != nil {
		t.Fatalf("DeleteActivity: %v", err)
	}
	_, err = b.Client.DescribeActivity(b.Ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(arn)})
	cpWantCode(t, "DescribeActivity after delete", err, "ActivityDoesNotExist")
	_, err = b.Client.GetActivityTask(b.Ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(arn)})
	cpWantCode(t, "GetActivityTask after delete", err, "ActivityDoesNotExist")
	_, err = b.Client.GetActivityTask(b.Ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String("arn:aws:states:us-east-1:000000000000:activity:" + servertest.Uniq("never"))})
	cpWantCode(t, "GetActivityTask of an unknown activity", err, "ActivityDoesNotExist")
	// Deleting again succeeds, as on AWS.
	if _, err := b.Client.DeleteActivity(b.Ctx, &sfn.DeleteActivityInput{ActivityArn: aws.String(arn)}); err != nil {
		t.Fatalf("DeleteActivity again: %v", err)
	}
}

func TestCPListActivitiesPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var want []string
	for range 7 {
		want = append(want, b.Activity(t))
	}
	var got []string
	var sizes []int
	p := sfn.NewListActivitiesPaginator(b.Client, &sfn.ListActivitiesInput{MaxResults: 3})
	for p.HasMorePages() {
		page, err := p.NextPage(b.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(page.Activities))
		for _, a := range page.Activities {
			got = append(got, aws.ToString(a.ActivityArn))
			if a.CreationDate == nil || aws.ToString(a.Name) != cpLastPart(aws.ToString(a.ActivityArn)) {
				t.Errorf("list item %+v", a)
			}
		}
		if len(sizes) == 3 && page.NextToken != nil {
			t.Errorf("last page has nextToken %q", *page.NextToken)
		}
		if len(sizes) > 3 {
			t.Fatalf("more than 3 pages: %v", sizes)
		}
	}
	if !slices.Equal(sizes, []int{3, 3, 1}) {
		t.Fatalf("page sizes %v, want [3 3 1]", sizes)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v (creation order)", got, want)
	}
}

func TestCPRegionFromSigV4(t *testing.T) {
	t.Parallel()
	b := setup(t)
	eu := sfn.NewFromConfig(servertest.RegionConfig(b.Srv.URL(), "eu-west-1"))
	name := servertest.Uniq("cp-eu")
	out, err := eu.CreateActivity(b.Ctx, &sfn.CreateActivityInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.ActivityArn), "arn:aws:states:eu-west-1:000000000000:activity:"+name; got != want {
		t.Fatalf("ARN %q, want %q", got, want)
	}
	sm, err := eu.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(cpPassDef), RoleArn: aws.String(cpRole)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(sm.StateMachineArn), "arn:aws:states:eu-west-1:000000000000:stateMachine:"+name; got != want {
		t.Fatalf("state machine ARN %q, want %q", got, want)
	}
	ex, err := eu.StartExecution(b.Ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("e1")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(ex.ExecutionArn), "arn:aws:states:eu-west-1:000000000000:execution:"+name+":e1"; got != want {
		t.Fatalf("execution ARN %q, want %q", got, want)
	}
}

func TestCPStateMachineLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	def := strings.ReplaceAll(cpTaskDef, "$ACT", act)
	name := servertest.Uniq("cp-sm")
	created, err := b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(def), RoleArn: aws.String(cpRole)})
	if err != nil {
		t.Fatal(err)
	}
	sm := aws.ToString(created.StateMachineArn)
	if want := "arn:aws:states:us-east-1:000000000000:stateMachine:" + name; sm != want {
		t.Fatalf("ARN %q, want %q", sm, want)
	}
	if created.CreationDate == nil || created.CreationDate.IsZero() {
		t.Fatal("no creationDate")
	}

	desc, err := b.Client.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(sm)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(desc.StateMachineArn) != sm || aws.ToString(desc.Name) != name {
		t.Errorf("Describe ARN/name %s %s", aws.ToString(desc.StateMachineArn), aws.ToString(desc.Name))
	}
	if aws.ToString(desc.Definition) != def {
		t.Errorf("definition %q, want %q", aws.ToString(desc.Definition), def)
	}
	if aws.ToString(desc.RoleArn) != cpRole {
		t.Errorf("roleArn %q", aws.ToString(desc.RoleArn))
	}
	if desc.Type != types.StateMachineTypeStandard || desc.Status != types.StateMachineStatusActive {
		t.Errorf("type %q status %q, want STANDARD ACTIVE", desc.Type, desc.Status)
	}
	if desc.CreationDate == nil || !desc.CreationDate.Equal(*created.CreationDate) {
		t.Errorf("creationDate %v, want %v", desc.CreationDate, created.CreationDate)
	}
	if desc.LoggingConfiguration == nil || desc.LoggingConfiguration.Level != types.LogLevelOff {
		t.Errorf("loggingConfiguration %+v, want level OFF", desc.LoggingConfiguration)
	}

	// Idempotent create; conflicting creates.
	again, err := b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(def), RoleArn: aws.String(cpRole)})
	if err != nil {
		t.Fatalf("identical CreateStateMachine: %v", err)
	}
	if aws.ToString(again.StateMachineArn) != sm || !again.CreationDate.Equal(*created.CreationDate) {
		t.Fatalf("identical CreateStateMachine = %s %v, want %s %v", aws.ToString(again.StateMachineArn), again.CreationDate, sm, created.CreationDate)
	}
	_, err = b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(cpPassDef), RoleArn: aws.String(cpRole)})
	cpWantCode(t, "CreateStateMachine with another definition", err, "StateMachineAlreadyExists")
	// AWS: a different roleArn is ignored, and not updated.
	other, err := b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(def), RoleArn: aws.String(cpRole2)})
	if err != nil || aws.ToString(other.StateMachineArn) != sm {
		t.Fatalf("CreateStateMachine with another role = %+v, %v; want the existing machine", other, err)
	}
	if d, err := b.Client.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(sm)}); err != nil || aws.ToString(d.RoleArn) != cpRole {
		t.Fatalf("after a create with another role: roleArn %q, %v; want %s kept", aws.ToString(d.RoleArn), err, cpRole)
	}

	// A running execution keeps its definition across an update.
	exec := b.Start(t, sm, `{}`)
	upd, err := b.Client.UpdateStateMachine(b.Ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(sm), Definition: aws.String(cpPassDef), RoleArn: aws.String(cpRole2)})
	if err != nil {
		t.Fatalf("UpdateStateMachine: %v", err)
	}
	if upd.UpdateDate == nil || upd.UpdateDate.Before(*created.CreationDate) {
		t.Fatalf("updateDate %v, creationDate %v", upd.UpdateDate, created.CreationDate)
	}
	desc, err = b.Client.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(sm)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(desc.Definition) != cpPassDef || aws.ToString(desc.RoleArn) != cpRole2 {
		t.Fatalf("after update: definition %q role %q", aws.ToString(desc.Definition), aws.ToString(desc.RoleArn))
	}
	forExec, err := b.Client.DescribeStateMachineForExecution(b.Ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: aws.String(exec)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(forExec.Definition) != def || aws.ToString(forExec.RoleArn) != cpRole || aws.ToString(forExec.StateMachineArn) != sm || aws.ToString(forExec.Name) != name {
		t.Fatalf("DescribeStateMachineForExecution = %s %s %q %s, want the definition it started with",
			aws.ToString(forExec.StateMachineArn), aws.ToString(forExec.Name), aws.ToString(forExec.Definition), aws.ToString(forExec.RoleArn))
	}
	if d, err := b.Client.DescribeExecution(b.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(exec)}); err != nil || d.Status != types.ExecutionStatusRunning {
		t.Fatalf("execution after update: %v %v", d, err)
	}

	// Delete.
	if _, err := b.Client.DeleteStateMachine(b.Ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(sm)}); err != nil {
		t.Fatalf("DeleteStateMachine: %v", err)
	}
	_, err = b.Client.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(sm)})
	cpWantCode(t, "DescribeStateMachine after delete", err, "StateMachineDoesNotExist")
	_, err = b.Client.StartExecution(b.Ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm)})
	cpWantCode(t, "StartExecution after delete", err, "StateMachineDoesNotExist")
	_, err = b.Client.UpdateStateMachine(b.Ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(sm), Definition: aws.String(cpPassDef)})
	cpWantCode(t, "UpdateStateMachine after delete", err, "StateMachineDoesNotExist")
}

func TestCPStateMachineExpressListed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	name := servertest.Uniq("cp-express")
	_, err := b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{
		Name: aws.String(name), Definition: aws.String(cpPassDef), RoleArn: aws.String(cpRole), Type: types.StateMachineTypeExpress,
	})
	if err != nil {
		t.Fatalf("CreateStateMachine EXPRESS: %v", err)
	}
	list, err := b.Client.ListStateMachines(b.Ctx, &sfn.ListStateMachinesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.StateMachines) != 1 || list.StateMachines[0].Type != types.StateMachineTypeExpress {
		t.Fatalf("ListStateMachines: %+v, want the EXPRESS machine", list.StateMachines)
	}
	// Creating it again as STANDARD is another type: refused.
	_, err = b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{
		Name: aws.String(name), Definition: aws.String(cpPassDef), RoleArn: aws.String(cpRole),
	})
	cpWantCode(t, "CreateStateMachine STANDARD over EXPRESS", err, "StateMachineAlreadyExists")
}

func TestCPListStateMachinesPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var want []string
	for range 5 {
		want = append(want, b.Machine(t, cpPassDef, ""))
	}
	var got []string
	var sizes []int
	p := sfn.NewListStateMachinesPaginator(b.Client, &sfn.ListStateMachinesInput{MaxResults: 2})
	for p.HasMorePages() && len(sizes) < 10 {
		page, err := p.NextPage(b.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(page.StateMachines))
		for _, m := range page.StateMachines {
			got = append(got, aws.ToString(m.StateMachineArn))
			if m.Type != types.StateMachineTypeStandard || m.CreationDate == nil {
				t.Errorf("list item %+v", m)
			}
		}
	}
	if !slices.Equal(sizes, []int{2, 2, 1}) {
		t.Fatalf("page sizes %v, want [2 2 1]", sizes)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
}

func TestCPValidateStateMachineDefinition(t *testing.T) {
	t.Parallel()
	b := setup(t)

	good, err := b.Client.ValidateStateMachineDefinition(b.Ctx, &sfn.ValidateStateMachineDefinitionInput{
		Definition: aws.String(strings.ReplaceAll(cpChoiceDef, "$ACT", "arn:aws:states:us-east-1:000000000000:activity:a")),
	})
	if err != nil {
		t.Fatal(err)
	}
	if good.Result != types.ValidateStateMachineDefinitionResultCodeOk || len(good.Diagnostics) != 0 {
		t.Fatalf("good definition: result %s, diagnostics %+v", good.Result, good.Diagnostics)
	}

	tests := []struct {
		name       string
		definition string
		code       string
		location   string
		message    []string // substrings of the diagnostic's message
	}{
		{
			name:       "missing Next target",
			definition: `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"},"B":{"Type":"Succeed"}}}`,
			code:       "MISSING_TRANSITION_TARGET",
			location:   "/States/A/Next",
			message:    []string{"'A'", "Next", "Nowhere"},
		},
		{
			name:       "unknown state type",
			definition: `{"StartAt":"A","States":{"A":{"Type":"Bogus","End":true}}}`,
			code:       "SCHEMA_VALIDATION_FAILED",
			location:   "/States/A/Type",
			message:    []string{"'A'", "Type", "Bogus"},
		},
		{
			name:       "unreachable state",
			definition: `{"StartAt":"A","States":{"A":{"Type":"Succeed"},"Lost":{"Type":"Succeed"}}}`,
			code:       "UNREACHABLE_STATE",
			location:   "/States/Lost",
			message:    []string{"'Lost'"},
		},
		{
			name:       "StartAt names no state",
			definition: `{"StartAt":"Nope","States":{"A":{"Type":"Succeed"}}}`,
			code:       "MISSING_TRANSITION_TARGET",
			location:   "/StartAt",
			message:    []string{"StartAt", "Nope"},
		},
	}
	t.Run("maxResults truncates", func(t *testing.T) {
		t.Parallel()
		def := `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"X"},"B":{"Type":"Bogus"},"C":{"Type":"Succeed"}}}`
		all, err := b.Client.ValidateStateMachineDefinition(b.Ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(def)})
		if err != nil {
			t.Fatal(err)
		}
		if len(all.Diagnostics) < 2 || aws.ToBool(all.Truncated) {
			t.Fatalf("want several diagnostics, untruncated; got %d, truncated %v", len(all.Diagnostics), aws.ToBool(all.Truncated))
		}
		one, err := b.Client.ValidateStateMachineDefinition(b.Ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(def), MaxResults: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(one.Diagnostics) != 1 || !aws.ToBool(one.Truncated) || one.Result != types.ValidateStateMachineDefinitionResultCodeFail {
			t.Fatalf("maxResults 1: %d diagnostics, truncated %v, result %s", len(one.Diagnostics), aws.ToBool(one.Truncated), one.Result)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := b.Client.ValidateStateMachineDefinition(b.Ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(tt.definition)})
			if err != nil {
				t.Fatal(err)
			}
			if out.Result != types.ValidateStateMachineDefinitionResultCodeFail {
				t.Fatalf("result %s, want FAIL", out.Result)
			}
			found := false
			for _, d := range out.Diagnostics {
				if d.Severity != types.ValidateStateMachineDefinitionSeverityError {
					t.Errorf("diagnostic %+v: severity %s, want ERROR", d, d.Severity)
				}
				if aws.ToString(d.Code) == tt.code && aws.ToString(d.Location) == tt.location {
					found = true
					for _, s := range tt.message {
						if !strings.Contains(aws.ToString(d.Message), s) {
							t.Errorf("message %q does not mention %q", aws.ToString(d.Message), s)
						}
					}
				}
			}
			if !found {
				var ds []string
				for _, d := range out.Diagnostics {
					ds = append(ds, fmt.Sprintf("%s@%s: %s", aws.ToString(d.Code), aws.ToString(d.Location), aws.ToString(d.Message)))
				}
				t.Fatalf("no %s diagnostic at %s; got %q", tt.code, tt.location, ds)
			}
			// The same definition cannot create a state machine.
			_, err = b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{Name: aws.String(servertest.Uniq("cp-bad")), Definition: aws.String(tt.definition), RoleArn: aws.String(cpRole)})
			cpWantCode(t, "CreateStateMachine", err, "InvalidDefinition")
		})
	}
}

var cpUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestCPStartAndDescribeExecution(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, cpTaskDef, act)
	smName := cpLastPart(sm)

	started, err := b.Client.StartExecution(b.Ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String("run-1"), Input: aws.String(`{"a":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	exec := aws.ToString(started.ExecutionArn)
	if want := "arn:aws:states:us-east-1:000000000000:execution:" + smName + ":run-1"; exec != want {
		t.Fatalf("execution ARN %q, want %q", exec, want)
	}
	if started.StartDate == nil || started.StartDate.IsZero() {
		t.Fatal("no startDate")
	}

	// Same name and input while running: the same execution.
	again, err := b.Client.StartExecution(b.Ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String("run-1"), Input: aws.String(`{"a":1}`)})
	if err != nil {
		t.Fatalf("idempotent StartExecution: %v", err)
	}
	if aws.ToString(again.ExecutionArn) != exec || !again.StartDate.Equal(*started.StartDate) {
		t.Fatalf("idempotent StartExecution = %s %v, want %s %v", aws.ToString(again.ExecutionArn), again.StartDate, exec, started.StartDate)
	}
	_, err = b.Client.StartExecution(b.Ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String("run-1"), Input: aws.String(`{"a":2}`)})
	cpWantCode(t, "same name, other input", err, "ExecutionAlreadyExists")

	desc, err := b.Client.DescribeExecution(b.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(exec)})
	if err != nil {
		t.Fatal(err)
	}
	if desc.Status != types.ExecutionStatusRunning || desc.StopDate != nil {
		t.Errorf("status %s stopDate %v, want RUNNING and none", desc.Status, desc.StopDate)
	}
	if !servertest.JSONEqual(t, aws.ToString(desc.Input), `{"a":1}`) {
		t.Errorf("input %q", aws.ToString(desc.Input))
	}
	if aws.ToString(desc.Name) != "run-1" || aws.ToString(desc.StateMachineArn) != sm || aws.ToString(desc.ExecutionArn) != exec {
		t.Errorf("describe %s %s %s", aws.ToString(desc.Name), aws.ToString(desc.StateMachineArn), aws.ToString(desc.ExecutionArn))
	}
	if desc.StartDate == nil || !desc.StartDate.Equal(*started.StartDate) {
		t.Errorf("startDate %v, want %v", desc.StartDate, started.StartDate)
	}
	if desc.Output != nil {
		t.Errorf("output %q on a running execution", *desc.Output)
	}
	meta, err := b.Client.DescribeExecution(b.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(exec), IncludedData: types.IncludedDataMetadataOnly})
	if err != nil {
		t.Fatal(err)
	}
	if meta.Input != nil || meta.Status != types.ExecutionStatusRunning {
		t.Errorf("METADATA_ONLY: input %v status %s", aws.ToString(meta.Input), meta.Status)
	}

	// No name: a UUID.
	anon := b.Start(t, sm, `{}`)
	if name := cpLastPart(anon); !cpUUID.MatchString(name) {
		t.Errorf("generated name %q is not a UUID", name)
	}
	if !strings.HasPrefix(anon, "arn:aws:states:us-east-1:000000000000:execution:"+smName+":") {
		t.Errorf("generated ARN %q", anon)
	}

	_, err = b.Client.StartExecution(b.Ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String(`{"a":`)})
	cpWantCode(t, "invalid JSON input", err, "InvalidExecutionInput")

	// A finished execution's name cannot be reused, even with the same input.
	pass := b.Machine(t, cpPassDef, "")
	done := b.cpStartNamed(t, pass, "once", `{"x":1}`)
	fin := b.WaitStatus(t, done, types.ExecutionStatusSucceeded)
	if fin.StopDate == nil || fin.StopDate.Before(*fin.StartDate) {
		t.Errorf("finished: startDate %v stopDate %v", fin.StartDate, fin.StopDate)
	}
	_, err = b.Client.StartExecution(b.Ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(pass), Name: aws.String("once"), Input: aws.String(`{"x":1}`)})
	cpWantCode(t, "reuse of a finished execution's name", err, "ExecutionAlreadyExists")
}

func TestCPExecutionNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sm := b.Machine(t, cpPassDef, "")
	unknown := "arn:aws:states:us-east-1:000000000000:execution:" + cpLastPart(sm) + ":nope"
	_, err := b.Client.DescribeExecution(b.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(unknown)})
	cpWantCode(t, "DescribeExecution", err, "ExecutionDoesNotExist")
	_, err = b.Client.GetExecutionHistory(b.Ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(unknown)})
	cpWantCode(t, "GetExecutionHistory", err, "ExecutionDoesNotExist")
	_, err = b.Client.DescribeStateMachineForExecution(b.Ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: aws.String(unknown)})
	cpWantCode(t, "DescribeStateMachineForExecution", err, "ExecutionDoesNotExist")
	_, err = b.Client.StopExecution(b.Ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(unknown)})
	cpWantCode(t, "StopExecution", err, "ExecutionDoesNotExist")
	_, err = b.Client.ListExecutions(b.Ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:000000000000:stateMachine:" + servertest.Uniq("nope"))})
	cpWantCode(t, "ListExecutions of an unknown state machine", err, "StateMachineDoesNotExist")
}

func TestCPListExecutions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, cpChoiceDef, act)

	running1 := b.cpStartNamed(t, sm, "e1", `{"done":false}`)
	succeeded := b.cpStartNamed(t, sm, "e2", `{"done":true}`)
	b.WaitStatus(t, succeeded, types.ExecutionStatusSucceeded)
	aborted := b.cpStartNamed(t, sm, "e3", `{"done":false}`)
	if _, err := b.Client.StopExecution(b.Ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(aborted)}); err != nil {
		t.Fatal(err)
	}
	running2 := b.cpStartNamed(t, sm, "e4", `{"done":false}`)

	list := func(t *testing.T, in sfn.ListExecutionsInput) (arns []string, sizes []int) {
		t.Helper()
		in.StateMachineArn = aws.String(sm)
		p := sfn.NewListExecutionsPaginator(b.Client, &in)
		for p.HasMorePages() && len(sizes) < 10 {
			page, err := p.NextPage(b.Ctx)
			if err != nil {
				t.Fatalf("ListExecutions: %v", err)
			}
			sizes = append(sizes, len(page.Executions))
			for _, e := range page.Executions {
				arns = append(arns, aws.ToString(e.ExecutionArn))
				if aws.ToString(e.StateMachineArn) != sm || e.StartDate == nil || aws.ToString(e.Name) != cpLastPart(aws.ToString(e.ExecutionArn)) {
					t.Errorf("list item %+v", e)
				}
				if (e.Status == types.ExecutionStatusRunning) != (e.StopDate == nil) {
					t.Errorf("%s: status %s, stopDate %v", aws.ToString(e.Name), e.Status, e.StopDate)
				}
			}
		}
		return arns, sizes
	}

	tests := []struct {
		name   string
		filter types.ExecutionStatus
		want   []string
	}{
		{"all", "", []string{running2, aborted, succeeded, running1}},
		{"RUNNING", types.ExecutionStatusRunning, []string{running2, running1}},
		{"SUCCEEDED", types.ExecutionStatusSucceeded, []string{succeeded}},
		{"ABORTED", types.ExecutionStatusAborted, []string{aborted}},
		{"FAILED", types.ExecutionStatusFailed, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _ := list(t, sfn.ListExecutionsInput{StatusFilter: tt.filter})
			if !slices.Equal(got, tt.want) {
				t.Fatalf("listed %v, want %v (newest first)", got, tt.want)
			}
		})
	}
	t.Run("paging", func(t *testing.T) {
		t.Parallel()
		got, sizes := list(t, sfn.ListExecutionsInput{MaxResults: 3})
		if !slices.Equal(sizes, []int{3, 1}) {
			t.Fatalf("page sizes %v, want [3 1]", sizes)
		}
		if want := []string{running2, aborted, succeeded, running1}; !slices.Equal(got, want) {
			t.Fatalf("listed %v, want %v", got, want)
		}
		got, sizes = list(t, sfn.ListExecutionsInput{MaxResults: 1, StatusFilter: types.ExecutionStatusRunning})
		if !slices.Equal(sizes, []int{1, 1}) || !slices.Equal(got, []string{running2, running1}) {
			t.Fatalf("RUNNING by 1: pages %v, listed %v", sizes, got)
		}
	})
	t.Run("no state machine", func(t *testing.T) {
		t.Parallel()
		_, err := b.Client.ListExecutions(b.Ctx, &sfn.ListExecutionsInput{})
		cpWantCode(t, "ListExecutions without stateMachineArn", err, "ValidationException")
		if got := cpStatus(err); got != 400 {
			t.Fatalf("status %d, want 400", got)
		}
	})
}

func TestCPGarbagePageTokens(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	b.Activity(t)
	sm := b.Machine(t, cpTaskDef, act)
	b.Machine(t, cpTaskDef, act)
	exec := b.Start(t, sm, `{}`)

	// A real token of one listing is garbage to another.
	page, err := b.Client.ListActivities(b.Ctx, &sfn.ListActivitiesInput{MaxResults: 1})
	if err != nil || page.NextToken == nil {
		t.Fatalf("ListActivities: %v, nextToken %v", err, page)
	}
	actToken := aws.ToString(page.NextToken)

	for _, tok := range []string{"garbage", "bm90IGEgdG9rZW4", actToken} {
		t.Run(tok, func(t *testing.T) {
			t.Parallel()
			calls := map[string]func() error{
				"ListStateMachines": func() error {
					_, err := b.Client.ListStateMachines(b.Ctx, &sfn.ListStateMachinesInput{NextToken: aws.String(tok)})
					return err
				},
				"ListExecutions": func() error {
					_, err := b.Client.ListExecutions(b.Ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm), NextToken: aws.String(tok)})
					return err
				},
				"GetExecutionHistory": func() error {
					_, err := b.Client.GetExecutionHistory(b.Ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(exec), NextToken: aws.String(tok)})
					return err
				},
			}
			if tok != actToken {
				calls["ListActivities"] = func() error {
					_, err := b.Client.ListActivities(b.Ctx, &sfn.ListActivitiesInput{NextToken: aws.String(tok)})
					return err
				}
			}
			for op, call := range calls {
				cpWantCode(t, op, call(), "InvalidToken")
			}
		})
	}
}

func TestCPTags(t *testing.T) {
	t.Parallel()
	b := setup(t)

	tags := []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}, {Key: aws.String("env"), Value: aws.String("dev")}}
	act, err := b.Client.CreateActivity(b.Ctx, &sfn.CreateActivityInput{Name: aws.String(servertest.Uniq("cp-tagged")), Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{
		Name: aws.String(servertest.Uniq("cp-tagged")), Definition: aws.String(cpPassDef), RoleArn: aws.String(cpRole), Tags: tags,
	})
	if err != nil {
		t.Fatal(err)
	}

	for _, arn := range []string{aws.ToString(act.ActivityArn), aws.ToString(sm.StateMachineArn)} {
		t.Run(cpLastPart(arn), func(t *testing.T) {
			t.Parallel()
			if got, want := b.cpListTags(t, arn), map[string]string{"team": "a", "env": "dev"}; !maps.Equal(got, want) {
				t.Fatalf("tags at creation %v, want %v", got, want)
			}
			_, err := b.Client.TagResource(b.Ctx, &sfn.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{
				{Key: aws.String("team"), Value: aws.String("b")}, {Key: aws.String("owner"), Value: aws.String("ops")},
			}})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := b.cpListTags(t, arn), map[string]string{"team": "b", "env": "dev", "owner": "ops"}; !maps.Equal(got, want) {
				t.Fatalf("tags after TagResource %v, want %v", got, want)
			}
			_, err = b.Client.UntagResource(b.Ctx, &sfn.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"env", "absent"}})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := b.cpListTags(t, arn), map[string]string{"team": "b", "owner": "ops"}; !maps.Equal(got, want) {
				t.Fatalf("tags after UntagResource %v, want %v", got, want)
			}

			// Going over 50 tags fails and changes nothing.
			var many []types.Tag
			for i := range 49 {
				many = append(many, types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")})
			}
			_, err = b.Client.TagResource(b.Ctx, &sfn.TagResourceInput{ResourceArn: aws.String(arn), Tags: many})
			cpWantCode(t, "TagResource to 51 tags", err, "TooManyTags")
			if got := b.cpListTags(t, arn); len(got) != 2 {
				t.Fatalf("a refused TagResource changed the tags: %v", got)
			}
			// Exactly 50 is fine.
			_, err = b.Client.TagResource(b.Ctx, &sfn.TagResourceInput{ResourceArn: aws.String(arn), Tags: many[:48]})
			if err != nil {
				t.Fatalf("TagResource to 50 tags: %v", err)
			}
			if got := b.cpListTags(t, arn); len(got) != 50 {
				t.Fatalf("%d tags, want 50", len(got))
			}
		})
	}

	t.Run("unknown resource", func(t *testing.T) {
		t.Parallel()
		for _, arn := range []string{
			"arn:aws:states:us-east-1:000000000000:activity:" + servertest.Uniq("nope"),
			"arn:aws:states:us-east-1:000000000000:stateMachine:" + servertest.Uniq("nope"),
		} {
			calls := map[string]func() error{
				"TagResource": func() error {
					_, err := b.Client.TagResource(b.Ctx, &sfn.TagResourceInput{ResourceArn: aws.String(arn), Tags: tags})
					return err
				},
				"UntagResource": func() error {
					_, err := b.Client.UntagResource(b.Ctx, &sfn.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team"}})
					return err
				},
				"ListTagsForResource": func() error {
					_, err := b.Client.ListTagsForResource(b.Ctx, &sfn.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
					return err
				},
			}
			for op, call := range calls {
				err := call()
				cpWantCode(t, op+" "+arn, err, "ResourceNotFound")
				if got := cpStatus(err); got != 404 {
					t.Errorf("%s %s: HTTP status %d, want 404", op, arn, got)
				}
				var nf *types.ResourceNotFound
				if !errors.As(err, &nf) {
					t.Errorf("%s: error %T is not *types.ResourceNotFound", op, err)
				}
			}
		}
	})

	t.Run("too many at creation", func(t *testing.T) {
		t.Parallel()
		var many []types.Tag
		for i := range 51 {
			many = append(many, types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")})
		}
		name := servertest.Uniq("cp-many")
		_, err := b.Client.CreateActivity(b.Ctx, &sfn.CreateActivityInput{Name: aws.String(name), Tags: many})
		cpWantCode(t, "CreateActivity with 51 tags", err, "TooManyTags")
		if got := cpStatus(err); got != 400 {
			t.Errorf("status %d, want 400", got)
		}
		_, err = b.Client.DescribeActivity(b.Ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String("arn:aws:states:us-east-1:000000000000:activity:" + name)})
		cpWantCode(t, "DescribeActivity of the refused activity", err, "ActivityDoesNotExist")
		_, err = b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(cpPassDef), RoleArn: aws.String(cpRole), Tags: many})
		cpWantCode(t, "CreateStateMachine with 51 tags", err, "TooManyTags")
		_, err = b.Client.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:000000000000:stateMachine:" + name)})
		cpWantCode(t, "DescribeStateMachine of the refused machine", err, "StateMachineDoesNotExist")
	})
}
