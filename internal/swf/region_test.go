package swf_test

import (
	"slices"
	"strings"
	"testing"

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
