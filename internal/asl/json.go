package asl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// JSON values inside the interpreter are the types encoding/json produces with
// UseNumber, except that objects are *object so that key order survives a
// round trip: nil, bool, string, json.Number, []any and *object.
//
// Values are never modified in place once built: functions that change a
// value (ResultPath) copy the containers on the way down. Definitions can
// therefore share literal values (Result, Parameters) with every execution.

// maxDepth bounds the nesting of decoded JSON. Jackson, which AWS uses,
// refuses documents nested deeper than 1000 by default.
const maxDepth = 1000

// object is a JSON object that remembers the order of its keys: vals[i]
// is the value of keys[i]. Small objects are searched in order; from
// objectIndexMin keys on, index maps each key to its position. Most objects
// in state data are small, and a map for each made decoding large payloads
// cost mostly allocation.
type object struct {
	keys  []string
	vals  []any
	index map[string]int // nil below objectIndexMin keys
}

// objectIndexMin is the number of keys from which an object keeps an index.
const objectIndexMin = 16

// newObject returns an empty object with room for n keys.
func newObject(n int) *object {
	return &object{keys: make([]string, 0, n), vals: make([]any, 0, n)}
}

// find returns the position of key k, or -1.
func (o *object) find(k string) int {
	if o.index != nil {
		if i, ok := o.index[k]; ok {
			return i
		}
		return -1
	}
	for i, key := range o.keys {
		if key == k {
			return i
		}
	}
	return -1
}

// get returns the value stored under k.
func (o *object) get(k string) (any, bool) {
	if i := o.find(k); i >= 0 {
		return o.vals[i], true
	}
	return nil, false
}

// value returns the value stored under k, nil if there is none.
func (o *object) value(k string) any {
	v, _ := o.get(k)
	return v
}

// set stores v under k, appending k if it is new.
func (o *object) set(k string, v any) {
	if i := o.find(k); i >= 0 {
		o.vals[i] = v
		return
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
	switch {
	case o.index != nil:
		o.index[k] = len(o.keys) - 1
	case len(o.keys) >= objectIndexMin:
		o.index = make(map[string]int, 2*len(o.keys))
		for i, key := range o.keys {
			o.index[key] = i
		}
	}
}

// clone returns a shallow copy of o.
func (o *object) clone() *object {
	c := &object{keys: make([]string, len(o.keys), len(o.keys)+1), vals: make([]any, len(o.vals), len(o.vals)+1)}
	copy(c.keys, o.keys)
	copy(c.vals, o.vals)
	if o.index != nil {
		c.index = make(map[string]int, len(o.index)+1)
		for k, i := range o.index {
			c.index[k] = i
		}
	}
	return c
}

// decodeJSON decodes exactly one JSON value from data. With strict set, a
// repeated key in an object is an error (definitions); otherwise the last value
// wins and the key keeps its first position (data). Invalid UTF-8 in a string
// becomes U+FFFD, as encoding/json does.
func decodeJSON(data []byte, strict bool) (any, error) {
	d := decoder{
		// A bytes.Buffer is parsed in place, without a copy.
		Decoder: jsontext.NewDecoder(bytes.NewBuffer(data),
			jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)),
		strict: strict,
	}
	v, err := d.value(0)
	if err != nil {
		return nil, plainSyntaxError(err)
	}
	if _, err := d.ReadToken(); err != io.EOF {
		if err == nil {
			err = errors.New("more than one value")
		}
		return nil, fmt.Errorf("after the top-level value: %w", plainSyntaxError(err))
	}
	return v, nil
}

// plainSyntaxError drops the package name jsontext puts before its
// messages: they reach users (a definition's or a state input's fault).
func plainSyntaxError(err error) error {
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		return errors.New(strings.TrimPrefix(se.Error(), "jsontext: "))
	}
	return err
}

// decoder decodes JSON text into the interpreter's values, a token at a
// time (jsontext reads tokens without allocating, unlike encoding/json's
// Decoder.Token, and keeps the path for messages).
type decoder struct {
	*jsontext.Decoder
	strict bool
}

// value reads one value at the given depth.
func (d *decoder) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("JSON nested too deeply")
	}
	tok, err := d.ReadToken()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch tok.Kind() {
	case 'n':
		return nil, nil
	case 't':
		return true, nil
	case 'f':
		return false, nil
	case '"':
		return tok.String(), nil
	case '0':
		return json.Number(tok.String()), nil
	case '{':
		o := newObject(4)
		for d.PeekKind() != '}' {
			kt, err := d.ReadToken()
			if err != nil {
				return nil, err
			}
			k := kt.String()
			if d.strict && o.find(k) >= 0 {
				return nil, fmt.Errorf("duplicate key %q at %s", k, d.StackPointer())
			}
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			o.set(k, v)
		}
		if _, err := d.ReadToken(); err != nil {
			return nil, err
		}
		return o, nil
	case '[':
		a := []any{}
		for d.PeekKind() != ']' {
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		if _, err := d.ReadToken(); err != nil {
			return nil, err
		}
		return a, nil
	}
	return nil, fmt.Errorf("unexpected %v", tok.Kind())
}

// carryable reports whether v, found at depth, is what decoding its JSON
// text (encodeJSON) gives back, so that the next state may take a state's
// output value as its input instead of decoding the text again: only the
// interpreter's types, strings and keys of valid UTF-8 (encodeJSON writes
// U+FFFD for invalid bytes), numbers of valid JSON syntax (written as they
// are), nested no deeper than decoding allows. Values are immutable, so
// one may be shared.
func carryable(v any, depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch v := v.(type) {
	case nil, bool:
		return true
	case string:
		return utf8.ValidString(v)
	case json.Number:
		return validNumber(string(v))
	case *object:
		if v == nil {
			return false
		}
		for i, k := range v.keys {
			if !utf8.ValidString(k) || !carryable(v.vals[i], depth+1) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range v {
			if !carryable(e, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// validNumber reports whether s is a JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func validNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// decodeData decodes a state input or task result. Empty data is {}.
func decodeData(data []byte) (any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return newObject(0), nil
	}
	return decodeJSON(data, false)
}

// encodeJSON returns the compact JSON text of v. Numbers keep their text, keys
// keep their order, and <, > and & are not escaped.
func encodeJSON(v any) []byte {
	b, _ := appendJSON(nil, v, math.MaxInt)
	return b
}

// appendJSON appends the JSON text of v to b. It stops early, returning
// false, once b is longer than limit: a value built from references to the
// same data (Parameters {"a.$":"$","b.$":"$"}) can be far larger as text
// than in memory, so an oversized one is never written out whole.
func appendJSON(b []byte, v any, limit int) ([]byte, bool) {
	switch v := v.(type) {
	case nil:
		b = append(b, "null"...)
	case bool:
		b = strconv.AppendBool(b, v)
	case json.Number:
		if v == "" {
			b = append(b, '0')
		} else {
			b = append(b, v...)
		}
	case string:
		b = appendString(b, v)
	case *object:
		b = append(b, '{')
		for i, k := range v.keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var ok bool
			if b, ok = appendJSON(b, v.vals[i], limit); !ok {
				return b, false
			}
		}
		b = append(b, '}')
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendJSON(b, e, limit); !ok {
				return b, false
			}
		}
		b = append(b, ']')
	default:
		// Not produced by this package; keep the output valid anyway.
		text, err := json.Marshal(v)
		if err != nil {
			text = []byte("null")
		}
		b = append(b, text...)
	}
	return b, len(b) <= limit
}

// jsonSize returns the length of v's JSON text as encodeJSON writes it, or
// some number above limit once the text is known to be longer than limit.
// It measures without writing: for data that is checked but not kept.
func jsonSize(v any, limit int) int {
	n := 0
	switch v := v.(type) {
	case nil:
		n = len("null")
	case bool:
		n = len("false")
		if v {
			n = len("true")
		}
	case json.Number:
		n = max(len(v), 1)
	case string:
		n = stringSize(v)
	case *object:
		n = 2 + max(len(v.keys)-1, 0) // braces and commas
		for i, k := range v.keys {
			n += stringSize(k) + 1
			if n > limit {
				return n
			}
			n += jsonSize(v.vals[i], limit-n)
		}
	case []any:
		n = 2 + max(len(v)-1, 0)
		for _, e := range v {
			if n > limit {
				return n
			}
			n += jsonSize(e, limit-n)
		}
	default:
		text, _ := appendJSON(nil, v, limit)
		n = len(text)
	}
	return n
}

// stringSize returns the length of s as appendString writes it.
func stringSize(s string) int {
	n := len(s) + 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
				n++
			case c < 0x20:
				n += 5
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += len(`\ufffd`) - 1
		case r == '\u2028' || r == '\u2029':
			n += len(`\u2028`) - size
		}
		i += size
	}
	return n
}

// appendString appends s as a JSON string, escaping as encoding/json does
// but leaving <, > and & alone.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// pointerEscape escapes one JSON pointer reference token (RFC 6901).
func pointerEscape(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	var b []byte
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '~':
			b = append(b, '~', '0')
		case '/':
			b = append(b, '~', '1')
		default:
			b = append(b, s[i])
		}
	}
	return string(b)
}
