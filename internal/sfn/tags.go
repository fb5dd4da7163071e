package sfn

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/sfnerr"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// maxTags is AWS's limit of tags per resource.
const maxTags = 50

func checkTags(tags []Tag) error {
	if len(tags) > maxTags {
		return sfnerr.TooManyTags("Too Many Tags: a resource can have at most %d tags", maxTags)
	}
	return nil
}

// taggable loads the activity or state machine resourceArn names, and
// returns its tags and a function that stores it with new tags.
func (s *Service) taggable(ctx context.Context, tx store.Tx, resourceArn string) ([]Tag, func([]Tag) error, error) {
	notFound := sfnerr.ResourceNotFound("Resource not found: '%s'", resourceArn)
	switch {
	case strings.Contains(resourceArn, ":activity:"):
		if _, err := s.parseARN(ctx, resourceArn, "activity"); errors.Is(err, errForeign) {
			return nil, nil, notFound
		} else if err != nil {
			return nil, nil, err
		}
		var a activity
		if _, err := getObject(tx, kindActivity, resourceArn, &a, notFound); err != nil {
			return nil, nil, err
		}
		return a.Tags, func(t []Tag) error {
			a.Tags = t
			return putObject(tx, kindActivity, a.ARN, "", "", &a)
		}, nil
	case strings.Contains(resourceArn, ":stateMachine:"):
		if _, err := s.parseARN(ctx, resourceArn, "stateMachine"); errors.Is(err, errForeign) {
			return nil, nil, notFound
		} else if err != nil {
			return nil, nil, err
		}
		var m stateMachine
		if _, err := getObject(tx, kindStateMachine, resourceArn, &m, notFound); err != nil {
			return nil, nil, err
		}
		return m.Tags, func(t []Tag) error {
			m.Tags = t
			return putObject(tx, kindStateMachine, m.ARN, "", "", &m)
		}, nil
	}
	return nil, nil, sfnerr.InvalidArn("Invalid Arn: '%s' is not an activity or state machine ARN", resourceArn)
}

// TagResource adds or overwrites tags of an activity or state machine.
func (s *Service) TagResource(ctx context.Context, in *tagResourceInput) (*empty, error) {
	if err := awsapi.Authorize(ctx, in.ResourceArn); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx store.Tx) error {
		tags, save, err := s.taggable(ctx, tx, in.ResourceArn)
		if err != nil {
			return err
		}
		for _, t := range in.Tags {
			i := slices.IndexFunc(tags, func(x Tag) bool { return x.Key == t.Key })
			if i >= 0 {
				tags[i].Value = t.Value
			} else {
				tags = append(tags, t)
			}
		}
		if err := checkTags(tags); err != nil {
			return err
		}
		return save(tags)
	})
	return &empty{}, err
}

// UntagResource removes tags from an activity or state machine.
func (s *Service) UntagResource(ctx context.Context, in *untagResourceInput) (*empty, error) {
	if err := awsapi.Authorize(ctx, in.ResourceArn); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx store.Tx) error {
		tags, save, err := s.taggable(ctx, tx, in.ResourceArn)
		if err != nil {
			return err
		}
		tags = slices.DeleteFunc(tags, func(t Tag) bool { return slices.Contains(in.TagKeys, t.Key) })
		return save(tags)
	})
	return &empty{}, err
}

// ListTagsForResource lists the tags of an activity or state machine.
func (s *Service) ListTagsForResource(ctx context.Context, in *resourceArnInput) (*listTagsOutput, error) {
	if err := awsapi.Authorize(ctx, in.ResourceArn); err != nil {
		return nil, err
	}
	out := &listTagsOutput{Tags: []Tag{}}
	err := s.view(ctx, func(tx store.Tx) error {
		tags, _, err := s.taggable(ctx, tx, in.ResourceArn)
		out.Tags = append(out.Tags, tags...)
		return err
	})
	return out, err
}
