package server_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// rawConn is a client connection driven by hand: the slow, partial or
// idle clients that an SDK never is.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, srv *server.Server) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// A bound on every wait of the test, not a pause: answers come well
	// before it.
	if err := c.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
}

func (rc *rawConn) write(s string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.c, s); err != nil {
		rc.t.Fatalf("write: %v", err)
	}
}

// response reads one response and its body.
func (rc *rawConn) response() (*http.Response, string) {
	rc.t.Helper()
	resp, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		rc.t.Fatalf("read response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		rc.t.Fatalf("read response body: %v", err)
	}
	return resp, string(body)
}

// closed checks that the server closed the connection after its answer.
func (rc *rawConn) closed() {
	rc.t.Helper()
	if n, err := rc.br.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		rc.t.Fatalf("after the answer: read %d bytes, %v; want EOF (the server closes)", n, err)
	}
}

// healthz sends GET /healthz on a kept-alive connection and checks the
// server answered it.
func (rc *rawConn) healthz() {
	rc.t.Helper()
	rc.write("GET /healthz HTTP/1.1\r\nHost: gaffer\r\n\r\n")
	if resp, body := rc.response(); resp.StatusCode != http.StatusOK || body != "ok\n" {
		rc.t.Fatalf("GET /healthz: %s %q", resp.Status, body)
	}
}

// awaitConnections waits until srv holds want connections.
func awaitConnections(t *testing.T, srv *server.Server, want int) {
	t.Helper()
	if !srv.ConnectionsChanged().Until(10*time.Second, func() bool { return srv.Connections() == want }) {
		t.Fatalf("the server holds %d connections, want %d", srv.Connections(), want)
	}
}

const listActivities = "POST / HTTP/1.1\r\nHost: gaffer\r\nX-Amz-Target: AWSStepFunctions.ListActivities\r\n" +
	"Content-Type: application/x-amz-json-1.0\r\n"

// TestBodyTimeout: a client that declares a body and dribbles it is
// answered and cut off once the body timeout passes, while a long poll held
// longer than that timeout still gets its task.
func TestBodyTimeout(t *testing.T) {
	t.Parallel()
	const bodyTimeout = 200 * time.Millisecond
	srv := servertest.Start(t, servertest.Options{BodyTimeout: bodyTimeout, MaxPollWait: 30 * time.Second})
	env := servertest.InProcess(srv).SFN()
	act := env.Activity(t)
	machine := env.Machine(t, taskDef, act)

	// No SDK retries: a poll cut off by the deadline must fail the test, not
	// be retried into a success.
	pollClient := sfn.NewFromConfig(servertest.AWSConfig(srv.URL()), func(o *sfn.Options) { o.RetryMaxAttempts = 1 })
	type answer struct {
		out *sfn.GetActivityTaskOutput
		err error
	}
	polled := make(chan answer, 1)
	go func() {
		out, err := pollClient.GetActivityTask(context.Background(), &sfn.GetActivityTaskInput{ActivityArn: aws.String(act)})
		polled <- answer{out, err}
	}()
	servertest.WaitPolling(t, srv, "sfn:"+act)
	before := srv.Connections() // the poll's, and the set-up client's kept alive

	// Each slow client starts after the poll's body was read, so its cut-off
	// means the poll has been held longer than the body timeout.
	for _, tc := range []struct{ name, request string }{
		{"content-length", listActivities + "Content-Length: 1048000\r\n\r\n{\"maxResults\":"},
		{"chunked", listActivities + "Transfer-Encoding: chunked\r\n\r\n10\r\n{\"maxResults\":"},
	} {
		slow := dial(t, srv)
		slow.write(tc.request)
		resp, body := slow.response()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "did not arrive in full within "+bodyTimeout.String()) {
			t.Errorf("%s: answer to a body cut off: %s %s", tc.name, resp.Status, body)
		}
		slow.closed()
	}
	// The server let go of them, and of what they had sent.
	awaitConnections(t, srv, before)

	env.Start(t, machine, `{"n":1}`)
	a := <-polled
	if a.err != nil {
		t.Fatalf("long poll held past the body timeout: %v", a.err)
	}
	if a.out.TaskToken == nil || aws.ToString(a.out.Input) != `{"n":1}` {
		t.Fatalf("long poll held past the body timeout got %+v, want the task", a.out)
	}
}

// TestConnectionLimit: past MaxConnections, connections are answered
// ThrottlingException (which the SDK takes for throttling, to retry with
// back-off) and closed; past RefusalSlots more, they wait in the backlog;
// once connections drop, clients are served again. The limit is logged
// once, not per connection.
func TestConnectionLimit(t *testing.T) {
	t.Parallel()
	logs := &servertest.Buffer{}
	srv := servertest.Start(t, servertest.Options{
		MaxConnections: 2,
		Logger:         slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	honest := []*rawConn{dial(t, srv), dial(t, srv)}
	for _, rc := range honest {
		rc.healthz()
	}

	// Over the cap: an AWS request is throttled, anything else is 503.
	once := sfn.NewFromConfig(servertest.AWSConfig(srv.URL()), func(o *sfn.Options) { o.RetryMaxAttempts = 1 })
	_, err := once.ListActivities(context.Background(), &sfn.ListActivitiesInput{})
	if got := servertest.ErrorCode(err); got != "ThrottlingException" {
		t.Fatalf("ListActivities past the cap: %v, want ThrottlingException", err)
	}
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
		t.Errorf("the SDK does not take %v for throttling", err)
	}
	over := dial(t, srv)
	over.write(listActivities + "Content-Length: 2\r\n\r\n{}")
	resp, body := over.response()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-Errortype") != "ThrottlingException" ||
		!strings.Contains(body, "ThrottlingException") || !resp.Close {
		t.Errorf("AWS request past the cap: %s %v %s", resp.Status, resp.Header, body)
	}
	over.closed()
	over = dial(t, srv)
	over.write("GET /healthz HTTP/1.1\r\nHost: gaffer\r\n\r\n")
	if resp, body := over.response(); resp.StatusCode != http.StatusServiceUnavailable || !resp.Close {
		t.Errorf("GET /healthz past the cap: %s %s", resp.Status, body)
	}
	over.closed()

	// Hold every refusal slot with a request that never ends; the next
	// connection waits in the backlog, unanswered, until a slot frees.
	awaitConnections(t, srv, len(honest))
	var holding []*rawConn
	for range server.RefusalSlots {
		rc := dial(t, srv)
		rc.write("POST / HTTP/1.1\r\n")
		holding = append(holding, rc)
	}
	awaitConnections(t, srv, len(honest)+server.RefusalSlots)
	waiting := dial(t, srv)
	waiting.write(listActivities + "Content-Length: 2\r\n\r\n{}")
	// Not a pause: a bound on a read that must not be answered.
	if err := waiting.c.SetReadDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if n, err := waiting.br.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a connection past every slot was answered (%d bytes, %v), want it left in the backlog", n, err)
	}
	if err := waiting.c.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, rc := range holding {
		rc.c.Close()
	}
	// Accepted as soon as a slot frees, with the cap still reached.
	if resp, body := waiting.response(); resp.Header.Get("X-Amzn-Errortype") != "ThrottlingException" {
		t.Errorf("connection out of the backlog: %s %s, want ThrottlingException", resp.Status, body)
	}
	waiting.closed()

	// An honest client leaves: a new one is served.
	honest[0].c.Close()
	awaitConnections(t, srv, 1)
	if _, err := once.ListActivities(context.Background(), &sfn.ListActivitiesInput{}); err != nil {
		t.Fatalf("ListActivities once a connection dropped: %v", err)
	}
	honest[1].healthz()

	if n := strings.Count(logs.String(), "connection limit reached"); n != 1 {
		t.Errorf("the limit was logged %d times, want once:\n%s", n, logs.String())
	}
}
