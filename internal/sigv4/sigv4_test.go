package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testKey    = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

var signTime = time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)

func verifier() *Verifier {
	return &Verifier{Secret: func(id string) (string, bool) {
		if id == testKey {
			return testSecret, true
		}
		return "", false
	}}
}

func hashOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// sdkSign signs req as aws-sdk-go-v2's signer does, then turns it into
// the request a server receives.
func sdkSign(t testing.TB, req *http.Request, body []byte, service, region string, at time.Time) *http.Request {
	t.Helper()
	creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hashOf(body), service, region, at); err != nil {
		t.Fatal(err)
	}
	return received(t, req, body)
}

// received is req as net/http's server hands it over (Host moved out of
// the header, the URL as the request line carries it).
func received(t testing.TB, req *http.Request, body []byte) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	req.Body = nil
	req.ContentLength = int64(len(body))
	if len(body) > 0 {
		req.Body = httpBody(body)
	}
	if err := req.Write(&buf); err != nil {
		t.Fatal(err)
	}
	r, err := http.ReadRequest(bufioReader(&buf))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func newReq(t testing.TB, method, url string, body []byte, hdr map[string][]string) *http.Request {
	t.Helper()
	req := httptest.NewRequest(method, url, bytes.NewReader(body))
	req.RequestURI = ""
	for k, vs := range hdr {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	return req
}

func TestVerifySDKSignatures(t *testing.T) {
	heartbeat := []byte(`{"taskToken":"AAAAKgAAAAIAAAAAAAAAAU3ie3s2hrEzb4EYqKr5mL8j8cwvPBcBXGbXq6dV4Mn7"}`)
	cases := []struct {
		name, method, url, service string
		body                       []byte
		hdr                        map[string][]string
	}{
		{"states heartbeat", "POST", "http://localhost:8080/", "states", heartbeat,
			map[string][]string{"X-Amz-Target": {"AWSStepFunctions.SendTaskHeartbeat"}, "Content-Type": {"application/x-amz-json-1.0"}}},
		{"swf", "POST", "http://127.0.0.1:9/", "swf", []byte(`{"domain":"d","taskList":{"name":"t"}}`),
			map[string][]string{"X-Amz-Target": {"SimpleWorkflowService.PollForActivityTask"}, "Content-Type": {"application/x-amz-json-1.0"}}},
		{"datapipeline empty body", "POST", "http://[::1]:8080", "datapipeline", nil,
			map[string][]string{"X-Amz-Target": {"DataPipeline.ListPipelines"}}},
		{"spaces in values and repeated headers", "POST", "http://localhost/", "states", []byte(`{}`),
			map[string][]string{"X-Amz-Target": {"AWSStepFunctions.ListActivities"}, "X-Custom": {"  a   b  c ", "d"}, "X-Other": {"\tx\t y"}}},
		{"query and odd path", "GET", "http://localhost/gaffer/a%20b/c~d?z=1&a=x%20y&a=b&empty=&sl=%2F&star=*", "gaffer", nil, nil},
		{"unicode query", "GET", "http://localhost/gaffer/status?name=%C3%A9t%C3%A9&plus=a%2Bb", "gaffer", nil, nil},
		{"large body", "POST", "http://localhost/", "states", bytes.Repeat([]byte("x"), 1<<16),
			map[string][]string{"X-Amz-Target": {"AWSStepFunctions.StartExecution"}}},
		{"session token", "POST", "http://localhost/", "states", []byte(`{}`),
			map[string][]string{"X-Amz-Target": {"AWSStepFunctions.ListActivities"}, "X-Amz-Security-Token": {"tok"}}},
	}
	for _, tc := range cases {
		for _, region := range []string{"us-east-1", "eu-west-3"} {
			t.Run(tc.name+" "+region, func(t *testing.T) {
				r := sdkSign(t, newReq(t, tc.method, tc.url, tc.body, tc.hdr), tc.body, tc.service, region, signTime)
				got, err := verifier().Verify(r, tc.body, signTime.Add(time.Minute), tc.service)
				if err != nil {
					t.Fatalf("Verify: %v\nAuthorization: %s", err, r.Header.Get("Authorization"))
				}
				if got.AccessKeyID != testKey || got.Region != region || got.Service != tc.service || !got.Date.Equal(signTime) {
					t.Fatalf("Verify = %+v", got)
				}
			})
		}
	}
}

func TestVerifyPresigned(t *testing.T) {
	body := []byte(`{}`)
	req := newReq(t, "POST", "http://localhost:8080/?keep=1", body, map[string][]string{"X-Amz-Target": {"AWSStepFunctions.ListActivities"}})
	q := req.URL.Query()
	q.Set("X-Amz-Expires", "300")
	req.URL.RawQuery = q.Encode()
	creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
	u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, hashOf(body), "states", "us-east-1", signTime)
	if err != nil {
		t.Fatal(err)
	}
	pr := newReq(t, "POST", u, body, hdr)
	pr.Header.Set("X-Amz-Target", "AWSStepFunctions.ListActivities") // the signer moved it to the query
	r := received(t, pr, body)
	v := verifier()
	if _, err := v.Verify(r, body, signTime.Add(299*time.Second), "states"); err != nil {
		t.Fatalf("Verify within X-Amz-Expires: %v (%s)", err, u)
	}
	_, err = v.Verify(r, body, signTime.Add(301*time.Second), "states")
	wantKind(t, err, Expired, "Signature expired: 20261207T050000Z is now earlier than 20261207T050001Z (20261207T050501Z - 300 sec.)")
	_, err = v.Verify(r, []byte(`{"x":1}`), signTime, "states")
	wantKind(t, err, Mismatch, "")
	r.Header.Set("X-Amz-Target", "AWSStepFunctions.DeleteActivity")
	_, err = v.Verify(r, body, signTime, "states")
	wantKind(t, err, Incomplete, "")
}

// TestAWSExample checks the example of AWS's SigV4 documentation (IAM
// ListUsers, 2015-08-30), a signature made by AWS, not by the SDK.
func TestAWSExample(t *testing.T) {
	r := httptest.NewRequest("GET", "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08", nil)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	r.Header.Set("X-Amz-Date", "20150830T123600Z")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
	at := time.Date(2015, 8, 30, 12, 40, 0, 0, time.UTC)
	if _, err := verifier().Verify(r, nil, at, "iam"); err != nil {
		t.Fatal(err)
	}
}

func wantKind(t *testing.T, err error, k Kind, msg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want a sigv4 *Error of kind %d", err, k)
	}
	if e.Kind != k || (msg != "" && e.Message != msg) {
		t.Fatalf("err = kind %d %q, want kind %d %q", e.Kind, e.Message, k, msg)
	}
}

func TestVerifyRefuses(t *testing.T) {
	body := []byte(`{"taskToken":"t"}`)
	hdr := map[string][]string{"X-Amz-Target": {"AWSStepFunctions.SendTaskHeartbeat"}}
	signed := func() *http.Request {
		return sdkSign(t, newReq(t, "POST", "http://localhost/", body, hdr), body, "states", "us-east-1", signTime)
	}
	now := signTime.Add(time.Minute)
	cases := []struct {
		name string
		edit func(r *http.Request) (*http.Request, []byte, time.Time)
		kind Kind
		msg  string
	}{
		{"no signature", func(r *http.Request) (*http.Request, []byte, time.Time) {
			r.Header.Del("Authorization")
			return r, body, now
		}, Missing, "Missing Authentication Token"},
		{"tampered body with payload hash header", func(r *http.Request) (*http.Request, []byte, time.Time) {
			r.Header.Set("X-Amz-Content-Sha256", hashOf(body))
			b := bytes.Clone(body)
			b[3] ^= 1
			return r, b, now
		}, Mismatch, "The provided 'x-amz-content-sha256' header does not match what was computed."},
		{"tampered body", func(r *http.Request) (*http.Request, []byte, time.Time) {
			b := bytes.Clone(body)
			b[3] ^= 1
			return r, b, now
		}, Mismatch, MismatchMessage},
		{"tampered target", func(r *http.Request) (*http.Request, []byte, time.Time) {
			r.Header.Set("X-Amz-Target", "AWSStepFunctions.SendTaskFailure")
			return r, body, now
		}, Mismatch, MismatchMessage},
		{"stale", func(r *http.Request) (*http.Request, []byte, time.Time) {
			return r, body, signTime.Add(16 * time.Minute)
		}, Expired, "Signature expired: 20261207T050000Z is now earlier than 20261207T050100Z (20261207T051600Z - 15 min.)"},
		{"future", func(r *http.Request) (*http.Request, []byte, time.Time) {
			return r, body, signTime.Add(-16 * time.Minute)
		}, Expired, "Signature not yet current: 20261207T050000Z is still later than 20261207T045900Z (20261207T044400Z + 15 min.)"},
		{"unknown key", func(r *http.Request) (*http.Request, []byte, time.Time) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), testKey, "AKIDOTHER", 1))
			return r, body, now
		}, UnknownKey, "The security token included in the request is invalid."},
		{"region edited", func(r *http.Request) (*http.Request, []byte, time.Time) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/us-east-1/", "/us-west-2/", 1))
			return r, body, now
		}, Mismatch, MismatchMessage},
		{"other service", func(r *http.Request) (*http.Request, []byte, time.Time) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/states/", "/swf/", 1))
			return r, body, now
		}, WrongService, "Credential should be scoped to correct service: 'states'. "},
		{"host not signed", func(r *http.Request) (*http.Request, []byte, time.Time) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "host;", "", 1))
			return r, body, now
		}, Incomplete, "'Host' must be a 'SignedHeader' in the AWS Authorization."},
		{"no signature part", func(r *http.Request) (*http.Request, []byte, time.Time) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:strings.Index(a, ", Signature=")])
			return r, body, now
		}, Incomplete, ""},
		{"no date", func(r *http.Request) (*http.Request, []byte, time.Time) {
			r.Header.Del("X-Amz-Date")
			return r, body, now
		}, Incomplete, ""},
		{"other algorithm", func(r *http.Request) (*http.Request, []byte, time.Time) {
			r.Header.Set("Authorization", "AWS4-HMAC-SHA512"+strings.TrimPrefix(r.Header.Get("Authorization"), Algorithm))
			return r, body, now
		}, Incomplete, ""},
		{"bad scope", func(r *http.Request) (*http.Request, []byte, time.Time) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/aws4_request", "", 1))
			return r, body, now
		}, Incomplete, ""},
		{"target not signed", func(r *http.Request) (*http.Request, []byte, time.Time) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";x-amz-target", "", 1))
			return r, body, now
		}, Incomplete, ""},
		{"both forms", func(r *http.Request) (*http.Request, []byte, time.Time) {
			r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256"
			return r, body, now
		}, Incomplete, ""},
		{"wrong signature", func(r *http.Request) (*http.Request, []byte, time.Time) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-1]+string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", a[len(a)-1])+1)%16]))
			return r, body, now
		}, Mismatch, MismatchMessage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := signed()
			r, b, at := tc.edit(r)
			_, err := verifier().Verify(r, b, at, "states")
			wantKind(t, err, tc.kind, tc.msg)
		})
	}
	// A wrong secret: the signature does not match.
	v := &Verifier{Secret: func(string) (string, bool) { return "other", true }}
	_, err := v.Verify(signed(), body, now, "states")
	wantKind(t, err, Mismatch, MismatchMessage)
}

func TestService(t *testing.T) {
	for target, want := range map[string]string{
		"AWSStepFunctions.SendTaskHeartbeat":                                        "states",
		"SimpleWorkflowService.PollForActivityTask":                                 "swf",
		"com.amazonaws.swf.service.model.SimpleWorkflowService.PollForActivityTask": "swf",
		"DataPipeline.PollForTask":                                                  "datapipeline",
		"Other.X":                                                                   "",
		"":                                                                          "",
	} {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("X-Amz-Target", target)
		if got := Service(r); got != want {
			t.Errorf("Service(%q) = %q, want %q", target, got, want)
		}
	}
	if got := Service(httptest.NewRequest("GET", "/gaffer/status", nil)); got != "gaffer" {
		t.Errorf("Service(/gaffer/status) = %q", got)
	}
}

// BenchmarkVerify verifies a SendTaskHeartbeat as the SDK signs it, with
// the signing key cached (the hot path) and derived every time.
func BenchmarkVerify(b *testing.B) {
	body := []byte(`{"taskToken":"AAAAKgAAAAIAAAAAAAAAAU3ie3s2hrEzb4EYqKr5mL8j8cwvPBcBXGbXq6dV4Mn7"}`)
	hdr := map[string][]string{"X-Amz-Target": {"AWSStepFunctions.SendTaskHeartbeat"}, "Content-Type": {"application/x-amz-json-1.0"}, "User-Agent": {"aws-sdk-go-v2/1.48.0 os/linux lang/go#1.24 md/GOOS#linux md/GOARCH#amd64 api/sfn#1.41.2"}, "Amz-Sdk-Invocation-Id": {"6f1d0a4e-0b8f-4c7e-9a53-0b1f3f2d1e55"}, "Amz-Sdk-Request": {"attempt=1; max=3"}}
	r := sdkSign(b, newReq(b, "POST", "http://127.0.0.1:8080/", body, hdr), body, "states", "us-east-1", signTime)
	now := signTime.Add(time.Minute)
	b.Run("cached", func(b *testing.B) {
		v := verifier()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(r, body, now, "states"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("derived", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := verifier().Verify(r, body, now, "states"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
