package sfn_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// TestRedriveExecution fails one branch of a Parallel state after the
// other succeeded, redrives the execution, and checks that only the failed
// branch runs again, that the output joins both, and the redrive members
// of DescribeExecution, ListExecutions and the history; then redrives a
// stopped execution, and checks the errors and the 14-day period.
func TestRedriveExecution(t *testing.T) {
	t.Parallel()
	clock := server.NewManualClock(time.Now())
	b := &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{ManualClock: clock})).SFN()}
	first, left, right := b.Activity(t), b.Activity(t), b.Activity(t)
	def := strings.NewReplacer("$FIRST", first, "$LEFT", left, "$RIGHT", right).Replace(`{"StartAt":"First","States":{
		"First":{"Type":"Task","Resource":"$FIRST","ResultPath":"$.first","Next":"Both"},
		"Both":{"Type":"Parallel","End":true,"Branches":[
			{"StartAt":"L","States":{"L":{"Type":"Task","Resource":"$LEFT","End":true}}},
			{"StartAt":"R","States":{"R":{"Type":"Task","Resource":"$RIGHT","End":true}}}]}}}`)
	sm := b.Machine(t, def, "")
	exec := b.Start(t, sm, `{"n":1}`)
	succeed := func(act, output string) {
		t.Helper()
		tok, _ := b.MustPoll(t, act)
		_, err := b.Client.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(output)})
		servertest.OK(t, "SendTaskSuccess", err)
	}
	succeed(first, `"F"`)
	succeed(left, `"L"`)
	tok, in := b.MustPoll(t, right)
	_, err := b.Client.SendTaskFailure(b.Ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(tok), Error: aws.String("Boom")})
	servertest.OK(t, "SendTaskFailure", err)
	failed := b.WaitStatus(t, exec, types.ExecutionStatusFailed)
	if failed.RedriveStatus != types.ExecutionRedriveStatusRedrivable || failed.RedriveCount == nil || *failed.RedriveCount != 0 {
		t.Errorf("failed execution: redrive status %s count %v reason %q", failed.RedriveStatus, failed.RedriveCount, aws.ToString(failed.RedriveStatusReason))
	}

	out, err := b.Client.RedriveExecution(b.Ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(exec), ClientToken: aws.String("redrive-1")})
	servertest.OK(t, "RedriveExecution", err)
	// The same request again (a client's retry) answers the same.
	again2, err := b.Client.RedriveExecution(b.Ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(exec), ClientToken: aws.String("redrive-1")})
	servertest.OK(t, "RedriveExecution with the same clientToken", err)
	if !again2.RedriveDate.Equal(*out.RedriveDate) {
		t.Errorf("repeated redrive date %v, first %v", again2.RedriveDate, out.RedriveDate)
	}
	_, err = b.Client.RedriveExecution(b.Ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(exec), ClientToken: aws.String("redrive-2")})
	cpWantCode(t, "RedriveExecution of the running execution with another clientToken", err, "ExecutionNotRedrivable")
	if out.RedriveDate.Sub(clock.Now()).Abs() > time.Millisecond {
		t.Errorf("redrive date %v, clock %v", out.RedriveDate, clock.Now())
	}
	// Only the failed branch runs again, with the input it had.
	tok, again := b.MustPoll(t, right)
	if !servertest.JSONEqual(t, again, in) {
		t.Errorf("redriven task input %s, first time %s", again, in)
	}
	if tok2, _ := b.Poll(t, left); tok2 != "" {
		t.Error("the branch that succeeded ran again")
	}
	if tok2, _ := b.Poll(t, first); tok2 != "" {
		t.Error("the first state ran again")
	}
	_, err = b.Client.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`"R"`)})
	servertest.OK(t, "SendTaskSuccess after redrive", err)
	done := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(done.Output), `["L","R"]`) {
		t.Errorf("output %s", aws.ToString(done.Output))
	}
	if aws.ToInt32(done.RedriveCount) != 1 || done.RedriveDate == nil || done.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable || aws.ToString(done.RedriveStatusReason) != "Execution is SUCCEEDED and cannot be redriven" {
		t.Errorf("after redrive: count %v date %v status %s reason %q", done.RedriveCount, done.RedriveDate, done.RedriveStatus, aws.ToString(done.RedriveStatusReason))
	}
	history := b.History(t, exec)
	kinds := servertest.SFNEventTypes(history)
	i := slices.Index(kinds, "ExecutionRedriven")
	if i < 0 || slices.Index(kinds, "ExecutionFailed") > i || history[i].ExecutionRedrivenEventDetails == nil || history[i].ExecutionRedrivenEventDetails.RedriveCount == nil || *history[i].ExecutionRedrivenEventDetails.RedriveCount != 1 {
		t.Fatalf("history %v", kinds)
	}
	if n := strings.Count(strings.Join(kinds, ","), "ActivityScheduled"); n != 4 {
		t.Errorf("%d activities scheduled, want 4 (First, L, R, R again): %v", n, kinds)
	}
	_, err = b.Client.RedriveExecution(b.Ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(exec)})
	cpWantCode(t, "RedriveExecution of a succeeded execution", err, "ExecutionNotRedrivable")

	// Listing by redrive.
	for filter, want := range map[types.ExecutionRedriveFilter]int{types.ExecutionRedriveFilterRedriven: 1, types.ExecutionRedriveFilterNotRedriven: 0} {
		l, err := b.Client.ListExecutions(b.Ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm), RedriveFilter: filter})
		servertest.OK(t, "ListExecutions "+string(filter), err)
		if len(l.Executions) != want || (want == 1 && aws.ToInt32(l.Executions[0].RedriveCount) != 1) {
			t.Errorf("ListExecutions %s: %+v", filter, l.Executions)
		}
	}

	// A running execution cannot be redriven; a stopped one resumes its
	// task.
	stopped := b.Start(t, sm, `{"n":2}`)
	_, err = b.Client.RedriveExecution(b.Ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(stopped)})
	cpWantCode(t, "RedriveExecution of a running execution", err, "ExecutionNotRedrivable")
	b.WaitStatus(t, stopped, types.ExecutionStatusRunning)
	_, err = b.Client.StopExecution(b.Ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(stopped)})
	servertest.OK(t, "StopExecution", err)
	_, err = b.Client.RedriveExecution(b.Ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(stopped)})
	servertest.OK(t, "RedriveExecution of a stopped execution", err)
	succeed(first, `"F2"`)
	succeed(left, `"L2"`)
	succeed(right, `"R2"`)
	b.WaitStatus(t, stopped, types.ExecutionStatusSucceeded)

	// Past 14 days after its stop, an execution is not redrivable.
	late := b.Start(t, sm, `{"n":3}`)
	_, err = b.Client.StopExecution(b.Ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(late)})
	servertest.OK(t, "StopExecution", err)
	if _, err := clock.Advance(15 * 24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	d, err := b.Client.DescribeExecution(b.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(late)})
	servertest.OK(t, "DescribeExecution", err)
	if d.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable || aws.ToString(d.RedriveStatusReason) != "Execution redrivable period exceeded" {
		t.Errorf("15 days after its stop: %s %q", d.RedriveStatus, aws.ToString(d.RedriveStatusReason))
	}
	_, err = b.Client.RedriveExecution(b.Ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(late)})
	cpWantCode(t, "RedriveExecution 15 days after the stop", err, "ExecutionNotRedrivable")
	_, err = b.Client.RedriveExecution(b.Ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(late + "-nope")})
	cpWantCode(t, "RedriveExecution of a missing execution", err, "ExecutionDoesNotExist")
}
