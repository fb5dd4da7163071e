package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// Limits.
const (
	// maxDescribeObjects is the most ids DescribeObjects takes (model
	// documentation); they make one page.
	maxDescribeObjects = 25
	// defaultQueryLimit is QueryObjects' page size when no limit is given
	// (model documentation).
	defaultQueryLimit = 100
	// maxSelectors is the most selectors a query may have (model
	// documentation).
	maxSelectors = 10
)

func (s *Service) objectOps() map[string]awsapi.Operation {
	return map[string]awsapi.Operation{
		"DescribeObjects": awsapi.Op(s.DescribeObjects),
		"QueryObjects":    awsapi.Op(s.QueryObjects),
	}
}

type describeObjectsInput struct {
	PipelineID          string   `json:"pipelineId"`
	ObjectIDs           []string `json:"objectIds"`
	EvaluateExpressions bool     `json:"evaluateExpressions"`
	Marker              string   `json:"marker"`
}

type describeObjectsOutput struct {
	PipelineObjects []PipelineObject `json:"pipelineObjects"`
	Marker          string           `json:"marker,omitempty"`
	HasMoreResults  bool             `json:"hasMoreResults"`
}

// Query selects objects: an object matches when it satisfies every
// selector.
type Query struct {
	Selectors []Selector `json:"selectors"`
}

// Selector compares one field of an object with values.
type Selector struct {
	FieldName string    `json:"fieldName"`
	Operator  *Operator `json:"operator"`
}

// Operator is a comparison and the values it compares with.
type Operator struct {
	Type   string   `json:"type"`
	Values []string `json:"values"`
}

type queryObjectsInput struct {
	PipelineID string `json:"pipelineId"`
	Query      *Query `json:"query"`
	Sphere     string `json:"sphere"`
	Marker     string `json:"marker"`
	Limit      *int   `json:"limit"`
}

type queryObjectsOutput struct {
	IDs            []string `json:"ids"`
	Marker         string   `json:"marker,omitempty"`
	HasMoreResults bool     `json:"hasMoreResults"`
}

// componentStatus is the @status of a pipeline's components: PENDING
// until the pipeline is activated, then the pipeline's state (SCHEDULED,
// INACTIVE, FINISHED).
func componentStatus(p *pipelineRecord) string {
	if p.State == "" {
		return statePending
	}
	return p.State
}

// systemFields returns the read-only fields the service adds to a
// component.
func systemFields(p *pipelineRecord, def *definitionRecord) []Field {
	return []Field{
		strField("@pipelineId", p.ID),
		strField("@sphere", sphereComponent),
		strField("@version", strconv.Itoa(def.Version)),
		strField("@status", componentStatus(p)),
	}
}

// DescribeObjects returns the definitions of up to 25 component objects,
// with the fields the service adds. Ids the definition does not have are
// left out.
func (s *Service) DescribeObjects(ctx context.Context, in *describeObjectsInput) (*describeObjectsOutput, error) {
	if err := s.authorize(ctx, in.PipelineID); err != nil {
		return nil, err
	}
	if n := len(in.ObjectIDs); n > maxDescribeObjects {
		return nil, invalid("Too many objectIds: DescribeObjects takes at most %d (got %d)", maxDescribeObjects, n)
	}
	var ids []string
	for _, id := range in.ObjectIDs {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	listing := awsapi.ListingKey("DescribeObjects", in.PipelineID, strconv.FormatBool(in.EvaluateExpressions), strings.Join(ids, "\x00"))
	pos, err := s.parseMarker(listing, in.Marker)
	if err != nil {
		return nil, err
	}
	out := &describeObjectsOutput{PipelineObjects: []PipelineObject{}}
	err = s.view(ctx, func(tx store.Tx) error {
		p, err := s.loadPipelineIn(ctx, tx, in.PipelineID)
		if err != nil {
			return err
		}
		def, err := componentDefinition(tx, p)
		if err != nil {
			return err
		}
		if def == nil {
			def = &definitionRecord{}
		}
		rv, err := newRunView(tx, p)
		if err != nil {
			return err
		}
		ix := newIndex(def.Objects)
		env := &evalEnv{ix: ix, pipelineID: p.ID, params: parameterValues(def.ParameterObjects, def.ParameterValues)}
		for i := int(min(pos, int64(len(ids)))); i < len(ids); i++ {
			o := ix.byID[ids[i]]
			if o == nil {
				ro, err := rv.runObject(tx, ids[i], in.EvaluateExpressions)
				if be := (*budgetError)(nil); errors.As(err, &be) {
					return invalid("Cannot evaluate the expressions of '%s': %v", ids[i], be)
				}
				if err != nil {
					return err
				}
				if ro != nil {
					out.PipelineObjects = append(out.PipelineObjects, *ro)
				}
				continue
			}
			obj := PipelineObject{ID: o.ID, Name: o.Name, Fields: make([]Field, 0, len(o.Fields)+4)}
			for _, f := range o.Fields {
				if in.EvaluateExpressions && f.StringValue != nil && !verbatimKeys[f.Key] {
					v, err := env.evalTemplate(o, *f.StringValue, 0)
					if budgetErr(err) != nil {
						return invalid("Cannot evaluate the expressions of '%s': %v", o.ID, &budgetError{object: o.ID, field: f.Key, err: err})
					}
					f = strField(f.Key, v)
				}
				obj.Fields = append(obj.Fields, f)
			}
			obj.Fields = append(obj.Fields, systemFields(p, def)...)
			out.PipelineObjects = append(out.PipelineObjects, obj)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// QueryObjects returns the ids of the objects of one sphere that match a
// query, in definition order, limit a page. Only components exist until
// activation: the INSTANCE and ATTEMPT spheres are empty.
func (s *Service) QueryObjects(ctx context.Context, in *queryObjectsInput) (*queryObjectsOutput, error) {
	if err := s.authorize(ctx, in.PipelineID); err != nil {
		return nil, err
	}
	switch in.Sphere {
	case sphereComponent, sphereInstance, sphereAttempt:
	default:
		return nil, invalid("Invalid sphere '%s': give COMPONENT, INSTANCE or ATTEMPT", in.Sphere)
	}
	limit := defaultQueryLimit
	if in.Limit != nil {
		switch {
		case *in.Limit < 0:
			return nil, invalid("Invalid limit %d: give a positive number of ids (default %d)", *in.Limit, defaultQueryLimit)
		case *in.Limit > 0:
			limit = *in.Limit
		}
	}
	var selectors []Selector
	if in.Query != nil {
		selectors = in.Query.Selectors
	}
	if err := checkSelectors(selectors); err != nil {
		return nil, err
	}
	q, err := json.Marshal(selectors)
	if err != nil {
		return nil, err
	}
	listing := awsapi.ListingKey("QueryObjects", in.PipelineID, in.Sphere, string(q))
	pos, err := s.parseMarker(listing, in.Marker)
	if err != nil {
		return nil, err
	}
	var matched []string
	err = s.view(ctx, func(tx store.Tx) error {
		p, err := s.loadPipelineIn(ctx, tx, in.PipelineID)
		if err != nil {
			return err
		}
		if in.Sphere != sphereComponent {
			rv, err := newRunView(tx, p)
			if err != nil {
				return err
			}
			objs, err := rv.sphereObjects(tx, in.Sphere)
			if err != nil {
				return err
			}
			for i := range objs {
				if matchesFields(&objs[i], selectors) {
					matched = append(matched, objs[i].ID)
				}
			}
			return nil
		}
		def, err := componentDefinition(tx, p)
		if err != nil || def == nil {
			return err
		}
		for i := range def.Objects {
			o := &def.Objects[i]
			if matchesAll(p, def, o, selectors) {
				matched = append(matched, o.ID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &queryObjectsOutput{IDs: []string{}}
	start := int(min(pos, int64(len(matched))))
	end := min(start+limit, len(matched))
	out.IDs = append(out.IDs, matched[start:end]...)
	if end < len(matched) {
		out.HasMoreResults = true
		out.Marker = s.pageToken(listing, int64(end))
	}
	return out, nil
}

// checkSelectors checks a query's selectors: each names a field and has an
// operator with the number of values its type takes.
func checkSelectors(selectors []Selector) error {
	if len(selectors) > maxSelectors {
		return invalid("Too many selectors: a query takes at most %d (got %d)", maxSelectors, len(selectors))
	}
	for i, sel := range selectors {
		if sel.FieldName == "" {
			return invalid("Invalid query: selector %d has no fieldName", i+1)
		}
		if sel.Operator == nil || sel.Operator.Type == "" {
			return invalid("Invalid query: selector %d (%s) has no operator type; give EQ, REF_EQ, LE, GE or BETWEEN", i+1, sel.FieldName)
		}
		n := len(sel.Operator.Values)
		switch sel.Operator.Type {
		case "EQ", "REF_EQ":
			if n == 0 {
				return invalid("Invalid query: selector %d (%s %s) needs at least one value", i+1, sel.FieldName, sel.Operator.Type)
			}
		case "LE", "GE":
			if n != 1 {
				return invalid("Invalid query: selector %d (%s %s) takes exactly one value (got %d)", i+1, sel.FieldName, sel.Operator.Type, n)
			}
		case "BETWEEN":
			if n != 2 {
				return invalid("Invalid query: selector %d (%s BETWEEN) takes exactly two values, the lower and upper bounds (got %d)", i+1, sel.FieldName, n)
			}
		}
	}
	return nil
}

// matchesAll reports whether the component o satisfies every selector.
func matchesAll(p *pipelineRecord, def *definitionRecord, o *PipelineObject, selectors []Selector) bool {
	for _, sel := range selectors {
		if !matches(p, def, o, sel) {
			return false
		}
	}
	return true
}

// matches reports whether the component o satisfies one selector. A
// selector sees the object's own fields (not inherited ones) and the
// service's fields (@id, name, @sphere, @status, @pipelineId, @version); a
// field the object does not have fails the condition.
func matches(p *pipelineRecord, def *definitionRecord, o *PipelineObject, sel Selector) bool {
	var strs, refs []string
	switch sel.FieldName {
	case "@id":
		strs = []string{o.ID}
	case "name":
		strs = []string{o.Name}
	default:
		for _, f := range append(slices.Clone(o.Fields), systemFields(p, def)...) {
			if f.Key != sel.FieldName {
				continue
			}
			if f.StringValue != nil {
				strs = append(strs, *f.StringValue)
			}
			if f.RefValue != nil {
				refs = append(refs, *f.RefValue)
			}
		}
	}
	op := sel.Operator
	switch op.Type {
	case "EQ":
		return slices.ContainsFunc(strs, func(v string) bool { return slices.Contains(op.Values, v) })
	case "REF_EQ":
		return slices.ContainsFunc(refs, func(v string) bool { return slices.Contains(op.Values, v) })
	case "LE":
		return slices.ContainsFunc(strs, func(v string) bool { return compareValues(v, op.Values[0]) <= 0 })
	case "GE":
		return slices.ContainsFunc(strs, func(v string) bool { return compareValues(v, op.Values[0]) >= 0 })
	case "BETWEEN":
		return slices.ContainsFunc(strs, func(v string) bool {
			return compareValues(v, op.Values[0]) >= 0 && compareValues(v, op.Values[1]) <= 0
		})
	}
	return false
}

// compareValues compares two field values as times when both are
// "YYYY-MM-DDTHH:MM:SS", as numbers when both are numbers, else as strings.
func compareValues(a, b string) int {
	if ta, err := time.Parse(fieldTime, a); err == nil {
		if tb, err := time.Parse(fieldTime, b); err == nil {
			return ta.Compare(tb)
		}
	}
	if na, err := strconv.ParseFloat(a, 64); err == nil {
		if nb, err := strconv.ParseFloat(b, 64); err == nil {
			return cmp.Compare(na, nb)
		}
	}
	return strings.Compare(a, b)
}

// maxEvalDepth bounds how deep field references are followed when
// evaluating expressions (a field whose value refers to itself).
const maxEvalDepth = 8

// evalEnv evaluates the expressions of a definition's components.
type evalEnv struct {
	ix         *index
	pipelineID string
	params     map[string][]string
	// runtime holds an instance's runtime fields (@scheduledStartTime...)
	// when evaluating in its context; nil for components.
	runtime map[string]string
	// node is the component of the instance an action (SnsAlarm) fires
	// for, reached as node.<field>; nodeRuntime holds that instance's
	// runtime fields (@status, errorMessage...).
	node        *PipelineObject
	nodeRuntime map[string]string
	// dry is set when a definition is checked before it runs (checkBudget).
	dry *dryRun
}

// evalString replaces the expressions in s that can be evaluated in the
// context of object o; the others (a runtime field on a component, a
// function given arguments of the wrong type...) are left as written.
func (e *evalEnv) evalString(o *PipelineObject, s string, depth int) string {
	out, _ := e.evalTemplate(o, s, depth)
	return out
}
