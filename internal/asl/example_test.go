package asl_test

import (
	"fmt"

	"github.com/gaffer-dev/gaffer/internal/asl"
)

// Example runs a small state machine the way the engine does: Enter each
// state and act on the step it returns.
func Example() {
	m, err := asl.Parse([]byte(`{
		"StartAt": "Greet",
		"States": {
			"Greet": {"Type": "Pass", "Parameters": {"greeting.$": "$.name"}, "ResultPath": "$.out", "Next": "Work"},
			"Work": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:work",
			         "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 2}], "End": true}
		}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	step, _ := m.Enter("Greet", []byte(`{"name": "Ada"}`), nil)
	fmt.Println(step.Kind, step.Next, string(step.Output))

	step, _ = m.Enter(step.Next, step.Output, nil)
	fmt.Println(step.Kind, step.Resource, string(step.TaskInput))

	failed := m.TaskFailed("Work", step.TaskInput, "Busy", "try later", nil, 0, nil)
	fmt.Println(failed.Kind, failed.Delay, failed.RetryCounts)

	done, _ := m.TaskSucceeded("Work", step.TaskInput, []byte(`{"ok": true}`), nil)
	fmt.Println(done.Kind, string(done.Output))
	// Output:
	// next Work {"name":"Ada","out":{"greeting":"Ada"}}
	// task arn:aws:states:us-east-1:123456789012:activity:work {"name":"Ada","out":{"greeting":"Ada"}}
	// retry 2s [1]
	// succeed {"ok":true}
}

// ExampleParse shows how a definition's problems are reported.
func ExampleParse() {
	_, err := asl.Parse([]byte(`{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}`))
	fmt.Println(err)
	// Output:
	// Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: State 'A': field 'Next' names state 'B', which does not exist at /States/A/Next, MISSING_END_STATE: The state machine: field 'States' has no state that ends the execution (a Succeed or Fail state, or a state with "End": true) at /States'
}
