package asl

import (
	"fmt"
	"strings"
)

// dataPath is an InputPath or OutputPath.
type dataPath struct {
	null bool  // JSON null: the data becomes {}
	path *path // nil (and not null): "$", the data unchanged
}

// apply selects the part of v that dataPath names.
func (d dataPath) apply(v any, e *env) (any, error) {
	switch {
	case d.null:
		return newObject(0), nil
	case d.path == nil:
		return v, nil
	}
	out, ok := e.lookup(d.path, v)
	if !ok {
		return nil, e.fail("Invalid path '%s' : No results for path: %s", d.path.text, d.path.normalized())
	}
	return out, nil
}

// resultPath is a ResultPath: where a state's result goes in its raw input.
type resultPath struct {
	null bool  // JSON null: the result is discarded, the input passes through
	path *path // nil (and not null): "$", the result replaces the input
}

// apply places result into raw as the ResultPath says.
func (r resultPath) apply(raw, result any, e *env) (any, error) {
	switch {
	case r.null:
		return raw, nil
	case r.path == nil:
		return result, nil
	}
	out, err := r.path.set(raw, result)
	if err != nil {
		return nil, &RuntimeError{
			ErrorName: ErrorResultPathMatchFailure,
			CauseText: e.causePrefix() + fmt.Sprintf("Unable to apply ResultPath '%s' to input '%s': %v",
				r.path.text, encodeJSON(raw), err),
		}
	}
	return out, nil
}

// template is a compiled Parameters or ResultSelector payload template: a
// JSON value in which object keys ending in ".$" take the value of a path.
type template struct {
	literal any        // a value without ".$" keys, used as is
	path    *path      // a ".$" field's path
	call    *intrinsic // a ".$" field's intrinsic function call
	key     string     // the ".$" key, for messages
	fields  []tmplKey  // an object with a ".$" key somewhere inside
	items   []*template
	array   bool // items holds an array's elements
}

// readsInput reports whether evaluating t may read its "$" data: a path
// on it, or an intrinsic call (whose arguments may be such paths).
func (t *template) readsInput() bool {
	switch {
	case t.call != nil:
		return true
	case t.path != nil:
		return !t.path.context && t.path.variable == ""
	}
	for _, f := range t.fields {
		if f.value.readsInput() {
			return true
		}
	}
	for _, it := range t.items {
		if it.readsInput() {
			return true
		}
	}
	return false
}

// tmplKey is one member of a template object.
type tmplKey struct {
	name  string
	value *template
}

// dynamic reports whether t needs evaluating.
func (t *template) dynamic() bool {
	return t.path != nil || t.call != nil || t.fields != nil || t.array
}

// compileTemplate compiles the template v found at sc, recording problems.
func compileTemplate(sc scope, v any) *template {
	switch v := v.(type) {
	case *object:
		t := &template{}
		dynamic := false
		seen := make(map[string]string, len(v.keys))
		for i, k := range v.keys {
			ksc := sc.at(k)
			name := k
			var child *template
			if strings.HasSuffix(k, ".$") {
				name = strings.TrimSuffix(k, ".$")
				child = compileTemplatePath(ksc, k, v.vals[i])
			} else {
				child = compileTemplate(ksc, v.vals[i])
			}
			if other, dup := seen[name]; dup {
				ksc.problem(CodeSchemaValidation, "clashes with field '%s': both produce the key '%s'", other, name)
			}
			seen[name] = k
			if child.dynamic() {
				dynamic = true
			}
			t.fields = append(t.fields, tmplKey{name: name, value: child})
		}
		if !dynamic {
			return &template{literal: v}
		}
		return t
	case []any:
		t := &template{array: true}
		dynamic := false
		for i, e := range v {
			child := compileTemplate(sc.elem(i), e)
			if child.dynamic() {
				dynamic = true
			}
			t.items = append(t.items, child)
		}
		if !dynamic {
			return &template{literal: v}
		}
		return t
	default:
		return &template{literal: v}
	}
}

// compileTemplatePath compiles the value of the ".$" key k.
func compileTemplatePath(sc scope, k string, v any) *template {
	t := &template{key: k, literal: nil}
	s, ok := v.(string)
	if !ok {
		sc.problem(CodeInvalidJSONPath, "must be a JSONPath string, not %s", describe(v))
		return &template{literal: nil}
	}
	if _, ok := intrinsicName(s); ok {
		if t.call = compileIntrinsic(sc, s); t.call == nil {
			return &template{literal: nil}
		}
		return t
	}
	p, err := parsePath(s)
	if err != nil {
		reportPathError(sc, err, s)
		return &template{literal: nil}
	}
	t.path = p
	return t
}

// intrinsicName returns the function name if s is an intrinsic function call
// such as States.Format('{}', $.a).
func intrinsicName(s string) (string, bool) {
	if !strings.HasPrefix(s, "States.") {
		return "", false
	}
	name := s
	if i := strings.IndexByte(s, '('); i >= 0 {
		name = s[:i]
	}
	return strings.TrimSpace(name), true
}

// eval builds the payload from in (the "$" data) and e (the "$$" data).
func (t *template) eval(in any, e *env) (any, error) {
	switch {
	case t.call != nil:
		return t.call.eval(in, e, t.key)
	case t.path != nil:
		v, ok := e.lookup(t.path, in)
		if !ok {
			where := "the input '" + string(encodeJSON(in)) + "'"
			switch {
			case t.path.context:
				where = "the context object"
			case t.path.variable != "":
				where = "the workflow variables"
			}
			return nil, e.fail("The JSONPath '%s' specified for the field '%s' could not be found in %s", t.path.text, t.key, where)
		}
		return v, nil
	case t.fields != nil:
		o := newObject(len(t.fields))
		for _, f := range t.fields {
			v, err := f.value.eval(in, e)
			if err != nil {
				return nil, err
			}
			o.set(f.name, v)
		}
		return o, nil
	case t.array:
		a := make([]any, 0, len(t.items))
		for _, item := range t.items {
			v, err := item.eval(in, e)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		return a, nil
	}
	return t.literal, nil
}
