package swf

import (
	"context"
	"slices"
	"strings"
	"unicode"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/swferr"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// maxDomainTags is SWF's limit of tags per domain.
const maxDomainTags = 50

type tagResourceInput struct {
	ResourceArn string        `json:"resourceArn"`
	Tags        []ResourceTag `json:"tags"`
}

type untagResourceInput struct {
	ResourceArn string   `json:"resourceArn"`
	TagKeys     []string `json:"tagKeys"`
}

type resourceArnInput struct {
	ResourceArn string `json:"resourceArn"`
}

type listTagsForResourceOutput struct {
	Tags []ResourceTag `json:"tags"`
}

// checkTagText checks a tag key or value: unicode letters, digits,
// whitespace and _ . : / = + - @ only.
func checkTagText(field, v string) error {
	for _, r := range v {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsSpace(r) && !strings.ContainsRune("_.:/=+-@", r) {
			return swferr.ValidationException("Invalid %s '%s': tags may only contain unicode letters, digits, whitespace and _ . : / = + - @", field, v)
		}
	}
	return nil
}

// mergeTags adds tags to old, a tag with a key already present replacing
// the old value, and checks the result.
func mergeTags(old, add []ResourceTag) ([]ResourceTag, error) {
	tags := slices.Clone(old)
	for _, t := range add {
		if err := checkTagText("tag key", t.Key); err != nil {
			return nil, err
		}
		if t.Value != nil {
			if err := checkTagText("tag value", *t.Value); err != nil {
				return nil, err
			}
		}
		if i := slices.IndexFunc(tags, func(x ResourceTag) bool { return x.Key == t.Key }); i >= 0 {
			tags[i].Value = t.Value
		} else {
			tags = append(tags, t)
		}
	}
	if len(tags) > maxDomainTags {
		return nil, swferr.TooManyTagsFault("Too many tags: a domain can have at most %d tags (this would make %d)", maxDomainTags, len(tags))
	}
	return tags, nil
}

// taggedDomain loads the domain resourceArn names. Only domains carry tags;
// an ARN that is not the ARN of an existing domain, well-formed or not, is
// an unknown resource (the model's only error for it).
// A domain of another region or partition than the request's is not seen.
func (s *Service) taggedDomain(ctx context.Context, tx store.Tx, resourceArn string) (*domain, error) {
	unknown := swferr.UnknownResourceFault("Unknown resource: %s (give the ARN of a domain of this region, arn:<partition>:swf:<region>:<account>:/domain/<name>)", resourceArn)
	parts := strings.SplitN(resourceArn, ":", 6)
	region := awsapi.Region(ctx)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != awsapi.Partition(region) || parts[2] != "swf" || parts[3] != region || parts[4] != s.account {
		return nil, unknown
	}
	name, ok := strings.CutPrefix(parts[5], "/domain/")
	if !ok || name == "" {
		return nil, unknown
	}
	var d domain
	if _, err := getJSON(tx, kindDomain, s.domainKey(ctx, name), &d, unknown); err != nil {
		return nil, err
	}
	if d.ARN != resourceArn {
		return nil, unknown
	}
	return &d, nil
}

// TagResource adds tags to a domain or overwrites their values.
func (s *Service) TagResource(ctx context.Context, in *tagResourceInput) (*struct{}, error) {
	if err := awsapi.Authorize(ctx, in.ResourceArn); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx store.Tx) error {
		d, err := s.taggedDomain(ctx, tx, in.ResourceArn)
		if err != nil {
			return err
		}
		if d.Tags, err = mergeTags(d.Tags, in.Tags); err != nil {
			return err
		}
		return putDomain(tx, d)
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// UntagResource removes tags from a domain; keys it does not have are
// ignored.
func (s *Service) UntagResource(ctx context.Context, in *untagResourceInput) (*struct{}, error) {
	if err := awsapi.Authorize(ctx, in.ResourceArn); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx store.Tx) error {
		d, err := s.taggedDomain(ctx, tx, in.ResourceArn)
		if err != nil {
			return err
		}
		d.Tags = slices.DeleteFunc(d.Tags, func(t ResourceTag) bool { return slices.Contains(in.TagKeys, t.Key) })
		return putDomain(tx, d)
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// ListTagsForResource lists a domain's tags in the order they were added.
func (s *Service) ListTagsForResource(ctx context.Context, in *resourceArnInput) (*listTagsForResourceOutput, error) {
	if err := awsapi.Authorize(ctx, in.ResourceArn); err != nil {
		return nil, err
	}
	out := &listTagsForResourceOutput{Tags: []ResourceTag{}}
	err := s.view(ctx, func(tx store.Tx) error {
		d, err := s.taggedDomain(ctx, tx, in.ResourceArn)
		if err != nil {
			return err
		}
		out.Tags = append(out.Tags, d.Tags...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
