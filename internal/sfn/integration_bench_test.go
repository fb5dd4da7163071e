package sfn_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// benchWorkers is how many goroutines start executions at once in the
// concurrent benchmarks.
const benchWorkers = 8

// instantLambda is a Lambda Invoke endpoint that answers at once; it sums
// the time its handler takes (the endpoint's own time).
type instantLambda struct {
	*httptest.Server
	calls atomic.Int64
	nanos atomic.Int64
}

func newInstantLambda(b *testing.B) *instantLambda {
	l := &instantLambda{}
	l.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		_, _ = w.Write([]byte(`{"ok":true}`))
		l.calls.Add(1)
		l.nanos.Add(int64(time.Since(start)))
	}))
	b.Cleanup(l.Close)
	return l
}

// runExecutions runs b.N executions of machine and reports executions/s.
// Sequential: one at a time, each awaited before the next starts (ns/op is
// one execution's latency, start to closed as a client sees it).
// Concurrent: benchWorkers goroutines start them all, then the benchmark
// waits until none of machine's executions runs. Every one must succeed.
func runExecutions(b *testing.B, e *servertest.SFNEnv, machine string, concurrent bool) {
	b.Helper()
	start := time.Now()
	if !concurrent {
		for range b.N {
			e.WaitStatus(b, e.Start(b, machine, `{"n":1}`), types.ExecutionStatusSucceeded)
		}
	} else {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range benchWorkers {
			wg.Go(func() {
				for next.Add(1) <= int64(b.N) && !b.Failed() {
					e.Start(b, machine, `{"n":1}`)
				}
			})
		}
		wg.Wait()
		count := func(s types.ExecutionStatus) int {
			out, err := e.Client.ListExecutions(e.Ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine), StatusFilter: s, MaxResults: 1})
			if err != nil {
				b.Fatalf("ListExecutions: %v", err)
			}
			return len(out.Executions)
		}
		e.Wait.Await(10*time.Minute, func() bool { return count(types.ExecutionStatusRunning) == 0 })
		for _, s := range []types.ExecutionStatus{types.ExecutionStatusRunning, types.ExecutionStatusFailed, types.ExecutionStatusTimedOut, types.ExecutionStatusAborted} {
			if count(s) != 0 {
				b.Fatalf("an execution is %s", s)
			}
		}
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "executions/s")
}

// BenchmarkLambdaTask runs executions of a one-Task machine calling a
// Lambda endpoint that answers at once (lambda:invoke), and of the same
// machine with a Pass state in its place (pass), one at a time
// (sequential: ns/op is an execution's latency) and from benchWorkers
// goroutines (concurrent). The Lambda call's overhead is the sequential
// lambda latency minus the pass latency minus the endpoint's own time
// (endpoint-ns/call):
//
//	go test -run '^$' -bench BenchmarkLambdaTask -benchtime 2000x ./internal/sfn/
func BenchmarkLambdaTask(b *testing.B) {
	l := newInstantLambda(b)
	e := servertest.InProcess(servertest.Start(b, servertest.Options{LambdaEndpoint: l.URL})).SFN()
	machines := map[string]string{
		"pass":   e.Machine(b, `{"StartAt":"T","States":{"T":{"Type":"Pass","Result":{"ok":true},"ResultPath":"$.r","End":true}}}`, ""),
		"lambda": e.Machine(b, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"instant","Payload.$":"$"},"ResultSelector":{"ok.$":"$.Payload.ok"},"ResultPath":"$.r","End":true}}}`, ""),
	}
	for _, kind := range []string{"pass", "lambda"} {
		for _, mode := range []string{"sequential", "concurrent"} {
			b.Run(kind+"/"+mode, func(b *testing.B) {
				calls, nanos := l.calls.Load(), l.nanos.Load()
				runExecutions(b, e, machines[kind], mode == "concurrent")
				if n := l.calls.Load() - calls; n > 0 {
					b.ReportMetric(float64(l.nanos.Load()-nanos)/float64(n), "endpoint-ns/call")
				}
			})
		}
	}
}

// BenchmarkSyncChild runs executions of a parent whose one Task starts a
// child execution (a Pass state) with states:startExecution.sync:2 and
// waits for it; an op is one parent/child pair:
//
//	go test -run '^$' -bench BenchmarkSyncChild -benchtime 2000x ./internal/sfn/
func BenchmarkSyncChild(b *testing.B) {
	e := servertest.InProcess(servertest.Start(b, servertest.Options{})).SFN()
	child := e.Machine(b, `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"child":true},"End":true}}}`, "")
	parent := e.Machine(b, `{"StartAt":"Run","States":{"Run":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
		"Parameters":{"StateMachineArn":"`+child+`","Input.$":"$"},"ResultSelector":{"out.$":"$.Output"},"End":true}}}`, "")
	for _, mode := range []string{"sequential", "concurrent"} {
		b.Run(mode, func(b *testing.B) {
			runExecutions(b, e, parent, mode == "concurrent")
		})
	}
}
