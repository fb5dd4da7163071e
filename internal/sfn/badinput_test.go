package sfn_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// cpSnapshot is what bad requests must not change.
type cpSnapshot struct {
	activities, machines, executions []string
}

func (b *bundle) cpSnapshot(t *testing.T, sm string) cpSnapshot {
	t.Helper()
	var s cpSnapshot
	acts, err := b.Client.ListActivities(b.Ctx, &sfn.ListActivitiesInput{MaxResults: 1000})
	if err != nil {
		t.Fatalf("ListActivities: %v", err)
	}
	for _, a := range acts.Activities {
		s.activities = append(s.activities, aws.ToString(a.ActivityArn))
	}
	sms, err := b.Client.ListStateMachines(b.Ctx, &sfn.ListStateMachinesInput{MaxResults: 1000})
	if err != nil {
		t.Fatalf("ListStateMachines: %v", err)
	}
	for _, m := range sms.StateMachines {
		s.machines = append(s.machines, aws.ToString(m.StateMachineArn))
	}
	exs, err := b.Client.ListExecutions(b.Ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm), MaxResults: 1000})
	if err != nil {
		t.Fatalf("ListExecutions: %v", err)
	}
	for _, e := range exs.Executions {
		s.executions = append(s.executions, aws.ToString(e.ExecutionArn)+" "+string(e.Status))
	}
	return s
}

func (s cpSnapshot) equal(o cpSnapshot) bool {
	eq := func(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }
	return eq(s.activities, o.activities) && eq(s.machines, o.machines) && eq(s.executions, o.executions)
}

// cpRawResponse is a raw answer of the server.
type cpRawResponse struct {
	status int
	header http.Header
	body   []byte
}

// cpPost sends one raw request to the server.
func (b *bundle) cpPost(t *testing.T, method, target, contentType string, body io.Reader) cpRawResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(b.Ctx, method, b.Srv.URL()+"/", body)
	if err != nil {
		t.Fatal(err)
	}
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	return cpRawResponse{status: resp.StatusCode, header: resp.Header, body: data}
}

// cpCheckError checks that r is the AWS JSON error code with status, and
// that its message contains each of msg. It returns the message.
func cpCheckError(t *testing.T, r cpRawResponse, status int, code string, msg ...string) string {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d (body %s)", r.status, status, r.body)
	}
	if r.header.Get("x-amzn-RequestId") == "" {
		t.Errorf("no x-amzn-RequestId header")
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-amz-json-1.") {
		t.Errorf("Content-Type %q", ct)
	}
	var e map[string]any
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", r.body, err)
	}
	typ, _ := e["__type"].(string)
	if strings.Contains(typ, ":") {
		t.Errorf("__type %q contains ':'", typ)
	}
	if got := typ[strings.LastIndexByte(typ, '#')+1:]; got != code {
		t.Errorf("__type %q, want code %s (body %s)", typ, code, r.body)
	}
	if got := r.header.Get("X-Amzn-ErrorType"); got != code {
		t.Errorf("X-Amzn-ErrorType %q, want %s", got, code)
	}
	m, _ := e["message"].(string)
	if m == "" {
		t.Errorf("no lowercase message in %s", r.body)
	}
	for _, s := range msg {
		if !strings.Contains(m, s) {
			t.Errorf("message %q does not contain %q", m, s)
		}
	}
	return m
}

const (
	cpJSON10 = "application/x-amz-json-1.0"
	cpJSON11 = "application/x-amz-json-1.1"
)

// nonSeekable hides a reader's type, so that net/http sends it chunked,
// without a Content-Length.
type nonSeekable struct{ io.Reader }

func TestBadInputRaw(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, cpTaskDef, act)
	before := b.cpSnapshot(t, sm)

	bigName := strings.Repeat("a", 81)
	huge := `{"name":"` + strings.Repeat("x", awsapi.DefaultMaxBodyBytes) + `"}`

	tests := []struct {
		name        string
		method      string // default POST
		target      string
		contentType string // default x-amz-json-1.0
		body        string
		chunked     bool
		status      int
		code        string
		msg         []string
	}{
		{name: "missing required member", target: "CreateActivity", body: `{}`, status: 400, code: "ValidationException",
			msg: []string{"1 validation error detected", "Value null at 'name' failed to satisfy constraint: Member must not be null"}},
		{name: "empty body", target: "CreateActivity", body: ``, status: 400, code: "ValidationException",
			msg: []string{"'name'", "Member must not be null"}},
		{name: "whitespace body", target: "StartExecution", body: " \n ", status: 400, code: "ValidationException",
			msg: []string{"'stateMachineArn'", "Member must not be null"}},
		{name: "missing several members", target: "CreateStateMachine", body: `{"name":"x"}`, status: 400, code: "ValidationException",
			msg: []string{"2 validation errors detected", "'definition'", "'roleArn'", "Member must not be null"}},
		{name: "null required member", target: "SendTaskSuccess", body: `{"taskToken":null,"output":"{}"}`, status: 400, code: "ValidationException",
			msg: []string{"'taskToken'", "Member must not be null"}},
		{name: "name too long", target: "CreateActivity", body: `{"name":"` + bigName + `"}`, status: 400, code: "ValidationException",
			msg: []string{"'name'", "Member must have length less than or equal to 80"}},
		{name: "number for a string", target: "CreateActivity", body: `{"name":5}`, status: 400, code: "SerializationException", msg: []string{"name"}},
		{name: "string for a list", target: "CreateActivity", body: `{"name":"a","tags":"x"}`, status: 400, code: "SerializationException", msg: []string{"tags"}},
		{name: "string for an integer", target: "ListActivities", body: `{"maxResults":"3"}`, status: 400, code: "SerializationException", msg: []string{"maxResults"}},
		{name: "fraction for an integer", target: "ListActivities", body: `{"maxResults":2.5}`, status: 400, code: "SerializationException", msg: []string{"maxResults"}},
		{name: "object for a string", target: "StartExecution", body: `{"stateMachineArn":"` + sm + `","input":{"a":1}}`, status: 400, code: "SerializationException", msg: []string{"input"}},
		{name: "malformed JSON", target: "CreateActivity", body: `{"name":`, status: 400, code: "SerializationException"},
		{name: "trailing garbage", target: "CreateActivity", body: `{"name":"x"} x`, status: 400, code: "SerializationException"},
		{name: "top-level array", target: "CreateActivity", body: `[{"name":"x"}]`, status: 400, code: "SerializationException"},
		{name: "top-level string", target: "CreateActivity", body: `"x"`, status: 400, code: "SerializationException"},
		{name: "top-level null", target: "CreateActivity", body: `null`, status: 400, code: "SerializationException"},
		{name: "unknown operation", target: "Nope", body: `{}`, status: 400, code: "UnknownOperationException", msg: []string{"Nope"}},
		{name: "no target", body: `{}`, status: 400, code: "UnknownOperationException"},
		{name: "unknown service", target: "=Nope.ListActivities", body: `{}`, status: 400, code: "UnknownOperationException"},
		{name: "StartSyncExecution of a STANDARD machine", target: "StartSyncExecution", body: `{"stateMachineArn":"` + sm + `"}`, status: 400, code: "StateMachineTypeNotSupported", msg: []string{"STANDARD"}},
		{name: "CreateStateMachineAlias without routes", target: "CreateStateMachineAlias", body: `{"name":"a","routingConfiguration":[]}`, status: 400, code: "ValidationException"},
		{name: "SWF unknown operation", target: "=SimpleWorkflowService.NoSuchOperation", body: `{}`, status: 400, code: "UnknownOperationException", msg: []string{"NoSuchOperation"}},
		{name: "Data Pipeline unknown operation", target: "=DataPipeline.NoSuchOperation", contentType: cpJSON11, body: `{}`, status: 400, code: "UnknownOperationException", msg: []string{"NoSuchOperation"}},
		{name: "body over the cap", target: "CreateActivity", body: huge, status: 413, code: "RequestEntityTooLargeException"},
		{name: "chunked body over the cap", target: "CreateActivity", body: huge, chunked: true, status: 413, code: "RequestEntityTooLargeException"},
		{name: "GET", method: http.MethodGet, target: "ListActivities", status: 405, code: "UnknownOperationException", msg: []string{"GET"}},
		{name: "PUT", method: http.MethodPut, target: "CreateActivity", body: `{"name":"put"}`, status: 405, code: "UnknownOperationException"},
		{name: "token too long", target: "SendTaskHeartbeat", body: `{"taskToken":"` + strings.Repeat("t", 2049) + `"}`, status: 400, code: "ValidationException",
			msg: []string{"'taskToken'", "Member must have length less than or equal to 2048"}},
		{name: "empty token", target: "SendTaskHeartbeat", body: `{"taskToken":""}`, status: 400, code: "ValidationException",
			msg: []string{"'taskToken'", "Member must have length greater than or equal to 1"}},
		{name: "maxResults over 1000", target: "ListActivities", body: `{"maxResults":1001}`, status: 400, code: "ValidationException",
			msg: []string{"'maxResults'", "Member must have value less than or equal to 1000"}},
		{name: "negative maxResults", target: "ListStateMachines", body: `{"maxResults":-1}`, status: 400, code: "ValidationException",
			msg: []string{"'maxResults'", "Member must have value greater than or equal to 0"}},
		{name: "invalid enum", target: "ListExecutions", body: `{"stateMachineArn":"` + sm + `","statusFilter":"NOPE"}`, status: 400, code: "ValidationException",
			msg: []string{"'NOPE'", "'statusFilter'", "Member must satisfy enum value set"}},
		{name: "malformed ARN", target: "DescribeActivity", body: `{"activityArn":"not-an-arn"}`, status: 400, code: "InvalidArn", msg: []string{"not-an-arn"}},
		{name: "garbage token", target: "SendTaskSuccess", body: `{"taskToken":"garbage","output":"{}"}`, status: 400, code: "InvalidToken"},
		{name: "name with a space", target: "CreateActivity", body: `{"name":"a b"}`, status: 400, code: "InvalidName", msg: []string{"a b"}},
	}
	t.Run("group", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				method, target, ct := tt.method, tt.target, tt.contentType
				if method == "" {
					method = http.MethodPost
				}
				switch {
				case strings.HasPrefix(target, "="):
					target = target[1:]
				case target != "":
					target = "AWSStepFunctions." + target
				}
				if ct == "" {
					ct = cpJSON10
				}
				var body io.Reader = strings.NewReader(tt.body)
				if tt.chunked {
					body = nonSeekable{body}
				}
				r := b.cpPost(t, method, target, ct, body)
				cpCheckError(t, r, tt.status, tt.code, tt.msg...)
				if tt.status == http.StatusMethodNotAllowed && r.header.Get("Allow") != http.MethodPost {
					t.Errorf("Allow %q, want POST", r.header.Get("Allow"))
				}
				if ct == cpJSON11 && r.header.Get("Content-Type") != cpJSON11 {
					t.Errorf("Data Pipeline answer Content-Type %q, want %s", r.header.Get("Content-Type"), cpJSON11)
				}
			})
		}
	})

	// The server still works and nothing was created or started.
	r := b.cpPost(t, http.MethodPost, "AWSStepFunctions.ListActivities", cpJSON10, strings.NewReader(`{}`))
	if r.status != http.StatusOK || r.header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("ListActivities after bad input: %d %s", r.status, r.body)
	}
	if after := b.cpSnapshot(t, sm); !before.equal(after) {
		t.Fatalf("bad requests changed state:\nbefore %+v\nafter  %+v", before, after)
	}
}

func TestBadInputSDK(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, cpTaskDef, act)
	smName := cpLastPart(sm)
	before := b.cpSnapshot(t, sm)

	const prefix = "arn:aws:states:us-east-1:000000000000:"
	long := strings.Repeat("a", 81)
	bigInput := `"` + strings.Repeat("Z", 262143) + `"` // 262,145 bytes of valid JSON
	c := b.Client
	ctx := b.Ctx

	tests := []struct {
		name string
		call func() error
		code string
		msg  string // a substring of the message, if set
	}{
		// Names.
		{"activity name too long", func() error {
			_, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String(long)})
			return err
		}, "ValidationException", "Member must have length less than or equal to 80"},
		{"empty activity name", func() error {
			_, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("")})
			return err
		}, "ValidationException", "Member must have length greater than or equal to 1"},
		{"state machine name too long", func() error {
			_, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(long), Definition: aws.String(cpPassDef), RoleArn: aws.String(cpRole)})
			return err
		}, "ValidationException", "'name'"},
		{"execution name too long", func() error {
			_, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String(long)})
			return err
		}, "ValidationException", "'name'"},
		{"worker name too long", func() error {
			_, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(act), WorkerName: aws.String(long)})
			return err
		}, "ValidationException", "'workerName'"},
		{"activity name with a space", func() error {
			_, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("has space")})
			return err
		}, "InvalidName", "has space"},
		{"activity name with a star", func() error {
			_, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("star*")})
			return err
		}, "InvalidName", ""},
		{"activity name with a colon", func() error {
			_, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("a:b")})
			return err
		}, "InvalidName", ""},
		{"activity name with a control character", func() error {
			_, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("a\x01b")})
			return err
		}, "InvalidName", ""},
		{"state machine name with a slash", func() error {
			_, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("a/b"), Definition: aws.String(cpPassDef), RoleArn: aws.String(cpRole)})
			return err
		}, "InvalidName", ""},
		{"execution name with a space", func() error {
			_, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String("x y")})
			return err
		}, "InvalidName", ""},
		{"execution name with a star", func() error {
			_, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Name: aws.String("x*")})
			return err
		}, "InvalidName", ""},

		// ARNs.
		{"not an ARN", func() error {
			_, err := c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String("not-an-arn")})
			return err
		}, "InvalidArn", ""},
		{"state machine ARN for an activity", func() error {
			_, err := c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(sm)})
			return err
		}, "InvalidArn", ""},
		{"activity ARN for a state machine", func() error {
			_, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(act)})
			return err
		}, "InvalidArn", ""},
		{"activity ARN without a name", func() error {
			_, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(prefix + "activity:")})
			return err
		}, "InvalidArn", ""},
		{"activity ARN with an extra part", func() error {
			_, err := c.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: aws.String(act + ":extra")})
			return err
		}, "InvalidArn", ""},
		{"other service's ARN", func() error {
			_, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String("arn:aws:sqs:us-east-1:000000000000:activity:q")})
			return err
		}, "InvalidArn", ""},
		{"execution ARN without an execution name", func() error {
			_, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(prefix + "execution:" + smName)})
			return err
		}, "InvalidArn", ""},
		{"state machine ARN for an execution", func() error {
			_, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(sm)})
			return err
		}, "InvalidArn", ""},
		{"start with a malformed ARN", func() error {
			_, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(prefix + "stateMachine:")})
			return err
		}, "InvalidArn", ""},
		{"stop with a malformed ARN", func() error {
			_, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String("arn:aws:states")})
			return err
		}, "InvalidArn", ""},
		{"list executions with a malformed ARN", func() error {
			_, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(act)})
			return err
		}, "InvalidArn", ""},
		{"tag an execution ARN", func() error {
			_, err := c.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: aws.String(prefix + "execution:" + smName + ":e"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}, "InvalidArn", ""},
		{"malformed role ARN", func() error {
			_, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(servertest.Uniq("bad-role")), Definition: aws.String(cpPassDef), RoleArn: aws.String("not-a-role")})
			return err
		}, "InvalidArn", ""},
		{"ARN over 256 characters", func() error {
			_, err := c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(prefix + "activity:" + strings.Repeat("a", 256))})
			return err
		}, "ValidationException", "'activityArn'"},

		// Task tokens and outputs.
		{"garbage token heartbeat", func() error {
			_, err := c.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String("garbage")})
			return err
		}, "InvalidToken", ""},
		{"garbage token success", func() error {
			_, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("garbage"), Output: aws.String(`{}`)})
			return err
		}, "InvalidToken", ""},
		{"garbage token failure", func() error {
			_, err := c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String("AAAA+/=:garbage")})
			return err
		}, "InvalidToken", ""},
		{"token over 2048 characters", func() error {
			_, err := c.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(strings.Repeat("t", 2049))})
			return err
		}, "ValidationException", "Member must have length less than or equal to 2048"},
		{"non-JSON output", func() error {
			_, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("garbage"), Output: aws.String(`not json`)})
			return err
		}, "InvalidOutput", ""},
		{"error over 256 characters", func() error {
			_, err := c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String("garbage"), Error: aws.String(strings.Repeat("e", 257))})
			return err
		}, "ValidationException", "'error'"},

		// Inputs.
		{"input over 256 KiB", func() error {
			_, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String(bigInput)})
			return err
		}, "ValidationException", "Member must have length less than or equal to 262144"},
		{"non-JSON input", func() error {
			_, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String(`{"a":`)})
			return err
		}, "InvalidExecutionInput", ""},
		{"invalid definition", func() error {
			_, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(servertest.Uniq("bad-def")), Definition: aws.String(`{"StartAt":"X","States":{}}`), RoleArn: aws.String(cpRole)})
			return err
		}, "InvalidDefinition", ""},
		{"definition not JSON", func() error {
			_, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(servertest.Uniq("bad-def")), Definition: aws.String(`{`), RoleArn: aws.String(cpRole)})
			return err
		}, "InvalidDefinition", ""},
		{"update with nothing to change", func() error {
			_, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(sm)})
			return err
		}, "MissingRequiredParameter", ""},
		{"update to an invalid definition", func() error {
			_, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(sm), Definition: aws.String(`{"StartAt":"X"}`)})
			return err
		}, "InvalidDefinition", ""},

		// Listings.
		{"ListActivities maxResults 1001", func() error {
			_, err := c.ListActivities(ctx, &sfn.ListActivitiesInput{MaxResults: 1001})
			return err
		}, "ValidationException", "Member must have value less than or equal to 1000"},
		{"ListExecutions maxResults 1001", func() error {
			_, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm), MaxResults: 1001})
			return err
		}, "ValidationException", "'maxResults'"},
		{"GetExecutionHistory maxResults 1001", func() error {
			_, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(prefix + "execution:" + smName + ":e"), MaxResults: 1001})
			return err
		}, "ValidationException", "'maxResults'"},
		{"invalid statusFilter", func() error {
			_, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm), StatusFilter: "NOPE"})
			return err
		}, "ValidationException", "Member must satisfy enum value set"},
		{"invalid includedData", func() error {
			_, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(prefix + "execution:" + smName + ":e"), IncludedData: "NOPE"})
			return err
		}, "ValidationException", "'includedData'"},
		{"invalid state machine type", func() error {
			_, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(servertest.Uniq("bad-type")), Definition: aws.String(cpPassDef), RoleArn: aws.String(cpRole), Type: "NOPE"})
			return err
		}, "ValidationException", "'type'"},
		{"garbage nextToken", func() error {
			_, err := c.ListActivities(ctx, &sfn.ListActivitiesInput{NextToken: aws.String("garbage")})
			return err
		}, "InvalidToken", ""},
		{"ListExecutions without a state machine", func() error {
			_, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{})
			return err
		}, "ValidationException", ""},
		{"too many tags", func() error {
			tags := make([]types.Tag, 51)
			for i := range tags {
				tags[i] = types.Tag{Key: aws.String(strings.Repeat("k", i+1)), Value: aws.String("v")}
			}
			_, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String(servertest.Uniq("many-tags")), Tags: tags})
			return err
		}, "TooManyTags", ""},
		{"tag key too long", func() error {
			_, err := c.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: aws.String(act), Tags: []types.Tag{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}}})
			return err
		}, "ValidationException", "'tags.1.member.key'"},
	}
	t.Run("group", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				err := tt.call()
				if got := servertest.ErrorCode(err); got != tt.code {
					t.Fatalf("error %v (code %q), want %s", err, got, tt.code)
				}
				if got := cpStatus(err); got != http.StatusBadRequest {
					t.Errorf("status %d, want 400", got)
				}
				var ae smithy.APIError
				if !errors.As(err, &ae) || ae.ErrorMessage() == "" {
					t.Errorf("no error message in %v", err)
				} else if tt.msg != "" && !strings.Contains(ae.ErrorMessage(), tt.msg) {
					t.Errorf("message %q does not contain %q", ae.ErrorMessage(), tt.msg)
				}
				if ae != nil && strings.Contains(ae.ErrorMessage(), "ZZZZ") {
					t.Errorf("the message echoes the sensitive input: %.200s", ae.ErrorMessage())
				}
			})
		}
	})

	// The server still works and nothing was created or started.
	if _, err := c.ListActivities(ctx, &sfn.ListActivitiesInput{}); err != nil {
		t.Fatalf("ListActivities after bad input: %v", err)
	}
	if after := b.cpSnapshot(t, sm); !before.equal(after) {
		t.Fatalf("bad requests changed state:\nbefore %+v\nafter  %+v", before, after)
	}
	if tags := b.cpListTags(t, act); len(tags) != 0 {
		t.Fatalf("a refused TagResource tagged the activity: %v", tags)
	}
	if d, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(sm)}); err != nil || aws.ToString(d.Definition) != strings.ReplaceAll(cpTaskDef, "$ACT", act) {
		t.Fatalf("a refused UpdateStateMachine changed the machine: %v %v", d, err)
	}
}
