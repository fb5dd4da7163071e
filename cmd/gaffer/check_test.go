package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/store/sqlite"
)

// damagedDataDir returns a data directory whose gaffer.db holds 3000
// objects and then got 80 KiB of random bytes written into its middle, as
// in the hardening issue's reproduction.
func damagedDataDir(t *testing.T) (dir, db string) {
	t.Helper()
	dir = t.TempDir()
	db = filepath.Join(dir, "gaffer.db")
	s, err := sqlite.Open(t.Context(), db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(strings.Repeat("x", 200))
	for i := 0; i < 3000; i += 100 {
		err := s.Update(t.Context(), func(tx store.Tx) error {
			for j := i; j < i+100; j++ {
				id := fmt.Sprint("ex-", j)
				if err := tx.PutObject(&store.Object{Kind: "sfn.execution", ID: id, Body: body}); err != nil {
					return err
				}
				if err := tx.AppendEvents(id, []store.Event{{ID: 1, Body: body}, {ID: 2, Body: body}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	junk := make([]byte, 80<<10)
	_, _ = rand.NewChaCha8([32]byte{5}).Read(junk)
	f, err := os.OpenFile(db, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(junk, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	return dir, db
}

func TestCheckCommand(t *testing.T) {
	t.Parallel()
	t.Run("damaged", func(t *testing.T) {
		t.Parallel()
		dir, db := damagedDataDir(t)
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), []string{"check", "-data", dir}, &stdout, &stderr); code != 1 {
			t.Fatalf("gaffer check of a damaged file exited %d", code)
		}
		if out := stdout.String(); !strings.Contains(out, "DAMAGED") || !strings.Contains(out, db) {
			t.Errorf("gaffer check printed:\n%s", out)
		}
		if e := stderr.String(); !strings.Contains(e, db) || !strings.Contains(e, "integrity_check") {
			t.Errorf("gaffer check: stderr %q does not name the file and the check", e)
		}
	})
	t.Run("after kill -9", func(t *testing.T) {
		t.Parallel()
		// The log the killed server left is read, and kept for the
		// next server: check writes nothing.
		p := servertest.StartProcess(t, "")
		if _, err := servertest.SFN(p.URL).CreateActivity(t.Context(), &sfn.CreateActivityInput{Name: aws.String("a")}); err != nil {
			t.Fatal(err)
		}
		p.Kill(t)
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), []string{"check", "-data", p.DataDir}, &stdout, &stderr); code != 0 {
			t.Fatalf("gaffer check exited %d: %s\n%s", code, stderr.String(), stdout.String())
		}
		if out := stdout.String(); !strings.Contains(out, "sfn.activity 1") {
			t.Fatalf("gaffer check does not see the activity:\n%s", out)
		}
		p = servertest.StartProcess(t, p.DataDir)
		list, err := servertest.SFN(p.URL).ListActivities(t.Context(), &sfn.ListActivitiesInput{})
		if err != nil || len(list.Activities) != 1 {
			t.Fatalf("after check, the restarted server lists %v (%v)", list, err)
		}
	})
	t.Run("not gaffer", func(t *testing.T) {
		t.Parallel()
		p := filepath.Join(t.TempDir(), "notes.txt")
		if err := os.WriteFile(p, []byte("some notes\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), []string{"check", p}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), p) {
			t.Fatalf("gaffer check of a text file: exit %d, stderr %q", code, stderr.String())
		}
	})
	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), []string{"check", "-data", dir}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "no such file") {
			t.Fatalf("gaffer check of a missing file: exit %d, stderr %q", code, stderr.String())
		}
		if _, err := os.Stat(filepath.Join(dir, "gaffer.db")); err == nil {
			t.Error("gaffer check created the file")
		}
	})
}
