package awsapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRefuse: a refused request is answered in its service's shape, is
// observed, and runs no operation (the fake SendTaskHeartbeat would answer
// 200).
func TestRefuse(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	h := b.srv.Config.Handler
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Refuse(h, w, r, Throttling("full"))
	}))
	t.Cleanup(refusing.Close)
	b.srv.URL = refusing.URL // b.call now calls the refusing server

	tests := []struct {
		target, typ, contentType string
	}{
		{"AWSStepFunctions.SendTaskHeartbeat", sfnNS + "ThrottlingException", "application/x-amz-json-1.0"},
		{"SimpleWorkflowService.PollForActivityTask", swfNS + "ThrottlingException", "application/x-amz-json-1.0"},
		{"DataPipeline.PollForTask", dpNS + "ThrottlingException", "application/x-amz-json-1.1"},
		{"Nobody.Nothing", "com.amazon.coral.service#ThrottlingException", "application/x-amz-json-1.0"},
	}
	for _, tt := range tests {
		r := b.call(t, tt.target, `{"taskToken":"t"}`)
		wantError(t, r, http.StatusBadRequest, tt.typ, "full")
		if got := r.header.Get("Content-Type"); got != tt.contentType {
			t.Errorf("%s: Content-Type = %q, want %q", tt.target, got, tt.contentType)
		}
	}
	obs := b.observations()
	if len(obs) != len(tests) {
		t.Fatalf("observed %v, want %d requests", obs, len(tests))
	}
	if got := obs[0]; got != (observation{"states", "SendTaskHeartbeat", "ThrottlingException", http.StatusBadRequest}) {
		t.Errorf("observed %+v", got)
	}
	if strings.Contains(b.log.String(), "level=ERROR") {
		t.Errorf("a refusal was logged as an error:\n%s", b.log.String())
	}
}
