package webui

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// Queues: the engine's queues (Step Functions activities, SWF task lists,
// Data Pipeline worker groups) with their open tasks from the store and
// their waiting polls from the engine's memory.

// QueueSummary is one queue: what GET /gaffer/queues answers and the
// queues page shows.
type QueueSummary struct {
	// Queue is the engine's key for it, Dialect and Name what it is to
	// its dialect: "sfn" and an activity ARN, "swf" and "activity" or
	// "decision" tasks of "domain/task list", "pipeline" and a worker
	// group.
	Queue   string `json:"queue"`
	Dialect string `json:"dialect"`
	Kind    string `json:"kind,omitempty"`
	Name    string `json:"name"`
	// Scheduled tasks wait for a poller; Started ones are held by a
	// worker; WaitingPollers are the polls waiting on this node.
	Scheduled      int `json:"scheduled"`
	Started        int `json:"started"`
	WaitingPollers int `json:"waitingPollers"`
	// OldestScheduled is when the task waiting longest was scheduled
	// (zero if none waits).
	OldestScheduled time.Time `json:"oldestScheduled,omitzero"`
}

// maxScan bounds the open tasks Queues reads.
const maxScan = 100_000

// Queues lists every queue that holds an open task or a waiting poll,
// by dialect and name. It reads the open tasks from the store (at most
// 100,000: Truncated says there were more) and the polls waiting on this
// node from the engine.
func Queues(ctx context.Context, eng *engine.Engine) (queues []QueueSummary, truncated bool, err error) {
	byKey := map[string]*QueueSummary{}
	get := func(q string) *QueueSummary {
		s := byKey[q]
		if s == nil {
			s = &QueueSummary{Queue: q}
			s.Dialect, s.Kind, s.Name = describeQueue(q)
			byKey[q] = s
		}
		return s
	}
	var after int64
	scanned := 0
	for {
		var page []*store.Task
		err := eng.View(ctx, func(tx store.Tx) error {
			var err error
			page, err = tx.ListTasks(store.TaskQuery{AfterID: after, Limit: 1000})
			return err
		})
		if err != nil {
			return nil, false, err
		}
		for _, t := range page {
			s := get(t.Queue)
			switch t.State {
			case store.TaskScheduled:
				s.Scheduled++
				if s.OldestScheduled.IsZero() || t.ScheduledAt.Before(s.OldestScheduled) {
					s.OldestScheduled = t.ScheduledAt
				}
			case store.TaskStarted:
				s.Started++
			}
			after = t.ID
		}
		scanned += len(page)
		if len(page) < 1000 {
			break
		}
		if scanned >= maxScan {
			truncated = true
			break
		}
	}
	eng.VisitQueues(func(q string, waiting, _ int) {
		if waiting > 0 {
			get(q).WaitingPollers += waiting
		}
	})
	for _, s := range byKey {
		queues = append(queues, *s)
	}
	sort.Slice(queues, func(i, j int) bool {
		a, b := queues[i], queues[j]
		if a.Dialect != b.Dialect {
			return a.Dialect < b.Dialect
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Kind < b.Kind
	})
	if queues == nil {
		queues = []QueueSummary{}
	}
	return queues, truncated, nil
}

// describeQueue names a queue key's dialect, kind and name: "sfn:<activity
// ARN>", "swf:a:<domain>|<task list>", "swf:d:<domain>|<task list>",
// "pipeline|<worker group>".
func describeQueue(q string) (dialect, kind, name string) {
	switch {
	case strings.HasPrefix(q, "sfn:"):
		return "sfn", "activity", strings.TrimPrefix(q, "sfn:")
	case strings.HasPrefix(q, "swf:a:"):
		return "swf", "activity", strings.Replace(strings.TrimPrefix(q, "swf:a:"), "|", "/", 1)
	case strings.HasPrefix(q, "swf:d:"):
		return "swf", "decision", strings.Replace(strings.TrimPrefix(q, "swf:d:"), "|", "/", 1)
	case strings.HasPrefix(q, "pipeline|"):
		return "pipeline", "worker group", strings.TrimPrefix(q, "pipeline|")
	}
	d, n, _ := strings.Cut(q, ":")
	return d, "", n
}

type queuesPage struct {
	Queues    []QueueSummary
	Page      pager
	Truncated bool
	Now       time.Time
	Stats     engine.Stats
}

func (u *UI) queues(r *http.Request) (view, error) {
	v := view{name: "queues", title: "Queues"}
	qs, truncated, err := Queues(r.Context(), u.cfg.Engine)
	if err != nil {
		return v, err
	}
	pg := newPager(r, len(qs))
	v.data = queuesPage{Queues: qs[pg.From:pg.To], Page: pg, Truncated: truncated, Now: u.cfg.Now(), Stats: u.cfg.Engine.Stats()}
	return v, nil
}

// taskRow is an open task as the queue page shows it, with its deadlines.
type taskRow struct {
	ID          int64
	Owner       string
	OwnerKind   string
	State       string
	Attempt     int
	Worker      string
	ScheduledAt time.Time
	StartedAt   time.Time
	HeartbeatAt time.Time
	// Deadlines: heartbeat, start-to-close, schedule-to-start,
	// schedule-to-close; zero where none applies.
	HeartbeatDue, StartToCloseDue, ScheduleToStartDue, ScheduleToCloseDue time.Time
	Cancel                                                                bool
}

type queuePage struct {
	Summary QueueSummary
	Tasks   []taskRow
	Next    string
	Now     time.Time
}

func (u *UI) queue(r *http.Request) (view, error) {
	q := r.URL.Query()
	key := q.Get("q")
	v := view{name: "queue", title: "Queue"}
	if key == "" {
		return v, badRequest("which queue? (?q=KEY)")
	}
	sum := QueueSummary{Queue: key}
	sum.Dialect, sum.Kind, sum.Name = describeQueue(key)
	v.title = "Queue " + shortARN(sum.Name)
	sum.WaitingPollers = u.cfg.Engine.Waiting(key)
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	var tasks []*store.Task
	err := u.cfg.Engine.View(r.Context(), func(tx store.Tx) error {
		var err error
		tasks, err = tx.ListTasks(store.TaskQuery{Queue: key, AfterID: after, Limit: pageSize + 1})
		return err
	})
	if err != nil {
		return v, err
	}
	p := queuePage{Now: u.cfg.Now()}
	if len(tasks) > pageSize {
		tasks = tasks[:pageSize]
		p.Next = strconv.FormatInt(tasks[len(tasks)-1].ID, 10)
	}
	for _, t := range tasks {
		row := taskRow{ID: t.ID, Owner: t.OwnerID, OwnerKind: t.OwnerKind, Attempt: t.Attempt, Worker: t.Worker,
			ScheduledAt: t.ScheduledAt, StartedAt: t.StartedAt, HeartbeatAt: t.HeartbeatAt, Cancel: t.CancelRequested}
		if t.ScheduleToClose > 0 {
			row.ScheduleToCloseDue = t.ScheduledAt.Add(t.ScheduleToClose)
		}
		switch t.State {
		case store.TaskScheduled:
			row.State = "scheduled"
			sum.Scheduled++
			if t.ScheduleToStart > 0 {
				row.ScheduleToStartDue = t.ScheduledAt.Add(t.ScheduleToStart)
			}
		case store.TaskStarted:
			row.State = "started"
			sum.Started++
			if t.StartToClose > 0 {
				row.StartToCloseDue = t.StartedAt.Add(t.StartToClose)
			}
			if t.Heartbeat > 0 {
				last := t.StartedAt
				if t.HeartbeatAt.After(last) {
					last = t.HeartbeatAt
				}
				row.HeartbeatDue = last.Add(t.Heartbeat)
			}
		}
		p.Tasks = append(p.Tasks, row)
	}
	p.Summary = sum
	v.data = p
	return v, nil
}

// pager is a page of a list the UI holds whole (queues, task runners):
// ?page=N (from 1), pageSize rows each.
type pager struct {
	N, Last  int // this page and the last, from 1
	From, To int // the rows shown
}

func newPager(r *http.Request, rows int) pager {
	last := max(1, (rows+pageSize-1)/pageSize)
	n, _ := strconv.Atoi(r.URL.Query().Get("page"))
	n = min(max(n, 1), last)
	return pager{N: n, Last: last, From: (n - 1) * pageSize, To: min(n*pageSize, rows)}
}

// Prev and Next are the neighbouring pages' numbers, 0 where there is none.
func (p pager) Prev() int {
	if p.N > 1 {
		return p.N - 1
	}
	return 0
}

// Next: see Prev.
func (p pager) Next() int {
	if p.N < p.Last {
		return p.N + 1
	}
	return 0
}
