package sfn_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// passDef returns a one-state machine whose output is {"v": v}.
func passDef(v string) string {
	return fmt.Sprintf(`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"v":%q},"End":true}}}`, v)
}

// runOutput starts an execution of target and returns its description once
// it succeeded.
func (b *bundle) runOutput(t *testing.T, target string) *sfn.DescribeExecutionOutput {
	t.Helper()
	return b.WaitStatus(t, b.Start(t, target, `{}`), types.ExecutionStatusSucceeded)
}

func TestVersions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	name := servertest.Uniq("versioned")
	created, err := b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{
		Name: aws.String(name), Definition: aws.String(passDef("one")), RoleArn: aws.String(cpRole),
		Publish: true, VersionDescription: aws.String("first"),
	})
	servertest.OK(t, "CreateStateMachine publish", err)
	sm := aws.ToString(created.StateMachineArn)
	v1 := aws.ToString(created.StateMachineVersionArn)
	if v1 != sm+":1" {
		t.Fatalf("version ARN %q, want %s:1", v1, sm)
	}
	d, err := b.Client.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(v1)})
	servertest.OK(t, "DescribeStateMachine of a version", err)
	if aws.ToString(d.StateMachineArn) != v1 || aws.ToString(d.Description) != "first" || aws.ToString(d.Definition) != passDef("one") || aws.ToString(d.Name) != name {
		t.Errorf("version description: arn %s description %q name %s definition %s", aws.ToString(d.StateMachineArn), aws.ToString(d.Description), aws.ToString(d.Name), aws.ToString(d.Definition))
	}

	// Publishing the same revision again returns the same version.
	again, err := b.Client.PublishStateMachineVersion(b.Ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(sm)})
	servertest.OK(t, "PublishStateMachineVersion of a published revision", err)
	if aws.ToString(again.StateMachineVersionArn) != v1 {
		t.Errorf("republished as %s, want %s", aws.ToString(again.StateMachineVersionArn), v1)
	}

	// An update with publish makes version 2; the old revision id then
	// conflicts.
	base, err := b.Client.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(sm)})
	servertest.OK(t, "DescribeStateMachine", err)
	up, err := b.Client.UpdateStateMachine(b.Ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(sm), Definition: aws.String(passDef("two")), Publish: true, VersionDescription: aws.String("second")})
	servertest.OK(t, "UpdateStateMachine publish", err)
	v2 := aws.ToString(up.StateMachineVersionArn)
	if v2 != sm+":2" {
		t.Fatalf("second version %q", v2)
	}
	_, err = b.Client.PublishStateMachineVersion(b.Ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(sm), RevisionId: base.RevisionId})
	cpWantCode(t, "PublishStateMachineVersion with a stale revisionId", err, "ConflictException")
	_, err = b.Client.PublishStateMachineVersion(b.Ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(sm), RevisionId: up.RevisionId})
	servertest.OK(t, "PublishStateMachineVersion with the current revisionId", err)
	_, err = b.Client.PublishStateMachineVersion(b.Ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(sm + "-gone")})
	cpWantCode(t, "PublishStateMachineVersion of a missing machine", err, "StateMachineDoesNotExist")
	// The machine itself moves on; its versions do not.
	_, err = b.Client.UpdateStateMachine(b.Ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(sm), Definition: aws.String(passDef("latest"))})
	servertest.OK(t, "UpdateStateMachine", err)

	// Newest first, one a page.
	var listed []string
	in := &sfn.ListStateMachineVersionsInput{StateMachineArn: aws.String(sm), MaxResults: 1}
	for pages := 0; ; pages++ {
		page, err := b.Client.ListStateMachineVersions(b.Ctx, in)
		servertest.OK(t, "ListStateMachineVersions", err)
		for _, v := range page.StateMachineVersions {
			listed = append(listed, aws.ToString(v.StateMachineVersionArn))
		}
		if in.NextToken = page.NextToken; in.NextToken == nil || pages > 5 {
			break
		}
	}
	if got, want := strings.Join(listed, " "), v2+" "+v1; got != want {
		t.Errorf("versions %s, want %s", got, want)
	}

	// Executions run their version's definition.
	for target, want := range map[string]string{v1: "one", v2: "two", sm: "latest"} {
		out := b.runOutput(t, target)
		if !servertest.JSONEqual(t, aws.ToString(out.Output), fmt.Sprintf(`{"v":%q}`, want)) {
			t.Errorf("execution of %s: output %s, want v %s", target, aws.ToString(out.Output), want)
		}
		if aws.ToString(out.StateMachineArn) != sm {
			t.Errorf("execution of %s: stateMachineArn %s", target, aws.ToString(out.StateMachineArn))
		}
		wantVersion := target
		if target == sm {
			wantVersion = ""
		}
		if aws.ToString(out.StateMachineVersionArn) != wantVersion || out.StateMachineAliasArn != nil {
			t.Errorf("execution of %s: version %q alias %q", target, aws.ToString(out.StateMachineVersionArn), aws.ToString(out.StateMachineAliasArn))
		}
	}

	_, err = b.Client.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(sm + ":9")})
	cpWantCode(t, "DescribeStateMachine of a missing version", err, "StateMachineDoesNotExist")
	_, err = b.Client.StartExecution(b.Ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm + ":9")})
	cpWantCode(t, "StartExecution of a missing version", err, "StateMachineDoesNotExist")
	_, err = b.Client.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(sm + ":0")})
	cpWantCode(t, "DescribeStateMachine of version 0", err, "InvalidArn")

	_, err = b.Client.DeleteStateMachineVersion(b.Ctx, &sfn.DeleteStateMachineVersionInput{StateMachineVersionArn: aws.String(v1)})
	servertest.OK(t, "DeleteStateMachineVersion", err)
	_, err = b.Client.DeleteStateMachineVersion(b.Ctx, &sfn.DeleteStateMachineVersionInput{StateMachineVersionArn: aws.String(v1)})
	servertest.OK(t, "DeleteStateMachineVersion again", err)
	_, err = b.Client.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(v1)})
	cpWantCode(t, "DescribeStateMachine of a deleted version", err, "StateMachineDoesNotExist")
	// Numbers are not reused.
	_, err = b.Client.UpdateStateMachine(b.Ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(sm), Definition: aws.String(passDef("three")), Publish: true})
	servertest.OK(t, "UpdateStateMachine publish", err)
	if d, err := b.Client.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(sm + ":3")}); err != nil || aws.ToString(d.Definition) != passDef("three") {
		t.Errorf("version 3: %v", err)
	}

	// Deleting the state machine deletes its versions.
	_, err = b.Client.DeleteStateMachine(b.Ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(sm)})
	servertest.OK(t, "DeleteStateMachine", err)
	left, err := b.Client.ListStateMachineVersions(b.Ctx, &sfn.ListStateMachineVersionsInput{StateMachineArn: aws.String(sm)})
	servertest.OK(t, "ListStateMachineVersions after delete", err)
	if len(left.StateMachineVersions) != 0 {
		t.Errorf("%d versions left after DeleteStateMachine", len(left.StateMachineVersions))
	}
}

func TestAliases(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sm := b.Machine(t, passDef("one"), "")
	pub := func(def string) string {
		t.Helper()
		out, err := b.Client.UpdateStateMachine(b.Ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(sm), Definition: aws.String(passDef(def)), Publish: true})
		servertest.OK(t, "UpdateStateMachine publish", err)
		return aws.ToString(out.StateMachineVersionArn)
	}
	v1, v2 := pub("one"), pub("two")
	route := func(pairs ...any) []types.RoutingConfigurationListItem {
		var out []types.RoutingConfigurationListItem
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, types.RoutingConfigurationListItem{StateMachineVersionArn: aws.String(pairs[i].(string)), Weight: int32(pairs[i+1].(int))})
		}
		return out
	}
	created, err := b.Client.CreateStateMachineAlias(b.Ctx, &sfn.CreateStateMachineAliasInput{Name: aws.String("prod"), Description: aws.String("production"), RoutingConfiguration: route(v1, 100)})
	servertest.OK(t, "CreateStateMachineAlias", err)
	alias := aws.ToString(created.StateMachineAliasArn)
	if alias != sm+":prod" {
		t.Fatalf("alias ARN %s", alias)
	}
	// The same again is the same alias; different is a conflict.
	again, err := b.Client.CreateStateMachineAlias(b.Ctx, &sfn.CreateStateMachineAliasInput{Name: aws.String("prod"), Description: aws.String("production"), RoutingConfiguration: route(v1, 100)})
	servertest.OK(t, "CreateStateMachineAlias again", err)
	if aws.ToString(again.StateMachineAliasArn) != alias || !again.CreationDate.Equal(*created.CreationDate) {
		t.Errorf("idempotent create: %s %v", aws.ToString(again.StateMachineAliasArn), again.CreationDate)
	}
	_, err = b.Client.CreateStateMachineAlias(b.Ctx, &sfn.CreateStateMachineAliasInput{Name: aws.String("prod"), RoutingConfiguration: route(v2, 100)})
	cpWantCode(t, "CreateStateMachineAlias with other routing", err, "ConflictException")

	out := b.runOutput(t, alias)
	if aws.ToString(out.StateMachineAliasArn) != alias || aws.ToString(out.StateMachineVersionArn) != v1 || !servertest.JSONEqual(t, aws.ToString(out.Output), `{"v":"one"}`) {
		t.Errorf("execution of the alias: alias %s version %s output %s", aws.ToString(out.StateMachineAliasArn), aws.ToString(out.StateMachineVersionArn), aws.ToString(out.Output))
	}
	list, err := b.Client.ListExecutions(b.Ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm)})
	servertest.OK(t, "ListExecutions", err)
	if len(list.Executions) != 1 || aws.ToString(list.Executions[0].StateMachineAliasArn) != alias || aws.ToString(list.Executions[0].StateMachineVersionArn) != v1 {
		t.Errorf("listed executions %+v", list.Executions)
	}

	_, err = b.Client.DeleteStateMachineVersion(b.Ctx, &sfn.DeleteStateMachineVersionInput{StateMachineVersionArn: aws.String(v1)})
	cpWantCode(t, "DeleteStateMachineVersion routed to", err, "ConflictException")

	_, err = b.Client.UpdateStateMachineAlias(b.Ctx, &sfn.UpdateStateMachineAliasInput{StateMachineAliasArn: aws.String(alias), RoutingConfiguration: route(v2, 100)})
	servertest.OK(t, "UpdateStateMachineAlias", err)
	d, err := b.Client.DescribeStateMachineAlias(b.Ctx, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: aws.String(alias)})
	servertest.OK(t, "DescribeStateMachineAlias", err)
	if aws.ToString(d.Name) != "prod" || aws.ToString(d.Description) != "production" || len(d.RoutingConfiguration) != 1 || aws.ToString(d.RoutingConfiguration[0].StateMachineVersionArn) != v2 || d.UpdateDate.Before(*d.CreationDate) {
		t.Errorf("alias %+v", d)
	}
	if out := b.runOutput(t, alias); !servertest.JSONEqual(t, aws.ToString(out.Output), `{"v":"two"}`) {
		t.Errorf("after update the alias runs %s", aws.ToString(out.Output))
	}
	_, err = b.Client.DeleteStateMachineVersion(b.Ctx, &sfn.DeleteStateMachineVersionInput{StateMachineVersionArn: aws.String(v1)})
	servertest.OK(t, "DeleteStateMachineVersion no longer routed to", err)

	// Errors.
	for _, c := range []struct {
		what   string
		name   string
		routes []types.RoutingConfigurationListItem
		code   string
	}{
		{"weights not summing to 100", "a", route(v2, 50), "ValidationException"},
		{"the same version twice", "a", route(v2, 50, v2, 50), "ValidationException"},
		{"a deleted version", "a", route(v1, 100), "ResourceNotFound"},
		{"another machine's version", "a", route(v2, 50, sm+"-other:1", 50), "ValidationException"},
		{"not a version ARN", "a", route(sm, 100), "InvalidArn"},
		{"a digits-only name", "123", route(v2, 100), "ValidationException"},
	} {
		_, err := b.Client.CreateStateMachineAlias(b.Ctx, &sfn.CreateStateMachineAliasInput{Name: aws.String(c.name), RoutingConfiguration: c.routes})
		cpWantCode(t, "CreateStateMachineAlias with "+c.what, err, c.code)
	}
	_, err = b.Client.UpdateStateMachineAlias(b.Ctx, &sfn.UpdateStateMachineAliasInput{StateMachineAliasArn: aws.String(alias)})
	cpWantCode(t, "UpdateStateMachineAlias with nothing", err, "ValidationException")
	_, err = b.Client.DescribeStateMachineAlias(b.Ctx, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: aws.String(sm + ":nope")})
	cpWantCode(t, "DescribeStateMachineAlias of a missing alias", err, "ResourceNotFound")
	_, err = b.Client.StartExecution(b.Ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm + ":nope")})
	cpWantCode(t, "StartExecution of a missing alias", err, "StateMachineDoesNotExist")
	_, err = b.Client.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(alias)})
	cpWantCode(t, "DescribeStateMachine of an alias", err, "InvalidArn")

	aliases, err := b.Client.ListStateMachineAliases(b.Ctx, &sfn.ListStateMachineAliasesInput{StateMachineArn: aws.String(sm)})
	servertest.OK(t, "ListStateMachineAliases", err)
	if len(aliases.StateMachineAliases) != 1 || aws.ToString(aliases.StateMachineAliases[0].StateMachineAliasArn) != alias {
		t.Errorf("aliases %+v", aliases.StateMachineAliases)
	}
	_, err = b.Client.DeleteStateMachineAlias(b.Ctx, &sfn.DeleteStateMachineAliasInput{StateMachineAliasArn: aws.String(alias)})
	servertest.OK(t, "DeleteStateMachineAlias", err)
	_, err = b.Client.DeleteStateMachineAlias(b.Ctx, &sfn.DeleteStateMachineAliasInput{StateMachineAliasArn: aws.String(alias)})
	cpWantCode(t, "DeleteStateMachineAlias again", err, "ResourceNotFound")
	_, err = b.Client.ListStateMachineAliases(b.Ctx, &sfn.ListStateMachineAliasesInput{StateMachineArn: aws.String(sm + "-gone")})
	cpWantCode(t, "ListStateMachineAliases of a missing machine", err, "StateMachineDoesNotExist")
}

// TestAliasWeights starts 1,000 executions through a 70/30 alias and checks
// the split within five standard deviations (σ ≈ 14.5).
func TestAliasWeights(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sm := b.Machine(t, passDef("one"), "")
	var versions [2]string
	for i, def := range []string{"one", "two"} {
		out, err := b.Client.UpdateStateMachine(b.Ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(sm), Definition: aws.String(passDef(def)), Publish: true})
		servertest.OK(t, "UpdateStateMachine publish", err)
		versions[i] = aws.ToString(out.StateMachineVersionArn)
	}
	created, err := b.Client.CreateStateMachineAlias(b.Ctx, &sfn.CreateStateMachineAliasInput{Name: aws.String("split"), RoutingConfiguration: []types.RoutingConfigurationListItem{
		{StateMachineVersionArn: aws.String(versions[0]), Weight: 70},
		{StateMachineVersionArn: aws.String(versions[1]), Weight: 30},
	}})
	servertest.OK(t, "CreateStateMachineAlias", err)
	const starts = 1000
	var wg sync.WaitGroup
	errs := make(chan error, starts)
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for range work {
				_, err := b.Client.StartExecution(b.Ctx, &sfn.StartExecutionInput{StateMachineArn: created.StateMachineAliasArn})
				errs <- err
			}
		})
	}
	for i := range starts {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		servertest.OK(t, "StartExecution of the alias", err)
	}
	count := map[string]int{}
	p := sfn.NewListExecutionsPaginator(b.Client, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm), MaxResults: 1000})
	for p.HasMorePages() {
		page, err := p.NextPage(b.Ctx)
		servertest.OK(t, "ListExecutions", err)
		for _, e := range page.Executions {
			count[aws.ToString(e.StateMachineVersionArn)]++
		}
	}
	if n := count[versions[0]] + count[versions[1]]; n != starts {
		t.Fatalf("%d executions listed on the two versions, want %d: %v", n, starts, count)
	}
	if got := count[versions[0]]; got < 627 || got > 773 {
		t.Errorf("%d of %d starts went to the 70%% version, want 627..773", got, starts)
	}
}

// TestVersionQuota publishes AWS's 1,000 versions of one state machine:
// the next is ServiceQuotaExceededException until one is deleted.
func TestVersionQuota(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sm := b.Machine(t, passDef("0"), "")
	publish := func(i int) error {
		_, err := b.Client.UpdateStateMachine(b.Ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(sm), Definition: aws.String(passDef(fmt.Sprint(i))), Publish: true})
		return err
	}
	for i := 1; i <= 1000; i++ {
		if err := publish(i); err != nil {
			t.Fatalf("version %d: %v", i, err)
		}
	}
	cpWantCode(t, "the 1,001st version", publish(1001), "ServiceQuotaExceededException")
	_, err := b.Client.DeleteStateMachineVersion(b.Ctx, &sfn.DeleteStateMachineVersionInput{StateMachineVersionArn: aws.String(sm + ":1")})
	servertest.OK(t, "DeleteStateMachineVersion", err)
	// The refused update changed nothing: the current revision is
	// version 1000's, which publishing returns; a new definition then
	// gets number 1001.
	out, err := b.Client.PublishStateMachineVersion(b.Ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(sm)})
	servertest.OK(t, "PublishStateMachineVersion after a delete", err)
	if got := aws.ToString(out.StateMachineVersionArn); got != sm+":1000" {
		t.Errorf("version %s, want %s:1000", got, sm)
	}
	servertest.OK(t, "the 1,000th version again", publish(1001))
	d, err := b.Client.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(sm + ":1001")})
	servertest.OK(t, "DescribeStateMachine of version 1001", err)
	if aws.ToString(d.Definition) != passDef("1001") {
		t.Errorf("version 1001 runs %s", aws.ToString(d.Definition))
	}
}
