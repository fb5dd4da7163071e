package engine

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: every
// engine goroutine is tracked and stopped by Stop.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
