package pipeline

// Actions: the objects that an activity's or a precondition's onSuccess,
// onFail and onLateAction fields refer to.
//
//   - SnsAlarm: gaffer sends no SNS message (it has no AWS account to send
//     it with). The alarm is logged instead, once the change that raised it
//     is committed: message "SnsAlarm", with the pipeline, the object, the
//     trigger, and the alarm's topicArn, subject and message evaluated in
//     the context of the instance (a warning for onFail and onLateAction,
//     info for onSuccess).
//   - Terminate: in onLateAction, cancels the late instance as SetStatus
//     TRY_CANCEL does (its runner learns it from ReportTaskProgress).
//     Elsewhere it has nothing to stop and is ignored.
//
// lateAfterTimeout: an instance of a scheduled activity (AWS ignores it for
// ondemand ones) that has not finished lateAfterTimeout after its
// @scheduledStartTime is late, and its onLateAction actions run. A durable
// owner timer ("late", armed when the instance is created) checks it.

import (
	"context"
	"errors"
	"log/slog"
	"strconv"

	"github.com/gaffer-dev/gaffer/internal/store"
)

const timerLate = "late" // Payload: instance id

// Action triggers: the component fields that name actions.
const (
	onSuccess = "onSuccess"
	onFail    = "onFail"
	onLate    = "onLateAction"
)

// armLate sets the lateAfterTimeout timer of a new scheduled instance whose
// component has onLateAction actions.
func (s *Service) armLate(tx store.Tx, ix *index, in *instanceRecord) error {
	if in.LateAfter <= 0 {
		return nil
	}
	if comp := ix.byID[in.Component]; comp == nil || len(ix.lookup(comp, onLate)) == 0 {
		return nil
	}
	return s.eng.SetTimer(tx, &store.Timer{OwnerKind: ownerKind, OwnerID: in.PipelineID, Kind: timerLate, FireAt: in.Scheduled.Add(in.LateAfter), Payload: []byte(in.ID)})
}

// lateFired runs the onLateAction actions of an instance that has not
// finished by its lateAfterTimeout.
func (s *Service) lateFired(tx store.Tx, tm *store.Timer) error {
	inst, err := getInstance(tx, tm.OwnerID, string(tm.Payload))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || !openStatus(inst.Status) {
		return err
	}
	p, err := loadPipeline(tx, inst.PipelineID)
	if err != nil || p.Run != inst.Run {
		return nil // deleted, or a run that ended
	}
	canceled, err := s.runActions(tx, p, inst, onLate)
	if err != nil || !canceled {
		return err
	}
	return s.advance(tx, p, []*instanceRecord{inst})
}

// runActions runs the actions that instance inst's component names in
// field trigger. canceled reports whether a Terminate action canceled inst.
func (s *Service) runActions(tx store.Tx, p *pipelineRecord, inst *instanceRecord, trigger string) (canceled bool, err error) {
	def, err := s.activeDefinition(tx, p)
	if err != nil || def == nil {
		return false, err
	}
	comp := def.ix.byID[inst.Component]
	if comp == nil {
		return false, nil
	}
	refs := def.ix.lookup(comp, trigger)
	if len(refs) == 0 {
		return false, nil
	}
	env := def.env(p.ID)
	env.runtime = inst.runtimeMap()
	env.node, env.nodeRuntime = comp, inst.nodeMap()
	for _, f := range refs {
		if f.RefValue == nil {
			continue
		}
		a := def.ix.byID[*f.RefValue]
		if a == nil {
			continue
		}
		switch def.ix.lookupString(a, "type") {
		case "SnsAlarm":
			level := slog.LevelWarn
			if trigger == onSuccess {
				level = slog.LevelInfo
			}
			get := func(key string) string { return env.evalString(a, def.ix.lookupString(a, key), 0) }
			attrs := []any{
				"pipeline", p.ID, "object", inst.ID, "trigger", trigger, "action", a.ID,
				"topicArn", get("topicArn"), "subject", get("subject"), "message", get("message"),
			}
			// The callback runs on the store's writer after the commit, in
			// no request and no component: there is no context to carry.
			tx.AfterCommit(func() { s.log.Log(context.Background(), level, "SnsAlarm", attrs...) }) //lint:allow context.Background (see above)
		case "Terminate":
			if trigger != onLate || !openStatus(inst.Status) {
				continue
			}
			if err := s.cancelInstance(tx, inst, "Canceled by its onLateAction Terminate: not finished within lateAfterTimeout"); err != nil {
				return false, err
			}
			canceled = true
		}
	}
	return canceled, nil
}

// nodeMap returns the fields of an instance that an action's expressions
// reach as node.<field>.
func (i *instanceRecord) nodeMap() map[string]string {
	m := i.runtimeMap()
	m["@status"] = i.Status
	m["@attemptCount"] = strconv.Itoa(i.Attempts)
	if !i.Ended.IsZero() {
		m["@actualEndTime"] = i.Ended.UTC().Format(fieldTime)
	}
	if i.ErrorID != "" {
		m["errorId"] = i.ErrorID
	}
	if i.ErrorMsg != "" {
		m["errorMessage"] = i.ErrorMsg
	}
	return m
}
