package sfn

import (
	"encoding/json"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
)

// The request and response shapes of the Step Functions operations gaffer
// serves, with the member names of the AWS model. Only the members gaffer
// reads or writes are listed; others are accepted and ignored.

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// LoggingConfiguration is accepted and echoed; gaffer does not ship logs.
type LoggingConfiguration struct {
	Level                string          `json:"level,omitempty"`
	IncludeExecutionData bool            `json:"includeExecutionData"`
	Destinations         json.RawMessage `json:"destinations,omitempty"`
}

// TracingConfiguration is accepted and echoed; gaffer does not trace.
type TracingConfiguration struct {
	Enabled bool `json:"enabled"`
}

// EncryptionConfiguration is a state machine's or activity's server-side
// encryption settings: validated, stored and echoed. gaffer calls no KMS:
// nothing is encrypted with the key, and the key is not checked to exist.
type EncryptionConfiguration struct {
	Type                         string `json:"type"`
	KmsKeyID                     string `json:"kmsKeyId,omitempty"`
	KmsDataKeyReusePeriodSeconds *int   `json:"kmsDataKeyReusePeriodSeconds,omitempty"`
}

type createActivityInput struct {
	Name                    string                   `json:"name"`
	Tags                    []Tag                    `json:"tags"`
	EncryptionConfiguration *EncryptionConfiguration `json:"encryptionConfiguration"`
}

type createActivityOutput struct {
	ActivityArn  string           `json:"activityArn"`
	CreationDate awsapi.Timestamp `json:"creationDate"`
}

type activityArnInput struct {
	ActivityArn string `json:"activityArn"`
}

type describeActivityOutput struct {
	ActivityArn             string                   `json:"activityArn"`
	Name                    string                   `json:"name"`
	CreationDate            awsapi.Timestamp         `json:"creationDate"`
	EncryptionConfiguration *EncryptionConfiguration `json:"encryptionConfiguration,omitempty"`
}

type listInput struct {
	MaxResults int    `json:"maxResults"`
	NextToken  string `json:"nextToken"`
}

type activityListItem struct {
	ActivityArn  string           `json:"activityArn"`
	Name         string           `json:"name"`
	CreationDate awsapi.Timestamp `json:"creationDate"`
}

type listActivitiesOutput struct {
	Activities []activityListItem `json:"activities"`
	NextToken  string             `json:"nextToken,omitempty"`
}

type empty struct{}

type getActivityTaskInput struct {
	ActivityArn string `json:"activityArn"`
	WorkerName  string `json:"workerName"`
}

type getActivityTaskOutput struct {
	TaskToken string `json:"taskToken,omitempty"`
	Input     string `json:"input,omitempty"`
}

type sendTaskHeartbeatInput struct {
	TaskToken string `json:"taskToken"`
}

type sendTaskSuccessInput struct {
	TaskToken string `json:"taskToken"`
	Output    string `json:"output"`
}

type sendTaskFailureInput struct {
	TaskToken string `json:"taskToken"`
	Error     string `json:"error"`
	Cause     string `json:"cause"`
}

type createStateMachineInput struct {
	Name                    string                   `json:"name"`
	Definition              string                   `json:"definition"`
	RoleArn                 string                   `json:"roleArn"`
	Type                    string                   `json:"type"`
	LoggingConfiguration    *LoggingConfiguration    `json:"loggingConfiguration"`
	TracingConfiguration    *TracingConfiguration    `json:"tracingConfiguration"`
	Tags                    []Tag                    `json:"tags"`
	Publish                 bool                     `json:"publish"`
	VersionDescription      *string                  `json:"versionDescription"`
	EncryptionConfiguration *EncryptionConfiguration `json:"encryptionConfiguration"`
}

type createStateMachineOutput struct {
	StateMachineArn        string           `json:"stateMachineArn"`
	CreationDate           awsapi.Timestamp `json:"creationDate"`
	StateMachineVersionArn string           `json:"stateMachineVersionArn,omitempty"`
}

type stateMachineArnInput struct {
	StateMachineArn string `json:"stateMachineArn"`
}

type describeStateMachineOutput struct {
	StateMachineArn         string                   `json:"stateMachineArn"`
	Name                    string                   `json:"name"`
	Status                  string                   `json:"status"`
	Definition              string                   `json:"definition"`
	RoleArn                 string                   `json:"roleArn"`
	Type                    string                   `json:"type"`
	CreationDate            awsapi.Timestamp         `json:"creationDate"`
	LoggingConfiguration    *LoggingConfiguration    `json:"loggingConfiguration,omitempty"`
	TracingConfiguration    *TracingConfiguration    `json:"tracingConfiguration,omitempty"`
	RevisionID              string                   `json:"revisionId,omitempty"`
	Description             string                   `json:"description,omitempty"` // a version's
	EncryptionConfiguration *EncryptionConfiguration `json:"encryptionConfiguration,omitempty"`
}

type updateStateMachineInput struct {
	StateMachineArn         string                   `json:"stateMachineArn"`
	Definition              *string                  `json:"definition"`
	RoleArn                 *string                  `json:"roleArn"`
	LoggingConfiguration    *LoggingConfiguration    `json:"loggingConfiguration"`
	TracingConfiguration    *TracingConfiguration    `json:"tracingConfiguration"`
	Publish                 bool                     `json:"publish"`
	VersionDescription      *string                  `json:"versionDescription"`
	EncryptionConfiguration *EncryptionConfiguration `json:"encryptionConfiguration"`
}

type updateStateMachineOutput struct {
	UpdateDate             awsapi.Timestamp `json:"updateDate"`
	RevisionID             string           `json:"revisionId,omitempty"`
	StateMachineVersionArn string           `json:"stateMachineVersionArn,omitempty"`
}

type stateMachineListItem struct {
	StateMachineArn string           `json:"stateMachineArn"`
	Name            string           `json:"name"`
	Type            string           `json:"type"`
	CreationDate    awsapi.Timestamp `json:"creationDate"`
}

type listStateMachinesOutput struct {
	StateMachines []stateMachineListItem `json:"stateMachines"`
	NextToken     string                 `json:"nextToken,omitempty"`
}

type validateInput struct {
	Definition string `json:"definition"`
	Type       string `json:"type"`
	Severity   string `json:"severity"`
	MaxResults int    `json:"maxResults"`
}

type diagnostic struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Location string `json:"location,omitempty"`
}

type validateOutput struct {
	Result      string       `json:"result"`
	Diagnostics []diagnostic `json:"diagnostics"`
	Truncated   bool         `json:"truncated"`
}

type startExecutionInput struct {
	StateMachineArn string  `json:"stateMachineArn"`
	Name            string  `json:"name"`
	Input           *string `json:"input"`
	TraceHeader     string  `json:"traceHeader"`
}

type startExecutionOutput struct {
	ExecutionArn string           `json:"executionArn"`
	StartDate    awsapi.Timestamp `json:"startDate"`
}

type executionArnInput struct {
	ExecutionArn string `json:"executionArn"`
	IncludedData string `json:"includedData"`
}

type dataDetails struct {
	Included bool `json:"included"`
}

type describeExecutionOutput struct {
	ExecutionArn    string           `json:"executionArn"`
	StateMachineArn string           `json:"stateMachineArn"`
	Name            string           `json:"name"`
	Status          string           `json:"status"`
	StartDate       awsapi.Timestamp `json:"startDate"`
	StopDate        awsapi.Timestamp `json:"stopDate,omitzero"`
	Input           *string          `json:"input,omitempty"`
	InputDetails    *dataDetails     `json:"inputDetails,omitempty"`
	Output          *string          `json:"output,omitempty"`
	OutputDetails   *dataDetails     `json:"outputDetails,omitempty"`
	TraceHeader     string           `json:"traceHeader,omitempty"`
	MapRunArn       string           `json:"mapRunArn,omitempty"`
	Error           string           `json:"error,omitempty"`
	Cause           string           `json:"cause,omitempty"`
	RedriveCount    int              `json:"redriveCount"`
	RedriveStatus   string           `json:"redriveStatus,omitempty"`
	// Versions and aliases (versions.go), redrives (redrive.go).
	StateMachineVersionArn string           `json:"stateMachineVersionArn,omitempty"`
	StateMachineAliasArn   string           `json:"stateMachineAliasArn,omitempty"`
	RedriveDate            awsapi.Timestamp `json:"redriveDate,omitzero"`
	RedriveStatusReason    string           `json:"redriveStatusReason,omitempty"`
}

type stopExecutionInput struct {
	ExecutionArn string  `json:"executionArn"`
	Error        *string `json:"error"`
	Cause        *string `json:"cause"`
}

type stopExecutionOutput struct {
	StopDate awsapi.Timestamp `json:"stopDate"`
}

type listExecutionsInput struct {
	StateMachineArn string `json:"stateMachineArn"`
	StatusFilter    string `json:"statusFilter"`
	MaxResults      int    `json:"maxResults"`
	NextToken       string `json:"nextToken"`
	MapRunArn       string `json:"mapRunArn"`
	RedriveFilter   string `json:"redriveFilter"`
	// only, when set, lists only the executions of this version or alias
	// ARN (versions.go).
	only string
}

type executionListItem struct {
	ExecutionArn    string           `json:"executionArn"`
	StateMachineArn string           `json:"stateMachineArn"`
	Name            string           `json:"name"`
	Status          string           `json:"status"`
	StartDate       awsapi.Timestamp `json:"startDate"`
	StopDate        awsapi.Timestamp `json:"stopDate,omitzero"`
	MapRunArn       string           `json:"mapRunArn,omitempty"`
	ItemCount       int              `json:"itemCount,omitempty"`
	// Versions and aliases (versions.go), redrives (redrive.go).
	StateMachineVersionArn string           `json:"stateMachineVersionArn,omitempty"`
	StateMachineAliasArn   string           `json:"stateMachineAliasArn,omitempty"`
	RedriveCount           int              `json:"redriveCount"`
	RedriveDate            awsapi.Timestamp `json:"redriveDate,omitzero"`
}

type listExecutionsOutput struct {
	Executions []executionListItem `json:"executions"`
	NextToken  string              `json:"nextToken,omitempty"`
}

type getExecutionHistoryInput struct {
	ExecutionArn         string `json:"executionArn"`
	MaxResults           int    `json:"maxResults"`
	ReverseOrder         bool   `json:"reverseOrder"`
	NextToken            string `json:"nextToken"`
	IncludeExecutionData *bool  `json:"includeExecutionData"`
}

type getExecutionHistoryOutput struct {
	Events    []json.RawMessage `json:"events"`
	NextToken string            `json:"nextToken,omitempty"`
}

type describeStateMachineForExecutionOutput struct {
	StateMachineArn         string                   `json:"stateMachineArn"`
	Name                    string                   `json:"name"`
	Definition              string                   `json:"definition"`
	RoleArn                 string                   `json:"roleArn"`
	UpdateDate              awsapi.Timestamp         `json:"updateDate"`
	LoggingConfiguration    *LoggingConfiguration    `json:"loggingConfiguration,omitempty"`
	TracingConfiguration    *TracingConfiguration    `json:"tracingConfiguration,omitempty"`
	RevisionID              string                   `json:"revisionId,omitempty"`
	MapRunArn               string                   `json:"mapRunArn,omitempty"`
	Label                   string                   `json:"label,omitempty"`
	EncryptionConfiguration *EncryptionConfiguration `json:"encryptionConfiguration,omitempty"`
}

type mapRunArnInput struct {
	MapRunArn string `json:"mapRunArn"`
}

type describeMapRunOutput struct {
	MapRunArn                  string           `json:"mapRunArn"`
	ExecutionArn               string           `json:"executionArn"`
	Status                     string           `json:"status"`
	StartDate                  awsapi.Timestamp `json:"startDate"`
	StopDate                   awsapi.Timestamp `json:"stopDate,omitzero"`
	MaxConcurrency             int              `json:"maxConcurrency"`
	ToleratedFailurePercentage float64          `json:"toleratedFailurePercentage"`
	ToleratedFailureCount      int64            `json:"toleratedFailureCount"`
	ItemCounts                 mapCounts        `json:"itemCounts"`
	ExecutionCounts            mapCounts        `json:"executionCounts"`
	RedriveCount               int              `json:"redriveCount"`
}

type listMapRunsInput struct {
	ExecutionArn string `json:"executionArn"`
	MaxResults   int    `json:"maxResults"`
	NextToken    string `json:"nextToken"`
}

type mapRunListItem struct {
	ExecutionArn    string           `json:"executionArn"`
	MapRunArn       string           `json:"mapRunArn"`
	StateMachineArn string           `json:"stateMachineArn"`
	StartDate       awsapi.Timestamp `json:"startDate"`
	StopDate        awsapi.Timestamp `json:"stopDate,omitzero"`
}

type listMapRunsOutput struct {
	MapRuns   []mapRunListItem `json:"mapRuns"`
	NextToken string           `json:"nextToken,omitempty"`
}

type updateMapRunInput struct {
	MapRunArn                  string   `json:"mapRunArn"`
	MaxConcurrency             *int64   `json:"maxConcurrency"`
	ToleratedFailurePercentage *float64 `json:"toleratedFailurePercentage"`
	ToleratedFailureCount      *int64   `json:"toleratedFailureCount"`
}

type tagResourceInput struct {
	ResourceArn string `json:"resourceArn"`
	Tags        []Tag  `json:"tags"`
}

type untagResourceInput struct {
	ResourceArn string   `json:"resourceArn"`
	TagKeys     []string `json:"tagKeys"`
}

type resourceArnInput struct {
	ResourceArn string `json:"resourceArn"`
}

type listTagsOutput struct {
	Tags []Tag `json:"tags"`
}
