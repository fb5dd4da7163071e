package swf

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/swferr"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// visibilityOps returns the read-only execution operations: describe,
// history, list and count.
func (s *Service) visibilityOps() map[string]awsapi.Operation {
	return map[string]awsapi.Operation{
		"DescribeWorkflowExecution":     awsapi.Op(s.DescribeWorkflowExecution),
		"GetWorkflowExecutionHistory":   awsapi.Op(s.GetWorkflowExecutionHistory),
		"ListOpenWorkflowExecutions":    awsapi.Op(s.ListOpenWorkflowExecutions),
		"ListClosedWorkflowExecutions":  awsapi.Op(s.ListClosedWorkflowExecutions),
		"CountOpenWorkflowExecutions":   awsapi.Op(s.CountOpenWorkflowExecutions),
		"CountClosedWorkflowExecutions": awsapi.Op(s.CountClosedWorkflowExecutions),
		"CountPendingActivityTasks":     awsapi.Op(s.CountPendingActivityTasks),
		"CountPendingDecisionTasks":     awsapi.Op(s.CountPendingDecisionTasks),
	}
}

// Inputs and outputs, with the model's member names.

type describeWorkflowExecutionInput struct {
	Domain    string            `json:"domain"`
	Execution WorkflowExecution `json:"execution"`
}

// workflowExecutionDetail is DescribeWorkflowExecution's output.
type workflowExecutionDetail struct {
	ExecutionInfo               workflowExecutionInfo          `json:"executionInfo"`
	ExecutionConfiguration      workflowExecutionConfiguration `json:"executionConfiguration"`
	OpenCounts                  WorkflowExecutionOpenCounts    `json:"openCounts"`
	LatestActivityTaskTimestamp awsapi.Timestamp               `json:"latestActivityTaskTimestamp,omitzero"`
	LatestExecutionContext      string                         `json:"latestExecutionContext,omitempty"`
}

// workflowExecutionInfo describes one execution in Describe and List.
type workflowExecutionInfo struct {
	Execution       WorkflowExecution  `json:"execution"`
	WorkflowType    WorkflowType       `json:"workflowType"`
	StartTimestamp  awsapi.Timestamp   `json:"startTimestamp"`
	CloseTimestamp  awsapi.Timestamp   `json:"closeTimestamp,omitzero"`
	ExecutionStatus string             `json:"executionStatus"`
	CloseStatus     string             `json:"closeStatus,omitempty"`
	Parent          *WorkflowExecution `json:"parent,omitempty"`
	TagList         []string           `json:"tagList,omitempty"`
	CancelRequested bool               `json:"cancelRequested"`
}

type workflowExecutionConfiguration struct {
	TaskStartToCloseTimeout      string   `json:"taskStartToCloseTimeout"`
	ExecutionStartToCloseTimeout string   `json:"executionStartToCloseTimeout"`
	TaskList                     TaskList `json:"taskList"`
	TaskPriority                 string   `json:"taskPriority,omitempty"`
	ChildPolicy                  string   `json:"childPolicy"`
	LambdaRole                   string   `json:"lambdaRole,omitempty"`
}

type getWorkflowExecutionHistoryInput struct {
	Domain          string            `json:"domain"`
	Execution       WorkflowExecution `json:"execution"`
	NextPageToken   string            `json:"nextPageToken"`
	MaximumPageSize int               `json:"maximumPageSize"`
	ReverseOrder    bool              `json:"reverseOrder"`
}

// historyOutput is the model's History.
type historyOutput struct {
	Events        []json.RawMessage `json:"events"`
	NextPageToken string            `json:"nextPageToken,omitempty"`
}

type executionTimeFilter struct {
	OldestDate awsapi.Timestamp `json:"oldestDate"`
	LatestDate awsapi.Timestamp `json:"latestDate"` // zero: no upper bound
}

type workflowTypeFilter struct {
	Name    string `json:"name"`
	Version string `json:"version"` // "": any version
}

type tagFilter struct {
	Tag string `json:"tag"`
}

type workflowExecutionFilter struct {
	WorkflowID string `json:"workflowId"`
}

type closeStatusFilter struct {
	Status string `json:"status"`
}

// openFilters are the members of ListOpenWorkflowExecutions and
// CountOpenWorkflowExecutions that select executions.
type openFilters struct {
	Domain          string                   `json:"domain"`
	StartTimeFilter *executionTimeFilter     `json:"startTimeFilter"`
	TypeFilter      *workflowTypeFilter      `json:"typeFilter"`
	TagFilter       *tagFilter               `json:"tagFilter"`
	ExecutionFilter *workflowExecutionFilter `json:"executionFilter"`
}

// closedFilters are the members of ListClosedWorkflowExecutions and
// CountClosedWorkflowExecutions that select executions.
type closedFilters struct {
	openFilters
	CloseTimeFilter   *executionTimeFilter `json:"closeTimeFilter"`
	CloseStatusFilter *closeStatusFilter   `json:"closeStatusFilter"`
}

// pageParams are the paging members of the List operations.
type pageParams struct {
	NextPageToken   string `json:"nextPageToken"`
	MaximumPageSize int    `json:"maximumPageSize"`
	ReverseOrder    bool   `json:"reverseOrder"`
}

type listOpenWorkflowExecutionsInput struct {
	openFilters
	pageParams
}

type listClosedWorkflowExecutionsInput struct {
	closedFilters
	pageParams
}

// workflowExecutionInfos is the List operations' output.
type workflowExecutionInfos struct {
	ExecutionInfos []workflowExecutionInfo `json:"executionInfos"`
	NextPageToken  string                  `json:"nextPageToken,omitempty"`
}

// countOutput is the model's WorkflowExecutionCount and PendingTaskCount.
// gaffer always counts everything: truncated is always false.
type countOutput struct {
	Count     int  `json:"count"`
	Truncated bool `json:"truncated"`
}

type countPendingTasksInput struct {
	Domain   string   `json:"domain"`
	TaskList TaskList `json:"taskList"`
}

// DescribeWorkflowExecution describes one run of a workflow.
func (s *Service) DescribeWorkflowExecution(ctx context.Context, in *describeWorkflowExecutionInput) (*workflowExecutionDetail, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	var ex *execution
	err := s.view(ctx, func(tx store.Tx) error {
		var err error
		ex, err = s.visibleExecution(tx, in.Domain, in.Execution)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &workflowExecutionDetail{
		ExecutionInfo: executionInfo(ex),
		ExecutionConfiguration: workflowExecutionConfiguration{
			TaskStartToCloseTimeout:      ex.TaskStartToCloseTimeout,
			ExecutionStartToCloseTimeout: ex.ExecutionStartToCloseTimeout,
			TaskList:                     TaskList{Name: ex.TaskList},
			TaskPriority:                 ex.TaskPriority,
			ChildPolicy:                  ex.ChildPolicy,
			LambdaRole:                   ex.LambdaRole,
		},
		LatestActivityTaskTimestamp: awsapi.Timestamp{Time: ex.LatestActivityTaskTimestamp},
		LatestExecutionContext:      ex.LatestExecutionContext,
	}
	// A closed execution has no open work, whatever its runtime state says.
	if ex.Status == statusOpen {
		out.OpenCounts = ex.openCounts()
	}
	return out, nil
}

// GetWorkflowExecutionHistory pages through one run's history.
func (s *Service) GetWorkflowExecutionHistory(ctx context.Context, in *getWorkflowExecutionHistoryInput) (*historyOutput, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	out := &historyOutput{}
	err := s.view(ctx, func(tx store.Tx) error {
		ex, err := s.visibleExecution(tx, in.Domain, in.Execution)
		if err != nil {
			return err
		}
		out.Events, out.NextPageToken, err = historyPage(s.pager(), tx, ex, in.NextPageToken, in.MaximumPageSize, in.ReverseOrder)
		return err
	})
	if err != nil {
		return nil, err
	}
	if out.Events == nil {
		out.Events = []json.RawMessage{}
	}
	return out, nil
}

// ListOpenWorkflowExecutions lists a domain's open executions, newest start
// first unless reverseOrder.
func (s *Service) ListOpenWorkflowExecutions(ctx context.Context, in *listOpenWorkflowExecutionsInput) (*workflowExecutionInfos, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	q, err := openQuery(&in.openFilters)
	if err != nil {
		return nil, err
	}
	return s.listExecutions(ctx, q, &in.pageParams)
}

// ListClosedWorkflowExecutions lists a domain's closed executions (those
// still retained), newest first by the filtered time (start or close)
// unless reverseOrder.
func (s *Service) ListClosedWorkflowExecutions(ctx context.Context, in *listClosedWorkflowExecutionsInput) (*workflowExecutionInfos, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	q, err := closedQuery(&in.closedFilters)
	if err != nil {
		return nil, err
	}
	return s.listExecutions(ctx, q, &in.pageParams)
}

// CountOpenWorkflowExecutions counts the open executions that
// ListOpenWorkflowExecutions would list.
func (s *Service) CountOpenWorkflowExecutions(ctx context.Context, in *openFilters) (*countOutput, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	q, err := openQuery(in)
	if err != nil {
		return nil, err
	}
	return s.countExecutions(ctx, q)
}

// CountClosedWorkflowExecutions counts the closed executions that
// ListClosedWorkflowExecutions would list.
func (s *Service) CountClosedWorkflowExecutions(ctx context.Context, in *closedFilters) (*countOutput, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	q, err := closedQuery(in)
	if err != nil {
		return nil, err
	}
	return s.countExecutions(ctx, q)
}

// CountPendingActivityTasks counts the activity tasks waiting for a worker
// on a task list (scheduled, not yet handed out).
func (s *Service) CountPendingActivityTasks(ctx context.Context, in *countPendingTasksInput) (*countOutput, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	return s.countPending(ctx, in.Domain, activityQueue(in.Domain, in.TaskList.Name))
}

// CountPendingDecisionTasks counts the decision tasks waiting for a decider
// on a task list (scheduled, not yet handed out).
func (s *Service) CountPendingDecisionTasks(ctx context.Context, in *countPendingTasksInput) (*countOutput, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	return s.countPending(ctx, in.Domain, decisionQueue(in.Domain, in.TaskList.Name))
}

func (s *Service) countPending(ctx context.Context, domainName, queue string) (*countOutput, error) {
	out := &countOutput{}
	err := s.view(ctx, func(tx store.Tx) error {
		if _, err := loadDomain(tx, domainName); err != nil {
			return err
		}
		tasks, err := tx.ListTasks(store.TaskQuery{Queue: queue, State: store.TaskScheduled})
		out.Count = len(tasks)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// executionInfo returns the WorkflowExecutionInfo of ex.
func executionInfo(ex *execution) workflowExecutionInfo {
	return workflowExecutionInfo{
		Execution:       WorkflowExecution{WorkflowID: ex.WorkflowID, RunID: ex.RunID},
		WorkflowType:    ex.Type,
		StartTimestamp:  awsapi.Timestamp{Time: ex.Started},
		CloseTimestamp:  awsapi.Timestamp{Time: ex.Closed},
		ExecutionStatus: ex.Status,
		CloseStatus:     ex.CloseStatus,
		Parent:          ex.Parent,
		TagList:         ex.TagList,
		CancelRequested: ex.CancelRequested,
	}
}

// visibleExecution loads one run for describe and history: the domain must
// exist and the run must be in it and not past the domain's retention.
func (s *Service) visibleExecution(tx store.Tx, domainName string, we WorkflowExecution) (*execution, error) {
	d, err := loadDomain(tx, domainName)
	if err != nil {
		return nil, err
	}
	notFound := swferr.UnknownExecution(we.WorkflowID, we.RunID)
	// '|' joins the parts of an id: a part containing it could name a run
	// of another workflow, so no such run exists.
	if strings.Contains(we.WorkflowID, "|") || strings.Contains(we.RunID, "|") {
		return nil, notFound
	}
	var ex execution
	if _, err := getJSON(tx, kindExecution, executionID(domainName, we.WorkflowID, we.RunID), &ex, notFound); err != nil {
		return nil, err
	}
	if expired(&ex, retention(d), s.eng.Now()) {
		return nil, notFound
	}
	return &ex, nil
}

// retention returns how long a domain keeps closed executions visible.
// "NONE" and "0" keep them for no time at all.
func retention(d *domain) time.Duration {
	n, err := strconv.Atoi(d.RetentionDays)
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(n) * 24 * time.Hour
}

// expired reports whether ex closed more than keep ago: it is gone for
// every read even before the retention timer deletes it.
func expired(ex *execution, keep time.Duration, now time.Time) bool {
	return ex.Status == statusClosed && !now.Before(ex.Closed.Add(keep))
}

// executionQuery is what a List or Count operation selects: executions of
// one domain and status, filtered by a time window and at most one other
// filter.
type executionQuery struct {
	domain         string
	status         string // statusOpen or statusClosed
	byClose        bool   // the window and the order use the close time, not the start time
	oldest, latest time.Time
	typeName       string
	typeVersion    string
	tag            *string
	workflowID     string
	closeStatus    string
}

// openQuery checks the filters of an open-executions request.
func openQuery(f *openFilters) (*executionQuery, error) {
	if f.StartTimeFilter == nil {
		return nil, swferr.ValidationException("startTimeFilter is required: give the oldest (and optionally the latest) start time to list")
	}
	if n := countSet(f.TypeFilter != nil, f.TagFilter != nil, f.ExecutionFilter != nil); n > 1 {
		return nil, swferr.ValidationException("executionFilter, typeFilter and tagFilter are mutually exclusive: give at most one of them")
	}
	q := &executionQuery{domain: f.Domain, status: statusOpen}
	q.window(f.StartTimeFilter)
	q.setFilters(f)
	return q, nil
}

// closedQuery checks the filters of a closed-executions request.
func closedQuery(f *closedFilters) (*executionQuery, error) {
	if (f.StartTimeFilter == nil) == (f.CloseTimeFilter == nil) {
		return nil, swferr.ValidationException("startTimeFilter and closeTimeFilter are mutually exclusive: give exactly one of them")
	}
	if n := countSet(f.CloseStatusFilter != nil, f.TypeFilter != nil, f.TagFilter != nil, f.ExecutionFilter != nil); n > 1 {
		return nil, swferr.ValidationException("closeStatusFilter, executionFilter, typeFilter and tagFilter are mutually exclusive: give at most one of them")
	}
	q := &executionQuery{domain: f.Domain, status: statusClosed}
	if f.CloseTimeFilter != nil {
		q.byClose = true
		q.window(f.CloseTimeFilter)
	} else {
		q.window(f.StartTimeFilter)
	}
	q.setFilters(&f.openFilters)
	if f.CloseStatusFilter != nil {
		q.closeStatus = f.CloseStatusFilter.Status
	}
	return q, nil
}

func countSet(set ...bool) int {
	n := 0
	for _, b := range set {
		if b {
			n++
		}
	}
	return n
}

func (q *executionQuery) window(f *executionTimeFilter) {
	q.oldest, q.latest = f.OldestDate.Time, f.LatestDate.Time
}

func (q *executionQuery) setFilters(f *openFilters) {
	if f.TypeFilter != nil {
		q.typeName, q.typeVersion = f.TypeFilter.Name, f.TypeFilter.Version
	}
	if f.TagFilter != nil {
		q.tag = &f.TagFilter.Tag
	}
	if f.ExecutionFilter != nil {
		q.workflowID = f.ExecutionFilter.WorkflowID
	}
}

// key names the listing for its page tokens: the same domain, status,
// filters and order.
func (q *executionQuery) key(reverse bool) string {
	tag := "-"
	if q.tag != nil {
		tag = "+" + *q.tag
	}
	nanos := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return strconv.FormatInt(t.UnixNano(), 10)
	}
	return listingKey("executions", q.domain, q.status, strconv.FormatBool(q.byClose), nanos(q.oldest), nanos(q.latest),
		q.typeName, q.typeVersion, tag, q.workflowID, q.closeStatus, strconv.FormatBool(reverse))
}

// sortTime is the time ex is filtered and ordered by.
func (q *executionQuery) sortTime(ex *execution) time.Time {
	if q.byClose {
		return ex.Closed
	}
	return ex.Started
}

// match reports whether ex passes the filters. Times are compared at the
// millisecond precision they have on the wire, so a timestamp read from a
// response selects the execution it came from; both bounds are inclusive.
func (q *executionQuery) match(ex *execution) bool {
	ms := q.sortTime(ex).UnixMilli()
	switch {
	case ex.Status != q.status,
		ms < q.oldest.UnixMilli(),
		!q.latest.IsZero() && ms > q.latest.UnixMilli(),
		q.typeName != "" && ex.Type.Name != q.typeName,
		q.typeVersion != "" && ex.Type.Version != q.typeVersion,
		q.tag != nil && !slices.Contains(ex.TagList, *q.tag),
		q.workflowID != "" && ex.WorkflowID != q.workflowID,
		q.closeStatus != "" && ex.CloseStatus != q.closeStatus:
		return false
	}
	return true
}

// selected is one execution a query selected, with its position in the
// listing's order: the sort time, then the store's insertion order.
type selected struct {
	ex  *execution
	at  int64 // sortTime in Unix nanoseconds
	seq int64
}

// selectExecutions returns the executions q selects, unordered.
//
// The store filters only on kind, parent and status, and orders only by
// insertion; the SWF filters, the retention cut-off and the time order are
// applied here, in memory, over all of the domain's open (or closed)
// executions. That is fine at the scale gaffer runs at; an index on the
// start and close times would be the next step.
func (s *Service) selectExecutions(tx store.Tx, q *executionQuery) ([]selected, error) {
	d, err := loadDomain(tx, q.domain)
	if err != nil {
		return nil, err
	}
	keep, now := retention(d), s.eng.Now()
	objs, err := tx.ListObjects(store.ObjectQuery{Kind: kindExecution, Parent: q.domain, Status: q.status})
	if err != nil {
		return nil, fmt.Errorf("list executions: %w", err)
	}
	var out []selected
	for _, o := range objs {
		ex := new(execution)
		if err := json.Unmarshal(o.Body, ex); err != nil {
			return nil, fmt.Errorf("decode %s %s: %w", o.Kind, o.ID, err)
		}
		if ex.Domain != q.domain || !q.match(ex) || expired(ex, keep, now) {
			continue
		}
		out = append(out, selected{ex: ex, at: q.sortTime(ex).UnixNano(), seq: o.Seq})
	}
	return out, nil
}

func (s *Service) countExecutions(ctx context.Context, q *executionQuery) (*countOutput, error) {
	out := &countOutput{}
	err := s.view(ctx, func(tx store.Tx) error {
		sel, err := s.selectExecutions(tx, q)
		out.Count = len(sel)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// listExecutions returns one page of the executions q selects, newest first
// unless p.ReverseOrder. The page token holds the position of the page's
// last execution (its sort time and sequence number), so executions that
// start, close or expire between pages neither repeat nor shift the pages.
func (s *Service) listExecutions(ctx context.Context, q *executionQuery, p *pageParams) (*workflowExecutionInfos, error) {
	key := q.key(p.ReverseOrder)
	after, err := parseCursor(s.pager(), key, p.NextPageToken)
	if err != nil {
		return nil, err
	}
	size := pageSize(p.MaximumPageSize)
	order := func(a, b cursor) int { // newest first
		return cmp.Or(cmp.Compare(b.at, a.at), cmp.Compare(b.seq, a.seq))
	}
	if p.ReverseOrder {
		order = func(a, b cursor) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.seq, b.seq)) }
	}
	out := &workflowExecutionInfos{ExecutionInfos: []workflowExecutionInfo{}}
	err = s.view(ctx, func(tx store.Tx) error {
		sel, err := s.selectExecutions(tx, q)
		if err != nil {
			return err
		}
		slices.SortFunc(sel, func(a, b selected) int { return order(a.cursor(), b.cursor()) })
		if after != nil {
			i, _ := slices.BinarySearchFunc(sel, *after, func(e selected, c cursor) int { return order(e.cursor(), c) })
			if i < len(sel) && sel[i].cursor() == *after {
				i++
			}
			sel = sel[i:]
		}
		if len(sel) > size {
			sel = sel[:size]
			out.NextPageToken = cursorToken(s.pager(), key, sel[size-1].cursor())
		}
		for _, e := range sel {
			out.ExecutionInfos = append(out.ExecutionInfos, executionInfo(e.ex))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// cursor is a position in an execution listing.
type cursor struct{ at, seq int64 }

func (e selected) cursor() cursor { return cursor{at: e.at, seq: e.seq} }

// cursorToken encodes a listing's position, "<at>:<seq>", signed with
// pg.
func cursorToken(pg awsapi.Pager, key string, c cursor) string {
	return pg.Sign(key, fmt.Sprintf("%d:%d", c.at, c.seq))
}

// parseCursor decodes a token made by cursorToken for the same listing; nil
// for the first page.
func parseCursor(pg awsapi.Pager, key, tok string) (*cursor, error) {
	if tok == "" {
		return nil, nil
	}
	bad := swferr.ValidationException("Invalid nextPageToken: it is not a page token of this listing (give the same domain, filters and order as the first page)")
	pos, err := pg.Open(key, tok)
	if err != nil {
		return nil, tokenError(err, bad)
	}
	a, q, ok := strings.Cut(pos, ":")
	if !ok {
		return nil, bad
	}
	at, err1 := strconv.ParseInt(a, 10, 64)
	seq, err2 := strconv.ParseInt(q, 10, 64)
	if err1 != nil || err2 != nil {
		return nil, bad
	}
	return &cursor{at: at, seq: seq}, nil
}

// historyPage returns one page of an execution's history (pageSize events
// at most; 0 means SWF's default of 1000), oldest first unless reverse, and
// the token of the next page ("" on the last). GetWorkflowExecutionHistory
// and PollForDecisionTask both page with it; a token of another execution
// is refused. Tokens are signed by pg.
func historyPage(pg awsapi.Pager, tx store.Tx, ex *execution, token string, size int, reverse bool) ([]json.RawMessage, string, error) {
	key := listingKey("history", ex.ID(), strconv.FormatBool(reverse))
	after, err := parsePageToken(pg, key, token)
	if err != nil {
		return nil, "", err
	}
	size = pageSize(size)
	evs, err := tx.ListEvents(store.EventQuery{Owner: ex.ID(), AfterID: after, Desc: reverse, Limit: size + 1})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(evs) > size {
		evs = evs[:size]
		next = pageToken(pg, key, evs[size-1].ID)
	}
	out := make([]json.RawMessage, len(evs))
	for i, e := range evs {
		out[i] = e.Body
	}
	return out, next, nil
}
