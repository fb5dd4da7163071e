package expr

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The limits of one evaluation: the value of a string field, with the
// fields it refers to evaluated in turn. A value can refer to a field that
// refers to fields, each many times, so that a definition of a few
// hundred characters expands beyond any memory (40 references, each to a
// field with 40 more, seven deep); these bound the work it takes.
const (
	// MaxLen is AWS's limit on a field value (fieldStringValue, 10,240
	// characters); it holds for each evaluated value too, nested ones
	// included.
	MaxLen = 10240
	// MaxSteps bounds the references resolved and functions called.
	MaxSteps = 10_000
	// MaxBytes bounds the bytes of the values produced, nested ones
	// included.
	MaxBytes = 1 << 20
)

// Budget is what one evaluation has spent. Every Eval of the evaluation
// (the Env evaluating a field a reference reads) shares it, through
// EvalWithin. The zero Budget has spent nothing.
type Budget struct {
	Steps int // references resolved and functions called
	Bytes int // bytes of values produced
}

// step spends one step.
func (b *Budget) step() error {
	if b.Steps++; b.Steps > MaxSteps {
		return &BudgetError{Limit: LimitSteps}
	}
	return nil
}

// produce spends n bytes of a value produced.
func (b *Budget) produce(n int) error {
	if b.Bytes += n; b.Bytes > MaxBytes {
		return &BudgetError{Limit: LimitBytes}
	}
	return nil
}

// produced spends the n bytes just written to sb, the value being built,
// and checks its length.
func (b *Budget) produced(n int, sb *strings.Builder) error {
	if err := b.produce(n); err != nil {
		return err
	}
	return checkLen(sb.String())
}

// over returns the *BudgetError err holds, or the one b is over if the Env
// reported an evaluation over budget in its own words; nil if neither.
func (b *Budget) over(err error) *BudgetError {
	var be *BudgetError
	switch {
	case errors.As(err, &be):
		return be
	case b.Steps > MaxSteps:
		return &BudgetError{Limit: LimitSteps}
	case b.Bytes > MaxBytes:
		return &BudgetError{Limit: LimitBytes}
	}
	return nil
}

// checkLen refuses a value longer than MaxLen characters.
func checkLen(s string) error {
	if len(s) > MaxLen && utf8.RuneCountInString(s) > MaxLen {
		return &BudgetError{Limit: LimitLen}
	}
	return nil
}

// The limits a BudgetError names.
const (
	LimitSteps = "steps"
	LimitBytes = "bytes"
	LimitLen   = "length"
)

// BudgetError is an evaluation stopped for going over a limit (MaxSteps,
// MaxBytes or MaxLen). Eval returns it in an *Error naming the expression
// being evaluated, and the value as written.
type BudgetError struct {
	Limit string // LimitSteps, LimitBytes or LimitLen
}

func (e *BudgetError) Error() string {
	switch e.Limit {
	case LimitLen:
		return fmt.Sprintf("the evaluated value is longer than %d characters, the limit on a field value; refer to fewer or shorter values", MaxLen)
	case LimitBytes:
		return fmt.Sprintf("evaluating it produces more than %d bytes (nested references included): the references fan out; refer to fewer fields, or to fields that refer to fewer", MaxBytes)
	}
	return fmt.Sprintf("evaluating it takes more than %d steps (references resolved and functions called, nested references included): the references fan out; refer to fewer fields, or to fields that refer to fewer", MaxSteps)
}

// Steps returns the steps evaluating s takes at most: one for each
// reference and function call of its expressions, and for each reference
// what ref returns, the steps of evaluating the value it resolves to (a
// field holding expressions). An expression that does not parse takes
// none. Counting stops past MaxSteps: Steps then returns MaxSteps+1 and
// asks ref no more.
func Steps(s string, ref func(path []string) int) int {
	if !strings.Contains(s, "#{") {
		return 0
	}
	segs, err := splitTemplate(s)
	if err != nil {
		return 0
	}
	n := 0
	for _, sg := range segs {
		if !sg.isExpr {
			continue
		}
		if x, err := parseExpr(sg.text); err == nil {
			if n = addSteps(n, x, ref); n > MaxSteps {
				return MaxSteps + 1
			}
		}
	}
	return n
}

// addSteps adds the steps of evaluating x to n, stopping past MaxSteps.
func addSteps(n int, x exprNode, ref func(path []string) int) int {
	if n > MaxSteps {
		return n
	}
	switch x := x.(type) {
	case refExpr:
		return n + 1 + min(ref(x.path), MaxSteps+1)
	case negExpr:
		return addSteps(n, x.x, ref)
	case binExpr:
		return addSteps(addSteps(n, x.l, ref), x.r, ref)
	case callExpr:
		n++
		for _, a := range x.args {
			n = addSteps(n, a, ref)
		}
	}
	return n
}
