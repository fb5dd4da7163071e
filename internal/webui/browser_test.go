package webui_test

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	swftypes "github.com/aws/aws-sdk-go-v2/service/swf/types"
	"github.com/chromedp/chromedp"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// screenshots, if set, is a directory the browser test writes PNGs of the
// main pages into (docs/screenshots: go test ./internal/webui -run
// TestBrowser -screenshots ../../docs/screenshots).
var screenshots = flag.String("screenshots", "", "write screenshots of the main pages into this directory")

// chromiumPath is where Debian's chromium package puts the browser
// (scripts/test-deps installs it).
const chromiumPath = "/usr/bin/chromium"

// demoDefinition has every kind of edge and group the graph draws: a
// Choice with a default, a Task with a Catch, a Parallel whose second
// branch holds a Map, a Succeed and a Fail.
const demoDefinition = `{
  "Comment": "web UI test machine",
  "StartAt": "Validate",
  "States": {
    "Validate": {"Type": "Pass", "Next": "Route"},
    "Route": {"Type": "Choice", "Choices": [
        {"Variable": "$.kind", "StringEquals": "fan", "Next": "Fan"},
        {"Variable": "$.kind", "StringEquals": "bad", "Next": "Reject"}],
      "Default": "Work"},
    "Work": {"Type": "Task", "Resource": "$ACT", "HeartbeatSeconds": 600, "TimeoutSeconds": 3600,
      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover", "ResultPath": "$.error"}], "Next": "Done"},
    "Recover": {"Type": "Pass", "Next": "Done"},
    "Fan": {"Type": "Parallel", "Next": "Done", "Branches": [
      {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": true}}},
      {"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemsPath": "$.items", "End": true,
        "Iterator": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": true}}}}}}]},
    "Reject": {"Type": "Fail", "Error": "Rejected", "Cause": "bad input"},
    "Done": {"Type": "Succeed"}
  }
}`

// fixture is a server with data in every state the pages show.
type fixture struct {
	env     servertest.Env
	sfn     *servertest.SFNEnv
	swf     *swf.Client
	dp      *datapipeline.Client
	act     string
	machine string
	// Executions: running (its task held by worker-1), caught (its task
	// failed, the Catch went on), fanned (Parallel and Map), failed (a
	// Fail state), and one more running for the Stop button.
	running, caught, fanned, failed, toStop string
	domain, workflowID, runID               string
	pipelineID                              string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := servertest.Start(t, servertest.Options{})
	env := servertest.InProcess(srv)
	f := &fixture{env: env, sfn: env.SFN(), swf: servertest.SWF(env.URL), dp: servertest.DataPipeline(env.URL)}
	ctx := env.Ctx
	s := f.sfn

	f.act = s.Activity(t)
	f.machine = s.Machine(t, demoDefinition, f.act)
	f.caught = s.Start(t, f.machine, `{"kind":"work","n":1}`)
	tok, _ := s.MustPoll(t, f.act)
	_, err := s.Client.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(tok), Error: aws.String("Boom"), Cause: aws.String("the worker failed")})
	servertest.OK(t, "SendTaskFailure", err)
	s.WaitStatus(t, f.caught, sfntypes.ExecutionStatusSucceeded)
	f.fanned = s.Start(t, f.machine, `{"kind":"fan","items":[1,2,3]}`)
	s.WaitStatus(t, f.fanned, sfntypes.ExecutionStatusSucceeded)
	f.failed = s.Start(t, f.machine, `{"kind":"bad"}`)
	s.WaitStatus(t, f.failed, sfntypes.ExecutionStatusFailed)
	f.running = s.Start(t, f.machine, `{"kind":"work","n":2}`)
	s.MustPoll(t, f.act) // held by worker-1
	f.toStop = s.Start(t, f.machine, `{"kind":"work","n":3}`)

	// SWF: an open execution with a pending activity and timer, and a
	// closed one.
	f.domain = servertest.Uniq("dom")
	_, err = f.swf.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String(f.domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1"), Description: aws.String("web UI test")})
	servertest.OK(t, "RegisterDomain", err)
	wt := &swftypes.WorkflowType{Name: aws.String("order"), Version: aws.String("1")}
	_, err = f.swf.RegisterWorkflowType(ctx, &swf.RegisterWorkflowTypeInput{Domain: aws.String(f.domain), Name: wt.Name, Version: wt.Version,
		DefaultTaskList: &swftypes.TaskList{Name: aws.String("deciders")}, DefaultChildPolicy: swftypes.ChildPolicyTerminate,
		DefaultExecutionStartToCloseTimeout: aws.String("3600"), DefaultTaskStartToCloseTimeout: aws.String("60")})
	servertest.OK(t, "RegisterWorkflowType", err)
	_, err = f.swf.RegisterActivityType(ctx, &swf.RegisterActivityTypeInput{Domain: aws.String(f.domain), Name: aws.String("ship"), Version: aws.String("1"),
		DefaultTaskList: &swftypes.TaskList{Name: aws.String("shippers")}, DefaultTaskHeartbeatTimeout: aws.String("NONE"),
		DefaultTaskScheduleToCloseTimeout: aws.String("NONE"), DefaultTaskScheduleToStartTimeout: aws.String("NONE"), DefaultTaskStartToCloseTimeout: aws.String("600")})
	servertest.OK(t, "RegisterActivityType", err)
	f.workflowID = "order-42"
	run, err := f.swf.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{Domain: aws.String(f.domain), WorkflowId: aws.String(f.workflowID), WorkflowType: wt, TagList: []string{"blue"}})
	servertest.OK(t, "StartWorkflowExecution", err)
	f.runID = aws.ToString(run.RunId)
	var dt *swf.PollForDecisionTaskOutput
	env.Wait.Await(10*time.Second, func() bool {
		dt, err = f.swf.PollForDecisionTask(ctx, &swf.PollForDecisionTaskInput{Domain: aws.String(f.domain), TaskList: &swftypes.TaskList{Name: aws.String("deciders")}, Identity: aws.String("decider-1")})
		servertest.OK(t, "PollForDecisionTask", err)
		return aws.ToString(dt.TaskToken) != ""
	})
	_, err = f.swf.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: dt.TaskToken, Decisions: []swftypes.Decision{
		{DecisionType: swftypes.DecisionTypeScheduleActivityTask, ScheduleActivityTaskDecisionAttributes: &swftypes.ScheduleActivityTaskDecisionAttributes{
			ActivityId: aws.String("ship-1"), ActivityType: &swftypes.ActivityType{Name: aws.String("ship"), Version: aws.String("1")}}},
		{DecisionType: swftypes.DecisionTypeStartTimer, StartTimerDecisionAttributes: &swftypes.StartTimerDecisionAttributes{TimerId: aws.String("reminder"), StartToFireTimeout: aws.String("3600")}},
	}})
	servertest.OK(t, "RespondDecisionTaskCompleted", err)
	closed, err := f.swf.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{Domain: aws.String(f.domain), WorkflowId: aws.String("order-41"), WorkflowType: wt})
	servertest.OK(t, "StartWorkflowExecution", err)
	_, err = f.swf.TerminateWorkflowExecution(ctx, &swf.TerminateWorkflowExecutionInput{Domain: aws.String(f.domain), WorkflowId: aws.String("order-41"), RunId: closed.RunId, Reason: aws.String("test")})
	servertest.OK(t, "TerminateWorkflowExecution", err)

	// Data Pipeline: an active pipeline, a runner that reported in and
	// holds an attempt.
	pe := env.DataPipeline()
	f.pipelineID = pe.Create(t, "hello")
	pe.Put(t, f.pipelineID, servertest.HelloPipeline())
	_, err = f.dp.ActivatePipeline(ctx, &datapipeline.ActivatePipelineInput{PipelineId: aws.String(f.pipelineID)})
	servertest.OK(t, "ActivatePipeline", err)
	_, err = f.dp.ReportTaskRunnerHeartbeat(ctx, &datapipeline.ReportTaskRunnerHeartbeatInput{TaskrunnerId: aws.String("runner-1"), WorkerGroup: aws.String("MyWorkerGroup"), Hostname: aws.String("host-1")})
	servertest.OK(t, "ReportTaskRunnerHeartbeat", err)
	env.Wait.Await(10*time.Second, func() bool {
		out, err := f.dp.PollForTask(ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String("MyWorkerGroup"), Hostname: aws.String("host-1")})
		servertest.OK(t, "PollForTask", err)
		return out.TaskObject != nil
	})
	return f
}

// browser is a headless Chromium driven by chromedp, with the page's
// console errors, warnings and uncaught exceptions collected.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser tests need Chromium at %s: install Debian's chromium package (apt-get install chromium), or run scripts/test-deps", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	b := &browser{ctx: ctx}
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type != chromedp.ConsoleError && m.Type != chromedp.ConsoleWarning && !m.IsException() {
				continue
			}
			b.mu.Lock()
			b.errors = append(b.errors, m.String()+" "+m.URL)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		<-done
	})
	return b
}

// run runs actions, failing the test with what on error.
func (b *browser) run(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs an action that returns a value.
func get[T any](t *testing.T, b *browser, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// consoleErrors returns and clears the errors collected.
func (b *browser) consoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.errors
	b.errors = nil
	return e
}

// text returns the text of the first element matching sel.
func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	return get(t, b, "text of "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// attr returns an attribute of the first element matching sel.
func (b *browser) attr(t *testing.T, sel, name string) string {
	t.Helper()
	return get(t, b, "attribute "+name+" of "+sel, chromedp.AttributeValue(chromedp.CSS(sel), name)).Value
}

// count returns how many elements match sel.
func (b *browser) count(t *testing.T, sel string) int {
	t.Helper()
	return get(t, b, "count "+sel, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
}

// location returns the page's URL.
func (b *browser) location(t *testing.T) *url.URL {
	t.Helper()
	loc := get(t, b, "location", chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("location %q: %v", loc, err)
	}
	return u
}

// shot saves a screenshot of the page as name.png when -screenshots is set.
func (b *browser) shot(t *testing.T, name string) {
	t.Helper()
	if *screenshots == "" {
		return
	}
	png := get(t, b, "screenshot", chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(*screenshots, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowser loads every page in a headless Chromium against a server
// holding data in every state, clicks through an execution to a state and
// its history, stops an execution, terminates an SWF execution and a task
// runner from the pages, and checks that no page logs an error.
func TestBrowser(t *testing.T) {
	f := newFixture(t)
	b := newBrowser(t)
	base := f.env.URL + "/ui/"
	contains := func(t *testing.T, sel, want string) {
		t.Helper()
		if got := b.text(t, sel); !strings.Contains(got, want) {
			t.Errorf("%s: %q does not contain %q", sel, got, want)
		}
	}
	noErrors := func(t *testing.T, page string) {
		t.Helper()
		if errs := b.consoleErrors(); len(errs) > 0 {
			t.Errorf("%s: console errors:\n%s", page, strings.Join(errs, "\n"))
		}
	}

	// Home, then Step Functions: the state machine, its executions by
	// status.
	b.run(t, "home", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS("ul.cards")))
	noErrors(t, "home")
	b.run(t, "state machines", chromedp.Click(chromedp.CSS(`a[href="/ui/sfn/"]`)), chromedp.WaitVisible(chromedp.CSS("#machines")))
	machineName := f.machine[strings.LastIndex(f.machine, ":")+1:]
	contains(t, "#machines", machineName)
	contains(t, "#activities", f.act[strings.LastIndex(f.act, ":")+1:])
	noErrors(t, "state machines")
	b.run(t, "executions", chromedp.Click(chromedp.CSS(`#machines tbody td a`)), chromedp.WaitVisible(chromedp.CSS("#executions")))
	if rows := b.count(t, "#executions tbody tr"); rows != 5 {
		t.Errorf("executions listed: %d rows, want 5", rows)
	}
	b.run(t, "filter FAILED", chromedp.SetValue(chromedp.CSS("#status"), "FAILED"), chromedp.Submit(chromedp.CSS("#status")),
		chromedp.WaitVisible(chromedp.CSS(`#executions`)))
	if got := b.location(t).Query().Get("status"); got != "FAILED" {
		t.Errorf("filtered URL status = %q, want FAILED (shareable link)", got)
	}
	if rows := b.count(t, "#executions tbody tr"); rows != 1 {
		t.Errorf("FAILED executions listed: %d rows, want 1", rows)
	}
	contains(t, "#executions", "FAILED")
	b.shot(t, "executions")
	noErrors(t, "executions")

	// The caught execution: its graph colours each state, a click on a
	// state shows its input and output and only its events.
	b.run(t, "caught execution", chromedp.Navigate(base+"sfn/execution?"+url.Values{"arn": {f.caught}}.Encode()), chromedp.WaitVisible(chromedp.CSS("svg.graph")))
	for state, want := range map[string]string{"Validate": "succeeded", "Route": "succeeded", "Work": "caught", "Recover": "succeeded", "Done": "succeeded", "Fan": "notreached", "Reject": "notreached", "Item": "notreached"} {
		if got := b.attr(t, fmt.Sprintf(`svg.graph g[data-state=%q]`, state), "data-status"); got != want {
			t.Errorf("caught execution: state %s drawn %q, want %q", state, got, want)
		}
	}
	b.shot(t, "execution")
	b.run(t, "click state Work", chromedp.Click(chromedp.CSS(`svg.graph g[data-state="Work"] rect`)), chromedp.WaitVisible(chromedp.CSS("#state-detail")))
	if got := b.location(t).Query().Get("state"); got != "Work" {
		t.Errorf("after clicking Work: ?state=%q", got)
	}
	contains(t, "#state-detail", `"kind": "work"`)
	contains(t, "#events", "ActivityFailed")
	states := get(t, b, "history states", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#events tbody tr td:nth-child(3)")).map(td => td.textContent)`))
	for _, s := range states {
		if s != "Work" {
			t.Errorf("history of Work lists an event of %q", s)
		}
	}
	b.run(t, "all history", chromedp.Click(chromedp.CSS(`#history a.small`)), chromedp.WaitVisible(chromedp.CSS("#events")))
	contains(t, "#events", "ExecutionSucceeded")
	if b.count(t, "time.local") == 0 {
		t.Error("no <time> shown in the viewer's time zone")
	}
	noErrors(t, "execution")

	// The fanned execution draws Parallel branches and the Map's iterator.
	b.run(t, "fanned execution", chromedp.Navigate(base+"sfn/execution?"+url.Values{"arn": {f.fanned}}.Encode()), chromedp.WaitVisible(chromedp.CSS("svg.graph")))
	for state, want := range map[string]string{"Fan": "succeeded", "Left": "succeeded", "Each": "succeeded", "Item": "succeeded", "Work": "notreached"} {
		if got := b.attr(t, fmt.Sprintf(`svg.graph g[data-state=%q]`, state), "data-status"); got != want {
			t.Errorf("fanned execution: state %s drawn %q, want %q", state, got, want)
		}
	}
	b.run(t, "failed execution", chromedp.Navigate(base+"sfn/execution?"+url.Values{"arn": {f.failed}}.Encode()), chromedp.WaitVisible(chromedp.CSS("svg.graph")))
	if got := b.attr(t, `svg.graph g[data-state="Reject"]`, "data-status"); got != "failed" {
		t.Errorf("failed execution: Reject drawn %q, want failed", got)
	}
	b.run(t, "running execution", chromedp.Navigate(base+"sfn/execution?"+url.Values{"arn": {f.running}}.Encode()), chromedp.WaitVisible(chromedp.CSS("svg.graph")))
	if got := b.attr(t, `svg.graph g[data-state="Work"]`, "data-status"); got != "running" {
		t.Errorf("running execution: Work drawn %q, want running", got)
	}
	noErrors(t, "executions' graphs")

	// Stop an execution from its page.
	b.run(t, "execution to stop", chromedp.Navigate(base+"sfn/execution?"+url.Values{"arn": {f.toStop}}.Encode()), chromedp.WaitVisible(chromedp.CSS("#stop")))
	b.run(t, "stop", chromedp.Click(chromedp.CSS("#stop")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	contains(t, "#exec-status", "ABORTED")
	out, err := f.sfn.Client.DescribeExecution(f.env.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(f.toStop)})
	servertest.OK(t, "DescribeExecution", err)
	if out.Status != sfntypes.ExecutionStatusAborted {
		t.Errorf("after Stop in the UI: status %s, want ABORTED", out.Status)
	}
	noErrors(t, "stop")

	// Queues: the activity's queue holds the running execution's task,
	// started by worker-1.
	b.run(t, "queues", chromedp.Navigate(base+"queues"), chromedp.WaitVisible(chromedp.CSS("#queues")))
	contains(t, "#queues", f.act)
	contains(t, "#queues", "MyWorkerGroup")
	b.shot(t, "queues")
	b.run(t, "queue", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#queues a[href*=%q]`, url.QueryEscape(f.act)))), chromedp.WaitVisible(chromedp.CSS("#tasks")))
	contains(t, "#tasks", "worker-1")
	contains(t, "#tasks", "heartbeat")
	noErrors(t, "queues")

	// SWF: the domain, its open execution's pending work, Terminate.
	b.run(t, "domains", chromedp.Navigate(base+"swf/"), chromedp.WaitVisible(chromedp.CSS("#domains")))
	contains(t, "#domains", f.domain)
	b.run(t, "open executions", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#domains a[href$=%q]`, "domain="+url.QueryEscape(f.domain)))), chromedp.WaitVisible(chromedp.CSS("#swf-executions")))
	contains(t, "#swf-executions", f.workflowID)
	b.run(t, "closed executions", chromedp.Click(chromedp.CSS(`.tabs a:nth-child(2)`)), chromedp.WaitVisible(chromedp.CSS("#swf-executions")))
	contains(t, "#swf-executions", "order-41")
	contains(t, "#swf-executions", "TERMINATED")
	b.run(t, "swf execution", chromedp.Navigate(base+"swf/execution?"+url.Values{"domain": {f.domain}, "workflowId": {f.workflowID}, "runId": {f.runID}}.Encode()), chromedp.WaitVisible(chromedp.CSS("#pending-activities")))
	contains(t, "#pending-activities", "ship-1")
	contains(t, "#pending-timers", "reminder")
	contains(t, "#events", "DecisionTaskCompleted")
	b.shot(t, "swf-execution")
	b.run(t, "terminate", chromedp.Click(chromedp.CSS("#terminate")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	contains(t, "#swf-status", "CLOSED")
	desc, err := f.swf.DescribeWorkflowExecution(f.env.Ctx, &swf.DescribeWorkflowExecutionInput{Domain: aws.String(f.domain), Execution: &swftypes.WorkflowExecution{WorkflowId: aws.String(f.workflowID), RunId: aws.String(f.runID)}})
	servertest.OK(t, "DescribeWorkflowExecution", err)
	if desc.ExecutionInfo.CloseStatus != swftypes.CloseStatusTerminated {
		t.Errorf("after Terminate in the UI: close status %q, want TERMINATED", desc.ExecutionInfo.CloseStatus)
	}
	noErrors(t, "swf")

	// Data Pipeline: the pipeline, its graph, instances and attempts.
	b.run(t, "pipelines", chromedp.Navigate(base+"pipelines/"), chromedp.WaitVisible(chromedp.CSS("#pipelines")))
	contains(t, "#pipelines", "hello")
	contains(t, "#pipelines", "SCHEDULED")
	b.run(t, "pipeline", chromedp.Click(chromedp.CSS(`#pipelines tbody a`)), chromedp.WaitVisible(chromedp.CSS("svg.graph")))
	for _, obj := range []string{"Default", "Schedule", "SayHello"} {
		if n := b.count(t, fmt.Sprintf(`svg.graph g[data-state=%q]`, obj)); n != 1 {
			t.Errorf("pipeline graph: object %s drawn %d times", obj, n)
		}
	}
	contains(t, "#instances-table", "SayHello")
	contains(t, "#attempts-table", "RUNNING")
	b.shot(t, "pipeline")
	noErrors(t, "pipeline")

	// Task runners: runner-1, then Terminate.
	b.run(t, "runners", chromedp.Navigate(base+"runners"), chromedp.WaitVisible(chromedp.CSS("#runners")))
	contains(t, "#runners", "runner-1")
	contains(t, "#runners", "host-1")
	b.run(t, "terminate runner", chromedp.Click(chromedp.CSS(`#runners button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	contains(t, "#runners", "told to stop")
	hb, err := f.dp.ReportTaskRunnerHeartbeat(f.env.Ctx, &datapipeline.ReportTaskRunnerHeartbeatInput{TaskrunnerId: aws.String("runner-1"), WorkerGroup: aws.String("MyWorkerGroup")})
	servertest.OK(t, "ReportTaskRunnerHeartbeat", err)
	if !hb.Terminate {
		t.Error("after Terminate in the UI: the runner's heartbeat does not answer terminate")
	}
	noErrors(t, "runners")

	// The node: this node among those sharing the store, and metrics.
	b.run(t, "node", chromedp.Navigate(base+"node"), chromedp.WaitVisible(chromedp.CSS("#nodes")))
	contains(t, "#nodes", "(this node)")
	contains(t, "#metrics-gaffer", "gaffer_tasks_started_total")
	if metrics := b.count(t, "#metrics-gaffer tbody tr"); metrics < 10 {
		t.Errorf("node page shows %d metrics", metrics)
	}
	b.shot(t, "node")
	noErrors(t, "node")

	// A link can be shared: a state's history page loads from its URL
	// alone in a fresh tab.
	tab, cancel := chromedp.NewContext(b.ctx)
	defer cancel()
	shared := base + "sfn/execution?" + url.Values{"arn": {f.caught}, "state": {"Work"}}.Encode() + "#history"
	if err := chromedp.Do(tab, chromedp.Navigate(shared), chromedp.WaitVisible(chromedp.CSS("#state-detail"))); err != nil {
		t.Fatalf("shared link: %v", err)
	}
	title, err := chromedp.Run(tab, chromedp.Title())
	if err != nil {
		t.Fatalf("shared link title: %v", err)
	}
	if !strings.Contains(title, "Execution") {
		t.Errorf("shared link title %q", title)
	}
}
