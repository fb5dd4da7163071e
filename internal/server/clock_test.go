package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// clockAnswer is GET/POST /gaffer/clock's answer.
type clockAnswer struct {
	Now    time.Time `json:"now"`
	Manual bool      `json:"manual"`
}

// moveClock posts body to /gaffer/clock and returns the status and answer.
func moveClock(t *testing.T, url, body string) (int, clockAnswer, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url+"/gaffer/clock", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doClock(t, req)
}

func readClock(t *testing.T, url string) clockAnswer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url+"/gaffer/clock", nil)
	if err != nil {
		t.Fatal(err)
	}
	status, c, raw := doClock(t, req)
	if status != http.StatusOK {
		t.Fatalf("GET /gaffer/clock: %d %s", status, raw)
	}
	return c
}

func doClock(t *testing.T, req *http.Request) (int, clockAnswer, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var c clockAnswer
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatalf("decode clock answer %s: %v", raw, err)
		}
	}
	return resp.StatusCode, c, string(raw)
}

// advance moves the manual clock of the server at url by d and checks the
// answer.
func advance(t *testing.T, url string, d time.Duration) time.Time {
	t.Helper()
	before := readClock(t, url).Now
	status, c, raw := moveClock(t, url, `{"advance":"`+d.String()+`"}`)
	if status != http.StatusOK || !c.Manual || c.Now.Sub(before) != d {
		t.Fatalf("advance %v from %v: %d %s", d, before, status, raw)
	}
	return c.Now
}

// TestManualClockStepFunctions runs, on `gaffer serve --clock manual`, a
// machine with a one-hour Wait and an activity Task with HeartbeatSeconds
// 3600 whose heartbeat timeout is retried after an hour's back-off and then
// caught: four hours of virtual time pass in the time the calls take.
func TestManualClockStepFunctions(t *testing.T) {
	t.Parallel()
	began := time.Now()
	p := servertest.StartProcess(t, "", "--clock", "manual")
	e := p.Env().SFN()

	start := readClock(t, p.URL)
	if !start.Manual {
		t.Fatalf("GET /gaffer/clock on --clock manual: %+v", start)
	}
	// The manual clock stands still.
	if again := readClock(t, p.URL); !again.Now.Equal(start.Now) {
		t.Fatalf("manual clock moved by itself: %v then %v", start.Now, again.Now)
	}
	for _, body := range []string{`{"advance":"-1s"}`, `{"set":"2001-01-01T00:00:00Z"}`, `{"advance":"soon"}`, `{}`, `{"advance":"1s","set":"2100-01-01T00:00:00Z"}`} {
		if status, _, raw := moveClock(t, p.URL, body); status != http.StatusBadRequest {
			t.Errorf("POST /gaffer/clock %s: %d %s, want 400", body, status, raw)
		}
	}

	act := e.Activity(t)
	machine := e.Machine(t, `{"StartAt":"Hour","States":{
		"Hour":{"Type":"Wait","Seconds":3600,"Next":"Work"},
		"Work":{"Type":"Task","Resource":"$ACT","HeartbeatSeconds":3600,
			"Retry":[{"ErrorEquals":["States.HeartbeatTimeout"],"IntervalSeconds":3600,"MaxAttempts":1}],
			"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},
		"Caught":{"Type":"Pass","End":true}}}`, act)
	exec := e.Start(t, machine, `{}`)
	has := func(typ string, n int) func() bool {
		return func() bool {
			count := 0
			for _, ev := range e.History(t, exec) {
				if string(ev.Type) == typ {
					count++
				}
			}
			return count >= n
		}
	}
	if !e.Wait.Await(10*time.Second, has("WaitStateEntered", 1)) {
		t.Fatal("no WaitStateEntered")
	}
	// Nothing is handed out before the hour has passed.
	if tok, _ := e.Poll(t, act); tok != "" {
		t.Fatal("the Wait state ended before the clock moved")
	}
	advance(t, p.URL, time.Hour)
	e.MustPoll(t, act)
	advance(t, p.URL, time.Hour+time.Second) // the heartbeat deadline passes
	if !e.Wait.Await(10*time.Second, has("ActivityTimedOut", 1)) {
		t.Fatalf("no ActivityTimedOut after an hour without heartbeat: %v", servertest.SFNEventTypes(e.History(t, exec)))
	}
	advance(t, p.URL, time.Hour) // the retry's back-off
	e.MustPoll(t, act)
	advance(t, p.URL, time.Hour+time.Second)
	out := e.WaitStatus(t, exec, sfntypes.ExecutionStatusSucceeded)
	if got := out.StopDate.Sub(*out.StartDate); got < 4*time.Hour {
		t.Errorf("execution took %v of virtual time, want over 4h", got)
	}
	types := servertest.SFNEventTypes(e.History(t, exec))
	if !slices.Contains(types, "WaitStateExited") || strings.Count(strings.Join(types, ","), "ActivityTimedOut") != 2 {
		t.Errorf("history %v", types)
	}
	if took := time.Since(began); took > time.Minute {
		t.Errorf("four virtual hours took %v of real time", took)
	}
}

// TestManualClockSWFTimer fires an SWF timer of a day once the manual clock
// of an in-process server is moved a day on.
func TestManualClockSWFTimer(t *testing.T) {
	t.Parallel()
	clock := server.NewManualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := servertest.Start(t, servertest.Options{ManualClock: clock})
	env := servertest.InProcess(srv)
	if got := readClock(t, env.URL); !got.Now.Equal(clock.Now()) || !got.Manual {
		t.Fatalf("GET /gaffer/clock: %+v, want %v", got, clock.Now())
	}
	e := swfcSetup(t, env.URL, env.Wait, servertest.Uniq("clock"))
	h := swfcNewHandouts()
	wid := "day-timer"
	runID := e.start(t, wid, func(in *swf.StartWorkflowExecutionInput) {
		in.ExecutionStartToCloseTimeout = aws.String("259200") // three days
	})
	d := e.mustPollDecision(t, wid, h)
	e.respond(t, wid, d.TaskToken, types.Decision{
		DecisionType:                 types.DecisionTypeStartTimer,
		StartTimerDecisionAttributes: &types.StartTimerDecisionAttributes{TimerId: aws.String("day"), StartToFireTimeout: aws.String("86400")},
	})
	// Not yet: an hour short of the day.
	advance(t, env.URL, 23*time.Hour)
	if out, err := e.pollDecision(e.ctx, swfcDecisionList(wid)); err != nil || out != nil {
		t.Fatalf("a decision task before the timer's day passed: %v %v", out, err)
	}
	advance(t, env.URL, time.Hour)
	d = e.mustPollDecision(t, wid, h)
	fired := false
	for _, ev := range d.Events {
		if ev.EventType == types.EventTypeTimerFired && aws.ToString(ev.TimerFiredEventAttributes.TimerId) == "day" {
			fired = true
			if want := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC); ev.EventTimestamp.Before(want) {
				t.Errorf("TimerFired at %v, before %v", ev.EventTimestamp, want)
			}
		}
	}
	if !fired {
		t.Fatalf("no TimerFired in %d events", len(d.Events))
	}
	e.respond(t, wid, d.TaskToken, types.Decision{DecisionType: types.DecisionTypeCompleteWorkflowExecution, CompleteWorkflowExecutionDecisionAttributes: &types.CompleteWorkflowExecutionDecisionAttributes{}})
	if info := e.describe(t, wid, runID); info.ExecutionStatus != types.ExecutionStatusClosed {
		t.Errorf("workflow %s, want CLOSED", info.ExecutionStatus)
	}
}

// TestRealClockRefusesMoves: a node on the real clock answers its time and
// refuses to move it.
func TestRealClockRefusesMoves(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	before := time.Now()
	c := readClock(t, srv.URL())
	if c.Manual || c.Now.Before(before.Add(-time.Second)) {
		t.Errorf("GET /gaffer/clock on the real clock: %+v", c)
	}
	if status, _, raw := moveClock(t, srv.URL(), `{"advance":"1h"}`); status != http.StatusConflict {
		t.Errorf("POST /gaffer/clock on the real clock: %d %s, want 409", status, raw)
	}
}

// TestClockEndpointAuthenticated: with credentials, moving the clock is
// the action gaffer:SetClock, and the body reaches the handler after the
// signature check read it.
func TestClockEndpointAuthenticated(t *testing.T) {
	t.Parallel()
	clock := server.NewManualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := servertest.Start(t, servertest.Options{
		ManualClock: clock,
		Authenticate: servertest.Identities(t, map[string]string{
			"AKIDDENY":  servertest.DenyAll,
			"AKIDALLOW": servertest.AllowAll,
		}).Authenticate,
	})
	post := func(akid string) (int, string) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL()+"/gaffer/clock", strings.NewReader(`{"advance":"1h"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+akid+"/20260101/us-east-1/gaffer/aws4_request, SignedHeaders=host, Signature=00")
		status, _, raw := doClock(t, req)
		return status, raw
	}
	if status, raw := post("AKIDDENY"); status != http.StatusForbidden || !strings.Contains(raw, "gaffer:SetClock") {
		t.Errorf("denied: %d %s", status, raw)
	}
	if status, raw := post("AKIDALLOW"); status != http.StatusOK {
		t.Fatalf("allowed: %d %s", status, raw)
	}
	if got, want := clock.Now(), time.Date(2030, 1, 1, 1, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("clock %v, want %v", got, want)
	}
}
