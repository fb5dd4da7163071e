// Package integration holds what Step Functions service integrations need
// beyond the engine: the mock configuration of AWS's Step Functions Local
// (mocked responses per test case) and a client of the Lambda Invoke API.
// It does no store work; package sfn schedules integration calls as engine
// tasks and runs them with what this package gives.
package integration

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// MockConfig is a mock configuration file in the format of AWS's Step
// Functions Local (MockConfigFile.json):
//
//	{
//	  "StateMachines": {
//	    "<state machine name>": {
//	      "TestCases": {
//	        "<test case>": {"<state name>": "<mocked response name>", ...}
//	      }
//	    }
//	  },
//	  "MockedResponses": {
//	    "<mocked response name>": {
//	      "0":   {"Return": <any JSON>},
//	      "1-2": {"Throw": {"Error": "<error name>", "Cause": "<cause>"}}
//	    }
//	  }
//	}
//
// An execution started on "<state machine ARN>#<test case>" runs that test
// case: each state it names returns (or throws) its mocked response instead
// of calling the service. Invocations of a state are counted per execution
// from 0; a retry is the next invocation. gaffer requires a response's keys
// to cover 0, 1, 2… without gaps or overlaps, and answers invocations past
// the last key with the last response.
type MockConfig struct {
	machines  map[string]map[string]map[string]string // machine → test case → state → response name
	responses map[string]*mockedResponse
}

// Mocked is the answer of a mocked state for one invocation: Return, or
// Throw's Error and Cause.
type Mocked struct {
	Return json.RawMessage `json:"return,omitempty"`
	Error  string          `json:"error,omitempty"`
	Cause  string          `json:"cause,omitempty"`
	Throw  bool            `json:"throw,omitempty"`
}

// mockedResponse is one mocked response: answers by invocation range.
type mockedResponse struct {
	ranges []mockRange // sorted, contiguous from 0
}

type mockRange struct {
	from, to int
	answer   Mocked
}

// MockConfigError is a mock configuration that cannot be used: it names the
// file, the place in it (a JSON path) and what is wrong.
type MockConfigError struct {
	File  string
	Field string // e.g. MockedResponses.MockedLambdaRetry["1-2"].Throw.Error
	Line  int    // the line of a JSON syntax error; 0 otherwise
	Msg   string
}

func (e *MockConfigError) Error() string {
	var b strings.Builder
	b.WriteString("mock configuration")
	if e.File != "" {
		b.WriteString(" " + e.File)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ", line %d", e.Line)
	}
	if e.Field != "" {
		b.WriteString(", " + e.Field)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// LoadMockConfig reads and checks a mock configuration file.
func LoadMockConfig(path string) (*MockConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mock configuration: %w", err)
	}
	c, err := ParseMockConfig(data)
	var me *MockConfigError
	if errors.As(err, &me) {
		me.File = path
	}
	return c, err
}

// ParseMockConfig parses and checks a mock configuration; a problem is a
// *MockConfigError.
func ParseMockConfig(data []byte) (*MockConfig, error) {
	var top map[string]json.RawMessage
	if err := strictUnmarshal(data, &top); err != nil {
		return nil, syntaxError(data, "", err)
	}
	c := &MockConfig{machines: map[string]map[string]map[string]string{}, responses: map[string]*mockedResponse{}}
	for k := range top {
		if k != "StateMachines" && k != "MockedResponses" {
			return nil, &MockConfigError{Field: k, Msg: "unknown field (the file has StateMachines and MockedResponses)"}
		}
	}
	if raw, ok := top["MockedResponses"]; ok {
		var rs map[string]map[string]json.RawMessage
		if err := strictUnmarshal(raw, &rs); err != nil {
			return nil, &MockConfigError{Field: "MockedResponses", Msg: "must be an object of mocked responses, each an object of invocation numbers (\"0\", \"1-2\"): " + err.Error()}
		}
		for name, byInvocation := range rs {
			r, err := parseResponse(name, byInvocation)
			if err != nil {
				return nil, err
			}
			c.responses[name] = r
		}
	}
	if raw, ok := top["StateMachines"]; ok {
		var ms map[string]map[string]json.RawMessage
		if err := strictUnmarshal(raw, &ms); err != nil {
			return nil, &MockConfigError{Field: "StateMachines", Msg: "must be an object of state machines, each with TestCases: " + err.Error()}
		}
		for machine, fields := range ms {
			at := "StateMachines." + machine
			for k := range fields {
				if k != "TestCases" {
					return nil, &MockConfigError{Field: at + "." + k, Msg: "unknown field (a state machine has TestCases)"}
				}
			}
			var cases map[string]map[string]string
			if err := strictUnmarshal(fields["TestCases"], &cases); err != nil || cases == nil {
				msg := "must be an object of test cases, each mapping state names to mocked response names"
				if err != nil {
					msg += ": " + err.Error()
				}
				return nil, &MockConfigError{Field: at + ".TestCases", Msg: msg}
			}
			for tc, states := range cases {
				for state, resp := range states {
					if _, ok := c.responses[resp]; !ok {
						return nil, &MockConfigError{Field: at + ".TestCases." + tc + "." + state, Msg: fmt.Sprintf("names mocked response %q, which MockedResponses does not define", resp)}
					}
				}
			}
			c.machines[machine] = cases
		}
	}
	return c, nil
}

// parseResponse parses one mocked response.
func parseResponse(name string, byInvocation map[string]json.RawMessage) (*mockedResponse, error) {
	at := "MockedResponses." + name
	if len(byInvocation) == 0 {
		return nil, &MockConfigError{Field: at, Msg: "has no response (give one for invocation \"0\")"}
	}
	r := &mockedResponse{}
	for key, raw := range byInvocation {
		field := at + `["` + key + `"]`
		from, to, ok := parseRange(key)
		if !ok {
			return nil, &MockConfigError{Field: field, Msg: "is not an invocation number or range (\"0\", \"1-2\")"}
		}
		var ans struct {
			Return json.RawMessage `json:"Return"`
			Throw  *struct {
				Error *string `json:"Error"`
				Cause *string `json:"Cause"`
			} `json:"Throw"`
		}
		if err := strictUnmarshal(raw, &ans); err != nil {
			return nil, &MockConfigError{Field: field, Msg: "must be {\"Return\": …} or {\"Throw\": {\"Error\": …, \"Cause\": …}}: " + err.Error()}
		}
		m := Mocked{}
		switch {
		case ans.Return != nil && ans.Throw != nil:
			return nil, &MockConfigError{Field: field, Msg: "has both Return and Throw; give one"}
		case ans.Return != nil:
			m.Return = compact(ans.Return)
		case ans.Throw != nil:
			if ans.Throw.Error == nil || *ans.Throw.Error == "" {
				return nil, &MockConfigError{Field: field + ".Throw.Error", Msg: "is missing (the error name that Retry and Catch see)"}
			}
			m.Throw, m.Error = true, *ans.Throw.Error
			if ans.Throw.Cause != nil {
				m.Cause = *ans.Throw.Cause
			}
		default:
			return nil, &MockConfigError{Field: field, Msg: "has neither Return nor Throw"}
		}
		r.ranges = append(r.ranges, mockRange{from: from, to: to, answer: m})
	}
	sort.Slice(r.ranges, func(i, j int) bool { return r.ranges[i].from < r.ranges[j].from })
	next := 0
	for _, rg := range r.ranges {
		if rg.from != next {
			key := strconv.Itoa(rg.from)
			if rg.to != rg.from {
				key += "-" + strconv.Itoa(rg.to)
			}
			if rg.from < next {
				return nil, &MockConfigError{Field: at + `["` + key + `"]`, Msg: fmt.Sprintf("overlaps invocations already answered (up to %d)", next-1)}
			}
			return nil, &MockConfigError{Field: at, Msg: fmt.Sprintf("answers no invocation %d (the invocation numbers must run from 0 without gaps)", next)}
		}
		next = rg.to + 1
	}
	return r, nil
}

// parseRange parses "3" or "1-2".
func parseRange(key string) (from, to int, ok bool) {
	a, b, isRange := strings.Cut(key, "-")
	from, err := strconv.Atoi(a)
	if err != nil || from < 0 || a != strconv.Itoa(from) {
		return 0, 0, false
	}
	to = from
	if isRange {
		if to, err = strconv.Atoi(b); err != nil || to < from || b != strconv.Itoa(to) {
			return 0, 0, false
		}
	}
	return from, to, true
}

// HasTestCase reports whether the configuration defines the test case of
// the state machine named machine.
func (c *MockConfig) HasTestCase(machine, testCase string) bool {
	if c == nil {
		return false
	}
	_, ok := c.machines[machine][testCase]
	return ok
}

// Mocks reports whether some test case of the state machine named machine
// mocks the state.
func (c *MockConfig) Mocks(machine, state string) bool {
	if c == nil {
		return false
	}
	for _, states := range c.machines[machine] {
		if _, ok := states[state]; ok {
			return true
		}
	}
	return false
}

// Lookup returns the mocked answer of the state for its invocation (from
// 0) in the test case of the state machine named machine; ok is false if
// the test case does not mock the state.
func (c *MockConfig) Lookup(machine, testCase, state string, invocation int) (m Mocked, ok bool) {
	if c == nil {
		return Mocked{}, false
	}
	name, ok := c.machines[machine][testCase][state]
	if !ok {
		return Mocked{}, false
	}
	r := c.responses[name]
	for _, rg := range r.ranges {
		if invocation <= rg.to {
			return rg.answer, true
		}
	}
	return r.ranges[len(r.ranges)-1].answer, true
}

// strictUnmarshal decodes JSON, refusing trailing data.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// syntaxError words a JSON error of the file with its line.
func syntaxError(data []byte, field string, err error) error {
	me := &MockConfigError{Field: field, Msg: "not valid JSON: " + err.Error()}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		me.Msg = "must be a JSON object with StateMachines and MockedResponses: " + err.Error()
	}
	if off >= 0 && off <= int64(len(data)) {
		me.Line = 1 + bytes.Count(data[:off], []byte("\n"))
	}
	return me
}

// compact returns JSON text without insignificant space.
func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}
