package asl

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// bigString returns a JSON string literal whose text is n bytes long.
func bigString(n int) string { return `"` + strings.Repeat("a", n-2) + `"` }

// wantDataLimit checks that err is States.DataLimitExceeded for state.
func wantDataLimit(t *testing.T, err error, state string) {
	t.Helper()
	var re *RuntimeError
	if !errors.As(err, &re) || re.Name() != ErrorDataLimitExceeded {
		t.Fatalf("error = %v, want States.DataLimitExceeded", err)
	}
	if want := "The state/task '" + state + "' "; !strings.HasPrefix(re.Cause(), want) ||
		!strings.HasSuffix(re.Cause(), " with a size exceeding the maximum number of bytes service limit.") {
		t.Errorf("cause = %q, want AWS's wording for state %s", re.Cause(), state)
	}
}

func TestDataLimitStateData(t *testing.T) {
	t.Parallel()
	// {"v":"aa…"} is exactly MaxPayload bytes: every state takes it and
	// passes it on; one byte more is refused as the state's input.
	fits := `{"v":` + bigString(MaxPayload-len(`{"v":}`)) + `}`
	over := `{"v":` + bigString(MaxPayload-len(`{"v":}`)+1) + `}`
	if len(fits) != MaxPayload || len(over) != MaxPayload+1 {
		t.Fatalf("test data sizes %d and %d", len(fits), len(over))
	}
	tests := []struct{ name, def string }{
		{"Pass", `{"StartAt":"S","States":{"S":{"Type":"Pass","End":true}}}`},
		{"Pass Next", `{"StartAt":"S","States":{"S":{"Type":"Pass","Next":"E"},"E":{"Type":"Succeed"}}}`},
		{"Choice", `{"StartAt":"S","States":{"S":{"Type":"Choice","Choices":[{"Variable":"$.v","IsPresent":true,"Next":"E"}]},"E":{"Type":"Succeed"}}}`},
		{"Wait", `{"StartAt":"S","States":{"S":{"Type":"Wait","Seconds":1,"End":true}}}`},
		{"Succeed", `{"StartAt":"S","States":{"S":{"Type":"Succeed"}}}`},
		{"Task input", `{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"` + activity + `","End":true}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := mustParse(t, tt.def)
			step, err := m.Enter("S", []byte(fits), nil)
			if err != nil {
				t.Fatalf("Enter with %d bytes: %v", len(fits), err)
			}
			if got := max(len(step.Output), len(step.TaskInput)); got != MaxPayload {
				t.Errorf("data is %d bytes, want %d", got, MaxPayload)
			}
			_, err = m.Enter("S", []byte(over), nil)
			wantDataLimit(t, err, "S")
		})
	}
}

func TestDataLimitParametersDoubling(t *testing.T) {
	t.Parallel()
	// Each state doubles its input; the limit stops it after about
	// log2(MaxPayload) states, and the oversized text is never built whole.
	m := mustParse(t, `{"StartAt":"D","States":{
		"D":{"Type":"Pass","Parameters":{"a.$":"$","b.$":"$"},"Next":"C"},
		"C":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"E"}],"Default":"D"},
		"E":{"Type":"Succeed"}}}`)
	in := []byte(`{"x":1}`)
	for i := 0; ; i++ {
		step, err := m.Enter("D", in, nil)
		if err != nil {
			wantDataLimit(t, err, "D")
			if len(in) > MaxPayload || len(in) < MaxPayload/2-16 {
				t.Errorf("failed at input size %d, want the first doubling past %d", len(in), MaxPayload)
			}
			return
		}
		if i > 20 {
			t.Fatalf("still running after %d doublings (%d bytes)", i, len(step.Output))
		}
		in = step.Output
	}
}

func TestDataLimitParametersDiscarded(t *testing.T) {
	t.Parallel()
	// The effective input is too large even though ResultPath and
	// OutputPath would keep the output small: AWS fails the state.
	half := `{"v":` + bigString(MaxPayload/2) + `}`
	for _, fields := range []string{
		`"Parameters":{"a.$":"$","b.$":"$"},"ResultPath":null`,
		`"Parameters":{"a.$":"$","b.$":"$"},"OutputPath":"$.a.v"`,
		`"Parameters":{"a.$":"$","b.$":"$"},"Result":1`,
	} {
		m := mustParse(t, `{"StartAt":"P","States":{"P":{"Type":"Pass",`+fields+`,"End":true}}}`)
		_, err := m.Enter("P", []byte(half), nil)
		wantDataLimit(t, err, "P")
		if _, err := m.Enter("P", []byte(`{"v":1}`), nil); err != nil {
			t.Errorf("%s: small input: %v", fields, err)
		}
	}
}

func TestDataLimitTask(t *testing.T) {
	t.Parallel()
	half := `{"v":` + bigString(MaxPayload/2) + `}`
	big := `{"v":` + bigString(MaxPayload) + `}`
	def := func(fields string) *Machine {
		return mustParse(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+activity+`",`+fields+`"End":true}}}`)
	}
	// Parameters that build a task input over the limit.
	_, err := def(`"Parameters":{"a.$":"$","b.$":"$"},`).Enter("T", []byte(half), nil)
	wantDataLimit(t, err, "T")
	// A result too large as it comes, after ResultSelector, or once placed.
	_, err = def(``).TaskSucceeded("T", []byte(`{}`), []byte(big), nil)
	wantDataLimit(t, err, "T")
	_, err = def(`"ResultSelector":{"a.$":"$","b.$":"$"},"ResultPath":"$.r","OutputPath":"$.x",`).TaskSucceeded("T", []byte(`{"x":1}`), []byte(half), nil)
	wantDataLimit(t, err, "T")
	_, err = def(`"ResultSelector":{"a.$":"$","b.$":"$"},`).TaskSucceeded("T", []byte(`{}`), []byte(half), nil)
	wantDataLimit(t, err, "T")
	_, err = def(`"ResultPath":"$.r",`).TaskSucceeded("T", []byte(half), []byte(half), nil)
	wantDataLimit(t, err, "T")
	if _, err := def(`"ResultSelector":{"a.$":"$.v"},`).TaskSucceeded("T", []byte(`{}`), []byte(half), nil); err != nil {
		t.Errorf("ResultSelector keeping half: %v", err)
	}
}

func TestDataLimitCatch(t *testing.T) {
	t.Parallel()
	def := func(catch string) *Machine {
		return mustParse(t, `{"StartAt":"T","States":{
			"T":{"Type":"Task","Resource":"`+activity+`","ResultPath":"$.r","End":true,"Catch":[`+catch+`]},
			"Caught":{"Type":"Succeed"}}}`)
	}
	all := def(`{"ErrorEquals":["States.ALL"],"Next":"Caught"}`)
	m := def(`{"ErrorEquals":["States.DataLimitExceeded"],"Next":"Caught","ResultPath":"$.err"}`)
	half := `{"v":` + bigString(MaxPayload/2+8) + `}`
	_, err := m.TaskSucceeded("T", []byte(half), []byte(half), nil)
	var re *RuntimeError
	if !errors.As(err, &re) || re.Name() != ErrorDataLimitExceeded {
		t.Fatalf("TaskSucceeded error = %v, want States.DataLimitExceeded", err)
	}
	// States.ALL does not match it; the catcher naming it does.
	if step := all.TaskFailed("T", []byte(`{}`), re.Name(), re.Cause(), nil, 0, nil); step.Kind != StepFail || step.Error != ErrorDataLimitExceeded {
		t.Errorf("States.ALL: step = %v %s, want fail with States.DataLimitExceeded", step.Kind, step.Error)
	}
	step := m.TaskFailed("T", []byte(`{}`), re.Name(), re.Cause(), nil, 0, nil)
	if step.Kind != StepNext || step.Next != "Caught" {
		t.Fatalf("TaskFailed step = %v to %q, want next to Caught", step.Kind, step.Next)
	}
	// A catcher whose output would be too large fails the execution.
	step = m.TaskFailed("T", []byte(`{"v":`+bigString(MaxPayload-20)+`}`), re.Name(), re.Cause(), nil, 0, nil)
	if step.Kind != StepFail || step.Error != ErrorDataLimitExceeded {
		t.Fatalf("TaskFailed step = %v %s, want fail with States.DataLimitExceeded", step.Kind, step.Error)
	}
}

func TestDataLimitInput(t *testing.T) {
	t.Parallel()
	m := mustParse(t, `{"StartAt":"S","States":{"S":{"Type":"Pass","InputPath":"$.a","End":true}}}`)
	_, err := m.Enter("S", []byte(`{"a":1,"v":`+bigString(MaxPayload)+`}`), nil)
	wantDataLimit(t, err, "S")
}

func TestJSONSize(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		`null`, `true`, `false`, `0`, `-1.5e10`, `""`, `"a\"b\\c\n\r\t\u0001\u001f"`,
		`"é 漢 😀 \u2028 \u2029 <>&"`, `[]`, `{}`, `[1,[2,[3]],{"a":[]}]`,
		`{"k\"ey":{"x":null,"y":[true,false,"s"]},"z":{}}`,
	} {
		v, err := decodeData([]byte(text))
		if err != nil {
			t.Fatalf("decode %s: %v", text, err)
		}
		want := len(encodeJSON(v))
		if got := jsonSize(v, math.MaxInt); got != want {
			t.Errorf("jsonSize(%s) = %d, want %d", text, got, want)
		}
		if got := jsonSize(v, want); got != want {
			t.Errorf("jsonSize(%s, %d) = %d, want %d", text, want, got, want)
		}
		if want > 2 {
			if got := jsonSize(v, want-1); got <= want-1 {
				t.Errorf("jsonSize(%s, %d) = %d, want more than the limit", text, want-1, got)
			}
		}
	}
	// Invalid UTF-8 is written as U+FFFD escapes.
	if got, want := jsonSize("a\xffb", math.MaxInt), len(encodeJSON("a\xffb")); got != want {
		t.Errorf("jsonSize(invalid UTF-8) = %d, want %d", got, want)
	}
}

func TestAppendJSONStopsAtLimit(t *testing.T) {
	t.Parallel()
	// 40 levels of {"a":x,"b":x}: 2^40 leaves as text, a few objects in
	// memory. Encoding it stops soon after the limit.
	var v any = "x"
	for range 40 {
		o := newObject(2)
		o.set("a", v)
		o.set("b", v)
		v = o
	}
	b, ok := appendJSON(nil, v, 1000)
	if ok || len(b) > 1100 {
		t.Errorf("appendJSON = %d bytes, ok %v; want to stop just past 1000", len(b), ok)
	}
	if n := jsonSize(v, 1000); n <= 1000 || n > 1200 { // containers count their punctuation first
		t.Errorf("jsonSize = %d, want to stop soon past 1000", n)
	}
}

func BenchmarkEncodeLimited(b *testing.B) {
	v, err := decodeData([]byte(`{"id":"abc","items":[1,2,3,{"name":"x","tags":["a","b"]}],"ok":true,"n":1.5}`))
	if err != nil {
		b.Fatal(err)
	}
	e := newEnv("S", nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.encode(v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeLargeInput decodes a 160 KB state input nested 14 deep
// (the doubling machine's at its last state under the payload limit): every
// state's input is decoded once, so this is a large payload's cost per
// state.
func BenchmarkDecodeLargeInput(b *testing.B) {
	data := []byte(`{"x":1}`)
	for len(data) < 128<<10 {
		data = []byte(`{"a":` + string(data) + `,"b":` + string(data) + `}`)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeData(data); err != nil {
			b.Fatal(err)
		}
	}
}
