package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// fill writes n objects with a history of three events each.
func fill(t testing.TB, s *Store, n int) {
	t.Helper()
	body := []byte(strings.Repeat("x", 200))
	for i := 0; i < n; i += 100 {
		err := s.Update(t.Context(), func(tx store.Tx) error {
			for j := i; j < min(i+100, n); j++ {
				id := fmt.Sprintf("ex-%06d", j)
				if err := tx.PutObject(&store.Object{Kind: "test.execution", ID: id, Status: "RUNNING", Body: body}); err != nil {
					return err
				}
				if err := tx.AppendEvents(id, []store.Event{{ID: 1, Body: body}, {ID: 2, Body: body}, {ID: 3, Body: body}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// newFilled returns the path of a closed database holding n objects.
func newFilled(t testing.TB, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gaffer.db")
	s, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fill(t, s, n)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// corrupt writes 80 KiB of random bytes into the middle of the database
// file at path, as the hardening issue's reproduction did.
func corrupt(t testing.TB, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() < 3*80<<10 {
		t.Fatalf("%s is too small (%d bytes) to corrupt in the middle", path, fi.Size())
	}
	junk := make([]byte, 80<<10)
	r := rand.NewChaCha8([32]byte{4})
	_, _ = r.Read(junk)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(junk, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesDamaged(t *testing.T) {
	t.Parallel()
	path := newFilled(t, 3000)
	corrupt(t, path)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), path, Options{Init: true})
	if err == nil {
		_ = s.Close()
		t.Fatal("Open of a damaged file succeeded")
	}
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "quick_check") {
		t.Fatalf("Open = %v; want ErrDamaged naming %s and quick_check", err, path)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Error("Open changed the damaged file")
	}

	r, err := Check(t.Context(), path)
	if !errors.Is(err, ErrDamaged) || len(r.Problems) == 0 || !strings.Contains(err.Error(), path) {
		t.Fatalf("Check = %v with %d problems; want ErrDamaged naming the file, with problems", err, len(r.Problems))
	}
}

func TestOpenRefusesBadHeader(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gaffer.db")
	if err := os.WriteFile(path, []byte("not a database, just text\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, init := range []bool{false, true} {
		s, err := Open(t.Context(), path, Options{Init: init})
		if err == nil {
			_ = s.Close()
			t.Fatalf("Open(Init: %v) of a text file succeeded", init)
		}
		if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), path) {
			t.Fatalf("Open(Init: %v) = %v; want ErrDamaged naming the file", init, err)
		}
	}
	if _, err := Check(t.Context(), path); !errors.Is(err, ErrDamaged) {
		t.Fatalf("Check = %v; want ErrDamaged", err)
	}
}

func TestOpenEmptyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gaffer.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), path, Options{})
	if err == nil {
		_ = s.Close()
		t.Fatal("Open of a 0-byte file without Init succeeded")
	}
	if !errors.Is(err, ErrNoSchema) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "--init") {
		t.Fatalf("Open = %v; want ErrNoSchema naming the file and --init", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
		t.Fatalf("the refused file changed: %v, %v", fi, err)
	}
	s, err = Open(t.Context(), path, Options{Init: true})
	if err != nil {
		t.Fatalf("Open with Init: %v", err)
	}
	fill(t, s, 1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Now it is a gaffer database: it opens without Init.
	s, err = Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	_ = s.Close()
}

func TestOpenRefusesOrphanWAL(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gaffer.db")
	if err := os.WriteFile(path+"-wal", []byte("a log of another database"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), path, Options{Init: true})
	if err == nil {
		_ = s.Close()
		t.Fatal("Open beside an orphan -wal succeeded")
	}
	if !errors.Is(err, ErrOrphanWAL) || !strings.Contains(err.Error(), path+"-wal") {
		t.Fatalf("Open = %v; want ErrOrphanWAL naming the -wal file", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open created %s: %v", path, err)
	}
}

// sqliteFile creates an SQLite database at path with the given statements.
func sqliteFile(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range append([]string{"PRAGMA user_version = 1"}, stmts...) {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenRefusesForeignDatabase(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "other.db")
	sqliteFile(t, path, "CREATE TABLE things (id INTEGER PRIMARY KEY)")
	for _, init := range []bool{false, true} {
		s, err := Open(t.Context(), path, Options{Init: init})
		if err == nil {
			_ = s.Close()
			t.Fatalf("Open(Init: %v) of another program's database succeeded", init)
		}
		if !errors.Is(err, ErrNotGaffer) || !strings.Contains(err.Error(), path) {
			t.Fatalf("Open(Init: %v) = %v; want ErrNotGaffer naming the file", init, err)
		}
	}
	if _, err := Check(t.Context(), path); !errors.Is(err, ErrNotGaffer) {
		t.Fatalf("Check = %v; want ErrNotGaffer", err)
	}
}

func TestOpenDatabaseWithoutTables(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gaffer.db")
	sqliteFile(t, path)
	s, err := Open(t.Context(), path, Options{})
	if err == nil {
		_ = s.Close()
		t.Fatal("Open of a database without tables succeeded without Init")
	}
	if !errors.Is(err, ErrNoSchema) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open = %v; want ErrNoSchema naming the file", err)
	}
	s, err = Open(t.Context(), path, Options{Init: true})
	if err != nil {
		t.Fatalf("Open with Init: %v", err)
	}
	_ = s.Close()
}

func TestFilePermissions(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gaffer.db")
	s, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fill(t, s, 1)
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), got)
		}
	}

	// Files an older gaffer left 0644 are tightened at open, with a log.
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// (The store is still open: its -wal and -shm exist for the next one.)
	var logs lockedBuffer
	s2, err := Open(t.Context(), path, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	_ = s.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			continue // the last close may have removed -wal and -shm
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s after reopen: mode %v, want 0600", filepath.Base(p), got)
		}
	}
	if got := strings.Count(logs.String(), "tightened database file permissions"); got != 3 {
		t.Errorf("logged %d tightenings, want 3:\n%s", got, logs.String())
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	path := newFilled(t, 10)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Check(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if r.SchemaVersion != len(migrations) || len(r.Problems) != 0 || r.Events != 30 ||
		len(r.Objects) != 1 || r.Objects[0] != (KindCount{"test.execution", 10}) || r.Pages == 0 {
		t.Fatalf("Check = %+v", r)
	}
	// Check wrote nothing: the file is unchanged and its log empty.
	if after, err := os.ReadFile(path); err != nil || string(after) != string(before) {
		t.Errorf("Check changed the file (%v)", err)
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() != 0 {
		t.Errorf("Check wrote %d bytes to the -wal", fi.Size())
	}
	if _, err := Check(t.Context(), path+".missing"); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("Check of a missing file = %v", err)
	}
}

func TestBackup(t *testing.T) {
	t.Parallel()
	s := openTest(t, Options{})
	fill(t, s, 500)
	dest := filepath.Join(t.TempDir(), "backup.db")
	// The store keeps writing while the backup runs.
	stop := make(chan struct{})
	wrote := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				wrote <- nil
				return
			default:
			}
			err := s.Update(t.Context(), func(tx store.Tx) error {
				return tx.PutObject(&store.Object{Kind: "test.other", ID: fmt.Sprint(i)})
			})
			if err != nil {
				wrote <- err
				return
			}
		}
	}()
	err := Backup(t.Context(), s.path, dest)
	close(stop)
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dest)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("backup mode %v, want 0600", got)
	}
	r, err := Check(t.Context(), dest)
	if err != nil {
		t.Fatal(err)
	}
	if r.Objects[0] != (KindCount{"test.execution", 500}) || r.Events != 1500 {
		t.Fatalf("backup holds %+v", r)
	}
	b, err := Open(t.Context(), dest, Options{})
	if err != nil {
		t.Fatalf("Open of the backup: %v", err)
	}
	_ = b.Close()

	if err := Backup(t.Context(), s.path, dest); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("Backup onto an existing file = %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".*tmp*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// lockedBuffer is a strings.Builder that a logger and a test may share.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestCheckFreePages: deleted rows leave free pages, which Check reports
// and which the next writes reuse before the file grows.
func TestCheckFreePages(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gaffer.db")
	s, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fill(t, s, 500)
	full, err := Check(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(t.Context(), func(tx store.Tx) error {
		for j := range 500 {
			id := fmt.Sprintf("ex-%06d", j)
			if err := tx.DeleteObject("test.execution", id); err != nil {
				return err
			}
			if err := tx.DeleteEvents(id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	emptied, err := Check(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if emptied.Pages != full.Pages || emptied.FreePages < full.Pages/2 {
		t.Fatalf("after deleting everything: %d pages, %d free; before: %d pages, %d free", emptied.Pages, emptied.FreePages, full.Pages, full.FreePages)
	}
	fill(t, s, 500)
	refilled, err := Check(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if refilled.Pages > full.Pages+full.Pages/10 {
		t.Errorf("refilled: %d pages, was %d: the free pages were not reused", refilled.Pages, full.Pages)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
