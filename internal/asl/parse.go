package asl

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Problem codes in DefinitionError. They follow the codes AWS reports from
// CreateStateMachine and ValidateStateMachineDefinition.
const (
	CodeInvalidJSON             = "INVALID_JSON_DESCRIPTION"
	CodeSchemaValidation        = "SCHEMA_VALIDATION_FAILED"
	CodeMissingTransitionTarget = "MISSING_TRANSITION_TARGET"
	CodeUnreachableState        = "UNREACHABLE_STATE"
	CodeMissingEndState         = "MISSING_END_STATE"
	CodeUnsupportedFeature      = "UNSUPPORTED_FEATURE"
	CodeInvalidJSONPath         = "INVALID_JSONPATH"
)

// State types gaffer runs.
const (
	typePass    = "Pass"
	typeTask    = "Task"
	typeChoice  = "Choice"
	typeWait    = "Wait"
	typeSucceed = "Succeed"
	typeFail    = "Fail"
)

const (
	maxSeconds         = 99999999 // largest TimeoutSeconds, Seconds, IntervalSeconds, MaxAttempts
	maxDelaySeconds    = 31622400 // largest MaxDelaySeconds (366 days)
	maxStateNameLength = 80
)

// Machine is a parsed, validated state machine definition. It is immutable
// and safe for concurrent use.
type Machine struct {
	StartAt        string
	Comment        string
	TimeoutSeconds int // 0: none

	states map[string]*state
}

// StateType returns the named state's type ("Task", "Pass", ...) and whether
// the state exists.
func (m *Machine) StateType(name string) (string, bool) {
	st, ok := m.states[name]
	if !ok {
		return "", false
	}
	return st.typ, true
}

// state is one parsed state. Which fields matter depends on typ.
type state struct {
	name string
	typ  string
	next string
	end  bool

	inputPath      dataPath
	outputPath     dataPath
	resultPath     resultPath
	parameters     *template
	resultSelector *template
	result         any // Pass
	hasResult      bool

	resource  string // Task
	timeout   secondsField
	heartbeat secondsField
	retriers  []retrier
	catchers  []catcher

	choices     []*rule // Choice
	defaultNext string

	wait waitSpec // Wait

	failError textField // Fail
	failCause textField

	branches   []*Machine  // Parallel
	mapSpec    *mapSpec    // Map
	jsonata    bool        // QueryLanguage JSONata
	assign     *assignment // Assign; on a Choice state, for the Default
	output     *jtemplate  // JSONata Output; nil: the default output
	arguments  *jtemplate  // JSONata Task Arguments; nil: the input
	timeoutX   *jsonataSeconds
	heartbeatX *jsonataSeconds
	failErrorX *jsonataExpr
	failCauseX *jsonataExpr
}

// Problem is one thing wrong with a definition.
type Problem struct {
	Code     string // e.g. "SCHEMA_VALIDATION_FAILED"; see the Code constants
	Location string // JSON pointer of the offending value, e.g. "/States/Foo/Next"
	Message  string // names the state and field and says what is wrong
}

// DefinitionError lists every problem found in a definition, in document
// order (top-level fields, then each state, then transitions and
// reachability).
type DefinitionError struct {
	Problems []Problem
}

// Error returns the problems as AWS words them:
// "Invalid State Machine Definition: 'CODE: message at /States/Foo/Next, ...'".
func (e *DefinitionError) Error() string {
	var b strings.Builder
	b.WriteString("Invalid State Machine Definition: '")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString(", ")
		}
		loc := p.Location
		if loc == "" {
			loc = "/"
		}
		fmt.Fprintf(&b, "%s: %s at %s", p.Code, p.Message, loc)
	}
	b.WriteString("'")
	return b.String()
}

// Fields allowed at the top level and in each type of state.
var (
	topFields    = setOf("Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage")
	commonFields = setOf("Type", "Comment", "QueryLanguage")
	stateFields  = map[string]map[string]bool{
		typePass: setOf("Next", "End", "Result", "Parameters", "ResultPath", "InputPath", "OutputPath", "Output", "Assign"),
		typeTask: setOf("Next", "End", "Resource", "Parameters", "ResultSelector", "ResultPath", "InputPath", "OutputPath",
			"Retry", "Catch", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath",
			"Arguments", "Output", "Assign"),
		typeChoice:  setOf("Choices", "Default", "InputPath", "OutputPath", "Output", "Assign"),
		typeWait:    setOf("Next", "End", "Seconds", "Timestamp", "SecondsPath", "TimestampPath", "InputPath", "OutputPath", "Output", "Assign"),
		typeSucceed: setOf("InputPath", "OutputPath", "Output"),
		typeFail:    setOf("Error", "Cause", "ErrorPath", "CausePath"),
		typeParallel: setOf("Next", "End", "Branches", "Parameters", "ResultSelector", "ResultPath", "InputPath", "OutputPath",
			"Retry", "Catch", "Arguments", "Output", "Assign"),
		typeMap: setOf("Next", "End", "ItemProcessor", "Iterator", "Items", "ItemsPath", "ItemSelector", "Parameters",
			"MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailureCount", "ToleratedFailureCountPath",
			"ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "ItemBatcher", "Label",
			"ResultSelector", "ResultPath", "InputPath", "OutputPath", "Retry", "Catch", "Output", "Assign"),
	}
	retrierFields = setOf("ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment")
	catcherFields = setOf("ErrorEquals", "Next", "ResultPath", "Comment", "Output", "Assign")

	// jsonPathOnly and jsonataOnly are the fields of one query language:
	// a state in the other refuses them.
	jsonPathOnly = setOf("InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Result",
		"TimeoutSecondsPath", "HeartbeatSecondsPath", "SecondsPath", "TimestampPath", "ErrorPath", "CausePath",
		"ItemsPath", "MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath",
		"Variable", "And", "Or", "Not")
	jsonataOnly = setOf("Arguments", "Output", "Items", "Condition")

	// unsupportedFields are valid ASL that gaffer refuses rather than ignores.
	unsupportedFields = map[string]string{
		"ItemReader":   "item readers (gaffer has no S3; give the items in the state input)",
		"ResultWriter": "result writers (gaffer has no S3; the results are the state's output)",
		"Credentials":  "task credentials (cross-account access)",
	}
)

// setOf returns a set of the names.
func setOf(names ...string) map[string]bool {
	s := make(map[string]bool, len(names))
	for _, n := range names {
		s[n] = true
	}
	return s
}

// checker collects problems and transitions while a definition is parsed.
type checker struct {
	problems []Problem
	edges    []edge
	jsonata  bool // the top-level QueryLanguage is JSONata
}

// edge is a transition to a state, found at sc.
type edge struct {
	to string
	sc scope
}

// scope is where in the definition a value sits, for problem messages.
type scope struct {
	c     *checker
	state string // the state's name; "" at the top level
	who   string // "State 'Foo'" or "The state machine"
	loc   string // JSON pointer
	field string // the field inside the state, e.g. "Retry[0].IntervalSeconds"
}

// at returns the scope of the member key.
func (s scope) at(key string) scope {
	f := key
	if s.field != "" {
		f = s.field + "." + key
	}
	return scope{c: s.c, state: s.state, who: s.who, loc: s.loc + "/" + pointerEscape(key), field: f}
}

// elem returns the scope of array element i.
func (s scope) elem(i int) scope {
	n := strconv.Itoa(i)
	return scope{c: s.c, state: s.state, who: s.who, loc: s.loc + "/" + n, field: s.field + "[" + n + "]"}
}

// problem records a problem. The message is prefixed with the state and
// field, so format is a predicate: "must be a string".
func (s scope) problem(code, format string, args ...any) {
	msg := s.who + ": "
	if s.field != "" {
		msg += "field '" + s.field + "' "
	}
	s.c.problems = append(s.c.problems, Problem{Code: code, Location: s.loc, Message: msg + fmt.Sprintf(format, args...)})
}

// report records a problem with a message of its own, without the state
// and field prefix: for the messages AWS words itself.
func (s scope) report(code, msg string) {
	s.c.problems = append(s.c.problems, Problem{Code: code, Location: s.loc, Message: msg})
}

// transition records that the value at s names state to.
func (s scope) transition(to string) {
	s.c.edges = append(s.c.edges, edge{to: to, sc: s})
}

// fields reads and checks the members of one JSON object.
type fields struct {
	sc  scope
	obj *object
}

// has reports whether key is present.
func (f fields) has(key string) bool {
	_, ok := f.obj.get(key)
	return ok
}

// unknown reports members not in allowed (nor unsupported, which get their
// own code).
func (f fields) unknown(allowed map[string]bool, what string) {
	for _, k := range f.obj.keys {
		if !allowed[k] {
			f.unsupportedOr(k, "is not allowed in %s", what)
		}
	}
}

// unsupportedOr reports key as unsupported if it is an ASL field gaffer
// refuses, else as a schema problem with the given text.
func (f fields) unsupportedOr(key, format string, args ...any) {
	if what, ok := unsupportedFields[key]; ok {
		f.sc.at(key).problem(CodeUnsupportedFeature, "is not supported: gaffer does not implement %s", what)
		return
	}
	f.sc.at(key).problem(CodeSchemaValidation, format, args...)
}

// str returns the string member key; ok is false if it is absent or not a
// string (a problem is recorded for the latter, and for a missing required one).
func (f fields) str(key string, required bool) (string, bool) {
	v, ok := f.obj.get(key)
	if !ok {
		if required {
			f.sc.at(key).problem(CodeSchemaValidation, "is required")
		}
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		f.sc.at(key).problem(CodeSchemaValidation, "must be a string, not %s", describe(v))
		return "", false
	}
	return s, true
}

// boolean returns the boolean member key.
func (f fields) boolean(key string) (value, ok bool) {
	v, present := f.obj.get(key)
	if !present {
		return false, false
	}
	b, ok := v.(bool)
	if !ok {
		f.sc.at(key).problem(CodeSchemaValidation, "must be a boolean, not %s", describe(v))
	}
	return b, ok
}

// integer returns the integer member key, which must lie in [lo, hi].
func (f fields) integer(key string, lo, hi int) (int, bool) {
	v, ok := f.obj.get(key)
	if !ok {
		return 0, false
	}
	n, isNum := v.(json.Number)
	i, err := strconv.ParseInt(string(n), 10, 64)
	if !isNum || err != nil || i < int64(lo) || i > int64(hi) {
		f.sc.at(key).problem(CodeSchemaValidation, "must be an integer from %d to %d, not %s", lo, hi, encodeJSON(v))
		return 0, false
	}
	return int(i), true
}

// queryLanguage reads a QueryLanguage member; inherited is the language
// when it is absent.
func (f fields) queryLanguage(inherited string) string {
	switch s, ok := f.str("QueryLanguage", false); {
	case !ok:
		return inherited
	case s == langJSONPath || s == langJSONata:
		return s
	default:
		f.sc.at("QueryLanguage").problem(CodeSchemaValidation, "must be \"JSONPath\" or \"JSONata\", not %q", s)
	}
	return inherited
}

// checkLanguageFields reports the members of f that belong to the other
// query language, in AWS's words.
func (f fields) checkLanguageFields(jsonata bool) {
	for _, k := range f.obj.keys {
		switch {
		case jsonata && jsonPathOnly[k]:
			f.sc.report(CodeSchemaValidation, "The QueryLanguage is set to 'JSONata', but field '"+k+"' is only supported for the 'JSONPath' QueryLanguage")
		case !jsonata && jsonataOnly[k]:
			f.sc.report(CodeSchemaValidation, "The QueryLanguage is set to 'JSONPath', but field '"+k+"' is only supported for the 'JSONata' QueryLanguage")
		}
	}
}

// path parses the string member key as a path. reference demands a
// definite path; context allows "$$".
func (f fields) path(key string, reference, context bool) *path {
	v, ok := f.obj.get(key)
	if !ok {
		return nil
	}
	sc := f.sc.at(key)
	s, ok := v.(string)
	if !ok {
		sc.problem(CodeSchemaValidation, "must be a JSONPath string, not %s", describe(v))
		return nil
	}
	return checkPath(sc, s, reference, context)
}

// checkPath parses s found at sc and checks its kind.
func checkPath(sc scope, s string, reference, context bool) *path {
	if name, ok := intrinsicName(s); ok {
		sc.problem(CodeInvalidJSONPath, "must be a JSONPath: it does not accept intrinsic functions such as %s", name)
		return nil
	}
	p, err := parsePath(s)
	if err != nil {
		reportPathError(sc, err, s)
		return nil
	}
	switch {
	case p.context && !context:
		sc.problem(CodeInvalidJSONPath, "must be a path on the state's data ('$...'), not on the context object: '%s'", s)
		return nil
	case reference && !p.definite:
		sc.problem(CodeInvalidJSONPath, "must be a reference path that names a single value (no '*', '..', slices or unions): '%s'", s)
		return nil
	}
	return p
}

// reportPathError records a path parse error for the value s at sc.
func reportPathError(sc scope, err error, s string) {
	if pe, ok := err.(*pathError); ok && pe.unsupported {
		sc.problem(CodeUnsupportedFeature, "uses a JSONPath feature gaffer does not support ('%s'): %s", s, pe.msg)
		return
	}
	sc.problem(CodeInvalidJSONPath, "is not a valid JSONPath ('%s'): %v", s, err)
}

// dataPath reads an InputPath or OutputPath.
func (f fields) dataPath(key string) dataPath {
	v, ok := f.obj.get(key)
	switch {
	case !ok:
		return dataPath{}
	case v == nil:
		return dataPath{null: true}
	}
	p := f.path(key, false, true)
	if p == nil || len(p.segs) == 0 && !p.context && p.variable == "" {
		return dataPath{}
	}
	return dataPath{path: p}
}

// resultPath reads a ResultPath, which must be a reference path or null.
func (f fields) resultPath(key string) resultPath {
	v, ok := f.obj.get(key)
	switch {
	case !ok:
		return resultPath{}
	case v == nil:
		return resultPath{null: true}
	}
	p := f.path(key, true, false)
	if p == nil {
		return resultPath{}
	}
	if !p.reference() {
		f.sc.at(key).problem(CodeInvalidJSONPath, "must be a reference path with names and non-negative indexes only: '%s'", p.text)
		return resultPath{}
	}
	if len(p.segs) == 0 {
		return resultPath{}
	}
	return resultPath{path: p}
}

// template reads a Parameters or ResultSelector payload template.
func (f fields) template(key string) *template {
	v, ok := f.obj.get(key)
	if !ok {
		return nil
	}
	return compileTemplate(f.sc.at(key), v)
}

// Parse parses and validates a state machine definition (JSON text). On
// failure it returns a *DefinitionError listing every problem found.
func Parse(definition []byte) (*Machine, error) {
	v, err := decodeJSON(definition, true)
	if err != nil {
		return nil, &DefinitionError{Problems: []Problem{{
			Code: CodeInvalidJSON, Location: "/",
			Message: "The definition is not valid JSON: " + err.Error(),
		}}}
	}
	top, ok := v.(*object)
	if !ok {
		return nil, &DefinitionError{Problems: []Problem{{
			Code: CodeInvalidJSON, Location: "/",
			Message: "The definition must be a JSON object, not " + describe(v),
		}}}
	}
	c := &checker{}
	root := scope{c: c, who: "The state machine"}
	f := fields{sc: root, obj: top}
	m := &Machine{states: make(map[string]*state)}

	f.unknown(topFields, "the top level of a state machine")
	c.jsonata = f.queryLanguage(langJSONPath) == langJSONata
	m.Comment, _ = f.str("Comment", false)
	if ver, ok := f.str("Version", false); ok && ver != "1.0" {
		root.at("Version").problem(CodeSchemaValidation, "must be \"1.0\", not %q", ver)
	}
	m.TimeoutSeconds, _ = f.integer("TimeoutSeconds", 1, maxSeconds)

	parseStates(root, f, m)
	if len(c.problems) > 0 {
		return nil, &DefinitionError{Problems: c.problems}
	}
	return m, nil
}

// parseStates reads StartAt and States of a state machine, a Parallel
// branch or a Map state's ItemProcessor into m, and checks its transitions:
// a state can move only to a state of the same States.
func parseStates(root scope, f fields, m *Machine) {
	if start, ok := f.str("StartAt", true); ok {
		m.StartAt = start
		if start == "" {
			root.at("StartAt").problem(CodeSchemaValidation, "must name a state, not be empty")
		}
	}
	c := root.c
	outer := c.edges
	c.edges = nil
	var order []string
	switch sv, ok := f.obj.get("States"); {
	case !ok:
		root.at("States").problem(CodeSchemaValidation, "is required")
	default:
		states, ok := sv.(*object)
		if !ok {
			root.at("States").problem(CodeSchemaValidation, "must be an object, not %s", describe(sv))
			break
		}
		if len(states.keys) == 0 {
			root.at("States").problem(CodeSchemaValidation, "must contain at least one state")
		}
		for i, name := range states.keys {
			m.states[name] = parseState(root, name, states.vals[i])
			order = append(order, name)
		}
	}
	checkGraph(root, m, order)
	c.edges = outer
}

// checkGraph checks StartAt and every transition target, reachability from
// StartAt, and that some state ends the execution.
func checkGraph(root scope, m *Machine, order []string) {
	if len(order) == 0 {
		return
	}
	c := root.c
	startOK := m.StartAt != "" && m.states[m.StartAt] != nil
	if m.StartAt != "" && !startOK {
		root.at("StartAt").problem(CodeMissingTransitionTarget, "names state '%s', which does not exist", m.StartAt)
	}
	adj := make(map[string][]string)
	for _, e := range c.edges {
		if m.states[e.to] == nil {
			e.sc.problem(CodeMissingTransitionTarget, "names state '%s', which does not exist", e.to)
			continue
		}
		adj[e.sc.state] = append(adj[e.sc.state], e.to)
	}
	if startOK {
		seen := map[string]bool{m.StartAt: true}
		queue := []string{m.StartAt}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			for _, to := range adj[cur] {
				if !seen[to] {
					seen[to] = true
					queue = append(queue, to)
				}
			}
		}
		for _, name := range order {
			if !seen[name] {
				stateScope(root, name).problem(CodeUnreachableState, "cannot be reached from the StartAt state '%s'", m.StartAt)
			}
		}
	}
	for _, st := range m.states {
		if st.end || st.typ == typeSucceed || st.typ == typeFail {
			return
		}
	}
	root.at("States").problem(CodeMissingEndState, "has no state that ends the execution (a Succeed or Fail state, or a state with \"End\": true)")
}

// stateScope returns the scope of the named state.
func stateScope(root scope, name string) scope {
	return scope{c: root.c, state: name, who: "State '" + name + "'", loc: root.loc + "/States/" + pointerEscape(name)}
}

// parseState parses and checks one state.
func parseState(root scope, name string, v any) *state {
	sc := stateScope(root, name)
	st := &state{name: name}
	if n := utf8.RuneCountInString(name); n == 0 || n > maxStateNameLength {
		sc.problem(CodeSchemaValidation, "has a name of %d characters; state names must have 1 to %d", n, maxStateNameLength)
	}
	obj, ok := v.(*object)
	if !ok {
		sc.problem(CodeSchemaValidation, "must be a JSON object, not %s", describe(v))
		return st
	}
	f := fields{sc: sc, obj: obj}
	typ, ok := f.str("Type", true)
	st.typ = typ
	allowed, known := stateFields[typ]
	switch {
	case !ok:
	case !known:
		sc.at("Type").problem(CodeSchemaValidation, "is '%s', which is not a state type (Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map)", typ)
	}
	if !known {
		lenientTransitions(f, st)
		return st
	}
	for _, k := range obj.keys {
		if !allowed[k] && !commonFields[k] {
			f.unsupportedOr(k, "is not allowed in a %s state", typ)
		}
	}
	parseQueryLanguage(f, st)
	f.str("Comment", false)
	if st.jsonata {
		parseJSONataState(f, st)
		return st
	}
	switch typ {
	case typePass:
		parseNextOrEnd(f, st)
		parseDataFlow(f, st)
		if r, ok := obj.get("Result"); ok {
			st.result, st.hasResult = r, true
		}
	case typeTask:
		parseNextOrEnd(f, st)
		parseDataFlow(f, st)
		parseTask(f, st)
	case typeChoice:
		parseChoice(f, st)
	case typeWait:
		parseNextOrEnd(f, st)
		parseWait(f, st)
	case typeSucceed:
		st.inputPath = f.dataPath("InputPath")
		st.outputPath = f.dataPath("OutputPath")
	case typeFail:
		parseFail(f, st)
	case typeParallel:
		parseParallel(f, st)
	case typeMap:
		parseMap(f, st)
	}
	if typ != typeSucceed && typ != typeFail {
		st.assign = parseAssign(f, false)
	}
	return st
}

// parseQueryLanguage reads a state's QueryLanguage, which it inherits from
// the top level, and refuses the fields of the other language.
func parseQueryLanguage(f fields, st *state) {
	inherited := langJSONPath
	if f.sc.c.jsonata {
		inherited = langJSONata
	}
	lang := f.queryLanguage(inherited)
	if f.sc.c.jsonata && lang == langJSONPath {
		f.sc.report(CodeSchemaValidation, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine")
	}
	st.jsonata = lang == langJSONata
	f.checkLanguageFields(st.jsonata)
}

// lenientTransitions records the transitions of a state whose type is not
// run by gaffer, so that its successors are not also reported unreachable.
func lenientTransitions(f fields, st *state) {
	if next, ok := f.obj.get("Next"); ok {
		if s, ok := next.(string); ok {
			f.sc.at("Next").transition(s)
		}
	}
	if end, ok := f.obj.get("End"); ok && end == true {
		st.end = true
	}
	if cv, ok := f.obj.get("Catch"); ok {
		if cs, ok := cv.([]any); ok {
			for i, c := range cs {
				if o, ok := c.(*object); ok {
					if next, ok := o.value("Next").(string); ok {
						f.sc.at("Catch").elem(i).at("Next").transition(next)
					}
				}
			}
		}
	}
}

// parseNextOrEnd reads Next and End, exactly one of which a Pass, Task or
// Wait state needs.
func parseNextOrEnd(f fields, st *state) {
	next, hasNext := f.str("Next", false)
	end, endOK := f.boolean("End")
	switch {
	case hasNext && end:
		f.sc.problem(CodeSchemaValidation, "has both 'Next' and \"End\": true; it must have exactly one")
	case !f.has("Next") && !end && (endOK || !f.has("End")):
		f.sc.problem(CodeSchemaValidation, "has neither 'Next' nor \"End\": true; it must have exactly one")
	}
	if hasNext {
		st.next = next
		f.sc.at("Next").transition(next)
	}
	st.end = end && !hasNext
}

// parseDataFlow reads the InputPath, Parameters, ResultSelector, ResultPath
// and OutputPath of a Pass or Task state.
func parseDataFlow(f fields, st *state) {
	st.inputPath = f.dataPath("InputPath")
	st.parameters = f.template("Parameters")
	st.resultSelector = f.template("ResultSelector")
	st.resultPath = f.resultPath("ResultPath")
	st.outputPath = f.dataPath("OutputPath")
}

// parseTask reads a Task state's own fields.
func parseTask(f fields, st *state) {
	if res, ok := f.str("Resource", true); ok {
		if _, ok := ParseResource(res); !ok {
			f.sc.at("Resource").problem(CodeUnsupportedFeature, resourceProblem, res)
		}
		st.resource = res
	}
	st.timeout = parseSeconds(f, "TimeoutSeconds", "TimeoutSecondsPath")
	st.heartbeat = parseSeconds(f, "HeartbeatSeconds", "HeartbeatSecondsPath")
	if h, t := st.heartbeat.value, st.timeout.value; h > 0 && t > 0 && h >= t {
		f.sc.at("HeartbeatSeconds").problem(CodeSchemaValidation, "(%d) must be smaller than TimeoutSeconds (%d)", h, t)
	}
	st.retriers = parseRetry(f)
	st.catchers = parseCatch(f, false)
}

// isActivityARN reports whether s is arn:<partition>:states:<region>:<account>:activity:<name>.
func isActivityARN(s string) bool {
	parts := strings.Split(s, ":")
	if len(parts) != 7 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != "states" ||
		parts[3] == "" || parts[4] == "" || parts[5] != "activity" {
		return false
	}
	n := utf8.RuneCountInString(parts[6])
	return n >= 1 && n <= maxStateNameLength && !strings.ContainsAny(parts[6], " \t\r\n")
}

// parseSeconds reads a positive number of seconds given literally or by path.
func parseSeconds(f fields, literal, pathKey string) secondsField {
	if f.has(literal) && f.has(pathKey) {
		f.sc.at(pathKey).problem(CodeSchemaValidation, "cannot be used together with '%s'", literal)
	}
	var s secondsField
	s.value, _ = f.integer(literal, 1, maxSeconds)
	s.path = f.path(pathKey, true, true)
	return s
}

// parseRetry reads a Task state's Retry field.
func parseRetry(f fields) []retrier {
	v, ok := f.obj.get("Retry")
	if !ok {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		f.sc.at("Retry").problem(CodeSchemaValidation, "must be an array of retriers, not %s", describe(v))
		return nil
	}
	var rs []retrier
	for i, e := range arr {
		sc := f.sc.at("Retry").elem(i)
		obj, ok := e.(*object)
		if !ok {
			sc.problem(CodeSchemaValidation, "must be an object, not %s", describe(e))
			continue
		}
		rf := fields{sc: sc, obj: obj}
		rf.unknown(retrierFields, "a retrier")
		rf.str("Comment", false)
		r := retrier{interval: 1, maxAttempts: 3, backoff: 2}
		r.errorEquals = parseErrorEquals(rf, i == len(arr)-1, "retrier")
		if n, ok := rf.integer("IntervalSeconds", 1, maxSeconds); ok {
			r.interval = n
		}
		if n, ok := rf.integer("MaxAttempts", 0, maxSeconds); ok {
			r.maxAttempts = n
		}
		if n, ok := rf.integer("MaxDelaySeconds", 1, maxDelaySeconds); ok {
			r.maxDelay = n
		}
		if bv, ok := obj.get("BackoffRate"); ok {
			n, isNum := bv.(json.Number)
			rate, err := strconv.ParseFloat(string(n), 64)
			if !isNum || err != nil || rate < 1 {
				sc.at("BackoffRate").problem(CodeSchemaValidation, "must be a number of at least 1.0, not %s", encodeJSON(bv))
			} else {
				r.backoff = rate
			}
		}
		switch js, ok := rf.str("JitterStrategy", false); {
		case !ok, js == "NONE":
		case js == "FULL":
			r.fullJitter = true
		default:
			sc.at("JitterStrategy").problem(CodeSchemaValidation, "must be \"FULL\" or \"NONE\", not %q", js)
		}
		rs = append(rs, r)
	}
	return rs
}

// parseCatch reads a Task state's Catch field.
func parseCatch(f fields, jsonata bool) []catcher {
	v, ok := f.obj.get("Catch")
	if !ok {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		f.sc.at("Catch").problem(CodeSchemaValidation, "must be an array of catchers, not %s", describe(v))
		return nil
	}
	var cs []catcher
	for i, e := range arr {
		sc := f.sc.at("Catch").elem(i)
		obj, ok := e.(*object)
		if !ok {
			sc.problem(CodeSchemaValidation, "must be an object, not %s", describe(e))
			continue
		}
		cf := fields{sc: sc, obj: obj}
		cf.unknown(catcherFields, "a catcher")
		cf.checkLanguageFields(jsonata)
		cf.str("Comment", false)
		c := catcher{errorEquals: parseErrorEquals(cf, i == len(arr)-1, "catcher")}
		if next, ok := cf.str("Next", true); ok {
			c.next = next
			sc.at("Next").transition(next)
		}
		if jsonata {
			if v, ok := obj.get("Output"); ok {
				c.output = compileJTemplate(sc.at("Output"), v)
			}
		} else {
			c.resultPath = cf.resultPath("ResultPath")
		}
		c.assign = parseAssign(cf, jsonata)
		cs = append(cs, c)
	}
	return cs
}

// parseErrorEquals reads a retrier's or catcher's ErrorEquals.
func parseErrorEquals(f fields, last bool, what string) []string {
	v, ok := f.obj.get("ErrorEquals")
	sc := f.sc.at("ErrorEquals")
	if !ok {
		sc.problem(CodeSchemaValidation, "is required")
		return nil
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		sc.problem(CodeSchemaValidation, "must be a non-empty array of error names")
		return nil
	}
	var names []string
	for i, e := range arr {
		s, ok := e.(string)
		if !ok || s == "" {
			sc.elem(i).problem(CodeSchemaValidation, "must be a non-empty string, not %s", encodeJSON(e))
			continue
		}
		names = append(names, s)
	}
	for _, n := range names {
		if n != ErrorAll {
			continue
		}
		if len(arr) > 1 {
			sc.problem(CodeSchemaValidation, "must list States.ALL alone")
		}
		if !last {
			sc.problem(CodeSchemaValidation, "uses States.ALL, which is allowed only in the last %s", what)
		}
		break
	}
	return names
}

// parseWait reads a Wait state's fields.
func parseWait(f fields, st *state) {
	st.inputPath = f.dataPath("InputPath")
	st.outputPath = f.dataPath("OutputPath")
	n := 0
	for _, k := range []string{"Seconds", "Timestamp", "SecondsPath", "TimestampPath"} {
		if f.has(k) {
			n++
		}
	}
	if n != 1 {
		f.sc.problem(CodeSchemaValidation, "must have exactly one of 'Seconds', 'Timestamp', 'SecondsPath' and 'TimestampPath' (it has %d)", n)
	}
	if s, ok := f.integer("Seconds", 0, maxSeconds); ok {
		st.wait.seconds, st.wait.hasSeconds = s, true
	}
	if ts, ok := f.str("Timestamp", false); ok {
		t, ok := parseTimestamp(ts)
		if !ok {
			f.sc.at("Timestamp").problem(CodeSchemaValidation, "must be an RFC 3339 timestamp such as 2016-03-14T01:59:00Z, not %q", ts)
		}
		st.wait.timestamp = t
	}
	st.wait.secondsPath = f.path("SecondsPath", true, true)
	st.wait.timestampPath = f.path("TimestampPath", true, true)
}

// parseFail reads a Fail state's fields.
func parseFail(f fields, st *state) {
	for _, pair := range [][2]string{{"Error", "ErrorPath"}, {"Cause", "CausePath"}} {
		if f.has(pair[0]) && f.has(pair[1]) {
			f.sc.at(pair[1]).problem(CodeSchemaValidation, "cannot be used together with '%s'", pair[0])
		}
	}
	st.failError.value, _ = f.str("Error", false)
	st.failCause.value, _ = f.str("Cause", false)
	st.failError.path, st.failError.call = f.pathOrCall("ErrorPath")
	st.failCause.path, st.failCause.call = f.pathOrCall("CausePath")
}

// parseChoice reads a Choice state's fields.
func parseChoice(f fields, st *state) {
	if !st.jsonata {
		st.inputPath = f.dataPath("InputPath")
		st.outputPath = f.dataPath("OutputPath")
	}
	sc := f.sc.at("Choices")
	switch v, ok := f.obj.get("Choices"); {
	case !ok:
		sc.problem(CodeSchemaValidation, "is required")
	default:
		arr, ok := v.([]any)
		if !ok || len(arr) == 0 {
			sc.problem(CodeSchemaValidation, "must be a non-empty array of choice rules")
			break
		}
		for i, e := range arr {
			var r *rule
			if st.jsonata {
				r = compileJSONataRule(sc.elem(i), e)
			} else {
				r = compileRule(sc.elem(i), e, true)
			}
			if r != nil {
				st.choices = append(st.choices, r)
			}
		}
	}
	if def, ok := f.str("Default", false); ok {
		st.defaultNext = def
		f.sc.at("Default").transition(def)
	}
}

// compileRule compiles a choice rule at sc; top marks a rule directly in
// Choices, which needs Next (nested rules must not have one).
func compileRule(sc scope, v any, top bool) *rule {
	obj, ok := v.(*object)
	if !ok {
		sc.problem(CodeSchemaValidation, "must be a choice rule object, not %s", describe(v))
		return nil
	}
	f := fields{sc: sc, obj: obj}
	r := &rule{}
	var ops []string
	unsupported := false
	for _, k := range obj.keys {
		_, isOp := operators[k]
		if _, ok := unsupportedFields[k]; ok {
			unsupported = true
		}
		switch {
		case k == "Variable" || k == "Comment" || k == "Next":
		case k == "Assign" && top:
		case k == "And" || k == "Or" || k == "Not" || isOp:
			ops = append(ops, k)
		case jsonataOnly[k] && top:
			unsupported = true
			f.sc.report(CodeSchemaValidation, "The QueryLanguage is set to 'JSONPath', but field '"+k+"' is only supported for the 'JSONata' QueryLanguage")
		default:
			f.unsupportedOr(k, "is not a comparison operator or choice rule field")
		}
	}
	f.str("Comment", false)
	if top {
		r.assign = parseAssign(f, false)
		if next, ok := f.str("Next", true); ok {
			r.next = next
			sc.at("Next").transition(next)
		}
	} else if f.has("Next") {
		sc.at("Next").problem(CodeSchemaValidation, "is allowed only in top-level choice rules, not inside And, Or or Not")
	}
	switch len(ops) {
	case 0:
		if unsupported {
			return nil // already reported: a JSONata Condition, an Assign
		}
		sc.problem(CodeSchemaValidation, "has no comparison operator (such as StringEquals) and no And, Or or Not")
		return nil
	case 1:
	default:
		sc.problem(CodeSchemaValidation, "has more than one operator (%s); use And or Or to combine them", strings.Join(ops, ", "))
		return nil
	}
	r.op = ops[0]
	osc := sc.at(r.op)
	operand := obj.value(r.op)
	switch r.op {
	case "And", "Or":
		if f.has("Variable") {
			sc.at("Variable").problem(CodeSchemaValidation, "cannot be used with %s", r.op)
		}
		arr, ok := operand.([]any)
		if !ok || len(arr) == 0 {
			osc.problem(CodeSchemaValidation, "must be a non-empty array of choice rules")
			return nil
		}
		for i, e := range arr {
			c := compileRule(osc.elem(i), e, false)
			if c == nil {
				return nil
			}
			r.children = append(r.children, c)
		}
		return r
	case "Not":
		if f.has("Variable") {
			sc.at("Variable").problem(CodeSchemaValidation, "cannot be used with Not")
		}
		c := compileRule(osc, operand, false)
		if c == nil {
			return nil
		}
		r.children = []*rule{c}
		return r
	}
	varText, ok := f.str("Variable", true)
	if !ok {
		return nil
	}
	if r.variable = checkPath(sc.at("Variable"), varText, false, true); r.variable == nil {
		return nil
	}
	r.operator = operators[r.op]
	if r.operator.path {
		s, ok := operand.(string)
		if !ok {
			osc.problem(CodeSchemaValidation, "must be a JSONPath string, not %s", describe(operand))
			return nil
		}
		if r.operandP = checkPath(osc, s, false, true); r.operandP == nil {
			return nil
		}
		return r
	}
	var want string
	switch r.operator.class {
	case classString:
		if _, ok := operand.(string); !ok {
			want = "a string"
		}
	case classMatches:
		if s, ok := operand.(string); ok {
			operand = compileGlob(s)
		} else {
			want = "a string pattern"
		}
	case classNumeric:
		if _, ok := operand.(json.Number); !ok {
			want = "a number"
		}
	case classBoolean, classIs:
		if _, ok := operand.(bool); !ok {
			want = "a boolean"
		}
	case classTimestamp:
		s, _ := operand.(string)
		if t, ok := parseTimestamp(s); ok {
			operand = t
		} else {
			want = "an RFC 3339 timestamp string such as 2016-03-14T01:59:00Z"
		}
	}
	if want != "" {
		osc.problem(CodeSchemaValidation, "must be %s, not %s", want, encodeJSON(operand))
		return nil
	}
	r.operand = operand
	return r
}
