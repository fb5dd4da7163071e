package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// runnersCommand lists the Data Pipeline task runners a server knows, and
// asks one to stop.
type runnersCommand struct {
	stdout, stderr io.Writer
}

// runnersFlags are gaffer runners' flags.
type runnersFlags struct {
	endpoint, terminate, caFile string
}

func (c *runnersCommand) flags() (*flag.FlagSet, *runnersFlags) {
	fs := flag.NewFlagSet("gaffer runners", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	f := &runnersFlags{}
	fs.StringVar(&f.endpoint, "endpoint", "http://127.0.0.1:7710", "the gaffer server")
	fs.StringVar(&f.terminate, "terminate", "", "ask the task runner with this taskrunnerId to stop: its next ReportTaskRunnerHeartbeat answers terminate: true")
	fs.StringVar(&f.caFile, "ca-file", "", "PEM certificates to trust for an https endpoint, instead of the system's (the server's --tls-cert if self-signed)")
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: gaffer runners [-endpoint URL] [-ca-file FILE] [-terminate ID]\n\nLists the Data Pipeline task runners that have reported a heartbeat, or asks one to stop.\nWith AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set, requests are signed (SigV4, service gaffer,\nregion AWS_REGION, AWS_DEFAULT_REGION or us-east-1), for a server that has --credentials.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs, f
}

// Usage prints the flags.
func (c *runnersCommand) Usage() {
	fs, _ := c.flags()
	fs.Usage()
}

// runnerView is a runner as the server's operator endpoint returns it.
type runnerView struct {
	ID          string    `json:"taskrunnerId"`
	WorkerGroup string    `json:"workerGroup"`
	Hostname    string    `json:"hostname"`
	LastSeen    time.Time `json:"lastSeen"`
	Terminate   bool      `json:"terminate"`
}

// Run lists the runners, or terminates one.
func (c *runnersCommand) Run(ctx context.Context, args []string) error {
	fs, f := c.flags()
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	op := operator{endpoint: f.endpoint, caFile: f.caFile}
	if f.terminate != "" {
		path := "/gaffer/runners/" + url.PathEscape(f.terminate) + "/terminate"
		if err := op.call(ctx, http.MethodPost, path, nil); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "asked task runner %s to stop; it will be told at its next heartbeat\n", f.terminate)
		return nil
	}
	var runners []runnerView
	if err := op.call(ctx, http.MethodGet, "/gaffer/runners", &runners); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TASKRUNNER\tWORKER GROUP\tHOSTNAME\tLAST SEEN\tTERMINATE")
	for _, r := range runners {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\n", r.ID, r.WorkerGroup, r.Hostname, r.LastSeen.Format(time.RFC3339), r.Terminate)
	}
	return tw.Flush()
}

// operator calls a server's operator endpoints (/gaffer/...).
type operator struct {
	endpoint string
	caFile   string // PEM certificates to trust instead of the system's, or ""
}

// call sends method path to the server, signed when the environment holds
// AWS credentials (signOperator), and decodes a 200 answer's JSON into out
// (if not nil); any other status is returned as an error with the
// server's message.
func (o operator) call(ctx context.Context, method, path string, out any) error {
	client := http.DefaultClient
	if o.caFile != "" {
		pem, err := os.ReadFile(o.caFile)
		if err != nil {
			return fmt.Errorf("-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("-ca-file: %s holds no PEM certificate", o.caFile)
		}
		client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	}
	req, err := http.NewRequestWithContext(ctx, method, o.endpoint+path, nil)
	if err != nil {
		return fmt.Errorf("-endpoint: %w", err)
	}
	if err := signOperator(ctx, req, os.Getenv); err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		if e.Type != "" {
			return fmt.Errorf("%s %s: %s: %s: %s", method, path, resp.Status, e.Type, e.Message)
		}
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, e.Message)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
	}
	return nil
}

// emptySHA256 is the hex SHA-256 of an empty body, what operator requests
// send.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// signOperator signs req with AWS Signature Version 4 (service "gaffer",
// the region of AWS_REGION or AWS_DEFAULT_REGION, else us-east-1) when
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN, if
// any) are set in the environment getenv reads, so that a node serving
// with --credentials accepts it; without them req goes unsigned.
func signOperator(ctx context.Context, req *http.Request, getenv func(string) string) error {
	creds := aws.Credentials{
		AccessKeyID:     getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    getenv("AWS_SESSION_TOKEN"),
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return nil
	}
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		region = "us-east-1"
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, emptySHA256, "gaffer", region, time.Now()); err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	return nil
}
