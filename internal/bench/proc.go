package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// proc is a server subprocess.
type proc struct {
	name   string
	cmd    *exec.Cmd
	url    string
	exited chan struct{}
	// debugURL serves /memstats and /heap (hidden -serve-debug mode), or
	// is empty.
	debugURL string
	err      error // from Wait, once exited is closed
}

// startGaffer starts 'gaffer serve' on a free loopback port, on b.target's
// store: with a data directory under the bench's temp dir, or a fresh
// schema of the PostgreSQL database. With a CPU profile path or debug
// set, it runs under the hidden wrapper mode (see ServeWrapped), with the
// runtime's memory statistics on proc.debugURL.
func (b *bench) startGaffer(ctx context.Context, name string, pollWait time.Duration, cpuprofile string, debug bool) (*proc, error) {
	procs, err := b.startNodes(ctx, name, 1, pollWait, cpuprofile, debug)
	if err != nil {
		return nil, err
	}
	return procs[0], nil
}

// startNodes starts n gaffer nodes as startGaffer does, sharing one fresh
// schema of the PostgreSQL database when b.target is PostgreSQL (n > 1
// needs it). With several nodes, node i's CPU profile is cpuprofile-n<i>.
func (b *bench) startNodes(ctx context.Context, name string, n int, pollWait time.Duration, cpuprofile string, debug bool) (procs []*proc, err error) {
	dsn := ""
	if b.target.pg {
		if dsn, err = b.db.newSchema(ctx); err != nil {
			return nil, err
		}
	}
	defer func() {
		if err != nil {
			for _, p := range procs {
				_ = p.stop()
			}
		}
	}()
	for i := range n {
		nodeName, profile := name, cpuprofile
		if n > 1 {
			nodeName = fmt.Sprintf("%s-n%d", name, i)
			if profile != "" {
				profile = fmt.Sprintf("%s-n%d", cpuprofile, i)
			}
		}
		p, err := b.startServe(ctx, nodeName, pollWait, profile, debug, dsn)
		if err != nil {
			return procs, err
		}
		procs = append(procs, p)
	}
	return procs, nil
}

// startServe starts one gaffer node named name, on the PostgreSQL
// database of dsn or, if it is "", on SQLite.
func (b *bench) startServe(ctx context.Context, name string, pollWait time.Duration, cpuprofile string, debug bool, dsn string) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"serve"}
	debugAddr := ""
	if cpuprofile != "" || debug {
		args = []string{"bench"}
		if cpuprofile != "" {
			args = append(args, "-serve-cpuprofile", cpuprofile)
		}
		if debug {
			if debugAddr, err = freeAddr(); err != nil {
				return nil, err
			}
			args = append(args, "-serve-debug", debugAddr)
		}
		args = append(args, "--")
	}
	// The caps on waiting polls are not what the bench measures: it may
	// hold more polls on one activity than a node lets wait by default.
	polls := strconv.Itoa(max(b.cfg.Polls, b.cfg.Workers+b.cfg.Clients) + 64)
	args = append(args, "--listen", addr, "--data", filepath.Join(b.tmp, name),
		"--max-poll-wait", pollWait.String(), "--log-level", "warn",
		"--max-pollers-per-queue", polls, "--max-waiting-polls", polls)
	if b.credentials != "" {
		args = append(args, "--credentials", b.credentials)
	}
	var env []string
	if dsn != "" {
		// The DSN goes by the environment, as a user's password would.
		env = append(os.Environ(), "GAFFER_STORE="+dsn)
		args = append(args, "--node-name", name)
		if b.cfg.Lease > 0 {
			args = append(args, "--lease", b.cfg.Lease.String())
		}
	}
	p, err := b.start(ctx, "gaffer "+name+" server", addr, args, env)
	if err != nil {
		return nil, err
	}
	if debugAddr != "" {
		p.debugURL = "http://" + debugAddr
	}
	return p, nil
}

// startBare starts the bare handler, with debug (see startGaffer) if
// asked.
func (b *bench) startBare(ctx context.Context, debug bool) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"bench", "-bare-server", addr}
	debugAddr := ""
	if debug {
		if debugAddr, err = freeAddr(); err != nil {
			return nil, err
		}
		args = append(args, "-serve-debug", debugAddr)
	}
	p, err := b.start(ctx, "bare handler", addr, args, nil)
	if err != nil {
		return nil, err
	}
	if debugAddr != "" {
		p.debugURL = "http://" + debugAddr
	}
	return p, nil
}

// start runs the gaffer binary with args and waits until addr answers GET
// /healthz with 200.
func (b *bench) start(ctx context.Context, name, addr string, args, env []string) (*proc, error) {
	cmd := exec.Command(b.cfg.Gaffer, args...)
	cmd.Env = env
	cmd.Stdout = b.stderr
	cmd.Stderr = b.stderr
	// A process group of its own: ^C reaches the bench, which then stops
	// the server with SIGTERM, rather than both at once.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, url: "http://" + addr, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	hc := &http.Client{Timeout: time.Second}
	defer hc.CloseIdleConnections()
	wait := readyTimeout
	if b.slowStart {
		wait = slowReadyTimeout
	}
	deadline := time.Now().Add(wait)
	for {
		resp, err := hc.Get(p.url + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("%s exited before it was ready: %v", name, p.err)
		case <-ctx.Done():
			_ = p.stop()
			return nil, context.Cause(ctx)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = p.stop()
			return nil, fmt.Errorf("%s not ready on %s after %v", name, addr, wait)
		}
	}
}

// dead reports whether the process has exited.
func (p *proc) dead() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// kill kills the process with SIGKILL (kill -9) and waits for it to exit.
func (p *proc) kill() error {
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill %s: %w", p.name, err)
	}
	<-p.exited
	return nil
}

// stop sends SIGTERM and waits for a clean exit; after stopTimeout it
// kills the process.
func (p *proc) stop() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s exited during the bench: %v", p.name, p.err)
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop %s: %w", p.name, err)
	}
	select {
	case <-p.exited:
		if p.err != nil {
			return fmt.Errorf("%s: %w", p.name, p.err)
		}
		return nil
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not stop within %v of SIGTERM; killed", p.name, stopTimeout)
	}
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}
