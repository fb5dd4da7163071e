package sfn_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// TestCallbackSurvivesCrash: two executions wait in a .waitForTaskToken
// Lambda task whose call has answered (TaskSubmitted); gaffer is killed
// with SIGKILL and restarted. The token handed out before the crash still
// takes SendTaskHeartbeat and SendTaskSuccess, and the execution succeeds;
// the other execution's callback never comes, and its HeartbeatSeconds is
// still enforced after the restart. The function is not called again: its
// call had answered before the crash.
func TestCallbackSurvivesCrash(t *testing.T) {
	t.Parallel()
	fl := newFakeLambda(t)
	p := servertest.StartProcess(t, "", "--lambda-endpoint", fl.URL)
	b := &bundle{&servertest.SFNEnv{Env: p.Env(), Client: servertest.SFN(p.URL)}}
	def := `{"StartAt":"Wait","States":{"Wait":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters":{"FunctionName":"callback","InvocationType":"Event","Payload":{"token.$":"$$.Task.Token"}},
		"HeartbeatSeconds":HB,"End":true}}}`
	start := func(hb string) (exec, token string) {
		t.Helper()
		exec = b.Start(t, b.Machine(t, strings.ReplaceAll(def, "HB", hb), ""), `{}`)
		token = <-fl.tokens
		if token == "" {
			t.Fatal("the function got no token")
		}
		// The call has answered (TaskSubmitted is written) before the crash.
		b.Wait.Await(10*time.Second, func() bool {
			return len(eventsOf(b.History(t, exec), types.HistoryEventTypeTaskSubmitted)) == 1
		})
		return exec, token
	}
	answered, token := start("3600")
	silent, _ := start("5")
	if d, err := b.Client.DescribeExecution(b.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(silent)}); err != nil || d.Status != types.ExecutionStatusRunning {
		t.Fatalf("before the crash: %v %+v", err, d)
	}

	p.Kill(t)
	p = p.Restart(t)
	b = &bundle{&servertest.SFNEnv{Env: p.Env(), Client: servertest.SFN(p.URL)}}

	// The callback comes after the restart, with the token of before.
	_, err := b.Client.SendTaskHeartbeat(b.Ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(token)})
	servertest.OK(t, "SendTaskHeartbeat after restart", err)
	_, err = b.Client.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{"done":1}`)})
	servertest.OK(t, "SendTaskSuccess after restart", err)
	out := b.WaitStatus(t, answered, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(out.Output), `{"done":1}`) {
		t.Errorf("output %s", aws.ToString(out.Output))
	}
	if got := strings.Join(servertest.SFNEventTypes(b.History(t, answered)), " "); !strings.Contains(got, "TaskSubmitted TaskSucceeded") {
		t.Errorf("history %s", got)
	}

	// The other one times out on its heartbeat, after the restart.
	out = b.WaitStatus(t, silent, types.ExecutionStatusFailed)
	if aws.ToString(out.Error) != "States.HeartbeatTimeout" {
		t.Errorf("silent execution failed with %s: %s", aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	if to := eventsOf(b.History(t, silent), types.HistoryEventTypeTaskTimedOut); len(to) != 1 || aws.ToString(to[0].TaskTimedOutEventDetails.Error) != "States.HeartbeatTimeout" {
		t.Errorf("TaskTimedOut events %+v", to)
	}
	if n := len(fl.recorded()); n != 2 {
		t.Errorf("%d calls of the function, want 2 (one per execution, none again after the restart)", n)
	}
}
