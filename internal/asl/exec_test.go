package asl

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// The tests of this file drive whole executions through Machine.Run the way
// internal/sfn does, in memory: a recorder that keeps the history, the open
// tasks and timers in maps, the Exec stored (encoded and decoded) between
// writes, and InputContinue after each EffectContinue.

// act is the activity every Task state of these tests names.
const act = "arn:aws:states:us-east-1:000000000000:activity:work"

// logged is one event the memory recorder kept.
type logged struct {
	ID, Prev int64
	Event
}

// memRecorder is a Recorder that keeps the history in memory.
type memRecorder struct{ events []logged }

func (r *memRecorder) Record(ev *Event, prev int64) int64 {
	id := int64(len(r.events) + 1)
	r.events = append(r.events, logged{ID: id, Prev: prev, Event: *ev})
	return id
}

func (r *memRecorder) LastEventID() int64 { return int64(len(r.events)) }

// xdriver runs one execution in memory.
type xdriver struct {
	t   *testing.T
	m   *Machine
	x   *Exec
	rec *memRecorder
	env Env // MaxSteps, MaxBytes, MaxEvents for every Run
	ctx Context
	rnd *rand.Rand // the execution's Context.Rand

	now     time.Time
	tasks   map[int]*TaskSpec // the open tasks by frame
	started map[int]bool      // open tasks reported started
	order   []int             // frames in the order their tasks were scheduled
	timers  map[int]time.Time // the pending timers by frame
	cont    bool              // an EffectContinue is pending
	cancels []int             // the frames EffectCancel named, in order
	end     *Effect           // EffectSucceed or EffectFail
	maxOut  int               // the most tasks open at once
	writes  int               // calls of Run
	last    []Effect          // the effects of the last Run
	hook    func(d *xdriver)  // runs after every Run (invariants)
}

// newX parses def and returns a driver for one execution of it.
func newX(t *testing.T, def string) *xdriver {
	t.Helper()
	m, err := Parse([]byte(strings.ReplaceAll(def, "$ACT", act)))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return &xdriver{
		t: t, m: m, rec: &memRecorder{},
		now:     time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		tasks:   map[int]*TaskSpec{},
		started: map[int]bool{},
		timers:  map[int]time.Time{},
		rnd:     rand.New(rand.NewPCG(7, 7)),
	}
}

// start starts the execution with input and settles it.
func (d *xdriver) start(input string) *xdriver {
	d.t.Helper()
	d.x = d.m.NewExec([]byte(input))
	d.run(Input{Kind: InputStart})
	d.settle()
	return d
}

// run calls Run once with in, stores the Exec as sfn does (JSON), and
// carries out the effects.
func (d *xdriver) run(in Input) {
	d.t.Helper()
	if d.end != nil {
		d.t.Fatalf("Run(%+v) after the execution ended", in)
	}
	env := d.env
	env.Now = d.now
	env.Record = d.rec
	ctx := d.ctx
	ctx.Rand = d.rnd
	env.Context = &ctx
	effects, err := d.m.Run(d.x, in, env)
	if err != nil {
		d.t.Fatalf("Run(%+v): %v", in, err)
	}
	d.writes++
	d.last = effects
	// The Exec goes to the store and comes back in the next write.
	b, err := json.Marshal(d.x)
	if err != nil {
		d.t.Fatalf("encode Exec: %v", err)
	}
	d.x = &Exec{}
	if err := json.Unmarshal(b, d.x); err != nil {
		d.t.Fatalf("decode Exec: %v", err)
	}
	for _, e := range effects {
		switch e.Kind {
		case EffectSchedule:
			if _, ok := d.tasks[e.Frame]; ok {
				d.t.Fatalf("frame %d scheduled a task while its task %v is open", e.Frame, d.tasks[e.Frame])
			}
			if e.Task == nil {
				d.t.Fatalf("EffectSchedule of frame %d has no task", e.Frame)
			}
			d.tasks[e.Frame] = e.Task
			d.order = append(d.order, e.Frame)
		case EffectTimer:
			d.timers[e.Frame] = e.At
		case EffectCancel:
			d.cancels = append(d.cancels, e.Frame)
			delete(d.tasks, e.Frame)
			delete(d.timers, e.Frame)
		case EffectContinue:
			d.cont = true
		case EffectSucceed, EffectFail:
			if d.end != nil {
				d.t.Fatalf("a second end effect %+v after %+v", e, *d.end)
			}
			e := e
			d.end = &e
		default:
			d.t.Fatalf("unexpected effect %+v", e)
		}
	}
	if d.end != nil {
		// The interpreter names every open task and timer it leaves.
		if len(d.tasks) > 0 || len(d.timers) > 0 {
			d.t.Fatalf("the execution ended with tasks %v and timers %v not cancelled", keys(d.tasks), keys(d.timers))
		}
		if len(d.x.Frames) != 0 {
			d.t.Fatalf("the execution ended with %d frames left", len(d.x.Frames))
		}
	}
	d.maxOut = max(d.maxOut, len(d.tasks))
	if d.hook != nil {
		d.hook(d)
	}
}

// settle runs InputContinue until no more work is queued.
func (d *xdriver) settle() {
	d.t.Helper()
	for n := 0; d.cont && d.end == nil; n++ {
		if n > 100000 {
			d.t.Fatal("the execution keeps asking to continue")
		}
		d.cont = false
		d.run(Input{Kind: InputContinue})
	}
}

// answer reports frame's task taken by a worker and ended with in.
func (d *xdriver) answer(frame int, in Input) {
	d.t.Helper()
	if _, ok := d.tasks[frame]; !ok {
		d.t.Fatalf("frame %d has no open task (open: %v)", frame, keys(d.tasks))
	}
	if !d.started[frame] {
		d.started[frame] = true
		d.run(Input{Kind: InputTaskStarted, Frame: frame, Worker: "w"})
	}
	delete(d.tasks, frame)
	delete(d.started, frame)
	in.Frame = frame
	d.run(in)
	d.settle()
}

// succeed completes frame's task with output.
func (d *xdriver) succeed(frame int, output string) {
	d.t.Helper()
	d.answer(frame, Input{Kind: InputTaskSucceeded, Output: []byte(output)})
}

// fail fails frame's task.
func (d *xdriver) fail(frame int, name, cause string) {
	d.t.Helper()
	d.answer(frame, Input{Kind: InputTaskFailed, Error: name, Cause: cause})
}

// fire fires frame's timer, moving the clock to it.
func (d *xdriver) fire(frame int) {
	d.t.Helper()
	at, ok := d.timers[frame]
	if !ok {
		d.t.Fatalf("frame %d has no timer (timers: %v)", frame, keys(d.timers))
	}
	delete(d.timers, frame)
	if at.After(d.now) {
		d.now = at
	}
	d.run(Input{Kind: InputTimer, Frame: frame})
	d.settle()
}

// fireAll fires every pending timer, earliest first.
func (d *xdriver) fireAll() {
	d.t.Helper()
	for len(d.timers) > 0 && d.end == nil {
		ids := keys(d.timers)
		slices.SortFunc(ids, func(a, b int) int { return d.timers[a].Compare(d.timers[b]) })
		d.fire(ids[0])
	}
}

// open returns the frames with an open task, in the order they were
// scheduled.
func (d *xdriver) open() []int {
	var out []int
	for _, f := range d.order {
		if _, ok := d.tasks[f]; ok {
			out = append(out, f)
		}
	}
	return out
}

// frameIn returns the frame whose task is open in state name (the first,
// in scheduling order).
func (d *xdriver) frameIn(name string) int {
	d.t.Helper()
	for _, f := range d.open() {
		if fr := d.x.Frame(f); fr != nil && fr.State == name {
			return f
		}
	}
	d.t.Fatalf("no task open in state %s", name)
	return 0
}

// input returns the input of frame's open task.
func (d *xdriver) input(frame int) string { return string(d.tasks[frame].Input) }

// wantSucceeded checks that the execution succeeded with output (JSON-equal).
func (d *xdriver) wantSucceeded(output string) {
	d.t.Helper()
	if d.end == nil {
		d.t.Fatalf("execution still running; open tasks %v, timers %v; history:\n%s", keys(d.tasks), keys(d.timers), d.history())
	}
	if d.end.Kind != EffectSucceed {
		d.t.Fatalf("execution failed %s: %s; history:\n%s", d.end.Error, d.end.Cause, d.history())
	}
	if !jsonEq(d.t, string(d.end.Output), output) {
		d.t.Fatalf("output %s, want %s", d.end.Output, output)
	}
}

// wantFailed checks that the execution failed with name and cause (cause
// "*": any).
func (d *xdriver) wantFailed(name, cause string) {
	d.t.Helper()
	if d.end == nil {
		d.t.Fatalf("execution still running; open tasks %v; history:\n%s", keys(d.tasks), d.history())
	}
	if d.end.Kind != EffectFail {
		d.t.Fatalf("execution succeeded with %s, want failure %s; history:\n%s", d.end.Output, name, d.history())
	}
	if d.end.Error != name || cause != "*" && d.end.Cause != cause {
		d.t.Fatalf("failed with %q: %q, want %q: %q", d.end.Error, d.end.Cause, name, cause)
	}
}

// types returns the event types of the history.
func (d *xdriver) types() []string {
	out := make([]string, len(d.rec.events))
	for i, e := range d.rec.events {
		out[i] = e.Type
	}
	return out
}

// lines renders the history as "id<-prev Type detail".
func (d *xdriver) lines() []string {
	out := make([]string, len(d.rec.events))
	for i, e := range d.rec.events {
		s := fmt.Sprintf("%d<-%d %s", e.ID, e.Prev, e.Type)
		switch {
		case strings.HasPrefix(e.Type, "MapIteration"):
			s += fmt.Sprintf(" %s[%d]", e.State, e.Index)
		case e.Type == "MapStateStarted":
			s += fmt.Sprintf(" length=%d", e.Length)
		case strings.HasSuffix(e.Type, "StateEntered"):
			s += fmt.Sprintf(" %s %s", e.State, e.Input)
		case strings.HasSuffix(e.Type, "StateExited"):
			s += fmt.Sprintf(" %s %s", e.State, e.Output)
		case e.Type == "ActivityScheduled":
			s += " " + string(e.Task.Input)
		case e.Type == "ActivitySucceeded":
			s += " " + string(e.Output)
		case e.Type == "ActivityFailed":
			s += " " + e.Error
		}
		if len(s) > 300 {
			s = s[:300] + "…"
		}
		out[i] = s
	}
	return out
}

func (d *xdriver) history() string { return strings.Join(d.lines(), "\n") }

// wantLines compares the history with want.
func (d *xdriver) wantLines(want ...string) {
	d.t.Helper()
	if got := d.lines(); !slices.Equal(got, want) {
		d.t.Fatalf("history:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// wantTypes compares the history's event types with want.
func (d *xdriver) wantTypes(want ...string) {
	d.t.Helper()
	if got := d.types(); !slices.Equal(got, want) {
		d.t.Fatalf("history types:\n  %s\nwant:\n  %s\nhistory:\n%s", strings.Join(got, "\n  "), strings.Join(want, "\n  "), d.history())
	}
}

// count returns how many events of type typ the history has.
func (d *xdriver) count(typ string) int {
	n := 0
	for _, e := range d.rec.events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// checkPrevs checks that every event follows an earlier one.
func (d *xdriver) checkPrevs() {
	d.t.Helper()
	for _, e := range d.rec.events {
		if e.Prev < 0 || e.Prev >= e.ID {
			d.t.Fatalf("event %d %s has previousEventId %d", e.ID, e.Type, e.Prev)
		}
	}
}

func keys[V any](m map[int]V) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func jsonEq(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("bad JSON %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad JSON %q: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return string(gb) == string(wb)
}

// parallelTasks is a Parallel state of three branches, each one Task.
const parallelTasks = `{
	"StartAt": "P",
	"States": {
		"P": {
			"Type": "Parallel",
			"Parameters": {"v.$": "$.x"},
			"ResultSelector": {"first.$": "$[0]", "all.$": "$"},
			"ResultPath": "$.r",
			"OutputPath": "$.r",
			"Branches": [
				{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "$ACT", "End": true}}},
				{"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "$ACT", "End": true}}},
				{"StartAt": "C0", "States": {
					"C0": {"Type": "Pass", "Next": "C"},
					"C": {"Type": "Task", "Resource": "$ACT", "End": true}}}
			],
			"End": true
		}
	}
}`

func TestExecParallelBranchesRunTogether(t *testing.T) {
	t.Parallel()
	d := newX(t, parallelTasks).start(`{"x": 7}`)
	open := d.open()
	if len(open) != 3 || d.writes != 1 {
		t.Fatalf("after the start: open tasks %v in %d writes, want 3 tasks scheduled in the first", open, d.writes)
	}
	for _, f := range open {
		if got := d.input(f); !jsonEq(t, got, `{"v":7}`) {
			t.Fatalf("branch task input %s, want the Parameters' {\"v\":7}", got)
		}
	}
	// The branches end in reverse order; the output keeps branch order.
	d.succeed(open[2], `"c"`)
	d.succeed(open[1], `"b"`)
	if d.end != nil {
		t.Fatal("the Parallel state ended before its last branch")
	}
	d.succeed(open[0], `"a"`)
	d.wantSucceeded(`{"first":"a","all":["a","b","c"]}`)
	d.wantLines(
		`1<-0 ParallelStateEntered P {"x": 7}`,
		`2<-1 ParallelStateStarted`,
		`3<-2 TaskStateEntered A {"v":7}`,
		`4<-3 ActivityScheduled {"v":7}`,
		`5<-2 TaskStateEntered B {"v":7}`,
		`6<-5 ActivityScheduled {"v":7}`,
		`7<-2 PassStateEntered C0 {"v":7}`,
		`8<-7 PassStateExited C0 {"v":7}`,
		`9<-8 TaskStateEntered C {"v":7}`,
		`10<-9 ActivityScheduled {"v":7}`,
		`11<-10 ActivityStarted`,
		`12<-11 ActivitySucceeded "c"`,
		`13<-12 TaskStateExited C "c"`,
		`14<-6 ActivityStarted`,
		`15<-14 ActivitySucceeded "b"`,
		`16<-15 TaskStateExited B "b"`,
		`17<-4 ActivityStarted`,
		`18<-17 ActivitySucceeded "a"`,
		`19<-18 TaskStateExited A "a"`,
		`20<-19 ParallelStateExited P {"first":"a","all":["a","b","c"]}`,
	)
}

func TestExecParallelBranchFailureCancelsOthers(t *testing.T) {
	t.Parallel()
	d := newX(t, `{
		"StartAt": "P",
		"States": {
			"P": {
				"Type": "Parallel",
				"Branches": [
					{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "$ACT", "End": true}}},
					{"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "$ACT", "End": true}}},
					{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": true}}},
					{"StartAt": "C", "States": {"C": {"Type": "Task", "Resource": "$ACT", "End": true}}}
				],
				"End": true
			}
		}
	}`).start(`{}`)
	open := d.open()
	if len(open) != 3 || len(d.timers) != 1 {
		t.Fatalf("open tasks %v, timers %v; want 3 tasks and the Wait's timer", open, keys(d.timers))
	}
	waitFrame := keys(d.timers)[0]
	d.succeed(open[2], `"c"`)
	d.fail(open[1], "Boom", "branch B broke")
	d.wantFailed("Boom", "branch B broke")
	// The running branches are stopped: A's task is closed and the Wait's
	// timer dropped; C had already ended.
	slices.Sort(d.cancels)
	if want := []int{open[0], waitFrame}; !slices.Equal(d.cancels, want) {
		t.Fatalf("cancelled frames %v, want %v (branch A's task and the Wait's timer)", d.cancels, want)
	}
	if n := d.count("ParallelStateFailed"); n != 1 {
		t.Fatalf("%d ParallelStateFailed events, want 1:\n%s", n, d.history())
	}
	if got := d.types()[len(d.types())-1]; got != "ParallelStateFailed" {
		t.Fatalf("last event %s, want ParallelStateFailed", got)
	}
	d.checkPrevs()
}

// A task of a branch that was stopped answers into nothing: the Parallel
// state was caught and the execution goes on.
func TestExecParallelCatchIgnoresStaleBranch(t *testing.T) {
	t.Parallel()
	d := newX(t, `{
		"StartAt": "P",
		"States": {
			"P": {
				"Type": "Parallel",
				"Branches": [
					{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "$ACT", "End": true}}},
					{"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "$ACT", "End": true}}}
				],
				"Catch": [{"ErrorEquals": ["Boom"], "ResultPath": "$.err", "Next": "After"}],
				"End": true
			},
			"After": {"Type": "Task", "Resource": "$ACT", "End": true}
		}
	}`).start(`{"in": 1}`)
	open := d.open()
	d.fail(open[0], "Boom", "A broke")
	if !slices.Equal(d.cancels, []int{open[1]}) {
		t.Fatalf("cancelled %v, want branch B's frame %d", d.cancels, open[1])
	}
	after := d.open()
	if len(after) != 1 || !jsonEq(t, d.input(after[0]), `{"in":1,"err":{"Error":"Boom","Cause":"A broke"}}`) {
		t.Fatalf("after the catch: open %v", after)
	}
	// B's worker answers late: its frame is gone, nothing happens.
	n := len(d.rec.events)
	d.run(Input{Kind: InputTaskSucceeded, Frame: open[1], Output: []byte(`"late"`)})
	d.run(Input{Kind: InputTaskFailed, Frame: open[1], Error: "Late"})
	d.run(Input{Kind: InputTimer, Frame: open[1]})
	if len(d.rec.events) != n || len(d.last) != 0 {
		t.Fatalf("a stale answer recorded %d events and effects %+v", len(d.rec.events)-n, d.last)
	}
	d.succeed(after[0], `{"done":true}`)
	d.wantSucceeded(`{"done":true}`)
	d.wantTypes(
		"ParallelStateEntered", "ParallelStateStarted",
		"TaskStateEntered", "ActivityScheduled",
		"TaskStateEntered", "ActivityScheduled",
		"ActivityStarted", "ActivityFailed",
		"ParallelStateFailed", "ParallelStateExited",
		"TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited",
	)
}

func TestExecParallelRetry(t *testing.T) {
	t.Parallel()
	d := newX(t, `{
		"StartAt": "P",
		"States": {
			"P": {
				"Type": "Parallel",
				"Branches": [
					{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "$ACT", "End": true}}},
					{"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": "b", "End": true}}}
				],
				"Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 3, "MaxAttempts": 2}],
				"End": true
			}
		}
	}`).start(`{}`)
	first := d.open()
	d.fail(first[0], "Flaky", "try again")
	if len(d.tasks) != 0 || len(d.timers) != 1 {
		t.Fatalf("after a retriable failure: tasks %v timers %v, want one back-off timer", keys(d.tasks), keys(d.timers))
	}
	for f, at := range d.timers {
		if want := d.now.Add(3 * time.Second); !at.Equal(want) {
			t.Fatalf("retry timer of frame %d at %v, want %v", f, at, want)
		}
	}
	d.fireAll()
	second := d.open()
	if len(second) != 1 || second[0] == first[0] {
		t.Fatalf("after the back-off: open %v (first attempt %v), want a new branch task", second, first)
	}
	d.succeed(second[0], `"a"`)
	d.wantSucceeded(`["a","b"]`)
	d.wantTypes(
		"ParallelStateEntered", "ParallelStateStarted",
		"TaskStateEntered", "ActivityScheduled",
		"PassStateEntered", "PassStateExited",
		"ActivityStarted", "ActivityFailed",
		"ParallelStateStarted",
		"TaskStateEntered", "ActivityScheduled",
		"PassStateEntered", "PassStateExited",
		"ActivityStarted", "ActivitySucceeded", "TaskStateExited",
		"ParallelStateExited",
	)
}

// A Parallel state whose branch keeps failing is retried, then fails, as
// AWS records it (a ParallelStateStarted per attempt, one ParallelStateFailed).
func TestExecParallelRetryExhausted(t *testing.T) {
	t.Parallel()
	d := newX(t, `{
		"StartAt": "P",
		"States": {
			"P": {"Type": "Parallel",
				"Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "FailureType", "Cause": "Cause description"}}}],
				"Retry": [{"ErrorEquals": ["FailureType"], "MaxAttempts": 2}],
				"Next": "Final"},
			"Final": {"Type": "Pass", "End": true}
		}
	}`).start(`{}`)
	d.fireAll()
	d.wantFailed("FailureType", "Cause description")
	d.wantTypes(
		"ParallelStateEntered", "ParallelStateStarted", "FailStateEntered",
		"ParallelStateStarted", "FailStateEntered",
		"ParallelStateStarted", "FailStateEntered",
		"ParallelStateFailed",
	)
}

func TestExecNestedParallel(t *testing.T) {
	t.Parallel()
	d := newX(t, `{
		"StartAt": "Outer",
		"States": {
			"Outer": {"Type": "Parallel", "End": true, "Branches": [
				{"StartAt": "Inner", "States": {"Inner": {"Type": "Parallel", "End": true, "Branches": [
					{"StartAt": "T1", "States": {"T1": {"Type": "Task", "Resource": "$ACT", "End": true}}},
					{"StartAt": "T2", "States": {"T2": {"Type": "Task", "Resource": "$ACT", "End": true}}}
				]}}},
				{"StartAt": "T3", "States": {"T3": {"Type": "Task", "Resource": "$ACT", "End": true}}}
			]}
		}
	}`).start(`{}`)
	open := d.open()
	if len(open) != 3 {
		t.Fatalf("open tasks %v, want the three leaves at once", open)
	}
	d.succeed(d.frameIn("T2"), `2`)
	d.succeed(d.frameIn("T3"), `3`)
	d.succeed(d.frameIn("T1"), `1`)
	d.wantSucceeded(`[[1,2],3]`)
	d.checkPrevs()
}

func TestExecMapItemSelectorHistory(t *testing.T) {
	t.Parallel()
	d := newX(t, `{
		"StartAt": "M",
		"States": {
			"M": {
				"Type": "Map",
				"InputPath": "$.in",
				"ItemsPath": "$.list",
				"ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value", "tag.$": "$.tag"},
				"ItemProcessor": {"StartAt": "Double", "States": {"Double": {"Type": "Pass", "End": true}}},
				"ResultSelector": {"n": 2, "items.$": "$"},
				"ResultPath": "$.out",
				"End": true
			}
		}
	}`).start(`{"in": {"list": ["a", {"b": 1}], "tag": "t"}}`)
	d.wantSucceeded(`{"in":{"list":["a",{"b":1}],"tag":"t"},"out":{"n":2,"items":[{"i":0,"v":"a","tag":"t"},{"i":1,"v":{"b":1},"tag":"t"}]}}`)
	d.wantLines(
		`1<-0 MapStateEntered M {"in": {"list": ["a", {"b": 1}], "tag": "t"}}`,
		`2<-1 MapStateStarted length=2`,
		`3<-2 MapIterationStarted M[0]`,
		`4<-3 MapIterationStarted M[1]`,
		`5<-3 PassStateEntered Double {"i":0,"v":"a","tag":"t"}`,
		`6<-5 PassStateExited Double {"i":0,"v":"a","tag":"t"}`,
		`7<-6 MapIterationSucceeded M[0]`,
		`8<-4 PassStateEntered Double {"i":1,"v":{"b":1},"tag":"t"}`,
		`9<-8 PassStateExited Double {"i":1,"v":{"b":1},"tag":"t"}`,
		`10<-9 MapIterationSucceeded M[1]`,
		`11<-10 MapStateSucceeded`,
		`12<-11 MapStateExited M {"in":{"list":["a",{"b":1}],"tag":"t"},"out":{"n":2,"items":[{"i":0,"v":"a","tag":"t"},{"i":1,"v":{"b":1},"tag":"t"}]}}`,
	)
}

// Iterator and Parameters are the older names of ItemProcessor and
// ItemSelector.
func TestExecMapLegacyFields(t *testing.T) {
	t.Parallel()
	d := newX(t, `{
		"StartAt": "M",
		"States": {
			"M": {
				"Type": "Map",
				"Parameters": {"at.$": "$$.Map.Item.Index", "x.$": "$$.Map.Item.Value.x"},
				"Iterator": {"StartAt": "P", "States": {"P": {"Type": "Pass", "InputPath": "$.x", "End": true}}},
				"End": true
			}
		}
	}`).start(`[{"x": 10}, {"x": 20}, {"x": 30}]`)
	d.wantSucceeded(`[10,20,30]`)
}

func TestExecMapEmptyAndNotArray(t *testing.T) {
	t.Parallel()
	def := `{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
		"ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "$ACT", "End": true}}}, "End": true}}}`
	d := newX(t, def).start(`{"items": []}`)
	d.wantSucceeded(`[]`)
	d.wantTypes("MapStateEntered", "MapStateStarted", "MapStateSucceeded", "MapStateExited")

	d = newX(t, def).start(`{"items": {"a": 1}}`)
	d.wantFailed(ErrorRuntime, `An error occurred while executing the state 'M' (entered at the event id #1). Map state input must be an array but was: {"a":1}`)
}

// mapTasks maps over the input with one Task per item.
func mapTasks(conc string) string {
	return `{"StartAt": "M", "States": {"M": {"Type": "Map", ` + conc + `
		"ItemSelector": {"item.$": "$$.Map.Item.Value"},
		"ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "$ACT", "End": true}}},
		"End": true}}}`
}

// items returns the JSON array [0, 1, ..., n-1] and the Map output of a
// worker that answers {"done": item}.
func items(n int) (input, output string) {
	in := make([]string, n)
	out := make([]string, n)
	for i := range n {
		in[i] = fmt.Sprint(i)
		out[i] = fmt.Sprintf(`{"done":%d}`, i)
	}
	return "[" + strings.Join(in, ",") + "]", "[" + strings.Join(out, ",") + "]"
}

// workRandomly answers every open task of d, one at a time in a random
// order, with {"done": item}, and checks after each answer that exactly
// min(limit, items not yet finished) tasks are out (limit 0: all).
func workRandomly(t *testing.T, d *xdriver, rnd *rand.Rand, n, limit int) {
	t.Helper()
	finished := 0
	for d.end == nil {
		want := n - finished
		if limit > 0 {
			want = min(want, limit)
		}
		open := d.open()
		if len(open) != want {
			t.Fatalf("%d tasks out with %d of %d items finished, want %d (MaxConcurrency %d)", len(open), finished, n, want, limit)
		}
		f := open[rnd.IntN(len(open))]
		var in struct{ Item int }
		if err := json.Unmarshal(d.tasks[f].Input, &in); err != nil {
			t.Fatal(err)
		}
		d.succeed(f, fmt.Sprintf(`{"done":%d}`, in.Item))
		finished++
	}
}

func TestExecMapMaxConcurrency(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		conc  string
		input string // the execution input (items under "$.items" when conc uses a path)
		limit int
	}{
		{"unbounded", ``, "", 0},
		{"one", `"MaxConcurrency": 1,`, "", 1},
		{"two", `"MaxConcurrency": 2,`, "", 2},
		{"three", `"MaxConcurrency": 3,`, "", 3},
		{"more than items", `"MaxConcurrency": 50,`, "", 50},
		{"path", `"MaxConcurrencyPath": "$.conc", "ItemsPath": "$.items",`, `{"conc": 4, "items": %s}`, 4},
		{"path zero", `"MaxConcurrencyPath": "$.conc", "ItemsPath": "$.items",`, `{"conc": 0, "items": %s}`, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for seed := range uint64(5) {
				const n = 11
				in, out := items(n)
				if tt.input != "" {
					in = fmt.Sprintf(tt.input, in)
				}
				d := newX(t, mapTasks(tt.conc))
				d.hook = func(d *xdriver) {
					if tt.limit > 0 && len(d.tasks) > tt.limit {
						t.Fatalf("%d tasks out at once, MaxConcurrency is %d", len(d.tasks), tt.limit)
					}
				}
				d.start(in)
				workRandomly(t, d, rand.New(rand.NewPCG(seed, 1)), n, tt.limit)
				d.wantSucceeded(out)
				if got, want := d.count("MapIterationSucceeded"), n; got != want {
					t.Fatalf("%d MapIterationSucceeded, want %d", got, want)
				}
				if d.count("MapIterationStarted") != n {
					t.Fatalf("%d MapIterationStarted, want %d", d.count("MapIterationStarted"), n)
				}
				d.checkPrevs()
			}
		})
	}
}

func TestExecMapMaxConcurrencyPathErrors(t *testing.T) {
	t.Parallel()
	def := mapTasks(`"MaxConcurrencyPath": "$.conc", "ItemsPath": "$.items",`)
	d := newX(t, def).start(`{"conc": -1, "items": [1]}`)
	d.wantFailed(ErrorRuntime, "An error occurred while executing the state 'M' (entered at the event id #1). MaxConcurrency cannot be negative.")
	d = newX(t, def).start(`{"conc": "two", "items": [1]}`)
	d.wantFailed(ErrorRuntime, `An error occurred while executing the state 'M' (entered at the event id #1). The MaxConcurrencyPath field refers to value "two" which is not a valid integer: $.conc`)
}

// Whatever order the iterations end in, the results are in item order.
func TestExecMapRandomOrderKeepsItemOrder(t *testing.T) {
	t.Parallel()
	const n = 40
	in, out := items(n)
	for seed := range uint64(30) {
		d := newX(t, mapTasks(`"MaxConcurrency": 7,`)).start(in)
		workRandomly(t, d, rand.New(rand.NewPCG(seed, 99)), n, 7)
		d.wantSucceeded(out)
	}
}

// itemOf returns the item of frame's open task (mapTasks gives it as
// {"item": n}).
func (d *xdriver) itemOf(frame int) int {
	d.t.Helper()
	var in struct{ Item int }
	if err := json.Unmarshal(d.tasks[frame].Input, &in); err != nil {
		d.t.Fatalf("task input %s: %v", d.tasks[frame].Input, err)
	}
	return in.Item
}

// frameOfItem returns the frame whose open task works on item.
func (d *xdriver) frameOfItem(item int) int {
	d.t.Helper()
	for _, f := range d.open() {
		if d.itemOf(f) == item {
			return f
		}
	}
	d.t.Fatalf("no open task for item %d", item)
	return 0
}

func TestExecMapToleratedFailures(t *testing.T) {
	t.Parallel()
	const exceeded = "States.ExceedToleratedFailureThreshold"
	for _, tt := range []struct {
		name  string
		conc  string
		input string
		fails []int  // the items whose task fails
		err   string // "": the Map succeeds
	}{
		{"none tolerated", ``, `%s`, []int{4}, "Item.Failed"},
		{"count within", `"ToleratedFailureCount": 2,`, `%s`, []int{3, 7}, ""},
		{"count exceeded", `"ToleratedFailureCount": 2,`, `%s`, []int{1, 3, 7}, exceeded},
		{"count zero", `"ToleratedFailureCount": 0,`, `%s`, []int{0}, exceeded},
		{"percentage within", `"ToleratedFailurePercentage": 20,`, `%s`, []int{0, 9}, ""},
		{"percentage exceeded", `"ToleratedFailurePercentage": 20,`, `%s`, []int{0, 5, 9}, exceeded},
		{"count path", `"ToleratedFailureCountPath": "$.tol", "ItemsPath": "$.items",`, `{"tol": 1, "items": %s}`, []int{2}, ""},
		{"count path exceeded", `"ToleratedFailureCountPath": "$.tol", "ItemsPath": "$.items",`, `{"tol": 1, "items": %s}`, []int{2, 6}, exceeded},
		{"percentage path", `"ToleratedFailurePercentagePath": "$.pct", "ItemsPath": "$.items",`, `{"pct": 30.5, "items": %s}`, []int{1, 2, 3}, ""},
		{"percentage path exceeded", `"ToleratedFailurePercentagePath": "$.pct", "ItemsPath": "$.items",`, `{"pct": 30.5, "items": %s}`, []int{1, 2, 3, 4}, exceeded},
		// With both set, exceeding either fails the Map (AWS's rule).
		{"count exceeded, percentage not", `"ToleratedFailureCount": 0, "ToleratedFailurePercentage": 10,`, `%s`, []int{5}, exceeded},
		{"both within", `"ToleratedFailureCount": 1, "ToleratedFailurePercentage": 10,`, `%s`, []int{5}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const n = 10
			in, _ := items(n)
			d := newX(t, mapTasks(tt.conc)).start(fmt.Sprintf(tt.input, in))
			want := make([]string, n)
			for i := range n {
				want[i] = fmt.Sprintf(`{"done":%d}`, i)
			}
			for _, i := range tt.fails {
				d.fail(d.frameOfItem(i), "Item.Failed", fmt.Sprintf("item %d", i))
				want[i] = "null"
			}
			for d.end == nil && len(d.open()) > 0 {
				f := d.open()[0]
				d.succeed(f, fmt.Sprintf(`{"done":%d}`, d.itemOf(f)))
			}
			if tt.err == "" {
				d.wantSucceeded("[" + strings.Join(want, ",") + "]")
				if got := d.count("MapIterationFailed"); got != len(tt.fails) {
					t.Fatalf("%d MapIterationFailed, want %d", got, len(tt.fails))
				}
				return
			}
			cause := fmt.Sprintf("item %d", tt.fails[len(tt.fails)-1])
			if tt.err == exceeded {
				cause = "The specified tolerated failure threshold was exceeded"
			}
			d.wantFailed(tt.err, cause)
			// The other iterations were stopped.
			if got, want := d.count("MapIterationAborted"), n-len(tt.fails); got != want {
				t.Fatalf("%d MapIterationAborted, want %d:\n%s", got, want, d.history())
			}
			if got, want := len(d.cancels), n-len(tt.fails); got != want {
				t.Fatalf("%d tasks cancelled, want %d", got, want)
			}
			if types := d.types(); types[len(types)-1] != "MapStateFailed" {
				t.Fatalf("last event %s, want MapStateFailed", types[len(types)-1])
			}
		})
	}
}

func TestExecMapFailureStopsIterations(t *testing.T) {
	t.Parallel()
	in, _ := items(6)
	d := newX(t, mapTasks(`"MaxConcurrency": 3,`)).start(in)
	d.succeed(d.frameOfItem(0), `{"done":0}`)
	f1, f3 := d.frameOfItem(1), d.frameOfItem(3)
	d.fail(d.frameOfItem(2), "Item.Failed", "two")
	d.wantFailed("Item.Failed", "two")
	want := []int{f1, f3}
	slices.Sort(want)
	got := slices.Clone(d.cancels)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("cancelled frames %v, want those of items 1 and 3: %v", got, want)
	}
	tail := d.types()[len(d.types())-4:]
	if !slices.Equal(tail, []string{"MapIterationFailed", "MapIterationAborted", "MapIterationAborted", "MapStateFailed"}) {
		t.Fatalf("history ends %v:\n%s", tail, d.history())
	}
	if d.count("MapIterationStarted") != 4 {
		t.Fatalf("%d iterations started, want 4 (items 4 and 5 never start)", d.count("MapIterationStarted"))
	}
	d.checkPrevs()
}

func TestExecMapItemBatcher(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, batcher, input, want string
	}{
		{"by count", `{"MaxItemsPerBatch": 2}`, `{"items": [1, 2, 3, 4, 5]}`,
			`[{"Items":[1,2]},{"Items":[3,4]},{"Items":[5]}]`},
		{"by count path with batch input", `{"MaxItemsPerBatchPath": "$.per", "BatchInput": {"k.$": "$.k", "fixed": 1}}`, `{"per": 3, "k": "K", "items": [1, 2, 3, 4]}`,
			`[{"BatchInput":{"k":"K","fixed":1},"Items":[1,2,3]},{"BatchInput":{"k":"K","fixed":1},"Items":[4]}]`},
		// Each item counts its JSON size plus one: "aaaa" is 7, so two fit in 15.
		{"by bytes", `{"MaxInputBytesPerBatch": 15}`, `{"items": ["aaaa", "bbbb", "cccc", "dddd", "eeee"]}`,
			`[{"Items":["aaaa","bbbb"]},{"Items":["cccc","dddd"]},{"Items":["eeee"]}]`},
		{"bytes before count", `{"MaxItemsPerBatch": 3, "MaxInputBytesPerBatchPath": "$.bytes"}`, `{"bytes": 15, "items": ["aaaa", "bbbb", "cccc"]}`,
			`[{"Items":["aaaa","bbbb"]},{"Items":["cccc"]}]`},
		{"an item larger than the limit goes alone", `{"MaxInputBytesPerBatch": 4}`, `{"items": ["long item", "x"]}`,
			`[{"Items":["long item"]},{"Items":["x"]}]`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := newX(t, `{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items",
				"ItemBatcher": `+tt.batcher+`,
				"ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
				"End": true}}}`).start(tt.input)
			d.wantSucceeded(tt.want)
		})
	}
	d := newX(t, `{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items",
		"ItemBatcher": {"MaxItemsPerBatchPath": "$.per"},
		"ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
		"End": true}}}`).start(`{"per": 0, "items": [1]}`)
	d.wantFailed(ErrorRuntime, "An error occurred while executing the state 'M' (entered at the event id #1). MaxItemsPerBatch must be positive.")
}

func TestExecMapRetry(t *testing.T) {
	t.Parallel()
	in, out := items(4)
	d := newX(t, `{"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": 2,
		"ItemSelector": {"item.$": "$$.Map.Item.Value"},
		"ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "$ACT", "End": true}}},
		"Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 2, "BackoffRate": 1, "MaxAttempts": 1}],
		"End": true}}}`).start(in)
	d.succeed(d.frameOfItem(0), `{"done":0}`)
	other := d.frameOfItem(2)
	d.fail(d.frameOfItem(1), "Flaky", "once")
	if !slices.Equal(d.cancels, []int{other}) {
		t.Fatalf("cancelled %v, want item 2's frame %d", d.cancels, other)
	}
	if len(d.tasks) != 0 || len(d.timers) != 1 {
		t.Fatalf("during the back-off: tasks %v timers %v", keys(d.tasks), keys(d.timers))
	}
	d.fireAll()
	// The whole Map runs again, from item 0.
	if got := len(d.open()); got != 2 {
		t.Fatalf("%d tasks out after the retry, want 2", got)
	}
	workRandomly(t, d, rand.New(rand.NewPCG(3, 3)), 4, 2)
	d.wantSucceeded(out)
	d.wantTypes(
		"MapStateEntered", "MapStateStarted",
		"MapIterationStarted", "MapIterationStarted",
		"TaskStateEntered", "ActivityScheduled", "TaskStateEntered", "ActivityScheduled",
		"ActivityStarted", "ActivitySucceeded", "TaskStateExited", "MapIterationSucceeded",
		"MapIterationStarted", "TaskStateEntered", "ActivityScheduled",
		"ActivityStarted", "ActivityFailed", "MapIterationFailed", "MapIterationAborted",
		"MapStateStarted",
		"MapIterationStarted", "MapIterationStarted",
		"TaskStateEntered", "ActivityScheduled", "TaskStateEntered", "ActivityScheduled",
		"ActivityStarted", "ActivitySucceeded", "TaskStateExited", "MapIterationSucceeded",
		"MapIterationStarted", "TaskStateEntered", "ActivityScheduled",
		"ActivityStarted", "ActivitySucceeded", "TaskStateExited", "MapIterationSucceeded",
		"MapIterationStarted", "TaskStateEntered", "ActivityScheduled",
		"ActivityStarted", "ActivitySucceeded", "TaskStateExited", "MapIterationSucceeded",
		"ActivityStarted", "ActivitySucceeded", "TaskStateExited", "MapIterationSucceeded",
		"MapStateSucceeded", "MapStateExited",
	)
}

// As AWS records a Map whose iteration fails on every attempt (the oracle's
// map_state_retry_legacy).
func TestExecMapRetryExhausted(t *testing.T) {
	t.Parallel()
	d := newX(t, `{"StartAt": "M", "States": {
		"M": {"Type": "Map", "MaxConcurrency": 1, "ResultPath": null,
			"Iterator": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "HandleItemFailError", "Cause": "HandleItemFailCause"}}},
			"Retry": [{"ErrorEquals": ["HandleItemFailError"], "MaxAttempts": 2}],
			"Next": "Final"},
		"Final": {"Type": "Pass", "End": true}}}`).start(`[1]`)
	d.fireAll()
	d.wantFailed("HandleItemFailError", "HandleItemFailCause")
	d.wantTypes(
		"MapStateEntered", "MapStateStarted", "MapIterationStarted", "FailStateEntered", "MapIterationFailed",
		"MapStateStarted", "MapIterationStarted", "FailStateEntered", "MapIterationFailed",
		"MapStateStarted", "MapIterationStarted", "FailStateEntered", "MapIterationFailed",
		"MapStateFailed",
	)
}

func TestExecMapCatch(t *testing.T) {
	t.Parallel()
	in, _ := items(3)
	d := newX(t, `{"StartAt": "M", "States": {
		"M": {"Type": "Map",
			"ItemSelector": {"item.$": "$$.Map.Item.Value"},
			"ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "$ACT", "End": true}}},
			"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
			"Next": "Final"},
		"Caught": {"Type": "Pass", "End": true},
		"Final": {"Type": "Pass", "End": true}}}`).start(in)
	d.succeed(d.frameOfItem(1), `{"done":1}`)
	d.fail(d.frameOfItem(0), "Item.Bad", "zero is bad")
	d.wantSucceeded(`{"Error":"Item.Bad","Cause":"zero is bad"}`)
	if len(d.cancels) != 1 {
		t.Fatalf("cancelled %v, want item 2's task", d.cancels)
	}
	tail := d.types()[len(d.types())-6:]
	if want := []string{"MapIterationFailed", "MapIterationAborted", "MapStateFailed", "MapStateExited", "PassStateEntered", "PassStateExited"}; !slices.Equal(tail, want) {
		t.Fatalf("history ends %v, want %v", tail, want)
	}
}

// A Map (or Parallel) whose joined results pass 256 KiB fails with
// States.DataLimitExceeded, which a Catch can name.
func TestExecFanDataLimit(t *testing.T) {
	t.Parallel()
	big := `"` + strings.Repeat("x", 100_000) + `"`
	def := `{"StartAt": "M", "States": {
		"M": {"Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"item.$": "$$.Map.Item.Value"}, %s
			"ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "$ACT", "End": true}}},
			"End": true}%s}}`
	for _, catch := range []bool{false, true} {
		c, caught := "", ""
		if catch {
			c = `"Catch": [{"ErrorEquals": ["States.DataLimitExceeded"], "ResultPath": "$.error", "Next": "Caught"}],`
			caught = `, "Caught": {"Type": "Pass", "End": true}`
		}
		d := newX(t, fmt.Sprintf(def, c, caught)).start(`{"items": [0, 1, 2]}`)
		for _, f := range d.open() {
			d.succeed(f, big)
		}
		cause := "The state/task 'M' returned a result with a size exceeding the maximum number of bytes service limit."
		if !catch {
			d.wantFailed(ErrorDataLimitExceeded, cause)
			continue
		}
		d.wantSucceeded(`{"items":[0,1,2],"error":{"Error":"States.DataLimitExceeded","Cause":"` + cause + `"}}`)
	}
	// Two results that fit together pass.
	d := newX(t, fmt.Sprintf(def, "", "")).start(`{"items": [0, 1]}`)
	for _, f := range d.open() {
		d.succeed(f, big)
	}
	d.wantSucceeded("[" + big + "," + big + "]")
}

// passMap maps a Pass state over the input.
const passMap = `{"StartAt": "M", "States": {"M": {"Type": "Map", %s
	"ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"v.$": "$"}, "End": true}}},
	"End": true}}}`

// A long Map goes on in later writes: each Run does at most MaxSteps
// states and iteration starts, and the execution still ends right.
func TestExecMapBudgetSplitsWrites(t *testing.T) {
	t.Parallel()
	for _, conc := range []string{``, `"MaxConcurrency": 3,`} {
		const n, budget = 1000, 50
		in := make([]string, n)
		out := make([]string, n)
		for i := range n {
			in[i] = fmt.Sprint(i)
			out[i] = fmt.Sprintf(`{"v":%d}`, i)
		}
		d := newX(t, fmt.Sprintf(passMap, conc))
		d.env.MaxSteps = budget
		prev := 0
		d.hook = func(d *xdriver) {
			// A write starts at most budget iterations and enters at most
			// budget states: 4 events each, and a few more for the Map.
			if got := len(d.rec.events) - prev; got > 2*budget*2+4 {
				t.Fatalf("one write recorded %d events; the budget is %d steps", got, budget)
			}
			prev = len(d.rec.events)
		}
		d.start("[" + strings.Join(in, ",") + "]")
		d.wantSucceeded("[" + strings.Join(out, ",") + "]")
		if min := 2 * n / budget; d.writes < min {
			t.Fatalf("%d writes, want at least %d", d.writes, min)
		}
		if got := d.count("MapIterationSucceeded"); got != n {
			t.Fatalf("%d MapIterationSucceeded, want %d", got, n)
		}
		d.checkPrevs()
	}
	// MaxBytes splits by the size of the state inputs taken in.
	big := `"` + strings.Repeat("y", 10_000) + `"`
	d := newX(t, fmt.Sprintf(passMap, ``))
	d.env.MaxBytes = 50_000
	d.start("[" + strings.Repeat(big+",", 19) + big + "]")
	if d.end == nil || d.end.Kind != EffectSucceed {
		t.Fatalf("the Map did not succeed: %+v", d.end)
	}
	if d.writes < 20*10_000/50_000 {
		t.Fatalf("%d writes for 200 kB of state input, MaxBytes 50 kB", d.writes)
	}
}

// An execution that reaches the history limit fails with States.Runtime;
// its history (with the ExecutionFailed its caller adds) stays within it.
func TestExecHistoryLimit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, def string
		budget    int
	}{
		{"map", fmt.Sprintf(passMap, ``), 0},
		{"map in small writes", fmt.Sprintf(passMap, ``), 7},
		{"map one at a time", fmt.Sprintf(passMap, `"MaxConcurrency": 1,`), 0},
		{"parallel", `{"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
			{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Choice", "Choices": [{"Variable": "$", "IsPresent": false, "Next": "E"}], "Default": "A"}, "E": {"Type": "Succeed"}}},
			{"StartAt": "C", "States": {"C": {"Type": "Pass", "Next": "D"}, "D": {"Type": "Choice", "Choices": [{"Variable": "$", "IsPresent": false, "Next": "F"}], "Default": "C"}, "F": {"Type": "Succeed"}}}]}}}`, 9},
		{"parallel of maps", `{"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
			{"StartAt": "M1", "States": {"M1": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": true}}}}}},
			{"StartAt": "M2", "States": {"M2": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "Y", "States": {"Y": {"Type": "Pass", "End": true}}}}}}]}}}`, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const limit = 101
			d := newX(t, tt.def)
			d.rec.Record(&Event{Type: "ExecutionStarted"}, 0) // the caller's
			d.env.MaxEvents = limit
			d.env.MaxSteps = tt.budget
			in := make([]string, 500)
			for i := range in {
				in[i] = fmt.Sprint(i)
			}
			d.start("[" + strings.Join(in, ",") + "]")
			d.wantFailed(ErrorRuntime, "The execution reached the maximum number of history events (101).")
			// The caller adds ExecutionFailed.
			if got := len(d.rec.events) + 1; got > limit {
				t.Fatalf("the history has %d events with ExecutionStarted and ExecutionFailed, the limit is %d", got, limit)
			}
		})
	}
}

// parallelInMap maps a Parallel of a Task and a Pass over the input.
const parallelInMap = `{"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": 2,
	"ItemSelector": {"item.$": "$$.Map.Item.Value"},
	"ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
		{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "$ACT", "End": true}}},
		{"StartAt": "Q", "States": {"Q": {"Type": "Pass", "InputPath": "$.item", "End": true}}}
	]}}},
	"End": true}}}`

// An execution whose last events do not fit fails rather than succeed
// with events missing.
func TestExecHistoryLimitAtTheEnd(t *testing.T) {
	t.Parallel()
	// ExecutionStarted, MapStateEntered, MapStateStarted,
	// MapIterationStarted, PassStateEntered, PassStateExited,
	// MapIterationSucceeded, MapStateSucceeded, MapStateExited,
	// ExecutionSucceeded: 10 events.
	for _, tt := range []struct {
		limit   int64
		succeed bool
	}{{10, true}, {9, false}} {
		d := newX(t, fmt.Sprintf(passMap, ``))
		d.rec.Record(&Event{Type: "ExecutionStarted"}, 0)
		d.env.MaxEvents = tt.limit
		d.start(`[1]`)
		if tt.succeed {
			d.wantSucceeded(`[{"v":1}]`)
			continue
		}
		d.wantFailed(ErrorRuntime, fmt.Sprintf("The execution reached the maximum number of history events (%d).", tt.limit))
		if got := int64(len(d.rec.events)) + 1; got > tt.limit {
			t.Fatalf("%d events with ExecutionFailed, the limit is %d", got, tt.limit)
		}
	}
}

func TestExecParallelInMap(t *testing.T) {
	t.Parallel()
	d := newX(t, parallelInMap)
	d.hook = func(d *xdriver) {
		if len(d.tasks) > 2 {
			t.Fatalf("%d tasks out, MaxConcurrency 2 and one task per iteration", len(d.tasks))
		}
	}
	d.start(`[0, 1, 2, 3, 4]`)
	rnd := rand.New(rand.NewPCG(5, 5))
	for d.end == nil {
		open := d.open()
		if len(open) == 0 {
			t.Fatalf("no task out and the execution runs:\n%s", d.history())
		}
		f := open[rnd.IntN(len(open))]
		d.succeed(f, fmt.Sprintf(`"t%d"`, d.itemOf(f)))
	}
	d.wantSucceeded(`[["t0",0],["t1",1],["t2",2],["t3",3],["t4",4]]`)
	if d.count("ParallelStateStarted") != 5 || d.count("ParallelStateExited") != 5 {
		t.Fatalf("want 5 Parallel states started and exited:\n%s", d.history())
	}
	d.checkPrevs()

	// A failing branch fails its Parallel, its iteration and the Map, and
	// stops the other iteration.
	d = newX(t, parallelInMap).start(`[0, 1, 2]`)
	other := d.frameOfItem(1)
	d.fail(d.frameOfItem(0), "Branch.Broke", "item 0")
	d.wantFailed("Branch.Broke", "item 0")
	if !slices.Equal(d.cancels, []int{other}) {
		t.Fatalf("cancelled %v, want item 1's task (frame %d)", d.cancels, other)
	}
	tail := d.types()[len(d.types())-4:]
	if want := []string{"ParallelStateFailed", "MapIterationFailed", "MapIterationAborted", "MapStateFailed"}; !slices.Equal(tail, want) {
		t.Fatalf("history ends %v, want %v:\n%s", tail, want, d.history())
	}
}

// StopExecution records the abort of every state in progress, innermost
// first; the caller closes the tasks and timers.
func TestExecAbort(t *testing.T) {
	t.Parallel()
	d := newX(t, `{"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": 3,
		"ItemSelector": {"item.$": "$$.Map.Item.Value"},
		"ItemProcessor": {"StartAt": "C", "States": {
			"C": {"Type": "Choice", "Choices": [{"Variable": "$.item", "NumericEquals": 1, "Next": "W"}], "Default": "T"},
			"W": {"Type": "Wait", "Seconds": 100, "End": true},
			"T": {"Type": "Task", "Resource": "$ACT", "End": true}}},
		"End": true}}}`).start(`[0, 1, 2, 3, 4]`)
	d.succeed(d.frameOfItem(0), `"zero"`) // item 3 starts
	n := len(d.rec.events)
	d.m.Abort(d.x, d.rec)
	got := d.lines()[n:]
	want := []string{
		fmt.Sprintf("%d<-%d TaskStateAborted", n+1, 0),
		fmt.Sprintf("%d<-%d MapIterationAborted M[3]", n+2, 0),
		fmt.Sprintf("%d<-%d TaskStateAborted", n+3, 0),
		fmt.Sprintf("%d<-%d MapIterationAborted M[2]", n+4, 0),
		fmt.Sprintf("%d<-%d WaitStateAborted", n+5, 0),
		fmt.Sprintf("%d<-%d MapIterationAborted M[1]", n+6, 0),
		fmt.Sprintf("%d<-%d MapStateAborted", n+7, 0),
	}
	// The previous event ids are checked apart.
	for i := range got {
		got[i] = strings.Replace(got[i], fmt.Sprintf("<-%d ", d.rec.events[n+i].Prev), "<-0 ", 1)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("abort events:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	d.checkPrevs()
	// Each aborted state follows its frame's last event; the Map's abort
	// follows the last iteration's.
	if last := d.rec.events[len(d.rec.events)-1]; last.Prev != int64(len(d.rec.events)-1) {
		t.Errorf("MapStateAborted follows event %d, want %d", last.Prev, len(d.rec.events)-1)
	}

	// A Parallel with a branch in a retry back-off and one in a Task.
	d = newX(t, `{"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
		{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "$ACT", "End": true,
			"Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 60}]}}},
		{"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "$ACT", "End": true}}}]}}}`).start(`{}`)
	d.fail(d.frameIn("A"), "Once", "")
	n = len(d.rec.events)
	d.m.Abort(d.x, d.rec)
	if got := d.types()[n:]; !slices.Equal(got, []string{"TaskStateAborted", "TaskStateAborted", "ParallelStateAborted"}) {
		t.Fatalf("abort events %v", got)
	}
}

// TestExecVariablesTotalLimit: the variables of all scopes together are
// held to MaxTotalVariables; reassigning a variable counts its new size,
// not both.
func TestExecVariablesTotalLimit(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 200<<10) // a 200 KiB string: one Assign may set it
	chain := func(n int, sameName bool) string {
		var b strings.Builder
		b.WriteString(`{"StartAt":"S0","States":{`)
		for i := range n {
			name := fmt.Sprintf("v%d", i)
			if sameName {
				name = "v"
			}
			next := fmt.Sprintf(`"Next":"S%d"`, i+1)
			if i == n-1 {
				next = `"End":true`
			}
			fmt.Fprintf(&b, `"S%d":{"Type":"Pass","Assign":{"%s.$":"$.big"},"ResultPath":null,%s},`, i, name, next)
		}
		return strings.TrimSuffix(b.String(), ",") + "}}"
	}
	input := `{"big":"` + big + `"}`
	// 60 × 200 KiB ≈ 11.7 MiB of distinct variables: past 10 MiB.
	d := newX(t, chain(60, false)).start(input)
	d.wantFailed(ErrorRuntime, "*")
	if !strings.Contains(d.end.Cause, "more than the limit of 10485760 bytes") {
		t.Errorf("cause %q does not name the limit", d.end.Cause)
	}
	// The same 60 assignments to one name stay at 200 KiB.
	newX(t, chain(60, true)).start(input).wantSucceeded(input)
}

// TestExecInlineMapAtMost40: an inline Map runs at most 40 iterations at
// once (AWS's limit), also with MaxConcurrency 0 or above 40; a lower
// MaxConcurrency holds.
func TestExecInlineMapAtMost40(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		conc string
		want int
	}{
		{`"MaxConcurrency": 0,`, 40},
		{``, 40},
		{`"MaxConcurrency": 100,`, 40},
		{`"MaxConcurrency": 7,`, 7},
	} {
		in, out := items(100)
		d := newX(t, mapTasks(tt.conc)).start(in)
		for d.end == nil {
			open := d.open()
			if len(open) != tt.want && len(open) != 100-d.count("MapIterationSucceeded") {
				t.Fatalf("%s: %d tasks out, want %d", tt.conc, len(open), tt.want)
			}
			if len(open) > tt.want {
				t.Fatalf("%s: %d tasks out, more than %d", tt.conc, len(open), tt.want)
			}
			f := open[0]
			d.succeed(f, fmt.Sprintf(`{"done":%d}`, d.itemOf(f)))
		}
		d.wantSucceeded(out)
	}
}
