package server_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gaffer-dev/gaffer/internal/server"
)

func TestCheckPrivateFile(t *testing.T) {
	t.Parallel()
	f := filepath.Join(t.TempDir(), "credentials.json")
	if err := os.WriteFile(f, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		mode os.FileMode
		ok   bool
	}{{0o600, true}, {0o400, true}, {0o700, true}, {0o640, false}, {0o604, false}, {0o620, false}, {0o644, false}} {
		if err := os.Chmod(f, tt.mode); err != nil {
			t.Fatal(err)
		}
		err := server.CheckPrivateFile(f)
		if tt.ok != (err == nil) {
			t.Errorf("mode %#o: %v, want ok %v", tt.mode, err, tt.ok)
		}
		if err != nil && (!strings.Contains(err.Error(), f) || !strings.Contains(err.Error(), "chmod 600")) {
			t.Errorf("mode %#o: %v does not name the file and the fix", tt.mode, err)
		}
	}
	if err := server.CheckPrivateFile(f + ".missing"); err == nil {
		t.Error("a missing file passed")
	}
}
