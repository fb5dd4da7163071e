package expr

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gaffer-dev/gaffer/internal/scripttest"
)

// A script (testdata/*.txt) is a sequence of commands in the format of
// internal/scripttest (-update rewrites the expected outputs). The argument
// is the rest of the line, as written. The commands:
//
//	env        body: the references the Env resolves, one "name=text" a
//	           line ("parent.x=..." for #{parent.x}); a text holding
//	           expressions is evaluated in turn. Replaces the previous
//	           env; prints "ok"
//	eval s     Eval the string value s; prints the result and, on error,
//	           "error: " and the error (alone if the result is s as
//	           written)
//	validate s Validate the string value s; prints "ok" or "error: " and
//	           the error

// do runs one command and returns its output; env is the script's Env.
func do(c scripttest.Case, env *fields) (string, error) {
	switch c.Cmd {
	case "env":
		m := map[string]string{}
		for _, line := range strings.Split(c.Body, "\n") {
			if line == "" {
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return "", fmt.Errorf("env line %q is not name=text", line)
			}
			m[k] = v
		}
		*env = fields{m: m}
		return "ok", nil
	case "eval":
		// One budget for the value and those its references read.
		b := new(Budget)
		out, err := EvalWithin(c.Arg, &fields{m: env.m, b: b}, b)
		switch {
		case err != nil && out == c.Arg:
			return "error: " + err.Error(), nil
		case err != nil:
			return out + "\nerror: " + err.Error(), nil
		}
		return out, nil
	case "validate":
		if err := Validate(c.Arg); err != nil {
			return "error: " + err.Error(), nil
		}
		return "ok", nil
	}
	return "", fmt.Errorf("unknown command %q", c.Cmd)
}

// maxDepth bounds how deep fields refer to fields holding expressions.
const maxDepth = 8

var errTooDeep = errors.New("references nest too deep")

// fields is the Env of the scripts: a map from a reference's dotted path
// to its text. A text holding expressions is evaluated in the same fields,
// maxDepth deep at most, spending from budget b (a budget of its own if
// nil).
type fields struct {
	m     map[string]string
	depth int
	b     *Budget
}

func (f *fields) Resolve(path []string) (string, error) {
	name := strings.Join(path, ".")
	v, ok := f.m[name]
	switch {
	case !ok:
		return "", fmt.Errorf("'%s' is not in the env", name)
	case f.depth >= maxDepth:
		return "", errTooDeep
	}
	var out string
	var err error
	if f.b == nil {
		out, err = Eval(v, &fields{m: f.m, depth: f.depth + 1})
	} else {
		out, err = EvalWithin(v, &fields{m: f.m, depth: f.depth + 1, b: f.b}, f.b)
	}
	switch {
	case errors.Is(err, errTooDeep):
		return "", errTooDeep
	case err != nil:
		return "", fmt.Errorf("'%s': %w", name, err)
	}
	return out, nil
}

func TestScenarios(t *testing.T) {
	t.Parallel()
	scripttest.Run(t, "testdata/*.txt", func() func(scripttest.Case) (string, error) {
		env := &fields{}
		return func(c scripttest.Case) (string, error) { return do(c, env) }
	})
}
