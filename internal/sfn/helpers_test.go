package sfn_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// bundle is what most tests need: a real server on a temp SQLite file and
// an SDK client pointed at it (servertest.SFNEnv has the helpers).
type bundle struct {
	*servertest.SFNEnv
}

func setup(t *testing.T) *bundle {
	t.Helper()
	return &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{})).SFN()}
}

func TestSmokeRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","End":true}}}`, act)
	exec := b.Start(t, sm, `{"x":1}`)
	tok, in := b.MustPoll(t, act)
	if !servertest.JSONEqual(t, in, `{"x":1}`) {
		t.Fatalf("task input %s", in)
	}
	if _, err := b.Client.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{"y":2}`)}); err != nil {
		t.Fatal(err)
	}
	out := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(out.Output), `{"y":2}`) {
		t.Fatalf("output %s", aws.ToString(out.Output))
	}
}
