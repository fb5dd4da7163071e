package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/gaffer-dev/gaffer/internal/runner"
)

// runnerCommand is `gaffer runner`: a ready task runner for SFN activities,
// SWF activity task lists and Data Pipeline worker groups.
type runnerCommand struct {
	stderr io.Writer
}

// runnerFlags are gaffer runner's flags.
type runnerFlags struct {
	endpoint, region, caFile, level string
	cfg                             runner.Config
}

func (c *runnerCommand) flags() (*flag.FlagSet, *runnerFlags) {
	fs := flag.NewFlagSet("gaffer runner", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	f := &runnerFlags{}
	fs.StringVar(&f.endpoint, "endpoint", "http://127.0.0.1:7710", `the server's URL ("" for AWS's own endpoints)`)
	fs.StringVar(&f.region, "region", "", "the region to sign for (default AWS_REGION, AWS_DEFAULT_REGION, else us-east-1)")
	fs.StringVar(&f.caFile, "ca-file", "", "PEM certificates to trust for an https endpoint, instead of the system's")
	fs.StringVar(&f.cfg.ActivityARN, "activity-arn", "", "Step Functions: the activity to run tasks of (with -command)")
	fs.StringVar(&f.cfg.Domain, "domain", "", "SWF: the domain (with -task-list and -command)")
	fs.StringVar(&f.cfg.TaskList, "task-list", "", "SWF: the activity task list")
	fs.StringVar(&f.cfg.WorkerGroup, "worker-group", "", "Data Pipeline: the worker group (runs ShellCommandActivity and ShellCommandPrecondition objects)")
	fs.StringVar(&f.cfg.Command, "command", "", "SFN and SWF: the shell command run for each task (sh -c), the task input on its stdin, its stdout the result")
	fs.StringVar(&f.cfg.WorkerName, "worker-name", "", "the runner's name to the service: SFN workerName, SWF identity, Data Pipeline hostname (default the host name)")
	fs.StringVar(&f.cfg.TaskRunnerID, "taskrunner-id", "", "Data Pipeline: the taskrunnerId (default a random id per process)")
	fs.IntVar(&f.cfg.Concurrency, "concurrency", 1, "tasks run at once (one poller each)")
	fs.DurationVar(&f.cfg.Heartbeat, "heartbeat", 0, "heartbeat interval of a running task (default 10s; Data Pipeline ReportTaskProgress 30s)")
	fs.DurationVar(&f.cfg.RunnerHeartbeat, "runner-heartbeat", time.Minute, "Data Pipeline: ReportTaskRunnerHeartbeat interval")
	fs.DurationVar(&f.cfg.TaskTimeout, "task-timeout", 0, "kill a command that runs longer and fail its task (Runner.Timeout); 0: no limit")
	fs.DurationVar(&f.cfg.KillGrace, "kill-grace", 10*time.Second, "time between SIGTERM and SIGKILL when a command is stopped")
	fs.DurationVar(&f.cfg.Drain, "drain", 30*time.Second, "on SIGTERM or SIGINT, how long running tasks may finish before they are killed and handed back (Runner.Interrupted)")
	fs.StringVar(&f.cfg.LogDir, "log-dir", "", "write each task's stdout and stderr to files in this directory")
	fs.StringVar(&f.cfg.ExitError, "exit-error", "", "error name of a non-zero exit (SFN error, SWF reason, Data Pipeline errorId) instead of Runner.ExitCode<N>")
	fs.StringVar(&f.level, "log-level", "info", "log level: debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprint(c.stderr, `Usage:
  gaffer runner [flags] -activity-arn ARN -command CMD          Step Functions activity tasks
  gaffer runner [flags] -domain D -task-list L -command CMD     SWF activity tasks
  gaffer runner [flags] -worker-group G                         Data Pipeline tasks

Runs each task as a shell command in a process group of its own, heartbeats while it
runs, and reports how it ended; a cancel, a timeout or a stopped execution kills it
(SIGTERM, then SIGKILL). SIGTERM or SIGINT stops polling and drains (see -drain).
Credentials come from the AWS SDK's default chain (environment, shared files, ...);
without any, requests are signed with dummy ones, which a server without --credentials
accepts.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, f
}

// Usage prints the flags.
func (c *runnerCommand) Usage() {
	fs, _ := c.flags()
	fs.Usage()
}

// Run runs the task runner until SIGTERM/SIGINT (ctx) has drained it, or
// a Data Pipeline terminate.
func (c *runnerCommand) Run(ctx context.Context, args []string) error {
	fs, f := c.flags()
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.level)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	if err := f.cfg.Validate(); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))
	awsCfg, err := c.awsConfig(ctx, f, log)
	if err != nil {
		return err
	}
	if hc, ok := awsCfg.HTTPClient.(interface{ CloseIdleConnections() }); ok {
		defer hc.CloseIdleConnections()
	}
	f.cfg.AWS = awsCfg
	f.cfg.Logger = log
	r, err := runner.New(f.cfg)
	if err != nil {
		return err
	}
	// The signal context asks for the orderly stop; the runner's own
	// context outlives it so that the drain can run.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			r.Shutdown()
		case <-done:
		}
	}()
	return r.Run(runCtx)
}

// awsConfig is the SDK configuration: the endpoint, the region, the
// default credential chain, or dummy credentials when it has none.
func (c *runnerCommand) awsConfig(ctx context.Context, f *runnerFlags, log *slog.Logger) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{}
	region := f.region
	if region == "" && os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
		region = "us-east-1"
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if f.caFile != "" {
		pem, err := os.ReadFile(f.caFile)
		if err != nil {
			return aws.Config{}, fmt.Errorf("-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return aws.Config{}, fmt.Errorf("-ca-file: %s holds no PEM certificate", f.caFile)
		}
		opts = append(opts, config.WithHTTPClient(&http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("AWS configuration: %w", err)
	}
	if f.endpoint != "" {
		cfg.BaseEndpoint = aws.String(f.endpoint)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	probe, stop := context.WithTimeout(ctx, 5*time.Second)
	defer stop()
	if _, err := cfg.Credentials.Retrieve(probe); err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return aws.Config{}, ctx.Err()
		}
		log.Info("no AWS credentials found: signing with dummy ones", "reason", err)
		cfg.Credentials = credentials.NewStaticCredentialsProvider("gaffer", "gaffer", "")
	}
	return cfg, nil
}
