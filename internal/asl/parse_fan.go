package asl

import (
	"encoding/json"
	"strconv"
)

// State types that run other states: Parallel branches and Map iterations.
const (
	typeParallel = "Parallel"
	typeMap      = "Map"
)

// Map processing modes (ItemProcessor.ProcessorConfig.Mode).
const (
	modeInline      = "INLINE"
	modeDistributed = "DISTRIBUTED"
)

var (
	branchFields       = setOf("StartAt", "States", "Comment")
	processorFields    = setOf("StartAt", "States", "Comment", "ProcessorConfig")
	processorConfig    = setOf("Mode", "ExecutionType")
	itemBatcherFields  = setOf("MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath", "BatchInput")
	maxMapConcurrency  = 1 << 30
	maxBatchInputBytes = MaxPayload
)

// mapSpec is a Map state's own fields.
type mapSpec struct {
	processor     *Machine
	distributed   bool
	executionType string // DISTRIBUTED: "STANDARD" or "EXPRESS"
	label         string

	itemsPath    *path     // nil: the whole effective input
	itemSelector *template // ItemSelector, or the legacy Parameters

	maxConcurrency     int
	maxConcurrencyPath *path

	toleratedCount       int // -1: not set
	toleratedCountPath   *path
	toleratedPercent     float64 // -1: not set
	toleratedPercentPath *path

	batcher *batcher

	// JSONata states.
	items             *jtemplate      // Items: an array or an expression; nil: the input
	itemSelectorX     *jtemplate      // ItemSelector
	maxConcurrencyX   *jsonataSeconds // MaxConcurrency as an expression
	toleratedCountX   *jsonataSeconds // ToleratedFailureCount as an expression
	toleratedPercentX *jsonataExpr    // ToleratedFailurePercentage as an expression
}

// batcher is a Map state's ItemBatcher: iterations get batches of items,
// {"BatchInput": ..., "Items": [...]}.
type batcher struct {
	maxItems     int
	maxItemsPath *path
	maxBytes     int
	maxBytesPath *path
	batchInput   *template
}

// parseParallel reads a Parallel state's fields.
func parseParallel(f fields, st *state) {
	parseNextOrEnd(f, st)
	st.retriers = parseRetry(f)
	st.catchers = parseCatch(f, st.jsonata)
	if st.jsonata {
		if v, ok := f.obj.get("Arguments"); ok {
			st.arguments = compileJTemplate(f.sc.at("Arguments"), v)
		}
	} else {
		parseDataFlow(f, st)
	}
	sc := f.sc.at("Branches")
	v, ok := f.obj.get("Branches")
	if !ok {
		sc.problem(CodeSchemaValidation, "is required")
		return
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		sc.problem(CodeSchemaValidation, "must be a non-empty array of branches, each with StartAt and States")
		return
	}
	for i, b := range arr {
		bsc := sc.elem(i)
		bsc.who = f.sc.who + " branch " + strconv.Itoa(i)
		bsc.field, bsc.state = "", ""
		st.branches = append(st.branches, parseSubMachine(bsc, b, branchFields, "a Parallel branch"))
	}
}

// parseSubMachine reads a Parallel branch or a Map ItemProcessor at sc.
func parseSubMachine(sc scope, v any, allowed map[string]bool, what string) *Machine {
	m := &Machine{states: make(map[string]*state)}
	obj, ok := v.(*object)
	if !ok {
		sc.problem(CodeSchemaValidation, "must be an object with StartAt and States, not %s", describe(v))
		return m
	}
	f := fields{sc: sc, obj: obj}
	f.unknown(allowed, what)
	f.str("Comment", false)
	parseStates(sc, f, m)
	return m
}

// parseMap reads a Map state's fields.
func parseMap(f fields, st *state) {
	parseNextOrEnd(f, st)
	st.retriers = parseRetry(f)
	st.catchers = parseCatch(f, st.jsonata)
	ms := &mapSpec{toleratedCount: -1, toleratedPercent: -1}
	st.mapSpec = ms
	if st.jsonata {
		parseMapJSONata(f, ms)
	} else {
		parseMapJSONPath(f, st, ms)
	}

	proc, iter := f.has("ItemProcessor"), f.has("Iterator")
	switch {
	case proc && iter:
		f.sc.at("Iterator").problem(CodeSchemaValidation, "cannot be used together with 'ItemProcessor' (Iterator is its older name)")
	case !proc && !iter:
		f.sc.at("ItemProcessor").problem(CodeSchemaValidation, "is required")
	}
	key := "ItemProcessor"
	if iter && !proc {
		key = "Iterator"
	}
	if v, ok := f.obj.get(key); ok {
		psc := f.sc.at(key)
		psc.who = f.sc.who + " " + key
		psc.field, psc.state = "", ""
		ms.processor = parseSubMachine(psc, v, processorFields, "a Map "+key)
		if obj, ok := v.(*object); ok {
			parseProcessorConfig(fields{sc: f.sc.at(key), obj: obj}, ms)
		}
	}

	ms.label, _ = f.str("Label", false)
	if v, ok := f.obj.get("ItemBatcher"); ok {
		bsc := f.sc.at("ItemBatcher")
		obj, ok := v.(*object)
		if !ok {
			bsc.problem(CodeSchemaValidation, "must be an object, not %s", describe(v))
			return
		}
		bf := fields{sc: bsc, obj: obj}
		bf.unknown(itemBatcherFields, "an ItemBatcher")
		b := &batcher{}
		b.maxItems, _ = bf.integer("MaxItemsPerBatch", 1, maxMapConcurrency)
		b.maxItemsPath = bf.path("MaxItemsPerBatchPath", true, true)
		b.maxBytes, _ = bf.integer("MaxInputBytesPerBatch", 1, maxBatchInputBytes)
		b.maxBytesPath = bf.path("MaxInputBytesPerBatchPath", true, true)
		b.batchInput = bf.template("BatchInput")
		if b.maxItems == 0 && b.maxItemsPath == nil && b.maxBytes == 0 && b.maxBytesPath == nil {
			bsc.problem(CodeSchemaValidation, "must set MaxItemsPerBatch, MaxInputBytesPerBatch or one of their Path forms")
		}
		ms.batcher = b
	}
}

// parseMapJSONPath reads the fields of a JSONPath Map state.
func parseMapJSONPath(f fields, st *state, ms *mapSpec) {
	st.inputPath = f.dataPath("InputPath")
	st.resultSelector = f.template("ResultSelector")
	st.resultPath = f.resultPath("ResultPath")
	st.outputPath = f.dataPath("OutputPath")
	if f.has("ItemSelector") && f.has("Parameters") {
		f.sc.at("Parameters").problem(CodeSchemaValidation, "cannot be used together with 'ItemSelector' (Parameters is its older name)")
	}
	ms.itemSelector = f.template("ItemSelector")
	if ms.itemSelector == nil {
		ms.itemSelector = f.template("Parameters")
	}
	if p := f.path("ItemsPath", true, true); p != nil && (len(p.segs) > 0 || p.context) {
		ms.itemsPath = p
	}

	if f.has("MaxConcurrency") && f.has("MaxConcurrencyPath") {
		f.sc.at("MaxConcurrencyPath").problem(CodeSchemaValidation, "cannot be used together with 'MaxConcurrency'")
	}
	ms.maxConcurrency, _ = f.integer("MaxConcurrency", 0, maxMapConcurrency)
	ms.maxConcurrencyPath = f.path("MaxConcurrencyPath", true, true)

	if f.has("ToleratedFailureCount") && f.has("ToleratedFailureCountPath") {
		f.sc.at("ToleratedFailureCountPath").problem(CodeSchemaValidation, "cannot be used together with 'ToleratedFailureCount'")
	}
	if n, ok := f.integer("ToleratedFailureCount", 0, maxMapConcurrency); ok {
		ms.toleratedCount = n
	}
	ms.toleratedCountPath = f.path("ToleratedFailureCountPath", true, true)
	if f.has("ToleratedFailurePercentage") && f.has("ToleratedFailurePercentagePath") {
		f.sc.at("ToleratedFailurePercentagePath").problem(CodeSchemaValidation, "cannot be used together with 'ToleratedFailurePercentage'")
	}
	if v, ok := f.obj.get("ToleratedFailurePercentage"); ok {
		n, isNum := v.(json.Number)
		pct, err := strconv.ParseFloat(string(n), 64)
		if !isNum || err != nil || pct < 0 || pct > 100 {
			f.sc.at("ToleratedFailurePercentage").problem(CodeSchemaValidation, "must be a number from 0 to 100, not %s", encodeJSON(v))
		} else {
			ms.toleratedPercent = pct
		}
	}
	ms.toleratedPercentPath = f.path("ToleratedFailurePercentagePath", true, true)

}

// parseMapJSONata reads the fields of a JSONata Map state.
func parseMapJSONata(f fields, ms *mapSpec) {
	if v, ok := f.obj.get("Items"); ok {
		switch v.(type) {
		case []any, string:
			ms.items = compileJTemplate(f.sc.at("Items"), v)
		default:
			f.sc.at("Items").problem(CodeSchemaValidation, "must be an array or a JSONata expression, not %s", describe(v))
		}
	}
	if v, ok := f.obj.get("ItemSelector"); ok {
		ms.itemSelectorX = compileJTemplate(f.sc.at("ItemSelector"), v)
	}
	ms.maxConcurrency, ms.maxConcurrencyX = f.secondsOrExpr("MaxConcurrency", 0)
	var n int
	if n, ms.toleratedCountX = f.secondsOrExpr("ToleratedFailureCount", 0); f.has("ToleratedFailureCount") && ms.toleratedCountX == nil {
		ms.toleratedCount = n
	}
	if v, ok := f.obj.get("ToleratedFailurePercentage"); ok {
		if s, isStr := v.(string); isStr {
			ms.toleratedPercentX = compileExprAt(f.sc.at("ToleratedFailurePercentage"), s)
		} else if num, isNum := v.(json.Number); isNum {
			pct, err := strconv.ParseFloat(string(num), 64)
			if err != nil || pct < 0 || pct > 100 {
				f.sc.at("ToleratedFailurePercentage").problem(CodeSchemaValidation, "must be a number from 0 to 100, not %s", encodeJSON(v))
			} else {
				ms.toleratedPercent = pct
			}
		} else {
			f.sc.at("ToleratedFailurePercentage").problem(CodeSchemaValidation, "must be a number or a JSONata expression, not %s", describe(v))
		}
	}
}

// parseProcessorConfig reads ItemProcessor.ProcessorConfig.
func parseProcessorConfig(f fields, ms *mapSpec) {
	v, ok := f.obj.get("ProcessorConfig")
	if !ok {
		return
	}
	sc := f.sc.at("ProcessorConfig")
	obj, ok := v.(*object)
	if !ok {
		sc.problem(CodeSchemaValidation, "must be an object, not %s", describe(v))
		return
	}
	cf := fields{sc: sc, obj: obj}
	cf.unknown(processorConfig, "ProcessorConfig")
	switch mode, ok := cf.str("Mode", false); {
	case !ok, mode == modeInline:
	case mode == modeDistributed:
		ms.distributed = true
		ms.executionType = "STANDARD"
	default:
		sc.at("Mode").problem(CodeSchemaValidation, "must be \"INLINE\" or \"DISTRIBUTED\", not %q", mode)
	}
	switch et, ok := cf.str("ExecutionType", false); {
	case !ok:
	case et == "STANDARD" || et == "EXPRESS":
		if !ms.distributed {
			sc.at("ExecutionType").problem(CodeSchemaValidation, "is allowed only with \"Mode\": \"DISTRIBUTED\"")
		}
		ms.executionType = et
	default:
		sc.at("ExecutionType").problem(CodeSchemaValidation, "must be \"STANDARD\" or \"EXPRESS\", not %q", et)
	}
}
