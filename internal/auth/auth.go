// Package auth holds gaffer's identities: the credentials file that names
// them (access key, secret, IAM-style policy), and the Authenticator that
// verifies each request's AWS Signature Version 4 against them
// (internal/sigv4) and answers failures with AWS's own errors.
//
// The file:
//
//	{"identities": [
//	  {"name": "ci", "accessKeyId": "AKIA…", "secretAccessKey": "…",
//	   "policy": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}
//	]}
package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/policy"
	"github.com/gaffer-dev/gaffer/internal/sigv4"
)

// Identity is one identity of the credentials file: who signs with its
// access key, and what its policy lets it do. It implements
// awsapi.Principal.
type Identity struct {
	name        string
	accessKeyID string
	secret      string
	policy      *policy.Policy
}

// Name is the identity's name in the credentials file.
func (id *Identity) Name() string { return id.name }

// AccessKeyID is the identity's access key id.
func (id *Identity) AccessKeyID() string { return id.accessKeyID }

// Allowed reports whether the identity's policy allows action on resource.
func (id *Identity) Allowed(action, resource string) bool {
	return id.policy.Allowed(action, resource)
}

// Set is a loaded credentials file: its identities by access key id, and
// the verifier (with its cache of signing keys) for their secrets.
type Set struct {
	byKey    map[string]*Identity
	names    []string
	verifier *sigv4.Verifier
}

// Names are the identities' names, in the file's order.
func (s *Set) Names() []string { return s.names }

// fileIdentity is an identity as written in the file.
type fileIdentity struct {
	Name            string          `json:"name"`
	AccessKeyID     string          `json:"accessKeyId"`
	SecretAccessKey string          `json:"secretAccessKey"`
	Policy          json.RawMessage `json:"policy"`
}

// Parse parses a credentials file. Its errors name the identity (by index
// and name) and the field.
func Parse(data []byte) (*Set, error) {
	var f struct {
		Identities []fileIdentity `json:"identities"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	if len(f.Identities) == 0 {
		return nil, errors.New("credentials: no identities")
	}
	s := &Set{byKey: map[string]*Identity{}}
	names := map[string]int{}
	for i, in := range f.Identities {
		where := fmt.Sprintf("identities[%d]", i)
		if in.Name != "" {
			where += fmt.Sprintf(" (%q)", in.Name)
		}
		switch {
		case in.Name == "":
			return nil, fmt.Errorf("credentials: %s: name is empty", where)
		case in.AccessKeyID == "":
			return nil, fmt.Errorf("credentials: %s: accessKeyId is empty", where)
		case !validKeyID(in.AccessKeyID):
			return nil, fmt.Errorf("credentials: %s: accessKeyId %q: want letters and digits only", where, in.AccessKeyID)
		case in.SecretAccessKey == "":
			return nil, fmt.Errorf("credentials: %s: secretAccessKey is empty", where)
		case len(in.Policy) == 0 || string(in.Policy) == "null":
			return nil, fmt.Errorf("credentials: %s: policy is missing (an IAM-style document; {\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]} allows everything)", where)
		}
		if j, dup := names[in.Name]; dup {
			return nil, fmt.Errorf("credentials: %s: name is also identities[%d]'s", where, j)
		}
		names[in.Name] = i
		if other, dup := s.byKey[in.AccessKeyID]; dup {
			return nil, fmt.Errorf("credentials: %s: accessKeyId %s is also %q's", where, in.AccessKeyID, other.name)
		}
		p, err := policy.Parse(in.Policy)
		if err != nil {
			return nil, fmt.Errorf("credentials: %s: %w", where, err)
		}
		s.byKey[in.AccessKeyID] = &Identity{name: in.Name, accessKeyID: in.AccessKeyID, secret: in.SecretAccessKey, policy: p}
		s.names = append(s.names, in.Name)
	}
	s.verifier = &sigv4.Verifier{Secret: func(id string) (string, bool) {
		if ident := s.byKey[id]; ident != nil {
			return ident.secret, true
		}
		return "", false
	}}
	return s, nil
}

// validKeyID: access key ids are letters and digits (AWS's are 16 to 128
// upper-case letters and digits); a '/' would break the credential scope.
func validKeyID(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// Load reads and parses a credentials file.
func Load(path string) (*Set, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	s, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Authenticator verifies requests against the current set of identities,
// which Reload replaces at once for the requests that follow.
type Authenticator struct {
	set atomic.Pointer[Set]
	now func() time.Time
}

// New returns an Authenticator over set. now is the clock (nil: time.Now).
func New(set *Set, now func() time.Time) *Authenticator {
	if now == nil {
		now = time.Now
	}
	a := &Authenticator{now: now}
	a.set.Store(set)
	return a
}

// Reload loads the credentials file at path and, if it is valid, makes it
// the current set; otherwise the current set stays and the error says why.
func (a *Authenticator) Reload(path string) (*Set, error) {
	s, err := Load(path)
	if err != nil {
		return nil, err
	}
	a.set.Store(s)
	return s, nil
}

// Authenticate is the awsapi.Authenticator: it verifies r's signature and
// returns its identity, or AWS's error for why not.
func (a *Authenticator) Authenticate(r *http.Request, body []byte) (awsapi.Principal, error) {
	s := a.set.Load()
	req, err := s.verifier.Verify(r, body, a.now(), sigv4.Service(r))
	if err != nil {
		return nil, awsError(err)
	}
	return s.byKey[req.AccessKeyID], nil
}

// awsError answers a sigv4 error as AWS's JSON services do.
func awsError(err error) error {
	var e *sigv4.Error
	if !errors.As(err, &e) {
		return err
	}
	code := awsapi.CodeInvalidSignature
	switch e.Kind {
	case sigv4.Missing:
		code = awsapi.CodeMissingAuthenticationToken
	case sigv4.Incomplete:
		code = awsapi.CodeIncompleteSignature
	case sigv4.UnknownKey:
		code = awsapi.CodeUnrecognizedClient
	case sigv4.Mismatch, sigv4.Expired, sigv4.WrongService:
		code = awsapi.CodeInvalidSignature
	}
	return &awsapi.Error{Code: code, Message: e.Message}
}
