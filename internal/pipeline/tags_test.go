package pipeline_test

import (
	"fmt"
	"maps"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

func tag(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }

func tagMap(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func TestTags(t *testing.T) {
	t.Parallel()
	b := setup(t)
	out, err := b.Client.CreatePipeline(b.Ctx, &datapipeline.CreatePipelineInput{
		Name: aws.String("tagged"), UniqueId: aws.String("tagged-1"),
		Tags: []types.Tag{tag("team", "data"), tag("env", "dev")},
	})
	servertest.OK(t, "CreatePipeline", err)
	id := aws.ToString(out.PipelineId)
	tags := func() map[string]string {
		t.Helper()
		return tagMap(describeOne(t, b, id).Tags)
	}
	wantTags := func(what string, want map[string]string) {
		t.Helper()
		if got := tags(); !maps.Equal(got, want) {
			t.Fatalf("%s: tags = %v, want %v", what, got, want)
		}
	}
	wantTags("created", map[string]string{"team": "data", "env": "dev"})

	_, err = b.Client.AddTags(b.Ctx, &datapipeline.AddTagsInput{PipelineId: aws.String(id), Tags: []types.Tag{tag("env", "prod"), tag("owner", "ana"), tag("empty", "")}})
	servertest.OK(t, "AddTags", err)
	wantTags("after AddTags", map[string]string{"team": "data", "env": "prod", "owner": "ana", "empty": ""})

	_, err = b.Client.RemoveTags(b.Ctx, &datapipeline.RemoveTagsInput{PipelineId: aws.String(id), TagKeys: []string{"owner", "no-such-key"}})
	servertest.OK(t, "RemoveTags", err)
	wantTags("after RemoveTags", map[string]string{"team": "data", "env": "prod", "empty": ""})

	// Up to 10 tags; the 11th is refused and nothing changes.
	var more []types.Tag
	for i := range 7 {
		more = append(more, tag(fmt.Sprintf("k%d", i), "v"))
	}
	_, err = b.Client.AddTags(b.Ctx, &datapipeline.AddTagsInput{PipelineId: aws.String(id), Tags: more})
	servertest.OK(t, "AddTags to 10", err)
	if n := len(tags()); n != 10 {
		t.Fatalf("%d tags, want 10", n)
	}
	_, err = b.Client.AddTags(b.Ctx, &datapipeline.AddTagsInput{PipelineId: aws.String(id), Tags: []types.Tag{tag("eleventh", "v")}})
	servertest.WantClientError(t, "AddTags an 11th tag", err, "InvalidRequestException")
	if got := tags(); len(got) != 10 || got["eleventh"] != "" {
		t.Fatalf("tags after a refused AddTags: %v", got)
	}
	// Changing a value at the limit is fine.
	_, err = b.Client.AddTags(b.Ctx, &datapipeline.AddTagsInput{PipelineId: aws.String(id), Tags: []types.Tag{tag("env", "test")}})
	servertest.OK(t, "AddTags overwrite at the limit", err)
	if got := tags()["env"]; got != "test" {
		t.Fatalf("env = %q, want test", got)
	}

	// The model's limits: at most 10 tags a call, keys 1-128 characters.
	eleven := make([]types.Tag, 11)
	for i := range eleven {
		eleven[i] = tag(fmt.Sprintf("t%d", i), "v")
	}
	_, err = b.Client.CreatePipeline(b.Ctx, &datapipeline.CreatePipelineInput{Name: aws.String("n"), UniqueId: aws.String("u"), Tags: eleven})
	servertest.WantClientError(t, "CreatePipeline with 11 tags", err, "InvalidRequestException")
	_, err = b.Client.AddTags(b.Ctx, &datapipeline.AddTagsInput{PipelineId: aws.String(id), Tags: []types.Tag{tag("", "v")}})
	servertest.WantClientError(t, "AddTags empty key", err, "InvalidRequestException")
}
