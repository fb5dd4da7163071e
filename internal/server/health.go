package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gaffer-dev/gaffer/internal/metrics"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// The node's health and metrics endpoints: GET /healthz (the process
// answers), GET /readyz (the store answers reads and its writer commits),
// both open to anyone who reaches the node, for load balancers; and
// GET /metrics (package metrics), an operator endpoint unless
// Config.OpenMetrics.

// DefaultReadyTimeout is Config.ReadyTimeout's default.
const DefaultReadyTimeout = 2 * time.Second

// health adds /healthz, /readyz and, with meter, /metrics to mux.
func (s *Server) health(mux *http.ServeMux, st store.Store, meter *metrics.Metrics) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	timeout := s.cfg.ReadyTimeout
	if timeout <= 0 {
		timeout = DefaultReadyTimeout
	}
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		if err := ready(r.Context(), st, timeout); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintf(w, "not ready: %v\n", err)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	if meter == nil {
		return
	}
	h := meter.ServeHTTP
	if !s.cfg.OpenMetrics {
		h = s.operator("gaffer:GetMetrics", func(*http.Request) string { return "*" }, h)
	}
	mux.HandleFunc("GET /metrics", h)
}

// ready checks that st answers a read of its meta table and that its
// writer commits an empty write, each within timeout.
func ready(ctx context.Context, st store.Store, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := st.View(ctx, func(tx store.Tx) error {
		_, err := tx.GetMeta(secretMeta)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store read: %w", err)
	}
	if err := st.Update(ctx, func(store.Tx) error { return nil }); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("store writer did not commit within %v", timeout)
		}
		return fmt.Errorf("store write: %w", err)
	}
	return nil
}

// secretMeta is a meta key every started node holds (the engine's token
// secret): reading it reads the meta table.
const secretMeta = "engine.token_secret"

// newMetrics returns the node's metrics on the store st (either store
// reports on itself: store.Stats).
func newMetrics(cfg Config, st store.Store) *metrics.Metrics {
	stats := st.(store.Stats)
	return metrics.New(metrics.Config{
		Writer: func() metrics.WriterStats { return metrics.WriterStats(stats.WriterStats()) },
		CountObjects: func(ctx context.Context, keys []metrics.ObjectKey) ([]int64, error) {
			sk := make([]store.ObjectKey, len(keys))
			for i, k := range keys {
				sk[i] = store.ObjectKey(k)
			}
			return stats.CountObjects(ctx, sk)
		},
		Logger: cfg.Logger.With("component", "metrics"),
		Now:    cfg.Now,
	})
}

// observeBoth returns an awsapi.Config.Observe that calls a (if set) and
// then b.
func observeBoth(a, b func(service, operation, code string, status int, d time.Duration)) func(service, operation, code string, status int, d time.Duration) {
	if a == nil {
		return b
	}
	return func(service, operation, code string, status int, d time.Duration) {
		a(service, operation, code, status, d)
		b(service, operation, code, status, d)
	}
}
