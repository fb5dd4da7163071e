package awsapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	sfnNS  = "com.amazonaws.swf.service.v2.model#"
	swfNS  = "com.amazonaws.swf.base.model#"
	dpNS   = "com.amazon.setl.webservice#"
	sfnVal = "com.amazon.coral.validate#ValidationException"
)

func TestRouting(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	tests := []struct {
		target, body, contentType, want string
	}{
		{"AWSStepFunctions.SendTaskHeartbeat", `{"taskToken":"t"}`, "application/x-amz-json-1.0", `{}`},
		{"SimpleWorkflowService.RecordActivityTaskHeartbeat", `{"taskToken":"t"}`, "application/x-amz-json-1.0", `{"cancelRequested":false}`},
		{"com.amazonaws.swf.service.model.SimpleWorkflowService.RecordActivityTaskHeartbeat", `{"taskToken":"t"}`, "application/x-amz-json-1.0", `{"cancelRequested":false}`},
		{"DataPipeline.ReportTaskProgress", `{"taskId":"t"}`, "application/x-amz-json-1.1", `{"canceled":false}`},
		{"DataPipeline.SetStatus", `{"pipelineId":"df-1","objectIds":["a"],"status":"PAUSE"}`, "application/x-amz-json-1.1", `{}`},
		{"SimpleWorkflowService.RespondActivityTaskCompleted", `{"taskToken":"t"}`, "application/x-amz-json-1.0", `{}`},
	}
	for _, tt := range tests {
		r := b.call(t, tt.target, tt.body)
		if r.status != http.StatusOK || r.body != tt.want {
			t.Errorf("%s: %d %s, want 200 %s", tt.target, r.status, r.body, tt.want)
		}
		if got := r.header.Get("Content-Type"); got != tt.contentType {
			t.Errorf("%s: Content-Type %q, want %q", tt.target, got, tt.contentType)
		}
	}
}

func TestUnknownOperation(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	tests := []struct {
		name, target, typ, msg string
	}{
		{"missing target", "", "com.amazon.coral.service#UnknownOperationException", "missing X-Amz-Target header"},
		{"unknown prefix", "AmazonSQS.SendMessage", "com.amazon.coral.service#UnknownOperationException",
			`unknown operation "AmazonSQS.SendMessage" (X-Amz-Target)`},
		{"no dot", "garbage", "com.amazon.coral.service#UnknownOperationException", `unknown operation "garbage" (X-Amz-Target)`},
		{"unknown operation", "AWSStepFunctions.Frobnicate", sfnNS + "UnknownOperationException",
			`unknown operation "AWSStepFunctions.Frobnicate" (X-Amz-Target)`},
		{"unimplemented", "AWSStepFunctions.TestState", sfnNS + "UnknownOperationException",
			`operation "AWSStepFunctions.TestState" is not implemented by this server`},
		{"unimplemented legacy SWF", "com.amazonaws.swf.service.model.SimpleWorkflowService.ListDomains", swfNS + "UnknownOperationException",
			`operation "com.amazonaws.swf.service.model.SimpleWorkflowService.ListDomains" is not implemented by this server`},
		{"wrong case", "awsstepfunctions.SendTaskHeartbeat", "com.amazon.coral.service#UnknownOperationException", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.call(t, tt.target, `{}`)
			wantError(t, r, http.StatusBadRequest, tt.typ, tt.msg)
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	r := b.do(t, http.MethodGet, "AWSStepFunctions.SendTaskHeartbeat", nil)
	wantError(t, r, http.StatusMethodNotAllowed, sfnNS+"UnknownOperationException",
		"method GET is not allowed: AWS JSON APIs take POST requests")
	if got := r.header.Get("Allow"); got != "POST" {
		t.Errorf("Allow = %q", got)
	}
	r = b.do(t, http.MethodGet, "", nil)
	wantError(t, r, http.StatusMethodNotAllowed, "com.amazon.coral.service#UnknownOperationException", "")
}

func TestContentType(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	for _, ct := range []string{"application/x-amz-json-1.0", "application/json; charset=UTF-8", "APPLICATION/JSON", ""} {
		r := b.call(t, "AWSStepFunctions.SendTaskHeartbeat", `{"taskToken":"t"}`, "Content-Type", ct)
		if r.status != http.StatusOK {
			t.Errorf("Content-Type %q: status %d %s", ct, r.status, r.body)
		}
	}
	r := b.call(t, "AWSStepFunctions.SendTaskHeartbeat", `{"taskToken":"t"}`, "Content-Type", "text/plain")
	wantError(t, r, http.StatusBadRequest, sfnNS+"SerializationException",
		`unsupported Content-Type "text/plain": send application/x-amz-json-1.0`)
}

func TestEmptyBody(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	for _, body := range []string{"", "  \n", "{}"} {
		r := b.call(t, "AWSStepFunctions.ListExecutions", body)
		if r.status != http.StatusOK || r.body != "{}" {
			t.Errorf("body %q: %d %s, want 200 {}", body, r.status, r.body)
		}
		r = b.call(t, "AWSStepFunctions.CreateActivity", body)
		wantError(t, r, http.StatusBadRequest, sfnVal,
			"1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
}

func TestMalformedJSON(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	tests := []struct{ body, msg string }{
		{`{`, "request body is not valid JSON: unexpected end of JSON input (at byte 1)"},
		{`{"taskToken":}`, "request body is not valid JSON: invalid character '}' looking for beginning of value (at byte 14)"},
		{`{"taskToken":"t"} x`, "request body is not valid JSON: invalid character 'x' after top-level value (at byte 19)"},
		{`{"taskToken":"t"}{}`, "request body is not valid JSON: invalid character '{' after top-level value (at byte 18)"},
		{`{'taskToken':"t"}`, "request body is not valid JSON: invalid character '\\'' looking for beginning of object key string (at byte 2)"},
		{`[]`, "request body must be a JSON object, found an array"},
		{`"x"`, "request body must be a JSON object, found a string"},
		{`null`, "request body must be a JSON object, found null"},
		{`12`, "request body must be a JSON object, found a number"},
	}
	for _, tt := range tests {
		r := b.call(t, "AWSStepFunctions.SendTaskHeartbeat", tt.body)
		wantError(t, r, http.StatusBadRequest, sfnNS+"SerializationException", tt.msg)
	}
}

func TestWrongTypes(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	tests := []struct{ target, body, msg string }{
		{"AWSStepFunctions.CreateActivity", `{"name":5}`, "invalid value at 'name': expected a string, found a number"},
		{"AWSStepFunctions.CreateActivity", `{"name":true}`, "invalid value at 'name': expected a string, found a boolean"},
		{"AWSStepFunctions.CreateActivity", `{"name":"a","tags":{}}`, "invalid value at 'tags': expected an array, found an object"},
		{"AWSStepFunctions.CreateActivity", `{"name":"a","tags":["k"]}`, "invalid value at 'tags.1.member': expected an object, found a string"},
		{"AWSStepFunctions.CreateActivity", `{"name":"a","tags":[{"key":"k"},{"key":[]}]}`, "invalid value at 'tags.2.member.key': expected a string, found an array"},
		{"AWSStepFunctions.ListExecutions", `{"maxResults":"5"}`, "invalid value at 'maxResults': expected an integer, found a string"},
		{"AWSStepFunctions.ListExecutions", `{"maxResults":1.5}`, "invalid value at 'maxResults': expected an integer, found 1.5"},
		{"AWSStepFunctions.ListExecutions", `{"maxResults":1e2}`, "invalid value at 'maxResults': expected an integer, found 1e2"},
		{"AWSStepFunctions.ListExecutions", `{"maxResults":3000000000}`, "invalid value at 'maxResults': 3000000000 does not fit in a 32-bit integer"},
		{"AWSStepFunctions.UpdateMapRun", `{"mapRunArn":"a","toleratedFailureCount":99999999999999999999}`,
			"invalid value at 'toleratedFailureCount': 99999999999999999999 does not fit in a 64-bit integer"},
		{"AWSStepFunctions.UpdateMapRun", `{"mapRunArn":"a","toleratedFailurePercentage":"50"}`,
			"invalid value at 'toleratedFailurePercentage': expected a number, found a string"},
		{"AWSStepFunctions.UpdateMapRun", `{"mapRunArn":"a","toleratedFailurePercentage":1e39}`,
			"invalid value at 'toleratedFailurePercentage': 1e39 is not a representable 32-bit float"},
		{"SimpleWorkflowService.PollForActivityTask", `{"domain":"d","taskList":"tl"}`,
			"invalid value at 'taskList': expected an object, found a string"},
		{"SimpleWorkflowService.PollForActivityTask", `{"domain":"d","taskList":{"name":{}}}`,
			"invalid value at 'taskList.name': expected a string, found an object"},
		{"AWSStepFunctions.CreateActivity", `{"name":"a","Name":"` + strings.Repeat("x", 100) + `"}`,
			"unknown member 'Name': member names are case-sensitive (did you mean 'name'?)"},
	}
	for _, tt := range tests {
		r := b.call(t, tt.target, tt.body)
		ns := sfnNS
		if strings.HasPrefix(tt.target, "Simple") {
			ns = swfNS
		}
		wantError(t, r, http.StatusBadRequest, ns+"SerializationException", tt.msg)
	}
}

func TestValidationMessages(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	long := strings.Repeat("x", 81)
	tests := []struct {
		name, target, body, typ, msg string
	}{
		{"max length", "AWSStepFunctions.CreateActivity", `{"name":"` + long + `"}`, sfnVal,
			"1 validation error detected: Value '" + long + "' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80"},
		{"min length", "AWSStepFunctions.CreateActivity", `{"name":""}`, sfnVal,
			"1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"required", "AWSStepFunctions.CreateActivity", `{"tags":[]}`, sfnVal,
			"1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"},
		{"explicit null is absent", "AWSStepFunctions.CreateActivity", `{"name":null}`, sfnVal,
			"1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"},
		{"nested", "AWSStepFunctions.CreateActivity", `{"name":"a","tags":[{"key":"k"},{"key":""}]}`, sfnVal,
			"1 validation error detected: Value '' at 'tags.2.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"nested required", "AWSStepFunctions.CreateActivity", `{"name":"a","encryptionConfiguration":{}}`, sfnVal,
			"1 validation error detected: Value null at 'encryptionConfiguration.type' failed to satisfy constraint: Member must not be null"},
		{"enum", "AWSStepFunctions.ListExecutions", `{"statusFilter":"BOGUS"}`, sfnVal,
			"1 validation error detected: Value 'BOGUS' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE]"},
		{"max value", "AWSStepFunctions.ListExecutions", `{"maxResults":1001}`, sfnVal,
			"1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000"},
		{"min value", "AWSStepFunctions.ListExecutions", `{"maxResults":-1}`, sfnVal,
			"1 validation error detected: Value '-1' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"float bound", "AWSStepFunctions.UpdateMapRun", `{"mapRunArn":"a","toleratedFailurePercentage":100.5}`, sfnVal,
			"1 validation error detected: Value '100.5' at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value less than or equal to 100"},
		{"pattern", "AWSStepFunctions.StartExecution", `{"stateMachineArn":"arn","traceHeader":"é"}`, sfnVal,
			`1 validation error detected: Value 'é' at 'traceHeader' failed to satisfy constraint: Member must satisfy regular expression pattern: \p{ASCII}*`},
		{"list max size", "AWSStepFunctions.CreateStateMachineAlias",
			`{"name":"a","routingConfiguration":[{"stateMachineVersionArn":"v1","weight":50},{"stateMachineVersionArn":"v2","weight":25},{"stateMachineVersionArn":"v3","weight":25}]}`, sfnVal,
			"1 validation error detected: Value '[{stateMachineVersionArn=v1, weight=50}, {stateMachineVersionArn=v2, weight=25}, {stateMachineVersionArn=v3, weight=25}]' at 'routingConfiguration' failed to satisfy constraint: Member must have length less than or equal to 2"},
		{"list min size", "AWSStepFunctions.CreateStateMachineAlias", `{"name":"a","routingConfiguration":[]}`, sfnVal,
			"1 validation error detected: Value '[]' at 'routingConfiguration' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"nested number", "AWSStepFunctions.CreateStateMachineAlias",
			`{"name":"a","routingConfiguration":[{"stateMachineVersionArn":"v1","weight":101}]}`, sfnVal,
			"1 validation error detected: Value '101' at 'routingConfiguration.1.member.weight' failed to satisfy constraint: Member must have value less than or equal to 100"},
		{"several", "AWSStepFunctions.StartExecution", `{"name":"` + long + `","traceHeader":"é"}`, sfnVal,
			"3 validation errors detected: " +
				"Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null; " +
				"Value '" + long + "' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80; " +
				`Value 'é' at 'traceHeader' failed to satisfy constraint: Member must satisfy regular expression pattern: \p{ASCII}*`},
		{"SWF nested required", "SimpleWorkflowService.PollForActivityTask", `{"domain":"d","taskList":{}}`, swfNS + "ValidationException",
			"1 validation error detected: Value null at 'taskList.name' failed to satisfy constraint: Member must not be null"},
		{"SWF two", "SimpleWorkflowService.PollForActivityTask", `{"domain":"","taskList":{"name":"` + strings.Repeat("n", 257) + `"}}`, swfNS + "ValidationException",
			"2 validation errors detected: Value '' at 'domain' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value '" + strings.Repeat("n", 257) + "' at 'taskList.name' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"DP enum", "DataPipeline.SetTaskStatus", `{"taskId":"t","taskStatus":"DONE"}`, dpNS + "InvalidRequestException",
			"1 validation error detected: Value 'DONE' at 'taskStatus' failed to satisfy constraint: Member must satisfy enum value set: [FINISHED, FAILED, FALSE]"},
		{"DP pattern", "DataPipeline.ReportTaskProgress", `{"taskId":"a\u0001b"}`, dpNS + "InvalidRequestException",
			"1 validation error detected: Value 'a\x01b' at 'taskId' failed to satisfy constraint: Member must satisfy regular expression pattern: " +
				`[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*`},
		{"DP nested pattern", "DataPipeline.ReportTaskProgress", `{"taskId":"t","fields":[{"key":"k","stringValue":"\u0000"}]}`, dpNS + "InvalidRequestException",
			"1 validation error detected: Value '\x00' at 'fields.1.member.stringValue' failed to satisfy constraint: Member must satisfy regular expression pattern: " +
				`[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*`},
		{"DP list size", "DataPipeline.CreatePipeline", `{"name":"p","uniqueId":"u","tags":[` + strings.Repeat(`{"key":"k","value":"v"},`, 10) + `{"key":"k","value":"v"}]}`,
			dpNS + "InvalidRequestException",
			"1 validation error detected: Value '[" + strings.Repeat("{key=k, value=v}, ", 10) + "{key=k, value=v}]' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.call(t, tt.target, tt.body)
			wantError(t, r, http.StatusBadRequest, tt.typ, tt.msg)
		})
	}
}

func TestValidationAccepts(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	tests := []struct{ target, body string }{
		// 80 code points, 160 bytes: lengths count characters.
		{"AWSStepFunctions.CreateActivity", `{"name":"` + strings.Repeat("é", 80) + `"}`},
		{"AWSStepFunctions.CreateActivity", `{"name":"a","tags":[{"key":"k","value":""}],"unknownMember":[1,2,{"x":null}]}`},
		{"AWSStepFunctions.ListExecutions", `{"maxResults":1000,"statusFilter":"RUNNING"}`},
		{"AWSStepFunctions.ListExecutions", `{"maxResults":0}`},
		{"AWSStepFunctions.UpdateMapRun", `{"mapRunArn":"a","toleratedFailurePercentage":99.5,"toleratedFailureCount":9223372036854775807}`},
		// The lookahead pattern of CharacterRestrictedName is not RE2: not enforced.
		{"AWSStepFunctions.CreateStateMachineAlias", `{"name":"123","routingConfiguration":[{"stateMachineVersionArn":"v","weight":100}]}`},
		// Supplementary characters satisfy DP's surrogate-pair pattern.
		{"DataPipeline.ReportTaskProgress", `{"taskId":"t😀\ud83d\ude00\n\t","fields":[{"key":"k","stringValue":"v"}]}`},
		{"SimpleWorkflowService.PollForActivityTask", `{"domain":"d","taskList":{"name":"n"},"identity":null}`},
	}
	for _, tt := range tests {
		r := b.call(t, tt.target, tt.body)
		if r.status != http.StatusOK {
			t.Errorf("%s %s: %d %s", tt.target, tt.body, r.status, r.body)
		}
	}
}

func TestSensitiveValueNotEchoed(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	secret := strings.Repeat("s", 257)
	r := b.call(t, "AWSStepFunctions.SendTaskFailure", `{"taskToken":"t","error":"`+secret+`"}`)
	wantError(t, r, http.StatusBadRequest, sfnVal,
		"1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to 256")
	if strings.Contains(r.body, "sss") {
		t.Errorf("sensitive value echoed: %s", r.body)
	}
	if strings.Contains(b.log.String(), "sss") {
		t.Error("sensitive value logged")
	}
}

func TestOversizeBody(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{MaxBodyBytes: 1024})
	big := `{"taskToken":"` + strings.Repeat("t", 2000) + `"}`
	r := b.call(t, "AWSStepFunctions.SendTaskHeartbeat", big)
	wantError(t, r, http.StatusRequestEntityTooLarge, sfnNS+"RequestEntityTooLargeException",
		"request body is larger than 1024 bytes")

	// Without Content-Length (chunked), the limit still holds.
	r = b.do(t, http.MethodPost, "AWSStepFunctions.SendTaskHeartbeat", io.MultiReader(strings.NewReader(big)))
	wantError(t, r, http.StatusRequestEntityTooLarge, sfnNS+"RequestEntityTooLargeException", "")
	r = b.do(t, http.MethodPost, "AWSStepFunctions.SendTaskHeartbeat", io.MultiReader(strings.NewReader(`{"taskToken":"t"}`)))
	if r.status != http.StatusOK {
		t.Errorf("chunked small body: %d %s", r.status, r.body)
	}
}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	tests := []struct {
		arn    string
		status int
		typ    string
		msg    string
	}{
		{"missing", 400, sfnNS + "ActivityDoesNotExist", "Activity Does Not Exist: 'missing'"},
		{"wrapped", 404, sfnNS + "ResourceNotFound", "gone"},
		{"conflict", 409, sfnNS + "ConflictException", "busy"},
		{"throttle", 400, sfnNS + "ThrottlingException", "Rate exceeded"},
	}
	for _, tt := range tests {
		r := b.call(t, "AWSStepFunctions.DescribeActivity", `{"activityArn":"`+tt.arn+`"}`)
		wantError(t, r, tt.status, tt.typ, tt.msg)
		if got := r.header.Get("Content-Type"); got != "application/x-amz-json-1.0" {
			t.Errorf("Content-Type = %q", got)
		}
	}
	r := b.call(t, "AWSStepFunctions.SendTaskHeartbeat", `{"taskToken":"dead"}`)
	wantError(t, r, 400, sfnNS+"TaskTimedOut", "Provided task does not exist anymore")
}

func TestInternalError(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	r := b.call(t, "AWSStepFunctions.DescribeActivity", `{"activityArn":"fail"}`)
	id := r.header.Get("X-Amzn-RequestId")
	wantError(t, r, 500, sfnNS+"InternalFailure", "internal error; see the server log (request "+id+")")
	logs := b.log.String()
	if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "disk on fire") || !strings.Contains(logs, id) {
		t.Errorf("error not logged with request id:\n%s", logs)
	}
	if strings.Contains(r.body, "disk") {
		t.Errorf("internal error leaked to client: %s", r.body)
	}

	// Data Pipeline's internal error code, found in its Statuses table too.
	r = b.call(t, "DataPipeline.ReportTaskProgress", `{"taskId":"fail"}`)
	wantError(t, r, 500, dpNS+"InternalServiceError", "")
	if got := r.header.Get("Content-Type"); got != "application/x-amz-json-1.1" {
		t.Errorf("Content-Type = %q", got)
	}
}

func TestPanicRecovered(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	r := b.call(t, "AWSStepFunctions.DescribeActivity", `{"activityArn":"panic"}`)
	wantError(t, r, 500, sfnNS+"InternalFailure", "")
	logs := b.log.String()
	if !strings.Contains(logs, "aws operation panicked") || !strings.Contains(logs, "boom") || !strings.Contains(logs, "goroutine") {
		t.Errorf("panic not logged with stack:\n%s", logs)
	}
	r = b.call(t, "AWSStepFunctions.DescribeActivity", `{"activityArn":"a"}`)
	if r.status != 200 {
		t.Errorf("after panic: %d %s", r.status, r.body)
	}
}

func TestOutput(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	tests := []struct{ target, body, want string }{
		{"AWSStepFunctions.DescribeActivity", `{"activityArn":"a"}`, `{"activityArn":"a","name":"worker<&>","creationDate":1326595019.474}`},
		{"AWSStepFunctions.DescribeActivity", `{"activityArn":"nil"}`, `{}`},
		{"AWSStepFunctions.DescribeActivity", `{"activityArn":"bare"}`, `{"activityArn":"bare","name":"bare"}`},
		{"AWSStepFunctions.SendTaskFailure", `{"taskToken":"t"}`, `{}`},
		{"AWSStepFunctions.ValidateStateMachineDefinition", `{"definition":"{}"}`, `{"result":"OK","diagnostics":[]}`},
		{"AWSStepFunctions.StartExecution", `{"stateMachineArn":"sm","name":"n","input":"{\"a\":1}"}`, `{"executionArn":"sm:n","startDate":1326595019.474}`},
	}
	for _, tt := range tests {
		r := b.call(t, tt.target, tt.body)
		if r.status != 200 || r.body != tt.want {
			t.Errorf("%s %s: %d %s, want %s", tt.target, tt.body, r.status, r.body, tt.want)
		}
		if r.header.Get("X-Amzn-ErrorType") != "" {
			t.Errorf("%s: X-Amzn-ErrorType on success", tt.target)
		}
		if r.header.Get("Content-Length") != "" && r.header.Get("Content-Length") != strconv.Itoa(len(r.body)) {
			t.Errorf("%s: Content-Length %s for %d bytes", tt.target, r.header.Get("Content-Length"), len(r.body))
		}
	}
}

func TestOpDecodeError(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	r := b.call(t, "AWSStepFunctions.ListActivities", `{"maxResults":5}`)
	wantError(t, r, 400, sfnNS+"SerializationException",
		"invalid value at 'maxResults': cannot decode JSON number into string")
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestRequestID(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	seen := map[string]bool{}
	for range 20 {
		r := b.call(t, "AWSStepFunctions.SendTaskHeartbeat", `{"taskToken":"t"}`)
		id := r.header.Get("X-Amzn-RequestId")
		if !uuidV4.MatchString(id) {
			t.Fatalf("request id %q is not a UUID v4", id)
		}
		if seen[id] {
			t.Fatalf("request id %q repeated", id)
		}
		seen[id] = true
		if _, got := b.last(); got != id {
			t.Errorf("RequestID(ctx) = %q, header %q", got, id)
		}
	}
	if got := RequestID(context.Background()); got != "" {
		t.Errorf("RequestID outside a request = %q", got)
	}
}

func TestRegionDefault(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	b.call(t, "AWSStepFunctions.SendTaskHeartbeat", `{"taskToken":"t"}`)
	if region, _ := b.last(); region != "us-east-1" {
		t.Errorf("unsigned region = %q", region)
	}
	b2 := setup(t, Config{DefaultRegion: "ap-south-1"})
	b2.call(t, "AWSStepFunctions.SendTaskHeartbeat", `{"taskToken":"t"}`)
	if region, _ := b2.last(); region != "ap-south-1" {
		t.Errorf("unsigned region with DefaultRegion = %q", region)
	}
	b2.call(t, "AWSStepFunctions.SendTaskHeartbeat", `{"taskToken":"t"}`,
		"Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-north-1/states/aws4_request, SignedHeaders=host, Signature=00")
	if region, _ := b2.last(); region != "eu-north-1" {
		t.Errorf("signed region = %q", region)
	}
	if got := Region(context.Background()); got != "us-east-1" {
		t.Errorf("Region outside a request = %q", got)
	}
	ctx := WithRequest(context.Background(), "id-1", "sa-east-1")
	if Region(ctx) != "sa-east-1" || RequestID(ctx) != "id-1" {
		t.Errorf("WithRequest: %q %q", Region(ctx), RequestID(ctx))
	}
}

func TestRegionFromAuthorization(t *testing.T) {
	t.Parallel()
	tests := []struct{ header, want string }{
		{"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7", "us-east-1"},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-2/states/aws4_request,SignedHeaders=host,Signature=00", "eu-west-2"},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101/cn-northwest-1/swf/aws4_request", "cn-northwest-1"},
		{"", ""},
		{"AWS3-HTTPS AWSAccessKeyId=AKID,Algorithm=HmacSHA256,Signature=x", ""},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101", ""},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1", ""},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101//states/aws4_request", ""},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101/us:east/states/aws4_request", ""},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101/US-EAST-1/states/aws4_request", ""},
	}
	for _, tt := range tests {
		if got := regionFromAuthorization(tt.header); got != tt.want {
			t.Errorf("regionFromAuthorization(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestObserveAndLog(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	b.call(t, "AWSStepFunctions.SendTaskHeartbeat", `{"taskToken":"t"}`)
	b.call(t, "AWSStepFunctions.SendTaskHeartbeat", `{"taskToken":"dead"}`)
	b.call(t, "DataPipeline.ReportTaskProgress", `{"taskId":"fail"}`)
	b.call(t, "Nope.Nope", `{}`)
	want := []observation{
		{"states", "SendTaskHeartbeat", "", 200},
		{"states", "SendTaskHeartbeat", "TaskTimedOut", 400},
		{"datapipeline", "ReportTaskProgress", "InternalServiceError", 500},
		{"", "", "UnknownOperationException", 400},
	}
	got := b.observations()
	if len(got) != len(want) {
		t.Fatalf("observations = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("observation %d = %v, want %v", i, got[i], want[i])
		}
	}
	logs := b.log.String()
	for _, s := range []string{
		`level=DEBUG msg="aws request" request_id=`,
		`target=AWSStepFunctions.SendTaskHeartbeat status=200 code="" duration=`,
		`status=400 code=TaskTimedOut`,
		`level=ERROR msg="aws request failed with internal error"`,
	} {
		if !strings.Contains(logs, s) {
			t.Errorf("log lacks %q:\n%s", s, logs)
		}
	}
	if n := strings.Count(logs, "level=ERROR"); n != 1 {
		t.Errorf("%d ERROR lines, want 1 (no double logging):\n%s", n, logs)
	}
}

func TestClientCanceled(t *testing.T) {
	t.Parallel()
	log := &testLog{}
	b := &bundle{}
	h := NewHandler(Config{Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))}, sfnService(b))
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/", strings.NewReader(`{"activityArn":"cancel"}`))
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.DescribeActivity")
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(rec, req)
	}()
	cancel()
	<-done
	if rec.Code != 500 {
		t.Errorf("status %d, want 500", rec.Code)
	}
	logs := log.String()
	if strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "aws request canceled by client") {
		t.Errorf("cancellation should log at debug only:\n%s", logs)
	}
}

func TestNewHandlerPanics(t *testing.T) {
	t.Parallel()
	noop := func(context.Context, []byte) (any, error) { return nil, nil }
	tests := []struct {
		name     string
		services []*Service
	}{
		{"nil model", []*Service{{}}},
		{"unknown op", []*Service{{Model: EmbeddedModel("swf"), Ops: map[string]Operation{"Frobnicate": noop}}}},
		{"duplicate prefix", []*Service{{Model: EmbeddedModel("swf")}, {Model: EmbeddedModel("swf")}}},
		{"colon in __type", []*Service{{Model: EmbeddedModel("swf"), TypeOverrides: map[string]string{"X": "a:b#X"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("NewHandler did not panic")
				}
			}()
			NewHandler(Config{}, tt.services...)
		})
	}
}

func TestErrorType(t *testing.T) {
	t.Parallel()
	e := Errorf("TaskTimedOut", "task %s gone", "t1")
	if e.Error() != "TaskTimedOut: task t1 gone" {
		t.Errorf("Error() = %q", e.Error())
	}
	var ae *Error
	if !errors.As(Throttling("slow down"), &ae) || ae.Code != "ThrottlingException" {
		t.Errorf("Throttling = %v", ae)
	}
	if (&Error{Code: "X"}).Error() != "X" {
		t.Error("Error() without message")
	}
}

func TestHandlerUnderLoad(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{Logger: slog.New(slog.DiscardHandler)})
	deadline := time.Now().Add(5 * time.Second)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for i := 0; i < 50 && time.Now().Before(deadline); i++ {
				req, _ := http.NewRequest(http.MethodPost, b.srv.URL, strings.NewReader(`{"taskToken":"t"}`))
				req.Header.Set("X-Amz-Target", "AWSStepFunctions.SendTaskHeartbeat")
				resp, err := b.srv.Client().Do(req)
				if err != nil {
					errs <- err
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(body) != "{}" {
					errs <- errors.New(resp.Status + " " + string(body))
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestHeadersInProcess(t *testing.T) {
	t.Parallel()
	b := &bundle{}
	h := NewHandler(Config{}, sfnService(b))
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"taskToken":"dead"}`))
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.SendTaskHeartbeat")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Header().Get("x-amzn-RequestId") == "" || rec.Header().Get("X-Amzn-ErrorType") != "TaskTimedOut" {
		t.Errorf("headers not visible through Header.Get: %v", rec.Header())
	}
	if got := rec.Header().Get("Content-Length"); got != strconv.Itoa(rec.Body.Len()) {
		t.Errorf("Content-Length %s for %d bytes", got, rec.Body.Len())
	}
}

// An operation error that is (or wraps) one of the Service's Mapped errors
// answers that mapping's code and message, with the code's status; the
// first match wins, and an *Error still answers itself.
func TestMappedErrors(t *testing.T) {
	t.Parallel()
	errGone := errors.New("gone")
	errBusy := errors.New("busy")
	var opErr error
	svc := &Service{
		Model:          EmbeddedModel("stepfunctions"),
		ErrorNamespace: "ns",
		Statuses:       map[string]int{"ConflictException": http.StatusConflict},
		Mapped: []ErrorMapping{
			{Err: errGone, Code: "TaskTimedOut", Message: "Task Timed Out"},
			{Err: errBusy, Code: "ConflictException", Message: "busy, try later"},
			{Err: errGone, Code: "InvalidToken", Message: "not this one"},
		},
		Ops: map[string]Operation{
			"SendTaskHeartbeat": func(ctx context.Context, body []byte) (any, error) { return nil, opErr },
		},
	}
	h := NewHandler(Config{}, svc)
	tests := []struct {
		err    error
		status int
		typ    string
		msg    string
	}{
		{fmt.Errorf("heartbeat: %w", errGone), 400, "ns#TaskTimedOut", "Task Timed Out"},
		{errBusy, 409, "ns#ConflictException", "busy, try later"},
		{Errorf("InvalidToken", "bad"), 400, "ns#InvalidToken", "bad"},
		{errTest, 500, "ns#InternalFailure", ""},
	}
	for _, tt := range tests {
		opErr = tt.err
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"taskToken":"t"}`))
		req.Header.Set("X-Amz-Target", "AWSStepFunctions.SendTaskHeartbeat")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		wantError(t, response{status: w.Code, header: w.Header(), body: w.Body.String()}, tt.status, tt.typ, tt.msg)
	}
}
