package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gaffer-dev/gaffer/internal/auth"
	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/sfn"
)

// serveCommand runs a gaffer node until SIGINT or SIGTERM.
type serveCommand struct {
	stderr io.Writer
	fs     *flag.FlagSet
}

func (c *serveCommand) flags() (*flag.FlagSet, *server.Config, *serveOptions) {
	fs := flag.NewFlagSet("gaffer serve", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	cfg := &server.Config{}
	fs.StringVar(&cfg.Listen, "listen", server.DefaultListen, "address to serve the AWS APIs on; without credentials only a loopback address (127.0.0.0/8, ::1, localhost) unless --insecure")
	fs.BoolVar(&cfg.Insecure, "insecure", false, "serve unauthenticated on a non-loopback --listen address: anyone who reaches it may use the node (logged as a warning)")
	fs.StringVar(&cfg.TLSCertFile, "tls-cert", "", "serve HTTPS with the PEM certificate (chain) in this file (with --tls-key); re-read on SIGHUP")
	fs.StringVar(&cfg.TLSKeyFile, "tls-key", "", "the PEM private key of --tls-cert; re-read on SIGHUP")
	fs.StringVar(&cfg.DataDir, "data", "gaffer-data", "directory for the SQLite database (created 0700 if missing); not used with --store")
	fs.StringVar(&cfg.Store, "store", "", "a PostgreSQL database shared by several nodes, as a `URL` postgres://user:password@host:port/db?sslmode=... (or key=value DSN); default $"+storeEnv+" (keeps the password off the command line), else the SQLite database in --data")
	fs.StringVar(&cfg.NodeName, "node-name", "", "this node's name among the nodes sharing --store, unique among them; a node restarted under the same name takes its partitions back at once (default: host name and --listen port)")
	fs.DurationVar(&cfg.Lease, "lease", 0, "how long a node stays a member without renewing (every third of it): a node dead this long has its partitions taken over (default 10s)")
	fs.BoolVar(&cfg.Init, "init", false, "create gaffer's schema in an existing gaffer.db that is empty (0 bytes) or holds no table, instead of refusing it")
	fs.DurationVar(&cfg.MaxPollWait, "max-poll-wait", 60*time.Second, "cap on long polls (AWS holds them 60 s); lower it for tests")
	fs.IntVar(&cfg.MaxPollersPerQueue, "max-pollers-per-queue", engine.DefaultMaxPollersPerQueue, "cap on the polls waiting on one activity, task list or worker group (AWS: 1,000 per activity); past it a poll is refused at once")
	fs.IntVar(&cfg.MaxWaitingPolls, "max-waiting-polls", 0, "cap on the polls waiting on the node together, past which a poll is refused at once; 0: half the open-file limit, which the node raises at start where it may (at most 100,000)")
	fs.StringVar(&cfg.Account, "account", "000000000000", "AWS account id used in ARNs")
	fs.DurationVar(&cfg.FlushInterval, "heartbeat-flush", time.Second, "how often heartbeats kept in memory are persisted")
	fs.DurationVar(&cfg.PipelineAckTimeout, "pipeline-ack-timeout", 2*time.Minute, "Data Pipeline: how long a task may go unacknowledged by ReportTaskProgress before it is handed out again")
	fs.DurationVar(&cfg.PipelineRetryDelay, "pipeline-retry-delay", 10*time.Minute, "Data Pipeline: the retryDelay of activities that set none")
	fs.DurationVar(&cfg.BodyTimeout, "body-timeout", server.DefaultBodyTimeout, "how long a request, headers and body, may take to arrive; a slower one is answered with an error and its connection closed (long polls' answers are not bounded by it)")
	fs.IntVar(&cfg.MaxConnections, "max-connections", 0, "cap on connections served at once, past which new ones are answered ThrottlingException; 0: the open-file limit (raised at start where the node may) minus 256 (at least half of it)")
	cfg.SFNRetention = sfn.DefaultRetention
	fs.Var((*retentionFlag)(&cfg.SFNRetention), "sfn-retention", "Step Functions: how long a closed execution and its history are kept after its stop date, a Go `duration` or days (30d, 1d12h); AWS keeps them 90 days; forever (or 0) keeps them for good")
	fs.BoolVar(&cfg.NoMetrics, "no-metrics", false, "serve no GET /metrics, and count nothing for it on the hot paths")
	fs.BoolVar(&cfg.NoUI, "no-ui", false, "serve no web UI at /ui/ (with --credentials the UI asks for an access key id and its secret, over HTTPS or from this machine only)")
	fs.BoolVar(&cfg.OpenMetrics, "open-metrics", false, "serve GET /metrics without authentication even with --credentials (for scrapers that cannot sign requests; the metrics name no resource)")
	fs.StringVar(&cfg.LambdaEndpoint, "lambda-endpoint", "", "Step Functions: base `URL` of a server speaking the Lambda Invoke API (a local Lambda emulator); Task states calling Lambda (arn:aws:states:::lambda:invoke, function ARNs) call it, signed with static credentials; without it they run only mocked")
	fs.StringVar(&cfg.MockConfig, "mock-config", "", "Step Functions: mock configuration `file` in Step Functions Local's format (StateMachines, TestCases, MockedResponses); executions started on <state machine ARN>#<test case> get its mocked responses; default $"+mockConfigEnv+"")
	fs.StringVar(&cfg.HTTPConnections, "http-connections", "", "Step Functions: connections `file` for HTTP Tasks (arn:aws:states:::http:invoke): a JSON object mapping each EventBridge connection ARN that Authentication.ConnectionArn names to its AuthorizationType (API_KEY, BASIC, OAUTH_CLIENT_CREDENTIALS) and AuthParameters, as EventBridge's CreateConnection takes them; without it HTTP Tasks run only mocked")
	opts := &serveOptions{}
	fs.StringVar(&opts.level, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&opts.clock, "clock", "real", "the node's clock: real, or manual (for tests: time stands still until POST /gaffer/clock moves it, {\"advance\":\"90s\"} or {\"set\":\"RFC 3339 time\"}; Wait states, timeouts, retries, SWF timers and Data Pipeline schedules fire as it passes); never use manual in production")
	fs.StringVar(&opts.credentials, "credentials", "", "credentials `file` (JSON: identities with an access key, a secret and an IAM-style policy): every request must then carry an AWS Signature Version 4 made with one of its keys; SIGHUP reloads it; default $"+credentialsEnv+", else requests are not authenticated")
	c.fs = fs
	return fs, cfg, opts
}

// serveOptions are the flags of serve that are not server.Config's.
type serveOptions struct {
	level       string
	credentials string
	clock       string
}

// credentialsEnv names the credentials file when --credentials is not
// given.
const credentialsEnv = "GAFFER_CREDENTIALS"

// minLease is the shortest --lease: a node renews every third of it.
const minLease = time.Second

// storeEnv holds the PostgreSQL URL when --store is not given.
const storeEnv = "GAFFER_STORE"

// mockConfigEnv names the mock configuration file when --mock-config is
// not given, as Step Functions Local reads it.
const mockConfigEnv = "SFN_MOCK_CONFIG"

// Usage prints the flags.
func (c *serveCommand) Usage() {
	fs, _, _ := c.flags()
	fs.Usage()
}

// Run parses args and serves until ctx ends.
func (c *serveCommand) Run(ctx context.Context, args []string) error {
	fs, cfg, opts := c.flags()
	if err := fs.Parse(args); err != nil {
		return err
	}
	if opts.credentials == "" {
		opts.credentials = os.Getenv(credentialsEnv)
	}
	if cfg.Store == "" {
		cfg.Store = os.Getenv(storeEnv)
	}
	if cfg.Lease != 0 && cfg.Lease < minLease {
		return fmt.Errorf("-lease: %v is too short: at least %v (a node renews every third of it, and a pause longer than it fences the node)", cfg.Lease, minLease)
	}
	if cfg.MockConfig == "" {
		cfg.MockConfig = os.Getenv(mockConfigEnv)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	switch opts.clock {
	case "real":
	case "manual":
		cfg.Clock = server.NewManualClock(time.Now())
	default:
		return fmt.Errorf("-clock: %q is not one of real, manual", opts.clock)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(opts.level)); err != nil {
		return fmt.Errorf("-log-level: %q is not one of debug, info, warn, error", opts.level)
	}
	if cfg.MaxPollWait <= 0 {
		return fmt.Errorf("-max-poll-wait: %v must be positive", cfg.MaxPollWait)
	}
	if cfg.MaxPollersPerQueue <= 0 {
		return fmt.Errorf("-max-pollers-per-queue: %d must be positive", cfg.MaxPollersPerQueue)
	}
	if cfg.MaxWaitingPolls < 0 {
		return fmt.Errorf("-max-waiting-polls: %d must be 0 (from the open-file limit) or positive", cfg.MaxWaitingPolls)
	}
	if cfg.PipelineAckTimeout <= 0 || cfg.PipelineRetryDelay <= 0 {
		return fmt.Errorf("-pipeline-ack-timeout and -pipeline-retry-delay must be positive (got %v, %v)", cfg.PipelineAckTimeout, cfg.PipelineRetryDelay)
	}
	if cfg.BodyTimeout <= 0 {
		return fmt.Errorf("-body-timeout: %v must be positive", cfg.BodyTimeout)
	}
	if cfg.MaxConnections < 0 {
		return fmt.Errorf("-max-connections: %d must be 0 (from the file descriptor limit) or positive", cfg.MaxConnections)
	}
	if cfg.FlushInterval <= 0 {
		return fmt.Errorf("-heartbeat-flush: %v must be positive", cfg.FlushInterval)
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	var authn *auth.Authenticator
	if opts.credentials != "" {
		set, err := auth.Load(opts.credentials)
		if err == nil {
			err = server.CheckPrivateFile(opts.credentials)
		}
		if err != nil {
			return fmt.Errorf("-credentials: %w", err)
		}
		authn = auth.New(set, cfg.Now)
		cfg.Authenticate = authn.Authenticate
		cfg.Logger.Info("credentials loaded: requests must be signed (AWS Signature Version 4)", slog.String("file", opts.credentials), slog.Any("identities", set.Names()))
	}
	srv, err := server.New(*cfg)
	if err != nil {
		return err
	}
	// SIGHUP is taken before the node says it serves: one sent as soon as
	// that line is logged must not end the process (its default action).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	// ctx ends at SIGINT or SIGTERM. The node must not see that end: Shutdown
	// then stops it in order (polls released, requests finished, heartbeats
	// persisted, store closed), which cancelling its context would cut short.
	if err := srv.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	// reloads run in order at each SIGHUP; each logs its own failure and
	// leaves what it reloads as it was.
	reloads := []func() error{srv.ReloadTLS}
	if authn != nil {
		reloads = append(reloads, func() error { return reloadCredentials(authn, opts.credentials, cfg.Logger) })
	}
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-hup:
			cfg.Logger.Info("SIGHUP: reloading")
			for _, reload := range reloads {
				_ = reload()
			}
		}
	}
	cfg.Logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// reloadCredentials reads the credentials file again (at SIGHUP); a file
// that does not load, or that others may read, leaves the current
// identities in place.
func reloadCredentials(a *auth.Authenticator, path string, log *slog.Logger) error {
	if err := server.CheckPrivateFile(path); err != nil {
		log.Error("credentials not reloaded: the current identities stay", slog.String("file", path), slog.Any("err", err))
		return err
	}
	set, err := a.Reload(path)
	if err != nil {
		log.Error("credentials not reloaded: the current identities stay", slog.String("file", path), slog.Any("err", err))
		return err
	}
	log.Info("credentials reloaded", slog.String("file", path), slog.Any("identities", set.Names()))
	return nil
}

// retentionFlag is --sfn-retention: a Go duration, days with a "d" suffix
// (optionally followed by a Go duration: "1d12h"), or "forever" or "0"
// (server.KeepForever).
type retentionFlag time.Duration

func (f *retentionFlag) String() string {
	d := time.Duration(*f)
	switch {
	case d == server.KeepForever:
		return "forever"
	case d > 0 && d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

func (f *retentionFlag) Set(s string) error {
	d, err := parseRetention(s)
	if err != nil {
		return err
	}
	*f = retentionFlag(d)
	return nil
}

// parseRetention parses a --sfn-retention value.
func parseRetention(s string) (time.Duration, error) {
	if s == "forever" || s == "0" {
		return server.KeepForever, nil
	}
	bad := fmt.Errorf("%q is not a positive duration (such as 90d, 36h or 1d12h), 0 or forever", s)
	var d time.Duration
	if days, rest, ok := strings.Cut(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n < 0 || n > 100*365 {
			return 0, bad
		}
		d = time.Duration(n) * 24 * time.Hour
		s = rest
	}
	if s != "" {
		r, err := time.ParseDuration(s)
		if err != nil || r < 0 {
			return 0, bad
		}
		d += r
	}
	if d <= 0 {
		return 0, bad
	}
	return d, nil
}
