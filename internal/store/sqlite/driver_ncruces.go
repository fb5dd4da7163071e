//go:build ncruces

package sqlite

import (
	"net/url"
	"os"
	"strings"

	_ "github.com/ncruces/go-sqlite3/driver" // registers the "sqlite3" driver
)

// driverName is the database/sql driver the store opens.
const driverName = "sqlite3"

// dsn returns the data source name for the file at the absolute path abs
// with the given per-connection pragmas ("name(value)"), and modeof, so
// that the driver's Go VFS gives the -wal file the database file's mode.
func dsn(abs string, pragmas ...string) string {
	return modeof(pragmaDSN(abs, pragmas...), abs)
}

// modeof adds the modeof URI parameter naming abs to the "file:" URI u.
func modeof(u, abs string) string {
	if strings.Contains(u, "?") {
		return u + "&modeof=" + url.QueryEscape(abs)
	}
	return u + "?modeof=" + url.QueryEscape(abs)
}

// prepareDriver creates the -wal and -shm files with filePerm if they are
// missing: this driver's Go VFS creates them 0666 less the umask, not with
// the database file's mode as SQLite's unix VFS does.
func prepareDriver(abs string) error {
	for _, p := range []string{abs + "-wal", abs + "-shm"} {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, filePerm)
		if err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}
