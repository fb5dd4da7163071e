package servertest

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
)

// answers checks every error a test server answers against the embedded
// AWS models: an error that the model does not list for the operation
// (awsapi.Model.ListsError; the common errors aside) fails the test that
// started the server, when it stops. Every test that drives a server from
// Start is thereby a check that gaffer answers only errors its clients'
// SDKs know for that operation; TestErrorsListed (internal/server) adds a
// walk through every operation with inputs that name nothing that exists.
//
// It sees only the answers the tests provoke: an error path no test takes
// is not checked.
type answers struct {
	mu       sync.Mutex
	unlisted map[string]int // "service operation code" → times answered
}

// models are the embedded models by signing name (Model.EndpointPrefix, as
// awsapi.Config.Observe names the service).
var models = sync.OnceValue(func() map[string]*awsapi.Model {
	ms := map[string]*awsapi.Model{}
	for _, name := range []string{"stepfunctions", "swf", "datapipeline"} {
		m := awsapi.EmbeddedModel(name)
		ms[m.EndpointPrefix] = m
	}
	return ms
})

// deviations are the answers gaffer gives on purpose although the model
// does not list them for the operation ("service operation code"), each
// with the reason. Keep it short: an entry is a known difference from what
// AWS's SDKs expect.
var deviations = map[string]string{
	// SWF refuses new executions and types in a deprecated domain
	// (DeprecateDomain's documentation), but the model lists no fault for
	// it on these operations; gaffer answers DomainDeprecatedFault, which
	// says what happened (the SDKs surface it as a generic API error with
	// that code). AWS may answer UnknownResourceFault instead: unverified.
	"swf StartWorkflowExecution DomainDeprecatedFault": "deprecated domain",
	"swf RegisterActivityType DomainDeprecatedFault":   "deprecated domain",
	"swf RegisterWorkflowType DomainDeprecatedFault":   "deprecated domain",
}

// Unlisted reports whether an answer is an error that the service's model
// does not list for the operation and that is not a common error, nor a
// known deviation. Answers before an operation is known (no operation) are
// not checked.
func Unlisted(service, operation, code string) bool {
	if code == "" || operation == "" {
		return false
	}
	if _, ok := deviations[service+" "+operation+" "+code]; ok {
		return false
	}
	m := models()[service]
	return m == nil || !m.ListsError(operation, code)
}

// observe is the server's awsapi.Config.Observe.
func (a *answers) observe(service, operation, code string, status int, d time.Duration) {
	if !Unlisted(service, operation, code) {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.unlisted == nil {
		a.unlisted = map[string]int{}
	}
	a.unlisted[service+" "+operation+" "+code]++
}

// report fails t for each unlisted answer; call it once the server has
// stopped answering.
func (a *answers) report(t testing.TB) {
	a.mu.Lock()
	defer a.mu.Unlock()
	keys := make([]string, 0, len(a.unlisted))
	for k := range a.unlisted {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Errorf("answered an error its model does not list for the operation (service operation code): %s (%s)", k, times(a.unlisted[k]))
	}
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}
