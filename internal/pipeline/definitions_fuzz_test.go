package pipeline

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// wideDeepDefinition is the hardening issue's definition: levels objects
// of width string fields, each field of a level referring to every field
// of the next level (the last level holds plain text), reached through a
// "next" reference.
func wideDeepDefinition(width, levels int) definitionInput {
	var objs []PipelineObject
	for l := range levels {
		o := PipelineObject{ID: fmt.Sprintf("L%d", l), Name: fmt.Sprintf("L%d", l)}
		if l+1 < levels {
			o.Fields = append(o.Fields, refField("next", fmt.Sprintf("L%d", l+1)))
		}
		for w := range width {
			v := "x"
			if l+1 < levels {
				var b strings.Builder
				for k := range width {
					fmt.Fprintf(&b, "#{next.f%d}", k)
				}
				v = b.String()
			}
			o.Fields = append(o.Fields, strField(fmt.Sprintf("f%d", w), v))
		}
		objs = append(objs, o)
	}
	return definitionInput{PipelineID: "df-fuzz", PipelineObjects: objs}
}

// FuzzValidateDefinition checks that validating any definition
// PutPipelineDefinition can be sent (its JSON decoded as the operation
// does) never panics, that a report without errors is not errored, and
// that the fields of a definition without errors can be evaluated as
// DescribeObjects evaluates them.
func FuzzValidateDefinition(f *testing.F) {
	seeds := []string{
		`{"pipelineId":"df-1","pipelineObjects":[{"id":"Default","name":"Default","fields":[{"key":"scheduleType","stringValue":"ondemand"},{"key":"workerGroup","stringValue":"wg"}]},{"id":"A","name":"A","fields":[{"key":"type","stringValue":"ShellCommandActivity"},{"key":"command","stringValue":"echo #{myParam} #{parent.workerGroup}"},{"key":"parent","refValue":"Default"}]}],"parameterObjects":[{"id":"myParam","attributes":[{"key":"type","stringValue":"String"},{"key":"default","stringValue":"x"}]}],"parameterValues":[{"id":"myParam","stringValue":"y"}]}`,
		`{"pipelineId":"df-1","pipelineObjects":[{"id":"Default","name":"Default","fields":[{"key":"scheduleType","stringValue":"cron"},{"key":"schedule","refValue":"S"}]},{"id":"S","name":"S","fields":[{"key":"type","stringValue":"Schedule"},{"key":"period","stringValue":"1 day"},{"key":"startDateTime","stringValue":"2024-01-01T00:00:00"}]}]}`,
		`{"pipelineId":"df-1","pipelineObjects":[{"id":"A","name":"A","fields":[{"key":"parent","refValue":"B"}]},{"id":"B","name":"B","fields":[{"key":"parent","refValue":"A"},{"key":"x","stringValue":"#{x}"}]}]}`,
		`{"pipelineId":"df-1","pipelineObjects":[{"id":"A","name":"A","fields":[{"key":"onFail","refValue":"N"},{"key":"type","stringValue":"ShellCommandActivity"}]},{"id":"N","name":"N","fields":[{"key":"type","stringValue":"SnsAlarm"},{"key":"message","stringValue":"#{node.errorMessage}"}]}],"parameterObjects":[{"id":"*p","attributes":[{"key":"type","stringValue":"Integer"},{"key":"isArray","stringValue":"true"}]}],"parameterValues":[{"id":"*p","stringValue":"1"},{"id":"*p","stringValue":"x"}]}`,
		`{"pipelineObjects":[{"id":"A","fields":[{"key":"a","stringValue":"#{"},{"key":"a","refValue":""}]},{"id":"A"}]}`,
		`{}`, `null`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	wide, err := json.Marshal(wideDeepDefinition(3, 4))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(wide)
	f.Fuzz(func(t *testing.T, data []byte) {
		var in definitionInput
		if json.Unmarshal(data, &in) != nil {
			return
		}
		rep := validateDefinition(in.PipelineID, in.PipelineObjects, in.ParameterObjects, in.ParameterValues)
		out := rep.output()
		if out.Errored != (len(out.ValidationErrors) > 0) {
			t.Fatalf("errored %v with %d validation errors", out.Errored, len(out.ValidationErrors))
		}
		if out.Errored {
			return
		}
		ix := newIndex(in.PipelineObjects)
		env := &evalEnv{ix: ix, pipelineID: in.PipelineID, params: parameterValues(in.ParameterObjects, in.ParameterValues)}
		for i := range in.PipelineObjects {
			o := &in.PipelineObjects[i]
			for _, fl := range o.Fields {
				if fl.StringValue != nil {
					_ = env.evalString(o, *fl.StringValue, 0)
				}
			}
		}
	})
}
