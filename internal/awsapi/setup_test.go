package awsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Typed inputs and outputs of the fake operations (a subset of the model's
// members, as the dialect packages will write them).
type (
	createActivityInput struct {
		Name string `json:"name"`
		Tags []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"tags,omitempty"`
	}
	createActivityOutput struct {
		ActivityArn  string    `json:"activityArn"`
		CreationDate Timestamp `json:"creationDate"`
	}
	describeActivityInput struct {
		ActivityArn string `json:"activityArn"`
	}
	describeActivityOutput struct {
		ActivityArn  string    `json:"activityArn"`
		Name         string    `json:"name"`
		CreationDate Timestamp `json:"creationDate,omitzero"`
	}
	heartbeatInput struct {
		TaskToken string `json:"taskToken"`
	}
	heartbeatOutput     struct{}
	startExecutionInput struct {
		StateMachineArn string `json:"stateMachineArn"`
		Name            string `json:"name,omitempty"`
		Input           string `json:"input,omitempty"`
	}
	startExecutionOutput struct {
		ExecutionArn string    `json:"executionArn"`
		StartDate    Timestamp `json:"startDate"`
	}
	// badListInput disagrees with the model (maxResults is an integer there)
	// to exercise Op's own decoding errors.
	badListInput struct {
		MaxResults string `json:"maxResults"`
	}
)

// testLog is a concurrency-safe log sink.
type testLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *testLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// observation is one Config.Observe call.
type observation struct {
	service, operation, code string
	status                   int
}

// bundle is the fixture of a handler test.
type bundle struct {
	srv *httptest.Server
	log *testLog

	mu       sync.Mutex
	observed []observation
	lastCtx  struct{ region, requestID string }
}

func (b *bundle) observations() []observation {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]observation(nil), b.observed...)
}

func (b *bundle) last() (region, requestID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastCtx.region, b.lastCtx.requestID
}

// errTest is the error of the "Fail" behaviour of the fake DescribeActivity.
var errTest = errors.New("disk on fire")

var fixedTime = time.Date(2012, 1, 15, 2, 36, 59, 474_000_000, time.UTC)

func sfnService(b *bundle) *Service {
	record := func(ctx context.Context) {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.lastCtx.region, b.lastCtx.requestID = Region(ctx), RequestID(ctx)
	}
	return &Service{
		Model:          EmbeddedModel("stepfunctions"),
		ErrorNamespace: "com.amazonaws.swf.service.v2.model",
		Statuses: map[string]int{
			"ResourceNotFound":  http.StatusNotFound,
			"ConflictException": http.StatusConflict,
		},
		TypeOverrides: map[string]string{
			"ValidationException": "com.amazon.coral.validate#ValidationException",
		},
		ValidationErrorCode: "ValidationException",
		InternalErrorCode:   "InternalFailure",
		Ops: map[string]Operation{
			"CreateActivity": Op(func(ctx context.Context, in *createActivityInput) (*createActivityOutput, error) {
				record(ctx)
				return &createActivityOutput{
					ActivityArn:  "arn:aws:states:" + Region(ctx) + ":123456789012:activity:" + in.Name,
					CreationDate: Timestamp{fixedTime},
				}, nil
			}),
			// DescribeActivity's behaviour is chosen by the ARN.
			"DescribeActivity": Op(func(ctx context.Context, in *describeActivityInput) (*describeActivityOutput, error) {
				record(ctx)
				switch in.ActivityArn {
				case "missing":
					return nil, Errorf("ActivityDoesNotExist", "Activity Does Not Exist: '%s'", in.ActivityArn)
				case "wrapped":
					return nil, fmt.Errorf("describe: %w", Errorf("ResourceNotFound", "gone"))
				case "conflict":
					return nil, Errorf("ConflictException", "busy")
				case "throttle":
					return nil, Throttling("Rate exceeded")
				case "fail":
					return nil, fmt.Errorf("load activity: %w", errTest)
				case "panic":
					panic("boom")
				case "nil":
					return nil, nil
				case "bare":
					return &describeActivityOutput{ActivityArn: "bare", Name: "bare"}, nil
				case "cancel":
					<-ctx.Done()
					return nil, ctx.Err()
				}
				return &describeActivityOutput{ActivityArn: in.ActivityArn, Name: "worker<&>", CreationDate: Timestamp{fixedTime}}, nil
			}),
			"SendTaskHeartbeat": Op(func(ctx context.Context, in *heartbeatInput) (*heartbeatOutput, error) {
				record(ctx)
				if in.TaskToken == "dead" {
					return nil, Errorf("TaskTimedOut", "Provided task does not exist anymore")
				}
				return &heartbeatOutput{}, nil
			}),
			"SendTaskFailure": func(ctx context.Context, body []byte) (any, error) { return nil, nil },
			"StartExecution": Op(func(ctx context.Context, in *startExecutionInput) (*startExecutionOutput, error) {
				return &startExecutionOutput{ExecutionArn: in.StateMachineArn + ":" + in.Name, StartDate: Timestamp{fixedTime}}, nil
			}),
			"ListActivities":          Op(func(ctx context.Context, in *badListInput) (*struct{}, error) { return nil, nil }),
			"ListExecutions":          func(ctx context.Context, body []byte) (any, error) { return nil, nil },
			"CreateStateMachineAlias": func(ctx context.Context, body []byte) (any, error) { return map[string]string{"ok": "yes"}, nil },
			"UpdateMapRun":            func(ctx context.Context, body []byte) (any, error) { return nil, nil },
			"ValidateStateMachineDefinition": func(ctx context.Context, body []byte) (any, error) {
				return json.RawMessage(`{"result":"OK","diagnostics":[]}`), nil
			},
		},
	}
}

func swfService() *Service {
	return &Service{
		Model:               EmbeddedModel("swf"),
		ErrorNamespace:      "com.amazonaws.swf.base.model",
		ValidationErrorCode: "ValidationException",
		Ops: map[string]Operation{
			"RecordActivityTaskHeartbeat": func(ctx context.Context, body []byte) (any, error) {
				return map[string]bool{"cancelRequested": false}, nil
			},
			"PollForActivityTask": func(ctx context.Context, body []byte) (any, error) {
				return map[string]int{"startedEventId": 0}, nil
			},
			"RegisterDomain":               func(ctx context.Context, body []byte) (any, error) { return nil, nil },
			"RespondActivityTaskCompleted": func(ctx context.Context, body []byte) (any, error) { return nil, nil },
		},
	}
}

func dpService() *Service {
	return &Service{
		Model:               EmbeddedModel("datapipeline"),
		ErrorNamespace:      "com.amazon.setl.webservice",
		Statuses:            map[string]int{"InternalServiceError": http.StatusInternalServerError},
		ValidationErrorCode: "InvalidRequestException",
		InternalErrorCode:   "InternalServiceError",
		Ops: map[string]Operation{
			"ReportTaskProgress": func(ctx context.Context, body []byte) (any, error) {
				if bytes.Contains(body, []byte(`"fail"`)) {
					return nil, errTest
				}
				return map[string]bool{"canceled": false}, nil
			},
			"SetStatus":     func(ctx context.Context, body []byte) (any, error) { return nil, nil },
			"SetTaskStatus": func(ctx context.Context, body []byte) (any, error) { return nil, nil },
			"CreatePipeline": func(ctx context.Context, body []byte) (any, error) {
				return map[string]string{"pipelineId": "df-1"}, nil
			},
		},
	}
}

// setup starts a handler serving the three fake services.
func setup(t *testing.T, cfg Config) *bundle {
	t.Helper()
	b := &bundle{log: &testLog{}}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(b.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	cfg.Observe = func(service, operation, code string, status int, d time.Duration) {
		if d <= 0 {
			t.Errorf("Observe: duration %v, want > 0", d)
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		b.observed = append(b.observed, observation{service, operation, code, status})
	}
	b.srv = httptest.NewServer(NewHandler(cfg, sfnService(b), swfService(), dpService()))
	t.Cleanup(b.srv.Close)
	return b
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	body   string
}

// errorType and message decode an error body.
func (r response) errorBody(t *testing.T) (typ, msg string) {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	if len(e) > 2 {
		t.Errorf("error body %q has extra members", r.body)
	}
	typ, _ = e["__type"].(string)
	msg, _ = e["message"].(string)
	return typ, msg
}

// call posts body with the given target; extra headers as name, value pairs.
func (b *bundle) call(t *testing.T, target, body string, headers ...string) response {
	t.Helper()
	return b.do(t, http.MethodPost, target, strings.NewReader(body), headers...)
}

func (b *bundle) do(t *testing.T, method, target string, body io.Reader, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, b.srv.URL+"/", body)
	if err != nil {
		t.Fatal(err)
	}
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := b.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

// wantError checks an error answer.
func wantError(t *testing.T, r response, status int, typ, msg string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d (body %s)", r.status, status, r.body)
	}
	gotType, gotMsg := r.errorBody(t)
	if gotType != typ {
		t.Errorf("__type = %q, want %q", gotType, typ)
	}
	if msg != "" && gotMsg != msg {
		t.Errorf("message =\n  %q\nwant\n  %q", gotMsg, msg)
	}
	code := typ[strings.LastIndexByte(typ, '#')+1:]
	if got := r.header.Get("X-Amzn-ErrorType"); got != code {
		t.Errorf("X-Amzn-ErrorType = %q, want %q", got, code)
	}
	if strings.Contains(gotType, ":") {
		t.Errorf("__type %q contains ':'", gotType)
	}
	if r.header.Get("X-Amzn-RequestId") == "" {
		t.Error("no x-amzn-RequestId header")
	}
}
