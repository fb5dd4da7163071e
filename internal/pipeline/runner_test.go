package pipeline_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"

	"github.com/gaffer-dev/gaffer/internal/pipeline"
	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// setupRunner starts a server with a short acknowledgement window.
func setupRunner(t *testing.T, ack time.Duration) *bundle {
	t.Helper()
	srv, err := server.New(server.Config{
		Listen:             "127.0.0.1:0",
		DataDir:            t.TempDir(),
		MaxPollWait:        2 * time.Second,
		FlushInterval:      100 * time.Millisecond,
		PipelineAckTimeout: ack,
	})
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &bundle{servertest.InProcess(srv).DataPipeline()}
}

// activated creates, defines and activates an on-demand pipeline.
func (b *bundle) activated(t *testing.T, objs ...types.PipelineObject) string {
	t.Helper()
	id := b.Create(t, servertest.Uniq("run"))
	b.Put(t, id, objs)
	_, err := b.Client.ActivatePipeline(b.Ctx, &datapipeline.ActivatePipelineInput{PipelineId: aws.String(id)})
	servertest.OK(t, "ActivatePipeline", err)
	return id
}

// poll polls workerGroup until it gets a task (at most a few long polls).
func (b *bundle) poll(t *testing.T, wg string) *types.TaskObject {
	t.Helper()
	for range 10 {
		out, err := b.Client.PollForTask(b.Ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String(wg), Hostname: aws.String("host-1")})
		servertest.OK(t, "PollForTask", err)
		if out.TaskObject != nil {
			return out.TaskObject
		}
	}
	t.Fatalf("no task for worker group %s", wg)
	return nil
}

func (b *bundle) progress(t *testing.T, taskID string) bool {
	t.Helper()
	out, err := b.Client.ReportTaskProgress(b.Ctx, &datapipeline.ReportTaskProgressInput{TaskId: aws.String(taskID)})
	servertest.OK(t, "ReportTaskProgress", err)
	return out.Canceled
}

func (b *bundle) setStatus(t *testing.T, taskID string, st types.TaskStatus, errID, msg string) {
	t.Helper()
	in := &datapipeline.SetTaskStatusInput{TaskId: aws.String(taskID), TaskStatus: st}
	if errID != "" {
		in.ErrorId, in.ErrorMessage, in.ErrorStackTrace = aws.String(errID), aws.String(msg), aws.String("at line 1")
	}
	_, err := b.Client.SetTaskStatus(b.Ctx, in)
	servertest.OK(t, "SetTaskStatus", err)
}

// objects returns the objects of a sphere as id → fields.
func (b *bundle) objects(t *testing.T, id, s string) map[string]map[string]string {
	t.Helper()
	q, err := b.Client.QueryObjects(b.Ctx, &datapipeline.QueryObjectsInput{PipelineId: aws.String(id), Sphere: aws.String(s)})
	servertest.OK(t, "QueryObjects", err)
	out := map[string]map[string]string{}
	if len(q.Ids) == 0 {
		return out
	}
	d, err := b.Client.DescribeObjects(b.Ctx, &datapipeline.DescribeObjectsInput{PipelineId: aws.String(id), ObjectIds: q.Ids})
	servertest.OK(t, "DescribeObjects", err)
	for _, o := range d.PipelineObjects {
		out[aws.ToString(o.Id)] = servertest.PipelineFields(o.Fields)
	}
	return out
}

// wantState fails unless the pipeline's @pipelineState is want.
func (b *bundle) wantState(t *testing.T, id, want string) {
	t.Helper()
	if st := b.pipelineState(t, id); st != want {
		t.Fatalf("@pipelineState = %s, want %s", st, want)
	}
}

func (b *bundle) pipelineState(t *testing.T, id string) string {
	t.Helper()
	out, err := b.Client.DescribePipelines(b.Ctx, &datapipeline.DescribePipelinesInput{PipelineIds: []string{id}})
	servertest.OK(t, "DescribePipelines", err)
	return servertest.PipelineFields(out.PipelineDescriptionList[0].Fields)["@pipelineState"]
}

func shell(id string, fields ...types.Field) types.PipelineObject {
	return obj(id, append([]types.Field{str("type", "ShellCommandActivity"), str("command", "echo "+id)}, fields...)...)
}

func onDemand(wg string) types.PipelineObject {
	return obj("Default", str("scheduleType", "ondemand"), str("workerGroup", wg), str("retryDelay", "1 seconds"))
}

func TestRunnerHappyPath(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wg := servertest.Uniq("wg")
	id := b.activated(t, onDemand(wg), shell("Hello", ref("parent", "Default")))
	if st := b.pipelineState(t, id); st != "SCHEDULED" {
		t.Fatalf("@pipelineState = %s, want SCHEDULED", st)
	}
	// Exact, case-sensitive worker groups: another case gets nothing.
	out, err := b.Client.PollForTask(b.Ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String(strings.ToUpper(wg))})
	servertest.OK(t, "PollForTask other case", err)
	if out.TaskObject != nil {
		t.Fatalf("a poll on %s got %s's task", strings.ToUpper(wg), wg)
	}
	task := b.poll(t, wg)
	if aws.ToString(task.PipelineId) != id || !strings.HasPrefix(aws.ToString(task.AttemptId), "@Hello_") || !strings.HasSuffix(aws.ToString(task.AttemptId), "_Attempt=1") {
		t.Fatalf("task = %+v", task)
	}
	att, okk := task.Objects[aws.ToString(task.AttemptId)]
	if !okk {
		t.Fatalf("objects %v lack the attempt", task.Objects)
	}
	fm := servertest.PipelineFields(att.Fields)
	if fm["command"] != "echo Hello" || fm["workerGroup"] != wg || fm["@status"] != "RUNNING" || !strings.HasPrefix(fm["@instanceParent"], "ref:@Hello_") {
		t.Fatalf("attempt fields = %v", fm)
	}
	if b.progress(t, aws.ToString(task.TaskId)) {
		t.Fatal("canceled on first report")
	}
	b.progress(t, aws.ToString(task.TaskId))
	b.setStatus(t, aws.ToString(task.TaskId), types.TaskStatusFinished, "", "")

	insts := b.objects(t, id, "INSTANCE")
	if len(insts) != 1 {
		t.Fatalf("instances = %v", insts)
	}
	for iid, f := range insts {
		if f["@status"] != "FINISHED" || f["@attemptCount"] != "1" || f["@componentParent"] != "ref:Hello" || f["@actualEndTime"] == "" || !strings.HasPrefix(iid, "@Hello_") {
			t.Fatalf("instance %s = %v", iid, f)
		}
	}
	atts := b.objects(t, id, "ATTEMPT")
	if f := atts[aws.ToString(task.AttemptId)]; f["@status"] != "FINISHED" || f["hostname"] != "host-1" {
		t.Fatalf("attempts = %v", atts)
	}
	b.wantState(t, id, "FINISHED")
	// The finished task's id is stale now.
	_, err = b.Client.ReportTaskProgress(b.Ctx, &datapipeline.ReportTaskProgressInput{TaskId: task.TaskId})
	servertest.WantClientError(t, "ReportTaskProgress of a finished task", err, "TaskNotFoundException")
	_, err = b.Client.SetTaskStatus(b.Ctx, &datapipeline.SetTaskStatusInput{TaskId: task.TaskId, TaskStatus: types.TaskStatusFinished})
	servertest.WantClientError(t, "SetTaskStatus of a finished task", err, "TaskNotFoundException")
	_, err = b.Client.SetTaskStatus(b.Ctx, &datapipeline.SetTaskStatusInput{TaskId: aws.String("bogus"), TaskStatus: types.TaskStatusFinished})
	servertest.WantClientError(t, "SetTaskStatus of a bogus task", err, "TaskNotFoundException")
}

func TestRunnerRetriesThenFails(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wg := servertest.Uniq("wg")
	id := b.activated(t, onDemand(wg), shell("Flaky", str("maximumRetries", "1")))
	var last string
	for n := 1; n <= 2; n++ {
		task := b.poll(t, wg)
		if !strings.HasSuffix(aws.ToString(task.AttemptId), "_Attempt="+string(rune('0'+n))) {
			t.Fatalf("attempt %d id = %s", n, aws.ToString(task.AttemptId))
		}
		b.progress(t, aws.ToString(task.TaskId))
		last = "boom" + string(rune('0'+n))
		b.setStatus(t, aws.ToString(task.TaskId), types.TaskStatusFailed, "E"+last, "failed "+last)
	}
	insts := b.objects(t, id, "INSTANCE")
	for iid, f := range insts {
		if f["@status"] != "FAILED" || f["@attemptCount"] != "2" || f["errorId"] != "E"+last || f["errorMessage"] != "failed "+last {
			t.Fatalf("instance %s = %v", iid, f)
		}
	}
	atts := b.objects(t, id, "ATTEMPT")
	if len(atts) != 2 {
		t.Fatalf("attempts = %v", atts)
	}
	for aid, f := range atts {
		if f["@status"] != "FAILED" || f["errorStackTrace"] != "at line 1" {
			t.Fatalf("attempt %s = %v", aid, f)
		}
	}
	b.wantState(t, id, "FINISHED")
	// No third attempt.
	out, err := b.Client.PollForTask(b.Ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String(wg)})
	servertest.OK(t, "PollForTask", err)
	if out.TaskObject != nil {
		t.Fatalf("a third attempt was handed out: %s", aws.ToString(out.TaskObject.AttemptId))
	}
}

func TestRunnerDependsOnAndCascade(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wg := servertest.Uniq("wg")
	id := b.activated(t, onDemand(wg),
		shell("First", str("maximumRetries", "0")),
		shell("Second", ref("dependsOn", "First")),
		shell("Third", ref("dependsOn", "Second"), str("failureAndRerunMode", "cascade")),
		shell("Other", ref("dependsOn", "First"), str("failureAndRerunMode", "cascade")))
	task := b.poll(t, wg)
	if !strings.HasPrefix(aws.ToString(task.AttemptId), "@First_") {
		t.Fatalf("first task is %s", aws.ToString(task.AttemptId))
	}
	out, err := b.Client.PollForTask(b.Ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String(wg)})
	servertest.OK(t, "PollForTask", err)
	if out.TaskObject != nil {
		t.Fatalf("%s was handed out before First finished", aws.ToString(out.TaskObject.AttemptId))
	}
	b.progress(t, aws.ToString(task.TaskId))
	b.setStatus(t, aws.ToString(task.TaskId), types.TaskStatusFinished, "", "")

	got := map[string]string{}
	for range 2 {
		task := b.poll(t, wg)
		got[strings.SplitN(strings.TrimPrefix(aws.ToString(task.AttemptId), "@"), "_", 2)[0]] = aws.ToString(task.TaskId)
	}
	if got["Second"] == "" || got["Other"] == "" {
		t.Fatalf("after First: %v", got)
	}
	b.progress(t, got["Other"])
	b.setStatus(t, got["Other"], types.TaskStatusFinished, "", "")
	b.progress(t, got["Second"])
	// Second has maximumRetries 2 by default: fail it three times.
	b.setStatus(t, got["Second"], types.TaskStatusFailed, "E", "no")
	for range 2 {
		task := b.poll(t, wg)
		b.progress(t, aws.ToString(task.TaskId))
		b.setStatus(t, aws.ToString(task.TaskId), types.TaskStatusFailed, "E", "no")
	}
	want := map[string]string{"First": "FINISHED", "Other": "FINISHED", "Second": "FAILED", "Third": "CASCADE_FAILED"}
	for iid, f := range b.objects(t, id, "INSTANCE") {
		comp := strings.TrimPrefix(f["@componentParent"], "ref:")
		if f["@status"] != want[comp] {
			t.Errorf("instance %s: @status %s, want %s", iid, f["@status"], want[comp])
		}
	}
	b.wantState(t, id, "FINISHED")
}

func TestRunnerDeactivateCancels(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wg := servertest.Uniq("wg")
	id := b.activated(t, onDemand(wg), shell("Long"))
	task := b.poll(t, wg)
	if b.progress(t, aws.ToString(task.TaskId)) {
		t.Fatal("canceled before deactivation")
	}
	_, err := b.Client.DeactivatePipeline(b.Ctx, &datapipeline.DeactivatePipelineInput{PipelineId: aws.String(id), CancelActive: aws.Bool(true)})
	servertest.OK(t, "DeactivatePipeline", err)
	if !b.progress(t, aws.ToString(task.TaskId)) {
		t.Fatal("ReportTaskProgress after DeactivatePipeline: canceled = false")
	}
	if st := b.pipelineState(t, id); st != "INACTIVE" {
		t.Fatalf("@pipelineState = %s, want INACTIVE", st)
	}
	for iid, f := range b.objects(t, id, "INSTANCE") {
		if f["@status"] != "CANCELED" {
			t.Fatalf("instance %s = %v", iid, f)
		}
	}
	for aid, f := range b.objects(t, id, "ATTEMPT") {
		if f["@status"] != "CANCELED" {
			t.Fatalf("attempt %s = %v", aid, f)
		}
	}
	// The runner may still report its status; nothing is retried.
	b.setStatus(t, aws.ToString(task.TaskId), types.TaskStatusFailed, "Killed", "stopped")
	out, err := b.Client.PollForTask(b.Ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String(wg)})
	servertest.OK(t, "PollForTask", err)
	if out.TaskObject != nil {
		t.Fatalf("a canceled instance was retried: %s", aws.ToString(out.TaskObject.AttemptId))
	}
}

func TestRunnerAckWindow(t *testing.T) {
	t.Parallel()
	b := setupRunner(t, time.Second)
	wg := servertest.Uniq("wg")
	id := b.activated(t, onDemand(wg), shell("Silent"))
	first := b.poll(t, wg)
	// Never acknowledged: after the window and retryDelay, a new attempt.
	second := b.poll(t, wg)
	if aws.ToString(second.TaskId) == aws.ToString(first.TaskId) || !strings.HasSuffix(aws.ToString(second.AttemptId), "_Attempt=2") {
		t.Fatalf("second task = %s (%s)", aws.ToString(second.AttemptId), aws.ToString(second.TaskId))
	}
	_, err := b.Client.ReportTaskProgress(b.Ctx, &datapipeline.ReportTaskProgressInput{TaskId: first.TaskId})
	servertest.WantClientError(t, "ReportTaskProgress of the timed-out attempt", err, "TaskNotFoundException")
	atts := b.objects(t, id, "ATTEMPT")
	if f := atts[aws.ToString(first.AttemptId)]; f["@status"] != "TIMEDOUT" {
		t.Fatalf("first attempt = %v", f)
	}
	// Acknowledged within the window, it stays.
	b.progress(t, aws.ToString(second.TaskId))
	b.setStatus(t, aws.ToString(second.TaskId), types.TaskStatusFinished, "", "")
	b.wantState(t, id, "FINISHED")
}

func TestRunnerHeartbeat(t *testing.T) {
	t.Parallel()
	b := setup(t)
	out, err := b.Client.ReportTaskRunnerHeartbeat(b.Ctx, &datapipeline.ReportTaskRunnerHeartbeatInput{
		TaskrunnerId: aws.String(servertest.Uniq("runner")), WorkerGroup: aws.String("wg"), Hostname: aws.String("h")})
	servertest.OK(t, "ReportTaskRunnerHeartbeat", err)
	if out.Terminate {
		t.Fatal("terminate = true")
	}
	_, err = b.Client.PollForTask(b.Ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String("")})
	servertest.WantClientError(t, "PollForTask without workerGroup", err, "InvalidRequestException")
}

func TestRunnerSetStatus(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wg := servertest.Uniq("wg")
	id := b.activated(t, onDemand(wg), shell("A", str("maximumRetries", "0")), shell("B", ref("dependsOn", "A")))
	var instA, instB string
	for iid, f := range b.objects(t, id, "INSTANCE") {
		switch f["@componentParent"] {
		case "ref:A":
			instA = iid
		case "ref:B":
			instB = iid
			if f["@status"] != "WAITING_ON_DEPENDENCIES" {
				t.Fatalf("B = %v", f)
			}
		}
	}
	// Pause B while it waits; A fails; RERUN A; A finishes; B stays paused
	// until resumed.
	_, err := b.Client.SetStatus(b.Ctx, &datapipeline.SetStatusInput{PipelineId: aws.String(id), ObjectIds: []string{"B"}, Status: aws.String("pause")})
	servertest.OK(t, "SetStatus pause", err)
	task := b.poll(t, wg)
	b.setStatus(t, aws.ToString(task.TaskId), types.TaskStatusFailed, "E", "no")
	if f := b.objects(t, id, "INSTANCE")[instA]; f["@status"] != "FAILED" {
		t.Fatalf("A = %v", f)
	}
	_, err = b.Client.SetStatus(b.Ctx, &datapipeline.SetStatusInput{PipelineId: aws.String(id), ObjectIds: []string{instA}, Status: aws.String("RERUN")})
	servertest.OK(t, "SetStatus RERUN", err)
	task = b.poll(t, wg)
	if !strings.HasSuffix(aws.ToString(task.AttemptId), "_Attempt=2") {
		t.Fatalf("rerun attempt = %s", aws.ToString(task.AttemptId))
	}
	b.setStatus(t, aws.ToString(task.TaskId), types.TaskStatusFinished, "", "")
	if f := b.objects(t, id, "INSTANCE")[instB]; f["@status"] != "PAUSED" {
		t.Fatalf("B = %v", f)
	}
	_, err = b.Client.SetStatus(b.Ctx, &datapipeline.SetStatusInput{PipelineId: aws.String(id), ObjectIds: []string{"B"}, Status: aws.String("RESUME")})
	servertest.OK(t, "SetStatus RESUME", err)
	task = b.poll(t, wg)
	if !strings.HasPrefix(aws.ToString(task.AttemptId), instB) {
		t.Fatalf("after resume: %s", aws.ToString(task.AttemptId))
	}
	// TRY_CANCEL of the running B: its runner learns it.
	_, err = b.Client.SetStatus(b.Ctx, &datapipeline.SetStatusInput{PipelineId: aws.String(id), ObjectIds: []string{instB}, Status: aws.String("TRY_CANCEL")})
	servertest.OK(t, "SetStatus TRY_CANCEL", err)
	if !b.progress(t, aws.ToString(task.TaskId)) {
		t.Fatal("canceled = false after TRY_CANCEL")
	}
	b.wantState(t, id, "FINISHED")
	_, err = b.Client.SetStatus(b.Ctx, &datapipeline.SetStatusInput{PipelineId: aws.String(id), ObjectIds: []string{instB}, Status: aws.String("RERUN")})
	servertest.WantClientError(t, "SetStatus on a finished pipeline", err, "InvalidRequestException")
	_, err = b.Client.SetStatus(b.Ctx, &datapipeline.SetStatusInput{PipelineId: aws.String(id), ObjectIds: []string{"B"}, Status: aws.String("NOPE")})
	servertest.WantClientError(t, "SetStatus NOPE", err, "InvalidRequestException")
}

func TestRunnerEvaluateAndDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wg := servertest.Uniq("wg")
	id := b.activated(t, onDemand(wg), shell("Echo", str("myDir", "/tmp/#{@scheduledStartTime}")))
	task := b.poll(t, wg)
	inst := strings.TrimSuffix(aws.ToString(task.AttemptId), "_Attempt=1")
	out, err := b.Client.EvaluateExpression(b.Ctx, &datapipeline.EvaluateExpressionInput{PipelineId: aws.String(id), ObjectId: aws.String(inst), Expression: aws.String("#{command} in #{workerGroup}")})
	servertest.OK(t, "EvaluateExpression", err)
	if got := aws.ToString(out.EvaluatedExpression); got != "echo Echo in "+wg {
		t.Fatalf("evaluated = %q", got)
	}
	fm := servertest.PipelineFields(task.Objects[aws.ToString(task.AttemptId)].Fields)
	if want := "/tmp/" + strings.TrimPrefix(inst, "@Echo_"); fm["myDir"] != want {
		t.Fatalf("myDir = %q, want %q", fm["myDir"], want)
	}
	_, err = b.Client.EvaluateExpression(b.Ctx, &datapipeline.EvaluateExpressionInput{PipelineId: aws.String(id), ObjectId: aws.String("Nope"), Expression: aws.String("x")})
	servertest.WantClientError(t, "EvaluateExpression of an unknown object", err, "TaskNotFoundException")

	_, err = b.Client.DeletePipeline(b.Ctx, &datapipeline.DeletePipelineInput{PipelineId: aws.String(id)})
	servertest.OK(t, "DeletePipeline", err)
	_, err = b.Client.ReportTaskProgress(b.Ctx, &datapipeline.ReportTaskProgressInput{TaskId: task.TaskId})
	servertest.WantClientError(t, "ReportTaskProgress after DeletePipeline", err, "TaskNotFoundException")
}

func TestRunnerSchedules(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wg := servertest.Uniq("wg")
	start := time.Now().UTC().Format("2006-01-02T15:04:05")
	id := b.activated(t,
		obj("Default", str("workerGroup", wg), str("scheduleType", "cron"), ref("schedule", "Every")),
		obj("Every", str("type", "Schedule"), str("period", "1 seconds"), str("startDateTime", start), str("occurrences", "3")),
		shell("Tick", str("stdout", "/tmp/#{@scheduledStartTime}")))
	seen := map[string]bool{}
	for range 3 {
		task := b.poll(t, wg)
		fm := servertest.PipelineFields(task.Objects[aws.ToString(task.AttemptId)].Fields)
		if seen[fm["@scheduledStartTime"]] || fm["stdout"] != "/tmp/"+fm["@scheduledStartTime"] {
			t.Fatalf("attempt fields = %v (seen %v)", fm, seen)
		}
		seen[fm["@scheduledStartTime"]] = true
		if st := b.pipelineState(t, id); st != "SCHEDULED" {
			t.Fatalf("@pipelineState = %s while running, want SCHEDULED", st)
		}
		b.setStatus(t, aws.ToString(task.TaskId), types.TaskStatusFinished, "", "")
	}
	if !seen[start] {
		t.Fatalf("no instance for the first period %s: %v", start, seen)
	}
	b.wantState(t, id, "FINISHED")
	if n := len(b.objects(t, id, "INSTANCE")); n != 3 {
		t.Fatalf("%d instances, want 3", n)
	}

	// A timeseries schedule in the past is backfilled: 17:00 to 18:00 every
	// 15 minutes is four periods.
	wg2 := servertest.Uniq("wg")
	id2 := b.activated(t,
		obj("Default", str("workerGroup", wg2), str("scheduleType", "timeseries"), ref("schedule", "Past")),
		obj("Past", str("type", "Schedule"), str("period", "15 minutes"), str("startDateTime", "2012-09-25T17:00:00"), str("endDateTime", "2012-09-25T18:00:00")),
		shell("Backfill"))
	for range 4 {
		task := b.poll(t, wg2)
		b.setStatus(t, aws.ToString(task.TaskId), types.TaskStatusFinished, "", "")
	}
	insts := b.objects(t, id2, "INSTANCE")
	if _, ok := insts["@Backfill_2012-09-25T17:45:00"]; len(insts) != 4 || !ok {
		t.Fatalf("instances = %v", insts)
	}
	b.wantState(t, id2, "FINISHED")
}

func TestRunnerReportProgressTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wg := servertest.Uniq("wg")
	id := b.activated(t, onDemand(wg), shell("Stall", str("reportProgressTimeout", "1 seconds")))
	first := b.poll(t, wg)
	b.progress(t, aws.ToString(first.TaskId)) // acknowledged, then silent
	second := b.poll(t, wg)
	if !strings.HasSuffix(aws.ToString(second.AttemptId), "_Attempt=2") {
		t.Fatalf("second attempt = %s", aws.ToString(second.AttemptId))
	}
	if f := b.objects(t, id, "ATTEMPT")[aws.ToString(first.AttemptId)]; f["@status"] != "TIMEDOUT" || f["errorId"] != "TIMEDOUT" {
		t.Fatalf("first attempt = %v", f)
	}
	_, err := b.Client.SetTaskStatus(b.Ctx, &datapipeline.SetTaskStatusInput{TaskId: first.TaskId, TaskStatus: types.TaskStatusFinished})
	servertest.WantClientError(t, "SetTaskStatus of the timed-out attempt", err, "TaskNotFoundException")
}

// Each run of a pipeline is built from its own activation's parameter
// values: the decoded definition cached for a pipeline is replaced by a
// later run's, never served for it. And a run's activation, poll and
// finish never list the instances of every run (their cost would grow
// with the runs): the run's bookkeeping answers.
func TestReactivationTakesItsParameters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wg := servertest.Uniq("wg")
	id := b.Create(t, servertest.Uniq("react"))
	put, err := b.Client.PutPipelineDefinition(b.Ctx, &datapipeline.PutPipelineDefinitionInput{
		PipelineId:       aws.String(id),
		PipelineObjects:  []types.PipelineObject{onDemand(wg), obj("Act", str("type", "ShellCommandActivity"), str("command", "echo #{myWord}"))},
		ParameterObjects: []types.ParameterObject{param("myWord", "type", "String", "default", "x")},
	})
	servertest.OK(t, "PutPipelineDefinition", err)
	if put.Errored {
		t.Fatalf("PutPipelineDefinition errored: %s", servertest.PipelineErrors(put.ValidationErrors))
	}
	listings := func() int {
		pipeline.InstanceListings.Lock()
		defer pipeline.InstanceListings.Unlock()
		return pipeline.InstanceListings.ByPipeline[id]
	}
	var first int
	for n, word := range []string{"first", "second", "third"} {
		if n == 1 {
			first = listings()
		}
		_, err := b.Client.ActivatePipeline(b.Ctx, &datapipeline.ActivatePipelineInput{
			PipelineId: aws.String(id), ParameterValues: []types.ParameterValue{value("myWord", word)},
		})
		servertest.OK(t, "ActivatePipeline "+word, err)
		task := b.poll(t, wg)
		att := servertest.PipelineFields(task.Objects[aws.ToString(task.AttemptId)].Fields)
		if want := "echo " + word; att["command"] != want {
			t.Fatalf("run with myWord=%s: the attempt's command = %q, want %q", word, att["command"], want)
		}
		b.setStatus(t, aws.ToString(task.TaskId), types.TaskStatusFinished, "", "")
		b.wantState(t, id, "FINISHED")
	}
	if n := listings() - first; n != 0 {
		t.Fatalf("the second and third runs listed the pipeline's instances %d times, want 0", n)
	}
}
