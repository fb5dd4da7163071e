package webui

import (
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"sort"
	"strings"
)

// The state-machine graph: parsed from the definition (Amazon States
// Language), laid out in layers from StartAt, drawn as inline SVG on the
// server. States are boxes; Next, Default and Choices are edges, Catch
// edges dashed; Parallel branches and a Map's iterator are groups drawn
// inside their state's box.

// graph is one scope of a state machine: the top level, a Parallel
// branch or a Map's iterator.
type graph struct {
	StartAt string
	States  map[string]*graphState
	roots   []string // more states in the first layer (Data Pipeline objects)
	order   []string // the states in layout order
	layer   map[string]int
	w, h    int
	layers  []layerBox
}

type layerBox struct {
	y, h  int
	names []string
}

// graphState is one state and what hangs off it.
type graphState struct {
	Type  string
	Edges []graphEdge
	Subs  []*graph // Parallel branches, or a Map's iterator
	x, y  int      // in its scope
	w, h  int
}

type graphEdge struct {
	To    string
	Label string
	Catch bool
}

// aslState is the part of a state's definition the graph reads.
type aslState struct {
	Type          string          `json:"Type"`
	Next          string          `json:"Next"`
	Default       string          `json:"Default"`
	Choices       []aslChoice     `json:"Choices"`
	Catch         []aslCatch      `json:"Catch"`
	Branches      []aslScope      `json:"Branches"`
	Iterator      *aslScope       `json:"Iterator"`
	ItemProcessor *aslScope       `json:"ItemProcessor"`
	States        json.RawMessage `json:"-"`
}

type aslChoice struct {
	Next string `json:"Next"`
}

type aslCatch struct {
	ErrorEquals []string `json:"ErrorEquals"`
	Next        string   `json:"Next"`
}

type aslScope struct {
	StartAt string              `json:"StartAt"`
	States  map[string]aslState `json:"States"`
}

// parseGraph reads a definition's graph and lays it out.
func parseGraph(definition string) (*graph, error) {
	var s aslScope
	if err := json.Unmarshal([]byte(definition), &s); err != nil {
		return nil, fmt.Errorf("state machine definition: %w", err)
	}
	g := buildGraph(s)
	g.layout()
	return g, nil
}

func buildGraph(s aslScope) *graph {
	g := &graph{StartAt: s.StartAt, States: map[string]*graphState{}}
	for name, st := range s.States {
		gs := &graphState{Type: st.Type}
		for i, c := range st.Choices {
			if c.Next != "" {
				gs.Edges = append(gs.Edges, graphEdge{To: c.Next, Label: fmt.Sprintf("rule %d", i+1)})
			}
		}
		if st.Default != "" {
			gs.Edges = append(gs.Edges, graphEdge{To: st.Default, Label: "default"})
		}
		if st.Next != "" {
			gs.Edges = append(gs.Edges, graphEdge{To: st.Next})
		}
		for _, c := range st.Catch {
			gs.Edges = append(gs.Edges, graphEdge{To: c.Next, Label: "catch " + strings.Join(c.ErrorEquals, ","), Catch: true})
		}
		for _, b := range st.Branches {
			gs.Subs = append(gs.Subs, buildGraph(b))
		}
		switch {
		case st.ItemProcessor != nil:
			gs.Subs = append(gs.Subs, buildGraph(*st.ItemProcessor))
		case st.Iterator != nil:
			gs.Subs = append(gs.Subs, buildGraph(*st.Iterator))
		}
		g.States[name] = gs
	}
	return g
}

// Sizes of the drawing, in pixels.
const (
	nodeW, nodeH = 170, 44
	gapX, gapY   = 24, 40
	groupPad     = 14
	groupHead    = 24
	startR       = 8
)

// layout places the states: layer = distance from StartAt (breadth
// first), unreachable states in a last layer; groups sized to what they
// hold.
func (g *graph) layout() {
	g.layer = map[string]int{}
	queue := []string{}
	for _, n := range append([]string{g.StartAt}, g.roots...) {
		if _, ok := g.States[n]; ok {
			g.layer[n] = 0
			queue = append(queue, n)
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		g.order = append(g.order, n)
		for _, e := range g.States[n].Edges {
			if _, seen := g.layer[e.To]; seen {
				continue
			}
			if _, ok := g.States[e.To]; !ok {
				continue
			}
			g.layer[e.To] = g.layer[n] + 1
			queue = append(queue, e.To)
		}
	}
	maxLayer := -1
	for _, n := range g.order {
		maxLayer = max(maxLayer, g.layer[n])
	}
	var rest []string
	for n := range g.States {
		if _, ok := g.layer[n]; !ok {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	for _, n := range rest {
		g.layer[n] = maxLayer + 1
		g.order = append(g.order, n)
	}
	// Sizes, inner scopes first.
	for _, n := range g.order {
		s := g.States[n]
		s.w, s.h = nodeW, nodeH
		if len(s.Subs) > 0 {
			w, h := 0, 0
			for i, sub := range s.Subs {
				sub.layout()
				if i > 0 {
					w += gapX
				}
				w += sub.w
				h = max(h, sub.h)
			}
			s.w = max(nodeW, w+2*groupPad)
			s.h = h + groupHead + 2*groupPad
		}
	}
	// Layers top to bottom, under the start marker; states centred.
	layers := map[int][]string{}
	top := 0
	for _, n := range g.order {
		layers[g.layer[n]] = append(layers[g.layer[n]], n)
		top = max(top, g.layer[n])
	}
	y := 2*startR + gapY/2
	width := 0
	g.layers = nil
	for l := 0; l <= top; l++ {
		names := layers[l]
		lw, lh := 0, 0
		for i, n := range names {
			if i > 0 {
				lw += gapX
			}
			lw += g.States[n].w
			lh = max(lh, g.States[n].h)
		}
		width = max(width, lw)
		g.layers = append(g.layers, layerBox{y: y, h: lh, names: names})
		y += lh + gapY
	}
	g.w = max(width+2*gapX, nodeW+2*gapX) // room for edges that loop back on the right
	g.h = y - gapY + 4
	for _, lb := range g.layers {
		lw := 0
		for i, n := range lb.names {
			if i > 0 {
				lw += gapX
			}
			lw += g.States[n].w
		}
		x := (g.w - lw) / 2
		for _, n := range lb.names {
			s := g.States[n]
			s.x, s.y = x, lb.y+(lb.h-s.h)/2
			x += s.w + gapX
		}
	}
}

// svg draws the graph, each state in the class of its status (absent:
// not reached); a state links to the execution page with it selected.
func (g *graph) svg(status map[string]string, link func(name string) string, selected string) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="graph" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="state machine graph">`, g.w, g.h, g.w, g.h)
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead"/></marker></defs>`)
	g.draw(&b, 0, 0, status, link, selected)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every name is escaped above
}

func (g *graph) draw(b *strings.Builder, ox, oy int, status map[string]string, link func(string) string, selected string) {
	// The start marker and its edge to StartAt.
	cx := ox + g.w/2
	if s, ok := g.States[g.StartAt]; ok {
		fmt.Fprintf(b, `<circle class="start" cx="%d" cy="%d" r="%d"/>`, cx, oy+startR+2, startR)
		fmt.Fprintf(b, `<line class="edge" x1="%d" y1="%d" x2="%d" y2="%d" marker-end="url(#arrow)"/>`, cx, oy+2*startR+2, ox+s.x+s.w/2, oy+s.y)
	}
	// Edges first, under the boxes.
	for _, n := range g.order {
		from := g.States[n]
		for _, e := range from.Edges {
			to, ok := g.States[e.To]
			if !ok {
				continue
			}
			cls := "edge"
			if e.Catch {
				cls = "edge catch"
			}
			x1, y1 := ox+from.x+from.w/2, oy+from.y+from.h
			x2, y2 := ox+to.x+to.w/2, oy+to.y
			var d string
			if g.layer[e.To] > g.layer[n] {
				my := (y1 + y2) / 2
				d = fmt.Sprintf("M %d %d C %d %d, %d %d, %d %d", x1, y1, x1, my, x2, my, x2, y2)
			} else {
				// Back (or sideways) edge: out of the right side, round, into
				// the target's right side.
				x1, y1 = ox+from.x+from.w, oy+from.y+from.h/2
				x2, y2 = ox+to.x+to.w, oy+to.y+to.h/2
				rx := max(x1, x2) + gapX
				d = fmt.Sprintf("M %d %d C %d %d, %d %d, %d %d", x1, y1, rx, y1, rx, y2, x2, y2)
			}
			fmt.Fprintf(b, `<path class="%s" d="%s" marker-end="url(#arrow)"><title>%s</title></path>`, cls, d, html.EscapeString(n+" → "+e.To+" "+e.Label))
		}
	}
	for _, n := range g.order {
		s := g.States[n]
		st := status[n]
		if st == "" {
			st = "notreached"
		}
		cls := "node st-" + st
		if n == selected {
			cls += " selected"
		}
		if len(s.Subs) > 0 {
			cls += " group"
		}
		href := link(n)
		x, y := ox+s.x, oy+s.y
		fmt.Fprintf(b, `<g class="%s" data-state="%s" data-status="%s"><a href="%s"><title>%s</title>`, cls, html.EscapeString(n), st, html.EscapeString(href), html.EscapeString(n+" ("+s.Type+"): "+statusLabel(st)))
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" rx="6"/>`, x, y, s.w, s.h)
		if len(s.Subs) == 0 {
			fmt.Fprintf(b, `<text x="%d" y="%d" class="name">%s</text>`, x+s.w/2, y+19, html.EscapeString(trim(22, n)))
			fmt.Fprintf(b, `<text x="%d" y="%d" class="type">%s</text>`, x+s.w/2, y+35, html.EscapeString(s.Type))
			b.WriteString(`</a></g>`)
			continue
		}
		fmt.Fprintf(b, `<text x="%d" y="%d" class="name">%s</text>`, x+s.w/2, y+17, html.EscapeString(trim(30, n)+" · "+s.Type))
		b.WriteString(`</a>`)
		sx := x + groupPad
		for _, sub := range s.Subs {
			fmt.Fprintf(b, `<rect class="branch" x="%d" y="%d" width="%d" height="%d" rx="4"/>`, sx, y+groupHead+groupPad/2, sub.w, sub.h)
			sub.draw(b, sx, y+groupHead+groupPad/2, status, link, selected)
			sx += sub.w + gapX
		}
		b.WriteString(`</g>`)
	}
}

// statusLabel is a state status in words.
func statusLabel(st string) string {
	if st == "notreached" {
		return "not reached"
	}
	return st
}
