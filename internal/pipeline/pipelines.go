package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/dperr"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// Limits.
const (
	// listPageSize is the number of pipelines in one ListPipelines page:
	// what one DescribePipelines call takes.
	listPageSize = 25
	// maxDescribePipelines is the most ids DescribePipelines takes (model
	// documentation).
	maxDescribePipelines = 25
	// pipelineIDLength is the number of characters after "df-".
	pipelineIDLength = 19
)

func (s *Service) pipelineOps() map[string]awsapi.Operation {
	return map[string]awsapi.Operation{
		"CreatePipeline":    awsapi.Op(s.CreatePipeline),
		"DeletePipeline":    awsapi.Op(s.DeletePipeline),
		"DescribePipelines": awsapi.Op(s.DescribePipelines),
		"ListPipelines":     awsapi.Op(s.ListPipelines),
	}
}

type createPipelineInput struct {
	Name        string `json:"name"`
	UniqueID    string `json:"uniqueId"`
	Description string `json:"description"`
	Tags        []Tag  `json:"tags"`
}

type createPipelineOutput struct {
	PipelineID string `json:"pipelineId"`
}

type pipelineIDInput struct {
	PipelineID string `json:"pipelineId"`
}

type describePipelinesInput struct {
	PipelineIDs []string `json:"pipelineIds"`
}

// PipelineDescription is what DescribePipelines tells of a pipeline.
type PipelineDescription struct {
	PipelineID  string  `json:"pipelineId"`
	Name        string  `json:"name"`
	Fields      []Field `json:"fields"`
	Description string  `json:"description,omitempty"`
	Tags        []Tag   `json:"tags,omitempty"`
}

type describePipelinesOutput struct {
	PipelineDescriptionList []PipelineDescription `json:"pipelineDescriptionList"`
}

type listPipelinesInput struct {
	Marker string `json:"marker"`
}

// PipelineIDName names a pipeline in ListPipelines.
type PipelineIDName struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type listPipelinesOutput struct {
	PipelineIDList []PipelineIDName `json:"pipelineIdList"`
	Marker         string           `json:"marker,omitempty"`
	HasMoreResults bool             `json:"hasMoreResults"`
}

// newPipelineID returns a pipeline id no pipeline, live or deleted, has.
func newPipelineID(tx store.Tx) (string, error) {
	for {
		// rand.Text is base32: upper-case letters and the digits 2-7.
		id := "df-" + rand.Text()[:pipelineIDLength]
		taken := false
		for _, kind := range []string{kindPipeline, kindDeleted} {
			_, err := tx.GetObject(kind, id)
			if err == nil {
				taken = true
			} else if !errors.Is(err, store.ErrNotFound) {
				return "", err
			}
		}
		if !taken {
			return id, nil
		}
	}
}

// CreatePipeline creates an empty pipeline, or returns the id of the one
// already created with the same name and uniqueId.
func (s *Service) CreatePipeline(ctx context.Context, in *createPipelineInput) (*createPipelineOutput, error) {
	if err := awsapi.Authorize(ctx, "*"); err != nil {
		return nil, err
	}
	tags, err := mergeTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	now := s.eng.Now().UTC()
	var id string
	err = s.update(ctx, func(tx store.Tx) error {
		idx := uniqueIndex{}
		if _, err := store.GetJSON(tx, s.uniqueKind(awsapi.Region(ctx)), in.UniqueID, &idx); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if existing, ok := idx[in.Name]; ok {
			id = existing
			return nil
		}
		newID, err := newPipelineID(tx)
		if err != nil {
			return err
		}
		p := &pipelineRecord{
			ID:          newID,
			Name:        in.Name,
			UniqueID:    in.UniqueID,
			Description: in.Description,
			Tags:        tags,
			State:       statePending,
			Created:     now,
			Account:     s.account,
			Creator:     s.account,
			Region:      awsapi.Region(ctx),
		}
		body, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("encode pipeline: %w", err)
		}
		if err := tx.InsertObject(&store.Object{Kind: kindPipeline, ID: p.ID, Status: p.State, Body: body}); err != nil {
			return err
		}
		idx[in.Name] = p.ID
		if err := store.PutJSON(tx, &store.Object{Kind: s.uniqueKind(awsapi.Region(ctx)), ID: in.UniqueID}, idx); err != nil {
			return err
		}
		id = p.ID
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &createPipelineOutput{PipelineID: id}, nil
}

// DeletePipeline deletes a pipeline and its definitions, leaving a
// tombstone so that its id answers PipelineDeletedException from then on.
func (s *Service) DeletePipeline(ctx context.Context, in *pipelineIDInput) (*struct{}, error) {
	if err := s.authorize(ctx, in.PipelineID); err != nil {
		return nil, err
	}
	now := s.eng.Now().UTC()
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPipelineIn(ctx, tx, in.PipelineID)
		var ae *awsapi.Error
		if errors.As(err, &ae) && ae.Code == dperr.CodePipelineDeletedException {
			// The model gives DeletePipeline no PipelineDeletedException.
			return dperr.PipelineNotFoundException("Pipeline %s does not exist: it was deleted", in.PipelineID)
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteObject(kindPipeline, p.ID); err != nil {
			return err
		}
		for _, v := range []string{versionLatest, versionActive} {
			if err := tx.DeleteObject(kindDefinition, definitionID(p.ID, v)); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if err := s.deleteRun(tx, p.ID); err != nil {
			return err
		}
		if err := s.forgetUniqueID(tx, p); err != nil {
			return err
		}
		return store.PutJSON(tx, &store.Object{Kind: kindDeleted, ID: p.ID},
			&tombstone{ID: p.ID, Name: p.Name, UniqueID: p.UniqueID, Deleted: now})
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// uniqueKind is the store kind of the uniqueId index of region: each
// region has its own, so that CreatePipeline is idempotent per region. The
// node's default region keeps the kind it always had.
func (s *Service) uniqueKind(region string) string {
	if region == s.home {
		return kindUniqueID
	}
	return kindUniqueID + "@" + region
}

// forgetUniqueID frees the (name, uniqueId) of a deleted pipeline.
func (s *Service) forgetUniqueID(tx store.Tx, p *pipelineRecord) error {
	kind := s.uniqueKind(s.region(p))
	idx := uniqueIndex{}
	if _, err := store.GetJSON(tx, kind, p.UniqueID, &idx); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	if idx[p.Name] != p.ID {
		return nil
	}
	delete(idx, p.Name)
	if len(idx) == 0 {
		return tx.DeleteObject(kind, p.UniqueID)
	}
	return store.PutJSON(tx, &store.Object{Kind: kind, ID: p.UniqueID}, idx)
}

// DescribePipelines describes up to 25 pipelines, in the order asked.
func (s *Service) DescribePipelines(ctx context.Context, in *describePipelinesInput) (*describePipelinesOutput, error) {
	if n := len(in.PipelineIDs); n > maxDescribePipelines {
		return nil, invalid("Too many pipelineIds: DescribePipelines takes at most %d (got %d)", maxDescribePipelines, n)
	}
	for _, id := range in.PipelineIDs {
		if err := s.authorize(ctx, id); err != nil {
			return nil, err
		}
	}
	if len(in.PipelineIDs) == 0 {
		// Nothing to read: authorized on no resource.
		if err := awsapi.Authorize(ctx, "*"); err != nil {
			return nil, err
		}
	}
	out := &describePipelinesOutput{PipelineDescriptionList: []PipelineDescription{}}
	err := s.view(ctx, func(tx store.Tx) error {
		for _, id := range in.PipelineIDs {
			p, err := s.loadPipelineIn(ctx, tx, id)
			if err != nil {
				return err
			}
			h, err := loadHealth(tx, p.ID)
			if err != nil {
				return err
			}
			out.PipelineDescriptionList = append(out.PipelineDescriptionList, p.describe(h))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// describe returns the pipeline's description, its fields in the order of
// AWS's example; h gives @healthStatus.
func (p *pipelineRecord) describe(h *healthRecord) PipelineDescription {
	fields := []Field{strField("@pipelineState", p.State)}
	if st := h.status(); st != "" {
		fields = append(fields,
			strField("@healthStatus", st),
			strField("@healthStatusFromInstanceId", h.From),
			strField("@healthStatusUpdatedTime", h.At.Format(fieldTime)),
		)
	}
	if p.Description != "" {
		fields = append(fields, strField("description", p.Description))
	}
	fields = append(fields,
		strField("name", p.Name),
		strField("@creationTime", p.Created.UTC().Format(fieldTime)),
		strField("@id", p.ID),
		strField("@sphere", spherePipeline),
	)
	if p.Version > 0 {
		fields = append(fields, strField("@version", strconv.Itoa(p.Version)))
	}
	fields = append(fields,
		strField("@userId", p.Creator),
		strField("@accountId", p.Account),
		strField("uniqueId", p.UniqueID),
		strField("pipelineCreator", p.Creator),
	)
	return PipelineDescription{PipelineID: p.ID, Name: p.Name, Fields: fields, Description: p.Description, Tags: p.Tags}
}

// ListPipelines lists the live pipelines of the caller's region (those
// created before pipelines recorded their region are the default
// region's), oldest first, 25 a page. The
// store does not index regions: the listing reads on past other regions'
// pipelines until the page is full, and the marker holds the position of
// the page's last pipeline.
func (s *Service) ListPipelines(ctx context.Context, in *listPipelinesInput) (*listPipelinesOutput, error) {
	if err := awsapi.Authorize(ctx, "*"); err != nil {
		return nil, err
	}
	region := awsapi.Region(ctx)
	listing := awsapi.ListingKey("ListPipelines", region)
	after, err := s.parseMarker(listing, in.Marker)
	if err != nil {
		return nil, err
	}
	type listed struct {
		seq  int64
		item PipelineIDName
	}
	var page []listed
	err = s.view(ctx, func(tx store.Tx) error {
		for cursor := after; ; {
			objs, err := tx.ListObjects(store.ObjectQuery{Kind: kindPipeline, AfterSeq: cursor, Limit: listPageSize + 1})
			if err != nil {
				return err
			}
			for _, o := range objs {
				var p pipelineRecord
				if err := json.Unmarshal(o.Body, &p); err != nil {
					return fmt.Errorf("decode pipeline %s: %w", o.ID, err)
				}
				if s.region(&p) == region && len(page) <= listPageSize {
					page = append(page, listed{seq: o.Seq, item: PipelineIDName{ID: p.ID, Name: p.Name}})
				}
			}
			if len(page) > listPageSize || len(objs) <= listPageSize {
				return nil
			}
			cursor = objs[len(objs)-1].Seq
		}
	})
	if err != nil {
		return nil, err
	}
	out := &listPipelinesOutput{PipelineIDList: []PipelineIDName{}}
	if len(page) > listPageSize {
		page = page[:listPageSize]
		out.HasMoreResults = true
		out.Marker = s.pageToken(listing, page[len(page)-1].seq)
	}
	for _, l := range page {
		out.PipelineIDList = append(out.PipelineIDList, l.item)
	}
	return out, nil
}
