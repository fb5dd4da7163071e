package pipeline_test

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// logBuffer collects a server's JSON log lines.
type logBuffer struct{ servertest.Buffer }

// records returns the logged records whose msg is msg.
func (l *logBuffer) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		var m map[string]any
		if line == "" {
			continue
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

func setupLogged(t *testing.T) (*bundle, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	srv := servertest.Start(t, servertest.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	return &bundle{servertest.InProcess(srv).DataPipeline()}, logs
}

func (b *bundle) health(t *testing.T, id string) map[string]string {
	t.Helper()
	out, err := b.Client.DescribePipelines(b.Ctx, &datapipeline.DescribePipelinesInput{PipelineIds: []string{id}})
	servertest.OK(t, "DescribePipelines", err)
	return servertest.PipelineFields(out.PipelineDescriptionList[0].Fields)
}

func TestActionsOnSuccessOnFailAndHealth(t *testing.T) {
	t.Parallel()
	b, logs := setupLogged(t)
	wg := servertest.Uniq("wg")
	id := b.activated(t, onDemand(wg),
		obj("Ok", str("type", "SnsAlarm"), str("topicArn", "arn:aws:sns:us-east-1:000000000000:ok"),
			str("subject", "done #{node.@scheduledStartTime}"), str("message", "#{node.name} is #{node.@status}")),
		obj("Bad", str("type", "SnsAlarm"), str("topicArn", "arn:aws:sns:us-east-1:000000000000:bad"),
			str("subject", "failed"), str("message", "#{node.name}: #{node.errorMessage}")),
		shell("Good", ref("onSuccess", "Ok"), ref("onFail", "Bad")),
		shell("Broken", ref("dependsOn", "Good"), str("maximumRetries", "0"), ref("onSuccess", "Ok"), ref("onFail", "Bad")))

	if h := b.health(t, id); h["@healthStatus"] != "" {
		t.Fatalf("@healthStatus before any instance ended: %v", h)
	}
	good := b.poll(t, wg)
	b.progress(t, aws.ToString(good.TaskId))
	b.setStatus(t, aws.ToString(good.TaskId), types.TaskStatusFinished, "", "")
	sched := servertest.PipelineFields(good.Objects[aws.ToString(good.AttemptId)].Fields)["@scheduledStartTime"]
	alarms := logs.records(t, "SnsAlarm")
	if len(alarms) != 1 {
		t.Fatalf("after Good finished, alarms = %v", alarms)
	}
	if a := alarms[0]; a["level"] != "INFO" || a["trigger"] != "onSuccess" || a["pipeline"] != id ||
		a["topicArn"] != "arn:aws:sns:us-east-1:000000000000:ok" || a["subject"] != "done "+sched || a["message"] != "Good is FINISHED" {
		t.Fatalf("onSuccess alarm = %v", a)
	}
	if h := b.health(t, id); h["@healthStatus"] != "HEALTHY" || !strings.HasPrefix(h["@healthStatusFromInstanceId"], "@Good_") {
		t.Fatalf("after Good finished: %v", h)
	}

	broken := b.poll(t, wg)
	b.progress(t, aws.ToString(broken.TaskId))
	b.setStatus(t, aws.ToString(broken.TaskId), types.TaskStatusFailed, "DiskFull", "no space left")
	alarms = logs.records(t, "SnsAlarm")
	if len(alarms) != 2 {
		t.Fatalf("after Broken failed, alarms = %v", alarms)
	}
	if a := alarms[1]; a["level"] != "WARN" || a["trigger"] != "onFail" || a["action"] != "Bad" || a["message"] != "Broken: no space left" ||
		!strings.HasPrefix(a["object"].(string), "@Broken_") {
		t.Fatalf("onFail alarm = %v", a)
	}
	h := b.health(t, id)
	if h["@healthStatus"] != "ERROR" || !strings.HasPrefix(h["@healthStatusFromInstanceId"], "@Broken_") {
		t.Fatalf("after Broken failed: %v", h)
	}
	if _, err := time.Parse("2006-01-02T15:04:05", h["@healthStatusUpdatedTime"]); err != nil {
		t.Fatalf("@healthStatusUpdatedTime = %q: %v", h["@healthStatusUpdatedTime"], err)
	}
}

func TestLateActionTerminates(t *testing.T) {
	t.Parallel()
	b, logs := setupLogged(t)
	wg := servertest.Uniq("wg")
	start := time.Now().UTC().Format("2006-01-02T15:04:05")
	id := b.activated(t,
		obj("Default", str("workerGroup", wg), str("scheduleType", "cron"), ref("schedule", "Once")),
		obj("Once", str("type", "Schedule"), str("period", "1 hours"), str("startDateTime", start), str("occurrences", "1")),
		obj("Stop", str("type", "Terminate")),
		obj("Late", str("type", "SnsAlarm"), str("topicArn", "arn:aws:sns:us-east-1:000000000000:late"),
			str("subject", "late"), str("message", "#{node.@id} still #{node.@status}")),
		shell("Slow", str("lateAfterTimeout", "2 seconds"), ref("onLateAction", "Late"), ref("onLateAction", "Stop")))

	task := b.poll(t, wg)
	// The runner works and reports progress; it learns that it was
	// canceled from ReportTaskProgress once the instance is late.
	// It reports again after each commit of the server's (the late
	// action's, or the flush of its own last report).
	if !b.Wait.Await(30*time.Second, func() bool { return b.progress(t, aws.ToString(task.TaskId)) }) {
		t.Fatal("not canceled 30 s after its lateAfterTimeout of 2 seconds")
	}
	insts := b.objects(t, id, "INSTANCE")
	for iid, f := range insts {
		if f["@status"] != "CANCELED" {
			t.Fatalf("instance %s = %v", iid, f)
		}
	}
	if f := b.objects(t, id, "ATTEMPT")[aws.ToString(task.AttemptId)]; f["@status"] != "CANCELED" || !strings.Contains(f["errorMessage"], "lateAfterTimeout") {
		t.Fatalf("attempt = %v", f)
	}
	alarms := logs.records(t, "SnsAlarm")
	if len(alarms) != 1 || alarms[0]["trigger"] != "onLateAction" || alarms[0]["message"] != aws.ToString(task.AttemptId)[:strings.Index(aws.ToString(task.AttemptId), "_Attempt=")]+" still RUNNING" {
		t.Fatalf("alarms = %v", alarms)
	}
	b.wantState(t, id, "FINISHED")
}
