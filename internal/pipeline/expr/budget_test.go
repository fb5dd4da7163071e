package expr

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// fanOut returns fields f1..f<depth> where each f<i> refers width times
// to f<i+1>, and the last is "x".
func fanOut(width, depth int) map[string]string {
	m := map[string]string{}
	for i := 1; i < depth; i++ {
		m[fmt.Sprintf("f%d", i)] = strings.Repeat(fmt.Sprintf("#{f%d}", i+1), width)
	}
	m[fmt.Sprintf("f%d", depth)] = "x"
	return m
}

// The reported fan-out, 40 references 7 deep (40^7 of them), stops after
// MaxSteps with a *BudgetError in an *Error, the value left as written.
func TestEvalFanOutStops(t *testing.T) {
	t.Parallel()
	b := new(Budget)
	env := &fields{m: fanOut(40, 7), b: b}
	out, err := EvalWithin("a #{f1} b", env, b)
	var ee *Error
	var be *BudgetError
	if out != "a #{f1} b" || !errors.As(err, &ee) || ee.Expr != "f1" || !errors.As(err, &be) || be.Limit != LimitSteps {
		t.Fatalf("EvalWithin = %q, %v; want the value as written and a steps BudgetError for #{f1}", out, err)
	}
	if b.Steps != MaxSteps+1 {
		t.Errorf("Budget.Steps = %d, want it stopped at %d", b.Steps, MaxSteps+1)
	}
	// Eval has a budget of its own: the scripts' env shares it.
	if _, err := Eval("#{f1}", &fields{m: fanOut(40, 7)}); !errors.As(err, &be) {
		t.Errorf("Eval = %v, want a BudgetError", err)
	}
}

// Steps counts what evaluation spends: equal to the budget spent when
// every reference resolves, and capped past MaxSteps.
func TestSteps(t *testing.T) {
	t.Parallel()
	m := fanOut(3, 4)
	m["d"] = "2011-05-24T17:10:00"
	m["g"] = "#{plusDays(d, 1)} #{format(plusDays(d, 2), 'YYYY')} #{-f3} #{f4 + f4}"
	var steps func(path []string) int
	steps = func(path []string) int { return Steps(m[strings.Join(path, ".")], steps) }
	for _, s := range []string{"#{f1}", "#{f2}#{f2}", "#{g}", "plain", "#{nope}", "#{", "#{1 +}"} {
		b := new(Budget)
		_, _ = EvalWithin(s, &fields{m: m, b: b}, b)
		if got := Steps(s, steps); got != b.Steps {
			t.Errorf("Steps(%q) = %d, evaluation spent %d", s, got, b.Steps)
		}
	}
	big := fanOut(40, 7)
	steps = func(path []string) int { return Steps(big[strings.Join(path, ".")], steps) }
	if got := Steps("#{f1}", steps); got != MaxSteps+1 {
		t.Errorf("Steps of 40^7 references = %d, want %d (capped)", got, MaxSteps+1)
	}
}

func TestBudgetLimits(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 1000) // 2,000 bytes, 1,000 characters
	env := &fields{m: map[string]string{"long": long}}

	// MaxLen counts characters, not bytes.
	fits := strings.Repeat("#{long}", MaxLen/1000)
	if out, err := Eval(fits, env); err != nil || len(out) != 2*1000*(MaxLen/1000) {
		t.Errorf("Eval of %d characters = %d bytes, %v; want it evaluated", 1000*(MaxLen/1000), len(out), err)
	}
	var be *BudgetError
	if _, err := Eval(fits+"#{long}", env); !errors.As(err, &be) || be.Limit != LimitLen {
		t.Errorf("Eval over MaxLen: %v, want a length BudgetError", err)
	}

	// Bytes are spent across the values of an evaluation.
	b := &Budget{Bytes: MaxBytes - 1500}
	if _, err := EvalWithin("#{long}", env, b); !errors.As(err, &be) || be.Limit != LimitBytes {
		t.Errorf("EvalWithin over MaxBytes: %v, want a bytes BudgetError", err)
	}

	// An Env that words the error of an evaluation over budget its own way
	// still stops the evaluation.
	b = &Budget{Steps: MaxSteps}
	words := envFunc(func(path []string) (string, error) { return "", errors.New("nested failure") })
	if out, err := EvalWithin("#{a} #{1 + 1}", words, b); out != "#{a} #{1 + 1}" || !errors.As(err, &be) {
		t.Errorf("EvalWithin = %q, %v; want it stopped with a BudgetError", out, err)
	}
	for _, limit := range []string{LimitSteps, LimitBytes, LimitLen} {
		if msg := (&BudgetError{Limit: limit}).Error(); !strings.Contains(msg, "refer to fewer") {
			t.Errorf("BudgetError{%s} = %q: it should say what to change", limit, msg)
		}
	}
}
