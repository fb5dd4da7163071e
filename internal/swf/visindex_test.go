package swf_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
	"github.com/gaffer-dev/gaffer/internal/store/sqlite"
	"github.com/gaffer-dev/gaffer/internal/store/storecopy"
)

// visMany starts n executions in e's domain: workflow ids x000…, of
// types A and B alternately, tagged "red" (every third) or "blue", and
// terminates every fourth. It returns the ids of each group.
func visMany(t *testing.T, e *visEnv, n int) (groups map[string][]string) {
	t.Helper()
	types := []*types.WorkflowType{visWorkflowType(t, e.bundle, e.domain, "A", "1"), visWorkflowType(t, e.bundle, e.domain, "B", "1")}
	groups = map[string][]string{}
	for i := range n {
		id := fmt.Sprintf("x%03d", i)
		tag := "blue"
		if i%3 == 0 {
			tag = "red"
		}
		r := visStart(t, e.bundle, e.domain, types[i%2], id, "", tag, "all")
		state := "open"
		if i%4 == 0 {
			visTerminate(t, e.bundle, r)
			state = "closed"
		}
		groups[state] = append(groups[state], id)
		groups[state+" "+tag] = append(groups[state+" "+tag], id)
		groups[state+" "+*types[i%2].Name] = append(groups[state+" "+*types[i%2].Name], id)
	}
	return groups
}

// visPages pages through a listing with pages of size, checking each
// page's size and that the start (or close) times go down (up if
// reverse); it returns the workflow ids listed.
func visPages(t *testing.T, what string, size int, reverse, byClose bool, page func(tok *string) ([]types.WorkflowExecutionInfo, *string)) []string {
	t.Helper()
	var ids []string
	var last *types.WorkflowExecutionInfo
	var tok *string
	for range 1000 {
		infos, next := page(tok)
		if len(infos) > size || (next != nil && len(infos) != size) {
			t.Fatalf("%s: page of %d with next %v, want %d", what, len(infos), next != nil, size)
		}
		for i := range infos {
			in := &infos[i]
			if last != nil {
				a, b := last.StartTimestamp, in.StartTimestamp
				if byClose {
					a, b = last.CloseTimestamp, in.CloseTimestamp
				}
				if (!reverse && b.After(*a)) || (reverse && b.Before(*a)) {
					t.Errorf("%s: %s (%v) after %s (%v): out of order", what, *in.Execution.WorkflowId, b, *last.Execution.WorkflowId, a)
				}
			}
			last = in
			ids = append(ids, *in.Execution.WorkflowId)
		}
		if next == nil {
			return ids
		}
		tok = next
	}
	t.Fatalf("%s: more than 1000 pages", what)
	return nil
}

// TestVisIndexPagingFilters pages through open and closed listings of
// many executions, filtered by tag, type and close status, in both
// orders: every execution is listed once, in time order, and the counts
// agree.
func TestVisIndexPagingFilters(t *testing.T) {
	t.Parallel()
	e := visSetup(t)
	groups := visMany(t, e, 60)
	all := &types.ExecutionTimeFilter{OldestDate: aws.Time(visEpoch)}
	d := aws.String(e.domain)
	for _, reverse := range []bool{false, true} {
		for name, f := range map[string]struct {
			tag, typ string
		}{"open": {}, "open red": {tag: "red"}, "open blue": {tag: "blue"}, "open A": {typ: "A"}, "open B": {typ: "B"}} {
			in := &swf.ListOpenWorkflowExecutionsInput{Domain: d, StartTimeFilter: all, MaximumPageSize: 4, ReverseOrder: reverse}
			cin := &swf.CountOpenWorkflowExecutionsInput{Domain: d, StartTimeFilter: all}
			if f.tag != "" {
				in.TagFilter, cin.TagFilter = &types.TagFilter{Tag: aws.String(f.tag)}, &types.TagFilter{Tag: aws.String(f.tag)}
			}
			if f.typ != "" {
				in.TypeFilter, cin.TypeFilter = &types.WorkflowTypeFilter{Name: aws.String(f.typ)}, &types.WorkflowTypeFilter{Name: aws.String(f.typ)}
			}
			got := visPages(t, name, 4, reverse, false, func(tok *string) ([]types.WorkflowExecutionInfo, *string) {
				in.NextPageToken = tok
				out, err := e.Client.ListOpenWorkflowExecutions(e.Ctx, in)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				return out.ExecutionInfos, out.NextPageToken
			})
			visEqual(t, fmt.Sprintf("%s (reverse %v), sorted", name, reverse), slices.Sorted(slices.Values(got)), groups[name])
			if n := e.countOpen(t, cin); n != len(groups[name]) {
				t.Errorf("count %s = %d, want %d", name, n, len(groups[name]))
			}
		}
		for name, f := range map[string]struct {
			tag    string
			status types.CloseStatus
		}{"closed": {}, "closed red": {tag: "red"}, "closed terminated": {status: types.CloseStatusTerminated}, "closed completed": {status: types.CloseStatusCompleted}} {
			in := &swf.ListClosedWorkflowExecutionsInput{Domain: d, CloseTimeFilter: all, MaximumPageSize: 3, ReverseOrder: reverse}
			cin := &swf.CountClosedWorkflowExecutionsInput{Domain: d, CloseTimeFilter: all}
			if f.tag != "" {
				in.TagFilter, cin.TagFilter = &types.TagFilter{Tag: aws.String(f.tag)}, &types.TagFilter{Tag: aws.String(f.tag)}
			}
			if f.status != "" {
				in.CloseStatusFilter, cin.CloseStatusFilter = &types.CloseStatusFilter{Status: f.status}, &types.CloseStatusFilter{Status: f.status}
			}
			want := groups[name]
			switch f.status {
			case types.CloseStatusTerminated:
				want = groups["closed"]
			case types.CloseStatusCompleted:
				want = nil
			}
			got := visPages(t, name, 3, reverse, true, func(tok *string) ([]types.WorkflowExecutionInfo, *string) {
				in.NextPageToken = tok
				out, err := e.Client.ListClosedWorkflowExecutions(e.Ctx, in)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				return out.ExecutionInfos, out.NextPageToken
			})
			visEqual(t, fmt.Sprintf("%s (reverse %v), sorted", name, reverse), slices.Sorted(slices.Values(got)), want)
			if n := e.countClosed(t, cin); n != len(want) {
				t.Errorf("count %s = %d, want %d", name, n, len(want))
			}
		}
	}
}

// TestVisIndexBuiltOnCopy: a copy of a store (gaffer copy) carries the
// executions but not their visibility index; the server started on it
// builds the index before it serves, so the listings and counts are
// those of the original.
func TestVisIndexBuiltOnCopy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := servertest.Start(t, servertest.Options{DataDir: dir})
	e := &visEnv{bundle: &bundle{servertest.InProcess(srv).SWF()}}
	e.domain = visDomain(t, e.bundle, "1")
	e.wf = visWorkflowType(t, e.bundle, e.domain, "wf", "1")
	groups := visMany(t, e, 12)
	if err := srv.Shutdown(e.Ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	from, err := sqlite.Open(t.Context(), filepath.Join(dir, "gaffer.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open the original: %v", err)
	}
	defer func() { _ = from.Close() }()
	copyDir := t.TempDir()
	to, err := sqlite.Open(t.Context(), filepath.Join(copyDir, "gaffer.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open the copy: %v", err)
	}
	if _, err := storecopy.Copy(t.Context(), from, to, storecopy.Options{}); err != nil {
		t.Fatalf("copy: %v", err)
	}
	if err := to.Close(); err != nil {
		t.Fatalf("close the copy: %v", err)
	}

	c := &visEnv{bundle: &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{DataDir: copyDir})).SWF()}, domain: e.domain}
	all := &types.ExecutionTimeFilter{OldestDate: aws.Time(visEpoch)}
	got := c.listOpen(t, &swf.ListOpenWorkflowExecutionsInput{StartTimeFilter: all})
	visEqual(t, "open on the copy, sorted", slices.Sorted(slices.Values(got)), groups["open"])
	if n := c.countClosed(t, &swf.CountClosedWorkflowExecutionsInput{CloseTimeFilter: all, TagFilter: &types.TagFilter{Tag: aws.String("red")}}); n != len(groups["closed red"]) {
		t.Errorf("closed red on the copy = %d, want %d", n, len(groups["closed red"]))
	}
}
