package pipeline

// How a run moves on: instances are created (newInstances), become ready
// when their dependencies finish, are dispatched as engine tasks, and the
// run is over when nothing can make progress.
//
// advance looks only at what a change touched — the instances it created
// or ended, and their dependents (each instance records the ids of the
// instances that depend on it) — so that ending one attempt costs the same
// in a pipeline of 5 instances as in one of 500 with a dozen earlier runs.
// Whether the run is over comes from a small per-pipeline record
// (runState) that putInstance keeps: how many instances of the run are
// still open, and whether one ended without finishing (only then can a
// waiting instance be blocked for good, and only then are all instances
// listed to decide).
//
// Preconditions: the `precondition` objects of an activity and of its input
// data nodes become instances of their own, one per activity instance
// (preconditionsOf), checked by a task runner as tasks
// of their worker group (their own workerGroup, their runsOn resource's,
// or else the activity's) once the activity's dependencies have finished;
// the activity depends on them. SetTaskStatus FINISHED means the condition
// holds; FALSE means it does not, and it is checked again after retryDelay
// — until preconditionTimeout has passed since the first check when the
// precondition sets one, otherwise up to maximumRetries times, like a
// failure. A precondition that ends FAILED leaves its activity waiting
// (failureAndRerunMode none) or CASCADE_FAILED (cascade).
//
// maxActiveInstances: an instance whose component already has that many
// instances waiting for a runner or running stays WAITING_ON_DEPENDENCIES
// (recorded in runState.Held) until one of them ends.

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

const kindRunState = "pipeline.run" // ID: pipelineId; Body: runState

// runState is the bookkeeping of a pipeline's latest run.
type runState struct {
	Run int `json:"run"`
	// Counted is true when Open was counted from the run's first instance
	// (false for a run whose instances predate this record: advance then
	// lists the instances).
	Counted bool `json:"counted,omitempty"`
	// Open counts the run's instances that are not over (waiting, paused,
	// waiting for a runner, running).
	Open int `json:"open"`
	// Broken is set once an instance of the run ended without finishing.
	Broken bool `json:"broken,omitempty"`
	// Active counts, per component with maxActiveInstances, its instances
	// waiting for a runner or running; Held lists, per component, the ready
	// instances kept waiting by that limit, oldest first.
	Active map[string]int      `json:"active,omitempty"`
	Held   map[string][]string `json:"held,omitempty"`
}

// kindHealth records a component's health: ID "<pipelineId>|<component>",
// Parent the pipelineId, Status HEALTHY or ERROR after its latest instance
// finished or failed, Body a healthMark. Kept from run to run
// (DescribePipelines' @healthStatus), written only when it changes.
const kindHealth = "pipeline.health"

// healthMark is the instance and time of a component's latest health
// change.
type healthMark struct {
	Instance string    `json:"instance"`
	At       time.Time `json:"at"`
}

// healthRecord is a pipeline's health: each component's, and the latest
// change.
type healthRecord struct {
	Components map[string]string
	From       string
	At         time.Time
}

func loadHealth(tx store.Tx, pipelineID string) (*healthRecord, error) {
	objs, err := tx.ListObjects(store.ObjectQuery{Kind: kindHealth, Parent: pipelineID})
	if err != nil {
		return nil, err
	}
	h := &healthRecord{Components: map[string]string{}}
	for _, o := range objs {
		var m healthMark
		if err := jsonDecode(o, &m); err != nil {
			return nil, err
		}
		h.Components[o.ID] = o.Status
		if !m.At.Before(h.At) {
			h.From, h.At = m.Instance, m.At
		}
	}
	return h, nil
}

// noteHealth records that instance in finished (HEALTHY) or failed
// (ERROR).
func noteHealth(tx store.Tx, in *instanceRecord, health string) error {
	id := in.PipelineID + "|" + in.Component
	o, err := tx.GetObject(kindHealth, id)
	switch {
	case err == nil && o.Status == health:
		return nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return err
	}
	return store.PutJSON(tx, &store.Object{Kind: kindHealth, ID: id, Parent: in.PipelineID, Status: health}, healthMark{Instance: in.ID, At: time.Now().UTC()})
}

// Health statuses.
const (
	healthOK    = "HEALTHY"
	healthError = "ERROR"
)

// status is the pipeline's @healthStatus: ERROR if a component's latest
// instance failed, HEALTHY if one finished and none failed, "" before any
// did either.
func (h *healthRecord) status() string {
	st := ""
	for _, v := range h.Components {
		if v == healthError {
			return healthError
		}
		st = healthOK
	}
	return st
}

func loadRunState(tx store.Tx, pipelineID string) (*runState, error) {
	var rs runState
	if _, err := store.GetJSON(tx, kindRunState, pipelineID, &rs); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return &rs, nil
}

func putRunState(tx store.Tx, pipelineID string, rs *runState) error {
	return store.PutJSON(tx, &store.Object{Kind: kindRunState, ID: pipelineID}, rs)
}

// openStatus reports whether an instance in status st can still make
// progress by itself.
func openStatus(st string) bool {
	switch st {
	case statusWaitDeps, statusWaitRunner, statusRunning, statusPaused:
		return true
	}
	return false
}

// activeStatus reports whether an instance in status st counts against its
// component's maxActiveInstances.
func activeStatus(st string) bool { return st == statusWaitRunner || st == statusRunning }

// failedStatus reports whether an instance in status st ended without
// finishing.
func failedStatus(st string) bool {
	return st == statusFailed || st == statusCanceled || st == statusCascade || st == statusTimedOut
}

// noteTransitions updates the run's bookkeeping for instances about to be
// stored with their Status (in.stored is the status each was read with, ""
// if it is new): the pipeline's run record, read and written once, and the
// components' health.
func noteTransitions(tx store.Tx, ins []*instanceRecord) error {
	var rs *runState
	dirty := false
	for _, in := range ins {
		if in.stored != in.Status {
			switch in.Status {
			case statusFinished:
				if err := noteHealth(tx, in, healthOK); err != nil {
					return err
				}
			case statusFailed:
				if err := noteHealth(tx, in, healthError); err != nil {
					return err
				}
			}
		}
		wasOpen, isOpen := openStatus(in.stored), openStatus(in.Status)
		wasActive := in.MaxActive > 0 && activeStatus(in.stored)
		isActive := in.MaxActive > 0 && activeStatus(in.Status)
		broke := in.stored != "" && !isOpen && in.Status != statusFinished && in.stored != in.Status
		if wasOpen == isOpen && wasActive == isActive && !broke {
			continue
		}
		if rs == nil {
			var err error
			if rs, err = loadRunState(tx, in.PipelineID); err != nil {
				return err
			}
		}
		switch {
		case in.Run < rs.Run:
			continue // an instance of an earlier run (SetStatus RERUN)
		case in.Run > rs.Run:
			*rs = runState{Run: in.Run, Counted: in.stored == ""}
		}
		dirty = true
		if isOpen != wasOpen {
			if isOpen {
				rs.Open++
			} else {
				rs.Open--
			}
		}
		if broke {
			rs.Broken = true
		}
		if isActive != wasActive {
			if rs.Active == nil {
				rs.Active = map[string]int{}
			}
			if isActive {
				rs.Active[in.Component]++
			} else if rs.Active[in.Component]--; rs.Active[in.Component] <= 0 {
				delete(rs.Active, in.Component)
			}
		}
	}
	if !dirty {
		return nil
	}
	return putRunState(tx, ins[0].PipelineID, rs)
}

// latestRun returns the number of the pipeline's latest run and whether
// no instance of it can make progress: from the run's bookkeeping when it
// was counted from its first instance and answers alone, else from the
// pipeline's instances (all, or listed if all is nil). It lists them only
// for a run some instance of which ended without finishing, or one older
// than its record.
func latestRun(tx store.Tx, p *pipelineRecord, all []*instanceRecord) (run int, over bool, err error) {
	rs, err := loadRunState(tx, p.ID)
	if err != nil {
		return 0, false, err
	}
	switch {
	case rs.Run == p.Run && rs.Counted && rs.Open <= 0:
		return rs.Run, true, nil
	case rs.Run == p.Run && rs.Counted && !rs.Broken:
		return rs.Run, false, nil
	}
	if all == nil {
		if all, err = listInstances(tx, p.ID); err != nil {
			return 0, false, err
		}
	}
	run = p.Run
	for _, i := range all {
		run = max(run, i.Run)
	}
	return run, runOver(all), nil
}

// runOver reports whether no instance of the latest run can make progress.
func runOver(insts []*instanceRecord) bool {
	run := 0
	byID := map[string]*instanceRecord{}
	for _, i := range insts {
		run = max(run, i.Run)
		byID[i.ID] = i
	}
	for _, i := range insts {
		if i.Run != run {
			continue
		}
		switch i.Status {
		case statusWaitRunner, statusRunning, statusPaused:
			return false
		case statusWaitDeps:
			if !blocked(i, byID) {
				return false
			}
		}
	}
	return true
}

// blocked reports whether an instance waits on one that ended without
// finishing (so it never runs).
func blocked(i *instanceRecord, byID map[string]*instanceRecord) bool {
	for _, d := range i.DependsOn {
		if dep := byID[d]; dep != nil {
			switch {
			case failedStatus(dep.Status):
				return true
			case dep.Status == statusWaitDeps && blocked(dep, byID):
				return true
			}
		}
	}
	return false
}

// advance moves the run on after a change: it dispatches the instances
// that became ready (dependencies FINISHED, component under its
// maxActiveInstances), cascades failures, and marks the pipeline FINISHED
// when its run is over. touched are the instances the change created or
// ended (their dependents are looked at); nil looks at every instance of
// the pipeline, for rare changes (SetStatus, resuming a deactivated run).
func (s *Service) advance(tx store.Tx, p *pipelineRecord, touched []*instanceRecord) error {
	var all []*instanceRecord
	if touched == nil {
		insts, err := listInstances(tx, p.ID)
		if err != nil {
			return err
		}
		all, touched = insts, insts
	}
	byID := make(map[string]*instanceRecord, len(touched))
	for _, i := range touched {
		byID[i.ID] = i
	}
	get := func(id string) (*instanceRecord, error) {
		if i, ok := byID[id]; ok {
			return i, nil
		}
		i, err := getInstance(tx, p.ID, id)
		if errors.Is(err, store.ErrNotFound) {
			err = nil
		}
		byID[id] = i
		return i, err
	}
	now := s.eng.Now().UTC()
	queue := append([]*instanceRecord(nil), touched...)
	released := map[string]bool{}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		if i.Status == statusWaitDeps {
			if err := s.tryDispatch(tx, p, i, get, now); err != nil {
				return err
			}
		}
		if openStatus(i.Status) || released[i.ID] {
			continue
		}
		released[i.ID] = true
		for _, id := range i.Dependents {
			d, err := get(id)
			if err != nil {
				return err
			}
			if d != nil {
				queue = append(queue, d)
			}
		}
		if i.MaxActive > 0 {
			held, err := s.unhold(tx, p.ID, i.Component)
			if err != nil {
				return err
			}
			for _, id := range held {
				d, err := get(id)
				if err != nil {
					return err
				}
				if d != nil {
					queue = append(queue, d)
				}
			}
		}
	}
	if p.State != stateScheduled {
		return nil
	}
	_, over, err := latestRun(tx, p, all)
	if err != nil || !over {
		return err
	}
	pending, err := schedulePending(tx, p)
	if err != nil || pending {
		return err
	}
	p.State = stateFinished
	return putPipeline(tx, p)
}

// tryDispatch dispatches waiting instance i if its dependencies finished,
// or cascades a dependency's failure to it (failureAndRerunMode cascade).
func (s *Service) tryDispatch(tx store.Tx, p *pipelineRecord, i *instanceRecord, get func(string) (*instanceRecord, error), now time.Time) error {
	ready := true
	for _, d := range i.DependsOn {
		dep, err := get(d)
		if err != nil {
			return err
		}
		if dep == nil || dep.Status == statusFinished {
			continue
		}
		ready = false
		if i.Cascade && failedStatus(dep.Status) {
			i.Status, i.CascadeOn, i.Ended = statusCascade, dep.ID, now
			return putInstance(tx, i)
		}
	}
	if !ready || p.State != stateScheduled {
		return nil
	}
	if i.MaxActive > 0 {
		rs, err := loadRunState(tx, p.ID)
		if err != nil {
			return err
		}
		if rs.Active[i.Component] >= i.MaxActive {
			for _, id := range rs.Held[i.Component] {
				if id == i.ID {
					return nil
				}
			}
			if rs.Held == nil {
				rs.Held = map[string][]string{}
			}
			rs.Held[i.Component] = append(rs.Held[i.Component], i.ID)
			return putRunState(tx, p.ID, rs)
		}
	}
	return s.dispatch(tx, i)
}

// unhold takes the instances of component held back by its
// maxActiveInstances off the list, to be looked at again.
func (s *Service) unhold(tx store.Tx, pipelineID, component string) ([]string, error) {
	rs, err := loadRunState(tx, pipelineID)
	if err != nil || len(rs.Held[component]) == 0 {
		return nil, err
	}
	held := rs.Held[component]
	delete(rs.Held, component)
	return held, putRunState(tx, pipelineID, rs)
}

// newInstances creates one instance, scheduled from start to end, per
// activity of def whose schedule (scheduleOf) is schedule ("" for
// on-demand ones), and one per precondition of each (its own, and those of
// its input data nodes). It returns them in creation order.
func (s *Service) newInstances(tx store.Tx, p *pipelineRecord, def *definitionRecord, run int, start, end time.Time, schedule string) ([]*instanceRecord, error) {
	ix := newIndex(def.Objects)
	env := &evalEnv{ix: ix, pipelineID: p.ID, params: parameterValues(def.ParameterObjects, def.ParameterValues)}
	stamp := start.Format(fieldTime)
	taken := map[string]bool{}
	// Instance ids are AWS's "@<component>_<time>", each pipeline's own
	// (runKey). Should the pipeline already have one (activated again
	// within the second), the first free of "@c_t_2", "@c_t_3"... is taken.
	newID := func(component string) (string, error) {
		id, err := freeInstanceID(tx, p.ID, "@"+component+"_"+stamp, taken)
		taken[id] = true
		return id, err
	}
	ids := map[string]string{} // activity id → instance id
	var acts []*PipelineObject
	for i := range def.Objects {
		o := &def.Objects[i]
		if !activityTypes[ix.lookupString(o, "type")] {
			continue
		}
		if sched, _ := scheduleOf(ix, o); sched != schedule {
			continue
		}
		id, err := newID(o.ID)
		if err != nil {
			return nil, err
		}
		ids[o.ID] = id
		acts = append(acts, o)
	}
	var out []*instanceRecord
	batch := map[string]*instanceRecord{}
	for _, o := range acts {
		in := &instanceRecord{ID: ids[o.ID], PipelineID: p.ID, Component: o.ID, Run: run, Status: statusWaitDeps, Scheduled: start, ScheduledEnd: end}
		if err := s.configure(env, o, in, ""); err != nil {
			return nil, err
		}
		for _, f := range ix.lookup(o, "dependsOn") {
			if f.RefValue == nil {
				continue
			}
			if d, ok := ids[*f.RefValue]; ok {
				in.DependsOn = append(in.DependsOn, d)
			} else if d, err := getInstance(tx, p.ID, "@"+*f.RefValue+"_"+stamp); err == nil {
				in.DependsOn = append(in.DependsOn, d.ID) // same period, another schedule
			}
		}
		var pres []*instanceRecord
		for _, pc := range preconditionsOf(ix, o) {
			id, err := newID(pc.ID)
			if err != nil {
				return nil, err
			}
			pi := &instanceRecord{
				ID: id, PipelineID: p.ID, Component: pc.ID, Run: run, Status: statusWaitDeps, Scheduled: start, ScheduledEnd: end,
				Precondition: true, DependsOn: append([]string(nil), in.DependsOn...),
			}
			if err := s.configure(env, pc, pi, in.WorkerGroup); err != nil {
				return nil, err
			}
			pi.Cascade = pi.Cascade || in.Cascade
			pres = append(pres, pi)
		}
		for _, pi := range pres {
			in.DependsOn = append(in.DependsOn, pi.ID)
			out = append(out, pi)
			batch[pi.ID] = pi
		}
		out = append(out, in)
		batch[in.ID] = in
	}
	for _, in := range out {
		for _, d := range in.DependsOn {
			if dep := batch[d]; dep != nil {
				dep.Dependents = append(dep.Dependents, in.ID)
				continue
			}
			dep, err := getInstance(tx, p.ID, d)
			if err != nil {
				return nil, err
			}
			dep.Dependents = append(dep.Dependents, in.ID)
			if err := putInstance(tx, dep); err != nil {
				return nil, err
			}
		}
	}
	if err := putInstances(tx, out); err != nil {
		return nil, err
	}
	for _, in := range out {
		if schedule != "" { // lateAfterTimeout is ignored for on-demand instances, as on AWS
			if err := s.armLate(tx, ix, in); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// preconditionsOf returns the preconditions activity o waits for: its own
// and those of its input data nodes, each once.
func preconditionsOf(ix *index, o *PipelineObject) []*PipelineObject {
	var out []*PipelineObject
	seen := map[string]bool{}
	add := func(from *PipelineObject) {
		for _, f := range ix.lookup(from, "precondition") {
			if f.RefValue == nil || seen[*f.RefValue] {
				continue
			}
			if pc := ix.byID[*f.RefValue]; pc != nil {
				seen[pc.ID] = true
				out = append(out, pc)
			}
		}
	}
	add(o)
	for _, f := range ix.lookup(o, "input") {
		if f.RefValue != nil {
			if dn := ix.byID[*f.RefValue]; dn != nil {
				add(dn)
			}
		}
	}
	return out
}

// configure sets an instance's worker group and timing from its component
// o: an activity, or a precondition (fallbackGroup is then its activity's
// worker group).
func (s *Service) configure(env *evalEnv, o *PipelineObject, in *instanceRecord, fallbackGroup string) error {
	ix := env.ix
	what := "Activity"
	if in.Precondition {
		what = "Precondition"
	}
	in.MaxRetries, in.RetryDelay, in.ReportProgress = defaultMaxRetries, s.retryDelay, defaultReportProgress
	// A value over the evaluation budget leaves the instance nowhere to go
	// (its workerGroup, its timing): the run cannot start.
	var over error
	eval := func(o *PipelineObject, key string) string {
		v, err := env.evalTemplate(o, ix.lookupString(o, key), 0)
		if budgetErr(err) != nil && over == nil {
			over = &budgetError{object: o.ID, field: key, err: err}
		}
		return v
	}
	str := func(key string) string { return eval(o, key) }
	in.WorkerGroup = str("workerGroup")
	for _, f := range ix.lookup(o, "runsOn") {
		if f.RefValue != nil {
			if r := ix.byID[*f.RefValue]; r != nil {
				if wg := eval(r, "workerGroup"); wg != "" {
					in.WorkerGroup = wg
				}
			}
		}
	}
	if over != nil {
		return invalid("%s '%s' cannot be scheduled: %v", what, o.ID, over)
	}
	in.WorkerGroup = cmpOr(in.WorkerGroup, fallbackGroup)
	if in.WorkerGroup == "" {
		return invalid("%s '%s' has no workerGroup (on itself, its runsOn resource, a parent or Default)", what, o.ID)
	}
	if v := str("maximumRetries"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return invalid("%s '%s': maximumRetries '%s' is not a number from 0 to %d", what, o.ID, v, maxMaxRetries)
		}
		in.MaxRetries = min(n, maxMaxRetries)
	}
	if v := str("maxActiveInstances"); v != "" && !in.Precondition {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return invalid("%s '%s': maxActiveInstances '%s' is not a positive number", what, o.ID, v)
		}
		in.MaxActive = n
	}
	periods := []struct {
		key string
		dst *time.Duration
	}{
		{"retryDelay", &in.RetryDelay}, {"attemptTimeout", &in.AttemptTimeout},
		{"reportProgressTimeout", &in.ReportProgress}, {"preconditionTimeout", &in.PreconditionTimeout},
		{"lateAfterTimeout", &in.LateAfter},
	}
	for _, pd := range periods {
		if pd.key == "preconditionTimeout" && !in.Precondition {
			continue
		}
		if v := str(pd.key); v != "" {
			d, err := parsePeriod(v)
			if err != nil {
				return invalid("%s '%s': %s %v", what, o.ID, pd.key, err)
			}
			*pd.dst = d
		}
	}
	if in.ReportProgress <= 0 {
		in.ReportProgress = defaultReportProgress
	}
	in.Cascade = strings.EqualFold(str("failureAndRerunMode"), "cascade")
	if over != nil {
		return invalid("%s '%s' cannot be scheduled: %v", what, o.ID, over)
	}
	return nil
}
