package sfn_test

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
	"github.com/gaffer-dev/gaffer/internal/store"
)

const passMachine = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`

// retentionServer starts a server on dir that keeps closed executions for
// keep, on clock.
func retentionServer(t *testing.T, dir string, keep time.Duration, clock *servertest.Clock) (*bundle, *server.Server) {
	t.Helper()
	srv := servertest.Start(t, servertest.Options{DataDir: dir, SFNRetention: keep, Now: clock.Now})
	return &bundle{servertest.InProcess(srv).SFN()}, srv
}

// sweep wakes the server's retention sweeper and waits until it has
// deleted want executions in all.
func sweep(t *testing.T, srv *server.Server, want int64) {
	t.Helper()
	r := srv.SFNRetention()
	r.Wake()
	if !r.Swept().Until(15*time.Second, func() bool { return r.Deleted() >= want }) {
		t.Fatalf("retention deleted %d executions, want %d", r.Deleted(), want)
	}
	if got := r.Deleted(); got != want {
		t.Fatalf("retention deleted %d executions, want %d", got, want)
	}
}

// gone checks that an execution, its history and its record are gone.
func gone(t *testing.T, b *bundle, srv *server.Server, exec string) {
	t.Helper()
	_, err := b.Client.DescribeExecution(b.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(exec)})
	servertest.WantClientError(t, "DescribeExecution of a deleted execution", err, "ExecutionDoesNotExist")
	_, err = b.Client.GetExecutionHistory(b.Ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(exec)})
	servertest.WantClientError(t, "GetExecutionHistory of a deleted execution", err, "ExecutionDoesNotExist")
	_, err = b.Client.DescribeStateMachineForExecution(b.Ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: aws.String(exec)})
	servertest.WantClientError(t, "DescribeStateMachineForExecution of a deleted execution", err, "ExecutionDoesNotExist")
	err = srv.Store().View(b.Ctx, func(tx store.Tx) error {
		evs, err := tx.ListEvents(store.EventQuery{Owner: exec})
		if len(evs) != 0 {
			t.Errorf("%d history events of %s left in the store", len(evs), exec)
		}
		return err
	})
	servertest.OK(t, "list events", err)
}

// listed returns the ARNs ListExecutions lists for machine.
func listed(t *testing.T, b *bundle, machine string) []string {
	t.Helper()
	out, err := b.Client.ListExecutions(b.Ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine)})
	servertest.OK(t, "ListExecutions", err)
	var arns []string
	for _, e := range out.Executions {
		arns = append(arns, aws.ToString(e.ExecutionArn))
	}
	slices.Sort(arns)
	return arns
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}

// TestRetention: executions closed longer than the retention are deleted,
// with their history; younger closed ones, running ones, state machines,
// activities and the definitions running executions use stay.
func TestRetention(t *testing.T) {
	t.Parallel()
	clock := &servertest.Clock{}
	b, srv := retentionServer(t, t.TempDir(), time.Hour, clock)
	act := b.Activity(t)
	pass := b.Machine(t, passMachine, "")
	task := b.Machine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","End":true}}}`, act)

	var old []string
	for range 3 {
		ex := b.Start(t, pass, `{}`)
		b.WaitStatus(t, ex, types.ExecutionStatusSucceeded)
		old = append(old, ex)
	}
	aborted := b.Start(t, task, `{}`)
	_, err := b.Client.StopExecution(b.Ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(aborted)})
	servertest.OK(t, "StopExecution", err)
	old = append(old, aborted)
	running := b.Start(t, task, `{"still":"running"}`)

	clock.Advance(30 * time.Minute)
	young := b.Start(t, pass, `{}`)
	b.WaitStatus(t, young, types.ExecutionStatusSucceeded)

	// Nothing is due yet: a sweep deletes nothing.
	sweep(t, srv, 0)
	if got, want := listed(t, b, pass), sorted(old[0], old[1], old[2], young); !slices.Equal(got, want) {
		t.Fatalf("before the retention: ListExecutions = %v, want %v", got, want)
	}

	clock.Advance(31 * time.Minute) // old: 61 minutes closed; young: 31
	sweep(t, srv, 4)
	for _, ex := range old {
		gone(t, b, srv, ex)
	}
	if got, want := listed(t, b, pass), []string{young}; !slices.Equal(got, want) {
		t.Fatalf("ListExecutions(pass) = %v, want %v", got, want)
	}
	if got, want := listed(t, b, task), []string{running}; !slices.Equal(got, want) {
		t.Fatalf("ListExecutions(task) = %v, want %v", got, want)
	}
	for _, sm := range []string{pass, task} {
		_, err := b.Client.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(sm)})
		servertest.OK(t, "DescribeStateMachine", err)
	}
	_, err = b.Client.DescribeActivity(b.Ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(act)})
	servertest.OK(t, "DescribeActivity", err)
	_, err = b.Client.DescribeStateMachineForExecution(b.Ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: aws.String(young)})
	servertest.OK(t, "DescribeStateMachineForExecution of a kept execution", err)
	if n := len(b.History(t, young)); n == 0 {
		t.Fatal("the kept execution lost its history")
	}

	// The running execution, however old, runs on and is kept until it
	// has been closed for the retention.
	clock.Advance(2 * time.Hour)
	tok, _ := b.MustPoll(t, act)
	_, err = b.Client.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{}`)})
	servertest.OK(t, "SendTaskSuccess", err)
	b.WaitStatus(t, running, types.ExecutionStatusSucceeded)
	sweep(t, srv, 5) // young
	gone(t, b, srv, young)
	if got, want := listed(t, b, task), []string{running}; !slices.Equal(got, want) {
		t.Fatalf("ListExecutions(task) = %v, want %v", got, want)
	}
	clock.Advance(time.Hour)
	sweep(t, srv, 6)
	gone(t, b, srv, running)

	// A deleted execution's name may be used again (AWS: after 90 days).
	out, err := b.Client.StartExecution(b.Ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(task), Name: aws.String(arnName(running))})
	servertest.OK(t, "StartExecution with a deleted execution's name", err)
	if aws.ToString(out.ExecutionArn) != running {
		t.Fatalf("restarted as %s, want %s", aws.ToString(out.ExecutionArn), running)
	}
	if n := len(b.History(t, running)); n == 0 || n > 3 {
		t.Fatalf("the new execution has %d history events, want only its own", n)
	}
}

// arnName returns the execution name in an execution ARN.
func arnName(arn string) string {
	for i := len(arn) - 1; i >= 0; i-- {
		if arn[i] == ':' {
			return arn[i+1:]
		}
	}
	return arn
}

// TestRetentionManyBatches: a sweep deletes more executions than one write
// holds, and a node started later on the same data deletes what fell due
// while it was down, without being woken.
func TestRetentionManyBatches(t *testing.T) {
	t.Parallel()
	clock := &servertest.Clock{}
	dir := t.TempDir()
	b, srv := retentionServer(t, dir, time.Hour, clock)
	pass := b.Machine(t, passMachine, "")
	const n = 300 // more than two batches of 128
	for range n {
		_, err := b.Client.StartExecution(b.Ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(pass)})
		servertest.OK(t, "StartExecution", err)
	}
	ctx := b.Ctx
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	clock.Advance(2 * time.Hour)
	b, srv = retentionServer(t, dir, time.Hour, clock)
	r := srv.SFNRetention()
	if !r.Swept().Until(15*time.Second, func() bool { return r.Deleted() >= n }) {
		t.Fatalf("the restarted node deleted %d executions, want %d", r.Deleted(), n)
	}
	if got := listed(t, b, pass); len(got) != 0 {
		t.Fatalf("ListExecutions after the sweep lists %d executions", len(got))
	}
}

// TestRetentionForever: with KeepForever there is no sweeper and nothing is
// deleted.
func TestRetentionForever(t *testing.T) {
	t.Parallel()
	clock := &servertest.Clock{}
	b, srv := retentionServer(t, t.TempDir(), server.KeepForever, clock)
	if srv.SFNRetention() != nil {
		t.Fatal("a node that keeps executions for good runs a sweeper")
	}
	ex := b.Start(t, b.Machine(t, passMachine, ""), `{}`)
	b.WaitStatus(t, ex, types.ExecutionStatusSucceeded)
	clock.Advance(10 * 365 * 24 * time.Hour)
	b.WaitStatus(t, ex, types.ExecutionStatusSucceeded)
}

// TestRetentionFlagProcess: `gaffer serve --sfn-retention 1s` deletes a
// closed execution about a second after it closed, also when the node was
// killed in between and started again.
func TestRetentionFlagProcess(t *testing.T) {
	t.Parallel()
	p := servertest.StartProcess(t, "", "--sfn-retention", "1s")
	b := &bundle{p.Env().SFN()}
	pass := b.Machine(t, passMachine, "")
	ex := b.Start(t, pass, `{}`)
	b.WaitStatus(t, ex, types.ExecutionStatusSucceeded)
	p.Kill(t) // kill -9, then the same command
	p = p.Restart(t)
	b = &bundle{p.Env().SFN()}
	deleted := func() bool {
		_, err := b.Client.DescribeExecution(b.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(ex)})
		return servertest.ErrorCode(err) == "ExecutionDoesNotExist"
	}
	if !p.Await(15*time.Second, deleted) {
		t.Fatal("the closed execution was not deleted after the retention")
	}
	_, err := b.Client.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(pass)})
	servertest.OK(t, "DescribeStateMachine", err)
}

// TestRetentionBackfill: executions closed by a gaffer that did not record
// the close time (schema version 1: ClosedAt zero) get it from their stop
// date once, and are swept like the others.
func TestRetentionBackfill(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clock := &servertest.Clock{}
	b, srv := retentionServer(t, dir, time.Hour, clock)
	pass := b.Machine(t, passMachine, "")
	act := b.Activity(t)
	task := b.Machine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","End":true}}}`, act)
	closed := b.Start(t, pass, `{}`)
	b.WaitStatus(t, closed, types.ExecutionStatusSucceeded)
	running := b.Start(t, task, `{}`)
	// Forget the close time, as the old schema did, and the backfill.
	err := srv.Store().Update(b.Ctx, func(tx store.Tx) error {
		o, err := tx.GetObject("sfn.execution", closed)
		if err != nil {
			return err
		}
		if o.ClosedAt.IsZero() {
			t.Error("a closed execution has no ClosedAt")
		}
		o.ClosedAt = time.Time{}
		if err := tx.PutObject(o); err != nil {
			return err
		}
		return tx.PutMeta("sfn.retention.backfill", []byte("0"))
	})
	servertest.OK(t, "forget the close time", err)
	servertest.OK(t, "shutdown", srv.Shutdown(b.Ctx))

	clock.Advance(2 * time.Hour)
	b, srv = retentionServer(t, dir, time.Hour, clock)
	r := srv.SFNRetention()
	if !r.Swept().Until(15*time.Second, func() bool { return r.Deleted() >= 1 }) {
		t.Fatal("the execution closed without a close time was not deleted")
	}
	gone(t, b, srv, closed)
	b.WaitStatus(t, running, types.ExecutionStatusRunning)
	err = srv.Store().View(b.Ctx, func(tx store.Tx) error {
		v, err := tx.GetMeta("sfn.retention.backfill")
		if string(v) != "done" {
			t.Errorf("backfill state %q, want done", v)
		}
		return err
	})
	servertest.OK(t, "read the backfill state", err)
}
