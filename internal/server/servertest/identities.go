package servertest

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/policy"
)

// Identities returns a test authenticator for the identities by access key
// id, each with its policy document; pass its Authenticate as
// Options.Authenticate. It reads the access key id from the Authorization
// header's "Credential=" and answers the identity it names, or
// UnrecognizedClientException; a request without one answers
// MissingAuthenticationToken.
//
// It does NOT verify signatures: it stands in for the SigV4 verifier
// (internal/sigv4) so that tests of authorization need no secrets. Never
// use it outside tests.
func Identities(t testing.TB, policies map[string]string) *IdentitySet {
	t.Helper()
	s := &IdentitySet{ids: map[string]*identity{}}
	for akid, doc := range policies {
		s.Set(t, akid, doc)
	}
	return s
}

// IdentitySet is the test authenticator of Identities.
type IdentitySet struct {
	mu  sync.RWMutex
	ids map[string]*identity
}

// Set gives the identity akid the policy document doc (a new identity, or
// a new policy for its next requests): for policies that name resources a
// test creates first.
func (s *IdentitySet) Set(t testing.TB, akid, doc string) {
	t.Helper()
	p, err := policy.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("servertest.Identities: policy of %s: %v", akid, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids[akid] = &identity{name: akid, policy: p}
}

// Authenticate is an awsapi.Authenticator.
func (s *IdentitySet) Authenticate(r *http.Request, _ []byte) (awsapi.Principal, error) {
	_, cred, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return nil, awsapi.Errorf("MissingAuthenticationToken", "Missing Authentication Token")
	}
	akid, _, _ := strings.Cut(cred, "/")
	s.mu.RLock()
	id := s.ids[akid]
	s.mu.RUnlock()
	if id == nil {
		return nil, awsapi.Errorf("UnrecognizedClientException", "The security token included in the request is invalid.")
	}
	return id, nil
}

// identity is a test principal: an access key id and its policy.
type identity struct {
	name   string
	policy *policy.Policy
}

func (i *identity) Name() string { return i.name }

func (i *identity) Allowed(action, resource string) bool {
	return i.policy.Allowed(action, resource)
}

// IdentityConfig returns AWSConfig(endpoint) signing with the access key
// id akid (an identity of Identities).
func IdentityConfig(endpoint, akid string) aws.Config {
	cfg := AWSConfig(endpoint)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(akid, "secret", "")
	return cfg
}

// AllowAll and DenyAll are policy documents for Identities.
const (
	AllowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	DenyAll  = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`
)
