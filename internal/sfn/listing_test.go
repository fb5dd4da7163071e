package sfn_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// A page token belongs to one listing: the executions of one state machine,
// the history of one execution.
func TestPageTokenOfAnotherListingRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	def := `{"StartAt":"W","States":{"W":{"Type":"Pass","End":true}}}`
	smA, smB := b.Machine(t, def, act), b.Machine(t, def, act)
	var execA string
	for range 3 {
		execA = b.Start(t, smA, `{}`)
		b.Start(t, smB, `{}`)
	}
	page, err := b.Client.ListExecutions(b.Ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(smA), MaxResults: 1})
	if err != nil || page.NextToken == nil {
		t.Fatalf("ListExecutions = %+v, %v; want a next page", page, err)
	}
	_, err = b.Client.ListExecutions(b.Ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(smB), NextToken: page.NextToken})
	if got := servertest.ErrorCode(err); got != "InvalidToken" {
		t.Fatalf("token of machine A used for machine B: %v, want InvalidToken", err)
	}
	hist, err := b.Client.GetExecutionHistory(b.Ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(execA), MaxResults: 1})
	if err != nil || hist.NextToken == nil {
		t.Fatalf("GetExecutionHistory = %+v, %v; want a next page", hist, err)
	}
	execB := b.Start(t, smB, `{}`)
	_, err = b.Client.GetExecutionHistory(b.Ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(execB), NextToken: hist.NextToken})
	if got := servertest.ErrorCode(err); got != "InvalidToken" {
		t.Fatalf("history token of another execution: %v, want InvalidToken", err)
	}
}

func TestUnicodeWhitespaceInNameRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, name := range []string{"a\u00a0b", "a\u2003b", "a\u3000b"} {
		_, err := b.Client.CreateActivity(b.Ctx, &sfn.CreateActivityInput{Name: aws.String(name)})
		if got := servertest.ErrorCode(err); got != "InvalidName" {
			t.Errorf("CreateActivity(%q): %v, want InvalidName", name, err)
		}
	}
}
