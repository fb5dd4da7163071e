package swf

import (
	"context"
	"encoding/json"
	"fmt"
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

// storeQuery returns the visibility query of q in a domain that keeps
// closed executions for keep, at now. Times are compared at the
// millisecond precision they have on the wire, so a timestamp read from a
// response selects the execution it came from; both bounds are inclusive.
// A closed execution past its retention is gone for every read even
// before the retention timer deletes it.
func (q *executionQuery) storeQuery(keep time.Duration, now time.Time) store.VisibilityQuery {
	sq := store.VisibilityQuery{
		Kind: kindExecution, Namespace: q.domain, Status: q.status, ByClose: q.byClose,
		TypeName: q.typeName, TypeVersion: q.typeVersion, Tag: q.tag, WorkflowID: q.workflowID, CloseStatus: q.closeStatus,
	}
	if ms := q.oldest.UnixMilli(); !q.oldest.IsZero() && ms > 0 {
		sq.From = time.UnixMilli(ms)
	}
	if !q.latest.IsZero() {
		// Up to the end of latest's millisecond; a latest before 1970
		// ends before every execution.
		sq.Until = time.UnixMilli(max(q.latest.UnixMilli(), -1) + 1)
	}
	if q.status == statusClosed {
		sq.ClosedAfter = now.Add(-keep)
	}
	return sq
}

// visibilityOf returns the visibility entry of ex.
func visibilityOf(ex *execution) *store.Visibility {
	return &store.Visibility{
		Kind: kindExecution, ID: ex.ID(), Namespace: ex.Domain,
		Status: ex.Status, CloseStatus: ex.CloseStatus, StartedAt: ex.Started, ClosedAt: ex.Closed,
		TypeName: ex.Type.Name, TypeVersion: ex.Type.Version, WorkflowID: ex.WorkflowID, Tags: ex.TagList,
	}
}

// domainQuery loads q's domain (UnknownResourceFault if there is none) and
// returns q as a store query.
func (s *Service) domainQuery(tx store.Tx, q *executionQuery) (store.VisibilityQuery, error) {
	d, err := loadDomain(tx, q.domain)
	if err != nil {
		return store.VisibilityQuery{}, err
	}
	return q.storeQuery(retention(d), s.eng.Now()), nil
}

// countExecutions counts the executions q selects: an exact count over the
// visibility index's range, so truncated is always false.
func (s *Service) countExecutions(ctx context.Context, q *executionQuery) (*countOutput, error) {
	out := &countOutput{}
	err := s.view(ctx, func(tx store.Tx) error {
		sq, err := s.domainQuery(tx, q)
		if err != nil {
			return err
		}
		n, err := tx.CountVisibility(sq)
		out.Count = int(n)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// listExecutions returns one page of the executions q selects, newest first
// unless p.ReverseOrder, read from the visibility index: a page costs its
// entries and their records, not the domain's executions. The page token
// holds the position of the page's last execution (its sort time and
// id), so executions that start, close or expire between pages neither
// repeat nor shift the pages.
func (s *Service) listExecutions(ctx context.Context, q *executionQuery, p *pageParams) (*workflowExecutionInfos, error) {
	key := q.key(p.ReverseOrder)
	pg := s.pager()
	after, err := parseCursor(pg, key, p.NextPageToken)
	if err != nil {
		return nil, err
	}
	size := pageSize(p.MaximumPageSize)
	out := &workflowExecutionInfos{ExecutionInfos: []workflowExecutionInfo{}}
	err = s.view(ctx, func(tx store.Tx) error {
		sq, err := s.domainQuery(tx, q)
		if err != nil {
			return err
		}
		sq.After, sq.Reverse, sq.Limit = after, p.ReverseOrder, size+1
		vs, err := tx.ListVisibility(sq)
		if err != nil {
			return fmt.Errorf("list executions: %w", err)
		}
		if len(vs) > size {
			vs = vs[:size]
			last := vs[size-1]
			at := last.StartedAt
			if q.byClose {
				at = last.ClosedAt
			}
			out.NextPageToken = cursorToken(pg, key, store.VisibilityPosition{At: at, ID: last.ID})
		}
		for _, v := range vs {
			ex := new(execution)
			if _, err := store.GetJSON(tx, kindExecution, v.ID, ex); err != nil {
				return fmt.Errorf("list executions: %w", err)
			}
			out.ExecutionInfos = append(out.ExecutionInfos, executionInfo(ex))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// cursorToken encodes a listing's position, "<unix nanoseconds>:<id>",
// signed with pg.
func cursorToken(pg awsapi.Pager, key string, c store.VisibilityPosition) string {
	return pg.Sign(key, strconv.FormatInt(c.At.UnixNano(), 10)+":"+c.ID)
}

// parseCursor decodes a token made by cursorToken for the same listing; nil
// for the first page.
func parseCursor(pg awsapi.Pager, key, tok string) (*store.VisibilityPosition, error) {
	if tok == "" {
		return nil, nil
	}
	bad := swferr.ValidationException("Invalid nextPageToken: it is not a page token of this listing (give the same domain, filters and order as the first page)")
	pos, err := pg.Open(key, tok)
	if err != nil {
		return nil, tokenError(err, bad)
	}
	a, id, ok := strings.Cut(pos, ":")
	if !ok {
		return nil, bad
	}
	at, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return nil, bad
	}
	return &store.VisibilityPosition{At: time.Unix(0, at).UTC(), ID: id}, nil
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
