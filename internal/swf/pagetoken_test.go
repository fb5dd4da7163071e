package swf_test

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
	"github.com/aws/smithy-go"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// Page tokens expire 24 hours after they were issued, with the words the
// SWF API reference gives ("Specified token has exceeded its maximum
// lifetime"); before that, a token reused with another filter is refused.
func TestPageTokenExpires(t *testing.T) {
	t.Parallel()
	var clock servertest.Clock
	b := &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{Now: clock.Now})).SWF()}
	for range 3 {
		visDomain(t, b, "1")
	}
	registered := &swf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusRegistered, MaximumPageSize: 1}
	page, err := b.Client.ListDomains(b.Ctx, registered)
	if err != nil || page.NextPageToken == nil {
		t.Fatalf("ListDomains = %+v, %v; want a next page", page, err)
	}
	_, err = b.Client.ListDomains(b.Ctx, &swf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusDeprecated, NextPageToken: page.NextPageToken})
	if got := servertest.ErrorCode(err); got != "ValidationException" {
		t.Fatalf("token reused with another registrationStatus: %v, want ValidationException", err)
	}
	clock.Advance(23 * time.Hour)
	registered.NextPageToken = page.NextPageToken
	if _, err := b.Client.ListDomains(b.Ctx, registered); err != nil {
		t.Fatalf("a 23-hour-old token: %v", err)
	}
	clock.Advance(time.Hour + time.Minute)
	_, err = b.Client.ListDomains(b.Ctx, registered)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" || ae.ErrorMessage() != "Specified token has exceeded its maximum lifetime" {
		t.Fatalf("a token older than 24 hours: %v; want ValidationException, \"Specified token has exceeded its maximum lifetime\"", err)
	}
}
