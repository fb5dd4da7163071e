// Package sfn is gaffer's AWS Step Functions dialect: activities, state
// machines and executions on the engine. Executions are driven by the asl
// interpreter; each activity Task state becomes an engine task on the
// activity's queue, and the engine tells the service (as the tasks' Owner)
// when an attempt starts, ends or times out, inside the same transaction.
package sfn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/gaffer-dev/gaffer/internal/asl"
	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/sfnerr"
	"github.com/gaffer-dev/gaffer/internal/clockcache"
	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/startstop"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// ownerKind names this dialect's tasks and timers in the engine.
const ownerKind = "sfn"

// Object kinds in the store.
const (
	kindActivity     = "sfn.activity"
	kindStateMachine = "sfn.statemachine"
	kindExecution    = "sfn.execution"
	kindDefinition   = "sfn.definition" // a definition's text, by its hash
	// kindMapRun (maprun.go): a distributed Map state's Map Run.
)

// Config configures the Step Functions service.
type Config struct {
	Engine  *engine.Engine
	Logger  *slog.Logger
	Account string // AWS account id in ARNs; default "000000000000"
	// MaxPollWait caps GetActivityTask's long poll (AWS: 60 s).
	MaxPollWait time.Duration
	// Jitter returns a random number in [0,1) for retry jitter; nil uses
	// math/rand.
	Jitter func() float64
	// CachedDefinitions bounds the parsed definitions kept in memory;
	// default DefaultCachedDefinitions.
	CachedDefinitions int
	// Integrations says which service integrations run (Lambda, mocks);
	// the zero value runs activities only.
	Integrations IntegrationConfig
	// Node is the name of this node among those sharing the store, and
	// Shared says whether others do. The in-process integration workers
	// poll as "gaffer:<Node>"; at start a node makes again only the calls
	// that workers of its own name left unfinished (alone: all of them),
	// never those another live node's workers are making.
	Node   string
	Shared bool
	// Route returns a random number in [0,1) for an alias's choice of
	// version at StartExecution; nil uses math/rand.
	Route func() float64
}

// DefaultCachedDefinitions is Config.CachedDefinitions's default.
const DefaultCachedDefinitions = 512

// Service implements the Step Functions operations.
type Service struct {
	eng     *engine.Engine
	log     *slog.Logger
	account string
	maxPoll time.Duration
	jitter  func() float64
	// routeRand is Config.Route (aliases.go).
	routeRand func() float64

	machines   *clockcache.Cache[string, *asl.Machine] // definition hash → parsed definition
	activities sync.Map                                // ARNs of activities known to exist → struct{}
	deletions  atomic.Int64                            // activity deletions so far: a read older than one is not cached

	integ  IntegrationConfig
	shared bool           // other nodes share the store (Config.Shared)
	worker string         // the integration workers' identity: "gaffer:<node>"
	life   startstop.Base // the integration workers (Start, Stop)
	workersState
	syncs syncWaiters // StartSyncExecution requests waiting (express.go)
}

// New returns the service and registers it with the engine as the owner of
// Step Functions tasks and timers. Call it before the engine starts.
func New(cfg Config) *Service {
	s := &Service{
		eng:       cfg.Engine,
		log:       cfg.Logger,
		account:   cfg.Account,
		maxPoll:   cfg.MaxPollWait,
		jitter:    cfg.Jitter,
		routeRand: cfg.Route,
		integ:     cfg.Integrations,
		shared:    cfg.Shared,
		worker:    workerName,
	}
	if cfg.Node != "" {
		s.worker = workerName + ":" + cfg.Node
	}
	if s.integ.Workers <= 0 {
		s.integ.Workers = 32
	}
	if cfg.CachedDefinitions <= 0 {
		cfg.CachedDefinitions = DefaultCachedDefinitions
	}
	s.machines = clockcache.New[string, *asl.Machine](cfg.CachedDefinitions)
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.account == "" {
		s.account = "000000000000"
	}
	if s.maxPoll <= 0 || s.maxPoll > 60*time.Second {
		s.maxPoll = 60 * time.Second
	}
	if s.jitter == nil {
		s.jitter = defaultJitter
	}
	cfg.Engine.RegisterOwner(ownerKind, (*owner)(s))
	return s
}

// API returns the wire description of the service for awsapi.
func (s *Service) API() *awsapi.Service {
	return &awsapi.Service{
		Model:               awsapi.EmbeddedModel("stepfunctions"),
		ErrorNamespace:      sfnerr.Namespace,
		Statuses:            sfnerr.Statuses,
		ValidationErrorCode: sfnerr.ValidationCode,
		InternalErrorCode:   sfnerr.InternalCode,
		TypeOverrides:       sfnerr.TypeOverrides,
		Mapped:              sfnerr.Mapped,
		Ops: map[string]awsapi.Operation{
			"CreateActivity":                   awsapi.Op(s.CreateActivity),
			"DescribeActivity":                 awsapi.Op(s.DescribeActivity),
			"ListActivities":                   awsapi.Op(s.ListActivities),
			"DeleteActivity":                   awsapi.Op(s.DeleteActivity),
			"GetActivityTask":                  awsapi.Op(s.GetActivityTask),
			"SendTaskHeartbeat":                awsapi.Op(s.SendTaskHeartbeat),
			"SendTaskSuccess":                  awsapi.Op(s.SendTaskSuccess),
			"SendTaskFailure":                  awsapi.Op(s.SendTaskFailure),
			"CreateStateMachine":               awsapi.Op(s.CreateStateMachine),
			"DescribeStateMachine":             awsapi.Op(s.DescribeStateMachine),
			"UpdateStateMachine":               awsapi.Op(s.UpdateStateMachine),
			"DeleteStateMachine":               awsapi.Op(s.DeleteStateMachine),
			"ListStateMachines":                awsapi.Op(s.ListStateMachines),
			"ValidateStateMachineDefinition":   awsapi.Op(s.ValidateStateMachineDefinition),
			"StartExecution":                   awsapi.Op(s.StartExecution),
			"StartSyncExecution":               awsapi.Op(s.StartSyncExecution),
			"TestState":                        awsapi.Op(s.TestState),
			"DescribeExecution":                awsapi.Op(s.DescribeExecution),
			"StopExecution":                    awsapi.Op(s.StopExecution),
			"ListExecutions":                   awsapi.Op(s.ListExecutions),
			"GetExecutionHistory":              awsapi.Op(s.GetExecutionHistory),
			"DescribeStateMachineForExecution": awsapi.Op(s.DescribeStateMachineForExecution),
			"DescribeMapRun":                   awsapi.Op(s.DescribeMapRun),
			"ListMapRuns":                      awsapi.Op(s.ListMapRuns),
			"UpdateMapRun":                     awsapi.Op(s.UpdateMapRun),
			"PublishStateMachineVersion":       awsapi.Op(s.PublishStateMachineVersion),
			"ListStateMachineVersions":         awsapi.Op(s.ListStateMachineVersions),
			"DeleteStateMachineVersion":        awsapi.Op(s.DeleteStateMachineVersion),
			"CreateStateMachineAlias":          awsapi.Op(s.CreateStateMachineAlias),
			"DescribeStateMachineAlias":        awsapi.Op(s.DescribeStateMachineAlias),
			"UpdateStateMachineAlias":          awsapi.Op(s.UpdateStateMachineAlias),
			"DeleteStateMachineAlias":          awsapi.Op(s.DeleteStateMachineAlias),
			"ListStateMachineAliases":          awsapi.Op(s.ListStateMachineAliases),
			"RedriveExecution":                 awsapi.Op(s.RedriveExecution),
			"TagResource":                      awsapi.Op(s.TagResource),
			"UntagResource":                    awsapi.Op(s.UntagResource),
			"ListTagsForResource":              awsapi.Op(s.ListTagsForResource),
		},
	}
}

// arn is a parsed Step Functions ARN.
type arn struct {
	region, account, resource string
	name, sub                 string // e.g. state machine name and execution name
}

// String returns the ARN, in the partition of its region
// (awsapi.Partition): arn:aws-cn:states:cn-north-1:… in China.
func (a arn) String() string {
	s := "arn:" + awsapi.Partition(a.region) + ":states:" + a.region + ":" + a.account + ":" + a.resource + ":" + a.name
	if a.sub != "" {
		s += ":" + a.sub
	}
	return s
}

// errForeign marks the error parseARN returns for an ARN of another region
// or account than the request's: the resource is not visible from here.
var errForeign = errors.New("sfn: resource of another region or account")

// foreignError is the does-not-exist error of a resource the caller cannot
// see; errors.Is(err, errForeign) holds for it.
type foreignError struct{ notFound error }

func (e *foreignError) Error() string        { return e.notFound.Error() }
func (e *foreignError) Unwrap() []error      { return []error{e.notFound, errForeign} }
func (e *foreignError) Is(target error) bool { return target == errForeign }

// notFoundFor returns the does-not-exist error of the resource type for
// the ARN a.
func notFoundFor(resource, a string) error {
	switch resource {
	case "activity":
		return activityNotFound(a)
	case "stateMachine":
		return machineNotFound(a)
	case "execution":
		return executionNotFound(a)
	default:
		return mapRunNotFound(a)
	}
}

// parseARN parses an ARN of the given resource type ("activity",
// "stateMachine", "execution", "mapRun") that a request names. The name of
// a child execution of a Map Run, and of a Map Run, is "<machine>/<label>".
// An ARN of another partition than the request's region (awsapi.Partition)
// is InvalidArn, as on AWS; an ARN of another region or account of the
// partition names a resource the caller cannot see (each region keeps its
// own resources apart, and gaffer serves one account): the resource type's
// does-not-exist error, marked errForeign.
func (s *Service) parseARN(ctx context.Context, str, resource string) (arn, error) {
	return s.parseARNIn(awsapi.Region(ctx), str, resource)
}

// parseARNIn is parseARN for a caller in region, where there is no request
// (a startExecution Task state, whose caller is its execution's region).
func (s *Service) parseARNIn(region, str, resource string) (arn, error) {
	a, err := parseARNForm(str, resource)
	if err != nil {
		return a, err
	}
	if p := strings.SplitN(str, ":", 3)[1]; p != awsapi.Partition(region) {
		return arn{}, sfnerr.InvalidArn("Invalid Arn: '%s': partition '%s' is not the partition of region %s (%s)", str, p, region, awsapi.Partition(region))
	}
	if a.region != region || a.account != s.account {
		return arn{}, &foreignError{notFound: notFoundFor(resource, str)}
	}
	return a, nil
}

// arnScope returns the partition, region and account part of an ARN
// ("arn:aws:states:us-east-1:123456789012:"), or "" if s has no such part.
func arnScope(s string) string {
	n := 0
	for i := range len(s) {
		if s[i] == ':' {
			if n++; n == 5 {
				return s[:i+1]
			}
		}
	}
	return ""
}

// parseARNForm parses the form of an ARN of the given resource type, in
// any partition, region and account.
func parseARNForm(s, resource string) (arn, error) {
	parts := strings.Split(s, ":")
	bad := func() error { return sfnerr.InvalidArn("Invalid Arn: '%s' is not a valid %s ARN", s, resource) }
	if len(parts) < 7 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != "states" || parts[3] == "" || parts[5] != resource {
		return arn{}, bad()
	}
	a := arn{region: parts[3], account: parts[4], resource: resource, name: parts[6]}
	switch {
	case (resource == "execution" || resource == "mapRun") && len(parts) == 8 && parts[7] != "":
		a.sub = parts[7]
	case resource != "execution" && resource != "mapRun" && len(parts) == 7:
	default:
		return arn{}, bad()
	}
	if a.name == "" {
		return arn{}, bad()
	}
	return a, nil
}

// checkName checks a resource name by AWS's rules.
func checkName(name string) error {
	if n := len([]rune(name)); n < 1 || n > 80 {
		return sfnerr.InvalidName("Invalid Name: '%s' (names are 1 to 80 characters)", name)
	}
	for _, r := range name {
		if r <= 0x20 || (r >= 0x7f && r <= 0x9f) || unicode.IsSpace(r) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) || r == 0xFEFF {
			return sfnerr.InvalidName("Invalid Name: '%s' (names may not contain whitespace, brackets, wildcards, control characters or any of \" # %% \\ ^ | ~ ` $ & , ; : /)", name)
		}
	}
	return nil
}

// pageSize returns the page size for maxResults (0: AWS's default of 100).
func pageSize(maxResults int) int {
	if maxResults <= 0 {
		return 100
	}
	return min(maxResults, 1000)
}

// pager signs and opens page tokens with the engine's page key, at the
// engine's time.
func (s *Service) pager() awsapi.Pager {
	return awsapi.Pager{Secret: s.eng.PageKey(), Now: s.eng.Now()}
}

// pageToken returns the signed token of position pos of the listing key.
func (s *Service) pageToken(key string, pos int64) string {
	return s.pager().Token(key, pos)
}

// parsePageToken decodes a page token of the listing key; an edited,
// forged or foreign token, and one older than 24 hours, is InvalidToken.
func (s *Service) parsePageToken(key, tok string) (int64, error) {
	pos, err := s.pager().Position(key, tok)
	if errors.Is(err, awsapi.ErrPageTokenExpired) {
		return 0, sfnerr.InvalidToken("Invalid Token: Specified token has exceeded its maximum lifetime (24 hours)")
	}
	if err != nil {
		return 0, sfnerr.InvalidToken("Invalid Token: '%s' is not a page token of this listing (give the same arguments as for the first page)", tok)
	}
	return pos, nil
}

// getObject loads and decodes a stored object, returning notFound if it
// does not exist.
func getObject(tx store.Tx, kind, id string, v any, notFound error) (*store.Object, error) {
	o, err := store.GetJSON(tx, kind, id, v)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound
	}
	return o, err
}

// readObject is getObject without locking the row (store.Tx.ReadObject),
// for a record the transaction only reads and many share: the state
// machine every StartExecution of it reads.
func readObject(tx store.Tx, kind, id string, v any, notFound error) (*store.Object, error) {
	o, err := store.ReadJSON(tx, kind, id, v)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound
	}
	return o, err
}

// putObject encodes and stores v.
func putObject(tx store.Tx, kind, id, parent, status string, v any) error {
	return store.PutJSON(tx, &store.Object{Kind: kind, ID: id, Parent: parent, Status: status}, v)
}

// definitionHash names a definition's text.
func definitionHash(definition string) string {
	h := sha256.Sum256([]byte(definition))
	return hex.EncodeToString(h[:])
}

// parseDefinition parses a definition and caches the result by its hash
// (the cache is bounded: a definition not used for long is parsed again).
func (s *Service) parseDefinition(definition string) (*asl.Machine, string, error) {
	hash := definitionHash(definition)
	if m, ok := s.machines.Get(hash); ok {
		return m, hash, nil
	}
	m, err := asl.Parse([]byte(definition))
	if err != nil {
		return nil, "", err
	}
	s.machines.Put(hash, m)
	return m, hash, nil
}

// storeDefinition keeps a definition's text under its hash, once: running
// executions refer to the definition they started with by hash, so their
// records stay small however large the definition is.
func storeDefinition(tx store.Tx, hash, definition string) error {
	err := tx.InsertObject(&store.Object{Kind: kindDefinition, ID: hash, Body: []byte(definition)})
	if errors.Is(err, store.ErrExists) {
		return nil
	}
	return err
}

// machineByHash returns the parsed definition with the given hash.
func (s *Service) machineByHash(tx store.Tx, hash string) (*asl.Machine, error) {
	if m, ok := s.machines.Get(hash); ok {
		return m, nil
	}
	text, err := definitionText(tx, hash)
	if err != nil {
		return nil, err
	}
	m, _, err := s.parseDefinition(text)
	return m, err
}

// definitionText reads a stored definition.
func definitionText(tx store.Tx, hash string) (string, error) {
	o, err := tx.ReadObject(kindDefinition, hash) // shared by executions, never rewritten
	if err != nil {
		return "", fmt.Errorf("load definition %s: %w", hash, err)
	}
	return string(o.Body), nil
}

// activityExists reports whether an activity exists, from memory when it
// is known to (alone, this node is the only writer of activities; on a
// shared store it reads the store each time).
func (s *Service) activityExists(tx store.Tx, arn string) (bool, error) {
	if _, ok := s.activities.Load(arn); ok {
		return true, nil
	}
	deletions := s.deletions.Load()
	_, err := tx.ReadObject(kindActivity, arn) // read by every schedule of it: no lock
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if s.deletions.Load() == deletions && !s.shared { // another node may delete it
		s.activities.Store(arn, struct{}{})
	}
	return true, nil
}

// update runs fn in a write transaction. The engine's and the store's
// errors are answered as AWS errors by awsapi (sfnerr.Mapped).
func (s *Service) update(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.eng.Update(ctx, fn)
}

// view runs fn in a read transaction.
func (s *Service) view(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.eng.View(ctx, fn)
}
