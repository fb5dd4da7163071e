//go:build !ncruces && !mattn

package sqlite

import (
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// driverName is the database/sql driver the store opens.
const driverName = "sqlite"

// dsn returns the data source name for the file at the absolute path abs
// with the given per-connection pragmas ("name(value)").
func dsn(abs string, pragmas ...string) string { return pragmaDSN(abs, pragmas...) }

// prepareDriver does nothing: SQLite's unix VFS gives the -wal and -shm
// files the database file's mode.
func prepareDriver(string) error { return nil }
