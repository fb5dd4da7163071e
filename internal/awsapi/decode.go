package awsapi

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeObject decodes a request body that must be one JSON object into the
// values encoding/json's Decoder would produce with UseNumber
// (map[string]any, []any, string, json.Number, bool, nil), for validation.
//
// The body is checked with json.Valid first (which does not allocate), then
// parsed by a small parser that may assume well-formed input: it is several
// times cheaper than a json.Decoder, which matters on the heartbeat path.
func decodeObject(body []byte) (map[string]any, *Error) {
	if !json.Valid(body) {
		var v any
		err := json.Unmarshal(body, &v)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, Errorf(CodeSerialization, "request body is not valid JSON: %v (at byte %d)", se, se.Offset)
		}
		return nil, Errorf(CodeSerialization, "request body is not valid JSON: %v", err)
	}
	p := parser{data: body, bad: -1}
	v := p.value()
	if p.bad >= 0 {
		if p.path == "" {
			return nil, Errorf(CodeSerialization, "request body has invalid UTF-8 (or a lone surrogate escape) in a string at byte %d", p.bad)
		}
		return nil, Errorf(CodeSerialization, "request body has invalid UTF-8 (or a lone surrogate escape) in a string at '%s' (byte %d)", p.path, p.bad)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, Errorf(CodeSerialization, "request body must be a JSON object, found %s", jsonTypeName(v))
	}
	return m, nil
}

// parser decodes valid JSON. A string that holds invalid UTF-8 or a lone
// surrogate escape is not decoded: the parser records its offset in bad and
// the member holding it in path, and goes on.
type parser struct {
	data []byte
	pos  int
	bad  int    // offset of the first string with invalid text, or -1
	path string // the member holding it, e.g. "tags[0].value"; "" for a key
}

// under prefixes the path of an invalid string found in a child value.
func (p *parser) under(elem string) {
	switch {
	case p.path == "":
		p.path = elem
	case p.path[0] == '[':
		p.path = elem + p.path
	default:
		p.path = elem + "." + p.path
	}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value() any {
	p.skipSpace()
	switch p.data[p.pos] {
	case '{':
		p.pos++
		m := make(map[string]any)
		for {
			p.skipSpace()
			if p.data[p.pos] == '}' {
				p.pos++
				return m
			}
			if p.data[p.pos] == ',' {
				p.pos++
				p.skipSpace()
			}
			k := p.string()
			p.skipSpace()
			p.pos++ // ':'
			ok := p.bad < 0
			m[k] = p.value()
			if ok && p.bad >= 0 {
				p.under(k)
			}
		}
	case '[':
		p.pos++
		l := []any{}
		for {
			p.skipSpace()
			if p.data[p.pos] == ']' {
				p.pos++
				return l
			}
			if p.data[p.pos] == ',' {
				p.pos++
			}
			ok := p.bad < 0
			l = append(l, p.value())
			if ok && p.bad >= 0 {
				p.under("[" + strconv.Itoa(len(l)-1) + "]")
			}
		}
	case '"':
		return p.string()
	case 't':
		p.pos += 4
		return true
	case 'f':
		p.pos += 5
		return false
	case 'n':
		p.pos += 4
		return nil
	}
	start := p.pos
	for p.pos < len(p.data) {
		switch c := p.data[p.pos]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			p.pos++
			continue
		}
		break
	}
	return json.Number(p.data[start:p.pos])
}

// string decodes the string at p.pos (at its opening quote). A string with
// invalid text decodes as "" and is recorded in p.bad.
func (p *parser) string() string {
	at := p.pos
	p.pos++
	start := p.pos
	plain := true
	for {
		c := p.data[p.pos]
		if c == '"' {
			break
		}
		if c == '\\' {
			plain = false
			p.pos += 2
			continue
		}
		if c >= utf8.RuneSelf {
			plain = false
		}
		p.pos++
	}
	raw := p.data[start:p.pos]
	p.pos++
	if plain || (utf8.Valid(raw) && !containsByte(raw, '\\')) {
		return string(raw)
	}
	s, ok := unquote(raw)
	if !ok {
		if p.bad < 0 {
			p.bad = at
		}
		return ""
	}
	return s
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// unquote decodes the body of a valid JSON string as encoding/json does:
// escapes are resolved and surrogate pairs joined. Where encoding/json would
// write U+FFFD for invalid UTF-8 or a lone surrogate, unquote reports false:
// AWS refuses such text rather than silently rewriting it.
func unquote(raw []byte) (string, bool) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			if c < utf8.RuneSelf {
				out = append(out, c)
				i++
				continue
			}
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				return "", false
			}
			out = append(out, raw[i:i+size]...)
			i += size
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(raw[i+1 : i+5])
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
					r2 = hex4(raw[i+3 : i+7])
				}
				dec := utf16.DecodeRune(r, r2)
				if dec == utf8.RuneError {
					return "", false
				}
				r = dec
				i += 6
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out = append(out, raw[i])
		}
		i++
	}
	return string(out), true
}

// hex4 decodes four hex digits (valid input).
func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		default:
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}
