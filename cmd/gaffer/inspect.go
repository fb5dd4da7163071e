package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// The inspection commands: gaffer executions and gaffer history talk to
// a server's Step Functions API with the AWS SDK (as any client would);
// gaffer queues reads its operator endpoint GET /gaffer/queues. Each prints
// a table, or JSON with -json.

// inspectFlags are the flags the inspection commands share.
type inspectFlags struct {
	endpoint, region, caFile string
	json                     bool
}

func (f *inspectFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.endpoint, "endpoint", "http://127.0.0.1:7710", "the gaffer server")
	fs.StringVar(&f.region, "region", "", "the region (default $AWS_REGION, else us-east-1)")
	fs.StringVar(&f.caFile, "ca-file", "", "PEM certificates to trust for an https endpoint, instead of the system's")
	fs.BoolVar(&f.json, "json", false, "print JSON instead of a table")
}

// sfnClient is a Step Functions client for the server, with the SDK's
// default credentials (dummy ones where there are none), as gaffer runner
// makes it.
func (f *inspectFlags) sfnClient(ctx context.Context) (*sfn.Client, error) {
	var rc runnerCommand
	cfg, err := rc.awsConfig(ctx, &runnerFlags{endpoint: f.endpoint, region: f.region, caFile: f.caFile}, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	return sfn.NewFromConfig(cfg), nil
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// executionsCommand lists Step Functions executions.
type executionsCommand struct {
	stdout, stderr io.Writer
}

type executionsFlags struct {
	inspectFlags
	status, machine string
	max             int
}

func (c *executionsCommand) flags() (*flag.FlagSet, *executionsFlags) {
	fs := flag.NewFlagSet("gaffer executions", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	f := &executionsFlags{}
	f.register(fs)
	fs.StringVar(&f.status, "status", "", "only executions with this status: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE")
	fs.StringVar(&f.machine, "state-machine", "", "only the executions of this state machine (a name or an ARN); default every state machine's")
	fs.IntVar(&f.max, "max", 100, "print at most this many executions (newest first per state machine); 0 for all")
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: gaffer executions [-status S] [-state-machine NAME] [-json] [-endpoint URL]\n\nLists Step Functions executions through the server's API (ListStateMachines, ListExecutions).\nCredentials come from the AWS SDK's default chain (environment, shared files); dummy ones where there are none.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs, f
}

// Usage prints the flags.
func (c *executionsCommand) Usage() {
	fs, _ := c.flags()
	fs.Usage()
}

// executionView is an execution as gaffer executions prints it in JSON.
type executionView struct {
	ExecutionArn    string     `json:"executionArn"`
	StateMachineArn string     `json:"stateMachineArn"`
	Name            string     `json:"name"`
	Status          string     `json:"status"`
	StartDate       time.Time  `json:"startDate"`
	StopDate        *time.Time `json:"stopDate,omitempty"`
}

// Run lists the executions.
func (c *executionsCommand) Run(ctx context.Context, args []string) error {
	fs, f := c.flags()
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	status := sfntypes.ExecutionStatus(strings.ToUpper(f.status))
	if status != "" && !valid(status, status.Values()) {
		return fmt.Errorf("-status: %q is not one of %v", f.status, status.Values())
	}
	client, err := f.sfnClient(ctx)
	if err != nil {
		return err
	}
	machines, err := c.machines(ctx, client, f.machine)
	if err != nil {
		return err
	}
	views := []executionView{}
	for _, m := range machines {
		p := sfn.NewListExecutionsPaginator(client, &sfn.ListExecutionsInput{StateMachineArn: aws.String(m), StatusFilter: status})
		for p.HasMorePages() && (f.max == 0 || len(views) < f.max) {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("ListExecutions: %w", err)
			}
			for _, e := range page.Executions {
				if f.max > 0 && len(views) == f.max {
					break
				}
				views = append(views, executionView{ExecutionArn: aws.ToString(e.ExecutionArn), StateMachineArn: aws.ToString(e.StateMachineArn),
					Name: aws.ToString(e.Name), Status: string(e.Status), StartDate: aws.ToTime(e.StartDate), StopDate: e.StopDate})
			}
		}
	}
	if f.json {
		return printJSON(c.stdout, views)
	}
	tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATE MACHINE\tEXECUTION\tSTATUS\tSTARTED\tSTOPPED\tARN")
	for _, v := range views {
		stop := "-"
		if v.StopDate != nil {
			stop = v.StopDate.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", lastPart(v.StateMachineArn), v.Name, v.Status, v.StartDate.Local().Format(time.DateTime), stop, v.ExecutionArn)
	}
	return tw.Flush()
}

// machines returns the ARNs of the state machines to list: the one named
// (an ARN as it is, a name looked up), or all.
func (c *executionsCommand) machines(ctx context.Context, client *sfn.Client, name string) ([]string, error) {
	if strings.HasPrefix(name, "arn:") {
		return []string{name}, nil
	}
	var arns []string
	p := sfn.NewListStateMachinesPaginator(client, &sfn.ListStateMachinesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListStateMachines: %w", err)
		}
		for _, m := range page.StateMachines {
			if name == "" || aws.ToString(m.Name) == name {
				arns = append(arns, aws.ToString(m.StateMachineArn))
			}
		}
	}
	if name != "" && len(arns) == 0 {
		return nil, fmt.Errorf("-state-machine: no state machine is named %q", name)
	}
	return arns, nil
}

// valid reports whether v is one of values.
func valid[T comparable](v T, values []T) bool {
	for _, x := range values {
		if x == v {
			return true
		}
	}
	return false
}

// lastPart is an ARN's last ':'-separated part.
func lastPart(arn string) string {
	return arn[strings.LastIndexByte(arn, ':')+1:]
}

// historyCommand prints an execution's history.
type historyCommand struct {
	stdout, stderr io.Writer
}

type historyFlags struct {
	inspectFlags
	reverse bool
}

func (c *historyCommand) flags() (*flag.FlagSet, *historyFlags) {
	fs := flag.NewFlagSet("gaffer history", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	f := &historyFlags{}
	f.register(fs)
	fs.BoolVar(&f.reverse, "reverse", false, "newest event first")
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: gaffer history [-json] [-reverse] [-endpoint URL] EXECUTION_ARN\n\nPrints a Step Functions execution's history through the server's API (GetExecutionHistory):\neach event's id, type, state, time and details. -json prints the events as the API returns them.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs, f
}

// Usage prints the flags.
func (c *historyCommand) Usage() {
	fs, _ := c.flags()
	fs.Usage()
}

// Run prints the history.
func (c *historyCommand) Run(ctx context.Context, args []string) error {
	fs, f := c.flags()
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("want one execution ARN, got %d arguments", fs.NArg())
	}
	arn := fs.Arg(0)
	client, err := f.sfnClient(ctx)
	if err != nil {
		return err
	}
	var events []map[string]any
	p := sfn.NewGetExecutionHistoryPaginator(client, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), ReverseOrder: f.reverse})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("GetExecutionHistory: %w", err)
		}
		for _, e := range page.Events {
			m, err := wireForm(e)
			if err != nil {
				return err
			}
			events = append(events, m)
		}
	}
	if events == nil {
		events = []map[string]any{}
	}
	if f.json {
		return printJSON(c.stdout, events)
	}
	tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tSTATE\tTIME\tDETAILS")
	for _, e := range events {
		state, details := "", ""
		for k, v := range e {
			d, ok := v.(map[string]any)
			if !ok || !strings.HasSuffix(k, "EventDetails") {
				continue
			}
			if n, ok := d["name"].(string); ok && strings.HasPrefix(k, "state") {
				state = n
				delete(d, "name")
			}
			b, _ := json.Marshal(d)
			details = string(b)
		}
		ts, _ := e["timestamp"].(string)
		if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
			ts = t.Local().Format("2006-01-02 15:04:05.000")
		}
		fmt.Fprintf(tw, "%v\t%v\t%s\t%s\t%s\n", e["id"], e["type"], state, ts, trimText(details, 100))
	}
	return tw.Flush()
}

// wireForm turns an SDK value into JSON with the API's member names
// (lower camel case) and without its unset members.
func wireForm(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	out, _ := prune(m).(map[string]any)
	return out, nil
}

// prune drops null members and the SDK's internal ones, and lower-cases
// the first letter of member names.
func prune(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if x == nil || k == "noSmithyDocumentSerde" || k == "NoSmithyDocumentSerde" {
				continue
			}
			if mm, ok := x.(map[string]any); ok && len(mm) == 0 {
				continue
			}
			r := []rune(k)
			r[0] = unicode.ToLower(r[0])
			out[string(r)] = prune(x)
		}
		return out
	case []any:
		for i := range v {
			v[i] = prune(v[i])
		}
		return v
	}
	return v
}

// trimText cuts s to n runes with an ellipsis.
func trimText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// queuesCommand lists a server's queues.
type queuesCommand struct {
	stdout, stderr io.Writer
}

func (c *queuesCommand) flags() (*flag.FlagSet, *inspectFlags) {
	fs := flag.NewFlagSet("gaffer queues", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	f := &inspectFlags{}
	f.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: gaffer queues [-json] [-endpoint URL] [-ca-file FILE]\n\nLists the server's queues (Step Functions activities, SWF task lists, Data Pipeline worker groups)\nthat hold an open task or a waiting poll: depth, tasks started, polls waiting, the oldest task's age\n(GET /gaffer/queues). With AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set, the request is signed,\nfor a server that has --credentials (action gaffer:ListQueues).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs, f
}

// Usage prints the flags.
func (c *queuesCommand) Usage() {
	fs, _ := c.flags()
	fs.Usage()
}

// queueView is a queue as GET /gaffer/queues returns it (webui.QueueSummary).
type queueView struct {
	Queue           string    `json:"queue"`
	Dialect         string    `json:"dialect"`
	Kind            string    `json:"kind,omitempty"`
	Name            string    `json:"name"`
	Scheduled       int       `json:"scheduled"`
	Started         int       `json:"started"`
	WaitingPollers  int       `json:"waitingPollers"`
	OldestScheduled time.Time `json:"oldestScheduled,omitzero"`
}

// Run lists the queues.
func (c *queuesCommand) Run(ctx context.Context, args []string) error {
	fs, f := c.flags()
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	op := operator{endpoint: f.endpoint, caFile: f.caFile}
	var queues []queueView
	if err := op.call(ctx, "GET", "/gaffer/queues", &queues); err != nil {
		return err
	}
	if f.json {
		return printJSON(c.stdout, queues)
	}
	now := time.Now()
	tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DIALECT\tKIND\tNAME\tDEPTH\tSTARTED\tPOLLERS\tOLDEST")
	for _, q := range queues {
		age := "-"
		if !q.OldestScheduled.IsZero() {
			age = now.Sub(q.OldestScheduled).Round(time.Second).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", q.Dialect, q.Kind, q.Name, q.Scheduled, q.Started, q.WaitingPollers, age)
	}
	return tw.Flush()
}
