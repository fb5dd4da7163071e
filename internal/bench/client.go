package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Wire constants.
const (
	amzJSON      = "application/x-amz-json-1.0"
	targetPrefix = "AWSStepFunctions."
	benchAuth    = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/states/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
	benchRole    = "arn:aws:iam::000000000000:role/bench"

	swfTargetPrefix = "SimpleWorkflowService."
	swfAuth         = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/swf/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"

	amzJSON11      = "application/x-amz-json-1.1"
	dpTargetPrefix = "DataPipeline."
	dpAuth         = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/datapipeline/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
)

// dialect is what tells a service's requests apart on the wire: the
// X-Amz-Target prefix, the SigV4 credential scope's service and the
// Content-Type.
type dialect struct {
	targetPrefix string
	auth         string
	contentType  string
	service      string // the SigV4 signing name (Config.Credentials)
}

var (
	sfnDialect = dialect{targetPrefix: targetPrefix, auth: benchAuth, contentType: amzJSON, service: "states"}
	swfDialect = dialect{targetPrefix: swfTargetPrefix, auth: swfAuth, contentType: amzJSON, service: "swf"}
	dpDialect  = dialect{targetPrefix: dpTargetPrefix, auth: dpAuth, contentType: amzJSON11, service: "datapipeline"}
)

// newClient returns the HTTP client of the bench: keep-alive, no
// proxy, no compression, up to conns idle connections to one host.
func newClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}}
}

// endpoint is a server, or the nodes of a multi-node run, and the client
// that talks to it.
type endpoint struct {
	url    string
	client *http.Client
	proc   *proc   // the server process
	signer *signer // signs each request (Config.Credentials); nil: the fixed, unverified signature
	// nodes, when there are more than one, are the gaffer nodes sharing
	// one PostgreSQL database, nodes[0] being url and proc: each caller
	// sends each request to the next node, round-robin.
	nodes []*proc
	// rr spreads the callers' first nodes.
	rr atomic.Uint64
	// db measures the database server's CPU time (a PostgreSQL store); nil
	// when there is none to measure.
	db *dbServer
}

// cpuTime returns the CPU time the endpoint's server processes have used.
func (ep *endpoint) cpuTime() (time.Duration, error) {
	if len(ep.nodes) == 0 {
		return ep.proc.cpuTime()
	}
	var sum time.Duration
	for _, p := range ep.nodes {
		if p.dead() {
			continue
		}
		t, err := p.cpuTime()
		if err != nil {
			return 0, err
		}
		sum += t
	}
	return sum, nil
}

// pinned returns a caller of dialect dl that sends every request to node
// i (mod the number of nodes): with one server, to it.
func (ep *endpoint) pinned(dl dialect, i int) *caller {
	cl := ep.callerFor(dl)
	if len(ep.nodes) > 1 {
		cl.urls = []string{ep.nodes[i%len(ep.nodes)].url + "/"}
	}
	return cl
}

// caller returns a Step Functions caller.
func (ep *endpoint) caller() *caller { return ep.callerFor(sfnDialect) }

// swfCaller returns an SWF caller.
func (ep *endpoint) swfCaller() *caller { return ep.callerFor(swfDialect) }

// dpCaller returns a Data Pipeline caller.
func (ep *endpoint) dpCaller() *caller { return ep.callerFor(dpDialect) }

func (ep *endpoint) callerFor(dl dialect) *caller {
	cl := &caller{ep: ep, dialect: dl, headers: map[string]http.Header{}, urls: []string{ep.url + "/"}}
	if len(ep.nodes) > 1 {
		cl.urls = make([]string, len(ep.nodes))
		for i, p := range ep.nodes {
			cl.urls[i] = p.url + "/"
		}
		cl.next = int(ep.rr.Add(1))
	}
	return cl
}

// caller makes one request at a time, reusing its headers and buffer.
type caller struct {
	ep      *endpoint
	dialect dialect
	headers map[string]http.Header // by operation
	buf     bytes.Buffer
	// urls are the nodes the caller sends to, each request to the next.
	urls []string
	next int
}

func (cl *caller) header(op string) http.Header {
	h, ok := cl.headers[op]
	if !ok {
		h = http.Header{
			"Content-Type":  {cl.dialect.contentType},
			"X-Amz-Target":  {cl.dialect.targetPrefix + op},
			"X-Amz-Date":    {"20260101T000000Z"},
			"Authorization": {cl.dialect.auth},
			"User-Agent":    {"gaffer-bench aws-sdk-go-v2/1.0"},
		}
		cl.headers[op] = h
	}
	return h
}

// call sends one request and returns the response body, valid until the
// next call. Any status but 200 is an error carrying the body.
func (cl *caller) call(ctx context.Context, op string, body []byte) ([]byte, error) {
	u := cl.urls[cl.next%len(cl.urls)]
	cl.next++
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = cl.header(op)
	if cl.ep.signer != nil {
		req.Header = req.Header.Clone()
		if err := cl.ep.signer.sign(ctx, req, body, cl.dialect.service); err != nil {
			return nil, fmt.Errorf("%s: sign: %w", op, err)
		}
	}
	resp, err := cl.ep.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	cl.buf.Reset()
	_, err = cl.buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: read response: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %d: %s", op, resp.StatusCode, bytes.TrimSpace(cl.buf.Bytes()))
	}
	return cl.buf.Bytes(), nil
}

// callJSON sends in (a []byte is sent as is, anything else is marshalled)
// and decodes the answer into out unless out is nil.
func (cl *caller) callJSON(ctx context.Context, op string, in, out any) error {
	body, ok := in.([]byte)
	if !ok {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	resp, err := cl.call(ctx, op, body)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp, out); err != nil {
		return fmt.Errorf("%s: decode %q: %w", op, resp, err)
	}
	return nil
}

// lockedWriter serialises writes: the bench's progress lines and the
// servers' logs share stderr.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
