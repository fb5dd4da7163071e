package webui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
)

// The Step Functions pages: state machines and activities, executions by
// status, an execution with its graph and history, the Stop button.

// pageSize is how many rows a page shows.
const pageSize = 50

type stateMachineItem struct {
	StateMachineArn string           `json:"stateMachineArn"`
	Name            string           `json:"name"`
	Type            string           `json:"type"`
	CreationDate    awsapi.Timestamp `json:"creationDate"`
}

type activityItem struct {
	ActivityArn  string           `json:"activityArn"`
	Name         string           `json:"name"`
	CreationDate awsapi.Timestamp `json:"creationDate"`
	Queue        string           `json:"-"`
}

type executionItem struct {
	ExecutionArn    string           `json:"executionArn"`
	StateMachineArn string           `json:"stateMachineArn"`
	Name            string           `json:"name"`
	Status          string           `json:"status"`
	StartDate       awsapi.Timestamp `json:"startDate"`
	StopDate        awsapi.Timestamp `json:"stopDate"`
}

type executionDetail struct {
	executionItem
	Input  string `json:"input"`
	Output string `json:"output"`
	Error  string `json:"error"`
	Cause  string `json:"cause"`
}

// home redirects nothing: it is the overview with links to each part.
func (u *UI) home(r *http.Request) (view, error) {
	return view{name: "home", title: "gaffer"}, nil
}

type machinesPage struct {
	Machines   []stateMachineItem
	Activities []activityItem
	Next       string // the state machines' next page token
	NextAct    string // the activities' next page token
}

func (u *UI) stateMachines(r *http.Request) (view, error) {
	v := view{name: "machines", title: "Step Functions"}
	q := r.URL.Query()
	var sms struct {
		StateMachines []stateMachineItem `json:"stateMachines"`
		NextToken     string             `json:"nextToken"`
	}
	in := map[string]any{"maxResults": pageSize}
	if t := q.Get("next"); t != "" {
		in["nextToken"] = t
	}
	if err := u.call(r.Context(), u.sfn, "ListStateMachines", in, &sms); err != nil {
		return v, err
	}
	var acts struct {
		Activities []activityItem `json:"activities"`
		NextToken  string         `json:"nextToken"`
	}
	in = map[string]any{"maxResults": pageSize}
	if t := q.Get("nextact"); t != "" {
		in["nextToken"] = t
	}
	if err := u.call(r.Context(), u.sfn, "ListActivities", in, &acts); err != nil {
		return v, err
	}
	for i := range acts.Activities {
		acts.Activities[i].Queue = "sfn:" + acts.Activities[i].ActivityArn
	}
	v.data = machinesPage{Machines: sms.StateMachines, Activities: acts.Activities, Next: sms.NextToken, NextAct: acts.NextToken}
	return v, nil
}

// executionStatuses are Step Functions' execution statuses, for the filter.
var executionStatuses = []string{"RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"}

type executionsPage struct {
	Machine    string
	Status     string
	Statuses   []string
	Executions []executionItem
	Next       string
}

func (u *UI) executions(r *http.Request) (view, error) {
	q := r.URL.Query()
	arn := q.Get("machine")
	v := view{name: "executions", title: "Executions of " + shortARN(arn)}
	if arn == "" {
		return v, badRequest("which state machine? (?machine=ARN)")
	}
	in := map[string]any{"stateMachineArn": arn, "maxResults": pageSize}
	status := q.Get("status")
	if status != "" {
		in["statusFilter"] = status
	}
	if t := q.Get("next"); t != "" {
		in["nextToken"] = t
	}
	var out struct {
		Executions []executionItem `json:"executions"`
		NextToken  string          `json:"nextToken"`
	}
	if err := u.call(r.Context(), u.sfn, "ListExecutions", in, &out); err != nil {
		return v, err
	}
	v.data = executionsPage{Machine: arn, Status: status, Statuses: executionStatuses, Executions: out.Executions, Next: out.NextToken}
	return v, nil
}

// historyItem is one event of an execution's history as the page shows
// it: its type, time, the state it belongs to and its details.
type historyItem struct {
	ID        int64
	Prev      int64
	Type      string
	Timestamp awsapi.Timestamp
	State     string // the state the event belongs to, if any
	Details   string // the event's details, indented JSON
	Failure   bool
}

type executionPage struct {
	Execution executionDetail
	Graph     *graph
	SVG       any
	States    []stateRun
	Selected  string // the state picked (?state=), whose events are shown
	History   []historyItem
	Next      string // the history's next page token
	Reverse   bool
	Running   bool
}

func (u *UI) execution(r *http.Request) (view, error) {
	q := r.URL.Query()
	arn := q.Get("arn")
	v := view{name: "execution", title: "Execution " + shortARN(arn)}
	if arn == "" {
		return v, badRequest("which execution? (?arn=ARN)")
	}
	ctx := r.Context()
	var ex executionDetail
	if err := u.call(ctx, u.sfn, "DescribeExecution", map[string]any{"executionArn": arn}, &ex); err != nil {
		return v, err
	}
	var sm struct {
		Definition string `json:"definition"`
	}
	if err := u.call(ctx, u.sfn, "DescribeStateMachineForExecution", map[string]any{"executionArn": arn}, &sm); err != nil {
		return v, err
	}
	// The whole history colours the graph (AWS caps a history at 25,000
	// events); the page lists one page of it.
	var all []rawEvent
	token := ""
	for {
		in := map[string]any{"executionArn": arn, "maxResults": 1000}
		if token != "" {
			in["nextToken"] = token
		}
		var out struct {
			Events    []rawEvent `json:"events"`
			NextToken string     `json:"nextToken"`
		}
		if err := u.call(ctx, u.sfn, "GetExecutionHistory", in, &out); err != nil {
			return v, err
		}
		all = append(all, out.Events...)
		if out.NextToken == "" {
			break
		}
		token = out.NextToken
	}
	items := historyItems(all)
	runs := stateRuns(items, ex.Status)
	g, err := parseGraph(sm.Definition)
	if err != nil {
		return v, err
	}
	status := map[string]string{}
	for _, s := range runs {
		status[s.Name] = s.Status
	}
	selected := q.Get("state")
	p := executionPage{Execution: ex, Graph: g, SVG: g.svg(status, func(n string) string {
		return Prefix + "sfn/execution?" + url.Values{"arn": {arn}, "state": {n}}.Encode() + "#history"
	}, selected), States: runs, Selected: selected, Running: ex.Status == "RUNNING"}
	// One page of the history: from ?from= (an event id), pageSize events,
	// the selected state's only if one is.
	from, _ := strconv.ParseInt(q.Get("from"), 10, 64)
	var shown []historyItem
	for _, it := range items {
		if it.ID <= from || (selected != "" && it.State != selected) {
			continue
		}
		if len(shown) == pageSize {
			p.Next = strconv.FormatInt(shown[len(shown)-1].ID, 10)
			break
		}
		shown = append(shown, it)
	}
	p.History = shown
	v.data = p
	return v, nil
}

// rawEvent is an event of GetExecutionHistory as its JSON holds it.
type rawEvent map[string]json.RawMessage

// historyItems turns the raw events into the page's, each with the state
// it belongs to: a StateEntered/StateExited event names it, any other
// event belongs to the state its chain of previous events entered last.
func historyItems(events []rawEvent) []historyItem {
	items := make([]historyItem, 0, len(events))
	owner := map[int64]string{}
	for _, ev := range events {
		var it historyItem
		_ = json.Unmarshal(ev["id"], &it.ID)
		_ = json.Unmarshal(ev["previousEventId"], &it.Prev)
		_ = json.Unmarshal(ev["type"], &it.Type)
		_ = json.Unmarshal(ev["timestamp"], &it.Timestamp)
		for k, raw := range ev {
			if !strings.HasSuffix(k, "EventDetails") {
				continue
			}
			var d struct {
				Name string `json:"name"`
			}
			_ = json.Unmarshal(raw, &d)
			if strings.HasSuffix(it.Type, "StateEntered") || strings.HasSuffix(it.Type, "StateExited") {
				it.State = d.Name
			}
			it.Details = detailsText(raw)
		}
		if it.State == "" {
			it.State = owner[it.Prev]
		}
		if strings.HasSuffix(it.Type, "StateExited") {
			owner[it.ID] = owner[it.Prev] // the enclosing state's, if any
		} else {
			owner[it.ID] = it.State
		}
		it.Failure = failureEvent(it.Type)
		items = append(items, it)
	}
	return items
}

// detailsText renders an event's details with its JSON strings (input,
// output) unfolded.
func detailsText(raw json.RawMessage) string {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return string(raw)
	}
	for k, v := range m {
		if s, ok := v.(string); ok && (k == "input" || k == "output" || k == "parameters" || k == "cause") {
			var inner any
			if json.Unmarshal([]byte(s), &inner) == nil {
				m[k] = inner
			}
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return string(raw)
	}
	return string(b)
}

// failureEvent reports whether an event of type t is a failure of a
// state's work (not the execution's own end).
func failureEvent(t string) bool {
	if strings.HasPrefix(t, "Execution") || strings.HasPrefix(t, "MapIteration") {
		return false
	}
	return strings.HasSuffix(t, "Failed") || strings.HasSuffix(t, "TimedOut") || strings.HasSuffix(t, "Aborted")
}

// stateRun is what happened to one state in an execution.
type stateRun struct {
	Name    string
	Status  string // succeeded, failed, caught, running (not reached: absent)
	Entered int    // times entered
	Input   string
	Output  string
	Error   string
}

// stateRuns says what happened to each state entered, in the order first
// entered: succeeded (exited, after retries maybe), caught (failed, and the
// execution went on elsewhere), failed (failed, and the execution ended
// with it; a Fail state), running (entered and not left).
func stateRuns(items []historyItem, execStatus string) []stateRun {
	var order []string
	runs := map[string]*stateRun{}
	lastFailure := map[string]int{} // state → index of its last failure event
	enteredAt := map[string]int{}   // state → index of its last StateEntered
	for i, it := range items {
		if it.State == "" {
			continue
		}
		s := runs[it.State]
		if s == nil {
			s = &stateRun{Name: it.State}
			runs[it.State] = s
			order = append(order, it.State)
		}
		switch {
		case strings.HasSuffix(it.Type, "StateEntered"):
			s.Entered++
			s.Status = "running"
			s.Input = detailField(it.Details, "input")
			enteredAt[it.State] = i
			delete(lastFailure, it.State)
			if it.Type == "FailStateEntered" {
				s.Status = "failed"
			}
		case strings.HasSuffix(it.Type, "StateExited"):
			if _, failed := lastFailure[it.State]; !failed {
				s.Status = "succeeded"
			}
			s.Output = detailField(it.Details, "output")
		case it.Failure:
			s.Status = "failed"
			lastFailure[it.State] = i
			s.Error = detailField(it.Details, "error")
		case strings.HasSuffix(it.Type, "Scheduled") || strings.HasSuffix(it.Type, "Started"):
			if _, failed := lastFailure[it.State]; failed {
				delete(lastFailure, it.State) // retried
				s.Status = "running"
			}
		}
	}
	ended := execStatus != "RUNNING" && execStatus != ""
	out := make([]stateRun, 0, len(order))
	for _, n := range order {
		s := runs[n]
		if at, failed := lastFailure[n]; failed {
			// A failure after which the execution went on elsewhere was
			// caught; one it ended with failed it; one it still handles
			// (a retry's wait) leaves the state running.
			wentOn := false
			for other, e := range enteredAt {
				if other != n && e > at {
					wentOn = true
					break
				}
			}
			switch {
			case wentOn:
				s.Status = "caught"
			case !ended:
				s.Status = "running"
			case execStatus == "SUCCEEDED":
				s.Status = "caught"
			default:
				s.Status = "failed"
			}
		}
		if s.Status == "running" && ended {
			s.Status = "failed" // the execution ended (stopped, timed out) while it ran
		}
		out = append(out, *s)
	}
	return out
}

// detailField returns the field of an event's details text.
func detailField(details, field string) string {
	var m map[string]any
	if json.Unmarshal([]byte(details), &m) != nil {
		return ""
	}
	switch v := m[field].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		b, _ := json.MarshalIndent(v, "", "  ")
		return string(b)
	}
}

func (u *UI) stopExecution(r *http.Request) (string, error) {
	arn := r.PostFormValue("arn")
	if err := allowed(r, "states:StopExecution", arn); err != nil {
		return "", err
	}
	in := map[string]any{"executionArn": arn, "error": "gaffer.UI", "cause": "stopped from the web UI"}
	if c := strings.TrimSpace(r.PostFormValue("cause")); c != "" {
		in["cause"] = c
	}
	if err := u.call(r.Context(), u.sfn, "StopExecution", in, nil); err != nil {
		return "", err
	}
	return Prefix + "sfn/execution?" + url.Values{"arn": {arn}, "flash": {"Execution stopped."}}.Encode(), nil
}
