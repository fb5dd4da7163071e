package sfn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/asl"
	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// maxHistoryEvents is AWS's limit on one execution's history; an execution
// that would pass it fails.
const maxHistoryEvents = 25000

// historyEvent is one event of an execution's history, stored exactly as it
// is sent on the wire.
type historyEvent struct {
	Timestamp       awsapi.Timestamp `json:"timestamp"`
	Type            string           `json:"type"`
	ID              int64            `json:"id"`
	PreviousEventID int64            `json:"previousEventId"`

	ActivityFailed     *errorDetails             `json:"activityFailedEventDetails,omitempty"`
	ActivityScheduled  *activityScheduledDetails `json:"activityScheduledEventDetails,omitempty"`
	ActivityStarted    *activityStartedDetails   `json:"activityStartedEventDetails,omitempty"`
	ActivitySucceeded  *outputDetails            `json:"activitySucceededEventDetails,omitempty"`
	ActivityTimedOut   *errorDetails             `json:"activityTimedOutEventDetails,omitempty"`
	ExecutionFailed    *errorDetails             `json:"executionFailedEventDetails,omitempty"`
	ExecutionStarted   *executionStartedDetails  `json:"executionStartedEventDetails,omitempty"`
	ExecutionSucceeded *outputDetails            `json:"executionSucceededEventDetails,omitempty"`
	ExecutionAborted   *errorDetails             `json:"executionAbortedEventDetails,omitempty"`
	ExecutionTimedOut  *errorDetails             `json:"executionTimedOutEventDetails,omitempty"`
	ExecutionRedriven  *executionRedrivenDetails `json:"executionRedrivenEventDetails,omitempty"` // redrive.go
	StateEntered       *stateEnteredDetails      `json:"stateEnteredEventDetails,omitempty"`
	StateExited        *stateExitedDetails       `json:"stateExitedEventDetails,omitempty"`

	ActivityScheduleFailed *errorDetails            `json:"activityScheduleFailedEventDetails,omitempty"`
	MapStateStarted        *mapStateStartedDetails  `json:"mapStateStartedEventDetails,omitempty"`
	MapIterationStarted    *mapIterationDetails     `json:"mapIterationStartedEventDetails,omitempty"`
	MapIterationSucceeded  *mapIterationDetails     `json:"mapIterationSucceededEventDetails,omitempty"`
	MapIterationFailed     *mapIterationDetails     `json:"mapIterationFailedEventDetails,omitempty"`
	MapIterationAborted    *mapIterationDetails     `json:"mapIterationAbortedEventDetails,omitempty"`
	MapRunStarted          *mapRunStartedDetails    `json:"mapRunStartedEventDetails,omitempty"`
	MapRunFailed           *errorDetails            `json:"mapRunFailedEventDetails,omitempty"`
	EvaluationFailed       *evaluationFailedDetails `json:"evaluationFailedEventDetails,omitempty"`

	TaskScheduled           *taskScheduledDetails   `json:"taskScheduledEventDetails,omitempty"`
	TaskStarted             *taskDetails            `json:"taskStartedEventDetails,omitempty"`
	TaskSubmitted           *taskOutputDetails      `json:"taskSubmittedEventDetails,omitempty"`
	TaskSucceeded           *taskOutputDetails      `json:"taskSucceededEventDetails,omitempty"`
	TaskFailed              *taskErrorDetails       `json:"taskFailedEventDetails,omitempty"`
	TaskTimedOut            *taskErrorDetails       `json:"taskTimedOutEventDetails,omitempty"`
	LambdaFunctionScheduled *lambdaScheduledDetails `json:"lambdaFunctionScheduledEventDetails,omitempty"`
	LambdaFunctionSucceeded *outputDetails          `json:"lambdaFunctionSucceededEventDetails,omitempty"`
	LambdaFunctionFailed    *errorDetails           `json:"lambdaFunctionFailedEventDetails,omitempty"`
	LambdaFunctionTimedOut  *errorDetails           `json:"lambdaFunctionTimedOutEventDetails,omitempty"`
}

// taskDetails name a service integration's task: the service
// ("lambda", "aws-sdk:s3") and the rest ("invoke.waitForTaskToken").
type taskDetails struct {
	ResourceType string `json:"resourceType"`
	Resource     string `json:"resource"`
}

type taskScheduledDetails struct {
	ResourceType       string `json:"resourceType"`
	Resource           string `json:"resource"`
	Region             string `json:"region"`
	Parameters         string `json:"parameters"`
	TimeoutInSeconds   int64  `json:"timeoutInSeconds,omitempty"`
	HeartbeatInSeconds int64  `json:"heartbeatInSeconds,omitempty"`
}

type taskOutputDetails struct {
	ResourceType  string     `json:"resourceType"`
	Resource      string     `json:"resource"`
	Output        *string    `json:"output,omitempty"`
	OutputDetails *truncated `json:"outputDetails,omitempty"`
}

type taskErrorDetails struct {
	ResourceType string `json:"resourceType"`
	Resource     string `json:"resource"`
	Error        string `json:"error,omitempty"`
	Cause        string `json:"cause,omitempty"`
}

type lambdaScheduledDetails struct {
	Resource         string     `json:"resource"`
	Input            *string    `json:"input,omitempty"`
	InputDetails     *truncated `json:"inputDetails,omitempty"`
	TimeoutInSeconds int64      `json:"timeoutInSeconds,omitempty"`
}

type mapStateStartedDetails struct {
	Length int `json:"length"`
}

type mapIterationDetails struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
}

type mapRunStartedDetails struct {
	MapRunArn string `json:"mapRunArn,omitempty"`
}

type evaluationFailedDetails struct {
	Error    string `json:"error,omitempty"`
	Cause    string `json:"cause,omitempty"`
	Location string `json:"location,omitempty"`
	State    string `json:"state"`
}

type truncated struct {
	Truncated bool `json:"truncated"`
}

type errorDetails struct {
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
}

type activityScheduledDetails struct {
	Resource           string     `json:"resource"`
	Input              *string    `json:"input,omitempty"`
	InputDetails       *truncated `json:"inputDetails,omitempty"`
	TimeoutInSeconds   int64      `json:"timeoutInSeconds,omitempty"`
	HeartbeatInSeconds int64      `json:"heartbeatInSeconds,omitempty"`
}

type activityStartedDetails struct {
	WorkerName string `json:"workerName,omitempty"`
}

type outputDetails struct {
	Output        *string    `json:"output,omitempty"`
	OutputDetails *truncated `json:"outputDetails,omitempty"`
}

type executionStartedDetails struct {
	Input        *string    `json:"input,omitempty"`
	InputDetails *truncated `json:"inputDetails,omitempty"`
	RoleArn      string     `json:"roleArn,omitempty"`
}

type stateEnteredDetails struct {
	Name         string     `json:"name"`
	Input        *string    `json:"input,omitempty"`
	InputDetails *truncated `json:"inputDetails,omitempty"`
}

type stateExitedDetails struct {
	Name                     string            `json:"name"`
	Output                   *string           `json:"output,omitempty"`
	OutputDetails            *truncated        `json:"outputDetails,omitempty"`
	AssignedVariables        map[string]string `json:"assignedVariables,omitempty"`
	AssignedVariablesDetails *truncated        `json:"assignedVariablesDetails,omitempty"`
}

// data returns a pointer to s, for the optional data members of events.
func data(s string) *string { return &s }

var notTruncated = &truncated{}

// stripData removes input and output payloads from an event, for
// GetExecutionHistory with includeExecutionData false.
func (ev *historyEvent) stripData() {
	if d := ev.ActivityScheduled; d != nil {
		d.Input, d.InputDetails = nil, nil
	}
	if d := ev.LambdaFunctionScheduled; d != nil {
		d.Input, d.InputDetails = nil, nil
	}
	for _, d := range []*taskOutputDetails{ev.TaskSubmitted, ev.TaskSucceeded} {
		if d != nil {
			d.Output, d.OutputDetails = nil, nil
		}
	}
	for _, d := range []*outputDetails{ev.ActivitySucceeded, ev.ExecutionSucceeded, ev.LambdaFunctionSucceeded} {
		if d != nil {
			d.Output, d.OutputDetails = nil, nil
		}
	}
	if d := ev.ExecutionStarted; d != nil {
		d.Input, d.InputDetails = nil, nil
	}
	if d := ev.StateEntered; d != nil {
		d.Input, d.InputDetails = nil, nil
	}
	if d := ev.StateExited; d != nil {
		d.Output, d.OutputDetails = nil, nil
		d.AssignedVariables, d.AssignedVariablesDetails = nil, nil
	}
}

// recorder appends events to one execution's history within a transaction.
type recorder struct {
	ex      *execution
	now     time.Time
	pending []store.Event
	// scheduled indexes, in pending, the TaskScheduled events of
	// .waitForTaskToken tasks by their task, for showToken.
	scheduled map[*asl.TaskSpec]int
}

// showToken puts the task token of spec's task in place of the
// execution's placeholder in the task's TaskScheduled event, still
// pending in this transaction, as AWS shows the token in its parameters.
func (r *recorder) showToken(spec *asl.TaskSpec, placeholder, token string) {
	i, ok := r.scheduled[spec]
	if !ok || i >= len(r.pending) {
		return
	}
	delete(r.scheduled, spec)
	// The token is base64url: it needs no escaping inside the JSON text.
	r.pending[i].Body = bytes.ReplaceAll(r.pending[i].Body, []byte(placeholder), []byte(token))
}

// add appends ev with the next id. prev is the id of the event that led to
// it; -1 means "the previous event".
func (r *recorder) add(ev historyEvent, prev int64) int64 {
	r.ex.LastEventID++
	ev.ID = r.ex.LastEventID
	if prev < 0 {
		prev = ev.ID - 1
	}
	ev.PreviousEventID = prev
	ev.Timestamp = awsapi.Timestamp{Time: r.now}
	body, err := json.Marshal(&ev)
	if err != nil {
		panic(fmt.Sprintf("sfn: marshal history event: %v", err)) // only plain types: cannot happen
	}
	r.pending = append(r.pending, store.Event{ID: ev.ID, Body: body})
	return ev.ID
}

// LastEventID returns the id of the newest event.
func (r *recorder) LastEventID() int64 { return r.ex.LastEventID }

// Record appends an event of the interpreter (asl.Recorder).
func (r *recorder) Record(ev *asl.Event, prev int64) int64 {
	h := historyEvent{Type: ev.Type}
	switch t := ev.Type; {
	case strings.HasSuffix(t, "StateEntered"):
		h.StateEntered = &stateEnteredDetails{Name: ev.State, Input: data(string(ev.Input)), InputDetails: notTruncated}
	case strings.HasSuffix(t, "StateExited"):
		h.StateExited = &stateExitedDetails{Name: ev.State, Output: data(string(ev.Output)), OutputDetails: notTruncated}
		if ev.Assigned != nil {
			var vars map[string]json.RawMessage
			if json.Unmarshal(ev.Assigned, &vars) == nil {
				h.StateExited.AssignedVariables = make(map[string]string, len(vars))
				for k, v := range vars {
					h.StateExited.AssignedVariables[k] = string(v)
				}
				h.StateExited.AssignedVariablesDetails = notTruncated
			}
		}
	case t == "ActivityScheduled":
		d := &activityScheduledDetails{Resource: ev.Task.Resource, Input: data(string(ev.Task.Input)), InputDetails: notTruncated}
		d.TimeoutInSeconds = int64(ev.Task.TimeoutSeconds)
		d.HeartbeatInSeconds = int64(ev.Task.HeartbeatSeconds)
		h.ActivityScheduled = d
	case t == "ActivityScheduleFailed":
		h.ActivityScheduleFailed = &errorDetails{Error: ev.Error, Cause: ev.Cause}
	case t == "ActivityStarted":
		h.ActivityStarted = &activityStartedDetails{WorkerName: ev.Worker}
	case t == "ActivitySucceeded":
		h.ActivitySucceeded = &outputDetails{Output: data(string(ev.Output)), OutputDetails: notTruncated}
	case t == "ActivityFailed":
		h.ActivityFailed = &errorDetails{Error: ev.Error, Cause: ev.Cause}
	case t == "ActivityTimedOut":
		h.ActivityTimedOut = &errorDetails{Error: ev.Error, Cause: ev.Cause}
	case t == "MapStateStarted":
		h.MapStateStarted = &mapStateStartedDetails{Length: ev.Length}
	case t == "MapIterationStarted":
		h.MapIterationStarted = &mapIterationDetails{Name: ev.State, Index: ev.Index}
	case t == "MapIterationSucceeded":
		h.MapIterationSucceeded = &mapIterationDetails{Name: ev.State, Index: ev.Index}
	case t == "MapIterationFailed":
		h.MapIterationFailed = &mapIterationDetails{Name: ev.State, Index: ev.Index}
	case t == "MapIterationAborted":
		h.MapIterationAborted = &mapIterationDetails{Name: ev.State, Index: ev.Index}
	case t == "MapRunStarted":
		h.MapRunStarted = &mapRunStartedDetails{}
	case t == "MapRunFailed":
		h.MapRunFailed = &errorDetails{Error: ev.Error, Cause: ev.Cause}
	case strings.HasPrefix(t, "Task") || strings.HasPrefix(t, "LambdaFunction"):
		r.taskEvent(&h, ev)
		if t == "TaskScheduled" && strings.HasSuffix(ev.Task.Resource, "."+asl.PatternWaitForToken) {
			if r.scheduled == nil {
				r.scheduled = make(map[*asl.TaskSpec]int)
			}
			r.scheduled[ev.Task] = len(r.pending)
		}
	case t == "EvaluationFailed":
		h.EvaluationFailed = &evaluationFailedDetails{Error: ev.Error, Cause: ev.Cause, State: ev.State}
	}
	return r.add(h, prev)
}

// flush writes the recorded events.
func (r *recorder) flush(tx store.Tx) error {
	if len(r.pending) == 0 {
		return nil
	}
	if r.ex.Express {
		r.pending = r.pending[:0] // an Express execution keeps no history
		return nil
	}
	if err := tx.AppendEvents(r.ex.ARN, r.pending); err != nil {
		return fmt.Errorf("append history: %w", err)
	}
	r.pending = r.pending[:0]
	return nil
}

// taskEvent fills in the details of a service integration's (Task*) or a
// Lambda function's (LambdaFunction*) event.
func (r *recorder) taskEvent(h *historyEvent, ev *asl.Event) {
	if ev.Task == nil {
		return
	}
	res, _ := asl.ParseResource(ev.Task.Resource)
	td := taskDetails{ResourceType: res.Service, Resource: res.TaskResource()}
	switch h.Type {
	case "TaskScheduled":
		h.TaskScheduled = &taskScheduledDetails{
			ResourceType: td.ResourceType, Resource: td.Resource, Region: arnRegion(r.ex.ARN),
			Parameters:         string(ev.Task.Input),
			TimeoutInSeconds:   int64(ev.Task.TimeoutSeconds),
			HeartbeatInSeconds: int64(ev.Task.HeartbeatSeconds),
		}
	case "TaskStarted":
		h.TaskStarted = &td
	case "TaskSubmitted":
		h.TaskSubmitted = &taskOutputDetails{ResourceType: td.ResourceType, Resource: td.Resource, Output: data(string(ev.Output)), OutputDetails: notTruncated}
	case "TaskSucceeded":
		h.TaskSucceeded = &taskOutputDetails{ResourceType: td.ResourceType, Resource: td.Resource, Output: data(string(ev.Output)), OutputDetails: notTruncated}
	case "TaskFailed":
		h.TaskFailed = &taskErrorDetails{ResourceType: td.ResourceType, Resource: td.Resource, Error: ev.Error, Cause: ev.Cause}
	case "TaskTimedOut":
		h.TaskTimedOut = &taskErrorDetails{ResourceType: td.ResourceType, Resource: td.Resource, Error: ev.Error, Cause: ev.Cause}
	case "LambdaFunctionScheduled":
		h.LambdaFunctionScheduled = &lambdaScheduledDetails{Resource: ev.Task.Resource, Input: data(string(ev.Task.Input)), InputDetails: notTruncated, TimeoutInSeconds: int64(ev.Task.TimeoutSeconds)}
	case "LambdaFunctionSucceeded":
		h.LambdaFunctionSucceeded = &outputDetails{Output: data(string(ev.Output)), OutputDetails: notTruncated}
	case "LambdaFunctionFailed":
		h.LambdaFunctionFailed = &errorDetails{Error: ev.Error, Cause: ev.Cause}
	case "LambdaFunctionTimedOut":
		h.LambdaFunctionTimedOut = &errorDetails{Error: ev.Error, Cause: ev.Cause}
	}
}
