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
