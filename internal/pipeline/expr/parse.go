package expr

import (
	"fmt"
	"strings"
)

// segment is a piece of a string value: literal text or one expression's
// source (without its delimiters).
type segment struct {
	text   string
	isExpr bool
}

// splitTemplate splits a string value into literal text and expressions.
// It fails on an expression that has no closing "}".
func splitTemplate(s string) ([]segment, error) {
	var segs []segment
	for {
		i := strings.Index(s, "#{")
		if i < 0 {
			if s != "" {
				segs = append(segs, segment{text: s})
			}
			return segs, nil
		}
		if i > 0 {
			segs = append(segs, segment{text: s[:i]})
		}
		rest := s[i+2:]
		end, err := exprEnd(rest)
		if err != nil {
			return nil, err
		}
		segs = append(segs, segment{text: rest[:end], isExpr: true})
		s = rest[end+1:]
	}
}

// exprEnd returns the index of the "}" that closes the expression at the
// start of s, skipping quoted strings.
func exprEnd(s string) (int, error) {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == '\\':
			i++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '}':
			return i, nil
		}
	}
	if quote != 0 {
		return 0, fmt.Errorf("unterminated string in expression '#{%s'", s)
	}
	return 0, fmt.Errorf("expression '#{%s' has no closing '}'", s)
}

// Validate checks every expression in a string value s: its syntax, and
// that the functions it calls exist and are given as many arguments as they
// take. Which references resolve and the types of function arguments are
// decided when the value is evaluated (at run time on AWS), so an
// expression Validate accepts may still fail in Eval.
func Validate(s string) error {
	if !strings.Contains(s, "#{") {
		return nil
	}
	segs, err := splitTemplate(s)
	if err != nil {
		return err
	}
	for _, sg := range segs {
		if !sg.isExpr {
			continue
		}
		x, err := parseExpr(sg.text)
		if err != nil {
			return err
		}
		if err := checkCalls(x); err != nil {
			return fmt.Errorf("expression '#{%s}': %w", sg.text, err)
		}
	}
	return nil
}

// Expression syntax trees.
type (
	exprNode interface{ exprNode() }
	// litExpr is a string or number literal; a number may carry a period
	// unit ("1 day").
	litExpr struct {
		value string
		num   bool
		unit  string
	}
	// refExpr is a reference to a field or parameter: path[0] on the
	// current object, each further name on the object the previous one
	// refers to.
	refExpr  struct{ path []string }
	callExpr struct {
		fn   string
		args []exprNode
	}
	binExpr struct {
		op   byte
		l, r exprNode
	}
	negExpr struct{ x exprNode }
)

func (litExpr) exprNode()  {}
func (refExpr) exprNode()  {}
func (callExpr) exprNode() {}
func (binExpr) exprNode()  {}
func (negExpr) exprNode()  {}

// Token kinds.
const (
	tokEOF = iota
	tokName
	tokNumber
	tokString
	tokPunct
)

type token struct {
	kind int
	text string // a name, a number, a string's value, or a punctuation character
	pos  int
}

// exprParser is a recursive-descent parser over one expression's source.
type exprParser struct {
	src string
	pos int
	tok token
}

// parseExpr parses one expression (the text between "#{" and "}").
func parseExpr(src string) (exprNode, error) {
	p := &exprParser{src: src}
	if err := p.next(); err != nil {
		return nil, err
	}
	if p.tok.kind == tokEOF {
		return nil, fmt.Errorf("empty expression '#{%s}'", src)
	}
	x, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.unexpected()
	}
	return x, nil
}

func (p *exprParser) unexpected() error {
	if p.tok.kind == tokEOF {
		return fmt.Errorf("expression '#{%s}' ends too early", p.src)
	}
	return fmt.Errorf("unexpected '%s' at offset %d of expression '#{%s}'", p.src[p.tok.pos:p.pos], p.tok.pos, p.src)
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// next reads the next token into p.tok.
func (p *exprParser) next() error {
	s := p.src
	for p.pos < len(s) && (s[p.pos] == ' ' || s[p.pos] == '\t' || s[p.pos] == '\n' || s[p.pos] == '\r') {
		p.pos++
	}
	start := p.pos
	if p.pos >= len(s) {
		p.tok = token{kind: tokEOF, pos: start}
		return nil
	}
	c := s[p.pos]
	switch {
	case isLetter(c) || ((c == '@' || c == '*') && p.pos+1 < len(s) && isLetter(s[p.pos+1])):
		p.pos++
		for p.pos < len(s) && (isLetter(s[p.pos]) || isDigit(s[p.pos])) {
			p.pos++
		}
		p.tok = token{kind: tokName, text: s[start:p.pos], pos: start}
	case isDigit(c):
		for p.pos < len(s) && isDigit(s[p.pos]) {
			p.pos++
		}
		if p.pos+1 < len(s) && s[p.pos] == '.' && isDigit(s[p.pos+1]) {
			p.pos++
			for p.pos < len(s) && isDigit(s[p.pos]) {
				p.pos++
			}
		}
		p.tok = token{kind: tokNumber, text: s[start:p.pos], pos: start}
	case c == '\'' || c == '"':
		var b strings.Builder
		p.pos++
		for {
			if p.pos >= len(s) {
				return fmt.Errorf("unterminated string at offset %d of expression '#{%s}'", start, s)
			}
			ch := s[p.pos]
			if ch == '\\' && p.pos+1 < len(s) {
				b.WriteByte(s[p.pos+1])
				p.pos += 2
				continue
			}
			p.pos++
			if ch == c {
				break
			}
			b.WriteByte(ch)
		}
		p.tok = token{kind: tokString, text: b.String(), pos: start}
	case strings.IndexByte("(),.+-*/^", c) >= 0:
		p.pos++
		p.tok = token{kind: tokPunct, text: s[start:p.pos], pos: start}
	default:
		p.pos++
		return fmt.Errorf("unexpected character '%c' at offset %d of expression '#{%s}'", c, start, s)
	}
	return nil
}

func (p *exprParser) isPunct(c string) bool { return p.tok.kind == tokPunct && p.tok.text == c }

func (p *exprParser) expr() (exprNode, error) {
	l, err := p.term()
	if err != nil {
		return nil, err
	}
	for p.isPunct("+") || p.isPunct("-") {
		op := p.tok.text[0]
		if err := p.next(); err != nil {
			return nil, err
		}
		r, err := p.term()
		if err != nil {
			return nil, err
		}
		l = binExpr{op: op, l: l, r: r}
	}
	return l, nil
}

func (p *exprParser) term() (exprNode, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isPunct("*") || p.isPunct("/") {
		op := p.tok.text[0]
		if err := p.next(); err != nil {
			return nil, err
		}
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = binExpr{op: op, l: l, r: r}
	}
	return l, nil
}

func (p *exprParser) unary() (exprNode, error) {
	if p.isPunct("-") {
		if err := p.next(); err != nil {
			return nil, err
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return negExpr{x: x}, nil
	}
	return p.power()
}

// power parses an exponentiation; its exponent is a unary, so that
// 2 ^ -1 and 2 ^ 3 ^ 2 (2 ^ 9) parse.
func (p *exprParser) power() (exprNode, error) {
	base, err := p.primary()
	if err != nil || !p.isPunct("^") {
		return base, err
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	exp, err := p.unary()
	if err != nil {
		return nil, err
	}
	return binExpr{op: '^', l: base, r: exp}, nil
}

// periodUnits are the units a number may carry ("3 hours").
var periodUnits = map[string]bool{
	"year": true, "years": true, "month": true, "months": true, "week": true, "weeks": true,
	"day": true, "days": true, "hour": true, "hours": true, "minute": true, "minutes": true,
}

func (p *exprParser) primary() (exprNode, error) {
	t := p.tok
	switch {
	case t.kind == tokNumber:
		if err := p.next(); err != nil {
			return nil, err
		}
		lit := litExpr{value: t.text, num: true}
		if p.tok.kind == tokName && periodUnits[strings.ToLower(p.tok.text)] {
			lit.unit = p.tok.text
			if err := p.next(); err != nil {
				return nil, err
			}
		}
		return lit, nil
	case t.kind == tokString:
		if err := p.next(); err != nil {
			return nil, err
		}
		return litExpr{value: t.text}, nil
	case p.isPunct("("):
		if err := p.next(); err != nil {
			return nil, err
		}
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		if !p.isPunct(")") {
			return nil, p.unexpected()
		}
		return x, p.next()
	case t.kind == tokName:
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.isPunct("(") {
			return p.call(t.text)
		}
		path := []string{t.text}
		for p.isPunct(".") {
			if err := p.next(); err != nil {
				return nil, err
			}
			if p.tok.kind != tokName {
				return nil, p.unexpected()
			}
			path = append(path, p.tok.text)
			if err := p.next(); err != nil {
				return nil, err
			}
		}
		return refExpr{path: path}, nil
	}
	return nil, p.unexpected()
}

// call parses a function call's arguments; p.tok is its "(".
func (p *exprParser) call(fn string) (exprNode, error) {
	c := callExpr{fn: fn}
	if err := p.next(); err != nil {
		return nil, err
	}
	if p.isPunct(")") {
		return c, p.next()
	}
	for {
		arg, err := p.expr()
		if err != nil {
			return nil, err
		}
		c.args = append(c.args, arg)
		if p.isPunct(")") {
			return c, p.next()
		}
		if !p.isPunct(",") {
			return nil, p.unexpected()
		}
		if err := p.next(); err != nil {
			return nil, err
		}
	}
}
