package server

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gaffer-dev/gaffer/internal/testsignal"
)

// DefaultBodyTimeout is the default Config.BodyTimeout. An SDK writes its
// body right after the headers, mostly a few KiB; 30 s carries the largest
// likely one, a state machine definition of 6 MiB escaped, at about
// 1.7 Mbit/s, and bounds how long a client that dribbles its body holds the
// connection and the bytes read so far.
const DefaultBodyTimeout = 30 * time.Second

// RefusalSlots is how many connections past Config.MaxConnections are still
// accepted, each only to be answered ThrottlingException and closed; past
// MaxConnections+RefusalSlots, new connections wait in the kernel's listen
// backlog until one closes.
const RefusalSlots = 32

// fdReserve is the number of file descriptors DefaultMaxConnections leaves
// to everything but served connections: the database's files (SQLite's
// writer and readers hold up to three each, plus backups and checks), the
// listener, the logs, and the RefusalSlots.
const fdReserve = 256

// DefaultMaxConnections is the default Config.MaxConnections, derived from
// the process's file descriptor limit (RLIMIT_NOFILE, which Go raises to the
// hard limit at start): max(limit − 256, limit/2); 10000 where there is no
// such limit.
func DefaultMaxConnections() int {
	limit := fdLimit()
	if limit <= 0 {
		return 10000
	}
	return max(limit-fdReserve, limit/2)
}

// Log messages of the connection limits (constant; details are attributes).
const logConnLimit = "connection limit reached: answering new connections ThrottlingException"

// connLimitLogEvery rate-limits logConnLimit.
const connLimitLogEvery = time.Minute

// limitListener caps the connections open at once. Accept first takes one
// of max+RefusalSlots slots, waiting while none is free (new connections
// then wait in the kernel's backlog, holding no descriptor of ours), so the
// process never meets EMFILE at accept; a connection accepted while max
// others are open is marked refused, to be answered ThrottlingException and
// closed. Closing a connection frees its slot.
type limitListener struct {
	net.Listener
	max   int
	slots chan struct{}
	done  chan struct{}
	close sync.Once
	log   *slog.Logger

	open    atomic.Int64
	changed testsignal.Signal[struct{}] // a connection was accepted or closed
	refused atomic.Int64                // since the last warning
	warned  atomic.Int64                // unix nanoseconds of the last warning
}

func newLimitListener(ln net.Listener, max int, log *slog.Logger) *limitListener {
	return &limitListener{
		Listener: ln,
		max:      max,
		slots:    make(chan struct{}, max+RefusalSlots),
		done:     make(chan struct{}),
		log:      log,
	}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	lc := &limitConn{Conn: c, l: l}
	if l.open.Add(1) > int64(l.max) {
		lc.refused = true
		l.warn()
	}
	l.changed.Signal(struct{}{})
	return lc, nil
}

func (l *limitListener) Close() error {
	l.close.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// warn logs logConnLimit at most once per connLimitLogEvery, with the
// number of connections refused since the last time.
func (l *limitListener) warn() {
	n := l.refused.Add(1)
	now := time.Now().UnixNano()
	last := l.warned.Load()
	if now-last < int64(connLimitLogEvery) || !l.warned.CompareAndSwap(last, now) {
		return
	}
	l.refused.Add(-n)
	l.log.Warn(logConnLimit, "max_connections", l.max, "refused", n)
}

// limitConn is a connection that holds a slot of its limitListener.
type limitConn struct {
	net.Conn
	l        *limitListener
	refused  bool
	released atomic.Bool
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	if c.released.CompareAndSwap(false, true) {
		c.l.open.Add(-1)
		<-c.l.slots
		c.l.changed.Signal(struct{}{})
	}
	return err
}

// refusedKey marks the context of a connection accepted past the cap.
type refusedKey struct{}

// connContext is http.Server.ConnContext: it marks refused connections.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if lc, ok := c.(*limitConn); ok && lc.refused {
		return context.WithValue(ctx, refusedKey{}, true)
	}
	return ctx
}

// refused reports whether r came on a connection accepted past the cap.
func refused(r *http.Request) bool {
	v, _ := r.Context().Value(refusedKey{}).(bool)
	return v
}

// Log messages of the open-file limit (constant; details are attributes).
const (
	logFDRaised    = "open-file limit raised"
	logFDNotRaised = "open-file limit not raised to the wanted value: the process may not raise its hard limit"
)

// adjustFDLimit raises the process's open-file limit (RaiseFDLimit) and
// logs what it did, before the connection and poll caps are derived from
// it.
func adjustFDLimit(log *slog.Logger) {
	before, after, err := RaiseFDLimit()
	if after != before {
		log.Info(logFDRaised, "from", before, "to", after)
	}
	if err != nil {
		log.Info(logFDNotRaised, "fd_limit", after, "err", err)
	}
}
