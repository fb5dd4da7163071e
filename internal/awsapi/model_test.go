package awsapi

import (
	"os/exec"
	"strings"
	"testing"
)

func TestEmbeddedModels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, target, endpoint, jsonVersion string
		ops                                 int
	}{
		{"stepfunctions", "AWSStepFunctions", "states", "1.0", 37},
		{"swf", "SimpleWorkflowService", "swf", "1.0", 39},
		{"datapipeline", "DataPipeline", "datapipeline", "1.1", 19},
	}
	for _, tt := range tests {
		m := EmbeddedModel(tt.name)
		if m.TargetPrefix != tt.target || m.EndpointPrefix != tt.endpoint || m.JSONVersion != tt.jsonVersion || len(m.Operations) != tt.ops {
			t.Errorf("%s: %s %s %s %d ops", tt.name, m.TargetPrefix, m.EndpointPrefix, m.JSONVersion, len(m.Operations))
		}
		if EmbeddedModel(tt.name) != m {
			t.Errorf("%s: EmbeddedModel parses twice", tt.name)
		}
	}
	m := EmbeddedModel("stepfunctions")
	var names []string
	for _, mem := range m.Shapes["StartExecutionInput"].Members {
		names = append(names, mem.Name)
	}
	if got := strings.Join(names, ","); got != "stateMachineArn,name,input,traceHeader" {
		t.Errorf("members out of model order: %s", got)
	}
	if s := m.Shapes["SensitiveData"]; !s.Sensitive || s.Max == nil || *s.Max != 262144 || s.Name != "SensitiveData" {
		t.Errorf("SensitiveData = %+v", s)
	}
	op := m.Operations["SendTaskHeartbeat"]
	if op.Input.Shape != "SendTaskHeartbeatInput" || len(op.Errors) != 3 {
		t.Errorf("SendTaskHeartbeat = %+v", op)
	}
	if out := EmbeddedModel("swf").Operations["RespondActivityTaskCompleted"].Output; out != nil {
		t.Errorf("RespondActivityTaskCompleted output = %v, want none", out)
	}
}

func TestEmbeddedModelUnknown(t *testing.T) {
	t.Parallel()
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), `"sqs"`) {
			t.Errorf("recover() = %v", r)
		}
	}()
	EmbeddedModel("sqs")
}

func TestLoadModelErrors(t *testing.T) {
	t.Parallel()
	const meta = `"metadata":{"protocol":"json","targetPrefix":"T"}`
	tests := []struct{ data, want string }{
		{`{`, "parse model"},
		{`{"metadata":{"protocol":"query","targetPrefix":"T"}}`, `protocol "query" is not json`},
		{`{"metadata":{"protocol":"json"}}`, "targetPrefix is empty"},
		{`{` + meta + `,"operations":{"A":{"input":{"shape":"Nope"}}}}`, `operation A input refers to unknown shape "Nope"`},
		{`{` + meta + `,"shapes":{"S":{"type":"structure","members":{"x":{"shape":"Nope"}}}}}`, `shape S.x refers to unknown shape "Nope"`},
		{`{` + meta + `,"shapes":{"L":{"type":"list"}}}`, "list shape L has no member"},
		{`{` + meta + `,"shapes":{"M":{"type":"map","key":{"shape":"M"}}}}`, "map shape M lacks key or value"},
		{`{` + meta + `,"shapes":{"S":{"type":"structure","members":[]}}}`, "members: not an object"},
	}
	for _, tt := range tests {
		_, err := LoadModel([]byte(tt.data))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("LoadModel(%s) = %v, want %q", tt.data, err, tt.want)
		}
	}
	m, err := LoadModel([]byte(`{` + meta + `}`))
	if err != nil || m.JSONVersion != "1.0" || m.Shapes == nil || m.Operations == nil {
		t.Errorf("minimal model: %+v, %v", m, err)
	}
}

// The generated error packages (sfnerr, swferr, dperr) are what errgen
// makes of the models and errors.json.
func TestErrorsGenerated(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "run", "./internal/errgen", "-check").CombinedOutput()
	if err != nil {
		t.Fatalf("errgen -check: %v\n%s", err, out)
	}
}

func TestListsError(t *testing.T) {
	t.Parallel()
	m := EmbeddedModel("stepfunctions")
	tests := []struct {
		op, code string
		want     bool
	}{
		{"SendTaskHeartbeat", "TaskTimedOut", true},
		{"SendTaskHeartbeat", "ThrottlingException", true}, // common
		{"SendTaskHeartbeat", "InternalFailure", true},     // common
		{"SendTaskHeartbeat", "ActivityDoesNotExist", false},
		{"DeleteActivity", "ActivityDoesNotExist", false},
		{"NoSuchOperation", "TaskTimedOut", false},
	}
	for _, tt := range tests {
		if got := m.ListsError(tt.op, tt.code); got != tt.want {
			t.Errorf("ListsError(%s, %s) = %v, want %v", tt.op, tt.code, got, tt.want)
		}
	}
}
