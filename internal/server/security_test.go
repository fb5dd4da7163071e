package server_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// logger returns a logger writing to b.
func logger(b *servertest.Buffer) *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// insecureWarning is what a node serving unauthenticated on a non-loopback
// address logs.
const insecureWarning = "serving without authentication on a non-loopback address"

// loopbackURL is the URL of srv, listening on every interface, through
// 127.0.0.1: tests send no traffic to other addresses.
func loopbackURL(t *testing.T, srv *server.Server) string {
	t.Helper()
	_, port, err := net.SplitHostPort(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	return "http://127.0.0.1:" + port
}

func TestListenRefusedWithoutCredentials(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", ":0"} {
		srv, err := server.New(server.Config{Listen: addr, DataDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		err = srv.Start(t.Context())
		if err == nil {
			srv.Stop()
			t.Fatalf("a node without credentials started on %s", addr)
		}
		for _, want := range []string{addr, "not a loopback address", "--credentials FILE", "--insecure"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the refusal of %s does not say %q: %v", addr, want, err)
			}
		}
		srv.Stop()
	}
}

func TestListenInsecure(t *testing.T) {
	t.Parallel()
	var logs servertest.Buffer
	srv := servertest.Start(t, servertest.Options{Listen: "0.0.0.0:0", Insecure: true, Logger: logger(&logs)})
	if !strings.Contains(logs.String(), insecureWarning) {
		t.Errorf("--insecure on 0.0.0.0 logged no warning:\n%s", logs.String())
	}
	if _, err := servertest.SFN(loopbackURL(t, srv)).ListActivities(t.Context(), &sfn.ListActivitiesInput{}); err != nil {
		t.Fatalf("ListActivities: %v", err)
	}

	// On a loopback address, --insecure changes nothing and says nothing.
	var quiet servertest.Buffer
	srv = servertest.Start(t, servertest.Options{Insecure: true, Logger: logger(&quiet)})
	if strings.Contains(quiet.String(), insecureWarning) {
		t.Errorf("--insecure on loopback logged a warning:\n%s", quiet.String())
	}
	if _, err := servertest.SFN(srv.URL()).ListActivities(t.Context(), &sfn.ListActivitiesInput{}); err != nil {
		t.Fatalf("ListActivities: %v", err)
	}
}

func TestListenAuthenticated(t *testing.T) {
	t.Parallel()
	var logs servertest.Buffer
	auth := servertest.Identities(t, map[string]string{"AKIDTEST": servertest.AllowAll}).Authenticate
	srv := servertest.Start(t, servertest.Options{Listen: "0.0.0.0:0", Authenticate: auth, Logger: logger(&logs)})
	if strings.Contains(logs.String(), insecureWarning) {
		t.Errorf("an authenticated node warned it serves unauthenticated:\n%s", logs.String())
	}
	if _, err := servertest.SFN(loopbackURL(t, srv)).ListActivities(t.Context(), &sfn.ListActivitiesInput{}); err != nil {
		t.Fatalf("ListActivities: %v", err)
	}
}

func TestTLSFlagsPaired(t *testing.T) {
	t.Parallel()
	cert := servertest.NewCert(t, t.TempDir(), 1)
	for _, tt := range []struct {
		cfg  server.Config
		want []string
	}{
		{server.Config{TLSCertFile: cert.CertFile}, []string{cert.CertFile, "without its key", "--tls-key"}},
		{server.Config{TLSKeyFile: cert.KeyFile}, []string{cert.KeyFile, "without its certificate", "--tls-cert"}},
		{server.Config{TLSCertFile: cert.CertFile + ".missing", TLSKeyFile: cert.KeyFile}, []string{cert.CertFile + ".missing"}},
		{server.Config{TLSCertFile: cert.KeyFile, TLSKeyFile: cert.CertFile}, []string{cert.KeyFile, cert.CertFile}},
	} {
		tt.cfg.DataDir = t.TempDir()
		_, err := server.New(tt.cfg)
		if err == nil {
			t.Errorf("New(%+v) accepted it", tt.cfg)
			continue
		}
		for _, want := range tt.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("New(cert %q, key %q) = %v: does not say %q", tt.cfg.TLSCertFile, tt.cfg.TLSKeyFile, err, want)
			}
		}
	}
}

// The AWS SDK, trusting the node's certificate, talks to it over HTTPS;
// plain HTTP to the same port and a client that does not trust the
// certificate get nothing.
func TestTLS(t *testing.T) {
	t.Parallel()
	cert := servertest.NewCert(t, t.TempDir(), 1)
	srv := servertest.Start(t, servertest.Options{TLSCertFile: cert.CertFile, TLSKeyFile: cert.KeyFile})
	if !strings.HasPrefix(srv.URL(), "https://") {
		t.Fatalf("URL %s, want https://", srv.URL())
	}
	cfg := servertest.AWSConfig(srv.URL())
	cfg.HTTPClient = servertest.TLSClient(cert.Cert)
	client := sfn.NewFromConfig(cfg)
	out, err := client.CreateActivity(t.Context(), &sfn.CreateActivityInput{Name: aws.String("tls")})
	if err != nil {
		t.Fatalf("CreateActivity over HTTPS: %v", err)
	}
	if got, err := client.DescribeActivity(t.Context(), &sfn.DescribeActivityInput{ActivityArn: out.ActivityArn}); err != nil || aws.ToString(got.Name) != "tls" {
		t.Fatalf("DescribeActivity over HTTPS: %v, %v", got, err)
	}

	plain := "http://" + srv.Addr() + "/healthz"
	if resp, err := http.Get(plain); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || strings.Contains(string(body), "ok") {
			t.Fatalf("plain HTTP to the TLS port: %s %q", resp.Status, body)
		}
	}
	other := servertest.NewCert(t, t.TempDir(), 2)
	if _, err := servertest.TLSClient(other.Cert).Get(srv.URL() + "/healthz"); err == nil {
		t.Fatal("a client that does not trust the node's certificate connected")
	}
}

// servedSerial returns the serial number of the certificate a new
// connection to srv sees.
func servedSerial(t *testing.T, srv *server.Server, trust ...*x509.Certificate) int64 {
	t.Helper()
	resp, err := servertest.TLSClient(trust...).Get(srv.URL() + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 1 {
		t.Errorf("served %s, want HTTP/1.1 as over plain HTTP", resp.Proto)
	}
	return resp.TLS.PeerCertificates[0].SerialNumber.Int64()
}

// ReloadTLS swaps the certificate for new connections; a pair that does
// not load leaves the current one.
func TestTLSReload(t *testing.T) {
	t.Parallel()
	var logs servertest.Buffer
	dir := t.TempDir()
	first := servertest.NewCert(t, dir, 1)
	srv := servertest.Start(t, servertest.Options{TLSCertFile: first.CertFile, TLSKeyFile: first.KeyFile, Logger: logger(&logs)})
	second := servertest.NewCert(t, t.TempDir(), 2)
	if got := servedSerial(t, srv, first.Cert, second.Cert); got != 1 {
		t.Fatalf("serial %d, want 1", got)
	}
	for _, f := range [][2]string{{second.CertFile, first.CertFile}, {second.KeyFile, first.KeyFile}} {
		if err := os.Rename(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.ReloadTLS(); err != nil {
		t.Fatalf("ReloadTLS: %v", err)
	}
	if got := servedSerial(t, srv, first.Cert, second.Cert); got != 2 {
		t.Fatalf("serial %d after a reload, want 2", got)
	}

	// A certificate with another's key, then garbage: refused, logged, and
	// the second certificate still served.
	third := servertest.NewCert(t, t.TempDir(), 3)
	if err := os.Rename(third.CertFile, first.CertFile); err != nil {
		t.Fatal(err)
	}
	if err := srv.ReloadTLS(); err == nil || !strings.Contains(err.Error(), first.CertFile) {
		t.Errorf("ReloadTLS of a mismatched pair: %v, want an error naming the file", err)
	}
	if err := os.WriteFile(first.CertFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := srv.ReloadTLS(); err == nil {
		t.Error("ReloadTLS of garbage succeeded")
	}
	if got := servedSerial(t, srv, first.Cert, second.Cert, third.Cert); got != 2 {
		t.Fatalf("serial %d after failed reloads, want 2 still", got)
	}
	if n := strings.Count(logs.String(), "TLS certificate not reloaded"); n != 2 {
		t.Errorf("logged %d failed reloads, want 2:\n%s", n, logs.String())
	}
}

// Over TLS as over plain HTTP, a connection past MaxConnections is
// answered ThrottlingException.
func TestTLSConnectionLimit(t *testing.T) {
	t.Parallel()
	cert := servertest.NewCert(t, t.TempDir(), 1)
	srv := servertest.Start(t, servertest.Options{TLSCertFile: cert.CertFile, TLSKeyFile: cert.KeyFile, MaxConnections: 1})
	pool := x509.NewCertPool()
	pool.AddCert(cert.Cert)
	held, err := tls.Dial("tcp", srv.Addr(), &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	awaitConnections(t, srv, 1)
	cfg := servertest.AWSConfig(srv.URL())
	cfg.HTTPClient = servertest.TLSClient(cert.Cert)
	once := sfn.NewFromConfig(cfg, func(o *sfn.Options) { o.RetryMaxAttempts = 1 })
	if _, err := once.ListActivities(t.Context(), &sfn.ListActivitiesInput{}); servertest.ErrorCode(err) != "ThrottlingException" {
		t.Fatalf("ListActivities over TLS past the cap: %v, want ThrottlingException", err)
	}
}
