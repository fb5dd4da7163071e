package swf_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// visEpoch is an oldestDate that selects every execution.
var visEpoch = time.Unix(0, 0)

// visRun is one started execution.
type visRun struct {
	domain     string
	workflowID string
	runID      string
	taskList   string
}

func (r visRun) execution() *types.WorkflowExecution {
	return &types.WorkflowExecution{WorkflowId: aws.String(r.workflowID), RunId: aws.String(r.runID)}
}

// visEnv is a server with one domain (retention one day) and one workflow
// type in it.
type visEnv struct {
	*bundle
	domain string
	wf     *types.WorkflowType
}

func visSetup(t *testing.T) *visEnv {
	t.Helper()
	b := setup(t)
	d := visDomain(t, b, "1")
	return &visEnv{bundle: b, domain: d, wf: visWorkflowType(t, b, d, "wf", "1")}
}

// visDomain registers a domain with the given retention in days.
func visDomain(t *testing.T, b *bundle, retention string) string {
	t.Helper()
	name := servertest.Uniq("vis-domain")
	_, err := b.Client.RegisterDomain(b.Ctx, &swf.RegisterDomainInput{Name: aws.String(name), WorkflowExecutionRetentionPeriodInDays: aws.String(retention)})
	if err != nil {
		t.Fatalf("RegisterDomain: %v", err)
	}
	return name
}

// visWorkflowType registers a workflow type with every default set.
func visWorkflowType(t *testing.T, b *bundle, domain, name, version string) *types.WorkflowType {
	t.Helper()
	_, err := b.Client.RegisterWorkflowType(b.Ctx, &swf.RegisterWorkflowTypeInput{
		Domain:                              aws.String(domain),
		Name:                                aws.String(name),
		Version:                             aws.String(version),
		DefaultTaskList:                     &types.TaskList{Name: aws.String("vis-default")},
		DefaultExecutionStartToCloseTimeout: aws.String("3600"),
		DefaultTaskStartToCloseTimeout:      aws.String("300"),
		DefaultChildPolicy:                  types.ChildPolicyTerminate,
	})
	if err != nil {
		t.Fatalf("RegisterWorkflowType: %v", err)
	}
	return &types.WorkflowType{Name: aws.String(name), Version: aws.String(version)}
}

// visStart starts an execution of wf on its own task list ("" for a new
// one).
func visStart(t *testing.T, b *bundle, domain string, wf *types.WorkflowType, workflowID, taskList string, tags ...string) visRun {
	t.Helper()
	if taskList == "" {
		taskList = servertest.Uniq("vis-tl")
	}
	out, err := b.Client.StartWorkflowExecution(b.Ctx, &swf.StartWorkflowExecutionInput{
		Domain:       aws.String(domain),
		WorkflowId:   aws.String(workflowID),
		WorkflowType: wf,
		TaskList:     &types.TaskList{Name: aws.String(taskList)},
		TagList:      tags,
	})
	if err != nil {
		t.Fatalf("StartWorkflowExecution(%s): %v", workflowID, err)
	}
	return visRun{domain: domain, workflowID: workflowID, runID: *out.RunId, taskList: taskList}
}

func (e *visEnv) start(t *testing.T, workflowID string, tags ...string) visRun {
	t.Helper()
	return visStart(t, e.bundle, e.domain, e.wf, workflowID, "", tags...)
}

func visTerminate(t *testing.T, b *bundle, r visRun) {
	t.Helper()
	_, err := b.Client.TerminateWorkflowExecution(b.Ctx, &swf.TerminateWorkflowExecutionInput{
		Domain: aws.String(r.domain), WorkflowId: aws.String(r.workflowID), RunId: aws.String(r.runID),
	})
	if err != nil {
		t.Fatalf("TerminateWorkflowExecution(%s): %v", r.workflowID, err)
	}
}

// visDecide takes r's decision task (r must be alone on its task list) and
// answers it with decisions.
func visDecide(t *testing.T, b *bundle, r visRun, executionContext *string, decisions ...types.Decision) {
	t.Helper()
	task, err := b.Client.PollForDecisionTask(b.Ctx, &swf.PollForDecisionTaskInput{Domain: aws.String(r.domain), TaskList: &types.TaskList{Name: aws.String(r.taskList)}})
	if err != nil {
		t.Fatalf("PollForDecisionTask(%s): %v", r.workflowID, err)
	}
	if task.TaskToken == nil || task.WorkflowExecution == nil || *task.WorkflowExecution.RunId != r.runID {
		t.Fatalf("PollForDecisionTask(%s) = %+v, want the decision task of run %s", r.workflowID, task, r.runID)
	}
	_, err = b.Client.RespondDecisionTaskCompleted(b.Ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: task.TaskToken, Decisions: decisions, ExecutionContext: executionContext})
	if err != nil {
		t.Fatalf("RespondDecisionTaskCompleted(%s): %v", r.workflowID, err)
	}
}

func visComplete(t *testing.T, b *bundle, r visRun) {
	t.Helper()
	visDecide(t, b, r, nil, types.Decision{
		DecisionType: types.DecisionTypeCompleteWorkflowExecution,
		CompleteWorkflowExecutionDecisionAttributes: &types.CompleteWorkflowExecutionDecisionAttributes{Result: aws.String("done")},
	})
}

func visFail(t *testing.T, b *bundle, r visRun) {
	t.Helper()
	visDecide(t, b, r, nil, types.Decision{
		DecisionType:                            types.DecisionTypeFailWorkflowExecution,
		FailWorkflowExecutionDecisionAttributes: &types.FailWorkflowExecutionDecisionAttributes{Reason: aws.String("broken")},
	})
}

func visDescribe(t *testing.T, b *bundle, r visRun) *swf.DescribeWorkflowExecutionOutput {
	t.Helper()
	out, err := b.Client.DescribeWorkflowExecution(b.Ctx, &swf.DescribeWorkflowExecutionInput{Domain: aws.String(r.domain), Execution: r.execution()})
	if err != nil {
		t.Fatalf("DescribeWorkflowExecution(%s): %v", r.workflowID, err)
	}
	return out
}

// visIDs returns the workflow ids of infos, in order.
func visIDs(infos []types.WorkflowExecutionInfo) []string {
	ids := []string{}
	for _, in := range infos {
		ids = append(ids, *in.Execution.WorkflowId)
	}
	return ids
}

// visReversed returns ids in reverse order.
func visReversed(ids []string) []string {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

func (e *visEnv) listOpen(t *testing.T, in *swf.ListOpenWorkflowExecutionsInput) []string {
	t.Helper()
	in.Domain = aws.String(e.domain)
	if in.StartTimeFilter == nil {
		in.StartTimeFilter = &types.ExecutionTimeFilter{OldestDate: aws.Time(visEpoch)}
	}
	out, err := e.Client.ListOpenWorkflowExecutions(e.Ctx, in)
	if err != nil {
		t.Fatalf("ListOpenWorkflowExecutions: %v", err)
	}
	if out.NextPageToken != nil {
		t.Fatalf("ListOpenWorkflowExecutions: unexpected next page")
	}
	return visIDs(out.ExecutionInfos)
}

func (e *visEnv) countOpen(t *testing.T, in *swf.CountOpenWorkflowExecutionsInput) int {
	t.Helper()
	in.Domain = aws.String(e.domain)
	if in.StartTimeFilter == nil {
		in.StartTimeFilter = &types.ExecutionTimeFilter{OldestDate: aws.Time(visEpoch)}
	}
	out, err := e.Client.CountOpenWorkflowExecutions(e.Ctx, in)
	if err != nil {
		t.Fatalf("CountOpenWorkflowExecutions: %v", err)
	}
	if out.Truncated {
		t.Errorf("CountOpenWorkflowExecutions: truncated")
	}
	return int(out.Count)
}

// listClosed lists closed executions (all start times unless a time
// filter is given).
func (e *visEnv) listClosed(t *testing.T, in *swf.ListClosedWorkflowExecutionsInput) []string {
	t.Helper()
	in.Domain = aws.String(e.domain)
	if in.StartTimeFilter == nil && in.CloseTimeFilter == nil {
		in.StartTimeFilter = &types.ExecutionTimeFilter{OldestDate: aws.Time(visEpoch)}
	}
	out, err := e.Client.ListClosedWorkflowExecutions(e.Ctx, in)
	if err != nil {
		t.Fatalf("ListClosedWorkflowExecutions: %v", err)
	}
	if out.NextPageToken != nil {
		t.Fatalf("ListClosedWorkflowExecutions: unexpected next page")
	}
	return visIDs(out.ExecutionInfos)
}

func (e *visEnv) countClosed(t *testing.T, in *swf.CountClosedWorkflowExecutionsInput) int {
	t.Helper()
	in.Domain = aws.String(e.domain)
	if in.StartTimeFilter == nil && in.CloseTimeFilter == nil {
		in.StartTimeFilter = &types.ExecutionTimeFilter{OldestDate: aws.Time(visEpoch)}
	}
	out, err := e.Client.CountClosedWorkflowExecutions(e.Ctx, in)
	if err != nil {
		t.Fatalf("CountClosedWorkflowExecutions: %v", err)
	}
	if out.Truncated {
		t.Errorf("CountClosedWorkflowExecutions: truncated")
	}
	return int(out.Count)
}

func visEqual(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func TestVisDescribeWorkflowExecution(t *testing.T) {
	t.Parallel()
	e := visSetup(t)
	before := time.Now().Add(-time.Second)
	out, err := e.Client.StartWorkflowExecution(e.Ctx, &swf.StartWorkflowExecutionInput{
		Domain:                       aws.String(e.domain),
		WorkflowId:                   aws.String("order-1"),
		WorkflowType:                 e.wf,
		TaskList:                     &types.TaskList{Name: aws.String("vis-orders")},
		TagList:                      []string{"red", "blue"},
		Input:                        aws.String("in"),
		ExecutionStartToCloseTimeout: aws.String("600"),
		TaskStartToCloseTimeout:      aws.String("30"),
		TaskPriority:                 aws.String("7"),
		ChildPolicy:                  types.ChildPolicyAbandon,
	})
	if err != nil {
		t.Fatalf("StartWorkflowExecution: %v", err)
	}
	r := visRun{domain: e.domain, workflowID: "order-1", runID: *out.RunId, taskList: "vis-orders"}

	d := visDescribe(t, e.bundle, r)
	info := d.ExecutionInfo
	if *info.Execution.WorkflowId != "order-1" || *info.Execution.RunId != r.runID {
		t.Errorf("execution = %+v, want order-1/%s", info.Execution, r.runID)
	}
	if *info.WorkflowType.Name != "wf" || *info.WorkflowType.Version != "1" {
		t.Errorf("workflowType = %s/%s, want wf/1", *info.WorkflowType.Name, *info.WorkflowType.Version)
	}
	if info.StartTimestamp == nil || info.StartTimestamp.Before(before) || info.StartTimestamp.After(time.Now().Add(time.Second)) {
		t.Errorf("startTimestamp = %v, want about now", info.StartTimestamp)
	}
	if info.ExecutionStatus != types.ExecutionStatusOpen || info.CloseStatus != "" || info.CloseTimestamp != nil {
		t.Errorf("status = %s/%s/%v, want OPEN with no close status or time", info.ExecutionStatus, info.CloseStatus, info.CloseTimestamp)
	}
	visEqual(t, "tagList", info.TagList, []string{"red", "blue"})
	if info.CancelRequested || info.Parent != nil {
		t.Errorf("cancelRequested = %v, parent = %v; want false, none", info.CancelRequested, info.Parent)
	}
	c := d.ExecutionConfiguration
	if got := []string{*c.ExecutionStartToCloseTimeout, *c.TaskStartToCloseTimeout, *c.TaskList.Name, aws.ToString(c.TaskPriority), string(c.ChildPolicy)}; !slices.Equal(got, []string{"600", "30", "vis-orders", "7", "ABANDON"}) {
		t.Errorf("executionConfiguration = %q", got)
	}
	if c.LambdaRole != nil {
		t.Errorf("lambdaRole = %q, want none", *c.LambdaRole)
	}
	if oc := d.OpenCounts; oc.OpenDecisionTasks != 1 || oc.OpenActivityTasks != 0 || oc.OpenTimers != 0 || oc.OpenChildWorkflowExecutions != 0 {
		t.Errorf("openCounts = %+v, want one open decision task", *oc)
	}
	if d.LatestActivityTaskTimestamp != nil || d.LatestExecutionContext != nil {
		t.Errorf("latestActivityTaskTimestamp = %v, latestExecutionContext = %v; want none", d.LatestActivityTaskTimestamp, d.LatestExecutionContext)
	}

	// The decider schedules an activity and leaves an execution context.
	_, err = e.Client.RegisterActivityType(e.Ctx, &swf.RegisterActivityTypeInput{
		Domain: aws.String(e.domain), Name: aws.String("act"), Version: aws.String("1"),
		DefaultTaskList:                   &types.TaskList{Name: aws.String("vis-acts")},
		DefaultTaskScheduleToStartTimeout: aws.String("NONE"),
		DefaultTaskScheduleToCloseTimeout: aws.String("NONE"),
		DefaultTaskStartToCloseTimeout:    aws.String("NONE"),
		DefaultTaskHeartbeatTimeout:       aws.String("NONE"),
	})
	if err != nil {
		t.Fatalf("RegisterActivityType: %v", err)
	}
	visDecide(t, e.bundle, r, aws.String("ctx-1"), types.Decision{
		DecisionType: types.DecisionTypeScheduleActivityTask,
		ScheduleActivityTaskDecisionAttributes: &types.ScheduleActivityTaskDecisionAttributes{
			ActivityId:   aws.String("a1"),
			ActivityType: &types.ActivityType{Name: aws.String("act"), Version: aws.String("1")},
		},
	})
	d = visDescribe(t, e.bundle, r)
	if oc := d.OpenCounts; oc.OpenDecisionTasks != 0 || oc.OpenActivityTasks != 1 {
		t.Errorf("after scheduling: openCounts = %+v, want one open activity task and no decision task", *oc)
	}
	if d.LatestActivityTaskTimestamp == nil || d.LatestActivityTaskTimestamp.Before(*info.StartTimestamp) {
		t.Errorf("latestActivityTaskTimestamp = %v, want a time after the start", d.LatestActivityTaskTimestamp)
	}
	if got := aws.ToString(d.LatestExecutionContext); got != "ctx-1" {
		t.Errorf("latestExecutionContext = %q, want ctx-1", got)
	}

	_, err = e.Client.RequestCancelWorkflowExecution(e.Ctx, &swf.RequestCancelWorkflowExecutionInput{Domain: aws.String(e.domain), WorkflowId: aws.String("order-1"), RunId: aws.String(r.runID)})
	if err != nil {
		t.Fatalf("RequestCancelWorkflowExecution: %v", err)
	}
	if d := visDescribe(t, e.bundle, r); !d.ExecutionInfo.CancelRequested {
		t.Errorf("cancelRequested = false after RequestCancelWorkflowExecution")
	}

	visTerminate(t, e.bundle, r)
	d = visDescribe(t, e.bundle, r)
	info = d.ExecutionInfo
	if info.ExecutionStatus != types.ExecutionStatusClosed || info.CloseStatus != types.CloseStatusTerminated {
		t.Errorf("after terminate: status = %s/%s, want CLOSED/TERMINATED", info.ExecutionStatus, info.CloseStatus)
	}
	if info.CloseTimestamp == nil || info.CloseTimestamp.Before(*info.StartTimestamp) {
		t.Errorf("closeTimestamp = %v, want a time after the start %v", info.CloseTimestamp, info.StartTimestamp)
	}
	if oc := d.OpenCounts; *oc != (types.WorkflowExecutionOpenCounts{}) {
		t.Errorf("closed execution: openCounts = %+v, want all zero", *oc)
	}
}

// The wire form leaves absent members out and writes timestamps as
// numbers.
func TestVisDescribeWireForm(t *testing.T) {
	t.Parallel()
	e := visSetup(t)
	r := e.start(t, "plain")
	resp := visPost(t, e.bundle, "DescribeWorkflowExecution", `{"domain":"`+e.domain+`","execution":{"workflowId":"plain","runId":"`+r.runID+`"}}`)
	if resp.status != http.StatusOK {
		t.Fatalf("status %d: %s", resp.status, resp.body)
	}
	var got struct {
		ExecutionInfo          map[string]json.RawMessage `json:"executionInfo"`
		ExecutionConfiguration map[string]json.RawMessage `json:"executionConfiguration"`
	}
	if err := json.Unmarshal(resp.body, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"closeTimestamp", "closeStatus", "parent", "tagList"} {
		if v, ok := got.ExecutionInfo[k]; ok {
			t.Errorf("executionInfo.%s = %s, want it left out", k, v)
		}
	}
	if ts := string(got.ExecutionInfo["startTimestamp"]); ts == "" || ts[0] < '0' || ts[0] > '9' {
		t.Errorf("startTimestamp = %s, want epoch seconds as a number", ts)
	}
	if _, ok := got.ExecutionConfiguration["lambdaRole"]; ok {
		t.Errorf("executionConfiguration.lambdaRole present, want it left out")
	}
	var top map[string]json.RawMessage
	_ = json.Unmarshal(resp.body, &top)
	for _, k := range []string{"latestActivityTaskTimestamp", "latestExecutionContext"} {
		if v, ok := top[k]; ok {
			t.Errorf("%s = %s, want it left out", k, v)
		}
	}
}

func TestVisHistoryPaging(t *testing.T) {
	t.Parallel()
	e := visSetup(t)
	r := e.start(t, "hist")
	visComplete(t, e.bundle, r)

	full, err := e.Client.GetWorkflowExecutionHistory(e.Ctx, &swf.GetWorkflowExecutionHistoryInput{Domain: aws.String(e.domain), Execution: r.execution()})
	if err != nil {
		t.Fatalf("GetWorkflowExecutionHistory: %v", err)
	}
	if full.NextPageToken != nil {
		t.Errorf("full history: unexpected next page")
	}
	var ids []int64
	for i, ev := range full.Events {
		if ev.EventId != int64(i+1) || ev.EventTimestamp == nil {
			t.Errorf("event %d: id %d, timestamp %v", i, ev.EventId, ev.EventTimestamp)
		}
		ids = append(ids, ev.EventId)
	}
	if len(full.Events) < 5 || full.Events[0].EventType != types.EventTypeWorkflowExecutionStarted ||
		full.Events[len(full.Events)-1].EventType != types.EventTypeWorkflowExecutionCompleted {
		t.Fatalf("history of %d events, want started ... completed (at least 5)", len(full.Events))
	}

	for _, reverse := range []bool{false, true} {
		want := slices.Clone(ids)
		if reverse {
			slices.Reverse(want)
		}
		var got []int64
		pages := 0
		p := swf.NewGetWorkflowExecutionHistoryPaginator(e.Client, &swf.GetWorkflowExecutionHistoryInput{
			Domain: aws.String(e.domain), Execution: r.execution(), MaximumPageSize: 2, ReverseOrder: reverse,
		})
		for p.HasMorePages() {
			page, err := p.NextPage(e.Ctx)
			if err != nil {
				t.Fatalf("reverse=%v: page %d: %v", reverse, pages, err)
			}
			if len(page.Events) > 2 || len(page.Events) == 0 {
				t.Errorf("reverse=%v: page %d has %d events, want 1 or 2", reverse, pages, len(page.Events))
			}
			for _, ev := range page.Events {
				got = append(got, ev.EventId)
			}
			pages++
		}
		if !slices.Equal(got, want) {
			t.Errorf("reverse=%v: event ids %v, want %v", reverse, got, want)
		}
		if wantPages := (len(ids) + 1) / 2; pages != wantPages {
			t.Errorf("reverse=%v: %d pages, want %d", reverse, pages, wantPages)
		}
	}

	// A page token belongs to one execution's history.
	first, err := e.Client.GetWorkflowExecutionHistory(e.Ctx, &swf.GetWorkflowExecutionHistoryInput{Domain: aws.String(e.domain), Execution: r.execution(), MaximumPageSize: 1})
	if err != nil || first.NextPageToken == nil {
		t.Fatalf("first page = %v, %v; want a next page", first, err)
	}
	other := e.start(t, "other")
	_, err = e.Client.GetWorkflowExecutionHistory(e.Ctx, &swf.GetWorkflowExecutionHistoryInput{Domain: aws.String(e.domain), Execution: other.execution(), NextPageToken: first.NextPageToken})
	if got := servertest.ErrorCode(err); got != "ValidationException" {
		t.Errorf("token of another execution: %v, want ValidationException", err)
	}
	// ... and to one order: reused with reverseOrder changed it is refused.
	_, err = e.Client.GetWorkflowExecutionHistory(e.Ctx, &swf.GetWorkflowExecutionHistoryInput{Domain: aws.String(e.domain), Execution: r.execution(), ReverseOrder: true, NextPageToken: first.NextPageToken})
	if got := servertest.ErrorCode(err); got != "ValidationException" {
		t.Errorf("token reused with reverseOrder changed: %v, want ValidationException", err)
	}
}

func TestVisListFilters(t *testing.T) {
	t.Parallel()
	e := visSetup(t)
	a1 := e.wf
	b1 := visWorkflowType(t, e.bundle, e.domain, "other", "1")
	a2 := visWorkflowType(t, e.bundle, e.domain, "wf", "2")
	r1 := visStart(t, e.bundle, e.domain, a1, "w1", "", "red")
	r2 := visStart(t, e.bundle, e.domain, b1, "w2", "", "blue")
	r3 := visStart(t, e.bundle, e.domain, a2, "w3", "", "red", "blue")
	visStart(t, e.bundle, e.domain, a1, "w4", "")

	filters := []struct {
		name string
		tf   *types.WorkflowTypeFilter
		tag  *types.TagFilter
		ex   *types.WorkflowExecutionFilter
		want []string
	}{
		{name: "none", want: []string{"w4", "w3", "w2", "w1"}},
		{name: "type name", tf: &types.WorkflowTypeFilter{Name: aws.String("wf")}, want: []string{"w4", "w3", "w1"}},
		{name: "type name and version", tf: &types.WorkflowTypeFilter{Name: aws.String("wf"), Version: aws.String("1")}, want: []string{"w4", "w1"}},
		{name: "type other", tf: &types.WorkflowTypeFilter{Name: aws.String("other")}, want: []string{"w2"}},
		{name: "unknown type", tf: &types.WorkflowTypeFilter{Name: aws.String("nope")}, want: []string{}},
		{name: "tag red", tag: &types.TagFilter{Tag: aws.String("red")}, want: []string{"w3", "w1"}},
		{name: "tag blue", tag: &types.TagFilter{Tag: aws.String("blue")}, want: []string{"w3", "w2"}},
		{name: "tag green", tag: &types.TagFilter{Tag: aws.String("green")}, want: []string{}},
		{name: "workflow id", ex: &types.WorkflowExecutionFilter{WorkflowId: aws.String("w2")}, want: []string{"w2"}},
		{name: "unknown workflow id", ex: &types.WorkflowExecutionFilter{WorkflowId: aws.String("w9")}, want: []string{}},
	}
	for _, f := range filters {
		visEqual(t, "open "+f.name, e.listOpen(t, &swf.ListOpenWorkflowExecutionsInput{TypeFilter: f.tf, TagFilter: f.tag, ExecutionFilter: f.ex}), f.want)
		if got := e.countOpen(t, &swf.CountOpenWorkflowExecutionsInput{TypeFilter: f.tf, TagFilter: f.tag, ExecutionFilter: f.ex}); got != len(f.want) {
			t.Errorf("count open %s = %d, want %d", f.name, got, len(f.want))
		}
	}
	if got := e.countClosed(t, &swf.CountClosedWorkflowExecutionsInput{}); got != 0 {
		t.Errorf("closed count before any close = %d, want 0", got)
	}

	visTerminate(t, e.bundle, r1)
	visComplete(t, e.bundle, r2)
	visFail(t, e.bundle, r3)
	visEqual(t, "open after closes", e.listOpen(t, &swf.ListOpenWorkflowExecutionsInput{}), []string{"w4"})
	if got := e.countOpen(t, &swf.CountOpenWorkflowExecutionsInput{}); got != 1 {
		t.Errorf("count open after closes = %d, want 1", got)
	}
	for _, f := range filters {
		want := slices.DeleteFunc(slices.Clone(f.want), func(id string) bool { return id == "w4" })
		visEqual(t, "closed "+f.name, e.listClosed(t, &swf.ListClosedWorkflowExecutionsInput{TypeFilter: f.tf, TagFilter: f.tag, ExecutionFilter: f.ex}), want)
		if got := e.countClosed(t, &swf.CountClosedWorkflowExecutionsInput{TypeFilter: f.tf, TagFilter: f.tag, ExecutionFilter: f.ex}); got != len(want) {
			t.Errorf("count closed %s = %d, want %d", f.name, got, len(want))
		}
	}
	for status, want := range map[types.CloseStatus][]string{
		types.CloseStatusTerminated: {"w1"},
		types.CloseStatusCompleted:  {"w2"},
		types.CloseStatusFailed:     {"w3"},
		types.CloseStatusTimedOut:   {},
		types.CloseStatusCanceled:   {},
	} {
		csf := &types.CloseStatusFilter{Status: status}
		visEqual(t, "closed status "+string(status), e.listClosed(t, &swf.ListClosedWorkflowExecutionsInput{CloseStatusFilter: csf}), want)
		if got := e.countClosed(t, &swf.CountClosedWorkflowExecutionsInput{CloseStatusFilter: csf}); got != len(want) {
			t.Errorf("count closed status %s = %d, want %d", status, got, len(want))
		}
	}
	info := visDescribe(t, e.bundle, r2).ExecutionInfo
	out, err := e.Client.ListClosedWorkflowExecutions(e.Ctx, &swf.ListClosedWorkflowExecutionsInput{
		Domain: aws.String(e.domain), StartTimeFilter: &types.ExecutionTimeFilter{OldestDate: aws.Time(visEpoch)},
		ExecutionFilter: &types.WorkflowExecutionFilter{WorkflowId: aws.String("w2")},
	})
	if err != nil || len(out.ExecutionInfos) != 1 {
		t.Fatalf("ListClosedWorkflowExecutions(w2) = %v, %v", out, err)
	}
	got := out.ExecutionInfos[0]
	if *got.Execution.RunId != r2.runID || got.CloseStatus != types.CloseStatusCompleted || got.ExecutionStatus != types.ExecutionStatusClosed ||
		!got.StartTimestamp.Equal(*info.StartTimestamp) || !got.CloseTimestamp.Equal(*info.CloseTimestamp) ||
		*got.WorkflowType.Name != "other" || !slices.Equal(got.TagList, []string{"blue"}) {
		t.Errorf("listed info %+v does not match describe %+v", got, info)
	}
}

// executionFilter, typeFilter, tagFilter (and closeStatusFilter) are
// mutually exclusive; closed requests need exactly one time filter.
func TestVisFilterExclusion(t *testing.T) {
	t.Parallel()
	e := visSetup(t)
	e.start(t, "x")
	all := &types.ExecutionTimeFilter{OldestDate: aws.Time(visEpoch)}
	tf := &types.WorkflowTypeFilter{Name: aws.String("wf")}
	tag := &types.TagFilter{Tag: aws.String("red")}
	ex := &types.WorkflowExecutionFilter{WorkflowId: aws.String("x")}
	csf := &types.CloseStatusFilter{Status: types.CloseStatusCompleted}
	d := aws.String(e.domain)
	check := func(what string, err error, msg string) {
		t.Helper()
		if got := servertest.ErrorCode(err); got != "ValidationException" {
			t.Errorf("%s: %v, want ValidationException", what, err)
		} else if !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want a message naming %q", what, err, msg)
		}
	}
	for _, c := range []struct {
		name    string
		tf      *types.WorkflowTypeFilter
		tag     *types.TagFilter
		ex      *types.WorkflowExecutionFilter
		csf     *types.CloseStatusFilter
		forOpen bool
	}{
		{name: "type+tag", tf: tf, tag: tag, forOpen: true},
		{name: "type+execution", tf: tf, ex: ex, forOpen: true},
		{name: "tag+execution", tag: tag, ex: ex, forOpen: true},
		{name: "all three", tf: tf, tag: tag, ex: ex, forOpen: true},
		{name: "closeStatus+type", tf: tf, csf: csf},
		{name: "closeStatus+tag", tag: tag, csf: csf},
		{name: "closeStatus+execution", ex: ex, csf: csf},
	} {
		if c.forOpen {
			_, err := e.Client.ListOpenWorkflowExecutions(e.Ctx, &swf.ListOpenWorkflowExecutionsInput{Domain: d, StartTimeFilter: all, TypeFilter: c.tf, TagFilter: c.tag, ExecutionFilter: c.ex})
			check("ListOpen "+c.name, err, "mutually exclusive")
			_, err = e.Client.CountOpenWorkflowExecutions(e.Ctx, &swf.CountOpenWorkflowExecutionsInput{Domain: d, StartTimeFilter: all, TypeFilter: c.tf, TagFilter: c.tag, ExecutionFilter: c.ex})
			check("CountOpen "+c.name, err, "mutually exclusive")
		}
		_, err := e.Client.ListClosedWorkflowExecutions(e.Ctx, &swf.ListClosedWorkflowExecutionsInput{Domain: d, StartTimeFilter: all, TypeFilter: c.tf, TagFilter: c.tag, ExecutionFilter: c.ex, CloseStatusFilter: c.csf})
		check("ListClosed "+c.name, err, "mutually exclusive")
		_, err = e.Client.CountClosedWorkflowExecutions(e.Ctx, &swf.CountClosedWorkflowExecutionsInput{Domain: d, StartTimeFilter: all, TypeFilter: c.tf, TagFilter: c.tag, ExecutionFilter: c.ex, CloseStatusFilter: c.csf})
		check("CountClosed "+c.name, err, "mutually exclusive")
	}
	for _, c := range []struct {
		name          string
		start, closed *types.ExecutionTimeFilter
	}{
		{name: "both time filters", start: all, closed: all},
		{name: "no time filter"},
	} {
		_, err := e.Client.ListClosedWorkflowExecutions(e.Ctx, &swf.ListClosedWorkflowExecutionsInput{Domain: d, StartTimeFilter: c.start, CloseTimeFilter: c.closed})
		check("ListClosed "+c.name, err, "startTimeFilter and closeTimeFilter")
		_, err = e.Client.CountClosedWorkflowExecutions(e.Ctx, &swf.CountClosedWorkflowExecutionsInput{Domain: d, StartTimeFilter: c.start, CloseTimeFilter: c.closed})
		check("CountClosed "+c.name, err, "startTimeFilter and closeTimeFilter")
	}
	// The SDK refuses to send an open listing without startTimeFilter;
	// the server refuses it too.
	for _, op := range []string{"ListOpenWorkflowExecutions", "CountOpenWorkflowExecutions"} {
		resp := visPost(t, e.bundle, op, `{"domain":"`+e.domain+`"}`)
		if resp.status != http.StatusBadRequest || !strings.Contains(string(resp.body), "ValidationException") {
			t.Errorf("%s without startTimeFilter: %d %s, want 400 ValidationException", op, resp.status, resp.body)
		}
	}
}

// Lists are ordered by the filtered time, newest first unless
// reverseOrder; time filters are inclusive at millisecond precision.
func TestVisOrderAndTimeFilters(t *testing.T) {
	t.Parallel()
	e := visSetup(t)
	ids := []string{"t0", "t1", "t2", "t3"}
	runs := map[string]visRun{}
	starts := map[string]time.Time{}
	for _, id := range ids {
		runs[id] = e.start(t, id)
		starts[id] = *visDescribe(t, e.bundle, runs[id]).ExecutionInfo.StartTimestamp
	}
	newestFirst := visReversed(ids)
	visEqual(t, "open", e.listOpen(t, &swf.ListOpenWorkflowExecutionsInput{}), newestFirst)
	visEqual(t, "open reversed", e.listOpen(t, &swf.ListOpenWorkflowExecutionsInput{ReverseOrder: true}), ids)

	// within returns the ids (newest first) whose time is in [oldest, latest].
	within := func(order []string, at map[string]time.Time, oldest, latest time.Time) []string {
		out := []string{}
		for _, id := range order {
			if !at[id].Before(oldest) && !at[id].After(latest) {
				out = append(out, id)
			}
		}
		return out
	}
	windows := []struct{ oldest, latest time.Time }{
		{starts["t1"], starts["t2"]},
		{starts["t1"], starts["t1"]},
		{starts["t0"], starts["t3"]},
		{starts["t3"], starts["t3"].Add(time.Hour)},
		{visEpoch, starts["t0"].Add(-time.Millisecond)},
		{starts["t3"].Add(time.Millisecond), starts["t3"].Add(time.Hour)},
	}
	for _, w := range windows {
		want := within(newestFirst, starts, w.oldest, w.latest)
		tf := &types.ExecutionTimeFilter{OldestDate: aws.Time(w.oldest), LatestDate: aws.Time(w.latest)}
		visEqual(t, "open in ["+w.oldest.String()+", "+w.latest.String()+"]", e.listOpen(t, &swf.ListOpenWorkflowExecutionsInput{StartTimeFilter: tf}), want)
		if got := e.countOpen(t, &swf.CountOpenWorkflowExecutionsInput{StartTimeFilter: tf}); got != len(want) {
			t.Errorf("count open in window = %d, want %d", got, len(want))
		}
	}
	// No latestDate: everything from oldestDate on.
	visEqual(t, "open from t2", e.listOpen(t, &swf.ListOpenWorkflowExecutionsInput{StartTimeFilter: &types.ExecutionTimeFilter{OldestDate: aws.Time(starts["t2"])}}),
		within(newestFirst, starts, starts["t2"], time.Now().Add(time.Hour)))

	// Close in another order than started: t2, t0, t3, t1.
	closeOrder := []string{"t2", "t0", "t3", "t1"}
	closes := map[string]time.Time{}
	for _, id := range closeOrder {
		visTerminate(t, e.bundle, runs[id])
		closes[id] = *visDescribe(t, e.bundle, runs[id]).ExecutionInfo.CloseTimestamp
	}
	all := &types.ExecutionTimeFilter{OldestDate: aws.Time(visEpoch)}
	visEqual(t, "closed by start", e.listClosed(t, &swf.ListClosedWorkflowExecutionsInput{StartTimeFilter: all}), newestFirst)
	visEqual(t, "closed by start reversed", e.listClosed(t, &swf.ListClosedWorkflowExecutionsInput{StartTimeFilter: all, ReverseOrder: true}), ids)
	newestClosed := visReversed(closeOrder)
	visEqual(t, "closed by close", e.listClosed(t, &swf.ListClosedWorkflowExecutionsInput{CloseTimeFilter: all}), newestClosed)
	visEqual(t, "closed by close reversed", e.listClosed(t, &swf.ListClosedWorkflowExecutionsInput{CloseTimeFilter: all, ReverseOrder: true}), closeOrder)

	for _, w := range []struct{ oldest, latest time.Time }{
		{closes["t0"], closes["t3"]},
		{closes["t0"], closes["t0"]},
		{closes["t1"].Add(time.Millisecond), closes["t1"].Add(time.Hour)},
		{starts["t0"], starts["t3"]}, // a window of start times, applied to the close times
	} {
		want := within(newestClosed, closes, w.oldest, w.latest)
		tf := &types.ExecutionTimeFilter{OldestDate: aws.Time(w.oldest), LatestDate: aws.Time(w.latest)}
		visEqual(t, "closed by close in window", e.listClosed(t, &swf.ListClosedWorkflowExecutionsInput{CloseTimeFilter: tf}), want)
		if got := e.countClosed(t, &swf.CountClosedWorkflowExecutionsInput{CloseTimeFilter: tf}); got != len(want) {
			t.Errorf("count closed by close in window = %d, want %d", got, len(want))
		}
	}
	tf := &types.ExecutionTimeFilter{OldestDate: aws.Time(starts["t1"]), LatestDate: aws.Time(starts["t2"])}
	want := within(newestFirst, starts, starts["t1"], starts["t2"])
	visEqual(t, "closed by start in window", e.listClosed(t, &swf.ListClosedWorkflowExecutionsInput{StartTimeFilter: tf}), want)
	if got := e.countClosed(t, &swf.CountClosedWorkflowExecutionsInput{StartTimeFilter: tf}); got != len(want) {
		t.Errorf("count closed by start in window = %d, want %d", got, len(want))
	}
}

func TestVisPaging(t *testing.T) {
	t.Parallel()
	e := visSetup(t)
	var ids []string
	for i := range 7 {
		id := string(rune('a' + i))
		e.start(t, id)
		ids = append(ids, id)
	}
	all := &types.ExecutionTimeFilter{OldestDate: aws.Time(visEpoch)}
	for _, reverse := range []bool{false, true} {
		want := visReversed(ids)
		if reverse {
			want = ids
		}
		var got []string
		var sizes []int
		p := swf.NewListOpenWorkflowExecutionsPaginator(e.Client, &swf.ListOpenWorkflowExecutionsInput{
			Domain: aws.String(e.domain), StartTimeFilter: all, MaximumPageSize: 3, ReverseOrder: reverse,
		})
		for p.HasMorePages() {
			page, err := p.NextPage(e.Ctx)
			if err != nil {
				t.Fatalf("reverse=%v: %v", reverse, err)
			}
			got = append(got, visIDs(page.ExecutionInfos)...)
			sizes = append(sizes, len(page.ExecutionInfos))
		}
		visEqual(t, "paged open", got, want)
		if !slices.Equal(sizes, []int{3, 3, 1}) {
			t.Errorf("reverse=%v: page sizes %v, want [3 3 1]", reverse, sizes)
		}
	}

	// An execution that starts between pages neither repeats nor shifts
	// the following pages.
	first, err := e.Client.ListOpenWorkflowExecutions(e.Ctx, &swf.ListOpenWorkflowExecutionsInput{Domain: aws.String(e.domain), StartTimeFilter: all, MaximumPageSize: 3})
	if err != nil || first.NextPageToken == nil {
		t.Fatalf("first page = %v, %v; want a next page", first, err)
	}
	e.start(t, "late")
	second, err := e.Client.ListOpenWorkflowExecutions(e.Ctx, &swf.ListOpenWorkflowExecutionsInput{Domain: aws.String(e.domain), StartTimeFilter: all, MaximumPageSize: 3, NextPageToken: first.NextPageToken})
	if err != nil {
		t.Fatalf("second page: %v", err)
	}
	visEqual(t, "second page after a new start", visIDs(second.ExecutionInfos), []string{"d", "c", "b"})

	// Closed executions page the same way.
	for _, id := range ids {
		visTerminate(t, e.bundle, visRun{domain: e.domain, workflowID: id, runID: visRunID(t, e, id)})
	}
	var got []string
	p := swf.NewListClosedWorkflowExecutionsPaginator(e.Client, &swf.ListClosedWorkflowExecutionsInput{
		Domain: aws.String(e.domain), CloseTimeFilter: all, MaximumPageSize: 2,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(e.Ctx)
		if err != nil {
			t.Fatalf("closed: %v", err)
		}
		if len(page.ExecutionInfos) > 2 {
			t.Errorf("closed page of %d", len(page.ExecutionInfos))
		}
		got = append(got, visIDs(page.ExecutionInfos)...)
	}
	visEqual(t, "paged closed by close time", got, visReversed(ids))

	// A token is bound to its listing: the domain, filters and order.
	tok := first.NextPageToken
	other := visDomain(t, e.bundle, "1")
	for name, in := range map[string]*swf.ListOpenWorkflowExecutionsInput{
		"other domain":  {Domain: aws.String(other), StartTimeFilter: all, NextPageToken: tok},
		"other filter":  {Domain: aws.String(e.domain), StartTimeFilter: all, TagFilter: &types.TagFilter{Tag: aws.String("x")}, NextPageToken: tok},
		"other window":  {Domain: aws.String(e.domain), StartTimeFilter: &types.ExecutionTimeFilter{OldestDate: aws.Time(time.Unix(1, 0))}, NextPageToken: tok},
		"other order":   {Domain: aws.String(e.domain), StartTimeFilter: all, ReverseOrder: true, NextPageToken: tok},
		"garbage token": {Domain: aws.String(e.domain), StartTimeFilter: all, NextPageToken: aws.String("not-a-token")},
	} {
		_, err := e.Client.ListOpenWorkflowExecutions(e.Ctx, in)
		if got := servertest.ErrorCode(err); got != "ValidationException" {
			t.Errorf("%s: %v, want ValidationException", name, err)
		}
	}
	_, err = e.Client.ListClosedWorkflowExecutions(e.Ctx, &swf.ListClosedWorkflowExecutionsInput{Domain: aws.String(e.domain), StartTimeFilter: all, NextPageToken: tok})
	if got := servertest.ErrorCode(err); got != "ValidationException" {
		t.Errorf("open token for a closed listing: %v, want ValidationException", err)
	}
}

// visRunID finds the run of workflowID through the open listing.
func visRunID(t *testing.T, e *visEnv, workflowID string) string {
	t.Helper()
	out, err := e.Client.ListOpenWorkflowExecutions(e.Ctx, &swf.ListOpenWorkflowExecutionsInput{
		Domain: aws.String(e.domain), StartTimeFilter: &types.ExecutionTimeFilter{OldestDate: aws.Time(visEpoch)},
		ExecutionFilter: &types.WorkflowExecutionFilter{WorkflowId: aws.String(workflowID)},
	})
	if err != nil || len(out.ExecutionInfos) != 1 {
		t.Fatalf("open run of %s: %v, %v", workflowID, out, err)
	}
	return *out.ExecutionInfos[0].Execution.RunId
}

func TestVisCountPendingTasks(t *testing.T) {
	t.Parallel()
	e := visSetup(t)
	countDecisions := func(taskList string) int {
		t.Helper()
		out, err := e.Client.CountPendingDecisionTasks(e.Ctx, &swf.CountPendingDecisionTasksInput{Domain: aws.String(e.domain), TaskList: &types.TaskList{Name: aws.String(taskList)}})
		if err != nil {
			t.Fatalf("CountPendingDecisionTasks(%s): %v", taskList, err)
		}
		if out.Truncated {
			t.Errorf("CountPendingDecisionTasks: truncated")
		}
		return int(out.Count)
	}
	countActivities := func(taskList string) int {
		t.Helper()
		out, err := e.Client.CountPendingActivityTasks(e.Ctx, &swf.CountPendingActivityTasksInput{Domain: aws.String(e.domain), TaskList: &types.TaskList{Name: aws.String(taskList)}})
		if err != nil {
			t.Fatalf("CountPendingActivityTasks(%s): %v", taskList, err)
		}
		return int(out.Count)
	}
	for _, id := range []string{"p1", "p2", "p3"} {
		visStart(t, e.bundle, e.domain, e.wf, id, "vis-shared")
	}
	if got := countDecisions("vis-shared"); got != 3 {
		t.Errorf("pending decision tasks = %d, want 3", got)
	}
	if got := countDecisions("vis-unused"); got != 0 {
		t.Errorf("pending decision tasks on an unused list = %d, want 0", got)
	}
	if got := countActivities("vis-shared"); got != 0 {
		t.Errorf("pending activity tasks on a decision list = %d, want 0", got)
	}

	// A decision task handed to a decider is no longer pending.
	task, err := e.Client.PollForDecisionTask(e.Ctx, &swf.PollForDecisionTaskInput{Domain: aws.String(e.domain), TaskList: &types.TaskList{Name: aws.String("vis-shared")}})
	if err != nil || task.TaskToken == nil {
		t.Fatalf("PollForDecisionTask = %v, %v", task, err)
	}
	if got := countDecisions("vis-shared"); got != 2 {
		t.Errorf("pending decision tasks after a poll = %d, want 2", got)
	}
	_, err = e.Client.RegisterActivityType(e.Ctx, &swf.RegisterActivityTypeInput{
		Domain: aws.String(e.domain), Name: aws.String("act"), Version: aws.String("1"),
		DefaultTaskScheduleToStartTimeout: aws.String("NONE"), DefaultTaskScheduleToCloseTimeout: aws.String("NONE"),
		DefaultTaskStartToCloseTimeout: aws.String("NONE"), DefaultTaskHeartbeatTimeout: aws.String("NONE"),
	})
	if err != nil {
		t.Fatalf("RegisterActivityType: %v", err)
	}
	var decisions []types.Decision
	for _, id := range []string{"a1", "a2"} {
		decisions = append(decisions, types.Decision{
			DecisionType: types.DecisionTypeScheduleActivityTask,
			ScheduleActivityTaskDecisionAttributes: &types.ScheduleActivityTaskDecisionAttributes{
				ActivityId: aws.String(id), ActivityType: &types.ActivityType{Name: aws.String("act"), Version: aws.String("1")},
				TaskList: &types.TaskList{Name: aws.String("vis-work")},
			},
		})
	}
	if _, err := e.Client.RespondDecisionTaskCompleted(e.Ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: task.TaskToken, Decisions: decisions}); err != nil {
		t.Fatalf("RespondDecisionTaskCompleted: %v", err)
	}
	if got := countActivities("vis-work"); got != 2 {
		t.Errorf("pending activity tasks = %d, want 2", got)
	}
	if got := countDecisions("vis-work"); got != 0 {
		t.Errorf("pending decision tasks on an activity list = %d, want 0", got)
	}
	// Another domain's task list of the same name is another list.
	other := visDomain(t, e.bundle, "1")
	out, err := e.Client.CountPendingDecisionTasks(e.Ctx, &swf.CountPendingDecisionTasksInput{Domain: aws.String(other), TaskList: &types.TaskList{Name: aws.String("vis-shared")}})
	if err != nil || out.Count != 0 {
		t.Errorf("other domain: CountPendingDecisionTasks = %v, %v; want 0", out, err)
	}
}

// Two domains with the same workflow id: nothing of one is visible through
// the other.
func TestVisDomainIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ea := &visEnv{bundle: b, domain: visDomain(t, b, "1")}
	eb := &visEnv{bundle: b, domain: visDomain(t, b, "1")}
	ea.wf = visWorkflowType(t, b, ea.domain, "wf", "1")
	eb.wf = visWorkflowType(t, b, eb.domain, "wf", "1")
	ra := visStart(t, b, ea.domain, ea.wf, "same", "vis-tl", "shared-tag")
	rb := visStart(t, b, eb.domain, eb.wf, "same", "vis-tl", "shared-tag")
	if ra.runID == rb.runID {
		t.Fatalf("same runId %s in two domains", ra.runID)
	}
	for _, c := range []struct {
		e        *visEnv
		own, not visRun
	}{{ea, ra, rb}, {eb, rb, ra}} {
		got := c.e.listOpen(t, &swf.ListOpenWorkflowExecutionsInput{TagFilter: &types.TagFilter{Tag: aws.String("shared-tag")}})
		if len(got) != 1 {
			t.Errorf("%s: open listing %q, want one execution", c.e.domain, got)
		}
		if id := visRunID(t, c.e, "same"); id != c.own.runID {
			t.Errorf("%s: listed run %s, want its own %s", c.e.domain, id, c.own.runID)
		}
		if n := c.e.countOpen(t, &swf.CountOpenWorkflowExecutionsInput{ExecutionFilter: &types.WorkflowExecutionFilter{WorkflowId: aws.String("same")}}); n != 1 {
			t.Errorf("%s: open count %d, want 1", c.e.domain, n)
		}
		foreign := visRun{domain: c.e.domain, workflowID: "same", runID: c.not.runID}
		_, err := b.Client.DescribeWorkflowExecution(b.Ctx, &swf.DescribeWorkflowExecutionInput{Domain: aws.String(c.e.domain), Execution: foreign.execution()})
		if got := servertest.ErrorCode(err); got != "UnknownResourceFault" {
			t.Errorf("%s: describe the other domain's run: %v, want UnknownResourceFault", c.e.domain, err)
		}
		_, err = b.Client.GetWorkflowExecutionHistory(b.Ctx, &swf.GetWorkflowExecutionHistoryInput{Domain: aws.String(c.e.domain), Execution: foreign.execution()})
		if got := servertest.ErrorCode(err); got != "UnknownResourceFault" {
			t.Errorf("%s: history of the other domain's run: %v, want UnknownResourceFault", c.e.domain, err)
		}
		out, err := b.Client.CountPendingDecisionTasks(b.Ctx, &swf.CountPendingDecisionTasksInput{Domain: aws.String(c.e.domain), TaskList: &types.TaskList{Name: aws.String("vis-tl")}})
		if err != nil || out.Count != 1 {
			t.Errorf("%s: pending decision tasks = %v, %v; want 1", c.e.domain, out, err)
		}
	}
	visTerminate(t, b, ra)
	visEqual(t, "A closed", ea.listClosed(t, &swf.ListClosedWorkflowExecutionsInput{}), []string{"same"})
	visEqual(t, "B closed", eb.listClosed(t, &swf.ListClosedWorkflowExecutionsInput{}), []string{})
	visEqual(t, "A open", ea.listOpen(t, &swf.ListOpenWorkflowExecutionsInput{}), []string{})
	visEqual(t, "B open", eb.listOpen(t, &swf.ListOpenWorkflowExecutionsInput{}), []string{"same"})
	if n := eb.countClosed(t, &swf.CountClosedWorkflowExecutionsInput{}); n != 0 {
		t.Errorf("B closed count = %d, want 0", n)
	}
	if n := ea.countClosed(t, &swf.CountClosedWorkflowExecutionsInput{}); n != 1 {
		t.Errorf("A closed count = %d, want 1", n)
	}
	if d := visDescribe(t, b, rb); d.ExecutionInfo.ExecutionStatus != types.ExecutionStatusOpen {
		t.Errorf("B's run after terminating A's: %s, want OPEN", d.ExecutionInfo.ExecutionStatus)
	}
}

// A domain with retention 0 keeps no closed execution: it is gone at once.
func TestVisRetention(t *testing.T) {
	t.Parallel()
	b := setup(t)
	e := &visEnv{bundle: b, domain: visDomain(t, b, "0")}
	e.wf = visWorkflowType(t, b, e.domain, "wf", "1")
	r := e.start(t, "brief")
	visDescribe(t, b, r) // open executions are always visible
	visTerminate(t, b, r)
	_, err := b.Client.DescribeWorkflowExecution(b.Ctx, &swf.DescribeWorkflowExecutionInput{Domain: aws.String(e.domain), Execution: r.execution()})
	if got := servertest.ErrorCode(err); got != "UnknownResourceFault" {
		t.Errorf("describe after close: %v, want UnknownResourceFault", err)
	}
	_, err = b.Client.GetWorkflowExecutionHistory(b.Ctx, &swf.GetWorkflowExecutionHistoryInput{Domain: aws.String(e.domain), Execution: r.execution()})
	if got := servertest.ErrorCode(err); got != "UnknownResourceFault" {
		t.Errorf("history after close: %v, want UnknownResourceFault", err)
	}
	visEqual(t, "closed", e.listClosed(t, &swf.ListClosedWorkflowExecutionsInput{}), []string{})
	visEqual(t, "closed by close time", e.listClosed(t, &swf.ListClosedWorkflowExecutionsInput{CloseTimeFilter: &types.ExecutionTimeFilter{OldestDate: aws.Time(visEpoch)}}), []string{})
	if n := e.countClosed(t, &swf.CountClosedWorkflowExecutionsInput{}); n != 0 {
		t.Errorf("closed count = %d, want 0", n)
	}
	visEqual(t, "open", e.listOpen(t, &swf.ListOpenWorkflowExecutionsInput{}), []string{})
	// The workflow id can be used again, and the new run is visible.
	r2 := e.start(t, "brief")
	if d := visDescribe(t, b, r2); d.ExecutionInfo.ExecutionStatus != types.ExecutionStatusOpen {
		t.Errorf("new run: %s, want OPEN", d.ExecutionInfo.ExecutionStatus)
	}
}

func TestVisFaults(t *testing.T) {
	t.Parallel()
	e := visSetup(t)
	r := e.start(t, "f")
	all := &types.ExecutionTimeFilter{OldestDate: aws.Time(visEpoch)}
	tl := &types.TaskList{Name: aws.String("vis-tl")}
	nope := aws.String("vis-no-such-domain")
	calls := map[string]func() error{
		"DescribeWorkflowExecution": func() error {
			_, err := e.Client.DescribeWorkflowExecution(e.Ctx, &swf.DescribeWorkflowExecutionInput{Domain: nope, Execution: r.execution()})
			return err
		},
		"GetWorkflowExecutionHistory": func() error {
			_, err := e.Client.GetWorkflowExecutionHistory(e.Ctx, &swf.GetWorkflowExecutionHistoryInput{Domain: nope, Execution: r.execution()})
			return err
		},
		"ListOpenWorkflowExecutions": func() error {
			_, err := e.Client.ListOpenWorkflowExecutions(e.Ctx, &swf.ListOpenWorkflowExecutionsInput{Domain: nope, StartTimeFilter: all})
			return err
		},
		"ListClosedWorkflowExecutions": func() error {
			_, err := e.Client.ListClosedWorkflowExecutions(e.Ctx, &swf.ListClosedWorkflowExecutionsInput{Domain: nope, StartTimeFilter: all})
			return err
		},
		"CountOpenWorkflowExecutions": func() error {
			_, err := e.Client.CountOpenWorkflowExecutions(e.Ctx, &swf.CountOpenWorkflowExecutionsInput{Domain: nope, StartTimeFilter: all})
			return err
		},
		"CountClosedWorkflowExecutions": func() error {
			_, err := e.Client.CountClosedWorkflowExecutions(e.Ctx, &swf.CountClosedWorkflowExecutionsInput{Domain: nope, CloseTimeFilter: all})
			return err
		},
		"CountPendingActivityTasks": func() error {
			_, err := e.Client.CountPendingActivityTasks(e.Ctx, &swf.CountPendingActivityTasksInput{Domain: nope, TaskList: tl})
			return err
		},
		"CountPendingDecisionTasks": func() error {
			_, err := e.Client.CountPendingDecisionTasks(e.Ctx, &swf.CountPendingDecisionTasksInput{Domain: nope, TaskList: tl})
			return err
		},
	}
	for op, call := range calls {
		if got := servertest.ErrorCode(call()); got != "UnknownResourceFault" {
			t.Errorf("%s in an unknown domain: %q, want UnknownResourceFault", op, got)
		}
	}

	for name, ex := range map[string]visRun{
		"unknown run":         {workflowID: "f", runID: "no-such-run"},
		"unknown workflow id": {workflowID: "g", runID: r.runID},
		"'|' in the ids":      {workflowID: "f|x", runID: "y|z"},
	} {
		_, err := e.Client.DescribeWorkflowExecution(e.Ctx, &swf.DescribeWorkflowExecutionInput{Domain: aws.String(e.domain), Execution: ex.execution()})
		if got := servertest.ErrorCode(err); got != "UnknownResourceFault" {
			t.Errorf("describe %s: %v, want UnknownResourceFault", name, err)
		}
		_, err = e.Client.GetWorkflowExecutionHistory(e.Ctx, &swf.GetWorkflowExecutionHistoryInput{Domain: aws.String(e.domain), Execution: ex.execution()})
		if got := servertest.ErrorCode(err); got != "UnknownResourceFault" {
			t.Errorf("history %s: %v, want UnknownResourceFault", name, err)
		}
	}
	_, err := e.Client.GetWorkflowExecutionHistory(e.Ctx, &swf.GetWorkflowExecutionHistoryInput{Domain: aws.String(e.domain), Execution: r.execution(), NextPageToken: aws.String("garbage")})
	if got := servertest.ErrorCode(err); got != "ValidationException" {
		t.Errorf("history with a bad token: %v, want ValidationException", err)
	}
	_, err = e.Client.ListOpenWorkflowExecutions(e.Ctx, &swf.ListOpenWorkflowExecutionsInput{Domain: aws.String(e.domain), StartTimeFilter: all, MaximumPageSize: 1001})
	if got := servertest.ErrorCode(err); got != "ValidationException" {
		t.Errorf("maximumPageSize 1001: %v, want ValidationException", err)
	}
}

// visResponse is a raw answer of the server.
type visResponse struct {
	status int
	body   []byte
}

// visPost sends one unsigned raw SWF request.
func visPost(t *testing.T, b *bundle, op, body string) visResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(b.Ctx, http.MethodPost, b.Srv.URL()+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "SimpleWorkflowService."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: read answer: %v", op, err)
	}
	return visResponse{status: resp.StatusCode, body: data}
}
