package sfn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/asl"
	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/sfnerr"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// stateMachine is the stored record of a state machine.
type stateMachine struct {
	ARN        string                `json:"arn"`
	Name       string                `json:"name"`
	Definition string                `json:"definition"`
	DefHash    string                `json:"definitionHash"`
	RoleArn    string                `json:"roleArn"`
	Type       string                `json:"type"`
	CreatedAt  time.Time             `json:"created"`
	UpdatedAt  time.Time             `json:"updated"`
	RevisionID string                `json:"revisionId"`
	Logging    *LoggingConfiguration `json:"logging,omitempty"`
	Tracing    *TracingConfiguration `json:"tracing,omitempty"`
	Tags       []Tag                 `json:"tags,omitempty"`
	// Encryption is the encryptionConfiguration as given (nil: none).
	Encryption *EncryptionConfiguration `json:"encryption,omitempty"`
	// LastVersion is the number of the last version published (versions.go);
	// numbers are never reused.
	LastVersion int `json:"lastVersion,omitempty"`
	// Versions is how many versions it has now.
	Versions int `json:"versions,omitempty"`
}

func machineNotFound(a string) error {
	return sfnerr.StateMachineDoesNotExist("State Machine Does Not Exist: '%s'", a)
}

// revision identifies one version of a state machine's configuration.
func revision(definition, roleArn string) string {
	h := sha256.Sum256([]byte(definition + "\x00" + roleArn))
	return hex.EncodeToString(h[:16])
}

// checkDefinition parses a definition, answering InvalidDefinition with
// every problem found.
func (s *Service) checkDefinition(definition, machine string) (*asl.Machine, string, error) {
	m, hash, err := s.parseDefinition(definition)
	if err != nil {
		return nil, "", sfnerr.InvalidDefinition("%s", err.Error())
	}
	if err := s.checkRunnable(m, machine); err != nil {
		return nil, "", err
	}
	return m, hash, nil
}

func defaultLogging(l *LoggingConfiguration) *LoggingConfiguration {
	if l == nil {
		return &LoggingConfiguration{Level: "OFF"}
	}
	return l
}

func defaultTracing(t *TracingConfiguration) *TracingConfiguration {
	if t == nil {
		return &TracingConfiguration{}
	}
	return t
}

// checkVersionDescription answers ValidationException, as AWS does, for a
// versionDescription without publish: true.
func checkVersionDescription(description *string, publish bool) error {
	if description != nil && *description != "" && !publish {
		return sfnerr.ValidationException("Version description can only be set when publish is true")
	}
	return nil
}

// CreateStateMachine creates a state machine. Creating one that exists with
// the same definition, type, logging, tracing and encryption settings
// returns it, as on AWS: a different roleArn or tags are ignored (and not
// updated); anything else different fails with StateMachineAlreadyExists.
func (s *Service) CreateStateMachine(ctx context.Context, in *createStateMachineInput) (*createStateMachineOutput, error) {
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	if err := checkVersionDescription(in.VersionDescription, in.Publish); err != nil {
		return nil, err
	}
	if err := checkRoleArn(in.RoleArn); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	if err := checkLogging(in.LoggingConfiguration); err != nil {
		return nil, err
	}
	if err := checkEncryption(in.EncryptionConfiguration); err != nil {
		return nil, err
	}
	parsed, hash, err := s.checkDefinition(in.Definition, in.Name)
	if err != nil {
		return nil, err
	}
	if machineType(in.Type) == typeExpress {
		if err := checkExpress(parsed); err != nil {
			return nil, err
		}
	}
	now := s.eng.Now().UTC()
	m := stateMachine{
		ARN:        arn{region: awsapi.Region(ctx), account: s.account, resource: "stateMachine", name: in.Name}.String(),
		Name:       in.Name,
		Definition: in.Definition,
		DefHash:    hash,
		RoleArn:    in.RoleArn,
		Type:       machineType(in.Type),
		CreatedAt:  now,
		UpdatedAt:  now,
		RevisionID: revision(in.Definition, in.RoleArn),
		Logging:    defaultLogging(in.LoggingConfiguration),
		Tracing:    defaultTracing(in.TracingConfiguration),
		Tags:       in.Tags,
		Encryption: in.EncryptionConfiguration,
	}
	if err := awsapi.Authorize(ctx, m.ARN); err != nil {
		return nil, err
	}
	var version *smVersion
	err = s.update(ctx, func(tx store.Tx) (err error) {
		if in.Publish { // versions.go
			defer func() {
				if err == nil {
					version, err = s.publish(tx, &m, deref(in.VersionDescription))
				}
			}()
		}
		o, err := tx.GetObject(kindStateMachine, m.ARN)
		if err == nil {
			var old stateMachine
			if err := decode(o, &old); err != nil {
				return err
			}
			if old.Definition != m.Definition || old.Type != m.Type || !sameJSON(old.Logging, m.Logging) || !sameJSON(defaultTracing(old.Tracing), m.Tracing) ||
				!sameJSON(defaultEncryption(old.Encryption), defaultEncryption(m.Encryption)) {
				return sfnerr.StateMachineAlreadyExists("State Machine Already Exists: '%s' with a different definition, type, logging, tracing or encryption configuration", m.ARN)
			}
			m = old
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := storeDefinition(tx, m.DefHash, m.Definition); err != nil {
			return err
		}
		return putObject(tx, kindStateMachine, m.ARN, "", "", &m)
	})
	if err != nil {
		return nil, err
	}
	out := &createStateMachineOutput{StateMachineArn: m.ARN, CreationDate: awsapi.Timestamp{Time: m.CreatedAt}}
	if version != nil {
		out.StateMachineVersionArn = version.ARN
	}
	return out, nil
}

// DescribeStateMachine describes a state machine.
func (s *Service) DescribeStateMachine(ctx context.Context, in *stateMachineArnInput) (*describeStateMachineOutput, error) {
	if isQualified(in.StateMachineArn) {
		return s.describeVersion(ctx, in.StateMachineArn) // versions.go
	}
	if _, err := s.parseARN(ctx, in.StateMachineArn, "stateMachine"); err != nil {
		return nil, err
	}
	if err := awsapi.Authorize(ctx, in.StateMachineArn); err != nil {
		return nil, err
	}
	var m stateMachine
	err := s.view(ctx, func(tx store.Tx) error {
		_, err := getObject(tx, kindStateMachine, in.StateMachineArn, &m, machineNotFound(in.StateMachineArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &describeStateMachineOutput{
		StateMachineArn:         m.ARN,
		Name:                    m.Name,
		Status:                  "ACTIVE",
		Definition:              m.Definition,
		RoleArn:                 m.RoleArn,
		Type:                    m.Type,
		CreationDate:            awsapi.Timestamp{Time: m.CreatedAt},
		LoggingConfiguration:    m.Logging,
		TracingConfiguration:    m.Tracing,
		RevisionID:              m.RevisionID,
		EncryptionConfiguration: defaultEncryption(m.Encryption),
	}, nil
}

// UpdateStateMachine changes a state machine's definition, role, logging or
// tracing. Running executions keep the definition they started with.
func (s *Service) UpdateStateMachine(ctx context.Context, in *updateStateMachineInput) (*updateStateMachineOutput, error) {
	smARN, err := s.parseARN(ctx, in.StateMachineArn, "stateMachine")
	if err != nil {
		return nil, err
	}
	if err := awsapi.Authorize(ctx, in.StateMachineArn); err != nil {
		return nil, err
	}
	if in.Definition == nil && in.RoleArn == nil && in.LoggingConfiguration == nil && in.TracingConfiguration == nil && in.EncryptionConfiguration == nil {
		return nil, sfnerr.MissingRequiredParameter("Missing Required Parameter: give at least one of definition, roleArn, loggingConfiguration, tracingConfiguration or encryptionConfiguration")
	}
	if err := checkVersionDescription(in.VersionDescription, in.Publish); err != nil {
		return nil, err
	}
	if err := checkLogging(in.LoggingConfiguration); err != nil {
		return nil, err
	}
	if err := checkEncryption(in.EncryptionConfiguration); err != nil {
		return nil, err
	}
	var hash string
	var parsed *asl.Machine
	if in.Definition != nil {
		var err error
		if parsed, hash, err = s.checkDefinition(*in.Definition, smARN.name); err != nil {
			return nil, err
		}
	}
	if in.RoleArn != nil {
		if err := checkRoleArn(*in.RoleArn); err != nil {
			return nil, err
		}
	}
	var m stateMachine
	var version *smVersion
	err = s.update(ctx, func(tx store.Tx) (err error) {
		if in.Publish { // versions.go
			defer func() {
				if err == nil {
					version, err = s.publish(tx, &m, deref(in.VersionDescription))
				}
			}()
		}
		if _, err := getObject(tx, kindStateMachine, in.StateMachineArn, &m, machineNotFound(in.StateMachineArn)); err != nil {
			return err
		}
		if in.Definition != nil && m.Type == typeExpress {
			if err := checkExpress(parsed); err != nil {
				return err
			}
		}
		if in.Definition != nil {
			m.Definition, m.DefHash = *in.Definition, hash
			if err := storeDefinition(tx, hash, m.Definition); err != nil {
				return err
			}
		}
		if in.RoleArn != nil {
			m.RoleArn = *in.RoleArn
		}
		if in.LoggingConfiguration != nil {
			m.Logging = in.LoggingConfiguration
		}
		if in.TracingConfiguration != nil {
			m.Tracing = in.TracingConfiguration
		}
		if in.EncryptionConfiguration != nil {
			m.Encryption = in.EncryptionConfiguration
		}
		m.UpdatedAt = s.eng.Now().UTC()
		m.RevisionID = revision(m.Definition, m.RoleArn)
		return putObject(tx, kindStateMachine, m.ARN, "", "", &m)
	})
	if err != nil {
		return nil, err
	}
	out := &updateStateMachineOutput{UpdateDate: awsapi.Timestamp{Time: m.UpdatedAt}, RevisionID: m.RevisionID}
	if version != nil {
		out.StateMachineVersionArn = version.ARN
	}
	return out, nil
}

// DeleteStateMachine deletes a state machine. Its running executions run
// to their end on the definition they started with; deleting one that does
// not exist succeeds.
func (s *Service) DeleteStateMachine(ctx context.Context, in *stateMachineArnInput) (*empty, error) {
	if _, err := s.parseARN(ctx, in.StateMachineArn, "stateMachine"); errors.Is(err, errForeign) {
		// Another region's: not here, as one that does not exist.
		return &empty{}, awsapi.Authorize(ctx, in.StateMachineArn)
	} else if err != nil {
		return nil, err
	}
	if err := awsapi.Authorize(ctx, in.StateMachineArn); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx store.Tx) error {
		err := tx.DeleteObject(kindStateMachine, in.StateMachineArn)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return deleteVersionsAndAliases(tx, in.StateMachineArn) // versions.go
	})
	return &empty{}, err
}

// ListStateMachines lists state machines in creation order.
func (s *Service) ListStateMachines(ctx context.Context, in *listInput) (*listStateMachinesOutput, error) {
	if err := awsapi.Authorize(ctx, "*"); err != nil {
		return nil, err
	}
	out := &listStateMachinesOutput{StateMachines: []stateMachineListItem{}}
	err := s.list(ctx, kindStateMachine, "", "", awsapi.Region(ctx), in.MaxResults, in.NextToken, false, &out.NextToken, func(o *store.Object) error {
		var m stateMachine
		if err := decode(o, &m); err != nil {
			return err
		}
		out.StateMachines = append(out.StateMachines, stateMachineListItem{StateMachineArn: m.ARN, Name: m.Name, Type: m.Type, CreationDate: awsapi.Timestamp{Time: m.CreatedAt}})
		return nil
	})
	return out, err
}

// ValidateStateMachineDefinition checks a definition without creating
// anything and lists its problems as diagnostics.
func (s *Service) ValidateStateMachineDefinition(ctx context.Context, in *validateInput) (*validateOutput, error) {
	if err := awsapi.Authorize(ctx, "*"); err != nil {
		return nil, err
	}
	out := &validateOutput{Result: "OK", Diagnostics: []diagnostic{}}
	parsed, err := asl.Parse([]byte(in.Definition))
	var de *asl.DefinitionError
	switch {
	case err == nil:
		if in.Type == typeExpress {
			for _, p := range expressProblems(parsed) {
				out.Result = "FAIL"
				code, msg, _ := strings.Cut(p, ": ")
				out.Diagnostics = append(out.Diagnostics, diagnostic{Severity: "ERROR", Code: code, Message: msg})
			}
		}
	case errors.As(err, &de):
		out.Result = "FAIL"
		for _, p := range de.Problems {
			out.Diagnostics = append(out.Diagnostics, diagnostic{Severity: "ERROR", Code: p.Code, Message: p.Message, Location: p.Location})
		}
	default:
		return nil, err
	}
	limit := in.MaxResults
	if limit <= 0 {
		limit = 100
	}
	if len(out.Diagnostics) > limit {
		out.Diagnostics = out.Diagnostics[:limit]
		out.Truncated = true
	}
	return out, nil
}
