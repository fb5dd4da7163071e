//lint:file-ignore SA1019 aws-sdk-go v1 is deprecated by AWS; covering the workers that still use it is this package's point.

package sdkv1_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"go.uber.org/goleak"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// setup starts an in-process server and returns its Env and a v1 session
// for it: static credentials, us-east-1, the server's URL as the endpoint,
// no shared configuration files read.
func setup(t *testing.T) (servertest.Env, *session.Session) {
	t.Helper()
	env := servertest.InProcess(servertest.Start(t, servertest.Options{}))
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	sess, err := session.NewSessionWithOptions(session.Options{
		Config: aws.Config{
			Region:      aws.String("us-east-1"),
			Credentials: credentials.NewStaticCredentials("AKIDTEST", "secret", ""),
			Endpoint:    aws.String(env.URL),
			HTTPClient:  &http.Client{Transport: transport},
		},
		SharedConfigState: session.SharedConfigDisable,
	})
	if err != nil {
		t.Fatalf("v1 session: %v", err)
	}
	return env, sess
}

// ok fails the test on err; what names the call.
func ok(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantError fails unless err is what v1 makes of an HTTP 400 answer with
// the AWS error code want: an awserr.RequestFailure whose Code() is want.
// It returns err for a further check of its modelled type.
func wantError(t *testing.T, what string, err error, want string) error {
	t.Helper()
	var rf awserr.RequestFailure
	if !errors.As(err, &rf) {
		t.Fatalf("%s: error %v (%T) is not an awserr.RequestFailure", what, err, err)
	}
	if rf.Code() != want || rf.StatusCode() != http.StatusBadRequest {
		t.Fatalf("%s: error code %q, status %d (%v); want %s, 400", what, rf.Code(), rf.StatusCode(), err, want)
	}
	if rf.Message() == "" {
		t.Fatalf("%s: error %s has no message", what, rf.Code())
	}
	return err
}
