package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
)

// The node's security at its edge (docs/security.md): where it may listen
// without authentication, TLS with a certificate reloaded in place, and the
// operator endpoints behind the AWS APIs' authentication.

// Loopback reports whether the listen address addr (host:port) reaches only
// this machine: its host is "localhost", an address in 127.0.0.0/8 or ::1,
// or a name all of whose addresses are. An empty host, 0.0.0.0 and [::]
// (every interface) and any other address are not loopback. A name that
// does not resolve is an error.
func Loopback(ctx context.Context, addr string) (bool, error) {
	return loopback(ctx, addr, net.DefaultResolver.LookupIPAddr)
}

// loopback is Loopback with the resolver as a parameter, for tests.
func loopback(ctx context.Context, addr string, lookup func(context.Context, string) ([]net.IPAddr, error)) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("listen address %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		return true, nil
	}
	if host == "" {
		return false, nil // every interface
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.IsLoopback(), nil
	}
	ips, err := lookup(ctx, host)
	if err != nil {
		return false, fmt.Errorf("listen address %q: %w", addr, err)
	}
	if len(ips) == 0 {
		return false, fmt.Errorf("listen address %q: %s has no address", addr, host)
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return false, nil
		}
	}
	return true, nil
}

// checkListen refuses a non-loopback listen address when requests are not
// authenticated, unless cfg.Insecure, which it logs as a warning.
func checkListen(ctx context.Context, cfg Config, log *slog.Logger) error {
	if cfg.Authenticate != nil {
		return nil
	}
	local, err := Loopback(ctx, cfg.Listen)
	if err != nil {
		return err
	}
	switch {
	case local:
		return nil
	case cfg.Insecure:
		log.Warn("serving without authentication on a non-loopback address: anyone who reaches it may use this node (--insecure)", "listen", cfg.Listen)
		return nil
	}
	return fmt.Errorf("listen %s: not a loopback address, and no credentials are configured: anyone who reaches it could use this node; "+
		"configure credentials (--credentials FILE), or serve unauthenticated anyway (--insecure)", cfg.Listen)
}

// certificate holds the node's TLS certificate, swapped whole by a reload.
type certificate struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
}

// load reads the pair from its files and makes it current.
func (c *certificate) load() error {
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("TLS certificate %s, key %s: %w", c.certFile, c.keyFile, err)
	}
	c.cur.Store(&cert)
	return nil
}

// config is the TLS configuration: every handshake takes the current
// certificate. It offers HTTP/1.1 only, as plain HTTP serves: one request
// at a time per connection, so that the connection limits mean the same.
func (c *certificate) config() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return c.cur.Load(), nil
		},
	}
}

// ReloadTLS reads the TLS certificate and key files again, for connections
// opened from now on (connections open keep theirs). A pair that does not
// load leaves the current certificate in place; the error says why, and is
// logged. Without TLS it does nothing. cmd/gaffer calls it on SIGHUP.
func (s *Server) ReloadTLS() error {
	if s.cert == nil {
		return nil
	}
	if err := s.cert.load(); err != nil {
		s.log.Error("TLS certificate not reloaded: keeping the current one", "err", err)
		return err
	}
	s.log.Info("TLS certificate reloaded", "cert", s.cert.certFile, "key", s.cert.keyFile)
	return nil
}

// maxOperatorBody bounds what an operator endpoint reads of a request body
// (they take none; the authenticator may hash what there is).
const maxOperatorBody = 64 << 10

// operator guards an operator endpoint: with Config.Authenticate set, the
// request must carry a valid signature whose principal is allowed action on
// the resource that resource names; otherwise it is answered 403 with an
// AWS-shaped JSON error ({"__type": code, "message": ...}): the
// authenticator's code (MissingAuthenticationToken, …) or
// AccessDeniedException.
func (s *Server) operator(action string, resource func(*http.Request) string, h http.HandlerFunc) http.HandlerFunc {
	auth := s.cfg.Authenticate
	if auth == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOperatorBody))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeError(w, http.StatusRequestEntityTooLarge, awsapi.Errorf(awsapi.CodeRequestTooLarge, "request body is larger than %d bytes", maxOperatorBody))
				return
			}
			writeError(w, http.StatusBadRequest, awsapi.Errorf(awsapi.CodeSerialization, "cannot read request body: %v", err))
			return
		}
		p, err := auth(r, body)
		if err != nil {
			var aerr *awsapi.Error
			if !errors.As(err, &aerr) {
				aerr = awsapi.Errorf(awsapi.CodeAccessDenied, "%v", err)
			}
			writeError(w, http.StatusForbidden, aerr)
			return
		}
		res := resource(r)
		if !p.Allowed(action, res) {
			writeError(w, http.StatusForbidden, awsapi.Errorf(awsapi.CodeAccessDenied, "User: %s is not authorized to perform: %s on resource: %s", p.Name(), action, res))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body)) // the handler reads it again
		h(w, r)
	}
}

// writeError answers an operator request that was refused: status with
// the error as AWS shapes it.
func writeError(w http.ResponseWriter, status int, e *awsapi.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.Code, "message": e.Message})
}

// RunnerARN is the resource a principal must be allowed
// "gaffer:TerminateRunner" on to ask the Data Pipeline task runner id to
// stop (POST /gaffer/runners/{id}/terminate).
func RunnerARN(account, id string) string {
	return "arn:aws:gaffer::" + account + ":taskrunner/" + id
}
