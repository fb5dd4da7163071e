package pipeline_test

import (
	"testing"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// bundle is what most tests need: a real server on a temp SQLite file and
// an SDK client pointed at it (see servertest.PipelineEnv).
type bundle struct {
	*servertest.PipelineEnv
}

func setup(t *testing.T) *bundle {
	t.Helper()
	return &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{})).DataPipeline()}
}

// Short names for servertest's pipeline object builders, which the
// definitions in these tests use on nearly every line.
var (
	str = servertest.PipelineString
	ref = servertest.PipelineRef
	obj = servertest.PipelineObject
)
