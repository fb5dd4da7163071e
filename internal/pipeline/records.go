package pipeline

import (
	"errors"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi/dperr"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// Object kinds in the store.
const (
	kindPipeline   = "pipeline.pipeline"   // ID: pipelineId; Status: the pipeline state
	kindDeleted    = "pipeline.deleted"    // ID: pipelineId; Body: tombstone
	kindUniqueID   = "pipeline.uniqueid"   // ID: uniqueId; Body: uniqueIndex
	kindDefinition = "pipeline.definition" // ID: pipelineId|latest or pipelineId|active; Parent: pipelineId
)

// Definition versions, as GetPipelineDefinition names them.
const (
	versionLatest = "latest"
	versionActive = "active"
)

// definitionID names a pipeline's definition of one version.
func definitionID(pipelineID, version string) string { return pipelineID + "|" + version }

// Pipeline states (@pipelineState). A pipeline is PENDING until it is first
// activated; activation brings SCHEDULED, DEACTIVATING, INACTIVE, FINISHED...
const statePending = "PENDING"

// Spheres of pipeline objects.
const (
	spherePipeline  = "PIPELINE"
	sphereComponent = "COMPONENT"
	sphereInstance  = "INSTANCE"
	sphereAttempt   = "ATTEMPT"
)

// fieldTime is the layout of times in field values: UTC, no zone.
const fieldTime = "2006-01-02T15:04:05"

// pipelineRecord is the stored record of a pipeline.
type pipelineRecord struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	UniqueID    string    `json:"uniqueId"`
	Description string    `json:"description,omitempty"`
	Tags        []Tag     `json:"tags,omitempty"`
	State       string    `json:"state"` // @pipelineState
	Created     time.Time `json:"created"`
	Account     string    `json:"account"`
	Creator     string    `json:"creator"`
	// Region is the region of the request that created the pipeline, the
	// only region whose ListPipelines lists it; "" for pipelines created
	// before regions were recorded, which every region lists.
	Region string `json:"region,omitempty"`
	// Version counts the definitions PutPipelineDefinition saved (0: none);
	// the latest definition has this version.
	Version int `json:"version"`
	// ActiveVersion is the version of the definition last activated (0:
	// never activated).
	ActiveVersion int `json:"activeVersion,omitempty"`
	// Run numbers the activations that started a run; Activated is when
	// the current run started (startAt FIRST_ACTIVATION_DATE_TIME).
	Run       int       `json:"run,omitempty"`
	Activated time.Time `json:"activated,omitzero"`
	// Paused holds, per Schedule id, the next period of a schedule whose
	// timer fired while the pipeline was deactivated.
	Paused map[string]int `json:"paused,omitempty"`
}

// tombstone is what a deleted pipeline leaves.
type tombstone struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	UniqueID string    `json:"uniqueId"`
	Deleted  time.Time `json:"deleted"`
}

// uniqueIndex maps the names of the pipelines created with one uniqueId to
// their ids.
type uniqueIndex map[string]string

// definitionRecord is one saved version of a pipeline definition, exactly
// as it was put.
type definitionRecord struct {
	Version          int               `json:"version"`
	Saved            time.Time         `json:"saved"`
	Objects          []PipelineObject  `json:"objects"`
	ParameterObjects []ParameterObject `json:"parameterObjects,omitempty"`
	ParameterValues  []ParameterValue  `json:"parameterValues,omitempty"`
}

// Shapes shared by several operations, with the model's member names.

// Field is one key and value of a pipeline object: a string or a reference
// to another object (never both in a valid definition).
type Field struct {
	Key         string  `json:"key"`
	StringValue *string `json:"stringValue,omitempty"`
	RefValue    *string `json:"refValue,omitempty"`
}

// PipelineObject is one object of a pipeline definition.
type PipelineObject struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	Fields []Field `json:"fields"`
}

// ParameterAttribute is one attribute of a parameter object.
type ParameterAttribute struct {
	Key         string `json:"key"`
	StringValue string `json:"stringValue"`
}

// ParameterObject declares a parameter of a definition.
type ParameterObject struct {
	ID         string               `json:"id"`
	Attributes []ParameterAttribute `json:"attributes"`
}

// ParameterValue gives a parameter a value (array parameters repeat it).
type ParameterValue struct {
	ID          string `json:"id"`
	StringValue string `json:"stringValue"`
}

// Tag is a pipeline tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// strField returns a string field.
func strField(key, value string) Field { return Field{Key: key, StringValue: &value} }

// loadPipeline reads a live pipeline. An id that is not well-formed
// answers InvalidRequestException, a deleted pipeline
// PipelineDeletedException and an unknown one PipelineNotFoundException.
func loadPipeline(tx store.Tx, id string) (*pipelineRecord, error) {
	if err := checkPipelineID(id); err != nil {
		return nil, err
	}
	var p pipelineRecord
	_, err := store.GetJSON(tx, kindPipeline, id, &p)
	if err == nil {
		return &p, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if _, err := tx.GetObject(kindDeleted, id); err == nil {
		return nil, dperr.PipelineDeletedException("Pipeline %s was deleted", id)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return nil, dperr.PipelineNotFoundException("Pipeline %s does not exist", id)
}

// putPipeline stores a pipeline, with its state as the object's status.
func putPipeline(tx store.Tx, p *pipelineRecord) error {
	return store.PutJSON(tx, &store.Object{Kind: kindPipeline, ID: p.ID, Status: p.State}, p)
}

// loadDefinition reads a pipeline's definition of one version; ok is false
// if it has none.
func loadDefinition(tx store.Tx, pipelineID, version string) (def *definitionRecord, ok bool, err error) {
	def = new(definitionRecord)
	_, err = store.GetJSON(tx, kindDefinition, definitionID(pipelineID, version), def)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return def, true, nil
}

// putDefinition stores a pipeline's definition of one version.
func putDefinition(tx store.Tx, pipelineID, version string, def *definitionRecord) error {
	return store.PutJSON(tx, &store.Object{Kind: kindDefinition, ID: definitionID(pipelineID, version), Parent: pipelineID}, def)
}

// componentDefinition returns the definition whose objects are the
// pipeline's components (nil if it has none): the latest one.
func componentDefinition(tx store.Tx, p *pipelineRecord) (*definitionRecord, error) {
	def, _, err := loadDefinition(tx, p.ID, versionLatest)
	return def, err
}

// activeDef is a decoded active definition. It is shared: read-only.
type activeDef struct {
	run     int // the pipeline run it is the definition of
	version int
	ix      *index
	params  map[string][]string
}

// env returns an evaluation environment over the definition for pipeline
// pipelineID (its own, to set runtime fields on).
func (d *activeDef) env(pipelineID string) *evalEnv {
	return &evalEnv{ix: d.ix, pipelineID: pipelineID, params: d.params}
}

// activeDefinition returns the active definition of p's current run (nil if
// it has none).
func (s *Service) activeDefinition(tx store.Tx, p *pipelineRecord) (*activeDef, error) {
	if d, ok := s.defs.Get(p.ID); ok && d.run == p.Run {
		return d, nil
	}
	def, ok, err := loadDefinition(tx, p.ID, versionActive)
	if err != nil || !ok {
		return nil, err
	}
	d := &activeDef{run: p.Run, version: def.Version, ix: newIndex(def.Objects), params: parameterValues(def.ParameterObjects, def.ParameterValues)}
	// One entry a pipeline: a later run's replaces an earlier's (a view
	// of an older snapshot does not put its run's back).
	s.defs.Update(p.ID, d, func(old *activeDef) bool { return old.run < d.run })
	return d, nil
}
