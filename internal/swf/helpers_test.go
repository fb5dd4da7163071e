package swf_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/smithy-go"

	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// bundle is what most tests need: a real server on a temp SQLite file and
// an SDK client pointed at it.
type bundle struct {
	srv    *server.Server
	client *swf.Client
	ctx    context.Context
}

func setup(t *testing.T) *bundle {
	t.Helper()
	srv := servertest.Start(t, servertest.Options{})
	return &bundle{srv: srv, client: servertest.SWF(srv.URL()), ctx: context.Background()}
}

var nameSeq atomic.Int64

// uniq returns a name unique within the test binary.
func uniq(prefix string) string { return fmt.Sprintf("%s-%d", prefix, nameSeq.Add(1)) }

// errorCode returns the AWS error code of err ("" if it is not an API error).
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
