package asl

import (
	"encoding/json"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// opClass groups the comparison operators by the type they compare.
type opClass uint8

const (
	classString opClass = iota + 1
	classNumeric
	classBoolean
	classTimestamp
	classMatches // StringMatches
	classIs      // IsNull, IsPresent, IsNumeric, IsString, IsBoolean, IsTimestamp
)

// opRel is the relation a comparison operator tests.
type opRel uint8

const (
	relEquals opRel = iota + 1
	relLess
	relGreater
	relLessEquals
	relGreaterEquals
)

// operator describes one comparison operator.
type operator struct {
	class opClass
	rel   opRel
	path  bool // the ...Path form: the operand is a path
}

// operators maps every comparison operator name to its meaning.
var operators = func() map[string]operator {
	ops := map[string]operator{
		"StringMatches": {class: classMatches},
		"IsNull":        {class: classIs},
		"IsPresent":     {class: classIs},
		"IsNumeric":     {class: classIs},
		"IsString":      {class: classIs},
		"IsBoolean":     {class: classIs},
		"IsTimestamp":   {class: classIs},
	}
	rels := []struct {
		suffix string
		rel    opRel
	}{
		{"Equals", relEquals},
		{"LessThan", relLess},
		{"GreaterThan", relGreater},
		{"LessThanEquals", relLessEquals},
		{"GreaterThanEquals", relGreaterEquals},
	}
	for _, c := range []struct {
		prefix string
		class  opClass
	}{{"String", classString}, {"Numeric", classNumeric}, {"Timestamp", classTimestamp}} {
		for _, r := range rels {
			ops[c.prefix+r.suffix] = operator{class: c.class, rel: r.rel}
			ops[c.prefix+r.suffix+"Path"] = operator{class: c.class, rel: r.rel, path: true}
		}
	}
	ops["BooleanEquals"] = operator{class: classBoolean, rel: relEquals}
	ops["BooleanEqualsPath"] = operator{class: classBoolean, rel: relEquals, path: true}
	return ops
}()

// rule is a compiled Choice rule: a combinator (And, Or, Not) over child
// rules, or a comparison of Variable with an operand.
type rule struct {
	op       string // "And", "Or", "Not" or a comparison operator
	children []*rule
	variable *path
	operator operator
	operand  any   // literal: string, json.Number, bool, time.Time or *glob
	operandP *path // ...Path forms
	next     string

	cond   *condition  // JSONata: the Condition
	assign *assignment // top-level rules: Assign, applied when the rule is taken
	output *jtemplate  // JSONata: Output, when the rule is taken
}

// eval reports whether the rule matches the (effective) input.
func (r *rule) eval(in any, e *env) (bool, error) {
	switch r.op {
	case "And":
		for _, c := range r.children {
			if ok, err := c.eval(in, e); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case "Or":
		for _, c := range r.children {
			if ok, err := c.eval(in, e); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case "Not":
		ok, err := r.children[0].eval(in, e)
		return !ok && err == nil, err
	}
	v, present := e.lookup(r.variable, in)
	if r.op == "IsPresent" {
		return present == r.operand.(bool), nil
	}
	if !present {
		return false, e.fail("Invalid path '%s' : The choice state's condition path references an invalid value.", r.variable.text)
	}
	operand := r.operand
	if r.operandP != nil {
		var ok bool
		if operand, ok = e.lookup(r.operandP, in); !ok {
			return false, e.fail("Invalid path '%s' : The choice state's %s operand path references an invalid value.", r.operandP.text, r.op)
		}
	}
	return compare(r.op, r.operator, v, operand), nil
}

// compare applies a comparison operator. Values of the wrong type compare
// false.
func compare(name string, op operator, v, operand any) bool {
	switch op.class {
	case classIs:
		want := operand.(bool)
		var is bool
		switch name {
		case "IsNull":
			is = v == nil
		case "IsNumeric":
			_, is = v.(json.Number)
		case "IsString":
			_, is = v.(string)
		case "IsBoolean":
			_, is = v.(bool)
		case "IsTimestamp":
			s, ok := v.(string)
			_, is = parseTimestamp(s)
			is = is && ok
		}
		return is == want
	case classMatches:
		s, ok := v.(string)
		return ok && operand.(*glob).match(s)
	case classString:
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		return ok1 && ok2 && op.rel.holds(compareStrings(a, b))
	case classNumeric:
		a, ok1 := v.(json.Number)
		b, ok2 := operand.(json.Number)
		return ok1 && ok2 && op.rel.holds(compareNumbers(a, b))
	case classBoolean:
		a, ok1 := v.(bool)
		b, ok2 := operand.(bool)
		return ok1 && ok2 && a == b
	case classTimestamp:
		a, ok1 := asTimestamp(v)
		b, ok2 := asTimestamp(operand)
		return ok1 && ok2 && op.rel.holds(a.Compare(b))
	}
	return false
}

// holds reports whether the relation holds for a three-way comparison result.
func (r opRel) holds(c int) bool {
	switch r {
	case relEquals:
		return c == 0
	case relLess:
		return c < 0
	case relGreater:
		return c > 0
	case relLessEquals:
		return c <= 0
	case relGreaterEquals:
		return c >= 0
	}
	return false
}

// asTimestamp accepts a parsed literal or a timestamp string.
func asTimestamp(v any) (time.Time, bool) {
	switch v := v.(type) {
	case time.Time:
		return v, true
	case string:
		return parseTimestamp(v)
	}
	return time.Time{}, false
}

// compareStrings compares by UTF-16 code units, as Java (and so AWS) does.
func compareStrings(a, b string) int {
	if isASCII(a) && isASCII(b) {
		return strings.Compare(a, b)
	}
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			if ua[i] < ub[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(ua) < len(ub):
		return -1
	case len(ua) > len(ub):
		return 1
	}
	return 0
}

// isASCII reports whether s has only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// compareNumbers compares two JSON numbers by value: exactly for integers
// that fit in 64 bits, else with 512-bit binary floating point (exact for
// every float64 and for decimals of up to about 150 digits).
func compareNumbers(a, b json.Number) int {
	ai, err1 := strconv.ParseInt(string(a), 10, 64)
	bi, err2 := strconv.ParseInt(string(b), 10, 64)
	if err1 == nil && err2 == nil {
		switch {
		case ai < bi:
			return -1
		case ai > bi:
			return 1
		}
		return 0
	}
	af, _, err1 := big.ParseFloat(string(a), 10, 512, big.ToNearestEven)
	bf, _, err2 := big.ParseFloat(string(b), 10, 512, big.ToNearestEven)
	if err1 != nil || err2 != nil {
		// Exponents beyond big.Float's range: float64 saturates to ±Inf or 0.
		fa, _ := strconv.ParseFloat(string(a), 64)
		fb, _ := strconv.ParseFloat(string(b), 64)
		af, bf = big.NewFloat(fa), big.NewFloat(fb)
	}
	return af.Cmp(bf)
}

// glob is a StringMatches pattern: "*" matches any run of characters; "\*"
// is a literal star and "\\" a literal backslash.
type glob struct {
	parts []string // the literal text between stars
}

// compileGlob compiles a StringMatches pattern.
func compileGlob(pattern string) *glob {
	g := &glob{}
	var cur strings.Builder
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\' && i+1 < len(pattern) && (pattern[i+1] == '*' || pattern[i+1] == '\\'):
			i++
			cur.WriteByte(pattern[i])
		case c == '*':
			g.parts = append(g.parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	g.parts = append(g.parts, cur.String())
	return g
}

// match reports whether s matches the whole pattern.
func (g *glob) match(s string) bool {
	if len(g.parts) == 1 {
		return s == g.parts[0]
	}
	first, last := g.parts[0], g.parts[len(g.parts)-1]
	if !strings.HasPrefix(s, first) {
		return false
	}
	s = s[len(first):]
	if !strings.HasSuffix(s, last) {
		return false
	}
	s = s[:len(s)-len(last)]
	for _, p := range g.parts[1 : len(g.parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}
