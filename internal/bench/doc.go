// Package bench is 'gaffer bench': it measures gaffer's hot paths over the
// wire and sets them beside a bare net/http handler on the same machine,
// the ceiling. docs/performance.md explains each figure and records
// results.
//
// The bench runs the gaffer server ('gaffer serve', embedded SQLite in a
// temporary directory) and the bare handler (ServeBare) as subprocesses of
// the gaffer binary on free loopback ports, and drives them with one
// keep-alive HTTP client sending the requests an AWS SDK sends. The server
// CPU time of each figure is read from /proc/<pid>/stat, the bench's own
// from getrusage. Before the phases it times 4 KiB appends + fdatasync in
// the data directory: the floor of one durable commit.
//
// The phases, in the order they run (Phases; Config.Only picks some):
//
//   - heartbeat: SendTaskHeartbeat with one real task token from many
//     clients at once, requests/s against the bare handler's.
//   - cycle: worker loops doing StartExecution → GetActivityTask →
//     SendTaskHeartbeat → SendTaskSuccess, executions/s.
//   - wake: the latency from StartExecution sent to the answer of a
//     GetActivityTask that was already waiting, and of StartExecution's own
//     (durable) answer.
//   - swf-heartbeat: RecordActivityTaskHeartbeat, as heartbeat.
//   - swf-activity: the whole life of a one-activity workflow (start,
//     decide, poll, heartbeat, complete, decide), workflows/s and the mean
//     answer time of each request.
//   - swf-decision: a decision task answered with a StartTimer that fires
//     at once → the next decision task, decisions/s and round-trip latency.
//   - dp-heartbeat: ReportTaskProgress on an acknowledged Data Pipeline
//     task, as heartbeat.
//   - dp-task: task runners doing PollForTask → ReportTaskProgress →
//     SetTaskStatus FINISHED on pipelines of their own, re-activated when
//     their run is over; tasks/s with and without activation time.
//   - memory: the RSS, stack, heap and goroutines a fresh server holds per
//     idle GetActivityTask long poll, against the bare handler holding the
//     same requests.
//
// Every phase but memory runs against one shared server; memory starts
// servers of its own. Each phase adds its figures to the report, some with
// a target: a missed target is reported, not an error. Any answer other
// than the one expected aborts the bench.
package bench
