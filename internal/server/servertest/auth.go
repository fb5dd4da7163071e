package servertest

import (
	"net/http"
	"strings"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/policy"
)

// TrustingAuthenticator is a FAKE awsapi.Authenticator for tests of what
// happens once a request is authenticated: it verifies no signature. It
// reads the access key id from the Authorization header's Credential= and
// trusts it: the principal is that key, allowed what its policy in
// policies allows. A request without an Authorization header is answered
// MissingAuthenticationToken, a key not in policies
// UnrecognizedClientException.
func TrustingAuthenticator(policies map[string]*policy.Policy) awsapi.Authenticator {
	return func(r *http.Request, _ []byte) (awsapi.Principal, error) {
		auth := r.Header.Get("Authorization")
		if auth == "" {
			return nil, awsapi.Errorf("MissingAuthenticationToken", "Request is missing Authentication Token")
		}
		_, cred, _ := strings.Cut(auth, "Credential=")
		key, _, _ := strings.Cut(cred, "/")
		p, ok := policies[key]
		if !ok {
			return nil, awsapi.Errorf("UnrecognizedClientException", "The security token included in the request is invalid.")
		}
		return trusted{name: key, policy: p}, nil
	}
}

// trusted is TrustingAuthenticator's principal.
type trusted struct {
	name   string
	policy *policy.Policy
}

func (p trusted) Name() string                         { return p.name }
func (p trusted) Allowed(action, resource string) bool { return p.policy.Allowed(action, resource) }

// Policy parses an IAM-style policy document for TrustingAuthenticator; it
// panics on a bad one (a test's literal).
func Policy(doc string) *policy.Policy {
	p, err := policy.Parse([]byte(doc))
	if err != nil {
		panic(err)
	}
	return p
}
