package awsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Operation handles one request whose body is a JSON object already
// validated against the operation's input shape, and returns the output
// value, which is marshalled with encoding/json (nil answers "{}"). An error
// that is (or wraps) an *Error answers that AWS error; any other error
// answers the service's internal error (500) and is logged. The body must not
// be modified, nor retained after the operation returns.
type Operation func(ctx context.Context, body []byte) (any, error)

// Op adapts a typed function to an Operation. It unmarshals the body into a
// new In (a JSON type mismatch answers SerializationException naming the
// field) and returns f's *Out; a nil *Out answers "{}".
func Op[In, Out any](f func(context.Context, *In) (*Out, error)) Operation {
	return func(ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if err := json.Unmarshal(body, in); err != nil {
			return nil, decodeError(err)
		}
		out, err := f(ctx, in)
		if err != nil {
			return nil, err
		}
		if out == nil {
			return nil, nil // not a typed nil in an interface
		}
		return out, nil
	}
}

// decodeError turns an encoding/json error from Op into a
// SerializationException.
func decodeError(err error) *Error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return Errorf(CodeSerialization, "cannot decode JSON %s into the request", te.Value)
		}
		return Errorf(CodeSerialization, "invalid value at '%s': cannot decode JSON %s into %s", te.Field, te.Value, te.Type)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return Errorf(CodeSerialization, "request body is not valid JSON: %v", err)
	}
	return Errorf(CodeSerialization, "cannot decode request body: %v", err)
}

// Service is one AWS service on the endpoint: its model and its error table.
type Service struct {
	// Model routes (Model.TargetPrefix) and validates requests.
	Model *Model
	// ErrorNamespace prefixes __type in error bodies:
	// "<ErrorNamespace>#<Code>", e.g. "com.amazonaws.swf.base.model".
	ErrorNamespace string
	// Statuses maps error codes to HTTP statuses. Codes not listed use the
	// common table (ThrottlingException 400, InternalFailure 500,
	// ServiceUnavailable 503, ...) and otherwise answer 400; the
	// InternalErrorCode always answers 500.
	Statuses map[string]int
	// TypeOverrides maps error codes to a complete __type, for errors AWS
	// reports from another namespace (Step Functions:
	// "ValidationException" → "com.amazon.coral.validate#ValidationException").
	// A __type must not contain ':'.
	TypeOverrides map[string]string
	// ValidationErrorCode answers model-validation failures; default
	// "ValidationException".
	ValidationErrorCode string
	// InternalErrorCode answers unexpected errors and panics with 500;
	// default "InternalFailure" (Data Pipeline: "InternalServiceError").
	InternalErrorCode string
	// AccessDeniedCode answers an operation the caller's principal may not
	// perform (Authorize); default "AccessDeniedException" (SWF:
	// "OperationNotPermittedFault").
	AccessDeniedCode string
	// Mapped answers an error an operation returns that is not an *Error
	// but is (errors.Is) one of these, first match, with its Code and
	// Message; the status comes from the table as for any other code.
	Mapped []ErrorMapping
	// Ops are the implemented operations by name. Every other operation of
	// the model answers UnknownOperationException.
	Ops map[string]Operation
}

// Config configures NewHandler.
type Config struct {
	// Logger receives request logs; nil discards them.
	Logger *slog.Logger
	// MaxBodyBytes bounds request bodies (default DefaultMaxBodyBytes); a
	// larger body answers 413 RequestEntityTooLargeException.
	MaxBodyBytes int64
	// DefaultRegion is the Region of unsigned requests (default "us-east-1").
	DefaultRegion string
	// Observe, if set, is called after each request with the service's
	// signing name (Model.EndpointPrefix; "" if the target named no
	// service), the operation ("" if unknown), the error code ("" on
	// success), the HTTP status and the time taken.
	Observe func(service, operation, code string, status int, d time.Duration)
	// BodyTimeout is the server's read timeout, named in the answer to a
	// request whose body did not arrive within it (the server sets the
	// deadline; a read past it fails with os.ErrDeadlineExceeded).
	BodyTimeout time.Duration
	// Authenticate, if set, verifies every request once its body is read
	// and before it is decoded; its principal travels in the operation's
	// context (Caller, Authorize). Nil serves every request as it comes,
	// unauthenticated.
	Authenticate Authenticator
}

// DefaultMaxBodyBytes is the default Config.MaxBodyBytes: 16 MiB, room for
// the largest request AWS accepts in the implemented operations, with JSON
// escaping at its worst (a character such as U+0001 is six bytes, \u0001;
// model lengths count UTF-16 units, so a character outside the BMP, two
// units, is at most twelve bytes: still six a unit):
//
//   - Step Functions CreateStateMachine/UpdateStateMachine: a definition of
//     1,048,576 units (the model's maximum) is at most 6 MiB escaped, plus
//     small members (name, roleArn, configurations, tags);
//   - Data Pipeline PutPipelineDefinition/ValidatePipelineDefinition: AWS
//     limits a pipeline to 100 objects of at most 15,360 bytes each, at most
//     9,216,000 bytes escaped, plus parameters (50 at most) and values;
//   - SWF: the largest strings are 32,768 units (input, result, details):
//     under 200 KB a request.
//
// The one modelled length it does not cover is Data Pipeline
// EvaluateExpression's expression (20,971,520 units by the model; 120 MiB
// escaped), an expression to evaluate against one object: buffering such
// bodies is not worth the memory a cap exists to protect.
const DefaultMaxBodyBytes = 16 << 20

// legacyTargetPrefixes maps target prefixes of old SDKs to the model's.
var legacyTargetPrefixes = map[string]string{
	"com.amazonaws.swf.service.model.SimpleWorkflowService": "SimpleWorkflowService",
}

// Log messages (constant; details are attributes).
const (
	logRequest  = "aws request"
	logInternal = "aws request failed with internal error"
	logPanic    = "aws operation panicked"
	logCanceled = "aws request canceled by client"
	// logUnauthorized: an authenticated request's operation returned
	// without calling Authorize (a bug in its dialect); it is refused.
	logUnauthorized = "aws operation did not authorize its caller"
)

type handler struct {
	log      *slog.Logger
	maxBody  int64
	bodyWait time.Duration
	region   string
	observe  func(service, operation, code string, status int, d time.Duration)
	auth     Authenticator
	routes   map[string]*route   // full X-Amz-Target → route
	prefixes map[string]*service // target prefix → service
}

// service is a Service prepared for serving.
type service struct {
	label          string
	namespace      string
	statuses       map[string]int
	overrides      map[string]string
	mapped         []ErrorMapping
	validationCode string
	internalCode   string
	accessDenied   string
	contentType    []string // shared, read-only header value
}

type route struct {
	svc   *service
	name  string
	input *validator // nil: the operation has no input shape
	op    Operation  // nil: modelled but not implemented
}

// noService answers requests whose target names no service.
var noService = &service{
	namespace:      coralNamespace,
	validationCode: CodeValidation,
	internalCode:   CodeInternalFailure,
	contentType:    []string{"application/x-amz-json-1.0"},
}

// NewHandler returns the http.Handler serving every service on POST (any
// path), routed by X-Amz-Target. Validators for the implemented operations
// are compiled here. It panics on a programming error: a nil Model, an Ops
// entry the model does not have, two services with one target prefix, or a
// TypeOverrides value containing ':'.
func NewHandler(cfg Config, services ...*Service) http.Handler {
	h := &handler{
		log:      cfg.Logger,
		maxBody:  cfg.MaxBodyBytes,
		bodyWait: cfg.BodyTimeout,
		region:   cfg.DefaultRegion,
		observe:  cfg.Observe,
		auth:     cfg.Authenticate,
		routes:   map[string]*route{},
		prefixes: map[string]*service{},
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.region == "" {
		h.region = DefaultRegion
	}
	for _, s := range services {
		if s == nil || s.Model == nil {
			panic("awsapi: NewHandler: service without a Model")
		}
		m := s.Model
		svc := &service{
			label:          m.EndpointPrefix,
			namespace:      s.ErrorNamespace,
			statuses:       s.Statuses,
			overrides:      s.TypeOverrides,
			mapped:         s.Mapped,
			validationCode: s.ValidationErrorCode,
			internalCode:   s.InternalErrorCode,
			accessDenied:   s.AccessDeniedCode,
			contentType:    []string{"application/x-amz-json-" + m.JSONVersion},
		}
		if svc.accessDenied == "" {
			svc.accessDenied = CodeAccessDenied
		}
		if svc.validationCode == "" {
			svc.validationCode = CodeValidation
		}
		if svc.internalCode == "" {
			svc.internalCode = CodeInternalFailure
		}
		for code, typ := range s.TypeOverrides {
			if strings.Contains(typ, ":") {
				panic(fmt.Sprintf("awsapi: NewHandler: __type %q for %s contains ':'", typ, code))
			}
		}
		for name := range s.Ops {
			if m.Operations[name] == nil {
				panic(fmt.Sprintf("awsapi: NewHandler: %s has no operation %q", m.TargetPrefix, name))
			}
		}
		prefixes := []string{m.TargetPrefix}
		for legacy, p := range legacyTargetPrefixes {
			if p == m.TargetPrefix {
				prefixes = append(prefixes, legacy)
			}
		}
		comp := newCompiler(m, h.log)
		for _, prefix := range prefixes {
			if h.prefixes[prefix] != nil {
				panic(fmt.Sprintf("awsapi: NewHandler: two services with target prefix %q", prefix))
			}
			h.prefixes[prefix] = svc
		}
		for name, mop := range m.Operations {
			rt := &route{svc: svc, name: name, op: s.Ops[name]}
			if rt.op != nil && mop.Input != nil {
				rt.input = comp.compile(mop.Input.Shape)
			}
			for _, prefix := range prefixes {
				h.routes[prefix+"."+name] = rt
			}
		}
	}
	return h
}

// bufPool holds response buffers.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer bounds the buffers returned to bufPool.
const maxPooledBuffer = 64 << 10

// exchange is one request in flight.
type exchange struct {
	h      *handler
	w      http.ResponseWriter
	r      *http.Request
	start  time.Time
	id     string
	target string
	svc    *service
	op     string // operation name, "" if unrouted
	logged bool   // the error was already logged in detail
}

// ServeHTTP serves one AWS JSON request.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ex := exchange{h: h, w: w, r: r, start: time.Now(), id: newRequestID(), svc: noService}
	// Header names are case-insensitive; canonical keys keep Header.Get
	// working for middleware (on the wire: X-Amzn-Requestid).
	w.Header()["X-Amzn-Requestid"] = []string{ex.id}
	ex.target = r.Header.Get("X-Amz-Target")
	rt := h.routes[ex.target]
	if rt != nil {
		ex.svc, ex.op = rt.svc, rt.name
	} else if prefix, _, ok := cutLast(ex.target, '.'); ok && h.prefixes[prefix] != nil {
		ex.svc = h.prefixes[prefix]
	}

	if r.Method != http.MethodPost {
		w.Header()["Allow"] = []string{http.MethodPost}
		ex.fail(http.StatusMethodNotAllowed, Errorf(CodeUnknownOperation,
			"method %s is not allowed: AWS JSON APIs take POST requests", r.Method))
		return
	}
	switch {
	case ex.target == "":
		ex.fail(0, Errorf(CodeUnknownOperation, "missing X-Amz-Target header"))
		return
	case rt == nil:
		ex.fail(0, Errorf(CodeUnknownOperation, "unknown operation %q (X-Amz-Target)", ex.target))
		return
	case rt.op == nil:
		ex.fail(0, Errorf(CodeUnknownOperation, "operation %q is not implemented by this server", ex.target))
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !containsFoldJSON(ct) {
		ex.fail(0, Errorf(CodeSerialization,
			"unsupported Content-Type %q: send %s", ct, rt.svc.contentType[0]))
		return
	}

	body, aerr := h.readBody(w, r)
	if aerr != nil {
		ex.fail(0, aerr)
		return
	}
	var principal Principal
	if h.auth != nil {
		p, err := h.auth(r, body) // the body as sent: its hash is signed
		if err != nil {
			ex.opError(err)
			return
		}
		principal = p
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = emptyObject
	}
	decoded, aerr := decodeObject(body)
	if aerr != nil {
		ex.fail(0, aerr)
		return
	}
	if rt.input != nil {
		if aerr := validateInput(rt.input, decoded, rt.svc.validationCode); aerr != nil {
			ex.fail(0, aerr)
			return
		}
	}

	region := regionFromAuthorization(r.Header.Get("Authorization"))
	if region == "" {
		region = h.region
	}
	ri := &requestInfo{id: ex.id, region: region, home: h.region, principal: principal, svc: rt.svc, op: rt.name}
	out, err := call(context.WithValue(r.Context(), requestKey{}, ri), rt.op, body)
	if err != nil {
		ex.opError(err)
		return
	}
	if principal != nil && !ri.authorized {
		// Fail closed: an operation that forgot to call Authorize must
		// not serve an authenticated caller.
		h.log.Error(logUnauthorized, "request_id", ex.id, "operation", ex.target, "principal", principal.Name())
		ex.logged = true
		ex.opError(Errorf(rt.svc.accessDenied, "User: %s is not authorized to perform: %s (the operation did not check its authorization)", principal.Name(), ri.action()))
		return
	}
	ex.succeed(out)
}

// readBody reads the request body within the size limit (an empty body
// is then read as "{}", once it is authenticated). The buffer grows as bytes arrive, from at most
// initialBodyBuffer: a client that declares a large Content-Length and sends
// little costs little.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *Error) {
	tooLarge := func() *Error {
		return Errorf(CodeRequestTooLarge, "request body is larger than %d bytes", h.maxBody)
	}
	if r.ContentLength > h.maxBody {
		return nil, tooLarge()
	}
	var body []byte
	var err error
	if n := r.ContentLength; n > 0 {
		body, err = readFull(r.Body, n)
	} else {
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge()
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, Errorf(CodeSerialization, "request body did not arrive in full within %v of the request's start: send the body with the headers", h.bodyWait)
		}
		return nil, Errorf(CodeSerialization, "cannot read request body: %v", err)
	}
	return body, nil
}

// emptyObject is what an empty request body reads as.
var emptyObject = []byte("{}")

// initialBodyBuffer bounds the first buffer readFull allocates.
const initialBodyBuffer = 64 << 10

// readFull reads exactly n bytes from r into a buffer that starts at
// min(n, initialBodyBuffer) bytes and doubles (up to n) as it fills.
func readFull(r io.Reader, n int64) ([]byte, error) {
	buf := make([]byte, 0, min(n, initialBodyBuffer))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(n-int64(len(buf)), int64(cap(buf)))))
		}
		m, err := r.Read(buf[len(buf):int(min(int64(cap(buf)), n))])
		buf = buf[:len(buf)+m]
		if err == io.EOF && int64(len(buf)) < n {
			return nil, io.ErrUnexpectedEOF
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
	}
	return buf, nil
}

// panicError carries a recovered panic to the error path.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// call runs op, turning a panic into a *panicError. http.ErrAbortHandler is
// re-raised, as net/http expects.
func call(ctx context.Context, op Operation, body []byte) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			out, err = nil, &panicError{value: p, stack: debug.Stack()}
		}
	}()
	return op(ctx, body)
}

// opError answers an error returned by an operation.
func (ex *exchange) opError(err error) {
	var ae *Error
	if errors.As(err, &ae) {
		ex.fail(0, ae)
		return
	}
	for i := range ex.svc.mapped {
		if m := &ex.svc.mapped[i]; errors.Is(err, m.Err) {
			ex.send(ex.svc.status(m.Code), m.Code, m.Message)
			return
		}
	}
	code := ex.svc.internalCode
	ex.logged = true
	var pe *panicError
	switch {
	case errors.As(err, &pe):
		ex.h.log.LogAttrs(ex.r.Context(), slog.LevelError, logPanic,
			slog.String("request_id", ex.id), slog.String("target", ex.target),
			slog.Any("panic", pe.value), slog.String("stack", string(pe.stack)))
	case ex.r.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		// The client is gone (or the server is stopping): nobody reads this
		// answer, but a retryable error is the safe thing to send.
		ex.h.log.LogAttrs(ex.r.Context(), slog.LevelDebug, logCanceled,
			slog.String("request_id", ex.id), slog.String("target", ex.target), slog.Any("err", err))
		ex.send(http.StatusInternalServerError, code, "request canceled")
		return
	default:
		ex.h.log.LogAttrs(ex.r.Context(), slog.LevelError, logInternal,
			slog.String("request_id", ex.id), slog.String("target", ex.target), slog.Any("err", err))
	}
	ex.send(http.StatusInternalServerError, code,
		"internal error; see the server log (request "+ex.id+")")
}

// fail answers an AWS error; status 0 takes it from the service's table.
func (ex *exchange) fail(status int, e *Error) {
	if status == 0 {
		status = ex.svc.status(e.Code)
	}
	ex.send(status, e.Code, e.Message)
}

// status returns the HTTP status of an error code.
func (s *service) status(code string) int {
	if st, ok := s.statuses[code]; ok {
		return st
	}
	if code == s.internalCode {
		return http.StatusInternalServerError
	}
	if st, ok := commonStatuses[code]; ok {
		return st
	}
	return http.StatusBadRequest
}

// errorBody is the AWS JSON error document.
type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message,omitempty"`
}

// send writes an error answer.
func (ex *exchange) send(status int, code, msg string) {
	typ, ok := ex.svc.overrides[code]
	if !ok && bareTypes[code] {
		typ, ok = code, true
	}
	if !ok {
		if ex.svc.namespace != "" {
			typ = ex.svc.namespace + "#" + code
		} else {
			typ = code
		}
	}
	body, err := json.Marshal(errorBody{Type: typ, Message: msg})
	if err != nil { // cannot happen for two strings
		body = []byte(`{"__type":"` + code + `"}`)
	}
	ex.w.Header()["X-Amzn-Errortype"] = []string{code}
	ex.write(status, body)
	ex.finish(status, code)
}

// succeed writes the output of an operation.
func (ex *exchange) succeed(out any) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			bufPool.Put(buf)
		}
	}()
	if out != nil {
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			ex.opError(fmt.Errorf("encode %s output: %w", ex.op, err))
			return
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
	}
	body := buf.Bytes()
	if len(body) == 0 || string(body) == "null" {
		body = []byte("{}")
	}
	ex.write(http.StatusOK, body)
	ex.finish(http.StatusOK, "")
}

func (ex *exchange) write(status int, body []byte) {
	hdr := ex.w.Header()
	hdr["Content-Type"] = ex.svc.contentType
	hdr["Content-Length"] = []string{strconv.Itoa(len(body))}
	ex.w.WriteHeader(status)
	_, _ = ex.w.Write(body) // a write error means the client is gone
}

// finish logs the request and reports it to Config.Observe.
func (ex *exchange) finish(status int, code string) {
	d := time.Since(ex.start)
	if ex.h.observe != nil {
		ex.h.observe(ex.svc.label, ex.op, code, status, d)
	}
	level := slog.LevelDebug
	if status >= 500 && !ex.logged {
		level = slog.LevelError
	}
	ctx := ex.r.Context()
	if !ex.h.log.Enabled(ctx, level) {
		return
	}
	ex.h.log.LogAttrs(ctx, level, logRequest,
		slog.String("request_id", ex.id),
		slog.String("target", ex.target),
		slog.Int("status", status),
		slog.String("code", code),
		slog.Duration("duration", d))
}

// cutLast splits s around the last sep.
func cutLast(s string, sep byte) (before, after string, found bool) {
	if i := strings.LastIndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// containsFoldJSON reports whether a Content-Type mentions json, in any case.
func containsFoldJSON(ct string) bool {
	for i := 0; i+4 <= len(ct); i++ {
		if strings.EqualFold(ct[i:i+4], "json") {
			return true
		}
	}
	return false
}
