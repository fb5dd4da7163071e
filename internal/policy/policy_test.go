package policy

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		p, s string
		want bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"states:SendTask*", "states:SendTaskSuccess", true},
		{"states:SendTask*", "states:StartExecution", false},
		{"arn:aws:states:*:*:activity:build-?", "arn:aws:states:us-east-1:000000000000:activity:build-1", true},
		{"arn:aws:states:*:*:activity:build-?", "arn:aws:states:us-east-1:000000000000:activity:build-12", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"a**", "a", true},
		{"", "", true},
		{"", "x", false},
		{"abc", "abcd", false},
	} {
		if got := Match(tt.p, tt.s); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}

const act = "arn:aws:states:us-east-1:000000000000:activity:"

func TestAllowed(t *testing.T) {
	t.Parallel()
	p, err := Parse([]byte(`{
		"Version": "2012-10-17",
		"Statement": [
			{"Effect": "Allow", "Action": "states:*", "Resource": "arn:aws:states:*:*:activity:ci-*"},
			{"Effect": "Allow", "Action": ["states:ListActivities"], "Resource": "*"},
			{"Sid": "noDelete", "Effect": "Deny", "Action": "states:Delete*", "Resource": "*"},
			{"Effect": "Allow", "NotAction": "swf:*", "Resource": "arn:aws:datapipeline:*"}
		]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		action, resource string
		want             bool
	}{
		{"states:SendTaskSuccess", act + "ci-build", true},
		{"STATES:sendtasksuccess", act + "ci-build", true},  // actions ignore case
		{"states:SendTaskSuccess", act + "CI-build", false}, // resources do not
		{"states:SendTaskSuccess", act + "prod-build", false},
		{"states:ListActivities", "*", true},
		{"states:DeleteActivity", act + "ci-build", false}, // deny wins
		{"datapipeline:PollForTask", "arn:aws:datapipeline:us-east-1:000000000000:pipeline/df-1", true},
		{"swf:PollForActivityTask", "arn:aws:datapipeline:x", false},                       // NotAction
		{"swf:PollForActivityTask", "arn:aws:swf:us-east-1:000000000000:/domain/d", false}, // nothing allows it
	} {
		if got := p.Allowed(tt.action, tt.resource); got != tt.want {
			t.Errorf("Allowed(%s, %s) = %v, want %v", tt.action, tt.resource, got, tt.want)
		}
	}
	var none *Policy
	if none.Allowed("states:ListActivities", "*") {
		t.Error("a nil policy allowed something")
	}
}

func TestNotResource(t *testing.T) {
	t.Parallel()
	p, err := Parse([]byte(`{"Statement": {"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:states:*:*:stateMachine:secret"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Allowed("states:StartExecution", "arn:aws:states:us-east-1:1:stateMachine:open") {
		t.Error("NotResource refused another resource")
	}
	if p.Allowed("states:StartExecution", "arn:aws:states:us-east-1:1:stateMachine:secret") {
		t.Error("NotResource allowed the resource it names")
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ doc, want string }{
		{`{"Version":"2012-10-17","Statement":[]}`, "no Statement"},
		{`{"Version":"2000-01-01","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, `Version "2000-01-01"`},
		{`{"Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}`, `Statement[0]: the Effect "allow"`},
		{`{"Statement":[{"Sid":"s1","Effect":"Allow","Resource":"*"}]}`, `Statement[0] (Sid "s1"): no Action`},
		{`{"Statement":[{"Effect":"Allow","Action":"SendTaskSuccess","Resource":"*"}]}`, `want service:Operation`},
		{`{"Statement":[{"Effect":"Allow","Action":"*"}]}`, `no Resource`},
		{`{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"x:y","Resource":"*"}]}`, `both Action and NotAction`},
		{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`, `Condition is not supported`},
		{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}],"Extra":1}`, `unknown field "Extra"`},
		{`[1]`, `policy:`},
	} {
		_, err := Parse([]byte(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%s) = %v, want an error containing %q", tt.doc, err, tt.want)
		}
	}
}

func BenchmarkAllowed(b *testing.B) {
	p, err := Parse([]byte(`{"Statement":[
		{"Effect":"Allow","Action":["states:SendTask*","states:GetActivityTask"],"Resource":"arn:aws:states:*:*:activity:ci-*"},
		{"Effect":"Deny","Action":"states:Delete*","Resource":"*"}]}`))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if !p.Allowed("states:SendTaskHeartbeat", act+"ci-build") {
			b.Fatal("refused")
		}
	}
}
