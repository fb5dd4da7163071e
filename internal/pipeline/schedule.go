package pipeline

// Scheduled activities (scheduleType cron or timeseries, the default when an
// activity has a schedule): one instance per period of its Schedule, from
// startDateTime (or the activation time with startAt
// FIRST_ACTIVATION_DATE_TIME) every period, while the period starts before
// endDateTime and fewer than occurrences periods ran. A cron instance is
// due at the start of its period, a timeseries one at its end; periods in
// the past are backfilled one after the other. Each Schedule is driven by
// one durable engine timer ("period", payload scheduleRef) that creates the
// due period's instances and arms the next. A timer that fires while the
// pipeline is deactivated parks its position in the pipeline record;
// ActivatePipeline re-arms it.
//
// Periods take AWS's units (minutes, hours, days, weeks, months, years)
// and, as a gaffer extension, seconds ("2 seconds"), so that tests run
// fast.

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/store"
)

const timerPeriod = "period" // Payload: scheduleRef

type scheduleRef struct {
	Schedule string `json:"schedule"`
	Run      int    `json:"run"`
	N        int    `json:"n"` // the period to create
}

// scheduleOf returns the Schedule object id of a scheduled activity ("" for
// on-demand ones) and its scheduleType.
func scheduleOf(ix *index, o *PipelineObject) (string, string) {
	st := strings.ToLower(ix.lookupString(o, "scheduleType"))
	if st == "ondemand" {
		return "", st
	}
	for _, f := range ix.lookup(o, "schedule") {
		if f.RefValue != nil && ix.byID[*f.RefValue] != nil {
			return *f.RefValue, cmpOr(st, "cron")
		}
	}
	return "", st
}

// schedSpec is a Schedule's timing.
type schedSpec struct {
	start       time.Time
	count       int
	unit        string
	end         time.Time
	occurrences int
	timeseries  bool
}

// spec reads schedule sched of def for pipeline p.
func (s *Service) spec(p *pipelineRecord, def *definitionRecord, sched string) (*schedSpec, error) {
	ix := newIndex(def.Objects)
	o := ix.byID[sched]
	if o == nil {
		return nil, invalid("Schedule '%s' does not exist", sched)
	}
	env := &evalEnv{ix: ix, pipelineID: p.ID, params: parameterValues(def.ParameterObjects, def.ParameterValues)}
	get := func(k string) string { return env.evalString(o, ix.lookupString(o, k), 0) }
	sp := &schedSpec{}
	f := strings.Fields(get("period"))
	if len(f) != 2 {
		return nil, invalid("Schedule '%s': period '%s' is not like '1 hour'", sched, get("period"))
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 {
		return nil, invalid("Schedule '%s': period '%s' is not like '1 hour'", sched, get("period"))
	}
	sp.count, sp.unit = n, strings.TrimSuffix(strings.ToLower(f[1]), "s")
	if _, err := parsePeriod(get("period")); err != nil {
		return nil, invalid("Schedule '%s': period %v", sched, err)
	}
	if v := get("startDateTime"); v != "" {
		if sp.start, err = time.Parse(fieldTime, v); err != nil {
			return nil, invalid("Schedule '%s': startDateTime '%s' is not YYYY-MM-DDTHH:MM:SS", sched, v)
		}
	} else {
		sp.start = p.Activated
	}
	if v := get("endDateTime"); v != "" {
		if sp.end, err = time.Parse(fieldTime, v); err != nil {
			return nil, invalid("Schedule '%s': endDateTime '%s' is not YYYY-MM-DDTHH:MM:SS", sched, v)
		}
	}
	if v := get("occurrences"); v != "" {
		if sp.occurrences, err = strconv.Atoi(v); err != nil || sp.occurrences <= 0 {
			return nil, invalid("Schedule '%s': occurrences '%s' is not a positive number", sched, v)
		}
	}
	return sp, nil
}

// periodStart returns the start of period n.
func (sp *schedSpec) periodStart(n int) time.Time {
	k := n * sp.count
	switch sp.unit {
	case "month":
		return sp.start.AddDate(0, k, 0)
	case "year":
		return sp.start.AddDate(k, 0, 0)
	}
	d, _ := parsePeriod("1 " + sp.unit)
	return sp.start.Add(time.Duration(k) * d)
}

// exists reports whether period n is part of the schedule.
func (sp *schedSpec) exists(n int) bool {
	if sp.occurrences > 0 && n >= sp.occurrences {
		return false
	}
	return sp.end.IsZero() || sp.periodStart(n).Before(sp.end)
}

// due returns when period n's instances are created.
func (sp *schedSpec) due(n int) time.Time {
	if sp.timeseries {
		return sp.periodStart(n + 1)
	}
	return sp.periodStart(n)
}

// schedules returns the Schedules the activities of def use, with whether
// they are timeseries.
func schedules(def *definitionRecord) map[string]bool {
	ix := newIndex(def.Objects)
	out := map[string]bool{}
	for i := range def.Objects {
		o := &def.Objects[i]
		if !activityTypes[ix.lookupString(o, "type")] {
			continue
		}
		if sched, st := scheduleOf(ix, o); sched != "" {
			out[sched] = out[sched] || st == "timeseries"
		}
	}
	return out
}

// armSchedules arms the first period of each Schedule of def; it returns
// how many it armed.
func (s *Service) armSchedules(tx store.Tx, p *pipelineRecord, def *definitionRecord, run int) (int, error) {
	n := 0
	for sched := range schedules(def) {
		armed, err := s.armPeriod(tx, p, def, scheduleRef{Schedule: sched, Run: run})
		if err != nil {
			return 0, err
		}
		if armed {
			n++
		}
	}
	return n, nil
}

// armPeriod sets the timer of period ref.N if the schedule has it.
func (s *Service) armPeriod(tx store.Tx, p *pipelineRecord, def *definitionRecord, ref scheduleRef) (bool, error) {
	sp, err := s.spec(p, def, ref.Schedule)
	if err != nil {
		return false, err
	}
	sp.timeseries = schedules(def)[ref.Schedule]
	if !sp.exists(ref.N) {
		return false, nil
	}
	payload, err := json.Marshal(ref)
	if err != nil {
		return false, err
	}
	return true, s.eng.SetTimer(tx, &store.Timer{OwnerKind: ownerKind, OwnerID: p.ID, Kind: timerPeriod, FireAt: sp.due(ref.N), Payload: payload})
}

// schedulePending reports whether a Schedule of the pipeline's run has
// periods to come.
func schedulePending(tx store.Tx, p *pipelineRecord) (bool, error) {
	if len(p.Paused) > 0 {
		return true, nil
	}
	timers, err := tx.ListTimers(store.TimerQuery{OwnerKind: ownerKind, OwnerID: p.ID})
	if err != nil {
		return false, err
	}
	for _, tm := range timers {
		if tm.Kind == timerPeriod {
			var ref scheduleRef
			if json.Unmarshal(tm.Payload, &ref) == nil && ref.Run == p.Run {
				return true, nil
			}
		}
	}
	return false, nil
}

// resumeSchedules re-arms the schedules parked while deactivated.
func (s *Service) resumeSchedules(tx store.Tx, p *pipelineRecord) error {
	if len(p.Paused) == 0 {
		return nil
	}
	def, ok, err := loadDefinition(tx, p.ID, versionActive)
	if err != nil || !ok {
		return err
	}
	for sched, n := range p.Paused {
		if _, err := s.armPeriod(tx, p, def, scheduleRef{Schedule: sched, Run: p.Run, N: n}); err != nil {
			return err
		}
	}
	p.Paused = nil
	return nil
}

// periodFired creates the instances of a due period and arms the next.
func (s *Service) periodFired(tx store.Tx, tm *store.Timer) error {
	var ref scheduleRef
	if err := json.Unmarshal(tm.Payload, &ref); err != nil {
		return nil
	}
	p, err := loadPipeline(tx, tm.OwnerID)
	if err != nil {
		return nil // deleted
	}
	if ref.Run != p.Run {
		return nil // a run that ended
	}
	if p.State != stateScheduled {
		if p.Paused == nil {
			p.Paused = map[string]int{}
		}
		p.Paused[ref.Schedule] = ref.N
		return putPipeline(tx, p)
	}
	def, ok, err := loadDefinition(tx, p.ID, versionActive)
	if err != nil || !ok {
		return err
	}
	var created []*instanceRecord
	sp, err := s.spec(p, def, ref.Schedule)
	if err == nil {
		created, err = s.newInstances(tx, p, def, ref.Run, sp.periodStart(ref.N), sp.periodStart(ref.N+1), ref.Schedule)
	}
	if ae := (*awsapi.Error)(nil); errors.As(err, &ae) {
		// The definition cannot run (checked at activation, so rare): stop
		// this schedule rather than fail the timer forever.
		s.log.Warn("schedule stopped", "pipeline", p.ID, "schedule", ref.Schedule, "err", err)
		return s.advance(tx, p, nil)
	}
	if err != nil {
		return err
	}
	next := ref
	next.N++
	if _, err := s.armPeriod(tx, p, def, next); err != nil {
		return err
	}
	return s.advance(tx, p, created)
}
