package swf

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/swferr"
	"github.com/gaffer-dev/gaffer/internal/store"
)

type pollForDecisionTaskInput struct {
	Domain                      string   `json:"domain"`
	TaskList                    TaskList `json:"taskList"`
	Identity                    string   `json:"identity"`
	NextPageToken               string   `json:"nextPageToken"`
	MaximumPageSize             int      `json:"maximumPageSize"`
	ReverseOrder                bool     `json:"reverseOrder"`
	StartAtPreviousStartedEvent bool     `json:"startAtPreviousStartedEvent"`
}

// decisionTaskOutput is a DecisionTask. An empty poll answers only the two
// event ids, as zeros, like AWS.
type decisionTaskOutput struct {
	TaskToken              string             `json:"taskToken,omitempty"`
	StartedEventID         int64              `json:"startedEventId"`
	WorkflowExecution      *WorkflowExecution `json:"workflowExecution,omitempty"`
	WorkflowType           *WorkflowType      `json:"workflowType,omitempty"`
	Events                 []json.RawMessage  `json:"events,omitempty"`
	NextPageToken          string             `json:"nextPageToken,omitempty"`
	PreviousStartedEventID int64              `json:"previousStartedEventId"`
}

// decisionPage is the state a decision task's nextPageToken carries: the
// task (its token and event ids), the execution, and where the next page
// starts. AWS's tokens carry the position too: a later page is read
// without polling.
type decisionPage struct {
	Token        string `json:"t"`
	Domain       string `json:"d"`
	WorkflowID   string `json:"w"`
	RunID        string `json:"u"`
	WorkflowName string `json:"n"`
	WorkflowVer  string `json:"v"`
	Started      int64  `json:"s"` // the task's DecisionTaskStarted: the last event shown
	Previous     int64  `json:"p"` // previousStartedEventId
	First        int64  `json:"f"` // the first event shown
	After        int64  `json:"a"` // the next page's bound: events after it (before it if Reverse)
	Reverse      bool   `json:"r,omitempty"`
}

// decisionPageKey names decision-task page tokens so that a token of any
// other listing is refused.
const decisionPageKey = "decision-task"

// encode returns the page's token, signed by pg (the engine's
// PageKey): the page names the execution whose history it reads.
func (p *decisionPage) encode(pg awsapi.Pager) string {
	b, _ := json.Marshal(p)
	return pg.Sign(listingKey(decisionPageKey), base64.RawURLEncoding.EncodeToString(b))
}

func parseDecisionPage(pg awsapi.Pager, tok, domainName string) (*decisionPage, error) {
	bad := swferr.ValidationException("Invalid nextPageToken: it is not a page token of a decision task in this domain")
	body, err := pg.Open(listingKey(decisionPageKey), tok)
	if err != nil {
		return nil, tokenError(err, bad)
	}
	b, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, bad
	}
	var p decisionPage
	if err := json.Unmarshal(b, &p); err != nil || p.Domain != domainName || !validRunRef(p.WorkflowID, p.RunID) {
		return nil, bad
	}
	return &p, nil
}

// page reads one page of a decision task's history: the events from First
// to Started, oldest first unless Reverse, starting after (before) After.
func (p *decisionPage) page(pg awsapi.Pager, tx store.Tx, size int) ([]json.RawMessage, string, error) {
	size = pageSize(size)
	q := store.EventQuery{Owner: executionID(p.Domain, p.WorkflowID, p.RunID), AfterID: p.After, Desc: p.Reverse, Limit: size + 1}
	evs, err := tx.ListEvents(q)
	if err != nil {
		return nil, "", err
	}
	// Keep the events of the task's window.
	in := evs[:0]
	for _, e := range evs {
		if e.ID >= p.First && e.ID <= p.Started {
			in = append(in, e)
		}
	}
	evs = in
	next := ""
	if len(evs) > size {
		evs = evs[:size]
		np := *p
		np.After = evs[size-1].ID
		next = np.encode(pg)
	}
	out := make([]json.RawMessage, len(evs))
	for i, e := range evs {
		out[i] = e.Body
	}
	return out, next, nil
}

// PollForDecisionTask long-polls a task list for a decision task. With a
// nextPageToken it returns the next page of the history of the decision
// task the token came with, without polling.
func (s *Service) PollForDecisionTask(ctx context.Context, in *pollForDecisionTaskInput) (*decisionTaskOutput, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	if err := checkName("taskList.name", in.TaskList.Name); err != nil {
		return nil, err
	}
	if in.NextPageToken != "" {
		return s.nextDecisionPage(ctx, in)
	}
	if err := s.checkDomain(ctx, in.Domain); err != nil {
		return nil, err
	}
	deadline := s.eng.Now().Add(s.maxPoll)
	for {
		wait := deadline.Sub(s.eng.Now())
		if wait <= 0 {
			return emptyDecisionTask(), nil
		}
		t, token, err := s.eng.Poll(ctx, decisionQueue(in.Domain, in.TaskList.Name), in.Identity, wait)
		if err != nil {
			return nil, err
		}
		if t == nil {
			return emptyDecisionTask(), nil
		}
		out, err := s.decisionTask(ctx, t, token, in)
		if err != nil {
			return nil, err
		}
		if out != nil {
			return out, nil
		}
		// The task ended between its start and this read (its execution
		// was terminated): its token is dead; poll on.
	}
}

func emptyDecisionTask() *decisionTaskOutput { return &decisionTaskOutput{} }

// decisionTask answers a started decision task, or nil if it has ended.
func (s *Service) decisionTask(ctx context.Context, t *store.Task, token string, in *pollForDecisionTaskInput) (*decisionTaskOutput, error) {
	var out *decisionTaskOutput
	err := s.view(ctx, func(tx store.Tx) error {
		ex, rt, err := loadTaskRun(tx, t)
		if err != nil || ex == nil {
			return err
		}
		if ex.Status != statusOpen || rt.Decision == nil || rt.Decision.TaskID != t.ID || rt.Decision.StartedEventID == 0 {
			return nil
		}
		p := &decisionPage{
			Token:        token,
			Domain:       ex.Domain,
			WorkflowID:   ex.WorkflowID,
			RunID:        ex.RunID,
			WorkflowName: ex.Type.Name,
			WorkflowVer:  ex.Type.Version,
			Started:      rt.Decision.StartedEventID,
			Previous:     rt.PreviousStartedEventID,
			First:        1,
			Reverse:      in.ReverseOrder,
		}
		if in.StartAtPreviousStartedEvent && p.Previous > 0 {
			p.First = p.Previous
		}
		if p.Reverse {
			p.After = p.Started + 1
		} else {
			p.After = p.First - 1
		}
		out = p.output()
		out.Events, out.NextPageToken, err = p.page(s.pager(), tx, in.MaximumPageSize)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (p *decisionPage) output() *decisionTaskOutput {
	return &decisionTaskOutput{
		TaskToken:              p.Token,
		StartedEventID:         p.Started,
		WorkflowExecution:      &WorkflowExecution{WorkflowID: p.WorkflowID, RunID: p.RunID},
		WorkflowType:           &WorkflowType{Name: p.WorkflowName, Version: p.WorkflowVer},
		PreviousStartedEventID: p.Previous,
	}
}

// nextDecisionPage answers a PollForDecisionTask with a nextPageToken.
func (s *Service) nextDecisionPage(ctx context.Context, in *pollForDecisionTaskInput) (*decisionTaskOutput, error) {
	p, err := parseDecisionPage(s.pager(), in.NextPageToken, in.Domain)
	if err != nil {
		return nil, err
	}
	out := p.output()
	err = s.view(ctx, func(tx store.Tx) error {
		if _, err := loadDomain(tx, in.Domain); err != nil {
			return err
		}
		var err error
		out.Events, out.NextPageToken, err = p.page(s.pager(), tx, in.MaximumPageSize)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// loadTaskRun reads the execution a started task belongs to, and its
// runtime state, for building a poll's answer; ex is nil if the execution
// is gone.
func loadTaskRun(tx store.Tx, t *store.Task) (ex *execution, rt *runtime, err error) {
	ex = new(execution)
	if _, err := getJSON(tx, kindExecution, t.OwnerID, ex, store.ErrNotFound); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, nil
		}
		return nil, nil, err
	}
	rt, err = decodeRuntime(ex.Runtime)
	if err != nil {
		return nil, nil, err
	}
	return ex, rt, nil
}
