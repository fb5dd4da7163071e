package asl

// scopeVars holds the workflow variables (Assign) visible in one scope: the
// top level of an execution, a Parallel branch or a Map iteration. An inner
// scope reads its outer scopes' variables; its own assignments stay in it.
type scopeVars struct {
	outer *scopeVars
	vals  *object // name -> value; nil when the scope has assigned nothing
}

// get returns the variable name, looking outwards through the scopes.
func (v *scopeVars) get(name string) (any, bool) {
	for s := v; s != nil; s = s.outer {
		if s.vals == nil {
			continue
		}
		if x, ok := s.vals.get(name); ok {
			return x, true
		}
	}
	return nil, false
}
