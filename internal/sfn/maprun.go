package sfn

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/asl"
	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/sfnerr"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// A distributed Map state (ItemProcessor.ProcessorConfig.Mode DISTRIBUTED)
// runs each iteration as a child execution, as AWS does, and each visit of
// the state is a Map Run:
//
//   - The Map Run is an object of its own (kindMapRun, parent: the
//     execution whose Map state started it), with AWS's ARN
//     arn:aws:states:<region>:<account>:mapRun:<machine>/<label>:<uuid>,
//     where label is the state's Label or a generated UUID, and the
//     counts DescribeMapRun shows.
//   - A child execution is an execution record (kindExecution, parent:
//     the Map Run, so that ListExecutions by state machine does not list
//     it) named by a UUID, with the ARN
//     arn:aws:states:<region>:<account>:execution:<machine>/<label>:<uuid>
//     and the "state machine" <machine>/<label>, and a history of its own.
//   - The iterations still run as frames of the top-level execution's
//     asl.Exec (hidden frames): one write moves the parent and its
//     children together, and their tasks and timers belong to the
//     top-level execution. The interpreter names the child of each event
//     (asl.Event.Child, the id of the iteration's root frame) and tells
//     when a child starts and ends; run.Record keeps the child records
//     and their histories, and the top-level record maps frames to them
//     (execution.Children, execution.MapRuns) while they run.
//   - When the top-level execution ends (it fails, times out, is
//     stopped), its children still running are aborted and its Map Runs
//     still running end ABORTED.

// kindMapRun is the object kind of Map Runs.
const kindMapRun = "sfn.maprun"

// Map Run statuses (RUNNING, SUCCEEDED, FAILED and ABORTED are those of
// executions).

// mapRun is the stored record of a Map Run.
type mapRun struct {
	ARN             string    `json:"mapRunArn"`
	ExecutionARN    string    `json:"executionArn"`    // the execution whose Map state started it
	StateMachineARN string    `json:"stateMachineArn"` // <machine ARN>/<label>: its children's state machine
	Label           string    `json:"label"`
	Status          string    `json:"status"`
	StartDate       time.Time `json:"startDate"`
	StopDate        time.Time `json:"stopDate,omitzero"`
	MaxConcurrency  int       `json:"maxConcurrency"`
	ToleratedCount  int64     `json:"toleratedFailureCount"`
	ToleratedPct    float64   `json:"toleratedFailurePercentage"`
	Items           mapCounts `json:"itemCounts"`
	Executions      mapCounts `json:"executionCounts"`
	// Where it runs: the top-level execution whose record holds the
	// frames, and the Map state's frame.
	Root  string `json:"root"`
	Frame int    `json:"frame"`
}

// mapCounts are a Map Run's item or child execution counts, as
// DescribeMapRun shows them.
type mapCounts struct {
	Pending        int64 `json:"pending"`
	Running        int64 `json:"running"`
	Succeeded      int64 `json:"succeeded"`
	Failed         int64 `json:"failed"`
	TimedOut       int64 `json:"timedOut"`
	Aborted        int64 `json:"aborted"`
	Total          int64 `json:"total"`
	ResultsWritten int64 `json:"resultsWritten"`
}

// ended moves n from running to the counter of status.
func (c *mapCounts) ended(status string, n int64) {
	c.Running -= n
	switch status {
	case statusSucceeded:
		c.Succeeded += n
		c.ResultsWritten += n
	case statusFailed:
		c.Failed += n
	case statusTimedOut:
		c.TimedOut += n
	default:
		c.Aborted += n
	}
}

// kid is a child execution one run touches.
type kid struct {
	ex     *execution
	rec    *recorder
	insert bool // created by this run
}

// kin are the child executions and Map Runs one run touches, saved with
// the top-level execution.
type kin struct {
	kids    map[int]*kid // by root frame
	kidList []*kid       // in the order they were touched, for saving
	runs    map[string]*mapRun
	runList []*mapRun
}

// kin returns the run's kin, creating it on first use.
func (r *run) kin() *kin {
	if r.family == nil {
		r.family = &kin{kids: map[int]*kid{}, runs: map[string]*mapRun{}}
	}
	return r.family
}

// failed keeps the first error met while recording (asl.Recorder has no
// error); advance returns it.
func (r *run) failed(err error) {
	if r.err == nil {
		r.err = err
	}
}

// kid returns the running child execution whose root frame is child.
func (r *run) kid(child int) *kid {
	k := r.kin()
	if c, ok := k.kids[child]; ok {
		return c
	}
	arn, ok := r.ex.Children[child]
	if !ok {
		r.failed(broken("frame %d is no child execution's", child))
		return nil
	}
	var ex execution
	if _, err := getObject(r.tx, kindExecution, arn, &ex, store.ErrNotFound); err != nil {
		r.failed(fmt.Errorf("child execution %s: %w", arn, err))
		return nil
	}
	c := &kid{ex: &ex, rec: &recorder{ex: &ex, now: r.rec.now}}
	k.kids[child] = c
	k.kidList = append(k.kidList, c)
	return c
}

// mapRun returns the Map Run arn.
func (r *run) mapRun(arn string) *mapRun {
	k := r.kin()
	if mr, ok := k.runs[arn]; ok {
		return mr
	}
	var mr mapRun
	if _, err := getObject(r.tx, kindMapRun, arn, &mr, store.ErrNotFound); err != nil {
		r.failed(fmt.Errorf("map run %s: %w", arn, err))
		return nil
	}
	k.runs[arn] = &mr
	k.runList = append(k.runList, &mr)
	return &mr
}

// Record appends an event of the interpreter to the history it belongs
// to, and keeps the child executions and Map Runs (asl.Recorder).
func (r *run) Record(ev *asl.Event, prev int64) int64 {
	rec := r.rec
	if ev.Child != 0 {
		switch ev.Type {
		case "ExecutionStarted":
			return r.startChild(ev)
		case "ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted":
			r.endChild(ev, prev)
			return prev
		}
		k := r.kid(ev.Child)
		if k == nil {
			return prev
		}
		rec = k.rec
	}
	switch ev.Type {
	case "MapRunStarted":
		mr := r.startMapRun(ev)
		if mr == nil {
			return prev
		}
		return rec.add(historyEvent{Type: ev.Type, MapRunStarted: &mapRunStartedDetails{MapRunArn: mr.ARN}}, prev)
	case "MapRunSucceeded", "MapRunFailed", "MapRunAborted":
		r.endMapRun(ev.MapFrame, strings.ToUpper(strings.TrimPrefix(ev.Type, "MapRun")))
	}
	return rec.Record(ev, prev)
}

// LastEventID returns the id of the newest event of the top-level
// execution.
func (r *run) LastEventID() int64 { return r.rec.LastEventID() }

// ChildLastEventID returns the id of the newest event of a child
// execution.
func (r *run) ChildLastEventID(child int) int64 {
	if k := r.kid(child); k != nil {
		return k.ex.LastEventID
	}
	return 0
}

// childContext is the $$ of a child execution.
func (r *run) childContext(child int) *asl.Context {
	k := r.kid(child)
	if k == nil {
		return nil
	}
	c := r.context()
	c.ExecutionID, c.ExecutionName = k.ex.ARN, k.ex.Name
	c.ExecutionInput, c.StartTime = []byte(k.ex.Input), k.ex.StartDate
	c.StateMachineID, c.StateMachineName = k.ex.StateMachineARN, k.ex.StateMachineName
	return c
}

// startMapRun creates the Map Run a distributed Map state starts.
func (r *run) startMapRun(ev *asl.Event) *mapRun {
	owner := r.ex
	if ev.Child != 0 {
		k := r.kid(ev.Child)
		if k == nil {
			return nil
		}
		owner = k.ex
	}
	cfg := ev.MapRun
	if cfg == nil {
		cfg = &asl.MapRunConfig{ToleratedFailureCount: -1, ToleratedFailurePercentage: -1}
	}
	label := cfg.Label
	if label == "" {
		label = newUUID()
	}
	sm := owner.StateMachineARN + "/" + label
	mr := &mapRun{
		ARN:             strings.Replace(sm, ":stateMachine:", ":mapRun:", 1) + ":" + newUUID(),
		ExecutionARN:    owner.ARN,
		StateMachineARN: sm,
		Label:           label,
		Status:          statusRunning,
		StartDate:       r.rec.now,
		MaxConcurrency:  cfg.MaxConcurrency,
		ToleratedCount:  int64(max(cfg.ToleratedFailureCount, 0)),
		ToleratedPct:    max(cfg.ToleratedFailurePercentage, 0),
		Items:           mapCounts{Pending: int64(cfg.Items), Total: int64(cfg.Items)},
		Executions:      mapCounts{Pending: int64(cfg.Executions), Total: int64(cfg.Executions)},
		Root:            r.ex.ARN,
		Frame:           ev.MapFrame,
	}
	k := r.kin()
	k.runs[mr.ARN] = mr
	k.runList = append(k.runList, mr)
	if r.ex.MapRuns == nil {
		r.ex.MapRuns = map[int]string{}
	}
	r.ex.MapRuns[ev.MapFrame] = mr.ARN
	return mr
}

// endMapRun ends the running Map Run of a frame with status.
func (r *run) endMapRun(frame int, status string) {
	arn, ok := r.ex.MapRuns[frame]
	if !ok {
		return
	}
	delete(r.ex.MapRuns, frame)
	if mr := r.mapRun(arn); mr != nil && mr.Status == statusRunning {
		mr.Status, mr.StopDate = status, r.rec.now
	}
}

// startChild creates a child execution of a Map Run.
func (r *run) startChild(ev *asl.Event) int64 {
	arn, ok := r.ex.MapRuns[ev.MapFrame]
	if !ok {
		r.failed(broken("frame %d has no Map Run", ev.MapFrame))
		return 0
	}
	mr := r.mapRun(arn)
	if mr == nil {
		return 0
	}
	name := newUUID()
	ex := &execution{
		ARN:              strings.Replace(mr.StateMachineARN, ":stateMachine:", ":execution:", 1) + ":" + name,
		StateMachineARN:  mr.StateMachineARN,
		StateMachineName: mr.StateMachineARN[strings.Index(mr.StateMachineARN, ":stateMachine:")+len(":stateMachine:"):],
		Name:             name,
		Status:           statusRunning,
		StartDate:        r.rec.now,
		Input:            string(ev.Input),
		DefHash:          r.ex.DefHash,
		RoleArn:          r.ex.RoleArn,
		RevisionID:       r.ex.RevisionID,
		MachineUpdatedAt: r.ex.MachineUpdatedAt,
		Logging:          r.ex.Logging,
		Tracing:          r.ex.Tracing,
		Encryption:       r.ex.Encryption,
		MapRunARN:        mr.ARN,
		MapRunLabel:      mr.Label,
		ItemCount:        ev.Length,
		Root:             r.ex.ARN,
	}
	c := &kid{ex: ex, rec: &recorder{ex: ex, now: r.rec.now}, insert: true}
	k := r.kin()
	k.kids[ev.Child] = c
	k.kidList = append(k.kidList, c)
	if r.ex.Children == nil {
		r.ex.Children = map[int]string{}
	}
	r.ex.Children[ev.Child] = ex.ARN
	mr.Executions.Pending--
	mr.Executions.Running++
	mr.Items.Pending -= int64(ev.Length)
	mr.Items.Running += int64(ev.Length)
	return c.rec.add(historyEvent{Type: "ExecutionStarted", ExecutionStarted: &executionStartedDetails{
		Input: data(ex.Input), InputDetails: notTruncated, RoleArn: ex.RoleArn,
	}}, 0)
}

// endChild ends a child execution as ev says (ExecutionSucceeded,
// ExecutionFailed, ExecutionAborted).
func (r *run) endChild(ev *asl.Event, prev int64) {
	k := r.kid(ev.Child)
	if k == nil {
		return
	}
	delete(r.ex.Children, ev.Child)
	ex := k.ex
	if ex.Status != statusRunning {
		return
	}
	var status string
	switch ev.Type {
	case "ExecutionSucceeded":
		status = statusSucceeded
		k.rec.add(historyEvent{Type: ev.Type, ExecutionSucceeded: &outputDetails{Output: data(string(ev.Output)), OutputDetails: notTruncated}}, prev)
		ex.Output = data(string(ev.Output))
	case "ExecutionFailed":
		status = statusFailed
		k.rec.add(historyEvent{Type: ev.Type, ExecutionFailed: &errorDetails{Error: ev.Error, Cause: ev.Cause}}, prev)
		ex.Error, ex.Cause = ev.Error, ev.Cause
	default:
		status = statusAborted
		k.rec.add(historyEvent{Type: "ExecutionAborted", ExecutionAborted: &errorDetails{}}, -1)
	}
	ex.Status, ex.StopDate = status, r.rec.now
	if mr := r.mapRun(ex.MapRunARN); mr != nil {
		mr.Executions.ended(status, 1)
		mr.Items.ended(status, int64(max(ex.ItemCount, 1)))
	}
}

// closeKin aborts the children and Map Runs still running when the
// top-level execution closes.
func (r *run) closeKin() {
	for _, frame := range sortedFrames(r.ex.Children) {
		r.endChild(&asl.Event{Type: "ExecutionAborted", Child: frame}, -1)
	}
	for _, frame := range sortedFrames(r.ex.MapRuns) {
		r.endMapRun(frame, statusAborted)
	}
	r.ex.Children, r.ex.MapRuns = nil, nil
}

// sortedFrames returns the keys of m in increasing order, so that
// closing them happens in the same order on every run.
func sortedFrames(m map[int]string) []int { return slices.Sorted(maps.Keys(m)) }

// saveKin writes the child executions and Map Runs the run touched.
func (r *run) saveKin() error {
	k := r.family
	if k == nil {
		return nil
	}
	for _, c := range k.kidList {
		if err := c.rec.flush(r.tx); err != nil {
			return err
		}
		if err := putExecution(r.tx, c.ex, c.insert); err != nil {
			return err
		}
		c.insert = false
	}
	for _, mr := range k.runList {
		o := &store.Object{Kind: kindMapRun, ID: mr.ARN, Parent: mr.ExecutionARN, Status: mr.Status, ClosedAt: mr.StopDate}
		if err := store.PutJSON(r.tx, o, mr); err != nil {
			return fmt.Errorf("save map run: %w", err)
		}
	}
	return nil
}

// mapRunNotFound is DescribeMapRun's and UpdateMapRun's answer for a Map
// Run that does not exist.
func mapRunNotFound(a string) error {
	return sfnerr.ResourceNotFound("Resource not found: Map Run '%s' does not exist", a)
}

// checkMapRunARN checks a Map Run ARN a request names (parseARN).
func (s *Service) checkMapRunARN(ctx context.Context, a string) error {
	if _, err := s.parseARN(ctx, a, "mapRun"); err != nil {
		return err
	}
	return nil
}

// DescribeMapRun describes a Map Run.
func (s *Service) DescribeMapRun(ctx context.Context, in *mapRunArnInput) (*describeMapRunOutput, error) {
	if err := s.checkMapRunARN(ctx, in.MapRunArn); err != nil {
		return nil, err
	}
	if err := awsapi.Authorize(ctx, in.MapRunArn); err != nil {
		return nil, err
	}
	var mr mapRun
	if err := s.view(ctx, func(tx store.Tx) error {
		_, err := getObject(tx, kindMapRun, in.MapRunArn, &mr, mapRunNotFound(in.MapRunArn))
		return err
	}); err != nil {
		return nil, err
	}
	return &describeMapRunOutput{
		MapRunArn:                  mr.ARN,
		ExecutionArn:               mr.ExecutionARN,
		Status:                     mr.Status,
		StartDate:                  awsapi.Timestamp{Time: mr.StartDate},
		StopDate:                   awsapi.Timestamp{Time: mr.StopDate},
		MaxConcurrency:             mr.MaxConcurrency,
		ToleratedFailurePercentage: mr.ToleratedPct,
		ToleratedFailureCount:      mr.ToleratedCount,
		ItemCounts:                 mr.Items,
		ExecutionCounts:            mr.Executions,
	}, nil
}

// ListMapRuns lists the Map Runs an execution started, newest first.
func (s *Service) ListMapRuns(ctx context.Context, in *listMapRunsInput) (*listMapRunsOutput, error) {
	if _, err := s.parseARN(ctx, in.ExecutionArn, "execution"); err != nil {
		return nil, err
	}
	if err := awsapi.Authorize(ctx, in.ExecutionArn); err != nil {
		return nil, err
	}
	if err := s.view(ctx, func(tx store.Tx) error {
		_, err := tx.GetObject(kindExecution, in.ExecutionArn)
		if errors.Is(err, store.ErrNotFound) {
			return executionNotFound(in.ExecutionArn)
		}
		return err
	}); err != nil {
		return nil, err
	}
	out := &listMapRunsOutput{MapRuns: []mapRunListItem{}}
	err := s.list(ctx, kindMapRun, in.ExecutionArn, "", "", in.MaxResults, in.NextToken, true, &out.NextToken, func(o *store.Object) error {
		var mr mapRun
		if err := decode(o, &mr); err != nil {
			return err
		}
		out.MapRuns = append(out.MapRuns, mapRunListItem{
			ExecutionArn:    mr.ExecutionARN,
			MapRunArn:       mr.ARN,
			StateMachineArn: mr.StateMachineARN,
			StartDate:       awsapi.Timestamp{Time: mr.StartDate},
			StopDate:        awsapi.Timestamp{Time: mr.StopDate},
		})
		return nil
	})
	return out, err
}

// UpdateMapRun changes a running Map Run's MaxConcurrency and tolerated
// failures. The change takes effect at once: a higher MaxConcurrency
// starts more child executions, a tolerance already exceeded fails the
// Map Run.
func (s *Service) UpdateMapRun(ctx context.Context, in *updateMapRunInput) (*empty, error) {
	if err := s.checkMapRunARN(ctx, in.MapRunArn); err != nil {
		return nil, err
	}
	if in.MaxConcurrency == nil && in.ToleratedFailureCount == nil && in.ToleratedFailurePercentage == nil {
		return nil, sfnerr.ValidationException("at least one of maxConcurrency, toleratedFailureCount and toleratedFailurePercentage must be given")
	}
	if err := awsapi.Authorize(ctx, in.MapRunArn); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx store.Tx) error {
		var mr mapRun
		if _, err := getObject(tx, kindMapRun, in.MapRunArn, &mr, mapRunNotFound(in.MapRunArn)); err != nil {
			return err
		}
		if mr.Status != statusRunning {
			return sfnerr.ValidationException("Map Run '%s' is %s: only a running Map Run can be updated", in.MapRunArn, mr.Status)
		}
		return (*owner)(s).react(tx, mr.Root, func(r *run) error {
			if r.ex.MapRuns[mr.Frame] != mr.ARN {
				return nil // ended in the meantime
			}
			cur := r.mapRun(mr.ARN)
			if cur == nil {
				return r.err
			}
			u := &asl.MapRunUpdate{}
			if in.MaxConcurrency != nil {
				n := int(min(*in.MaxConcurrency, math.MaxInt32))
				cur.MaxConcurrency, u.MaxConcurrency = n, &n
			}
			if in.ToleratedFailureCount != nil {
				n := int(min(*in.ToleratedFailureCount, math.MaxInt32))
				cur.ToleratedCount, u.ToleratedFailureCount = *in.ToleratedFailureCount, &n
			}
			if in.ToleratedFailurePercentage != nil {
				p := *in.ToleratedFailurePercentage
				cur.ToleratedPct, u.ToleratedFailurePercentage = p, &p
			}
			if err := r.advance(asl.Input{Kind: asl.InputUpdateMapRun, Frame: mr.Frame, Update: u}); err != nil {
				return err
			}
			return r.save(false)
		})
	})
	if err != nil {
		return nil, err
	}
	return &empty{}, nil
}

// listChildren is ListExecutions with a mapRunArn: the Map Run's child
// executions, newest first.
func (s *Service) listChildren(ctx context.Context, in *listExecutionsInput) (*listExecutionsOutput, error) {
	if in.StateMachineArn != "" {
		return nil, sfnerr.ValidationException("Only one of stateMachineArn and mapRunArn can be given")
	}
	if err := s.checkMapRunARN(ctx, in.MapRunArn); err != nil {
		return nil, err
	}
	return s.listExecutionsOf(ctx, in, kindMapRun, in.MapRunArn, mapRunNotFound)
}
