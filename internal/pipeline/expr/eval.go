package expr

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // inTimeZone needs the tz database on hosts without one
)

// Env resolves the references of expressions: the names that are not
// functions or literals, as in #{myField}, #{node.errorMessage} or
// #{@scheduledStartTime}. It is how the caller supplies every value an
// expression reads, times included: the package has no clock.
type Env interface {
	// Resolve returns the text a reference stands for. path holds its
	// dot-separated names (["parent", "workerGroup"] for
	// #{parent.workerGroup}). The text is typed by its use (see the package
	// documentation); a field whose value holds expressions is returned
	// evaluated (with Eval, in the context of its own object). An error
	// says why the reference does not resolve.
	Resolve(path []string) (string, error)
}

// Eval evaluates the expressions of a string value s in env and returns s
// with each replaced by its value. An expression that cannot be evaluated
// (a syntax error, an unknown function, arguments of the wrong type, a
// reference env cannot resolve) is left as written, and the first such is
// returned as an *Error. If s has an expression without its closing "}",
// Eval returns s unchanged and an error that is not an *Error.
//
// Eval is EvalWithin with a Budget of its own: an Env that evaluates the
// fields references read should use EvalWithin.
func Eval(s string, env Env) (string, error) {
	if !strings.Contains(s, "#{") {
		return s, nil
	}
	var b Budget
	return EvalWithin(s, env, &b)
}

// EvalWithin is Eval spending from b, the budget of an evaluation: an Env
// that evaluates a field a reference reads passes b on to its EvalWithin,
// so that the limits (MaxSteps, MaxBytes, MaxLen) bound the whole
// evaluation, nested references included. Over a limit, EvalWithin stops
// at once and returns s as written and an *Error wrapping a *BudgetError.
func EvalWithin(s string, env Env, b *Budget) (string, error) {
	if !strings.Contains(s, "#{") {
		return s, nil
	}
	segs, err := splitTemplate(s)
	if err != nil {
		return s, err
	}
	var sb strings.Builder
	var first error
	for _, sg := range segs {
		if !sg.isExpr {
			sb.WriteString(sg.text)
			if err := b.produced(len(sg.text), &sb); err != nil {
				return s, &Error{Expr: sg.text, Err: err}
			}
			continue
		}
		x, err := parseExpr(sg.text)
		var v value
		if err == nil {
			v, err = eval(env, x, b)
		}
		if err != nil {
			if be := b.over(err); be != nil {
				return s, &Error{Expr: sg.text, Err: be}
			}
			if first == nil {
				first = &Error{Expr: sg.text, Err: err}
			}
			sb.WriteString("#{")
			sb.WriteString(sg.text)
			sb.WriteString("}")
			if err := b.produced(len(sg.text)+3, &sb); err != nil {
				return s, &Error{Expr: sg.text, Err: err}
			}
			continue
		}
		out := v.String()
		sb.WriteString(out)
		if err := b.produced(len(out), &sb); err != nil {
			return s, &Error{Expr: sg.text, Err: err}
		}
	}
	return sb.String(), first
}

// Error is why an expression of a string value could not be evaluated.
type Error struct {
	Expr string // the expression's source, without "#{" and "}"
	Err  error  // why it could not be evaluated
}

func (e *Error) Error() string { return fmt.Sprintf("'#{%s}': %v", e.Expr, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// eval evaluates an expression, resolving its references in env and
// spending from b.
func eval(env Env, x exprNode, b *Budget) (value, error) {
	switch x := x.(type) {
	case litExpr:
		return literal(x)
	case refExpr:
		if err := b.step(); err != nil {
			return value{}, err
		}
		s, err := env.Resolve(x.path)
		if err != nil {
			return value{}, err
		}
		return textValue(s), nil
	case negExpr:
		v, err := eval(env, x.x, b)
		if err != nil {
			return value{}, err
		}
		return negate(v)
	case binExpr:
		l, err := eval(env, x.l, b)
		if err != nil {
			return value{}, err
		}
		r, err := eval(env, x.r, b)
		if err != nil {
			return value{}, err
		}
		v, err := binary(x.op, l, r)
		if err == nil && v.isStringKind() {
			// + concatenates: keep what one expression builds in bounds.
			if err := b.produce(len(v.s)); err != nil {
				return value{}, err
			}
			err = checkLen(v.s)
		}
		return v, err
	case callExpr:
		if err := b.step(); err != nil {
			return value{}, err
		}
		args := make([]value, len(x.args))
		for i, a := range x.args {
			v, err := eval(env, a, b)
			if err != nil {
				return value{}, err
			}
			args[i] = v
		}
		return callFunc(x.fn, args)
	}
	return value{}, fmt.Errorf("cannot evaluate %T", x)
}

// valueKind is the type of an expression value.
type valueKind uint8

const (
	// valText is text from a field, a parameter or a runtime field: a
	// String, a number or a DateTime as its use needs and its text allows.
	valText valueKind = iota
	valString
	valInteger
	valDouble
	valDateTime
	valPeriod
)

var kindNames = [...]string{
	valText: "String", valString: "String", valInteger: "Integer",
	valDouble: "Double", valDateTime: "DateTime", valPeriod: "Period",
}

// value is the result of evaluating an expression.
type value struct {
	kind valueKind
	s    string    // valText, valString; valPeriod as written ("1 day")
	n    int64     // valInteger; valPeriod's count
	f    float64   // valDouble
	t    time.Time // valDateTime
	unit string    // valPeriod: year, month, week, day, hour or minute
}

func textValue(s string) value     { return value{kind: valText, s: s} }
func stringValue(s string) value   { return value{kind: valString, s: s} }
func intValue(n int64) value       { return value{kind: valInteger, n: n} }
func doubleValue(f float64) value  { return value{kind: valDouble, f: f} }
func timeValue(t time.Time) value  { return value{kind: valDateTime, t: t} }
func (v value) isStringKind() bool { return v.kind == valText || v.kind == valString }

// String renders v as it goes into a field value.
func (v value) String() string {
	switch v.kind {
	case valInteger:
		return strconv.FormatInt(v.n, 10)
	case valDouble:
		return formatDouble(v.f)
	case valDateTime:
		return formatDateTime(v.t)
	}
	return v.s
}

// describe names v's type and value for error messages: String "abc",
// Integer 1, DateTime 2011-05-24T17:10:00.
func (v value) describe() string {
	switch v.kind {
	case valText:
		if n, ok := parseNumber(v.s); ok {
			return n.describe()
		}
		if t, ok := parseDateTime(v.s); ok {
			return timeValue(t).describe()
		}
		return "String " + strconv.Quote(v.s)
	case valString:
		return "String " + strconv.Quote(v.s)
	}
	return kindNames[v.kind] + " " + v.String()
}

// as converts v to kind k (valDateTime, valInteger or valString), as a
// function argument of that type; ok is false if v is not one.
func (v value) as(k valueKind) (value, bool) {
	switch k {
	case valDateTime:
		if v.kind == valDateTime {
			return v, true
		}
		if v.isStringKind() {
			if t, ok := parseDateTime(v.s); ok {
				return timeValue(t), true
			}
		}
	case valInteger:
		if v.kind == valInteger {
			return v, true
		}
		if v.isStringKind() {
			if n, ok := parseNumber(v.s); ok && n.kind == valInteger {
				return n, true
			}
		}
	case valString:
		if v.isStringKind() {
			return stringValue(v.s), true
		}
	}
	return value{}, false
}

// number returns v as an Integer or a Double.
func (v value) number() (value, bool) {
	switch v.kind {
	case valInteger, valDouble:
		return v, true
	case valText, valString:
		return parseNumber(v.s)
	}
	return value{}, false
}

func (v value) float() float64 {
	if v.kind == valInteger {
		return float64(v.n)
	}
	return v.f
}

// isIntText reports whether s is a whole number: an optional minus and
// digits.
func isIntText(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := range len(s) {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// parseNumber parses a whole number as an Integer and a decimal one
// ("1.5", "-0.25") as a Double.
func parseNumber(s string) (value, bool) {
	if isIntText(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		return intValue(n), err == nil
	}
	whole, frac, found := strings.Cut(s, ".")
	if !found || !isIntText(whole) || frac == "" || !isIntText(frac) || frac[0] == '-' {
		return value{}, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return doubleValue(f), err == nil
}

// formatDouble renders f as Java's Double.toString does.
func formatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if a := math.Abs(f); a == 0 || a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	mant, exp, _ := strings.Cut(strconv.FormatFloat(f, 'E', -1, 64), "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	n, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(n)
}

// fieldTime is the layout of a DateTime in UTC, as field values hold
// times.
const fieldTime = "2006-01-02T15:04:05"

// zonedTime is the layout of a DateTime outside UTC (Joda's
// DateTime.toString).
const zonedTime = "2006-01-02T15:04:05.000Z07:00"

func formatDateTime(t time.Time) string {
	if t.Location() == time.UTC {
		return t.Format(fieldTime)
	}
	return t.Format(zonedTime)
}

// parseDateTime parses a field time ("2011-05-24T17:10:00", UTC) or a
// DateTime with an offset ("2011-05-24T10:10:00.000-07:00").
func parseDateTime(s string) (time.Time, bool) {
	if len(s) < len(fieldTime) || s[4] != '-' || s[10] != 'T' {
		return time.Time{}, false
	}
	if t, err := time.Parse(fieldTime, s); err == nil {
		return t, true
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	// Parse picks the host's zone for an offset it uses; keep the offset
	// alone so that results do not depend on the host.
	_, off := t.Zone()
	if off == 0 {
		return t.UTC(), true
	}
	return t.In(time.FixedZone(formatOffset(off, true), off)), true
}

// literal evaluates a literal.
func literal(x litExpr) (value, error) {
	if !x.num {
		return stringValue(x.value), nil
	}
	n, ok := parseNumber(x.value)
	if !ok {
		return value{}, fmt.Errorf("number %s is out of range", x.value)
	}
	if x.unit == "" {
		return n, nil
	}
	if n.kind != valInteger {
		return value{}, fmt.Errorf("period '%s %s' needs a whole number", x.value, x.unit)
	}
	unit := strings.TrimSuffix(strings.ToLower(x.unit), "s")
	return value{kind: valPeriod, s: x.value + " " + x.unit, n: n.n, unit: unit}, nil
}

// negate evaluates unary minus.
func negate(v value) (value, error) {
	n, ok := v.number()
	if !ok {
		return value{}, fmt.Errorf("- (negation) expects a number, got %s", v.describe())
	}
	if n.kind == valInteger {
		return intValue(-n.n), nil
	}
	return doubleValue(-n.f), nil
}

// binary evaluates l op r.
func binary(op byte, l, r value) (value, error) {
	switch op {
	case '+':
		// A String operand makes + a concatenation, even of "1" and 2.
		if l.kind != valString && r.kind != valString {
			if ln, ok := l.number(); ok {
				if rn, ok := r.number(); ok {
					return arith(op, ln, rn)
				}
			}
		}
		if r.kind == valPeriod {
			if t, ok := l.as(valDateTime); ok {
				return shiftBy(t.t, r.n, r.unit)
			}
		}
		if l.kind == valPeriod {
			if t, ok := r.as(valDateTime); ok {
				return shiftBy(t.t, l.n, l.unit)
			}
		}
		if l.isStringKind() || r.isStringKind() {
			return stringValue(l.String() + r.String()), nil
		}
		return value{}, fmt.Errorf("+ adds numbers, adds a Period to a DateTime or concatenates Strings; got (%s, %s)", l.describe(), r.describe())
	case '-':
		if ln, ok := l.number(); ok {
			if rn, ok := r.number(); ok {
				return arith(op, ln, rn)
			}
		}
		if r.kind == valPeriod {
			if t, ok := l.as(valDateTime); ok {
				return shiftBy(t.t, -r.n, r.unit)
			}
		}
		return value{}, fmt.Errorf("- subtracts numbers, or a Period from a DateTime; got (%s, %s)", l.describe(), r.describe())
	}
	ln, lok := l.number()
	rn, rok := r.number()
	if !lok || !rok {
		return value{}, fmt.Errorf("%c expects (Number, Number), got (%s, %s)", op, l.describe(), r.describe())
	}
	return arith(op, ln, rn)
}

// arith applies op to two numbers: Integers stay Integers (but for ^),
// a Double operand makes a Double.
func arith(op byte, l, r value) (value, error) {
	if op == '^' {
		return doubleValue(math.Pow(l.float(), r.float())), nil
	}
	if l.kind == valInteger && r.kind == valInteger {
		switch op {
		case '+':
			return intValue(l.n + r.n), nil
		case '-':
			return intValue(l.n - r.n), nil
		case '*':
			return intValue(l.n * r.n), nil
		case '/':
			if r.n == 0 {
				return value{}, fmt.Errorf("division by zero: %d / 0", l.n)
			}
			return intValue(l.n / r.n), nil
		}
	}
	a, b := l.float(), r.float()
	switch op {
	case '+':
		return doubleValue(a + b), nil
	case '-':
		return doubleValue(a - b), nil
	case '*':
		return doubleValue(a * b), nil
	case '/':
		if b == 0 {
			return value{}, fmt.Errorf("division by zero: %s / %s", l, r)
		}
		return doubleValue(a / b), nil
	}
	return value{}, fmt.Errorf("unknown operator %c", op)
}

// funcSpec is a function expressions can call: the types of its arguments
// (valDateTime, valInteger or valString) and what it does with them.
type funcSpec struct {
	params []valueKind
	call   func(args []value) (value, error)
}

// exprFuncs are the functions of AWS's Date and Time Functions page.
var exprFuncs = map[string]funcSpec{
	"day":          dateInt(func(t time.Time) int { return t.Day() }),
	"dayOfYear":    dateInt(func(t time.Time) int { return t.YearDay() }),
	"hour":         dateInt(func(t time.Time) int { return t.Hour() }),
	"minute":       dateInt(func(t time.Time) int { return t.Minute() }),
	"month":        dateInt(func(t time.Time) int { return int(t.Month()) }),
	"year":         dateInt(func(t time.Time) int { return t.Year() }),
	"firstOfMonth": dateDate(func(t time.Time) time.Time { return t.AddDate(0, 0, 1-t.Day()) }),
	"midnight": dateDate(func(t time.Time) time.Time {
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
	}),
	"sunday":    dateDate(func(t time.Time) time.Time { return t.AddDate(0, 0, -int(t.Weekday())) }),
	"yesterday": dateDate(func(t time.Time) time.Time { return t.AddDate(0, 0, -1) }),
	"format": {params: []valueKind{valDateTime, valString}, call: func(a []value) (value, error) {
		s, err := jodaFormat(a[0].t, a[1].s)
		if err != nil {
			return value{}, fmt.Errorf("format: %w", err)
		}
		return stringValue(s), nil
	}},
	"inTimeZone": {params: []valueKind{valDateTime, valString}, call: func(a []value) (value, error) {
		loc, err := loadZone(a[1].s)
		if err != nil {
			return value{}, fmt.Errorf("inTimeZone: %w", err)
		}
		return timeValue(a[0].t.In(loc)), nil
	}},
	"makeDate": {params: []valueKind{valInteger, valInteger, valInteger}, call: func(a []value) (value, error) {
		return makeDateTime("makeDate", a[0].n, a[1].n, a[2].n, 0, 0)
	}},
	"makeDateTime": {params: []valueKind{valInteger, valInteger, valInteger, valInteger, valInteger}, call: func(a []value) (value, error) {
		return makeDateTime("makeDateTime", a[0].n, a[1].n, a[2].n, a[3].n, a[4].n)
	}},
	"minusDays":    dateShift("day", -1),
	"minusHours":   dateShift("hour", -1),
	"minusMinutes": dateShift("minute", -1),
	"minusMonths":  dateShift("month", -1),
	"minusWeeks":   dateShift("week", -1),
	"minusYears":   dateShift("year", -1),
	"plusDays":     dateShift("day", 1),
	"plusHours":    dateShift("hour", 1),
	"plusMinutes":  dateShift("minute", 1),
	"plusMonths":   dateShift("month", 1),
	"plusWeeks":    dateShift("week", 1),
	"plusYears":    dateShift("year", 1),
}

// dateInt is a function from a DateTime to an Integer.
func dateInt(fn func(time.Time) int) funcSpec {
	return funcSpec{params: []valueKind{valDateTime}, call: func(a []value) (value, error) {
		return intValue(int64(fn(a[0].t))), nil
	}}
}

// dateDate is a function from a DateTime to a DateTime.
func dateDate(fn func(time.Time) time.Time) funcSpec {
	return funcSpec{params: []valueKind{valDateTime}, call: func(a []value) (value, error) {
		return timeValue(fn(a[0].t)), nil
	}}
}

// dateShift is plusUnits (sign 1) or minusUnits (sign -1).
func dateShift(unit string, sign int64) funcSpec {
	return funcSpec{params: []valueKind{valDateTime, valInteger}, call: func(a []value) (value, error) {
		return shiftBy(a[0].t, sign*a[1].n, unit)
	}}
}

// maxShift bounds the units a DateTime is shifted by, so that the
// arithmetic cannot overflow; what leaves years 0 to 9999 is refused after.
const maxShift = 100_000_000

// shiftBy adds n units to t as Joda does: months and years keep the day of
// the month or take the month's last day, days and weeks keep the local
// time of day, hours and minutes add elapsed time.
func shiftBy(t time.Time, n int64, unit string) (value, error) {
	if n > maxShift || n < -maxShift {
		return value{}, fmt.Errorf("cannot shift a DateTime by %d %ss", n, unit)
	}
	switch unit {
	case "minute":
		t = time.Unix(t.Unix()+60*n, int64(t.Nanosecond())).In(t.Location())
	case "hour":
		t = time.Unix(t.Unix()+3600*n, int64(t.Nanosecond())).In(t.Location())
	case "day":
		t = t.AddDate(0, 0, int(n))
	case "week":
		t = t.AddDate(0, 0, 7*int(n))
	case "month":
		t = addMonths(t, int(n))
	case "year":
		t = addMonths(t, 12*int(n))
	default:
		return value{}, fmt.Errorf("unknown period unit %q", unit)
	}
	if y := t.Year(); y < 0 || y > 9999 {
		return value{}, fmt.Errorf("shifting by %d %ss leaves years 0 to 9999", n, unit)
	}
	return timeValue(t), nil
}

func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	months := int(m) - 1 + n
	y += months / 12
	if months %= 12; months < 0 {
		months += 12
		y--
	}
	nm := time.Month(months + 1)
	d = min(d, daysIn(y, nm))
	return time.Date(y, nm, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}

func daysIn(y int, m time.Month) int { return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() }

// makeDateTime builds a UTC DateTime, checking each field's range as Joda
// does.
func makeDateTime(fn string, y, mo, d, h, mi int64) (value, error) {
	switch {
	case y < 0 || y > 9999:
		return value{}, fmt.Errorf("%s: year %d is not 0 to 9999", fn, y)
	case mo < 1 || mo > 12:
		return value{}, fmt.Errorf("%s: month %d is not 1 to 12", fn, mo)
	case d < 1 || d > int64(daysIn(int(y), time.Month(mo))):
		return value{}, fmt.Errorf("%s: day %d is not 1 to %d (%04d-%02d has %d days)", fn, d, daysIn(int(y), time.Month(mo)), y, mo, daysIn(int(y), time.Month(mo)))
	case h < 0 || h > 23:
		return value{}, fmt.Errorf("%s: hour %d is not 0 to 23", fn, h)
	case mi < 0 || mi > 59:
		return value{}, fmt.Errorf("%s: minute %d is not 0 to 59", fn, mi)
	}
	return timeValue(time.Date(int(y), time.Month(mo), int(d), int(h), int(mi), 0, 0, time.UTC)), nil
}

// lookupFunc returns the function named fn if it takes nargs arguments.
func lookupFunc(fn string, nargs int) (*funcSpec, error) {
	spec, ok := exprFuncs[fn]
	if !ok {
		if s := suggestFunc(fn); s != "" {
			return nil, fmt.Errorf("unknown function '%s'; did you mean '%s'?", fn, s)
		}
		return nil, fmt.Errorf("unknown function '%s'; gaffer has AWS's date and time functions (format, plusDays, minusHours...)", fn)
	}
	if nargs != len(spec.params) {
		noun := "arguments"
		if len(spec.params) == 1 {
			noun = "argument"
		}
		return nil, fmt.Errorf("%s takes %d %s %s, got %d", fn, len(spec.params), noun, signature(spec.params), nargs)
	}
	return &spec, nil
}

// callFunc calls the function fn.
func callFunc(fn string, args []value) (value, error) {
	spec, err := lookupFunc(fn, len(args))
	if err != nil {
		return value{}, err
	}
	conv := make([]value, len(args))
	for i, k := range spec.params {
		a, ok := args[i].as(k)
		if !ok {
			got := make([]string, len(args))
			for j, a := range args {
				got[j] = a.describe()
			}
			return value{}, fmt.Errorf("%s expects %s, got (%s)", fn, signature(spec.params), strings.Join(got, ", "))
		}
		conv[i] = a
	}
	return spec.call(conv)
}

// signature renders parameter types: "(DateTime, Integer)".
func signature(params []valueKind) string {
	names := make([]string, len(params))
	for i, k := range params {
		names[i] = kindNames[k]
	}
	return "(" + strings.Join(names, ", ") + ")"
}

// suggestFunc returns the function whose name is closest to fn (differing
// in case, or in at most two letters), or "".
func suggestFunc(fn string) string {
	names := make([]string, 0, len(exprFuncs))
	for name := range exprFuncs {
		names = append(names, name)
	}
	slices.Sort(names)
	best, bestDist := "", 3
	for _, name := range names {
		if strings.EqualFold(name, fn) {
			return name
		}
		if d := editDistance(strings.ToLower(fn), strings.ToLower(name)); d < bestDist {
			best, bestDist = name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// checkCalls checks that every function x calls exists and is given the
// number of arguments it takes.
func checkCalls(x exprNode) error {
	switch x := x.(type) {
	case callExpr:
		if _, err := lookupFunc(x.fn, len(x.args)); err != nil {
			return err
		}
		for _, a := range x.args {
			if err := checkCalls(a); err != nil {
				return err
			}
		}
	case binExpr:
		if err := checkCalls(x.l); err != nil {
			return err
		}
		return checkCalls(x.r)
	case negExpr:
		return checkCalls(x.x)
	}
	return nil
}

// zones caches the time zones inTimeZone loaded.
var zones sync.Map // string → *time.Location

// loadZone returns the zone with a tz database id, "UTC", or a fixed offset
// ("+05:30", "-07").
func loadZone(id string) (*time.Location, error) {
	if loc, ok := zones.Load(id); ok {
		return loc.(*time.Location), nil
	}
	loc, err := findZone(id)
	if err != nil {
		return nil, err
	}
	zones.Store(id, loc)
	return loc, nil
}

func findZone(id string) (*time.Location, error) {
	if off, ok := parseOffset(id); ok {
		if off == 0 {
			return time.UTC, nil
		}
		return time.FixedZone(formatOffset(off, true), off), nil
	}
	if id != "" && id != "Local" {
		if loc, err := time.LoadLocation(id); err == nil {
			return loc, nil
		}
	}
	return nil, fmt.Errorf("unknown time zone '%s': give a tz database id such as 'America/Los_Angeles', 'UTC', or an offset such as '-07:00'", id)
}

// parseOffset parses "+hh:mm", "-hh:mm", "+hh" or "-hh" into seconds east
// of UTC.
func parseOffset(s string) (int, bool) {
	if len(s) != 3 && len(s) != 6 || s[0] != '+' && s[0] != '-' {
		return 0, false
	}
	h, err := strconv.Atoi(s[1:3])
	if err != nil || !isDigit(s[1]) || !isDigit(s[2]) || h > 23 {
		return 0, false
	}
	m := 0
	if len(s) == 6 {
		if s[3] != ':' || !isDigit(s[4]) || !isDigit(s[5]) {
			return 0, false
		}
		if m, _ = strconv.Atoi(s[4:]); m > 59 {
			return 0, false
		}
	}
	off := h*3600 + m*60
	if s[0] == '-' {
		off = -off
	}
	return off, true
}

// formatOffset renders seconds east of UTC as "+hhmm", or "+hh:mm" with
// colon.
func formatOffset(off int, colon bool) string {
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	b := []byte{sign}
	b = appendPadded(b, off/3600, 2)
	if colon {
		b = append(b, ':')
	}
	return string(appendPadded(b, off/60%60, 2))
}

// appendPadded appends n with at least width digits.
func appendPadded(b []byte, n, width int) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	digits := strconv.Itoa(n)
	for range width - len(digits) {
		b = append(b, '0')
	}
	return append(b, digits...)
}

// jodaFormat formats t with a Joda-Time DateTimeFormat pattern. Letters are
// pattern letters (a run of one letter is one field, its length the width
// or the text style); text between single quotes is literal, a doubled
// quote is a quote, and an unclosed quote runs to the end (as in Joda);
// other characters are literal.
func jodaFormat(t time.Time, pattern string) (string, error) {
	b := make([]byte, 0, len(pattern)+8)
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case c == '\'':
			if i+1 < len(pattern) && pattern[i+1] == '\'' {
				b = append(b, '\'')
				i += 2
				continue
			}
			i++
			for closed := false; i < len(pattern) && !closed; {
				switch {
				case pattern[i] != '\'':
					b = append(b, pattern[i])
					i++
				case i+1 < len(pattern) && pattern[i+1] == '\'':
					b = append(b, '\'')
					i += 2
				default:
					closed = true
					i++
				}
			}
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			n := 1
			for i+n < len(pattern) && pattern[i+n] == c {
				n++
			}
			var ok bool
			if b, ok = appendJodaField(b, t, c, n); !ok {
				return "", fmt.Errorf("pattern '%s': '%c' is not a Joda-Time pattern letter; quote literal text, as in 'T'", pattern, c)
			}
			i += n
		default:
			b = append(b, c)
			i++
		}
	}
	return string(b), nil
}

var (
	monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
	dayNames = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// appendJodaField appends the field of pattern letter c repeated n times;
// ok is false for a letter Joda-Time does not know.
func appendJodaField(b []byte, t time.Time, c byte, n int) ([]byte, bool) {
	switch c {
	case 'G':
		if t.Year() > 0 {
			return append(b, "AD"...), true
		}
		return append(b, "BC"...), true
	case 'C':
		return appendPadded(b, yearOfEra(t)/100, n), true
	case 'Y':
		return appendYear(b, yearOfEra(t), n), true
	case 'y':
		return appendYear(b, t.Year(), n), true
	case 'x':
		wy, _ := t.ISOWeek()
		return appendYear(b, wy, n), true
	case 'w':
		_, w := t.ISOWeek()
		return appendPadded(b, w, n), true
	case 'e':
		wd := int(t.Weekday())
		if wd == 0 {
			wd = 7
		}
		return appendPadded(b, wd, n), true
	case 'E':
		name := dayNames[t.Weekday()]
		if n < 4 {
			name = name[:3]
		}
		return append(b, name...), true
	case 'D':
		return appendPadded(b, t.YearDay(), n), true
	case 'M':
		switch {
		case n >= 4:
			return append(b, monthNames[t.Month()-1]...), true
		case n == 3:
			return append(b, monthNames[t.Month()-1][:3]...), true
		}
		return appendPadded(b, int(t.Month()), n), true
	case 'd':
		return appendPadded(b, t.Day(), n), true
	case 'a':
		if t.Hour() < 12 {
			return append(b, "AM"...), true
		}
		return append(b, "PM"...), true
	case 'K':
		return appendPadded(b, t.Hour()%12, n), true
	case 'h':
		h := t.Hour() % 12
		if h == 0 {
			h = 12
		}
		return appendPadded(b, h, n), true
	case 'H':
		return appendPadded(b, t.Hour(), n), true
	case 'k':
		h := t.Hour()
		if h == 0 {
			h = 24
		}
		return appendPadded(b, h, n), true
	case 'm':
		return appendPadded(b, t.Minute(), n), true
	case 's':
		return appendPadded(b, t.Second(), n), true
	case 'S':
		// n digits of the fraction of the second, truncated.
		frac := appendPadded(nil, t.Nanosecond(), 9)
		for len(frac) < n {
			frac = append(frac, '0')
		}
		return append(b, frac[:n]...), true
	case 'z':
		name, off := t.Zone()
		switch {
		case n >= 4 && t.Location() == time.UTC:
			return append(b, "Coordinated Universal Time"...), true
		case n >= 4 && t.Location().String() != "":
			return append(b, t.Location().String()...), true
		case name == "":
			return append(b, formatOffset(off, true)...), true
		}
		return append(b, name...), true
	case 'Z':
		_, off := t.Zone()
		if n >= 3 {
			if id := t.Location().String(); id != "" {
				return append(b, id...), true
			}
		}
		return append(b, formatOffset(off, n >= 2)...), true
	}
	return b, false
}

func yearOfEra(t time.Time) int {
	if y := t.Year(); y <= 0 {
		return 1 - y
	}
	return t.Year()
}

// appendYear appends a year: two digits for a two-letter field (yy), else
// at least n digits.
func appendYear(b []byte, y, n int) []byte {
	if n == 2 {
		if y < 0 {
			y = -y
		}
		return appendPadded(b, y%100, 2)
	}
	return appendPadded(b, y, n)
}
