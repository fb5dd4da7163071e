package server_test

import (
	"context"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	swftypes "github.com/aws/aws-sdk-go-v2/service/swf/types"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// scrape is one parsed GET /metrics.
type scrape map[string]*dto.MetricFamily

// scrapeMetrics gets url's /metrics (with the Authorization header auth,
// if any) and parses it as Prometheus text.
func scrapeMetrics(t *testing.T, url string) scrape {
	t.Helper()
	status, body := get(t, url+"/metrics", "")
	if status != http.StatusOK {
		t.Fatalf("GET /metrics = %d %s", status, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return families
}

// get returns the status and body of GET url, with the Authorization
// header auth if not empty.
func get(t *testing.T, url, auth string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// value returns the value of the series of family name whose labels are
// labels (name=value pairs; others may be present), and whether there is
// one. A histogram's value is its count.
func (s scrape) value(name string, labels ...string) (float64, bool) {
	f := s[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// want checks that the series of name with labels has the value want.
func (s scrape) want(t *testing.T, want float64, name string, labels ...string) {
	t.Helper()
	got, ok := s.value(name, labels...)
	if !ok {
		t.Errorf("%s%v: no such series; have %s", name, labels, s.series(name))
		return
	}
	if got != want {
		t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

// atLeast checks that the series of name with labels is at least min.
func (s scrape) atLeast(t *testing.T, min float64, name string, labels ...string) {
	t.Helper()
	got, ok := s.value(name, labels...)
	if !ok || got < min {
		t.Errorf("%s%v = %v (present %v), want at least %v", name, labels, got, ok, min)
	}
}

// series lists the label sets of family name, for failure messages.
func (s scrape) series(name string) string {
	f := s[name]
	if f == nil {
		return "nothing"
	}
	var out []string
	for _, m := range f.Metric {
		var ls []string
		for _, l := range m.Label {
			ls = append(ls, l.GetName()+"="+l.GetValue())
		}
		out = append(out, "{"+strings.Join(ls, ",")+"}")
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

const metricsMachine = `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","End":true}}}`

// TestMetrics drives the three dialects through the wire and reads what
// /metrics says of it: requests with their error codes and latencies,
// tasks by dialect, queue kind and outcome, queues, open objects, the
// store's writer, deadlines, and Go's collectors.
func TestMetrics(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{MaxPollWait: 30 * time.Second})
	env := servertest.InProcess(srv).SFN()
	ctx := t.Context()

	// Step Functions: one task completed, one failed, one timed out
	// (START_TO_CLOSE after 1 s), one left waiting in its queue, and a
	// poll left waiting on another activity.
	act := env.Activity(t)
	machine := env.Machine(t, metricsMachine, act)
	for _, result := range []string{"success", "failure"} {
		exec := env.Start(t, machine, `{}`)
		token, _ := env.MustPoll(t, act)
		var err error
		if result == "success" {
			_, err = env.Client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{}`)})
		} else {
			_, err = env.Client.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(token), Error: aws.String("E")})
		}
		servertest.OK(t, "SendTask "+result, err)
		env.WaitStatus(t, exec, map[string]sfntypes.ExecutionStatus{"success": sfntypes.ExecutionStatusSucceeded, "failure": sfntypes.ExecutionStatusFailed}[result])
	}
	timeout := env.Machine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","TimeoutSeconds":1,"End":true}}}`, act)
	timedOut := env.Start(t, timeout, `{}`)
	env.MustPoll(t, act)
	env.WaitStatus(t, timedOut, sfntypes.ExecutionStatusFailed)
	env.Start(t, machine, `{}`) // waits in act's queue: nobody polls it
	_, err := env.Client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(strings.Replace(timedOut, ":sm-", ":nosuch-", 1))})
	servertest.WantClientError(t, "DescribeExecution of nothing", err, "ExecutionDoesNotExist")
	idle := env.Activity(t)
	pollCtx, stopPoll := context.WithCancel(ctx)
	defer stopPoll()
	polled := make(chan error, 1)
	go func() {
		_, err := env.Client.GetActivityTask(pollCtx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(idle)})
		polled <- err
	}()
	servertest.WaitPolling(t, srv, "sfn:"+idle)

	// SWF: a workflow whose one decision task completes it, and one left
	// open.
	wf := servertest.SWF(srv.URL())
	dom, tl := aws.String(servertest.Uniq("dom")), &swftypes.TaskList{Name: aws.String("tl")}
	wt := &swftypes.WorkflowType{Name: aws.String("wf"), Version: aws.String("1")}
	_, err = wf.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: dom, WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
	servertest.OK(t, "RegisterDomain", err)
	_, err = wf.RegisterWorkflowType(ctx, &swf.RegisterWorkflowTypeInput{Domain: dom, Name: wt.Name, Version: wt.Version})
	servertest.OK(t, "RegisterWorkflowType", err)
	for _, id := range []string{"w1", "w2"} {
		_, err = wf.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{
			Domain: dom, WorkflowId: aws.String(id), WorkflowType: wt, TaskList: tl,
			ExecutionStartToCloseTimeout: aws.String("3600"), TaskStartToCloseTimeout: aws.String("600"), ChildPolicy: swftypes.ChildPolicyTerminate,
		})
		servertest.OK(t, "StartWorkflowExecution "+id, err)
	}
	dt, err := wf.PollForDecisionTask(ctx, &swf.PollForDecisionTaskInput{Domain: dom, TaskList: tl})
	servertest.OK(t, "PollForDecisionTask", err)
	_, err = wf.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: dt.TaskToken, Decisions: []swftypes.Decision{{
		DecisionType: swftypes.DecisionTypeCompleteWorkflowExecution,
	}}})
	servertest.OK(t, "RespondDecisionTaskCompleted", err)

	// Data Pipeline: an on-demand pipeline's task, polled and finished.
	dp := servertest.DataPipeline(srv.URL())
	wg := servertest.Uniq("wg")
	dpcActivate(t, ctx, dp, wg)
	task, err := dp.PollForTask(ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String(wg)})
	servertest.OK(t, "PollForTask", err)
	if task.TaskObject == nil {
		t.Fatal("PollForTask: no task")
	}
	_, err = dp.SetTaskStatus(ctx, &datapipeline.SetTaskStatusInput{TaskId: task.TaskObject.TaskId, TaskStatus: "FINISHED"})
	servertest.OK(t, "SetTaskStatus", err)

	// The deadline firer counts a batch once its Update returned: after
	// the commit that Await wakes on, at worst at its timeout.
	servertest.Await(srv, 5*time.Second, func() bool { return srv.Engine().Counters().DeadlinesFired >= 1 })
	m := scrapeMetrics(t, srv.URL())
	stopPoll()
	<-polled

	// Requests, by service (signing name), operation and code.
	m.want(t, 4, "gaffer_requests_total", "service", "states", "operation", "StartExecution", "code", "")
	m.want(t, 1, "gaffer_requests_total", "service", "states", "operation", "DescribeExecution", "code", "ExecutionDoesNotExist")
	m.want(t, 1, "gaffer_requests_total", "service", "swf", "operation", "RespondDecisionTaskCompleted", "code", "")
	m.want(t, 1, "gaffer_requests_total", "service", "datapipeline", "operation", "SetTaskStatus", "code", "")
	m.want(t, 4, "gaffer_request_duration_seconds", "service", "states", "operation", "StartExecution")

	// Tasks, by dialect, queue kind and outcome.
	sfnAct := []string{"dialect", "sfn", "queue_kind", "activity"}
	m.want(t, 4, "gaffer_tasks_scheduled_total", sfnAct...)
	m.want(t, 3, "gaffer_tasks_started_total", sfnAct...)
	m.want(t, 3, "gaffer_task_schedule_to_start_seconds", sfnAct...)
	for outcome, n := range map[string]float64{"completed": 1, "failed": 1, "timed_out": 1, "canceled": 0} {
		m.want(t, n, "gaffer_tasks_closed_total", append(sfnAct, "outcome", outcome)...)
	}
	m.want(t, 1, "gaffer_task_timeouts_total", append(sfnAct, "timeout", "START_TO_CLOSE")...)
	swfDec := []string{"dialect", "swf", "queue_kind", "decision"}
	m.want(t, 2, "gaffer_tasks_scheduled_total", swfDec...)
	m.want(t, 1, "gaffer_tasks_started_total", swfDec...)
	m.want(t, 1, "gaffer_tasks_closed_total", append(swfDec, "outcome", "completed")...)
	dpTask := []string{"dialect", "pipeline", "queue_kind", "task"}
	m.want(t, 1, "gaffer_tasks_scheduled_total", dpTask...)
	m.want(t, 1, "gaffer_tasks_started_total", dpTask...)
	m.want(t, 1, "gaffer_tasks_closed_total", append(dpTask, "outcome", "completed")...)

	// Queues and what waits in them: the last execution's task, the
	// second workflow's decision task, the idle activity's poll.
	m.want(t, 1, "gaffer_queue_tasks", sfnAct...)
	m.want(t, 1, "gaffer_queue_tasks", swfDec...)
	m.want(t, 1, "gaffer_queue_pollers", sfnAct...)
	m.want(t, 2, "gaffer_queues", sfnAct...)
	m.want(t, 0, "gaffer_tasks_in_progress")

	// Open objects: the execution waiting for a worker, the second
	// workflow; the pipeline's run is over.
	m.want(t, 1, "gaffer_open_objects", "kind", "sfn.execution", "status", "RUNNING")
	m.want(t, 1, "gaffer_open_objects", "kind", "swf.execution", "status", "OPEN")
	m.want(t, 0, "gaffer_open_objects", "kind", "pipeline.instance", "status", "RUNNING")

	// The store's writer and the deadlines.
	m.atLeast(t, 1, "gaffer_store_transactions_total")
	m.atLeast(t, 1, "gaffer_store_updates_total")
	m.atLeast(t, 1, "gaffer_store_update_seconds")
	m.want(t, 0, "gaffer_store_queue_length")
	m.want(t, 8192, "gaffer_store_queue_capacity")
	m.want(t, 0, "gaffer_store_overloaded_total")
	m.atLeast(t, 1, "gaffer_deadlines_fired_total")
	m.atLeast(t, 1, "gaffer_deadline_batches_total")
	m.atLeast(t, 1, "gaffer_deadlines_armed") // the open workflows' timeouts
	if _, ok := m.value("gaffer_deadlines_overdue_seconds"); !ok {
		t.Error("no gaffer_deadlines_overdue_seconds")
	}
	m.atLeast(t, 1, "go_goroutines")
	m.atLeast(t, 1, "process_resident_memory_bytes")

	// No label holds a name clients chose: no activity, task list, worker
	// group or execution appears.
	for name, f := range m {
		for _, s := range f.Metric {
			for _, l := range s.Label {
				if v := l.GetValue(); strings.Contains(v, "act-") || strings.Contains(v, "arn:") || strings.Contains(v, *dom) || strings.Contains(v, wg) {
					t.Errorf("%s has a label naming a client's resource: %s=%s", name, l.GetName(), v)
				}
			}
		}
	}
}

// GET /healthz answers while the process runs; GET /readyz checks the
// store: 200 while it reads and commits, 503 with the reason when its
// writer is stuck or it is closed.
func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{ReadyTimeout: 200 * time.Millisecond})
	if status, body := get(t, srv.URL()+"/healthz", ""); status != 200 || body != "ok\n" {
		t.Errorf("GET /healthz = %d %q, want 200 ok", status, body)
	}
	if status, body := get(t, srv.URL()+"/readyz", ""); status != 200 || body != "ok\n" {
		t.Errorf("GET /readyz = %d %q, want 200 ok", status, body)
	}

	// A write that holds the writer: the readiness check's own write
	// cannot commit within its timeout.
	running, release := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- srv.Store().Update(context.WithoutCancel(t.Context()), func(store.Tx) error {
			close(running)
			<-release
			return nil
		})
	}()
	<-running
	status, body := get(t, srv.URL()+"/readyz", "")
	close(release)
	if err := <-held; err != nil {
		t.Fatalf("the holding write: %v", err)
	}
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "store writer did not commit within 200ms") {
		t.Errorf("GET /readyz with the writer held = %d %q, want 503 naming the writer", status, body)
	}
	if status, body := get(t, srv.URL()+"/readyz", ""); status != 200 {
		t.Errorf("GET /readyz once the writer is free = %d %q, want 200", status, body)
	}
	if status, _ := get(t, srv.URL()+"/healthz", ""); status != 200 {
		t.Errorf("GET /healthz = %d, want 200", status)
	}

	// The store closed under the node.
	if err := srv.Store().Close(); err != nil {
		t.Fatal(err)
	}
	status, body = get(t, srv.URL()+"/readyz", "")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "store read: "+store.ErrClosed.Error()) {
		t.Errorf("GET /readyz with the store closed = %d %q, want 503 store closed", status, body)
	}
	if status, _ := get(t, srv.URL()+"/healthz", ""); status != 200 {
		t.Errorf("GET /healthz with the store closed = %d, want 200 (alive)", status)
	}
}

// With credentials, /metrics is an operator endpoint (gaffer:GetMetrics on
// "*"), unless OpenMetrics; /healthz and /readyz stay open.
func TestMetricsAuthenticated(t *testing.T) {
	t.Parallel()
	ids := servertest.Identities(t, map[string]string{
		"AKIDTEST": servertest.AllowAll,
		"SCRAPER":  `{"Statement": [{"Effect": "Allow", "Action": "gaffer:GetMetrics", "Resource": "*"}]}`,
		"RUNNERS":  `{"Statement": [{"Effect": "Allow", "Action": "gaffer:ListRunners", "Resource": "*"}]}`,
	})
	srv := servertest.Start(t, servertest.Options{Authenticate: ids.Authenticate})
	open := servertest.Start(t, servertest.Options{Authenticate: ids.Authenticate, OpenMetrics: true})
	as := func(key string) string {
		return "AWS4-HMAC-SHA256 Credential=" + key + "/20261207/us-east-1/gaffer/aws4_request, SignedHeaders=host;x-amz-date, Signature=0"
	}
	for _, tt := range []struct {
		url, path, auth string
		status          int
		has             string
	}{
		{srv.URL(), "/metrics", "", 403, "MissingAuthenticationToken"},
		{srv.URL(), "/metrics", as("NOBODY"), 403, "UnrecognizedClientException"},
		{srv.URL(), "/metrics", as("RUNNERS"), 403, "not authorized to perform: gaffer:GetMetrics on resource: *"},
		{srv.URL(), "/metrics", as("SCRAPER"), 200, "gaffer_store_queue_capacity"},
		{srv.URL(), "/healthz", "", 200, "ok"},
		{srv.URL(), "/readyz", "", 200, "ok"},
		{open.URL(), "/metrics", "", 200, "gaffer_store_queue_capacity"},
	} {
		status, body := get(t, tt.url+tt.path, tt.auth)
		if status != tt.status || !strings.Contains(body, tt.has) {
			t.Errorf("GET %s (auth %q) = %d %.200q, want %d with %q", tt.path, tt.auth, status, body, tt.status, tt.has)
		}
	}
}

// NoMetrics serves no /metrics (the wire layer answers the path).
func TestNoMetrics(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{NoMetrics: true})
	if status, body := get(t, srv.URL()+"/metrics", ""); status == 200 {
		t.Errorf("GET /metrics with NoMetrics = %d %.100q, want an error", status, body)
	}
	if status, _ := get(t, srv.URL()+"/readyz", ""); status != 200 {
		t.Errorf("GET /readyz with NoMetrics = %d, want 200", status)
	}
}

// The series the engine reports from inside: a poll handed a task after
// waiting, a heartbeat flushed, and a task's timeout and a Wait state's
// timer fired, each with how late.
func TestEngineMetrics(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{MaxPollWait: 30 * time.Second})
	env := servertest.InProcess(srv).SFN()
	eng := srv.Engine()
	ctx := t.Context()
	sfnAct := []string{"dialect", "sfn", "queue_kind", "activity"}

	before := scrapeMetrics(t, srv.URL())
	before.want(t, 0, "gaffer_poll_handoff_seconds", sfnAct...)
	before.want(t, 0, "gaffer_heartbeat_flush_beats")
	before.want(t, 0, "gaffer_heartbeat_flush_lag_seconds")
	before.want(t, 0, "gaffer_deadline_lateness_seconds", "kind", "task_timeout")
	before.want(t, 0, "gaffer_deadline_lateness_seconds", "kind", "timer")

	// A Wait state's timer, due in a second.
	wait := env.Machine(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"End":true}}}`, "")
	waited := env.Start(t, wait, `{}`)

	// A poll that waits, then is handed the task of an execution started
	// meanwhile; the worker beats once and lets the task time out.
	act := env.Activity(t)
	// (A heartbeat timeout makes the beat one to persist; it fires first.)
	machine := env.Machine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","TimeoutSeconds":2,"HeartbeatSeconds":1,"End":true}}}`, act)
	polled := make(chan *sfn.GetActivityTaskOutput, 1)
	pollErr := make(chan error, 1)
	go func() {
		out, err := env.Client.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(act)})
		pollErr <- err
		polled <- out
	}()
	servertest.WaitPolling(t, srv, "sfn:"+act)
	exec := env.Start(t, machine, `{}`)
	servertest.OK(t, "GetActivityTask", <-pollErr)
	task := <-polled
	if task.TaskToken == nil {
		t.Fatal("GetActivityTask: no task")
	}
	_, err := env.Client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: task.TaskToken})
	servertest.OK(t, "SendTaskHeartbeat", err)
	flushes := func() float64 {
		v, _ := scrapeMetrics(t, srv.URL()).value("gaffer_heartbeat_flush_beats")
		return v
	}
	if !eng.HeartbeatFlushes().Until(10*time.Second, func() bool { return flushes() >= 1 }) {
		t.Fatal("no heartbeat flush observed within 10s")
	}
	env.WaitStatus(t, exec, sfntypes.ExecutionStatusFailed)
	env.WaitStatus(t, waited, sfntypes.ExecutionStatusSucceeded)

	late := func(kind string) float64 {
		v, _ := scrapeMetrics(t, srv.URL()).value("gaffer_deadline_lateness_seconds", "kind", kind)
		return v
	}
	if !eng.DeadlineWork().Until(10*time.Second, func() bool { return late("task_timeout") >= 1 && late("timer") >= 1 }) {
		t.Fatalf("deadlines fired not observed within 10s: task_timeout %v, timer %v", late("task_timeout"), late("timer"))
	}

	m := scrapeMetrics(t, srv.URL())
	m.want(t, 1, "gaffer_poll_handoff_seconds", sfnAct...)
	m.want(t, 0, "gaffer_poll_handoff_seconds", "dialect", "swf", "queue_kind", "activity")
	m.atLeast(t, 1, "gaffer_heartbeat_flush_beats")
	m.atLeast(t, 1, "gaffer_heartbeat_flush_lag_seconds")
	for _, kind := range []string{"task_timeout", "timer"} {
		m.atLeast(t, 1, "gaffer_deadline_lateness_seconds", "kind", kind)
		// Fired at or after due, and by a test's measure not minutes late.
		if s := m.histogram("gaffer_deadline_lateness_seconds", "kind", kind); s == nil || s.GetSampleSum() < 0 || s.GetSampleSum() > 60*float64(s.GetSampleCount()) {
			t.Errorf("gaffer_deadline_lateness_seconds{kind=%s} = %v", kind, s)
		}
	}
	if s := m.histogram("gaffer_poll_handoff_seconds", sfnAct...); s == nil || s.GetSampleSum() <= 0 {
		t.Errorf("gaffer_poll_handoff_seconds{sfn,activity}: sum %v, want the time the poll waited (> 0)", s)
	}
}

// histogram returns the histogram of family name whose labels are labels
// (name=value pairs), or nil.
func (s scrape) histogram(name string, labels ...string) *dto.Histogram {
	f := s[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		return m.Histogram
	}
	return nil
}
