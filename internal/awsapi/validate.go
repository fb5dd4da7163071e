package awsapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// kind is a model type, resolved once when a validator is compiled.
type kind uint8

const (
	kindAny kind = iota // unknown model type: accept any JSON value
	kindStructure
	kindList
	kindMap
	kindString
	kindBoolean
	kindInteger
	kindLong
	kindFloat
	kindDouble
	kindTimestamp
	kindBlob
)

var kindsByType = map[string]kind{
	"structure": kindStructure,
	"list":      kindList,
	"map":       kindMap,
	"string":    kindString,
	"boolean":   kindBoolean,
	"integer":   kindInteger,
	"long":      kindLong,
	"float":     kindFloat,
	"double":    kindDouble,
	"timestamp": kindTimestamp,
	"blob":      kindBlob,
}

// expected names a kind in serialization error messages.
var expected = [...]string{
	kindAny:       "any value",
	kindStructure: "an object",
	kindList:      "an array",
	kindMap:       "an object",
	kindString:    "a string",
	kindBoolean:   "a boolean",
	kindInteger:   "an integer",
	kindLong:      "an integer",
	kindFloat:     "a number",
	kindDouble:    "a number",
	kindTimestamp: "a timestamp (epoch seconds as a JSON number)",
	kindBlob:      "a base64-encoded string",
}

// validator checks one decoded JSON value against one model shape. It is
// compiled once per shape when the handler is built; checking a value does
// not allocate unless the value is invalid.
type validator struct {
	kind      kind
	sensitive bool

	hasMin, hasMax bool
	min, max       float64

	pattern    *regexp.Regexp
	patternSrc string // the model's pattern, quoted in messages

	enum     []string
	enumText string // "[A, B]", quoted in messages

	fields []field    // structure members in model order
	elem   *validator // list element or map value
	key    *validator // map key
}

type field struct {
	name     string
	required bool
	v        *validator
}

// compiler builds validators for one model, sharing them per shape name (so
// recursive shapes terminate and each pattern compiles once).
type compiler struct {
	model *Model
	log   *slog.Logger
	memo  map[string]*validator
}

func newCompiler(m *Model, log *slog.Logger) *compiler {
	return &compiler{model: m, log: log, memo: map[string]*validator{}}
}

func (c *compiler) compile(name string) *validator {
	if v, ok := c.memo[name]; ok {
		return v
	}
	s := c.model.Shapes[name]
	v := &validator{}
	c.memo[name] = v
	if s == nil {
		return v // LoadModel checked references; only reachable for odd inputs
	}
	v.kind = kindsByType[s.Type]
	v.sensitive = s.Sensitive
	if s.Min != nil {
		v.hasMin, v.min = true, *s.Min
	}
	if s.Max != nil {
		v.hasMax, v.max = true, *s.Max
	}
	if len(s.Enum) > 0 {
		v.enum = s.Enum
		v.enumText = "[" + strings.Join(s.Enum, ", ") + "]"
	}
	if s.Pattern != "" && v.kind == kindString {
		re, err := regexp.Compile("^(?:" + javaRegexpToRE2(s.Pattern) + ")$")
		if err != nil {
			c.log.Debug("awsapi: model pattern not supported by RE2; pattern not enforced",
				slog.String("shape", name), slog.String("pattern", s.Pattern), slog.Any("err", err))
		} else {
			v.pattern, v.patternSrc = re, s.Pattern
		}
	}
	switch v.kind {
	case kindStructure:
		req := make(map[string]bool, len(s.Required))
		for _, r := range s.Required {
			req[r] = true
		}
		v.fields = make([]field, len(s.Members))
		for i, m := range s.Members {
			v.fields[i] = field{name: m.Name, required: req[m.Name], v: c.compile(m.Shape)}
		}
	case kindList:
		v.elem = c.compile(s.Member.Shape)
	case kindMap:
		v.key = c.compile(s.Key.Shape)
		v.elem = c.compile(s.Value.Shape)
	}
	return v
}

// javaRegexpToRE2 rewrites the Java-only escapes found in botocore patterns
// into RE2 syntax: \uXXXX becomes \x{XXXX}, and a \uD800-\uDBFF\uDC00-\uDFFF
// surrogate pair becomes the code point it encodes (Java's reading). Other
// escapes are kept verbatim.
func javaRegexpToRE2(p string) string {
	if !strings.Contains(p, `\u`) {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '\\' || i+1 >= len(p) {
			b.WriteByte(p[i])
			continue
		}
		r, ok := javaUnicodeEscape(p[i:])
		if !ok {
			b.WriteString(p[i : i+2]) // another escape: keep both bytes
			i++
			continue
		}
		i += 5
		if r >= 0xD800 && r <= 0xDBFF {
			if lo, ok := javaUnicodeEscape(p[i+1:]); ok && lo >= 0xDC00 && lo <= 0xDFFF {
				r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
				i += 6
			}
		}
		fmt.Fprintf(&b, `\x{%X}`, r)
	}
	return b.String()
}

// javaUnicodeEscape decodes a leading \uXXXX.
func javaUnicodeEscape(s string) (rune, bool) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, false
	}
	n, err := strconv.ParseUint(s[2:6], 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}

// pathElem is one step of a member path. Paths are AWS-style:
// "tags.1.member.key" (1-based list index), and for maps "<map>.<key>.key"
// and "<map>.<key>.value". They are only rendered when a message needs them.
type pathElem struct {
	name   string // member name, or map key
	index  int    // > 0: 1-based list index
	suffix string // "member", "key" or "value" after an index or map key
}

// checker accumulates the outcome of validating one request.
type checker struct {
	errs  []string   // constraint violations, AWS wording
	serr  *Error     // first type mismatch; aborts the walk
	stack []pathElem // path of the value being checked
}

// checkers recycles checkers, so that validating a valid request does not
// allocate.
var checkers = sync.Pool{New: func() any { return &checker{stack: make([]pathElem, 0, 8)} }}

func (c *checker) push(e pathElem) { c.stack = append(c.stack, e) }
func (c *checker) pop()            { c.stack = c.stack[:len(c.stack)-1] }

// path renders the current member path.
func (c *checker) path() string {
	var b strings.Builder
	for i, e := range c.stack {
		if i > 0 {
			b.WriteByte('.')
		}
		if e.index > 0 {
			b.WriteString(strconv.Itoa(e.index))
		} else {
			b.WriteString(e.name)
		}
		if e.suffix != "" {
			b.WriteByte('.')
			b.WriteString(e.suffix)
		}
	}
	return b.String()
}

// validateInput checks a decoded request body (a map from a UseNumber
// decode) and returns nil, a SerializationException, or a validation error
// with code validationCode.
func validateInput(v *validator, body map[string]any, validationCode string) *Error {
	c := checkers.Get().(*checker)
	defer func() {
		*c = checker{stack: c.stack[:0]}
		checkers.Put(c)
	}()
	v.checkStruct(c, body)
	if c.serr != nil {
		return c.serr
	}
	if len(c.errs) == 0 {
		return nil
	}
	noun := "errors"
	if len(c.errs) == 1 {
		noun = "error"
	}
	return &Error{
		Code:    validationCode,
		Message: strconv.Itoa(len(c.errs)) + " validation " + noun + " detected: " + strings.Join(c.errs, "; "),
	}
}

// check validates x (never nil) at p. It returns false once a type mismatch
// has been recorded, which stops the walk.
func (v *validator) check(c *checker, x any) bool {
	switch v.kind {
	case kindAny:
		return true
	case kindStructure:
		m, ok := x.(map[string]any)
		if !ok {
			return c.typeError(v, x)
		}
		return v.checkStruct(c, m)
	case kindList:
		l, ok := x.([]any)
		if !ok {
			return c.typeError(v, x)
		}
		v.checkSize(c, x, float64(len(l)))
		for i, e := range l {
			if e == nil {
				continue // AWS SDKs never send null elements; nothing to check
			}
			c.push(pathElem{index: i + 1, suffix: "member"})
			ok := v.elem.check(c, e)
			c.pop()
			if !ok {
				return false
			}
		}
		return true
	case kindMap:
		m, ok := x.(map[string]any)
		if !ok {
			return c.typeError(v, x)
		}
		v.checkSize(c, x, float64(len(m)))
		for _, k := range sortedKeys(m) {
			c.push(pathElem{name: k, suffix: "key"})
			ok := v.key.check(c, k)
			c.pop()
			if !ok {
				return false
			}
			e := m[k]
			if e == nil {
				continue
			}
			c.push(pathElem{name: k, suffix: "value"})
			ok = v.elem.check(c, e)
			c.pop()
			if !ok {
				return false
			}
		}
		return true
	case kindString:
		s, ok := x.(string)
		if !ok {
			return c.typeError(v, x)
		}
		v.checkString(c, s)
		return true
	case kindBlob:
		s, ok := x.(string)
		if !ok {
			return c.typeError(v, x)
		}
		n, err := base64DecodedLen(s)
		if err != nil {
			c.serr = Errorf(CodeSerialization, "invalid value at '%s': expected %s", c.path(), expected[v.kind])
			return false
		}
		v.checkSize(c, x, float64(n))
		return true
	case kindBoolean:
		if _, ok := x.(bool); !ok {
			return c.typeError(v, x)
		}
		return true
	case kindInteger, kindLong:
		n, ok := x.(json.Number)
		if !ok {
			return c.typeError(v, x)
		}
		bits := 64
		if v.kind == kindInteger {
			bits = 32
		}
		i, err := strconv.ParseInt(string(n), 10, bits)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				c.serr = Errorf(CodeSerialization, "invalid value at '%s': %s does not fit in a %d-bit integer", c.path(), n, bits)
			} else {
				c.serr = Errorf(CodeSerialization, "invalid value at '%s': expected an integer, found %s", c.path(), n)
			}
			return false
		}
		v.checkValue(c, x, float64(i))
		return true
	case kindFloat, kindDouble:
		n, ok := x.(json.Number)
		if !ok {
			return c.typeError(v, x)
		}
		bits := 64
		if v.kind == kindFloat {
			bits = 32
		}
		f, err := strconv.ParseFloat(string(n), bits)
		if err != nil || math.IsInf(f, 0) {
			c.serr = Errorf(CodeSerialization, "invalid value at '%s': %s is not a representable %d-bit float", c.path(), n, bits)
			return false
		}
		v.checkValue(c, x, f)
		return true
	case kindTimestamp:
		if _, ok := x.(json.Number); !ok {
			return c.typeError(v, x)
		}
		return true
	}
	return true
}

// checkStruct validates the members of a structure in model order. Members
// the model does not know are ignored, as AWS does — except a key that
// differs from a member's name only in case: encoding/json (which Op
// decodes with) would match it to that member's field without validation,
// so it is refused.
func (v *validator) checkStruct(c *checker, m map[string]any) bool {
	present := 0
	for i := range v.fields {
		f := &v.fields[i]
		x, ok := m[f.name]
		if ok {
			present++
		}
		if !ok || x == nil {
			if f.required {
				c.push(pathElem{name: f.name})
				c.errs = append(c.errs, "Value null at '"+c.path()+
					"' failed to satisfy constraint: Member must not be null")
				c.pop()
			}
			continue
		}
		c.push(pathElem{name: f.name})
		ok = f.v.check(c, x)
		c.pop()
		if !ok {
			return false
		}
	}
	if present == len(m) {
		return true
	}
	for _, k := range sortedKeys(m) {
		if f := v.foldedField(k); f != nil {
			c.push(pathElem{name: k})
			c.serr = Errorf(CodeSerialization,
				"unknown member '%s': member names are case-sensitive (did you mean '%s'?)", c.path(), f.name)
			c.pop()
			return false
		}
	}
	return true
}

// foldedField returns the member whose name equals k under case folding
// but not exactly, or nil.
func (v *validator) foldedField(k string) *field {
	for i := range v.fields {
		if f := &v.fields[i]; f.name != k && strings.EqualFold(f.name, k) {
			return f
		}
	}
	return nil
}

func (v *validator) checkString(c *checker, s string) {
	if v.hasMin || v.hasMax {
		if msg := v.sizeViolation(float64(utf8.RuneCountInString(s))); msg != "" {
			c.violation(v, s, msg)
		}
	}
	if v.pattern != nil && !v.pattern.MatchString(s) {
		c.violation(v, s, "Member must satisfy regular expression pattern: "+v.patternSrc)
	}
	if v.enum != nil {
		for _, e := range v.enum {
			if e == s {
				return
			}
		}
		c.violation(v, s, "Member must satisfy enum value set: "+v.enumText)
	}
}

// checkSize checks a length (blob bytes, list or map entries) against min
// and max.
func (v *validator) checkSize(c *checker, x any, n float64) {
	if msg := v.sizeViolation(n); msg != "" {
		c.violation(v, x, msg)
	}
}

// sizeViolation returns the failed length constraint, or "".
func (v *validator) sizeViolation(n float64) string {
	if v.hasMin && n < v.min {
		return "Member must have length greater than or equal to " + formatBound(v.min)
	}
	if v.hasMax && n > v.max {
		return "Member must have length less than or equal to " + formatBound(v.max)
	}
	return ""
}

// checkValue checks a number against min and max.
func (v *validator) checkValue(c *checker, x any, n float64) {
	if v.hasMin && n < v.min {
		c.violation(v, x, "Member must have value greater than or equal to "+formatBound(v.min))
	}
	if v.hasMax && n > v.max {
		c.violation(v, x, "Member must have value less than or equal to "+formatBound(v.max))
	}
}

func formatBound(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// violation records one failed constraint. Sensitive values are left out of
// the message, as AWS does ("Value at 'input' failed ...").
func (c *checker) violation(v *validator, x any, constraint string) {
	if v.sensitive {
		c.errs = append(c.errs, "Value at '"+c.path()+"' failed to satisfy constraint: "+constraint)
		return
	}
	c.errs = append(c.errs, "Value '"+render(v, x)+"' at '"+c.path()+"' failed to satisfy constraint: "+constraint)
}

func (c *checker) typeError(v *validator, x any) bool {
	c.serr = Errorf(CodeSerialization, "invalid value at '%s': expected %s, found %s", c.path(), expected[v.kind], jsonTypeName(x))
	return false
}

func jsonTypeName(x any) string {
	switch x.(type) {
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", x)
}

// redacted replaces sensitive values nested in an echoed value.
const redacted = "*** Sensitive Data Redacted ***"

// render formats a value for a validation message the way AWS's Java
// services do: lists as [a, b], structures and maps as {k=v, ...}.
func render(v *validator, x any) string {
	if v != nil && v.sensitive {
		return redacted
	}
	switch t := x.(type) {
	case nil:
		return "null"
	case string:
		return t
	case json.Number:
		return string(t)
	case bool:
		return strconv.FormatBool(t)
	case []any:
		var elem *validator
		if v != nil {
			elem = v.elem
		}
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = render(elem, e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		var parts []string
		if v != nil && v.kind == kindStructure {
			for _, f := range v.fields {
				if e, ok := t[f.name]; ok {
					parts = append(parts, f.name+"="+render(f.v, e))
				}
			}
			return "{" + strings.Join(parts, ", ") + "}"
		}
		keys := sortedKeys(t)
		var elem *validator
		if v != nil {
			elem = v.elem
		}
		for _, k := range keys {
			parts = append(parts, k+"="+render(elem, t[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(x)
}

// base64DecodedLen returns the decoded length of standard base64 s.
func base64DecodedLen(s string) (int, error) {
	if len(s)%4 != 0 {
		return 0, base64.CorruptInputError(len(s))
	}
	n := len(s) / 4 * 3
	if strings.HasSuffix(s, "==") {
		n -= 2
	} else if strings.HasSuffix(s, "=") {
		n--
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= 'A' && ch <= 'Z', ch >= 'a' && ch <= 'z', ch >= '0' && ch <= '9', ch == '+', ch == '/':
		case ch == '=' && i >= len(s)-2:
			if i == len(s)-2 && s[i+1] != '=' {
				return 0, base64.CorruptInputError(i)
			}
		default:
			return 0, base64.CorruptInputError(i)
		}
	}
	return n, nil
}

// sortedKeys returns m's keys in order, so that messages are deterministic.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
