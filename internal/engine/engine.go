package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gaffer-dev/gaffer/internal/startstop"
	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/testsignal"
)

// Errors the engine's verbs return; dialects map them to their service's
// own error names.
var (
	// ErrInvalidToken means the token is not one this server minted.
	ErrInvalidToken = errors.New("engine: invalid task token")
	// ErrTaskClosed means the token's attempt is over: completed, failed,
	// timed out, canceled, or superseded by a later attempt.
	ErrTaskClosed = errors.New("engine: task attempt is no longer open")
	// ErrWrongQueue means the token names an open attempt of a task of
	// another queue than the verb takes (HeartbeatIn).
	ErrWrongQueue = errors.New("engine: task token of another queue")
	// ErrStopped means the engine is shutting down.
	ErrStopped = errors.New("engine: stopped")
	// ErrTooManyPollers means a poll found Config.MaxPollersPerQueue polls
	// already waiting on its queue (Poll).
	ErrTooManyPollers = errors.New("engine: too many polls wait on the queue")
	// ErrTooManyPolls means a poll found Config.MaxWaitingPolls polls
	// already waiting on the node's queues together (Poll).
	ErrTooManyPolls = errors.New("engine: too many polls wait")
)

// Owner is a dialect's side of the engine: it learns what happened to its
// tasks and timers and decides what comes next. Each method runs inside the
// store transaction that records the event, so the owner's reaction commits
// together with it (invariant 3). An error undoes both.
type Owner interface {
	// TaskStarted is called when an attempt is handed to a poller, in the
	// transaction that starts it; by says which transaction that is (see
	// StartKind), and so whether the owner has had the chance to record
	// the start already.
	TaskStarted(tx store.Tx, t *store.Task, by StartKind) error
	// TaskClosed is called when a task ends with outcome o; t is already
	// deleted from the store. A task completed through CompleteFunc is the
	// exception: its callback runs instead.
	TaskClosed(tx store.Tx, t *store.Task, o Outcome) error
	// TimerFired is called when a timer's time has come; tm is already
	// deleted from the store.
	TimerFired(tx store.Tx, tm *store.Timer) error
}

// BackgroundTimers is implemented by an owner some of whose timers start
// work no caller waits on and that may be long (a Step Functions execution
// going on with its run of states in a later write). Those timers fire in
// the store's background lane (store.Background), whose share of the
// writer is bounded while requests wait; every other deadline — timers a
// workflow waits on, task timeouts — fires in the request lane, so that a
// busy writer delays it no more than a request.
type BackgroundTimers interface {
	// BackgroundTimer reports whether timers of kind (store.Timer.Kind)
	// fire in the background lane.
	BackgroundTimer(kind string) bool
}

// StartKind says how an attempt was started.
type StartKind int

// Start kinds.
const (
	// StartedByPoll: a poll took the scheduled task and started it in a
	// transaction of its own, which TaskStarted is the owner's only part
	// in.
	StartedByPoll StartKind = iota + 1
	// StartedBySchedule: Schedule found a poller waiting and started the
	// task for it in the owner's own transaction, and said so
	// (Scheduled.Started). TaskStarted runs at the end of that
	// transaction; an owner that recorded the start when Schedule
	// returned has nothing left to do.
	StartedBySchedule
)

// Scheduled is what Schedule did with a task.
type Scheduled struct {
	// Started is true if a poller was waiting on the queue: the task was
	// inserted already started for it (attempt 1) and is handed to it
	// once the transaction commits. The owner may record the start in
	// the same transaction straight away; its TaskStarted is called too,
	// at the end of the transaction, with StartedBySchedule.
	Started bool
	// Worker is the identity of the poller the task was started for.
	Worker string
}

// OutcomeKind is how a task ended.
type OutcomeKind int

// Outcome kinds.
const (
	Completed OutcomeKind = iota + 1
	Failed
	TimedOut
	Canceled
)

// TimeoutKind says which timeout ended a task.
type TimeoutKind int

// Timeout kinds.
const (
	ScheduleToStart TimeoutKind = iota + 1
	ScheduleToClose
	StartToClose
	Heartbeat
)

// String returns the SWF-style name of the timeout ("HEARTBEAT", ...).
func (k TimeoutKind) String() string {
	switch k {
	case ScheduleToStart:
		return "SCHEDULE_TO_START"
	case ScheduleToClose:
		return "SCHEDULE_TO_CLOSE"
	case StartToClose:
		return "START_TO_CLOSE"
	case Heartbeat:
		return "HEARTBEAT"
	}
	return fmt.Sprintf("TimeoutKind(%d)", int(k))
}

// Outcome is how a task ended and with what.
type Outcome struct {
	Kind    OutcomeKind
	Result  []byte      // Completed: the worker's result, as given to Complete
	Error   string      // Failed
	Cause   string      // Failed
	Timeout TimeoutKind // TimedOut
	// Details are the last heartbeat's details (TimedOut) or the worker's
	// cancellation details (Canceled).
	Details []byte
	// Worker is the identity of the attempt's holder, if it was started.
	Worker string
}

// Config configures an Engine.
type Config struct {
	Store  store.Store
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// FlushInterval is how often heartbeats kept in memory are persisted;
	// default one second. A restart gives each started attempt this much
	// grace on top of its last persisted heartbeat.
	FlushInterval time.Duration
	// MaxPollersPerQueue caps the polls waiting on one queue (AWS allows
	// 1,000 pollers per activity); 0 means DefaultMaxPollersPerQueue, and
	// a negative value no cap.
	MaxPollersPerQueue int
	// MaxWaitingPolls caps the polls waiting on all queues together (each
	// holds a connection); 0 or less means no cap.
	MaxWaitingPolls int
	// Cluster, if set, makes the engine one of several nodes sharing the
	// store (see Cluster); nil means alone: the engine owns every
	// partition, its memory is the whole truth, and Start loads every
	// open task and timer.
	Cluster Cluster
	// Observer, if set, is told of what the engine measures inside
	// (metrics); nil costs one check where it would be called.
	Observer Observer
}

// DefaultMaxPollersPerQueue is Config.MaxPollersPerQueue's default: AWS's
// limit of concurrent pollers per Step Functions activity.
const DefaultMaxPollersPerQueue = 1000

// Stats is a snapshot of the engine's in-memory queues, cheap to take (one
// lock, no allocation): for tests and metrics.
type Stats struct {
	// Queues is how many queues are in memory: those with a task id held
	// for the next poll or a poll waiting. An idle queue is not kept.
	Queues int
	// WaitingPolls is how many polls wait, on all queues.
	WaitingPolls int
	// QueuedTasks is how many scheduled task ids wait for a poll, on all
	// queues (a hint: a task canceled meanwhile is counted until a poll
	// skips it).
	QueuedTasks int
}

// Engine coordinates tasks: queues with long-polling workers, attempts
// with tokens and heartbeats, and the deadlines around them. It knows
// nothing of AWS; dialects drive it through Owner callbacks and its verbs.
// See doc.go for the protocol.
type Engine struct {
	store  store.Store
	log    *slog.Logger
	now    func() time.Time
	flush  time.Duration
	owners map[string]Owner
	// bgTimers holds the registered owners that name background timers
	// (BackgroundTimers), by kind: WrapOwners's wrappers need not pass
	// the method on.
	bgTimers map[string]BackgroundTimers
	// cluster is Config.Cluster (nil: alone); shared is its Shared(),
	// read once.
	cluster Cluster
	shared  bool
	// timers holds the ids of the timers whose deadlines this node holds
	// and that have neither fired nor been canceled here: arming one twice
	// adds one deadline, and the deadline of a canceled timer is dropped
	// from memory (stale, compaction) instead of waiting until it is due
	// (an SWF workflow's timeout timer may be a year away).
	timers *idSet
	// ctx is the loops' context once Start has begun: store reads of the
	// verbs that take none (a heartbeat missing memory on a shared store)
	// run under it.
	ctx atomic.Pointer[context.Context]

	tokens    tokens
	matcher   *matcher
	active    *active
	deadlines *deadlines
	// scheduled holds the ids of scheduled tasks with schedule timeouts,
	// so that a due schedule deadline of a task that started or ended is
	// dropped without a store lookup (stale).
	scheduled *idSet

	// Deadline firing (loops.go); tests may lower these before Start.
	batchSize    int           // deadlines per store.Update
	firers       int           // batches in flight
	compactEvery time.Duration // the constant compactEvery
	throttle     struct {
		mu                 sync.Mutex
		logged             time.Time
		retries, deadlines int
	}
	// Counters, for tests and metrics: deadlines handled (their
	// transaction committed), dropped in memory as stale, and the batches
	// that handled them.
	fired, dropped, fireBatches atomic.Int64
	// deadlineWork is signalled after each pass of the deadline loop over
	// the due deadlines and after each batch is handled (for tests).
	deadlineWork testsignal.Signal[struct{}]
	// flushed is signalled after each pass of the heartbeat flusher (for
	// tests).
	flushed testsignal.Signal[struct{}]
	// obs is Config.Observer (nil: none).
	obs Observer

	// life runs the deadline loop and its firers and the heartbeat
	// flusher; Stop waits for all of them.
	life startstop.Base
}

// New returns an engine; register owners, then call Start.
func New(cfg Config) *Engine {
	limits := pollLimits{perQueue: cfg.MaxPollersPerQueue, total: max(cfg.MaxWaitingPolls, 0)}
	switch {
	case limits.perQueue == 0:
		limits.perQueue = DefaultMaxPollersPerQueue
	case limits.perQueue < 0:
		limits.perQueue = 0
	}
	e := &Engine{
		store:        cfg.Store,
		log:          cfg.Logger,
		now:          cfg.Now,
		flush:        cfg.FlushInterval,
		owners:       make(map[string]Owner),
		bgTimers:     make(map[string]BackgroundTimers),
		matcher:      newMatcher(limits, cfg.Observer),
		active:       newActive(),
		deadlines:    newDeadlines(),
		scheduled:    newIDSet(),
		batchSize:    fireBatchSize,
		firers:       fireWorkers,
		compactEvery: compactEvery,
		cluster:      cfg.Cluster,
		obs:          cfg.Observer,
	}
	e.timers = newIDSet()
	if e.cluster != nil {
		e.shared = e.cluster.Shared()
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.flush <= 0 {
		e.flush = time.Second
	}
	return e
}

// RegisterOwner makes o the owner of tasks and timers whose OwnerKind is
// kind. Call it before Start.
func (e *Engine) RegisterOwner(kind string, o Owner) {
	e.owners[kind] = o
	if bt, ok := o.(BackgroundTimers); ok {
		e.bgTimers[kind] = bt
	}
}

// Now returns the engine's clock reading.
func (e *Engine) Now() time.Time { return e.now() }

const secretKey = "engine.token_secret"

// Start loads the token secret and the open tasks and timers from the store,
// re-arms their deadlines, and starts the background loops. It returns once
// the engine is ready to serve. With a Config.Cluster, Start loads the
// token secret only: the cluster calls Acquire for the partitions it takes. ctx bounds the loading and is the parent of
// the loops' context (see package startstop). An engine starts once: a
// second Start returns startstop.ErrStarted, and one after Stop, or after a
// failed Start, startstop.ErrStop.
func (e *Engine) Start(ctx context.Context) error {
	ctx, err := e.life.StartInit(ctx)
	if err != nil {
		return err
	}
	e.ctx.Store(&ctx)
	if err := e.load(ctx); err != nil {
		e.life.Stop()
		return err
	}
	e.life.Go(e.runDeadlines)
	e.life.Go(e.runFlusher)
	return nil
}

func (e *Engine) load(ctx context.Context) error {
	err := e.store.Update(ctx, func(tx store.Tx) error {
		secret, err := tx.GetMeta(secretKey)
		if errors.Is(err, store.ErrNotFound) {
			secret = make([]byte, 32)
			if _, err := rand.Read(secret); err != nil {
				return err
			}
			return tx.PutMeta(secretKey, secret)
		}
		e.tokens.secret = secret
		return err
	})
	if err != nil {
		return fmt.Errorf("load token secret: %w", err)
	}
	if e.tokens.secret == nil {
		if err := e.store.View(ctx, func(tx store.Tx) error {
			s, err := tx.GetMeta(secretKey)
			e.tokens.secret = s
			return err
		}); err != nil {
			return fmt.Errorf("load token secret: %w", err)
		}
	}
	if e.cluster != nil {
		return nil // the cluster calls Acquire
	}
	if err := e.loadTasksAndTimers(ctx, nil); err != nil {
		return fmt.Errorf("load tasks and timers: %w", err)
	}
	return nil
}

// Start-up loading: tasks and timers are read loadPage at a time, so that
// a large backlog is never all in memory as store records at once, and a
// progress line is logged every loadLogEvery of them.
const (
	loadPage     = 1000
	loadLogEvery = 25000
)

// loadTasksAndTimers re-arms every open task and timer of the store (of
// partitions only, if not nil: Acquire), a page at a time, in one read
// transaction (one consistent snapshot). Nothing serves meanwhile: Start
// returns once it is done, because until then a heartbeat or completion of
// a loaded attempt would be refused as closed and pollers would miss the
// loaded tasks. A deadline loaded already due fires once the loops start
// (at once, for Acquire), in batches like any other.
func (e *Engine) loadTasksAndTimers(ctx context.Context, partitions []int) error {
	began := time.Now() // wall time for the log, whatever the engine's clock
	var tasks, timers int
	progress := func() {
		if n := tasks + timers; n%loadLogEvery == 0 && n > 0 {
			e.log.Info("engine loading", "partitions", len(partitions), "tasks", tasks, "timers", timers, "took", time.Since(began))
		}
	}
	err := e.store.View(ctx, func(tx store.Tx) error {
		for after := int64(0); ; {
			page, err := tx.ListTasks(store.TaskQuery{Partitions: partitions, AfterID: after, Limit: loadPage})
			if err != nil {
				return err
			}
			for _, t := range page {
				e.loadTask(t)
				tasks++
				progress()
			}
			if len(page) < loadPage {
				break
			}
			after = page[len(page)-1].ID
		}
		for after := int64(0); ; {
			page, err := tx.ListTimers(store.TimerQuery{Partitions: partitions, AfterID: after, Limit: loadPage})
			if err != nil {
				return err
			}
			for _, tm := range page {
				e.armTimer(tm)
				timers++
				progress()
			}
			if len(page) < loadPage {
				break
			}
			after = page[len(page)-1].ID
		}
		return nil
	})
	if err != nil {
		return err
	}
	e.log.Info("engine loaded", "partitions", len(partitions), "tasks", tasks, "timers", timers, "took", time.Since(began))
	return nil
}

// loadTask re-arms one task read from the store (at start, or by Acquire):
// its deadlines if its partition is owned here, and a scheduled one is
// offered to the pollers.
func (e *Engine) loadTask(t *store.Task) {
	switch t.State {
	case store.TaskScheduled:
		if e.owns(t.Partition) {
			e.armScheduled(t)
		}
		e.offer(t.Queue, t.ID, false)
	case store.TaskStarted:
		e.armAttempt(t, true, e.owns(t.Partition))
	}
}

// armTimer sets the deadline of timer tm, read from the store, if its
// partition is owned here and this node does not hold it already.
func (e *Engine) armTimer(tm *store.Timer) {
	if e.cluster != nil && !e.cluster.Owns(tm.Partition) {
		return
	}
	if !e.timers.addIn(tm.ID, tm.Partition) {
		return
	}
	e.deadlines.add(e.timerDeadline(tm))
}

// timerDeadline returns the deadline of timer tm.
func (e *Engine) timerDeadline(tm *store.Timer) deadline {
	dl := deadline{at: tm.FireAt, kind: dlTimer, partition: uint16(tm.Partition), id: tm.ID}
	if bt, ok := e.bgTimers[tm.OwnerKind]; ok {
		dl.background = bt.BackgroundTimer(tm.Kind)
	}
	return dl
}

// Stop releases waiting pollers, stops the background loops (their context
// ends with startstop.ErrStop), persists heartbeats kept in memory, and
// returns once every engine goroutine has exited. It is safe to call twice,
// and before Start. The store must stay open until Stop returns.
func (e *Engine) Stop() {
	e.matcher.close()
	e.life.Stop()
}

// Waiting reports how many polls wait on queue now (for tests and
// metrics).
func (e *Engine) Waiting(queue string) int { return e.matcher.waiting(queue) }

// Stats returns a snapshot of the engine's in-memory queues.
func (e *Engine) Stats() Stats { return e.matcher.stats() }

// PollWaits is signalled each time a poll starts waiting on a queue, and
// each time one gives up waiting (its deadline passed or its client left);
// tests wait on it (with Waiting or Stats as the condition) instead of
// sleeping.
func (e *Engine) PollWaits() *testsignal.Signal[struct{}] { return &e.matcher.waits }

// DeadlineWork is signalled after each pass of the deadline loop over the
// due deadlines and after each batch of them is handled (its Observer
// told); tests wait on it instead of sleeping.
func (e *Engine) DeadlineWork() *testsignal.Signal[struct{}] { return &e.deadlineWork }

// HeartbeatFlushes is signalled after each pass of the heartbeat flusher
// (its Observer told); tests wait on it instead of sleeping.
func (e *Engine) HeartbeatFlushes() *testsignal.Signal[struct{}] { return &e.flushed }

// Drain releases every waiting poller with an empty answer and makes later
// polls return at once; the rest of the engine keeps working. Servers call
// it first when shutting down.
func (e *Engine) Drain() { e.matcher.close() }

// Update runs fn in a store transaction (see store.Store.Update). Dialects
// use it for every write, so that their owner state and the engine's tasks
// and timers commit together.
func (e *Engine) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	return e.update(ctx, fn)
}

// engTx is the transaction the engine gives to Update's fn and to owner
// callbacks: the store's, plus the tasks Schedule started in it for
// reserved pollers.
type engTx struct {
	store.Tx
	eager []*eagerStart
}

// eagerStart is a task started by Schedule for a reserved poller.
type eagerStart struct {
	id     int64
	w      *waiter
	handed bool // fulfilled or released
}

// update runs fn in a store transaction. Tasks that fn scheduled and
// started for waiting pollers get their owners' TaskStarted once fn is
// done (so that the owner's records written after Schedule are there),
// within the same transaction; after the commit each poller gets its task,
// and if the transaction fails the pollers go back to waiting.
func (e *Engine) update(ctx context.Context, fn func(tx store.Tx) error) error {
	var et *engTx
	err := e.store.Update(ctx, func(tx store.Tx) error {
		if et != nil {
			e.releaseEager(et) // fn runs again: an earlier run's reservations are void
		}
		et = &engTx{Tx: tx}
		if err := fn(et); err != nil {
			return err
		}
		return e.startEager(et)
	})
	if err != nil && et != nil {
		e.releaseEager(et)
	}
	return err
}

// updateEach runs fn(tx, i) for each i below n in one store transaction,
// each in a savepoint of its own (store.Tx.Savepoint): errs[i] gets fn's
// error for i, whose writes, after-commit effects and eager starts are
// undone without touching the others'. It returns the transaction's own
// error (the store overloaded, a failed commit), in which case nothing
// committed.
func (e *Engine) updateEach(ctx context.Context, n int, fn func(tx store.Tx, i int) error, errs []error) error {
	var ets []*engTx // those with eager starts
	release := func() {
		for _, et := range ets {
			e.releaseEager(et)
		}
		ets = ets[:0]
	}
	err := e.store.Update(ctx, func(tx store.Tx) error {
		release() // fn runs again: an earlier run's reservations are void
		for i := range n {
			var et *engTx
			errs[i] = tx.Savepoint(func(tx store.Tx) error {
				et = &engTx{Tx: tx}
				if err := fn(et, i); err != nil {
					return err
				}
				return e.startEager(et)
			})
			switch {
			case et == nil:
			case errs[i] != nil:
				e.releaseEager(et)
			case len(et.eager) > 0:
				ets = append(ets, et)
			}
		}
		return nil
	})
	if err != nil {
		release()
	}
	return err
}

// startEager calls the owners' TaskStarted for the tasks started in et
// and arranges their hand-over after the commit. A task that the
// transaction ended again is not handed over.
func (e *Engine) startEager(et *engTx) error {
	for i := 0; i < len(et.eager); i++ { // TaskStarted may schedule more
		es := et.eager[i]
		t, err := et.GetTask(es.id)
		if errors.Is(err, store.ErrNotFound) || err == nil && t.State != store.TaskStarted {
			es.handed = true
			e.matcher.release(es.w)
			continue
		}
		if err != nil {
			return err
		}
		task := *t
		et.AfterCommit(func() { // before the owner's callbacks
			e.startedHere(&task)
			es.handed = true
			e.matcher.fulfil(es.w, &task)
		})
		if err := e.owners[t.OwnerKind].TaskStarted(et, t, StartedBySchedule); err != nil {
			return err
		}
	}
	return nil
}

// releaseEager sends the pollers reserved in et, and not yet handed a
// task, back to waiting.
func (e *Engine) releaseEager(et *engTx) {
	for _, es := range et.eager {
		if !es.handed {
			es.handed = true
			e.matcher.release(es.w)
		}
	}
}

// View runs fn in a read-only store transaction.
func (e *Engine) View(ctx context.Context, fn func(tx store.Tx) error) error {
	return e.store.View(ctx, fn)
}

// Schedule adds task t to its queue within tx (t gets its id and state).
// If a poller waits on the queue (and tx is one the engine gave), the task
// is started for it in tx and handed to it once tx commits: one commit
// fewer than a poller starting it. The result says so (Scheduled.Started),
// and the owner's TaskStarted runs at the end of the transaction with
// StartedBySchedule. Otherwise, once tx commits, t is handed to the next
// poller, and its schedule timeouts run. t.OwnerKind must name a
// registered owner.
func (e *Engine) Schedule(tx store.Tx, t *store.Task) (Scheduled, error) {
	if _, ok := e.owners[t.OwnerKind]; !ok {
		return Scheduled{}, fmt.Errorf("schedule task: no owner %q", t.OwnerKind)
	}
	t.State = store.TaskScheduled
	t.Partition = store.PartitionOf(t.OwnerID)
	if t.ScheduledAt.IsZero() {
		t.ScheduledAt = e.now()
	}
	if et, ok := tx.(*engTx); ok {
		if w := e.matcher.reserve(t.Queue); w != nil {
			t.State = store.TaskStarted
			t.Attempt++
			t.StartedAt = e.now()
			t.Worker = w.worker
			es := &eagerStart{w: w}
			et.eager = append(et.eager, es) // released if the insert fails
			if err := tx.InsertTask(t); err != nil {
				return Scheduled{}, fmt.Errorf("schedule task: %w", err)
			}
			es.id = t.ID
			return Scheduled{Started: true, Worker: w.worker}, nil
		}
	}
	if err := tx.InsertTask(t); err != nil {
		return Scheduled{}, fmt.Errorf("schedule task: %w", err)
	}
	task := *t
	tx.AfterCommit(func() { e.scheduledHere(&task) })
	return Scheduled{}, nil
}

// SetTimer adds a durable timer within tx; once tx commits it fires at
// tm.FireAt (or at once if that has passed), calling the owner's TimerFired.
func (e *Engine) SetTimer(tx store.Tx, tm *store.Timer) error {
	if _, ok := e.owners[tm.OwnerKind]; !ok {
		return fmt.Errorf("set timer: no owner %q", tm.OwnerKind)
	}
	tm.Partition = store.PartitionOf(tm.OwnerID)
	if err := tx.InsertTimer(tm); err != nil {
		return fmt.Errorf("set timer: %w", err)
	}
	timer := *tm
	tx.AfterCommit(func() {
		if e.cluster == nil || e.cluster.Owns(timer.Partition) {
			e.armTimer(&timer)
		} else {
			e.cluster.Arm(timer.Partition, nil, []int64{timer.ID})
		}
	})
	return nil
}

// CancelTimer deletes a timer within tx; it will not fire. Once tx
// commits its deadline here is known to be over, and is dropped from
// memory at the next compaction rather than when it falls due.
func (e *Engine) CancelTimer(tx store.Tx, id int64) error {
	if err := tx.DeleteTimer(id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("cancel timer: %w", err)
	}
	tx.AfterCommit(func() { e.timers.remove(id) })
	return nil
}

// CloseTask ends task t within tx without telling its owner (the owner
// itself is ending it, e.g. the execution was stopped). Its token dies.
func (e *Engine) CloseTask(tx store.Tx, t *store.Task) error {
	if err := tx.DeleteTask(t.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("close task: %w", err)
	}
	id, attempt := t.ID, t.Attempt
	tx.AfterCommit(func() { e.forget(id, attempt) })
	return nil
}

// RequestCancel marks task t as asked to cancel within tx; once tx commits,
// the holder's next heartbeat learns it.
func (e *Engine) RequestCancel(tx store.Tx, t *store.Task) error {
	t.CancelRequested = true
	if err := tx.UpdateTask(t); err != nil {
		return fmt.Errorf("request cancel: %w", err)
	}
	id, attempt := t.ID, t.Attempt
	tx.AfterCommit(func() { e.cancelRequested(id, attempt) })
	return nil
}

// cancelRequested notes in memory that the holder of task id's attempt is
// asked to cancel.
func (e *Engine) cancelRequested(id int64, attempt int) {
	if at := e.active.get(id); at != nil && at.attempt == attempt {
		at.mu.Lock()
		at.cancelRequested = true
		at.mu.Unlock()
	}
}

// Poll waits up to wait for a task on queue, starts an attempt of it for
// worker and returns the task and the attempt's token. It returns a nil task
// if none came in time, ctx ended, or the engine is draining. The start is
// durable before Poll returns. A poll that finds no task and would wait past
// Config.MaxPollersPerQueue or Config.MaxWaitingPolls is refused at once
// with ErrTooManyPollers or ErrTooManyPolls.
func (e *Engine) Poll(ctx context.Context, queue, worker string, wait time.Duration) (*store.Task, string, error) {
	// A poll holds a request: it waits in real time, whatever the engine's
	// clock (a manual clock may stand still or jump years).
	deadline := time.Now().Add(wait)
	looking := e.shared // on a shared store, look in it before waiting
	for {
		var look func()
		if looking {
			// Called once the poll waits, so a task scheduled elsewhere
			// after the look reaches it by WakeQueue.
			look = func() { looking = e.lookIn(ctx, queue) > 0 }
		}
		h, ok, err := e.matcher.takeLooking(ctx, queue, worker, deadline, look)
		if !ok {
			return nil, "", err
		}
		if t := h.started; t != nil {
			if ctx.Err() != nil {
				// Started for this poller by a transaction while its client
				// left: never answer a dead connection.
				e.giveBack(ctx, t)
				return nil, "", nil
			}
			return t, e.tokens.encode(tokenRef{partition: t.Partition, taskID: t.ID, attempt: t.Attempt}), nil
		}
		id := h.id
		if ctx.Err() != nil {
			// The poller is gone: never hand a task to a dead connection.
			e.matcher.putBack(queue, id)
			return nil, "", nil
		}
		t, err := e.start(ctx, id, worker)
		switch {
		case err == nil && ctx.Err() != nil:
			e.giveBack(ctx, t) // the client left while the start committed
			return nil, "", nil
		case err == nil:
			return t, e.tokens.encode(tokenRef{partition: t.Partition, taskID: t.ID, attempt: t.Attempt}), nil
		case errors.Is(err, errNotSchedulable):
			continue // canceled or taken meanwhile
		default:
			e.matcher.putBack(queue, id)
			return nil, "", err
		}
	}
}

var errNotSchedulable = errors.New("task is not waiting to start")

// giveBack returns task t, started for a poll whose client left before it
// could be answered, to its queue: that attempt is void (its token dies and
// its deadlines are dropped) and the next poll starts another. The owner,
// told of the void start, is told of the next one too. This narrows, but
// cannot close, the window every long poll has: a client that leaves after
// this check and before the answer reaches it loses the task to its
// timeouts.
func (e *Engine) giveBack(ctx context.Context, t *store.Task) {
	err := e.update(context.WithoutCancel(ctx), func(tx store.Tx) error {
		cur, err := tx.GetTask(t.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if cur.State != store.TaskStarted || cur.Attempt != t.Attempt {
			return nil // answered, timed out or closed meanwhile
		}
		cur.State, cur.Worker = store.TaskScheduled, ""
		cur.StartedAt, cur.HeartbeatAt, cur.Details = time.Time{}, time.Time{}, nil
		if err := tx.UpdateTask(cur); err != nil {
			return err
		}
		task := *cur
		tx.AfterCommit(func() {
			e.forget(task.ID, t.Attempt)
			e.scheduledHere(&task)
		})
		return nil
	})
	if err != nil {
		e.log.Error("a task started for a poller that left could not be given back; its timeouts will end it", "task", t.ID, "err", err)
	}
}

// start durably starts the next attempt of task id.
func (e *Engine) start(ctx context.Context, id int64, worker string) (*store.Task, error) {
	var started *store.Task
	err := e.update(ctx, func(tx store.Tx) error {
		t, err := tx.GetTask(id)
		if errors.Is(err, store.ErrNotFound) {
			return errNotSchedulable
		}
		if err != nil {
			return err
		}
		if t.State != store.TaskScheduled {
			return errNotSchedulable
		}
		t.State = store.TaskStarted
		t.Attempt++
		t.StartedAt = e.now()
		t.Worker = worker
		t.HeartbeatAt = time.Time{}
		t.Details = nil
		if err := tx.UpdateTask(t); err != nil {
			return err
		}
		task := *t
		tx.AfterCommit(func() { e.startedHere(&task) }) // before the owner's callbacks
		if err := e.owners[t.OwnerKind].TaskStarted(tx, t, StartedByPoll); err != nil {
			return err
		}
		started = t
		return nil
	})
	return started, err
}

// armScheduled sets the deadlines of a scheduled task (after noting it in
// the scheduled set, which stale reads), unless the set has it already:
// its deadlines are set.
func (e *Engine) armScheduled(t *store.Task) {
	if t.ScheduleToStart <= 0 && t.ScheduleToClose <= 0 || !e.scheduled.addIn(t.ID, t.Partition) {
		return
	}
	p := uint16(t.Partition)
	if t.ScheduleToStart > 0 {
		e.deadlines.add(deadline{at: t.ScheduledAt.Add(t.ScheduleToStart), kind: dlScheduleToStart, partition: p, id: t.ID, attempt: t.Attempt})
	}
	if t.ScheduleToClose > 0 {
		e.deadlines.add(deadline{at: t.ScheduledAt.Add(t.ScheduleToClose), kind: dlScheduleToClose, partition: p, id: t.ID, attempt: -1})
	}
}

// armStarted records a started attempt in memory and sets its deadlines.
func (e *Engine) armStarted(t *store.Task) *attempt { return e.armAttempt(t, false, true) }

// armAttempt records started attempt t in memory, keeping the entry of the
// same attempt if there is one, and, with deadlines, sets its deadlines
// unless they are set already (attempt.armed): start-to-close, heartbeat,
// and schedule-to-close unless the task's scheduled period set it here.
// loaded says that t was read from the store rather than started here:
// heartbeats newer than the last flush may have been lost (with a process
// that stopped, or on another node not flushed yet), so the holder gets
// its last persisted beat plus one flush interval.
func (e *Engine) armAttempt(t *store.Task, loaded, deadlines bool) *attempt {
	fresh := &attempt{
		taskID:          t.ID,
		attempt:         t.Attempt,
		queue:           t.Queue,
		owner:           t.OwnerID,
		heartbeat:       t.Heartbeat,
		partition:       t.Partition,
		deadlines:       t.StartToClose > 0 || t.Heartbeat > 0 || t.ScheduleToClose > 0,
		lastBeat:        t.StartedAt,
		cancelRequested: t.CancelRequested,
	}
	if loaded {
		if t.HeartbeatAt.After(fresh.lastBeat) {
			fresh.lastBeat = t.HeartbeatAt
		}
		fresh.lastBeat = fresh.lastBeat.Add(e.flush)
		fresh.details = t.Details
	}
	at, isNew := e.active.putNew(fresh)
	if !isNew && loaded {
		at.mu.Lock()
		if fresh.lastBeat.After(at.lastBeat) {
			at.lastBeat = fresh.lastBeat
			if !at.dirty {
				at.details = fresh.details
			}
		}
		at.cancelRequested = at.cancelRequested || t.CancelRequested
		at.mu.Unlock()
	}
	wasScheduled := false
	if t.ScheduleToStart > 0 || t.ScheduleToClose > 0 {
		wasScheduled = e.scheduled.take(t.ID) // after the put: see stale
	}
	if !deadlines {
		return at
	}
	p := uint16(t.Partition)
	at.mu.Lock()
	armed := at.armed
	at.armed = true
	if !armed && t.Heartbeat > 0 {
		at.hbDue = t.StartedAt.Add(t.Heartbeat)
	}
	at.mu.Unlock()
	if armed {
		return at
	}
	if t.ScheduleToClose > 0 && !wasScheduled {
		e.deadlines.add(deadline{at: t.ScheduledAt.Add(t.ScheduleToClose), kind: dlScheduleToClose, partition: p, id: t.ID, attempt: -1})
	}
	if t.StartToClose > 0 {
		e.deadlines.add(deadline{at: t.StartedAt.Add(t.StartToClose), kind: dlStartToClose, partition: p, id: t.ID, attempt: t.Attempt})
	}
	if t.Heartbeat > 0 {
		e.deadlines.add(deadline{at: t.StartedAt.Add(t.Heartbeat), kind: dlHeartbeat, partition: p, id: t.ID, attempt: t.Attempt})
	}
	return at
}

// HeartbeatResult is what a heartbeat learns.
type HeartbeatResult struct {
	// CancelRequested is true once the task's owner asked it to stop.
	CancelRequested bool
}

// Heartbeat records that the holder of token is alive, with optional
// details. It costs no store write: the latest heartbeat is kept in memory
// and persisted lazily (see Config.FlushInterval).
func (e *Engine) Heartbeat(token string, details []byte) (HeartbeatResult, error) {
	return e.HeartbeatIn("", token, details)
}

// HeartbeatIn is Heartbeat for a token of a task whose queue begins with
// queuePrefix: a token of any other queue gets ErrWrongQueue and records
// nothing. Dialects with several kinds of tasks use it to refuse a token of
// the wrong kind.
func (e *Engine) HeartbeatIn(queuePrefix, token string, details []byte) (HeartbeatResult, error) {
	return e.heartbeat(queuePrefix, token, details, nil)
}

// HeartbeatOf is Heartbeat for a caller that may use only some owners'
// tokens: allowed sees the task's owner id, and a token of an owner it
// refuses answers ErrTaskClosed, as a token of a closed task, recording
// nothing. The token is decoded once (TaskOwner then Heartbeat would
// decode it twice on the hottest path).
func (e *Engine) HeartbeatOf(token string, details []byte, allowed func(owner string) bool) (HeartbeatResult, error) {
	return e.heartbeat("", token, details, allowed)
}

func (e *Engine) heartbeat(queuePrefix, token string, details []byte, allowed func(owner string) bool) (HeartbeatResult, error) {
	at, err := e.openAttempt(token)
	if err != nil {
		return HeartbeatResult{}, err
	}
	if !strings.HasPrefix(at.queue, queuePrefix) {
		return HeartbeatResult{}, ErrWrongQueue
	}
	if allowed != nil && !allowed(at.owner) {
		return HeartbeatResult{}, ErrTaskClosed
	}
	now := e.now()
	at.mu.Lock()
	at.lastBeat = now
	if details != nil {
		at.details = details
	}
	// Persist only what a restart needs: the beat time of an attempt with a
	// heartbeat timeout, and details; on a shared store, every beat, so
	// that the flusher reads the row (a close or cancel request of
	// another node's).
	if at.heartbeat > 0 || details != nil || e.shared {
		at.dirty = true
	}
	res := HeartbeatResult{CancelRequested: at.cancelRequested}
	at.mu.Unlock()
	return res, nil
}

// Complete ends the attempt named by token successfully with result, which
// the owner's TaskClosed gets as Outcome.Result.
func (e *Engine) Complete(ctx context.Context, token string, result []byte) error {
	return e.finish(ctx, token, Outcome{Kind: Completed, Result: result}, nil)
}

// CompleteFunc ends the attempt named by token successfully, like Complete,
// for a worker whose answer is more than a result (an SWF decider's
// decisions): the answer stays in the dialect's own type, held by closed,
// which runs instead of the owner's TaskClosed, in the transaction that
// closes the task (t is already deleted). An error from closed undoes the
// close and is returned: the attempt stays open (closed returns
// ErrTaskClosed to refuse the token of a task the verb does not apply to).
func (e *Engine) CompleteFunc(ctx context.Context, token string, closed func(tx store.Tx, t *store.Task) error) error {
	return e.finish(ctx, token, Outcome{Kind: Completed}, closed)
}

// Fail ends the attempt named by token with an error and a cause.
func (e *Engine) Fail(ctx context.Context, token, errName, cause string) error {
	return e.finish(ctx, token, Outcome{Kind: Failed, Error: errName, Cause: cause}, nil)
}

// AcknowledgeCancel ends the attempt named by token as canceled by its
// worker, with details.
func (e *Engine) AcknowledgeCancel(ctx context.Context, token string, details []byte) error {
	return e.finish(ctx, token, Outcome{Kind: Canceled, Details: details}, nil)
}

// TokenTask returns the id of the task whose attempt token names, whether
// or not the attempt is still open, or ErrInvalidToken: for dialects that
// word the answer to a closed task's token from what they know of the
// task.
func (e *Engine) TokenTask(token string) (int64, error) {
	ref, err := e.tokens.decode(token)
	if err != nil {
		return 0, ErrInvalidToken
	}
	return ref.taskID, nil
}

// TaskQueue returns the queue of the started task whose current attempt
// token names, or ErrInvalidToken / ErrTaskClosed, from memory (on a shared
// store, from the task's row if memory misses it): for dialects that
// authorize a caller on the resource a token's task belongs
// to before they act on it.
func (e *Engine) TaskQueue(token string) (string, error) {
	at, err := e.openAttempt(token)
	if err != nil {
		return "", err
	}
	return at.queue, nil
}

// TaskOwner returns the OwnerID of the started task whose current attempt
// token names, or ErrInvalidToken / ErrTaskClosed, from memory (on a shared
// store, from the task's row if memory misses it): for dialects that keep a token's task from callers that may not see its
// owner (another region's execution) before they act on it.
func (e *Engine) TaskOwner(token string) (string, error) {
	at, err := e.openAttempt(token)
	if err != nil {
		return "", err
	}
	return at.owner, nil
}

// openAttempt returns the in-memory entry of the open attempt token names,
// or ErrInvalidToken / ErrTaskClosed: from memory, or on a shared store
// from the task's row when memory misses it (missed).
func (e *Engine) openAttempt(token string) (*attempt, error) {
	ref, err := e.tokens.decode(token)
	if err != nil {
		return nil, ErrInvalidToken
	}
	at := e.active.get(ref.taskID)
	if at == nil || at.attempt != ref.attempt {
		return e.missed(ref, at)
	}
	return at, nil
}

// OpenTask returns, within tx, the started task whose current attempt
// token names, or ErrInvalidToken / ErrTaskClosed. It is for dialects that
// act on a token beyond the engine's verbs (Data Pipeline's
// ReportTaskProgress records the runner's acknowledgement on its attempt).
func (e *Engine) OpenTask(tx store.Tx, token string) (*store.Task, error) {
	ref, err := e.tokens.decode(token)
	if err != nil {
		return nil, ErrInvalidToken
	}
	t, err := tx.GetTask(ref.taskID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrTaskClosed
	}
	if err != nil {
		return nil, err
	}
	if t.State != store.TaskStarted || t.Attempt != ref.attempt {
		return nil, ErrTaskClosed
	}
	return t, nil
}

// finish ends the attempt named by token with o; closed, if not nil, runs
// instead of the owner's TaskClosed (CompleteFunc).
func (e *Engine) finish(ctx context.Context, token string, o Outcome, closed func(tx store.Tx, t *store.Task) error) error {
	ref, err := e.tokens.decode(token)
	if err != nil {
		return ErrInvalidToken
	}
	if !e.shared { // alone, memory knows every open attempt
		if at := e.active.get(ref.taskID); at == nil || at.attempt != ref.attempt {
			return ErrTaskClosed // fast path: no store round trip for a dead token
		}
	}
	return e.update(ctx, func(tx store.Tx) error {
		t, err := tx.GetTask(ref.taskID)
		if errors.Is(err, store.ErrNotFound) {
			return ErrTaskClosed
		}
		if err != nil {
			return err
		}
		if t.State != store.TaskStarted || t.Attempt != ref.attempt {
			return ErrTaskClosed
		}
		if closed == nil {
			return e.closeWith(tx, t, o)
		}
		if err := e.deleteTask(tx, t); err != nil {
			return err
		}
		return closed(tx, t)
	})
}

// closeWith deletes t and tells its owner how it ended, within tx.
func (e *Engine) closeWith(tx store.Tx, t *store.Task, o Outcome) error {
	if err := e.deleteTask(tx, t); err != nil {
		return err
	}
	if t.State == store.TaskStarted {
		o.Worker = t.Worker
	}
	return e.owners[t.OwnerKind].TaskClosed(tx, t, o)
}

// deleteTask deletes t within tx and, once tx commits, its attempt's
// in-memory state. That effect is registered before the owner's, so that
// by the time the owner's after-commit callbacks run the token is already
// dead.
func (e *Engine) deleteTask(tx store.Tx, t *store.Task) error {
	if err := tx.DeleteTask(t.ID); err != nil {
		return err
	}
	id, attempt := t.ID, t.Attempt
	tx.AfterCommit(func() { e.forget(id, attempt) })
	return nil
}

// forget drops the in-memory state of task id, deleted with the given
// attempt.
func (e *Engine) forget(id int64, attempt int) {
	e.active.remove(id, attempt)
	e.scheduled.remove(id)
}
