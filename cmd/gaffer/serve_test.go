package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/pgtest"
	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
	"github.com/gaffer-dev/gaffer/internal/sfn"
)

// serveRefused runs `gaffer serve` on dataDir, expects it to exit 1 without
// serving, and returns what it printed.
func serveRefused(t *testing.T, dataDir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, servertest.Binary(t),
		append([]string{"serve", "--listen", "127.0.0.1:0", "--data", dataDir}, args...)...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("gaffer serve --data %s %v: %v, want exit 1 (a refusal):\n%s", dataDir, args, err, out)
	}
	return string(out)
}

func TestServeRefusesDamagedDatabase(t *testing.T) {
	t.Parallel()
	dir, db := damagedDataDir(t)
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	out := serveRefused(t, dir)
	if !strings.Contains(out, db) || !strings.Contains(out, "quick_check") {
		t.Fatalf("the refusal does not name the file and the check:\n%s", out)
	}
	if after, err := os.ReadFile(db); err != nil || !bytes.Equal(after, before) {
		t.Fatalf("gaffer serve changed the damaged file (%v)", err)
	}
}

func TestServeEmptyDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "gaffer.db")
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if out := serveRefused(t, dir); !strings.Contains(out, db) || !strings.Contains(out, "--init") {
		t.Fatalf("the refusal of an empty file does not name it and --init:\n%s", out)
	}
	p := servertest.StartProcess(t, dir, "--init")
	if code := p.Terminate(t); code != 0 {
		t.Fatalf("gaffer serve --init exited %d:\n%s", code, p.Log())
	}
	// Initialised: it starts without --init, and --init changes nothing.
	p = servertest.StartProcess(t, dir)
	if code := p.Terminate(t); code != 0 {
		t.Fatalf("gaffer serve exited %d:\n%s", code, p.Log())
	}
	p = servertest.StartProcess(t, dir, "--init")
	p.Kill(t)
}

func TestServeRefusesForeignDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "gaffer.db")
	other, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec("CREATE TABLE things (id INTEGER PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{nil, {"--init"}} {
		if out := serveRefused(t, dir, args...); !strings.Contains(out, db) || !strings.Contains(out, "not a gaffer database") {
			t.Fatalf("the refusal (%v) does not name the file and say why:\n%s", args, out)
		}
	}
}

func TestServeDataPermissions(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	db := filepath.Join(dir, "gaffer.db")
	p := servertest.StartProcess(t, dir)
	mode := func(p string) os.FileMode {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	if got := mode(dir); got != 0o700 {
		t.Errorf("data directory mode %v, want 0700", got)
	}
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		if got := mode(f); got != 0o600 {
			t.Errorf("%s mode %v, want 0600", filepath.Base(f), got)
		}
	}
	p.Kill(t) // keeps -wal and -shm

	// What an older gaffer left: a 0755 directory (accepted) and 0644
	// files (tightened, with a log line).
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		if err := os.Chmod(f, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p = servertest.StartProcess(t, dir)
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		if got := mode(f); got != 0o600 {
			t.Errorf("%s mode %v after a restart, want 0600", filepath.Base(f), got)
		}
	}
	if n := strings.Count(p.Log(), "tightened database file permissions"); n != 3 {
		t.Errorf("logged %d tightenings, want 3:\n%s", n, p.Log())
	}
	p.Kill(t)

	for _, m := range []os.FileMode{0o770, 0o777} {
		if err := os.Chmod(dir, m); err != nil {
			t.Fatal(err)
		}
		if out := serveRefused(t, dir); !strings.Contains(out, dir) || !strings.Contains(out, "chmod 700") {
			t.Fatalf("the refusal of a %v directory does not name it and the fix:\n%s", m, out)
		}
	}
}

func TestServeFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-body-timeout", "0s"}, "-body-timeout: 0s must be positive"},
		{[]string{"-max-connections", "-1"}, "-max-connections: -1 must be 0 (from the file descriptor limit) or positive"},
		{[]string{"-credentials", "/nonexistent/credentials.json"}, "-credentials: credentials: open /nonexistent/credentials.json"},
		{[]string{"-lease", "100ms"}, "-lease: 100ms is too short: at least 1s"},
		{[]string{"-lease", "-5s"}, "-lease: -5s is too short: at least 1s"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			err := (&serveCommand{stderr: &stderr}).Run(t.Context(), append([]string{"-data", t.TempDir()}, tt.args...))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestRetentionFlag(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	for _, tt := range []struct {
		in   string
		want time.Duration
		show string
	}{
		{"90d", 90 * day, "90d"},
		{"1d12h", day + 12*time.Hour, "36h0m0s"},
		{"36h", 36 * time.Hour, "36h0m0s"},
		{"2s", 2 * time.Second, "2s"},
		{"forever", server.KeepForever, "forever"},
		{"0", server.KeepForever, "forever"},
	} {
		var f retentionFlag
		if err := f.Set(tt.in); err != nil || time.Duration(f) != tt.want || f.String() != tt.show {
			t.Errorf("--sfn-retention %s = %v (%s), %v; want %v (%s)", tt.in, time.Duration(f), f.String(), err, tt.want, tt.show)
		}
	}
	for _, in := range []string{"", "0s", "0d", "-1d", "-2h", "d", "1.5d", "90days", "x", "1d-1h"} {
		var f retentionFlag
		if err := f.Set(in); err == nil || !strings.Contains(err.Error(), "forever") {
			t.Errorf("--sfn-retention %q: err = %v, want a refusal naming what is allowed", in, err)
		}
	}
	// The default is AWS's 90 days, and a bad value stops serve.
	c := &serveCommand{stderr: &bytes.Buffer{}}
	fs, cfg, _ := c.flags()
	if cfg.SFNRetention != sfn.DefaultRetention || fs.Lookup("sfn-retention").DefValue != "90d" {
		t.Errorf("default retention %v (%s)", cfg.SFNRetention, fs.Lookup("sfn-retention").DefValue)
	}
	if err := c.Run(t.Context(), []string{"--data", t.TempDir(), "--sfn-retention", "soon"}); err == nil {
		t.Error("serve accepted --sfn-retention soon")
	}
}

// Without credentials, gaffer serve listens on loopback only: another
// address is refused, naming it and the two ways out.
func TestServeRefusesNonLoopbackWithoutCredentials(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", ":0"} {
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), []string{"serve", "--listen", addr, "--data", t.TempDir()}, &stdout, &stderr); code != 1 {
			t.Fatalf("gaffer serve --listen %s without credentials: exit %d, want 1", addr, code)
		}
		for _, want := range []string{"listen " + addr, "--credentials FILE", "--insecure"} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("the refusal of %s does not say %q:\n%s", addr, want, stderr.String())
			}
		}
	}
}

// --insecure serves on every interface anyway, and says so.
func TestServeInsecure(t *testing.T) {
	t.Parallel()
	p := servertest.StartProcess(t, "", "--listen", "0.0.0.0:0", "--insecure")
	if !strings.Contains(p.Log(), "serving without authentication on a non-loopback address") {
		t.Errorf("gaffer serve --insecure on 0.0.0.0 logged no warning:\n%s", p.Log())
	}
	if code := p.Terminate(t); code != 0 {
		t.Fatalf("gaffer serve --insecure exited %d:\n%s", code, p.Log())
	}
}

func TestServeTLSFlags(t *testing.T) {
	t.Parallel()
	cert := servertest.NewCert(t, t.TempDir(), 1)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", cert.CertFile}, "--tls-key"},
		{[]string{"--tls-key", cert.KeyFile}, "--tls-cert"},
	} {
		err := (&serveCommand{stderr: &bytes.Buffer{}}).Run(t.Context(), append([]string{"-data", t.TempDir()}, tt.args...))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Run(%q) = %v, want an error naming %s", tt.args, err, tt.want)
		}
	}
}

// gaffer serve --tls-cert --tls-key serves HTTPS, and reads the pair again
// at SIGHUP: a new connection sees the new certificate; a bad pair keeps
// the current one.
func TestServeTLSReloadOnSIGHUP(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := servertest.NewCert(t, dir, 1)
	second := servertest.NewCert(t, t.TempDir(), 2)
	p := servertest.StartProcess(t, "", "--tls-cert", first.CertFile, "--tls-key", first.KeyFile)
	url := strings.Replace(p.URL, "http://", "https://", 1) + "/healthz"
	client := servertest.TLSClient(first.Cert, second.Cert)
	serial := func() int64 {
		resp, err := client.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0].SerialNumber.Int64()
	}
	if got := serial(); got != 1 {
		t.Fatalf("serial %d, want 1", got)
	}
	if err := os.WriteFile(first.CertFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.Signal(t, syscall.SIGHUP)
	if !p.Await(30*time.Second, func() bool { return strings.Contains(p.Log(), "TLS certificate not reloaded") }) {
		t.Fatalf("a bad pair at SIGHUP was not logged:\n%s", p.Log())
	}
	if got := serial(); got != 1 {
		t.Fatalf("serial %d after a bad reload, want 1 still", got)
	}
	for _, f := range [][2]string{{second.CertFile, first.CertFile}, {second.KeyFile, first.KeyFile}} {
		if err := os.Rename(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	p.Signal(t, syscall.SIGHUP)
	if !p.Await(30*time.Second, func() bool { return serial() == 2 }) {
		t.Fatalf("SIGHUP did not swap the certificate:\n%s", p.Log())
	}
	if code := p.Terminate(t); code != 0 {
		t.Fatalf("gaffer serve exited %d:\n%s", code, p.Log())
	}
}

// TestServeRefusesBadCredentials: a credentials file that does not load
// stops serve before it serves, naming the file, the identity and the field.
func TestServeRefusesBadCredentials(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "credentials.json")
	if err := os.WriteFile(path, []byte(`{"identities": [{"name": "ci", "accessKeyId": "AKIDCI", "policy": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	err := (&serveCommand{stderr: &stderr}).Run(t.Context(), []string{"-data", t.TempDir(), "-credentials", path})
	if want := path + `: credentials: identities[0] ("ci"): secretAccessKey is empty`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Run = %v, want an error containing %q", err, want)
	}
}

// TestServeRefusesReadableCredentials: a credentials file that others may
// read stops serve before it serves, naming the file and the fix.
func TestServeRefusesReadableCredentials(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "credentials.json")
	doc := `{"identities": [{"name": "ci", "accessKeyId": "AKIDCI", "secretAccessKey": "s", "policy": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]}`
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	err := (&serveCommand{stderr: &bytes.Buffer{}}).Run(t.Context(), []string{"-data", t.TempDir(), "-credentials", path})
	if err == nil || !strings.Contains(err.Error(), "chmod 600 "+path) {
		t.Errorf("Run = %v, want a refusal naming chmod 600 %s", err, path)
	}
}

// TestServeStoreFromEnv: without --store, `gaffer serve` takes the
// PostgreSQL URL from $GAFFER_STORE, so that a password stays off the
// command line, and never logs the password.
func TestServeStoreFromEnv(t *testing.T) {
	t.Parallel()
	var port, db string
	for _, kv := range strings.Fields(pgtest.NewDatabase(t)) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "port":
			port = v
		case "dbname":
			db = v
		}
	}
	// The test cluster trusts local connections: the password is only
	// something that must not be logged.
	url := "postgres://postgres:hunter2@127.0.0.1:" + port + "/" + db + "?sslmode=disable"
	cmd := exec.Command(servertest.Binary(t), "serve", "--listen", "127.0.0.1:0", "--node-name", "env-node")
	cmd.Env = append(os.Environ(), "GAFFER_STORE="+url)
	var out servertest.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	serving := func() bool { return strings.Contains(out.String(), `"msg":"gaffer serving"`) }
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(30 * time.Second); !serving(); <-tick.C {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("gaffer serve with $GAFFER_STORE did not serve:\n%s", out.String())
		}
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := <-done; err != nil {
		t.Fatalf("gaffer serve: %v\n%s", err, out.String())
	}
	log := out.String()
	if !strings.Contains(log, `"store":"postgres://127.0.0.1:`+port+"/"+db) || !strings.Contains(log, `"node":"env-node"`) {
		t.Errorf("the serving line does not name the PostgreSQL store and the node:\n%s", log)
	}
	if strings.Contains(log, "hunter2") {
		t.Errorf("the password was logged:\n%s", log)
	}
}
