package sfn

import (
	"encoding/json"
	"fmt"
	"time"

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
	StateEntered       *stateEnteredDetails      `json:"stateEnteredEventDetails,omitempty"`
	StateExited        *stateExitedDetails       `json:"stateExitedEventDetails,omitempty"`
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
	Name          string     `json:"name"`
	Output        *string    `json:"output,omitempty"`
	OutputDetails *truncated `json:"outputDetails,omitempty"`
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
	for _, d := range []*outputDetails{ev.ActivitySucceeded, ev.ExecutionSucceeded} {
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
	}
}

// recorder appends events to one execution's history within a transaction.
type recorder struct {
	ex      *execution
	now     time.Time
	pending []store.Event
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

// flush writes the recorded events.
func (r *recorder) flush(tx store.Tx) error {
	if len(r.pending) == 0 {
		return nil
	}
	if err := tx.AppendEvents(r.ex.ARN, r.pending); err != nil {
		return fmt.Errorf("append history: %w", err)
	}
	r.pending = r.pending[:0]
	return nil
}
