package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// failClosedText is in the message of the access-denied answer the handler
// gives when an operation returned without authorizing its caller.
const failClosedText = "did not check its authorization"

// TestEveryOperationAuthorizes walks every implemented operation of the
// three services with the inputs of TestErrorsListed, signed by an
// identity whose policy denies everything and by one whose policy allows
// everything. Denied, no operation succeeds: each answers the service's
// access-denied error, or an error about its input that comes before the
// check, and every operation answers access denied to at least one input
// of the right form (so it does call awsapi.Authorize). Allowed, no answer
// is the handler's fail-closed refusal (an operation that forgot its
// check).
func TestEveryOperationAuthorizes(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{
		MaxPollWait: 10 * time.Millisecond,
		Authenticate: servertest.Identities(t, map[string]string{
			"AKIDDENY":  servertest.DenyAll,
			"AKIDALLOW": servertest.AllowAll,
		}).Authenticate,
	})
	// The SWF operations on a task token authorize on the domain of the
	// token's task: a token that names no open task (all the walk has) is
	// refused as unknown before any domain is known.
	// Step Functions ListExecutions gets no input of the right form from
	// the walk: without an ARN, or with both stateMachineArn and mapRunArn,
	// it is invalid.
	neverValid := map[string]bool{
		"swf RecordActivityTaskHeartbeat":  true,
		"swf RespondActivityTaskCompleted": true,
		"swf RespondActivityTaskFailed":    true,
		"swf RespondActivityTaskCanceled":  true,
		"swf RespondDecisionTaskCompleted": true,
		"states ListExecutions":            true,
	}
	for _, name := range []string{"stepfunctions", "swf", "datapipeline"} {
		m := awsapi.EmbeddedModel(name)
		denied := map[string]string{"swf": "OperationNotPermittedFault"}[m.EndpointPrefix]
		if denied == "" {
			denied = awsapi.CodeAccessDenied
		}
		ops := make([]string, 0, len(m.Operations))
		for op := range m.Operations {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		for _, op := range ops {
			bodies := []string{"{}"}
			if in := m.Operations[op].Input; in != nil {
				for _, w := range []walker{{m: m}, {m: m, all: true}, {m: m, plain: true}} {
					b, err := json.Marshal(w.value("", in.Shape, 0))
					if err != nil {
						t.Fatalf("%s %s: %v", name, op, err)
					}
					bodies = append(bodies, string(b))
				}
			}
			target := m.TargetPrefix + "." + op
			sawDenied := false
			implemented := true
			for _, body := range bodies {
				status, code, msg := callAs(t, srv.URL(), target, body, "AKIDDENY", m.EndpointPrefix)
				if code == awsapi.CodeUnknownOperation {
					implemented = false
					break
				}
				switch {
				case code == "":
					t.Errorf("denied %s %s %s: succeeded", name, op, body)
				case status >= 500:
					t.Errorf("denied %s %s %s: %d %s", name, op, body, status, code)
				case strings.Contains(msg, failClosedText):
					t.Errorf("denied %s %s %s: the operation never authorized (%s)", name, op, body, msg)
				case code == denied:
					sawDenied = true
				}
				if servertest.Unlisted(m.EndpointPrefix, op, code) {
					t.Errorf("denied %s %s: %s, which the model does not list", name, op, code)
				}

				_, code, msg = callAs(t, srv.URL(), target, body, "AKIDALLOW", m.EndpointPrefix)
				if code == denied {
					t.Errorf("allowed %s %s %s: %s %s", name, op, body, code, msg)
				}
			}
			if implemented && !sawDenied && !neverValid[m.EndpointPrefix+" "+op] {
				t.Errorf("denied %s %s: no input answered %s", name, op, denied)
			}
		}
	}
}

// callAs posts body to target with an Authorization header naming akid
// (servertest.Identities reads only the access key id) and returns the
// status, the error code and the message.
func callAs(t *testing.T, url, target, body, akid, service string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+akid+"/20260101/us-east-1/"+service+"/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct {
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	_ = json.Unmarshal(b, &e)
	return resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), e.Message + e.Message2
}
