package webui

import (
	"strconv"
	"strings"
	"testing"
)

// TestGraphLayout: every state is drawn once, in a layer below the ones
// it is reached from; a loop back is drawn as a curve on the side; an
// unreachable state still appears; names are escaped.
func TestGraphLayout(t *testing.T) {
	t.Parallel()
	g, err := parseGraph(`{"StartAt": "Poll", "States": {
	  "Poll": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Done?"},
	  "Done?": {"Type": "Choice", "Choices": [{"Variable": "$.done", "BooleanEquals": true, "Next": "End"}], "Default": "Wait"},
	  "Wait": {"Type": "Wait", "Seconds": 5, "Next": "Poll"},
	  "End": {"Type": "Succeed"},
	  "<Orphan>": {"Type": "Pass", "End": true}}}`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"Poll": 0, "Done?": 1, "Wait": 2, "End": 2, "<Orphan>": 3}
	for n, l := range want {
		if got := g.layer[n]; got != l {
			t.Errorf("layer of %s = %d, want %d", n, got, l)
		}
	}
	svg := string(g.svg(map[string]string{"Poll": "succeeded", "Wait": "running"}, func(n string) string { return "/x?state=" + n }, "Wait"))
	for _, n := range []string{"Poll", "Done?", "Wait", "End"} {
		if c := strings.Count(svg, `data-state="`+n+`"`); c != 1 {
			t.Errorf("state %s drawn %d times", n, c)
		}
	}
	if strings.Contains(svg, "<Orphan>") || !strings.Contains(svg, `data-state="&lt;Orphan&gt;"`) {
		t.Error("a state's name is not escaped")
	}
	if !strings.Contains(svg, `class="node st-running selected"`) || !strings.Contains(svg, `data-state="End" data-status="notreached"`) {
		t.Errorf("statuses not drawn: %s", svg)
	}
	for _, s := range g.States {
		if s.x < 0 || s.x+s.w > g.w || s.y < 0 || s.y+s.h > g.h {
			t.Errorf("state box %+v outside the drawing %dx%d", s, g.w, g.h)
		}
	}
	if _, err := parseGraph(`{"StartAt": `); err == nil {
		t.Error("a broken definition parsed")
	}
}

// TestStateRuns: what happened to each state, from a history.
func TestStateRuns(t *testing.T) {
	t.Parallel()
	ev := func(id, prev int64, typ, details string) rawEvent {
		e := rawEvent{"id": []byte(itoa(id)), "previousEventId": []byte(itoa(prev)), "type": []byte(`"` + typ + `"`)}
		if details != "" {
			e["x"+"EventDetails"] = []byte(details)
		}
		return e
	}
	items := historyItems([]rawEvent{
		ev(1, 0, "ExecutionStarted", `{"input":"{}"}`),
		ev(2, 1, "TaskStateEntered", `{"name":"Work","input":"{}"}`),
		ev(3, 2, "ActivityScheduled", `{"resource":"a"}`),
		ev(4, 3, "ActivityFailed", `{"error":"Boom"}`),
		ev(5, 4, "ActivityScheduled", `{"resource":"a"}`),
		ev(6, 5, "ActivityFailed", `{"error":"Boom"}`),
		ev(7, 6, "PassStateEntered", `{"name":"Recover","input":"{}"}`),
		ev(8, 7, "PassStateExited", `{"name":"Recover","output":"{}"}`),
		ev(9, 8, "TaskStateEntered", `{"name":"Again","input":"{}"}`),
	})
	if items[3].State != "Work" || !items[3].Failure {
		t.Errorf("ActivityFailed belongs to %q (failure %v), want Work", items[3].State, items[3].Failure)
	}
	got := map[string]string{}
	for _, r := range stateRuns(items, "RUNNING") {
		got[r.Name] = r.Status
	}
	want := map[string]string{"Work": "caught", "Recover": "succeeded", "Again": "running"}
	for n, s := range want {
		if got[n] != s {
			t.Errorf("%s: %q, want %q (all: %v)", n, got[n], s, got)
		}
	}
	got = map[string]string{}
	for _, r := range stateRuns(items[:6], "FAILED") {
		got[r.Name] = r.Status
	}
	if got["Work"] != "failed" {
		t.Errorf("execution failed in Work: Work %q", got["Work"])
	}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
