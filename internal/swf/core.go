package swf

import (
	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// executionOps returns the operations that start, drive and end workflow
// executions: start, signal, cancel, terminate, the decision and activity
// task protocols.
func (s *Service) executionOps() map[string]awsapi.Operation {
	return map[string]awsapi.Operation{}
}

// openCounts reports the execution's open work from its Runtime state.
func (e *execution) openCounts() WorkflowExecutionOpenCounts { return WorkflowExecutionOpenCounts{} }

// owner is the Service seen as the engine's Owner of "swf" tasks and timers.
type owner Service

// TaskStarted records DecisionTaskStarted or ActivityTaskStarted.
func (o *owner) TaskStarted(tx store.Tx, t *store.Task) error { return nil }

// TaskClosed records how a decision or activity task ended and schedules
// what follows.
func (o *owner) TaskClosed(tx store.Tx, t *store.Task, out engine.Outcome) error { return nil }

// TimerFired handles SWF timers and the workflow's own timeout.
func (o *owner) TimerFired(tx store.Tx, tm *store.Timer) error { return nil }
