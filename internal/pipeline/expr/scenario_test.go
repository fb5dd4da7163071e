package expr

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected output in testdata/*.txt")

// A script (testdata/*.txt) is a sequence of commands, each written as
//
//	command [argument]
//	optional body lines
//	----
//	expected output lines
//	<blank line>
//
// Lines starting with '#' between commands are comments. The argument is
// the rest of the line, as written. The commands:
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

// scriptCase is one command of a script.
type scriptCase struct {
	cmd    string
	arg    string
	body   string
	want   string
	header []string // comment and blank lines before the command, kept for -update
}

// parseScript splits a script into its commands.
func parseScript(t testing.TB, name, text string) []scriptCase {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	var cases []scriptCase
	var header []string
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			header = append(header, line)
			continue
		}
		c := scriptCase{header: header}
		header = nil
		c.cmd, c.arg, _ = strings.Cut(line, " ")
		var body []string
		for i++; i < len(lines) && lines[i] != "----"; i++ {
			body = append(body, lines[i])
		}
		if i >= len(lines) {
			t.Fatalf("%s: command %q has no ---- line", name, line)
		}
		var want []string
		for i++; i < len(lines) && lines[i] != ""; i++ {
			want = append(want, lines[i])
		}
		c.body = strings.Join(body, "\n")
		c.want = strings.Join(want, "\n")
		cases = append(cases, c)
	}
	if len(header) > 0 {
		cases = append(cases, scriptCase{header: header})
	}
	return cases
}

// do runs one command and returns its output; env is the script's Env.
func do(c scriptCase, env *fields) (string, error) {
	switch c.cmd {
	case "env":
		m := map[string]string{}
		for _, line := range strings.Split(c.body, "\n") {
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
		out, err := EvalWithin(c.arg, &fields{m: env.m, b: b}, b)
		switch {
		case err != nil && out == c.arg:
			return "error: " + err.Error(), nil
		case err != nil:
			return out + "\nerror: " + err.Error(), nil
		}
		return out, nil
	case "validate":
		if err := Validate(c.arg); err != nil {
			return "error: " + err.Error(), nil
		}
		return "ok", nil
	}
	return "", fmt.Errorf("unknown command %q", c.cmd)
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

// renderScript writes cases back as a script, with their outputs.
func renderScript(cases []scriptCase) string {
	var b strings.Builder
	for i, c := range cases {
		for _, h := range c.header {
			b.WriteString(h + "\n")
		}
		if c.cmd == "" {
			continue
		}
		b.WriteString(c.cmd)
		if c.arg != "" {
			b.WriteString(" " + c.arg)
		}
		b.WriteString("\n")
		if c.body != "" {
			b.WriteString(c.body + "\n")
		}
		b.WriteString("----\n")
		if c.want != "" {
			b.WriteString(c.want + "\n")
		}
		if i < len(cases)-1 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func TestScenarios(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenarios in testdata")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			t.Parallel()
			text, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			cases := parseScript(t, file, string(text))
			env := &fields{}
			for i, c := range cases {
				if c.cmd == "" {
					continue
				}
				got, err := do(c, env)
				if err != nil {
					t.Fatalf("%s: %s: %v", file, c.cmd, err)
				}
				if *update {
					cases[i].want = got
					continue
				}
				if got != c.want {
					t.Errorf("%s: %s %s:\ngot:\n%s\nwant:\n%s", file, c.cmd, c.arg, got, c.want)
				}
			}
			if *update {
				if err := os.WriteFile(file, []byte(renderScript(cases)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
