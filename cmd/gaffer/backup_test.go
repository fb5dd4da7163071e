package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// A backup taken while a server serves and writes is a database that
// 'gaffer check' accepts and that a server started on it serves: every
// execution acknowledged before the backup began, with what the original
// says of it.
func TestBackupWhileServing(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	srv := servertest.Start(t, servertest.Options{DataDir: data})
	c := servertest.SFN(srv.URL())
	ctx := t.Context()
	act, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("work")})
	if err != nil {
		t.Fatal(err)
	}
	def := fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"End":true}}}`, aws.ToString(act.ActivityArn))
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("m"), Definition: aws.String(def), RoleArn: aws.String("arn:aws:iam::000000000000:role/test"),
	})
	if err != nil {
		t.Fatal(err)
	}

	// Writers start executions until told to stop.
	var (
		mu    sync.Mutex
		acked []string
	)
	stop := make(chan struct{})
	started := make(chan struct{}, 1)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("w%d-%d", w, i)
				_, err := c.StartExecution(context.Background(), &sfn.StartExecutionInput{
					StateMachineArn: sm.StateMachineArn, Name: aws.String(name), Input: aws.String(fmt.Sprintf(`{"n":%q}`, name)),
				})
				if err != nil {
					t.Errorf("StartExecution %s: %v", name, err)
					return
				}
				mu.Lock()
				acked = append(acked, name)
				if len(acked) == 50 {
					started <- struct{}{}
				}
				mu.Unlock()
			}
		}()
	}
	<-started
	// gaffer check reads the live file too, without disturbing the server.
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"check", "-data", data}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "ok (PRAGMA integrity_check)") {
		t.Fatalf("gaffer check of the served file exited %d: %s\n%s", code, errOut.String(), out.String())
	}
	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()
	dest := filepath.Join(t.TempDir(), "backup.db")
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"backup", "-data", data, dest}, &stdout, &stderr)
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()
	close(stop)
	wg.Wait()
	if code != 0 {
		t.Fatalf("gaffer backup exited %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "backed up") {
		t.Errorf("gaffer backup printed %q", stdout.String())
	}
	t.Logf("%d executions before the backup, %d acknowledged while it ran", len(before), during)

	stdout.Reset()
	if code := run(ctx, []string{"check", dest}, &stdout, &stderr); code != 0 {
		t.Fatalf("gaffer check of the backup exited %d: %s\n%s", code, stderr.String(), stdout.String())
	}
	if out := stdout.String(); !strings.Contains(out, "ok (PRAGMA integrity_check)") || !strings.Contains(out, "sfn.execution") {
		t.Fatalf("gaffer check printed:\n%s", out)
	}

	// Restore: the backup becomes gaffer.db of a new data directory.
	dir := t.TempDir()
	b, err := os.ReadFile(dest)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "gaffer.db"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	restored := servertest.SFN(servertest.Start(t, servertest.Options{DataDir: dir}).URL())
	got := map[string]bool{}
	for p := sfn.NewListExecutionsPaginator(restored, &sfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Executions {
			got[aws.ToString(e.Name)] = true
			want, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: e.ExecutionArn})
			if err != nil {
				t.Fatalf("the original does not know %s: %v", aws.ToString(e.Name), err)
			}
			have, err := restored.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: e.ExecutionArn})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(have.Input) != aws.ToString(want.Input) || have.Status != want.Status {
				t.Errorf("%s: restored %s %s, original %s %s", aws.ToString(e.Name),
					have.Status, aws.ToString(have.Input), want.Status, aws.ToString(want.Input))
			}
		}
	}
	for _, name := range before {
		if !got[name] {
			t.Errorf("execution %s, acknowledged before the backup, is not in it", name)
		}
	}
}
