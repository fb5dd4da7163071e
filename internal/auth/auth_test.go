package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
)

const allowAll = `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{`{}`, "credentials: no identities"},
		{`{"identities":[],"extra":1}`, `unknown field "extra"`},
		{`{"identities":[{"accessKeyId":"A","secretAccessKey":"s","policy":` + allowAll + `}]}`, "identities[0]: name is empty"},
		{`{"identities":[{"name":"ci","secretAccessKey":"s","policy":` + allowAll + `}]}`, `identities[0] ("ci"): accessKeyId is empty`},
		{`{"identities":[{"name":"ci","accessKeyId":"A/B","secretAccessKey":"s","policy":` + allowAll + `}]}`, `identities[0] ("ci"): accessKeyId "A/B": want letters and digits only`},
		{`{"identities":[{"name":"ci","accessKeyId":"A","policy":` + allowAll + `}]}`, `identities[0] ("ci"): secretAccessKey is empty`},
		{`{"identities":[{"name":"ci","accessKeyId":"A","secretAccessKey":"s"}]}`, `identities[0] ("ci"): policy is missing`},
		{`{"identities":[{"name":"ci","accessKeyId":"A","secretAccessKey":"s","policy":{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}}]}`, `identities[0] ("ci"): policy: Statement[0]`},
		{`{"identities":[{"name":"ci","accessKeyId":"A","secretAccessKey":"s","policy":` + allowAll + `},{"name":"ops","accessKeyId":"A","secretAccessKey":"t","policy":` + allowAll + `}]}`, `identities[1] ("ops"): accessKeyId A is also "ci"'s`},
		{`{"identities":[{"name":"ci","accessKeyId":"A","secretAccessKey":"s","policy":` + allowAll + `},{"name":"ci","accessKeyId":"B","secretAccessKey":"t","policy":` + allowAll + `}]}`, `identities[1] ("ci"): name is also identities[0]'s`},
	} {
		_, err := Parse([]byte(tc.file))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%s) = %v, want an error containing %q", tc.file, err, tc.want)
		}
	}
}

func TestAuthenticate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials.json")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"identities":[{"name":"ci","accessKeyId":"AKIDCI","secretAccessKey":"ci-secret","policy":{"Statement":[{"Effect":"Allow","Action":"states:*","Resource":"*"}]}}]}`)
	set, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
	a := New(set, func() time.Time { return now })
	body := []byte(`{}`)
	request := func(key, secret string) error {
		r := httptest.NewRequest("POST", "http://localhost/", bytes.NewReader(body))
		r.Header.Set("X-Amz-Target", "AWSStepFunctions.ListActivities")
		sum := sha256.Sum256(body)
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, r, hex.EncodeToString(sum[:]), "states", "us-east-1", now); err != nil {
			t.Fatal(err)
		}
		p, err := a.Authenticate(r, body)
		if err == nil && (p.Name() != "ci" && p.Name() != "ops" || !p.Allowed("states:ListActivities", "*") || p.Allowed("swf:PollForActivityTask", "*")) {
			t.Fatalf("principal %q has the wrong policy", p.Name())
		}
		return err
	}
	wantCode := func(err error, code string) {
		t.Helper()
		var ae *awsapi.Error
		if !errors.As(err, &ae) || ae.Code != code {
			t.Fatalf("err = %v, want %s", err, code)
		}
	}
	if err := request("AKIDCI", "ci-secret"); err != nil {
		t.Fatal(err)
	}
	wantCode(request("AKIDCI", "wrong"), awsapi.CodeInvalidSignature)
	wantCode(request("AKIDOPS", "ops-secret"), awsapi.CodeUnrecognizedClient)
	r := httptest.NewRequest("POST", "http://localhost/", bytes.NewReader(body))
	r.Header.Set("X-Amz-Target", "AWSStepFunctions.ListActivities")
	_, err = a.Authenticate(r, body)
	wantCode(err, awsapi.CodeMissingAuthenticationToken)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDCI")
	_, err = a.Authenticate(r, body)
	wantCode(err, awsapi.CodeIncompleteSignature)

	// A bad file keeps the current set; a good one replaces it.
	write(`{"identities":[`)
	if _, err := a.Reload(path); err == nil {
		t.Fatal("Reload of a bad file succeeded")
	}
	if err := request("AKIDCI", "ci-secret"); err != nil {
		t.Fatalf("after a failed reload: %v", err)
	}
	write(`{"identities":[{"name":"ops","accessKeyId":"AKIDOPS","secretAccessKey":"ops-secret","policy":{"Statement":[{"Effect":"Allow","Action":"states:*","Resource":"*"}]}}]}`)
	if _, err := a.Reload(path); err != nil {
		t.Fatal(err)
	}
	if err := request("AKIDOPS", "ops-secret"); err != nil {
		t.Fatal(err)
	}
	wantCode(request("AKIDCI", "ci-secret"), awsapi.CodeUnrecognizedClient)
}
