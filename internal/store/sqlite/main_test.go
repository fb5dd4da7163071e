package sqlite

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: Close
// stops the writer and closes the database handles, whose connection
// openers exit with them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
