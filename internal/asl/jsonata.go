package asl

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	jsonata "github.com/blues/jsonata-go"
	"github.com/blues/jsonata-go/jlib"
	"github.com/blues/jsonata-go/jtypes"
)

// JSONata expressions are evaluated by github.com/blues/jsonata-go, a Go
// port of JSONata 1.5 with most later functions; AWS runs JSONata 2.0.6.
// The wrapper here binds $states and the workflow variables, adds the
// functions AWS adds ($partition, $range, $hash, $random, $uuid, $parse),
// replaces those that would read the clock or a global random source
// ($now, $millis, $random, $shuffle) with pure ones, and converts between
// asl's values and the library's (float64 numbers, Go maps).
//
// Known differences from AWS (JSONata 2.0.6): the parent operator (%), the
// @ and # bindings, $eval, $assert, $formatInteger and $parseInteger are
// missing; an object built inside an expression has its keys sorted (Go maps
// have no order), whereas objects taken from the input keep their order;
// regular expressions follow Go's RE2 syntax.

// ErrorQueryEvaluation is the error of a JSONata expression that fails or
// yields a value of the wrong kind.
const ErrorQueryEvaluation = "States.QueryEvaluationError"

// maxRangeItems bounds the arrays $range builds.
const maxRangeItems = 1_000_000

// jsonataExpr is a compiled "{% ... %}" expression.
type jsonataExpr struct {
	text string // the expression between the delimiters, trimmed
	expr *jsonata.Expr
	vars []string // the $names the text mentions, sorted
	path []string // for a plain path such as $states.input.items: its steps ("states", "input", "items")
}

// simplePath returns the steps of text if it is a plain path of names from
// a variable ($states.input.a.b, $v.a), else nil.
func simplePath(text string) []string {
	if !strings.HasPrefix(text, "$") {
		return nil
	}
	steps := strings.Split(text[1:], ".")
	for _, st := range steps {
		if st == "" {
			return nil
		}
		for i, r := range st {
			if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
				return nil
			}
		}
	}
	return steps
}

// emptyArrayAt reports whether x is a plain path that ends at an empty
// array. JSONata 2.x, which AWS runs, answers [] for it; the library, a
// port of 1.x, answers undefined.
func (x *jsonataExpr) emptyArrayAt(e *env, sc *jsonataScope) bool {
	if x.path == nil {
		return false
	}
	var v any
	var ok bool
	if x.path[0] == "states" {
		v, ok = sc.states(e), true
	} else {
		v, ok = e.variable(x.path[0])
	}
	for _, name := range x.path[1:] {
		o, isObj := v.(*object)
		if !ok || !isObj {
			return false
		}
		v, ok = o.get(name)
	}
	a, isArr := v.([]any)
	return ok && isArr && len(a) == 0
}

// jsonataText returns the expression inside s if s is a JSONata string:
// "{%" first and "%}" last, with nothing outside them.
func jsonataText(s string) (string, bool) {
	if len(s) < 4 || !strings.HasPrefix(s, "{%") || !strings.HasSuffix(s, "%}") {
		return "", false
	}
	return strings.TrimSpace(s[2 : len(s)-2]), true
}

// compileJSONata compiles the text of an expression (without delimiters).
func compileJSONata(text string) (x *jsonataExpr, err error) {
	defer func() {
		if r := recover(); r != nil {
			x, err = nil, fmt.Errorf("%v", r)
		}
	}()
	if text == "" {
		return nil, errors.New("the expression is empty")
	}
	e, err := jsonata.Compile(text)
	if err != nil {
		return nil, err
	}
	return &jsonataExpr{text: text, expr: e, vars: mentionedVars(text), path: simplePath(text)}, nil
}

// mentionedVars returns every name written as $name in text, sorted. It may
// include names that are not variable references (inside string literals):
// it only narrows which workflow variables are converted for an evaluation.
func mentionedVars(text string) []string {
	var names []string
	for i := 0; i < len(text); i++ {
		if text[i] != '$' {
			continue
		}
		j := i + 1
		for j < len(text) {
			r, size := utf8.DecodeRuneInString(text[j:])
			if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				break
			}
			j += size
		}
		if j > i+1 {
			names = append(names, text[i+1:j])
		}
		i = j - 1
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// jsonataScope is what one evaluation sees besides the variables: the
// $states fields.
type jsonataScope struct {
	input       any
	result      any
	hasResult   bool
	errorOutput any
	hasError    bool
}

// states builds the $states value.
func (s *jsonataScope) states(e *env) *object {
	o := newObject(4)
	o.set("input", s.input)
	if s.hasResult {
		o.set("result", s.result)
	}
	if s.hasError {
		o.set("errorOutput", s.errorOutput)
	}
	o.set("context", e.contextObject())
	return o
}

// queryError returns a States.QueryEvaluationError of the state.
func (e *env) queryError(format string, args ...any) *RuntimeError {
	return &RuntimeError{
		ErrorName: ErrorQueryEvaluation,
		CauseText: e.causePrefix() + fmt.Sprintf(format, args...),
	}
}

// eval evaluates x for the field named field (e.g. "Output/result", for
// messages). The result must be a JSON value.
func (x *jsonataExpr) eval(e *env, sc *jsonataScope, field string) (any, error) {
	v, err := x.evalRaw(e, sc)
	if err != nil {
		if errors.Is(err, jsonata.ErrUndefined) {
			if x.emptyArrayAt(e, sc) {
				return []any{}, nil
			}
			return nil, e.queryError("The JSONata expression '%s' specified for the field '%s' returned nothing (undefined).", x.text, field)
		}
		return nil, e.queryError("The JSONata expression '%s' specified for the field '%s' threw an error during evaluation. %s", x.text, field, errorText(err))
	}
	out, ok := fromJSONata(reflect.ValueOf(v), e.orders)
	if !ok {
		return nil, e.queryError("The JSONata expression '%s' specified for the field '%s' returned an unsupported result type.", x.text, field)
	}
	return out, nil
}

// errorText returns the message of an error from the library.
func errorText(err error) string {
	msg := err.Error()
	if msg == "" {
		return "unknown error"
	}
	return strings.ToUpper(msg[:1]) + msg[1:]
}

// evalRaw runs the expression with $states and the variables bound.
func (x *jsonataExpr) evalRaw(e *env, sc *jsonataScope) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("%v", r)
		}
	}()
	if e.orders == nil {
		e.orders = make(map[uintptr]keptOrder)
	}
	vars := make(map[string]any, len(x.vars)+1)
	for _, name := range x.vars {
		if name == "states" {
			continue
		}
		if val, ok := e.variable(name); ok {
			vars[name] = toJSONata(val, e.orders)
		}
	}
	vars["states"] = toJSONata(sc.states(e), e.orders)
	expr := *x.expr // a copy: the registry below is this evaluation's own
	if err := expr.RegisterExts(e.jsonataFunctions()); err != nil {
		return nil, err
	}
	if err := expr.RegisterVars(vars); err != nil {
		return nil, err
	}
	return expr.Eval(nil)
}

// toJSONata converts an asl value to the library's: float64 numbers and
// map[string]any objects, whose key order is kept in orders.
func toJSONata(v any, orders map[uintptr]keptOrder) any {
	switch v := v.(type) {
	case nil:
		// The library's null is a nil *interface{}; a plain nil is
		// undefined to it (a missing field).
		return jsonataNull
	case []any:
		a := make([]any, len(v))
		for i, x := range v {
			a[i] = toJSONata(x, orders)
		}
		return a
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			// Out of float64 range: JavaScript makes it ±Infinity, which
			// JSON cannot carry; keep the nearest finite value.
			if f > 0 {
				return math.MaxFloat64
			}
			return -math.MaxFloat64
		}
		return f
	case *object:
		m := make(map[string]any, len(v.keys))
		for i, k := range v.keys {
			m[k] = toJSONata(v.vals[i], orders)
		}
		orders[reflect.ValueOf(m).Pointer()] = keptOrder{m: m, keys: v.keys}
		return m
	}
	return v
}

// jsonataNull is JSON null as the library represents it.
var jsonataNull *any

// keptOrder is the key order of an object handed to the library; it keeps
// the map alive so that its address is not reused within the evaluation.
type keptOrder struct {
	m    map[string]any
	keys []string
}

// fromJSONata converts a result back to an asl value. Objects that came from
// asl keep their key order (new keys follow, sorted); others have their keys
// sorted. ok is false for a value JSON cannot hold (a function).
func fromJSONata(v reflect.Value, orders map[uintptr]keptOrder) (any, bool) {
	if !v.IsValid() {
		return nil, true
	}
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			if v.Kind() == reflect.Pointer && jtypes.IsCallable(v) {
				return nil, false
			}
			return nil, true
		}
		if jtypes.IsCallable(v) {
			return nil, false
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Bool:
		return v.Bool(), true
	case reflect.String:
		return v.String(), true
	case reflect.Float32, reflect.Float64:
		return jsNumber(v.Float()), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return jsNumber(float64(v.Int())), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return jsNumber(float64(v.Uint())), true
	case reflect.Slice, reflect.Array:
		a := make([]any, 0, v.Len())
		for i := 0; i < v.Len(); i++ {
			x, ok := fromJSONata(v.Index(i), orders)
			if !ok {
				return nil, false
			}
			a = append(a, x)
		}
		return a, true
	case reflect.Map:
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			if k.Kind() != reflect.String {
				return nil, false
			}
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		if known, ok := orders[v.Pointer()]; ok {
			keys = keepOrder(known.keys, keys)
		}
		o := newObject(len(keys))
		for _, k := range keys {
			x, ok := fromJSONata(v.MapIndex(reflect.ValueOf(k)), orders)
			if !ok {
				return nil, false
			}
			o.set(k, x)
		}
		return o, true
	}
	return nil, false
}

// keepOrder returns the keys of sorted in the order of known, then those
// not in known, sorted.
func keepOrder(known, sorted []string) []string {
	present := make(map[string]bool, len(sorted))
	for _, k := range sorted {
		present[k] = true
	}
	out := make([]string, 0, len(sorted))
	for _, k := range known {
		if present[k] {
			out = append(out, k)
			delete(present, k)
		}
	}
	for _, k := range sorted {
		if present[k] {
			out = append(out, k)
		}
	}
	return out
}

// jsNumber writes f as JavaScript's Number.prototype.toString does: without
// an exponent from 1e-6 up to 1e21, and -0 as 0.
func jsNumber(f float64) json.Number {
	if f == 0 {
		return "0"
	}
	if a := math.Abs(f); a >= 1e-6 && a < 1e21 {
		return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // 1e+21, 1.5e-07
	mant, exp, _ := strings.Cut(s, "e")
	sign := exp[:1]
	digits := strings.TrimLeft(exp[1:], "0")
	return json.Number(mant + "e" + sign + digits)
}

// jsonataFunctions returns the functions bound for one evaluation: AWS's
// additions and pure replacements for the library's clock and randomness.
func (e *env) jsonataFunctions() map[string]jsonata.Extension {
	millis := e.ctx.EnteredTime.UnixMilli()
	return map[string]jsonata.Extension{
		"partition": {Func: jsonataPartition},
		"range":     {Func: jsonataRange},
		"hash":      {Func: jsonataHash},
		"parse":     {Func: func(s string) (any, error) { return jsonataParse(s, e.orders) }},
		"random": {Func: func(seed jtypes.OptionalValue) float64 {
			if seed.IsSet() {
				return seededRandom(seed.Value)
			}
			return e.rand().Float64()
		}},
		"uuid":    {Func: func() string { return newUUID(e.rand()) }},
		"shuffle": {Func: func(v reflect.Value) any { return shuffle(v, e.rand()) }},
		"millis":  {Func: func() float64 { return float64(millis) }},
		"now": {Func: func(picture, tz jtypes.OptionalString) (string, error) {
			return jlib.FromMillis(millis, picture, tz)
		}},
		"encodeUrlComponent": {Func: func(s string) string { return encodeURI(s, "-_.!~*'()") }},
		"encodeUrl":          {Func: func(s string) string { return encodeURI(s, "-_.!~*'();/?:@&=+$,#") }},
	}
}

// rand returns the source of randomness: Context.Rand, or a fixed seed.
func (e *env) rand() *rand.Rand {
	if e.ctx.Rand != nil {
		return e.ctx.Rand
	}
	if e.fixedRand == nil {
		e.fixedRand = rand.New(rand.NewPCG(0, 0))
	}
	return e.fixedRand
}

// jsonataPartition is $partition(array, size): the array in chunks of size
// elements, the last possibly shorter.
func jsonataPartition(arr reflect.Value, size float64) (any, error) {
	items := arrayItems(arr)
	if size != math.Trunc(size) || size < 1 {
		return nil, fmt.Errorf("the chunk size of $partition must be a positive integer, not %v", jsNumber(size))
	}
	n := int(min(size, float64(len(items)+1)))
	chunks := []any{}
	for len(items) > 0 {
		k := min(n, len(items))
		chunks = append(chunks, slices.Clone(items[:k]))
		items = items[k:]
	}
	return chunks, nil
}

// arrayItems returns an argument as an array: a single value is an array
// of one, as JSONata's array signatures take it.
func arrayItems(v reflect.Value) []any {
	for v.IsValid() && v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	if !v.IsValid() {
		return nil
	}
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return []any{v.Interface()}
	}
	items := make([]any, v.Len())
	for i := range items {
		items[i] = v.Index(i).Interface()
	}
	return items
}

// jsonataRange is $range(start, end, step): start, start+step, ... up to
// end inclusive, with the arguments truncated to integers. A step that never
// reaches end yields nothing; one item is that number, as in JSONata.
func jsonataRange(start, end, step float64) (any, error) {
	a, b, s := math.Trunc(start), math.Trunc(end), math.Trunc(step)
	if s == 0 || s > 0 && a > b || s < 0 && a < b {
		return nil, jtypes.ErrUndefined
	}
	count := math.Floor((b-a)/s) + 1
	if count > maxRangeItems {
		return nil, fmt.Errorf("$range would return %v items; at most %d are allowed", jsNumber(count), maxRangeItems)
	}
	if count == 1 {
		return a, nil
	}
	out := make([]any, int(count))
	for i := range out {
		out[i] = a + float64(i)*s
	}
	return out, nil
}

// jsonataHash is $hash(value, algorithm): the hex digest of the string.
func jsonataHash(value, algorithm string) (string, error) {
	var h hash.Hash
	switch algorithm {
	case "MD5":
		h = md5.New()
	case "SHA-1":
		h = sha1.New()
	case "SHA-256":
		h = sha256.New()
	case "SHA-384":
		h = sha512.New384()
	case "SHA-512":
		h = sha512.New()
	default:
		return "", fmt.Errorf("the algorithm of $hash must be one of MD5, SHA-1, SHA-256, SHA-384 and SHA-512, not %q", algorithm)
	}
	h.Write([]byte(value))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// jsonataParse is $parse(text): the JSON value text holds.
func jsonataParse(text string, orders map[uintptr]keptOrder) (any, error) {
	v, err := decodeJSON([]byte(text), false)
	if err != nil {
		return nil, fmt.Errorf("$parse was given text that is not JSON: %v", err)
	}
	return toJSONata(v, orders), nil
}

// seededRandom is $random(seed): a number in [0, 1) fixed by the seed.
func seededRandom(seed reflect.Value) float64 {
	v, _ := fromJSONata(seed, nil)
	sum := sha256.Sum256(encodeJSON(v))
	var a, b uint64
	for i := range 8 {
		a = a<<8 | uint64(sum[i])
		b = b<<8 | uint64(sum[8+i])
	}
	return rand.New(rand.NewPCG(a, b)).Float64()
}

// newUUID returns a version 4 UUID drawn from r.
func newUUID(r *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		x := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(x >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// shuffle is $shuffle(array) with r as the source.
func shuffle(v reflect.Value, r *rand.Rand) any {
	items := arrayItems(v)
	r.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	return items
}

// encodeURI percent-encodes s as JavaScript's encodeURIComponent (keep
// "-_.!~*'()") or encodeURI (keep also ";/?:@&=+$,#") does.
func encodeURI(s, keep string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(keep, c) >= 0) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xf])
	}
	return b.String()
}
