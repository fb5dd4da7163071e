package pipeline_test

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

var pipelineIDPattern = regexp.MustCompile(`^df-[A-Z0-9]{19}$`)

// TestCreatePipelineIdempotent checks that CreatePipeline is idempotent per
// (name, uniqueId): the same pair returns the same pipeline, a new name or
// a new uniqueId makes a new one, and deleting a pipeline frees its pair.
func TestCreatePipelineIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	create := func(name, uid, desc string) string {
		t.Helper()
		out, err := b.Client.CreatePipeline(b.Ctx, &datapipeline.CreatePipelineInput{Name: aws.String(name), UniqueId: aws.String(uid), Description: aws.String(desc)})
		servertest.OK(t, "CreatePipeline "+name+"/"+uid, err)
		return aws.ToString(out.PipelineId)
	}
	first := create("orders", "token-1", "first")
	if !pipelineIDPattern.MatchString(first) {
		t.Fatalf("pipelineId %q does not look like df- and 19 upper-case letters and digits", first)
	}
	if again := create("orders", "token-1", "a retry with another description"); again != first {
		t.Fatalf("same name and uniqueId: got %s, want %s", again, first)
	}
	otherName := create("invoices", "token-1", "")
	otherToken := create("orders", "token-2", "")
	if otherName == first || otherToken == first || otherName == otherToken {
		t.Fatalf("new pipelines expected: first %s, other name %s, other uniqueId %s", first, otherName, otherToken)
	}
	// The retry did not change the description.
	d, err := b.Client.DescribePipelines(b.Ctx, &datapipeline.DescribePipelinesInput{PipelineIds: []string{first}})
	servertest.OK(t, "DescribePipelines", err)
	if got := aws.ToString(d.PipelineDescriptionList[0].Description); got != "first" {
		t.Fatalf("description = %q, want first", got)
	}
	// Deleting frees (name, uniqueId); the other name with that uniqueId stays.
	_, err = b.Client.DeletePipeline(b.Ctx, &datapipeline.DeletePipelineInput{PipelineId: aws.String(first)})
	servertest.OK(t, "DeletePipeline", err)
	if again := create("orders", "token-1", ""); again == first {
		t.Fatalf("after delete: got the deleted pipeline %s again", first)
	}
	if again := create("invoices", "token-1", ""); again != otherName {
		t.Fatalf("other name after delete: got %s, want %s", again, otherName)
	}
}

// TestCreatePipelineConcurrentRetries checks that concurrent creates with
// one (name, uniqueId) make one pipeline.
func TestCreatePipelineConcurrentRetries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Go(func() {
			out, err := b.Client.CreatePipeline(b.Ctx, &datapipeline.CreatePipelineInput{Name: aws.String("p"), UniqueId: aws.String("same")})
			if err != nil {
				t.Errorf("CreatePipeline: %v", err)
				return
			}
			ids[i] = aws.ToString(out.PipelineId)
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("ids = %q, want one id", ids)
		}
	}
	l, err := b.Client.ListPipelines(b.Ctx, &datapipeline.ListPipelinesInput{})
	servertest.OK(t, "ListPipelines", err)
	if len(l.PipelineIdList) != 1 {
		t.Fatalf("ListPipelines lists %d pipelines, want 1", len(l.PipelineIdList))
	}
}

func TestDescribePipelinesFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	before := time.Now().UTC().Truncate(time.Second)
	out, err := b.Client.CreatePipeline(b.Ctx, &datapipeline.CreatePipelineInput{
		Name:        aws.String("nightly"),
		UniqueId:    aws.String("nightly-1"),
		Description: aws.String("the nightly export"),
		Tags:        []types.Tag{{Key: aws.String("team"), Value: aws.String("data")}},
	})
	servertest.OK(t, "CreatePipeline", err)
	id := aws.ToString(out.PipelineId)
	other := b.Create(t, "other")

	describe := func() types.PipelineDescription {
		t.Helper()
		d, err := b.Client.DescribePipelines(b.Ctx, &datapipeline.DescribePipelinesInput{PipelineIds: []string{id}})
		servertest.OK(t, "DescribePipelines", err)
		if len(d.PipelineDescriptionList) != 1 {
			t.Fatalf("%d descriptions, want 1", len(d.PipelineDescriptionList))
		}
		return d.PipelineDescriptionList[0]
	}
	d := describe()
	if aws.ToString(d.PipelineId) != id || aws.ToString(d.Name) != "nightly" || aws.ToString(d.Description) != "the nightly export" {
		t.Fatalf("description = %+v", d)
	}
	if len(d.Tags) != 1 || aws.ToString(d.Tags[0].Key) != "team" || aws.ToString(d.Tags[0].Value) != "data" {
		t.Fatalf("tags = %+v", d.Tags)
	}
	f := servertest.PipelineFields(d.Fields)
	for k, want := range map[string]string{
		"@pipelineState":  "PENDING",
		"name":            "nightly",
		"description":     "the nightly export",
		"@id":             id,
		"@sphere":         "PIPELINE",
		"uniqueId":        "nightly-1",
		"@accountId":      "000000000000",
		"@userId":         "000000000000",
		"pipelineCreator": "000000000000",
	} {
		if f[k] != want {
			t.Errorf("field %s = %q, want %q (fields %v)", k, f[k], want, f)
		}
	}
	for _, k := range []string{"@version", "@healthStatus"} {
		if _, has := f[k]; has {
			t.Errorf("field %s present before any definition or activation: %v", k, f)
		}
	}
	created, err := time.Parse("2006-01-02T15:04:05", f["@creationTime"])
	if err != nil || created.Before(before) || created.After(time.Now().UTC().Add(time.Minute)) {
		t.Fatalf("@creationTime = %q (%v), want YYYY-MM-DDTHH:MM:SS around %s", f["@creationTime"], err, before)
	}

	// @version counts the definitions put.
	b.Put(t, id, servertest.HelloPipeline())
	if got := servertest.PipelineFields(describe().Fields)["@version"]; got != "1" {
		t.Fatalf("@version after one put = %q, want 1", got)
	}
	b.Put(t, id, servertest.HelloPipeline())
	if got := servertest.PipelineFields(describe().Fields)["@version"]; got != "2" {
		t.Fatalf("@version after two puts = %q, want 2", got)
	}

	// Several ids answer in the order asked; none answers an empty list.
	d2, err := b.Client.DescribePipelines(b.Ctx, &datapipeline.DescribePipelinesInput{PipelineIds: []string{other, id}})
	servertest.OK(t, "DescribePipelines two", err)
	if len(d2.PipelineDescriptionList) != 2 || aws.ToString(d2.PipelineDescriptionList[0].PipelineId) != other || aws.ToString(d2.PipelineDescriptionList[1].PipelineId) != id {
		t.Fatalf("DescribePipelines [other, id] = %+v", d2.PipelineDescriptionList)
	}
	status, raw := b.Raw(t, "DescribePipelines", `{"pipelineIds":[]}`)
	if status != 200 || raw["pipelineDescriptionList"] == nil || len(raw["pipelineDescriptionList"].([]any)) != 0 {
		t.Fatalf("DescribePipelines [] = %d %v, want an empty pipelineDescriptionList", status, raw)
	}
	// No description: no description field.
	if got := servertest.PipelineFields(describeOne(t, b, other).Fields); got["description"] != "" {
		t.Fatalf("fields of a pipeline without description: %v", got)
	}
}

// describeOne describes one pipeline.
func describeOne(t *testing.T, b *bundle, id string) types.PipelineDescription {
	t.Helper()
	d, err := b.Client.DescribePipelines(b.Ctx, &datapipeline.DescribePipelinesInput{PipelineIds: []string{id}})
	servertest.OK(t, "DescribePipelines", err)
	return d.PipelineDescriptionList[0]
}

func TestListPipelinesPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)

	// No pipelines: an empty list and hasMoreResults false, no marker.
	status, raw := b.Raw(t, "ListPipelines", `{}`)
	if status != 200 || raw["hasMoreResults"] != false || raw["marker"] != nil || len(raw["pipelineIdList"].([]any)) != 0 {
		t.Fatalf("ListPipelines of none = %d %v", status, raw)
	}

	var want []string
	for i := range 31 {
		want = append(want, b.Create(t, "p"+string(rune('a'+i%26))))
	}
	// One deleted pipeline is not listed.
	_, err := b.Client.DeletePipeline(b.Ctx, &datapipeline.DeletePipelineInput{PipelineId: aws.String(want[3])})
	servertest.OK(t, "DeletePipeline", err)
	want = slices.Delete(want, 3, 4)

	p1, err := b.Client.ListPipelines(b.Ctx, &datapipeline.ListPipelinesInput{})
	servertest.OK(t, "ListPipelines page 1", err)
	if len(p1.PipelineIdList) != 25 || !p1.HasMoreResults || aws.ToString(p1.Marker) == "" {
		t.Fatalf("page 1: %d ids, hasMoreResults %v, marker %q; want 25, true, a marker", len(p1.PipelineIdList), p1.HasMoreResults, aws.ToString(p1.Marker))
	}
	p2, err := b.Client.ListPipelines(b.Ctx, &datapipeline.ListPipelinesInput{Marker: p1.Marker})
	servertest.OK(t, "ListPipelines page 2", err)
	if len(p2.PipelineIdList) != 5 || p2.HasMoreResults || p2.Marker != nil {
		t.Fatalf("page 2: %d ids, hasMoreResults %v, marker %v; want 5, false, none", len(p2.PipelineIdList), p2.HasMoreResults, p2.Marker)
	}
	var got []string
	for _, p := range append(p1.PipelineIdList, p2.PipelineIdList...) {
		got = append(got, aws.ToString(p.Id))
		if !strings.HasPrefix(aws.ToString(p.Name), "p") {
			t.Fatalf("entry %+v has no name", p)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("listed %q, want %q (creation order)", got, want)
	}

	// On the wire the last page says hasMoreResults false and has no marker.
	status, raw = b.Raw(t, "ListPipelines", `{"marker":"`+aws.ToString(p1.Marker)+`"}`)
	if status != 200 || raw["hasMoreResults"] != false {
		t.Fatalf("last page on the wire: %d %v, want hasMoreResults false", status, raw)
	}
	if _, has := raw["marker"]; has {
		t.Fatalf("last page on the wire has a marker: %v", raw)
	}

	// The SDK paginator walks both pages.
	var all []string
	pages := 0
	for pg := datapipeline.NewListPipelinesPaginator(b.Client, &datapipeline.ListPipelinesInput{}); pg.HasMorePages(); {
		out, err := pg.NextPage(b.Ctx)
		servertest.OK(t, "paginator", err)
		pages++
		for _, p := range out.PipelineIdList {
			all = append(all, aws.ToString(p.Id))
		}
	}
	if pages != 2 || !slices.Equal(all, want) {
		t.Fatalf("paginator: %d pages, %d ids; want 2 pages and the %d pipelines", pages, len(all), len(want))
	}

	_, err = b.Client.ListPipelines(b.Ctx, &datapipeline.ListPipelinesInput{Marker: aws.String("not-a-marker")})
	servertest.WantClientError(t, "ListPipelines bad marker", err, "InvalidRequestException")
}

// TestDeletedAndUnknownPipelines checks the errors of every implemented
// operation for a deleted pipeline, an unknown id and a malformed id.
func TestDeletedAndUnknownPipelines(t *testing.T) {
	t.Parallel()
	b := setup(t)
	deleted := b.Create(t, "doomed")
	b.Put(t, deleted, servertest.HelloPipeline())
	_, err := b.Client.DeletePipeline(b.Ctx, &datapipeline.DeletePipelineInput{PipelineId: aws.String(deleted)})
	servertest.OK(t, "DeletePipeline", err)

	calls := map[string]func(id string) error{
		"DescribePipelines": func(id string) error {
			_, err := b.Client.DescribePipelines(b.Ctx, &datapipeline.DescribePipelinesInput{PipelineIds: []string{id}})
			return err
		},
		"PutPipelineDefinition": func(id string) error {
			_, err := b.Client.PutPipelineDefinition(b.Ctx, &datapipeline.PutPipelineDefinitionInput{PipelineId: aws.String(id), PipelineObjects: servertest.HelloPipeline()})
			return err
		},
		"ValidatePipelineDefinition": func(id string) error {
			_, err := b.Client.ValidatePipelineDefinition(b.Ctx, &datapipeline.ValidatePipelineDefinitionInput{PipelineId: aws.String(id), PipelineObjects: servertest.HelloPipeline()})
			return err
		},
		"GetPipelineDefinition": func(id string) error {
			_, err := b.Client.GetPipelineDefinition(b.Ctx, &datapipeline.GetPipelineDefinitionInput{PipelineId: aws.String(id)})
			return err
		},
		"AddTags": func(id string) error {
			_, err := b.Client.AddTags(b.Ctx, &datapipeline.AddTagsInput{PipelineId: aws.String(id), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		},
		"RemoveTags": func(id string) error {
			_, err := b.Client.RemoveTags(b.Ctx, &datapipeline.RemoveTagsInput{PipelineId: aws.String(id), TagKeys: []string{"k"}})
			return err
		},
		"DescribeObjects": func(id string) error {
			_, err := b.Client.DescribeObjects(b.Ctx, &datapipeline.DescribeObjectsInput{PipelineId: aws.String(id), ObjectIds: []string{"SayHello"}})
			return err
		},
		"QueryObjects": func(id string) error {
			_, err := b.Client.QueryObjects(b.Ctx, &datapipeline.QueryObjectsInput{PipelineId: aws.String(id), Sphere: aws.String("COMPONENT")})
			return err
		},
	}
	for name, call := range calls {
		servertest.WantClientError(t, name+" of a deleted pipeline", call(deleted), "PipelineDeletedException")
		servertest.WantClientError(t, name+" of an unknown pipeline", call("df-0000000000000000000"), "PipelineNotFoundException")
		servertest.WantClientError(t, name+" of a malformed id", call("my-pipeline"), "InvalidRequestException")
	}

	// DeletePipeline has no PipelineDeletedException in the model.
	for _, id := range []string{deleted, "df-0000000000000000000"} {
		_, err = b.Client.DeletePipeline(b.Ctx, &datapipeline.DeletePipelineInput{PipelineId: aws.String(id)})
		servertest.WantClientError(t, "DeletePipeline "+id, err, "PipelineNotFoundException")
	}
	_, err = b.Client.DeletePipeline(b.Ctx, &datapipeline.DeletePipelineInput{PipelineId: aws.String("df-lower")})
	servertest.WantClientError(t, "DeletePipeline malformed", err, "InvalidRequestException")

	// The error body carries Data Pipeline's namespace.
	status, raw := b.Raw(t, "DescribePipelines", `{"pipelineIds":["`+deleted+`"]}`)
	if status != 400 || raw["__type"] != "com.amazon.setl.webservice#PipelineDeletedException" || !strings.Contains(raw["message"].(string), deleted) {
		t.Fatalf("deleted pipeline on the wire: %d %v", status, raw)
	}
}

// TestPipelineBadInput checks inputs the model or the service refuses.
func TestPipelineBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.Create(t, "p")
	ids26 := `"` + strings.Repeat(id+`","`, 25) + id + `"`
	for _, tc := range []struct {
		name, op, body, msg string
	}{
		{"CreatePipeline without name", "CreatePipeline", `{"uniqueId":"u"}`, "name"},
		{"CreatePipeline name too long", "CreatePipeline", `{"name":"` + strings.Repeat("n", 1025) + `","uniqueId":"u"}`, "name"},
		{"CreatePipeline 11 tags", "CreatePipeline", `{"name":"n","uniqueId":"u","tags":[` + strings.TrimSuffix(strings.Repeat(`{"key":"k","value":"v"},`, 11), ",") + `]}`, "tags"},
		{"CreatePipeline tag without value", "CreatePipeline", `{"name":"n","uniqueId":"u","tags":[{"key":"k"}]}`, "value"},
		{"DescribePipelines 26 ids", "DescribePipelines", `{"pipelineIds":[` + ids26 + `]}`, "at most 25"},
		{"ListPipelines bad marker", "ListPipelines", `{"marker":"bm90IGEgbWFya2Vy"}`, "marker"},
		{"GetPipelineDefinition unknown version", "GetPipelineDefinition", `{"pipelineId":"` + id + `","version":"v2"}`, "latest"},
		{"GetPipelineDefinition active before activation", "GetPipelineDefinition", `{"pipelineId":"` + id + `","version":"active"}`, "active"},
		{"PutPipelineDefinition without pipelineObjects", "PutPipelineDefinition", `{"pipelineId":"` + id + `"}`, "pipelineObjects"},
		{"PutPipelineDefinition object without fields", "PutPipelineDefinition", `{"pipelineId":"` + id + `","pipelineObjects":[{"id":"a","name":"a"}]}`, "fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, raw := b.Raw(t, tc.op, tc.body)
			if status != 400 || raw["__type"] != "com.amazon.setl.webservice#InvalidRequestException" {
				t.Fatalf("%s: %d %v, want 400 InvalidRequestException", tc.op, status, raw)
			}
			if msg, _ := raw["message"].(string); !strings.Contains(msg, tc.msg) {
				t.Fatalf("%s: message %q does not mention %q", tc.op, msg, tc.msg)
			}
		})
	}
	// Nothing was created by the refused calls.
	l, err := b.Client.ListPipelines(b.Ctx, &datapipeline.ListPipelinesInput{})
	servertest.OK(t, "ListPipelines", err)
	if len(l.PipelineIdList) != 1 {
		t.Fatalf("ListPipelines lists %d pipelines after bad input, want 1", len(l.PipelineIdList))
	}
}
