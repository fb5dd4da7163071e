package pipeline_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

func param(id string, attrs ...string) types.ParameterObject {
	p := types.ParameterObject{Id: aws.String(id), Attributes: []types.ParameterAttribute{}}
	for i := 0; i+1 < len(attrs); i += 2 {
		p.Attributes = append(p.Attributes, types.ParameterAttribute{Key: aws.String(attrs[i]), StringValue: aws.String(attrs[i+1])})
	}
	return p
}

func value(id, v string) types.ParameterValue {
	return types.ParameterValue{Id: aws.String(id), StringValue: aws.String(v)}
}

func TestDefinitionRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.Create(t, "roundtrip")

	// A new pipeline has an empty definition.
	got, err := b.Client.GetPipelineDefinition(b.Ctx, &datapipeline.GetPipelineDefinitionInput{PipelineId: aws.String(id)})
	servertest.OK(t, "GetPipelineDefinition of a new pipeline", err)
	if len(got.PipelineObjects) != 0 || got.ParameterObjects != nil || got.ParameterValues != nil {
		t.Fatalf("definition of a new pipeline = %+v, want empty", got)
	}

	objs := append(servertest.HelloPipeline(),
		obj("Copy", str("type", "ShellCommandActivity"), str("command", "#{myCommand}"),
			str("scriptArgument", "a"), str("scriptArgument", "b"), // a multi-valued field, in order
			ref("schedule", "Schedule"), ref("dependsOn", "SayHello"), str("myNote", "text with } and ' in it")))
	params := []types.ParameterObject{
		param("myCommand", "type", "String", "description", "the command", "default", "echo default"),
		param("myRetries", "type", "Integer", "optional", "true", "allowedValues", "1", "allowedValues", "2"),
		param("myFiles", "isArray", "true"),
	}
	values := []types.ParameterValue{value("myCommand", "echo hi"), value("myRetries", "2"), value("myFiles", "a.txt"), value("myFiles", "b.txt")}
	out, err := b.Client.PutPipelineDefinition(b.Ctx, &datapipeline.PutPipelineDefinitionInput{
		PipelineId: aws.String(id), PipelineObjects: objs, ParameterObjects: params, ParameterValues: values,
	})
	servertest.OK(t, "PutPipelineDefinition", err)
	if out.Errored || out.ValidationErrors != nil || out.ValidationWarnings != nil {
		t.Fatalf("PutPipelineDefinition = errored %v, errors %s, warnings %s", out.Errored, servertest.PipelineErrors(out.ValidationErrors), servertest.PipelineWarnings(out.ValidationWarnings))
	}

	for _, version := range []*string{nil, aws.String("latest")} {
		got, err := b.Client.GetPipelineDefinition(b.Ctx, &datapipeline.GetPipelineDefinitionInput{PipelineId: aws.String(id), Version: version})
		servertest.OK(t, "GetPipelineDefinition", err)
		if !reflect.DeepEqual(got.PipelineObjects, objs) {
			t.Fatalf("pipelineObjects = %+v, want %+v", got.PipelineObjects, objs)
		}
		if !reflect.DeepEqual(got.ParameterObjects, params) {
			t.Fatalf("parameterObjects = %+v, want %+v", got.ParameterObjects, params)
		}
		if !reflect.DeepEqual(got.ParameterValues, values) {
			t.Fatalf("parameterValues = %+v, want %+v", got.ParameterValues, values)
		}
	}

	// Nothing is active before activation.
	_, err = b.Client.GetPipelineDefinition(b.Ctx, &datapipeline.GetPipelineDefinitionInput{PipelineId: aws.String(id), Version: aws.String("active")})
	servertest.WantClientError(t, "GetPipelineDefinition active", err, "InvalidRequestException")

	// A new put replaces the whole definition.
	b.Put(t, id, servertest.HelloPipeline())
	got, err = b.Client.GetPipelineDefinition(b.Ctx, &datapipeline.GetPipelineDefinitionInput{PipelineId: aws.String(id)})
	servertest.OK(t, "GetPipelineDefinition after a second put", err)
	if !reflect.DeepEqual(got.PipelineObjects, servertest.HelloPipeline()) || got.ParameterObjects != nil || got.ParameterValues != nil {
		t.Fatalf("definition after a second put = %+v", got)
	}
}

// TestValidateDefinition checks that validation errors and warnings come
// in the answer, with errored true, and that ValidatePipelineDefinition
// stores nothing.
func TestValidateDefinition(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.Create(t, "validate")

	// AWS's example of a valid definition.
	v, err := b.Client.ValidatePipelineDefinition(b.Ctx, &datapipeline.ValidatePipelineDefinitionInput{PipelineId: aws.String(id), PipelineObjects: servertest.HelloPipeline()})
	servertest.OK(t, "ValidatePipelineDefinition valid", err)
	if v.Errored || v.ValidationErrors != nil || v.ValidationWarnings != nil {
		t.Fatalf("valid definition: errored %v, errors %s, warnings %s", v.Errored, servertest.PipelineErrors(v.ValidationErrors), servertest.PipelineWarnings(v.ValidationWarnings))
	}

	// No Default object (a warning) and a reference to an unknown object (an error).
	bad := []types.PipelineObject{
		obj("Schedule", str("type", "Schedule"), str("startDateTime", "2012-09-25T17:00:00"), str("period", "1 hour")),
		obj("SayHello", str("type", "ShellCommandActivity"), str("command", "echo hello"),
			str("workerGroup", "wg"), ref("schedule", "Schedule"), ref("precondition", "NoSuchObject")),
	}
	v, err = b.Client.ValidatePipelineDefinition(b.Ctx, &datapipeline.ValidatePipelineDefinitionInput{PipelineId: aws.String(id), PipelineObjects: bad})
	servertest.OK(t, "ValidatePipelineDefinition", err)
	if !v.Errored {
		t.Fatal("errored = false, want true")
	}
	if len(v.ValidationErrors) != 1 || aws.ToString(v.ValidationErrors[0].Id) != "SayHello" ||
		len(v.ValidationErrors[0].Errors) != 1 || !strings.HasPrefix(v.ValidationErrors[0].Errors[0], "INVALID_REFERENCE:") ||
		!strings.Contains(v.ValidationErrors[0].Errors[0], "NoSuchObject") {
		t.Fatalf("validationErrors = %s", servertest.PipelineErrors(v.ValidationErrors))
	}
	if len(v.ValidationWarnings) != 1 || aws.ToString(v.ValidationWarnings[0].Id) != "Default" ||
		!strings.HasPrefix(v.ValidationWarnings[0].Warnings[0], "MISSING_DEFAULT_OBJECT:") {
		t.Fatalf("validationWarnings = %s", servertest.PipelineWarnings(v.ValidationWarnings))
	}

	// On the wire: errored true, both lists, HTTP 200.
	status, raw := b.Raw(t, "ValidatePipelineDefinition", `{"pipelineId":"`+id+`","pipelineObjects":[{"id":"A","name":"A","fields":[{"key":"parent","refValue":"B"}]}]}`)
	if status != 200 || raw["errored"] != true || raw["validationErrors"] == nil || raw["validationWarnings"] == nil {
		t.Fatalf("ValidatePipelineDefinition on the wire: %d %v", status, raw)
	}

	// Nothing was stored: no definition, no @version.
	got, err := b.Client.GetPipelineDefinition(b.Ctx, &datapipeline.GetPipelineDefinitionInput{PipelineId: aws.String(id)})
	servertest.OK(t, "GetPipelineDefinition", err)
	if len(got.PipelineObjects) != 0 {
		t.Fatalf("ValidatePipelineDefinition stored %d objects", len(got.PipelineObjects))
	}
	if f := servertest.PipelineFields(describeOne(t, b, id).Fields); f["@version"] != "" {
		t.Fatalf("@version = %q after validation only", f["@version"])
	}
}

// TestPutDefinitionWithErrors checks that a definition with errors is not
// saved (the previous one stays) while warnings alone do not stop a put.
func TestPutDefinitionWithErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.Create(t, "put-errors")
	b.Put(t, id, servertest.HelloPipeline())

	bad := append(servertest.HelloPipeline(), obj("Broken", str("type", "ShellCommandActivity"), str("command", "#{format(@scheduledStartTime, 'YYYY'}")))
	out, err := b.Client.PutPipelineDefinition(b.Ctx, &datapipeline.PutPipelineDefinitionInput{PipelineId: aws.String(id), PipelineObjects: bad})
	servertest.OK(t, "PutPipelineDefinition with errors", err)
	if !out.Errored || len(out.ValidationErrors) != 1 || aws.ToString(out.ValidationErrors[0].Id) != "Broken" ||
		!strings.HasPrefix(out.ValidationErrors[0].Errors[0], "INVALID_EXPRESSION:") {
		t.Fatalf("put with errors: errored %v, errors %s", out.Errored, servertest.PipelineErrors(out.ValidationErrors))
	}
	got, err := b.Client.GetPipelineDefinition(b.Ctx, &datapipeline.GetPipelineDefinitionInput{PipelineId: aws.String(id)})
	servertest.OK(t, "GetPipelineDefinition", err)
	if !reflect.DeepEqual(got.PipelineObjects, servertest.HelloPipeline()) {
		t.Fatalf("definition after a put with errors = %+v, want the first one", got.PipelineObjects)
	}
	if v := servertest.PipelineFields(describeOne(t, b, id).Fields)["@version"]; v != "1" {
		t.Fatalf("@version = %q after a put with errors, want 1", v)
	}

	// Warnings only: saved, and the warnings are answered.
	warned := append(servertest.HelloPipeline(), obj("Extra", str("type", "MadeUpType")))
	out, err = b.Client.PutPipelineDefinition(b.Ctx, &datapipeline.PutPipelineDefinitionInput{PipelineId: aws.String(id), PipelineObjects: warned})
	servertest.OK(t, "PutPipelineDefinition with warnings", err)
	if out.Errored || len(out.ValidationWarnings) != 1 || aws.ToString(out.ValidationWarnings[0].Id) != "Extra" {
		t.Fatalf("put with warnings: errored %v, warnings %s", out.Errored, servertest.PipelineWarnings(out.ValidationWarnings))
	}
	got, err = b.Client.GetPipelineDefinition(b.Ctx, &datapipeline.GetPipelineDefinitionInput{PipelineId: aws.String(id)})
	servertest.OK(t, "GetPipelineDefinition", err)
	if len(got.PipelineObjects) != 4 {
		t.Fatalf("definition after a put with warnings has %d objects, want 4", len(got.PipelineObjects))
	}
}

// TestValidationRules checks each validation rule: "id: CODE" of the errors
// and warnings expected (others may come too, but a case without errors
// must have none).
func TestValidationRules(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.Create(t, "rules")
	def := obj("Default", str("workerGroup", "wg"))
	sched := obj("Sched", str("type", "Schedule"), str("startDateTime", "2024-01-01T00:00:00"), str("period", "1 day"))
	act := func(id string, fields ...types.Field) types.PipelineObject {
		return obj(id, append([]types.Field{str("type", "ShellCommandActivity"), str("command", "true")}, fields...)...)
	}
	both := types.Field{Key: aws.String("command"), StringValue: aws.String("x"), RefValue: aws.String("Sched")}
	neither := types.Field{Key: aws.String("myField")}

	for _, tc := range []struct {
		name   string
		objs   []types.PipelineObject
		params []types.ParameterObject
		values []types.ParameterValue
		errs   []string
		warns  []string
	}{
		{name: "valid", objs: []types.PipelineObject{def, sched, act("A", ref("schedule", "Sched"))}},
		{name: "duplicate ids", objs: []types.PipelineObject{def, act("A"), act("A")}, errs: []string{"A: DUPLICATE_OBJECT_ID"}},
		{name: "string and ref", objs: []types.PipelineObject{def, obj("A", str("type", "ShellCommandActivity"), both)}, errs: []string{"A: INVALID_FIELD_VALUE"}},
		{name: "empty field", objs: []types.PipelineObject{def, act("A", neither)}, errs: []string{"A: EMPTY_FIELD"}},
		{name: "empty string", objs: []types.PipelineObject{def, act("A", str("myField", ""))}, errs: []string{"A: EMPTY_FIELD"}},
		{name: "unknown reference", objs: []types.PipelineObject{def, act("A", ref("onFail", "Nope"))}, errs: []string{"A: INVALID_REFERENCE"}},
		{name: "no workerGroup nor runsOn", objs: []types.PipelineObject{obj("Default"), act("A")}, errs: []string{"A: MISSING_FIELD"}},
		{name: "runsOn instead of workerGroup", objs: []types.PipelineObject{obj("Default"), obj("Box", str("type", "Ec2Resource")), act("A", ref("runsOn", "Box"))}},
		{name: "workerGroup from a parent", objs: []types.PipelineObject{obj("Default"), obj("Base", str("workerGroup", "wg")), act("A", ref("parent", "Base"))}},
		{name: "schedule not a Schedule", objs: []types.PipelineObject{def, act("B"), act("A", ref("schedule", "B"))}, errs: []string{"A: INVALID_REFERENCE"}},
		{name: "unknown type", objs: []types.PipelineObject{def, obj("A", str("type", "Teleporter"))}, warns: []string{"A: UNKNOWN_TYPE"}},
		{name: "expression missing parenthesis", objs: []types.PipelineObject{def, act("A", str("myPath", "s3://b/#{format(@scheduledStartTime, 'YYYY'}"))}, errs: []string{"A: INVALID_EXPRESSION"}},
		{name: "expression not closed", objs: []types.PipelineObject{def, act("A", str("myPath", "s3://b/#{myBucket"))}, errs: []string{"A: INVALID_EXPRESSION"}},
		{name: "empty expression", objs: []types.PipelineObject{def, act("A", str("myPath", "#{}"))}, errs: []string{"A: INVALID_EXPRESSION"}},
		{name: "expression with a stray character", objs: []types.PipelineObject{def, act("A", str("myPath", "#{myBucket ; rm}"))}, errs: []string{"A: INVALID_EXPRESSION"}},
		{name: "good expressions", objs: []types.PipelineObject{def, act("A",
			str("myA", "#{format(minusDays(@scheduledStartTime,1),'YYYY-MM-dd hh:mm:ss')}"),
			str("myB", "#{node.@scheduledStartTime}/#{parent.@id}/#{*myPassword}"),
			str("myC", "#{1 + 2 * (3 - 1)} #{plusDays(@scheduledStartTime, 1)} #{@scheduledStartTime - 1 day}"),
			str("myD", "#{\"quoted } brace\"} and a lone # and { and }"))}},
		{name: "expressions in type are verbatim", objs: []types.PipelineObject{def, obj("A", str("type", "#{nope"))}, warns: []string{"A: UNKNOWN_TYPE"}},
		{name: "read-only field", objs: []types.PipelineObject{def, act("A", str("@status", "FINISHED"))}, errs: []string{"A: READ_ONLY_FIELD"}},
		{name: "parent loop", objs: []types.PipelineObject{def, act("A", ref("parent", "B")), act("B", ref("parent", "A"))}, errs: []string{"A: INVALID_REFERENCE", "B: INVALID_REFERENCE"}},
		{name: "parent as a string", objs: []types.PipelineObject{def, act("A", str("parent", "Default"))}, errs: []string{"A: INVALID_FIELD_VALUE"}},
		{name: "type repeated", objs: []types.PipelineObject{def, act("A", str("type", "ShellCommandActivity"))}, errs: []string{"A: INVALID_FIELD_VALUE"}},
		{name: "shell command without command", objs: []types.PipelineObject{def, obj("A", str("type", "ShellCommandActivity"))}, errs: []string{"A: MISSING_FIELD"}},
		{name: "bad startDateTime", objs: []types.PipelineObject{def, obj("S", str("type", "Schedule"), str("startDateTime", "bad-time"), str("period", "1 hour"))}, errs: []string{"S: INVALID_FIELD_VALUE"}},
		{name: "period too short", objs: []types.PipelineObject{def, obj("S", str("type", "Schedule"), str("startAt", "FIRST_ACTIVATION_DATE_TIME"), str("period", "5 minutes"))}, errs: []string{"S: INVALID_FIELD_VALUE"}},
		{name: "schedule without start", objs: []types.PipelineObject{def, obj("S", str("type", "Schedule"), str("period", "1 hour"))}, errs: []string{"S: MISSING_FIELD"}},
		{name: "bad scheduleType", objs: []types.PipelineObject{obj("Default", str("workerGroup", "wg"), str("scheduleType", "weekly"))}, errs: []string{"Default: INVALID_FIELD_VALUE"}},
		{name: "bad retryDelay", objs: []types.PipelineObject{def, act("A", str("retryDelay", "soon"))}, errs: []string{"A: INVALID_FIELD_VALUE"}},
		{name: "bad lateAfterTimeout on Default", objs: []types.PipelineObject{obj("Default", str("workerGroup", "wg"), str("lateAfterTimeout", "2 fortnights"))}, errs: []string{"Default: INVALID_FIELD_VALUE"}},
		{name: "negative maximumRetries", objs: []types.PipelineObject{def, act("A", str("maximumRetries", "-1"))}, errs: []string{"A: INVALID_FIELD_VALUE"}},
		{name: "zero maxActiveInstances", objs: []types.PipelineObject{def, act("A", str("maxActiveInstances", "0"))}, errs: []string{"A: INVALID_FIELD_VALUE"}},
		{name: "timing from a parameter", objs: []types.PipelineObject{def, act("A", str("retryDelay", "#{myDelay}"))},
			params: []types.ParameterObject{param("myDelay", "default", "5 minutes")}},
		{name: "precondition not a precondition", objs: []types.PipelineObject{def, act("B"), act("A", ref("precondition", "B"))}, errs: []string{"A: INVALID_REFERENCE"}},
		{name: "onFail not an action", objs: []types.PipelineObject{def, obj("N", str("type", "S3DataNode")), act("A", ref("onFail", "N"))}, errs: []string{"A: INVALID_REFERENCE"}},
		{name: "preconditions and actions", objs: []types.PipelineObject{def,
			obj("P", str("type", "ShellCommandPrecondition"), str("command", "true"), str("preconditionTimeout", "1 hour")),
			obj("Alarm", str("type", "SnsAlarm"), str("topicArn", "arn:aws:sns:us-east-1:000000000000:t"), str("subject", "s"), str("message", "#{node.errorMessage}")),
			obj("Stop", str("type", "Terminate")),
			act("A", ref("precondition", "P"), ref("onFail", "Alarm"), ref("onLateAction", "Stop"), str("lateAfterTimeout", "2 hours"), str("maxActiveInstances", "2"))}},
		{name: "parameters", objs: []types.PipelineObject{def, act("A", str("myPath", "#{myBucket}"))},
			params: []types.ParameterObject{param("myBucket", "type", "AWS::S3::ObjectKey", "default", "s3://b")}},
		{name: "parameter id without my", objs: []types.PipelineObject{def}, params: []types.ParameterObject{param("bucket", "optional", "true")}, errs: []string{"bucket: INVALID_PARAMETER_ID"}},
		{name: "value of no parameter", objs: []types.PipelineObject{def}, values: []types.ParameterValue{value("myGhost", "x")}, errs: []string{"myGhost: UNKNOWN_PARAMETER"}},
		{name: "Integer parameter", objs: []types.PipelineObject{def}, params: []types.ParameterObject{param("myN", "type", "Integer")}, values: []types.ParameterValue{value("myN", "many")}, errs: []string{"myN: INVALID_PARAMETER_VALUE"}},
		{name: "value not allowed", objs: []types.PipelineObject{def}, params: []types.ParameterObject{param("myEnv", "allowedValues", "dev", "allowedValues", "prod")}, values: []types.ParameterValue{value("myEnv", "test")}, errs: []string{"myEnv: INVALID_PARAMETER_VALUE"}},
		{name: "two values, not an array", objs: []types.PipelineObject{def}, params: []types.ParameterObject{param("myX")}, values: []types.ParameterValue{value("myX", "a"), value("myX", "b")}, errs: []string{"myX: INVALID_PARAMETER_VALUE"}},
		{name: "bad parameter type", objs: []types.PipelineObject{def}, params: []types.ParameterObject{param("myX", "type", "Date", "optional", "true")}, errs: []string{"myX: INVALID_PARAMETER"}},
		{name: "parameter without value", objs: []types.PipelineObject{def}, params: []types.ParameterObject{param("myX")}, warns: []string{"myX: MISSING_PARAMETER_VALUE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := b.Client.ValidatePipelineDefinition(b.Ctx, &datapipeline.ValidatePipelineDefinitionInput{
				PipelineId: aws.String(id), PipelineObjects: tc.objs, ParameterObjects: tc.params, ParameterValues: tc.values,
			})
			servertest.OK(t, "ValidatePipelineDefinition", err)
			if out.Errored != (len(tc.errs) > 0) {
				t.Fatalf("errored = %v, errors %s", out.Errored, servertest.PipelineErrors(out.ValidationErrors))
			}
			if len(tc.errs) == 0 && len(out.ValidationErrors) > 0 {
				t.Fatalf("unexpected errors: %s", servertest.PipelineErrors(out.ValidationErrors))
			}
			for _, want := range tc.errs {
				oid, code, _ := strings.Cut(want, ": ")
				if !hasMessage(oid, code, func(yield func(string, []string) bool) {
					for _, e := range out.ValidationErrors {
						if !yield(aws.ToString(e.Id), e.Errors) {
							return
						}
					}
				}) {
					t.Errorf("no error %q in %s", want, servertest.PipelineErrors(out.ValidationErrors))
				}
			}
			for _, want := range tc.warns {
				oid, code, _ := strings.Cut(want, ": ")
				if !hasMessage(oid, code, func(yield func(string, []string) bool) {
					for _, w := range out.ValidationWarnings {
						if !yield(aws.ToString(w.Id), w.Warnings) {
							return
						}
					}
				}) {
					t.Errorf("no warning %q in %s", want, servertest.PipelineWarnings(out.ValidationWarnings))
				}
			}
		})
	}
}

// hasMessage reports whether the entry of id has a message starting with
// code.
func hasMessage(id, code string, entries func(yield func(string, []string) bool)) bool {
	for eid, msgs := range entries {
		if eid != id {
			continue
		}
		for _, m := range msgs {
			if strings.HasPrefix(m, code+":") {
				return true
			}
		}
	}
	return false
}
