package servertest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/policy"
)

// Identities returns a test authenticator (Options.Authenticate) for the
// identities by access key id, each with its policy document. It reads the
// access key id from the Authorization header's "Credential=" and answers
// the identity it names, or UnrecognizedClientException; a request without
// one answers MissingAuthenticationToken.
//
// It does NOT verify signatures: it stands in for the SigV4 verifier
// (internal/sigv4) so that tests of authorization need no secrets. Never
// use it outside tests.
func Identities(t testing.TB, policies map[string]string) awsapi.Authenticator {
	t.Helper()
	ids := make(map[string]*identity, len(policies))
	for akid, doc := range policies {
		p, err := policy.Parse([]byte(doc))
		if err != nil {
			t.Fatalf("servertest.Identities: policy of %s: %v", akid, err)
		}
		ids[akid] = &identity{name: akid, policy: p}
	}
	return func(r *http.Request, _ []byte) (awsapi.Principal, error) {
		h := r.Header.Get("Authorization")
		_, cred, ok := strings.Cut(h, "Credential=")
		if !ok {
			return nil, awsapi.Errorf("MissingAuthenticationToken", "Missing Authentication Token")
		}
		akid, _, _ := strings.Cut(cred, "/")
		id := ids[akid]
		if id == nil {
			return nil, awsapi.Errorf("UnrecognizedClientException", "The security token included in the request is invalid.")
		}
		return id, nil
	}
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
