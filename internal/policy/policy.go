// Package policy evaluates IAM-style policy documents: what an identity may
// do, as AWS decides it for one identity-based policy.
//
// A document is {"Version": "2012-10-17", "Statement": [...]}; each
// statement has an Effect ("Allow" or "Deny"), Action or NotAction, and
// Resource or NotResource, each a string or a list of strings. Actions are
// "service:Operation" ("states:SendTaskSuccess") and match case-insensitively;
// resources are ARNs and match case-sensitively; both take the wildcards *
// (any run of characters) and ? (any one character). A request is allowed
// when some statement allows it and none denies it: an explicit deny wins,
// and what no statement allows is denied. Conditions and principals are not
// supported: a statement with a Condition or Principal is refused when the
// document is parsed, rather than silently ignored.
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Policy is a parsed policy document. The zero value allows nothing.
type Policy struct {
	statements []statement
}

type statement struct {
	allow       bool
	actions     []string // lower-cased patterns
	notAction   bool     // actions lists NotAction
	resources   []string // patterns
	notResource bool     // resources lists NotResource
}

// document is a policy document as written.
type document struct {
	Version   string       `json:"Version"`
	Statement statementsIn `json:"Statement"`
}

type statementIn struct {
	Sid         string          `json:"Sid"`
	Effect      string          `json:"Effect"`
	Action      strings1        `json:"Action"`
	NotAction   strings1        `json:"NotAction"`
	Resource    strings1        `json:"Resource"`
	NotResource strings1        `json:"NotResource"`
	Condition   json.RawMessage `json:"Condition"`
	Principal   json.RawMessage `json:"Principal"`
}

// statementsIn is a statement or a list of them.
type statementsIn []statementIn

func (s *statementsIn) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '{' {
		var one statementIn
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = statementsIn{one}
		return nil
	}
	return json.Unmarshal(b, (*[]statementIn)(s))
}

// strings1 is a string or a list of strings.
type strings1 []string

func (s *strings1) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = strings1{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(s))
}

// Parse parses a policy document. Its errors name the statement (by index
// and Sid) and what is wrong with it.
func Parse(doc []byte) (*Policy, error) {
	var d document
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	switch d.Version {
	case "2012-10-17", "2008-10-17", "":
	default:
		return nil, fmt.Errorf("policy: Version %q: want \"2012-10-17\"", d.Version)
	}
	if len(d.Statement) == 0 {
		return nil, errors.New("policy: no Statement")
	}
	p := &Policy{}
	for i, in := range d.Statement {
		st, err := in.compile()
		if err != nil {
			name := fmt.Sprintf("Statement[%d]", i)
			if in.Sid != "" {
				name += fmt.Sprintf(" (Sid %q)", in.Sid)
			}
			return nil, fmt.Errorf("policy: %s: %w", name, err)
		}
		p.statements = append(p.statements, st)
	}
	return p, nil
}

func (in statementIn) compile() (statement, error) {
	var st statement
	switch in.Effect {
	case "Allow":
		st.allow = true
	case "Deny":
	default:
		//lint:ignore ST1005 the message begins with the policy element it names
		return st, fmt.Errorf("Effect %q: want \"Allow\" or \"Deny\"", in.Effect)
	}
	if len(in.Condition) > 0 {
		//lint:ignore ST1005 the message begins with the policy element it names
		return st, errors.New("Condition is not supported")
	}
	if len(in.Principal) > 0 {
		//lint:ignore ST1005 the message begins with the policy element it names
		return st, errors.New("Principal does not belong in an identity's policy")
	}
	switch {
	case len(in.Action) > 0 && len(in.NotAction) > 0:
		return st, errors.New("both Action and NotAction")
	case len(in.Action) > 0:
		st.actions = in.Action
	case len(in.NotAction) > 0:
		st.actions, st.notAction = in.NotAction, true
	default:
		return st, errors.New("no Action or NotAction")
	}
	for i, a := range st.actions {
		if a != "*" && !strings.Contains(a, ":") {
			return st, fmt.Errorf("action %q: want service:Operation (states:SendTaskSuccess) or *", a)
		}
		st.actions[i] = strings.ToLower(a)
	}
	switch {
	case len(in.Resource) > 0 && len(in.NotResource) > 0:
		return st, errors.New("both Resource and NotResource")
	case len(in.Resource) > 0:
		st.resources = in.Resource
	case len(in.NotResource) > 0:
		st.resources, st.notResource = in.NotResource, true
	default:
		return st, errors.New("no Resource or NotResource")
	}
	return st, nil
}

// Allowed reports whether the policy allows action on resource: some
// statement allows it and none denies it. A nil policy allows nothing.
func (p *Policy) Allowed(action, resource string) bool {
	if p == nil {
		return false
	}
	allowed := false
	for i := range p.statements {
		st := &p.statements[i]
		if !st.matches(action, resource) {
			continue
		}
		if !st.allow {
			return false // an explicit deny wins
		}
		allowed = true
	}
	return allowed
}

func (st *statement) matches(action, resource string) bool {
	if anyMatch(st.actions, action, true) == st.notAction {
		return false
	}
	return anyMatch(st.resources, resource, false) != st.notResource
}

func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if match(p, s, fold) {
			return true
		}
	}
	return false
}

// Match reports whether s matches the IAM pattern p: * matches any run of
// characters (none included), ? any one character, everything else itself.
func Match(p, s string) bool { return match(p, s, false) }

// match is Match; with fold, s's ASCII letters match p's lower-case ones.
func match(p, s string, fold bool) bool {
	// Iterative wildcard matching with one back-track point: linear in
	// practice, no recursion however many stars a pattern holds.
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si] || fold && p[pi] == lower(s[si])):
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
