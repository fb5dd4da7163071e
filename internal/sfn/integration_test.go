package sfn_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// lambdaCall is one request the fake Lambda endpoint received.
type lambdaCall struct {
	Function       string
	Path           string
	Authorization  string
	InvocationType string
	Payload        string
}

// fakeLambda is a test server speaking the Lambda Invoke API. Functions:
//
//   - echo: answers {"echo": <payload>}
//   - boom: a function error (X-Amz-Function-Error) of errorType BadThing
//   - busy: 429 TooManyRequestsException for its first `busy` calls, then
//     like echo
//   - callback: an Event invocation (202) whose payload's "token" is
//     sent on tokens
//   - hold: does not answer until held is closed or the client leaves
type fakeLambda struct {
	*httptest.Server
	mu     sync.Mutex
	calls  []lambdaCall
	busy   int
	tokens chan string
	held   chan struct{}
	got    chan string // function names, as requests arrive
}

func newFakeLambda(t *testing.T) *fakeLambda {
	t.Helper()
	f := &fakeLambda{tokens: make(chan string, 16), held: make(chan struct{}), got: make(chan string, 64)}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeLambda) serve(w http.ResponseWriter, r *http.Request) {
	const prefix, suffix = "/2015-03-31/functions/", "/invocations"
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, prefix) || !strings.HasSuffix(r.URL.Path, suffix) {
		http.Error(w, "not the Invoke API: "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		return
	}
	fn := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, prefix), suffix)
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.calls = append(f.calls, lambdaCall{Function: fn, Path: r.URL.Path, Authorization: r.Header.Get("Authorization"),
		InvocationType: r.Header.Get("X-Amz-Invocation-Type"), Payload: string(body)})
	busy := f.busy > 0 && fn == "busy"
	if busy {
		f.busy--
	}
	f.mu.Unlock()
	f.got <- fn
	w.Header().Set("X-Amzn-Requestid", "req-1")
	switch {
	case fn == "boom":
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		_, _ = w.Write([]byte(`{"errorType":"BadThing","errorMessage":"it broke"}`))
	case busy:
		w.Header().Set("X-Amzn-ErrorType", "TooManyRequestsException")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"Type":"User","message":"Rate Exceeded."}`))
	case fn == "callback":
		var p struct {
			Token string `json:"token"`
		}
		_ = json.Unmarshal(body, &p)
		f.tokens <- p.Token
		w.WriteHeader(http.StatusAccepted)
	case fn == "hold":
		select {
		case <-f.held:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		_, _ = w.Write([]byte(`{"held":true}`))
	default:
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		_, _ = w.Write([]byte(`{"echo":` + string(body) + `}`))
	}
}

func (f *fakeLambda) recorded() []lambdaCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]lambdaCall(nil), f.calls...)
}

// machineNamed creates a state machine with the given name.
func machineNamed(t *testing.T, b *bundle, name, definition string) string {
	t.Helper()
	out, err := b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{
		Name: aws.String(name), Definition: aws.String(definition), RoleArn: aws.String("arn:aws:iam::000000000000:role/test"),
	})
	if err != nil {
		t.Fatalf("CreateStateMachine %s: %v", name, err)
	}
	return aws.ToString(out.StateMachineArn)
}

// eventsOf returns the events of the given types, in order.
func eventsOf(events []types.HistoryEvent, typ types.HistoryEventType) []types.HistoryEvent {
	var out []types.HistoryEvent
	for _, e := range events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func TestLambdaInvoke(t *testing.T) {
	t.Parallel()
	fl := newFakeLambda(t)
	b := &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{LambdaEndpoint: fl.URL})).SFN()}
	sm := b.Machine(t, `{"StartAt":"Invoke","States":{
		"Invoke":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
			"Parameters":{"FunctionName":"echo","Payload":{"x.$":"$.x"}},"ResultPath":"$.invoke","Next":"Direct"},
		"Direct":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:echo","InputPath":"$.invoke.Payload","ResultPath":"$.direct","End":true}}}`, "")
	exec := b.Start(t, sm, `{"x":7}`)
	out := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)

	var got struct {
		Invoke struct {
			Payload         json.RawMessage
			StatusCode      int
			ExecutedVersion string
			SdkHttpMetadata struct {
				HttpStatusCode int
				HttpHeaders    map[string]string
			}
			SdkResponseMetadata struct{ RequestId string }
		} `json:"invoke"`
		Direct json.RawMessage `json:"direct"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &got); err != nil {
		t.Fatalf("output %s: %v", aws.ToString(out.Output), err)
	}
	inv := got.Invoke
	if !servertest.JSONEqual(t, string(inv.Payload), `{"echo":{"x":7}}`) || inv.StatusCode != 200 || inv.ExecutedVersion != "$LATEST" ||
		inv.SdkHttpMetadata.HttpStatusCode != 200 || inv.SdkResponseMetadata.RequestId != "req-1" {
		t.Errorf("lambda:invoke result %+v", inv)
	}
	// The function ARN form: the payload itself.
	if !servertest.JSONEqual(t, string(got.Direct), `{"echo":{"echo":{"x":7}}}`) {
		t.Errorf("function ARN result %s", got.Direct)
	}
	calls := fl.recorded()
	if len(calls) != 2 {
		t.Fatalf("calls %+v", calls)
	}
	if c := calls[0]; c.Path != "/2015-03-31/functions/echo/invocations" || !strings.HasPrefix(c.Authorization, "AWS4-HMAC-SHA256 ") ||
		!servertest.JSONEqual(t, c.Payload, `{"x":7}`) {
		t.Errorf("lambda:invoke request %+v", c)
	}
	if c := calls[1]; !strings.Contains(c.Path, "function%3Aecho") && !strings.Contains(c.Path, "function:echo") {
		t.Errorf("function ARN request path %s", c.Path)
	}
	events := b.History(t, exec)
	types_ := strings.Join(servertest.SFNEventTypes(events), " ")
	for _, want := range []string{"TaskScheduled TaskStarted TaskSucceeded", "LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded"} {
		if !strings.Contains(types_, want) {
			t.Errorf("history %s lacks %s", types_, want)
		}
	}
	sch := eventsOf(events, types.HistoryEventTypeTaskScheduled)[0].TaskScheduledEventDetails
	if aws.ToString(sch.ResourceType) != "lambda" || aws.ToString(sch.Resource) != "invoke" || aws.ToString(sch.Region) != "us-east-1" ||
		!servertest.JSONEqual(t, aws.ToString(sch.Parameters), `{"FunctionName":"echo","Payload":{"x":7}}`) {
		t.Errorf("TaskScheduled %+v", sch)
	}
}

func TestLambdaRetryAndCatch(t *testing.T) {
	t.Parallel()
	fl := newFakeLambda(t)
	fl.busy = 2
	b := &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{LambdaEndpoint: fl.URL})).SFN()}
	sm := b.Machine(t, `{"StartAt":"Busy","States":{
		"Busy":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"busy","Payload":{}},
			"Retry":[{"ErrorEquals":["Lambda.TooManyRequestsException"],"IntervalSeconds":1,"BackoffRate":1,"MaxAttempts":3}],
			"ResultSelector":{"p.$":"$.Payload"},"ResultPath":"$.busy","Next":"Boom"},
		"Boom":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"boom"},
			"Catch":[{"ErrorEquals":["BadThing"],"ResultPath":"$.err","Next":"Caught"}],"End":true},
		"Caught":{"Type":"Pass","End":true}}}`, "")
	exec := b.Start(t, sm, `{}`)
	out := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	var got struct {
		Busy map[string]any `json:"busy"`
		Err  struct{ Error, Cause string }
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &got); err != nil {
		t.Fatal(err)
	}
	if got.Busy["p"] == nil {
		t.Errorf("busy result %v", got.Busy)
	}
	if got.Err.Error != "BadThing" || !servertest.JSONEqual(t, got.Err.Cause, `{"errorType":"BadThing","errorMessage":"it broke"}`) {
		t.Errorf("caught %+v", got.Err)
	}
	events := b.History(t, exec)
	failed := eventsOf(events, types.HistoryEventTypeTaskFailed)
	if len(failed) != 3 {
		t.Fatalf("TaskFailed events %d, want 2 throttles and the function error: %v", len(failed), servertest.SFNEventTypes(events))
	}
	if d := failed[0].TaskFailedEventDetails; aws.ToString(d.Error) != "Lambda.TooManyRequestsException" || !strings.Contains(aws.ToString(d.Cause), "Rate Exceeded") {
		t.Errorf("throttled call failed with %s: %s", aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	n := 0
	for _, c := range fl.recorded() {
		if c.Function == "busy" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("busy called %d times, want 3 (no retry in the client: Retry decides)", n)
	}
}

// mockFile is a mock configuration in Step Functions Local's format.
const mockFile = `{
  "StateMachines": {
    "MockedOrders": {
      "TestCases": {
        "HappyPath": {"Send": "SendOK", "Charge": "ChargeFlaky", "Approve": "Approved"},
        "Declined": {"Send": "SendOK", "Charge": "ChargeDeclined"}
      }
    }
  },
  "MockedResponses": {
    "SendOK": {"0": {"Return": {"MessageId": "m-1", "MD5OfMessageBody": "abc"}}},
    "ChargeFlaky": {
      "0-1": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
      "2": {"Return": {"StatusCode": 200, "Payload": {"charged": 42}}}
    },
    "ChargeDeclined": {"0": {"Throw": {"Error": "Declined", "Cause": "card declined"}}},
    "Approved": {"0": {"Return": {"approved": true}}}
  }
}`

const mockedOrders = `{"StartAt":"Send","States":{
	"Send":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"q","MessageBody.$":"$"},"ResultSelector":{"id.$":"$.MessageId"},"ResultPath":"$.sent","Next":"Charge"},
	"Charge":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"charge"},
		"Retry":[{"ErrorEquals":["Lambda.TooManyRequestsException"],"IntervalSeconds":1,"BackoffRate":1,"MaxAttempts":3}],
		"Catch":[{"ErrorEquals":["Declined"],"ResultPath":"$.declined","Next":"Refused"}],
		"ResultSelector":{"charged.$":"$.Payload.charged"},"ResultPath":"$.charge","Next":"Approve"},
	"Approve":{"Type":"Task","Resource":"arn:aws:states:::sns:publish.waitForTaskToken","Parameters":{"Message":{"token.$":"$$.Task.Token"}},"HeartbeatSeconds":60,"ResultPath":"$.approval","End":true},
	"Refused":{"Type":"Fail","Error":"Refused"}}}`

func writeMockFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "MockConfigFile.json")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMockConfig(t *testing.T) {
	t.Parallel()
	b := &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{MockConfig: writeMockFile(t, mockFile)})).SFN()}
	sm := machineNamed(t, b, "MockedOrders", mockedOrders)

	t.Run("HappyPath", func(t *testing.T) {
		exec := b.Start(t, sm+"#HappyPath", `{"order":1}`)
		if !strings.HasSuffix(exec, ":execution:MockedOrders:"+exec[strings.LastIndex(exec, ":")+1:]) {
			t.Errorf("execution ARN %s", exec)
		}
		out := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
		if !servertest.JSONEqual(t, aws.ToString(out.Output), `{"order":1,"sent":{"id":"m-1"},"charge":{"charged":42},"approval":{"approved":true}}`) {
			t.Errorf("output %s", aws.ToString(out.Output))
		}
		if aws.ToString(out.StateMachineArn) != sm {
			t.Errorf("stateMachineArn %s, want %s", aws.ToString(out.StateMachineArn), sm)
		}
		events := b.History(t, exec)
		failed := eventsOf(events, types.HistoryEventTypeTaskFailed)
		if len(failed) != 2 || aws.ToString(failed[1].TaskFailedEventDetails.Cause) != "slow down" {
			t.Errorf("mocked throws %v", servertest.SFNEventTypes(events))
		}
	})
	t.Run("Declined", func(t *testing.T) {
		exec := b.Start(t, sm+"#Declined", `{}`)
		out := b.WaitStatus(t, exec, types.ExecutionStatusFailed)
		if aws.ToString(out.Error) != "Refused" {
			t.Errorf("error %s", aws.ToString(out.Error))
		}
	})
	t.Run("unknown test case", func(t *testing.T) {
		_, err := b.Client.StartExecution(b.Ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm + "#Nope")})
		servertest.WantClientError(t, "StartExecution #Nope", err, "ValidationException")
		if !strings.Contains(err.Error(), "Nope") {
			t.Errorf("message %v does not name the test case", err)
		}
	})
	t.Run("no test case", func(t *testing.T) {
		// Without a test case, the SQS state cannot run: it fails.
		exec := b.Start(t, sm, `{}`)
		out := b.WaitStatus(t, exec, types.ExecutionStatusFailed)
		if aws.ToString(out.Error) != "States.Runtime" || !strings.Contains(aws.ToString(out.Cause), "sqs:sendMessage") {
			t.Errorf("failed with %s: %s", aws.ToString(out.Error), aws.ToString(out.Cause))
		}
	})
	t.Run("unmocked resource refused", func(t *testing.T) {
		_, err := b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{
			Name: aws.String("NotMocked"), RoleArn: aws.String("arn:aws:iam::000000000000:role/test"),
			Definition: aws.String(`{"StartAt":"Q","States":{"Q":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Next":"L"},"L":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}`),
		})
		servertest.WantClientError(t, "CreateStateMachine", err, "InvalidDefinition")
		for _, want := range []string{"arn:aws:states:::sqs:sendMessage", "--mock-config", "--lambda-endpoint"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("message %v lacks %s", err, want)
			}
		}
	})
}

func TestMockConfigRefused(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, file, want string }{
		{"syntax", "{\n  \"StateMachines\": {\n  oops\n}", "line 3"},
		{"unknown response", `{"StateMachines":{"M":{"TestCases":{"T":{"S":"Missing"}}}},"MockedResponses":{}}`, "StateMachines.M.TestCases.T.S"},
		{"gap", `{"MockedResponses":{"R":{"0":{"Return":1},"2":{"Return":2}}}}`, "invocation 1"},
		{"throw without error", `{"MockedResponses":{"R":{"0":{"Throw":{"Cause":"x"}}}}}`, `R["0"].Throw.Error`},
		{"bad key", `{"MockedResponses":{"R":{"first":{"Return":1}}}}`, `R["first"]`},
		{"unknown field", `{"StateMachine":{}}`, "StateMachine"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := writeMockFile(t, tt.file)
			_, err := server.New(server.Config{DataDir: t.TempDir(), MockConfig: file})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), file) {
				t.Errorf("server.New with %s: %v; want an error naming the file and %s", tt.file, err, tt.want)
			}
		})
	}
}

func TestWaitForTaskToken(t *testing.T) {
	t.Parallel()
	fl := newFakeLambda(t)
	b := &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{LambdaEndpoint: fl.URL})).SFN()}
	def := `{"StartAt":"Wait","States":{"Wait":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters":{"FunctionName":"callback","InvocationType":"Event","Payload":{"token.$":"$$.Task.Token","note":"gaffer-task-token-is-not-a-placeholder"}},
		"HeartbeatSeconds":HB,"End":true}}}`
	other := servertest.SFN(b.URL) // the callback comes from another client
	start := func(t *testing.T, hb string) (exec, token string) {
		t.Helper()
		exec = b.Start(t, b.Machine(t, strings.ReplaceAll(def, "HB", hb), ""), `{}`)
		token = <-fl.tokens
		if token == "" || strings.HasPrefix(token, "gaffer-task-token-") {
			t.Fatalf("the function got token %q, not the task's", token)
		}
		return exec, token
	}

	// One at a time: the function hands the tokens over in arrival order.
	t.Run("success", func(t *testing.T) {
		exec, token := start(t, "60")
		// The call answered (TaskSubmitted) before the callback comes.
		b.Wait.Await(10*time.Second, func() bool {
			return len(eventsOf(b.History(t, exec), types.HistoryEventTypeTaskSubmitted)) == 1
		})
		if _, err := other.SendTaskHeartbeat(b.Ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(token)}); err != nil {
			t.Fatalf("SendTaskHeartbeat: %v", err)
		}
		servertest.OK(t, "SendTaskSuccess", func() error {
			_, err := other.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{"ok":true}`)})
			return err
		}())
		out := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
		if !servertest.JSONEqual(t, aws.ToString(out.Output), `{"ok":true}`) {
			t.Errorf("output %s", aws.ToString(out.Output))
		}
		events := b.History(t, exec)
		got := strings.Join(servertest.SFNEventTypes(events), " ")
		if !strings.Contains(got, "TaskScheduled TaskStarted TaskSubmitted TaskSucceeded TaskStateExited") {
			t.Errorf("history %s", got)
		}
		sub := eventsOf(events, types.HistoryEventTypeTaskSubmitted)[0].TaskSubmittedEventDetails
		if aws.ToString(sub.Resource) != "invoke.waitForTaskToken" || !strings.Contains(aws.ToString(sub.Output), `"StatusCode":202`) {
			t.Errorf("TaskSubmitted %+v", sub)
		}
		// TaskScheduled shows the token the function got, as AWS does.
		sch := eventsOf(events, types.HistoryEventTypeTaskScheduled)[0].TaskScheduledEventDetails
		if params := aws.ToString(sch.Parameters); !strings.Contains(params, `"token":"`+token+`"`) {
			t.Errorf("TaskScheduled parameters %s do not show the token %s", params, token)
		}
		// The placeholder's prefix in user data is left alone.
		var payload struct{ Note string }
		for _, c := range fl.recorded() {
			if strings.Contains(c.Payload, token) {
				_ = json.Unmarshal([]byte(c.Payload), &payload)
			}
		}
		if payload.Note != "gaffer-task-token-is-not-a-placeholder" {
			t.Errorf("note %q", payload.Note)
		}
		_, err := other.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{}`)})
		servertest.WantClientError(t, "second SendTaskSuccess", err, "TaskTimedOut")
	})
	t.Run("failure", func(t *testing.T) {
		exec, token := start(t, "60")
		if _, err := other.SendTaskFailure(b.Ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(token), Error: aws.String("Rejected"), Cause: aws.String("no")}); err != nil {
			t.Fatalf("SendTaskFailure: %v", err)
		}
		out := b.WaitStatus(t, exec, types.ExecutionStatusFailed)
		if aws.ToString(out.Error) != "Rejected" || aws.ToString(out.Cause) != "no" {
			t.Errorf("failed with %s: %s", aws.ToString(out.Error), aws.ToString(out.Cause))
		}
		if f := eventsOf(b.History(t, exec), types.HistoryEventTypeTaskFailed); len(f) != 1 || aws.ToString(f[0].TaskFailedEventDetails.Error) != "Rejected" {
			t.Errorf("TaskFailed events %+v", f)
		}
	})
	t.Run("heartbeat timeout", func(t *testing.T) {
		exec, _ := start(t, "1")
		out := b.WaitStatus(t, exec, types.ExecutionStatusFailed)
		if aws.ToString(out.Error) != "States.HeartbeatTimeout" {
			t.Errorf("failed with %s", aws.ToString(out.Error))
		}
		if to := eventsOf(b.History(t, exec), types.HistoryEventTypeTaskTimedOut); len(to) != 1 || aws.ToString(to[0].TaskTimedOutEventDetails.Error) != "States.HeartbeatTimeout" {
			t.Errorf("TaskTimedOut events %+v", to)
		}
	})
}

func TestLambdaCallRepeatedAfterCrash(t *testing.T) {
	t.Parallel()
	fl := newFakeLambda(t)
	p := servertest.StartProcess(t, "", "--lambda-endpoint", fl.URL)
	c := servertest.SFN(p.URL)
	ctx := t.Context()
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("Held"), RoleArn: aws.String("arn:aws:iam::000000000000:role/test"),
		Definition: aws.String(`{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"hold"},"OutputPath":"$.Payload","End":true}}}`),
	})
	servertest.OK(t, "CreateStateMachine", err)
	ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn})
	servertest.OK(t, "StartExecution", err)
	if fn := <-fl.got; fn != "hold" {
		t.Fatalf("first call to %s", fn)
	}
	// The call is in flight: kill -9, restart; the call is made again.
	p.Kill(t)
	p = p.Restart(t)
	if fn := <-fl.got; fn != "hold" {
		t.Fatalf("call after restart to %s", fn)
	}
	close(fl.held)
	b := &bundle{(&servertest.SFNEnv{Env: p.Env(), Client: servertest.SFN(p.URL)})}
	out := b.WaitStatus(t, aws.ToString(ex.ExecutionArn), types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(out.Output), `{"held":true}`) {
		t.Errorf("output %s", aws.ToString(out.Output))
	}
	if n := len(fl.recorded()); n != 2 {
		t.Errorf("%d calls, want 2 (the one in flight at the crash, made again)", n)
	}
}
