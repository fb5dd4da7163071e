package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the example's test if any goroutine outlives it: the
// in-process server's and the example's own workers.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
