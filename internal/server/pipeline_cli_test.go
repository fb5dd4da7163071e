package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// dpcJSON runs an aws datapipeline command that must succeed and decodes
// its stdout as one JSON object.
func dpcJSON(t *testing.T, url string, args ...string) map[string]json.RawMessage {
	t.Helper()
	code, stdout, stderr := runAWS(t, url, append([]string{"datapipeline"}, args...)...)
	if code != 0 {
		t.Fatalf("aws datapipeline %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("aws datapipeline %s printed no JSON object: %v\n%s", args[0], err, stdout)
	}
	return got
}

// dpcBool returns the only key of got, which must be key with a boolean.
func dpcBool(t *testing.T, what string, got map[string]json.RawMessage, key string) bool {
	t.Helper()
	var b bool
	if raw, ok := got[key]; !ok || len(got) != 1 || json.Unmarshal(raw, &b) != nil {
		t.Fatalf("%s printed %v, want exactly {%q: <bool>}", what, dpcShow(got), key)
	}
	return b
}

func dpcShow(m map[string]json.RawMessage) string {
	b, _ := json.Marshal(m)
	return string(b)
}

func dpcStr(key, value string) types.Field {
	return types.Field{Key: aws.String(key), StringValue: aws.String(value)}
}

// dpcActivate defines and activates an on-demand pipeline of one
// ShellCommandActivity on workerGroup with the Go SDK.
func dpcActivate(t *testing.T, ctx context.Context, c *datapipeline.Client, workerGroup string) string {
	t.Helper()
	created, err := c.CreatePipeline(ctx, &datapipeline.CreatePipelineInput{Name: aws.String("cli-" + workerGroup), UniqueId: aws.String("cli-" + workerGroup)})
	if err != nil {
		t.Fatalf("CreatePipeline: %v", err)
	}
	id := aws.ToString(created.PipelineId)
	put, err := c.PutPipelineDefinition(ctx, &datapipeline.PutPipelineDefinitionInput{PipelineId: aws.String(id), PipelineObjects: []types.PipelineObject{
		{Id: aws.String("Default"), Name: aws.String("Default"), Fields: []types.Field{dpcStr("scheduleType", "ondemand"), dpcStr("workerGroup", workerGroup)}},
		{Id: aws.String("Hello"), Name: aws.String("Hello"), Fields: []types.Field{
			dpcStr("type", "ShellCommandActivity"), dpcStr("command", "echo hello"),
			{Key: aws.String("parent"), RefValue: aws.String("Default")},
		}},
	}})
	if err != nil {
		t.Fatalf("PutPipelineDefinition: %v", err)
	}
	if put.Errored {
		t.Fatalf("PutPipelineDefinition errored: %+v", put.ValidationErrors)
	}
	if _, err := c.ActivatePipeline(ctx, &datapipeline.ActivatePipelineInput{PipelineId: aws.String(id)}); err != nil {
		t.Fatalf("ActivatePipeline: %v", err)
	}
	return id
}

// dpcInstanceStatus returns the @status of each INSTANCE of pipeline id.
func dpcInstanceStatus(t *testing.T, ctx context.Context, c *datapipeline.Client, id string) map[string]string {
	t.Helper()
	q, err := c.QueryObjects(ctx, &datapipeline.QueryObjectsInput{PipelineId: aws.String(id), Sphere: aws.String("INSTANCE")})
	if err != nil {
		t.Fatalf("QueryObjects: %v", err)
	}
	out := map[string]string{}
	if len(q.Ids) == 0 {
		return out
	}
	d, err := c.DescribeObjects(ctx, &datapipeline.DescribeObjectsInput{PipelineId: aws.String(id), ObjectIds: q.Ids})
	if err != nil {
		t.Fatalf("DescribeObjects: %v", err)
	}
	for _, o := range d.PipelineObjects {
		for _, f := range o.Fields {
			if aws.ToString(f.Key) == "@status" {
				out[aws.ToString(o.Id)] = aws.ToString(f.StringValue)
			}
		}
	}
	return out
}

// TestPipelineCLIHeartbeat runs the seed's command, `aws datapipeline
// report-task-runner-heartbeat`, with the real AWS CLI v2.
func TestPipelineCLIHeartbeat(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	got := dpcJSON(t, srv.URL(), "report-task-runner-heartbeat", "--taskrunner-id", "r1", "--worker-group", "wg", "--hostname", "h1")
	if dpcBool(t, "report-task-runner-heartbeat", got, "terminate") {
		t.Errorf("report-task-runner-heartbeat printed %s, want terminate false", dpcShow(got))
	}
	// Again, for a known runner.
	got = dpcJSON(t, srv.URL(), "report-task-runner-heartbeat", "--taskrunner-id", "r1")
	if dpcBool(t, "report-task-runner-heartbeat again", got, "terminate") {
		t.Errorf("second report-task-runner-heartbeat printed %s, want terminate false", dpcShow(got))
	}
}

// TestPipelineCLITask works a task of a pipeline activated with the Go SDK
// through poll-for-task, report-task-progress and set-task-status with the
// real AWS CLI v2.
func TestPipelineCLITask(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	url := srv.URL()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	c := servertest.DataPipeline(url)
	const wg = "wg"
	id := dpcActivate(t, ctx, c, wg)

	var task struct {
		TaskID     string `json:"taskId"`
		PipelineID string `json:"pipelineId"`
		AttemptID  string `json:"attemptId"`
		Objects    map[string]struct {
			Fields []struct {
				Key         string `json:"key"`
				StringValue string `json:"stringValue"`
			} `json:"fields"`
		} `json:"objects"`
	}
	// Each poll is a long poll (2s at most here); the task is there at once
	// after activation, a few polls allow for a slow machine.
	for n := 0; task.TaskID == ""; n++ {
		if n == 5 || ctx.Err() != nil {
			t.Fatalf("poll-for-task --worker-group %s: no task after %d polls", wg, n)
		}
		got := dpcJSON(t, url, "poll-for-task", "--worker-group", wg, "--hostname", "cli-host")
		if raw, ok := got["taskObject"]; ok {
			if err := json.Unmarshal(raw, &task); err != nil {
				t.Fatalf("poll-for-task taskObject: %v\n%s", err, raw)
			}
		}
	}
	if task.PipelineID != id || !strings.HasPrefix(task.AttemptID, "@Hello_") {
		t.Fatalf("poll-for-task: pipeline %s attempt %s, want %s and an attempt of Hello", task.PipelineID, task.AttemptID, id)
	}
	command := ""
	for _, f := range task.Objects[task.AttemptID].Fields {
		if f.Key == "command" {
			command = f.StringValue
		}
	}
	if command != "echo hello" {
		t.Errorf("poll-for-task: the attempt's command is %q, want \"echo hello\"", command)
	}

	for i := range 2 {
		got := dpcJSON(t, url, "report-task-progress", "--task-id", task.TaskID)
		if dpcBool(t, "report-task-progress", got, "canceled") {
			t.Fatalf("report-task-progress %d printed %s, want canceled false", i+1, dpcShow(got))
		}
	}

	if code, _, stderr := runAWS(t, url, "datapipeline", "set-task-status", "--task-id", task.TaskID, "--task-status", "FINISHED"); code != 0 {
		t.Fatalf("set-task-status FINISHED: exit %d\n%s", code, stderr)
	}
	var st map[string]string
	deadline, _ := ctx.Deadline()
	if !servertest.Await(srv, time.Until(deadline), func() bool {
		st = dpcInstanceStatus(t, ctx, c, id)
		return len(st) == 1 && st[firstKey(st)] == "FINISHED"
	}) {
		t.Fatalf("instance status after set-task-status FINISHED: %v, want one FINISHED instance", st)
	}

	// The finished task's id is stale now.
	code, _, stderr := runAWS(t, url, "datapipeline", "set-task-status", "--task-id", task.TaskID, "--task-status", "FINISHED")
	if code == 0 || !strings.Contains(stderr, "TaskNotFoundException") {
		t.Errorf("set-task-status of a finished task: exit %d, stderr %q; want non-zero and TaskNotFoundException", code, stderr)
	}
	code, _, stderr = runAWS(t, url, "datapipeline", "report-task-progress", "--task-id", task.TaskID)
	if code == 0 || !strings.Contains(stderr, "TaskNotFoundException") {
		t.Errorf("report-task-progress of a finished task: exit %d, stderr %q; want non-zero and TaskNotFoundException", code, stderr)
	}
}

func firstKey(m map[string]string) string {
	for k := range m {
		return k
	}
	return ""
}
