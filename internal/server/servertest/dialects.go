package servertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	dptypes "github.com/aws/aws-sdk-go-v2/service/datapipeline/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/smithy-go"

	"github.com/gaffer-dev/gaffer/internal/server"
)

// Env is what a dialect's tests share whatever the client: the server, the
// context of their calls and a way to wait on the server's state. The
// dialect environments (SFNEnv, SWFEnv, PipelineEnv) embed it; a test
// package embeds one of those in its own bundle.
type Env struct {
	// Srv is the in-process server; nil for a child process.
	Srv *server.Server
	// URL is the server's endpoint.
	URL string
	Ctx context.Context
	// Wait waits on the server's state: Commits(Srv) in process, the
	// Process itself for a child.
	Wait Waiter
}

// InProcess returns the Env of an in-process server (see Start).
func InProcess(srv *server.Server) Env {
	return Env{Srv: srv, URL: srv.URL(), Ctx: context.Background(), Wait: Commits(srv)}
}

// Env returns the Env of the child process p.
func (p *Process) Env() Env {
	return Env{URL: p.URL, Ctx: context.Background(), Wait: p}
}

var nameSeq atomic.Int64

// Uniq returns prefix with a number unique within the test binary, for
// names that tests sharing a server must not share.
func Uniq(prefix string) string { return fmt.Sprintf("%s-%d", prefix, nameSeq.Add(1)) }

// ErrorCode returns the AWS error code of err ("" if it is not an API
// error).
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// OK fails the test on err; what names the call.
func OK(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// WantClientError fails unless err is the AWS error code want, answered
// with HTTP status 400 (every Data Pipeline error but InternalServiceError,
// for one).
func WantClientError(t testing.TB, what string, err error, want string) {
	t.Helper()
	if got := ErrorCode(err); got != want {
		t.Fatalf("%s: error %v (code %q), want %s", what, err, got, want)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
		t.Fatalf("%s: error %v is not an HTTP 400 answer", what, err)
	}
}

// JSONEqual reports whether two JSON texts are equal structurally; it
// fails the test if either is not JSON.
func JSONEqual(t testing.TB, got, want string) bool {
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

// Step Functions.

// SFNEnv is an Env with a Step Functions client.
type SFNEnv struct {
	Env
	Client *sfn.Client
}

// SFN returns e with a Step Functions client for its server.
func (e Env) SFN() *SFNEnv { return &SFNEnv{Env: e, Client: SFN(e.URL)} }

// Activity creates an activity with a unique name and returns its ARN.
func (e *SFNEnv) Activity(t testing.TB) string {
	t.Helper()
	out, err := e.Client.CreateActivity(e.Ctx, &sfn.CreateActivityInput{Name: aws.String(Uniq("act"))})
	if err != nil {
		t.Fatalf("CreateActivity: %v", err)
	}
	return *out.ActivityArn
}

// Machine creates a state machine with a unique name from a definition
// and returns its ARN. "$ACT" in the definition is replaced by act.
func (e *SFNEnv) Machine(t testing.TB, definition, act string) string {
	t.Helper()
	out, err := e.Client.CreateStateMachine(e.Ctx, &sfn.CreateStateMachineInput{
		Name:       aws.String(Uniq("sm")),
		Definition: aws.String(strings.ReplaceAll(definition, "$ACT", act)),
		RoleArn:    aws.String("arn:aws:iam::000000000000:role/test"),
	})
	if err != nil {
		t.Fatalf("CreateStateMachine: %v", err)
	}
	return *out.StateMachineArn
}

// Start starts an execution and returns its ARN.
func (e *SFNEnv) Start(t testing.TB, machine, input string) string {
	t.Helper()
	out, err := e.Client.StartExecution(e.Ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Input: aws.String(input)})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	return *out.ExecutionArn
}

// Poll long-polls act once and returns the token and input ("" if empty).
func (e *SFNEnv) Poll(t testing.TB, act string) (token, input string) {
	t.Helper()
	out, err := e.Client.GetActivityTask(e.Ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(act), WorkerName: aws.String("worker-1")})
	if err != nil {
		t.Fatalf("GetActivityTask: %v", err)
	}
	return aws.ToString(out.TaskToken), aws.ToString(out.Input)
}

// MustPoll polls until a task comes (at most 10 s).
func (e *SFNEnv) MustPoll(t testing.TB, act string) (token, input string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if tok, in := e.Poll(t, act); tok != "" {
			return tok, in
		}
	}
	t.Fatalf("no task on %s", act)
	return "", ""
}

// History returns an execution's whole history.
func (e *SFNEnv) History(t testing.TB, exec string) []sfntypes.HistoryEvent {
	t.Helper()
	var events []sfntypes.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(e.Client, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(exec)})
	for p.HasMorePages() {
		page, err := p.NextPage(e.Ctx)
		if err != nil {
			t.Fatalf("GetExecutionHistory: %v", err)
		}
		events = append(events, page.Events...)
	}
	return events
}

// SFNEventTypes lists the types of events.
func SFNEventTypes(events []sfntypes.HistoryEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = string(e.Type)
	}
	return out
}

// WaitStatus waits until the execution's status is want (at most 60 s: a
// bound for a loaded machine, not a pace; it returns as soon as the status
// changes) and returns the description; it fails the test if the
// execution ends otherwise.
func (e *SFNEnv) WaitStatus(t testing.TB, exec string, want sfntypes.ExecutionStatus) *sfn.DescribeExecutionOutput {
	t.Helper()
	var out *sfn.DescribeExecutionOutput
	e.Wait.Await(60*time.Second, func() bool {
		var err error
		out, err = e.Client.DescribeExecution(e.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(exec)})
		if err != nil {
			t.Fatalf("DescribeExecution: %v", err)
		}
		return out.Status == want || out.Status != sfntypes.ExecutionStatusRunning
	})
	if out.Status != want {
		t.Fatalf("execution status %s, want %s; history: %v", out.Status, want, SFNEventTypes(e.History(t, exec)))
	}
	return out
}

// Simple Workflow Service.

// SWFEnv is an Env with an SWF client.
type SWFEnv struct {
	Env
	Client *swf.Client
}

// SWF returns e with an SWF client for its server.
func (e Env) SWF() *SWFEnv { return &SWFEnv{Env: e, Client: SWF(e.URL)} }

// Data Pipeline.

// PipelineEnv is an Env with a Data Pipeline client.
type PipelineEnv struct {
	Env
	Client *datapipeline.Client
}

// DataPipeline returns e with a Data Pipeline client for its server.
func (e Env) DataPipeline() *PipelineEnv {
	return &PipelineEnv{Env: e, Client: DataPipeline(e.URL)}
}

// Create creates a pipeline named name with a fresh uniqueId and returns
// its id.
func (e *PipelineEnv) Create(t testing.TB, name string) string {
	t.Helper()
	out, err := e.Client.CreatePipeline(e.Ctx, &datapipeline.CreatePipelineInput{Name: aws.String(name), UniqueId: aws.String(Uniq("u"))})
	OK(t, "CreatePipeline "+name, err)
	return aws.ToString(out.PipelineId)
}

// Put puts a definition that must have no errors.
func (e *PipelineEnv) Put(t testing.TB, id string, objs []dptypes.PipelineObject) *datapipeline.PutPipelineDefinitionOutput {
	t.Helper()
	out, err := e.Client.PutPipelineDefinition(e.Ctx, &datapipeline.PutPipelineDefinitionInput{PipelineId: aws.String(id), PipelineObjects: objs})
	OK(t, "PutPipelineDefinition", err)
	if out.Errored {
		t.Fatalf("PutPipelineDefinition errored: %s", PipelineErrors(out.ValidationErrors))
	}
	return out
}

// Raw posts a Data Pipeline request as raw JSON and returns the status and
// the decoded answer.
func (e *PipelineEnv) Raw(t testing.TB, op, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.URL, strings.NewReader(body))
	OK(t, "new request", err)
	req.Header.Set("X-Amz-Target", "DataPipeline."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	OK(t, op, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	OK(t, "read "+op, err)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: answer %q is not a JSON object: %v", op, data, err)
	}
	return resp.StatusCode, m
}

// PipelineString is a pipeline object's string field.
func PipelineString(key, value string) dptypes.Field {
	return dptypes.Field{Key: aws.String(key), StringValue: aws.String(value)}
}

// PipelineRef is a pipeline object's reference field.
func PipelineRef(key, id string) dptypes.Field {
	return dptypes.Field{Key: aws.String(key), RefValue: aws.String(id)}
}

// PipelineObject is a pipeline object whose name is its id.
func PipelineObject(id string, fields ...dptypes.Field) dptypes.PipelineObject {
	if fields == nil {
		fields = []dptypes.Field{}
	}
	return dptypes.PipelineObject{Id: aws.String(id), Name: aws.String(id), Fields: fields}
}

// HelloPipeline is AWS's example definition: a Default, a Schedule and a
// ShellCommandActivity.
func HelloPipeline() []dptypes.PipelineObject {
	str, ref, obj := PipelineString, PipelineRef, PipelineObject
	return []dptypes.PipelineObject{
		obj("Default", str("workerGroup", "MyWorkerGroup"), str("scheduleType", "cron")),
		obj("Schedule", str("type", "Schedule"), str("startDateTime", "2012-09-25T17:00:00"),
			str("period", "1 hour"), str("endDateTime", "2012-09-25T18:00:00")),
		obj("SayHello", str("type", "ShellCommandActivity"), str("command", "echo hello"),
			ref("parent", "Default"), ref("schedule", "Schedule")),
	}
}

// PipelineFields returns the fields as key → value (refs as "ref:<id>");
// a repeated key keeps its last value.
func PipelineFields(fs []dptypes.Field) map[string]string {
	m := map[string]string{}
	for _, f := range fs {
		if f.RefValue != nil {
			m[aws.ToString(f.Key)] = "ref:" + aws.ToString(f.RefValue)
		} else {
			m[aws.ToString(f.Key)] = aws.ToString(f.StringValue)
		}
	}
	return m
}

// PipelineErrors renders validation errors on one line.
func PipelineErrors(errs []dptypes.ValidationError) string {
	var parts []string
	for _, e := range errs {
		parts = append(parts, aws.ToString(e.Id)+": "+strings.Join(e.Errors, "; "))
	}
	return strings.Join(parts, " | ")
}

// PipelineWarnings renders validation warnings on one line.
func PipelineWarnings(ws []dptypes.ValidationWarning) string {
	var parts []string
	for _, w := range ws {
		parts = append(parts, aws.ToString(w.Id)+": "+strings.Join(w.Warnings, "; "))
	}
	return strings.Join(parts, " | ")
}
