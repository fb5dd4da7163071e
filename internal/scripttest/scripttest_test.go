package scripttest

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	t.Parallel()
	Run(t, "testdata/*.txt", func() func(Case) (string, error) {
		n := 0
		return func(c Case) (string, error) {
			n++
			switch c.Cmd {
			case "echo":
				return strings.TrimSuffix(c.Arg+"\n"+c.Body, "\n"), nil
			case "count":
				return strconv.Itoa(n), nil
			}
			return "", nil
		}
	})
}

func TestParseRender(t *testing.T) {
	t.Parallel()
	const script = "# comment\n\ncmd a  b\nbody\n----\nout\n\nbare\n----\n\n# end\n"
	cases, err := Parse("s", script)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 3 {
		t.Fatalf("got %d cases, want 3: %+v", len(cases), cases)
	}
	c := cases[0]
	if c.Cmd != "cmd" || c.Arg != "a  b" || c.Body != "body" || c.Want != "out" {
		t.Errorf("first case = %+v", c)
	}
	if got, want := c.Args(), []string{"a", "b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Args() = %q, want %q", got, want)
	}
	if cases[1].Cmd != "bare" || cases[1].Arg != "" || cases[1].Want != "" {
		t.Errorf("second case = %+v", cases[1])
	}
	if cases[2].Cmd != "" {
		t.Errorf("trailing comment parsed as command %q", cases[2].Cmd)
	}
	if got := Render(cases); got != script {
		t.Errorf("Render:\n%s\nwant:\n%s", got, script)
	}
}

func TestParseNoSeparator(t *testing.T) {
	t.Parallel()
	if _, err := Parse("s", "cmd\nbody\n"); err == nil || !strings.Contains(err.Error(), "s: command \"cmd\" has no ---- line") {
		t.Errorf("Parse without ---- = %v", err)
	}
}
