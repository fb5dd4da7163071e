package sfn

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/sfnerr"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// State machine versions: immutable snapshots of a state machine's
// definition and settings, stored as objects of kind sfn.smversion whose
// parent is the state machine and whose id is the version ARN
// (<state machine ARN>:<number>). The state machine's record keeps the last
// number published; numbers are never reused.

const (
	kindVersion = "sfn.smversion"
	// kindRevision indexes a state machine's versions by revision: id
	// "<machine ARN>#<revision id>", body the version's ARN.
	kindRevision = "sfn.smrevision"
	// maxVersions is AWS's quota of versions per state machine.
	maxVersions = 1000
)

// smVersion is the stored record of a state machine version.
type smVersion struct {
	ARN         string                   `json:"arn"`
	Machine     string                   `json:"machine"` // the state machine's ARN
	Name        string                   `json:"name"`
	Number      int                      `json:"number"`
	Description string                   `json:"description,omitempty"`
	DefHash     string                   `json:"definitionHash"`
	RoleArn     string                   `json:"roleArn"`
	Type        string                   `json:"type"`
	RevisionID  string                   `json:"revisionId"`
	CreatedAt   time.Time                `json:"created"`
	Logging     *LoggingConfiguration    `json:"logging,omitempty"`
	Tracing     *TracingConfiguration    `json:"tracing,omitempty"`
	Encryption  *EncryptionConfiguration `json:"encryption,omitempty"`
}

type publishVersionInput struct {
	StateMachineArn string  `json:"stateMachineArn"`
	RevisionID      *string `json:"revisionId"`
	Description     *string `json:"description"`
}

type publishVersionOutput struct {
	CreationDate           awsapi.Timestamp `json:"creationDate"`
	StateMachineVersionArn string           `json:"stateMachineVersionArn"`
}

type versionArnInput struct {
	StateMachineVersionArn string `json:"stateMachineVersionArn"`
}

type listVersionsInput struct {
	StateMachineArn string `json:"stateMachineArn"`
	MaxResults      int    `json:"maxResults"`
	NextToken       string `json:"nextToken"`
}

type versionListItem struct {
	StateMachineVersionArn string           `json:"stateMachineVersionArn"`
	CreationDate           awsapi.Timestamp `json:"creationDate"`
}

type listVersionsOutput struct {
	StateMachineVersions []versionListItem `json:"stateMachineVersions"`
	NextToken            string            `json:"nextToken,omitempty"`
}

// qualifiedARN is a parsed ARN of a state machine's version or alias:
// <state machine ARN>:<qualifier>.
type qualifiedARN struct {
	machine   arn    // the state machine's
	qualifier string // a version number or an alias name
	version   int    // the version number; 0 for an alias
}

// isQualified reports whether s has the form of a version or alias ARN
// (one field more than a state machine's).
func isQualified(s string) bool {
	parts := strings.Split(s, ":")
	return len(parts) == 8 && parts[5] == "stateMachine"
}

// parseQualified parses a version or alias ARN as parseARN parses a state
// machine's; what is "version" (a number), "alias" (a name) or "" (either).
func (s *Service) parseQualified(ctx context.Context, str, what string) (qualifiedARN, error) {
	return s.parseQualifiedIn(awsapi.Region(ctx), str, what)
}

// parseQualifiedIn is parseQualified for a caller in region.
func (s *Service) parseQualifiedIn(region, str, what string) (qualifiedARN, error) {
	bad := func() error {
		return sfnerr.InvalidArn("Invalid Arn: '%s' is not a valid state machine %s ARN", str, strings.TrimSpace(what))
	}
	if !isQualified(str) {
		return qualifiedARN{}, bad()
	}
	i := strings.LastIndexByte(str, ':')
	m, err := s.parseARNIn(region, str[:i], "stateMachine")
	if err != nil {
		return qualifiedARN{}, err
	}
	q := qualifiedARN{machine: m, qualifier: str[i+1:]}
	if n, err := strconv.Atoi(q.qualifier); err == nil && strconv.Itoa(n) == q.qualifier {
		if n < 1 || what == "alias" {
			return qualifiedARN{}, bad()
		}
		q.version = n
		return q, nil
	}
	if what == "version" || checkAliasName(q.qualifier) != nil {
		return qualifiedARN{}, bad()
	}
	return q, nil
}

func versionNotFound(a string) error {
	return sfnerr.StateMachineDoesNotExist("State Machine Does Not Exist: '%s'", a)
}

// publish publishes the current revision of m as a new version and stores
// m; if a version of that revision exists, it returns that one and changes
// nothing, as AWS does.
func (s *Service) publish(tx store.Tx, m *stateMachine, description string) (*smVersion, error) {
	revKey := m.ARN + "#" + m.RevisionID
	if o, err := tx.GetObject(kindRevision, revKey); err == nil {
		var v smVersion
		_, err := getObject(tx, kindVersion, string(o.Body), &v, store.ErrNotFound)
		if err == nil {
			return &v, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if m.Versions >= maxVersions {
		return nil, sfnerr.ServiceQuotaExceededException("Service Quota Exceeded: state machine '%s' has %d versions, the most allowed; delete some with DeleteStateMachineVersion", m.ARN, maxVersions)
	}
	m.LastVersion++
	m.Versions++
	v := &smVersion{
		ARN:         m.ARN + ":" + strconv.Itoa(m.LastVersion),
		Machine:     m.ARN,
		Name:        m.Name,
		Number:      m.LastVersion,
		Description: description,
		DefHash:     m.DefHash,
		RoleArn:     m.RoleArn,
		Type:        m.Type,
		RevisionID:  m.RevisionID,
		CreatedAt:   s.eng.Now().UTC(),
		Logging:     m.Logging,
		Tracing:     m.Tracing,
		Encryption:  m.Encryption,
	}
	if err := putObject(tx, kindVersion, v.ARN, m.ARN, "", v); err != nil {
		return nil, err
	}
	if err := tx.PutObject(&store.Object{Kind: kindRevision, ID: revKey, Parent: m.ARN, Body: []byte(v.ARN)}); err != nil {
		return nil, err
	}
	return v, putObject(tx, kindStateMachine, m.ARN, "", "", m)
}

// PublishStateMachineVersion publishes the current revision of a state
// machine as a version; publishing a revision already published returns
// its version. A revisionId that is not the current one is
// ConflictException; "INITIAL" names the revision of a state machine never
// updated.
func (s *Service) PublishStateMachineVersion(ctx context.Context, in *publishVersionInput) (*publishVersionOutput, error) {
	if _, err := s.parseARN(ctx, in.StateMachineArn, "stateMachine"); err != nil {
		return nil, err
	}
	if err := awsapi.Authorize(ctx, in.StateMachineArn); err != nil {
		return nil, err
	}
	var v *smVersion
	err := s.update(ctx, func(tx store.Tx) error {
		var m stateMachine
		if _, err := getObject(tx, kindStateMachine, in.StateMachineArn, &m, machineNotFound(in.StateMachineArn)); err != nil {
			return err
		}
		if in.RevisionID != nil {
			want := *in.RevisionID
			initial := want == "INITIAL" && m.UpdatedAt.Equal(m.CreatedAt)
			if want != m.RevisionID && !initial {
				return sfnerr.ConflictException("Conflict: revisionId '%s' is not the current revision of state machine '%s' (%s); it changed since", want, m.ARN, m.RevisionID)
			}
		}
		var err error
		v, err = s.publish(tx, &m, deref(in.Description))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &publishVersionOutput{CreationDate: awsapi.Timestamp{Time: v.CreatedAt}, StateMachineVersionArn: v.ARN}, nil
}

// deref returns *p, or "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// ListStateMachineVersions lists a state machine's versions, newest first.
// A state machine that does not exist has none.
func (s *Service) ListStateMachineVersions(ctx context.Context, in *listVersionsInput) (*listVersionsOutput, error) {
	if _, err := s.parseARN(ctx, in.StateMachineArn, "stateMachine"); err != nil && !errors.Is(err, errForeign) {
		return nil, err
	}
	if err := awsapi.Authorize(ctx, in.StateMachineArn); err != nil {
		return nil, err
	}
	out := &listVersionsOutput{StateMachineVersions: []versionListItem{}}
	err := s.list(ctx, kindVersion, in.StateMachineArn, "", "", in.MaxResults, in.NextToken, true, &out.NextToken, func(o *store.Object) error {
		var v smVersion
		if err := decode(o, &v); err != nil {
			return err
		}
		out.StateMachineVersions = append(out.StateMachineVersions, versionListItem{StateMachineVersionArn: v.ARN, CreationDate: awsapi.Timestamp{Time: v.CreatedAt}})
		return nil
	})
	return out, err
}

// DeleteStateMachineVersion deletes a version; executions running it run
// on. A version an alias routes to is ConflictException; deleting one that
// does not exist succeeds.
func (s *Service) DeleteStateMachineVersion(ctx context.Context, in *versionArnInput) (*empty, error) {
	q, err := s.parseQualified(ctx, in.StateMachineVersionArn, "version")
	if errors.Is(err, errForeign) {
		return &empty{}, awsapi.Authorize(ctx, in.StateMachineVersionArn)
	}
	if err != nil {
		return nil, err
	}
	if err := awsapi.Authorize(ctx, in.StateMachineVersionArn); err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx store.Tx) error {
		aliases, err := s.aliasesOf(tx, q.machine.String())
		if err != nil {
			return err
		}
		if routing := aliasesRouting(aliases, in.StateMachineVersionArn); len(routing) > 0 {
			return sfnerr.ConflictException("Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [%s]", strings.Join(routing, ", "))
		}
		var v smVersion
		if _, err := getObject(tx, kindVersion, in.StateMachineVersionArn, &v, store.ErrNotFound); errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		if err := tx.DeleteObject(kindVersion, v.ARN); err != nil {
			return err
		}
		if err := tx.DeleteObject(kindRevision, v.Machine+"#"+v.RevisionID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var m stateMachine
		if _, err := getObject(tx, kindStateMachine, v.Machine, &m, store.ErrNotFound); errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		m.Versions--
		return putObject(tx, kindStateMachine, m.ARN, "", "", &m)
	})
	if err != nil {
		return nil, err
	}
	return &empty{}, nil
}

// describeVersion answers DescribeStateMachine for a version ARN.
func (s *Service) describeVersion(ctx context.Context, str string) (*describeStateMachineOutput, error) {
	q, err := s.parseQualified(ctx, str, "")
	if err != nil {
		return nil, err
	}
	if q.version == 0 {
		return nil, sfnerr.InvalidArn("Invalid Arn: '%s' is an alias ARN: describe it with DescribeStateMachineAlias", str)
	}
	if err := awsapi.Authorize(ctx, str); err != nil {
		return nil, err
	}
	var v smVersion
	var definition string
	err = s.view(ctx, func(tx store.Tx) error {
		if _, err := getObject(tx, kindVersion, str, &v, versionNotFound(str)); err != nil {
			return err
		}
		definition, err = definitionText(tx, v.DefHash)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &describeStateMachineOutput{
		StateMachineArn:         v.ARN,
		Name:                    v.Name,
		Status:                  "ACTIVE",
		Definition:              definition,
		RoleArn:                 v.RoleArn,
		Type:                    v.Type,
		CreationDate:            awsapi.Timestamp{Time: v.CreatedAt},
		LoggingConfiguration:    defaultLogging(v.Logging),
		TracingConfiguration:    defaultTracing(v.Tracing),
		RevisionID:              v.RevisionID,
		Description:             v.Description,
		EncryptionConfiguration: defaultEncryption(v.Encryption),
	}, nil
}

// startTarget is what StartExecution's stateMachineArn names: a state
// machine, one of its versions, or an alias.
type startTarget struct {
	machine string // the state machine's ARN
	version string // the version's ARN, if a version or alias was named
	alias   string // the alias's ARN, if an alias was named
}

// parseStartARN parses StartExecution's stateMachineArn.
func (s *Service) parseStartARN(ctx context.Context, str string) (arn, startTarget, error) {
	return s.parseStartARNIn(awsapi.Region(ctx), str)
}

// parseStartARNIn is parseStartARN for a caller in region: a
// startExecution Task state's StateMachineArn, whose caller is its
// execution.
func (s *Service) parseStartARNIn(region, str string) (arn, startTarget, error) {
	if !isQualified(str) {
		a, err := s.parseARNIn(region, str, "stateMachine")
		return a, startTarget{machine: str}, err
	}
	q, err := s.parseQualifiedIn(region, str, "")
	if err != nil {
		return arn{}, startTarget{}, err
	}
	t := startTarget{machine: q.machine.String()}
	if q.version > 0 {
		t.version = str
	} else {
		t.alias = str
	}
	return q.machine, t, nil
}

// resolveStart turns m, the state machine of a start, into the version the
// start runs when t names a version or an alias (an alias picks one of its
// versions by weight).
func (s *Service) resolveStart(tx store.Tx, t *startTarget, m *stateMachine) error {
	if t.alias != "" {
		var a smAlias
		if _, err := getObject(tx, kindAlias, t.alias, &a, machineNotFound(t.alias)); err != nil {
			return err
		}
		t.version = a.pick(s.route())
	}
	if t.version == "" {
		return nil
	}
	var v smVersion
	if _, err := getObject(tx, kindVersion, t.version, &v, machineNotFound(t.version)); err != nil {
		return err
	}
	m.DefHash, m.RoleArn, m.RevisionID, m.UpdatedAt = v.DefHash, v.RoleArn, v.RevisionID, v.CreatedAt
	m.Logging, m.Tracing, m.Encryption = v.Logging, v.Tracing, v.Encryption
	return nil
}

// deleteVersionsAndAliases deletes a state machine's versions and aliases
// with it, as AWS does.
func deleteVersionsAndAliases(tx store.Tx, machine string) error {
	for _, kind := range []string{kindAlias, kindVersion, kindRevision} {
		objs, err := tx.ListObjects(store.ObjectQuery{Kind: kind, Parent: machine})
		if err != nil {
			return err
		}
		for _, o := range objs {
			if err := tx.DeleteObject(kind, o.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	return nil
}
