package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	swftypes "github.com/aws/aws-sdk-go-v2/service/swf/types"
	"github.com/aws/smithy-go"

	"github.com/gaffer-dev/gaffer/internal/auth"
	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// allowAllDoc is the policy of the test identities: the dialects' own checks
// are tested with them.
const allowAllDoc = `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

type testIdentity struct{ name, keyID, secret string }

var (
	ciIdentity  = testIdentity{"ci", "AKIDCI0000000001", "ci-secret-key"}
	opsIdentity = testIdentity{"ops", "AKIDOPS000000002", "ops-secret-key"}
)

// writeCredentials writes a credentials file with the identities, each
// allowed everything, and returns its path (in dir, or a new temp dir).
func writeCredentials(t *testing.T, path string, ids ...testIdentity) string {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "credentials.json")
	}
	var b strings.Builder
	b.WriteString(`{"identities": [`)
	for i, id := range ids {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"name": "` + id.name + `", "accessKeyId": "` + id.keyID + `", "secretAccessKey": "` + id.secret + `", "policy": ` + allowAllDoc + `}`)
	}
	b.WriteString(`]}`)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startAuthenticated starts a server that verifies signatures against the
// identities.
func startAuthenticated(t *testing.T, ids ...testIdentity) *server.Server {
	t.Helper()
	set, err := auth.Load(writeCredentials(t, "", ids...))
	if err != nil {
		t.Fatal(err)
	}
	return servertest.Start(t, servertest.Options{Authenticate: auth.New(set, nil).Authenticate})
}

func configAs(endpoint string, id testIdentity) aws.Config {
	cfg := servertest.AWSConfig(endpoint)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(id.keyID, id.secret, "")
	cfg.RetryMaxAttempts = 1
	return cfg
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestSignedSDKClients: the three services' SDK clients signing with a
// configured key are served; with a wrong secret or an unknown key they
// are refused with AWS's errors.
func TestSignedSDKClients(t *testing.T) {
	t.Parallel()
	srv := startAuthenticated(t, ciIdentity, opsIdentity)
	ctx := context.Background()
	call := func(cfg aws.Config) []error {
		_, e1 := sfn.NewFromConfig(cfg).ListActivities(ctx, &sfn.ListActivitiesInput{})
		_, e2 := swf.NewFromConfig(cfg).ListDomains(ctx, &swf.ListDomainsInput{RegistrationStatus: swftypes.RegistrationStatusRegistered})
		_, e3 := datapipeline.NewFromConfig(cfg).ListPipelines(ctx, &datapipeline.ListPipelinesInput{})
		return []error{e1, e2, e3}
	}
	for _, id := range []testIdentity{ciIdentity, opsIdentity} {
		for i, err := range call(configAs(srv.URL(), id)) {
			if err != nil {
				t.Errorf("%s, service %d: %v", id.name, i, err)
			}
		}
	}
	regional := configAs(srv.URL(), ciIdentity)
	regional.Region = "eu-west-3"
	for i, err := range call(regional) {
		if err != nil {
			t.Errorf("signed for eu-west-3, service %d: %v", i, err)
		}
	}
	for _, tc := range []struct {
		name string
		id   testIdentity
		code string
	}{
		{"wrong secret", testIdentity{"ci", ciIdentity.keyID, "not-the-secret"}, "InvalidSignatureException"},
		{"unknown key", testIdentity{"nobody", "AKIDUNKNOWN00003", "whatever"}, "UnrecognizedClientException"},
	} {
		for i, err := range call(configAs(srv.URL(), tc.id)) {
			if got := apiCode(err); got != tc.code {
				t.Errorf("%s, service %d: err %v, want %s", tc.name, i, err, tc.code)
			}
		}
	}
	_, err := sfn.NewFromConfig(configAs(srv.URL(), ciIdentity), func(o *sfn.Options) {
		o.Credentials = aws.AnonymousCredentials{}
	}).ListActivities(ctx, &sfn.ListActivitiesInput{})
	if got := apiCode(err); got != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned: err %v, want MissingAuthenticationTokenException", err)
	}
}

// rawRequest is a request signed by the SDK's signer, then edited.
type rawRequest struct {
	target, body string
	service      string
	region       string
	at           time.Time
	edit         func(r *http.Request) // after signing
}

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// send signs and sends rr as ciIdentity and returns the status and the
// error's __type ("" if served).
func (rr rawRequest) send(t *testing.T, endpoint string) (int, string, string) {
	t.Helper()
	if rr.service == "" {
		rr.service = "states"
	}
	if rr.region == "" {
		rr.region = "us-east-1"
	}
	if rr.at.IsZero() {
		rr.at = time.Now()
	}
	req, err := http.NewRequest("POST", endpoint+"/", strings.NewReader(rr.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", rr.target)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	creds := aws.Credentials{AccessKeyID: ciIdentity.keyID, SecretAccessKey: ciIdentity.secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hexSHA256([]byte(rr.body)), rr.service, rr.region, rr.at); err != nil {
		t.Fatal(err)
	}
	if rr.edit != nil {
		rr.edit(req)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, string, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if resp.StatusCode != http.StatusOK {
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("error answer %s: %v", b, err)
		}
	}
	return resp.StatusCode, e.Type, e.Message
}

// TestSignatureRefusals sends requests signed by the SDK's signer and then
// spoiled, and checks AWS's answers.
func TestSignatureRefusals(t *testing.T) {
	t.Parallel()
	srv := startAuthenticated(t, ciIdentity)
	list := rawRequest{target: "AWSStepFunctions.ListActivities", body: `{"maxResults":10}`}
	if st, typ, msg := list.send(t, srv.URL()); st != 200 {
		t.Fatalf("signed request: %d %s %s", st, typ, msg)
	}
	replace := func(old, new string) func(r *http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
		}
	}
	for _, tc := range []struct {
		name    string
		rr      rawRequest
		typ     string
		message string
	}{
		{"stale date", rawRequest{at: time.Now().Add(-20 * time.Minute)}, "InvalidSignatureException", "Signature expired: "},
		{"future date", rawRequest{at: time.Now().Add(20 * time.Minute)}, "InvalidSignatureException", "Signature not yet current: "},
		{"tampered body", rawRequest{edit: func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(`{"maxResults":11}`))
		}}, "InvalidSignatureException", "The request signature we calculated does not match"},
		{"missing Authorization", rawRequest{edit: func(r *http.Request) { r.Header.Del("Authorization") }}, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"scope for another service", rawRequest{service: "swf"}, "InvalidSignatureException", "Credential should be scoped to correct service: 'states'."},
		{"region edited in the scope", rawRequest{edit: replace("/us-east-1/", "/us-west-2/")}, "InvalidSignatureException", "The request signature we calculated does not match"},
		{"malformed", rawRequest{edit: replace("SignedHeaders=", "Signedheaders=")}, "IncompleteSignatureException", "Authorization header requires 'SignedHeaders' parameter."},
		{"unknown key", rawRequest{edit: replace(ciIdentity.keyID, "AKIDNOBODY000004")}, "UnrecognizedClientException", "The security token included in the request is invalid."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rr := tc.rr
			rr.target, rr.body = list.target, list.body
			st, typ, msg := rr.send(t, srv.URL())
			if st != http.StatusBadRequest || typ != tc.typ || !strings.Contains(msg, tc.message) {
				t.Errorf("answered %d %s %q, want 400 %s %q", st, typ, msg, tc.typ, tc.message)
			}
		})
	}
}

// TestPresignedRequests: a query-signed (presigned) request is served
// within its X-Amz-Expires and refused after.
func TestPresignedRequests(t *testing.T) {
	t.Parallel()
	srv := startAuthenticated(t, ciIdentity)
	body := `{}`
	presign := func(at time.Time, expires string) *http.Request {
		req, err := http.NewRequest("POST", srv.URL()+"/?X-Amz-Expires="+expires, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListActivities")
		creds := aws.Credentials{AccessKeyID: ciIdentity.keyID, SecretAccessKey: ciIdentity.secret}
		u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, hexSHA256([]byte(body)), "states", "us-east-1", at)
		if err != nil {
			t.Fatal(err)
		}
		out, err := http.NewRequest("POST", u, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range hdr {
			if k != "Host" {
				out.Header[k] = vs
			}
		}
		// The signer moved X-Amz-Target into the (signed) query; the
		// handler routes by the header, which must match it.
		out.Header.Set("X-Amz-Target", "AWSStepFunctions.ListActivities")
		return out
	}
	if st, typ, msg := do(t, presign(time.Now(), "300")); st != 200 {
		t.Fatalf("presigned: %d %s %s", st, typ, msg)
	}
	st, typ, msg := do(t, presign(time.Now().Add(-2*time.Minute), "60"))
	if st != 400 || typ != "InvalidSignatureException" || !strings.Contains(msg, "Signature expired") {
		t.Errorf("expired presigned: %d %s %q, want 400 InvalidSignatureException Signature expired", st, typ, msg)
	}
}

// TestSignedCLIAndBoto3: the AWS CLI and boto3 with a configured key are
// served; with a wrong secret they are refused.
func TestSignedCLIAndBoto3(t *testing.T) {
	t.Parallel()
	srv := startAuthenticated(t, ciIdentity)
	url := srv.URL()
	if code, _, stderr := runAWSAs(t, url, ciIdentity.keyID, ciIdentity.secret, "stepfunctions", "list-activities"); code != 0 {
		t.Errorf("aws stepfunctions list-activities: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := runAWSAs(t, url, ciIdentity.keyID, ciIdentity.secret, "swf", "list-domains", "--registration-status", "REGISTERED"); code != 0 {
		t.Errorf("aws swf list-domains: exit %d\n%s", code, stderr)
	}
	code, _, stderr := runAWSAs(t, url, ciIdentity.keyID, "wrong-secret", "stepfunctions", "list-activities")
	if code == 0 || !strings.Contains(stderr, "InvalidSignatureException") {
		t.Errorf("aws with a wrong secret: exit %d, stderr %q; want InvalidSignatureException", code, stderr)
	}
	code, _, stderr = runAWSAs(t, url, "AKIDNOBODY000004", "whatever", "datapipeline", "list-pipelines")
	if code == 0 || !strings.Contains(stderr, "UnrecognizedClientException") {
		t.Errorf("aws with an unknown key: exit %d, stderr %q; want UnrecognizedClientException", code, stderr)
	}

	if out := runBoto3(t, url, ciIdentity.keyID, ciIdentity.secret); out != "ok" {
		t.Errorf("boto3 with the key: %s", out)
	}
	if out := runBoto3(t, url, ciIdentity.keyID, "wrong-secret"); out != "InvalidSignatureException" {
		t.Errorf("boto3 with a wrong secret: %s, want InvalidSignatureException", out)
	}
}

// python3 is Debian's, with its python3-boto3 package (scripts/test-deps).
const python3 = "/usr/bin/python3"

const boto3Script = `
import sys, boto3, botocore
s = boto3.session.Session(aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3], region_name="us-east-1")
cfg = botocore.config.Config(retries={"max_attempts": 1})
try:
    s.client("stepfunctions", endpoint_url=sys.argv[1], config=cfg).list_activities()
    s.client("swf", endpoint_url=sys.argv[1], config=cfg).list_domains(registrationStatus="REGISTERED")
    print("ok")
except botocore.exceptions.ClientError as e:
    print(e.response["Error"]["Code"])
`

// runBoto3 lists activities and domains with boto3 and returns "ok" or the
// error code.
func runBoto3(t *testing.T, endpoint, keyID, secret string) string {
	t.Helper()
	cmd := exec.Command(python3, "-c", boto3Script, endpoint, keyID, secret)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "AWS_EC2_METADATA_DISABLED=true"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3 (%s with Debian's python3-boto3; scripts/test-deps installs it): %v\n%s", python3, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestCredentialsReloadOnSIGHUP: `gaffer serve` with GAFFER_CREDENTIALS
// reloads the file on SIGHUP: a bad file keeps the identities, a good one
// replaces them (the new key works, the removed one is refused).
func TestCredentialsReloadOnSIGHUP(t *testing.T) {
	path := writeCredentials(t, "", ciIdentity)
	t.Setenv("GAFFER_CREDENTIALS", path)
	p := servertest.StartProcess(t, "")
	ctx := context.Background()
	list := func(id testIdentity) error {
		_, err := sfn.NewFromConfig(configAs(p.URL, id)).ListActivities(ctx, &sfn.ListActivitiesInput{})
		return err
	}
	if err := list(ciIdentity); err != nil {
		t.Fatalf("ci before reload: %v", err)
	}
	if err := list(opsIdentity); apiCode(err) != "UnrecognizedClientException" {
		t.Fatalf("ops before reload: %v, want UnrecognizedClientException", err)
	}
	await := func(msg string) {
		t.Helper()
		if !p.Await(10*time.Second, func() bool { return strings.Contains(p.Log(), msg) }) {
			t.Fatalf("no %q in the log:\n%s", msg, p.Log())
		}
	}

	if err := os.WriteFile(path, []byte(`{"identities": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	p.Signal(t, syscall.SIGHUP)
	await("credentials not reloaded")
	if err := list(ciIdentity); err != nil {
		t.Fatalf("ci after a bad reload: %v", err)
	}

	writeCredentials(t, path, opsIdentity)
	p.Signal(t, syscall.SIGHUP)
	await(`"msg":"credentials reloaded"`)
	if err := list(opsIdentity); err != nil {
		t.Errorf("ops after reload: %v", err)
	}
	if err := list(ciIdentity); apiCode(err) != "UnrecognizedClientException" {
		t.Errorf("ci after reload: %v, want UnrecognizedClientException", err)
	}
}
