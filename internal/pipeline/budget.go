package pipeline

import (
	"slices"
	"strings"

	"github.com/gaffer-dev/gaffer/internal/pipeline/expr"
)

// The budget of an evaluation (expr.MaxSteps references resolved and
// functions called, expr.MaxBytes produced, expr.MaxLen characters a
// value, nested references included) keeps a definition whose references
// fan out (a field referring 40 times to a field referring 40 times...,
// seven deep) from evaluating for ever. Where going over it is known when
// the definition is put, it is a validation error (checkBudget); where it
// depends on values known only at run time (parameter values given at
// activation, runtime fields), PollForTask fails the attempt it would hand
// out (taskObject), retried like any failed attempt; DescribeObjects and
// EvaluateExpression answer an InvalidRequestException.

// errIDBudget is the errorId of an attempt failed because its task could
// not be built: evaluating a field went over the budget.
const errIDBudget = "Service_ExpressionBudgetExceeded"

// checkBudget reports the string fields of the definition (those of each
// object, inherited ones included, in its context) whose evaluation is
// over budget whatever the run: those whose references take more than
// expr.MaxSteps steps (counted on the reference graph, without evaluating),
// and those longer than expr.MaxLen once evaluated without reading a value
// known only at run time (a runtime field, or a parameter: activation can
// give it another value).
func checkBudget(r *report, pipelineID string, ix *index, params map[string][]string) {
	e := &evalEnv{ix: ix, pipelineID: pipelineID, params: params, dry: &dryRun{memo: map[dryKey]dryValue{}}}
	c := &stepCounter{e: e, memo: map[dryKey]int{}}
	reported := map[*string]bool{} // an inherited value is reported once
	for i := range ix.objs {
		o := &ix.objs[i]
		if ix.byID[o.ID] != o {
			continue // a duplicate id, reported as such
		}
		for _, f := range e.flattenRaw(o) {
			if f.StringValue == nil || verbatimKeys[f.Key] || reported[f.StringValue] || !strings.Contains(*f.StringValue, "#{") {
				continue
			}
			what := "field '" + f.Key + "'"
			if !slices.ContainsFunc(o.Fields, func(g Field) bool { return g.StringValue == f.StringValue }) {
				what += " (inherited)"
			}
			if c.value(o, *f.StringValue, 0) > expr.MaxSteps {
				reported[f.StringValue] = true
				r.errorf(o.ID, "INVALID_EXPRESSION: %s: %v", what, &expr.BudgetError{Limit: expr.LimitSteps})
				continue
			}
			e.dry.dynamic = false
			if _, err := e.evalTemplate(o, *f.StringValue, 0); budgetErr(err) != nil && !e.dry.dynamic {
				reported[f.StringValue] = true
				r.errorf(o.ID, "INVALID_EXPRESSION: %s: %v", what, err)
			}
		}
	}
}

// dryRun is the state of evaluating a definition's fields before it runs,
// without runtime fields: the values of the fields references read are
// kept, so that checking every field costs each once.
type dryRun struct {
	// dynamic is set when the evaluation read a value known only at run
	// time.
	dynamic bool
	memo    map[dryKey]dryValue
}

// dryKey is field key of object o, read by a reference depth deep.
type dryKey struct {
	o     *PipelineObject
	key   string
	depth int
}

type dryValue struct {
	out     string
	err     error
	dynamic bool
}

// field is evalEnv.nested, its value kept.
func (d *dryRun) field(e *evalEnv, cur *PipelineObject, key, v string, depth int, b *expr.Budget) (string, error) {
	k := dryKey{cur, key, depth}
	if m, ok := d.memo[k]; ok {
		d.dynamic = d.dynamic || m.dynamic
		return m.out, m.err
	}
	outer := d.dynamic
	d.dynamic = false
	out, err := e.nested(cur, key, v, depth, b)
	if be := budgetErr(err); be == nil || be.Limit == expr.LimitLen {
		// Steps and bytes spent depend on what came before.
		d.memo[k] = dryValue{out: out, err: err, dynamic: d.dynamic}
	}
	d.dynamic = outer || d.dynamic
	return out, err
}

// stepCounter counts the steps evaluating a value takes (expr.Steps),
// following its references as evalEnv.resolve does, each reference of an
// object once (memo: its path, dot-separated, as the key).
type stepCounter struct {
	e    *evalEnv
	memo map[dryKey]int
}

// value returns the steps of evaluating s in o's context, depth deep.
func (c *stepCounter) value(o *PipelineObject, s string, depth int) int {
	return expr.Steps(s, func(path []string) int { return c.ref(o, path, depth) })
}

// ref returns the steps of evaluating what a reference reads: those of the
// field it resolves to, none for a parameter or a runtime field.
func (c *stepCounter) ref(o *PipelineObject, path []string, depth int) int {
	k := dryKey{o, path[0], depth}
	if len(path) > 1 {
		k.key = strings.Join(path, ".")
	}
	n, ok := c.memo[k]
	if !ok {
		n = c.resolve(o, path, depth)
		c.memo[k] = n
	}
	return n
}

func (c *stepCounter) resolve(o *PipelineObject, path []string, depth int) int {
	ix := c.e.ix
	if len(path) == 1 {
		if _, ok, _ := c.e.param(path[0]); ok {
			return 0
		}
	}
	cur := o
	for _, name := range path[:len(path)-1] {
		fs := ix.lookup(cur, name)
		if len(fs) != 1 || fs[0].RefValue == nil {
			return 0
		}
		if cur = ix.byID[*fs[0].RefValue]; cur == nil {
			return 0
		}
	}
	last := path[len(path)-1]
	if depth >= maxEvalDepth || strings.HasPrefix(last, "@") {
		return 0
	}
	fs := ix.lookup(cur, last)
	if len(fs) != 1 || fs[0].StringValue == nil {
		return 0
	}
	return c.value(cur, *fs[0].StringValue, depth+1)
}
