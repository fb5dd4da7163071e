package asl

import (
	"encoding/json"
	"strings"
	"testing"
)

// redriveMachine runs a Task, then a Parallel of two branches, the second
// of which holds an inline Map over three items, each a Task.
const redriveMachine = `{"StartAt":"First","States":{
	"First":{"Type":"Task","Resource":"arn:aws:states:us-east-1:000000000000:activity:first","ResultPath":"$.first","Next":"Fan"},
	"Fan":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:us-east-1:000000000000:activity:a","End":true}}},
		{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","End":true,
			"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Task","Resource":"arn:aws:states:us-east-1:000000000000:activity:i","End":true}}}}}}]}}}`

// taskOf returns the frame of the scheduled task of the activity named
// ":name", or whose input is s.
func taskOf(t *testing.T, effects []Effect, s string) int {
	t.Helper()
	for _, e := range effects {
		if e.Kind == EffectSchedule && (string(e.Task.Input) == s || strings.HasSuffix(e.Task.Resource, "activity"+s)) {
			return e.Frame
		}
	}
	t.Fatalf("no task for %q in %+v", s, effects)
	return 0
}

func countKind(effects []Effect, k EffectKind) int {
	n := 0
	for _, e := range effects {
		if e.Kind == k {
			n++
		}
	}
	return n
}

// TestRedriveParallelAndMap fails one Map iteration while its siblings and
// the other branch succeeded or still run: the redrive runs again only the
// failed iteration and the aborted ones, not the first Task nor the
// succeeded branch or iteration, and the output joins old and new results.
func TestRedriveParallelAndMap(t *testing.T) {
	m, err := Parse([]byte(redriveMachine))
	if err != nil {
		t.Fatal(err)
	}
	rec := newKinRecorder()
	x := m.NewExec([]byte(`{"items":[1,2,3]}`))
	run := func(in Input) []Effect { return kinRun(t, m, x, rec, in) }
	eff := run(Input{Kind: InputStart})
	first := taskOf(t, eff, ":first")
	eff = run(Input{Kind: InputTaskSucceeded, Frame: first, Output: []byte(`"F"`)})
	if n := countKind(eff, EffectSchedule); n != 4 {
		t.Fatalf("%d tasks after First, want 4 (A and three iterations): %+v", n, eff)
	}
	a, i1, i2, i3 := taskOf(t, eff, ":a"), taskOf(t, eff, "1"), taskOf(t, eff, "2"), taskOf(t, eff, "3")
	run(Input{Kind: InputTaskSucceeded, Frame: a, Output: []byte(`"A"`)})
	run(Input{Kind: InputTaskSucceeded, Frame: i1, Output: []byte(`"one"`)})
	eff = run(Input{Kind: InputTaskFailed, Frame: i2, Error: "Boom"})
	if countKind(eff, EffectFail) != 1 || countKind(eff, EffectCancel) != 1 {
		t.Fatalf("failing iteration 2: %+v", eff)
	}
	_ = i3

	nx := m.RedrivePoint(x)
	if nx == nil {
		t.Fatal("no redrive point")
	}
	// Through JSON, as the execution record keeps it.
	raw, err := json.Marshal(nx)
	if err != nil {
		t.Fatal(err)
	}
	x = new(Exec)
	if err := json.Unmarshal(raw, x); err != nil {
		t.Fatal(err)
	}
	eff = run(Input{Kind: InputContinue})
	if n := countKind(eff, EffectSchedule); n != 2 {
		t.Fatalf("redrive scheduled %d tasks, want 2 (iterations 2 and 3): %+v", n, eff)
	}
	r2, r3 := taskOf(t, eff, "2"), taskOf(t, eff, "3")
	run(Input{Kind: InputTaskSucceeded, Frame: r2, Output: []byte(`"two"`)})
	eff = run(Input{Kind: InputTaskSucceeded, Frame: r3, Output: []byte(`"three"`)})
	var out []byte
	for _, e := range eff {
		if e.Kind == EffectSucceed {
			out = e.Output
		}
	}
	if got, want := string(out), `["A",["one","two","three"]]`; got != want {
		t.Fatalf("output after redrive %s, want %s (effects %+v)", got, want, eff)
	}
}

// TestRedriveTopLevel: a Task that failed without retry is entered again;
// a stopped execution (frames intact) resumes its waiting Task.
func TestRedriveTopLevel(t *testing.T) {
	m, err := Parse([]byte(`{"StartAt":"P","States":{
		"P":{"Type":"Pass","Result":{"p":1},"Next":"T"},
		"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:000000000000:activity:t","Retry":[{"ErrorEquals":["Boom"],"MaxAttempts":1,"IntervalSeconds":1}],"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	rec := newKinRecorder()
	x := m.NewExec([]byte(`{}`))
	run := func(in Input) []Effect { return kinRun(t, m, x, rec, in) }
	tk := taskOf(t, run(Input{Kind: InputStart}), ":t")
	eff := run(Input{Kind: InputTaskFailed, Frame: tk, Error: "Boom"})
	if countKind(eff, EffectTimer) != 1 {
		t.Fatalf("no retry: %+v", eff)
	}
	tk = taskOf(t, run(Input{Kind: InputTimer, Frame: tk}), ":t")
	if eff := run(Input{Kind: InputTaskFailed, Frame: tk, Error: "Boom"}); countKind(eff, EffectFail) != 1 {
		t.Fatalf("retries exhausted: %+v", eff)
	}
	x = m.RedrivePoint(x)
	entered := len(rec.find(0, "PassStateEntered"))
	eff = run(Input{Kind: InputContinue})
	tk = taskOf(t, eff, ":t")
	if !strings.Contains(string(eff[0].Task.Input), `"p":1`) {
		t.Errorf("redriven task input %s", eff[0].Task.Input)
	}
	if len(rec.find(0, "PassStateEntered")) != entered {
		t.Error("the Pass state that succeeded ran again")
	}
	// Retry counts start over: the retry applies again.
	if eff := run(Input{Kind: InputTaskFailed, Frame: tk, Error: "Boom"}); countKind(eff, EffectTimer) != 1 {
		t.Fatalf("no retry after redrive: %+v", eff)
	}
	// Stopped while waiting for the retry: the frames are intact.
	m.Abort(x, rec)
	x = m.RedrivePoint(x)
	if x == nil || len(x.Ready) != 1 {
		t.Fatalf("redrive point of a stopped execution: %+v", x)
	}
	tk = taskOf(t, run(Input{Kind: InputContinue}), ":t")
	eff = run(Input{Kind: InputTaskSucceeded, Frame: tk, Output: []byte(`{"done":true}`)})
	if countKind(eff, EffectSucceed) != 1 {
		t.Fatalf("after the second redrive: %+v", eff)
	}
}
