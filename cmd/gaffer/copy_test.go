package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	dptypes "github.com/aws/aws-sdk-go-v2/service/datapipeline/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	swftypes "github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/pgtest"
	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/store/postgres"
)

// seeded is what seed left open on a server: a task of each dialect
// handed out, with the token its worker holds, and the listings.
type seeded struct {
	machine, exec, sfnToken string
	domain, wid, swfToken   string
	pipeline, dpTaskID      string
	pageToken, secondPage   string // a ListExecutions nextToken, and the execution after it
	wt                      swftypes.WorkflowType
	lists                   listings
}

// listings are what the List operations of the three dialects say.
type listings struct {
	Executions []string // name status
	Domains    []string
	Pipelines  []string // id name
}

// seed gives srv an SFN execution whose activity task is started, an SWF
// workflow whose activity task is started, and an activated Data Pipeline
// pipeline whose attempt is handed out.
func seed(t *testing.T, srv *server.Server) seeded {
	t.Helper()
	env := servertest.InProcess(srv)
	ctx := env.Ctx
	var s seeded

	e := env.SFN()
	act := e.Activity(t)
	s.machine = e.Machine(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"$ACT","End":true}}}`, act)
	s.exec = e.Start(t, s.machine, `{"n":1}`)
	e.Start(t, s.machine, `{"n":2}`) // stays scheduled: copied as a task never handed out
	s.sfnToken, _ = e.MustPoll(t, act)

	w := env.SWF().Client
	s.domain, s.wid = servertest.Uniq("dom"), servertest.Uniq("wf")
	s.wt = swftypes.WorkflowType{Name: aws.String("job"), Version: aws.String("1")}
	at := swftypes.ActivityType{Name: aws.String("step"), Version: aws.String("1")}
	_, err := w.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String(s.domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
	servertest.OK(t, "RegisterDomain", err)
	_, err = w.RegisterWorkflowType(ctx, &swf.RegisterWorkflowTypeInput{
		Domain: aws.String(s.domain), Name: s.wt.Name, Version: s.wt.Version,
		DefaultTaskList:                     &swftypes.TaskList{Name: aws.String("d")},
		DefaultExecutionStartToCloseTimeout: aws.String("3600"), DefaultTaskStartToCloseTimeout: aws.String("300"),
		DefaultChildPolicy: swftypes.ChildPolicyTerminate,
	})
	servertest.OK(t, "RegisterWorkflowType", err)
	_, err = w.RegisterActivityType(ctx, &swf.RegisterActivityTypeInput{
		Domain: aws.String(s.domain), Name: at.Name, Version: at.Version,
		DefaultTaskList:                   &swftypes.TaskList{Name: aws.String("a")},
		DefaultTaskScheduleToStartTimeout: aws.String("600"), DefaultTaskScheduleToCloseTimeout: aws.String("900"),
		DefaultTaskStartToCloseTimeout: aws.String("600"), DefaultTaskHeartbeatTimeout: aws.String("300"),
	})
	servertest.OK(t, "RegisterActivityType", err)
	_, err = w.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{
		Domain: aws.String(s.domain), WorkflowId: aws.String(s.wid), WorkflowType: &s.wt, Input: aws.String("in"),
	})
	servertest.OK(t, "StartWorkflowExecution", err)
	dec := pollDecision(t, w, s.domain)
	_, err = w.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: dec.TaskToken, Decisions: []swftypes.Decision{{
		DecisionType: swftypes.DecisionTypeScheduleActivityTask,
		ScheduleActivityTaskDecisionAttributes: &swftypes.ScheduleActivityTaskDecisionAttributes{
			ActivityId: aws.String("a1"), ActivityType: &at, Input: aws.String("step-in"),
		},
	}}})
	servertest.OK(t, "RespondDecisionTaskCompleted", err)
	for deadline := time.Now().Add(10 * time.Second); s.swfToken == "" && time.Now().Before(deadline); {
		out, err := w.PollForActivityTask(ctx, &swf.PollForActivityTaskInput{Domain: aws.String(s.domain), TaskList: &swftypes.TaskList{Name: aws.String("a")}})
		servertest.OK(t, "PollForActivityTask", err)
		s.swfToken = aws.ToString(out.TaskToken)
	}
	if s.swfToken == "" {
		t.Fatal("no SWF activity task")
	}

	p := env.DataPipeline()
	wg := servertest.Uniq("wg")
	s.pipeline = p.Create(t, "copy-me")
	p.Put(t, s.pipeline, []dptypes.PipelineObject{
		servertest.PipelineObject("Default", servertest.PipelineString("scheduleType", "ondemand"), servertest.PipelineString("workerGroup", wg)),
		servertest.PipelineObject("Hello", servertest.PipelineString("type", "ShellCommandActivity"), servertest.PipelineString("command", "echo hello")),
	})
	_, err = p.Client.ActivatePipeline(ctx, &datapipeline.ActivatePipelineInput{PipelineId: aws.String(s.pipeline)})
	servertest.OK(t, "ActivatePipeline", err)
	for deadline := time.Now().Add(10 * time.Second); s.dpTaskID == "" && time.Now().Before(deadline); {
		out, err := p.Client.PollForTask(ctx, &datapipeline.PollForTaskInput{WorkerGroup: aws.String(wg), Hostname: aws.String("host-1")})
		servertest.OK(t, "PollForTask", err)
		if out.TaskObject != nil {
			s.dpTaskID = aws.ToString(out.TaskObject.TaskId)
		}
	}
	if s.dpTaskID == "" {
		t.Fatal("no Data Pipeline task")
	}
	s.lists = list(t, srv.URL(), s)
	page, err := e.Client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(s.machine), MaxResults: 1})
	servertest.OK(t, "ListExecutions", err)
	s.pageToken = aws.ToString(page.NextToken)
	if s.pageToken == "" {
		t.Fatal("ListExecutions of 2 executions by 1: no nextToken")
	}
	page, err = e.Client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(s.machine), MaxResults: 1, NextToken: page.NextToken})
	servertest.OK(t, "ListExecutions", err)
	s.secondPage = aws.ToString(page.Executions[0].ExecutionArn)
	return s
}

func pollDecision(t *testing.T, w *swf.Client, domain string) *swf.PollForDecisionTaskOutput {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		out, err := w.PollForDecisionTask(context.Background(), &swf.PollForDecisionTaskInput{Domain: aws.String(domain), TaskList: &swftypes.TaskList{Name: aws.String("d")}})
		servertest.OK(t, "PollForDecisionTask", err)
		if out.TaskToken != nil {
			return out
		}
	}
	t.Fatal("no SWF decision task")
	return nil
}

// list reads the three dialects' listings from the server at url.
func list(t *testing.T, url string, s seeded) listings {
	t.Helper()
	ctx := context.Background()
	var l listings
	ex, err := servertest.SFN(url).ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(s.machine)})
	servertest.OK(t, "ListExecutions", err)
	for _, e := range ex.Executions {
		l.Executions = append(l.Executions, aws.ToString(e.Name)+" "+string(e.Status))
	}
	doms, err := servertest.SWF(url).ListDomains(ctx, &swf.ListDomainsInput{RegistrationStatus: swftypes.RegistrationStatusRegistered})
	servertest.OK(t, "ListDomains", err)
	for _, d := range doms.DomainInfos {
		l.Domains = append(l.Domains, aws.ToString(d.Name))
	}
	ps, err := servertest.DataPipeline(url).ListPipelines(ctx, &datapipeline.ListPipelinesInput{})
	servertest.OK(t, "ListPipelines", err)
	for _, p := range ps.PipelineIdList {
		l.Pipelines = append(l.Pipelines, aws.ToString(p.Id)+" "+aws.ToString(p.Name))
	}
	return l
}

// checkServes starts a server on the data directory dir and checks that it
// lists what the original did and takes the tokens handed out before the
// copy: the SFN execution succeeds, the SWF workflow gets its next
// decision task and completes, the Data Pipeline attempt finishes.
func checkServes(t *testing.T, dir string, s seeded) {
	t.Helper()
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, server.DBFile): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %#o, want %#o", path, fi.Mode().Perm(), want)
		}
	}
	srv := servertest.Start(t, servertest.Options{DataDir: dir})
	env := servertest.InProcess(srv)
	ctx := env.Ctx
	if got := list(t, srv.URL(), s); !reflect.DeepEqual(got, s.lists) {
		t.Fatalf("the copy lists\n%+v\nthe original\n%+v", got, s.lists)
	}

	e := env.SFN()
	page, err := e.Client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(s.machine), MaxResults: 1, NextToken: aws.String(s.pageToken)})
	servertest.OK(t, "ListExecutions with a nextToken from before the copy", err)
	if len(page.Executions) != 1 || aws.ToString(page.Executions[0].ExecutionArn) != s.secondPage {
		t.Fatalf("ListExecutions with a nextToken from before the copy: %+v, want %s", page.Executions, s.secondPage)
	}
	_, err = e.Client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(s.sfnToken), Output: aws.String(`{"done":true}`)})
	servertest.OK(t, "SendTaskSuccess with a token from before the copy", err)
	if out := e.WaitStatus(t, s.exec, sfntypes.ExecutionStatusSucceeded); aws.ToString(out.Output) != `{"done":true}` {
		t.Fatalf("execution output %q", aws.ToString(out.Output))
	}

	w := env.SWF().Client
	_, err = w.RespondActivityTaskCompleted(ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: aws.String(s.swfToken), Result: aws.String("ok")})
	servertest.OK(t, "RespondActivityTaskCompleted with a token from before the copy", err)
	dec := pollDecision(t, w, s.domain)
	var types []string
	for _, ev := range dec.Events {
		types = append(types, string(ev.EventType))
	}
	if !strings.Contains(strings.Join(types, " "), "ActivityTaskCompleted") {
		t.Fatalf("decision task after the copy: history %v, want an ActivityTaskCompleted", types)
	}
	_, err = w.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: dec.TaskToken, Decisions: []swftypes.Decision{{
		DecisionType: swftypes.DecisionTypeCompleteWorkflowExecution,
	}}})
	servertest.OK(t, "RespondDecisionTaskCompleted", err)
	d, err := w.DescribeWorkflowExecution(ctx, &swf.DescribeWorkflowExecutionInput{Domain: aws.String(s.domain),
		Execution: &swftypes.WorkflowExecution{WorkflowId: aws.String(s.wid), RunId: dec.WorkflowExecution.RunId}})
	servertest.OK(t, "DescribeWorkflowExecution", err)
	if d.ExecutionInfo.CloseStatus != swftypes.CloseStatusCompleted {
		t.Fatalf("workflow close status %q, want COMPLETED", d.ExecutionInfo.CloseStatus)
	}

	p := env.DataPipeline()
	_, err = p.Client.SetTaskStatus(ctx, &datapipeline.SetTaskStatusInput{TaskId: aws.String(s.dpTaskID), TaskStatus: dptypes.TaskStatusFinished})
	servertest.OK(t, "SetTaskStatus with a task id from before the copy", err)
	q, err := p.Client.QueryObjects(ctx, &datapipeline.QueryObjectsInput{PipelineId: aws.String(s.pipeline), Sphere: aws.String("INSTANCE")})
	servertest.OK(t, "QueryObjects", err)
	objs, err := p.Client.DescribeObjects(ctx, &datapipeline.DescribeObjectsInput{PipelineId: aws.String(s.pipeline), ObjectIds: q.Ids})
	servertest.OK(t, "DescribeObjects", err)
	if len(objs.PipelineObjects) != 1 {
		t.Fatalf("pipeline instances: %d, want 1", len(objs.PipelineObjects))
	}
	if f := servertest.PipelineFields(objs.PipelineObjects[0].Fields); f["@status"] != "FINISHED" {
		t.Fatalf("pipeline instance after SetTaskStatus: %v, want @status FINISHED", f)
	}
}

// copyOK runs gaffer copy with args and fails the test unless it succeeds;
// it returns the summary.
func copyOK(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run(t.Context(), append([]string{"copy", "-progress", "0", "-batch", "5"}, args...), &out, &errOut); code != 0 {
		t.Fatalf("gaffer copy %q exited %d: %s", args, code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "gaffer copy: ") || !strings.Contains(out.String(), "verified") {
		t.Fatalf("gaffer copy %q: no progress on stderr or no summary on stdout:\n%s\n%s", args, errOut.String(), out.String())
	}
	return out.String()
}

// seedStopped seeds a server of its own and stops it; it returns its data
// directory.
func seedStopped(t *testing.T) (string, seeded) {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	srv := servertest.Start(t, servertest.Options{DataDir: data})
	s := seed(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	return data, s
}

// A stopped node's data copied with gaffer copy serves as the original
// would: its listings, and the tokens workers held, of all three dialects.
func TestCopySQLite(t *testing.T) {
	t.Parallel()
	data, s := seedStopped(t)
	copied := filepath.Join(t.TempDir(), "copied")
	summary := copyOK(t, "-from", "sqlite:"+data, "-to", "sqlite:"+copied)
	for _, want := range []string{"sfn.execution 2", "swf.domain 1", "verified"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	// Copying into it again is refused, and so is a source that is not there.
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"copy", "-from", "sqlite:" + filepath.Join(data, server.DBFile), "-to", "sqlite:" + copied}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "not empty") {
		t.Fatalf("copy into a copy exited %d: %s", code, errOut.String())
	}
	errOut.Reset()
	missing := filepath.Join(t.TempDir(), "missing")
	if code := run(t.Context(), []string{"copy", "-from", "sqlite:" + missing, "-to", "sqlite:" + t.TempDir()}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "no database at") {
		t.Fatalf("copy of a missing source exited %d: %s", code, errOut.String())
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("copy of a missing source created it: %v", err)
	}
	checkServes(t, copied, s)
}

// SQLite to PostgreSQL and back keeps everything too; on PostgreSQL, an
// engine started on the copy knows the tokens handed out before (the same
// secret, task ids and attempts).
func TestCopyThroughPostgres(t *testing.T) {
	t.Parallel()
	data, s := seedStopped(t)
	// The URL comes from the environment, as -to-env and -from-env take it
	// (t.Setenv is not for parallel tests: the name is this test's own).
	dsn := pgtest.NewDatabase(t)
	os.Setenv("GAFFER_COPY_TEST_DSN", dsn)
	t.Cleanup(func() { os.Unsetenv("GAFFER_COPY_TEST_DSN") })
	copyOK(t, "-from", "sqlite:"+data, "-to-env", "GAFFER_COPY_TEST_DSN")

	st, err := postgres.Open(t.Context(), dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(engine.Config{Store: st})
	if err := eng.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{s.sfnToken, s.swfToken, s.dpTaskID} {
		if _, err := eng.TaskOwner(tok); err != nil {
			t.Errorf("a token from before the copy, on PostgreSQL: %v", err)
		}
	}
	if owner, err := eng.TaskOwner(s.sfnToken); err != nil || owner != s.exec {
		t.Errorf("the SFN token's task on PostgreSQL belongs to %q (%v), want %s", owner, err, s.exec)
	}
	var counts store.RowCounts
	err = st.View(t.Context(), func(tx store.Tx) (err error) {
		counts, err = tx.(store.CopyTx).CountRows()
		return err
	})
	eng.Stop()
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if counts.Tasks != 4 || counts.Objects["sfn.execution"] != 2 {
		t.Fatalf("on PostgreSQL: %+v", counts)
	}

	back := filepath.Join(t.TempDir(), "back")
	copyOK(t, "-from-env", "GAFFER_COPY_TEST_DSN", "-to", "sqlite:"+back)
	checkServes(t, back, s)
}

func TestCopyFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-to", "sqlite:" + dir}, "-from is required"},
		{[]string{"-from", "sqlite:" + dir}, "-to is required"},
		{[]string{"-from", "mysql://u:hunter2@h/db", "-to", "sqlite:" + dir}, "want sqlite:DIR"},
		{[]string{"-from", "sqlite:", "-to", "sqlite:" + dir}, "sqlite: needs a directory"},
		{[]string{"-from", "host=127.0.0.1 port=1 password=hunter2 connect_timeout=5", "-to", "sqlite:" + dir}, "open the source host=127.0.0.1 port=1 password=xxxxx"},
		{[]string{"-from", "sqlite:" + dir, "-to", "sqlite:" + dir}, "the same store"},
		{[]string{"-from", "sqlite:" + dir, "-from-env", "X", "-to", "sqlite:" + dir}, "not both"},
		{[]string{"-from-env", "GAFFER_COPY_TEST_UNSET", "-to", "sqlite:" + dir}, "$GAFFER_COPY_TEST_UNSET is empty"},
	} {
		var out, errOut bytes.Buffer
		code := run(t.Context(), append([]string{"copy"}, tc.args...), &out, &errOut)
		if code != 1 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("gaffer copy %q exited %d: %s; want 1 and %q", tc.args, code, errOut.String(), tc.want)
		}
		if strings.Contains(errOut.String(), "hunter2") {
			t.Errorf("gaffer copy %q printed the password: %s", tc.args, errOut.String())
		}
	}
}

// A copy of a database that a node serves and writes meanwhile is one
// snapshot: it passes its own count check, and holds every execution
// acknowledged before the copy began.
func TestCopyWhileServing(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	srv := servertest.Start(t, servertest.Options{DataDir: data})
	e := servertest.InProcess(srv).SFN()
	machine := e.Machine(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, "")
	for range 20 {
		e.Start(t, machine, `{}`)
	}
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		n := 0
		defer func() { done <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := e.Client.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(machine)}); err != nil {
				t.Errorf("StartExecution: %v", err)
				return
			}
			n++
		}
	}()
	copied := filepath.Join(t.TempDir(), "copied")
	copyOK(t, "-from", "sqlite:"+data, "-to", "sqlite:"+copied)
	close(stop)
	during := <-done

	c := servertest.InProcess(servertest.Start(t, servertest.Options{DataDir: copied})).SFN()
	var n int
	p := sfn.NewListExecutionsPaginator(c.Client, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		servertest.OK(t, "ListExecutions", err)
		n += len(page.Executions)
	}
	if n < 20 || n > 20+during {
		t.Fatalf("the copy holds %d executions: want from the 20 started before it to %d", n, 20+during)
	}
}
