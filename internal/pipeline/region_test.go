package pipeline_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// regionClient returns a Data Pipeline client signing for region.
func regionClient(b *bundle, region string) *datapipeline.Client {
	return datapipeline.NewFromConfig(servertest.RegionConfig(b.URL, region))
}

// TestListPipelinesByRegion: ListPipelines lists the pipelines created from
// the caller's region only; its 25-a-page pages stay full although the
// other region's pipelines are interleaved with them, and its markers are
// signed.
func TestListPipelinesByRegion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	east, west := regionClient(b, "us-east-1"), regionClient(b, "eu-west-1")
	made := map[*datapipeline.Client][]string{}
	for range 26 {
		for _, c := range []*datapipeline.Client{east, west} {
			name := servertest.Uniq("region")
			out, err := c.CreatePipeline(b.Ctx, &datapipeline.CreatePipelineInput{Name: aws.String(name), UniqueId: aws.String(name)})
			if err != nil {
				t.Fatal(err)
			}
			made[c] = append(made[c], *out.PipelineId)
		}
	}
	var eastFirst *datapipeline.ListPipelinesOutput
	for c, region := range map[*datapipeline.Client]string{east: "us-east-1", west: "eu-west-1"} {
		var listed []string
		var sizes []int
		for pg := datapipeline.NewListPipelinesPaginator(c, &datapipeline.ListPipelinesInput{}); pg.HasMorePages(); {
			out, err := pg.NextPage(b.Ctx)
			if err != nil {
				t.Fatal(err)
			}
			if c == east && eastFirst == nil {
				eastFirst = out
			}
			sizes = append(sizes, len(out.PipelineIdList))
			for _, p := range out.PipelineIdList {
				listed = append(listed, *p.Id)
			}
		}
		if !slices.Equal(listed, made[c]) || !slices.Equal(sizes, []int{25, 1}) {
			t.Errorf("%s lists %v in pages of %v, want %v in pages of [25 1]", region, listed, sizes, made[c])
		}
	}

	// A real marker works; edited anywhere, or used in another region, it
	// is refused as a garbled one always was.
	marker := aws.ToString(eastFirst.Marker)
	out, err := east.ListPipelines(b.Ctx, &datapipeline.ListPipelinesInput{Marker: aws.String(marker)})
	if err != nil || len(out.PipelineIdList) != 1 || *out.PipelineIdList[0].Id != made[east][25] {
		t.Fatalf("second page with a real marker: %v, %v", out, err)
	}
	for i := range len(marker) - 1 { // the last character may carry only ignored bits
		_, err := east.ListPipelines(b.Ctx, &datapipeline.ListPipelinesInput{Marker: aws.String(servertest.EditToken(marker, i))})
		servertest.WantClientError(t, fmt.Sprintf("marker edited at %d", i), err, "InvalidRequestException")
	}
	_, err = west.ListPipelines(b.Ctx, &datapipeline.ListPipelinesInput{Marker: aws.String(marker)})
	servertest.WantClientError(t, "another region's marker", err, "InvalidRequestException")
}

// TestPipelinesApart: a pipeline created in eu-west-1 does not exist from
// us-east-1, whose uniqueIds and worker groups are its own.
func TestPipelinesApart(t *testing.T) {
	t.Parallel()
	b := setup(t)
	east := regionClient(b, "us-east-1")
	west := datapipeline.NewFromConfig(servertest.AWSConfig(b.URL), func(o *datapipeline.Options) { o.Region = "eu-west-1" })
	wg, uid := servertest.Uniq("wg"), servertest.Uniq("uid")
	ids := map[*datapipeline.Client]string{}
	for _, c := range []*datapipeline.Client{west, east} {
		out, err := c.CreatePipeline(b.Ctx, &datapipeline.CreatePipelineInput{Name: aws.String("p"), UniqueId: aws.String(uid)})
		servertest.OK(t, "CreatePipeline", err)
		ids[c] = *out.PipelineId
		_, err = c.PutPipelineDefinition(b.Ctx, &datapipeline.PutPipelineDefinitionInput{PipelineId: out.PipelineId, PipelineObjects: []types.PipelineObject{onDemand(wg), shell("Hello", ref("parent", "Default"))}})
		servertest.OK(t, "PutPipelineDefinition", err)
		_, err = c.ActivatePipeline(b.Ctx, &datapipeline.ActivatePipelineInput{PipelineId: out.PipelineId})
		servertest.OK(t, "ActivatePipeline", err)
	}
	if ids[west] == ids[east] {
		t.Fatalf("one uniqueId in two regions made one pipeline, %s", ids[west])
	}
	w := ids[west]
	_, err := east.DescribePipelines(b.Ctx, &datapipeline.DescribePipelinesInput{PipelineIds: []string{w}})
	servertest.WantClientError(t, "DescribePipelines", err, "PipelineNotFoundException")
	_, err = east.GetPipelineDefinition(b.Ctx, &datapipeline.GetPipelineDefinitionInput{PipelineId: aws.String(w)})
	servertest.WantClientError(t, "GetPipelineDefinition", err, "PipelineNotFoundException")
	_, err = east.QueryObjects(b.Ctx, &datapipeline.QueryObjectsInput{PipelineId: aws.String(w), Sphere: aws.String("INSTANCE")})
	servertest.WantClientError(t, "QueryObjects", err, "PipelineNotFoundException")
	_, err = east.DeactivatePipeline(b.Ctx, &datapipeline.DeactivatePipelineInput{PipelineId: aws.String(w)})
	servertest.WantClientError(t, "DeactivatePipeline", err, "PipelineNotFoundException")
	_, err = east.DeletePipeline(b.Ctx, &datapipeline.DeletePipelineInput{PipelineId: aws.String(w)})
	servertest.WantClientError(t, "DeletePipeline", err, "PipelineNotFoundException")

	// Worker groups: us-east-1's runner gets its own pipeline's task and
	// never eu-west-1's; eu-west-1's runner gets that one.
	for _, c := range []*datapipeline.Client{east, west} {
		var task *types.TaskObject
		for range 10 {
			out, err := c.PollForTask(b.Ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String(wg)})
			servertest.OK(t, "PollForTask", err)
			if task = out.TaskObject; task != nil {
				break
			}
		}
		if task == nil || aws.ToString(task.PipelineId) != ids[c] {
			t.Fatalf("task %+v, want one of %s", task, ids[c])
		}
	}
	out, err := east.PollForTask(b.Ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String(wg)})
	servertest.OK(t, "PollForTask", err)
	if out.TaskObject != nil {
		t.Fatalf("us-east-1 polled a second task: %+v", out.TaskObject)
	}
	desc, err := west.DescribePipelines(b.Ctx, &datapipeline.DescribePipelinesInput{PipelineIds: []string{w}})
	servertest.OK(t, "DescribePipelines in eu-west-1", err)
	if st := servertest.PipelineFields(desc.PipelineDescriptionList[0].Fields)["@pipelineState"]; st != "SCHEDULED" {
		t.Errorf("eu-west-1's pipeline is %s, want SCHEDULED", st)
	}
}
