//go:build mattn

package sqlite

import (
	"database/sql"
	"strings"

	"github.com/mattn/go-sqlite3"
)

// driverName is the database/sql driver the store opens: mattn's, with a
// hook for the pragma it has no DSN parameter for.
const driverName = "sqlite3_gaffer"

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			_, err := c.Exec("PRAGMA temp_store = MEMORY", nil)
			return err
		},
	})
}

// dsn returns the data source name for the file at the absolute path abs
// with the given per-connection pragmas ("name(value)"), as mattn's
// _name=value parameters; temp_store(MEMORY) is set on every connection by
// the hook.
func dsn(abs string, pragmas ...string) string {
	var b strings.Builder
	b.WriteString("file:")
	b.WriteString(uriEscaper.Replace(abs))
	sep := byte('?')
	for _, p := range pragmas {
		name, value, _ := strings.Cut(strings.TrimSuffix(p, ")"), "(")
		if name == "temp_store" {
			continue
		}
		b.WriteByte(sep)
		sep = '&'
		b.WriteString("_" + name + "=" + value)
	}
	return b.String()
}

// prepareDriver does nothing: SQLite's unix VFS gives the -wal and -shm
// files the database file's mode.
func prepareDriver(string) error { return nil }
