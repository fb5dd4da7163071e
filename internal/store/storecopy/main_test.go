package storecopy_test

import (
	"testing"

	"github.com/gaffer-dev/gaffer/internal/pgtest"
)

// TestMain runs the tests with one throwaway PostgreSQL cluster (pgtest.Main:
// stopped at the end, and no goroutine may outlive the tests).
func TestMain(m *testing.M) { pgtest.Main(m) }
