package asl

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// intrinsicMachine returns a machine whose Pass state P builds {"r": call}.
func intrinsicMachine(t *testing.T, call string) *Machine {
	t.Helper()
	q, _ := json.Marshal(call)
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"r.$":` + string(q) + `},"End":true}}}`
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatalf("Parse(%s): %v", def, err)
	}
	return m
}

// evalIntrinsic evaluates call on input and returns the JSON text of its
// result.
func evalIntrinsic(t *testing.T, call, input string, ctx *Context) (string, error) {
	t.Helper()
	if ctx == nil {
		ctx = &Context{ExecutionName: "exec-1-a", ExecutionInput: []byte(`{"x":"from context"}`)}
	}
	step, err := intrinsicMachine(t, call).Enter("P", []byte(input), ctx)
	if err != nil {
		return "", err
	}
	out := string(step.Output)
	if !strings.HasPrefix(out, `{"r":`) || !strings.HasSuffix(out, "}") {
		t.Fatalf("output %s is not {\"r\":...}", out)
	}
	return out[len(`{"r":`) : len(out)-1], nil
}

func TestIntrinsicFunctions(t *testing.T) {
	t.Parallel()
	const in = `{"s":"Hello","n":41,"f":1.50,"e":"","ws":"  ","a":[1,2,3,4,5],"o":{"b":1,"a":[1,"x",null]},
		"t":"It's {}!","json":"{\"a\":[1,2.0],\"b\":{}}","dups":[1,1.0,"1",null,null,{"a":1,"b":2},{"b":2,"a":1},[1],[1],10e-1],
		"m1":{"a":{"x":1},"b":2},"m2":{"a":{"y":2},"c":3}}`
	tests := []struct {
		name, call, want string
	}{
		// States.Format: strings bare, other values as Java prints them.
		{"Format string", `States.Format('Hello, {}!', $.s)`, `"Hello, Hello!"`},
		{"Format no placeholder", `States.Format('plain')`, `"plain"`},
		{"Format scalars keep their text", `States.Format('{} {} {} {} {}', 1.50, -2, true, false, null)`, `"1.50 -2 true false null"`},
		{"Format object and array", `States.Format('{}|{}', $.o, States.Array($.o, 'two', States.Array()))`, `"{b=1, a=[1, x, null]}|[{b=1, a=[1, x, null]}, two, []]"`},
		{"Format escapes", `States.Format('\{\} \'q\' \\ {}', 'v')`, `"{} 'q' \\ v"`},
		{"Format escaped backslash then placeholder", `States.Format('a\\{}', 'v')`, `"a\\v"`},
		{"Format escaped open brace is no placeholder", `States.Format('\{}{}', 1)`, `"{}1"`},
		{"Format template from a path", `States.Format($.t, $.s)`, `"It's Hello!"`},
		{"Format value with braces is not a template", `States.Format('{}', $.t)`, `"It's {}!"`},
		{"Format empty string values", `States.Format('[{}][{}]', $.e, $.ws)`, `"[][  ]"`},
		{"Format spaces around arguments", `States.Format( '{}' ,	$.n )`, `"41"`},
		{"Format non-ASCII", `States.Format('ünï{}', 'cödé')`, `"ünïcödé"`},

		{"StringToJson object", `States.StringToJson($.json)`, `{"a":[1,2.0],"b":{}}`},
		{"StringToJson literal", `States.StringToJson('{"k": "v", "n": [true]}')`, `{"k":"v","n":[true]}`},
		{"StringToJson empty is null", `States.StringToJson($.e)`, `null`},
		{"StringToJson blank is null", `States.StringToJson($.ws)`, `null`},
		{"StringToJson string", `States.StringToJson('"x"')`, `"x"`},
		{"StringToJson number", `States.StringToJson('1.10')`, `1.10`},

		{"JsonToString object", `States.JsonToString($.o)`, `"{\"b\":1,\"a\":[1,\"x\",null]}"`},
		{"JsonToString number", `States.JsonToString($.f)`, `"1.50"`},
		{"JsonToString string", `States.JsonToString($.s)`, `"\"Hello\""`},
		{"JsonToString call", `States.JsonToString(States.Array(1, '<&>'))`, `"[1,\"<&>\"]"`},
		{"JsonToString round trip", `States.StringToJson(States.JsonToString($.o))`, `{"b":1,"a":[1,"x",null]}`},

		{"Array empty", `States.Array()`, `[]`},
		{"Array of everything", `States.Array('a', 1, -2.5e3, true, null, $.o.b, $$.Execution.Name, $$.Execution.Input.x)`, `["a",1,-2.5e3,true,null,1,"exec-1-a","from context"]`},
		{"Array of indefinite path", `States.Array($.a[1:3], $.o..b)`, `[[2,3],[1]]`},
		{"Array whole input", `States.Array($.missing[*], $.n)`, `[[],41]`},

		{"ArrayPartition", `States.ArrayPartition($.a, 2)`, `[[1,2],[3,4],[5]]`},
		{"ArrayPartition exact", `States.ArrayPartition(States.Array(1, 2), 1)`, `[[1],[2]]`},
		{"ArrayPartition larger chunk", `States.ArrayPartition($.a, 9)`, `[[1,2,3,4,5]]`},
		{"ArrayPartition empty", `States.ArrayPartition(States.Array(), 3)`, `[]`},
		{"ArrayPartition integral float", `States.ArrayPartition($.a, 2.0)`, `[[1,2],[3,4],[5]]`},

		{"ArrayContains number", `States.ArrayContains($.a, 3)`, `true`},
		{"ArrayContains number by value", `States.ArrayContains($.a, 3.00)`, `true`},
		{"ArrayContains absent", `States.ArrayContains($.a, 6)`, `false`},
		{"ArrayContains type matters", `States.ArrayContains($.a, '3')`, `false`},
		{"ArrayContains object any key order", `States.ArrayContains($.dups, $.dups[5])`, `true`},
		{"ArrayContains array", `States.ArrayContains($.dups, States.Array(1))`, `true`},
		{"ArrayContains null", `States.ArrayContains($.dups, null)`, `true`},
		{"ArrayContains empty", `States.ArrayContains(States.Array(), null)`, `false`},

		{"ArrayRange", `States.ArrayRange(1, 9, 2)`, `[1,3,5,7,9]`},
		{"ArrayRange end not reached", `States.ArrayRange(0, 10, 3)`, `[0,3,6,9]`},
		{"ArrayRange down", `States.ArrayRange(5, 1, -2)`, `[5,3,1]`},
		{"ArrayRange wrong way is empty", `States.ArrayRange(1, 5, -1)`, `[]`},
		{"ArrayRange single", `States.ArrayRange(4, 4, 7)`, `[4]`},
		{"ArrayRange rounds", `States.ArrayRange(1.5, 3.4, 0.5)`, `[2,3]`},
		{"ArrayRange 1000 items", `States.ArrayLength(States.ArrayRange(0, 999, 1))`, `1000`},
		{"ArrayRange from paths", `States.ArrayRange($.a[0], $.a[4], $.a[1])`, `[1,3,5]`},

		{"ArrayGetItem", `States.ArrayGetItem($.a, 0)`, `1`},
		{"ArrayGetItem last", `States.ArrayGetItem($.a, 4)`, `5`},
		{"ArrayGetItem object", `States.ArrayGetItem($.dups, 5)`, `{"a":1,"b":2}`},
		{"ArrayGetItem nested call", `States.ArrayGetItem(States.StringSplit($$.Execution.Name, '-'), 1)`, `"1"`},

		{"ArrayLength", `States.ArrayLength($.a)`, `5`},
		{"ArrayLength empty", `States.ArrayLength(States.Array())`, `0`},

		{"ArrayUnique", `States.ArrayUnique($.dups)`, `[1,"1",null,{"a":1,"b":2},[1]]`},
		{"ArrayUnique keeps order", `States.ArrayUnique(States.Array(3, 1, 3, 2, 1))`, `[3,1,2]`},

		{"Base64Encode", `States.Base64Encode('Data to encode')`, `"RGF0YSB0byBlbmNvZGU="`},
		{"Base64Encode UTF-8", `States.Base64Encode('é')`, `"w6k="`},
		{"Base64Encode empty", `States.Base64Encode($.e)`, `""`},
		{"Base64Decode", `States.Base64Decode('RGF0YSB0byBlbmNvZGU=')`, `"Data to encode"`},
		{"Base64Decode empty", `States.Base64Decode('')`, `""`},
		{"Base64Decode invalid UTF-8", `States.Base64Decode('/w==')`, `"` + "\ufffd" + `"`},

		{"Hash MD5", `States.Hash('input data', 'MD5')`, `"812f45842bc6d66ee14572ce20db8e86"`},
		{"Hash SHA-1", `States.Hash('input data', 'SHA-1')`, `"aaff4a450a104cd177d28d18d74485e8cae074b7"`},
		{"Hash SHA-256", `States.Hash('input data', 'SHA-256')`, `"b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"`},
		{"Hash SHA-384", `States.Hash('input data', 'SHA-384')`, `"d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562"`},
		{"Hash SHA-512", `States.Hash('input data', 'SHA-512')`, `"6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4"`},

		{"JsonMerge shallow", `States.JsonMerge($.m1, $.m2, false)`, `{"a":{"y":2},"b":2,"c":3}`},
		{"JsonMerge into empty", `States.JsonMerge(States.StringToJson('{}'), $.m1, false)`, `{"a":{"x":1},"b":2}`},

		{"MathAdd", `States.MathAdd($.n, -1)`, `40`},
		{"MathAdd rounds halves up", `States.MathAdd(1.49, 1.5)`, `3`},
		{"MathAdd rounds both", `States.MathAdd(1.5, 1.51)`, `4`},
		{"MathAdd negative halves up", `States.MathAdd(-1.5, 0)`, `-1`},
		{"MathAdd minus a half", `States.MathAdd(-0.5, 0.5)`, `1`},
		{"MathAdd negative", `States.MathAdd(-2.5, -1.51)`, `-4`},
		{"MathAdd large integers stay exact", `States.MathAdd(9007199254740993, 0)`, `9007199254740993`},
		{"MathAdd exponent", `States.MathAdd(1e3, 2E0)`, `1002`},
		{"MathAdd nested", `States.MathAdd(States.MathAdd(States.ArrayLength($.a), $.f), 0.5)`, `8`},

		{"MathRandom narrow range", `States.MathRandom(7, 8)`, `7`},
		{"MathRandom seeded is repeatable", `States.ArrayLength(States.ArrayUnique(States.Array(States.MathRandom(0, 1000000, 7), States.MathRandom(0, 1000000, 7), States.MathRandom(0, 1000000, 7))))`, `1`},

		{"StringSplit", `States.StringSplit('a,b,,c', ',')`, `["a","b","c"]`},
		{"StringSplit only delimiters", `States.StringSplit(',,,', ',')`, `[]`},
		{"StringSplit any delimiter character", `States.StringSplit('This.is+a,test=string', '.+,=')`, `["This","is","a","test","string"]`},
		{"StringSplit keeps spaces", `States.StringSplit(' a , b ', ',')`, `[" a "," b "]`},
		{"StringSplit empty", `States.StringSplit($.e, ',')`, `[]`},
		{"StringSplit no delimiter", `States.StringSplit('abc', '')`, `["abc"]`},
		{"StringSplit newline", "States.StringSplit('Hello\nWorld', '\n')", `["Hello","World"]`},
		{"StringSplit non-ASCII delimiter", `States.StringSplit('aébéc', 'é')`, `["a","b","c"]`},
		{"StringSplit many delimiters", `States.StringSplit('a1b2c3d', '0123456789 .,;:!?-_+é')`, `["a","b","c","d"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := evalIntrinsic(t, tt.call, in, nil)
			if err != nil {
				t.Fatalf("%s: %v", tt.call, err)
			}
			if got != tt.want {
				t.Errorf("%s = %s, want %s", tt.call, got, tt.want)
			}
		})
	}
}

func TestIntrinsicLoneBraces(t *testing.T) {
	t.Parallel()
	got, err := evalIntrinsic(t, `States.Format('{ x } { {x}')`, `{}`, nil)
	if err != nil || got != `"{ x } { {x}"` {
		t.Errorf("got %s, %v; want \"{ x } { {x}\"", got, err)
	}
}

func TestIntrinsicRuntimeErrors(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 100<<10)
	in := `{"a":[1,2,3],"s":"abc","n":5,"o":{"k":1},"t":"{} and {}","zero":0,"neg":-1,"half":1.5,"yes":true,
		"alg":"SHA-3","max":9223372036854775807,"huge":1e300,"long":"` + strings.Repeat("y", 10001) + `","big":"` + big + `"}`
	tests := []struct {
		name, call, errName, cause string
	}{
		{"missing path", `States.Array($.nope)`, ErrorRuntime,
			"An error occurred while executing the state 'P'. The JSONPath '$.nope' in the intrinsic function States.Array for the field 'r.$' could not be found in the input"},
		{"missing context path", `States.Array($$.Task.Token)`, ErrorRuntime, "could not be found in the context object"},
		{"missing variable", `States.Array($v)`, ErrorRuntime, "The variable '$v' in the intrinsic function States.Array for the field 'r.$' is not defined"},
		{"index out of bounds", `States.ArrayGetItem($.a, 3)`, ErrorIntrinsicFailure,
			"An error occurred while executing the state 'P'. The intrinsic function States.ArrayGetItem in the field 'r.$' failed: the index 3 is out of bounds for an array of 3 items"},
		{"index negative", `States.ArrayGetItem($.a, $.neg)`, ErrorIntrinsicFailure, "the index -1 is out of bounds"},
		{"index not integral", `States.ArrayGetItem($.a, $.half)`, ErrorIntrinsicFailure, "the index must be an integer, not 1.5"},
		{"not an array", `States.ArrayLength($.s)`, ErrorIntrinsicFailure, "argument 1 must be an array, not a string"},
		{"inner call fails", `States.Array(1, States.ArrayLength($.o))`, ErrorIntrinsicFailure, "The intrinsic function States.ArrayLength in the field 'r.$' failed: argument 1 must be an array, not an object"},
		{"contains needs an array", `States.ArrayContains($.o, 1)`, ErrorIntrinsicFailure, "must be an array"},
		{"unique needs an array", `States.ArrayUnique($.n)`, ErrorIntrinsicFailure, "must be an array"},
		{"partition chunk zero", `States.ArrayPartition($.a, $.zero)`, ErrorIntrinsicFailure, "the chunk size must be a positive integer, not 0"},
		{"partition chunk not a number", `States.ArrayPartition($.a, $.s)`, ErrorIntrinsicFailure, "the chunk size must be an integer"},
		{"range step zero", `States.ArrayRange(1, 5, $.zero)`, ErrorIntrinsicFailure, "the step must not be zero"},
		{"range too long", `States.ArrayRange(1, $.max, 1)`, ErrorIntrinsicFailure, "more than 1000 items"},
		{"range not a number", `States.ArrayRange($.s, 5, 1)`, ErrorIntrinsicFailure, "the start must be a number, not a string"},
		{"range out of range", `States.ArrayRange($.huge, 5, 1)`, ErrorIntrinsicFailure, "the start is out of range: 1e300"},
		{"string to json not a string", `States.StringToJson($.n)`, ErrorIntrinsicFailure, "argument 1 must be a string, not a number"},
		{"string to json invalid", `States.StringToJson($.t)`, ErrorIntrinsicFailure, "the string is not valid JSON"},
		{"base64 decode invalid", `States.Base64Decode('!!!')`, ErrorIntrinsicFailure, "not valid Base64"},
		{"base64 encode too long", `States.Base64Encode($.long)`, ErrorIntrinsicFailure, "the string has 10001 characters; the limit is 10000"},
		{"base64 decode too long", `States.Base64Decode($.long)`, ErrorIntrinsicFailure, "the limit is 10000"},
		{"hash too long", `States.Hash($.long, 'MD5')`, ErrorIntrinsicFailure, "the limit is 10000"},
		{"hash algorithm", `States.Hash($.s, $.alg)`, ErrorIntrinsicFailure, "the algorithm must be one of MD5, SHA-1, SHA-256, SHA-384 and SHA-512, not 'SHA-3'"},
		{"hash data not a string", `States.Hash($.n, 'MD5')`, ErrorIntrinsicFailure, "argument 1 must be a string"},
		{"merge deep", `States.JsonMerge($.o, $.o, $.yes)`, ErrorIntrinsicFailure, "deep merging is not supported"},
		{"merge not an object", `States.JsonMerge($.o, $.a, false)`, ErrorIntrinsicFailure, "argument 2 must be an object, not an array"},
		{"merge flag not a boolean", `States.JsonMerge($.o, $.o, $.s)`, ErrorIntrinsicFailure, "argument 3 must be a boolean"},
		{"add not a number", `States.MathAdd($.s, 1)`, ErrorIntrinsicFailure, "argument 1 must be a number, not a string"},
		{"add overflow", `States.MathAdd($.max, 1)`, ErrorIntrinsicFailure, "out of range"},
		{"random empty range", `States.MathRandom($.n, 5)`, ErrorIntrinsicFailure, "the start (5) must be less than the end (5)"},
		{"random seed not a number", `States.MathRandom(1, 5, $.s)`, ErrorIntrinsicFailure, "the seed must be a number"},
		{"split not a string", `States.StringSplit($.a, ',')`, ErrorIntrinsicFailure, "argument 1 must be a string, not an array"},
		{"split delimiter not a string", `States.StringSplit($.s, $.n)`, ErrorIntrinsicFailure, "argument 2 must be a string, not a number"},
		{"format count from a path template", `States.Format($.t, 1)`, ErrorIntrinsicFailure, "the number of placeholders ({}) in the template, 2, is not the number of values, 1"},
		{"format template not a string", `States.Format($.n)`, ErrorIntrinsicFailure, "argument 1 must be a string"},
		{"format too large", `States.Format('{}{}{}', $.big, $.big, $.big)`, ErrorIntrinsicFailure, "the result is larger than the payload limit"},
		{"json to string too large", `States.JsonToString(States.Array($.big, $.big, $.big))`, ErrorIntrinsicFailure, "the result is larger than the payload limit"},
		{"array argument too large", `States.ArrayLength(States.Array($.big, $.big, $.big))`, ErrorIntrinsicFailure, "larger than the payload limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := evalIntrinsic(t, tt.call, in, nil)
			var re *RuntimeError
			if !errors.As(err, &re) {
				t.Fatalf("%s = %s, %v; want a *RuntimeError", tt.call, got, err)
			}
			if re.ErrorName != tt.errName || !strings.Contains(re.CauseText, tt.cause) {
				t.Errorf("%s: %s %q\nwant %s containing %q", tt.call, re.ErrorName, re.CauseText, tt.errName, tt.cause)
			}
		})
	}
}

func TestIntrinsicParseErrors(t *testing.T) {
	t.Parallel()
	deep := "$.a"
	for range 12 { // ten calls inside the outermost one are allowed
		deep = "States.Array(" + deep + ")"
	}
	tests := []struct {
		name, call, code, msg string
	}{
		{"unknown function", `States.Nope(1)`, CodeSchemaValidation, "'States.Nope' is not an intrinsic function"},
		{"lower case", `States.format('x')`, CodeSchemaValidation, "'States.format' is not an intrinsic function"},
		{"no parentheses", `States.UUID`, CodeSchemaValidation, "expected '(' after States.UUID"},
		{"unclosed", `States.Array(1, 2`, CodeSchemaValidation, "not closed"},
		{"trailing text", `States.Array(1) x`, CodeSchemaValidation, "unexpected \"x\" after the call"},
		{"trailing path", `States.Array(1).a`, CodeSchemaValidation, "after the call"},
		{"empty argument", `States.Array(1, )`, CodeSchemaValidation, "unexpected \")\""},
		{"missing comma", `States.Array(1 2)`, CodeSchemaValidation, "expected ',' or ')'"},
		{"double quotes", `States.Format("x")`, CodeSchemaValidation, "unexpected"},
		{"unknown word", `States.Array(True)`, CodeSchemaValidation, "unexpected \"True)\""},
		{"bad number", `States.Array(1.)`, CodeSchemaValidation, "'1.' is not a valid number"},
		{"leading zero", `States.Array(01)`, CodeSchemaValidation, "'01' is not a valid number"},
		{"unterminated string", `States.Format('abc)`, CodeSchemaValidation, "is not closed"},
		{"open escape", `States.Format('a\nb')`, CodeSchemaValidation, `'\n' in a string is not an escape sequence`},
		{"trailing backslash", `States.Format('a\`, CodeSchemaValidation, "is not closed"},
		{"bad path", `States.Array($.a[)`, CodeSchemaValidation, "must be a valid JSONPath or a valid intrinsic function call"},
		{"bad variable", `States.Array($1x)`, CodeSchemaValidation, "unexpected character '1'"},
		{"filter argument", `States.Array($.a[?(@.b, 1)])`, CodeUnsupportedFeature, "filter expressions"},
		{"states variable", `States.Array($states.input)`, CodeSchemaValidation, "'$states' is available only in JSONata states"},
		{"too deep", deep, CodeSchemaValidation, "nested more than 10 deep"},
		{"too many", `States.ArrayLength($.a, $.b)`, CodeSchemaValidation, "States.ArrayLength takes 1 argument, not 2"},
		{"too few", `States.JsonMerge($.a, $.b)`, CodeSchemaValidation, "States.JsonMerge takes 3 arguments, not 2"},
		{"random arity", `States.MathRandom(1)`, CodeSchemaValidation, "States.MathRandom takes 2 to 3 arguments, not 1"},
		{"format arity", `States.Format()`, CodeSchemaValidation, "States.Format takes at least 1 argument, not 0"},
		{"uuid arity", `States.UUID(1)`, CodeSchemaValidation, "States.UUID takes 0 arguments, not 1"},
		{"format template type", `States.Format(1)`, CodeSchemaValidation, "argument 1 must be a string, not 1"},
		{"format too many values", `States.Format('{}', 1, 2)`, CodeSchemaValidation, "the number of placeholders ({}) in the template, 1, is not the number of values, 2"},
		{"format too few values", `States.Format('{} {} \{}')`, CodeSchemaValidation, "the number of placeholders ({}) in the template, 2, is not the number of values, 0"},
		{"array literal type", `States.ArrayLength('abc')`, CodeSchemaValidation, "argument 1 must be an array, not 'abc'"},
		{"null is not a string", `States.StringToJson(null)`, CodeSchemaValidation, "argument 1 must be a string, not null"},
		{"add literal type", `States.MathAdd(1, true)`, CodeSchemaValidation, "argument 2 must be a number, not true"},
		{"split literal type", `States.StringSplit(1, ',')`, CodeSchemaValidation, "argument 1 must be a string"},
		{"json to string literal", `States.JsonToString('x')`, CodeSchemaValidation, "must be a path, not the literal 'x'"},
		{"hash algorithm", `States.Hash('x', 'sha-256')`, CodeSchemaValidation, "the algorithm must be one of MD5, SHA-1, SHA-256, SHA-384 and SHA-512, not 'sha-256'"},
		{"merge deep", `States.JsonMerge($.a, $.b, true)`, CodeSchemaValidation, "deep merging is not supported"},
		{"merge literal object", `States.JsonMerge('a', $.b, false)`, CodeSchemaValidation, "argument 1 must be an object"},
		{"range step zero", `States.ArrayRange(1, 5, 0)`, CodeSchemaValidation, "the step must not be zero"},
		{"range too long", `States.ArrayRange(0, 1000, 1)`, CodeSchemaValidation, "more than 1000 items"},
		{"range literal type", `States.ArrayRange('1', 5, 1)`, CodeSchemaValidation, "argument 1 must be a number"},
		{"partition chunk", `States.ArrayPartition($.a, 0)`, CodeSchemaValidation, "the chunk size must be a positive integer, not 0"},
		{"partition chunk fraction", `States.ArrayPartition($.a, 1.5)`, CodeSchemaValidation, "the chunk size must be a positive integer, not 1.5"},
		{"get item index", `States.ArrayGetItem($.a, -1)`, CodeSchemaValidation, "the index must be a non-negative integer, not -1"},
		{"random bounds", `States.MathRandom(5, 5)`, CodeSchemaValidation, "the start (5) must be less than the end (5)"},
		{"random seed type", `States.MathRandom(1, 5, 'x')`, CodeSchemaValidation, "argument 3 must be a number"},
		{"nested call checked", `States.Array(States.ArrayRange(1, 2, 0))`, CodeSchemaValidation, "States.ArrayRange: the step must not be zero"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, _ := json.Marshal(tt.call)
			def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"r.$":` + string(q) + `},"End":true}}}`
			_, err := Parse([]byte(def))
			var de *DefinitionError
			if !errors.As(err, &de) || len(de.Problems) != 1 {
				t.Fatalf("Parse(%s): %v; want one problem", tt.call, err)
			}
			p := de.Problems[0]
			if p.Code != tt.code || p.Location != "/States/P/Parameters/r.$" || !strings.Contains(p.Message, tt.msg) {
				t.Errorf("Parse(%s): %s at %s: %s\nwant %s containing %q", tt.call, p.Code, p.Location, p.Message, tt.code, tt.msg)
			}
			if !strings.HasPrefix(p.Message, "State 'P': field 'Parameters.r.$' ") {
				t.Errorf("message %q does not name the state and field", p.Message)
			}
		})
	}
}

func TestIntrinsicNestingLimit(t *testing.T) {
	t.Parallel()
	call := "$.a"
	for range 11 { // the outermost call and ten inside it
		call = "States.Array(" + call + ")"
	}
	got, err := evalIntrinsic(t, call, `{"a":1}`, nil)
	if want := strings.Repeat("[", 11) + "1" + strings.Repeat("]", 11); err != nil || got != want {
		t.Errorf("got %s, %v; want %s", got, err, want)
	}
}

func TestIntrinsicPathArguments(t *testing.T) {
	t.Parallel()
	const in = `{"a b":{"c,d":[10,20]},"x)":1,"arr":[{"k":"v"}],"e":{"q'":2}}`
	tests := []struct{ call, want string }{
		{`States.Array($['a b']['c,d'][1])`, `[20]`},
		{`States.Array($['x)'], $.arr[0].k)`, `[1,"v"]`},
		{`States.Array($.e['q\''])`, `[2]`},
		{`States.Array($)`, `[` + `{"a b":{"c,d":[10,20]},"x)":1,"arr":[{"k":"v"}],"e":{"q'":2}}` + `]`},
		{`States.Array($.arr[*].k, $..k)`, `[["v"],["v"]]`},
		{`States.Array($$.Execution.Name)`, `["exec-1-a"]`},
	}
	for _, tt := range tests {
		got, err := evalIntrinsic(t, tt.call, in, nil)
		if err != nil || got != tt.want {
			t.Errorf("%s = %s, %v; want %s", tt.call, got, err, tt.want)
		}
	}
}

func TestIntrinsicVariables(t *testing.T) {
	t.Parallel()
	vals := newObject(2)
	vals.set("name", "Ada")
	vals.set("cfg", mustDecode(t, `{"list":[1,2,3],"tpl":"Hi {}"}`))
	outer := newObject(1)
	outer.set("outerOnly", json.Number("7"))
	ctx := &Context{vars: &scopeVars{outer: &scopeVars{vals: outer}, vals: vals}}
	tests := []struct{ call, want string }{
		{`States.Format('Hello {}', $name)`, `"Hello Ada"`},
		{`States.Format($cfg.tpl, $name)`, `"Hi Ada"`},
		{`States.ArrayGetItem($cfg.list, 2)`, `3`},
		{`States.ArrayLength($cfg['list'])`, `3`},
		{`States.MathAdd($outerOnly, 1)`, `8`},
		{`States.Array($cfg.list[0], $.in)`, `[1,"input"]`},
	}
	for _, tt := range tests {
		got, err := evalIntrinsic(t, tt.call, `{"in":"input"}`, ctx)
		if err != nil || got != tt.want {
			t.Errorf("%s = %s, %v; want %s", tt.call, got, err, tt.want)
		}
	}
	_, err := evalIntrinsic(t, `States.Array($cfg.nope)`, `{}`, ctx)
	var re *RuntimeError
	if !errors.As(err, &re) || re.ErrorName != ErrorRuntime || !strings.Contains(re.CauseText, "The JSONPath '$cfg.nope' in the intrinsic function States.Array for the field 'r.$' could not be found in the variable '$cfg'") {
		t.Errorf("missing member of a variable: %v", err)
	}
}

var uuidPattern = regexp.MustCompile(`^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$`)

func TestIntrinsicRandomness(t *testing.T) {
	t.Parallel()
	const call = `States.Array(States.UUID(), States.UUID(), States.MathRandom(0, 1000000000), States.MathRandom(-5, 5, 42))`
	run := func(r *rand.Rand) []string {
		got, err := evalIntrinsic(t, call, `{}`, &Context{Rand: r})
		if err != nil {
			t.Fatal(err)
		}
		var vals []json.RawMessage
		if err := json.Unmarshal([]byte(got), &vals); err != nil {
			t.Fatal(err)
		}
		out := make([]string, len(vals))
		for i, v := range vals {
			out[i] = string(v)
		}
		return out
	}
	a := run(rand.New(rand.NewPCG(1, 2)))
	for _, u := range a[:2] {
		if !uuidPattern.MatchString(u) {
			t.Errorf("%s is not a version 4 UUID", u)
		}
	}
	if a[0] == a[1] {
		t.Errorf("two UUIDs in one state are equal: %s", a[0])
	}
	if n, err := strconv.Atoi(a[3]); err != nil || n < -5 || n >= 5 {
		t.Errorf("MathRandom(-5, 5, 42) = %s, want an integer in [-5, 5)", a[3])
	}
	if b := run(rand.New(rand.NewPCG(1, 2))); strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("the same seed drew %v, then %v", a, b)
	}
	c := run(rand.New(rand.NewPCG(3, 4)))
	if c[0] == a[0] || c[2] == a[2] {
		t.Errorf("another seed drew the same values: %v and %v", a, c)
	}
	if c[3] != a[3] {
		t.Errorf("MathRandom with a seed argument drew %s, then %s", a[3], c[3])
	}
	// Without Context.Rand, a fixed source: the same values every time.
	if d, e := run(nil), run(nil); strings.Join(d, ",") != strings.Join(e, ",") || d[0] == d[1] {
		t.Errorf("without Context.Rand: %v, then %v", d, e)
	}
}

func TestIntrinsicMathRandomRange(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 9))
	seen := map[string]bool{}
	for range 200 {
		got, err := evalIntrinsic(t, `States.MathRandom(-1.5, 2)`, `{}`, &Context{Rand: r})
		if err != nil {
			t.Fatal(err)
		}
		seen[got] = true
	}
	// -1.5 rounds to -1; the end is excluded.
	if len(seen) != 3 || !seen["-1"] || !seen["0"] || !seen["1"] {
		t.Errorf("MathRandom(-1.5, 2) drew %v, want -1, 0 and 1", seen)
	}
	got, err := evalIntrinsic(t, `States.MathRandom(-9223372036854775808, 9223372036854775807)`, `{}`, &Context{Rand: r})
	if _, perr := strconv.ParseInt(got, 10, 64); err != nil || perr != nil {
		t.Errorf("full int64 range: %s, %v", got, err)
	}
}

func TestIntrinsicInResultSelector(t *testing.T) {
	t.Parallel()
	m, err := Parse([]byte(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:a",
		"Parameters":{"n.$":"States.MathAdd($.n, 1)","arr.$":"States.Array($$.State.Name)"},
		"ResultSelector":{"joined.$":"States.Format('{}-{}', $.a, $$.State.Name)"},
		"ResultPath":"$.r","End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	step, err := m.Enter("T", []byte(`{"n":1}`), nil)
	if err != nil || string(step.TaskInput) != `{"n":2,"arr":["T"]}` {
		t.Fatalf("Enter: %s, %v", step.TaskInput, err)
	}
	step, err = m.TaskSucceeded("T", []byte(`{"n":1}`), []byte(`{"a":"x"}`), nil)
	if err != nil || string(step.Output) != `{"n":1,"r":{"joined":"x-T"}}` {
		t.Errorf("TaskSucceeded: %s, %v", step.Output, err)
	}
	_, err = m.TaskSucceeded("T", []byte(`{"n":1}`), []byte(`{"a":[1]}`), nil)
	if err != nil {
		t.Errorf("Format of an array: %v", err)
	}
	_, err = m.Enter("T", []byte(`{"n":"x"}`), nil)
	var re *RuntimeError
	if !errors.As(err, &re) || re.ErrorName != ErrorIntrinsicFailure || !strings.Contains(re.CauseText, "in the field 'n.$'") {
		t.Errorf("Enter with a bad argument: %v", err)
	}
}

func TestIntrinsicInFailState(t *testing.T) {
	t.Parallel()
	m, err := Parse([]byte(`{"StartAt":"F","States":{"F":{"Type":"Fail",
		"ErrorPath":"States.Format('{}', $.Error)",
		"CausePath":"States.Format('This is a custom error message for {}, caused by {}.', $.Error, $.Cause)"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	step, err := m.Enter("F", []byte(`{"Error":"error string","Cause":"cause string"}`), nil)
	if err != nil || step.Kind != StepFail || step.Error != "error string" ||
		step.Cause != "This is a custom error message for error string, caused by cause string." {
		t.Errorf("Enter: %+v, %v", step, err)
	}
	m, err = Parse([]byte(`{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","CausePath":"States.ArrayLength($.a)"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Enter("F", []byte(`{"a":[1]}`), nil)
	var re *RuntimeError
	if !errors.As(err, &re) || re.ErrorName != ErrorRuntime || !strings.Contains(re.CauseText, "The value of CausePath 'States.ArrayLength($.a)' must be a string, not a number") {
		t.Errorf("a CausePath call that yields a number: %v", err)
	}
	_, err = m.Enter("F", []byte(`{"a":"x"}`), nil)
	if !errors.As(err, &re) || re.ErrorName != ErrorIntrinsicFailure || !strings.Contains(re.CauseText, "in the field 'CausePath'") {
		t.Errorf("a CausePath call that fails: %v", err)
	}
}

func TestIntrinsicOnlyInDataFields(t *testing.T) {
	t.Parallel()
	// Literal fields and keys without ".$" keep intrinsic text as it is.
	m := passMachine(t, `"Result":{"f.$":"States.UUID()"},"ResultPath":"$.r"`)
	step, err := m.Enter("P", []byte(`{}`), nil)
	if err != nil || string(step.Output) != `{"r":{"f.$":"States.UUID()"}}` {
		t.Errorf("Result: %s, %v", step.Output, err)
	}
	m = passMachine(t, `"Parameters":{"f":"States.UUID()"}`)
	if step, err = m.Enter("P", []byte(`{}`), nil); err != nil || string(step.Output) != `{"f":"States.UUID()"}` {
		t.Errorf("Parameters without .$: %s, %v", step.Output, err)
	}
}

func TestRoundNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"-0", 0, true}, {"0.5", 1, true}, {"-0.5", 0, true}, {"1.49", 1, true},
		{"1.5", 2, true}, {"-1.5", -1, true}, {"-1.51", -2, true}, {"2.5", 3, true}, {"-2.5", -2, true},
		{"1e2", 100, true}, {"9223372036854775807", 9223372036854775807, true},
		{"-9223372036854775808", -9223372036854775808, true}, {"9.3e18", 0, false}, {"-1e19", 0, false},
		{"0.49999999999999994", 0, true},
	}
	for _, tt := range tests {
		got, ok := roundNumber(json.Number(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("roundNumber(%s) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCanonicalNumber(t *testing.T) {
	t.Parallel()
	same := [][]string{
		{"1", "1.0", "10e-1", "0.1e1", "1.000", "1E0"},
		{"0", "-0", "0.0", "0e5", "-0.000"},
		{"-12.5", "-125e-1", "-0.125E2"},
		{"100", "1e2", "100.00"},
	}
	for _, group := range same {
		for _, n := range group {
			if got, want := canonicalNumber(n), canonicalNumber(group[0]); got != want {
				t.Errorf("canonicalNumber(%s) = %s, canonicalNumber(%s) = %s", n, got, group[0], want)
			}
		}
	}
	if canonicalNumber("1") == canonicalNumber("-1") || canonicalNumber("1") == canonicalNumber("10") {
		t.Error("different numbers share a canonical form")
	}
	if got := canonicalNumber("1e99999999999999999999"); got != "1e99999999999999999999" {
		t.Errorf("huge exponent: %s", got)
	}
}

func FuzzIntrinsicParse(f *testing.F) {
	for _, s := range []string{
		`States.Format('a {} \{\} \'', $.x)`, `States.Array()`, `States.ArrayGetItem(States.StringSplit($$.a, '-'), 0)`,
		`States.MathRandom(1, 2, 3)`, `States.Array($['a,b'][0], $v.x, null, true, -1.5e3)`, `States.Hash('x', 'MD5')`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		call, err := parseIntrinsic(s)
		if err != nil {
			return
		}
		if call.text != strings.TrimRight(s, " \t\r\n") {
			t.Errorf("call text %q, input %q", call.text, s)
		}
		e := newEnv("P", nil)
		_, _ = call.eval(mustDecodeFuzz(), e, "r.$")
	})
}

func mustDecodeFuzz() any {
	v, _ := decodeData([]byte(`{"x":"a,b","a":[1,2,"3"],"o":{"k":null}}`))
	return v
}

func BenchmarkIntrinsicPayload(b *testing.B) {
	m, err := Parse([]byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{
		"greeting.$":"States.Format('Hello, {}! You have {} items.', $.name, States.ArrayLength($.items))",
		"chunks.$":"States.ArrayPartition($.items, 3)",
		"unique.$":"States.ArrayUnique($.items)",
		"id.$":"States.UUID()",
		"key.$":"States.Hash($.name, 'SHA-256')"},"End":true}}}`))
	if err != nil {
		b.Fatal(err)
	}
	in := []byte(`{"name":"Ada","items":[1,2,3,4,5,6,7,8,9,10,1,2,3,{"a":1},{"a":1.0}]}`)
	ctx := &Context{Rand: rand.New(rand.NewPCG(1, 1))}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Enter("P", in, ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// float53Source is a source like sfn's: each Uint64 holds 53 random bits (a
// Float64 scaled up), the top 11 bits zero.
type float53Source struct{ r *rand.Rand }

func (s float53Source) Uint64() uint64 { return uint64(s.r.Float64() * (1 << 53)) }

func TestIntrinsicRandomnessFromA53BitSource(t *testing.T) {
	t.Parallel()
	ctx := &Context{Rand: rand.New(float53Source{rand.New(rand.NewPCG(5, 6))})}
	dice := map[string]bool{}
	var high byte // OR of the bytes that the source's zero bits would fill
	for range 300 {
		got, err := evalIntrinsic(t, `States.Array(States.MathRandom(1, 7), States.UUID())`, `{}`, ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		var n json.Number
		var vals []json.RawMessage
		if err := json.Unmarshal([]byte(got), &vals); err != nil || len(vals) != 2 {
			t.Fatalf("%s: %v", got, err)
		}
		if err := json.Unmarshal(vals[0], &n); err != nil {
			t.Fatal(err)
		}
		dice[n.String()] = true
		out = append(out, strings.Trim(string(vals[1]), `"`))
		h := strings.ReplaceAll(out[0], "-", "")
		b7, _ := strconv.ParseUint(h[14:16], 16, 8)
		b15, _ := strconv.ParseUint(h[30:32], 16, 8)
		high |= byte(b7) | byte(b15)
	}
	if len(dice) != 6 {
		t.Errorf("MathRandom(1, 7) drew %v, want all of 1 to 6", dice)
	}
	if high != 0xff {
		t.Errorf("UUID bytes 7 and 15 never set some bits: %08b", high)
	}
}
