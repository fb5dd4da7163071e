// Package runner is gaffer's ready task runner: it long-polls one queue of
// a server speaking the AWS worker APIs (gaffer, or AWS itself), runs each
// task as a shell command, keeps the task alive while the command runs, and
// reports how it ended. It is a client of the public wire API only.
//
// # Dialects
//
// Exactly one of these is configured:
//
//   - Step Functions (Config.ActivityARN): GetActivityTask; the task input
//     on the command's stdin; SendTaskHeartbeat every Config.Heartbeat; on
//     exit 0 its stdout, which must be JSON, is SendTaskSuccess's output,
//     else SendTaskFailure (error "Runner.InvalidOutput"); a non-zero exit
//     is SendTaskFailure with error "Runner.ExitCode<N>" (or
//     Config.ExitError) and the stderr tail as cause. A heartbeat answered
//     TaskTimedOut or TaskDoesNotExist (the execution stopped, the task
//     timed out) kills the command and drops the task.
//   - SWF (Config.Domain, Config.TaskList): PollForActivityTask; input on
//     stdin; RecordActivityTaskHeartbeat with the command's last stderr line
//     as details; cancelRequested kills the command and answers
//     RespondActivityTaskCanceled; exit 0 is RespondActivityTaskCompleted
//     with stdout as result, anything else RespondActivityTaskFailed (reason
//     and details as for Step Functions). UnknownResourceFault on a
//     heartbeat drops the task.
//   - Data Pipeline (Config.WorkerGroup): PollForTask; ShellCommandActivity
//     and ShellCommandPrecondition objects run their command (or local
//     scriptUri) with scriptArgument as $1…, under `sh -c`; with stage true,
//     ${INPUTn_STAGING_DIR} and ${OUTPUTn_STAGING_DIR} are temporary
//     directories, one per input and output (files of a local input
//     directoryPath are copied in; after exit 0 the output directories are
//     copied to a local output directoryPath). ReportTaskProgress
//     acknowledges the task at once and then every Config.Heartbeat
//     (canceled: the command is killed, nothing more is reported);
//     SetTaskStatus FINISHED on exit 0, FALSE for a precondition whose
//     command exits non-zero, else FAILED with errorId "Runner.ExitCode<N>"
//     and errorMessage the exit status and stderr tail (≤ 1 KiB). Other
//     object types are FAILED ("Runner.UnsupportedType"). The runner itself
//     calls ReportTaskRunnerHeartbeat at start and every
//     Config.RunnerHeartbeat; terminate: true stops polling, lets the running
//     tasks finish and ends Run.
//
// # Commands
//
// A command runs as `sh -c COMMAND` in a process group of its own. It is
// stopped — SIGTERM to the group, SIGKILL Config.KillGrace later — when the
// service says the task is canceled or gone, when Config.TaskTimeout passes
// (the task fails with "Runner.Timeout"), and when the runner stops. A
// command killed by a signal it did not get from the runner fails the task
// with "Runner.Signaled".
//
// # Stopping
//
// Run's context is the runner's life: when it ends, the commands are killed
// and nothing more is reported, as if the runner had crashed, so the
// service times the tasks out and hands them out again. Shutdown is the
// orderly stop (SIGTERM): polling stops, the running tasks have
// Config.Drain to finish, then they are killed and handed back — SFN
// SendTaskFailure "Runner.Interrupted", SWF RespondActivityTaskFailed with
// that reason, Data Pipeline SetTaskStatus FAILED with that errorId (the
// service retries per maximumRetries) — and Run returns.
package runner
