package sfn_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// bundle is what most tests need: a real server on a temp SQLite file and
// an SDK client pointed at it.
type bundle struct {
	srv    *server.Server
	client *sfn.Client
	ctx    context.Context
}

func setup(t *testing.T) *bundle {
	t.Helper()
	srv := servertest.Start(t, servertest.Options{})
	return &bundle{srv: srv, client: servertest.SFN(srv.URL()), ctx: context.Background()}
}

var nameSeq atomic.Int64

// uniq returns a name unique within the test binary.
func uniq(prefix string) string { return fmt.Sprintf("%s-%d", prefix, nameSeq.Add(1)) }

// activity creates an activity and returns its ARN.
func (b *bundle) activity(t *testing.T) string {
	t.Helper()
	out, err := b.client.CreateActivity(b.ctx, &sfn.CreateActivityInput{Name: aws.String(uniq("act"))})
	if err != nil {
		t.Fatalf("CreateActivity: %v", err)
	}
	return *out.ActivityArn
}

// machine creates a state machine from a definition and returns its ARN.
// "$ACT" in the definition is replaced by act.
func (b *bundle) machine(t *testing.T, definition, act string) string {
	t.Helper()
	out, err := b.client.CreateStateMachine(b.ctx, &sfn.CreateStateMachineInput{
		Name:       aws.String(uniq("sm")),
		Definition: aws.String(strings.ReplaceAll(definition, "$ACT", act)),
		RoleArn:    aws.String("arn:aws:iam::000000000000:role/test"),
	})
	if err != nil {
		t.Fatalf("CreateStateMachine: %v", err)
	}
	return *out.StateMachineArn
}

// start starts an execution and returns its ARN.
func (b *bundle) start(t *testing.T, machine, input string) string {
	t.Helper()
	out, err := b.client.StartExecution(b.ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Input: aws.String(input)})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	return *out.ExecutionArn
}

// poll long-polls act once and returns the token and input ("" if empty).
func (b *bundle) poll(t *testing.T, act string) (token, input string) {
	t.Helper()
	out, err := b.client.GetActivityTask(b.ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(act), WorkerName: aws.String("worker-1")})
	if err != nil {
		t.Fatalf("GetActivityTask: %v", err)
	}
	return aws.ToString(out.TaskToken), aws.ToString(out.Input)
}

// mustPoll polls until a task comes (at most 10 s).
func (b *bundle) mustPoll(t *testing.T, act string) (token, input string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if tok, in := b.poll(t, act); tok != "" {
			return tok, in
		}
	}
	t.Fatalf("no task on %s", act)
	return "", ""
}

// history returns an execution's whole history.
func (b *bundle) history(t *testing.T, exec string) []types.HistoryEvent {
	t.Helper()
	var events []types.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(b.client, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(exec)})
	for p.HasMorePages() {
		page, err := p.NextPage(b.ctx)
		if err != nil {
			t.Fatalf("GetExecutionHistory: %v", err)
		}
		events = append(events, page.Events...)
	}
	return events
}

// eventTypes lists the types of events.
func eventTypes(events []types.HistoryEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = string(e.Type)
	}
	return out
}

// waitStatus waits until the execution's status is want (at most 15 s) and
// returns the description.
func (b *bundle) waitStatus(t *testing.T, exec string, want types.ExecutionStatus) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, err := b.client.DescribeExecution(b.ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(exec)})
		if err != nil {
			t.Fatalf("DescribeExecution: %v", err)
		}
		if out.Status == want {
			return out
		}
		if out.Status != types.ExecutionStatusRunning || time.Now().After(deadline) {
			t.Fatalf("execution status %s, want %s; history: %v", out.Status, want, eventTypes(b.history(t, exec)))
		}
		time.Sleep(20 * time.Millisecond) // the server's timers run on their own; this only re-reads
	}
}

// errorCode returns the AWS error code of err ("" if it is not an API error).
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// mustJSON compares two JSON texts structurally.
func jsonEqual(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("bad JSON %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad JSON %q: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return string(gb) == string(wb)
}

func TestSmokeRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.activity(t)
	sm := b.machine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","End":true}}}`, act)
	exec := b.start(t, sm, `{"x":1}`)
	tok, in := b.mustPoll(t, act)
	if !jsonEqual(t, in, `{"x":1}`) {
		t.Fatalf("task input %s", in)
	}
	if _, err := b.client.SendTaskSuccess(b.ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{"y":2}`)}); err != nil {
		t.Fatal(err)
	}
	out := b.waitStatus(t, exec, types.ExecutionStatusSucceeded)
	if !jsonEqual(t, aws.ToString(out.Output), `{"y":2}`) {
		t.Fatalf("output %s", aws.ToString(out.Output))
	}
}
