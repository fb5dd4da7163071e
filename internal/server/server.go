// Package server assembles a gaffer node: the store, the engine, the
// dialects and the wire layer behind one HTTP listener. cmd/gaffer runs it;
// tests start it in-process on a random port.
package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/cluster"
	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/metrics"
	"github.com/gaffer-dev/gaffer/internal/pipeline"
	"github.com/gaffer-dev/gaffer/internal/sfn"
	"github.com/gaffer-dev/gaffer/internal/sfn/integration"
	"github.com/gaffer-dev/gaffer/internal/startstop"
	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/swf"
	"github.com/gaffer-dev/gaffer/internal/testsignal"
	"github.com/gaffer-dev/gaffer/internal/webui"
)

// Config configures a node.
type Config struct {
	// Listen is the TCP address to serve on; default 127.0.0.1:7710.
	// Without Authenticate, Start refuses an address that is not loopback
	// (see Loopback) unless Insecure.
	Listen string
	// Insecure lets a node without Authenticate listen on a non-loopback
	// address, serving anyone who reaches it; Start logs a warning.
	Insecure bool
	// TLSCertFile and TLSKeyFile, both or neither, serve HTTPS with the
	// PEM certificate (chain) and key in these files; ReloadTLS reads them
	// again. Neither serves plain HTTP.
	TLSCertFile string
	TLSKeyFile  string
	// DataDir holds the SQLite database (gaffer.db); created with mode
	// 0700 if missing. New refuses one that group or others may write.
	DataDir string
	// Store, if set, is a PostgreSQL database that several nodes share: a
	// postgres:// or postgresql:// URL, or a key=value DSN. DataDir is then
	// not used. Empty keeps the SQLite database in DataDir (one node).
	Store string
	// NodeName is this node's name among the nodes sharing the store;
	// default the host name and the listen port.
	NodeName string
	// Lease is how long the node stays a member without renewing; others
	// take its partitions over when it has passed. Default
	// cluster.DefaultLease.
	Lease time.Duration
	// Init lets New create the schema in an existing gaffer.db that is
	// empty or holds no table (see sqlite.Options.Init).
	Init bool
	// MaxPollWait caps every long poll (AWS: 60 s, Data Pipeline 90 s).
	MaxPollWait time.Duration
	// MaxPollersPerQueue caps the polls waiting on one activity, task list
	// or worker group (engine.Config.MaxPollersPerQueue); 0 means 1,000,
	// AWS's limit per activity.
	MaxPollersPerQueue int
	// MaxWaitingPolls caps the polls waiting on the node together; 0
	// means DefaultMaxWaitingPolls().
	MaxWaitingPolls int
	// Account is the AWS account id in ARNs; default 000000000000.
	Account string
	// DefaultRegion is the region of unsigned requests, and of stored
	// records that name none (from before regions were kept apart);
	// default us-east-1 (awsapi.DefaultRegion).
	DefaultRegion string
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// FlushInterval is how often in-memory heartbeats are persisted.
	FlushInterval time.Duration
	// PipelineAckTimeout is Data Pipeline's acknowledgement window (see
	// pipeline.Config.AckTimeout); default 2 minutes. Tests shorten it.
	PipelineAckTimeout time.Duration
	// PipelineRetryDelay is Data Pipeline's default retryDelay for
	// activities that set none (see pipeline.Config.RetryDelay).
	PipelineRetryDelay time.Duration
	// Observe, if set, is told of every AWS request answered (see
	// awsapi.Config.Observe).
	Observe func(service, operation, code string, status int, d time.Duration)
	// Authenticate, if set, verifies every AWS request (see
	// awsapi.Config.Authenticate) and every request to the operator
	// endpoints (/gaffer/runners: actions gaffer:ListRunners on "*" and
	// gaffer:TerminateRunner on RunnerARN; /gaffer/queues:
	// gaffer:ListQueues on "*"; /gaffer/nodes: gaffer:ListNodes on "*";
	// /metrics: gaffer:GetMetrics on "*", unless OpenMetrics), and the
	// web UI's credentials (see NoUI); nil serves requests
	// unauthenticated.
	// /healthz and /readyz are always open.
	Authenticate awsapi.Authenticator
	// BodyTimeout is how long a request, headers and body, may take to
	// arrive (http.Server.ReadTimeout; the headers alone must arrive
	// within 10 s); a body still incomplete then is answered with an error
	// and its connection closed. It does not bound the answer: a long poll
	// is held as long as MaxPollWait. Default DefaultBodyTimeout.
	BodyTimeout time.Duration
	// MaxConnections caps the connections served at once; a connection
	// opened past it is answered ThrottlingException and closed (up to
	// RefusalSlots more; past those, new connections wait in the kernel's
	// backlog). Default DefaultMaxConnections(), from the fd limit.
	MaxConnections int
	// SFNRetention is how long Step Functions keeps a closed execution
	// and its history after its stop date: 0 means sfn.DefaultRetention
	// (90 days, as AWS), KeepForever keeps them for good.
	SFNRetention time.Duration
	// Now is the node's clock; nil means time.Now. Tests move it.
	Now func() time.Time
	// Clock, if set, is the node's clock instead of Now (which must then
	// be nil): a manual clock that POST /gaffer/clock moves (`gaffer
	// serve --clock manual`). Request signatures are still checked
	// against the real time.
	Clock *ManualClock
	// NoMetrics turns GET /metrics off, and with it the counting on the
	// hot paths (see package metrics).
	NoMetrics bool
	// OpenMetrics serves GET /metrics without authentication even when
	// Authenticate is set (for scrapers that cannot sign requests); by
	// default it is an operator endpoint (action gaffer:GetMetrics on "*").
	OpenMetrics bool
	// ReadyTimeout bounds GET /readyz's checks of the store; default
	// DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// LambdaEndpoint, if set, is the base URL of a server speaking the
	// Lambda Invoke API: Step Functions Task states calling Lambda (a
	// function ARN, arn:aws:states:::lambda:invoke) call it.
	LambdaEndpoint string
	// MockConfig, if set, is a Step Functions Local mock configuration
	// file: executions started on "<state machine ARN>#<test case>" get
	// its mocked responses. New refuses a file that does not check.
	MockConfig string
	// HTTPConnections, if set, is a file mapping EventBridge connection
	// ARNs to their credentials (integration.LoadConnections): Step
	// Functions HTTP Tasks (arn:aws:states:::http:invoke) call their
	// endpoints through them. New refuses a file that does not check.
	HTTPConnections string
	// NoUI turns the web UI at /ui/ (package webui) off. With
	// Authenticate, the UI asks the browser for an access key id and its
	// secret (HTTP Basic, over TLS or from loopback only) and needs the
	// action gaffer:ViewUI on "*" (docs/security.md).
	NoUI bool
}

// KeepForever as Config.SFNRetention keeps closed executions for good.
const KeepForever = time.Duration(-1)

// DefaultListen is the default listen address.
const DefaultListen = "127.0.0.1:7710"

// Server is one gaffer node. Its lifecycle is package startstop's: New
// configures it, Start opens the store, starts the engine and serves,
// Shutdown (or Stop) stops all of it in order.
type Server struct {
	cfg  Config
	log  *slog.Logger
	cert *certificate // nil without TLS

	// life runs the HTTP serving goroutines. Its context is the parent of
	// the engine's and of every request's.
	life startstop.Base

	// Set by a successful Start.
	ctx       context.Context
	store     store.Store
	engine    *engine.Engine
	node      *cluster.Node
	retention *sfn.Retention // nil when closed executions are kept for good
	states    *sfn.Service
	integ     sfn.IntegrationConfig
	http      *http.Server
	ln        *limitListener

	serveErr error // what Serve returned, other than http.ErrServerClosed

	once    sync.Once
	stopErr error
}

// New checks cfg and prepares the data directory; Start runs the node.
func New(cfg Config) (*Server, error) {
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.DataDir == "" && cfg.Store == "" {
		return nil, errors.New("server: a data directory or a store URL is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	adjustFDLimit(cfg.Logger)
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = DefaultMaxConnections()
	}
	if cfg.MaxWaitingPolls <= 0 {
		cfg.MaxWaitingPolls = DefaultMaxWaitingPolls()
	}
	if cfg.Account == "" {
		cfg.Account = "000000000000"
	}
	if cfg.Clock != nil {
		if cfg.Now != nil {
			return nil, errors.New("server: give Now or Clock, not both")
		}
		cfg.Now = cfg.Clock.Now
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	if cfg.MockConfig != "" {
		mocks, err := integration.LoadMockConfig(cfg.MockConfig)
		if err != nil {
			return nil, err
		}
		s.integ.Mocks = mocks
	}
	if cfg.HTTPConnections != "" {
		conns, err := integration.LoadConnections(cfg.HTTPConnections)
		if err != nil {
			return nil, err
		}
		s.integ.HTTP = integration.NewHTTP(integration.HTTPConfig{Connections: conns})
	}
	if cfg.LambdaEndpoint != "" {
		if u, err := url.Parse(cfg.LambdaEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("lambda endpoint %q: want an http:// or https:// URL", cfg.LambdaEndpoint)
		}
		s.integ.Lambda = integration.NewLambda(integration.LambdaConfig{Endpoint: cfg.LambdaEndpoint})
	}
	switch {
	case cfg.TLSCertFile != "" && cfg.TLSKeyFile != "":
		s.cert = &certificate{certFile: cfg.TLSCertFile, keyFile: cfg.TLSKeyFile}
		if err := s.cert.load(); err != nil {
			return nil, err
		}
	case cfg.TLSCertFile != "":
		return nil, fmt.Errorf("TLS certificate %s given without its key (--tls-key)", cfg.TLSCertFile)
	case cfg.TLSKeyFile != "":
		return nil, fmt.Errorf("TLS key %s given without its certificate (--tls-cert)", cfg.TLSKeyFile)
	}
	if cfg.Store == "" {
		if err := prepareDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Start opens the store, loads the engine's state from it and starts
// serving. It returns once the listener is open. ctx bounds the start-up and
// is the parent of the node's context (see package startstop): its end stops
// serving at once, without Shutdown's order; a node stopped by Shutdown is
// started with a context that does not end by itself. A server starts once.
func (s *Server) Start(ctx context.Context) error {
	ctx, err := s.life.StartInit(ctx)
	if err != nil {
		return err
	}
	if err := s.start(ctx); err != nil {
		s.life.Stop()
		return err
	}
	return nil
}

func (s *Server) start(ctx context.Context) error {
	cfg := s.cfg
	if err := checkListen(ctx, cfg, s.log); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	var meter *metrics.Metrics
	var engStore store.Store = st
	var engObs engine.Observer
	observe := cfg.Observe
	if !cfg.NoMetrics {
		meter = newMetrics(cfg, st)
		engStore = meter.WrapStore(st)
		engObs = meter.Observer()
		observe = observeBoth(cfg.Observe, meter.Observe)
	}
	// The node's membership and the engine refer to each other: the
	// engine asks the node which partitions it holds, the node tells the
	// engine which to load. The node gets the store itself (its fencing
	// and notices), not the metrics' wrapper.
	notifier, _ := st.(store.Notifier)
	node := cluster.New(cluster.Config{
		Store:    st,
		Notifier: notifier,
		Name:     nodeName(cfg),
		Addr:     cfg.Listen,
		Lease:    cfg.Lease,
		Logger:   cfg.Logger.With("component", "cluster"),
	})
	eng := engine.New(engine.Config{
		Store:              engStore,
		Cluster:            node,
		Logger:             cfg.Logger.With("component", "engine"),
		FlushInterval:      cfg.FlushInterval,
		MaxPollersPerQueue: cfg.MaxPollersPerQueue,
		MaxWaitingPolls:    cfg.MaxWaitingPolls,
		Now:                cfg.Now,
		Observer:           engObs,
	})
	node.Attach(eng)
	if cfg.Clock != nil {
		cfg.Clock.onMove(eng.ClockMoved)
		s.log.Warn("manual clock: the node's time moves only by POST /gaffer/clock (for tests, never production)", "now", cfg.Clock.Now())
	}
	states := sfn.New(sfn.Config{Engine: eng, Logger: cfg.Logger.With("component", "sfn"), Account: cfg.Account, MaxPollWait: cfg.MaxPollWait, Integrations: s.integ, Node: node.Name(), Shared: node.Shared()})
	workflows := swf.New(swf.Config{Engine: eng, Logger: cfg.Logger.With("component", "swf"), Account: cfg.Account, MaxPollWait: cfg.MaxPollWait})
	pipelines := pipeline.New(pipeline.Config{Engine: eng, Logger: cfg.Logger.With("component", "pipeline"), Account: cfg.Account, DefaultRegion: cfg.DefaultRegion, MaxPollWait: cfg.MaxPollWait, AckTimeout: cfg.PipelineAckTimeout, RetryDelay: cfg.PipelineRetryDelay})
	if meter != nil {
		meter.SetEngine(eng)
		eng.WrapOwners(meter.WrapOwner)
	}
	api := awsapi.NewHandler(awsapi.Config{Logger: cfg.Logger.With("component", "awsapi"), DefaultRegion: cfg.DefaultRegion, Observe: observe, BodyTimeout: cfg.BodyTimeout, Authenticate: cfg.Authenticate}, states.API(), workflows.API(), pipelines.API())

	mux := http.NewServeMux()
	mux.Handle("POST /", api)
	s.health(mux, st, meter) // /healthz, /readyz, /metrics
	// Operator endpoints (not AWS APIs): the Data Pipeline task runners
	// that have reported in, and a way to ask one to stop.
	// Both are behind Authenticate (see operator).
	anything := func(*http.Request) string { return "*" }
	mux.HandleFunc("GET /gaffer/nodes", s.operator("gaffer:ListNodes", anything, func(w http.ResponseWriter, r *http.Request) {
		v, err := nodesView(r.Context(), s.node)
		writeJSON(w, v, err)
	}))
	mux.HandleFunc("GET /gaffer/runners", s.operator("gaffer:ListRunners", anything, func(w http.ResponseWriter, r *http.Request) {
		runners, err := pipelines.Runners(r.Context())
		writeJSON(w, runners, err)
	}))
	runner := func(r *http.Request) string { return RunnerARN(cfg.Account, r.PathValue("id")) }
	mux.HandleFunc("POST /gaffer/runners/{id}/terminate", s.operator("gaffer:TerminateRunner", runner, func(w http.ResponseWriter, r *http.Request) {
		runner, err := pipelines.TerminateRunner(r.Context(), r.PathValue("id"))
		writeJSON(w, runner, err)
	}))
	mux.HandleFunc("GET /gaffer/queues", s.operator("gaffer:ListQueues", anything, func(w http.ResponseWriter, r *http.Request) {
		queues, _, err := webui.Queues(r.Context(), eng)
		writeJSON(w, queues, err)
	}))
	if !cfg.NoUI {
		ui := webui.New(webui.Config{SFN: states, SWF: workflows, Pipeline: pipelines, Engine: eng, Node: node, Metrics: meter,
			Store: storeName(cfg), Account: cfg.Account, Region: cfg.DefaultRegion,
			Authenticate: cfg.Authenticate, Now: cfg.Now, Logger: cfg.Logger.With("component", "webui")})
		mux.Handle("GET /ui/", ui)
		mux.Handle("POST /ui/", ui)
		// A browser at / is sent to the UI; any other GET / (an AWS client's)
		// gets the wire layer's answer as before.
		mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Amz-Target") == "" && strings.Contains(r.Header.Get("Accept"), "text/html") {
				http.Redirect(w, r, webui.Prefix, http.StatusFound)
				return
			}
			api.ServeHTTP(w, r)
		})
	}
	// The node's time; a manual clock (--clock manual) is moved here.
	mux.HandleFunc("GET /gaffer/clock", s.operator("gaffer:GetClock", anything, s.getClock))
	mux.HandleFunc("POST /gaffer/clock", s.operator("gaffer:SetClock", anything, s.postClock))
	mux.Handle("/", api) // other methods get the wire layer's JSON error
	refuse := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		if r.Header.Get("X-Amz-Target") == "" {
			http.Error(w, msgConnLimit, http.StatusServiceUnavailable)
			return
		}
		awsapi.Refuse(api, w, r, awsapi.Throttling(msgConnLimit))
	})

	var retention *sfn.Retention
	if keep := cfg.SFNRetention; keep != KeepForever {
		if keep == 0 {
			keep = sfn.DefaultRetention
		}
		if retention, err = sfn.NewRetention(sfn.RetentionConfig{Engine: eng, Logger: cfg.Logger.With("component", "sfn"), Keep: keep, Sweeper: func() bool { return node.Owns(0) }}); err != nil {
			_ = st.Close()
			return err
		}
	}

	// undo stops what has started, last first, when a later step fails.
	undo := []func(){func() { _ = st.Close() }}
	fail := func(err error) error {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
		return err
	}
	if err := eng.Start(ctx); err != nil {
		return fail(fmt.Errorf("start engine: %w", err))
	}
	undo = append(undo, eng.Stop)
	// Joining takes this node's partitions and loads their tasks and
	// timers into the engine: alone, all of them.
	if err := node.Start(ctx); err != nil {
		return fail(fmt.Errorf("join the nodes sharing the store: %w", err))
	}
	undo = append(undo, node.Stop)
	// Executions stored before the visibility index existed get their
	// entries (once per store).
	if err := workflows.BuildVisibility(ctx); err != nil {
		return fail(err)
	}
	if retention != nil {
		if err := retention.Start(ctx); err != nil {
			return fail(fmt.Errorf("start retention: %w", err))
		}
		undo = append(undo, retention.Stop)
	}
	if err := states.Start(ctx); err != nil {
		return fail(fmt.Errorf("start step functions integrations: %w", err))
	}
	undo = append(undo, states.Stop)
	tcp, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fail(fmt.Errorf("listen: %w", err))
	}
	if limit := fdLimit(); limit > 0 && cfg.MaxConnections > DefaultMaxConnections() {
		s.log.Warn("max connections above what the file descriptor limit allows: accepting may fail with EMFILE",
			"max_connections", cfg.MaxConnections, "fd_limit", limit, "allowed", DefaultMaxConnections())
	}
	ln := newLimitListener(tcp, cfg.MaxConnections, cfg.Logger)
	s.ctx, s.store, s.engine, s.node, s.retention, s.ln, s.states = ctx, st, eng, node, retention, ln, states
	s.http = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if refused(r) {
				refuse(w, r)
				return
			}
			mux.ServeHTTP(w, r)
		}),
		ConnContext:       connContext,
		ReadHeaderTimeout: 10 * time.Second,
		// The whole request within BodyTimeout. net/http lifts the read
		// deadline once a body has been read to its end (it then reads the
		// connection in the background to notice a client that goes away),
		// so a long poll's wait is not cut by it; and it costs no more
		// deadline changes per request than ReadHeaderTimeout alone.
		ReadTimeout: cfg.BodyTimeout,
		IdleTimeout: 5 * time.Minute,
		ErrorLog:    slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		// Requests run in the node's context: Shutdown ends it only once
		// they finished, or its own deadline passed.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	var serving net.Listener = ln
	if s.cert != nil {
		s.http.TLSConfig = s.cert.config()
		serving = tls.NewListener(ln, s.http.TLSConfig)
	}
	s.life.Go(func(context.Context) {
		if err := s.http.Serve(serving); !errors.Is(err, http.ErrServerClosed) {
			s.serveErr = err
		}
	})
	s.life.Go(func(ctx context.Context) {
		// The node's context ends at Shutdown, once requests are done, or
		// when Start's ctx ends: then connections still open are closed.
		<-ctx.Done()
		_ = s.http.Close()
	})
	s.log.Info("gaffer serving", "addr", ln.Addr().String(), "url", s.URL(), "store", storeName(cfg), "node", node.Name(),
		"max_connections", cfg.MaxConnections, "max_waiting_polls", cfg.MaxWaitingPolls, "fd_limit", fdLimit(), "body_timeout", cfg.BodyTimeout)
	return nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL returns the server's base URL, for clients' endpoint settings:
// https:// with TLS.
func (s *Server) URL() string {
	if s.cert != nil {
		return "https://" + s.Addr()
	}
	return "http://" + s.Addr()
}

// Connections returns how many connections the server holds open, those
// being refused past MaxConnections included. Call it once started.
func (s *Server) Connections() int { return int(s.ln.open.Load()) }

// ConnectionsChanged is signalled each time the server accepts or closes a
// connection; tests wait on it for Connections to reach a number. Call it
// once started.
func (s *Server) ConnectionsChanged() *testsignal.Signal[struct{}] { return &s.ln.changed }

// msgConnLimit answers requests on connections past MaxConnections.
const msgConnLimit = "gaffer has too many connections open (--max-connections); retry with back-off"

// Engine returns the node's engine once started, for tests and operator
// tools that look at its in-memory state (Engine.Waiting).
func (s *Server) Engine() *engine.Engine { return s.engine }

// Clock returns the node's manual clock, nil on the real clock.
func (s *Server) Clock() *ManualClock { return s.cfg.Clock }

// Store returns the node's store, for tests that look inside.
func (s *Server) Store() store.Store { return s.store }

// SFNRetention returns the node's sweeper of closed Step Functions
// executions once started, nil if they are kept for good; tests wake it.
func (s *Server) SFNRetention() *sfn.Retention { return s.retention }

// Shutdown stops the node gracefully: waiting polls are answered empty,
// in-flight requests finish (until ctx ends; then their contexts end with
// startstop.ErrStop and their connections are closed), heartbeats held in
// memory are persisted, and the store is flushed and closed. It is safe to
// call twice, and before Start; call it after Start has returned.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.stop(func() context.Context { return ctx })
}

// Stop is Shutdown without a deadline, the startstop shape: it waits for
// in-flight requests however long they take, and logs a failure to close
// the store.
func (s *Server) Stop() {
	if err := s.stop(func() context.Context { return context.WithoutCancel(s.ctx) }); err != nil {
		s.log.Error("gaffer stop", "err", err)
	}
}

// stop stops the node once; deadline gives the context that bounds the
// wait for in-flight requests.
func (s *Server) stop(deadline func() context.Context) error {
	s.once.Do(func() { s.stopErr = s.shutdown(deadline) })
	return s.stopErr
}

func (s *Server) shutdown(deadline func() context.Context) error {
	if s.engine == nil { // never started, or Start failed and cleaned up
		s.life.Stop()
		return nil
	}
	ctx := deadline()
	// The integration workers first: their polls and calls end, and a call
	// left unanswered is made again at the next start.
	s.states.Stop()
	// The order is the guarantee: polls are released first, so that the
	// requests Shutdown waits for end; the retention sweeper and the engine
	// stop (the engine's last heartbeat flush) while the store is still
	// open; the store closes last.
	s.engine.Drain()
	err := s.http.Shutdown(ctx)
	s.life.Stop()
	if s.serveErr != nil && err == nil {
		err = s.serveErr
	}
	if s.retention != nil {
		s.retention.Stop()
	}
	// The node hands its partitions over and leaves (then writes
	// unfenced: what the engine still writes is checked row by row); the
	// engine's last heartbeat flush follows.
	s.node.Stop()
	s.engine.Stop()
	if cerr := s.store.Close(); cerr != nil && err == nil {
		err = cerr
	}
	s.log.Info("gaffer stopped")
	return err
}

// writeJSON answers an operator endpoint: v as JSON, or the error as
// {"message": ...} with 404 for an unknown runner and 500 otherwise.
func writeJSON(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, pipeline.ErrUnknownRunner) {
			status = http.StatusNotFound
		}
		w.WriteHeader(status)
		v = map[string]string{"message": err.Error()}
	}
	_ = json.NewEncoder(w).Encode(v)
}
