package cluster

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

const (
	// maxPayload is the largest payload the sender puts in one notice
	// (store.Notifier takes up to 7,000 bytes); a batch that reaches it is
	// sent at once.
	maxPayload = 7000
	// linger is how long the sender gathers Wake and Arm calls into one
	// notice per channel.
	linger = time.Millisecond
	// maxPending bounds the queue names and ids waiting to be sent (a
	// store that refuses notices for long): beyond it, new ones are
	// dropped — the rows stay the truth, and holders reconcile.
	maxPending = 100_000
	// maxRetry bounds the encoded notices kept for another try.
	maxRetry = 1000
)

// Wake tells the other nodes that queue got a scheduled task that no
// poller of this node took, so that their waiting polls look in the store.
// It never blocks: the queue is added to a pending set that the sender
// sends, coalesced with others over about a millisecond, as one
// gaffer_wake notice. Call it after the commit that scheduled the task.
// Without a Notifier, or once Stop has begun, it does nothing.
func (n *Node) Wake(queue string) {
	if n.notifier == nil || queue == "" {
		return
	}
	n.out.wake(queue)
}

// Arm tells the holder of partition that tasks and timers of it were
// written here, so that it reads and arms them. It never blocks: the ids
// are added to a pending set that the sender sends, coalesced over about
// a millisecond, as one gaffer_arm notice. Call it after the commit that
// wrote them. Without a Notifier, or once Stop has begun, it does nothing.
func (n *Node) Arm(partition int, tasks, timers []int64) {
	if n.notifier == nil || len(tasks)+len(timers) == 0 {
		return
	}
	n.out.arm(partition, tasks, timers)
}

// outbox is the pending set of Wake and Arm calls, which the sender
// drains.
type outbox struct {
	mu         sync.Mutex
	closed     bool
	queues     map[string]struct{}
	queueBytes int
	arms       map[int]*armed
	armBytes   int
	entries    int
	dropped    bool // entries were dropped since the last drain (logged once)

	kick chan struct{} // something is pending
	full chan struct{} // a channel's pending payload reached maxPayload
	// hold, if not nil, replaces the linger (tests): the sender waits for
	// it (or a full batch) before it drains.
	hold chan struct{}
}

type armed struct {
	tasks, timers []int64
}

func (o *outbox) init() {
	o.queues = make(map[string]struct{})
	o.arms = make(map[int]*armed)
	o.kick = make(chan struct{}, 1)
	o.full = make(chan struct{}, 1)
}

func (o *outbox) close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
}

func (o *outbox) wake(queue string) {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	if _, ok := o.queues[queue]; !ok {
		if o.entries >= maxPending {
			o.dropped = true
			o.mu.Unlock()
			return
		}
		o.queues[queue] = struct{}{}
		o.entries++
		o.queueBytes += len(queue) + 1
	}
	full := o.queueBytes >= maxPayload
	o.mu.Unlock()
	o.signal(full)
}

func (o *outbox) arm(partition int, tasks, timers []int64) {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	if o.entries+len(tasks)+len(timers) > maxPending {
		o.dropped = true
		o.mu.Unlock()
		return
	}
	a := o.arms[partition]
	if a == nil {
		a = &armed{}
		o.arms[partition] = a
		o.armBytes += 4
	}
	a.tasks = append(a.tasks, tasks...)
	a.timers = append(a.timers, timers...)
	o.entries += len(tasks) + len(timers)
	for _, id := range tasks {
		o.armBytes += 2 + digits(id) // ",t123"
	}
	for _, id := range timers {
		o.armBytes += 2 + digits(id)
	}
	full := o.armBytes >= maxPayload
	o.mu.Unlock()
	o.signal(full)
}

// digits returns the length of id in decimal.
func digits(id int64) int {
	n := 1
	if id < 0 {
		n, id = 2, -id
	}
	for id >= 10 {
		id /= 10
		n++
	}
	return n
}

func (o *outbox) signal(full bool) {
	select {
	case o.kick <- struct{}{}:
	default:
	}
	if full {
		select {
		case o.full <- struct{}{}:
		default:
		}
	}
}

// drain takes what is pending and encodes it as notices.
func (o *outbox) drain() (notices []notice, dropped bool) {
	o.mu.Lock()
	queues, arms := o.queues, o.arms
	dropped = o.dropped
	if len(queues) > 0 {
		o.queues = make(map[string]struct{})
	}
	if len(arms) > 0 {
		o.arms = make(map[int]*armed)
	}
	o.queueBytes, o.armBytes, o.entries, o.dropped = 0, 0, 0, false
	o.mu.Unlock()
	select {
	case <-o.full:
	default:
	}
	for _, p := range encodeWake(slices.Sorted(maps.Keys(queues))) {
		notices = append(notices, notice{WakeChannel, p})
	}
	for _, p := range encodeArms(arms) {
		notices = append(notices, notice{ArmChannel, p})
	}
	return notices, dropped
}

type notice struct {
	channel, payload string
}

// encodeWake joins queue names with "\n" into payloads of at most
// maxPayload bytes. A name longer than that on its own cannot be sent and
// is left out.
func encodeWake(queues []string) []string {
	var out []string
	var b strings.Builder
	for _, q := range queues {
		if len(q) > maxPayload {
			continue
		}
		if b.Len() > 0 && b.Len()+1+len(q) > maxPayload {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(q)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// decodeWake splits a gaffer_wake payload into its queue names.
func decodeWake(payload string) []string {
	var queues []string
	for q := range strings.SplitSeq(payload, "\n") {
		if q != "" {
			queues = append(queues, q)
		}
	}
	return queues
}

// encodeArms writes ids by partition: "p5,t12,t13,m7,p9,t4" — "pN" names
// the partition of the items after it, "tN" a task id and "mN" a timer
// id — in payloads of at most maxPayload bytes, each starting with a
// partition.
func encodeArms(arms map[int]*armed) []string {
	var out []string
	var b strings.Builder
	cur := -1 // the partition named last in b
	for _, p := range slices.Sorted(maps.Keys(arms)) {
		a := arms[p]
		marker := "p" + strconv.Itoa(p)
		add := func(kind byte, id int64) {
			item := string(kind) + strconv.FormatInt(id, 10)
			need := 1 + len(item)
			if cur != p {
				need += 1 + len(marker)
			}
			if b.Len() > 0 && b.Len()+need > maxPayload {
				out = append(out, b.String())
				b.Reset()
				cur = -1
			}
			if cur != p {
				if b.Len() > 0 {
					b.WriteByte(',')
				}
				b.WriteString(marker)
				cur = p
			}
			b.WriteByte(',')
			b.WriteString(item)
		}
		for _, id := range a.tasks {
			add('t', id)
		}
		for _, id := range a.timers {
			add('m', id)
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// decodeArms reads a gaffer_arm payload, keeping the ids of the partitions
// keep accepts. Items it does not understand are skipped.
func decodeArms(payload string, keep func(partition int) bool) (tasks, timers []int64) {
	kept := false
	for item := range strings.SplitSeq(payload, ",") {
		if len(item) < 2 {
			continue
		}
		v, err := strconv.ParseInt(item[1:], 10, 64)
		if err != nil {
			continue
		}
		switch item[0] {
		case 'p':
			kept = v >= 0 && v < store.Partitions && keep(int(v))
		case 't':
			if kept {
				tasks = append(tasks, v)
			}
		case 'm':
			if kept {
				timers = append(timers, v)
			}
		}
	}
	return tasks, timers
}

// send is the sender goroutine: once something is pending it waits about
// a millisecond (less if a batch is full), then sends what gathered, one
// notice per channel (or more if a payload would pass maxPayload). A
// notice the store refuses is tried again with a back-off. On stop it
// sends what is pending one last time.
func (n *Node) send(ctx context.Context) {
	var retry []notice
	backoff := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			n.flushFinal(ctx, retry)
			return
		case <-n.out.kick:
		}
		if backoff > 0 {
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				n.flushFinal(ctx, retry)
				return
			}
		} else if hold := n.out.hold; hold != nil {
			select {
			case <-hold:
			case <-n.out.full:
			case <-ctx.Done():
				n.flushFinal(ctx, retry)
				return
			}
		} else {
			t := time.NewTimer(linger)
			select {
			case <-t.C:
			case <-n.out.full:
				t.Stop()
			case <-ctx.Done():
				t.Stop()
				n.flushFinal(ctx, retry)
				return
			}
		}
		notices, dropped := n.out.drain()
		if dropped {
			n.log.Warn("cluster: too many notices pending; some were dropped (the holders find the rows when they reconcile)")
		}
		retry = append(retry, notices...)
		retry = n.flush(ctx, retry)
		if len(retry) > 0 {
			backoff = min(max(2*backoff, 50*time.Millisecond), 2*time.Second)
			if len(retry) > maxRetry {
				n.log.Warn("cluster: notices the store refuses are dropped", "dropped", len(retry)-maxRetry)
				retry = slices.Clone(retry[len(retry)-maxRetry:])
			}
			n.out.signal(false) // come back for them
		} else {
			backoff = 0
		}
		n.flushed.Signal(struct{}{})
	}
}

// flush sends notices in order and returns those not sent.
func (n *Node) flush(ctx context.Context, notices []notice) []notice {
	for i, nt := range notices {
		if !n.notify(ctx, nt.channel, nt.payload) {
			return notices[i:]
		}
	}
	return nil
}

// flushFinal sends what is pending when the sender stops, under a context
// that the stop has not ended, bounded by a third of the lease.
func (n *Node) flushFinal(ctx context.Context, retry []notice) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.lease/3)
	defer cancel()
	notices, _ := n.out.drain()
	n.flush(ctx, append(retry, notices...))
	n.flushed.Signal(struct{}{})
}

// notify sends one notice, remembering it so that its echo is skipped. It
// reports whether the store took it.
func (n *Node) notify(ctx context.Context, channel, payload string) bool {
	n.sent.add(channel, payload)
	if err := n.notifier.Notify(ctx, channel, payload); err != nil {
		n.sent.remove(channel, payload)
		n.logged.fail(ctx, "notify", err)
		return false
	}
	n.logged.ok("notify")
	return true
}

// listen is the listener goroutine: it listens on the three channels until
// the node stops, listening again after a failure.
func (n *Node) listen(ctx context.Context) {
	channels := []string{WakeChannel, ArmChannel, NodesChannel}
	backoff := 50 * time.Millisecond
	for {
		err := n.notifier.Listen(ctx, channels, func(channel, payload string) {
			n.onNotice(ctx, channel, payload)
		})
		if ctx.Err() != nil {
			return
		}
		n.logged.fail(ctx, "listen", err)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		backoff = min(2*backoff, n.lease/3)
	}
}

// onNotice handles one notice.
func (n *Node) onNotice(ctx context.Context, channel, payload string) {
	defer n.noticed.Signal(channel)
	switch channel {
	case "":
		n.logged.ok("listen")
		n.sent.clear() // their echoes may be lost
		n.listenMu.Lock()
		first := n.listenState == listenWaiting
		if first {
			n.listenState = listenReady
			close(n.listening)
		}
		n.listenMu.Unlock()
		if !first {
			n.reconcile(ctx)
		}
	case NodesChannel:
		if payload == n.name {
			return // this node's own change
		}
		select {
		case n.rebalance <- struct{}{}:
		default:
		}
	case WakeChannel:
		if n.sent.echo(channel, payload) {
			return
		}
		n.wakeQueues(ctx, decodeWake(payload))
	case ArmChannel:
		if n.sent.echo(channel, payload) {
			return
		}
		tasks, timers := decodeArms(payload, n.Owns)
		n.armRemote(ctx, tasks, timers)
	}
}

// reconcile calls Engine.Reconcile, keeping it for the next tick if it
// fails.
func (n *Node) reconcile(ctx context.Context) {
	if err := n.engine.Reconcile(ctx); err != nil {
		n.logged.fail(ctx, "reconcile", err)
		n.retry.add(true, nil, nil, nil)
		return
	}
	n.logged.ok("reconcile")
}

// wakeQueues calls Engine.WakeQueue for each queue, keeping those that
// fail for the next tick.
func (n *Node) wakeQueues(ctx context.Context, queues []string) {
	var failed []string
	var last error
	for _, q := range queues {
		if err := n.engine.WakeQueue(ctx, q); err != nil {
			failed, last = append(failed, q), err
		}
	}
	if len(failed) > 0 {
		n.logged.fail(ctx, "wake", last)
		n.retry.add(false, failed, nil, nil)
	} else if len(queues) > 0 {
		n.logged.ok("wake")
	}
}

// armRemote calls Engine.ArmRemote, keeping the ids for the next tick if
// it fails.
func (n *Node) armRemote(ctx context.Context, tasks, timers []int64) {
	if len(tasks)+len(timers) == 0 {
		return
	}
	if err := n.engine.ArmRemote(ctx, tasks, timers); err != nil {
		n.logged.fail(ctx, "arm", err)
		n.retry.add(false, nil, tasks, timers)
		return
	}
	n.logged.ok("arm")
}

// retryNotices hands the engine again what it failed to handle. A
// reconcile covers the rest.
func (n *Node) retryNotices(ctx context.Context) {
	reconcile, queues, tasks, timers := n.retry.take()
	if reconcile {
		n.reconcile(ctx)
		return
	}
	n.wakeQueues(ctx, queues)
	n.armRemote(ctx, tasks, timers)
}

// retries are notices the engine failed to handle.
type retries struct {
	mu            sync.Mutex
	reconcile     bool
	queues        map[string]struct{}
	tasks, timers []int64
}

func (r *retries) add(reconcile bool, queues []string, tasks, timers []int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if reconcile {
		// A reconcile reads everything the others would name.
		r.reconcile, r.queues, r.tasks, r.timers = true, nil, nil, nil
		return
	}
	if r.reconcile {
		return
	}
	if len(r.tasks)+len(r.timers)+len(r.queues) > maxPending {
		r.reconcile, r.queues, r.tasks, r.timers = true, nil, nil, nil
		return
	}
	for _, q := range queues {
		if r.queues == nil {
			r.queues = make(map[string]struct{})
		}
		r.queues[q] = struct{}{}
	}
	r.tasks = append(r.tasks, tasks...)
	r.timers = append(r.timers, timers...)
}

func (r *retries) take() (reconcile bool, queues []string, tasks, timers []int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	reconcile, tasks, timers = r.reconcile, r.tasks, r.timers
	queues = slices.Sorted(maps.Keys(r.queues))
	r.reconcile, r.queues, r.tasks, r.timers = false, nil, nil, nil
	return reconcile, queues, tasks, timers
}

// sentNotices counts the notices this node sent whose echo has not come
// back, so that the listener skips them.
type sentNotices struct {
	mu sync.Mutex
	m  map[notice]int
}

// maxSent bounds sentNotices: echoes lost without a reconnect (which
// clears it) cannot make it grow for good.
const maxSent = 4096

func (s *sentNotices) add(channel, payload string) {
	if channel == NodesChannel {
		return // recognised by payload
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil || len(s.m) >= maxSent {
		s.m = make(map[notice]int)
	}
	s.m[notice{channel, payload}]++
}

func (s *sentNotices) remove(channel, payload string) {
	s.echo(channel, payload)
}

// echo reports whether the notice is one this node sent, and forgets one
// sending of it.
func (s *sentNotices) echo(channel, payload string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := notice{channel, payload}
	c := s.m[k]
	switch c {
	case 0:
		return false
	case 1:
		delete(s.m, k)
	default:
		s.m[k] = c - 1
	}
	return true
}

func (s *sentNotices) clear() {
	s.mu.Lock()
	s.m = nil
	s.mu.Unlock()
}
