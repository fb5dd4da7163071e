package awsapi

import (
	"log/slog"
	"strings"
	"testing"
)

// testModel exercises the shape kinds the embedded models barely use: maps,
// blobs, timestamps, doubles, longs, recursion and nested sensitive values.
const testModel = `{
  "metadata": {"protocol": "json", "jsonVersion": "1.1", "targetPrefix": "Test", "endpointPrefix": "test", "apiVersion": "2020-01-01"},
  "operations": {"Do": {"name": "Do", "input": {"shape": "DoInput"}}, "Nothing": {"name": "Nothing"}},
  "shapes": {
    "DoInput": {"type": "structure", "required": ["id"], "members": {
      "id": {"shape": "Id"}, "flag": {"shape": "Bool"}, "when": {"shape": "Time"}, "data": {"shape": "Blob"},
      "ratio": {"shape": "Ratio"}, "count": {"shape": "Count"}, "attrs": {"shape": "Attrs"}, "node": {"shape": "Node"},
      "secrets": {"shape": "Secrets"}, "pairs": {"shape": "Pairs"}, "doc": {"shape": "Doc"}}},
    "Id": {"type": "string", "min": 2, "max": 4},
    "Bool": {"type": "boolean"},
    "Time": {"type": "timestamp"},
    "Blob": {"type": "blob", "min": 1, "max": 3},
    "Ratio": {"type": "double", "min": 0.5, "max": 1.5},
    "Count": {"type": "long", "min": 1},
    "Attrs": {"type": "map", "key": {"shape": "AttrKey"}, "value": {"shape": "AttrValue"}, "max": 2},
    "AttrKey": {"type": "string", "pattern": "[a-z]+"},
    "AttrValue": {"type": "string", "max": 2},
    "Node": {"type": "structure", "members": {"name": {"shape": "Id"}, "child": {"shape": "Node"}}},
    "Secrets": {"type": "list", "member": {"shape": "Secret"}},
    "Secret": {"type": "string", "max": 2, "sensitive": true},
    "Pairs": {"type": "list", "member": {"shape": "Pair"}, "max": 1},
    "Pair": {"type": "structure", "members": {"a": {"shape": "Id"}, "s": {"shape": "Secret"}}},
    "Doc": {"type": "document"}
  }
}`

func checkBody(t *testing.T, body string) *Error {
	t.Helper()
	m, err := LoadModel([]byte(testModel))
	if err != nil {
		t.Fatal(err)
	}
	v := newCompiler(m, slog.New(slog.DiscardHandler)).compile("DoInput")
	decoded, aerr := decodeObject([]byte(body))
	if aerr != nil {
		t.Fatalf("decode %s: %v", body, aerr)
	}
	return validateInput(v, decoded, "ValidationException")
}

func TestValidatorKinds(t *testing.T) {
	t.Parallel()
	const c = "' failed to satisfy constraint: "
	tests := []struct {
		body, code, msg string
	}{
		{`{"id":"ab","flag":true,"when":1700000000,"data":"AAA=","ratio":1.5,"count":9223372036854775807,
		   "attrs":{"a":"xy","b":""},"node":{"name":"ab","child":{"child":{"name":"abcd"}}},"secrets":["s"],
		   "pairs":[{"a":"ab","s":"x"}],"doc":{"any":[1,"thing"]}}`, "", ""},
		{`{"id":"ab","when":1700000000.123,"data":"AAAA"}`, "", ""},
		{`{"id":"ab","flag":"true"}`, CodeSerialization, "invalid value at 'flag': expected a boolean, found a string"},
		{`{"id":"ab","when":"2020-01-01T00:00:00Z"}`, CodeSerialization,
			"invalid value at 'when': expected a timestamp (epoch seconds as a JSON number), found a string"},
		{`{"id":"ab","data":"!!!!"}`, CodeSerialization, "invalid value at 'data': expected a base64-encoded string"},
		{`{"id":"ab","data":"AAA"}`, CodeSerialization, "invalid value at 'data': expected a base64-encoded string"},
		{`{"id":"ab","data":5}`, CodeSerialization, "invalid value at 'data': expected a base64-encoded string, found a number"},
		{`{"id":"ab","attrs":[]}`, CodeSerialization, "invalid value at 'attrs': expected an object, found an array"},
		{`{"id":"ab","attrs":{"k":1}}`, CodeSerialization, "invalid value at 'attrs.k.value': expected a string, found a number"},
		{`{"id":"ab","node":{"child":{"child":{"name":1}}}}`, CodeSerialization,
			"invalid value at 'node.child.child.name': expected a string, found a number"},
		{`{"id":"ab","data":""}`, "ValidationException",
			"1 validation error detected: Value '' at 'data" + c + "Member must have length greater than or equal to 1"},
		{`{"id":"ab","data":"AAAAAA=="}`, "ValidationException",
			"1 validation error detected: Value 'AAAAAA==' at 'data" + c + "Member must have length less than or equal to 3"},
		{`{"id":"ab","ratio":0.25}`, "ValidationException",
			"1 validation error detected: Value '0.25' at 'ratio" + c + "Member must have value greater than or equal to 0.5"},
		{`{"id":"ab","ratio":2}`, "ValidationException",
			"1 validation error detected: Value '2' at 'ratio" + c + "Member must have value less than or equal to 1.5"},
		{`{"id":"ab","count":0}`, "ValidationException",
			"1 validation error detected: Value '0' at 'count" + c + "Member must have value greater than or equal to 1"},
		{`{"id":"ab","attrs":{"a":"xyz"}}`, "ValidationException",
			"1 validation error detected: Value 'xyz' at 'attrs.a.value" + c + "Member must have length less than or equal to 2"},
		{`{"id":"ab","attrs":{"A1":"x"}}`, "ValidationException",
			"1 validation error detected: Value 'A1' at 'attrs.A1.key" + c + "Member must satisfy regular expression pattern: [a-z]+"},
		{`{"id":"ab","attrs":{"c":"3","a":"1","b":"2"}}`, "ValidationException",
			"1 validation error detected: Value '{a=1, b=2, c=3}' at 'attrs" + c + "Member must have length less than or equal to 2"},
		{`{"id":"ab","node":{"name":"ab","child":{"name":"x"}}}`, "ValidationException",
			"1 validation error detected: Value 'x' at 'node.child.name" + c + "Member must have length greater than or equal to 2"},
		{`{"id":"ab","secrets":["ok","secret"]}`, "ValidationException",
			"1 validation error detected: Value at 'secrets.2.member" + c + "Member must have length less than or equal to 2"},
		{`{"id":"ab","pairs":[{"a":"ab","s":"xx"},{"a":"cd"}]}`, "ValidationException",
			"1 validation error detected: Value '[{a=ab, s=*** Sensitive Data Redacted ***}, {a=cd}]' at 'pairs" + c +
				"Member must have length less than or equal to 1"},
		{`{"ratio":2,"count":0,"id":"abcde"}`, "ValidationException",
			"3 validation errors detected: Value 'abcde' at 'id" + c + "Member must have length less than or equal to 4; " +
				"Value '2' at 'ratio" + c + "Member must have value less than or equal to 1.5; " +
				"Value '0' at 'count" + c + "Member must have value greater than or equal to 1"},
		// Keys that differ from a member only in case would reach the
		// operation's struct through encoding/json unvalidated.
		{`{"id":"ab","ID":"toolong"}`, CodeSerialization, "unknown member 'ID': member names are case-sensitive (did you mean 'id'?)"},
		{`{"id":"ab","node":{"Child":{}}}`, CodeSerialization, "unknown member 'node.Child': member names are case-sensitive (did you mean 'child'?)"},
		{`{"id":"ab","ſecrets":["x"]}`, CodeSerialization, "unknown member 'ſecrets': member names are case-sensitive (did you mean 'secrets'?)"},
		{`{"id":"ab","other":2,"attrs":{"A":"1"}}`, "ValidationException",
			"1 validation error detected: Value 'A' at 'attrs.A.key" + c + "Member must satisfy regular expression pattern: [a-z]+"},
		// A type error wins over constraint violations found before it.
		{`{"count":0,"flag":1}`, CodeSerialization, "invalid value at 'flag': expected a boolean, found a number"},
	}
	for _, tt := range tests {
		err := checkBody(t, tt.body)
		switch {
		case tt.code == "" && err != nil:
			t.Errorf("%s: unexpected %v", tt.body, err)
		case tt.code != "" && err == nil:
			t.Errorf("%s: no error, want %s", tt.body, tt.msg)
		case err != nil && (err.Code != tt.code || err.Message != tt.msg):
			t.Errorf("%s:\n got %s: %s\nwant %s: %s", tt.body, err.Code, err.Message, tt.code, tt.msg)
		}
	}
}

func TestValidateDoesNotAllocate(t *testing.T) {
	m := EmbeddedModel("stepfunctions")
	v := newCompiler(m, slog.New(slog.DiscardHandler)).compile("StartExecutionInput")
	decoded, aerr := decodeObject([]byte(`{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:sm","name":"n","input":"{}","traceHeader":"Root=1"}`))
	if aerr != nil {
		t.Fatal(aerr)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if err := validateInput(v, decoded, "ValidationException"); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Errorf("validating a valid request allocates %v times", allocs)
	}
}

func TestJavaRegexpToRE2(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`[a-z]+`, `[a-z]+`},
		{`\p{ASCII}*`, `\p{ASCII}*`},
		{`[\u0020-\uD7FF\r\n]`, `[\x{20}-\x{D7FF}\r\n]`},
		{`[\uD800\uDC00-\uDBFF\uDFFF]`, `[\x{10000}-\x{10FFFF}]`},
		{`\uD800x`, `\x{D800}x`},
		{`\\u0041`, `\\u0041`},
		{`\u00zz`, `\u00zz`},
		{`a\`, `a\`},
	}
	for _, tt := range tests {
		if got := javaRegexpToRE2(tt.in); got != tt.want {
			t.Errorf("javaRegexpToRE2(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUnsupportedPatternLogged(t *testing.T) {
	t.Parallel()
	log := &testLog{}
	c := newCompiler(EmbeddedModel("stepfunctions"), slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})))
	c.compile("CreateStateMachineAliasInput")
	c.compile("CreateStateMachineAliasInput")
	c.compile("CharacterRestrictedName")
	if n := strings.Count(log.String(), "pattern not enforced"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, log.String())
	}
}

func TestBase64DecodedLen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		n    int
		fail bool
	}{
		{"", 0, false}, {"AA==", 1, false}, {"AAA=", 2, false}, {"AAAA", 3, false}, {"+/+/AA==", 4, false},
		{"A", 0, true}, {"A===", 0, true}, {"=AAA", 0, true}, {"AA=A", 0, true}, {"AA-_", 0, true},
	}
	for _, tt := range tests {
		n, err := base64DecodedLen(tt.in)
		if (err != nil) != tt.fail || (!tt.fail && n != tt.n) {
			t.Errorf("base64DecodedLen(%q) = %d, %v", tt.in, n, err)
		}
	}
}
