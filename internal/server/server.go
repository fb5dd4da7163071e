// Package server assembles a gaffer node: the store, the engine, the
// dialects and the wire layer behind one HTTP listener. cmd/gaffer runs it;
// tests start it in-process on a random port.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/pipeline"
	"github.com/gaffer-dev/gaffer/internal/sfn"
	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/store/sqlite"
	"github.com/gaffer-dev/gaffer/internal/swf"
)

// Config configures a node.
type Config struct {
	// Listen is the TCP address to serve on; default 127.0.0.1:7710.
	Listen string
	// DataDir holds the SQLite database (gaffer.db); created with mode
	// 0700 if missing. New refuses one that group or others may write.
	DataDir string
	// Init lets New create the schema in an existing gaffer.db that is
	// empty or holds no table (see sqlite.Options.Init).
	Init bool
	// MaxPollWait caps every long poll (AWS: 60 s, Data Pipeline 90 s).
	MaxPollWait time.Duration
	// Account is the AWS account id in ARNs; default 000000000000.
	Account string
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
}

// DefaultListen is the default listen address.
const DefaultListen = "127.0.0.1:7710"

// Server is one running gaffer node.
type Server struct {
	cfg    Config
	log    *slog.Logger
	store  store.Store
	engine *engine.Engine
	http   *http.Server
	ln     net.Listener

	served chan error
	once   sync.Once
}

// New opens the store and assembles the node; Start serves it.
func New(cfg Config) (*Server, error) {
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.DataDir == "" {
		return nil, errors.New("server: a data directory is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := prepareDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	st, err := sqlite.Open(filepath.Join(cfg.DataDir, DBFile), sqlite.Options{Logger: cfg.Logger.With("component", "store"), Init: cfg.Init})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	eng := engine.New(engine.Config{Store: st, Logger: cfg.Logger.With("component", "engine"), FlushInterval: cfg.FlushInterval})
	states := sfn.New(sfn.Config{Engine: eng, Logger: cfg.Logger.With("component", "sfn"), Account: cfg.Account, MaxPollWait: cfg.MaxPollWait})
	workflows := swf.New(swf.Config{Engine: eng, Logger: cfg.Logger.With("component", "swf"), Account: cfg.Account, MaxPollWait: cfg.MaxPollWait})
	pipelines := pipeline.New(pipeline.Config{Engine: eng, Logger: cfg.Logger.With("component", "pipeline"), Account: cfg.Account, MaxPollWait: cfg.MaxPollWait, AckTimeout: cfg.PipelineAckTimeout, RetryDelay: cfg.PipelineRetryDelay})
	api := awsapi.NewHandler(awsapi.Config{Logger: cfg.Logger.With("component", "awsapi")}, states.API(), workflows.API(), pipelines.API())

	mux := http.NewServeMux()
	mux.Handle("POST /", api)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	// Operator endpoints (not AWS APIs): the Data Pipeline task runners
	// that have reported in, and a way to ask one to stop.
	mux.HandleFunc("GET /gaffer/runners", func(w http.ResponseWriter, r *http.Request) {
		runners, err := pipelines.Runners(r.Context())
		writeJSON(w, runners, err)
	})
	mux.HandleFunc("POST /gaffer/runners/{id}/terminate", func(w http.ResponseWriter, r *http.Request) {
		runner, err := pipelines.TerminateRunner(r.Context(), r.PathValue("id"))
		writeJSON(w, runner, err)
	})
	mux.Handle("/", api) // other methods get the wire layer's JSON error
	s := &Server{
		cfg:    cfg,
		log:    cfg.Logger,
		store:  st,
		engine: eng,
		http: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       5 * time.Minute,
			ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		},
		served: make(chan error, 1),
	}
	return s, nil
}

// Start loads the engine's state from the store and starts serving. It
// returns once the listener is open.
func (s *Server) Start(ctx context.Context) error {
	if err := s.engine.Start(ctx); err != nil {
		_ = s.store.Close()
		return fmt.Errorf("start engine: %w", err)
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		s.engine.Stop()
		_ = s.store.Close()
		return fmt.Errorf("listen: %w", err)
	}
	s.ln = ln
	go func() { s.served <- s.http.Serve(ln) }()
	s.log.Info("gaffer serving", "addr", ln.Addr().String(), "data", s.cfg.DataDir)
	return nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL returns the server's base URL, for clients' endpoint settings.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Engine returns the node's engine, for tests and operator tools that look
// at its in-memory state (Engine.Waiting).
func (s *Server) Engine() *engine.Engine { return s.engine }

// Shutdown stops the node gracefully: waiting polls are answered empty,
// in-flight requests finish, heartbeats held in memory are persisted, and
// the store is flushed and closed. It is safe to call twice.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	s.once.Do(func() {
		s.engine.Drain()
		if s.ln != nil {
			err = s.http.Shutdown(ctx)
			if serr := <-s.served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
				err = serr
			}
		}
		s.engine.Stop()
		if cerr := s.store.Close(); cerr != nil && err == nil {
			err = cerr
		}
		s.log.Info("gaffer stopped")
	})
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
