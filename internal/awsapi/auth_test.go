package awsapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// testPrincipal allows the actions on the resources listed as
// "action resource".
type testPrincipal map[string]bool

func (p testPrincipal) Name() string { return "tester" }
func (p testPrincipal) Allowed(action, resource string) bool {
	return p[action+" "+resource]
}

// authBundle serves Step Functions and SWF operations that authorize (or,
// one each, forget to) for the principal the X-Test-Principal header names.
func authBundle(t *testing.T) *bundle {
	t.Helper()
	b := &bundle{log: &testLog{}}
	principals := map[string]Principal{
		"alice": testPrincipal{
			"states:DescribeActivity arn:aws:states:us-east-1:1:activity:a": true,
			"states:SendTaskHeartbeat *":                                    true,
			"swf:DescribeDomain arn:aws:swf:us-east-1:1:/domain/d":          true,
			"swf:RegisterDomain arn:aws:swf:us-east-1:1:/domain/d":          true,
		},
	}
	auth := func(r *http.Request, body []byte) (Principal, error) {
		if p := principals[r.Header.Get("X-Test-Principal")]; p != nil {
			return p, nil
		}
		if r.Header.Get("X-Test-Principal") == "" {
			return nil, nil // unauthenticated, as the nil Authenticate serves
		}
		return nil, Errorf("UnrecognizedClientException", "The security token included in the request is invalid.")
	}
	authorize := func(resource string) Operation {
		return func(ctx context.Context, body []byte) (any, error) {
			if err := Authorize(ctx, resource); err != nil {
				return nil, err
			}
			return map[string]string{}, nil
		}
	}
	forgets := func(ctx context.Context, body []byte) (any, error) { return map[string]string{}, nil }
	sfn := &Service{Model: EmbeddedModel("stepfunctions"), ErrorNamespace: "com.amazonaws.swf.service.v2.model", Ops: map[string]Operation{
		"DescribeActivity":  authorize("arn:aws:states:us-east-1:1:activity:a"),
		"DeleteActivity":    authorize("arn:aws:states:us-east-1:1:activity:a"),
		"SendTaskHeartbeat": authorize("*"),
		"SendTaskSuccess":   forgets,
	}}
	swf := &Service{Model: EmbeddedModel("swf"), ErrorNamespace: "com.amazonaws.swf.base.model", AccessDeniedCode: "OperationNotPermittedFault", Ops: map[string]Operation{
		"DescribeDomain":    authorize("arn:aws:swf:us-east-1:1:/domain/d"),
		"DeprecateDomain":   authorize("arn:aws:swf:us-east-1:1:/domain/d"),
		"UndeprecateDomain": forgets,
	}}
	cfg := Config{Logger: slog.New(slog.NewTextHandler(b.log, nil)), Authenticate: auth}
	b.srv = httptest.NewServer(NewHandler(cfg, sfn, swf))
	t.Cleanup(b.srv.Close)
	return b
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	b := authBundle(t)
	const describe = `{"activityArn":"arn:aws:states:us-east-1:1:activity:a"}`
	tests := []struct {
		who, target, body string
		status            int
		typ               string
	}{
		{"alice", "AWSStepFunctions.DescribeActivity", describe, 200, ""},
		{"alice", "AWSStepFunctions.SendTaskHeartbeat", `{"taskToken":"t"}`, 200, ""},
		{"alice", "AWSStepFunctions.DeleteActivity", describe, 400, sfnNS + "AccessDeniedException"},
		{"alice", "SimpleWorkflowService.DescribeDomain", `{"name":"d"}`, 200, ""},
		{"alice", "SimpleWorkflowService.DeprecateDomain", `{"name":"d"}`, 400, "com.amazonaws.swf.base.model#OperationNotPermittedFault"},
		{"mallory", "AWSStepFunctions.DescribeActivity", describe, 400, "UnrecognizedClientException"}, // a bare __type, as AWS's front end sends it
		// Unauthenticated requests are not authorized (Authorize is a no-op)
		// and the fail-closed rule does not apply to them.
		{"", "AWSStepFunctions.DeleteActivity", describe, 200, ""},
		{"", "AWSStepFunctions.SendTaskSuccess", `{"taskToken":"t","output":"{}"}`, 200, ""},
	}
	for _, tt := range tests {
		r := b.call(t, tt.target, tt.body, "X-Test-Principal", tt.who)
		if tt.typ == "" {
			if r.status != 200 {
				t.Errorf("%s %s: %d %s, want 200", tt.who, tt.target, r.status, r.body)
			}
			continue
		}
		wantError(t, r, tt.status, tt.typ, "")
	}
	r := b.call(t, "AWSStepFunctions.DeleteActivity", describe, "X-Test-Principal", "alice")
	wantError(t, r, 400, sfnNS+"AccessDeniedException",
		"User: tester is not authorized to perform: states:DeleteActivity on resource: arn:aws:states:us-east-1:1:activity:a")
}

// An authenticated request whose operation returns without calling
// Authorize is refused with the service's access-denied error, and the
// server logs an error naming the operation: a dialect that forgot its
// check does not serve.
func TestAuthorizeFailsClosed(t *testing.T) {
	t.Parallel()
	b := authBundle(t)
	r := b.call(t, "AWSStepFunctions.SendTaskSuccess", `{"taskToken":"t","output":"{}"}`, "X-Test-Principal", "alice")
	wantError(t, r, 400, sfnNS+"AccessDeniedException", "")
	r = b.call(t, "SimpleWorkflowService.UndeprecateDomain", `{"name":"d"}`, "X-Test-Principal", "alice")
	wantError(t, r, 400, "com.amazonaws.swf.base.model#OperationNotPermittedFault", "")
	logs := b.log.String()
	for _, op := range []string{"AWSStepFunctions.SendTaskSuccess", "SimpleWorkflowService.UndeprecateDomain"} {
		if !strings.Contains(logs, `level=ERROR msg="`+logUnauthorized+`"`) || !strings.Contains(logs, "operation="+op) {
			t.Errorf("no error log naming %s:\n%s", op, logs)
		}
	}
}
