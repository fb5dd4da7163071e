package pipeline_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"

	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// TestManualClockSchedule runs a daily schedule on a node whose manual
// clock the test moves: the second day's instance comes only once the
// clock has passed a day.
func TestManualClockSchedule(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 3, 1, 0, 0, 0, 0, time.UTC)
	clock := server.NewManualClock(start)
	b := &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{ManualClock: clock})).DataPipeline()}
	wg := servertest.Uniq("wg")
	id := b.activated(t,
		obj("Default", str("workerGroup", wg), str("scheduleType", "cron"), ref("schedule", "Daily")),
		obj("Daily", str("type", "Schedule"), str("period", "1 days"), str("startDateTime", "2030-03-01T00:00:00"), str("occurrences", "2")),
		shell("Tick"))
	first := b.poll(t, wg)
	fm := servertest.PipelineFields(first.Objects[aws.ToString(first.AttemptId)].Fields)
	if fm["@scheduledStartTime"] != "2030-03-01T00:00:00" {
		t.Fatalf("first instance %v", fm)
	}
	b.setStatus(t, aws.ToString(first.TaskId), types.TaskStatusFinished, "", "")
	// The clock stands still: no second instance yet.
	out, err := b.Client.PollForTask(b.Ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String(wg), Hostname: aws.String("host-1")})
	servertest.OK(t, "PollForTask", err)
	if out.TaskObject != nil {
		t.Fatalf("a task before the day passed: %s", aws.ToString(out.TaskObject.AttemptId))
	}
	if _, err := clock.Advance(24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	second := b.poll(t, wg)
	fm = servertest.PipelineFields(second.Objects[aws.ToString(second.AttemptId)].Fields)
	if fm["@scheduledStartTime"] != "2030-03-02T00:00:00" {
		t.Fatalf("second instance %v", fm)
	}
	b.setStatus(t, aws.ToString(second.TaskId), types.TaskStatusFinished, "", "")
	b.wantState(t, id, "FINISHED")
}
