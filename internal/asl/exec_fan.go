package asl

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
)

// startFan starts a Parallel or Map state of f: its branches or its first
// iterations. It runs when the state is entered, and again when a retrier
// runs it again.
func (r *runner) startFan(f *Frame, st *state) error {
	ctx := r.context(f)
	var err error
	if st.typ == typeParallel {
		err = r.startParallel(f, st, ctx)
	} else {
		err = r.startMap(f, st, ctx)
	}
	var re *RuntimeError
	if errors.As(err, &re) {
		if re.ErrorName == ErrorQueryEvaluation {
			r.evaluationFailed(f, re)
			r.record(f, &Event{Type: st.typ + "StateFailed"})
		}
		return r.frameFail(f, re.ErrorName, re.CauseText)
	}
	return err
}

func (r *runner) startParallel(f *Frame, st *state, ctx *Context) error {
	e := newEnv(f.State, ctx)
	raw, err := e.decodeInput(f.Input, "state input")
	if err != nil {
		return err
	}
	var eff any
	if st.jsonata {
		eff = raw
		if st.arguments != nil {
			eff, err = st.arguments.eval(e, &jsonataScope{input: raw}, "Arguments")
		}
	} else {
		eff, err = st.effectiveInput(raw, e)
	}
	if err != nil {
		return err
	}
	input, err := e.encode(eff)
	if err != nil {
		return err
	}
	r.record(f, &Event{Type: "ParallelStateStarted"})
	f.Phase = phaseFan
	f.Fan = &fan{Eff: input, Results: make([]json.RawMessage, len(st.branches)), TolCount: -1, TolPct: -1}
	for i, b := range st.branches {
		r.newChild(f, i, b.StartAt, input, false)
		f.Fan.Started++
		f.Fan.Running++
	}
	return nil
}

func (r *runner) startMap(f *Frame, st *state, ctx *Context) error {
	ms := st.mapSpec
	e := newEnv(f.State, ctx)
	raw, err := e.decodeInput(f.Input, "state input")
	if err != nil {
		return err
	}
	var mi mapInputs
	if st.jsonata {
		err = mi.jsonata(r, f, ms, raw, e)
	} else {
		err = mi.jsonPath(r, f, st, ms, raw, e)
	}
	if err != nil {
		return err
	}
	eff, items, maxConc, tolCount, tolPct := mi.eff, mi.items, mi.maxConc, mi.tolCount, mi.tolPct
	var encoded []json.RawMessage
	if ms.batcher != nil {
		if encoded, err = r.batches(ms.batcher, items, eff, e); err != nil {
			return err
		}
	} else {
		encoded = make([]json.RawMessage, len(items))
		for i, it := range items {
			encoded[i] = encodeJSON(it)
		}
	}
	effJSON, err := e.encode(eff)
	if err != nil {
		return err
	}
	f.Phase = phaseFan
	f.Fan = &fan{Eff: effJSON, Items: encoded, Results: make([]json.RawMessage, len(encoded)), MaxConc: maxConc, TolCount: tolCount, TolPct: tolPct}
	if ms.distributed {
		r.record(f, &Event{Type: "MapRunStarted", MapFrame: f.ID, MapRun: &MapRunConfig{
			Label:                      ms.label,
			MaxConcurrency:             maxConc,
			ToleratedFailureCount:      tolCount,
			ToleratedFailurePercentage: tolPct,
			Executions:                 len(encoded),
			Items:                      len(items),
		}})
	}
	return r.progress(f)
}

// mapInputs is what a Map state works from: its effective input, its
// items, and its limits.
type mapInputs struct {
	eff      any
	items    []any
	maxConc  int
	tolCount int
	tolPct   float64
}

// jsonPath reads a JSONPath Map state's inputs. MapStateStarted is recorded
// once the items are known, before the tolerances are read, as on AWS.
func (mi *mapInputs) jsonPath(r *runner, f *Frame, st *state, ms *mapSpec, raw any, e *env) error {
	eff, err := st.inputPath.apply(raw, e)
	if err != nil {
		return err
	}
	mi.eff = eff
	mi.maxConc = ms.maxConcurrency
	if ms.maxConcurrencyPath != nil {
		if mi.maxConc, err = e.intAt(ms.maxConcurrencyPath, eff, "MaxConcurrencyPath"); err != nil {
			return err
		}
		if mi.maxConc < 0 {
			return e.fail("MaxConcurrency cannot be negative.")
		}
	}
	src := eff
	if ms.itemsPath != nil {
		v, ok := e.lookup(ms.itemsPath, eff)
		if !ok {
			return e.fail("Invalid path '%s' for ItemsPath : No results for path: %s", ms.itemsPath.text, ms.itemsPath.normalized())
		}
		src = v
	}
	items, ok := src.([]any)
	if !ok {
		return e.fail("Map state input must be an array but was: %s", encodeJSON(src))
	}
	mi.items = items
	r.record(f, &Event{Type: "MapStateStarted", Length: len(items)})
	mi.tolCount, mi.tolPct = ms.toleratedCount, ms.toleratedPercent
	if ms.toleratedCountPath != nil {
		if mi.tolCount, err = e.intAt(ms.toleratedCountPath, eff, "ToleratedFailureCountPath"); err != nil {
			return err
		}
		if mi.tolCount < 0 {
			return e.fail("ToleratedFailureCount cannot be negative.")
		}
	}
	if ms.toleratedPercentPath != nil {
		v, ok := e.lookup(ms.toleratedPercentPath, eff)
		n, isNum := v.(json.Number)
		if s, isStr := v.(string); isStr {
			n, isNum = json.Number(strings.TrimSpace(s)), true
		}
		pct, perr := strconv.ParseFloat(string(n), 64)
		if !ok || !isNum || perr != nil {
			return e.fail("The ToleratedFailurePercentagePath field refers to value \"%s\" which is not a valid float: %s", valueText(v), ms.toleratedPercentPath.text)
		}
		if pct < 0 || pct > 100 {
			return e.fail("ToleratedFailurePercentage must be between 0 and 100.")
		}
		mi.tolPct = pct
	}
	return nil
}

// jsonata reads a JSONata Map state's inputs: Items (default: the input)
// and the expressions of its limits, all on $states.input.
func (mi *mapInputs) jsonata(r *runner, f *Frame, ms *mapSpec, raw any, e *env) error {
	sc := &jsonataScope{input: raw}
	mi.eff = raw
	src := raw
	if ms.items != nil {
		v, err := ms.items.eval(e, sc, "Items")
		if err != nil {
			return err
		}
		if _, ok := v.([]any); !ok && ms.items.expr != nil {
			return e.unexpectedType(ms.items.expr, "Items", "array", v)
		}
		src = v
	}
	items, ok := src.([]any)
	if !ok {
		return e.queryError("Map state input must be an array but was: %s", encodeJSON(src))
	}
	mi.items = items
	var err error
	mi.maxConc = ms.maxConcurrency
	if ms.maxConcurrencyX != nil {
		if mi.maxConc, err = ms.maxConcurrencyX.eval(e, sc, "MaxConcurrency"); err != nil {
			return err
		}
	}
	r.record(f, &Event{Type: "MapStateStarted", Length: len(items)})
	mi.tolCount, mi.tolPct = ms.toleratedCount, ms.toleratedPercent
	if ms.toleratedCountX != nil {
		if mi.tolCount, err = ms.toleratedCountX.eval(e, sc, "ToleratedFailureCount"); err != nil {
			return err
		}
	}
	if ms.toleratedPercentX != nil {
		v, err := ms.toleratedPercentX.eval(e, sc, "ToleratedFailurePercentage")
		if err != nil {
			return err
		}
		n, isNum := v.(json.Number)
		pct, perr := strconv.ParseFloat(string(n), 64)
		if !isNum || perr != nil {
			return e.unexpectedType(ms.toleratedPercentX, "ToleratedFailurePercentage", "number", v)
		}
		if pct < 0 || pct > 100 {
			return e.queryError("ToleratedFailurePercentage must be between 0 and 100.")
		}
		mi.tolPct = pct
	}
	return nil
}

// updateMapRun applies UpdateMapRun's changes to the distributed Map state
// of p, and starts the iterations a higher MaxConcurrency allows or fails
// the Map Run if a lower tolerance is already exceeded.
func (r *runner) updateMapRun(p *Frame, u *MapRunUpdate) error {
	if p.Phase != phaseFan || p.Fan == nil || u == nil {
		return nil // the Map Run is over
	}
	st, err := r.parentState(p)
	if err != nil {
		return err
	}
	if st == nil || st.typ != typeMap || !st.mapSpec.distributed {
		return nil
	}
	fn := p.Fan
	if u.MaxConcurrency != nil {
		fn.MaxConc = *u.MaxConcurrency
	}
	if u.ToleratedFailureCount != nil {
		fn.TolCount = *u.ToleratedFailureCount
	}
	if u.ToleratedFailurePercentage != nil {
		fn.TolPct = *u.ToleratedFailurePercentage
	}
	if !tolerated(fn, len(fn.Items)) {
		return r.fanFailed(p, st, errorExceedTolerance, "The specified tolerated failure threshold was exceeded")
	}
	return r.progress(p)
}

// itemCount returns how many items an iteration's input holds: one, or
// the length of its batch's Items.
func itemCount(batched bool, input []byte) int {
	if !batched {
		return 1
	}
	var b struct {
		Items []json.RawMessage `json:"Items"`
	}
	if json.Unmarshal(input, &b) != nil {
		return 1
	}
	return len(b.Items)
}

// Map concurrency limits, as AWS documents them: an inline Map runs at
// most 40 iterations at once, a distributed Map at most 10,000 child
// executions, whatever MaxConcurrency says above that (0: no limit of its
// own).
const (
	maxInlineIterations    = 40
	maxDistributedChildren = 10000
)

// concurrencyLimit returns how many iterations a Map may run at once.
func concurrencyLimit(distributed bool, maxConc int) int {
	limit := maxInlineIterations
	if distributed {
		limit = maxDistributedChildren
	}
	if maxConc > 0 && maxConc < limit {
		limit = maxConc
	}
	return limit
}

// intAt reads the integer at p in data for the field named field.
func (e *env) intAt(p *path, data any, field string) (int, error) {
	v, ok := e.lookup(p, data)
	n, isInt := integer(v)
	if s, isStr := v.(string); isStr {
		// AWS parses a string holding an integer, e.g. a variable
		// assigned "1".
		n, isInt = integer(json.Number(strings.TrimSpace(s)))
	}
	if !ok || !isInt || n > math.MaxInt32 || n < math.MinInt32 {
		return 0, e.fail("The %s field refers to value \"%s\" which is not a valid integer: %s", field, valueText(v), p.text)
	}
	return int(n), nil
}

// valueText is v as AWS quotes it in messages: a string as it is, anything
// else as JSON.
func valueText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return string(encodeJSON(v))
}

// batches groups items as the ItemBatcher says: {"BatchInput": ..., "Items": [...]}.
func (r *runner) batches(b *batcher, items []any, eff any, e *env) ([]json.RawMessage, error) {
	maxItems, maxBytes := b.maxItems, b.maxBytes
	var err error
	if b.maxItemsPath != nil {
		if maxItems, err = e.intAt(b.maxItemsPath, eff, "MaxItemsPerBatchPath"); err != nil {
			return nil, err
		}
		if maxItems < 1 {
			return nil, e.fail("MaxItemsPerBatch must be positive.")
		}
	}
	if b.maxBytesPath != nil {
		if maxBytes, err = e.intAt(b.maxBytesPath, eff, "MaxInputBytesPerBatchPath"); err != nil {
			return nil, err
		}
		if maxBytes < 1 {
			return nil, e.fail("MaxInputBytesPerBatch must be positive.")
		}
	}
	if maxBytes == 0 || maxBytes > MaxPayload {
		maxBytes = MaxPayload
	}
	var batchInput any
	if b.batchInput != nil {
		if batchInput, err = b.batchInput.eval(eff, e); err != nil {
			return nil, err
		}
	}
	var out []json.RawMessage
	var cur []any
	size := 0
	flush := func() {
		o := newObject(2)
		if b.batchInput != nil {
			o.set("BatchInput", batchInput)
		}
		o.set("Items", cur)
		out = append(out, encodeJSON(o))
		cur, size = nil, 0
	}
	for _, it := range items {
		n := len(encodeJSON(it)) + 1
		if len(cur) > 0 && (maxItems > 0 && len(cur) >= maxItems || size+n > maxBytes) {
			flush()
		}
		cur = append(cur, it)
		size += n
	}
	if len(cur) > 0 {
		flush()
	}
	return out, nil
}

// progress starts the iterations a Map state may start now, and completes
// a Parallel or Map state whose children have all ended.
func (r *runner) progress(p *Frame) error {
	if r.ended {
		return errEnded
	}
	fn := p.Fan
	st, err := r.parentState(p)
	if err != nil {
		return err
	}
	if st.typ == typeMap {
		ms := st.mapSpec
		limit := concurrencyLimit(ms.distributed, fn.MaxConc)
		for fn.Started < len(fn.Items) && fn.Running < limit && !r.full {
			if r.overBudget() {
				r.ready(p)
				return nil
			}
			r.steps++
			i := fn.Started
			input, err := r.iterationInput(p, st, i)
			if err != nil {
				var re *RuntimeError
				if !errors.As(err, &re) {
					return err
				}
				r.abortChildren(p)
				if ms.distributed {
					r.record(p, &Event{Type: "MapRunFailed", Error: re.ErrorName, Cause: re.CauseText, MapFrame: p.ID})
				}
				p.Fan = nil
				return r.frameFail(p, re.ErrorName, re.CauseText)
			}
			if !ms.distributed {
				r.record(p, &Event{Type: "MapIterationStarted", State: p.State, Index: i})
			}
			c := r.newChild(p, i, ms.processor.StartAt, input, ms.distributed)
			if ms.distributed {
				r.env.Record.Record(&Event{Type: "ExecutionStarted", Child: c.Child, MapFrame: p.ID, Index: i, Input: input, Length: itemCount(ms.batcher != nil, fn.Items[i])}, 0)
			}
			fn.Started++
			fn.Running++
		}
		if fn.Running > 0 || fn.Started < len(fn.Items) {
			return nil
		}
		if ms.distributed {
			r.record(p, &Event{Type: "MapRunSucceeded", MapFrame: p.ID})
		}
		r.record(p, &Event{Type: "MapStateSucceeded"})
	} else if fn.Running > 0 {
		return nil
	}
	// The children's results as one array, null for an iteration that
	// failed within the tolerance.
	result := fn.Results.join()
	p.Fan = nil
	prog, err := r.program(p)
	if err != nil {
		return err
	}
	step, err := prog.TaskSucceeded(p.State, p.Input, result, r.context(p))
	if err != nil {
		var re *RuntimeError
		if !errors.As(err, &re) {
			return err
		}
		r.evaluationFailed(p, re)
		return r.stateError(p, re.ErrorName, re.CauseText, nil)
	}
	return r.after(p, step)
}

// iterationInput returns the input of iteration i: its item, or what the
// ItemSelector makes of it.
func (r *runner) iterationInput(p *Frame, st *state, i int) ([]byte, error) {
	item := p.Fan.Items[i]
	ms := st.mapSpec
	if ms.itemSelector == nil && ms.itemSelectorX == nil {
		return item, nil
	}
	ctx := r.context(p)
	e := newEnv(p.State, ctx)
	value, err := decodeData(item)
	if err != nil {
		return nil, err
	}
	ctx.mapItem = &mapItem{index: i, value: value}
	// The effective input holds every item: decode it once per Run, not
	// per iteration (the ItemSelector only reads it), and not at all for
	// an ItemSelector that reads only $$ and variables.
	eff, ok := r.effs[p.Fan]
	if !ok && ms.itemSelector != nil && !ms.itemSelector.readsInput() {
		eff, ok = nil, true
	}
	if !ok {
		if eff, err = decodeData(p.Fan.Eff); err != nil {
			return nil, err
		}
		if r.effs == nil {
			r.effs = make(map[*fan]any)
		}
		r.effs[p.Fan] = eff
	}
	var v any
	if ms.itemSelectorX != nil {
		v, err = ms.itemSelectorX.eval(e, &jsonataScope{input: eff}, "ItemSelector")
	} else {
		v, err = ms.itemSelector.eval(eff, e)
	}
	if err != nil {
		return nil, err
	}
	return e.encode(v)
}
