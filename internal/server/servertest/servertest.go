// Package servertest starts real gaffer servers for tests: in-process on a
// random loopback port, or as a separate `gaffer serve` process that a test
// can kill -9, each on its own SQLite file.
package servertest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/swf"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/store/sqlite"
)

// Options adjust a test server.
type Options struct {
	// Listen is the address to serve on; default 127.0.0.1:0. Tests
	// connect to 127.0.0.1 whatever it is.
	Listen string
	// Insecure, TLSCertFile and TLSKeyFile: see server.Config.
	Insecure                bool
	TLSCertFile, TLSKeyFile string
	// DataDir to use; default a new t.TempDir().
	DataDir string
	// MaxPollWait caps long polls; default 2s so that empty polls end fast.
	MaxPollWait time.Duration
	// Logger; default discards.
	Logger *slog.Logger
	// MaxPollersPerQueue and MaxWaitingPolls cap waiting polls (see
	// server.Config); 0 leaves the server's defaults.
	MaxPollersPerQueue int
	MaxWaitingPolls    int
	// Authenticate verifies requests (server.Config.Authenticate); nil
	// serves them unauthenticated.
	Authenticate awsapi.Authenticator
	// BodyTimeout and MaxConnections: see server.Config; default the
	// server's.
	BodyTimeout    time.Duration
	MaxConnections int
	// SFNRetention is server.Config.SFNRetention (default 90 days).
	SFNRetention time.Duration
	// Now is the server's clock (see Clock); default time.Now.
	Now func() time.Time
	// ManualClock, if set, is the server's clock instead (see
	// server.Config.Clock): POST /gaffer/clock moves it.
	ManualClock *server.ManualClock
	// NoMetrics, OpenMetrics and ReadyTimeout: see server.Config.
	NoMetrics    bool
	OpenMetrics  bool
	ReadyTimeout time.Duration
	// LambdaEndpoint and MockConfig: see server.Config.
	LambdaEndpoint string
	MockConfig     string
	// HTTPConnections: see server.Config.
	HTTPConnections string
	// NoUI: see server.Config.
	NoUI bool
}

// Clock is a clock for a test server that the test moves forward: the
// real time plus what Advance added.
type Clock struct{ ahead atomic.Int64 }

// Now returns the clock's reading; pass it as Options.Now.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.ahead.Load())) }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.ahead.Add(int64(d)) }

// Start starts an in-process server and stops it when the test ends. The
// test fails if the server answered an error that the AWS model does not
// list for the operation (see answers).
func Start(t testing.TB, opts Options) *server.Server {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	if opts.MaxPollWait == 0 {
		opts.MaxPollWait = 2 * time.Second
	}
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	check := &answers{}
	srv, err := server.New(server.Config{
		Listen:        opts.Listen,
		Insecure:      opts.Insecure,
		TLSCertFile:   opts.TLSCertFile,
		TLSKeyFile:    opts.TLSKeyFile,
		DataDir:       opts.DataDir,
		MaxPollWait:   opts.MaxPollWait,
		Logger:        opts.Logger,
		FlushInterval: 100 * time.Millisecond,
		Observe:       check.observe,

		MaxPollersPerQueue: opts.MaxPollersPerQueue,
		MaxWaitingPolls:    opts.MaxWaitingPolls,
		BodyTimeout:        opts.BodyTimeout,
		Authenticate:       opts.Authenticate,
		MaxConnections:     opts.MaxConnections,
		SFNRetention:       opts.SFNRetention,
		Now:                opts.Now,
		Clock:              opts.ManualClock,
		NoMetrics:          opts.NoMetrics,
		OpenMetrics:        opts.OpenMetrics,
		ReadyTimeout:       opts.ReadyTimeout,
		LambdaEndpoint:     opts.LambdaEndpoint,
		MockConfig:         opts.MockConfig,
		HTTPConnections:    opts.HTTPConnections,
		NoUI:               opts.NoUI,
	})
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	// Not t.Context(): it ends before the cleanups run, and the node must
	// live until the graceful Shutdown below (the end of its context is an
	// abrupt stop).
	if err := srv.Start(context.Background()); err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // t.Context() is done by now
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		check.report(t)
	})
	return srv
}

// AWSConfig returns an SDK configuration for endpoint with static
// credentials in us-east-1.
func AWSConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}},
	}
}

// RegionConfig returns AWSConfig(endpoint) signing for region instead.
func RegionConfig(endpoint, region string) aws.Config {
	cfg := AWSConfig(endpoint)
	cfg.Region = region
	return cfg
}

// EditToken changes the character at i of a page token or marker. (Editing
// the last may change only bits that base64 ignores: tests edit the others.)
func EditToken(tok string, i int) string {
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

// SFN returns a Step Functions client for the server at endpoint.
func SFN(endpoint string) *sfn.Client {
	return sfn.NewFromConfig(AWSConfig(endpoint))
}

// SWF returns a Simple Workflow Service client for the server at endpoint.
func SWF(endpoint string) *swf.Client {
	return swf.NewFromConfig(AWSConfig(endpoint))
}

// DataPipeline returns a Data Pipeline client for the server at endpoint.
func DataPipeline(endpoint string) *datapipeline.Client {
	return datapipeline.NewFromConfig(AWSConfig(endpoint))
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// Binary builds the gaffer command once per test binary and returns its
// path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gaffer-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "gaffer")
		out, err := exec.Command("go", "build", "-o", buildPath, "github.com/gaffer-dev/gaffer/cmd/gaffer").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// Process is a `gaffer serve` running as a child process. StartProcess
// starts one; Kill, Restart and Crash are the crash-test harness: kill -9,
// then a new process on the same data directory.
type Process struct {
	URL     string
	DataDir string
	args    []string
	cmd     *exec.Cmd
	done    chan struct{} // closed once the process has exited and its output is in log
	log     *os.File
}

// servingMsg is what `gaffer serve` logs once its listener is open.
const servingMsg = `"msg":"gaffer serving"`

// StartProcess runs `gaffer serve` on dataDir (a new temp dir if empty) and
// waits until it logs that it is serving (its listener is open). Extra args
// are appended.
func StartProcess(t testing.TB, dataDir string, args ...string) *Process {
	t.Helper()
	bin := Binary(t)
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	addr := freeAddr(t)
	logf, err := os.CreateTemp(t.TempDir(), "serve-*.log")
	if err != nil {
		t.Fatal(err)
	}
	out, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"serve", "--listen", addr, "--data", dataDir, "--max-poll-wait", "2s", "--heartbeat-flush", "100ms", "--log-level", "info"}, args...)...)
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Start()
	w.Close()
	if err != nil {
		out.Close()
		t.Fatal(err)
	}
	p := &Process{URL: "http://" + addr, DataDir: dataDir, args: args, cmd: cmd, done: make(chan struct{}), log: logf}
	ready := make(chan struct{})
	go func() {
		// Copy the output to the log, watching for the serving line.
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		serving := false
		for sc.Scan() {
			line := sc.Bytes()
			_, _ = logf.Write(line)
			_, _ = logf.WriteString("\n")
			if !serving && bytes.Contains(line, []byte(servingMsg)) {
				serving = true
				close(ready)
			}
		}
		_, _ = io.Copy(logf, out) // a line too long for the scanner
		out.Close()
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.Kill(t) })
	select {
	case <-ready:
		return p
	case <-p.done:
		t.Fatalf("gaffer serve exited early:\n%s", p.Log())
	case <-time.After(30 * time.Second):
		t.Fatalf("gaffer serve did not become ready:\n%s", p.Log())
	}
	return nil
}

// Kill sends SIGKILL and waits for the process to exit.
func (p *Process) Kill(t testing.TB) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Restart starts a new process on p's data directory with p's extra args,
// once p has exited (Kill or Terminate it first), and waits until it
// serves. The new process listens on a new address.
func (p *Process) Restart(t testing.TB) *Process {
	t.Helper()
	select {
	case <-p.done:
	default:
		t.Fatal("Restart of a process that is still running")
	}
	return StartProcess(t, p.DataDir, p.args...)
}

// Crash kills p with SIGKILL, lets downtime pass with no server running
// (see Downtime), and restarts it on the same data directory.
func (p *Process) Crash(t testing.TB, downtime time.Duration) *Process {
	t.Helper()
	p.Kill(t)
	Downtime(downtime)
	return p.Restart(t)
}

// Downtime is the crash tests' clock: it lets d of wall-clock time pass
// while no server runs, so that deadlines set before a crash fall due
// before the restart. It is the one place where a test sleeps: a child
// process reads the real clock, and there is no event to wait for: the
// passing of time is the point.
func Downtime(d time.Duration) {
	time.Sleep(d) //lint:allow time.Sleep (the crash tests' clock: see above)
}

// Signal sends sig to the process (SIGHUP: reload the credentials file
// and the TLS certificate).
func (p *Process) Signal(t testing.TB, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
}

// Terminate sends SIGTERM and returns the exit code once it exits.
func (p *Process) Terminate(t testing.TB) int {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("gaffer serve did not exit after SIGTERM:\n%s", p.Log())
	}
	return p.cmd.ProcessState.ExitCode()
}

// Log returns what the process has logged so far.
func (p *Process) Log() string {
	b, _ := os.ReadFile(p.log.Name())
	return string(b)
}

// Await re-checks cond, a read of the process's state (over the wire or in
// its files), until it holds, and reports whether it did within the given
// time; it stops early, false, if the process exits. A child process cannot
// signal the test the way an in-process server does (see the package
// function Await), so this is a retry loop on the real condition, with a
// backoff from 5 ms to 100 ms and a hard deadline.
func (p *Process) Await(within time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	backoff := 5 * time.Millisecond
	retry := time.NewTimer(backoff)
	defer retry.Stop()
	for !cond() {
		select {
		case <-retry.C:
			backoff = min(2*backoff, 100*time.Millisecond)
			retry.Reset(backoff)
		case <-deadline.C:
			return cond()
		case <-p.done:
			return cond()
		}
	}
	return true
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Buffer is a bytes.Buffer that a server (its logger) or a program under
// test and the test can share: Write and String may be called
// concurrently.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// WaitPolling waits until a poll waits on the engine queue of srv, so that
// a test can schedule work for a parked poller; it fails the test after
// 10 s. It wakes each time a poll starts waiting (engine.PollWaits).
func WaitPolling(t testing.TB, srv *server.Server, queue string) {
	t.Helper()
	eng := srv.Engine()
	if !eng.PollWaits().Until(10*time.Second, func() bool { return eng.Waiting(queue) > 0 }) {
		t.Fatalf("no poll waited on %s within 10s", queue)
	}
}

// A Waiter waits until cond, a read of a server's state, holds, and
// reports whether it did within the given time: Commits for an in-process
// server, a *Process for a child process.
type Waiter interface {
	Await(within time.Duration, cond func() bool) bool
}

// Commits returns the Waiter of an in-process server (see Await).
func Commits(srv *server.Server) Waiter { return commits{srv} }

type commits struct{ srv *server.Server }

func (c commits) Await(within time.Duration, cond func() bool) bool {
	return Await(c.srv, within, cond)
}

// Await waits until cond holds, re-checking it at once and after every
// transaction srv's store commits (the timers, pollers and callers of the
// server do the work), and reports whether it held within the given time.
// cond should only read, e.g. describe or list over the wire: each write it
// made would wake it again.
func Await(srv *server.Server, within time.Duration, cond func() bool) bool {
	return srv.Store().(*sqlite.Store).Committed().Until(within, cond)
}

// StartNode runs `gaffer serve` as one of several nodes sharing the
// PostgreSQL database dsn, named name, with a short lease (--lease 2s, so
// a take-over happens within seconds) unless args set another, and waits
// until it serves.
func StartNode(t testing.TB, dsn, name string, args ...string) *Process {
	t.Helper()
	base := []string{"--store", dsn, "--node-name", name}
	if !slices.Contains(args, "--lease") {
		base = append(base, "--lease", "2s")
	}
	return StartProcess(t, "", append(base, args...)...)
}
