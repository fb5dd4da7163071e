package cluster

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: the
// membership loop, the listener and the sender are stopped by Stop.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
