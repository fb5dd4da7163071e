package swf_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// ctWantCode fails unless err is the AWS error code want, answered with
// HTTP status 400 (every SWF fault is a client error).
func ctWantCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := servertest.ErrorCode(err); got != want {
		t.Fatalf("%s: error %v (code %q), want %s", what, err, got, want)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 400 {
		t.Fatalf("%s: error %v is not an HTTP 400 answer", what, err)
	}
}

// ctOK fails the test on err.
func ctOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// ctDomain registers a domain with retention "1" and returns its name.
func (b *bundle) ctDomain(t *testing.T) string {
	t.Helper()
	d := servertest.Uniq("ct-dom")
	b.ctRegisterDomain(t, d)
	return d
}

func (b *bundle) ctRegisterDomain(t *testing.T, name string) {
	t.Helper()
	_, err := b.Client.RegisterDomain(b.Ctx, &swf.RegisterDomainInput{Name: aws.String(name), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
	ctOK(t, "RegisterDomain "+name, err)
}

func (b *bundle) ctRegisterActivity(t *testing.T, domain, name, version string) {
	t.Helper()
	_, err := b.Client.RegisterActivityType(b.Ctx, &swf.RegisterActivityTypeInput{Domain: aws.String(domain), Name: aws.String(name), Version: aws.String(version)})
	ctOK(t, "RegisterActivityType "+name+"/"+version, err)
}

func (b *bundle) ctRegisterWorkflow(t *testing.T, domain, name, version string) {
	t.Helper()
	_, err := b.Client.RegisterWorkflowType(b.Ctx, &swf.RegisterWorkflowTypeInput{Domain: aws.String(domain), Name: aws.String(name), Version: aws.String(version)})
	ctOK(t, "RegisterWorkflowType "+name+"/"+version, err)
}

func (b *bundle) ctDescribeDomain(t *testing.T, name string) *swf.DescribeDomainOutput {
	t.Helper()
	out, err := b.Client.DescribeDomain(b.Ctx, &swf.DescribeDomainInput{Name: aws.String(name)})
	ctOK(t, "DescribeDomain "+name, err)
	return out
}

func ctAct(name, version string) *types.ActivityType {
	return &types.ActivityType{Name: aws.String(name), Version: aws.String(version)}
}

func ctWf(name, version string) *types.WorkflowType {
	return &types.WorkflowType{Name: aws.String(name), Version: aws.String(version)}
}

func ctDomainNames(infos []types.DomainInfo) []string {
	var names []string
	for _, d := range infos {
		names = append(names, aws.ToString(d.Name))
	}
	return names
}

func ctActivityNames(infos []types.ActivityTypeInfo) []string {
	var names []string
	for _, i := range infos {
		names = append(names, aws.ToString(i.ActivityType.Name)+"/"+aws.ToString(i.ActivityType.Version))
	}
	return names
}

func ctWorkflowNames(infos []types.WorkflowTypeInfo) []string {
	var names []string
	for _, i := range infos {
		names = append(names, aws.ToString(i.WorkflowType.Name)+"/"+aws.ToString(i.WorkflowType.Version))
	}
	return names
}

func ctTagMap(tags []types.ResourceTag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func ctWantList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
}

func TestCTDomainLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	d := servertest.Uniq("ct-dom")
	_, err := b.Client.RegisterDomain(b.Ctx, &swf.RegisterDomainInput{
		Name:                                   aws.String(d),
		Description:                            aws.String("the orders"),
		WorkflowExecutionRetentionPeriodInDays: aws.String("30"),
	})
	ctOK(t, "RegisterDomain", err)

	out := b.ctDescribeDomain(t, d)
	info := out.DomainInfo
	if aws.ToString(info.Name) != d || info.Status != types.RegistrationStatusRegistered || aws.ToString(info.Description) != "the orders" {
		t.Fatalf("domainInfo = %+v", info)
	}
	if got, want := aws.ToString(info.Arn), "arn:aws:swf:us-east-1:000000000000:/domain/"+d; got != want {
		t.Fatalf("arn = %q, want %q", got, want)
	}
	if got := aws.ToString(out.Configuration.WorkflowExecutionRetentionPeriodInDays); got != "30" {
		t.Fatalf("retention = %q, want 30", got)
	}

	_, err = b.Client.RegisterDomain(b.Ctx, &swf.RegisterDomainInput{Name: aws.String(d), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
	ctWantCode(t, "RegisterDomain twice", err, "DomainAlreadyExistsFault")

	_, err = b.Client.UndeprecateDomain(b.Ctx, &swf.UndeprecateDomainInput{Name: aws.String(d)})
	ctWantCode(t, "UndeprecateDomain of a registered domain", err, "DomainAlreadyExistsFault")

	_, err = b.Client.DeprecateDomain(b.Ctx, &swf.DeprecateDomainInput{Name: aws.String(d)})
	ctOK(t, "DeprecateDomain", err)
	if got := b.ctDescribeDomain(t, d).DomainInfo.Status; got != types.RegistrationStatusDeprecated {
		t.Fatalf("status after DeprecateDomain = %s", got)
	}
	_, err = b.Client.DeprecateDomain(b.Ctx, &swf.DeprecateDomainInput{Name: aws.String(d)})
	ctWantCode(t, "DeprecateDomain twice", err, "DomainDeprecatedFault")
	_, err = b.Client.RegisterDomain(b.Ctx, &swf.RegisterDomainInput{Name: aws.String(d), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
	ctWantCode(t, "RegisterDomain of a deprecated domain's name", err, "DomainAlreadyExistsFault")

	_, err = b.Client.UndeprecateDomain(b.Ctx, &swf.UndeprecateDomainInput{Name: aws.String(d)})
	ctOK(t, "UndeprecateDomain", err)
	if got := b.ctDescribeDomain(t, d).DomainInfo.Status; got != types.RegistrationStatusRegistered {
		t.Fatalf("status after UndeprecateDomain = %s", got)
	}
}

func TestCTDomainUnknown(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.Client.DescribeDomain(b.Ctx, &swf.DescribeDomainInput{Name: aws.String("nope")})
	ctWantCode(t, "DescribeDomain", err, "UnknownResourceFault")
	_, err = b.Client.DeprecateDomain(b.Ctx, &swf.DeprecateDomainInput{Name: aws.String("nope")})
	ctWantCode(t, "DeprecateDomain", err, "UnknownResourceFault")
	_, err = b.Client.UndeprecateDomain(b.Ctx, &swf.UndeprecateDomainInput{Name: aws.String("nope")})
	ctWantCode(t, "UndeprecateDomain", err, "UnknownResourceFault")
}

// TestCTDomainARNRegion checks that a domain's ARN names the region of the
// request that registered it, and that the domain is seen from there only.
func TestCTDomainARNRegion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	eu := swf.NewFromConfig(servertest.AWSConfig(b.Srv.URL()), func(o *swf.Options) { o.Region = "eu-west-1" })
	d := servertest.Uniq("ct-dom")
	_, err := eu.RegisterDomain(b.Ctx, &swf.RegisterDomainInput{Name: aws.String(d), WorkflowExecutionRetentionPeriodInDays: aws.String("NONE")})
	ctOK(t, "RegisterDomain", err)
	_, err = b.Client.DescribeDomain(b.Ctx, &swf.DescribeDomainInput{Name: aws.String(d)})
	ctWantCode(t, "DescribeDomain from us-east-1", err, "UnknownResourceFault")
	out, err := eu.DescribeDomain(b.Ctx, &swf.DescribeDomainInput{Name: aws.String(d)})
	ctOK(t, "DescribeDomain", err)
	if got, want := aws.ToString(out.DomainInfo.Arn), "arn:aws:swf:eu-west-1:000000000000:/domain/"+d; got != want {
		t.Fatalf("arn = %q, want %q", got, want)
	}
	if got := aws.ToString(out.Configuration.WorkflowExecutionRetentionPeriodInDays); got != "NONE" {
		t.Fatalf("retention = %q, want NONE", got)
	}
}

func TestCTDomainRetention(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, v := range []string{"0", "1", "90", "NONE"} {
		d := servertest.Uniq("ct-ret")
		_, err := b.Client.RegisterDomain(b.Ctx, &swf.RegisterDomainInput{Name: aws.String(d), WorkflowExecutionRetentionPeriodInDays: aws.String(v)})
		ctOK(t, "retention "+v, err)
		if got := aws.ToString(b.ctDescribeDomain(t, d).Configuration.WorkflowExecutionRetentionPeriodInDays); got != v {
			t.Fatalf("retention %q described as %q", v, got)
		}
	}
	for _, v := range []string{"91", "365", "-1", "+5", "1.5", "none", "abc", " 7", "123456789"} {
		_, err := b.Client.RegisterDomain(b.Ctx, &swf.RegisterDomainInput{Name: aws.String(servertest.Uniq("ct-ret")), WorkflowExecutionRetentionPeriodInDays: aws.String(v)})
		ctWantCode(t, "retention "+v, err, "ValidationException")
		if !strings.Contains(err.Error(), "workflowExecutionRetentionPeriodInDays") {
			t.Fatalf("retention %q: message does not name the field: %v", v, err)
		}
	}
}

func TestCTDomainNames(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, name := range []string{"a:b", "a/b", "a|b", "arn", " lead", "trail ", "tab\tin", "del\u007f", "c1\u0085", strings.Repeat("x", 257)} {
		_, err := b.Client.RegisterDomain(b.Ctx, &swf.RegisterDomainInput{Name: aws.String(name), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
		ctWantCode(t, fmt.Sprintf("RegisterDomain %q", name), err, "ValidationException")
	}
	// The edges of what is allowed.
	for _, name := range []string{"x", strings.Repeat("y", 256), "with space", "ünïcode-ok", "arnold"} {
		_, err := b.Client.RegisterDomain(b.Ctx, &swf.RegisterDomainInput{Name: aws.String(name), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
		ctOK(t, fmt.Sprintf("RegisterDomain %q", name), err)
	}
}

func TestCTListDomains(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, n := range []string{"delta", "alpha", "echo", "charlie", "bravo", "foxtrot"} {
		b.ctRegisterDomain(t, n)
	}
	_, err := b.Client.DeprecateDomain(b.Ctx, &swf.DeprecateDomainInput{Name: aws.String("foxtrot")})
	ctOK(t, "DeprecateDomain", err)

	list := func(in swf.ListDomainsInput) *swf.ListDomainsOutput {
		t.Helper()
		out, err := b.Client.ListDomains(b.Ctx, &in)
		ctOK(t, "ListDomains", err)
		return out
	}
	reg := types.RegistrationStatusRegistered
	out := list(swf.ListDomainsInput{RegistrationStatus: reg})
	ctWantList(t, "registered", ctDomainNames(out.DomainInfos), []string{"alpha", "bravo", "charlie", "delta", "echo"})
	if out.NextPageToken != nil {
		t.Fatalf("single page has a nextPageToken %q", *out.NextPageToken)
	}
	for _, di := range out.DomainInfos {
		if di.Status != reg || !strings.HasSuffix(aws.ToString(di.Arn), ":/domain/"+aws.ToString(di.Name)) {
			t.Fatalf("domainInfo %+v", di)
		}
	}
	out = list(swf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusDeprecated})
	ctWantList(t, "deprecated", ctDomainNames(out.DomainInfos), []string{"foxtrot"})
	out = list(swf.ListDomainsInput{RegistrationStatus: reg, ReverseOrder: true})
	ctWantList(t, "reverse", ctDomainNames(out.DomainInfos), []string{"echo", "delta", "charlie", "bravo", "alpha"})

	// Pages of 2 over 5 domains: 2, 2, 1, the last without a token.
	var pages [][]string
	var tok *string
	for {
		out := list(swf.ListDomainsInput{RegistrationStatus: reg, MaximumPageSize: 2, NextPageToken: tok})
		pages = append(pages, ctDomainNames(out.DomainInfos))
		if tok = out.NextPageToken; tok == nil {
			break
		}
	}
	if got := fmt.Sprint(pages); got != "[[alpha bravo] [charlie delta] [echo]]" {
		t.Fatalf("pages = %s", got)
	}

	// The SDK paginator, reversed.
	var all []string
	p := swf.NewListDomainsPaginator(b.Client, &swf.ListDomainsInput{RegistrationStatus: reg, ReverseOrder: true}, func(o *swf.ListDomainsPaginatorOptions) { o.Limit = 2 })
	n := 0
	for p.HasMorePages() {
		out, err := p.NextPage(b.Ctx)
		ctOK(t, "paginator", err)
		all = append(all, ctDomainNames(out.DomainInfos)...)
		n++
	}
	ctWantList(t, "paginator", all, []string{"echo", "delta", "charlie", "bravo", "alpha"})
	if n != 3 {
		t.Fatalf("paginator made %d pages, want 3", n)
	}

	// A token is bound to its listing: not another status, not the other
	// order, not garbage.
	first := list(swf.ListDomainsInput{RegistrationStatus: reg, MaximumPageSize: 2})
	_, err = b.Client.ListDomains(b.Ctx, &swf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusDeprecated, NextPageToken: first.NextPageToken})
	ctWantCode(t, "token of another status", err, "ValidationException")
	_, err = b.Client.ListDomains(b.Ctx, &swf.ListDomainsInput{RegistrationStatus: reg, ReverseOrder: true, NextPageToken: first.NextPageToken})
	ctWantCode(t, "token of the other order", err, "ValidationException")
	_, err = b.Client.ListDomains(b.Ctx, &swf.ListDomainsInput{RegistrationStatus: reg, NextPageToken: aws.String("garbage!")})
	ctWantCode(t, "garbage token", err, "ValidationException")

	// A page token survives changes: a domain registered before the
	// position neither repeats nor shifts what follows.
	b.ctRegisterDomain(t, "aardvark")
	out = list(swf.ListDomainsInput{RegistrationStatus: reg, MaximumPageSize: 2, NextPageToken: first.NextPageToken})
	ctWantList(t, "page 2 after an insert", ctDomainNames(out.DomainInfos), []string{"charlie", "delta"})

	_, err = b.Client.ListDomains(b.Ctx, &swf.ListDomainsInput{RegistrationStatus: reg, MaximumPageSize: 1001})
	ctWantCode(t, "maximumPageSize 1001", err, "ValidationException")
	_, err = b.Client.ListDomains(b.Ctx, &swf.ListDomainsInput{RegistrationStatus: "GONE"})
	ctWantCode(t, "unknown registrationStatus", err, "ValidationException")
}

func TestCTActivityTypeLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	d := b.ctDomain(t)
	before := time.Now().Add(-time.Second)
	_, err := b.Client.RegisterActivityType(b.Ctx, &swf.RegisterActivityTypeInput{
		Domain:                            aws.String(d),
		Name:                              aws.String("resize"),
		Version:                           aws.String("1.0"),
		Description:                       aws.String("resizes images"),
		DefaultTaskList:                   &types.TaskList{Name: aws.String("images")},
		DefaultTaskPriority:               aws.String("-7"),
		DefaultTaskScheduleToStartTimeout: aws.String("NONE"),
		DefaultTaskScheduleToCloseTimeout: aws.String("3600"),
		DefaultTaskStartToCloseTimeout:    aws.String("600"),
		DefaultTaskHeartbeatTimeout:       aws.String("0"),
	})
	ctOK(t, "RegisterActivityType", err)

	describe := func() *swf.DescribeActivityTypeOutput {
		t.Helper()
		out, err := b.Client.DescribeActivityType(b.Ctx, &swf.DescribeActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("resize", "1.0")})
		ctOK(t, "DescribeActivityType", err)
		return out
	}
	out := describe()
	ti, c := out.TypeInfo, out.Configuration
	if aws.ToString(ti.ActivityType.Name) != "resize" || aws.ToString(ti.ActivityType.Version) != "1.0" || ti.Status != types.RegistrationStatusRegistered || aws.ToString(ti.Description) != "resizes images" {
		t.Fatalf("typeInfo = %+v", ti)
	}
	if ti.CreationDate == nil || ti.CreationDate.Before(before) || ti.CreationDate.After(time.Now().Add(time.Second)) || ti.DeprecationDate != nil {
		t.Fatalf("creationDate %v, deprecationDate %v", ti.CreationDate, ti.DeprecationDate)
	}
	if got := strings.Join([]string{aws.ToString(c.DefaultTaskList.Name), aws.ToString(c.DefaultTaskPriority), aws.ToString(c.DefaultTaskScheduleToStartTimeout),
		aws.ToString(c.DefaultTaskScheduleToCloseTimeout), aws.ToString(c.DefaultTaskStartToCloseTimeout), aws.ToString(c.DefaultTaskHeartbeatTimeout)}, " "); got != "images -7 NONE 3600 600 0" {
		t.Fatalf("configuration = %s", got)
	}

	_, err = b.Client.RegisterActivityType(b.Ctx, &swf.RegisterActivityTypeInput{Domain: aws.String(d), Name: aws.String("resize"), Version: aws.String("1.0")})
	ctWantCode(t, "RegisterActivityType twice", err, "TypeAlreadyExistsFault")
	_, err = b.Client.UndeprecateActivityType(b.Ctx, &swf.UndeprecateActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("resize", "1.0")})
	ctWantCode(t, "UndeprecateActivityType of a registered type", err, "TypeAlreadyExistsFault")
	_, err = b.Client.DeleteActivityType(b.Ctx, &swf.DeleteActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("resize", "1.0")})
	ctWantCode(t, "DeleteActivityType before deprecating", err, "TypeNotDeprecatedFault")

	_, err = b.Client.DeprecateActivityType(b.Ctx, &swf.DeprecateActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("resize", "1.0")})
	ctOK(t, "DeprecateActivityType", err)
	ti = describe().TypeInfo
	if ti.Status != types.RegistrationStatusDeprecated || ti.DeprecationDate == nil || ti.DeprecationDate.Before(*ti.CreationDate) {
		t.Fatalf("after deprecation: %+v", ti)
	}
	_, err = b.Client.DeprecateActivityType(b.Ctx, &swf.DeprecateActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("resize", "1.0")})
	ctWantCode(t, "DeprecateActivityType twice", err, "TypeDeprecatedFault")
	_, err = b.Client.RegisterActivityType(b.Ctx, &swf.RegisterActivityTypeInput{Domain: aws.String(d), Name: aws.String("resize"), Version: aws.String("1.0")})
	ctWantCode(t, "RegisterActivityType of a deprecated type", err, "TypeAlreadyExistsFault")

	_, err = b.Client.UndeprecateActivityType(b.Ctx, &swf.UndeprecateActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("resize", "1.0")})
	ctOK(t, "UndeprecateActivityType", err)
	if ti = describe().TypeInfo; ti.Status != types.RegistrationStatusRegistered || ti.DeprecationDate != nil {
		t.Fatalf("after undeprecation: %+v", ti)
	}

	_, err = b.Client.DeprecateActivityType(b.Ctx, &swf.DeprecateActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("resize", "1.0")})
	ctOK(t, "DeprecateActivityType", err)
	_, err = b.Client.DeleteActivityType(b.Ctx, &swf.DeleteActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("resize", "1.0")})
	ctOK(t, "DeleteActivityType", err)
	_, err = b.Client.DescribeActivityType(b.Ctx, &swf.DescribeActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("resize", "1.0")})
	ctWantCode(t, "DescribeActivityType after delete", err, "UnknownResourceFault")
	_, err = b.Client.DeleteActivityType(b.Ctx, &swf.DeleteActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("resize", "1.0")})
	ctWantCode(t, "DeleteActivityType twice", err, "UnknownResourceFault")
	for _, st := range []types.RegistrationStatus{types.RegistrationStatusRegistered, types.RegistrationStatusDeprecated} {
		lo, err := b.Client.ListActivityTypes(b.Ctx, &swf.ListActivityTypesInput{Domain: aws.String(d), RegistrationStatus: st})
		ctOK(t, "ListActivityTypes", err)
		if len(lo.TypeInfos) != 0 {
			t.Fatalf("deleted type still listed as %s: %v", st, ctActivityNames(lo.TypeInfos))
		}
	}
	// The name and version are free again.
	b.ctRegisterActivity(t, d, "resize", "1.0")
}

func TestCTActivityTypeMinimal(t *testing.T) {
	t.Parallel()
	b := setup(t)
	d := b.ctDomain(t)
	b.ctRegisterActivity(t, d, "bare", "1")
	out, err := b.Client.DescribeActivityType(b.Ctx, &swf.DescribeActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("bare", "1")})
	ctOK(t, "DescribeActivityType", err)
	if c := out.Configuration; c == nil || c.DefaultTaskList != nil || c.DefaultTaskPriority != nil || c.DefaultTaskHeartbeatTimeout != nil ||
		c.DefaultTaskScheduleToCloseTimeout != nil || c.DefaultTaskScheduleToStartTimeout != nil || c.DefaultTaskStartToCloseTimeout != nil {
		t.Fatalf("configuration of a type registered without defaults = %+v", c)
	}
	if out.TypeInfo.Description != nil {
		t.Fatalf("description = %q", *out.TypeInfo.Description)
	}
	// The same name in another version, and another domain, are other types.
	b.ctRegisterActivity(t, d, "bare", "2")
	b.ctRegisterActivity(t, b.ctDomain(t), "bare", "1")
}

func TestCTWorkflowTypeLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	d := b.ctDomain(t)
	_, err := b.Client.RegisterWorkflowType(b.Ctx, &swf.RegisterWorkflowTypeInput{
		Domain:                              aws.String(d),
		Name:                                aws.String("order"),
		Version:                             aws.String("v2"),
		Description:                         aws.String("places an order"),
		DefaultTaskList:                     &types.TaskList{Name: aws.String("deciders")},
		DefaultTaskPriority:                 aws.String("+12"),
		DefaultExecutionStartToCloseTimeout: aws.String("31536000"),
		DefaultTaskStartToCloseTimeout:      aws.String("NONE"),
		DefaultChildPolicy:                  types.ChildPolicyRequestCancel,
		DefaultLambdaRole:                   aws.String("arn:aws:iam::000000000000:role/lambda"),
	})
	ctOK(t, "RegisterWorkflowType", err)
	describe := func() *swf.DescribeWorkflowTypeOutput {
		t.Helper()
		out, err := b.Client.DescribeWorkflowType(b.Ctx, &swf.DescribeWorkflowTypeInput{Domain: aws.String(d), WorkflowType: ctWf("order", "v2")})
		ctOK(t, "DescribeWorkflowType", err)
		return out
	}
	out := describe()
	ti, c := out.TypeInfo, out.Configuration
	if aws.ToString(ti.WorkflowType.Name) != "order" || aws.ToString(ti.WorkflowType.Version) != "v2" || ti.Status != types.RegistrationStatusRegistered ||
		aws.ToString(ti.Description) != "places an order" || ti.CreationDate == nil || ti.DeprecationDate != nil {
		t.Fatalf("typeInfo = %+v", ti)
	}
	// The priority is kept in canonical form.
	if got := strings.Join([]string{aws.ToString(c.DefaultTaskList.Name), aws.ToString(c.DefaultTaskPriority), aws.ToString(c.DefaultExecutionStartToCloseTimeout),
		aws.ToString(c.DefaultTaskStartToCloseTimeout), string(c.DefaultChildPolicy), aws.ToString(c.DefaultLambdaRole)}, " "); got != "deciders 12 31536000 NONE REQUEST_CANCEL arn:aws:iam::000000000000:role/lambda" {
		t.Fatalf("configuration = %s", got)
	}

	_, err = b.Client.RegisterWorkflowType(b.Ctx, &swf.RegisterWorkflowTypeInput{Domain: aws.String(d), Name: aws.String("order"), Version: aws.String("v2")})
	ctWantCode(t, "RegisterWorkflowType twice", err, "TypeAlreadyExistsFault")
	_, err = b.Client.UndeprecateWorkflowType(b.Ctx, &swf.UndeprecateWorkflowTypeInput{Domain: aws.String(d), WorkflowType: ctWf("order", "v2")})
	ctWantCode(t, "UndeprecateWorkflowType of a registered type", err, "TypeAlreadyExistsFault")
	_, err = b.Client.DeleteWorkflowType(b.Ctx, &swf.DeleteWorkflowTypeInput{Domain: aws.String(d), WorkflowType: ctWf("order", "v2")})
	ctWantCode(t, "DeleteWorkflowType before deprecating", err, "TypeNotDeprecatedFault")

	_, err = b.Client.DeprecateWorkflowType(b.Ctx, &swf.DeprecateWorkflowTypeInput{Domain: aws.String(d), WorkflowType: ctWf("order", "v2")})
	ctOK(t, "DeprecateWorkflowType", err)
	if ti = describe().TypeInfo; ti.Status != types.RegistrationStatusDeprecated || ti.DeprecationDate == nil {
		t.Fatalf("after deprecation: %+v", ti)
	}
	_, err = b.Client.DeprecateWorkflowType(b.Ctx, &swf.DeprecateWorkflowTypeInput{Domain: aws.String(d), WorkflowType: ctWf("order", "v2")})
	ctWantCode(t, "DeprecateWorkflowType twice", err, "TypeDeprecatedFault")
	_, err = b.Client.RegisterWorkflowType(b.Ctx, &swf.RegisterWorkflowTypeInput{Domain: aws.String(d), Name: aws.String("order"), Version: aws.String("v2")})
	ctWantCode(t, "RegisterWorkflowType of a deprecated type", err, "TypeAlreadyExistsFault")

	_, err = b.Client.UndeprecateWorkflowType(b.Ctx, &swf.UndeprecateWorkflowTypeInput{Domain: aws.String(d), WorkflowType: ctWf("order", "v2")})
	ctOK(t, "UndeprecateWorkflowType", err)
	if ti = describe().TypeInfo; ti.Status != types.RegistrationStatusRegistered || ti.DeprecationDate != nil {
		t.Fatalf("after undeprecation: %+v", ti)
	}
	_, err = b.Client.DeprecateWorkflowType(b.Ctx, &swf.DeprecateWorkflowTypeInput{Domain: aws.String(d), WorkflowType: ctWf("order", "v2")})
	ctOK(t, "DeprecateWorkflowType", err)
	_, err = b.Client.DeleteWorkflowType(b.Ctx, &swf.DeleteWorkflowTypeInput{Domain: aws.String(d), WorkflowType: ctWf("order", "v2")})
	ctOK(t, "DeleteWorkflowType", err)
	_, err = b.Client.DescribeWorkflowType(b.Ctx, &swf.DescribeWorkflowTypeInput{Domain: aws.String(d), WorkflowType: ctWf("order", "v2")})
	ctWantCode(t, "DescribeWorkflowType after delete", err, "UnknownResourceFault")
	_, err = b.Client.UndeprecateWorkflowType(b.Ctx, &swf.UndeprecateWorkflowTypeInput{Domain: aws.String(d), WorkflowType: ctWf("order", "v2")})
	ctWantCode(t, "UndeprecateWorkflowType after delete", err, "UnknownResourceFault")
	b.ctRegisterWorkflow(t, d, "order", "v2")

	// Registered without defaults: an empty configuration.
	b.ctRegisterWorkflow(t, d, "bare", "1")
	bo, err := b.Client.DescribeWorkflowType(b.Ctx, &swf.DescribeWorkflowTypeInput{Domain: aws.String(d), WorkflowType: ctWf("bare", "1")})
	ctOK(t, "DescribeWorkflowType bare", err)
	if c := bo.Configuration; c == nil || c.DefaultTaskList != nil || c.DefaultTaskPriority != nil || c.DefaultChildPolicy != "" ||
		c.DefaultExecutionStartToCloseTimeout != nil || c.DefaultTaskStartToCloseTimeout != nil || c.DefaultLambdaRole != nil {
		t.Fatalf("configuration of a type registered without defaults = %+v", c)
	}
}

func TestCTTypeValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	d := b.ctDomain(t)
	act := func(mod func(*swf.RegisterActivityTypeInput)) error {
		in := &swf.RegisterActivityTypeInput{Domain: aws.String(d), Name: aws.String(servertest.Uniq("a")), Version: aws.String("1")}
		mod(in)
		_, err := b.Client.RegisterActivityType(b.Ctx, in)
		return err
	}
	wf := func(mod func(*swf.RegisterWorkflowTypeInput)) error {
		in := &swf.RegisterWorkflowTypeInput{Domain: aws.String(d), Name: aws.String(servertest.Uniq("w")), Version: aws.String("1")}
		mod(in)
		_, err := b.Client.RegisterWorkflowType(b.Ctx, in)
		return err
	}
	bad := map[string]error{}
	for _, v := range []string{"abc", "-1", "1.5", "1e3", "none", "+5"} {
		bad["activity startToClose "+v] = act(func(in *swf.RegisterActivityTypeInput) { in.DefaultTaskStartToCloseTimeout = aws.String(v) })
		bad["activity heartbeat "+v] = act(func(in *swf.RegisterActivityTypeInput) { in.DefaultTaskHeartbeatTimeout = aws.String(v) })
		bad["activity scheduleToStart "+v] = act(func(in *swf.RegisterActivityTypeInput) { in.DefaultTaskScheduleToStartTimeout = aws.String(v) })
		bad["activity scheduleToClose "+v] = act(func(in *swf.RegisterActivityTypeInput) { in.DefaultTaskScheduleToCloseTimeout = aws.String(v) })
		bad["workflow taskStartToClose "+v] = wf(func(in *swf.RegisterWorkflowTypeInput) { in.DefaultTaskStartToCloseTimeout = aws.String(v) })
		bad["workflow executionStartToClose "+v] = wf(func(in *swf.RegisterWorkflowTypeInput) { in.DefaultExecutionStartToCloseTimeout = aws.String(v) })
	}
	bad["duration longer than 8 characters"] = act(func(in *swf.RegisterActivityTypeInput) { in.DefaultTaskHeartbeatTimeout = aws.String("123456789") })
	bad["executionStartToClose NONE"] = wf(func(in *swf.RegisterWorkflowTypeInput) { in.DefaultExecutionStartToCloseTimeout = aws.String("NONE") })
	bad["executionStartToClose over a year"] = wf(func(in *swf.RegisterWorkflowTypeInput) {
		in.DefaultExecutionStartToCloseTimeout = aws.String("31536001")
	})
	for _, v := range []string{"abc", "2147483648", "-2147483649", "1.0"} {
		bad["activity priority "+v] = act(func(in *swf.RegisterActivityTypeInput) { in.DefaultTaskPriority = aws.String(v) })
		bad["workflow priority "+v] = wf(func(in *swf.RegisterWorkflowTypeInput) { in.DefaultTaskPriority = aws.String(v) })
	}
	bad["child policy"] = wf(func(in *swf.RegisterWorkflowTypeInput) { in.DefaultChildPolicy = "KILL" })
	bad["activity name with :"] = act(func(in *swf.RegisterActivityTypeInput) { in.Name = aws.String("a:b") })
	bad["activity name arn"] = act(func(in *swf.RegisterActivityTypeInput) { in.Name = aws.String("arn") })
	bad["activity version with /"] = act(func(in *swf.RegisterActivityTypeInput) { in.Version = aws.String("1/2") })
	bad["activity version too long"] = act(func(in *swf.RegisterActivityTypeInput) { in.Version = aws.String(strings.Repeat("9", 65)) })
	bad["workflow name with |"] = wf(func(in *swf.RegisterWorkflowTypeInput) { in.Name = aws.String("a|b") })
	bad["workflow version control char"] = wf(func(in *swf.RegisterWorkflowTypeInput) { in.Version = aws.String("v\x01") })
	bad["activity task list with |"] = act(func(in *swf.RegisterActivityTypeInput) { in.DefaultTaskList = &types.TaskList{Name: aws.String("a|b")} })
	bad["workflow task list empty"] = wf(func(in *swf.RegisterWorkflowTypeInput) { in.DefaultTaskList = &types.TaskList{Name: aws.String("")} })
	for what, err := range bad {
		ctWantCode(t, what, err, "ValidationException")
	}
	// Edges that are fine.
	ctOK(t, "priority min", act(func(in *swf.RegisterActivityTypeInput) { in.DefaultTaskPriority = aws.String("-2147483648") }))
	ctOK(t, "priority max", wf(func(in *swf.RegisterWorkflowTypeInput) { in.DefaultTaskPriority = aws.String("2147483647") }))
	ctOK(t, "duration 99999999", act(func(in *swf.RegisterActivityTypeInput) { in.DefaultTaskScheduleToCloseTimeout = aws.String("99999999") }))
	ctOK(t, "version 64", act(func(in *swf.RegisterActivityTypeInput) { in.Version = aws.String(strings.Repeat("9", 64)) }))
}

func TestCTTypesUnknown(t *testing.T) {
	t.Parallel()
	b := setup(t)
	d := b.ctDomain(t)
	b.ctRegisterActivity(t, d, "a", "1")
	b.ctRegisterWorkflow(t, d, "w", "1")
	errs := map[string]error{}
	_, errs["RegisterActivityType, unknown domain"] = b.Client.RegisterActivityType(b.Ctx, &swf.RegisterActivityTypeInput{Domain: aws.String("nope"), Name: aws.String("a"), Version: aws.String("1")})
	_, errs["RegisterWorkflowType, unknown domain"] = b.Client.RegisterWorkflowType(b.Ctx, &swf.RegisterWorkflowTypeInput{Domain: aws.String("nope"), Name: aws.String("w"), Version: aws.String("1")})
	_, errs["DescribeActivityType, unknown domain"] = b.Client.DescribeActivityType(b.Ctx, &swf.DescribeActivityTypeInput{Domain: aws.String("nope"), ActivityType: ctAct("a", "1")})
	_, errs["DescribeWorkflowType, unknown domain"] = b.Client.DescribeWorkflowType(b.Ctx, &swf.DescribeWorkflowTypeInput{Domain: aws.String("nope"), WorkflowType: ctWf("w", "1")})
	_, errs["ListActivityTypes, unknown domain"] = b.Client.ListActivityTypes(b.Ctx, &swf.ListActivityTypesInput{Domain: aws.String("nope"), RegistrationStatus: types.RegistrationStatusRegistered})
	_, errs["ListWorkflowTypes, unknown domain"] = b.Client.ListWorkflowTypes(b.Ctx, &swf.ListWorkflowTypesInput{Domain: aws.String("nope"), RegistrationStatus: types.RegistrationStatusRegistered})
	_, errs["DescribeActivityType, other version"] = b.Client.DescribeActivityType(b.Ctx, &swf.DescribeActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("a", "2")})
	_, errs["DescribeActivityType, a workflow type's name"] = b.Client.DescribeActivityType(b.Ctx, &swf.DescribeActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("w", "1")})
	_, errs["DescribeWorkflowType, unknown"] = b.Client.DescribeWorkflowType(b.Ctx, &swf.DescribeWorkflowTypeInput{Domain: aws.String(d), WorkflowType: ctWf("nope", "1")})
	_, errs["DeprecateActivityType, unknown"] = b.Client.DeprecateActivityType(b.Ctx, &swf.DeprecateActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("nope", "1")})
	_, errs["UndeprecateActivityType, unknown"] = b.Client.UndeprecateActivityType(b.Ctx, &swf.UndeprecateActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("nope", "1")})
	_, errs["DeleteActivityType, unknown"] = b.Client.DeleteActivityType(b.Ctx, &swf.DeleteActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("nope", "1")})
	_, errs["DeprecateWorkflowType, unknown"] = b.Client.DeprecateWorkflowType(b.Ctx, &swf.DeprecateWorkflowTypeInput{Domain: aws.String(d), WorkflowType: ctWf("nope", "1")})
	_, errs["UndeprecateWorkflowType, unknown"] = b.Client.UndeprecateWorkflowType(b.Ctx, &swf.UndeprecateWorkflowTypeInput{Domain: aws.String(d), WorkflowType: ctWf("nope", "1")})
	_, errs["DeleteWorkflowType, unknown"] = b.Client.DeleteWorkflowType(b.Ctx, &swf.DeleteWorkflowTypeInput{Domain: aws.String(d), WorkflowType: ctWf("nope", "1")})
	_, errs["DeprecateWorkflowType, unknown domain"] = b.Client.DeprecateWorkflowType(b.Ctx, &swf.DeprecateWorkflowTypeInput{Domain: aws.String("nope"), WorkflowType: ctWf("w", "1")})
	for what, err := range errs {
		ctWantCode(t, what, err, "UnknownResourceFault")
	}
}

// TestCTDeprecatedDomain checks that a deprecated domain takes no new
// types, that deprecating it deprecates its types (as the AWS docs say),
// and that undeprecating it lets registration resume.
func TestCTDeprecatedDomain(t *testing.T) {
	t.Parallel()
	b := setup(t)
	d := b.ctDomain(t)
	b.ctRegisterActivity(t, d, "a", "1")
	b.ctRegisterWorkflow(t, d, "w", "1")
	b.ctRegisterActivity(t, d, "old", "1")
	_, err := b.Client.DeprecateActivityType(b.Ctx, &swf.DeprecateActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("old", "1")})
	ctOK(t, "DeprecateActivityType", err)
	od, err := b.Client.DescribeActivityType(b.Ctx, &swf.DescribeActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("old", "1")})
	ctOK(t, "DescribeActivityType old", err)

	_, err = b.Client.DeprecateDomain(b.Ctx, &swf.DeprecateDomainInput{Name: aws.String(d)})
	ctOK(t, "DeprecateDomain", err)
	_, err = b.Client.RegisterActivityType(b.Ctx, &swf.RegisterActivityTypeInput{Domain: aws.String(d), Name: aws.String("new"), Version: aws.String("1")})
	ctWantCode(t, "RegisterActivityType in a deprecated domain", err, "DomainDeprecatedFault")
	_, err = b.Client.RegisterWorkflowType(b.Ctx, &swf.RegisterWorkflowTypeInput{Domain: aws.String(d), Name: aws.String("new"), Version: aws.String("1")})
	ctWantCode(t, "RegisterWorkflowType in a deprecated domain", err, "DomainDeprecatedFault")

	// The domain's types are deprecated with it; one already deprecated
	// keeps its deprecation date.
	ao, err := b.Client.DescribeActivityType(b.Ctx, &swf.DescribeActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("a", "1")})
	ctOK(t, "DescribeActivityType", err)
	wo, err := b.Client.DescribeWorkflowType(b.Ctx, &swf.DescribeWorkflowTypeInput{Domain: aws.String(d), WorkflowType: ctWf("w", "1")})
	ctOK(t, "DescribeWorkflowType", err)
	if ao.TypeInfo.Status != types.RegistrationStatusDeprecated || ao.TypeInfo.DeprecationDate == nil || wo.TypeInfo.Status != types.RegistrationStatusDeprecated || wo.TypeInfo.DeprecationDate == nil {
		t.Fatalf("types of a deprecated domain: %+v %+v", ao.TypeInfo, wo.TypeInfo)
	}
	od2, err := b.Client.DescribeActivityType(b.Ctx, &swf.DescribeActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("old", "1")})
	ctOK(t, "DescribeActivityType old", err)
	if !od2.TypeInfo.DeprecationDate.Equal(*od.TypeInfo.DeprecationDate) {
		t.Fatalf("deprecation date of an already deprecated type moved: %v -> %v", od.TypeInfo.DeprecationDate, od2.TypeInfo.DeprecationDate)
	}
	// Describe and list still work on a deprecated domain.
	lo, err := b.Client.ListActivityTypes(b.Ctx, &swf.ListActivityTypesInput{Domain: aws.String(d), RegistrationStatus: types.RegistrationStatusDeprecated})
	ctOK(t, "ListActivityTypes", err)
	ctWantList(t, "deprecated activity types", ctActivityNames(lo.TypeInfos), []string{"a/1", "old/1"})

	_, err = b.Client.UndeprecateDomain(b.Ctx, &swf.UndeprecateDomainInput{Name: aws.String(d)})
	ctOK(t, "UndeprecateDomain", err)
	b.ctRegisterActivity(t, d, "new", "1")
	b.ctRegisterWorkflow(t, d, "new", "1")
	_, err = b.Client.UndeprecateWorkflowType(b.Ctx, &swf.UndeprecateWorkflowTypeInput{Domain: aws.String(d), WorkflowType: ctWf("w", "1")})
	ctOK(t, "UndeprecateWorkflowType", err)
}

func TestCTListActivityTypes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	d := b.ctDomain(t)
	for _, nv := range [][2]string{{"b", "1"}, {"a", "2"}, {"ab", "1"}, {"a", "10"}, {"c", "1"}, {"a", "1"}, {"gone", "1"}} {
		b.ctRegisterActivity(t, d, nv[0], nv[1])
	}
	b.ctRegisterWorkflow(t, d, "wf", "1") // not an activity type
	_, err := b.Client.DeprecateActivityType(b.Ctx, &swf.DeprecateActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("gone", "1")})
	ctOK(t, "DeprecateActivityType", err)

	list := func(in swf.ListActivityTypesInput) *swf.ListActivityTypesOutput {
		t.Helper()
		in.Domain = aws.String(d)
		out, err := b.Client.ListActivityTypes(b.Ctx, &in)
		ctOK(t, "ListActivityTypes", err)
		return out
	}
	reg := types.RegistrationStatusRegistered
	out := list(swf.ListActivityTypesInput{RegistrationStatus: reg})
	// By name, then version (as strings).
	all := []string{"a/1", "a/10", "a/2", "ab/1", "b/1", "c/1"}
	ctWantList(t, "registered", ctActivityNames(out.TypeInfos), all)
	if out.NextPageToken != nil {
		t.Fatal("single page has a nextPageToken")
	}
	for _, ti := range out.TypeInfos {
		if ti.Status != reg || ti.CreationDate == nil || ti.DeprecationDate != nil {
			t.Fatalf("typeInfo %+v", ti)
		}
	}
	out = list(swf.ListActivityTypesInput{RegistrationStatus: types.RegistrationStatusDeprecated})
	ctWantList(t, "deprecated", ctActivityNames(out.TypeInfos), []string{"gone/1"})
	if out.TypeInfos[0].DeprecationDate == nil {
		t.Fatal("deprecated type listed without deprecationDate")
	}
	out = list(swf.ListActivityTypesInput{RegistrationStatus: reg, Name: aws.String("a")})
	ctWantList(t, "name a", ctActivityNames(out.TypeInfos), []string{"a/1", "a/10", "a/2"})
	out = list(swf.ListActivityTypesInput{RegistrationStatus: reg, Name: aws.String("gone")})
	ctWantList(t, "name gone, registered", ctActivityNames(out.TypeInfos), nil)
	out = list(swf.ListActivityTypesInput{RegistrationStatus: reg, ReverseOrder: true})
	rev := slices.Clone(all)
	slices.Reverse(rev)
	ctWantList(t, "reverse", ctActivityNames(out.TypeInfos), rev)

	var pages [][]string
	var tok *string
	for {
		out := list(swf.ListActivityTypesInput{RegistrationStatus: reg, Name: aws.String("a"), MaximumPageSize: 2, NextPageToken: tok})
		pages = append(pages, ctActivityNames(out.TypeInfos))
		if tok = out.NextPageToken; tok == nil {
			break
		}
	}
	if got := fmt.Sprint(pages); got != "[[a/1 a/10] [a/2]]" {
		t.Fatalf("pages = %s", got)
	}

	var got []string
	n := 0
	p := swf.NewListActivityTypesPaginator(b.Client, &swf.ListActivityTypesInput{Domain: aws.String(d), RegistrationStatus: reg, ReverseOrder: true}, func(o *swf.ListActivityTypesPaginatorOptions) { o.Limit = 2 })
	for p.HasMorePages() {
		out, err := p.NextPage(b.Ctx)
		ctOK(t, "paginator", err)
		got = append(got, ctActivityNames(out.TypeInfos)...)
		n++
	}
	ctWantList(t, "paginator", got, rev)
	if n != 3 {
		t.Fatalf("paginator made %d pages, want 3", n)
	}

	// Tokens are bound to the listing: not another name filter, another
	// status, another domain, nor the workflow types.
	first := list(swf.ListActivityTypesInput{RegistrationStatus: reg, MaximumPageSize: 2})
	d2 := b.ctDomain(t)
	errs := map[string]error{}
	_, errs["other name"] = b.Client.ListActivityTypes(b.Ctx, &swf.ListActivityTypesInput{Domain: aws.String(d), RegistrationStatus: reg, Name: aws.String("a"), NextPageToken: first.NextPageToken})
	_, errs["other status"] = b.Client.ListActivityTypes(b.Ctx, &swf.ListActivityTypesInput{Domain: aws.String(d), RegistrationStatus: types.RegistrationStatusDeprecated, NextPageToken: first.NextPageToken})
	_, errs["other domain"] = b.Client.ListActivityTypes(b.Ctx, &swf.ListActivityTypesInput{Domain: aws.String(d2), RegistrationStatus: reg, NextPageToken: first.NextPageToken})
	_, errs["workflow types"] = b.Client.ListWorkflowTypes(b.Ctx, &swf.ListWorkflowTypesInput{Domain: aws.String(d), RegistrationStatus: reg, NextPageToken: first.NextPageToken})
	_, errs["other order"] = b.Client.ListActivityTypes(b.Ctx, &swf.ListActivityTypesInput{Domain: aws.String(d), RegistrationStatus: reg, ReverseOrder: true, NextPageToken: first.NextPageToken})
	for what, err := range errs {
		ctWantCode(t, "token of "+what, err, "ValidationException")
	}

	// The token holds a position, not an index: a type deleted from the
	// first page does not make the second skip one.
	_, err = b.Client.DeprecateActivityType(b.Ctx, &swf.DeprecateActivityTypeInput{Domain: aws.String(d), ActivityType: ctAct("a", "1")})
	ctOK(t, "DeprecateActivityType", err)
	out = list(swf.ListActivityTypesInput{RegistrationStatus: reg, MaximumPageSize: 2, NextPageToken: first.NextPageToken})
	ctWantList(t, "page 2 after a change", ctActivityNames(out.TypeInfos), []string{"a/2", "ab/1"})
}

func TestCTListWorkflowTypes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	d := b.ctDomain(t)
	for _, nv := range [][2]string{{"e", "1"}, {"d", "1"}, {"c", "2"}, {"c", "1"}, {"a", "1"}} {
		b.ctRegisterWorkflow(t, d, nv[0], nv[1])
	}
	b.ctRegisterActivity(t, d, "act", "1") // not a workflow type
	reg := types.RegistrationStatusRegistered
	out, err := b.Client.ListWorkflowTypes(b.Ctx, &swf.ListWorkflowTypesInput{Domain: aws.String(d), RegistrationStatus: reg})
	ctOK(t, "ListWorkflowTypes", err)
	ctWantList(t, "registered", ctWorkflowNames(out.TypeInfos), []string{"a/1", "c/1", "c/2", "d/1", "e/1"})

	var pages [][]string
	var tok *string
	for {
		out, err := b.Client.ListWorkflowTypes(b.Ctx, &swf.ListWorkflowTypesInput{Domain: aws.String(d), RegistrationStatus: reg, MaximumPageSize: 2, ReverseOrder: true, NextPageToken: tok})
		ctOK(t, "ListWorkflowTypes page", err)
		pages = append(pages, ctWorkflowNames(out.TypeInfos))
		if tok = out.NextPageToken; tok == nil {
			break
		}
	}
	if got := fmt.Sprint(pages); got != "[[e/1 d/1] [c/2 c/1] [a/1]]" {
		t.Fatalf("reverse pages = %s", got)
	}

	var got []string
	p := swf.NewListWorkflowTypesPaginator(b.Client, &swf.ListWorkflowTypesInput{Domain: aws.String(d), RegistrationStatus: reg, Name: aws.String("c")}, func(o *swf.ListWorkflowTypesPaginatorOptions) { o.Limit = 1 })
	for p.HasMorePages() {
		out, err := p.NextPage(b.Ctx)
		ctOK(t, "paginator", err)
		got = append(got, ctWorkflowNames(out.TypeInfos)...)
	}
	ctWantList(t, "paginator name c", got, []string{"c/1", "c/2"})

	_, err = b.Client.DeprecateWorkflowType(b.Ctx, &swf.DeprecateWorkflowTypeInput{Domain: aws.String(d), WorkflowType: ctWf("d", "1")})
	ctOK(t, "DeprecateWorkflowType", err)
	out, err = b.Client.ListWorkflowTypes(b.Ctx, &swf.ListWorkflowTypesInput{Domain: aws.String(d), RegistrationStatus: types.RegistrationStatusDeprecated})
	ctOK(t, "ListWorkflowTypes deprecated", err)
	ctWantList(t, "deprecated", ctWorkflowNames(out.TypeInfos), []string{"d/1"})
}

func TestCTTags(t *testing.T) {
	t.Parallel()
	b := setup(t)
	d := servertest.Uniq("ct-tags")
	_, err := b.Client.RegisterDomain(b.Ctx, &swf.RegisterDomainInput{
		Name:                                   aws.String(d),
		WorkflowExecutionRetentionPeriodInDays: aws.String("1"),
		Tags: []types.ResourceTag{
			{Key: aws.String("team"), Value: aws.String("ops")},
			{Key: aws.String("env"), Value: aws.String("dev")},
			{Key: aws.String("flag")},
		},
	})
	ctOK(t, "RegisterDomain with tags", err)
	arn := aws.ToString(b.ctDescribeDomain(t, d).DomainInfo.Arn)
	listTags := func() []types.ResourceTag {
		t.Helper()
		out, err := b.Client.ListTagsForResource(b.Ctx, &swf.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		ctOK(t, "ListTagsForResource", err)
		return out.Tags
	}
	tags := listTags()
	if got := fmt.Sprint(ctTagMap(tags)); got != "map[env:dev flag: team:ops]" || len(tags) != 3 || tags[2].Value != nil {
		t.Fatalf("tags = %s (%d)", got, len(tags))
	}

	_, err = b.Client.TagResource(b.Ctx, &swf.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.ResourceTag{
		{Key: aws.String("env"), Value: aws.String("prod")},
		{Key: aws.String("cost-center"), Value: aws.String("4 2/x=y+z@a.b:c_d")},
	}})
	ctOK(t, "TagResource", err)
	if got := fmt.Sprint(ctTagMap(listTags())); got != "map[cost-center:4 2/x=y+z@a.b:c_d env:prod flag: team:ops]" {
		t.Fatalf("tags after TagResource = %s", got)
	}
	_, err = b.Client.UntagResource(b.Ctx, &swf.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team", "flag", "not-there"}})
	ctOK(t, "UntagResource", err)
	if got := fmt.Sprint(ctTagMap(listTags())); got != "map[cost-center:4 2/x=y+z@a.b:c_d env:prod]" {
		t.Fatalf("tags after UntagResource = %s", got)
	}

	// 50 tags in all is the limit; the call that would pass it changes nothing.
	var many []types.ResourceTag
	for i := range 48 {
		many = append(many, types.ResourceTag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")})
	}
	_, err = b.Client.TagResource(b.Ctx, &swf.TagResourceInput{ResourceArn: aws.String(arn), Tags: many})
	ctOK(t, "TagResource to 50", err)
	if n := len(listTags()); n != 50 {
		t.Fatalf("%d tags, want 50", n)
	}
	_, err = b.Client.TagResource(b.Ctx, &swf.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.ResourceTag{{Key: aws.String("k00"), Value: aws.String("again")}}})
	ctOK(t, "overwriting a tag at the limit", err)
	_, err = b.Client.TagResource(b.Ctx, &swf.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.ResourceTag{{Key: aws.String("one-more")}}})
	ctWantCode(t, "TagResource to 51", err, "TooManyTagsFault")
	if n := len(listTags()); n != 50 {
		t.Fatalf("%d tags after a refused TagResource, want 50", n)
	}
	_, err = b.Client.RegisterDomain(b.Ctx, &swf.RegisterDomainInput{Name: aws.String(servertest.Uniq("ct-tags")), WorkflowExecutionRetentionPeriodInDays: aws.String("1"),
		Tags: append(slices.Clone(many), types.ResourceTag{Key: aws.String("a")}, types.ResourceTag{Key: aws.String("b")}, types.ResourceTag{Key: aws.String("c")})})
	ctWantCode(t, "RegisterDomain with 51 tags", err, "TooManyTagsFault")

	// Tag characters: letters, digits, whitespace and _ . : / = + - @.
	_, err = b.Client.TagResource(b.Ctx, &swf.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.ResourceTag{{Key: aws.String("bad*key")}}})
	ctWantCode(t, "tag key with *", err, "ValidationException")
	_, err = b.Client.RegisterDomain(b.Ctx, &swf.RegisterDomainInput{Name: aws.String(servertest.Uniq("ct-tags")), WorkflowExecutionRetentionPeriodInDays: aws.String("1"),
		Tags: []types.ResourceTag{{Key: aws.String("k"), Value: aws.String("semi;colon")}}})
	ctWantCode(t, "tag value with ;", err, "ValidationException")
	_, err = b.Client.TagResource(b.Ctx, &swf.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.ResourceTag{{Key: aws.String(strings.Repeat("k", 129))}}})
	ctWantCode(t, "tag key of 129 characters", err, "ValidationException")

	// Tags stay with their domain through deprecation.
	_, err = b.Client.DeprecateDomain(b.Ctx, &swf.DeprecateDomainInput{Name: aws.String(d)})
	ctOK(t, "DeprecateDomain", err)
	if n := len(listTags()); n != 50 {
		t.Fatalf("%d tags after deprecation, want 50", n)
	}
}

// TestCTTagsUnknownResource checks that an ARN naming no domain of this
// server, well-formed or not, answers UnknownResourceFault: the model's
// only error for it (SWF tags nothing but domains).
func TestCTTagsUnknownResource(t *testing.T) {
	t.Parallel()
	b := setup(t)
	d := b.ctDomain(t)
	arns := []string{
		"arn:aws:swf:us-east-1:000000000000:/domain/nope",       // unknown domain
		"arn:aws:swf:us-west-2:000000000000:/domain/" + d,       // another region
		"arn:aws:swf:us-east-1:111111111111:/domain/" + d,       // another account
		"arn:aws:states:us-east-1:000000000000:activity:" + d,   // another service
		"arn:aws:swf:us-east-1:000000000000:/workflowType/" + d, // not a domain
		"arn:aws:swf:us-east-1:000000000000:/domain/",
		"not-an-arn",
		d,
	}
	for _, arn := range arns {
		_, err := b.Client.ListTagsForResource(b.Ctx, &swf.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		ctWantCode(t, "ListTagsForResource "+arn, err, "UnknownResourceFault")
		_, err = b.Client.TagResource(b.Ctx, &swf.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.ResourceTag{{Key: aws.String("k")}}})
		ctWantCode(t, "TagResource "+arn, err, "UnknownResourceFault")
		_, err = b.Client.UntagResource(b.Ctx, &swf.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"k"}})
		ctWantCode(t, "UntagResource "+arn, err, "UnknownResourceFault")
	}
	// A domain without tags lists none.
	out, err := b.Client.ListTagsForResource(b.Ctx, &swf.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:swf:us-east-1:000000000000:/domain/" + d)})
	ctOK(t, "ListTagsForResource", err)
	if len(out.Tags) != 0 {
		t.Fatalf("tags = %v", out.Tags)
	}
}
