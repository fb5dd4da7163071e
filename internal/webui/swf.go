package webui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
)

// The SWF pages: domains, open and closed executions with filters, an
// execution's history and what is pending in it, and the Signal, Cancel
// and Terminate buttons.

type domainItem struct {
	Name        string `json:"name"`
	Status      string `json:"status"`
	Description string `json:"description"`
	ARN         string `json:"arn"`
}

type domainsPage struct {
	Status  string
	Domains []domainItem
	Next    string
}

func (u *UI) domains(r *http.Request) (view, error) {
	v := view{name: "domains", title: "SWF domains"}
	q := r.URL.Query()
	status := q.Get("status")
	if status != "DEPRECATED" {
		status = "REGISTERED"
	}
	in := map[string]any{"registrationStatus": status, "maximumPageSize": pageSize}
	if t := q.Get("next"); t != "" {
		in["nextPageToken"] = t
	}
	var out struct {
		DomainInfos   []domainItem `json:"domainInfos"`
		NextPageToken string       `json:"nextPageToken"`
	}
	if err := u.call(r.Context(), u.swf, "ListDomains", in, &out); err != nil {
		return v, err
	}
	v.data = domainsPage{Status: status, Domains: out.DomainInfos, Next: out.NextPageToken}
	return v, nil
}

type swfRun struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
}

type swfExecutionInfo struct {
	Execution       swfRun           `json:"execution"`
	WorkflowType    swfType          `json:"workflowType"`
	StartTimestamp  awsapi.Timestamp `json:"startTimestamp"`
	CloseTimestamp  awsapi.Timestamp `json:"closeTimestamp"`
	ExecutionStatus string           `json:"executionStatus"`
	CloseStatus     string           `json:"closeStatus"`
	TagList         []string         `json:"tagList"`
	CancelRequested bool             `json:"cancelRequested"`
}

type swfType struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// swfCloseStatuses are SWF's close statuses, for the filter.
var swfCloseStatuses = []string{"COMPLETED", "FAILED", "CANCELED", "TERMINATED", "CONTINUED_AS_NEW", "TIMED_OUT"}

type swfExecutionsPage struct {
	Domain      string
	Closed      bool
	WorkflowID  string
	Type        string
	Tag         string
	CloseStatus string
	Statuses    []string
	Executions  []swfExecutionInfo
	Next        string
}

func (u *UI) swfExecutions(r *http.Request) (view, error) {
	q := r.URL.Query()
	p := swfExecutionsPage{Domain: q.Get("domain"), Closed: q.Get("state") == "closed", WorkflowID: q.Get("workflowId"),
		Type: q.Get("type"), Tag: q.Get("tag"), CloseStatus: q.Get("closeStatus"), Statuses: swfCloseStatuses}
	v := view{name: "swfexecutions", title: "Executions in " + p.Domain}
	if p.Domain == "" {
		return v, badRequest("which domain? (?domain=NAME)")
	}
	in := map[string]any{"domain": p.Domain, "maximumPageSize": pageSize, "reverseOrder": true}
	in["startTimeFilter"] = map[string]any{"oldestDate": 0}
	switch {
	case p.WorkflowID != "":
		in["executionFilter"] = map[string]any{"workflowId": p.WorkflowID}
	case p.Type != "":
		in["typeFilter"] = map[string]any{"name": p.Type}
	case p.Tag != "":
		in["tagFilter"] = map[string]any{"tag": p.Tag}
	case p.Closed && p.CloseStatus != "":
		in["closeStatusFilter"] = map[string]any{"status": p.CloseStatus}
	}
	if t := q.Get("next"); t != "" {
		in["nextPageToken"] = t
	}
	op := "ListOpenWorkflowExecutions"
	if p.Closed {
		op = "ListClosedWorkflowExecutions"
	}
	var out struct {
		ExecutionInfos []swfExecutionInfo `json:"executionInfos"`
		NextPageToken  string             `json:"nextPageToken"`
	}
	if err := u.call(r.Context(), u.swf, op, in, &out); err != nil {
		return v, err
	}
	p.Executions, p.Next = out.ExecutionInfos, out.NextPageToken
	v.data = p
	return v, nil
}

// swfEvent is one event of a workflow execution's history.
type swfEvent struct {
	ID        int64
	Type      string
	Timestamp awsapi.Timestamp
	Details   string
	attrs     map[string]any
}

// pendingActivity, pendingTimer and pendingChild are what an open
// execution waits on, from its history.
type pendingActivity struct {
	ActivityID string
	Type       string
	Scheduled  awsapi.Timestamp
	Started    bool
	Worker     string
}

type pendingTimer struct {
	TimerID string
	Started awsapi.Timestamp
	Fire    string // startToFireTimeout, seconds
}

type pendingChild struct {
	WorkflowID string
	Type       string
	Initiated  awsapi.Timestamp
}

type swfExecutionPage struct {
	Domain     string
	Info       swfExecutionInfo
	OpenCounts map[string]int
	Open       bool
	Activities []pendingActivity
	Timers     []pendingTimer
	Children   []pendingChild
	History    []swfEvent
	Next       string
}

func (u *UI) swfExecution(r *http.Request) (view, error) {
	q := r.URL.Query()
	domain, run := q.Get("domain"), swfRun{WorkflowID: q.Get("workflowId"), RunID: q.Get("runId")}
	v := view{name: "swfexecution", title: "Workflow " + run.WorkflowID}
	if domain == "" || run.WorkflowID == "" || run.RunID == "" {
		return v, badRequest("which execution? (?domain=D&workflowId=W&runId=R)")
	}
	ctx := r.Context()
	var desc struct {
		ExecutionInfo swfExecutionInfo `json:"executionInfo"`
		OpenCounts    map[string]int   `json:"openCounts"`
	}
	if err := u.call(ctx, u.swf, "DescribeWorkflowExecution", map[string]any{"domain": domain, "execution": run}, &desc); err != nil {
		return v, err
	}
	var events []swfEvent
	token := ""
	for {
		in := map[string]any{"domain": domain, "execution": run, "maximumPageSize": 1000}
		if token != "" {
			in["nextPageToken"] = token
		}
		var out struct {
			Events        []map[string]json.RawMessage `json:"events"`
			NextPageToken string                       `json:"nextPageToken"`
		}
		if err := u.call(ctx, u.swf, "GetWorkflowExecutionHistory", in, &out); err != nil {
			return v, err
		}
		for _, raw := range out.Events {
			var ev swfEvent
			_ = json.Unmarshal(raw["eventId"], &ev.ID)
			_ = json.Unmarshal(raw["eventType"], &ev.Type)
			_ = json.Unmarshal(raw["eventTimestamp"], &ev.Timestamp)
			for k, a := range raw {
				if strings.HasSuffix(k, "EventAttributes") {
					_ = json.Unmarshal(a, &ev.attrs)
					ev.Details = detailsText(a)
				}
			}
			events = append(events, ev)
		}
		if out.NextPageToken == "" {
			break
		}
		token = out.NextPageToken
	}
	p := swfExecutionPage{Domain: domain, Info: desc.ExecutionInfo, OpenCounts: desc.OpenCounts, Open: desc.ExecutionInfo.ExecutionStatus == "OPEN"}
	p.Activities, p.Timers, p.Children = pending(events)
	from, _ := strconv.ParseInt(q.Get("from"), 10, 64)
	for _, ev := range events {
		if ev.ID <= from {
			continue
		}
		if len(p.History) == pageSize {
			p.Next = strconv.FormatInt(p.History[len(p.History)-1].ID, 10)
			break
		}
		p.History = append(p.History, ev)
	}
	v.data = p
	return v, nil
}

// pending reads from a history the activities, timers and child
// workflows started and not closed.
func pending(events []swfEvent) ([]pendingActivity, []pendingTimer, []pendingChild) {
	acts := map[int64]*pendingActivity{}
	timers := map[string]*pendingTimer{}
	children := map[string]*pendingChild{}
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	num := func(m map[string]any, k string) int64 { f, _ := m[k].(float64); return int64(f) }
	typeName := func(m map[string]any, k string) string {
		t, _ := m[k].(map[string]any)
		return str(t, "name") + " " + str(t, "version")
	}
	for _, ev := range events {
		a := ev.attrs
		switch ev.Type {
		case "ActivityTaskScheduled":
			acts[ev.ID] = &pendingActivity{ActivityID: str(a, "activityId"), Type: typeName(a, "activityType"), Scheduled: ev.Timestamp}
		case "ActivityTaskStarted":
			if p := acts[num(a, "scheduledEventId")]; p != nil {
				p.Started, p.Worker = true, str(a, "identity")
			}
		case "ActivityTaskCompleted", "ActivityTaskFailed", "ActivityTaskTimedOut", "ActivityTaskCanceled":
			delete(acts, num(a, "scheduledEventId"))
		case "TimerStarted":
			timers[str(a, "timerId")] = &pendingTimer{TimerID: str(a, "timerId"), Started: ev.Timestamp, Fire: str(a, "startToFireTimeout")}
		case "TimerFired", "TimerCanceled":
			delete(timers, str(a, "timerId"))
		case "StartChildWorkflowExecutionInitiated":
			children[str(a, "workflowId")] = &pendingChild{WorkflowID: str(a, "workflowId"), Type: typeName(a, "workflowType"), Initiated: ev.Timestamp}
		case "StartChildWorkflowExecutionFailed":
			delete(children, str(a, "workflowId"))
		case "ChildWorkflowExecutionCompleted", "ChildWorkflowExecutionFailed", "ChildWorkflowExecutionTimedOut",
			"ChildWorkflowExecutionCanceled", "ChildWorkflowExecutionTerminated":
			if we, ok := a["workflowExecution"].(map[string]any); ok {
				delete(children, str(we, "workflowId"))
			}
		}
	}
	var pa []pendingActivity
	for _, p := range acts {
		pa = append(pa, *p)
	}
	sort.Slice(pa, func(i, j int) bool { return pa[i].ActivityID < pa[j].ActivityID })
	var pt []pendingTimer
	for _, p := range timers {
		pt = append(pt, *p)
	}
	sort.Slice(pt, func(i, j int) bool { return pt[i].TimerID < pt[j].TimerID })
	var pc []pendingChild
	for _, p := range children {
		pc = append(pc, *p)
	}
	sort.Slice(pc, func(i, j int) bool { return pc[i].WorkflowID < pc[j].WorkflowID })
	return pa, pt, pc
}

// swfForm reads the execution an SWF action is about, and checks that
// the principal may perform action on its domain.
func (u *UI) swfForm(r *http.Request, action string) (domain string, run swfRun, back string, err error) {
	domain, run = r.PostFormValue("domain"), swfRun{WorkflowID: r.PostFormValue("workflowId"), RunID: r.PostFormValue("runId")}
	arn := "arn:" + awsapi.Partition(u.cfg.Region) + ":swf:" + u.cfg.Region + ":" + u.cfg.Account + ":/domain/" + domain
	if err := allowed(r, action, arn); err != nil {
		return "", run, "", err
	}
	back = Prefix + "swf/execution?" + url.Values{"domain": {domain}, "workflowId": {run.WorkflowID}, "runId": {run.RunID}}.Encode()
	return domain, run, back, nil
}

func (u *UI) swfSignal(r *http.Request) (string, error) {
	domain, run, back, err := u.swfForm(r, "swf:SignalWorkflowExecution")
	if err != nil {
		return "", err
	}
	in := map[string]any{"domain": domain, "workflowId": run.WorkflowID, "runId": run.RunID, "signalName": r.PostFormValue("signalName")}
	if s := r.PostFormValue("input"); s != "" {
		in["input"] = s
	}
	if err := u.call(r.Context(), u.swf, "SignalWorkflowExecution", in, nil); err != nil {
		return "", err
	}
	return back + "&flash=Signal+sent.", nil
}

func (u *UI) swfCancel(r *http.Request) (string, error) {
	domain, run, back, err := u.swfForm(r, "swf:RequestCancelWorkflowExecution")
	if err != nil {
		return "", err
	}
	if err := u.call(r.Context(), u.swf, "RequestCancelWorkflowExecution", map[string]any{"domain": domain, "workflowId": run.WorkflowID, "runId": run.RunID}, nil); err != nil {
		return "", err
	}
	return back + "&flash=Cancellation+requested.", nil
}

func (u *UI) swfTerminate(r *http.Request) (string, error) {
	domain, run, back, err := u.swfForm(r, "swf:TerminateWorkflowExecution")
	if err != nil {
		return "", err
	}
	in := map[string]any{"domain": domain, "workflowId": run.WorkflowID, "runId": run.RunID, "reason": "terminated from the gaffer web UI"}
	if s := r.PostFormValue("reason"); s != "" {
		in["reason"] = s
	}
	if err := u.call(r.Context(), u.swf, "TerminateWorkflowExecution", in, nil); err != nil {
		return "", err
	}
	return back + "&flash=Execution+terminated.", nil
}
