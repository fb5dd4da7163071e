package awsapi

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// Model is a parsed botocore service model (service-2.json): the metadata
// that routes requests and the shapes that validate them. Documentation is
// dropped. A Model is read-only once loaded and may be shared.
type Model struct {
	// APIVersion is metadata.apiVersion, e.g. "2016-11-23".
	APIVersion string
	// EndpointPrefix is metadata.endpointPrefix, the SigV4 signing name
	// ("states", "swf", "datapipeline").
	EndpointPrefix string
	// JSONVersion is metadata.jsonVersion, "1.0" or "1.1"; responses carry
	// Content-Type application/x-amz-json-<JSONVersion>.
	JSONVersion string
	// TargetPrefix is metadata.targetPrefix, the part of X-Amz-Target before
	// the operation name ("AWSStepFunctions").
	TargetPrefix string
	// ServiceID is metadata.serviceId, e.g. "SFN".
	ServiceID string
	// Shapes holds every shape by name.
	Shapes map[string]*Shape
	// Operations holds every operation by name.
	Operations map[string]*ModelOperation
}

// ModelOperation is one operation of a Model.
type ModelOperation struct {
	Name string `json:"name"`
	// Input and Output name the operation's shapes; nil when it has none.
	Input  *ShapeRef `json:"input"`
	Output *ShapeRef `json:"output"`
	// Errors are the modelled error shapes; their names are the error codes.
	Errors []ShapeRef `json:"errors"`
}

// ShapeRef refers to a shape by name.
type ShapeRef struct {
	Shape string `json:"shape"`
}

// Shape is one shape of a Model. Which fields are set depends on Type.
type Shape struct {
	// Name is the shape's key in the model.
	Name string `json:"-"`
	// Type is the botocore type: structure, list, map, string, boolean,
	// integer, long, float, double, timestamp or blob.
	Type string `json:"type"`
	// Members are a structure's members, in model order.
	Members Members `json:"members"`
	// Required names the structure members that must be present.
	Required []string `json:"required"`
	// Member is a list's element shape.
	Member *ShapeRef `json:"member"`
	// Key and Value are a map's key and value shapes.
	Key   *ShapeRef `json:"key"`
	Value *ShapeRef `json:"value"`
	// Min and Max bound a string's length in characters, a list's or map's
	// size, or a number's value; nil when unbounded.
	Min *float64 `json:"min"`
	Max *float64 `json:"max"`
	// Pattern is a Java regular expression a string must match somewhere
	// (botocore semantics; awsapi anchors it as a full match).
	Pattern string `json:"pattern"`
	// Enum lists a string's allowed values.
	Enum []string `json:"enum"`
	// Sensitive marks values that must not appear in messages or logs.
	Sensitive bool `json:"sensitive"`
	// Exception and Fault mark error shapes (Fault: a server-side error).
	Exception bool `json:"exception"`
	Fault     bool `json:"fault"`
}

// Member is one member of a structure shape.
type Member struct {
	Name  string
	Shape string
}

// Members is a structure's member list; it decodes from the model's
// "members" object keeping the model's order, which is the order validation
// errors are reported in.
type Members []Member

// UnmarshalJSON decodes a botocore "members" object in order.
func (ms *Members) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		*ms = nil
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errors.New("members: not an object")
	}
	var out Members
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		var ref ShapeRef
		if err := dec.Decode(&ref); err != nil {
			return fmt.Errorf("member %s: %w", name, err)
		}
		out = append(out, Member{Name: name, Shape: ref.Shape})
	}
	*ms = out
	return nil
}

// LoadModel parses a botocore service-2.json and checks that it is a JSON
// protocol model whose shape references all resolve.
func LoadModel(data []byte) (*Model, error) {
	var raw struct {
		Metadata struct {
			APIVersion     string `json:"apiVersion"`
			EndpointPrefix string `json:"endpointPrefix"`
			JSONVersion    string `json:"jsonVersion"`
			Protocol       string `json:"protocol"`
			TargetPrefix   string `json:"targetPrefix"`
			ServiceID      string `json:"serviceId"`
		} `json:"metadata"`
		Operations map[string]*ModelOperation `json:"operations"`
		Shapes     map[string]*Shape          `json:"shapes"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("parse model: %w", err)
	}
	md := raw.Metadata
	if md.Protocol != "json" {
		return nil, fmt.Errorf("load model: protocol %q is not json", md.Protocol)
	}
	if md.TargetPrefix == "" {
		return nil, errors.New("load model: metadata.targetPrefix is empty")
	}
	if md.JSONVersion == "" {
		md.JSONVersion = "1.0"
	}
	m := &Model{
		APIVersion:     md.APIVersion,
		EndpointPrefix: md.EndpointPrefix,
		JSONVersion:    md.JSONVersion,
		TargetPrefix:   md.TargetPrefix,
		ServiceID:      md.ServiceID,
		Shapes:         raw.Shapes,
		Operations:     raw.Operations,
	}
	if m.Shapes == nil {
		m.Shapes = map[string]*Shape{}
	}
	if m.Operations == nil {
		m.Operations = map[string]*ModelOperation{}
	}
	check := func(where string, ref *ShapeRef) error {
		if ref == nil {
			return nil
		}
		if _, ok := m.Shapes[ref.Shape]; !ok {
			return fmt.Errorf("load model: %s refers to unknown shape %q", where, ref.Shape)
		}
		return nil
	}
	for name, s := range m.Shapes {
		if s == nil {
			return nil, fmt.Errorf("load model: shape %s is null", name)
		}
		s.Name = name
		for _, mem := range s.Members {
			if err := check("shape "+name+"."+mem.Name, &ShapeRef{Shape: mem.Shape}); err != nil {
				return nil, err
			}
		}
		for _, r := range []*ShapeRef{s.Member, s.Key, s.Value} {
			if err := check("shape "+name, r); err != nil {
				return nil, err
			}
		}
		switch s.Type {
		case "list":
			if s.Member == nil {
				return nil, fmt.Errorf("load model: list shape %s has no member", name)
			}
		case "map":
			if s.Key == nil || s.Value == nil {
				return nil, fmt.Errorf("load model: map shape %s lacks key or value", name)
			}
		}
	}
	for name, op := range m.Operations {
		if op == nil {
			return nil, fmt.Errorf("load model: operation %s is null", name)
		}
		if op.Name == "" {
			op.Name = name
		}
		if err := check("operation "+name+" input", op.Input); err != nil {
			return nil, err
		}
		if err := check("operation "+name+" output", op.Output); err != nil {
			return nil, err
		}
		for i := range op.Errors {
			if err := check("operation "+name+" error", &op.Errors[i]); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

//go:embed models/*.json
var modelFiles embed.FS

var embeddedModels = map[string]func() *Model{
	"stepfunctions": sync.OnceValue(func() *Model { return mustLoadEmbedded("stepfunctions") }),
	"swf":           sync.OnceValue(func() *Model { return mustLoadEmbedded("swf") }),
	"datapipeline":  sync.OnceValue(func() *Model { return mustLoadEmbedded("datapipeline") }),
}

func mustLoadEmbedded(name string) *Model {
	data, err := modelFiles.ReadFile("models/" + name + ".json")
	if err != nil {
		panic("awsapi: embedded model " + name + ": " + err.Error())
	}
	m, err := LoadModel(data)
	if err != nil {
		panic("awsapi: embedded model " + name + ": " + err.Error())
	}
	return m
}

// EmbeddedModel returns one of the embedded botocore models:
// "stepfunctions", "swf" or "datapipeline". Each is parsed once, on first
// use, and shared. It panics on an unknown name.
func EmbeddedModel(name string) *Model {
	load, ok := embeddedModels[name]
	if !ok {
		panic(fmt.Sprintf("awsapi: no embedded model %q (have stepfunctions, swf, datapipeline)", name))
	}
	return load()
}
