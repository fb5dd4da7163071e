package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// Each service's errors carry the __type AWS sends (README, "Error type
// names on the wire"): the service's namespace for the model's errors, the
// request framework's for validation, and the short code in
// X-Amzn-ErrorType. SDKs hide __type, so this reads the raw answers.
func TestErrorTypesOnTheWire(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	for _, tt := range []struct {
		target, contentType, body string
		typ, code                 string
	}{
		{"AWSStepFunctions.DescribeActivity", "1.0", `{"activityArn":"arn:aws:states:us-east-1:123456789012:activity:nope"}`,
			"com.amazonaws.swf.service.v2.model#ActivityDoesNotExist", "ActivityDoesNotExist"},
		{"AWSStepFunctions.CreateActivity", "1.0", `{}`,
			"com.amazon.coral.validate#ValidationException", "ValidationException"},
		{"SimpleWorkflowService.DescribeDomain", "1.0", `{"name":"nope"}`,
			"com.amazonaws.swf.base.model#UnknownResourceFault", "UnknownResourceFault"},
		{"SimpleWorkflowService.DescribeDomain", "1.0", `{}`,
			"com.amazon.coral.validate#ValidationException", "ValidationException"},
		{"DataPipeline.DescribePipelines", "1.1", `{"pipelineIds":["df-NOPE"]}`,
			"com.amazon.setl.webservice#PipelineNotFoundException", "PipelineNotFoundException"},
		{"DataPipeline.CreatePipeline", "1.1", `{}`,
			"com.amazon.setl.webservice#InvalidRequestException", "InvalidRequestException"},
	} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL()+"/", strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Amz-Target", tt.target)
		req.Header.Set("Content-Type", "application/x-amz-json-"+tt.contentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tt.target, err)
		}
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s: %v", tt.target, err)
		}
		var body struct {
			Type string `json:"__type"`
		}
		if err := json.Unmarshal(raw, &body); err != nil || body.Type != tt.typ || resp.Header.Get("X-Amzn-Errortype") != tt.code {
			t.Errorf("%s %s: %d %s (X-Amzn-ErrorType %q), want __type %q and X-Amzn-ErrorType %q",
				tt.target, tt.body, resp.StatusCode, raw, resp.Header.Get("X-Amzn-Errortype"), tt.typ, tt.code)
		}
	}
}
