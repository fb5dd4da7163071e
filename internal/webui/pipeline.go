package webui

import (
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/gaffer-dev/gaffer/internal/pipeline"
)

// The Data Pipeline pages: pipelines with their state and health, a
// pipeline's object graph, instances and attempts, and the task runners.

type dpField struct {
	Key         string `json:"key"`
	StringValue string `json:"stringValue,omitempty"`
	RefValue    string `json:"refValue,omitempty"`
}

type dpObject struct {
	ID     string    `json:"id"`
	Name   string    `json:"name"`
	Fields []dpField `json:"fields"`
}

// field returns the object's first value of key (a string or a
// reference).
func (o dpObject) field(key string) string {
	for _, f := range o.Fields {
		if f.Key == key {
			if f.RefValue != "" {
				return f.RefValue
			}
			return f.StringValue
		}
	}
	return ""
}

type pipelineItem struct {
	ID, Name, State, Health, Description string
}

type pipelinesPage struct {
	Pipelines []pipelineItem
	Next      string
}

func (u *UI) pipelines(r *http.Request) (view, error) {
	v := view{name: "pipelines", title: "Data Pipeline"}
	ctx := r.Context()
	in := map[string]any{}
	if m := r.URL.Query().Get("next"); m != "" {
		in["marker"] = m
	}
	var list struct {
		PipelineIDList []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"pipelineIdList"`
		Marker         string `json:"marker"`
		HasMoreResults bool   `json:"hasMoreResults"`
	}
	if err := u.call(ctx, u.dp, "ListPipelines", in, &list); err != nil {
		return v, err
	}
	p := pipelinesPage{}
	if list.HasMoreResults {
		p.Next = list.Marker
	}
	// DescribePipelines takes 25 ids at a time.
	for i := 0; i < len(list.PipelineIDList); i += 25 {
		var ids []string
		for _, it := range list.PipelineIDList[i:min(i+25, len(list.PipelineIDList))] {
			ids = append(ids, it.ID)
		}
		var out struct {
			PipelineDescriptionList []struct {
				PipelineID  string    `json:"pipelineId"`
				Name        string    `json:"name"`
				Description string    `json:"description"`
				Fields      []dpField `json:"fields"`
			} `json:"pipelineDescriptionList"`
		}
		if err := u.call(ctx, u.dp, "DescribePipelines", map[string]any{"pipelineIds": ids}, &out); err != nil {
			return v, err
		}
		for _, d := range out.PipelineDescriptionList {
			o := dpObject{Fields: d.Fields}
			p.Pipelines = append(p.Pipelines, pipelineItem{ID: d.PipelineID, Name: d.Name, Description: d.Description,
				State: o.field("@pipelineState"), Health: o.field("@healthStatus")})
		}
	}
	v.data = p
	return v, nil
}

// dpRow is an instance or an attempt as the pipeline page shows it.
type dpRow struct {
	ID, Name, Status, Parent, Error string
	Attempts                        string
	Scheduled, Started, Ended       string
}

type pipelinePage struct {
	ID, Name, State, Health string
	Objects                 []dpObject
	SVG                     any
	Component               string
	Instances               []dpRow
	NextInstances           string
	Attempts                []dpRow
	NextAttempts            string
}

func (u *UI) pipeline(r *http.Request) (view, error) {
	q := r.URL.Query()
	id := q.Get("id")
	v := view{name: "pipeline", title: "Pipeline " + id}
	if id == "" {
		return v, badRequest("which pipeline? (?id=df-…)")
	}
	ctx := r.Context()
	var desc struct {
		PipelineDescriptionList []struct {
			Name   string    `json:"name"`
			Fields []dpField `json:"fields"`
		} `json:"pipelineDescriptionList"`
	}
	if err := u.call(ctx, u.dp, "DescribePipelines", map[string]any{"pipelineIds": []string{id}}, &desc); err != nil {
		return v, err
	}
	p := pipelinePage{ID: id, Component: q.Get("component")}
	if len(desc.PipelineDescriptionList) == 1 {
		d := desc.PipelineDescriptionList[0]
		o := dpObject{Fields: d.Fields}
		p.Name, p.State, p.Health = d.Name, o.field("@pipelineState"), o.field("@healthStatus")
		v.title = "Pipeline " + d.Name
	}
	var def struct {
		PipelineObjects []dpObject `json:"pipelineObjects"`
	}
	if err := u.call(ctx, u.dp, "GetPipelineDefinition", map[string]any{"pipelineId": id}, &def); err != nil {
		return v, err
	}
	p.Objects = def.PipelineObjects
	var err error
	if p.Instances, p.NextInstances, err = u.dpSphere(r, id, "INSTANCE", q.Get("inext")); err != nil {
		return v, err
	}
	if p.Attempts, p.NextAttempts, err = u.dpSphere(r, id, "ATTEMPT", q.Get("anext")); err != nil {
		return v, err
	}
	// The object graph: references between objects are edges; each
	// component coloured by its latest instance's status.
	status := map[string]string{}
	for _, in := range p.Instances {
		if _, seen := status[in.Parent]; !seen {
			status[in.Parent] = dpStatusClass(in.Status)
		}
	}
	g := objectGraph(p.Objects)
	p.SVG = g.svg(status, func(n string) string {
		return Prefix + "pipeline?" + url.Values{"id": {id}, "component": {n}}.Encode() + "#instances"
	}, p.Component)
	if p.Component != "" {
		var keep []dpRow
		for _, in := range p.Instances {
			if in.Parent == p.Component {
				keep = append(keep, in)
			}
		}
		p.Instances = keep
	}
	v.data = p
	return v, nil
}

// objectGraph is a definition's objects as a graph: each reference an
// edge labelled with its field; objects nothing refers to in the first
// layer.
func objectGraph(objs []dpObject) *graph {
	g := &graph{States: map[string]*graphState{}}
	referred := map[string]bool{}
	for _, o := range objs {
		s := &graphState{Type: o.field("type")}
		if s.Type == "" {
			s.Type = o.Name
		}
		for _, f := range o.Fields {
			if f.RefValue != "" {
				s.Edges = append(s.Edges, graphEdge{To: f.RefValue, Label: f.Key})
				referred[f.RefValue] = true
			}
		}
		g.States[o.ID] = s
	}
	for _, o := range objs {
		if !referred[o.ID] {
			g.roots = append(g.roots, o.ID)
		}
	}
	sort.Strings(g.roots)
	g.layout()
	return g
}

// dpStatusClass maps an instance's @status to the graph's colours.
func dpStatusClass(s string) string {
	switch s {
	case "FINISHED":
		return "succeeded"
	case "FAILED", "CASCADE_FAILED", "TIMEDOUT":
		return "failed"
	case "CANCELED", "SKIPPED", "PAUSED", "INACTIVE":
		return "caught"
	case "":
		return ""
	}
	return "running"
}

// dpSphere reads a page of a pipeline's instances or attempts.
func (u *UI) dpSphere(r *http.Request, id, sphere, marker string) ([]dpRow, string, error) {
	ctx := r.Context()
	in := map[string]any{"pipelineId": id, "sphere": sphere, "limit": pageSize}
	if marker != "" {
		in["marker"] = marker
	}
	var ids struct {
		IDs            []string `json:"ids"`
		Marker         string   `json:"marker"`
		HasMoreResults bool     `json:"hasMoreResults"`
	}
	if err := u.call(ctx, u.dp, "QueryObjects", in, &ids); err != nil {
		return nil, "", err
	}
	next := ""
	if ids.HasMoreResults {
		next = ids.Marker
	}
	if len(ids.IDs) == 0 {
		return nil, next, nil
	}
	var rows []dpRow
	// DescribeObjects takes 25 ids at a time.
	for i := 0; i < len(ids.IDs); i += 25 {
		var out struct {
			PipelineObjects []dpObject `json:"pipelineObjects"`
		}
		if err := u.call(ctx, u.dp, "DescribeObjects", map[string]any{"pipelineId": id, "objectIds": ids.IDs[i:min(i+25, len(ids.IDs))]}, &out); err != nil {
			return nil, "", err
		}
		for _, o := range out.PipelineObjects {
			row := dpRow{ID: o.ID, Name: o.Name, Status: o.field("@status"), Error: o.field("errorMessage"),
				Attempts: o.field("@attemptCount"), Scheduled: o.field("@scheduledStartTime"),
				Started: o.field("@actualStartTime"), Ended: o.field("@actualEndTime")}
			if sphere == "INSTANCE" {
				row.Parent = o.field("@componentParent")
			} else {
				row.Parent = o.field("@instanceParent")
			}
			rows = append(rows, row)
		}
	}
	return rows, next, nil
}

type runnersPage struct {
	Runners []pipeline.Runner
	Page    pager
	Now     time.Time
}

func (u *UI) runners(r *http.Request) (view, error) {
	v := view{name: "runners", title: "Task runners"}
	rs, err := u.cfg.Pipeline.Runners(r.Context())
	if err != nil {
		return v, err
	}
	pg := newPager(r, len(rs))
	v.data = runnersPage{Runners: rs[pg.From:pg.To], Page: pg, Now: u.cfg.Now()}
	return v, nil
}

func (u *UI) terminateRunner(r *http.Request) (string, error) {
	id := r.PostFormValue("id")
	if err := allowed(r, "gaffer:TerminateRunner", "arn:aws:gaffer::"+u.cfg.Account+":taskrunner/"+id); err != nil {
		return "", err
	}
	if _, err := u.cfg.Pipeline.TerminateRunner(r.Context(), id); err != nil {
		return "", err
	}
	return Prefix + "runners?flash=" + url.QueryEscape("Task runner "+id+" will be told to stop at its next heartbeat."), nil
}
