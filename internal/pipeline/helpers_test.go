package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"
	"github.com/aws/smithy-go"

	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// bundle is what most tests need: a real server on a temp SQLite file and
// an SDK client pointed at it.
type bundle struct {
	srv    *server.Server
	client *datapipeline.Client
	ctx    context.Context
}

func setup(t *testing.T) *bundle {
	t.Helper()
	srv := servertest.Start(t, servertest.Options{})
	return &bundle{srv: srv, client: servertest.DataPipeline(srv.URL()), ctx: context.Background()}
}

var nameSeq atomic.Int64

// uniq returns a name unique within the test binary.
func uniq(prefix string) string { return fmt.Sprintf("%s-%d", prefix, nameSeq.Add(1)) }

// errorCode returns the AWS error code of err ("" if it is not an API error).
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// wantCode fails unless err is the AWS error code want, answered with HTTP
// status 400 (every Data Pipeline error but InternalServiceError).
func wantCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := errorCode(err); got != want {
		t.Fatalf("%s: error %v (code %q), want %s", what, err, got, want)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
		t.Fatalf("%s: error %v is not an HTTP 400 answer", what, err)
	}
}

// ok fails the test on err.
func ok(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// create creates a pipeline named name with a fresh uniqueId and returns
// its id.
func (b *bundle) create(t *testing.T, name string) string {
	t.Helper()
	out, err := b.client.CreatePipeline(b.ctx, &datapipeline.CreatePipelineInput{Name: aws.String(name), UniqueId: aws.String(uniq("u"))})
	ok(t, "CreatePipeline "+name, err)
	return aws.ToString(out.PipelineId)
}

// put puts a definition that must have no errors.
func (b *bundle) put(t *testing.T, id string, objs []types.PipelineObject) *datapipeline.PutPipelineDefinitionOutput {
	t.Helper()
	out, err := b.client.PutPipelineDefinition(b.ctx, &datapipeline.PutPipelineDefinitionInput{PipelineId: aws.String(id), PipelineObjects: objs})
	ok(t, "PutPipelineDefinition", err)
	if out.Errored {
		t.Fatalf("PutPipelineDefinition errored: %s", describeErrors(out.ValidationErrors))
	}
	return out
}

// raw posts a Data Pipeline request as raw JSON and returns the status and
// the decoded answer.
func (b *bundle) raw(t *testing.T, op, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL(), strings.NewReader(body))
	ok(t, "new request", err)
	req.Header.Set("X-Amz-Target", "DataPipeline."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	ok(t, op, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	ok(t, "read "+op, err)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: answer %q is not a JSON object: %v", op, data, err)
	}
	return resp.StatusCode, m
}

// Pipeline objects and fields.

func str(key, value string) types.Field {
	return types.Field{Key: aws.String(key), StringValue: aws.String(value)}
}

func ref(key, id string) types.Field {
	return types.Field{Key: aws.String(key), RefValue: aws.String(id)}
}

func obj(id string, fields ...types.Field) types.PipelineObject {
	if fields == nil {
		fields = []types.Field{}
	}
	return types.PipelineObject{Id: aws.String(id), Name: aws.String(id), Fields: fields}
}

// helloDefinition is AWS's example definition: a Default, a Schedule and a
// ShellCommandActivity.
func helloDefinition() []types.PipelineObject {
	return []types.PipelineObject{
		obj("Default", str("workerGroup", "MyWorkerGroup"), str("scheduleType", "cron")),
		obj("Schedule", str("type", "Schedule"), str("startDateTime", "2012-09-25T17:00:00"),
			str("period", "1 hour"), str("endDateTime", "2012-09-25T18:00:00")),
		obj("SayHello", str("type", "ShellCommandActivity"), str("command", "echo hello"),
			ref("parent", "Default"), ref("schedule", "Schedule")),
	}
}

// fieldMap returns the fields as key → value (refs as "ref:<id>"); a
// repeated key keeps its last value.
func fieldMap(fs []types.Field) map[string]string {
	m := map[string]string{}
	for _, f := range fs {
		if f.RefValue != nil {
			m[aws.ToString(f.Key)] = "ref:" + aws.ToString(f.RefValue)
		} else {
			m[aws.ToString(f.Key)] = aws.ToString(f.StringValue)
		}
	}
	return m
}

func describeErrors(errs []types.ValidationError) string {
	var parts []string
	for _, e := range errs {
		parts = append(parts, aws.ToString(e.Id)+": "+strings.Join(e.Errors, "; "))
	}
	return strings.Join(parts, " | ")
}

func describeWarnings(ws []types.ValidationWarning) string {
	var parts []string
	for _, w := range ws {
		parts = append(parts, aws.ToString(w.Id)+": "+strings.Join(w.Warnings, "; "))
	}
	return strings.Join(parts, " | ")
}
