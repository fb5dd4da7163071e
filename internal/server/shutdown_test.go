package server_test

import (
	"bufio"
	"context"
	"net"
	"net/http/httptrace"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// TestGracefulShutdown sends SIGTERM while long polls wait: they are
// answered empty at once (not after their 60 s), the process exits 0, and
// the data is there after a restart.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	p := servertest.StartProcess(t, "", "--max-poll-wait", "60s")
	c := newClient(p.URL, p)
	idle := c.activity(t, "idle")
	busy := c.activity(t, "busy")
	exec := c.start(t, c.machine(t, "busy", taskDef, busy), "kept")

	// No SDK retries: the answer must be the server's.
	pollClient := sfn.NewFromConfig(servertest.AWSConfig(p.URL), func(o *sfn.Options) { o.RetryMaxAttempts = 1 })
	type answer struct {
		out *sfn.GetActivityTaskOutput
		err error
	}
	const pollers = 5
	answers := make(chan answer, pollers)
	ports := make(chan int, pollers)
	for range pollers {
		// The client's port names the connection; once the request is
		// written, waitServerRead can tell when the server has read it.
		var port int
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			GotConn:      func(info httptrace.GotConnInfo) { port = info.Conn.LocalAddr().(*net.TCPAddr).Port },
			WroteRequest: func(httptrace.WroteRequestInfo) { ports <- port },
		})
		go func() {
			out, err := pollClient.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(idle), WorkerName: aws.String("patient")})
			answers <- answer{out, err}
		}()
	}
	var clientPorts []int
	for range pollers {
		clientPorts = append(clientPorts, <-ports)
	}
	// SIGTERM only once the server holds every poll: a request still in the
	// kernel's queues when the listener and idle connections close is lost
	// by HTTP itself (the client sees a reset or EOF), which is not what this
	// test is about.
	waitServerRead(t, p, clientPorts)

	term := time.Now()
	if code := p.Terminate(t); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0\n%s", code, p.Log())
	}
	for range pollers {
		select {
		case a := <-answers:
			if a.err != nil {
				t.Errorf("poll during shutdown: %v", a.err)
			} else if a.out.TaskToken != nil {
				t.Errorf("poll during shutdown got a task")
			}
		case <-time.After(30*time.Second - time.Since(term)):
			t.Fatalf("polls still waiting 30s after SIGTERM\n%s", p.Log())
		}
	}
	t.Logf("polls released and process exited %v after SIGTERM", time.Since(term))
	if took := time.Since(term); took > 30*time.Second {
		t.Errorf("shutdown took %v with polls waiting; they must be released, not waited out", took)
	}

	p = p.Restart(t)
	c = newClient(p.URL, p)
	if got := c.describe(t, exec).Status; got != types.ExecutionStatusRunning {
		t.Errorf("execution after restart: status %s, want RUNNING", got)
	}
	tok, id := c.mustPoll(t, busy)
	if id != "kept" {
		t.Fatalf("task of %q, want kept", id)
	}
	c.succeed(t, tok, id)
	c.waitStatus(t, exec, types.ExecutionStatusSucceeded, 15*time.Second)
}

// waitServerRead waits until the server at endpoint has accepted the
// connections from clientPorts and read the requests already written on
// them (both the client side's send queue and the server side's receive
// queue are empty), so that the requests are in the server's hands. It
// reads /proc/net/tcp (Linux).
func waitServerRead(t *testing.T, p *servertest.Process, clientPorts []int) {
	t.Helper()
	u, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	serverPort, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	// The kernel's socket state of another process: a retry loop.
	n := 0
	if !p.Await(30*time.Second, func() bool {
		read := serverSideRead(t, serverPort)
		n = 0
		for _, port := range clientPorts {
			if read[port] {
				n++
			}
		}
		return n == len(clientPorts)
	}) {
		t.Fatalf("server read %d of %d poll requests within 30s", n, len(clientPorts))
	}
}

// serverSideRead returns, by client port, whether everything sent on an
// established connection to serverPort has been read by the server: the
// server side's receive queue and the client side's send queue are empty.
func serverSideRead(t *testing.T, serverPort int) map[int]bool {
	t.Helper()
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		t.Fatalf("cannot watch socket state: %v", err)
	}
	defer f.Close()
	port := func(addr string) int {
		_, hex, _ := strings.Cut(addr, ":")
		n, _ := strconv.ParseUint(hex, 16, 16)
		return int(n)
	}
	zero := func(hex string) bool { return strings.Trim(hex, "0") == "" }
	serverRead := map[int]bool{} // by client port
	clientSent := map[int]bool{} // by client port
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		// sl local_address rem_address st tx_queue:rx_queue ...
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 || fields[3] != "01" {
			continue
		}
		tx, rx, _ := strings.Cut(fields[4], ":")
		switch local, remote := port(fields[1]), port(fields[2]); {
		case local == serverPort:
			serverRead[remote] = zero(rx)
		case remote == serverPort:
			clientSent[local] = zero(tx)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	read := map[int]bool{}
	for p, ok := range serverRead {
		read[p] = ok && clientSent[p]
	}
	return read
}
