// Package webui is gaffer's web UI, mounted by the server at /ui/: pages
// server-rendered with html/template from templates and a script and a
// style sheet embedded in the binary (no CDN, no build step). It reads
// through the dialects' own operations (called in-process, not over HTTP),
// the engine's in-memory views and the store, as the AWS operations do.
//
// Authentication (docs/security.md): where the node authenticates requests,
// a browser, which cannot sign them, sends HTTP Basic credentials, an access
// key id and its secret from the node's credentials file. The UI turns
// them into a SigV4 signature of a request of its own and hands that to the
// node's authenticator, so the same keys and policies apply: viewing needs
// the action gaffer:ViewUI on "*", each button the dialect's own action on
// its resource. Basic credentials travel in clear, so they are accepted only
// over TLS or from a loopback address. Buttons post forms that carry a token
// matching a cookie and are refused from another origin (CSRF).
package webui

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/cluster"
	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/metrics"
	"github.com/gaffer-dev/gaffer/internal/pipeline"
	"github.com/gaffer-dev/gaffer/internal/sfn"
	"github.com/gaffer-dev/gaffer/internal/swf"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Prefix is where the server mounts the UI.
const Prefix = "/ui/"

// ViewAction is the action a principal must be allowed on "*" to see the
// UI's pages where requests are authenticated.
const ViewAction = "gaffer:ViewUI"

// Config is what the UI reads and acts through.
type Config struct {
	SFN      *sfn.Service
	SWF      *swf.Service
	Pipeline *pipeline.Service
	Engine   *engine.Engine
	// Node is this node's membership: its name and the nodes sharing the
	// store.
	Node *cluster.Node
	// Metrics, if set, are shown on the node page.
	Metrics *metrics.Metrics
	// Store describes the store (no password); Version is the build's.
	Store, Version string
	// Started is when the node started, for its uptime.
	Started time.Time
	// Account is the AWS account id in ARNs; Region the region the UI's
	// calls are made in.
	Account, Region string
	// Authenticate, if set, verifies the browser's credentials (see the
	// package comment); nil serves the UI to anyone who reaches it.
	Authenticate awsapi.Authenticator
	// Now is the node's clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// UI serves the pages under Prefix.
type UI struct {
	cfg   Config
	sfn   *awsapi.Service
	swf   *awsapi.Service
	dp    *awsapi.Service
	pages map[string]*template.Template
	mux   *http.ServeMux
	cop   *http.CrossOriginProtection
}

// New returns the UI on cfg.
func New(cfg Config) *UI {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Region == "" {
		cfg.Region = awsapi.DefaultRegion
	}
	if cfg.Started.IsZero() {
		cfg.Started = cfg.Now()
	}
	if cfg.Version == "" {
		cfg.Version = buildVersion()
	}
	u := &UI{cfg: cfg, sfn: cfg.SFN.API(), swf: cfg.SWF.API(), dp: cfg.Pipeline.API(), cop: http.NewCrossOriginProtection()}
	u.pages = parsePages()
	static, _ := fs.Sub(staticFS, "static")
	m := http.NewServeMux()
	m.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", cacheable(http.FileServerFS(static))))
	m.HandleFunc("GET /ui/{$}", u.page(u.home))
	m.HandleFunc("GET /ui/sfn/", u.page(u.stateMachines))
	m.HandleFunc("GET /ui/sfn/executions", u.page(u.executions))
	m.HandleFunc("GET /ui/sfn/execution", u.page(u.execution))
	m.HandleFunc("POST /ui/sfn/stop", u.action(u.stopExecution))
	m.HandleFunc("GET /ui/queues", u.page(u.queues))
	m.HandleFunc("GET /ui/queue", u.page(u.queue))
	m.HandleFunc("GET /ui/swf/", u.page(u.domains))
	m.HandleFunc("GET /ui/swf/executions", u.page(u.swfExecutions))
	m.HandleFunc("GET /ui/swf/execution", u.page(u.swfExecution))
	m.HandleFunc("POST /ui/swf/signal", u.action(u.swfSignal))
	m.HandleFunc("POST /ui/swf/cancel", u.action(u.swfCancel))
	m.HandleFunc("POST /ui/swf/terminate", u.action(u.swfTerminate))
	m.HandleFunc("GET /ui/pipelines/", u.page(u.pipelines))
	m.HandleFunc("GET /ui/pipeline", u.page(u.pipeline))
	m.HandleFunc("GET /ui/runners", u.page(u.runners))
	m.HandleFunc("POST /ui/runners/terminate", u.action(u.terminateRunner))
	m.HandleFunc("GET /ui/node", u.page(u.node))
	u.mux = m
	return u
}

// buildVersion is the main module's version as the build recorded it, or
// its VCS revision.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " (" + s.Value[:12] + ")"
		}
	}
	return v
}

// cacheable lets browsers keep the static files for an hour.
func cacheable(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// ServeHTTP authenticates the request and serves the page it asks for.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'")
	p, err := u.authenticate(r)
	if err != nil {
		var ae *authError
		if errors.As(err, &ae) && ae.challenge {
			h.Set("WWW-Authenticate", `Basic realm="gaffer", charset="UTF-8"`)
			http.Error(w, ae.msg, http.StatusUnauthorized)
			return
		}
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	if p != nil && !p.Allowed(ViewAction, "*") {
		http.Error(w, fmt.Sprintf("User: %s is not authorized to perform: %s on resource: *", p.Name(), ViewAction), http.StatusForbidden)
		return
	}
	u.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
}

type principalKey struct{}

// authError is a refused authentication; challenge asks the browser for
// credentials (401) rather than refusing outright (403).
type authError struct {
	msg       string
	challenge bool
}

func (e *authError) Error() string { return e.msg }

// authenticate returns the principal of r's Basic credentials, nil where
// the node does not authenticate.
func (u *UI) authenticate(r *http.Request) (awsapi.Principal, error) {
	if u.cfg.Authenticate == nil {
		return nil, nil
	}
	akid, secret, ok := r.BasicAuth()
	if !ok {
		return nil, &authError{msg: "sign in with an access key id (user name) and its secret access key (password) from the node's credentials file", challenge: true}
	}
	if r.TLS == nil && !fromLoopback(r) {
		return nil, &authError{msg: "the web UI accepts credentials only over HTTPS (--tls-cert) or from this machine: they would travel in clear"}
	}
	// A request of our own, signed with the credentials given, for the
	// node's own authenticator: the same keys, checks and policies as the
	// APIs'. Its path makes it an operator request (signing name gaffer).
	signed, err := http.NewRequestWithContext(r.Context(), http.MethodGet, "http://gaffer.invalid/gaffer/ui-login", nil)
	if err != nil {
		return nil, err
	}
	creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, signed, emptySHA256, "gaffer", u.cfg.Region, u.cfg.Now()); err != nil {
		return nil, &authError{msg: "sign in: " + err.Error(), challenge: true}
	}
	p, err := u.cfg.Authenticate(signed, nil)
	if err != nil {
		return nil, &authError{msg: "sign in: " + err.Error(), challenge: true}
	}
	return p, nil
}

// emptySHA256 is the hex SHA-256 of an empty body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// fromLoopback reports whether r came from this machine.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// allowed reports whether the request's principal may perform action on
// resource; always where the node does not authenticate.
func allowed(r *http.Request, action, resource string) error {
	p, _ := r.Context().Value(principalKey{}).(awsapi.Principal)
	if p == nil || p.Allowed(action, resource) {
		return nil
	}
	return awsapi.Errorf(awsapi.CodeAccessDenied, "User: %s is not authorized to perform: %s on resource: %s", p.Name(), action, resource)
}

// csrfCookie holds the token that the UI's forms carry back.
const csrfCookie = "gaffer_csrf"

// csrfToken returns the request's CSRF token, setting a new cookie if it
// has none.
func csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 32 {
		return c.Value
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: Prefix, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	return tok
}

// checkCSRF refuses a form whose token does not match its cookie.
func checkCSRF(r *http.Request) error {
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" {
		return errors.New("missing CSRF cookie: reload the page and try again")
	}
	if subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		return errors.New("CSRF token does not match: reload the page and try again")
	}
	return nil
}

// view is what a page handler returns: the template and its data.
type view struct {
	name  string // template file, without .html
	title string
	data  any
}

// pageData is what every template gets.
type pageData struct {
	Title string
	Nav   string
	CSRF  string
	Flash string
	Error string
	Data  any
}

// page serves a GET page rendered by fn.
func (u *UI) page(fn func(r *http.Request) (view, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := fn(r)
		pd := pageData{Title: v.title, CSRF: csrfToken(w, r), Flash: r.URL.Query().Get("flash"), Data: v.data}
		nav, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, Prefix), "/")
		pd.Nav = nav
		status := http.StatusOK
		if err != nil {
			u.cfg.Logger.Debug("ui page failed", "path", r.URL.Path, "err", err)
			pd.Error, v.name, status = err.Error(), "error", errorStatus(err)
			if pd.Title == "" {
				pd.Title = "Error"
			}
		}
		t := u.pages[v.name]
		if t == nil {
			http.Error(w, "no template "+v.name, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		if err := t.ExecuteTemplate(w, "layout", pd); err != nil {
			u.cfg.Logger.Error("ui template", "template", v.name, "err", err)
		}
	}
}

// errorStatus is 404 for a resource that does not exist, else 400 for
// what the dialect refused and 500 for the rest.
func errorStatus(err error) int {
	var br badRequest
	if errors.As(err, &br) {
		return http.StatusBadRequest
	}
	if errors.Is(err, pipeline.ErrUnknownRunner) {
		return http.StatusNotFound
	}
	var ae *awsapi.Error
	if errors.As(err, &ae) {
		if ae.Code == awsapi.CodeAccessDenied {
			return http.StatusForbidden
		}
		if strings.Contains(ae.Code, "DoesNotExist") || strings.Contains(ae.Code, "NotFound") || strings.Contains(ae.Code, "Unknown") {
			return http.StatusNotFound
		}
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// badRequest is a page asked for without what it needs.
type badRequest string

func (e badRequest) Error() string { return string(e) }

// action serves a POST from one of the UI's forms: refused from another
// origin or without the CSRF token; fn acts and returns where to go next.
func (u *UI) action(fn func(r *http.Request) (string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := u.cop.Check(r); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		if err := checkCSRF(r); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		next, err := fn(r)
		if err != nil {
			u.cfg.Logger.Info("ui action failed", "path", r.URL.Path, "err", err)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(errorStatus(err))
			_ = u.pages["error"].ExecuteTemplate(w, "layout", pageData{Title: "Action failed", CSRF: csrfToken(w, r), Error: err.Error()})
			return
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
}

// parsePages parses each page template together with the layout.
func parsePages() map[string]*template.Template {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t := template.Must(template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n))
		pages[base] = t
	}
	return pages
}
