package asl

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// path is a parsed JSONPath. It starts at "$" (the data the path is applied
// to), "$$" (the context object) or "$name" (the workflow variable name) and
// continues with segments:
//
//	.name  ['name']  ['a','b']  [0]  [-1]  [0,2]  [*]  .*  [1:3]  ..name  ..*  ..[0]
//
// Filter and script expressions ([?(...)], [(...)]), slice steps and JSONPath
// functions are not supported. A path is definite when it can match at most
// one node (names and single indexes only, no "..") and then evaluates to that
// node; otherwise it evaluates to the array of every match, as Jayway
// JsonPath (which AWS uses) does.
type path struct {
	text     string
	context  bool   // "$$": the context object
	variable string // "$name": the workflow variable name
	definite bool
	segs     []segment
}

// segKind says what a segment selects.
type segKind uint8

const (
	segNames    segKind = iota + 1 // object members by name
	segIndexes                     // array elements by index (negative counts from the end)
	segWildcard                    // every member or element
	segSlice                       // array elements start ≤ i < end
)

// segment is one step of a path.
type segment struct {
	kind     segKind
	deep     bool // preceded by "..": applies to the node and all its descendants
	names    []string
	indexes  []int
	start    int
	end      int
	hasStart bool
	hasEnd   bool
}

// pathError is a path that cannot be parsed. unsupported marks valid JSONPath
// that gaffer does not implement.
type pathError struct {
	unsupported bool
	msg         string
}

// Error returns the message.
func (e *pathError) Error() string { return e.msg }

// invalidPath returns a pathError for malformed text.
func invalidPath(format string, args ...any) error {
	return &pathError{msg: fmt.Sprintf(format, args...)}
}

// unsupportedPath returns a pathError for a feature gaffer does not have.
func unsupportedPath(format string, args ...any) error {
	return &pathError{unsupported: true, msg: fmt.Sprintf(format, args...)}
}

// parsePath parses a JSONPath.
func parsePath(s string) (*path, error) {
	if s == "" || s[0] != '$' {
		return nil, invalidPath("a path must start with '$'")
	}
	p := &path{text: s, definite: true}
	i := 1
	if i < len(s) {
		switch s[i] {
		case '$':
			p.context = true
			i++
		case '.', '[':
		default:
			if r, _ := utf8.DecodeRuneInString(s[i:]); r != '_' && !unicode.IsLetter(r) {
				return nil, invalidPath("unexpected character %q at offset %d", r, i)
			}
			name := s[1:]
			if j := strings.IndexAny(name, ".["); j >= 0 {
				name = name[:j]
			}
			if name == "states" {
				return nil, invalidPath("the reserved variable '$states' is available only in JSONata states")
			}
			if msg := checkVarName(name); msg != "" {
				return nil, invalidPath("'$%s' names no workflow variable: it %s", name, strings.TrimPrefix(msg, "is not a valid variable name: "))
			}
			p.variable = name
			i += len(name)
		}
	}
	for i < len(s) {
		var seg segment
		var err error
		switch s[i] {
		case '.':
			i++
			if i < len(s) && s[i] == '.' {
				seg.deep = true
				i++
			}
			switch {
			case i >= len(s):
				return nil, invalidPath("the path ends with '.'")
			case s[i] == '[':
				if !seg.deep {
					return nil, invalidPath("'.' must be followed by a name or '*', not '['")
				}
				if i, err = parseBracket(s, i, &seg); err != nil {
					return nil, err
				}
			case s[i] == '*':
				seg.kind = segWildcard
				i++
			default:
				j := i
				for j < len(s) && s[j] != '.' && s[j] != '[' {
					j++
				}
				name := s[i:j]
				if strings.ContainsAny(name, "()") {
					return nil, invalidPath("JSONPath functions such as '%s' are not supported", name)
				}
				if k := strings.IndexAny(name, " \t\r\n'\"]?@,*\\"); k >= 0 {
					return nil, invalidPath("unexpected character %q in the name %q (use ['...'] for such names)", name[k], name)
				}
				seg.kind = segNames
				seg.names = []string{name}
				i = j
			}
		case '[':
			if i, err = parseBracket(s, i, &seg); err != nil {
				return nil, err
			}
		default:
			return nil, invalidPath("unexpected character %q at offset %d", s[i], i)
		}
		if seg.deep || seg.kind == segWildcard || seg.kind == segSlice || len(seg.names) > 1 || len(seg.indexes) > 1 {
			p.definite = false
		}
		p.segs = append(p.segs, seg)
	}
	return p, nil
}

// parseBracket parses the bracket expression that starts at s[i] == '[' into
// seg and returns the offset just after its ']'.
func parseBracket(s string, i int, seg *segment) (int, error) {
	j := skipSpaces(s, i+1)
	if j >= len(s) {
		return 0, invalidPath("unterminated '['")
	}
	switch c := s[j]; {
	case c == '?':
		return 0, unsupportedPath("filter expressions ('[?(...)]') are not supported")
	case c == '(':
		return 0, unsupportedPath("script expressions ('[(...)]') are not supported")
	case c == '*':
		seg.kind = segWildcard
		j = skipSpaces(s, j+1)
	case c == '\'' || c == '"':
		seg.kind = segNames
		for {
			name, k, err := parseQuoted(s, j)
			if err != nil {
				return 0, err
			}
			seg.names = append(seg.names, name)
			j = skipSpaces(s, k)
			if j < len(s) && s[j] == ',' {
				j = skipSpaces(s, j+1)
				if j >= len(s) || (s[j] != '\'' && s[j] != '"') {
					return 0, invalidPath("expected a quoted name after ',' at offset %d", j)
				}
				continue
			}
			break
		}
	case c == '-' || c == ':' || (c >= '0' && c <= '9'):
		first, hasFirst, k, err := parseInt(s, j)
		if err != nil {
			return 0, err
		}
		j = skipSpaces(s, k)
		if j < len(s) && s[j] == ':' {
			seg.kind = segSlice
			seg.start, seg.hasStart = first, hasFirst
			j = skipSpaces(s, j+1)
			if seg.end, seg.hasEnd, k, err = parseInt(s, j); err != nil {
				return 0, err
			}
			j = skipSpaces(s, k)
			if j < len(s) && s[j] == ':' {
				return 0, invalidPath("slice steps ('[a:b:c]') are not supported")
			}
			break
		}
		if !hasFirst {
			return 0, invalidPath("expected an index at offset %d", j)
		}
		seg.kind = segIndexes
		seg.indexes = []int{first}
		for j < len(s) && s[j] == ',' {
			j = skipSpaces(s, j+1)
			n, ok, k, err := parseInt(s, j)
			if err != nil {
				return 0, err
			}
			if !ok {
				return 0, invalidPath("expected an index after ',' at offset %d", j)
			}
			seg.indexes = append(seg.indexes, n)
			j = skipSpaces(s, k)
		}
	default:
		return 0, invalidPath("unexpected character %q after '[' (expected a quoted name, an index or '*')", c)
	}
	if j >= len(s) || s[j] != ']' {
		return 0, invalidPath("expected ']' at offset %d", j)
	}
	return j + 1, nil
}

// skipSpaces returns the offset of the first non-space at or after i.
func skipSpaces(s string, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

// parseInt reads an optional, possibly negative, decimal integer at s[i].
func parseInt(s string, i int) (n int, ok bool, next int, err error) {
	j := i
	if j < len(s) && s[j] == '-' {
		j++
	}
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return 0, false, i, nil
	}
	n, err = strconv.Atoi(s[i:j])
	if err != nil {
		return 0, false, i, invalidPath("bad index %q", s[i:j])
	}
	return n, true, j, nil
}

// parseQuoted reads a quoted name at s[i] (' or "); a backslash escapes the
// next character.
func parseQuoted(s string, i int) (string, int, error) {
	q := s[i]
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; c {
		case '\\':
			j++
			if j >= len(s) {
				return "", 0, invalidPath("unterminated quoted name")
			}
			b.WriteByte(s[j])
		case q:
			return b.String(), j + 1, nil
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, invalidPath("unterminated quoted name")
}

// reference reports whether p is a Reference Path: a definite path into the
// data ("$", not "$$") using only names and non-negative indexes.
func (p *path) reference() bool {
	if p.context || p.variable != "" || !p.definite {
		return false
	}
	for _, s := range p.segs {
		if s.kind == segIndexes && s.indexes[0] < 0 {
			return false
		}
	}
	return true
}

// String returns the path as written.
func (p *path) String() string { return p.text }

// normalized returns the path in bracket notation, e.g. $['a'][0], as Jayway
// prints it in error messages.
func (p *path) normalized() string { return p.prefix(len(p.segs)) }

// prefix returns the bracket notation of the root and the first n segments.
func (p *path) prefix(n int) string {
	var b strings.Builder
	b.WriteString("$")
	if p.context {
		b.WriteString("$")
	}
	b.WriteString(p.variable)
	for _, s := range p.segs[:n] {
		if s.deep {
			b.WriteString("..")
		}
		b.WriteByte('[')
		switch s.kind {
		case segNames:
			for i, name := range s.names {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteByte('\'')
				b.WriteString(strings.ReplaceAll(strings.ReplaceAll(name, `\`, `\\`), `'`, `\'`))
				b.WriteByte('\'')
			}
		case segIndexes:
			for i, idx := range s.indexes {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(strconv.Itoa(idx))
			}
		case segWildcard:
			b.WriteByte('*')
		case segSlice:
			if s.hasStart {
				b.WriteString(strconv.Itoa(s.start))
			}
			b.WriteByte(':')
			if s.hasEnd {
				b.WriteString(strconv.Itoa(s.end))
			}
		}
		b.WriteByte(']')
	}
	return b.String()
}

// eval applies p to root. A definite path returns the node it names, or false
// when there is none. An indefinite path always succeeds and returns the
// (possibly empty) array of matches in document order.
func (p *path) eval(root any) (any, bool) {
	nodes := []any{root}
	for _, seg := range p.segs {
		var next []any
		for _, n := range nodes {
			if seg.deep {
				next = seg.descend(n, next)
			} else {
				next = seg.apply(n, next)
			}
		}
		nodes = next
		if p.definite && len(nodes) == 0 {
			return nil, false
		}
	}
	if p.definite {
		return nodes[0], true
	}
	if nodes == nil {
		nodes = []any{}
	}
	return nodes, true
}

// descend applies s to n and to every descendant of n, in document order.
func (s segment) descend(n any, out []any) []any {
	out = s.apply(n, out)
	switch n := n.(type) {
	case *object:
		for _, v := range n.vals {
			out = s.descend(v, out)
		}
	case []any:
		for _, e := range n {
			out = s.descend(e, out)
		}
	}
	return out
}

// apply appends what s selects from n to out.
func (s segment) apply(n any, out []any) []any {
	switch s.kind {
	case segNames:
		if o, ok := n.(*object); ok {
			for _, name := range s.names {
				if v, ok := o.get(name); ok {
					out = append(out, v)
				}
			}
		}
	case segIndexes:
		if a, ok := n.([]any); ok {
			for _, i := range s.indexes {
				if i < 0 {
					i += len(a)
				}
				if i >= 0 && i < len(a) {
					out = append(out, a[i])
				}
			}
		}
	case segWildcard:
		switch n := n.(type) {
		case *object:
			out = append(out, n.vals...)
		case []any:
			out = append(out, n...)
		}
	case segSlice:
		if a, ok := n.([]any); ok {
			start, end := 0, len(a)
			if s.hasStart {
				start = clampIndex(s.start, len(a))
			}
			if s.hasEnd {
				end = clampIndex(s.end, len(a))
			}
			if start < end {
				out = append(out, a[start:end]...)
			}
		}
	}
	return out
}

// clampIndex resolves a slice bound (negative counts from the end) into [0, n].
func clampIndex(i, n int) int {
	if i < 0 {
		i += n
	}
	return min(max(i, 0), n)
}

// set returns a copy of root with v stored at the reference path p, creating
// missing objects on the way. Containers on the path are copied, so root is
// not modified. A non-object (or a missing or short array) in the way is an
// error that says which part of the path failed.
func (p *path) set(root, v any) (any, error) {
	return p.setAt(root, 0, v)
}

// setAt stores v at segment k and below in node.
func (p *path) setAt(node any, k int, v any) (any, error) {
	if k == len(p.segs) {
		return v, nil
	}
	seg := p.segs[k]
	switch seg.kind {
	case segNames:
		o, ok := node.(*object)
		if !ok {
			return nil, fmt.Errorf("%s is %s, not an object", p.prefix(k), describe(node))
		}
		name := seg.names[0]
		child, exists := o.get(name)
		if !exists && k+1 < len(p.segs) {
			if p.segs[k+1].kind != segNames {
				return nil, fmt.Errorf("%s does not exist", p.prefix(k+1))
			}
			child = newObject(1)
		}
		nv, err := p.setAt(child, k+1, v)
		if err != nil {
			return nil, err
		}
		c := o.clone()
		c.set(name, nv)
		return c, nil
	case segIndexes:
		a, ok := node.([]any)
		if !ok {
			return nil, fmt.Errorf("%s is %s, not an array", p.prefix(k), describe(node))
		}
		i := seg.indexes[0]
		if i < 0 || i >= len(a) {
			return nil, fmt.Errorf("%s does not exist", p.prefix(k+1))
		}
		nv, err := p.setAt(a[i], k+1, v)
		if err != nil {
			return nil, err
		}
		c := make([]any, len(a))
		copy(c, a)
		c[i] = nv
		return c, nil
	}
	return nil, fmt.Errorf("%s is not a reference path", p.text)
}

// describe names the JSON type of v for messages ("a string", "null").
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case *object:
		return "an object"
	case []any:
		return "an array"
	default:
		return "a number"
	}
}
