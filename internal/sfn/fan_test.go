package sfn_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// The tests of this file run Parallel and Map states over the wire, with
// activity workers played by the test.

// fanSetup is setup with short long-polls, for tests that check that no
// task is out (an empty poll ends after MaxPollWait).
func fanSetup(t *testing.T) *bundle {
	t.Helper()
	return &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{MaxPollWait: 300 * time.Millisecond})).SFN()}
}

// fanLine renders one event as "id<-prev Type detail" for the events of
// Map and Parallel states, and as exDescribe does for the others.
func fanLine(e types.HistoryEvent) string {
	var d string
	switch {
	case e.MapStateStartedEventDetails != nil:
		d = fmt.Sprintf("length=%d", e.MapStateStartedEventDetails.Length)
	case e.MapIterationStartedEventDetails != nil:
		d = fmt.Sprintf("%s[%d]", aws.ToString(e.MapIterationStartedEventDetails.Name), e.MapIterationStartedEventDetails.Index)
	case e.MapIterationSucceededEventDetails != nil:
		d = fmt.Sprintf("%s[%d]", aws.ToString(e.MapIterationSucceededEventDetails.Name), e.MapIterationSucceededEventDetails.Index)
	case e.MapIterationFailedEventDetails != nil:
		d = fmt.Sprintf("%s[%d]", aws.ToString(e.MapIterationFailedEventDetails.Name), e.MapIterationFailedEventDetails.Index)
	case e.MapIterationAbortedEventDetails != nil:
		d = fmt.Sprintf("%s[%d]", aws.ToString(e.MapIterationAbortedEventDetails.Name), e.MapIterationAbortedEventDetails.Index)
	default:
		return exDescribe(e)
	}
	return fmt.Sprintf("%d<-%d %s %s", e.Id, e.PreviousEventId, e.Type, d)
}

func fanLines(events []types.HistoryEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = fanLine(e)
	}
	return out
}

// fanMostOut returns the most activity tasks a history had out at once
// (scheduled and not yet ended).
func fanMostOut(events []types.HistoryEvent) int {
	out, most := 0, 0
	for _, e := range events {
		switch e.Type {
		case types.HistoryEventTypeActivityScheduled:
			out++
			most = max(most, out)
		case types.HistoryEventTypeActivitySucceeded, types.HistoryEventTypeActivityFailed, types.HistoryEventTypeActivityTimedOut,
			types.HistoryEventTypeTaskStateAborted:
			out--
		}
	}
	return most
}

// fanCount returns the number of events of type typ.
func fanCount(events []types.HistoryEvent, typ types.HistoryEventType) int {
	return len(exFind(events, typ))
}

// fanTask is a task a test worker holds.
type fanTask struct {
	token string
	input map[string]any
}

// fanPoll polls act until a task comes and decodes its input.
func fanPoll(t *testing.T, b *bundle, act string) fanTask {
	t.Helper()
	tok, in := b.MustPoll(t, act)
	var v map[string]any
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatalf("task input %s: %v", in, err)
	}
	return fanTask{tok, v}
}

// fanNoTask checks that no task of act is out to be taken.
func fanNoTask(t *testing.T, b *bundle, act, when string) {
	t.Helper()
	if tok, in := b.Poll(t, act); tok != "" {
		t.Fatalf("%s: a poll got a task (input %s), want none", when, in)
	}
}

func TestFanParallelActivities(t *testing.T) {
	t.Parallel()
	b := fanSetup(t)
	act := b.Activity(t)
	sm := b.Machine(t, `{
		"StartAt": "P",
		"States": {
			"P": {
				"Type": "Parallel",
				"Branches": [
					{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "$ACT", "Parameters": {"branch": "a", "in.$": "$.n"}, "End": true}}},
					{"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "$ACT", "Parameters": {"branch": "b", "in.$": "$.n"}, "End": true}}},
					{"StartAt": "C", "States": {"C": {"Type": "Task", "Resource": "$ACT", "Parameters": {"branch": "c", "in.$": "$.n"}, "End": true}}}
				],
				"ResultPath": "$.results",
				"Next": "Done"
			},
			"Done": {"Type": "Succeed"}
		}
	}`, act)
	exec := b.Start(t, sm, `{"n": 5}`)
	// All three are out before any ends.
	held := map[string]fanTask{}
	for range 3 {
		task := fanPoll(t, b, act)
		held[task.input["branch"].(string)] = task
	}
	if len(held) != 3 {
		t.Fatalf("tasks of branches %v, want a, b and c", held)
	}
	fanNoTask(t, b, act, "with the three branch tasks held")
	for _, br := range []string{"c", "a", "b"} {
		exSucceed(t, b, held[br].token, fmt.Sprintf(`{"from":%q}`, br))
	}
	desc := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(desc.Output), `{"n":5,"results":[{"from":"a"},{"from":"b"},{"from":"c"}]}`) {
		t.Fatalf("output %s", aws.ToString(desc.Output))
	}
	events := b.History(t, exec)
	if got := fanMostOut(events); got != 3 {
		t.Errorf("at most %d tasks out at once, want 3", got)
	}
	types := servertest.SFNEventTypes(events)
	if slices.Contains(types, "ParallelStateSucceeded") {
		t.Errorf("history has ParallelStateSucceeded, which AWS does not write: %v", types)
	}
	if !exSubsequence(types, []string{"ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted", "ParallelStateExited", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"}) {
		t.Errorf("history %v", types)
	}
}

func TestFanParallelFailureCancelsBranch(t *testing.T) {
	t.Parallel()
	b := fanSetup(t)
	act := b.Activity(t)
	sm := b.Machine(t, `{"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
		{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "$ACT", "Parameters": {"branch": "a"}, "End": true}}},
		{"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "$ACT", "Parameters": {"branch": "b"}, "HeartbeatSeconds": 60, "End": true}}}]}}}`, act)
	exec := b.Start(t, sm, `{}`)
	held := map[string]fanTask{}
	for range 2 {
		task := fanPoll(t, b, act)
		held[task.input["branch"].(string)] = task
	}
	exFail(t, b, held["a"].token, "Branch.Broke", "a broke")
	desc := b.WaitStatus(t, exec, types.ExecutionStatusFailed)
	if aws.ToString(desc.Error) != "Branch.Broke" || aws.ToString(desc.Cause) != "a broke" {
		t.Errorf("error %q cause %q", aws.ToString(desc.Error), aws.ToString(desc.Cause))
	}
	// Branch B was stopped: its token is dead.
	exTokenDead(t, b, held["b"].token)
	types := servertest.SFNEventTypes(b.History(t, exec))
	if want := []string{"ActivityFailed", "ParallelStateFailed", "ExecutionFailed"}; !slices.Equal(types[len(types)-3:], want) {
		t.Errorf("history ends %v, want %v", types[len(types)-3:], want)
	}
}

// mapMachine maps a Task (its input {"item": value, "index": i}) over
// $.items; extra goes into the Map state.
func mapMachine(extra string) string {
	return `{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items", ` + extra + `
		"ItemSelector": {"item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
		"ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "$ACT", "End": true}}},
		"End": true}}}`
}

func TestFanMapMaxConcurrency(t *testing.T) {
	t.Parallel()
	b := fanSetup(t)
	act := b.Activity(t)
	sm := b.Machine(t, mapMachine(`"MaxConcurrency": 2,`), act)
	exec := b.Start(t, sm, `{"items": ["a", "b", "c", "d", "e", "f"]}`)
	done := 0
	var held []fanTask
	for done < 6 {
		// Take every task there is, up to what MaxConcurrency allows.
		for len(held) < min(2, 6-done) {
			held = append(held, fanPoll(t, b, act))
		}
		fanNoTask(t, b, act, fmt.Sprintf("holding %d tasks with %d items done", len(held), done))
		// End the newest first, so that items end out of order.
		task := held[len(held)-1]
		held = held[:len(held)-1]
		exSucceed(t, b, task.token, fmt.Sprintf(`{"got":%q}`, task.input["item"]))
		done++
	}
	desc := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(desc.Output), `[{"got":"a"},{"got":"b"},{"got":"c"},{"got":"d"},{"got":"e"},{"got":"f"}]`) {
		t.Fatalf("output %s", aws.ToString(desc.Output))
	}
	events := b.History(t, exec)
	if got := fanMostOut(events); got != 2 {
		t.Errorf("the history had %d tasks out at once, want 2", got)
	}
	if n := fanCount(events, types.HistoryEventTypeMapIterationSucceeded); n != 6 {
		t.Errorf("%d MapIterationSucceeded, want 6", n)
	}
}

func TestFanMapCatch(t *testing.T) {
	t.Parallel()
	b := fanSetup(t)
	act := b.Activity(t)
	sm := b.Machine(t, `{"StartAt": "M", "States": {
		"M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
			"ItemSelector": {"item.$": "$$.Map.Item.Value"},
			"ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "$ACT", "End": true}}},
			"Catch": [{"ErrorEquals": ["Item.Bad"], "ResultPath": "$.error", "Next": "Caught"}],
			"End": true},
		"Caught": {"Type": "Pass", "End": true}}}`, act)
	exec := b.Start(t, sm, `{"items": [1, 2, 3]}`)
	first, second := fanPoll(t, b, act), fanPoll(t, b, act)
	exFail(t, b, first.token, "Item.Bad", "bad item")
	desc := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(desc.Output), `{"items":[1,2,3],"error":{"Error":"Item.Bad","Cause":"bad item"}}`) {
		t.Fatalf("output %s", aws.ToString(desc.Output))
	}
	exTokenDead(t, b, second.token)
	fanNoTask(t, b, act, "after the catch")
	types := servertest.SFNEventTypes(b.History(t, exec))
	if !exSubsequence(types, []string{"ActivityFailed", "MapIterationFailed", "MapIterationAborted", "MapStateFailed", "MapStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}) {
		t.Fatalf("history %v", types)
	}
	if slices.Contains(types, "MapStateSucceeded") {
		t.Fatalf("a caught Map has MapStateSucceeded: %v", types)
	}
}

func TestFanMapRetryHistory(t *testing.T) {
	t.Parallel()
	b := fanSetup(t)
	act := b.Activity(t)
	sm := b.Machine(t, mapMachine(`"MaxConcurrency": 1,
		"Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 1}],`), act)
	exec := b.Start(t, sm, `{"items": ["x", "y"]}`)
	task := fanPoll(t, b, act)
	exSucceed(t, b, task.token, `"x1"`)
	task = fanPoll(t, b, act)
	if task.input["item"] != "y" {
		t.Fatalf("second task %v, want item y", task.input)
	}
	exFail(t, b, task.token, "Flaky", "first try")
	// After the back-off the whole Map runs again.
	for _, want := range []string{"x", "y"} {
		task = fanPoll(t, b, act)
		if task.input["item"] != want {
			t.Fatalf("task %v, want item %s", task.input, want)
		}
		exSucceed(t, b, task.token, fmt.Sprintf(`"%s2"`, want))
	}
	desc := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(desc.Output), `["x2","y2"]`) {
		t.Fatalf("output %s", aws.ToString(desc.Output))
	}
	exSameLines(t, "history types", servertest.SFNEventTypes(b.History(t, exec)), []string{
		"ExecutionStarted", "MapStateEntered", "MapStateStarted",
		"MapIterationStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited", "MapIterationSucceeded",
		"MapIterationStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivityFailed", "MapIterationFailed",
		"MapStateStarted",
		"MapIterationStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited", "MapIterationSucceeded",
		"MapIterationStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited", "MapIterationSucceeded",
		"MapStateSucceeded", "MapStateExited", "ExecutionSucceeded",
	})
}

func TestFanExactHistories(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sm := b.Machine(t, `{"StartAt": "M", "States": {
		"M": {"Type": "Map", "ItemsPath": "$.a", "ItemSelector": {"v.$": "$$.Map.Item.Value"},
			"ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
			"ResultPath": "$.r", "Next": "P"},
		"P": {"Type": "Parallel", "OutputPath": "$[1]", "End": true, "Branches": [
			{"StartAt": "B1", "States": {"B1": {"Type": "Pass", "Result": 1, "End": true}}},
			{"StartAt": "B2", "States": {"B2": {"Type": "Pass", "Next": "B3"}, "B3": {"Type": "Succeed"}}}]}}}`, "")
	exec := b.Start(t, sm, `{"a": [1, 2]}`)
	const out = `{"a":[1,2],"r":[{"v":1},{"v":2}]}`
	desc := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(desc.Output), out) {
		t.Fatalf("output %s", aws.ToString(desc.Output))
	}
	exSameLines(t, "history", fanLines(b.History(t, exec)), []string{
		`1<-0 ExecutionStarted input={"a":[1,2]} role=` + exRole,
		`2<-0 MapStateEntered name=M input={"a":[1,2]}`,
		`3<-2 MapStateStarted length=2`,
		`4<-3 MapIterationStarted M[0]`,
		`5<-4 MapIterationStarted M[1]`,
		`6<-4 PassStateEntered name=I input={"v":1}`,
		`7<-6 PassStateExited name=I output={"v":1}`,
		`8<-7 MapIterationSucceeded M[0]`,
		`9<-5 PassStateEntered name=I input={"v":2}`,
		`10<-9 PassStateExited name=I output={"v":2}`,
		`11<-10 MapIterationSucceeded M[1]`,
		`12<-11 MapStateSucceeded (no details)`,
		`13<-12 MapStateExited name=M output=` + out,
		`14<-13 ParallelStateEntered name=P input=` + out,
		`15<-14 ParallelStateStarted (no details)`,
		`16<-15 PassStateEntered name=B1 input=` + out,
		`17<-16 PassStateExited name=B1 output=1`,
		`18<-15 PassStateEntered name=B2 input=` + out,
		`19<-18 PassStateExited name=B2 output=` + out,
		`20<-19 SucceedStateEntered name=B3 input=` + out,
		`21<-20 SucceedStateExited name=B3 output=` + out,
		`22<-21 ParallelStateExited name=P output=` + out,
		`23<-22 ExecutionSucceeded output=` + out,
	})
}

func TestFanStopDuringMap(t *testing.T) {
	t.Parallel()
	b := fanSetup(t)
	act := b.Activity(t)
	sm := b.Machine(t, mapMachine(`"MaxConcurrency": 2,`), act)
	exec := b.Start(t, sm, `{"items": [1, 2, 3, 4]}`)
	first, second := fanPoll(t, b, act), fanPoll(t, b, act)
	exSucceed(t, b, first.token, `"one"`)
	third := fanPoll(t, b, act)
	if _, err := b.Client.StopExecution(b.Ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(exec), Error: aws.String("Ops.Stop")}); err != nil {
		t.Fatalf("StopExecution: %v", err)
	}
	b.WaitStatus(t, exec, types.ExecutionStatusAborted)
	exTokenDead(t, b, second.token)
	exTokenDead(t, b, third.token)
	fanNoTask(t, b, act, "after the stop")
	events := b.History(t, exec)
	lines := fanLines(events)
	tail := lines[len(lines)-6:]
	for i := range tail {
		tail[i] = tail[i][strings.Index(tail[i], " ")+1:] // drop the ids
	}
	exSameLines(t, "history's end", tail, []string{
		"TaskStateAborted (no details)",
		"MapIterationAborted M[2]",
		"TaskStateAborted (no details)",
		"MapIterationAborted M[1]",
		"MapStateAborted (no details)",
		"ExecutionAborted error=Ops.Stop cause=-",
	})
}

// fanItems returns the JSON array [0, 1, ..., n-1].
func fanItems(n int) string {
	in := make([]string, n)
	for i := range n {
		in[i] = fmt.Sprint(i)
	}
	return "[" + strings.Join(in, ",") + "]"
}

// A Map over more items than one write takes goes on in later writes
// (maxStepsPerTx) and ends with every result in order; one whose history
// would pass 25,000 events fails at the limit.
func TestFanLargeMapOfPass(t *testing.T) {
	t.Parallel()
	b := setup(t)
	def := `{"StartAt": "M", "States": {"M": {"Type": "Map", %s
		"ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"i.$": "$"}, "OutputPath": "$.i", "End": true}}},
		"End": true}}}`
	inline := b.Machine(t, fmt.Sprintf(def, ""), "")
	distributed := b.Machine(t, fmt.Sprintf(strings.Replace(def, `"StartAt": "P",`, `"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "P",`, 1), ""), "")

	// 10,000 items in a distributed Map: its iterations write no events
	// here, so the Map ends within the history limit.
	items := fanItems(10_000)
	exec := b.Start(t, distributed, items)
	desc := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if aws.ToString(desc.Output) != items {
		t.Fatalf("distributed Map output %.100s…, want the items", aws.ToString(desc.Output))
	}

	// 5,000 items inline: four events an item, 20,006 in all.
	items = fanItems(5_000)
	exec = b.Start(t, inline, items)
	desc = b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if aws.ToString(desc.Output) != items {
		t.Fatalf("inline Map output %.100s…, want the items", aws.ToString(desc.Output))
	}
	events := b.History(t, exec)
	if got, want := len(events), 4*5_000+6; got != want {
		t.Fatalf("%d events, want %d", got, want)
	}
	for i, e := range events {
		if e.Id != int64(i+1) || e.PreviousEventId >= e.Id {
			t.Fatalf("event %d: id %d previousEventId %d", i, e.Id, e.PreviousEventId)
		}
	}
	if n := fanCount(events, types.HistoryEventTypeMapIterationSucceeded); n != 5_000 {
		t.Fatalf("%d MapIterationSucceeded, want 5000", n)
	}

	// 10,000 items inline would take 40,006 events.
	exec = b.Start(t, inline, fanItems(10_000))
	desc = b.WaitStatus(t, exec, types.ExecutionStatusFailed)
	if aws.ToString(desc.Error) != "States.Runtime" || aws.ToString(desc.Cause) != "The execution reached the maximum number of history events (25000)." {
		t.Fatalf("error %s: %s", aws.ToString(desc.Error), aws.ToString(desc.Cause))
	}
	events = b.History(t, exec)
	if len(events) > 25_000 {
		t.Fatalf("the history has %d events, the limit is 25000", len(events))
	}
	if last := events[len(events)-1]; last.Type != types.HistoryEventTypeExecutionFailed || last.Id != int64(len(events)) {
		t.Fatalf("last event %s", fanLine(last))
	}
}

// A kill -9 in the middle of a Map loses nothing and repeats nothing: the
// held tasks' tokens still work after the restart, the Map goes on with
// the items not yet started, and every item runs once.
func TestFanMapSurvivesKill(t *testing.T) {
	t.Parallel()
	p := servertest.StartProcess(t, "")
	b := &bundle{p.Env().SFN()}
	act := b.Activity(t)
	sm := b.Machine(t, mapMachine(`"MaxConcurrency": 3,`), act)
	exec := b.Start(t, sm, `{"items": [0, 1, 2, 3, 4, 5]}`)
	delivered := map[float64]int{}
	take := func() fanTask {
		t.Helper()
		task := fanPoll(t, b, act)
		delivered[task.input["item"].(float64)]++
		return task
	}
	held := map[float64]fanTask{}
	for range 3 {
		task := take()
		held[task.input["item"].(float64)] = task
	}
	exSucceed(t, b, held[0].token, `"r0"`) // acknowledged: item 3 is scheduled
	delete(held, 0)
	task := take()
	held[task.input["item"].(float64)] = task

	p.Kill(t)
	p = p.Restart(t)
	b = &bundle{p.Env().SFN()}

	for item, task := range held {
		exSucceed(t, b, task.token, fmt.Sprintf(`"r%d"`, int(item)))
	}
	for range 2 {
		task := take()
		exSucceed(t, b, task.token, fmt.Sprintf(`"r%d"`, int(task.input["item"].(float64))))
	}
	desc := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(desc.Output), `["r0","r1","r2","r3","r4","r5"]`) {
		t.Fatalf("output %s", aws.ToString(desc.Output))
	}
	for item := range 6 {
		if n := delivered[float64(item)]; n != 1 {
			t.Errorf("item %d delivered %d times", item, n)
		}
	}
	events := b.History(t, exec)
	for typ, want := range map[types.HistoryEventType]int{
		types.HistoryEventTypeActivityScheduled:     6,
		types.HistoryEventTypeActivitySucceeded:     6,
		types.HistoryEventTypeMapIterationStarted:   6,
		types.HistoryEventTypeMapIterationSucceeded: 6,
		types.HistoryEventTypeMapStateSucceeded:     1,
	} {
		if got := fanCount(events, typ); got != want {
			t.Errorf("%d %s events, want %d", got, typ, want)
		}
	}
	if got := fanMostOut(events); got != 3 {
		t.Errorf("%d tasks out at once, MaxConcurrency is 3", got)
	}
}
