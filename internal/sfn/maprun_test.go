package sfn_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// mrMachine is a distributed Map over $.items whose iterations run one
// Task state on the case's activity ("$ACT"), with the Map state's extra
// fields (e.g. `"MaxConcurrency": 2,`) spliced in.
func mrMachine(extra string) string {
	return `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Each",` + extra + `
		"ItemsPath":"$.items",
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
			"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT",
				"Parameters":{"item.$":"$","exec.$":"$$.Execution.Id"},"End":true}}},
		"End":true}}}`
}

// mrTask is one task a worker took: its token and decoded input.
type mrTask struct {
	token string
	item  json.RawMessage
	exec  string // $$.Execution.Id as the task saw it
}

// mrPoll takes one task of act.
func mrPoll(t *testing.T, b *bundle, act string) mrTask {
	t.Helper()
	tok, in := b.MustPoll(t, act)
	var v struct {
		Item json.RawMessage `json:"item"`
		Exec string          `json:"exec"`
	}
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatalf("task input %s: %v", in, err)
	}
	return mrTask{token: tok, item: v.Item, exec: v.Exec}
}

// mrMachineName returns the name of a state machine from its ARN.
func mrMachineName(arn string) string { return arn[strings.LastIndexByte(arn, ':')+1:] }

// mrOnlyRun returns the ARN of the one Map Run of exec.
func mrOnlyRun(t *testing.T, b *bundle, exec string) types.MapRunListItem {
	t.Helper()
	out, err := b.Client.ListMapRuns(b.Ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(exec)})
	if err != nil {
		t.Fatalf("ListMapRuns: %v", err)
	}
	if len(out.MapRuns) != 1 {
		t.Fatalf("ListMapRuns: %d Map Runs, want 1", len(out.MapRuns))
	}
	return out.MapRuns[0]
}

// mrDescribe describes a Map Run.
func mrDescribe(t *testing.T, b *bundle, arn string) *sfn.DescribeMapRunOutput {
	t.Helper()
	out, err := b.Client.DescribeMapRun(b.Ctx, &sfn.DescribeMapRunInput{MapRunArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("DescribeMapRun: %v", err)
	}
	return out
}

// mrChildren lists a Map Run's child executions, all pages.
func mrChildren(t *testing.T, b *bundle, mapRun string) []types.ExecutionListItem {
	t.Helper()
	var out []types.ExecutionListItem
	p := sfn.NewListExecutionsPaginator(b.Client, &sfn.ListExecutionsInput{MapRunArn: aws.String(mapRun), MaxResults: 2})
	for p.HasMorePages() {
		page, err := p.NextPage(b.Ctx)
		if err != nil {
			t.Fatalf("ListExecutions by mapRunArn: %v", err)
		}
		out = append(out, page.Executions...)
	}
	return out
}

// mrWantCounts checks a Map Run's execution counts (and item counts, the
// same without an ItemBatcher).
func mrWantCounts(t *testing.T, d *sfn.DescribeMapRunOutput, want types.MapRunExecutionCounts) {
	t.Helper()
	got := *d.ExecutionCounts
	if got != want {
		t.Errorf("executionCounts %+v, want %+v", got, want)
	}
	items := *d.ItemCounts
	if items.Pending != want.Pending || items.Running != want.Running || items.Succeeded != want.Succeeded ||
		items.Failed != want.Failed || items.Aborted != want.Aborted || items.Total != want.Total {
		t.Errorf("itemCounts %+v, want %+v", items, want)
	}
}

func TestMapRunChildExecutions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, mrMachine(`"MaxConcurrency": 2,`), act)
	exec := b.Start(t, sm, `{"items":[1,2,3]}`)

	// Two children run at once; each task runs in its child, whose
	// $$.Execution.Id is the child's ARN.
	seen := map[string]string{} // child ARN → item
	for range 3 {
		task := mrPoll(t, b, act)
		seen[task.exec] = string(task.item)
		exSucceed(t, b, task.token, `{"done":`+string(task.item)+`}`)
	}
	out := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if want := `[{"done":1},{"done":2},{"done":3}]`; !servertest.JSONEqual(t, aws.ToString(out.Output), want) {
		t.Errorf("output %s, want %s", aws.ToString(out.Output), want)
	}

	// The parent's history has the Map Run, named by its ARN.
	events := b.History(t, exec)
	wantTypes := []string{"ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted", "MapRunSucceeded", "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"}
	if got := servertest.SFNEventTypes(events); !slices.Equal(got, wantTypes) {
		t.Fatalf("parent history %v, want %v", got, wantTypes)
	}
	name := mrMachineName(sm)
	mr := mrOnlyRun(t, b, exec)
	run := aws.ToString(mr.MapRunArn)
	if prefix := "arn:aws:states:us-east-1:000000000000:mapRun:" + name + "/Each:"; !strings.HasPrefix(run, prefix) || len(run) == len(prefix) {
		t.Errorf("Map Run ARN %s, want %s<uuid>", run, prefix)
	}
	if got := aws.ToString(events[3].MapRunStartedEventDetails.MapRunArn); got != run {
		t.Errorf("MapRunStarted names %s, want %s", got, run)
	}
	if aws.ToString(mr.ExecutionArn) != exec || aws.ToString(mr.StateMachineArn) != sm+"/Each" || mr.StopDate == nil {
		t.Errorf("ListMapRuns item %+v", mr)
	}

	d := mrDescribe(t, b, run)
	if d.Status != types.MapRunStatusSucceeded || aws.ToString(d.ExecutionArn) != exec || d.MaxConcurrency != 2 ||
		d.ToleratedFailureCount != 0 || d.ToleratedFailurePercentage != 0 || d.StopDate == nil {
		t.Errorf("DescribeMapRun %+v", d)
	}
	mrWantCounts(t, d, types.MapRunExecutionCounts{Succeeded: 3, Total: 3, ResultsWritten: 3})

	// The children: listed by the Map Run, not by the state machine.
	kids := mrChildren(t, b, run)
	if len(kids) != 3 {
		t.Fatalf("%d children, want 3", len(kids))
	}
	for _, k := range kids {
		arn := aws.ToString(k.ExecutionArn)
		if prefix := "arn:aws:states:us-east-1:000000000000:execution:" + name + "/Each:" + aws.ToString(k.Name); arn != prefix {
			t.Errorf("child ARN %s, want %s", arn, prefix)
		}
		if k.Status != types.ExecutionStatusSucceeded || aws.ToString(k.MapRunArn) != run || aws.ToInt32(k.ItemCount) != 1 || aws.ToString(k.StateMachineArn) != sm+"/Each" {
			t.Errorf("child list item %+v", k)
		}
		item, ok := seen[arn]
		if !ok {
			t.Errorf("child %s ran no task (tasks saw %v)", arn, seen)
			continue
		}
		desc, err := b.Client.DescribeExecution(b.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("DescribeExecution of a child: %v", err)
		}
		if aws.ToString(desc.MapRunArn) != run || aws.ToString(desc.Input) != item || !servertest.JSONEqual(t, aws.ToString(desc.Output), `{"done":`+item+`}`) {
			t.Errorf("child %s: mapRunArn %s input %s output %s", arn, aws.ToString(desc.MapRunArn), aws.ToString(desc.Input), aws.ToString(desc.Output))
		}
		got := servertest.SFNEventTypes(b.History(t, arn))
		want := []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"}
		if !slices.Equal(got, want) {
			t.Errorf("child history %v, want %v", got, want)
		}
		smd, err := b.Client.DescribeStateMachineForExecution(b.Ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("DescribeStateMachineForExecution of a child: %v", err)
		}
		if aws.ToString(smd.MapRunArn) != run || aws.ToString(smd.Label) != "Each" {
			t.Errorf("DescribeStateMachineForExecution: mapRunArn %s label %s", aws.ToString(smd.MapRunArn), aws.ToString(smd.Label))
		}
	}
	list, err := b.Client.ListExecutions(b.Ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm)})
	if err != nil {
		t.Fatalf("ListExecutions: %v", err)
	}
	if len(list.Executions) != 1 || aws.ToString(list.Executions[0].ExecutionArn) != exec {
		t.Errorf("the state machine lists %d executions, want only the parent", len(list.Executions))
	}
}

func TestMapRunUpdateMaxConcurrency(t *testing.T) {
	t.Parallel()
	// Short polls: the test checks that a poll finds no task.
	b := &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{MaxPollWait: 300 * time.Millisecond})).SFN()}
	act := b.Activity(t)
	sm := b.Machine(t, mrMachine(`"MaxConcurrency": 1,`), act)
	exec := b.Start(t, sm, `{"items":[1,2,3,4]}`)

	first := mrPoll(t, b, act)
	run := aws.ToString(mrOnlyRun(t, b, exec).MapRunArn)
	mrWantCounts(t, mrDescribe(t, b, run), types.MapRunExecutionCounts{Pending: 3, Running: 1, Total: 4})
	// One at a time: no second task is out.
	if tok, _ := b.Poll(t, act); tok != "" {
		t.Fatalf("a second task was handed out with MaxConcurrency 1")
	}

	if _, err := b.Client.UpdateMapRun(b.Ctx, &sfn.UpdateMapRunInput{MapRunArn: aws.String(run), MaxConcurrency: aws.Int32(3)}); err != nil {
		t.Fatalf("UpdateMapRun: %v", err)
	}
	d := mrDescribe(t, b, run)
	if d.MaxConcurrency != 3 {
		t.Errorf("maxConcurrency %d after the update, want 3", d.MaxConcurrency)
	}
	mrWantCounts(t, d, types.MapRunExecutionCounts{Pending: 1, Running: 3, Total: 4})
	tasks := []mrTask{first, mrPoll(t, b, act), mrPoll(t, b, act)}
	if tok, _ := b.Poll(t, act); tok != "" {
		t.Fatalf("a fourth task was handed out with MaxConcurrency 3")
	}
	for _, task := range tasks {
		exSucceed(t, b, task.token, string(task.item))
	}
	last := mrPoll(t, b, act)
	exSucceed(t, b, last.token, string(last.item))
	out := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(out.Output), `[1,2,3,4]`) {
		t.Errorf("output %s", aws.ToString(out.Output))
	}
	mrWantCounts(t, mrDescribe(t, b, run), types.MapRunExecutionCounts{Succeeded: 4, Total: 4, ResultsWritten: 4})

	// A Map Run that ended cannot be updated.
	_, err := b.Client.UpdateMapRun(b.Ctx, &sfn.UpdateMapRunInput{MapRunArn: aws.String(run), MaxConcurrency: aws.Int32(5)})
	servertest.WantClientError(t, "UpdateMapRun of an ended Map Run", err, "ValidationException")
}

func TestMapRunToleratedFailures(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		name  string
		extra string
		fails int // tasks that fail before the Map Run does
	}{
		{"default tolerates none", ``, 1},
		{"count", `"ToleratedFailureCount": 1,`, 2},
		{"percentage", `"ToleratedFailurePercentage": 50,`, 3}, // 2 of 4 is 50%: tolerated
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			act := b.Activity(t)
			sm := b.Machine(t, mrMachine(`"MaxConcurrency": 1,`+tc.extra), act)
			exec := b.Start(t, sm, `{"items":[1,2,3,4]}`)
			for range tc.fails {
				task := mrPoll(t, b, act)
				exFail(t, b, task.token, "Item.Bad", "item "+string(task.item))
			}
			out := b.WaitStatus(t, exec, types.ExecutionStatusFailed)
			if aws.ToString(out.Error) != "States.ExceedToleratedFailureThreshold" {
				t.Errorf("error %s, want States.ExceedToleratedFailureThreshold", aws.ToString(out.Error))
			}
			events := b.History(t, exec)
			failed := exFind(events, types.HistoryEventTypeMapRunFailed)
			if len(failed) != 1 || aws.ToString(failed[0].MapRunFailedEventDetails.Error) != "States.ExceedToleratedFailureThreshold" {
				t.Errorf("history %v: want one MapRunFailed with the threshold's error", servertest.SFNEventTypes(events))
			}
			run := aws.ToString(mrOnlyRun(t, b, exec).MapRunArn)
			d := mrDescribe(t, b, run)
			if d.Status != types.MapRunStatusFailed {
				t.Errorf("Map Run %s, want FAILED", d.Status)
			}
			mrWantCounts(t, d, types.MapRunExecutionCounts{Pending: int64(4 - tc.fails), Failed: int64(tc.fails), Total: 4})
			kids := mrChildren(t, b, run)
			if len(kids) != tc.fails {
				t.Fatalf("%d children, want %d", len(kids), tc.fails)
			}
			for _, k := range kids {
				desc, err := b.Client.DescribeExecution(b.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: k.ExecutionArn})
				if err != nil {
					t.Fatal(err)
				}
				if desc.Status != types.ExecutionStatusFailed || aws.ToString(desc.Error) != "Item.Bad" {
					t.Errorf("child %s: %s %s, want FAILED Item.Bad", aws.ToString(k.ExecutionArn), desc.Status, aws.ToString(desc.Error))
				}
			}
		})
	}
}

func TestMapRunUpdateTolerance(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, mrMachine(`"MaxConcurrency": 1, "ToleratedFailureCount": 1,`), act)
	exec := b.Start(t, sm, `{"items":[1,2,3]}`)
	task := mrPoll(t, b, act)
	exFail(t, b, task.token, "Item.Bad", "tolerated")
	next := mrPoll(t, b, act) // the failure was tolerated: item 2 runs
	run := aws.ToString(mrOnlyRun(t, b, exec).MapRunArn)
	// Tolerating none now: the one failure is too many, at once.
	if _, err := b.Client.UpdateMapRun(b.Ctx, &sfn.UpdateMapRunInput{MapRunArn: aws.String(run), ToleratedFailureCount: aws.Int64(0)}); err != nil {
		t.Fatalf("UpdateMapRun: %v", err)
	}
	out := b.WaitStatus(t, exec, types.ExecutionStatusFailed)
	if aws.ToString(out.Error) != "States.ExceedToleratedFailureThreshold" {
		t.Errorf("error %s", aws.ToString(out.Error))
	}
	d := mrDescribe(t, b, run)
	if d.Status != types.MapRunStatusFailed || d.ToleratedFailureCount != 0 {
		t.Errorf("Map Run %s tolerating %d, want FAILED tolerating 0", d.Status, d.ToleratedFailureCount)
	}
	mrWantCounts(t, d, types.MapRunExecutionCounts{Pending: 1, Failed: 1, Aborted: 1, Total: 3})
	// The running child was aborted: its task's token is dead.
	_, err := b.Client.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(next.token), Output: aws.String(`{}`)})
	servertest.WantClientError(t, "SendTaskSuccess of an aborted child's task", err, "TaskTimedOut")
}

func TestMapRunStopParent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	act := b.Activity(t)
	sm := b.Machine(t, mrMachine(`"MaxConcurrency": 2,`), act)
	exec := b.Start(t, sm, `{"items":[1,2,3]}`)
	tasks := []mrTask{mrPoll(t, b, act), mrPoll(t, b, act)}
	run := aws.ToString(mrOnlyRun(t, b, exec).MapRunArn)

	// A child cannot be stopped on its own.
	_, err := b.Client.StopExecution(b.Ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(tasks[0].exec)})
	servertest.WantClientError(t, "StopExecution of a child", err, "ValidationException")

	if _, err := b.Client.StopExecution(b.Ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(exec)}); err != nil {
		t.Fatalf("StopExecution: %v", err)
	}
	b.WaitStatus(t, exec, types.ExecutionStatusAborted)
	got := servertest.SFNEventTypes(b.History(t, exec))
	if !exSubsequence(got, []string{"MapRunStarted", "MapRunAborted", "MapStateAborted", "ExecutionAborted"}) {
		t.Errorf("parent history %v", got)
	}
	d := mrDescribe(t, b, run)
	if d.Status != types.MapRunStatusAborted || d.StopDate == nil {
		t.Errorf("Map Run %s, want ABORTED with a stop date", d.Status)
	}
	mrWantCounts(t, d, types.MapRunExecutionCounts{Pending: 1, Aborted: 2, Total: 3})
	for _, task := range tasks {
		desc, err := b.Client.DescribeExecution(b.Ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(task.exec)})
		if err != nil {
			t.Fatal(err)
		}
		if desc.Status != types.ExecutionStatusAborted || desc.StopDate == nil {
			t.Errorf("child %s: %s, want ABORTED", task.exec, desc.Status)
		}
		got := servertest.SFNEventTypes(b.History(t, task.exec))
		want := []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "TaskStateAborted", "ExecutionAborted"}
		if !slices.Equal(got, want) {
			t.Errorf("child history %v, want %v", got, want)
		}
		_, err = b.Client.SendTaskSuccess(b.Ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(task.token), Output: aws.String(`{}`)})
		servertest.WantClientError(t, "SendTaskSuccess of an aborted child's task", err, "TaskTimedOut")
	}
	for _, k := range mrChildren(t, b, run) {
		if k.Status != types.ExecutionStatusAborted {
			t.Errorf("child %s listed as %s", aws.ToString(k.ExecutionArn), k.Status)
		}
	}
}

func TestMapRunListPagesAndErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// Three distributed Maps in a Parallel state: three Map Runs.
	branch := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`
	sm := b.Machine(t, `{"StartAt":"Par","States":{"Par":{"Type":"Parallel","Branches":[`+branch+`,`+branch+`,`+branch+`],"End":true}}}`, "")
	exec := b.Start(t, sm, `[1,2]`)
	out := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	if !servertest.JSONEqual(t, aws.ToString(out.Output), `[[1,2],[1,2],[1,2]]`) {
		t.Errorf("output %s", aws.ToString(out.Output))
	}
	var runs []string
	var token *string
	for page := 0; ; page++ {
		res, err := b.Client.ListMapRuns(b.Ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(exec), MaxResults: 2, NextToken: token})
		if err != nil {
			t.Fatalf("ListMapRuns: %v", err)
		}
		if len(res.MapRuns) > 2 {
			t.Fatalf("page of %d, want at most 2", len(res.MapRuns))
		}
		for _, mr := range res.MapRuns {
			runs = append(runs, aws.ToString(mr.MapRunArn))
		}
		if token = res.NextToken; token == nil {
			break
		}
	}
	if len(runs) != 3 {
		t.Fatalf("%d Map Runs, want 3", len(runs))
	}
	// Without a Label, each Map Run has a generated one.
	labels := map[string]bool{}
	for _, r := range runs {
		label := r[strings.LastIndexByte(r, '/')+1 : strings.LastIndexByte(r, ':')]
		labels[label] = true
		d := mrDescribe(t, b, r)
		mrWantCounts(t, d, types.MapRunExecutionCounts{Succeeded: 2, Total: 2, ResultsWritten: 2})
	}
	if len(labels) != 3 {
		t.Errorf("labels %v, want 3 different ones", labels)
	}

	missing := strings.Replace(runs[0], runs[0][strings.LastIndexByte(runs[0], ':')+1:], "00000000-0000-4000-8000-000000000000", 1)
	for _, tc := range []struct {
		what string
		call func() error
		code string
	}{
		{"DescribeMapRun bad ARN", func() error {
			_, err := b.Client.DescribeMapRun(b.Ctx, &sfn.DescribeMapRunInput{MapRunArn: aws.String(exec)})
			return err
		}, "InvalidArn"},
		{"DescribeMapRun missing", func() error {
			_, err := b.Client.DescribeMapRun(b.Ctx, &sfn.DescribeMapRunInput{MapRunArn: aws.String(missing)})
			return err
		}, "ResourceNotFound"},
		{"UpdateMapRun missing", func() error {
			_, err := b.Client.UpdateMapRun(b.Ctx, &sfn.UpdateMapRunInput{MapRunArn: aws.String(missing), MaxConcurrency: aws.Int32(1)})
			return err
		}, "ResourceNotFound"},
		{"UpdateMapRun nothing to change", func() error {
			_, err := b.Client.UpdateMapRun(b.Ctx, &sfn.UpdateMapRunInput{MapRunArn: aws.String(runs[0])})
			return err
		}, "ValidationException"},
		{"ListMapRuns missing execution", func() error {
			_, err := b.Client.ListMapRuns(b.Ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(exec + "x")})
			return err
		}, "ExecutionDoesNotExist"},
		{"ListMapRuns bad ARN", func() error {
			_, err := b.Client.ListMapRuns(b.Ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(runs[0])})
			return err
		}, "InvalidArn"},
		{"ListExecutions both ARNs", func() error {
			_, err := b.Client.ListExecutions(b.Ctx, &sfn.ListExecutionsInput{MapRunArn: aws.String(runs[0]), StateMachineArn: aws.String(sm)})
			return err
		}, "ValidationException"},
		{"ListExecutions missing Map Run", func() error {
			_, err := b.Client.ListExecutions(b.Ctx, &sfn.ListExecutionsInput{MapRunArn: aws.String(missing)})
			return err
		}, "ResourceNotFound"},
		{"ListExecutions bad Map Run ARN", func() error {
			_, err := b.Client.ListExecutions(b.Ctx, &sfn.ListExecutionsInput{MapRunArn: aws.String(sm)})
			return err
		}, "InvalidArn"},
	} {
		err := tc.call()
		if tc.code == "ResourceNotFound" {
			// errors.json answers it with 404 (AWS's reference says 400).
			if got := servertest.ErrorCode(err); got != tc.code {
				t.Errorf("%s: error %v (code %q), want %s", tc.what, err, got, tc.code)
			}
			continue
		}
		servertest.WantClientError(t, tc.what, err, tc.code)
	}
}

// TestMapRunRetention: a closed execution's Map Runs go with it, and its
// children by their own stop date.
func TestMapRunRetention(t *testing.T) {
	t.Parallel()
	clock := &servertest.Clock{}
	b, srv := retentionServer(t, t.TempDir(), time.Hour, clock)
	sm := b.Machine(t, `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`, "")
	exec := b.Start(t, sm, `[1,2]`)
	b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)
	run := aws.ToString(mrOnlyRun(t, b, exec).MapRunArn)
	kids := mrChildren(t, b, run)
	if len(kids) != 2 {
		t.Fatalf("%d children, want 2", len(kids))
	}
	clock.Advance(2 * time.Hour)
	sweep(t, srv, 3)
	gone(t, b, srv, exec)
	for _, k := range kids {
		gone(t, b, srv, aws.ToString(k.ExecutionArn))
	}
	_, err := b.Client.DescribeMapRun(b.Ctx, &sfn.DescribeMapRunInput{MapRunArn: aws.String(run)})
	if got := servertest.ErrorCode(err); got != "ResourceNotFound" {
		t.Errorf("DescribeMapRun of a deleted execution's Map Run: %v, want ResourceNotFound", err)
	}
}
