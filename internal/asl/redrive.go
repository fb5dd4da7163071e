package asl

import (
	"encoding/json"
	"slices"
)

// Redrive (RedriveExecution): an execution that failed, timed out or was
// stopped resumes from the states that did not succeed. What succeeded is
// kept: the states a frame already left, and the branches and iterations
// of a Parallel or inline Map state that succeeded (their results stay in
// the state's fan); the frames that failed or were aborted enter their
// state again, with the input they had, and retry counts start over.
//
// A failure takes the tree of frames apart as it travels up (the failed
// frame and its aborted siblings are removed, the Parallel or Map state's
// fan dropped), so while it travels the runner keeps what it removes; if
// it ends the execution (EffectFail) the frames as they stood are kept on
// the Exec for RedrivePoint. A failure that a Retry or Catch handles
// forgets them. A stopped or timed-out execution still has its frames.
//
// Not kept: iterations of a Map that failed within its tolerated failure
// threshold before the Map state failed for another reason (they stay
// failed, null in the results), and the iterations of a distributed Map,
// whose Map state runs again whole (a new Map Run).

// failure is the tree of frames as it stood when a Run failed the
// execution.
type failure struct {
	frames []*Frame
	fans   map[int]*fan
}

// fall keeps f, a frame the failure being handled removes.
func (r *runner) fall(f *Frame) { r.fallen = append(r.fallen, f) }

// keepFan keeps the fan of p, a Parallel or Map state the failure being
// handled fails.
func (r *runner) keepFan(p *Frame) {
	if p.Fan == nil {
		return
	}
	if r.fans == nil {
		r.fans = make(map[int]*fan)
	}
	r.fans[p.ID] = p.Fan
}

// handled forgets what the failure removed: a Retry or Catch handled it.
func (r *runner) handled() { r.fallen, r.fans = nil, nil }

// failedAt keeps the frames as they stood when the execution failed.
func (r *runner) failedAt() {
	frames := append(slices.Clone(r.x.Frames), r.fallen...)
	r.x.failed = &failure{frames: frames, fans: r.fans}
	r.fallen, r.fans = nil, nil
}

// RedrivePoint returns the Exec that resumes x, an execution of m that just
// ended without succeeding (failed in the Run that returned EffectFail,
// stopped, or timed out), or nil if nothing can resume. Call it before x is
// discarded; run the result with InputContinue.
func (m *Machine) RedrivePoint(x *Exec) *Exec {
	var frames []*Frame
	var fans map[int]*fan
	if x.failed != nil {
		frames, fans = x.failed.frames, x.failed.fans
	} else {
		frames = x.Frames
	}
	if len(frames) == 0 {
		return nil
	}
	// A deep copy: x's frames are not changed.
	raw, err := json.Marshal(frames)
	if err != nil {
		return nil
	}
	var copied []*Frame
	if err := json.Unmarshal(raw, &copied); err != nil {
		return nil
	}
	for id, fn := range fans {
		for _, f := range copied {
			if f.ID == id && f.Fan == nil {
				b, err := json.Marshal(fn)
				if err != nil {
					return nil
				}
				f.Fan = new(fan)
				if err := json.Unmarshal(b, f.Fan); err != nil {
					return nil
				}
			}
		}
	}
	slices.SortFunc(copied, func(a, b *Frame) int { return a.ID - b.ID })
	nx := &Exec{NextID: x.NextID}
	for _, f := range copied {
		if f.ID >= nx.NextID {
			nx.NextID = f.ID + 1
		}
	}
	r := &runner{m: m, x: nx, env: Env{Context: &Context{}}}
	// Keep the frames whose ancestors are all kept and run inline (the
	// frames of a distributed Map's child executions are dropped: the Map
	// state runs again whole); parents come before their children.
	kept := make(map[int]bool, len(copied))
	for _, f := range copied {
		if !f.Hidden && (f.Parent == 0 || kept[f.Parent]) {
			kept[f.ID] = true
			nx.Frames = append(nx.Frames, f)
		}
	}
	nx.byID = make(map[int]*Frame, len(nx.Frames))
	for _, f := range nx.Frames {
		nx.byID[f.ID] = f
	}
	children := make(map[int]int)
	for _, f := range nx.Frames {
		if f.Parent != 0 {
			children[f.Parent]++
		}
	}
	// A Parallel or inline Map state goes on with its children to redrive;
	// one with none (or a distributed Map) enters its state again whole.
	var drop []int
	for _, f := range nx.Frames {
		fanOn := false
		if f.Phase == phaseFan && f.Fan != nil && children[f.ID] > 0 {
			st, err := r.parentState(f)
			fanOn = err == nil && st != nil && !(st.typ == typeMap && st.mapSpec.distributed)
		}
		if fanOn {
			f.Fan.Running, f.Fan.Failed = children[f.ID], 0
			continue
		}
		if f.Phase == phaseFan {
			drop = append(drop, descendants(nx.Frames, f.ID)...)
		}
		f.Phase, f.Task, f.Wait, f.Fan, f.Submitted, f.RetryCounts, f.Again = phaseEnter, nil, nil, nil, false, nil, false
	}
	for _, id := range drop {
		if f := nx.byID[id]; f != nil {
			r.remove(f)
		}
	}
	for _, f := range nx.Frames {
		nx.VarBytes += f.VarBytes
		if f.Phase == phaseEnter {
			nx.Ready = append(nx.Ready, f.ID)
		}
	}
	if len(nx.Frames) == 0 {
		return nil
	}
	nx.byID = nil
	return nx
}

// descendants returns the ids of the frames below id.
func descendants(frames []*Frame, id int) []int {
	var out []int
	for _, f := range frames {
		if f.Parent == id {
			out = append(out, f.ID)
			out = append(out, descendants(frames, f.ID)...)
		}
	}
	return out
}
