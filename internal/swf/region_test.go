package swf_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// regionClient returns an SWF client signing for region.
func regionClient(b *bundle, region string) *swf.Client {
	return swf.NewFromConfig(servertest.RegionConfig(b.URL, region))
}

// TestListDomainsByRegion: ListDomains lists the domains registered from
// the caller's region only, one a page.
func TestListDomainsByRegion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	east, west := regionClient(b, "us-east-1"), regionClient(b, "eu-west-1")
	made := map[*swf.Client][]string{}
	for range 3 {
		for _, c := range []*swf.Client{east, west} {
			name := servertest.Uniq("region")
			if _, err := c.RegisterDomain(b.Ctx, &swf.RegisterDomainInput{Name: aws.String(name), WorkflowExecutionRetentionPeriodInDays: aws.String("1")}); err != nil {
				t.Fatal(err)
			}
			made[c] = append(made[c], name)
		}
	}
	for c, region := range map[*swf.Client]string{east: "us-east-1", west: "eu-west-1"} {
		var listed []string
		pages := 0
		for pg := swf.NewListDomainsPaginator(c, &swf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusRegistered, MaximumPageSize: 1}); pg.HasMorePages(); pages++ {
			out, err := pg.NextPage(b.Ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range out.DomainInfos {
				listed = append(listed, *d.Name)
				if !strings.HasPrefix(aws.ToString(d.Arn), "arn:aws:swf:"+region+":") {
					t.Errorf("%s lists %s", region, aws.ToString(d.Arn))
				}
			}
		}
		slices.Sort(listed)
		if want := slices.Sorted(slices.Values(made[c])); !slices.Equal(listed, want) || pages != 3 {
			t.Errorf("%s lists %v in %d pages, want %v in 3", region, listed, pages, want)
		}
	}
}

// TestPageTokensSigned: a real page token works; edited, it is refused as
// a garbled one always was (ValidationException), as is a token of another
// listing.
func TestPageTokensSigned(t *testing.T) {
	t.Parallel()
	b := setup(t)
	domain := servertest.Uniq("tokens")
	if _, err := b.Client.RegisterDomain(b.Ctx, &swf.RegisterDomainInput{Name: aws.String(domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1", "2"} {
		if _, err := b.Client.RegisterActivityType(b.Ctx, &swf.RegisterActivityTypeInput{Domain: aws.String(domain), Name: aws.String("a"), Version: aws.String(v)}); err != nil {
			t.Fatal(err)
		}
	}
	in := func(tok *string) *swf.ListActivityTypesInput {
		return &swf.ListActivityTypesInput{Domain: aws.String(domain), RegistrationStatus: types.RegistrationStatusRegistered, MaximumPageSize: 1, NextPageToken: tok}
	}
	first, err := b.Client.ListActivityTypes(b.Ctx, in(nil))
	if err != nil || first.NextPageToken == nil {
		t.Fatalf("first page: %v, %v", first, err)
	}
	second, err := b.Client.ListActivityTypes(b.Ctx, in(first.NextPageToken))
	if err != nil || len(second.TypeInfos) != 1 || *second.TypeInfos[0].ActivityType.Version != "2" {
		t.Fatalf("second page with a real token: %v, %v", second, err)
	}
	for i := range len(*first.NextPageToken) - 1 {
		if _, err := b.Client.ListActivityTypes(b.Ctx, in(aws.String(servertest.EditToken(*first.NextPageToken, i)))); servertest.ErrorCode(err) != "ValidationException" {
			t.Errorf("token edited at %d: %v, want ValidationException", i, err)
		}
	}
	if _, err := b.Client.ListActivityTypes(b.Ctx, in(aws.String("garbage"))); servertest.ErrorCode(err) != "ValidationException" {
		t.Errorf("garbled token: %v, want ValidationException", err)
	}
	_, err = b.Client.ListDomains(b.Ctx, &swf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusRegistered, NextPageToken: first.NextPageToken})
	if servertest.ErrorCode(err) != "ValidationException" {
		t.Errorf("another listing's token: %v, want ValidationException", err)
	}
}

// TestDomainsApart: a domain registered in us-east-1, its types and its
// executions are not seen from eu-west-1, where a domain of the same name
// is another domain; domain ARNs are in their region's partition.
func TestDomainsApart(t *testing.T) {
	t.Parallel()
	b := setup(t)
	east := regionClient(b, "us-east-1")
	west := swf.NewFromConfig(servertest.AWSConfig(b.URL), func(o *swf.Options) { o.Region = "eu-west-1" })
	d := servertest.Uniq("apart")
	_, err := east.RegisterDomain(b.Ctx, &swf.RegisterDomainInput{Name: aws.String(d), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
	ctOK(t, "RegisterDomain", err)
	wt := &types.WorkflowType{Name: aws.String("wf"), Version: aws.String("1")}
	_, err = east.RegisterWorkflowType(b.Ctx, &swf.RegisterWorkflowTypeInput{Domain: aws.String(d), Name: wt.Name, Version: wt.Version,
		DefaultTaskList: &types.TaskList{Name: aws.String("tl")}, DefaultChildPolicy: types.ChildPolicyTerminate,
		DefaultExecutionStartToCloseTimeout: aws.String("60"), DefaultTaskStartToCloseTimeout: aws.String("10")})
	ctOK(t, "RegisterWorkflowType", err)
	run, err := east.StartWorkflowExecution(b.Ctx, &swf.StartWorkflowExecutionInput{Domain: aws.String(d), WorkflowId: aws.String("w1"), WorkflowType: wt})
	ctOK(t, "StartWorkflowExecution", err)
	exec := &types.WorkflowExecution{WorkflowId: aws.String("w1"), RunId: run.RunId}

	_, err = west.DescribeDomain(b.Ctx, &swf.DescribeDomainInput{Name: aws.String(d)})
	ctWantCode(t, "DescribeDomain", err, "UnknownResourceFault")
	_, err = west.DescribeWorkflowType(b.Ctx, &swf.DescribeWorkflowTypeInput{Domain: aws.String(d), WorkflowType: wt})
	ctWantCode(t, "DescribeWorkflowType", err, "UnknownResourceFault")
	_, err = west.ListWorkflowTypes(b.Ctx, &swf.ListWorkflowTypesInput{Domain: aws.String(d), RegistrationStatus: types.RegistrationStatusRegistered})
	ctWantCode(t, "ListWorkflowTypes", err, "UnknownResourceFault")
	_, err = west.DescribeWorkflowExecution(b.Ctx, &swf.DescribeWorkflowExecutionInput{Domain: aws.String(d), Execution: exec})
	ctWantCode(t, "DescribeWorkflowExecution", err, "UnknownResourceFault")
	_, err = west.SignalWorkflowExecution(b.Ctx, &swf.SignalWorkflowExecutionInput{Domain: aws.String(d), WorkflowId: aws.String("w1"), SignalName: aws.String("s")})
	ctWantCode(t, "SignalWorkflowExecution", err, "UnknownResourceFault")
	_, err = west.CountOpenWorkflowExecutions(b.Ctx, &swf.CountOpenWorkflowExecutionsInput{Domain: aws.String(d), StartTimeFilter: &types.ExecutionTimeFilter{OldestDate: aws.Time(time.Unix(0, 0))}})
	ctWantCode(t, "CountOpenWorkflowExecutions", err, "UnknownResourceFault")
	_, err = west.ListTagsForResource(b.Ctx, &swf.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:swf:us-east-1:000000000000:/domain/" + d)})
	ctWantCode(t, "ListTagsForResource of us-east-1's domain", err, "UnknownResourceFault")
	listed, err := west.ListDomains(b.Ctx, &swf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusRegistered})
	ctOK(t, "ListDomains", err)
	for _, di := range listed.DomainInfos {
		if *di.Name == d {
			t.Errorf("eu-west-1 lists us-east-1's domain %s", d)
		}
	}

	// The same name in eu-west-1 is another domain, with nothing in it.
	_, err = west.RegisterDomain(b.Ctx, &swf.RegisterDomainInput{Name: aws.String(d), WorkflowExecutionRetentionPeriodInDays: aws.String("2")})
	ctOK(t, "RegisterDomain in eu-west-1", err)
	wd, err := west.DescribeDomain(b.Ctx, &swf.DescribeDomainInput{Name: aws.String(d)})
	ctOK(t, "DescribeDomain in eu-west-1", err)
	if got := aws.ToString(wd.Configuration.WorkflowExecutionRetentionPeriodInDays); got != "2" || aws.ToString(wd.DomainInfo.Arn) != "arn:aws:swf:eu-west-1:000000000000:/domain/"+d {
		t.Errorf("eu-west-1's domain: retention %s, ARN %s", got, aws.ToString(wd.DomainInfo.Arn))
	}
	types1, err := west.ListWorkflowTypes(b.Ctx, &swf.ListWorkflowTypesInput{Domain: aws.String(d), RegistrationStatus: types.RegistrationStatusRegistered})
	ctOK(t, "ListWorkflowTypes in eu-west-1", err)
	if len(types1.TypeInfos) != 0 {
		t.Errorf("eu-west-1's domain has types %v", types1.TypeInfos)
	}
	cnt, err := west.CountOpenWorkflowExecutions(b.Ctx, &swf.CountOpenWorkflowExecutionsInput{Domain: aws.String(d), StartTimeFilter: &types.ExecutionTimeFilter{OldestDate: aws.Time(time.Unix(0, 0))}})
	ctOK(t, "CountOpenWorkflowExecutions in eu-west-1", err)
	if cnt.Count != 0 {
		t.Errorf("eu-west-1's domain counts %d open executions", cnt.Count)
	}
	_, err = west.DeprecateDomain(b.Ctx, &swf.DeprecateDomainInput{Name: aws.String(d)})
	ctOK(t, "DeprecateDomain in eu-west-1", err)

	// us-east-1's is untouched.
	ed, err := east.DescribeDomain(b.Ctx, &swf.DescribeDomainInput{Name: aws.String(d)})
	ctOK(t, "DescribeDomain in us-east-1", err)
	if ed.DomainInfo.Status != types.RegistrationStatusRegistered || aws.ToString(ed.Configuration.WorkflowExecutionRetentionPeriodInDays) != "1" {
		t.Errorf("us-east-1's domain: %s, retention %s", ed.DomainInfo.Status, aws.ToString(ed.Configuration.WorkflowExecutionRetentionPeriodInDays))
	}
	cnt, err = east.CountOpenWorkflowExecutions(b.Ctx, &swf.CountOpenWorkflowExecutionsInput{Domain: aws.String(d), StartTimeFilter: &types.ExecutionTimeFilter{OldestDate: aws.Time(time.Unix(0, 0))}})
	ctOK(t, "CountOpenWorkflowExecutions in us-east-1", err)
	if cnt.Count != 1 {
		t.Errorf("us-east-1's domain counts %d open executions, want 1", cnt.Count)
	}

	// Partitions: a domain registered in cn-north-1 has an aws-cn ARN, and
	// is tagged by that ARN only.
	cn := regionClient(b, "cn-north-1")
	_, err = cn.RegisterDomain(b.Ctx, &swf.RegisterDomainInput{Name: aws.String(d), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
	ctOK(t, "RegisterDomain in cn-north-1", err)
	cd, err := cn.DescribeDomain(b.Ctx, &swf.DescribeDomainInput{Name: aws.String(d)})
	ctOK(t, "DescribeDomain in cn-north-1", err)
	arn := "arn:aws-cn:swf:cn-north-1:000000000000:/domain/" + d
	if got := aws.ToString(cd.DomainInfo.Arn); got != arn {
		t.Errorf("cn-north-1 domain ARN %s, want %s", got, arn)
	}
	_, err = cn.ListTagsForResource(b.Ctx, &swf.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	ctOK(t, "ListTagsForResource in cn-north-1", err)
	_, err = cn.ListTagsForResource(b.Ctx, &swf.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:swf:cn-north-1:000000000000:/domain/" + d)})
	ctWantCode(t, "ListTagsForResource with the aws partition", err, "UnknownResourceFault")
}
