package storecopy_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/gaffer-dev/gaffer/internal/pgtest"
)

// TestMain runs the tests with one throwaway PostgreSQL cluster, stops it,
// and fails the tests if any goroutine outlives them.
func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
