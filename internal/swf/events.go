package swf

// History event attributes, with the model's member names. Required
// members are always written; optional ones are left out when empty, as
// AWS does.

type workflowExecutionStartedAttrs struct {
	Input                        string             `json:"input,omitempty"`
	ExecutionStartToCloseTimeout string             `json:"executionStartToCloseTimeout,omitempty"`
	TaskStartToCloseTimeout      string             `json:"taskStartToCloseTimeout,omitempty"`
	ChildPolicy                  string             `json:"childPolicy"`
	TaskList                     TaskList           `json:"taskList"`
	TaskPriority                 string             `json:"taskPriority,omitempty"`
	WorkflowType                 WorkflowType       `json:"workflowType"`
	TagList                      []string           `json:"tagList,omitempty"`
	ContinuedExecutionRunID      string             `json:"continuedExecutionRunId,omitempty"`
	ParentWorkflowExecution      *WorkflowExecution `json:"parentWorkflowExecution,omitempty"`
	ParentInitiatedEventID       int64              `json:"parentInitiatedEventId,omitempty"`
	LambdaRole                   string             `json:"lambdaRole,omitempty"`
}

type decisionTaskScheduledAttrs struct {
	TaskList               TaskList `json:"taskList"`
	TaskPriority           string   `json:"taskPriority,omitempty"`
	StartToCloseTimeout    string   `json:"startToCloseTimeout,omitempty"`
	ScheduleToStartTimeout string   `json:"scheduleToStartTimeout,omitempty"`
}

type decisionTaskStartedAttrs struct {
	Identity         string `json:"identity,omitempty"`
	ScheduledEventID int64  `json:"scheduledEventId"`
}

type decisionTaskCompletedAttrs struct {
	ExecutionContext               string    `json:"executionContext,omitempty"`
	ScheduledEventID               int64     `json:"scheduledEventId"`
	StartedEventID                 int64     `json:"startedEventId"`
	TaskList                       *TaskList `json:"taskList,omitempty"`
	TaskListScheduleToStartTimeout string    `json:"taskListScheduleToStartTimeout,omitempty"`
}

type decisionTaskTimedOutAttrs struct {
	TimeoutType      string `json:"timeoutType"`
	ScheduledEventID int64  `json:"scheduledEventId"`
	StartedEventID   int64  `json:"startedEventId"`
}

type activityTaskScheduledAttrs struct {
	ActivityType                 ActivityType `json:"activityType"`
	ActivityID                   string       `json:"activityId"`
	Input                        string       `json:"input,omitempty"`
	Control                      string       `json:"control,omitempty"`
	ScheduleToStartTimeout       string       `json:"scheduleToStartTimeout,omitempty"`
	ScheduleToCloseTimeout       string       `json:"scheduleToCloseTimeout,omitempty"`
	StartToCloseTimeout          string       `json:"startToCloseTimeout,omitempty"`
	TaskList                     TaskList     `json:"taskList"`
	TaskPriority                 string       `json:"taskPriority,omitempty"`
	DecisionTaskCompletedEventID int64        `json:"decisionTaskCompletedEventId"`
	HeartbeatTimeout             string       `json:"heartbeatTimeout,omitempty"`
}

type scheduleActivityTaskFailedAttrs struct {
	ActivityType                 ActivityType `json:"activityType"`
	ActivityID                   string       `json:"activityId"`
	Cause                        string       `json:"cause"`
	DecisionTaskCompletedEventID int64        `json:"decisionTaskCompletedEventId"`
}

type activityTaskStartedAttrs struct {
	Identity         string `json:"identity,omitempty"`
	ScheduledEventID int64  `json:"scheduledEventId"`
}

// activityTaskClosedAttrs are the attributes of ActivityTaskCompleted,
// Failed, TimedOut and Canceled (each uses its own subset).
type activityTaskClosedAttrs struct {
	Result                       string `json:"result,omitempty"`
	Reason                       string `json:"reason,omitempty"`
	TimeoutType                  string `json:"timeoutType,omitempty"`
	Details                      string `json:"details,omitempty"`
	ScheduledEventID             int64  `json:"scheduledEventId"`
	StartedEventID               int64  `json:"startedEventId"`
	LatestCancelRequestedEventID int64  `json:"latestCancelRequestedEventId,omitempty"`
}

type activityTaskCancelRequestedAttrs struct {
	DecisionTaskCompletedEventID int64  `json:"decisionTaskCompletedEventId"`
	ActivityID                   string `json:"activityId"`
}

type requestCancelActivityTaskFailedAttrs struct {
	ActivityID                   string `json:"activityId"`
	Cause                        string `json:"cause"`
	DecisionTaskCompletedEventID int64  `json:"decisionTaskCompletedEventId"`
}

// workflowClosedAttrs are the attributes of WorkflowExecutionCompleted,
// Failed and Canceled.
type workflowClosedAttrs struct {
	Result                       string `json:"result,omitempty"`
	Reason                       string `json:"reason,omitempty"`
	Details                      string `json:"details,omitempty"`
	DecisionTaskCompletedEventID int64  `json:"decisionTaskCompletedEventId"`
}

// decisionFailedAttrs are the attributes of the *Failed events of the
// closing decisions (CompleteWorkflowExecutionFailed...).
type decisionFailedAttrs struct {
	Cause                        string `json:"cause"`
	DecisionTaskCompletedEventID int64  `json:"decisionTaskCompletedEventId"`
}

type workflowExecutionContinuedAsNewAttrs struct {
	Input                        string       `json:"input,omitempty"`
	DecisionTaskCompletedEventID int64        `json:"decisionTaskCompletedEventId"`
	NewExecutionRunID            string       `json:"newExecutionRunId"`
	ExecutionStartToCloseTimeout string       `json:"executionStartToCloseTimeout,omitempty"`
	TaskList                     TaskList     `json:"taskList"`
	TaskPriority                 string       `json:"taskPriority,omitempty"`
	TaskStartToCloseTimeout      string       `json:"taskStartToCloseTimeout,omitempty"`
	ChildPolicy                  string       `json:"childPolicy"`
	TagList                      []string     `json:"tagList,omitempty"`
	WorkflowType                 WorkflowType `json:"workflowType"`
	LambdaRole                   string       `json:"lambdaRole,omitempty"`
}

type workflowExecutionTerminatedAttrs struct {
	Reason      string `json:"reason,omitempty"`
	Details     string `json:"details,omitempty"`
	ChildPolicy string `json:"childPolicy"`
	Cause       string `json:"cause,omitempty"`
}

type workflowExecutionTimedOutAttrs struct {
	TimeoutType string `json:"timeoutType"`
	ChildPolicy string `json:"childPolicy"`
}

type workflowExecutionSignaledAttrs struct {
	SignalName                string             `json:"signalName"`
	Input                     string             `json:"input,omitempty"`
	ExternalWorkflowExecution *WorkflowExecution `json:"externalWorkflowExecution,omitempty"`
	ExternalInitiatedEventID  int64              `json:"externalInitiatedEventId,omitempty"`
}

type workflowExecutionCancelRequestedAttrs struct {
	ExternalWorkflowExecution *WorkflowExecution `json:"externalWorkflowExecution,omitempty"`
	ExternalInitiatedEventID  int64              `json:"externalInitiatedEventId,omitempty"`
	Cause                     string             `json:"cause,omitempty"`
}

type markerRecordedAttrs struct {
	MarkerName                   string `json:"markerName"`
	Details                      string `json:"details,omitempty"`
	DecisionTaskCompletedEventID int64  `json:"decisionTaskCompletedEventId"`
}

type timerStartedAttrs struct {
	TimerID                      string `json:"timerId"`
	Control                      string `json:"control,omitempty"`
	StartToFireTimeout           string `json:"startToFireTimeout"`
	DecisionTaskCompletedEventID int64  `json:"decisionTaskCompletedEventId"`
}

type timerFiredAttrs struct {
	TimerID        string `json:"timerId"`
	StartedEventID int64  `json:"startedEventId"`
}

type timerCanceledAttrs struct {
	TimerID                      string `json:"timerId"`
	StartedEventID               int64  `json:"startedEventId"`
	DecisionTaskCompletedEventID int64  `json:"decisionTaskCompletedEventId"`
}

// timerFailedAttrs are the attributes of StartTimerFailed and
// CancelTimerFailed.
type recordMarkerFailedAttrs struct {
	MarkerName                   string `json:"markerName"`
	Cause                        string `json:"cause"`
	DecisionTaskCompletedEventID int64  `json:"decisionTaskCompletedEventId"`
}

type timerFailedAttrs struct {
	TimerID                      string `json:"timerId"`
	Cause                        string `json:"cause"`
	DecisionTaskCompletedEventID int64  `json:"decisionTaskCompletedEventId"`
}

// externalInitiatedAttrs are the attributes of
// SignalExternalWorkflowExecutionInitiated and
// RequestCancelExternalWorkflowExecutionInitiated.
type externalInitiatedAttrs struct {
	WorkflowID                   string `json:"workflowId"`
	RunID                        string `json:"runId,omitempty"`
	SignalName                   string `json:"signalName,omitempty"`
	Input                        string `json:"input,omitempty"`
	DecisionTaskCompletedEventID int64  `json:"decisionTaskCompletedEventId"`
	Control                      string `json:"control,omitempty"`
}

// externalFailedAttrs are the attributes of
// SignalExternalWorkflowExecutionFailed and
// RequestCancelExternalWorkflowExecutionFailed.
type externalFailedAttrs struct {
	WorkflowID                   string `json:"workflowId"`
	RunID                        string `json:"runId,omitempty"`
	Cause                        string `json:"cause"`
	InitiatedEventID             int64  `json:"initiatedEventId"`
	DecisionTaskCompletedEventID int64  `json:"decisionTaskCompletedEventId"`
	Control                      string `json:"control,omitempty"`
}

// externalDoneAttrs are the attributes of ExternalWorkflowExecutionSignaled
// and ExternalWorkflowExecutionCancelRequested.
type externalDoneAttrs struct {
	WorkflowExecution WorkflowExecution `json:"workflowExecution"`
	InitiatedEventID  int64             `json:"initiatedEventId"`
}

type startChildInitiatedAttrs struct {
	WorkflowID                   string       `json:"workflowId"`
	WorkflowType                 WorkflowType `json:"workflowType"`
	Control                      string       `json:"control,omitempty"`
	Input                        string       `json:"input,omitempty"`
	ExecutionStartToCloseTimeout string       `json:"executionStartToCloseTimeout,omitempty"`
	TaskList                     TaskList     `json:"taskList"`
	TaskPriority                 string       `json:"taskPriority,omitempty"`
	DecisionTaskCompletedEventID int64        `json:"decisionTaskCompletedEventId"`
	ChildPolicy                  string       `json:"childPolicy"`
	TaskStartToCloseTimeout      string       `json:"taskStartToCloseTimeout,omitempty"`
	TagList                      []string     `json:"tagList,omitempty"`
	LambdaRole                   string       `json:"lambdaRole,omitempty"`
}

type startChildFailedAttrs struct {
	WorkflowType                 WorkflowType `json:"workflowType"`
	Cause                        string       `json:"cause"`
	WorkflowID                   string       `json:"workflowId"`
	InitiatedEventID             int64        `json:"initiatedEventId"`
	DecisionTaskCompletedEventID int64        `json:"decisionTaskCompletedEventId"`
	Control                      string       `json:"control,omitempty"`
}

// childEventAttrs are the attributes of ChildWorkflowExecutionStarted,
// Completed, Failed, TimedOut, Canceled and Terminated (each uses its own
// subset; Started has no startedEventId).
type childEventAttrs struct {
	WorkflowExecution WorkflowExecution `json:"workflowExecution"`
	WorkflowType      WorkflowType      `json:"workflowType"`
	Result            string            `json:"result,omitempty"`
	Reason            string            `json:"reason,omitempty"`
	Details           string            `json:"details,omitempty"`
	TimeoutType       string            `json:"timeoutType,omitempty"`
	InitiatedEventID  int64             `json:"initiatedEventId"`
	StartedEventID    int64             `json:"startedEventId"`
}

type childStartedAttrs struct {
	WorkflowExecution WorkflowExecution `json:"workflowExecution"`
	WorkflowType      WorkflowType      `json:"workflowType"`
	InitiatedEventID  int64             `json:"initiatedEventId"`
}

type scheduleLambdaFunctionFailedAttrs struct {
	ID                           string `json:"id"`
	Name                         string `json:"name"`
	Cause                        string `json:"cause"`
	DecisionTaskCompletedEventID int64  `json:"decisionTaskCompletedEventId"`
}
