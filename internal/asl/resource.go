package asl

import (
	"strings"
	"unicode/utf8"
)

// ResourceKind says what a Task state's Resource names.
type ResourceKind int

// Resource kinds.
const (
	// ResourceActivity: arn:<partition>:states:<region>:<account>:activity:<name>.
	ResourceActivity ResourceKind = iota + 1
	// ResourceLambdaFunction: arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>],
	// the older form of calling Lambda, whose output is the function's
	// payload itself and whose history events are LambdaFunction*.
	ResourceLambdaFunction
	// ResourceService: a service integration,
	// arn:<partition>:states:<region>:<account>:<service>:<action>[.<pattern>]
	// (region and account usually empty), e.g.
	// arn:aws:states:::lambda:invoke.waitForTaskToken or
	// arn:aws:states:::aws-sdk:s3:listBuckets. Its history events are
	// Task*.
	ResourceService
)

// Integration patterns of a service integration's Resource.
const (
	PatternRequestResponse = ""                 // call and take the answer
	PatternSync            = "sync"             // run a job and wait for it
	PatternSync2           = "sync:2"           // the same, with a JSON output
	PatternWaitForToken    = "waitForTaskToken" // call, then wait for the callback
)

// Resource is a Task state's Resource, parsed.
type Resource struct {
	Kind ResourceKind
	// Service and Action of a service integration: "lambda" and "invoke";
	// "aws-sdk:s3" and "listBuckets"; "states" and "startExecution". For
	// a Lambda function ARN, Service is "lambda" and Action the function
	// ARN.
	Service, Action string
	// Pattern is the integration pattern (Pattern*) of a service
	// integration.
	Pattern string
}

// TaskResource is the part after the service in a service integration's
// history events ("resource": "invoke.waitForTaskToken").
func (r Resource) TaskResource() string {
	if r.Pattern == "" {
		return r.Action
	}
	return r.Action + "." + r.Pattern
}

// ParseResource parses a Task state's Resource; ok is false for a string
// that is none of the forms gaffer knows.
func ParseResource(s string) (r Resource, ok bool) {
	parts := strings.Split(s, ":")
	if len(parts) < 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") {
		return Resource{}, false
	}
	switch {
	case parts[2] == "states" && parts[5] == "activity":
		if !isActivityARN(s) {
			return Resource{}, false
		}
		return Resource{Kind: ResourceActivity}, true
	case parts[2] == "lambda":
		// arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
		if (len(parts) != 7 && len(parts) != 8) || parts[3] == "" || parts[4] == "" || parts[5] != "function" || parts[6] == "" ||
			(len(parts) == 8 && parts[7] == "") {
			return Resource{}, false
		}
		return Resource{Kind: ResourceLambdaFunction, Service: "lambda", Action: s}, true
	case parts[2] == "states":
		rest := parts[5:]
		service := rest[0]
		rest = rest[1:]
		if service == "aws-sdk" && len(rest) > 1 {
			service, rest = "aws-sdk:"+rest[0], rest[1:]
		}
		if service == "" || len(rest) == 0 {
			return Resource{}, false
		}
		action := strings.Join(rest, ":")
		pattern := ""
		if i := strings.IndexByte(action, '.'); i >= 0 {
			action, pattern = action[:i], action[i+1:]
			switch pattern {
			case PatternSync, PatternSync2, PatternWaitForToken:
			default:
				return Resource{}, false
			}
		}
		if action == "" || strings.ContainsAny(action, " \t\r\n:") || utf8.RuneCountInString(action) > 256 {
			return Resource{}, false
		}
		return Resource{Kind: ResourceService, Service: service, Action: action, Pattern: pattern}, true
	}
	return Resource{}, false
}

// resourceKind returns the kind of a parsed state's resource (0 for a
// resource that is no Task's).
func resourceKind(s string) ResourceKind {
	r, _ := ParseResource(s)
	return r.Kind
}

// isCallback reports whether a Task's Resource is a .waitForTaskToken
// service integration: its state sees $$.Task.Token.
func isCallback(s string) bool {
	return strings.HasSuffix(s, "."+PatternWaitForToken) && resourceKind(s) == ResourceService
}

// taskEvent returns the name of a task event ("Scheduled", "Started",
// "Submitted", "Succeeded", "Failed", "TimedOut", "ScheduleFailed") for a
// Task state's resource: Activity*, LambdaFunction* or Task*, as AWS names
// them.
func taskEvent(resource, what string) string {
	switch resourceKind(resource) {
	case ResourceLambdaFunction:
		return "LambdaFunction" + what
	case ResourceService:
		return "Task" + what
	}
	return "Activity" + what
}

// TaskState is a Task state of a definition and its Resource.
type TaskState struct {
	State    string
	Resource string
}

// TaskStates returns every Task state of the definition, those of Parallel
// branches and Map iterations included, in no particular order.
func (m *Machine) TaskStates() []TaskState {
	var out []TaskState
	var walk func(m *Machine)
	walk = func(m *Machine) {
		for name, st := range m.states {
			if st.typ == typeTask {
				out = append(out, TaskState{State: name, Resource: st.resource})
			}
			for _, b := range st.branches {
				walk(b)
			}
			if st.mapSpec != nil && st.mapSpec.processor != nil {
				walk(st.mapSpec.processor)
			}
		}
	}
	walk(m)
	return out
}

// resourceProblem words a Resource gaffer does not know.
const resourceProblem = "is '%s', which is not a Resource gaffer knows: an activity (arn:aws:states:<region>:<account>:activity:<name>), " +
	"a service integration (arn:aws:states:::<service>:<action>[.sync|.sync:2|.waitForTaskToken]) or a Lambda function (arn:aws:lambda:<region>:<account>:function:<name>)"
