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
//
//   - cycle: worker loops doing StartExecution → GetActivityTask →
//     SendTaskHeartbeat → SendTaskSuccess, executions/s.
//
//   - wake: the latency from StartExecution sent to the answer of a
//     GetActivityTask that was already waiting, and of StartExecution's own
//     (durable) answer. On several nodes the poller waits on node 0 and
//     the execution is started through node 1: the cross-node wake.
//
//   - wake-load: the same samples while a quarter of Workers run the cycle
//     in the background on an activity of their own.
//     (durable) answer.
//
//   - swf-heartbeat: RecordActivityTaskHeartbeat, as heartbeat.
//
//   - swf-activity: the whole life of a one-activity workflow (start,
//     decide, poll, heartbeat, complete, decide), workflows/s and the mean
//     answer time of each request.
//
//   - swf-decision: a decision task answered with a StartTimer that fires
//     at once → the next decision task, decisions/s and round-trip latency.
//
//   - dp-heartbeat: ReportTaskProgress on an acknowledged Data Pipeline
//     task, as heartbeat.
//
//   - dp-task: task runners doing PollForTask → ReportTaskProgress →
//     SetTaskStatus FINISHED on pipelines of their own, re-activated when
//     their run is over; tasks/s with and without activation time.
//
//   - map: an inline Map of 1,000 items over one activity, MaxConcurrency
//     0, two executions kept running, their tasks taken by -workers loops
//     of GetActivityTask → SendTaskSuccess; items/s and the time of one
//     Map from StartExecution to SUCCEEDED.
//
//   - parallel: worker loops each starting an execution of a Parallel
//     state of 10 activity-task branches and completing 10 tasks;
//     executions/s.
//
//   - memory: the RSS, stack, heap and goroutines a fresh server holds per
//     idle GetActivityTask long poll, against the bare handler holding the
//     same requests.
//
//   - soak (opt-in: not in DefaultConfig's list, run with -only soak
//     -duration 10m): a mixed honest load (Workers/4 loops each of the
//     cycle, SWF one-activity workflows, Data Pipeline tasks and Step
//     Functions heartbeats) for Duration alone, then for Duration again
//     while a hostile client sends the hardening issue's payloads: (a) a
//     machine of 30 doubling Pass states started with {"x":1} every 100
//     ms, (b) a pipeline whose fields refer to fields 40 wide and 7 deep,
//     defined, activated and polled three times, (c) 32 connections at a
//     time declaring ~1 MB of body and sending a byte every 100 ms for up
//     to 10 s, (d) 64 SWF long polls at a time on random task lists, (e)
//     requests with invalid UTF-8 bodies every 20 ms. Every hostile
//     action is capped in count and time (30 s per request, the round)
//     and goes only to the phase's own server. The server's RSS and
//     goroutines (from the debug endpoint of the -serve-debug wrapper) are
//     sampled every 2 s; the report gives them at the start, after the
//     honest round, at their largest and after the hostile client left
//     (settled), the honest requests/s and p99 answer time of both rounds
//     with their ratios, the requests and errors of each hostile action,
//     and whether the server stopped cleanly. Alone, an honest error aborts
//     the bench as in every phase; beside the hostile client it is counted
//     (target 0) and the loop starts over with fresh task lists or a fresh
//     pipeline; the hostile client's errors are only counted.
//
//   - takeover (opt-in, PostgreSQL): three nodes on one schema, 64 tasks
//     held by a worker and Wait deadlines in every partition; one node is
//     killed with SIGKILL; the time until the two others hold all 64
//     partitions (GET /gaffer/nodes) and until the killed node's deadlines
//     have fired, against the lease; then the held tasks are completed
//     through the survivors.
//
// Every phase but memory, soak and takeover runs against one shared server
// per store; memory and soak start servers of their own, on SQLite.
//
// With Config.Store (a PostgreSQL database) or Config.PGLocal (a
// throwaway local cluster, package pgserver), the shared phases run on
// SQLite, then on one node on PostgreSQL, then, with Config.Nodes above 1,
// on that many nodes sharing the database, each of the client's requests
// sent to the next node. Each group of nodes gets a fresh schema,
// gaffer_bench_<random>, through search_path, dropped when the bench ends:
// nothing else in the database is read or written. The report labels each
// figure with its store and adds the ratio to SQLite's; on PostgreSQL it
// adds the database server's CPU time (its postmaster and children, from
// /proc, when it runs on this machine) and the NOTIFYs a listener of the
// bench's own receives during the cycle. Each phase adds its figures to the report, some with
//   - growth (opt-in: run with -only growth -growth 1000,100000,1000000):
//     for each size, a store seeded in the bench's process with that many
//     closed SWF executions (swf.Seed: record, 11-event history,
//     visibility entry and retention timer each, 2,000 per transaction),
//     the seeding rate, a server started on it (time to ready), the cycle
//     with the mean answer time of GetActivityTask, SendTaskHeartbeat and
//     SendTaskSuccess, and the median time of SWF's
//     ListClosedWorkflowExecutions (first page, ten pages, by tag),
//     CountClosedWorkflowExecutions (last hour, all) and Step Functions'
//     ListExecutions by status. The target: the three answer times at the
//     largest size within 10 % of the smallest's.
//
// Every phase but memory, soak and growth runs against one shared server; memory
// and soak start servers of their own. Each phase adds its figures to the report, some with
// a target: a missed target is reported, not an error. Any answer other
// than the one expected aborts the bench.
package bench
