package server_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// awsCLI is the AWS CLI v2 from Debian's awscli package; .ci/run installs
// it. The seed's own command must work with it, so its absence is a
// failure, not a skip.
const awsCLI = "/usr/bin/aws"

// runAWS runs the AWS CLI against endpoint with test credentials and an empty
// home (no user configuration) and returns its exit code, stdout and stderr.
func runAWS(t *testing.T, endpoint string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runAWSAs(t, endpoint, "test", "test", args...)
}

// runAWSAs is runAWS signing with the access key id and secret given.
func runAWSAs(t *testing.T, endpoint, keyID, secret string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if _, err := os.Stat(awsCLI); err != nil {
		t.Fatalf("the AWS CLI is required at %s (Debian: apt-get install awscli): %v", awsCLI, err)
	}
	cmd := exec.Command(awsCLI, append(args, "--endpoint-url", endpoint, "--output", "json")...)
	cmd.Env = []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + t.TempDir(),
		"AWS_ACCESS_KEY_ID=" + keyID,
		"AWS_SECRET_ACCESS_KEY=" + secret,
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("run %s %s: %v", awsCLI, strings.Join(args, " "), err)
		}
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

// TestAWSCLI runs the seed's command, `aws stepfunctions
// send-task-heartbeat`, and its neighbours with the real AWS CLI.
func TestAWSCLI(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	url := srv.URL()
	c := newClient(url, servertest.Commits(srv))
	act := c.activity(t, "cli-worker")
	exec := c.start(t, c.machine(t, "cli", taskDef, act), "cli-1")
	tok, _ := c.mustPoll(t, act)

	if code, _, stderr := runAWS(t, url, "stepfunctions", "send-task-heartbeat", "--task-token", tok); code != 0 {
		t.Fatalf("send-task-heartbeat: exit %d\n%s", code, stderr)
	}

	code, _, stderr := runAWS(t, url, "stepfunctions", "send-task-heartbeat", "--task-token", "not-a-token-at-all")
	if code == 0 || !strings.Contains(stderr, "InvalidToken") {
		t.Errorf("send-task-heartbeat with a garbage token: exit %d, stderr %q; want non-zero and InvalidToken", code, stderr)
	}

	if code, _, stderr := runAWS(t, url, "stepfunctions", "send-task-success", "--task-token", tok, "--task-output", `{"ok":true}`); code != 0 {
		t.Fatalf("send-task-success: exit %d\n%s", code, stderr)
	}
	out := c.waitStatus(t, exec, types.ExecutionStatusSucceeded, 15*time.Second)
	if got := *out.Output; !sameJSON(got, `{"ok":true}`) {
		t.Errorf("execution output %s, want {\"ok\":true}", got)
	}

	code, _, stderr = runAWS(t, url, "stepfunctions", "send-task-heartbeat", "--task-token", tok)
	if code == 0 || !strings.Contains(stderr, "TaskTimedOut") {
		t.Errorf("send-task-heartbeat after completion: exit %d, stderr %q; want non-zero and TaskTimedOut", code, stderr)
	}

	code, stdout, stderr := runAWS(t, url, "stepfunctions", "list-activities")
	if code != 0 {
		t.Fatalf("list-activities: exit %d\n%s", code, stderr)
	}
	var list struct {
		Activities []struct {
			ActivityArn  string `json:"activityArn"`
			Name         string `json:"name"`
			CreationDate any    `json:"creationDate"`
		} `json:"activities"`
	}
	if err := json.Unmarshal([]byte(stdout), &list); err != nil {
		t.Fatalf("list-activities output is not JSON: %v\n%s", err, stdout)
	}
	found := false
	for _, a := range list.Activities {
		if a.ActivityArn == act && a.Name == "cli-worker" {
			found = true
		}
	}
	if !found {
		t.Errorf("list-activities does not list %s:\n%s", act, stdout)
	}
}
