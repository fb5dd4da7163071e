package pipeline

import (
	"context"
	"slices"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// maxTags is Data Pipeline's limit of tags per pipeline.
const maxTags = 10

func (s *Service) tagOps() map[string]awsapi.Operation {
	return map[string]awsapi.Operation{
		"AddTags":    awsapi.Op(s.AddTags),
		"RemoveTags": awsapi.Op(s.RemoveTags),
	}
}

type addTagsInput struct {
	PipelineID string `json:"pipelineId"`
	Tags       []Tag  `json:"tags"`
}

type removeTagsInput struct {
	PipelineID string   `json:"pipelineId"`
	TagKeys    []string `json:"tagKeys"`
}

// mergeTags adds tags to old, a tag whose key is already there replacing
// its value, and checks the limit of tags per pipeline.
func mergeTags(old, add []Tag) ([]Tag, error) {
	tags := slices.Clone(old)
	for _, t := range add {
		if i := slices.IndexFunc(tags, func(x Tag) bool { return x.Key == t.Key }); i >= 0 {
			tags[i].Value = t.Value
		} else {
			tags = append(tags, t)
		}
	}
	if len(tags) > maxTags {
		return nil, invalid("Too many tags: a pipeline can have at most %d tags (this would make %d)", maxTags, len(tags))
	}
	return tags, nil
}

// AddTags adds tags to a pipeline or changes their values.
func (s *Service) AddTags(ctx context.Context, in *addTagsInput) (*struct{}, error) {
	if err := s.authorize(ctx, in.PipelineID); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPipelineIn(ctx, tx, in.PipelineID)
		if err != nil {
			return err
		}
		if p.Tags, err = mergeTags(p.Tags, in.Tags); err != nil {
			return err
		}
		return putPipeline(tx, p)
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// RemoveTags removes tags from a pipeline; keys it does not have are
// ignored.
func (s *Service) RemoveTags(ctx context.Context, in *removeTagsInput) (*struct{}, error) {
	if err := s.authorize(ctx, in.PipelineID); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPipelineIn(ctx, tx, in.PipelineID)
		if err != nil {
			return err
		}
		n := len(p.Tags)
		p.Tags = slices.DeleteFunc(p.Tags, func(t Tag) bool { return slices.Contains(in.TagKeys, t.Key) })
		if len(p.Tags) == n {
			return nil
		}
		return putPipeline(tx, p)
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}
