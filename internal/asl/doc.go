// Package asl interprets Amazon States Language state machines: it parses
// and validates definitions and, given a state and its input, computes what
// happens next. It is pure: no I/O, no clock, no randomness but the source
// the caller passes in (Context.Rand). The caller (the engine) owns the
// execution, persists its progress, schedules activity tasks and timers, and
// passes times and random numbers in.
//
// # Running an execution
//
// Parse a definition once; the *Machine is immutable. An execution's
// position is an *Exec (NewExec), which the caller stores (it encodes as
// JSON) and passes to Machine.Run with each thing that happens to the
// execution: InputStart, a task's outcome (InputTaskStarted,
// InputTaskSucceeded, InputTaskFailed, InputTaskTimedOut), a timer
// (InputTimer), InputContinue. Run moves the execution as far as it can
// and returns the Effects the caller carries out — schedule a frame's
// activity task, set a frame's timer, cancel an aborted frame's task or
// timer, continue in a later write, succeed, fail — while it records the
// history events through Env.Record.
//
// An Exec is a tree of frames: the root runs the state machine, a Parallel
// state runs a child frame per branch and a Map state one per iteration.
// Their concurrency is logical: every branch's task is out at once, and
// their outcomes are given to Run one at a time. Env.MaxSteps and
// Env.MaxBytes bound the work of one call, so that a Map over many items
// or a long loop is split across writes (EffectContinue).
//
// Machine.Enter, TaskSucceeded and TaskFailed process one state (Run calls
// them): Enter applies a state's input processing and says what happens
// next (a Step), TaskSucceeded applies a task's (or a Parallel's or Map's)
// result, TaskFailed decides between retry, catch and failure.
//
// # Errors
//
// Parse returns a *DefinitionError listing every problem in document order.
// Enter and TaskSucceeded return a *RuntimeError when the state's data cannot
// be processed: a path that matches nothing (States.Runtime), a ResultPath
// that cannot be applied (States.ResultPathMatchFailure), a value of the wrong
// type (States.Runtime), data larger than MaxPayload (States.DataLimitExceeded:
// a state's input, its input after Parameters, a task's result before or
// after ResultSelector, a state's output). The state fails with that error.
// States.Runtime is never retried or caught, so the execution fails; any other
// error from a Task state may be passed to TaskFailed so that Retry and Catch
// apply, as on AWS (States.ALL and States.TaskFailed do not match
// States.DataLimitExceeded: a retrier or catcher must name it). Data is
// measured as it is encoded, and the encoding stops at the limit, so a value
// that doubles at each state costs at most MaxPayload to refuse.
//
// # Data
//
// JSON is decoded with numbers kept as text (json.Number) and object keys in
// their original order, so a state's output reproduces its input's numbers and
// key order exactly. Paths follow Jayway JsonPath as AWS uses it: a definite
// path ($.a.b, $['a b'], $.a[0]) yields the node itself; a path with [*], ..,
// slices or unions yields an array of every match.
//
// # JSONata and workflow variables
//
// QueryLanguage is JSONPath unless the definition or a state says JSONata
// (a state cannot return to JSONPath under a JSONata definition). A JSONata
// state has Arguments (Task) and Output instead of the five JSONPath fields;
// any string of the form "{% expression %}" in them, in Assign, in a choice
// rule's Condition, in TimeoutSeconds, HeartbeatSeconds, Seconds,
// Timestamp, and a Fail state's Error and Cause is evaluated, with
// $states.input, $states.result (after a task), $states.errorOutput (in a
// Catch) and $states.context bound. An expression that fails, yields
// nothing or yields a value of the wrong type fails the state with
// States.QueryEvaluationError. The engine is github.com/blues/jsonata-go
// (JSONata 1.5 plus most later functions), wrapped with the functions AWS
// adds ($partition, $range, $hash, $random, $uuid, $parse); $now and
// $millis read Context.EnteredTime and $random, $uuid and $shuffle
// Context.Rand, so that evaluation stays pure. See jsonata.go for the known
// differences from AWS's JSONata 2.0.6.
//
// Assign, in both languages, sets workflow variables: in a JSONPath state its
// ".$" keys take a path's value, "$" being the state's result (its input for
// Choice and Wait, the error output in a Catch); "$name" and "$name.field"
// paths read a variable wherever a path is allowed (not ResultPath). In a
// JSONata state, $name reads it. Every value of an Assign, and the state's
// Output, ResultPath and OutputPath, see the variables as they were before
// the state: the executor applies Step.AssignedVariables once the state is
// done. A variable's value, and one Assign's values together, are at most
// 256 KiB.
//
// # Intrinsic functions
//
// All eighteen intrinsic functions of the JSONPath query language run
// (States.Format, StringToJson, JsonToString, Array, ArrayPartition,
// ArrayContains, ArrayRange, ArrayGetItem, ArrayLength, ArrayUnique,
// Base64Encode, Base64Decode, Hash, JsonMerge, MathRandom, MathAdd,
// StringSplit, UUID), nested up to ten deep, where AWS allows them: the ".$"
// fields of Parameters and ResultSelector, and a Fail state's ErrorPath and
// CausePath. Their arguments are 'strings' (\', \{, \} and \\ are the
// escapes), numbers, true, false, null, paths on the data, the context object
// or a workflow variable, and calls. Parse checks what the definition fixes:
// the function, the number of arguments, the type and value of literal
// arguments (SCHEMA_VALIDATION_FAILED). The rest is checked as the state runs:
// a path that matches nothing fails it with States.Runtime, a bad argument
// (a wrong type, an index out of range, text that is not JSON or Base64,
// a result past MaxPayload) with States.IntrinsicFailure. States.UUID and
// States.MathRandom draw from Context.Rand; MathRandom with a seed argument
// draws from its own source, so the same seed gives the same number.
//
// # Not supported
//
// Parse refuses, with UNSUPPORTED_FEATURE, everything gaffer does not run
// rather than mis-running it: item readers and result writers (gaffer has no
// S3), JSONPath filter and script expressions, task credentials, and any Task
// Resource that is not an activity, a service integration or a Lambda
// function ARN (ParseResource). Whether a service integration can run is the
// caller's to decide.
//
// # Task resources
//
// A Task's history events are named for its Resource, as on AWS: Activity*
// for an activity, LambdaFunction* for a Lambda function ARN, Task* for a
// service integration (TaskScheduled, TaskStarted, TaskSubmitted once a
// .waitForTaskToken call was made (InputTaskSubmitted), TaskSucceeded,
// TaskFailed, TaskTimedOut). A .waitForTaskToken state sees $$.Task.Token
// as Context.TaskToken; the caller, which knows the token only once the
// task's attempt starts, passes a placeholder there and puts the token in
// its place in the task's input.
package asl
