package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// What the Data Pipeline phases share. Each creates pipelines of its own
// on the shared server, in worker groups of its own.

// dpObject is a pipeline object on the wire; a field has a stringValue or
// a refValue.
type dpObject struct {
	ID     string    `json:"id"`
	Name   string    `json:"name"`
	Fields []dpField `json:"fields"`
}

type dpField struct {
	Key         string `json:"key"`
	StringValue string `json:"stringValue,omitempty"`
	RefValue    string `json:"refValue,omitempty"`
}

// dpTaskObject is the part of a PollForTask answer the bench checks.
type dpTaskObject struct {
	TaskID     string `json:"taskId"`
	PipelineID string `json:"pipelineId"`
	AttemptID  string `json:"attemptId"`
}

// setupPipeline creates an on-demand pipeline named name whose Default
// object puts it in workerGroup, defines it with n ShellCommandActivity
// objects without dependencies (every one of them is ready as soon as the
// pipeline is activated), and returns its id. It does not activate it.
//
// The activities' ids start with name: gaffer's instance ids are
// "@<componentId>_<activation second>", unique in the store only across
// pipelines whose component ids differ (see docs/performance.md, Data
// Pipeline).
func setupPipeline(ctx context.Context, cl *caller, name, workerGroup string, n int) (string, error) {
	var created struct {
		PipelineID string `json:"pipelineId"`
	}
	if err := cl.callJSON(ctx, "CreatePipeline", map[string]any{"name": name, "uniqueId": name}, &created); err != nil {
		return "", err
	}
	if created.PipelineID == "" {
		return "", errors.New("CreatePipeline answered without a pipelineId")
	}
	objs := []dpObject{{ID: "Default", Name: "Default", Fields: []dpField{
		{Key: "scheduleType", StringValue: "ondemand"},
		{Key: "workerGroup", StringValue: workerGroup},
	}}}
	for i := range n {
		id := name + "-work" + strconv.Itoa(i)
		objs = append(objs, dpObject{ID: id, Name: id, Fields: []dpField{
			{Key: "type", StringValue: "ShellCommandActivity"},
			{Key: "command", StringValue: "true"},
			{Key: "parent", RefValue: "Default"},
		}})
	}
	var put struct {
		Errored          bool            `json:"errored"`
		ValidationErrors json.RawMessage `json:"validationErrors"`
	}
	if err := cl.callJSON(ctx, "PutPipelineDefinition", map[string]any{"pipelineId": created.PipelineID, "pipelineObjects": objs}, &put); err != nil {
		return "", err
	}
	if put.Errored {
		return "", fmt.Errorf("PutPipelineDefinition rejected the bench's definition: %s", put.ValidationErrors)
	}
	return created.PipelineID, nil
}

// dpLoop is one task runner of the dp-task phase: a worker group and a
// pipeline of its own, so that each of its polls finds a task of its own
// pipeline (on a shared worker group a runner could be left waiting while
// another runner's re-activation is pending).
type dpLoop struct {
	cl         *caller
	pipelineID string
	poll       []byte
	activate   []byte
	left       int           // tasks of the current run not yet handed out
	runs       int           // activations
	activating time.Duration // answer times of every activation, summed
}

func newDPLoop(ctx context.Context, ep *endpoint, i int) (*dpLoop, error) {
	l := &dpLoop{cl: ep.dpCaller()}
	wg := "bench-dp-task-" + strconv.Itoa(i)
	id, err := setupPipeline(ctx, l.cl, wg, wg, dpActivities)
	if err != nil {
		return nil, err
	}
	l.pipelineID = id
	l.poll = mustJSON(map[string]any{"workerGroup": wg, "hostname": "bench-runner-" + strconv.Itoa(i)})
	l.activate = mustJSON(map[string]any{"pipelineId": id})
	return l, nil
}

// activateRun activates the loop's pipeline: a new run of dpActivities
// tasks, once the previous run is over.
func (l *dpLoop) activateRun(ctx context.Context) error {
	t0 := time.Now()
	if _, err := l.cl.call(ctx, "ActivatePipeline", l.activate); err != nil {
		return err
	}
	l.activating += time.Since(t0)
	l.runs++
	l.left = dpActivities
	return nil
}

// pollTask polls the loop's worker group, which must answer a task of
// its pipeline.
func (l *dpLoop) pollTask(ctx context.Context) (string, error) {
	var out struct {
		TaskObject *dpTaskObject `json:"taskObject"`
	}
	if err := l.cl.callJSON(ctx, "PollForTask", l.poll, &out); err != nil {
		return "", err
	}
	switch t := out.TaskObject; {
	case t == nil || t.TaskID == "":
		return "", fmt.Errorf("PollForTask returned no task within %v although pipeline %s has %d waiting (run %d)", serverPollWait, l.pipelineID, l.left, l.runs)
	case t.PipelineID != l.pipelineID:
		return "", fmt.Errorf("PollForTask on %s's worker group returned a task of %s", l.pipelineID, t.PipelineID)
	case t.AttemptID == "":
		return "", errors.New("PollForTask answered a task without an attemptId")
	}
	l.left--
	return out.TaskObject.TaskID, nil
}

// progress sends ReportTaskProgress, which must not ask to cancel.
func dpProgress(ctx context.Context, cl *caller, body []byte) error {
	var out struct {
		Canceled *bool `json:"canceled"`
	}
	if err := cl.callJSON(ctx, "ReportTaskProgress", body, &out); err != nil {
		return err
	}
	if out.Canceled == nil || *out.Canceled {
		return fmt.Errorf("ReportTaskProgress answered canceled %v, want false", out.Canceled)
	}
	return nil
}

// dpFinish sends SetTaskStatus FINISHED.
func dpFinish(ctx context.Context, cl *caller, taskID string) error {
	_, err := cl.call(ctx, "SetTaskStatus", mustJSON(map[string]any{"taskId": taskID, "taskStatus": "FINISHED"}))
	return err
}

// waitPipelineFinished checks that pipeline id's run ended FINISHED with
// every instance FINISHED, waiting up to five seconds.
func waitPipelineFinished(ctx context.Context, cl *caller, id string) error {
	deadline := time.Now().Add(5 * time.Second)
	var out struct {
		PipelineDescriptionList []struct {
			Fields []dpField `json:"fields"`
		} `json:"pipelineDescriptionList"`
	}
	for {
		if err := cl.callJSON(ctx, "DescribePipelines", map[string]any{"pipelineIds": []string{id}}, &out); err != nil {
			return err
		}
		state := ""
		if len(out.PipelineDescriptionList) == 1 {
			for _, f := range out.PipelineDescriptionList[0].Fields {
				if f.Key == "@pipelineState" {
					state = f.StringValue
				}
			}
		}
		if state == "FINISHED" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pipeline %s is %q after all its tasks finished, want FINISHED", id, state)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
