package pipeline

// Instances and attempts as pipeline objects (DescribeObjects,
// QueryObjects over the INSTANCE and ATTEMPT spheres), and SetStatus.

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi/dperr"
	"github.com/gaffer-dev/gaffer/internal/pipeline/expr"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// runView renders a pipeline's instances and attempts as objects.
type runView struct {
	p   *pipelineRecord
	def *definitionRecord
	env *evalEnv
}

func newRunView(tx store.Tx, p *pipelineRecord) (*runView, error) {
	def, ok, err := loadDefinition(tx, p.ID, versionActive)
	if err != nil || !ok {
		return nil, err
	}
	ix := newIndex(def.Objects)
	return &runView{p: p, def: def, env: &evalEnv{ix: ix, pipelineID: p.ID, params: parameterValues(def.ParameterObjects, def.ParameterValues)}}, nil
}

func (v *runView) componentFields(id string, i *instanceRecord, evaluate bool) ([]Field, error) {
	comp := v.env.ix.byID[id]
	if comp == nil {
		return nil, nil
	}
	if !evaluate {
		return v.env.flattenRaw(comp), nil
	}
	v.env.runtime = i.runtimeMap()
	defer func() { v.env.runtime = nil }()
	return v.env.flatten(comp)
}

func (v *runView) instance(i *instanceRecord, evaluate bool) (PipelineObject, error) {
	fs, err := v.componentFields(i.Component, i, evaluate)
	return PipelineObject{ID: i.ID, Name: i.ID, Fields: append(fs, instanceFields(i, v.def.Version)...)}, err
}

func (v *runView) attempt(tx store.Tx, a *attemptRecord, evaluate bool) (PipelineObject, error) {
	i, err := getInstance(tx, a.PipelineID, a.InstanceID)
	if err != nil {
		return PipelineObject{}, err
	}
	fs, err := v.componentFields(a.Component, i, evaluate)
	return PipelineObject{ID: a.ID, Name: a.ID, Fields: append(fs, attemptFields(a, i, v.def.Version)...)}, err
}

// runObject returns the instance or attempt with id, or nil.
func (v *runView) runObject(tx store.Tx, id string, evaluate bool) (*PipelineObject, error) {
	if v == nil {
		return nil, nil
	}
	if i, err := getInstance(tx, v.p.ID, id); err == nil {
		o, err := v.instance(i, evaluate)
		return &o, err
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	a, err := getAttempt(tx, v.p.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	o, err := v.attempt(tx, a, evaluate)
	return &o, err
}

// sphereObjects returns the instances or attempts of the pipeline.
func (v *runView) sphereObjects(tx store.Tx, sphere string) ([]PipelineObject, error) {
	if v == nil {
		return nil, nil
	}
	var out []PipelineObject
	if sphere == sphereInstance {
		insts, err := listInstances(tx, v.p.ID)
		if err != nil {
			return nil, err
		}
		for _, i := range insts {
			o, _ := v.instance(i, false) // not evaluated: no error
			out = append(out, o)
		}
		return out, nil
	}
	atts, err := listAttempts(tx, v.p.ID)
	if err != nil {
		return nil, err
	}
	for _, a := range atts {
		o, err := v.attempt(tx, a, false)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// matchesFields reports whether an object with these fields satisfies
// every selector.
func matchesFields(o *PipelineObject, selectors []Selector) bool {
	for _, sel := range selectors {
		var strs, refs []string
		switch sel.FieldName {
		case "@id":
			strs = []string{o.ID}
		case "name":
			strs = []string{o.Name}
		default:
			for _, f := range o.Fields {
				if f.Key != sel.FieldName {
					continue
				}
				if f.StringValue != nil {
					strs = append(strs, *f.StringValue)
				}
				if f.RefValue != nil {
					refs = append(refs, *f.RefValue)
				}
			}
		}
		op := sel.Operator
		var ok bool
		switch op.Type {
		case "EQ":
			ok = slices.ContainsFunc(strs, func(v string) bool { return slices.Contains(op.Values, v) })
		case "REF_EQ":
			ok = slices.ContainsFunc(refs, func(v string) bool { return slices.Contains(op.Values, v) })
		case "LE":
			ok = slices.ContainsFunc(strs, func(v string) bool { return compareValues(v, op.Values[0]) <= 0 })
		case "GE":
			ok = slices.ContainsFunc(strs, func(v string) bool { return compareValues(v, op.Values[0]) >= 0 })
		case "BETWEEN":
			ok = slices.ContainsFunc(strs, func(v string) bool {
				return compareValues(v, op.Values[0]) >= 0 && compareValues(v, op.Values[1]) <= 0
			})
		}
		if !ok {
			return false
		}
	}
	return true
}

type setStatusInput struct {
	PipelineID string   `json:"pipelineId"`
	ObjectIDs  []string `json:"objectIds"`
	Status     string   `json:"status"`
}

// SetStatus pauses or resumes components, or cancels, reruns or marks
// finished instances. Statuses compare case-insensitively (AWS's own
// example sends "pause").
//
// PAUSE on a component pauses its instances that wait (a running attempt
// goes on); RESUME puts them back to waiting. TRY_CANCEL cancels an
// instance as DeactivatePipeline does; RERUN starts a new attempt of an
// ended instance (its attempt count goes on); MARK_FINISHED ends an
// instance FINISHED and releases its dependents.
func (s *Service) SetStatus(ctx context.Context, in *setStatusInput) (*struct{}, error) {
	if err := s.authorize(ctx, in.PipelineID); err != nil {
		return nil, err
	}
	status := strings.ToUpper(in.Status)
	switch status {
	case "PAUSE", "RESUME", "TRY_CANCEL", "RERUN", "MARK_FINISHED":
	default:
		return nil, invalid("Invalid status '%s': give PAUSE or RESUME (components), TRY_CANCEL, RERUN or MARK_FINISHED (instances)", in.Status)
	}
	if len(in.ObjectIDs) == 0 {
		return nil, invalid("objectIds is required")
	}
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPipelineIn(ctx, tx, in.PipelineID)
		if err != nil {
			return err
		}
		if p.State == stateFinished {
			return invalid("Pipeline %s is FINISHED: SetStatus does not apply to a finished pipeline; activate it again for a new run", p.ID)
		}
		insts, err := listInstances(tx, p.ID)
		if err != nil {
			return err
		}
		now := s.eng.Now().UTC()
		for _, id := range in.ObjectIDs {
			switch status {
			case "PAUSE", "RESUME":
				found := false
				for _, i := range insts {
					if i.Component != id {
						continue
					}
					found = true
					switch {
					case status == "PAUSE" && i.Status == statusWaitDeps:
						i.Status = statusPaused
					case status == "RESUME" && i.Status == statusPaused:
						i.Status = statusWaitDeps
					default:
						continue
					}
					if err := putInstance(tx, i); err != nil {
						return err
					}
				}
				if !found {
					if def, _, err := loadDefinition(tx, p.ID, versionLatest); err != nil {
						return err
					} else if def == nil || newIndex(def.Objects).byID[id] == nil {
						return invalid("Object '%s' is not a component of pipeline %s", id, p.ID)
					}
				}
			default:
				var inst *instanceRecord
				for _, i := range insts {
					if i.ID == id {
						inst = i
					}
				}
				if inst == nil {
					return invalid("Object '%s' is not an instance of pipeline %s: %s applies to instances", id, p.ID, status)
				}
				switch status {
				case "TRY_CANCEL":
					switch inst.Status {
					case statusFinished, statusFailed, statusCanceled, statusCascade:
					default:
						if err := s.cancelInstance(tx, inst, "Canceled by SetStatus TRY_CANCEL"); err != nil {
							return err
						}
					}
				case "MARK_FINISHED":
					if inst.Status == statusWaitRunner || inst.Status == statusRunning {
						if err := s.cancelInstance(tx, inst, "Marked finished by SetStatus"); err != nil {
							return err
						}
					}
					inst.Status, inst.Ended = statusFinished, now
					if err := putInstance(tx, inst); err != nil {
						return err
					}
				case "RERUN":
					switch inst.Status {
					case statusFinished, statusFailed, statusCanceled, statusCascade, statusTimedOut:
						inst.Status, inst.Ended, inst.ErrorID, inst.ErrorMsg, inst.CascadeOn = statusWaitDeps, time.Time{}, "", "", ""
						inst.RetryBase = inst.Attempts
						if err := putInstance(tx, inst); err != nil {
							return err
						}
					}
				}
			}
		}
		if p.State == stateFinished || p.State == stateInactive {
			return nil
		}
		return s.advance(tx, p, nil)
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

type evaluateExpressionInput struct {
	PipelineID string `json:"pipelineId"`
	ObjectID   string `json:"objectId"`
	Expression string `json:"expression"`
}

type evaluateExpressionOutput struct {
	EvaluatedExpression string `json:"evaluatedExpression"`
}

// EvaluateExpression evaluates the expressions in a string in the context
// of a component (of the latest definition) or of an instance or attempt
// (with its runtime fields, e.g. @scheduledStartTime): references,
// operators and AWS's date and time functions. An expression that cannot be
// evaluated (an unknown field, a runtime field of a component, a function
// given arguments of the wrong type) answers InvalidRequestException with
// why the first one cannot.
func (s *Service) EvaluateExpression(ctx context.Context, in *evaluateExpressionInput) (*evaluateExpressionOutput, error) {
	if err := s.authorize(ctx, in.PipelineID); err != nil {
		return nil, err
	}
	if err := expr.Validate(in.Expression); err != nil {
		return nil, invalid("Invalid expression: %v", err)
	}
	var out string
	err := s.view(ctx, func(tx store.Tx) error {
		p, err := s.loadPipelineIn(ctx, tx, in.PipelineID)
		if err != nil {
			return err
		}
		var env *evalEnv
		var o *PipelineObject
		if i, err := getInstance(tx, p.ID, in.ObjectID); err == nil {
			rv, err := newRunView(tx, p)
			if err != nil || rv == nil {
				return err
			}
			env, o = rv.env, rv.env.ix.byID[i.Component]
			env.runtime = i.runtimeMap()
		} else if a, err := getAttempt(tx, p.ID, in.ObjectID); err == nil {
			rv, err := newRunView(tx, p)
			if err != nil || rv == nil {
				return err
			}
			i, err := getInstance(tx, p.ID, a.InstanceID)
			if err != nil {
				return err
			}
			env, o = rv.env, rv.env.ix.byID[a.Component]
			env.runtime = i.runtimeMap()
			env.runtime["@id"] = a.ID
		} else {
			def, err := componentDefinition(tx, p)
			if err != nil {
				return err
			}
			if def != nil {
				env = &evalEnv{ix: newIndex(def.Objects), pipelineID: p.ID, params: parameterValues(def.ParameterObjects, def.ParameterValues)}
				o = env.ix.byID[in.ObjectID]
			}
		}
		if o == nil {
			return dperr.TaskNotFoundException("Object '%s' is not an object of pipeline %s", in.ObjectID, p.ID)
		}
		out, err = env.evalTemplate(o, in.Expression, 0)
		var ee *expr.Error
		switch {
		case errors.As(err, &ee):
			return invalid("Cannot evaluate '#{%s}' in the context of '%s': %v", ee.Expr, in.ObjectID, ee.Err)
		case err != nil:
			return invalid("Cannot evaluate '%s' in the context of '%s': %v", in.Expression, in.ObjectID, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &evaluateExpressionOutput{EvaluatedExpression: out}, nil
}
