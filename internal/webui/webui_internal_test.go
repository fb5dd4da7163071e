package webui

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
)

// TestBasicOnlyOverTLSOrLoopback: Basic credentials travel in clear, so
// the UI takes them over TLS or from this machine only, and never asks
// the authenticator otherwise.
func TestBasicOnlyOverTLSOrLoopback(t *testing.T) {
	t.Parallel()
	asked := 0
	u := &UI{cfg: Config{Region: "us-east-1", Now: func() time.Time { return time.Unix(1_800_000_000, 0) }, Authenticate: func(r *http.Request, _ []byte) (awsapi.Principal, error) {
		asked++
		if r.URL.Path != "/gaffer/ui-login" {
			t.Errorf("signed request for %s, want /gaffer/ui-login (signing name gaffer)", r.URL.Path)
		}
		return nil, awsapi.Errorf(awsapi.CodeInvalidSignature, "no")
	}}}
	for _, tt := range []struct {
		name   string
		remote string
		tls    bool
		asks   bool
	}{
		{"remote, plain HTTP", "192.0.2.7:5555", false, false},
		{"remote, TLS", "192.0.2.7:5555", true, true},
		{"loopback v4", "127.0.0.1:5555", false, true},
		{"loopback v6", "[::1]:5555", false, true},
	} {
		asked = 0
		r := httptest.NewRequest("GET", "/ui/", nil)
		r.RemoteAddr = tt.remote
		if tt.tls {
			r.TLS = &tls.ConnectionState{}
		}
		r.SetBasicAuth("AKID", "secret")
		_, err := u.authenticate(r)
		if err == nil {
			t.Errorf("%s: authenticated", tt.name)
		}
		if got := asked > 0; got != tt.asks {
			t.Errorf("%s: authenticator asked %v, want %v (%v)", tt.name, got, tt.asks, err)
		}
	}
}
