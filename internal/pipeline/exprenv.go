package pipeline

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gaffer-dev/gaffer/internal/pipeline/expr"
)

// Expressions are evaluated by package expr; this file resolves their
// references in a definition: fields (own, inherited, or of objects reached
// through references), parameters and runtime fields.

// evalTemplate is evalString that also returns why the first expression
// left as written could not be evaluated (an *expr.Error). One evaluation
// (s and the fields its references read, evaluated in turn) spends from
// one expr.Budget: over it, s is returned as written with an *expr.Error
// wrapping an *expr.BudgetError (see budgetErr).
func (e *evalEnv) evalTemplate(o *PipelineObject, s string, depth int) (string, error) {
	if !strings.Contains(s, "#{") {
		return s, nil
	}
	c := &evalScope{env: e, o: o, depth: depth}
	c.b = &c.own // one allocation for both
	return expr.EvalWithin(s, c, c.b)
}

func (e *evalEnv) evalWithin(o *PipelineObject, s string, depth int, b *expr.Budget) (string, error) {
	return expr.EvalWithin(s, &evalScope{env: e, o: o, depth: depth, b: b}, b)
}

// evalScope is the expr.Env of a string value of object o: its references
// resolve in o's context, depth references deep, spending from b (own,
// for the value an evaluation starts with).
type evalScope struct {
	env   *evalEnv
	o     *PipelineObject
	depth int
	b     *expr.Budget
	own   expr.Budget
}

func (c *evalScope) Resolve(path []string) (string, error) {
	return c.env.resolve(c.o, path, c.depth, c.b)
}

// budgetErr returns the *expr.BudgetError err holds (an evaluation over
// its budget), or nil.
func budgetErr(err error) *expr.BudgetError {
	var be *expr.BudgetError
	if errors.As(err, &be) {
		return be
	}
	return nil
}

// param returns the value of parameter name ("myParam" also finds
// "*myParam" and the reverse); ok is false if there is no such parameter.
func (e *evalEnv) param(name string) (string, bool, error) {
	for i := range 3 {
		id := name
		switch i {
		case 1:
			id = "*" + name
		case 2:
			if id = strings.TrimPrefix(name, "*"); id == name {
				continue
			}
		}
		if vals, ok := e.params[id]; ok {
			if len(vals) != 1 {
				return "", true, fmt.Errorf("parameter '%s' has %d values; an expression takes one", id, len(vals))
			}
			return vals[0], true, nil
		}
	}
	return "", false, nil
}

// resolve evaluates a reference: a runtime field, a parameter, or a field
// of o or of an object o refers to.
func (e *evalEnv) resolve(o *PipelineObject, path []string, depth int, b *expr.Budget) (string, error) {
	if len(path) > 1 && path[0] == "node" && e.node != nil {
		// An action's reference to the object it fires for.
		sub := &evalEnv{ix: e.ix, pipelineID: e.pipelineID, params: e.params, runtime: e.nodeRuntime}
		return sub.resolve(e.node, path[1:], depth, b)
	}
	if e.dry != nil && (len(path) > 1 && path[0] == "node" || len(path) == 1 && strings.HasPrefix(path[0], "@")) {
		e.dry.dynamic = true // an action's node, or a runtime field
	}
	if len(path) == 1 {
		if v, ok := e.runtime[path[0]]; ok {
			return v, nil
		}
		if v, ok, err := e.param(path[0]); ok {
			if e.dry != nil {
				e.dry.dynamic = true // activation may give it another value
			}
			return v, err
		}
	}
	cur := o
	for _, name := range path[:len(path)-1] {
		fs := e.ix.lookup(cur, name)
		switch {
		case len(fs) == 0:
			return "", fmt.Errorf("'%s' has no field '%s'", cur.ID, name)
		case len(fs) > 1:
			return "", fmt.Errorf("field '%s' of '%s' has %d values; a reference takes one", name, cur.ID, len(fs))
		case fs[0].RefValue == nil:
			return "", fmt.Errorf("field '%s' of '%s' is a string, not a reference to an object", name, cur.ID)
		}
		next := e.ix.byID[*fs[0].RefValue]
		if next == nil {
			return "", fmt.Errorf("field '%s' of '%s' refers to '%s', which is not an object of the definition", name, cur.ID, *fs[0].RefValue)
		}
		cur = next
	}
	switch last := path[len(path)-1]; last {
	case "@id":
		return cur.ID, nil
	case "@pipelineId":
		return e.pipelineID, nil
	case "@sphere":
		return sphereComponent, nil
	default:
		fs := e.ix.lookup(cur, last)
		if len(fs) == 0 && last == "name" {
			return cur.Name, nil
		}
		switch {
		case len(fs) == 0 && len(path) == 1 && strings.HasPrefix(last, "@") && e.runtime == nil:
			return "", fmt.Errorf("'%s' is a runtime field: it has a value in the context of an instance or attempt, not of component '%s'", last, cur.ID)
		case len(fs) == 0 && len(path) == 1 && strings.HasPrefix(last, "@"):
			return "", fmt.Errorf("runtime field '%s' has no value in this context", last)
		case len(fs) == 0 && len(path) == 1:
			return "", fmt.Errorf("'%s' is not a field of '%s', a parameter or a runtime field", last, cur.ID)
		case len(fs) == 0:
			return "", fmt.Errorf("'%s' has no field '%s'", cur.ID, last)
		case len(fs) > 1:
			return "", fmt.Errorf("field '%s' of '%s' has %d values; an expression takes one", last, cur.ID, len(fs))
		case fs[0].StringValue == nil:
			return "", fmt.Errorf("field '%s' of '%s' is a reference to an object, not a string", last, cur.ID)
		case depth >= maxEvalDepth:
			return "", &depthError{field: last, object: cur.ID}
		}
		v := *fs[0].StringValue
		if !strings.Contains(v, "#{") {
			return v, nil
		}
		ev := e
		if _, ok := e.runtime["@id"]; ok && cur != o {
			// Another object's field: its @id is its own, not the
			// instance's or attempt's.
			ev = &evalEnv{ix: e.ix, pipelineID: e.pipelineID, params: e.params, runtime: make(map[string]string, len(e.runtime))}
			for k, v := range e.runtime {
				if k != "@id" {
					ev.runtime[k] = v
				}
			}
		}
		if e.dry != nil {
			return e.dry.field(ev, cur, last, v, depth, b)
		}
		return ev.nested(cur, last, v, depth, b)
	}
}

// nested evaluates v, field last of cur, for a reference depth deep.
func (e *evalEnv) nested(cur *PipelineObject, last, v string, depth int, b *expr.Budget) (string, error) {
	out, err := e.evalWithin(cur, v, depth+1, b)
	if err != nil {
		var de *depthError
		if errors.As(err, &de) {
			return "", de
		}
		if be := budgetErr(err); be != nil {
			return "", be // named once, by the value evaluated
		}
		return "", fmt.Errorf("field '%s' of '%s': %w", last, cur.ID, err)
	}
	return out, nil
}

// depthError is a reference chain longer than maxEvalDepth.
type depthError struct{ field, object string }

func (e *depthError) Error() string {
	return fmt.Sprintf("references nest more than %d deep at field '%s' of '%s'; does it refer to itself?", maxEvalDepth, e.field, e.object)
}
