// Package swf is gaffer's Amazon Simple Workflow Service dialect: domains,
// workflow and activity types, workflow executions with their histories,
// decision tasks and activity tasks, on the engine.
//
// Decision tasks and activity tasks are engine tasks on queues named for
// their domain and task list; timers and the workflow's own timeout are
// engine timers. The engine tells the service (as the Owner of "swf" tasks
// and timers) when an attempt starts, ends or times out, inside the same
// transaction, and the service records the history events and schedules
// what follows (usually a decision task). See docs/architecture.md.
package swf

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/swferr"
	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// ownerKind names this dialect's tasks and timers in the engine.
const ownerKind = "swf"

// Config configures the SWF service.
type Config struct {
	Engine  *engine.Engine
	Logger  *slog.Logger
	Account string // AWS account id in ARNs; default "000000000000"
	// MaxPollWait caps PollForActivityTask and PollForDecisionTask (AWS: 60 s).
	MaxPollWait time.Duration
}

// Service implements the SWF operations.
type Service struct {
	eng     *engine.Engine
	log     *slog.Logger
	account string
	maxPoll time.Duration

	// domains holds the names of domains known to exist. SWF domains are
	// never deleted, so a name once seen stays valid: polls, the hottest
	// callers, check here before reading the store.
	domains sync.Map
}

// checkDomain answers UnknownResourceFault unless the domain exists.
func (s *Service) checkDomain(ctx context.Context, name string) error {
	if _, ok := s.domains.Load(name); ok {
		return nil
	}
	err := s.view(ctx, func(tx store.Tx) error {
		_, err := loadDomain(tx, name)
		return err
	})
	if err == nil {
		s.domains.Store(name, struct{}{})
	}
	return err
}

// New returns the service and registers it with the engine as the owner of
// SWF tasks and timers. Call it before the engine starts.
func New(cfg Config) *Service {
	s := &Service{eng: cfg.Engine, log: cfg.Logger, account: cfg.Account, maxPoll: cfg.MaxPollWait}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.account == "" {
		s.account = "000000000000"
	}
	if s.maxPoll <= 0 || s.maxPoll > 60*time.Second {
		s.maxPoll = 60 * time.Second
	}
	cfg.Engine.RegisterOwner(ownerKind, (*owner)(s))
	return s
}

// API returns the wire description of the service for awsapi. Each area of
// the service registers its own operations.
func (s *Service) API() *awsapi.Service {
	ops := map[string]awsapi.Operation{}
	maps.Copy(ops, s.controlOps())
	maps.Copy(ops, s.executionOps())
	maps.Copy(ops, s.visibilityOps())
	return &awsapi.Service{
		Model:               awsapi.EmbeddedModel("swf"),
		ErrorNamespace:      swferr.Namespace,
		TypeOverrides:       swferr.TypeOverrides,
		Statuses:            swferr.Statuses,
		ValidationErrorCode: swferr.ValidationCode,
		InternalErrorCode:   swferr.InternalCode,
		AccessDeniedCode:    swferr.CodeOperationNotPermittedFault,
		Mapped:              swferr.Mapped,
		Ops:                 ops,
	}
}

// update runs fn in a write transaction. The engine's and the store's
// errors are answered as SWF errors by awsapi (swferr.Mapped).
func (s *Service) update(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.eng.Update(ctx, fn)
}

// view runs fn in a read transaction.
func (s *Service) view(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.eng.View(ctx, fn)
}

// checkName checks a domain, type, task list, activity, workflow, timer,
// marker or signal name by SWF's rules: no ':', '/', '|', no control
// characters, not the literal "arn", no leading or trailing whitespace.
// field names the member in the message.
func checkName(field, name string) error {
	bad := func(why string) error {
		return swferr.ValidationException("Invalid %s '%s': %s", field, name, why)
	}
	if name == "" {
		return bad("it must not be empty")
	}
	if name == "arn" {
		return bad("it must not be the literal string \"arn\"")
	}
	if strings.TrimSpace(name) != name {
		return bad("it must not start or end with whitespace")
	}
	for _, r := range name {
		if r == ':' || r == '/' || r == '|' || r <= 0x1f || (r >= 0x7f && r <= 0x9f) || r == unicode.ReplacementChar {
			return bad("it must not contain ':', '/', '|' or control characters")
		}
	}
	return nil
}

// pageSize returns the page size for maximumPageSize (0: 1000, SWF's
// default and maximum).
func pageSize(maximumPageSize int) int {
	if maximumPageSize <= 0 || maximumPageSize > 1000 {
		return 1000
	}
	return maximumPageSize
}

// listingKey names one listing so that a page token of one listing is
// refused by another.
func listingKey(parts ...string) string { return awsapi.ListingKey(parts...) }

// pager signs and opens page tokens with the engine's page key, at the
// engine's time.
func (s *Service) pager() awsapi.Pager {
	return awsapi.Pager{Secret: s.eng.PageKey(), Now: s.eng.Now()}
}

// tokenError answers a page token that awsapi.Pager refused: an expired
// one with AWS's words for it, any other with bad.
func tokenError(err error, bad error) error {
	if errors.Is(err, awsapi.ErrPageTokenExpired) {
		return swferr.ValidationException("Specified token has exceeded its maximum lifetime")
	}
	return bad
}

// pageToken encodes a listing's position, signed by pg.
func pageToken(pg awsapi.Pager, key string, pos int64) string {
	return pg.Token(key, pos)
}

// parsePageToken decodes a token made by pageToken for the same listing;
// an edited, forged, foreign or expired token is refused.
func parsePageToken(pg awsapi.Pager, key, tok string) (int64, error) {
	pos, err := pg.Position(key, tok)
	if err != nil {
		return 0, tokenError(err, swferr.ValidationException("Invalid nextPageToken: it is not a page token of this listing (give the same arguments as for the first page)"))
	}
	return pos, nil
}
