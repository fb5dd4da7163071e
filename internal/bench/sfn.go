package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// setupMachine creates an activity and a state machine whose one Task
// state runs it, and returns their ARNs.
func setupMachine(ctx context.Context, ep *endpoint, name string) (activityArn, machineArn string, err error) {
	cl := ep.caller()
	var act struct{ ActivityArn string }
	if err := cl.callJSON(ctx, "CreateActivity", map[string]any{"name": name}, &act); err != nil {
		return "", "", err
	}
	def, err := json.Marshal(map[string]any{
		"StartAt": "Work",
		"States": map[string]any{
			"Work": map[string]any{"Type": "Task", "Resource": act.ActivityArn, "HeartbeatSeconds": 3600, "End": true},
		},
	})
	if err != nil {
		return "", "", err
	}
	var sm struct{ StateMachineArn string }
	if err := cl.callJSON(ctx, "CreateStateMachine", map[string]any{
		"name": name, "roleArn": benchRole, "definition": string(def),
	}, &sm); err != nil {
		return "", "", err
	}
	if act.ActivityArn == "" || sm.StateMachineArn == "" {
		return "", "", errors.New("CreateActivity or CreateStateMachine answered without an ARN")
	}
	return act.ActivityArn, sm.StateMachineArn, nil
}

// waitSucceeded waits up to five seconds for an execution to succeed.
func waitSucceeded(ctx context.Context, cl *caller, arn string) error {
	deadline := time.Now().Add(5 * time.Second)
	var out struct{ Status string }
	for {
		if err := cl.callJSON(ctx, "DescribeExecution", map[string]any{"executionArn": arn}, &out); err != nil {
			return err
		}
		if out.Status == "SUCCEEDED" {
			return nil
		}
		if out.Status != "RUNNING" || time.Now().After(deadline) {
			return fmt.Errorf("execution %s is %s after its task succeeded, want SUCCEEDED", arn, out.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
