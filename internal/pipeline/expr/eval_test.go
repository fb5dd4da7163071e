package expr

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// envFunc is an Env that is a function.
type envFunc func(path []string) (string, error)

func (f envFunc) Resolve(path []string) (string, error) { return f(path) }

func TestEvalResolvesReferences(t *testing.T) {
	t.Parallel()
	var got [][]string
	env := envFunc(func(path []string) (string, error) {
		got = append(got, slices.Clone(path))
		return "2011-05-24T17:10:00", nil
	})
	out, err := Eval("#{a} #{node.errorMessage} #{plusDays(@scheduledStartTime,1)} #{*myParam}", env)
	if want := "2011-05-24T17:10:00 2011-05-24T17:10:00 2011-05-25T17:10:00 2011-05-24T17:10:00"; out != want || err != nil {
		t.Errorf("Eval = %q, %v; want %q", out, err, want)
	}
	want := [][]string{{"a"}, {"node", "errorMessage"}, {"@scheduledStartTime"}, {"*myParam"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("Resolve got paths %q, want %q", got, want)
	}
}

func TestEvalError(t *testing.T) {
	t.Parallel()
	errNoField := errors.New("no such field")
	env := envFunc(func(path []string) (string, error) { return "", errNoField })

	// The first expression that cannot be evaluated is the *Error; the
	// Env's error is reachable through it.
	out, err := Eval("a #{1 + 1} b #{x} c #{nope(1)}", env)
	var ee *Error
	if out != "a 2 b #{x} c #{nope(1)}" || !errors.As(err, &ee) || ee.Expr != "x" || !errors.Is(err, errNoField) {
		t.Fatalf("Eval = %q, %v; want #{x} and #{nope(1)} left as written, and an *Error for #{x}", out, err)
	}
	if want := "'#{x}': no such field"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}

	// A value whose expression never closes is not evaluated at all.
	out, err = Eval("a #{1 + 1} b #{2", env)
	if out != "a #{1 + 1} b #{2" || err == nil || errors.As(err, &ee) {
		t.Errorf("Eval of an unclosed expression = %q, %v; want it unchanged, and an error that is not an *Error", out, err)
	}
}

// A value without an expression is returned as is, without allocating.
// Not parallel: testing.AllocsPerRun refuses to run in a parallel test.
func TestEvalPlainDoesNotAllocate(t *testing.T) {
	plain := "echo hello world"
	if n := testing.AllocsPerRun(100, func() { _, _ = Eval(plain, nil) }); n != 0 {
		t.Errorf("Eval of a plain value allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = Validate(plain) }); n != 0 {
		t.Errorf("Validate of a plain value allocates %v times", n)
	}
}

func TestFormatDouble(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{4, "4.0"}, {0.5, "0.5"}, {-2.25, "-2.25"}, {0, "0.0"}, {math.Copysign(0, -1), "-0.0"},
		{123456.789, "123456.789"}, {9999999, "9999999.0"}, {1e7, "1.0E7"}, {1.25e10, "1.25E10"},
		{0.001, "0.001"}, {1.5e-4, "1.5E-4"}, {math.NaN(), "NaN"}, {math.Inf(1), "Infinity"}, {math.Inf(-1), "-Infinity"},
	} {
		if got := formatDouble(tc.f); got != tc.want {
			t.Errorf("formatDouble(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

// BenchmarkEval measures evaluating a value, its references resolved by a
// map.
func BenchmarkEval(b *testing.B) {
	env := &fields{m: map[string]string{"@scheduledStartTime": "2024-01-02T03:04:05", "workerGroup": "wg"}}
	for _, bc := range []struct{ name, s string }{
		{"plain", "echo hello world"},
		{"reference", "s3://bucket/#{workerGroup}/out"},
		{"format", "s3://bucket/#{format(minusDays(@scheduledStartTime,1),'YYYY-MM-dd')}/out"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = Eval(bc.s, env)
			}
		})
	}
}
