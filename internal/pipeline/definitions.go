package pipeline

import (
	"context"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/store"
)

func (s *Service) definitionOps() map[string]awsapi.Operation {
	return map[string]awsapi.Operation{
		"PutPipelineDefinition":      awsapi.Op(s.PutPipelineDefinition),
		"ValidatePipelineDefinition": awsapi.Op(s.ValidatePipelineDefinition),
		"GetPipelineDefinition":      awsapi.Op(s.GetPipelineDefinition),
	}
}

type definitionInput struct {
	PipelineID       string            `json:"pipelineId"`
	PipelineObjects  []PipelineObject  `json:"pipelineObjects"`
	ParameterObjects []ParameterObject `json:"parameterObjects"`
	ParameterValues  []ParameterValue  `json:"parameterValues"`
}

// validationOutput answers PutPipelineDefinition and
// ValidatePipelineDefinition.
type validationOutput struct {
	ValidationErrors   []ValidationError   `json:"validationErrors,omitempty"`
	ValidationWarnings []ValidationWarning `json:"validationWarnings,omitempty"`
	Errored            bool                `json:"errored"`
}

func (r *report) output() *validationOutput {
	return &validationOutput{ValidationErrors: r.errs, ValidationWarnings: r.warns, Errored: r.errored()}
}

type getDefinitionInput struct {
	PipelineID string `json:"pipelineId"`
	Version    string `json:"version"`
}

type getDefinitionOutput struct {
	PipelineObjects  []PipelineObject  `json:"pipelineObjects"`
	ParameterObjects []ParameterObject `json:"parameterObjects,omitempty"`
	ParameterValues  []ParameterValue  `json:"parameterValues,omitempty"`
}

// PutPipelineDefinition validates a definition and, if it has no errors,
// saves it as the pipeline's latest definition. Validation errors and
// warnings are answered in the response; with errors nothing is saved.
func (s *Service) PutPipelineDefinition(ctx context.Context, in *definitionInput) (*validationOutput, error) {
	if err := s.authorize(ctx, in.PipelineID); err != nil {
		return nil, err
	}
	rep := validateDefinition(in.PipelineID, in.PipelineObjects, in.ParameterObjects, in.ParameterValues)
	now := s.eng.Now().UTC()
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPipelineIn(ctx, tx, in.PipelineID)
		if err != nil || rep.errored() {
			return err
		}
		p.Version++
		def := &definitionRecord{
			Version:          p.Version,
			Saved:            now,
			Objects:          in.PipelineObjects,
			ParameterObjects: in.ParameterObjects,
			ParameterValues:  in.ParameterValues,
		}
		if err := putDefinition(tx, p.ID, versionLatest, def); err != nil {
			return err
		}
		return putPipeline(tx, p)
	})
	if err != nil {
		return nil, err
	}
	return rep.output(), nil
}

// ValidatePipelineDefinition validates a definition against a pipeline
// without saving it.
func (s *Service) ValidatePipelineDefinition(ctx context.Context, in *definitionInput) (*validationOutput, error) {
	if err := s.authorize(ctx, in.PipelineID); err != nil {
		return nil, err
	}
	err := s.view(ctx, func(tx store.Tx) error {
		_, err := s.loadPipelineIn(ctx, tx, in.PipelineID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return validateDefinition(in.PipelineID, in.PipelineObjects, in.ParameterObjects, in.ParameterValues).output(), nil
}

// GetPipelineDefinition returns the pipeline's latest definition (an empty
// one if none was put) or, with version "active", the definition last
// activated.
func (s *Service) GetPipelineDefinition(ctx context.Context, in *getDefinitionInput) (*getDefinitionOutput, error) {
	if err := s.authorize(ctx, in.PipelineID); err != nil {
		return nil, err
	}
	version := in.Version
	switch version {
	case "":
		version = versionLatest
	case versionLatest, versionActive:
	default:
		return nil, invalid("Invalid version '%s': give latest (the default) or active", in.Version)
	}
	out := &getDefinitionOutput{PipelineObjects: []PipelineObject{}}
	err := s.view(ctx, func(tx store.Tx) error {
		p, err := s.loadPipelineIn(ctx, tx, in.PipelineID)
		if err != nil {
			return err
		}
		def, ok, err := loadDefinition(tx, p.ID, version)
		if err != nil {
			return err
		}
		if !ok {
			if version == versionActive {
				return invalid("Pipeline %s has no active definition: it has never been activated", p.ID)
			}
			return nil
		}
		if def.Objects != nil {
			out.PipelineObjects = def.Objects
		}
		out.ParameterObjects, out.ParameterValues = def.ParameterObjects, def.ParameterValues
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
