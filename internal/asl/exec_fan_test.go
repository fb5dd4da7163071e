package asl

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// kinRecorder keeps the history of an execution and of each child
// execution of its distributed Maps, as "Type<-prev" lines by child.
type kinRecorder struct {
	hist   map[int][]string
	ids    map[int]int64
	events []Event
}

func newKinRecorder() *kinRecorder {
	return &kinRecorder{hist: map[int][]string{}, ids: map[int]int64{}}
}

func (k *kinRecorder) Record(ev *Event, prev int64) int64 {
	k.ids[ev.Child]++
	k.hist[ev.Child] = append(k.hist[ev.Child], fmt.Sprintf("%s<-%d", ev.Type, prev))
	k.events = append(k.events, *ev)
	return k.ids[ev.Child]
}

// children returns the child ids in the order they started.
func (k *kinRecorder) children() []int {
	var out []int
	for _, ev := range k.events {
		if ev.Type == "ExecutionStarted" {
			out = append(out, ev.Child)
		}
	}
	return out
}

// find returns the events of type typ of child.
func (k *kinRecorder) find(child int, typ string) []Event {
	var out []Event
	for _, ev := range k.events {
		if ev.Child == child && ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// distributedMachine maps over its input with at most one child at a
// time; each child runs a Task (whose input names the child's execution)
// and an inline Map.
const distributedMachine = `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"L","MaxConcurrency":1,
	"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:000000000000:activity:a","Parameters":{"v.$":"$","id.$":"$$.Execution.Id"},"ResultPath":null,"Next":"I"},
		"I":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}},
	"End":true}}}`

// kinRun runs m on x with in, the children's $$.Execution.Id being
// "child-<id>".
func kinRun(t *testing.T, m *Machine, x *Exec, rec *kinRecorder, in Input) []Effect {
	t.Helper()
	effects, err := m.Run(x, in, Env{
		Now:          time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
		Context:      &Context{ExecutionID: "parent"},
		Record:       rec,
		ChildContext: func(child int) *Context { return &Context{ExecutionID: fmt.Sprintf("child-%d", child)} },
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return effects
}

// scheduled returns the frames effects schedule tasks for.
func scheduled(effects []Effect) []Effect {
	var out []Effect
	for _, e := range effects {
		if e.Kind == EffectSchedule {
			out = append(out, e)
		}
	}
	return out
}

func TestRunDistributedMapChildren(t *testing.T) {
	t.Parallel()
	m, err := Parse([]byte(distributedMachine))
	if err != nil {
		t.Fatal(err)
	}
	rec := newKinRecorder()
	x := m.NewExec([]byte(`[[1],[2,3],[4]]`))
	effects := scheduled(kinRun(t, m, x, rec, Input{Kind: InputStart}))
	if len(effects) != 1 {
		t.Fatalf("%d tasks scheduled, want 1 (MaxConcurrency 1)", len(effects))
	}
	kids := rec.children()
	if len(kids) != 1 {
		t.Fatalf("children %v, want one", kids)
	}
	first := kids[0]
	if want := fmt.Sprintf(`{"v":[1],"id":"child-%d"}`, first); string(effects[0].Task.Input) != want {
		t.Errorf("task input %s, want %s (the child's $$)", effects[0].Task.Input, want)
	}
	started := rec.find(first, "ExecutionStarted")[0]
	if started.Index != 0 || string(started.Input) != `[1]` || started.Length != 1 || started.MapFrame != 1 {
		t.Errorf("ExecutionStarted %+v", started)
	}
	run := rec.find(0, "MapRunStarted")
	if len(run) != 1 || run[0].MapFrame != 1 || *run[0].MapRun != (MapRunConfig{Label: "L", MaxConcurrency: 1, ToleratedFailureCount: -1, ToleratedFailurePercentage: -1, Executions: 3, Items: 3}) {
		t.Fatalf("MapRunStarted %+v", run)
	}

	// Raising MaxConcurrency starts the two other children at once.
	three := 3
	more := scheduled(kinRun(t, m, x, rec, Input{Kind: InputUpdateMapRun, Frame: 1, Update: &MapRunUpdate{MaxConcurrency: &three}}))
	if len(more) != 2 || len(rec.children()) != 3 {
		t.Fatalf("after the update: %d tasks, children %v; want 2 more tasks, 3 children", len(more), rec.children())
	}
	for _, e := range append(effects, more...) {
		kinRun(t, m, x, rec, Input{Kind: InputTaskSucceeded, Frame: e.Frame, Output: []byte(`{}`)})
	}

	want := []string{"MapStateEntered<-0", "MapStateStarted<-1", "MapRunStarted<-2", "MapRunSucceeded<-3", "MapStateSucceeded<-4", "MapStateExited<-5"}
	if got := rec.hist[0]; !slices.Equal(got, want) {
		t.Errorf("parent history %v, want %v", got, want)
	}
	// Each child's history is its own, with the inline Map's iterations.
	want = []string{"ExecutionStarted<-0", "TaskStateEntered<-0", "ActivityScheduled<-2", "ActivitySucceeded<-3", "TaskStateExited<-4",
		"MapStateEntered<-5", "MapStateStarted<-6", "MapIterationStarted<-7", "PassStateEntered<-8", "PassStateExited<-9",
		"MapIterationSucceeded<-10", "MapStateSucceeded<-11", "MapStateExited<-12", "ExecutionSucceeded<-13"}
	if got := rec.hist[first]; !slices.Equal(got, want) {
		t.Errorf("child history %v, want %v", got, want)
	}
	out := rec.find(rec.children()[1], "ExecutionSucceeded")
	if len(out) != 1 || string(out[0].Output) != `[2,3]` {
		t.Errorf("second child's end %+v", out)
	}
	if len(x.Frames) != 0 {
		t.Errorf("%d frames left", len(x.Frames))
	}
}

func TestRunDistributedMapTolerance(t *testing.T) {
	t.Parallel()
	def := strings.Replace(distributedMachine, `"MaxConcurrency":1,`, `"MaxConcurrency":2,`, 1)
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	rec := newKinRecorder()
	x := m.NewExec([]byte(`[[1],[2],[3]]`))
	effects := scheduled(kinRun(t, m, x, rec, Input{Kind: InputStart}))
	if len(effects) != 2 {
		t.Fatalf("%d tasks, want 2", len(effects))
	}
	// With no tolerance set, one failed child fails the Map Run; the other
	// child is aborted and its task closed.
	end := kinRun(t, m, x, rec, Input{Kind: InputTaskFailed, Frame: effects[0].Frame, Error: "E", Cause: "c"})
	kids := rec.children()
	if got := rec.find(kids[0], "ExecutionFailed"); len(got) != 1 || got[0].Error != "E" {
		t.Errorf("first child's end %+v", got)
	}
	if got := rec.find(kids[1], "ExecutionAborted"); len(got) != 1 {
		t.Errorf("second child was not aborted: %v", rec.hist[kids[1]])
	}
	failed := rec.find(0, "MapRunFailed")
	if len(failed) != 1 || failed[0].Error != errorExceedTolerance || failed[0].MapFrame != 1 {
		t.Errorf("MapRunFailed %+v", failed)
	}
	var cancel, fail bool
	for _, e := range end {
		cancel = cancel || e.Kind == EffectCancel && e.Frame == effects[1].Frame
		fail = fail || e.Kind == EffectFail && e.Error == errorExceedTolerance
	}
	if !cancel || !fail {
		t.Errorf("effects %+v: want the other task canceled and the execution failed", end)
	}
}

func TestTolerated(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		count  int
		pct    float64
		failed int
		want   bool
	}{
		{-1, -1, 1, false},
		{1, -1, 1, true},
		{1, -1, 2, false},
		{-1, 50, 2, true}, // 2 of 4
		{-1, 50, 3, false},
		{5, 25, 2, false}, // within the count, over the percentage: too many
		{1, 100, 2, false},
		{0, 0, 0, true},
	} {
		fn := &fan{TolCount: tc.count, TolPct: tc.pct, Failed: tc.failed}
		if got := tolerated(fn, 4); got != tc.want {
			t.Errorf("count %d pct %v: %d of 4 failed: tolerated %v, want %v", tc.count, tc.pct, tc.failed, got, tc.want)
		}
	}
}
