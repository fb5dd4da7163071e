package swf

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/swferr"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// Object kinds in the store. IDs join their parts with '|', which SWF
// names cannot contain.
const (
	kindDomain       = "swf.domain"       // ID: domain name
	kindActivityType = "swf.activitytype" // ID: domain|name|version; Parent: domain; Status: REGISTERED or DEPRECATED
	kindWorkflowType = "swf.workflowtype" // ID: domain|name|version; Parent: domain; Status: REGISTERED or DEPRECATED
	kindExecution    = "swf.execution"    // ID: domain|workflowId|runId; Parent: domain; Status: OPEN or CLOSED
	kindOpenRun      = "swf.openrun"      // ID: domain|workflowId; Body: the open run's runId (one open run per workflowId)
)

// Registration and execution statuses.
const (
	statusRegistered = "REGISTERED"
	statusDeprecated = "DEPRECATED"
	statusOpen       = "OPEN"
	statusClosed     = "CLOSED"
)

func typeID(domain, name, version string) string { return domain + "|" + name + "|" + version }
func executionID(domain, workflowID, runID string) string {
	return domain + "|" + workflowID + "|" + runID
}
func openRunID(domain, workflowID string) string { return domain + "|" + workflowID }

// decisionQueue and activityQueue name a task list's engine queues.
func decisionQueue(domain, taskList string) string {
	return ownerKind + ":d:" + domain + "|" + taskList
}
func activityQueue(domain, taskList string) string {
	return activityQueuePrefix + domain + "|" + taskList
}

// queueDomain returns the domain of a decision or activity queue.
func queueDomain(queue string) string {
	q := strings.TrimPrefix(queue, ownerKind+":")
	if _, rest, ok := strings.Cut(q, ":"); ok {
		q = rest
	}
	d, _, _ := strings.Cut(q, "|")
	return d
}

// activityQueuePrefix begins every activity task queue.
const activityQueuePrefix = ownerKind + ":a:"

// domain is the stored record of a domain.
type domain struct {
	Name string `json:"name"`
	// Key is the domain's key in the store (domainKey): its name in the
	// node's default region, "<region>/<name>" in any other. Empty in
	// records from before regions were kept apart: their key is their name.
	Key           string        `json:"key,omitempty"`
	Description   string        `json:"description,omitempty"`
	Status        string        `json:"status"`
	RetentionDays string        `json:"retention"` // "NONE" or "0".."90"
	ARN           string        `json:"arn"`
	Tags          []ResourceTag `json:"tags,omitempty"`
	Created       time.Time     `json:"created"`
}

// activityType is the stored record of an activity type. Default timeouts
// are SWF duration strings ("" when not registered).
type activityType struct {
	Domain                 string    `json:"domain"`
	Name                   string    `json:"name"`
	Version                string    `json:"version"`
	Status                 string    `json:"status"`
	Description            string    `json:"description,omitempty"`
	Created                time.Time `json:"created"`
	Deprecated             time.Time `json:"deprecated,omitzero"`
	DefaultTaskList        string    `json:"defaultTaskList,omitempty"`
	DefaultTaskPriority    string    `json:"defaultTaskPriority,omitempty"`
	DefaultScheduleToStart string    `json:"defaultScheduleToStart,omitempty"`
	DefaultScheduleToClose string    `json:"defaultScheduleToClose,omitempty"`
	DefaultStartToClose    string    `json:"defaultStartToClose,omitempty"`
	DefaultHeartbeat       string    `json:"defaultHeartbeat,omitempty"`
}

// workflowType is the stored record of a workflow type.
type workflowType struct {
	Domain                       string    `json:"domain"`
	Name                         string    `json:"name"`
	Version                      string    `json:"version"`
	Status                       string    `json:"status"`
	Description                  string    `json:"description,omitempty"`
	Created                      time.Time `json:"created"`
	Deprecated                   time.Time `json:"deprecated,omitzero"`
	DefaultTaskList              string    `json:"defaultTaskList,omitempty"`
	DefaultTaskPriority          string    `json:"defaultTaskPriority,omitempty"`
	DefaultExecutionStartToClose string    `json:"defaultExecutionStartToClose,omitempty"`
	DefaultTaskStartToClose      string    `json:"defaultTaskStartToClose,omitempty"`
	DefaultChildPolicy           string    `json:"defaultChildPolicy,omitempty"`
	DefaultLambdaRole            string    `json:"defaultLambdaRole,omitempty"`
}

// execution is the stored record of a workflow execution: what
// DescribeWorkflowExecution and the visibility operations show, and the
// open state the decisions work on. The execution core owns the fields
// below Runtime; visibility reads the ones above.
type execution struct {
	Domain          string             `json:"domain"`
	WorkflowID      string             `json:"workflowId"`
	RunID           string             `json:"runId"`
	Type            WorkflowType       `json:"type"`
	Status          string             `json:"status"`                // OPEN or CLOSED
	CloseStatus     string             `json:"closeStatus,omitempty"` // COMPLETED FAILED CANCELED TERMINATED CONTINUED_AS_NEW TIMED_OUT
	Started         time.Time          `json:"started"`
	Closed          time.Time          `json:"closed,omitzero"`
	Parent          *WorkflowExecution `json:"parent,omitempty"`
	TagList         []string           `json:"tagList,omitempty"`
	CancelRequested bool               `json:"cancelRequested,omitempty"`
	Input           string             `json:"input,omitempty"`
	// Configuration as resolved at start (durations are SWF strings).
	TaskList                     string    `json:"taskList"`
	TaskPriority                 string    `json:"taskPriority,omitempty"`
	ExecutionStartToCloseTimeout string    `json:"executionStartToCloseTimeout"`
	TaskStartToCloseTimeout      string    `json:"taskStartToCloseTimeout"`
	ChildPolicy                  string    `json:"childPolicy"`
	LambdaRole                   string    `json:"lambdaRole,omitempty"`
	LatestExecutionContext       string    `json:"latestExecutionContext,omitempty"`
	LatestActivityTaskTimestamp  time.Time `json:"latestActivityTaskTimestamp,omitzero"`
	LastEventID                  int64     `json:"lastEventId"`

	// Runtime is the open state the execution core keeps: decision task,
	// open activities, timers, children, pending external requests.
	Runtime json.RawMessage `json:"runtime,omitempty"`
}

// ID returns the execution's object id.
func (e *execution) ID() string { return executionID(e.Domain, e.WorkflowID, e.RunID) }

// Shapes shared by several operations, with the model's member names.

// WorkflowType names a workflow type.
type WorkflowType struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ActivityType names an activity type.
type ActivityType struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// TaskList names a task list.
type TaskList struct {
	Name string `json:"name"`
}

// WorkflowExecution names one run of a workflow.
type WorkflowExecution struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
}

// ResourceTag is a domain tag.
type ResourceTag struct {
	Key   string  `json:"key"`
	Value *string `json:"value,omitempty"`
}

// parseDuration parses an SWF duration string: "NONE" (none is true) or a
// whole number of seconds. "" is an error: callers resolve defaults first.
func parseDuration(field, s string) (d time.Duration, none bool, err error) {
	if s == "NONE" {
		return 0, true, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false, swferr.ValidationException("Invalid %s '%s': give a whole number of seconds or NONE", field, s)
	}
	return time.Duration(n) * time.Second, false, nil
}

// getJSON loads and decodes a stored object, returning notFound if it does
// not exist.
func getJSON(tx store.Tx, kind, id string, v any, notFound error) (*store.Object, error) {
	o, err := store.GetJSON(tx, kind, id, v)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound
	}
	return o, err
}

// putJSON encodes and stores v.
func putJSON(tx store.Tx, kind, id, parent, status string, v any) error {
	return store.PutJSON(tx, &store.Object{Kind: kind, ID: id, Parent: parent, Status: status}, v)
}

// loadDomain reads the domain with the key name (domainKey), answering UnknownResourceFault if it does not
// exist.
// It does not lock the row (store.Tx.ReadObject): every start and
// decision of the domain reads it; lockDomain is for the writes of it.
func loadDomain(tx store.Tx, name string) (*domain, error) {
	var d domain
	_, err := store.ReadJSON(tx, kindDomain, name, &d)
	if errors.Is(err, store.ErrNotFound) {
		return nil, swferr.UnknownDomain(domainName(name))
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// lockDomain is loadDomain locking the row, for the transaction that
// writes it (deprecation).
func lockDomain(tx store.Tx, name string) (*domain, error) {
	var d domain
	if _, err := getJSON(tx, kindDomain, name, &d, swferr.UnknownDomain(domainName(name))); err != nil {
		return nil, err
	}
	return &d, nil
}

// recorder appends events to one execution's history within a transaction.
// An event is stored as the JSON SWF sends: eventId, eventTimestamp,
// eventType and one "<eventType in lowerCamelCase>EventAttributes" member.
type recorder struct {
	ex      *execution
	now     time.Time
	pending []store.Event
}

// add appends an event of eventType with attrs (a struct or map that
// encodes to the attributes object; nil for none) and returns its id.
func (r *recorder) add(eventType string, attrs any) int64 {
	r.ex.LastEventID++
	ev := map[string]any{
		"eventId":        r.ex.LastEventID,
		"eventTimestamp": awsapi.Timestamp{Time: r.now},
		"eventType":      eventType,
	}
	if attrs != nil {
		ev[attributesKey(eventType)] = attrs
	}
	body, err := json.Marshal(ev)
	if err != nil {
		panic(fmt.Sprintf("swf: marshal %s event: %v", eventType, err)) // plain data: cannot happen
	}
	r.pending = append(r.pending, store.Event{ID: r.ex.LastEventID, Body: body})
	return r.ex.LastEventID
}

// attributesKey returns the HistoryEvent member that holds eventType's
// attributes, e.g. "activityTaskScheduledEventAttributes".
func attributesKey(eventType string) string {
	return string(eventType[0]|0x20) + eventType[1:] + "EventAttributes"
}

// flush writes the recorded events.
func (r *recorder) flush(tx store.Tx) error {
	if len(r.pending) == 0 {
		return nil
	}
	if err := tx.AppendEvents(r.ex.ID(), r.pending); err != nil {
		return fmt.Errorf("append history: %w", err)
	}
	r.pending = r.pending[:0]
	return nil
}

// WorkflowExecutionOpenCounts is what DescribeWorkflowExecution reports of
// an execution's open work.
type WorkflowExecutionOpenCounts struct {
	OpenActivityTasks           int `json:"openActivityTasks"`
	OpenDecisionTasks           int `json:"openDecisionTasks"`
	OpenTimers                  int `json:"openTimers"`
	OpenChildWorkflowExecutions int `json:"openChildWorkflowExecutions"`
	OpenLambdaFunctions         int `json:"openLambdaFunctions"`
}
