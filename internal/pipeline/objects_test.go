package pipeline_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

func TestDescribeObjects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.Create(t, "describe-objects")

	// Before any definition there are no objects.
	out, err := b.Client.DescribeObjects(b.Ctx, &datapipeline.DescribeObjectsInput{PipelineId: aws.String(id), ObjectIds: []string{"SayHello"}})
	servertest.OK(t, "DescribeObjects without a definition", err)
	if len(out.PipelineObjects) != 0 || out.HasMoreResults || out.Marker != nil {
		t.Fatalf("DescribeObjects without a definition = %+v", out)
	}

	objs := append(servertest.HelloPipeline(), obj("Echo", str("type", "ShellCommandActivity"), ref("parent", "SayHello"),
		str("command", "echo #{myGreeting} from #{name} (#{@id}, #{parent.command}, #{workerGroup}) at #{format(@scheduledStartTime,'YYYY')} to #{myUnset}")))
	_, err = b.Client.PutPipelineDefinition(b.Ctx, &datapipeline.PutPipelineDefinitionInput{
		PipelineId: aws.String(id), PipelineObjects: objs,
		ParameterObjects: []types.ParameterObject{param("myGreeting", "default", "hello"), param("myUnset", "optional", "true")},
	})
	servertest.OK(t, "PutPipelineDefinition", err)

	out, err = b.Client.DescribeObjects(b.Ctx, &datapipeline.DescribeObjectsInput{PipelineId: aws.String(id), ObjectIds: []string{"Schedule", "NoSuchObject", "SayHello", "Schedule"}})
	servertest.OK(t, "DescribeObjects", err)
	if out.HasMoreResults || out.Marker != nil {
		t.Fatalf("hasMoreResults %v, marker %v; want one page", out.HasMoreResults, out.Marker)
	}
	var got []string
	for _, o := range out.PipelineObjects {
		got = append(got, aws.ToString(o.Id))
	}
	if !slices.Equal(got, []string{"Schedule", "SayHello"}) {
		t.Fatalf("described %q, want [Schedule SayHello] (unknown ids left out, duplicates once)", got)
	}
	f := servertest.PipelineFields(out.PipelineObjects[1].Fields)
	for k, want := range map[string]string{
		"type": "ShellCommandActivity", "command": "echo hello", "parent": "ref:Default", "schedule": "ref:Schedule",
		"@pipelineId": id, "@sphere": "COMPONENT", "@version": "1", "@status": "PENDING",
	} {
		if f[k] != want {
			t.Errorf("SayHello field %s = %q, want %q", k, f[k], want)
		}
	}
	if aws.ToString(out.PipelineObjects[1].Name) != "SayHello" {
		t.Errorf("name = %q", aws.ToString(out.PipelineObjects[1].Name))
	}

	// Expressions: verbatim unless evaluateExpressions; then references are
	// replaced and what needs an instance stays.
	const cmd = "echo #{myGreeting} from #{name} (#{@id}, #{parent.command}, #{workerGroup}) at #{format(@scheduledStartTime,'YYYY')} to #{myUnset}"
	for _, tc := range []struct {
		evaluate bool
		want     string
	}{
		{false, cmd},
		{true, "echo hello from Echo (Echo, echo hello, MyWorkerGroup) at #{format(@scheduledStartTime,'YYYY')} to #{myUnset}"},
	} {
		out, err := b.Client.DescribeObjects(b.Ctx, &datapipeline.DescribeObjectsInput{PipelineId: aws.String(id), ObjectIds: []string{"Echo"}, EvaluateExpressions: tc.evaluate})
		servertest.OK(t, "DescribeObjects Echo", err)
		if got := servertest.PipelineFields(out.PipelineObjects[0].Fields)["command"]; got != tc.want {
			t.Errorf("evaluateExpressions=%v: command = %q, want %q", tc.evaluate, got, tc.want)
		}
	}

	// On the wire: hasMoreResults false, no marker.
	status, raw := b.Raw(t, "DescribeObjects", `{"pipelineId":"`+id+`","objectIds":["Schedule"]}`)
	if status != 200 || raw["hasMoreResults"] != false || raw["marker"] != nil {
		t.Fatalf("DescribeObjects on the wire: %d %v", status, raw)
	}

	ids := make([]string, 26)
	for i := range ids {
		ids[i] = "o" + string(rune('a'+i))
	}
	_, err = b.Client.DescribeObjects(b.Ctx, &datapipeline.DescribeObjectsInput{PipelineId: aws.String(id), ObjectIds: ids})
	servertest.WantClientError(t, "DescribeObjects 26 ids", err, "InvalidRequestException")
	_, err = b.Client.DescribeObjects(b.Ctx, &datapipeline.DescribeObjectsInput{PipelineId: aws.String(id), ObjectIds: []string{"Schedule"}, Marker: aws.String("bad")})
	servertest.WantClientError(t, "DescribeObjects bad marker", err, "InvalidRequestException")
}

// queryDefinition has objects with dates and numbers to compare.
func queryDefinition() []types.PipelineObject {
	return []types.PipelineObject{
		obj("Default", str("workerGroup", "wg"), str("scheduleType", "ondemand")),
		obj("Early", str("type", "ShellCommandActivity"), str("command", "a"), str("myDate", "2024-01-01T00:00:00"), str("myCount", "9"), ref("dependsOn", "Late")),
		obj("Late", str("type", "ShellCommandActivity"), str("command", "b"), str("myDate", "2024-06-30T12:00:00"), str("myCount", "10")),
		obj("Middle", str("type", "ShellCommandActivity"), str("command", "c"), str("myDate", "2024-03-15T08:30:00"), ref("dependsOn", "Late")),
		obj("Data", str("type", "S3DataNode"), str("directoryPath", "s3://b/p")),
	}
}

func TestQueryObjects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.Create(t, "query")
	b.Put(t, id, queryDefinition())

	sel := func(field, op string, values ...string) types.Selector {
		return types.Selector{FieldName: aws.String(field), Operator: &types.Operator{Type: types.OperatorType(op), Values: values}}
	}
	all := []string{"Default", "Early", "Late", "Middle", "Data"}
	for _, tc := range []struct {
		name      string
		selectors []types.Selector
		want      []string
	}{
		{"no query", nil, all},
		{"@id EQ", []types.Selector{sel("@id", "EQ", "Middle", "Early")}, []string{"Early", "Middle"}},
		{"name EQ", []types.Selector{sel("name", "EQ", "Data")}, []string{"Data"}},
		{"type EQ", []types.Selector{sel("type", "EQ", "ShellCommandActivity")}, []string{"Early", "Late", "Middle"}},
		{"REF_EQ", []types.Selector{sel("dependsOn", "REF_EQ", "Late")}, []string{"Early", "Middle"}},
		{"EQ on a reference field", []types.Selector{sel("dependsOn", "EQ", "Late")}, nil},
		{"REF_EQ on a string field", []types.Selector{sel("type", "REF_EQ", "S3DataNode")}, nil},
		{"date GE", []types.Selector{sel("myDate", "GE", "2024-03-15T08:30:00")}, []string{"Late", "Middle"}},
		{"date LE", []types.Selector{sel("myDate", "LE", "2024-03-15T08:30:00")}, []string{"Early", "Middle"}},
		{"date BETWEEN", []types.Selector{sel("myDate", "BETWEEN", "2024-02-01T00:00:00", "2024-12-31T00:00:00")}, []string{"Late", "Middle"}},
		{"numbers compare as numbers", []types.Selector{sel("myCount", "GE", "9")}, []string{"Early", "Late"}},
		{"selectors AND", []types.Selector{sel("type", "EQ", "ShellCommandActivity"), sel("dependsOn", "REF_EQ", "Late"), sel("myDate", "GE", "2024-02-01T00:00:00")}, []string{"Middle"}},
		{"field not set fails", []types.Selector{sel("myCount", "LE", "100")}, []string{"Early", "Late"}},
		{"inherited fields are not top-level", []types.Selector{sel("workerGroup", "EQ", "wg")}, []string{"Default"}},
		{"@sphere", []types.Selector{sel("@sphere", "EQ", "COMPONENT")}, all},
		{"@status", []types.Selector{sel("@status", "EQ", "PENDING"), sel("name", "EQ", "Late")}, []string{"Late"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &datapipeline.QueryObjectsInput{PipelineId: aws.String(id), Sphere: aws.String("COMPONENT")}
			if tc.selectors != nil {
				in.Query = &types.Query{Selectors: tc.selectors}
			}
			out, err := b.Client.QueryObjects(b.Ctx, in)
			servertest.OK(t, "QueryObjects", err)
			if !slices.Equal(out.Ids, tc.want) || out.HasMoreResults || out.Marker != nil {
				t.Fatalf("ids %q, hasMoreResults %v, marker %v; want %q on one page", out.Ids, out.HasMoreResults, out.Marker, tc.want)
			}
		})
	}

	// Nothing is activated: no instances or attempts.
	for _, sphere := range []string{"INSTANCE", "ATTEMPT"} {
		status, raw := b.Raw(t, "QueryObjects", `{"pipelineId":"`+id+`","sphere":"`+sphere+`"}`)
		if status != 200 || raw["hasMoreResults"] != false || len(raw["ids"].([]any)) != 0 {
			t.Fatalf("QueryObjects %s = %d %v, want no ids", sphere, status, raw)
		}
	}

	// Bad queries.
	eleven := make([]types.Selector, 11)
	for i := range eleven {
		eleven[i] = sel("name", "EQ", "x")
	}
	for _, tc := range []struct {
		name string
		in   *datapipeline.QueryObjectsInput
	}{
		{"sphere PIPELINE", &datapipeline.QueryObjectsInput{Sphere: aws.String("PIPELINE")}},
		{"negative limit", &datapipeline.QueryObjectsInput{Limit: aws.Int32(-1)}},
		{"11 selectors", &datapipeline.QueryObjectsInput{Query: &types.Query{Selectors: eleven}}},
		{"BETWEEN one value", &datapipeline.QueryObjectsInput{Query: &types.Query{Selectors: []types.Selector{sel("myDate", "BETWEEN", "2024-01-01T00:00:00")}}}},
		{"GE two values", &datapipeline.QueryObjectsInput{Query: &types.Query{Selectors: []types.Selector{sel("myDate", "GE", "a", "b")}}}},
		{"EQ no value", &datapipeline.QueryObjectsInput{Query: &types.Query{Selectors: []types.Selector{sel("name", "EQ")}}}},
		{"no operator", &datapipeline.QueryObjectsInput{Query: &types.Query{Selectors: []types.Selector{{FieldName: aws.String("name")}}}}},
		{"no fieldName", &datapipeline.QueryObjectsInput{Query: &types.Query{Selectors: []types.Selector{{Operator: &types.Operator{Type: "EQ", Values: []string{"x"}}}}}}},
		{"unknown operator", &datapipeline.QueryObjectsInput{Query: &types.Query{Selectors: []types.Selector{sel("name", "LIKE", "x")}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.PipelineId = aws.String(id)
			if tc.in.Sphere == nil {
				tc.in.Sphere = aws.String("COMPONENT")
			}
			_, err := b.Client.QueryObjects(b.Ctx, tc.in)
			servertest.WantClientError(t, "QueryObjects", err, "InvalidRequestException")
		})
	}
}

func TestQueryObjectsPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.Create(t, "query-paging")
	b.Put(t, id, queryDefinition())
	query := &types.Query{Selectors: []types.Selector{{FieldName: aws.String("@sphere"), Operator: &types.Operator{Type: types.OperatorTypeEqual, Values: []string{"COMPONENT"}}}}}
	want := []string{"Default", "Early", "Late", "Middle", "Data"}

	// By hand: pages of 2, 2 and 1.
	var got []string
	var marker *string
	for page := 1; ; page++ {
		out, err := b.Client.QueryObjects(b.Ctx, &datapipeline.QueryObjectsInput{PipelineId: aws.String(id), Sphere: aws.String("COMPONENT"), Query: query, Limit: aws.Int32(2), Marker: marker})
		servertest.OK(t, "QueryObjects", err)
		got = append(got, out.Ids...)
		last := page == 3
		if len(out.Ids) != map[bool]int{false: 2, true: 1}[last] || out.HasMoreResults == last || (out.Marker == nil) != last {
			t.Fatalf("page %d: ids %q, hasMoreResults %v, marker %v", page, out.Ids, out.HasMoreResults, out.Marker)
		}
		if last {
			break
		}
		marker = out.Marker
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pages hold %q, want %q", got, want)
	}

	// The SDK paginator with Limit 2.
	got = nil
	pages := 0
	pg := datapipeline.NewQueryObjectsPaginator(b.Client, &datapipeline.QueryObjectsInput{PipelineId: aws.String(id), Sphere: aws.String("COMPONENT"), Query: query},
		func(o *datapipeline.QueryObjectsPaginatorOptions) { o.Limit = 2 })
	for pg.HasMorePages() {
		out, err := pg.NextPage(b.Ctx)
		servertest.OK(t, "paginator", err)
		pages++
		got = append(got, out.Ids...)
	}
	if pages != 3 || !slices.Equal(got, want) {
		t.Fatalf("paginator: %d pages holding %q, want 3 pages holding %q", pages, got, want)
	}

	// A marker belongs to its query: another query refuses it.
	first, err := b.Client.QueryObjects(b.Ctx, &datapipeline.QueryObjectsInput{PipelineId: aws.String(id), Sphere: aws.String("COMPONENT"), Limit: aws.Int32(2)})
	servertest.OK(t, "QueryObjects without query", err)
	_, err = b.Client.QueryObjects(b.Ctx, &datapipeline.QueryObjectsInput{PipelineId: aws.String(id), Sphere: aws.String("COMPONENT"), Query: query, Limit: aws.Int32(2), Marker: first.Marker})
	servertest.WantClientError(t, "QueryObjects with another query's marker", err, "InvalidRequestException")
	_, err = b.Client.ListPipelines(b.Ctx, &datapipeline.ListPipelinesInput{Marker: first.Marker})
	servertest.WantClientError(t, "ListPipelines with a QueryObjects marker", err, "InvalidRequestException")

	// The default limit is 100: everything on one page.
	out, err := b.Client.QueryObjects(b.Ctx, &datapipeline.QueryObjectsInput{PipelineId: aws.String(id), Sphere: aws.String("COMPONENT")})
	servertest.OK(t, "QueryObjects default limit", err)
	if len(out.Ids) != 5 || out.HasMoreResults {
		t.Fatalf("default limit: %q, hasMoreResults %v", out.Ids, out.HasMoreResults)
	}
	if strings.Join(out.Ids, ",") != strings.Join(want, ",") {
		t.Fatalf("order %q, want definition order %q", out.Ids, want)
	}
}
