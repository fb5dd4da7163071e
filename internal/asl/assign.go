package asl

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Workflow variable limits, as AWS documents them: a variable name has at
// most 80 characters; one variable's value, and all the values one Assign
// sets together, are at most 256 KiB of JSON text; all the variables of an
// execution (every scope's) at most 10 MiB.
const (
	maxVarNameLength  = 80
	MaxVariableSize   = 256 << 10
	MaxAssignSize     = 256 << 10
	MaxTotalVariables = 10 << 20
)

// assignment is a compiled Assign field. In a JSONPath state it is a
// payload template whose ".$" keys take a path's value ("x.$": "$.a"); in a
// JSONata state each value may hold "{% ... %}" expressions.
type assignment struct {
	jsonPath *template  // JSONPath: the whole object, "x.$" keys named "x"
	jsonata  []jtmplKey // JSONata: one template per variable
	names    []string   // the variables, in order
	isJSONa  bool
	literal  *object // JSONPath: the object when nothing needs evaluating
}

// parseAssign reads the Assign member of f, if any.
func parseAssign(f fields, jsonata bool) *assignment {
	v, ok := f.obj.get("Assign")
	if !ok {
		return nil
	}
	sc := f.sc.at("Assign")
	obj, ok := v.(*object)
	if !ok {
		sc.problem(CodeSchemaValidation, "must be an object of variable names and values, not %s", describe(v))
		return nil
	}
	a := &assignment{isJSONa: jsonata}
	for i, k := range obj.keys {
		name := k
		if !jsonata {
			name = strings.TrimSuffix(k, ".$")
		}
		if msg := checkVarName(name); msg != "" {
			sc.at(k).problem(CodeSchemaValidation, "%s", msg)
			continue
		}
		a.names = append(a.names, name)
		if jsonata {
			a.jsonata = append(a.jsonata, jtmplKey{name: name, value: compileJTemplate(sc.at(k), obj.vals[i])})
		}
	}
	if !jsonata {
		t := compileTemplate(sc, obj)
		if t.dynamic() {
			a.jsonPath = t
		} else {
			a.literal, _ = t.literal.(*object)
		}
	}
	return a
}

// checkVarName returns what is wrong with a variable name, or "".
func checkVarName(name string) string {
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return "is not a valid variable name: a name must not be empty"
	case n > maxVarNameLength:
		return "is not a valid variable name: a name has at most 80 characters"
	case name == "states":
		return "is not a valid variable name: 'states' is reserved"
	}
	for i, r := range name {
		ok := r == '_' || unicode.IsLetter(r) || i > 0 && (unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) || unicode.Is(unicode.Pc, r))
		if !ok {
			return "is not a valid variable name: a name starts with a letter or '_' and goes on with letters, digits and '_'"
		}
	}
	return ""
}

// eval evaluates the assignments: data is "$" in a JSONPath state (the
// state's result, or its input for Choice and Wait); sc is $states in a
// JSONata state. Every value sees the variables as they were before the
// state: assignments take effect only once the state is done.
func (a *assignment) eval(e *env, data any, sc *jsonataScope) (*object, error) {
	if a == nil {
		return nil, nil
	}
	var out *object
	switch {
	case a.isJSONa:
		out = newObject(len(a.jsonata))
		for _, k := range a.jsonata {
			v, err := k.value.eval(e, sc, "Assign/"+k.name)
			if err != nil {
				return nil, err
			}
			out.set(k.name, v)
		}
	case a.jsonPath != nil:
		v, err := a.jsonPath.eval(data, e)
		if err != nil {
			return nil, err
		}
		out, _ = v.(*object)
	default:
		out = a.literal
	}
	if out == nil || len(out.keys) == 0 {
		return nil, nil
	}
	total := 0
	for i, k := range out.keys {
		n := jsonSize(out.vals[i], MaxVariableSize)
		if n > MaxVariableSize {
			return nil, e.fail("The value assigned to the variable '%s' is larger than the maximum size of a variable (%d bytes).", k, MaxVariableSize)
		}
		total += n
	}
	if total > MaxAssignSize {
		return nil, e.fail("The variables assigned by the state are larger together than the maximum size of one Assign (%d bytes).", MaxAssignSize)
	}
	return out, nil
}

// AssignedVariables returns the workflow variables the state's Assign set
// (on a Choice state, that of the rule taken, or of the state when Default
// is taken; on a Catch, the catcher's), each as compact JSON text, by name;
// nil when it set none. They take effect once the state is done: the
// caller stores them in the scope the state runs in, and records them as
// assignedVariables in the state's *StateExited history event.
func (s Step) AssignedVariables() map[string]string {
	if s.assign == nil || len(s.assign.keys) == 0 {
		return nil
	}
	m := make(map[string]string, len(s.assign.keys))
	for i, k := range s.assign.keys {
		m[k] = string(encodeJSON(s.assign.vals[i]))
	}
	return m
}

// variable returns the workflow variable name as the state sees it.
func (e *env) variable(name string) (any, bool) {
	return e.ctx.vars.get(name)
}
