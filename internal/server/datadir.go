package server

import (
	"fmt"
	"os"
	"path/filepath"
)

// DBFile is the database's name in the data directory.
const DBFile = "gaffer.db"

// prepareDataDir creates the data directory with mode 0700 if it is
// missing, and refuses one that group or others may write: whoever can
// write it can replace gaffer.db, which holds the token HMAC secret.
func prepareDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("data directory %s is not a directory", dir)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		abs, _ := filepath.Abs(dir)
		return fmt.Errorf("data directory %s is writable by group or others (mode %#o); gaffer keeps its token secret there: run chmod 700 %s", abs, perm, abs)
	}
	return nil
}

// CheckPrivateFile refuses a file of secrets (the credentials file) that
// group or others may read or write (mode & 0o077), naming it, its mode and
// the fix: whoever reads it holds every identity in it. gaffer serve calls
// it at start and at each reload.
func CheckPrivateFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		abs, _ := filepath.Abs(path)
		return fmt.Errorf("%s holds secrets but group or others may read or write it (mode %#o): run chmod 600 %s", abs, perm, abs)
	}
	return nil
}

// PrepareDataDir creates a data directory as a node would (mode 0700 if
// missing) and refuses one that group or others may write, for commands
// that write a database a node will serve (gaffer copy).
func PrepareDataDir(dir string) error { return prepareDataDir(dir) }
