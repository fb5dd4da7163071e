package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// TestRun runs the example against an in-process gaffer and checks, over
// the wire, that the greeting workflow completed with the shouted
// greeting.
func TestRun(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	var out bytes.Buffer
	if err := run(ctx, srv.URL(), &out); err != nil {
		t.Fatalf("run: %v\noutput:\n%s", err, &out)
	}
	const want = `HELLO, WORLD!`
	if !strings.Contains(out.String(), `closed: COMPLETED, result "`+want+`"`) {
		t.Errorf("output does not end with the completed workflow's result %q:\n%s", want, &out)
	}
	for _, step := range []string{
		`decider: greeting-`, `schedule greet`,
		`worker: greet("world") started`, `worker: greet heartbeat: step 3 of 3`, `worker: greet completed: "Hello, world!"`,
		`decider: greet completed with "Hello, world!"; schedule shout`,
		`worker: shout completed: "HELLO, WORLD!"`,
		`decider: shout completed with "HELLO, WORLD!"; complete the workflow`,
	} {
		if !strings.Contains(out.String(), step) {
			t.Errorf("output lacks %q:\n%s", step, &out)
		}
	}

	// The same, seen by another client: one closed execution, completed,
	// whose history ends with the result.
	client := servertest.SWF(srv.URL())
	closed, err := client.ListClosedWorkflowExecutions(ctx, &swf.ListClosedWorkflowExecutionsInput{
		Domain:          aws.String(domain),
		StartTimeFilter: &types.ExecutionTimeFilter{OldestDate: aws.Time(time.Unix(0, 0))},
	})
	if err != nil {
		t.Fatalf("ListClosedWorkflowExecutions: %v", err)
	}
	if got := len(closed.ExecutionInfos); got != 1 {
		t.Fatalf("%d closed executions, want 1", got)
	}
	info := closed.ExecutionInfos[0]
	if info.CloseStatus != types.CloseStatusCompleted {
		t.Errorf("close status %s, want COMPLETED", info.CloseStatus)
	}
	hist, err := client.GetWorkflowExecutionHistory(ctx, &swf.GetWorkflowExecutionHistoryInput{
		Domain: aws.String(domain), Execution: info.Execution,
	})
	if err != nil {
		t.Fatalf("GetWorkflowExecutionHistory: %v", err)
	}
	var eventTypes []string
	for _, e := range hist.Events {
		eventTypes = append(eventTypes, string(e.EventType))
	}
	last := hist.Events[len(hist.Events)-1]
	if last.WorkflowExecutionCompletedEventAttributes == nil || aws.ToString(last.WorkflowExecutionCompletedEventAttributes.Result) != want {
		t.Errorf("history ends with %s, want WorkflowExecutionCompleted with result %q; events: %v", last.EventType, want, eventTypes)
	}
	for _, et := range []string{"ActivityTaskScheduled", "ActivityTaskStarted", "ActivityTaskCompleted", "DecisionTaskCompleted"} {
		if n := strings.Count(strings.Join(eventTypes, " ")+" ", et+" "); n < 2 {
			t.Errorf("%d %s events, want at least 2: %v", n, et, eventTypes)
		}
	}
}
