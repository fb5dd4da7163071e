package asl

import (
	"encoding/json"
	"strconv"
	"time"
)

// Query languages of a state.
const (
	langJSONPath = "JSONPath"
	langJSONata  = "JSONata"
)

// jtemplate is the value of a field of a JSONata state that may hold
// expressions (Arguments, Output, an Assign value): a JSON value in which
// every string of the form "{% ... %}" is an expression, at any depth.
type jtemplate struct {
	literal any          // a value without expressions, used as is
	expr    *jsonataExpr // a "{% ... %}" string
	fields  []jtmplKey   // an object with an expression somewhere inside
	items   []*jtemplate // an array with an expression somewhere inside
	array   bool
}

// jtmplKey is one member of a jtemplate object.
type jtmplKey struct {
	name  string
	value *jtemplate
}

// dynamic reports whether t needs evaluating.
func (t *jtemplate) dynamic() bool {
	return t.expr != nil || t.fields != nil || t.array
}

// compileJTemplate compiles the value v found at sc.
func compileJTemplate(sc scope, v any) *jtemplate {
	switch v := v.(type) {
	case string:
		if x := compileExprAt(sc, v); x != nil {
			return &jtemplate{expr: x}
		}
	case *object:
		t := &jtemplate{}
		dynamic := false
		for i, k := range v.keys {
			child := compileJTemplate(sc.at(k), v.vals[i])
			dynamic = dynamic || child.dynamic()
			t.fields = append(t.fields, jtmplKey{name: k, value: child})
		}
		if dynamic {
			return t
		}
	case []any:
		t := &jtemplate{array: true}
		dynamic := false
		for i, e := range v {
			child := compileJTemplate(sc.elem(i), e)
			dynamic = dynamic || child.dynamic()
			t.items = append(t.items, child)
		}
		if dynamic {
			return t
		}
	}
	return &jtemplate{literal: v}
}

// compileExprAt compiles s if it is a "{% ... %}" string, recording a problem
// at sc if it does not compile. It returns nil for any other string.
func compileExprAt(sc scope, s string) *jsonataExpr {
	text, ok := jsonataText(s)
	if !ok {
		return nil
	}
	x, err := compileJSONata(text)
	if err != nil {
		sc.problem(CodeSchemaValidation, "is not a valid JSONata expression ('%s'): %v", text, err)
		return nil
	}
	return x
}

// eval builds the value; field names it in messages ("Output/a/0").
func (t *jtemplate) eval(e *env, sc *jsonataScope, field string) (any, error) {
	switch {
	case t.expr != nil:
		return t.expr.eval(e, sc, field)
	case t.fields != nil:
		o := newObject(len(t.fields))
		for _, f := range t.fields {
			v, err := f.value.eval(e, sc, field+"/"+f.name)
			if err != nil {
				return nil, err
			}
			o.set(f.name, v)
		}
		return o, nil
	case t.array:
		a := make([]any, 0, len(t.items))
		for i, item := range t.items {
			v, err := item.eval(e, sc, field+"/"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		return a, nil
	}
	return t.literal, nil
}

// jsonataType returns the JSONata type name of a value: null, number,
// string, boolean, array or object.
func jsonataType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case json.Number:
		return "number"
	case string:
		return "string"
	case bool:
		return "boolean"
	case []any:
		return "array"
	}
	return "object"
}

// unexpectedType returns the error of an expression whose value has the
// wrong type for its field.
func (e *env) unexpectedType(x *jsonataExpr, field, want string, v any) *RuntimeError {
	return e.queryError("The JSONata expression '%s' specified for the field '%s' returned an unexpected result type. Expected '%s', but was '%s' for value: %s",
		x.text, field, want, jsonataType(v), encodeJSON(v))
}

// jsonataSeconds is a TimeoutSeconds, HeartbeatSeconds or Seconds given as
// an expression in a JSONata state.
type jsonataSeconds struct {
	expr *jsonataExpr
	min  int64 // 0 for Seconds, 1 for the task timeouts
}

// eval returns the number of seconds.
func (s *jsonataSeconds) eval(e *env, sc *jsonataScope, field string) (int, error) {
	v, err := s.expr.eval(e, sc, field)
	if err != nil {
		return 0, err
	}
	n, ok := integer(v)
	if !ok {
		return 0, e.unexpectedType(s.expr, field, "integer", v)
	}
	if n < s.min || n > maxSeconds {
		return 0, e.queryError("The JSONata expression '%s' specified for the field '%s' returned %d, but the value must be an integer from %d to %d.",
			s.expr.text, field, n, s.min, maxSeconds)
	}
	return int(n), nil
}

// jsonataTimestamp evaluates a Wait state's Timestamp expression.
func jsonataTimestamp(x *jsonataExpr, e *env, sc *jsonataScope) (time.Time, error) {
	v, err := x.eval(e, sc, "Timestamp")
	if err != nil {
		return time.Time{}, err
	}
	s, ok := v.(string)
	if !ok {
		return time.Time{}, e.unexpectedType(x, "Timestamp", "string", v)
	}
	t, ok := parseTimestamp(s)
	if !ok {
		return time.Time{}, e.queryError("The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: %s", s)
	}
	return t, nil
}

// jsonataString evaluates a Fail state's Error or Cause expression.
func jsonataString(x *jsonataExpr, e *env, sc *jsonataScope, field string) (string, error) {
	v, err := x.eval(e, sc, field)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", e.unexpectedType(x, field, "string", v)
	}
	return s, nil
}

// condition is a JSONata choice rule's Condition: a boolean literal or an
// expression that must yield a boolean.
type condition struct {
	literal bool
	expr    *jsonataExpr
}

// eval reports whether the condition holds.
func (c *condition) eval(e *env, sc *jsonataScope) (bool, error) {
	if c.expr == nil {
		return c.literal, nil
	}
	v, err := c.expr.eval(e, sc, "Condition")
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, e.unexpectedType(c.expr, "Condition", "boolean", v)
	}
	return b, nil
}

// parseJSONataState reads the fields of a state whose QueryLanguage is
// JSONata (the JSONPath fields were refused by parseQueryLanguage).
func parseJSONataState(f fields, st *state) {
	switch st.typ {
	case typePass:
		parseNextOrEnd(f, st)
	case typeTask:
		parseNextOrEnd(f, st)
		if v, ok := f.obj.get("Arguments"); ok {
			st.arguments = compileJTemplate(f.sc.at("Arguments"), v)
		}
		if res, ok := f.str("Resource", true); ok {
			if _, ok := ParseResource(res); !ok {
				f.sc.at("Resource").problem(CodeUnsupportedFeature, resourceProblem, res)
			}
			st.resource = res
		}
		st.timeout.value, st.timeoutX = f.secondsOrExpr("TimeoutSeconds", 1)
		st.heartbeat.value, st.heartbeatX = f.secondsOrExpr("HeartbeatSeconds", 1)
		if h, t := st.heartbeat.value, st.timeout.value; h > 0 && t > 0 && h >= t {
			f.sc.at("HeartbeatSeconds").problem(CodeSchemaValidation, "(%d) must be smaller than TimeoutSeconds (%d)", h, t)
		}
		st.retriers = parseRetry(f)
		st.catchers = parseCatch(f, true)
	case typeChoice:
		parseChoice(f, st)
	case typeWait:
		parseNextOrEnd(f, st)
		n := 0
		for _, k := range []string{"Seconds", "Timestamp"} {
			if f.has(k) {
				n++
			}
		}
		if n != 1 {
			f.sc.problem(CodeSchemaValidation, "must have exactly one of 'Seconds' and 'Timestamp' (it has %d)", n)
		}
		var sec int
		if sec, st.wait.secondsX = f.secondsOrExpr("Seconds", 0); f.has("Seconds") && st.wait.secondsX == nil {
			st.wait.seconds, st.wait.hasSeconds = sec, true
		}
		if v, ok := f.obj.get("Timestamp"); ok {
			s, isStr := v.(string)
			if st.wait.timestampX = compileExprAt(f.sc.at("Timestamp"), s); st.wait.timestampX == nil && isStr {
				if _, ok := jsonataText(s); !ok {
					t, ok := parseTimestamp(s)
					if !ok {
						f.sc.at("Timestamp").problem(CodeSchemaValidation, "must be an RFC 3339 timestamp such as 2016-03-14T01:59:00Z, not %q", s)
					}
					st.wait.timestamp = t
				}
			} else if !isStr {
				f.sc.at("Timestamp").problem(CodeSchemaValidation, "must be a string, not %s", describe(v))
			}
		}
	case typeFail:
		st.failError.value, st.failErrorX = f.textOrExpr("Error")
		st.failCause.value, st.failCauseX = f.textOrExpr("Cause")
	case typeParallel:
		parseParallel(f, st)
	case typeMap:
		parseMap(f, st)
	}
	if st.typ != typeFail {
		if v, ok := f.obj.get("Output"); ok {
			st.output = compileJTemplate(f.sc.at("Output"), v)
		}
	}
	if st.typ != typeSucceed && st.typ != typeFail {
		st.assign = parseAssign(f, true)
	}
}

// secondsOrExpr reads a number of seconds given as an integer of at least
// lo or as a "{% ... %}" expression.
func (f fields) secondsOrExpr(key string, lo int) (int, *jsonataSeconds) {
	v, ok := f.obj.get(key)
	if !ok {
		return 0, nil
	}
	if s, isStr := v.(string); isStr {
		if _, isExpr := jsonataText(s); isExpr {
			if x := compileExprAt(f.sc.at(key), s); x != nil {
				return 0, &jsonataSeconds{expr: x, min: int64(lo)}
			}
			return 0, nil
		}
	}
	n, _ := f.integer(key, lo, maxSeconds)
	return n, nil
}

// textOrExpr reads a string given literally or as a "{% ... %}" expression.
func (f fields) textOrExpr(key string) (string, *jsonataExpr) {
	s, ok := f.str(key, false)
	if !ok {
		return "", nil
	}
	if _, isExpr := jsonataText(s); isExpr {
		return "", compileExprAt(f.sc.at(key), s)
	}
	return s, nil
}

// compileJSONataRule compiles a choice rule of a JSONata Choice state: a
// Condition, a Next, and optionally Assign and Output.
func compileJSONataRule(sc scope, v any) *rule {
	obj, ok := v.(*object)
	if !ok {
		sc.problem(CodeSchemaValidation, "must be a choice rule object, not %s", describe(v))
		return nil
	}
	f := fields{sc: sc, obj: obj}
	for _, k := range obj.keys {
		_, isOp := operators[k]
		switch {
		case k == "Condition" || k == "Next" || k == "Comment" || k == "Assign" || k == "Output":
		case jsonPathOnly[k] || isOp:
			sc.report(CodeSchemaValidation, "The QueryLanguage is set to 'JSONata', but field '"+k+"' is only supported for the 'JSONPath' QueryLanguage")
		default:
			f.unsupportedOr(k, "is not a choice rule field")
		}
	}
	f.str("Comment", false)
	r := &rule{op: "Condition", cond: &condition{}}
	if next, ok := f.str("Next", true); ok {
		r.next = next
		sc.at("Next").transition(next)
	}
	switch c, ok := obj.get("Condition"); {
	case !ok:
		sc.at("Condition").problem(CodeSchemaValidation, "is required")
	default:
		switch c := c.(type) {
		case bool:
			r.cond.literal = c
		case string:
			if _, isExpr := jsonataText(c); !isExpr {
				sc.at("Condition").problem(CodeSchemaValidation, "must be a boolean or a JSONata expression (\"{%% ... %%}\"), not %q", c)
			} else {
				r.cond.expr = compileExprAt(sc.at("Condition"), c)
			}
		default:
			sc.at("Condition").problem(CodeSchemaValidation, "must be a boolean or a JSONata expression (\"{%% ... %%}\"), not %s", describe(c))
		}
	}
	if v, ok := obj.get("Output"); ok {
		r.output = compileJTemplate(sc.at("Output"), v)
	}
	r.assign = parseAssign(f, true)
	return r
}
