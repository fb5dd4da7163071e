package sfn_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// regionClient returns a Step Functions client signing for region.
func regionClient(b *bundle, region string) *sfn.Client {
	return sfn.NewFromConfig(servertest.RegionConfig(b.URL, region))
}

// wantInvalidToken checks that err is Step Functions' InvalidToken.
func wantInvalidToken(t *testing.T, what string, err error) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidToken" {
		t.Errorf("%s: %v, want InvalidToken", what, err)
	}
}

// TestListingsByRegion: activities and state machines created in one region
// are listed only there, one per page, and the page tokens are signed.
func TestListingsByRegion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	east, west := regionClient(b, "us-east-1"), regionClient(b, "eu-west-1")
	made := map[*sfn.Client][]string{}
	for i := range 3 {
		for _, c := range []*sfn.Client{east, west} {
			out, err := c.CreateActivity(b.Ctx, &sfn.CreateActivityInput{Name: aws.String(servertest.Uniq("region"))})
			if err != nil {
				t.Fatal(err)
			}
			made[c] = append(made[c], *out.ActivityArn)
			if i == 0 {
				continue // two machines a region: still more than a page
			}
			def := strings.ReplaceAll(cpTaskDef, "$ACT", *out.ActivityArn)
			sm, err := c.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{Name: aws.String(servertest.Uniq("region")), Definition: aws.String(def), RoleArn: aws.String("arn:aws:iam::000000000000:role/test")})
			if err != nil {
				t.Fatal(err)
			}
			made[c] = append(made[c], *sm.StateMachineArn)
		}
	}
	for c, region := range map[*sfn.Client]string{east: "us-east-1", west: "eu-west-1"} {
		var listed []string
		pages := 0
		for pg := sfn.NewListActivitiesPaginator(c, &sfn.ListActivitiesInput{MaxResults: 1}); pg.HasMorePages(); pages++ {
			out, err := pg.NextPage(b.Ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Activities) != 1 {
				t.Errorf("%s: page %d has %d activities, want 1", region, pages, len(out.Activities))
			}
			for _, a := range out.Activities {
				listed = append(listed, *a.ActivityArn)
			}
		}
		for pg := sfn.NewListStateMachinesPaginator(c, &sfn.ListStateMachinesInput{MaxResults: 1}); pg.HasMorePages(); pages++ {
			out, err := pg.NextPage(b.Ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.StateMachines) != 1 {
				t.Errorf("%s: page %d has %d state machines, want 1", region, pages, len(out.StateMachines))
			}
			for _, m := range out.StateMachines {
				listed = append(listed, *m.StateMachineArn)
			}
		}
		slices.Sort(listed)
		want := slices.Sorted(slices.Values(made[c]))
		if !slices.Equal(listed, want) {
			t.Errorf("%s lists\n  %v\nwant\n  %v", region, listed, want)
		}
		for _, arn := range listed {
			if !strings.HasPrefix(arn, "arn:aws:states:"+region+":") {
				t.Errorf("%s lists %s", region, arn)
			}
		}
	}

	// A real token works; the same token edited, or used in another
	// region's listing, is InvalidToken.
	first, err := east.ListActivities(b.Ctx, &sfn.ListActivitiesInput{MaxResults: 1})
	if err != nil || first.NextToken == nil {
		t.Fatalf("first page: %v, %v", first, err)
	}
	second, err := east.ListActivities(b.Ctx, &sfn.ListActivitiesInput{MaxResults: 1, NextToken: first.NextToken})
	if err != nil || len(second.Activities) != 1 || *second.Activities[0].ActivityArn != made[east][1] {
		t.Fatalf("second page with a real token: %v, %v", second, err)
	}
	for i := range len(*first.NextToken) - 1 {
		_, err = east.ListActivities(b.Ctx, &sfn.ListActivitiesInput{MaxResults: 1, NextToken: aws.String(servertest.EditToken(*first.NextToken, i))})
		wantInvalidToken(t, fmt.Sprintf("token edited at %d", i), err)
	}
	_, err = west.ListActivities(b.Ctx, &sfn.ListActivitiesInput{MaxResults: 1, NextToken: first.NextToken})
	wantInvalidToken(t, "another region's token", err)
	_, err = east.ListStateMachines(b.Ctx, &sfn.ListStateMachinesInput{MaxResults: 1, NextToken: first.NextToken})
	wantInvalidToken(t, "another listing's token", err)
}

// wantCode checks that err is the Step Functions error code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Errorf("%s: %v, want %s", what, err, code)
	}
}

// TestRegionsApart: an activity, a state machine and an execution made in
// us-east-1 do not exist from eu-west-1 (nor from another account), by any
// operation that names them; deleting them from there deletes nothing.
func TestRegionsApart(t *testing.T) {
	t.Parallel()
	b := setup(t)
	east := regionClient(b, "us-east-1")
	west := sfn.NewFromConfig(servertest.AWSConfig(b.URL), func(o *sfn.Options) { o.Region = "eu-west-1" })
	act, err := east.CreateActivity(b.Ctx, &sfn.CreateActivityInput{Name: aws.String(servertest.Uniq("apart"))})
	if err != nil {
		t.Fatal(err)
	}
	def := strings.ReplaceAll(cpTaskDef, "$ACT", *act.ActivityArn)
	sm, err := east.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{Name: aws.String(servertest.Uniq("apart")), Definition: aws.String(def), RoleArn: aws.String("arn:aws:iam::000000000000:role/test")})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := east.StartExecution(b.Ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}

	_, err = west.DescribeActivity(b.Ctx, &sfn.DescribeActivityInput{ActivityArn: act.ActivityArn})
	wantCode(t, "DescribeActivity", err, "ActivityDoesNotExist")
	_, err = west.GetActivityTask(b.Ctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn})
	wantCode(t, "GetActivityTask", err, "ActivityDoesNotExist")
	_, err = west.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: sm.StateMachineArn})
	wantCode(t, "DescribeStateMachine", err, "StateMachineDoesNotExist")
	_, err = west.StartExecution(b.Ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn})
	wantCode(t, "StartExecution", err, "StateMachineDoesNotExist")
	_, err = west.ListExecutions(b.Ctx, &sfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn})
	wantCode(t, "ListExecutions", err, "StateMachineDoesNotExist")
	_, err = west.DescribeExecution(b.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn})
	wantCode(t, "DescribeExecution", err, "ExecutionDoesNotExist")
	_, err = west.GetExecutionHistory(b.Ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: ex.ExecutionArn})
	wantCode(t, "GetExecutionHistory", err, "ExecutionDoesNotExist")
	_, err = west.StopExecution(b.Ctx, &sfn.StopExecutionInput{ExecutionArn: ex.ExecutionArn})
	wantCode(t, "StopExecution", err, "ExecutionDoesNotExist")
	_, err = west.ListTagsForResource(b.Ctx, &sfn.ListTagsForResourceInput{ResourceArn: sm.StateMachineArn})
	wantCode(t, "ListTagsForResource", err, "ResourceNotFound")
	if _, err := west.DeleteStateMachine(b.Ctx, &sfn.DeleteStateMachineInput{StateMachineArn: sm.StateMachineArn}); err != nil {
		t.Errorf("DeleteStateMachine from eu-west-1: %v, want success (nothing there)", err)
	}
	if _, err := west.DeleteActivity(b.Ctx, &sfn.DeleteActivityInput{ActivityArn: act.ActivityArn}); err != nil {
		t.Errorf("DeleteActivity from eu-west-1: %v, want success (nothing there)", err)
	}
	// Another account's ARN, in the caller's region, names nothing either.
	other := strings.Replace(*sm.StateMachineArn, ":000000000000:", ":111111111111:", 1)
	_, err = east.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(other)})
	wantCode(t, "DescribeStateMachine of another account", err, "StateMachineDoesNotExist")

	// Still there, from us-east-1.
	if _, err := east.DescribeActivity(b.Ctx, &sfn.DescribeActivityInput{ActivityArn: act.ActivityArn}); err != nil {
		t.Errorf("DescribeActivity from us-east-1: %v", err)
	}
	if _, err := east.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: sm.StateMachineArn}); err != nil {
		t.Errorf("DescribeStateMachine from us-east-1: %v", err)
	}
	list, err := east.ListExecutions(b.Ctx, &sfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn})
	if err != nil || len(list.Executions) != 1 || *list.Executions[0].ExecutionArn != *ex.ExecutionArn {
		t.Errorf("ListExecutions from us-east-1: %v, %v", list, err)
	}
	if _, err := east.StopExecution(b.Ctx, &sfn.StopExecutionInput{ExecutionArn: ex.ExecutionArn}); err != nil {
		t.Errorf("StopExecution from us-east-1: %v", err)
	}
}

// TestPartitions: ARNs are in the partition of the region that made them,
// and an ARN of another partition is InvalidArn.
func TestPartitions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for region, partition := range map[string]string{
		"us-east-1": "aws", "cn-north-1": "aws-cn", "cn-northwest-1": "aws-cn", "us-gov-west-1": "aws-us-gov",
		"us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b", "eu-isoe-west-1": "aws-iso-e", "us-isof-south-1": "aws-iso-f",
	} {
		c := regionClient(b, region)
		act, err := c.CreateActivity(b.Ctx, &sfn.CreateActivityInput{Name: aws.String(servertest.Uniq("part"))})
		if err != nil {
			t.Fatalf("%s: %v", region, err)
		}
		prefix := "arn:" + partition + ":states:" + region + ":000000000000:activity:"
		if !strings.HasPrefix(*act.ActivityArn, prefix) {
			t.Errorf("%s: ARN %s, want prefix %s", region, *act.ActivityArn, prefix)
		}
		if _, err := c.DescribeActivity(b.Ctx, &sfn.DescribeActivityInput{ActivityArn: act.ActivityArn}); err != nil {
			t.Errorf("%s: DescribeActivity: %v", region, err)
		}
		other := "aws-cn"
		if partition == "aws-cn" {
			other = "aws"
		}
		foreign := strings.Replace(*act.ActivityArn, "arn:"+partition+":", "arn:"+other+":", 1)
		_, err = c.DescribeActivity(b.Ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(foreign)})
		wantCode(t, region+": DescribeActivity of another partition", err, "InvalidArn")
	}
}
