// Package servertest starts real gaffer servers for tests: in-process on a
// random loopback port, or as a separate `gaffer serve` process that a test
// can kill -9, each on its own SQLite file.
package servertest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/swf"

	"github.com/gaffer-dev/gaffer/internal/server"
)

// Options adjust a test server.
type Options struct {
	// DataDir to use; default a new t.TempDir().
	DataDir string
	// MaxPollWait caps long polls; default 2s so that empty polls end fast.
	MaxPollWait time.Duration
	// Logger; default discards.
	Logger *slog.Logger
}

// Start starts an in-process server and stops it when the test ends.
func Start(t testing.TB, opts Options) *server.Server {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	if opts.MaxPollWait == 0 {
		opts.MaxPollWait = 2 * time.Second
	}
	srv, err := server.New(server.Config{
		Listen:        "127.0.0.1:0",
		DataDir:       opts.DataDir,
		MaxPollWait:   opts.MaxPollWait,
		Logger:        opts.Logger,
		FlushInterval: 100 * time.Millisecond,
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

// Process is a `gaffer serve` running as a child process.
type Process struct {
	URL     string
	DataDir string
	cmd     *exec.Cmd
	done    chan struct{}
	log     *os.File
}

// StartProcess runs `gaffer serve` on dataDir (a new temp dir if empty) and
// waits until it answers /healthz. Extra args are appended.
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
	cmd := exec.Command(bin, append([]string{"serve", "--listen", addr, "--data", dataDir, "--max-poll-wait", "2s", "--heartbeat-flush", "100ms", "--log-level", "info"}, args...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Process{URL: "http://" + addr, DataDir: dataDir, cmd: cmd, done: make(chan struct{}), log: logf}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.Kill(t) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-p.done:
			t.Fatalf("gaffer serve exited early:\n%s", p.Log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("gaffer serve did not become ready:\n%s", p.Log())
		}
		time.Sleep(20 * time.Millisecond) // readiness probe of a child process: nothing to wait on but its port
	}
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
// 10 s.
func WaitPolling(t testing.TB, srv *server.Server, queue string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for srv.Engine().Waiting(queue) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no poll waited on %s within 10s", queue)
		}
		time.Sleep(time.Millisecond) // re-reads; the poll parks on its own
	}
}
