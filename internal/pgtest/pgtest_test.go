package pgtest_test

import (
	"testing"

	"github.com/gaffer-dev/gaffer/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestNewDatabase checks that each test gets an empty database of its own
// that it can write in.
func TestNewDatabase(t *testing.T) {
	a, b := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	if a == b {
		t.Fatalf("two NewDatabase calls returned the same DSN %q", a)
	}
	for _, dsn := range []string{a, b} {
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatalf("connect %s: %v", dsn, err)
		}
		if _, err := conn.Exec(t.Context(), `CREATE TABLE x (v int)`); err != nil {
			t.Fatalf("create table in %s: %v", dsn, err)
		}
		if err := conn.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
}
