// Package pipeline is gaffer's AWS Data Pipeline dialect: the control plane
// (pipelines, their definitions with AWS's validation, the component
// objects they define, tags), activation with its instances and attempts
// (activate.go, instances.go) and the task-runner calls (runner.go:
// PollForTask, ReportTaskProgress, SetTaskStatus,
// ReportTaskRunnerHeartbeat). The service is the engine's owner of kind
// "pipeline": each attempt is one engine task in the queue of its worker
// group, and its taskId is the engine token.
//
// # Records
//
// Everything is a store.Object with a JSON body (see records.go):
//
//   - a pipeline (kind "pipeline.pipeline", ID its pipelineId, Status its
//     @pipelineState) holds its name, uniqueId, description, tags, creation
//     time, the state (PENDING until activated) and the version counters of
//     its definitions;
//   - a deleted pipeline leaves a tombstone (kind "pipeline.deleted"), so that
//     its id answers PipelineDeletedException while an id never issued
//     answers PipelineNotFoundException;
//   - a uniqueId index (kind "pipeline.uniqueid", ID the uniqueId) maps each
//     pipeline name created with that uniqueId to its pipelineId: CreatePipeline
//     is idempotent per (name, uniqueId), as AWS documents;
//   - a definition (kind "pipeline.definition", ID "<pipelineId>|latest")
//     is the last definition PutPipelineDefinition saved. Activation
//     copies it to "<pipelineId>|active";
//   - instances, attempts, registered task runners and the taskId index:
//     see activate.go and runner.go.
//
// # Decisions where AWS is silent
//
//   - Pipeline ids are "df-" and 19 upper-case letters and digits, like
//     AWS's examples (df-06372391ZG65EXAMPLE). A pipelineId that is not of
//     the form "df-" + upper-case letters and digits answers
//     InvalidRequestException; a well-formed one never issued answers
//     PipelineNotFoundException; a deleted one PipelineDeletedException
//     (DeletePipeline, whose model has no PipelineDeletedException, answers
//     PipelineNotFoundException for it).
//   - CreatePipeline with a uniqueId already used under another name creates
//     a new pipeline: AWS keys idempotency on the (name, uniqueId)
//     combination. Deleting a pipeline frees its (name, uniqueId).
//   - ListPipelines pages hold 25 pipelines (what one DescribePipelines call
//     takes), oldest first. Every paged answer carries hasMoreResults; the
//     last page has no marker.
//   - PutPipelineDefinition with validation errors stores nothing and
//     answers errored=true with the errors (never an HTTP error); warnings
//     alone do not stop it. See validate.go for the rules.
//   - GetPipelineDefinition of a pipeline with no definition answers an
//     empty one; version "active" before any activation answers
//     InvalidRequestException.
//   - DescribeObjects and QueryObjects see the components of the latest
//     definition, and the instances and attempts of the runs (INSTANCE and
//     ATTEMPT spheres; their component fields come from the active
//     definition). DescribeObjects leaves out ids it does not know. With evaluateExpressions, expressions that are plain
//     references (#{myParameter}, #{field}, #{parent.field}, #{@id}) are
//     replaced by their values; functions and runtime fields are left as
//     written.
//
// Data Pipeline field values are strings; times in them are UTC
// "YYYY-MM-DDTHH:MM:SS".
package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/dperr"
	"github.com/gaffer-dev/gaffer/internal/clockcache"
	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// Config configures the Data Pipeline service.
type Config struct {
	Engine  *engine.Engine
	Logger  *slog.Logger
	Account string // AWS account id (@accountId, @userId); default "000000000000"
	// DefaultRegion is the awsapi handler's Config.DefaultRegion (default
	// awsapi.DefaultRegion): the region of pipelines whose record names
	// none (created before regions were kept apart), and the one whose
	// worker groups keep their queues' names from then.
	DefaultRegion string
	// MaxPollWait caps PollForTask's long poll (AWS: 90 s, the default).
	MaxPollWait time.Duration
	// AckTimeout is the acknowledgement window: a task not acknowledged
	// by a first ReportTaskProgress this long after PollForTask handed it
	// out is given up (attempt TIMEDOUT) and handed out again with a new
	// attempt, without spending a retry. Default 2 minutes, as AWS.
	AckTimeout time.Duration
	// RetryDelay is the wait before retrying a failed attempt when the
	// activity has no retryDelay field. Default 10 minutes, as AWS.
	RetryDelay time.Duration
	// CachedDefinitions bounds the decoded active definitions (one per
	// pipeline, of its current run) kept in memory; default DefaultCachedDefinitions.
	CachedDefinitions int
}

// DefaultCachedDefinitions is Config.CachedDefinitions's default.
const DefaultCachedDefinitions = 1024

// Service implements the Data Pipeline operations.
type Service struct {
	eng     *engine.Engine
	log     *slog.Logger
	account string
	home    string // Config.DefaultRegion

	maxPoll    time.Duration
	ackTimeout time.Duration
	retryDelay time.Duration
	acked      ackCache
	// defs caches the decoded active definition of each pipeline's
	// current run, keyed by pipeline ID, so that PollForTask does not
	// decode and index the definition for every task. ActivatePipeline
	// writes the active definition once per run, and run numbers only
	// grow, so an entry whose run is the pipeline's is current; one
	// entry a pipeline, however often it is activated.
	defs *clockcache.Cache[string, *activeDef]
}

// New returns the service.
func New(cfg Config) *Service {
	s := &Service{eng: cfg.Engine, log: cfg.Logger, account: cfg.Account, home: cmpOr(cfg.DefaultRegion, awsapi.DefaultRegion), maxPoll: cfg.MaxPollWait, ackTimeout: cfg.AckTimeout, retryDelay: cfg.RetryDelay}
	if s.maxPoll <= 0 || s.maxPoll > maxPipelinePoll {
		s.maxPoll = maxPipelinePoll
	}
	if s.ackTimeout <= 0 {
		s.ackTimeout = defaultAckTimeout
	}
	if s.retryDelay <= 0 {
		s.retryDelay = defaultRetryDelay
	}
	if cfg.CachedDefinitions <= 0 {
		cfg.CachedDefinitions = DefaultCachedDefinitions
	}
	s.defs = clockcache.New[string, *activeDef](cfg.CachedDefinitions)
	if s.eng != nil {
		s.eng.RegisterOwner(ownerKind, owner{s})
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.account == "" {
		s.account = "000000000000"
	}
	return s
}

// API returns the wire description of the service for awsapi. Each area of
// the service registers its own operations; the others answer
// UnknownOperationException.
func (s *Service) API() *awsapi.Service {
	ops := map[string]awsapi.Operation{}
	maps.Copy(ops, s.pipelineOps())
	maps.Copy(ops, s.definitionOps())
	maps.Copy(ops, s.objectOps())
	maps.Copy(ops, s.tagOps())
	maps.Copy(ops, s.runnerOps())
	return &awsapi.Service{
		Model:               awsapi.EmbeddedModel("datapipeline"),
		ErrorNamespace:      dperr.Namespace,
		TypeOverrides:       dperr.TypeOverrides,
		Statuses:            dperr.Statuses,
		ValidationErrorCode: dperr.ValidationCode,
		InternalErrorCode:   dperr.InternalCode,
		Mapped:              dperr.Mapped,
		Ops:                 ops,
	}
}

// authorize checks that the caller may perform the request's operation on
// the pipeline id (awsapi.Authorize on
// arn:<partition>:datapipeline:<region>:<account>:pipeline/<id>). Unauthenticated
// requests build no ARN.
func (s *Service) authorize(ctx context.Context, id string) error {
	if _, ok := awsapi.Caller(ctx); !ok {
		return nil
	}
	region := awsapi.Region(ctx)
	return awsapi.Authorize(ctx, "arn:"+awsapi.Partition(region)+":datapipeline:"+region+":"+s.account+":pipeline/"+id)
}

// region returns the region of pipeline p: the one it records, or the
// node's default region for a record from before pipelines recorded theirs.
func (s *Service) region(p *pipelineRecord) string { return cmpOr(p.Region, s.home) }

// loadPipelineIn reads a live pipeline a request names (loadPipeline): a
// pipeline of another region than the request's is not seen from it, as
// on AWS, where each region keeps its pipelines: PipelineNotFoundException.
func (s *Service) loadPipelineIn(ctx context.Context, tx store.Tx, id string) (*pipelineRecord, error) {
	p, err := loadPipeline(tx, id)
	if err != nil {
		return nil, err
	}
	if s.region(p) != awsapi.Region(ctx) {
		return nil, dperr.PipelineNotFoundException("Pipeline %s does not exist", id)
	}
	return p, nil
}

// invalid returns an InvalidRequestException.
func invalid(format string, args ...any) error {
	return dperr.InvalidRequestException(format, args...)
}

// update runs fn in a write transaction. The engine's and the store's
// errors are answered as Data Pipeline errors by awsapi (dperr.Mapped).
func (s *Service) update(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.eng.Update(ctx, fn)
}

// view runs fn in a read transaction.
func (s *Service) view(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.eng.View(ctx, fn)
}

// checkPipelineID checks that id has the form of a pipeline id: "df-" and
// upper-case letters and digits.
func checkPipelineID(id string) error {
	rest, ok := strings.CutPrefix(id, "df-")
	good := ok && rest != ""
	for i := 0; good && i < len(rest); i++ {
		c := rest[i]
		good = c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	if !good {
		return invalid("Invalid pipelineId '%s': a pipeline id is 'df-' followed by upper-case letters and digits, as CreatePipeline returns it", id)
	}
	return nil
}

// pageToken encodes a listing's position as a marker, signed with the
// engine's page key.
func (s *Service) pageToken(key string, pos int64) string {
	return awsapi.Pager{Secret: s.eng.PageKey(), Now: s.eng.Now()}.Token(key, pos)
}

// parseMarker decodes a marker made by pageToken for the same listing; ""
// is the start. An edited, forged or foreign marker is refused, and so is
// one older than awsapi.PageTokenLifetime.
func (s *Service) parseMarker(key, marker string) (int64, error) {
	pos, err := awsapi.Pager{Secret: s.eng.PageKey(), Now: s.eng.Now()}.Position(key, marker)
	if errors.Is(err, awsapi.ErrPageTokenExpired) {
		return 0, invalid("Invalid marker: it has exceeded its maximum lifetime (24 hours); start the listing again")
	}
	if err != nil {
		return 0, invalid("Invalid marker: it is not a marker of this listing; pass the marker of the previous answer unchanged, with the same arguments")
	}
	return pos, nil
}
