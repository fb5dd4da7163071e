// Package scripttest runs the golden scripts of the package tests that
// drive a component through a sequence of commands (internal/asl,
// internal/pipeline/expr).
//
// A script (testdata/*.txt) is a sequence of cases, each written as
//
//	command [argument...]
//	optional body lines
//	----
//	expected output lines
//	<blank line>
//
// Blank lines and lines starting with '#' between cases are comments; they
// are kept when the script is rewritten. What the commands mean is up to the
// test that runs the script. Run with -update to rewrite each script with
// the output its commands give now.
package scripttest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected output in the test scripts")

// Case is one command of a script.
type Case struct {
	Cmd    string
	Arg    string // the rest of the command line, as written
	Body   string // the lines between the command line and ----
	Want   string // the lines after ----, up to a blank line
	header []string
}

// Args returns the command's arguments, split at white space.
func (c Case) Args() []string { return strings.Fields(c.Arg) }

// Parse splits a script into its cases; name is the script's name, for
// errors. Comments after the last case come back as a case with no Cmd.
func Parse(name, text string) ([]Case, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	var cases []Case
	var header []string
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			header = append(header, line)
			continue
		}
		c := Case{header: header}
		header = nil
		c.Cmd, c.Arg, _ = strings.Cut(line, " ")
		var body []string
		for i++; i < len(lines) && lines[i] != "----"; i++ {
			body = append(body, lines[i])
		}
		if i >= len(lines) {
			return nil, fmt.Errorf("%s: command %q has no ---- line", name, line)
		}
		var want []string
		for i++; i < len(lines) && lines[i] != ""; i++ {
			want = append(want, lines[i])
		}
		c.Body = strings.Join(body, "\n")
		c.Want = strings.Join(want, "\n")
		cases = append(cases, c)
	}
	if len(header) > 0 {
		cases = append(cases, Case{header: header})
	}
	return cases, nil
}

// Render writes cases back as a script, with their Want outputs.
func Render(cases []Case) string {
	var b strings.Builder
	for i, c := range cases {
		for _, h := range c.header {
			b.WriteString(h + "\n")
		}
		if c.Cmd == "" {
			continue
		}
		b.WriteString(c.Cmd)
		if c.Arg != "" {
			b.WriteString(" " + c.Arg)
		}
		b.WriteString("\n")
		if c.Body != "" {
			b.WriteString(c.Body + "\n")
		}
		b.WriteString("----\n")
		if c.Want != "" {
			b.WriteString(c.Want + "\n")
		}
		if i < len(cases)-1 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// parseFile reads and parses the script in file.
func parseFile(t testing.TB, file string) []Case {
	t.Helper()
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cases, err := Parse(file, string(text))
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// Cases returns the cases of every script matching pattern, in order (to
// seed a fuzz test with what the scripts hold, say).
func Cases(t testing.TB, pattern string) []Case {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	var all []Case
	for _, file := range files {
		all = append(all, parseFile(t, file)...)
	}
	return all
}

// Run runs each script matching pattern as a parallel subtest named for the
// file. For each script it calls start for a fresh do, then do for each case
// in order: do returns the command's output, or an error that ends the script
// (a bad command, not a wrong output). Each output is compared with the
// case's Want; with -update the script is rewritten with the outputs instead.
func Run(t *testing.T, pattern string, start func() (do func(Case) (string, error))) {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no scripts match %s", pattern)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)), func(t *testing.T) {
			t.Parallel()
			cases := parseFile(t, file)
			do := start()
			for i, c := range cases {
				if c.Cmd == "" {
					continue
				}
				got, err := do(c)
				if err != nil {
					t.Fatalf("%s: %s: %v", file, c.Cmd, err)
				}
				if *update {
					cases[i].Want = got
					continue
				}
				if got != c.Want {
					t.Errorf("%s: %s %s:\ngot:\n%s\nwant:\n%s", file, c.Cmd, c.Arg, got, c.Want)
				}
			}
			if *update {
				if err := os.WriteFile(file, []byte(Render(cases)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
