package swf_test

import (
	"testing"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// bundle is what most tests need: a real server on a temp SQLite file and
// an SDK client pointed at it (see servertest.SWFEnv).
type bundle struct {
	*servertest.SWFEnv
}

func setup(t *testing.T) *bundle {
	t.Helper()
	return &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{})).SWF()}
}
