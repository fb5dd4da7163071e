package sfn

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/sfnerr"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// State machine aliases: a name (<state machine ARN>:<alias>) that routes
// StartExecution to one or two of the state machine's versions by weight.
// Stored as objects of kind sfn.smalias whose parent is the state machine.

const (
	kindAlias = "sfn.smalias"
	// maxAliases is AWS's quota of aliases per state machine.
	maxAliases = 100
)

// RoutingConfigurationListItem is one version an alias routes to, with the
// percentage of starts it gets.
type RoutingConfigurationListItem struct {
	StateMachineVersionArn string `json:"stateMachineVersionArn"`
	Weight                 int    `json:"weight"`
}

// smAlias is the stored record of an alias.
type smAlias struct {
	ARN         string                         `json:"arn"`
	Machine     string                         `json:"machine"`
	Name        string                         `json:"name"`
	Description string                         `json:"description,omitempty"`
	Routing     []RoutingConfigurationListItem `json:"routing"`
	CreatedAt   time.Time                      `json:"created"`
	UpdatedAt   time.Time                      `json:"updated"`
}

// pick returns the version a start goes to, for r uniform in [0,1): each
// version gets its weight's share of [0,1).
func (a *smAlias) pick(r float64) string {
	x := r * 100
	sum := 0
	for _, rt := range a.Routing {
		sum += rt.Weight
		if x < float64(sum) {
			return rt.StateMachineVersionArn
		}
	}
	return a.Routing[len(a.Routing)-1].StateMachineVersionArn
}

// route returns a random number in [0,1) for an alias's choice
// (Config.Route).
func (s *Service) route() float64 {
	if s.routeRand != nil {
		return s.routeRand()
	}
	return rand.Float64()
}

type createAliasInput struct {
	Name                 string                         `json:"name"`
	Description          *string                        `json:"description"`
	RoutingConfiguration []RoutingConfigurationListItem `json:"routingConfiguration"`
}

type createAliasOutput struct {
	StateMachineAliasArn string           `json:"stateMachineAliasArn"`
	CreationDate         awsapi.Timestamp `json:"creationDate"`
}

type aliasArnInput struct {
	StateMachineAliasArn string `json:"stateMachineAliasArn"`
}

type describeAliasOutput struct {
	StateMachineAliasArn string                         `json:"stateMachineAliasArn"`
	Name                 string                         `json:"name"`
	Description          string                         `json:"description,omitempty"`
	RoutingConfiguration []RoutingConfigurationListItem `json:"routingConfiguration"`
	CreationDate         awsapi.Timestamp               `json:"creationDate"`
	UpdateDate           awsapi.Timestamp               `json:"updateDate"`
}

type updateAliasInput struct {
	StateMachineAliasArn string                         `json:"stateMachineAliasArn"`
	Description          *string                        `json:"description"`
	RoutingConfiguration []RoutingConfigurationListItem `json:"routingConfiguration"`
}

type updateAliasOutput struct {
	UpdateDate awsapi.Timestamp `json:"updateDate"`
}

type aliasListItem struct {
	StateMachineAliasArn string           `json:"stateMachineAliasArn"`
	CreationDate         awsapi.Timestamp `json:"creationDate"`
}

type listAliasesOutput struct {
	StateMachineAliases []aliasListItem `json:"stateMachineAliases"`
	NextToken           string          `json:"nextToken,omitempty"`
}

func aliasNotFound(a string) error {
	return sfnerr.ResourceNotFound("Resource not found: '%s'", a)
}

// checkAliasName checks an alias name by the model's rule: 1 to 80 letters,
// digits, '_', '-' and '.', not digits only (a version's qualifier). A
// name off the model's pattern is ValidationException, as AWS's model
// validation answers it.
func checkAliasName(name string) error {
	if len(name) < 1 || len(name) > 80 {
		return sfnerr.InvalidName("Invalid Name: '%s' (alias names are 1 to 80 characters)", name)
	}
	letter, ok := false, true
	for _, r := range name {
		switch {
		case r >= '0' && r <= '9':
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_', r == '-', r == '.':
			letter = true
		default:
			ok = false
		}
	}
	if ok && letter {
		return nil
	}
	return sfnerr.ValidationException("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$", name)
}

// checkRouting checks a routing configuration and returns the state
// machine its versions belong to: one or two distinct versions of one
// state machine, weights summing to 100.
func (s *Service) checkRouting(ctx context.Context, routes []RoutingConfigurationListItem) (qualifiedARN, error) {
	if len(routes) < 1 || len(routes) > 2 {
		return qualifiedARN{}, sfnerr.ValidationException("Routing configuration must contain one or two state machine versions")
	}
	var machine qualifiedARN
	sum := 0
	for i, r := range routes {
		q, err := s.parseQualified(ctx, r.StateMachineVersionArn, "version")
		if err != nil {
			return qualifiedARN{}, err
		}
		if r.Weight < 0 || r.Weight > 100 {
			return qualifiedARN{}, sfnerr.ValidationException("Routing configuration weights must be between 0 and 100")
		}
		sum += r.Weight
		if i == 0 {
			machine = q
			continue
		}
		if q.machine.String() != machine.machine.String() {
			return qualifiedARN{}, sfnerr.ValidationException("Routing configuration must contain versions of the same state machine: '%s' and '%s' are not", routes[0].StateMachineVersionArn, r.StateMachineVersionArn)
		}
		if r.StateMachineVersionArn == routes[0].StateMachineVersionArn {
			return qualifiedARN{}, sfnerr.ValidationException("Routing configuration must contain distinct state machine versions: '%s' is given twice", r.StateMachineVersionArn)
		}
	}
	if sum != 100 {
		return qualifiedARN{}, sfnerr.ValidationException("Sum of routing configuration weights must be equal to 100 (got %d)", sum)
	}
	return machine, nil
}

// versionsExist answers ResourceNotFound for a routed version that does not
// exist.
func versionsExist(tx store.Tx, routes []RoutingConfigurationListItem) error {
	for _, r := range routes {
		if _, err := tx.GetObject(kindVersion, r.StateMachineVersionArn); errors.Is(err, store.ErrNotFound) {
			return aliasNotFound(r.StateMachineVersionArn)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// aliasesOf lists a state machine's aliases.
func (s *Service) aliasesOf(tx store.Tx, machine string) ([]smAlias, error) {
	objs, err := tx.ListObjects(store.ObjectQuery{Kind: kindAlias, Parent: machine})
	if err != nil {
		return nil, err
	}
	out := make([]smAlias, len(objs))
	for i, o := range objs {
		if err := decode(o, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CreateStateMachineAlias creates an alias of the state machine whose
// versions its routing configuration names. Creating one that exists with
// the same description and routing returns it; otherwise it is
// ConflictException.
func (s *Service) CreateStateMachineAlias(ctx context.Context, in *createAliasInput) (*createAliasOutput, error) {
	if err := checkAliasName(in.Name); err != nil {
		return nil, err
	}
	if len(in.RoutingConfiguration) > 0 {
		// The caller may create the alias before its routing is judged.
		q, err := s.parseQualified(ctx, in.RoutingConfiguration[0].StateMachineVersionArn, "version")
		if err != nil {
			return nil, err
		}
		if err := awsapi.Authorize(ctx, q.machine.String()+":"+in.Name); err != nil {
			return nil, err
		}
	}
	q, err := s.checkRouting(ctx, in.RoutingConfiguration)
	if err != nil {
		return nil, err
	}
	machineARN := q.machine.String()
	a := smAlias{ARN: machineARN + ":" + in.Name, Machine: machineARN, Name: in.Name, Description: deref(in.Description), Routing: in.RoutingConfiguration}
	if err := awsapi.Authorize(ctx, a.ARN); err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx store.Tx) error {
		if _, err := tx.GetObject(kindStateMachine, machineARN); errors.Is(err, store.ErrNotFound) {
			return aliasNotFound(machineARN)
		} else if err != nil {
			return err
		}
		var old smAlias
		_, err := getObject(tx, kindAlias, a.ARN, &old, store.ErrNotFound)
		if err == nil {
			if old.Description != a.Description || !sameJSON(old.Routing, a.Routing) {
				return sfnerr.ConflictException("Conflict: alias '%s' exists with a different description or routing configuration", a.ARN)
			}
			a = old
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := versionsExist(tx, a.Routing); err != nil {
			return err
		}
		aliases, err := s.aliasesOf(tx, machineARN)
		if err != nil {
			return err
		}
		if len(aliases) >= maxAliases {
			return sfnerr.ServiceQuotaExceededException("Service Quota Exceeded: state machine '%s' has %d aliases, the most allowed", machineARN, maxAliases)
		}
		a.CreatedAt = s.eng.Now().UTC()
		a.UpdatedAt = a.CreatedAt
		return putObject(tx, kindAlias, a.ARN, machineARN, "", &a)
	})
	if err != nil {
		return nil, err
	}
	return &createAliasOutput{StateMachineAliasArn: a.ARN, CreationDate: awsapi.Timestamp{Time: a.CreatedAt}}, nil
}

// loadAlias reads an alias for the alias operations.
func (s *Service) loadAlias(ctx context.Context, str string) (*smAlias, error) {
	if _, err := s.parseQualified(ctx, str, "alias"); errors.Is(err, errForeign) {
		return nil, aliasNotFound(str)
	} else if err != nil {
		return nil, err
	}
	if err := awsapi.Authorize(ctx, str); err != nil {
		return nil, err
	}
	var a smAlias
	err := s.view(ctx, func(tx store.Tx) error {
		_, err := getObject(tx, kindAlias, str, &a, aliasNotFound(str))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// DescribeStateMachineAlias describes an alias.
func (s *Service) DescribeStateMachineAlias(ctx context.Context, in *aliasArnInput) (*describeAliasOutput, error) {
	a, err := s.loadAlias(ctx, in.StateMachineAliasArn)
	if err != nil {
		return nil, err
	}
	return &describeAliasOutput{
		StateMachineAliasArn: a.ARN,
		Name:                 a.Name,
		Description:          a.Description,
		RoutingConfiguration: a.Routing,
		CreationDate:         awsapi.Timestamp{Time: a.CreatedAt},
		UpdateDate:           awsapi.Timestamp{Time: a.UpdatedAt},
	}, nil
}

// UpdateStateMachineAlias changes an alias's description or routing;
// executions it started run on.
func (s *Service) UpdateStateMachineAlias(ctx context.Context, in *updateAliasInput) (*updateAliasOutput, error) {
	q, err := s.parseQualified(ctx, in.StateMachineAliasArn, "alias")
	if errors.Is(err, errForeign) {
		return nil, aliasNotFound(in.StateMachineAliasArn)
	} else if err != nil {
		return nil, err
	}
	if err := awsapi.Authorize(ctx, in.StateMachineAliasArn); err != nil {
		return nil, err
	}
	if in.Description == nil && in.RoutingConfiguration == nil {
		return nil, sfnerr.ValidationException("Missing Required Parameter: give description or routingConfiguration")
	}
	if in.RoutingConfiguration != nil {
		r, err := s.checkRouting(ctx, in.RoutingConfiguration)
		if err != nil {
			return nil, err
		}
		if r.machine.String() != q.machine.String() {
			return nil, sfnerr.ValidationException("Routing configuration must contain versions of the alias's state machine '%s'", q.machine.String())
		}
	}
	if err := awsapi.Authorize(ctx, in.StateMachineAliasArn); err != nil {
		return nil, err
	}
	var a smAlias
	err = s.update(ctx, func(tx store.Tx) error {
		if _, err := getObject(tx, kindAlias, in.StateMachineAliasArn, &a, aliasNotFound(in.StateMachineAliasArn)); err != nil {
			return err
		}
		if in.RoutingConfiguration != nil {
			if err := versionsExist(tx, in.RoutingConfiguration); err != nil {
				return err
			}
			a.Routing = in.RoutingConfiguration
		}
		if in.Description != nil {
			a.Description = *in.Description
		}
		a.UpdatedAt = s.eng.Now().UTC()
		return putObject(tx, kindAlias, a.ARN, a.Machine, "", &a)
	})
	if err != nil {
		return nil, err
	}
	return &updateAliasOutput{UpdateDate: awsapi.Timestamp{Time: a.UpdatedAt}}, nil
}

// DeleteStateMachineAlias deletes an alias; executions it started run on.
func (s *Service) DeleteStateMachineAlias(ctx context.Context, in *aliasArnInput) (*empty, error) {
	if _, err := s.parseQualified(ctx, in.StateMachineAliasArn, "alias"); errors.Is(err, errForeign) {
		return nil, aliasNotFound(in.StateMachineAliasArn)
	} else if err != nil {
		return nil, err
	}
	if err := awsapi.Authorize(ctx, in.StateMachineAliasArn); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx store.Tx) error {
		err := tx.DeleteObject(kindAlias, in.StateMachineAliasArn)
		if errors.Is(err, store.ErrNotFound) {
			return aliasNotFound(in.StateMachineAliasArn)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &empty{}, nil
}

// ListStateMachineAliases lists a state machine's aliases in creation
// order.
func (s *Service) ListStateMachineAliases(ctx context.Context, in *listVersionsInput) (*listAliasesOutput, error) {
	if _, err := s.parseARN(ctx, in.StateMachineArn, "stateMachine"); err != nil {
		return nil, err
	}
	if err := awsapi.Authorize(ctx, in.StateMachineArn); err != nil {
		return nil, err
	}
	if err := s.view(ctx, func(tx store.Tx) error {
		_, err := tx.GetObject(kindStateMachine, in.StateMachineArn)
		if errors.Is(err, store.ErrNotFound) {
			return machineNotFound(in.StateMachineArn)
		}
		return err
	}); err != nil {
		return nil, err
	}
	out := &listAliasesOutput{StateMachineAliases: []aliasListItem{}}
	err := s.list(ctx, kindAlias, in.StateMachineArn, "", "", in.MaxResults, in.NextToken, false, &out.NextToken, func(o *store.Object) error {
		var a smAlias
		if err := decode(o, &a); err != nil {
			return err
		}
		out.StateMachineAliases = append(out.StateMachineAliases, aliasListItem{StateMachineAliasArn: a.ARN, CreationDate: awsapi.Timestamp{Time: a.CreatedAt}})
		return nil
	})
	return out, err
}

// aliasesRouting returns the ARNs of the aliases that route to version.
func aliasesRouting(aliases []smAlias, version string) []string {
	var out []string
	for _, a := range aliases {
		for _, r := range a.Routing {
			if r.StateMachineVersionArn == version {
				out = append(out, a.ARN)
			}
		}
	}
	return out
}
