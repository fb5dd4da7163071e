package asl

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrorIntrinsicFailure is the error of a state whose intrinsic function
// failed on its arguments: a value of the wrong type, an index out of range,
// text that is not JSON or Base64. Retry and Catch may match it.
const ErrorIntrinsicFailure = "States.IntrinsicFailure"

// Limits AWS documents for intrinsic functions.
const (
	maxIntrinsicDepth = 10    // calls nested inside the outermost one
	maxArrayRange     = 1000  // States.ArrayRange items
	maxEncodeChars    = 10000 // States.Base64Encode, Base64Decode, Hash input (UTF-16 units)
)

// An intrinsic is a parsed intrinsic function call such as
// States.Format('{} items', States.ArrayLength($.items)).
//
// Arguments are string literals in single quotes (\' \{ \} and \\ are the
// only escapes), JSON numbers, true, false, null, paths on the data ($...),
// on the context object ($$...) or on a workflow variable ($name...), and
// nested calls. The call is checked when the definition is parsed: the
// function exists, the number of arguments is right, and literal arguments
// have the right type and value. Everything else is checked when it runs.
type intrinsic struct {
	fn   *intrinsicFunc
	text string // the call as written
	args []intrinsicArg
}

// argKind says what an intrinsic argument is.
type argKind uint8

const (
	argString argKind = iota + 1
	argNumber
	argBool
	argNull
	argPath // $..., $$... or $name...
	argCall
)

// intrinsicArg is one argument of an intrinsic call.
type intrinsicArg struct {
	kind  argKind
	text  string // as written
	value any    // argString, argNumber, argBool: the literal (string, json.Number, bool)
	// pieces is a string literal split at its unescaped "{}" placeholders,
	// for States.Format: "a {} b \{}" is ["a ", " b {}"].
	pieces []string
	path   *path // argPath
	call   *intrinsic
}

// literal reports whether the argument is a literal (not a path or a call).
func (a *intrinsicArg) literal() bool {
	return a.kind == argString || a.kind == argNumber || a.kind == argBool || a.kind == argNull
}

// intrinsicFunc describes one intrinsic function.
type intrinsicFunc struct {
	name     string
	min, max int // number of arguments; max < 0: no limit
	// check checks the literal arguments of a call when the definition is
	// parsed; it returns what is wrong, or "".
	check func(args []intrinsicArg) string
	eval  func(c *callEnv, args []any) (any, error)
}

// intrinsicFuncs are the functions by name.
var intrinsicFuncs = byName([]*intrinsicFunc{
	{name: "States.Format", min: 1, max: -1, check: checkFormat, eval: evalFormat},
	{name: "States.StringToJson", min: 1, max: 1, check: literalTypes("a string"), eval: evalStringToJSON},
	{name: "States.JsonToString", min: 1, max: 1, check: checkJSONToString, eval: evalJSONToString},
	{name: "States.Array", min: 0, max: -1, eval: evalArray},
	{name: "States.ArrayPartition", min: 2, max: 2, check: checkArrayPartition, eval: evalArrayPartition},
	{name: "States.ArrayContains", min: 2, max: 2, check: literalTypes("an array", ""), eval: evalArrayContains},
	{name: "States.ArrayRange", min: 3, max: 3, check: checkArrayRange, eval: evalArrayRange},
	{name: "States.ArrayGetItem", min: 2, max: 2, check: checkArrayGetItem, eval: evalArrayGetItem},
	{name: "States.ArrayLength", min: 1, max: 1, check: literalTypes("an array"), eval: evalArrayLength},
	{name: "States.ArrayUnique", min: 1, max: 1, check: literalTypes("an array"), eval: evalArrayUnique},
	{name: "States.Base64Encode", min: 1, max: 1, check: literalTypes("a string"), eval: evalBase64Encode},
	{name: "States.Base64Decode", min: 1, max: 1, check: literalTypes("a string"), eval: evalBase64Decode},
	{name: "States.Hash", min: 2, max: 2, check: checkHash, eval: evalHash},
	{name: "States.JsonMerge", min: 3, max: 3, check: checkJSONMerge, eval: evalJSONMerge},
	{name: "States.MathRandom", min: 2, max: 3, check: checkMathRandom, eval: evalMathRandom},
	{name: "States.MathAdd", min: 2, max: 2, check: literalTypes("a number", "a number"), eval: evalMathAdd},
	{name: "States.StringSplit", min: 2, max: 2, check: literalTypes("a string", "a string"), eval: evalStringSplit},
	{name: "States.UUID", min: 0, max: 0, eval: evalUUID},
})

// byName indexes fns by name.
func byName(fns []*intrinsicFunc) map[string]*intrinsicFunc {
	m := make(map[string]*intrinsicFunc, len(fns))
	for _, f := range fns {
		m[f.name] = f
	}
	return m
}

// compileIntrinsic parses the intrinsic call s found at sc, recording a
// problem (and returning nil) if it is not a valid call.
func compileIntrinsic(sc scope, s string) *intrinsic {
	call, err := parseIntrinsic(s)
	if err != nil {
		if pe, ok := err.(*pathError); ok && pe.unsupported {
			sc.problem(CodeUnsupportedFeature, "uses a JSONPath feature gaffer does not support in an intrinsic function argument ('%s'): %s", s, pe.msg)
			return nil
		}
		sc.problem(CodeSchemaValidation, "must be a valid JSONPath or a valid intrinsic function call ('%s'): %v", s, err)
		return nil
	}
	return call
}

// pathOrCall reads the member key, a field such as a Fail state's ErrorPath
// that takes a reference path (on the data or the context object) or an
// intrinsic function call.
func (f fields) pathOrCall(key string) (*path, *intrinsic) {
	v, ok := f.obj.get(key)
	if !ok {
		return nil, nil
	}
	if s, ok := v.(string); ok {
		if _, ok := intrinsicName(s); ok {
			return nil, compileIntrinsic(f.sc.at(key), s)
		}
	}
	return f.path(key, true, true), nil
}

// intrinsicParser reads an intrinsic call.
type intrinsicParser struct {
	s string
	i int
}

// parseIntrinsic parses s, which must be exactly one intrinsic call.
func parseIntrinsic(s string) (*intrinsic, error) {
	p := &intrinsicParser{s: s}
	call, err := p.call(0)
	if err != nil {
		return nil, err
	}
	p.spaces()
	if p.i < len(s) {
		return nil, fmt.Errorf("unexpected %q after the call at offset %d", p.rest(), p.i)
	}
	return call, nil
}

// rest returns a short excerpt of the text from the current offset.
func (p *intrinsicParser) rest() string {
	r := p.s[p.i:]
	if len(r) > 20 {
		r = r[:20] + "..."
	}
	return r
}

// spaces skips white space.
func (p *intrinsicParser) spaces() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// call reads a call at p.i; depth counts the calls around it.
func (p *intrinsicParser) call(depth int) (*intrinsic, error) {
	if depth > maxIntrinsicDepth {
		return nil, fmt.Errorf("intrinsic functions are nested more than %d deep", maxIntrinsicDepth)
	}
	start := p.i
	j := p.i
	for j < len(p.s) && (p.s[j] == '.' || p.s[j] == '_' || isAlnum(p.s[j])) {
		j++
	}
	name := p.s[p.i:j]
	fn, ok := intrinsicFuncs[name]
	if !ok {
		if name == "" {
			return nil, fmt.Errorf("expected an intrinsic function name at offset %d", p.i)
		}
		return nil, fmt.Errorf("'%s' is not an intrinsic function", name)
	}
	p.i = j
	p.spaces()
	if p.i >= len(p.s) || p.s[p.i] != '(' {
		return nil, fmt.Errorf("expected '(' after %s", name)
	}
	p.i++
	call := &intrinsic{fn: fn}
	p.spaces()
	if p.i < len(p.s) && p.s[p.i] == ')' {
		p.i++
	} else {
		for {
			p.spaces()
			arg, err := p.arg(depth)
			if err != nil {
				return nil, err
			}
			call.args = append(call.args, arg)
			p.spaces()
			if p.i >= len(p.s) {
				return nil, fmt.Errorf("the call to %s is not closed with ')'", name)
			}
			if p.s[p.i] == ')' {
				p.i++
				break
			}
			if p.s[p.i] != ',' {
				return nil, fmt.Errorf("expected ',' or ')' at offset %d, not %q", p.i, p.rest())
			}
			p.i++
		}
	}
	call.text = p.s[start:p.i]
	if n := len(call.args); n < fn.min || (fn.max >= 0 && n > fn.max) {
		return nil, fmt.Errorf("%s takes %s, not %d", name, arity(fn), n)
	}
	if fn.check != nil {
		if msg := fn.check(call.args); msg != "" {
			return nil, fmt.Errorf("%s: %s", name, msg)
		}
	}
	return call, nil
}

// arity describes how many arguments fn takes.
func arity(fn *intrinsicFunc) string {
	plural := func(n int) string {
		if n == 1 {
			return "1 argument"
		}
		return strconv.Itoa(n) + " arguments"
	}
	switch {
	case fn.max < 0:
		return "at least " + plural(fn.min)
	case fn.min == fn.max:
		return plural(fn.min)
	}
	return fmt.Sprintf("%d to %s", fn.min, plural(fn.max))
}

// isAlnum reports whether c is an ASCII letter or digit.
func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
}

// arg reads one argument of a call at depth.
func (p *intrinsicParser) arg(depth int) (intrinsicArg, error) {
	if p.i >= len(p.s) {
		return intrinsicArg{}, fmt.Errorf("expected an argument at the end")
	}
	start := p.i
	switch c := p.s[p.i]; {
	case c == '\'':
		return p.stringLiteral()
	case c == '$':
		return p.pathArg()
	case c == '-' || c >= '0' && c <= '9':
		j := p.i
		for j < len(p.s) && strings.IndexByte("+-.eE0123456789", p.s[j]) >= 0 {
			j++
		}
		tok := p.s[p.i:j]
		if !json.Valid([]byte(tok)) {
			return intrinsicArg{}, fmt.Errorf("'%s' is not a valid number", tok)
		}
		p.i = j
		return intrinsicArg{kind: argNumber, text: tok, value: json.Number(tok)}, nil
	case strings.HasPrefix(p.s[p.i:], "States."):
		call, err := p.call(depth + 1)
		if err != nil {
			return intrinsicArg{}, err
		}
		return intrinsicArg{kind: argCall, text: call.text, call: call}, nil
	default:
		j := p.i
		for j < len(p.s) && (p.s[j] == '_' || isAlnum(p.s[j])) {
			j++
		}
		switch word := p.s[p.i:j]; word {
		case "true", "false":
			p.i = j
			return intrinsicArg{kind: argBool, text: word, value: word == "true"}, nil
		case "null":
			p.i = j
			return intrinsicArg{kind: argNull, text: word}, nil
		}
	}
	return intrinsicArg{}, fmt.Errorf("unexpected %q at offset %d (expected a 'string', a number, true, false, null, a path or an intrinsic function)", p.rest(), start)
}

// stringLiteral reads a single-quoted string at p.i.
func (p *intrinsicParser) stringLiteral() (intrinsicArg, error) {
	start := p.i
	var b, piece strings.Builder
	var pieces []string
	for j := p.i + 1; j < len(p.s); j++ {
		switch c := p.s[j]; c {
		case '\\':
			j++
			if j >= len(p.s) {
				return intrinsicArg{}, fmt.Errorf("the string starting at offset %d is not closed", start)
			}
			switch e := p.s[j]; e {
			case '\'', '{', '}', '\\':
				b.WriteByte(e)
				piece.WriteByte(e)
			default:
				return intrinsicArg{}, fmt.Errorf("'\\%c' in a string is not an escape sequence (only \\', \\{, \\} and \\\\ are; write \\\\ for a backslash)", e)
			}
		case '\'':
			p.i = j + 1
			pieces = append(pieces, piece.String())
			return intrinsicArg{kind: argString, text: p.s[start:p.i], value: b.String(), pieces: pieces}, nil
		case '{':
			b.WriteByte(c)
			if j+1 < len(p.s) && p.s[j+1] == '}' {
				b.WriteByte('}')
				pieces = append(pieces, piece.String())
				piece.Reset()
				j++
				continue
			}
			piece.WriteByte(c)
		default:
			b.WriteByte(c)
			piece.WriteByte(c)
		}
	}
	return intrinsicArg{}, fmt.Errorf("the string starting at offset %d is not closed", start)
}

// pathArg reads a path or a variable reference at p.i: it runs to the first
// ',', ')' or space outside brackets and quotes.
func (p *intrinsicParser) pathArg() (intrinsicArg, error) {
	start := p.i
	j := p.i
	brackets := 0
	var quote byte
scan:
	for ; j < len(p.s); j++ {
		c := p.s[j]
		switch {
		case quote != 0:
			if c == '\\' {
				j++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			if brackets > 0 {
				quote = c
			}
		case c == '[':
			brackets++
		case c == ']':
			brackets--
		case brackets == 0 && (c == ',' || c == ')' || c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			break scan
		}
	}
	j = min(j, len(p.s)) // a backslash at the very end
	text := p.s[start:j]
	p.i = j
	pth, err := parsePath(text)
	if err != nil {
		return intrinsicArg{}, err
	}
	return intrinsicArg{kind: argPath, text: text, path: pth}, nil
}

// Checks of literal arguments, run when the definition is parsed.

// literalTypes returns a check that literal argument i is of type want[i]
// ("a string", "a number", "a boolean", "an array", "an object"; "" allows
// anything).
func literalTypes(want ...string) func([]intrinsicArg) string {
	return func(args []intrinsicArg) string {
		for i, a := range args {
			if i >= len(want) || want[i] == "" || !a.literal() {
				continue
			}
			if got := describe(a.value); a.kind == argNull || got != want[i] {
				return fmt.Sprintf("argument %d must be %s, not %s", i+1, want[i], a.text)
			}
		}
		return ""
	}
}

// checkFormat checks that a literal template has one placeholder per value.
func checkFormat(args []intrinsicArg) string {
	if msg := literalTypes("a string")(args); msg != "" {
		return msg
	}
	if t := args[0]; t.kind == argString && len(t.pieces)-1 != len(args)-1 {
		return fmt.Sprintf("the number of placeholders ({}) in the template, %d, is not the number of values, %d", len(t.pieces)-1, len(args)-1)
	}
	return ""
}

// checkJSONToString checks that the argument is a path or a call.
func checkJSONToString(args []intrinsicArg) string {
	if args[0].literal() {
		return "the argument must be a path, not the literal " + args[0].text
	}
	return ""
}

// checkArrayPartition checks a literal chunk size.
func checkArrayPartition(args []intrinsicArg) string {
	if msg := literalTypes("an array", "a number")(args); msg != "" {
		return msg
	}
	if a := args[1]; a.kind == argNumber {
		if n, ok := integer(a.value); !ok || n < 1 {
			return "the chunk size must be a positive integer, not " + a.text
		}
	}
	return ""
}

// checkArrayGetItem checks a literal index.
func checkArrayGetItem(args []intrinsicArg) string {
	if msg := literalTypes("an array", "a number")(args); msg != "" {
		return msg
	}
	if a := args[1]; a.kind == argNumber {
		if n, ok := integer(a.value); !ok || n < 0 {
			return "the index must be a non-negative integer, not " + a.text
		}
	}
	return ""
}

// checkArrayRange checks literal bounds and step.
func checkArrayRange(args []intrinsicArg) string {
	if msg := literalTypes("a number", "a number", "a number")(args); msg != "" {
		return msg
	}
	var n [3]int64
	for i, a := range args {
		if a.kind != argNumber {
			return ""
		}
		v, ok := roundNumber(a.value.(json.Number))
		if !ok {
			return fmt.Sprintf("argument %d is out of range: %s", i+1, a.text)
		}
		n[i] = v
	}
	if _, msg := rangeCount(n[0], n[1], n[2]); msg != "" {
		return msg
	}
	return ""
}

// checkHash checks a literal algorithm.
func checkHash(args []intrinsicArg) string {
	if msg := literalTypes("a string", "a string")(args); msg != "" {
		return msg
	}
	if a := args[1]; a.kind == argString && hashFunc(a.value.(string)) == nil {
		return fmt.Sprintf("the algorithm must be one of %s, not %s", hashNames, a.text)
	}
	return ""
}

// checkJSONMerge checks the objects and the deep-merge flag.
func checkJSONMerge(args []intrinsicArg) string {
	if msg := literalTypes("an object", "an object", "a boolean")(args); msg != "" {
		return msg
	}
	if a := args[2]; a.kind == argBool && a.value == true {
		return "deep merging is not supported: the third argument must be false"
	}
	return ""
}

// checkMathRandom checks literal bounds and seed.
func checkMathRandom(args []intrinsicArg) string {
	if msg := literalTypes("a number", "a number", "a number")(args); msg != "" {
		return msg
	}
	var n [3]int64
	for i, a := range args {
		if a.kind != argNumber {
			if i < 2 {
				return ""
			}
			continue
		}
		v, ok := roundNumber(a.value.(json.Number))
		if !ok {
			return fmt.Sprintf("argument %d is out of range: %s", i+1, a.text)
		}
		n[i] = v
	}
	if n[0] >= n[1] {
		return fmt.Sprintf("the start (%d) must be less than the end (%d)", n[0], n[1])
	}
	return ""
}

// Evaluation.

// callEnv is what evaluating a call needs: the environment, the call and the
// field it is in, for messages.
type callEnv struct {
	e     *env
	call  *intrinsic
	field string
}

// fail returns the States.IntrinsicFailure of the call. Its cause starts
// as every runtime error of the state does (env.fail).
func (c *callEnv) fail(format string, args ...any) *RuntimeError {
	re := c.e.fail("The intrinsic function %s in the field '%s' failed: %s", c.call.fn.name, c.field, fmt.Sprintf(format, args...))
	re.ErrorName = ErrorIntrinsicFailure
	return re
}

// eval evaluates the call against in (the "$" data) and e; field names
// where the call is, for messages.
func (call *intrinsic) eval(in any, e *env, field string) (any, error) {
	args := make([]any, len(call.args))
	for i := range call.args {
		a := &call.args[i]
		switch a.kind {
		case argString, argNumber, argBool:
			args[i] = a.value
		case argNull:
		case argPath:
			v, ok := e.lookup(a.path, in)
			if !ok {
				return nil, call.missing(a, in, e, field)
			}
			args[i] = v
		case argCall:
			v, err := a.call.eval(in, e, field)
			if err != nil {
				return nil, err
			}
			args[i] = v
		}
	}
	return call.fn.eval(&callEnv{e: e, call: call, field: field}, args)
}

// randSource returns a source for one intrinsic call (States.UUID,
// States.MathRandom), seeded with four Float64 draws from env.rand (Context.Rand,
// or a fixed-seed source kept for the state's processing when that is nil).
// Only Float64 is asked of the caller's source: sfn's makes Float64 return
// its retry jitter, with 53 random bits in each Uint64, which Uint64N and a
// UUID's 122 bits would show.
func (e *env) randSource() *rand.Rand {
	r := e.rand()
	draw := func() uint64 {
		return uint64(r.Float64()*(1<<53))<<11 ^ uint64(r.Float64()*(1<<53))
	}
	return rand.New(rand.NewPCG(draw(), draw()))
}

// missing returns the error of the path argument a, which matches nothing.
func (call *intrinsic) missing(a *intrinsicArg, in any, e *env, field string) error {
	where := "the input '" + string(encodeJSON(in)) + "'"
	switch {
	case a.path.context:
		where = "the context object"
	case a.path.variable != "":
		if _, ok := e.variable(a.path.variable); !ok {
			return e.fail("The variable '$%s' in the intrinsic function %s for the field '%s' is not defined", a.path.variable, call.fn.name, field)
		}
		where = "the variable '$" + a.path.variable + "'"
	}
	return e.fail("The JSONPath '%s' in the intrinsic function %s for the field '%s' could not be found in %s", a.text, call.fn.name, field, where)
}

// Argument helpers: each returns the argument as the type the function
// needs, or the failure.

func (c *callEnv) str(args []any, i int) (string, error) {
	s, ok := args[i].(string)
	if !ok {
		return "", c.fail("argument %d must be a string, not %s", i+1, describe(args[i]))
	}
	return s, nil
}

func (c *callEnv) array(args []any, i int) ([]any, error) {
	a, ok := args[i].([]any)
	if !ok {
		return nil, c.fail("argument %d must be an array, not %s", i+1, describe(args[i]))
	}
	if jsonSize(a, MaxPayload) > MaxPayload {
		return nil, c.fail("argument %d is an array larger than the payload limit of %d bytes", i+1, MaxPayload)
	}
	return a, nil
}

func (c *callEnv) object(args []any, i int) (*object, error) {
	o, ok := args[i].(*object)
	if !ok {
		return nil, c.fail("argument %d must be an object, not %s", i+1, describe(args[i]))
	}
	return o, nil
}

// integerArg returns an argument that must be an integral number.
func (c *callEnv) integerArg(args []any, i int, what string) (int64, error) {
	n, ok := integer(args[i])
	if !ok {
		return 0, c.fail("%s must be an integer, not %s", what, limitText(encodeJSON(args[i])))
	}
	return n, nil
}

// roundedArg returns a number argument rounded to the nearest integer,
// halves up, as Step Functions rounds the arguments of MathAdd, MathRandom
// and ArrayRange.
func (c *callEnv) roundedArg(args []any, i int, what string) (int64, error) {
	n, ok := args[i].(json.Number)
	if !ok {
		return 0, c.fail("%s must be a number, not %s", what, describe(args[i]))
	}
	v, ok := roundNumber(n)
	if !ok {
		return 0, c.fail("%s is out of range: %s", what, limitText([]byte(n)))
	}
	return v, nil
}

// roundNumber rounds n to the nearest integer, halves towards positive
// infinity (Java's Math.round). ok is false outside the int64 range.
func roundNumber(n json.Number) (int64, bool) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsNaN(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, false
	}
	r := math.Floor(f)
	if f-r >= 0.5 {
		r++
	}
	if r >= math.MaxInt64 {
		return 0, false
	}
	return int64(r), true
}

// limitText shortens a value's text for a message.
func limitText(b []byte) string {
	if len(b) > 100 {
		return string(b[:100]) + "..."
	}
	return string(b)
}

// number returns n as a JSON number.
func number(n int64) json.Number { return json.Number(strconv.FormatInt(n, 10)) }

// javaLength returns the length of s in UTF-16 code units, as Java counts
// characters.
func javaLength(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// The functions.

func evalFormat(c *callEnv, args []any) (any, error) {
	var pieces []string
	if t := &c.call.args[0]; t.kind == argString {
		pieces = t.pieces
	} else {
		s, err := c.str(args, 0)
		if err != nil {
			return nil, err
		}
		pieces = strings.Split(s, "{}")
	}
	values := args[1:]
	if len(pieces)-1 != len(values) {
		return nil, c.fail("the number of placeholders ({}) in the template, %d, is not the number of values, %d", len(pieces)-1, len(values))
	}
	var b strings.Builder
	for i, p := range pieces {
		b.WriteString(p)
		if i < len(values) {
			appendFormatted(&b, values[i])
		}
		if b.Len() > MaxPayload {
			return nil, c.fail("the result is larger than the payload limit of %d bytes", MaxPayload)
		}
	}
	return b.String(), nil
}

// appendFormatted writes v as States.Format shows a value: strings without
// quotes, numbers, booleans and null as in JSON, arrays as [a, b] and objects
// as {k=v, k2=v2} (as Java prints lists and maps). It stops early once b
// holds more than MaxPayload bytes.
func appendFormatted(b *strings.Builder, v any) {
	if b.Len() > MaxPayload {
		return
	}
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case string:
		b.WriteString(v)
	case json.Number:
		b.WriteString(string(v))
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			appendFormatted(b, e)
		}
		b.WriteByte(']')
	case *object:
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k)
			b.WriteByte('=')
			appendFormatted(b, v.vals[i])
		}
		b.WriteByte('}')
	}
}

func evalStringToJSON(c *callEnv, args []any) (any, error) {
	s, err := c.str(args, 0)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	v, err := decodeJSON([]byte(s), false)
	if err != nil {
		return nil, c.fail("the string is not valid JSON: %v", err)
	}
	return v, nil
}

func evalJSONToString(c *callEnv, args []any) (any, error) {
	b, ok := appendJSON(nil, args[0], MaxPayload)
	if !ok {
		return nil, c.fail("the result is larger than the payload limit of %d bytes", MaxPayload)
	}
	return string(b), nil
}

func evalArray(_ *callEnv, args []any) (any, error) {
	return args, nil
}

func evalArrayPartition(c *callEnv, args []any) (any, error) {
	a, err := c.array(args, 0)
	if err != nil {
		return nil, err
	}
	size, err := c.integerArg(args, 1, "the chunk size")
	if err != nil {
		return nil, err
	}
	if size < 1 {
		return nil, c.fail("the chunk size must be a positive integer, not %d", size)
	}
	out := make([]any, 0, (int64(len(a))+size-1)/size)
	for i := 0; i < len(a); {
		j := len(a)
		if int64(j-i) > size {
			j = i + int(size)
		}
		out = append(out, a[i:j:j])
		i = j
	}
	return out, nil
}

func evalArrayContains(c *callEnv, args []any) (any, error) {
	a, err := c.array(args, 0)
	if err != nil {
		return nil, err
	}
	for _, e := range a {
		if equalJSON(e, args[1]) {
			return true, nil
		}
	}
	return false, nil
}

// rangeCount returns how many items ArrayRange(start, end, step) has, or
// what is wrong with its arguments.
func rangeCount(start, end, step int64) (int, string) {
	if step == 0 {
		return 0, "the step must not be zero"
	}
	if step > 0 && start > end || step < 0 && start < end {
		return 0, ""
	}
	// |end-start| / |step| + 1, without overflowing.
	span := uint64(end - start)
	if step < 0 {
		span = uint64(start - end)
	}
	abs := uint64(step)
	if step < 0 {
		abs = uint64(-step)
	}
	if n := span/abs + 1; n > maxArrayRange {
		return 0, fmt.Sprintf("the range would have more than %d items", maxArrayRange)
	}
	return int(span/abs) + 1, ""
}

func evalArrayRange(c *callEnv, args []any) (any, error) {
	var n [3]int64
	for i, what := range []string{"the start", "the end", "the step"} {
		v, err := c.roundedArg(args, i, what)
		if err != nil {
			return nil, err
		}
		n[i] = v
	}
	count, msg := rangeCount(n[0], n[1], n[2])
	if msg != "" {
		return nil, c.fail("%s", msg)
	}
	out := make([]any, count)
	for i := range out {
		out[i] = number(n[0] + int64(i)*n[2])
	}
	return out, nil
}

func evalArrayGetItem(c *callEnv, args []any) (any, error) {
	a, err := c.array(args, 0)
	if err != nil {
		return nil, err
	}
	i, err := c.integerArg(args, 1, "the index")
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= int64(len(a)) {
		return nil, c.fail("the index %d is out of bounds for an array of %d items", i, len(a))
	}
	return a[i], nil
}

func evalArrayLength(c *callEnv, args []any) (any, error) {
	a, err := c.array(args, 0)
	if err != nil {
		return nil, err
	}
	return number(int64(len(a))), nil
}

func evalArrayUnique(c *callEnv, args []any) (any, error) {
	a, err := c.array(args, 0)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(a))
	out := make([]any, 0, len(a))
	var key []byte
	for _, e := range a {
		key = appendCanonical(key[:0], e)
		if seen[string(key)] {
			continue
		}
		seen[string(key)] = true
		out = append(out, e)
	}
	return out, nil
}

func evalBase64Encode(c *callEnv, args []any) (any, error) {
	s, err := c.str(args, 0)
	if err != nil {
		return nil, err
	}
	if n := javaLength(s); n > maxEncodeChars {
		return nil, c.fail("the string has %d characters; the limit is %d", n, maxEncodeChars)
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func evalBase64Decode(c *callEnv, args []any) (any, error) {
	s, err := c.str(args, 0)
	if err != nil {
		return nil, err
	}
	if n := javaLength(s); n > maxEncodeChars {
		return nil, c.fail("the string has %d characters; the limit is %d", n, maxEncodeChars)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, c.fail("the string is not valid Base64: %v", err)
	}
	return strings.ToValidUTF8(string(b), string(utf8.RuneError)), nil
}

// hashNames lists the algorithms of States.Hash.
const hashNames = "MD5, SHA-1, SHA-256, SHA-384 and SHA-512"

// hashFunc returns the hash named name, or nil.
func hashFunc(name string) func() hash.Hash {
	switch name {
	case "MD5":
		return md5.New
	case "SHA-1":
		return sha1.New
	case "SHA-256":
		return sha256.New
	case "SHA-384":
		return sha512.New384
	case "SHA-512":
		return sha512.New
	}
	return nil
}

func evalHash(c *callEnv, args []any) (any, error) {
	s, err := c.str(args, 0)
	if err != nil {
		return nil, err
	}
	alg, err := c.str(args, 1)
	if err != nil {
		return nil, err
	}
	newHash := hashFunc(alg)
	if newHash == nil {
		return nil, c.fail("the algorithm must be one of %s, not '%s'", hashNames, limitText([]byte(alg)))
	}
	if n := javaLength(s); n > maxEncodeChars {
		return nil, c.fail("the string has %d characters; the limit is %d", n, maxEncodeChars)
	}
	h := newHash()
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func evalJSONMerge(c *callEnv, args []any) (any, error) {
	a, err := c.object(args, 0)
	if err != nil {
		return nil, err
	}
	b, err := c.object(args, 1)
	if err != nil {
		return nil, err
	}
	deep, ok := args[2].(bool)
	if !ok {
		return nil, c.fail("argument 3 must be a boolean, not %s", describe(args[2]))
	}
	if deep {
		return nil, c.fail("deep merging is not supported: the third argument must be false")
	}
	out := a.clone()
	for i, k := range b.keys {
		out.set(k, b.vals[i])
	}
	return out, nil
}

func evalMathRandom(c *callEnv, args []any) (any, error) {
	start, err := c.roundedArg(args, 0, "the start")
	if err != nil {
		return nil, err
	}
	end, err := c.roundedArg(args, 1, "the end")
	if err != nil {
		return nil, err
	}
	if start >= end {
		return nil, c.fail("the start (%d) must be less than the end (%d)", start, end)
	}
	r := c.e.randSource()
	if len(args) == 3 {
		seed, err := c.roundedArg(args, 2, "the seed")
		if err != nil {
			return nil, err
		}
		r = rand.New(rand.NewPCG(uint64(seed), 0))
	}
	// end-start can exceed int64; as unsigned it is exact.
	return number(start + int64(r.Uint64N(uint64(end)-uint64(start)))), nil
}

func evalMathAdd(c *callEnv, args []any) (any, error) {
	a, err := c.roundedArg(args, 0, "argument 1")
	if err != nil {
		return nil, err
	}
	b, err := c.roundedArg(args, 1, "argument 2")
	if err != nil {
		return nil, err
	}
	sum := a + b
	if (b > 0 && sum < a) || (b < 0 && sum > a) {
		return nil, c.fail("the sum of %d and %d is out of range", a, b)
	}
	return number(sum), nil
}

func evalStringSplit(c *callEnv, args []any) (any, error) {
	s, err := c.str(args, 0)
	if err != nil {
		return nil, err
	}
	delims, err := c.str(args, 1)
	if err != nil {
		return nil, err
	}
	// Every character of delims separates; empty pieces are dropped (as
	// Java's StringTokenizer does). A long delimiter list is put in a set, so
	// that splitting costs one look-up per character.
	isDelim := func(r rune) bool { return strings.ContainsRune(delims, r) }
	if len(delims) > 16 {
		set := make(map[rune]bool)
		for _, r := range delims {
			set[r] = true
		}
		isDelim = func(r rune) bool { return set[r] }
	}
	parts := strings.FieldsFunc(s, isDelim)
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

func evalUUID(c *callEnv, _ []any) (any, error) {
	r := c.e.randSource()
	var u [16]byte
	for i := 0; i < 16; i += 8 {
		x := r.Uint64()
		for j := range 8 {
			u[i+j] = byte(x >> (8 * j))
		}
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// equalJSON reports whether a and b are the same JSON value: numbers are
// compared by value, objects regardless of key order.
func equalJSON(a, b any) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case bool:
		bb, ok := b.(bool)
		return ok && a == bb
	case string:
		bs, ok := b.(string)
		return ok && a == bs
	case json.Number:
		bn, ok := b.(json.Number)
		return ok && canonicalNumber(string(a)) == canonicalNumber(string(bn))
	case []any:
		ba, ok := b.([]any)
		if !ok || len(a) != len(ba) {
			return false
		}
		for i := range a {
			if !equalJSON(a[i], ba[i]) {
				return false
			}
		}
		return true
	case *object:
		bo, ok := b.(*object)
		if !ok || len(a.keys) != len(bo.keys) {
			return false
		}
		for i, k := range a.keys {
			bv, ok := bo.get(k)
			if !ok || !equalJSON(a.vals[i], bv) {
				return false
			}
		}
		return true
	}
	return false
}

// appendCanonical appends a text of v that equal values (as equalJSON
// compares them) share: numbers canonical, object keys sorted.
func appendCanonical(b []byte, v any) []byte {
	switch v := v.(type) {
	case json.Number:
		return append(append(b, 'n'), canonicalNumber(string(v))...)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCanonical(b, e)
		}
		return append(b, ']')
	case *object:
		keys := make([]string, len(v.keys))
		copy(keys, v.keys)
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendCanonical(b, v.value(k))
		}
		return append(b, '}')
	}
	return appendJSONValue(b, v)
}

// appendJSONValue appends the JSON text of a scalar.
func appendJSONValue(b []byte, v any) []byte {
	out, _ := appendJSON(b, v, math.MaxInt)
	return out
}

// canonicalNumber returns a text of the JSON number s that numbers of the
// same value share: "1", "1.0", "10e-1" and "0.1e1" all give "1e0". It works
// on the digits, so a huge exponent costs nothing.
func canonicalNumber(text string) string {
	neg := strings.HasPrefix(text, "-")
	s := strings.TrimPrefix(text, "-")
	mant, expText, hasExp := strings.Cut(strings.ToLower(s), "e")
	exp := 0
	if hasExp {
		e, err := strconv.Atoi(expText)
		if err != nil {
			return text // an exponent beyond int: compare as written
		}
		exp = e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := strings.TrimLeft(intPart+frac, "0")
	exp -= len(frac)
	if digits == "" {
		return "0"
	}
	trimmed := strings.TrimRight(digits, "0")
	exp += len(digits) - len(trimmed)
	sign := ""
	if neg {
		sign = "-"
	}
	return sign + trimmed + "e" + strconv.Itoa(exp)
}
