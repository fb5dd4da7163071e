// Package sigv4 verifies AWS Signature Version 4 on requests, in the header
// form (Authorization: AWS4-HMAC-SHA256 …) and the query (presigned) form
// (X-Amz-Algorithm, X-Amz-Credential, …), as AWS documents the algorithm
// ("Create a signed AWS API request": canonical request, string to sign,
// signing key). It is pure: the request, its body, the time and a secret
// lookup go in; the access key id that signed it, or an *Error, come out.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Algorithm is the only signing algorithm verified.
const Algorithm = "AWS4-HMAC-SHA256"

// MaxSkew is how far a header-form request's date may be from the server's
// clock (AWS's 15 minutes).
const MaxSkew = 15 * time.Minute

// MaxExpires is the longest X-Amz-Expires accepted (AWS's 7 days).
const MaxExpires = 7 * 24 * 60 * 60

const (
	amzDateFormat   = "20060102T150405Z"
	scopeDateFormat = "20060102"
	scopeTerminator = "aws4_request"
)

// Kind classifies why a request was refused; the caller maps it to its
// protocol's error.
type Kind int

const (
	// Missing: the request carries no signature at all.
	Missing Kind = iota + 1
	// Incomplete: the signature is malformed or lacks a part (credential,
	// signed headers, date, host among the signed headers…).
	Incomplete
	// UnknownKey: the access key id is not known.
	UnknownKey
	// Mismatch: the signature is not the one the secret makes, or the
	// payload hash sent is not the body's.
	Mismatch
	// Expired: the date is outside the allowed skew, or a presigned
	// request is past its X-Amz-Expires.
	Expired
	// WrongService: the credential scope names another service.
	WrongService
)

// Error is why a request was refused; Message is meant for the client,
// worded as AWS words it.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return e.Message }

func fail(k Kind, format string, args ...any) *Error {
	if len(args) == 0 {
		return &Error{Kind: k, Message: format}
	}
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// MismatchMessage is AWS's answer to a signature that is not the one
// the secret makes.
const MismatchMessage = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

// Verifier verifies signatures against the secrets Secret returns. It keeps
// the signing keys it derived (one per access key, date, region and
// service, from requests that verified) so that a request signed with a
// key already seen costs one HMAC for the signature, not five. A Verifier
// belongs with one set of secrets: make a new one when they change.
// It is safe for concurrent use.
type Verifier struct {
	// Secret returns the secret access key of an access key id, and false
	// if the id is not known.
	Secret func(accessKeyID string) (secret string, ok bool)

	mu    sync.Mutex
	cache map[string][]byte // accessKeyID/date/region/service → signing key (of requests that verified)
}

// maxCachedKeys bounds the signing-key cache; past it the cache starts
// over (a day's keys come back with one derivation each).
const maxCachedKeys = 4096

// Request is what a verified request was signed with.
type Request struct {
	AccessKeyID string
	Region      string
	Service     string
	Date        time.Time
}

// Verify verifies the signature of r, whose body is body, at time now.
// service is the signing name the request's credential scope must name
// (see Service). It returns what the request was signed with, or an *Error.
func (v *Verifier) Verify(r *http.Request, body []byte, now time.Time, service string) (Request, error) {
	var (
		s   signed
		err *Error
	)
	authz := r.Header.Values("Authorization")
	var query map[string][]string
	if r.URL.RawQuery != "" {
		query = r.URL.Query()
	}
	presigned := query["X-Amz-Algorithm"] != nil || query["X-Amz-Signature"] != nil || query["X-Amz-Credential"] != nil
	switch {
	case len(authz) > 0 && presigned:
		return Request{}, fail(Incomplete, "Only one authentication method is allowed: an Authorization header or X-Amz-* query parameters, not both.")
	case len(authz) > 1:
		return Request{}, fail(Incomplete, "Only one Authorization header is allowed.")
	case len(authz) == 1:
		s, err = parseHeader(r, authz[0])
	case presigned:
		s, err = parseQuery(query)
	default:
		return Request{}, fail(Missing, "Missing Authentication Token")
	}
	if err != nil {
		return Request{}, err
	}
	if err := targetSigned(r, &s, query); err != nil {
		return Request{}, err
	}
	if s.service != service {
		return Request{}, fail(WrongService, "Credential should be scoped to correct service: '%s'. ", service)
	}
	if s.date.Format(scopeDateFormat) != s.scopeDate {
		return Request{}, fail(Mismatch, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", s.scopeDate, s.date.Format(scopeDateFormat), s.amzDate)
	}
	if err := checkTime(s, now); err != nil {
		return Request{}, err
	}
	secret, ok := v.Secret(s.accessKeyID)
	if !ok {
		return Request{}, fail(UnknownKey, "The security token included in the request is invalid.")
	}

	// The payload hash: the one the client sent must be the body's (a
	// JSON body is the operation: an unsigned or other payload is refused).
	sum := sha256.Sum256(body)
	var bodyHash [64]byte
	hex.Encode(bodyHash[:], sum[:])
	payloadHash := string(bodyHash[:])
	if sent := r.Header.Get("X-Amz-Content-Sha256"); sent != "" && sent != payloadHash {
		return Request{}, fail(Mismatch, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	}

	sts := stringToSign(r, &s, query, payloadHash)
	cacheKey := s.accessKeyID + "/" + s.scopeDate + "/" + s.region + "/" + s.service
	v.mu.Lock()
	key := v.cache[cacheKey]
	v.mu.Unlock()
	cached := key != nil
	if !cached {
		key = deriveKey(secret, s.scopeDate, s.region, s.service)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(sts)
	var want [64]byte
	hex.Encode(want[:], mac.Sum(nil))
	if subtle.ConstantTimeCompare(want[:], []byte(s.signature)) != 1 {
		return Request{}, fail(Mismatch, MismatchMessage)
	}
	if !cached {
		v.mu.Lock()
		if v.cache == nil || len(v.cache) >= maxCachedKeys {
			v.cache = map[string][]byte{}
		}
		v.cache[cacheKey] = key
		v.mu.Unlock()
	}
	return Request{AccessKeyID: s.accessKeyID, Region: s.region, Service: s.service, Date: s.date}, nil
}

// signed is a parsed signature.
type signed struct {
	presigned     bool
	accessKeyID   string
	scopeDate     string
	region        string
	service       string
	signedHeaders []string // lower-case, as sent
	signedList    string   // the SignedHeaders value as sent
	signature     string
	amzDate       string // the request date as signed (ISO 8601 basic)
	date          time.Time
	expires       int // seconds, presigned only
}

func (s *signed) scope() string {
	return s.scopeDate + "/" + s.region + "/" + s.service + "/" + scopeTerminator
}

// parseHeader parses the header form.
func parseHeader(r *http.Request, authz string) (signed, *Error) {
	var s signed
	alg, rest, _ := strings.Cut(strings.TrimSpace(authz), " ")
	if alg != Algorithm {
		return s, fail(Incomplete, "Authorization header requires the algorithm %s, not '%s'.", Algorithm, alg)
	}
	var cred, headers, sig string
	var missing []string
	for _, part := range strings.Split(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return s, fail(Incomplete, "Authorization header requires each component to be of the form key=value; got '%s'.", strings.TrimSpace(part))
		}
		switch k {
		case "Credential":
			cred = val
		case "SignedHeaders":
			headers = val
		case "Signature":
			sig = val
		}
	}
	if cred == "" {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if headers == "" {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	if sig == "" {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	amzDate := r.Header.Get("X-Amz-Date")
	var date time.Time
	var derr error
	if amzDate != "" {
		date, derr = time.Parse(amzDateFormat, amzDate)
	} else if d := r.Header.Get("Date"); d != "" {
		date, derr = http.ParseTime(d)
		amzDate = date.UTC().Format(amzDateFormat)
	} else {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return s, fail(Incomplete, "%s Authorization=%s", strings.Join(missing, " "), authz)
	}
	if derr != nil {
		return s, fail(Incomplete, "The request date is not a valid ISO 8601 basic date (X-Amz-Date, 20060102T150405Z) nor an HTTP date (Date).")
	}
	s.amzDate, s.date, s.signature = amzDate, date.UTC(), sig
	if err := s.setCredential(cred); err != nil {
		return s, err
	}
	return s, s.setSignedHeaders(headers)
}

// parseQuery parses the query (presigned) form.
func parseQuery(q map[string][]string) (signed, *Error) {
	s := signed{presigned: true}
	get := func(k string) string {
		if v := q[k]; len(v) == 1 {
			return v[0]
		}
		return ""
	}
	var missing []string
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Expires"} {
		if get(k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return s, fail(Incomplete, "A presigned request requires each of the query parameters X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders, X-Amz-Signature and X-Amz-Expires once; missing or repeated: %s.", strings.Join(missing, ", "))
	}
	if alg := get("X-Amz-Algorithm"); alg != Algorithm {
		return s, fail(Incomplete, "X-Amz-Algorithm must be %s, not '%s'.", Algorithm, alg)
	}
	date, err := time.Parse(amzDateFormat, get("X-Amz-Date"))
	if err != nil {
		return s, fail(Incomplete, "X-Amz-Date '%s' is not a valid ISO 8601 basic date (20060102T150405Z).", get("X-Amz-Date"))
	}
	exp, err := strconv.Atoi(get("X-Amz-Expires"))
	if err != nil || exp < 1 || exp > MaxExpires {
		return s, fail(Incomplete, "X-Amz-Expires must be a number of seconds from 1 to %d, not '%s'.", MaxExpires, get("X-Amz-Expires"))
	}
	s.amzDate, s.date, s.expires, s.signature = get("X-Amz-Date"), date, exp, get("X-Amz-Signature")
	if err := s.setCredential(get("X-Amz-Credential")); err != nil {
		return s, err
	}
	return s, s.setSignedHeaders(get("X-Amz-SignedHeaders"))
}

func (s *signed) setCredential(cred string) *Error {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[0] == "" || parts[1] == "" || parts[2] == "" || parts[3] == "" {
		return fail(Incomplete, "Credential '%s' must be of the form <access key id>/<YYYYMMDD>/<region>/<service>/aws4_request.", cred)
	}
	if parts[4] != scopeTerminator {
		return fail(Incomplete, "Credential should be scoped with a valid terminator: 'aws4_request', not '%s'. ", parts[4])
	}
	s.accessKeyID, s.scopeDate, s.region, s.service = parts[0], parts[1], parts[2], parts[3]
	return nil
}

func (s *signed) setSignedHeaders(list string) *Error {
	s.signedList = list
	s.signedHeaders = strings.Split(list, ";")
	hasHost := false
	for i, h := range s.signedHeaders {
		if h == "" || h != strings.ToLower(h) || (i > 0 && s.signedHeaders[i-1] >= h) {
			return fail(Incomplete, "SignedHeaders '%s' must be lower-case header names, sorted, separated by ';'.", list)
		}
		if h == "host" {
			hasHost = true
		}
	}
	if !hasHost {
		return fail(Incomplete, "'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return nil
}

// targetSigned checks that the X-Amz-Target header, which names the
// operation, is signed: among the signed headers, or (presigned, where the
// SDKs move X-Amz-* headers into the query) equal to a signed query
// parameter. Otherwise a signed request could be replayed as another
// operation.
func targetSigned(r *http.Request, s *signed, query map[string][]string) *Error {
	target := r.Header.Values("X-Amz-Target")
	if len(target) == 0 {
		return nil
	}
	for _, h := range s.signedHeaders {
		if h == "x-amz-target" {
			return nil
		}
	}
	if q := query["X-Amz-Target"]; s.presigned && len(target) == 1 && len(q) == 1 && q[0] == target[0] {
		return nil
	}
	return fail(Incomplete, "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization (or, presigned, an X-Amz-Target query parameter of the same value).")
}

// checkTime checks the request date against now: within MaxSkew for the
// header form, within X-Amz-Expires (and not from the future) for the
// query form.
func checkTime(s signed, now time.Time) *Error {
	now = now.UTC()
	if s.date.After(now.Add(MaxSkew)) {
		return fail(Expired, "Signature not yet current: %s is still later than %s (%s + 15 min.)", s.amzDate, now.Add(MaxSkew).Format(amzDateFormat), now.Format(amzDateFormat))
	}
	if s.presigned {
		if end := s.date.Add(time.Duration(s.expires) * time.Second); now.After(end) {
			return fail(Expired, "Signature expired: %s is now earlier than %s (%s - %d sec.)", s.amzDate, now.Add(-time.Duration(s.expires)*time.Second).Format(amzDateFormat), now.Format(amzDateFormat), s.expires)
		}
		return nil
	}
	if s.date.Before(now.Add(-MaxSkew)) {
		return fail(Expired, "Signature expired: %s is now earlier than %s (%s - 15 min.)", s.amzDate, now.Add(-MaxSkew).Format(amzDateFormat), now.Format(amzDateFormat))
	}
	return nil
}

// stringToSign builds the string to sign of the request.
func stringToSign(r *http.Request, s *signed, query map[string][]string, payloadHash string) []byte {
	var cr strings.Builder
	cr.Grow(256 + len(s.signedList)*4)
	cr.WriteString(r.Method)
	cr.WriteByte('\n')
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	escape(&cr, path, false)
	cr.WriteByte('\n')
	canonicalQuery(&cr, query, s.presigned)
	cr.WriteByte('\n')
	for _, h := range s.signedHeaders {
		cr.WriteString(h)
		cr.WriteByte(':')
		headerValue(&cr, r, h)
		cr.WriteByte('\n')
	}
	cr.WriteByte('\n')
	cr.WriteString(s.signedList)
	cr.WriteByte('\n')
	cr.WriteString(payloadHash)

	sum := sha256.Sum256([]byte(cr.String()))
	scope := s.scope()
	out := make([]byte, 0, len(Algorithm)+len(s.amzDate)+len(scope)+64+3)
	out = append(out, Algorithm...)
	out = append(out, '\n')
	out = append(out, s.amzDate...)
	out = append(out, '\n')
	out = append(out, scope...)
	out = append(out, '\n')
	return hex.AppendEncode(out, sum[:])
}

// canonicalQuery writes the query sorted by name then value, each
// URI-encoded; a presigned request's X-Amz-Signature is left out.
func canonicalQuery(b *strings.Builder, query map[string][]string, presigned bool) {
	if len(query) == 0 {
		return
	}
	type kv struct{ k, v string }
	pairs := make([]kv, 0, len(query))
	for k, vs := range query {
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		for _, v := range vs {
			pairs = append(pairs, kv{uriEncode(k), uriEncode(v)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
}

// headerValue writes the canonical value of header h (lower-case): its
// values trimmed of spaces, sequential spaces collapsed to one (tabs kept, as the SDKs do), joined with commas.
func headerValue(b *strings.Builder, r *http.Request, h string) {
	var vals []string
	switch h {
	case "host":
		vals = []string{r.Host}
	case "content-length":
		vals = r.Header.Values("Content-Length")
		if len(vals) == 0 && r.ContentLength >= 0 {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	default:
		vals = headerValues(r.Header, h)
	}
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		writeTrimmed(b, v)
	}
}

// headerValues returns the values of header name (lower-case) in hdr
// without canonicalising name, which would allocate for each lookup.
func headerValues(hdr http.Header, name string) []string {
	for k, vs := range hdr {
		if len(k) == len(name) && strings.EqualFold(k, name) {
			return vs
		}
	}
	return nil
}

func writeTrimmed(b *strings.Builder, v string) {
	v = strings.Trim(v, " ")
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(c)
	}
}

// deriveKey derives the signing key of a secret for a date, region and
// service.
func deriveKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, scopeTerminator)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

const upperhex = "0123456789ABCDEF"

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}

// escape URI-encodes s as SigV4 does: unreserved characters kept, every
// other byte %XX (upper-case hex); '/' kept unless encodeSlash.
func escape(b *strings.Builder, s string, encodeSlash bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperhex[c>>4])
		b.WriteByte(upperhex[c&15])
	}
}

func uriEncode(s string) string {
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			var b strings.Builder
			escape(&b, s, true)
			return b.String()
		}
	}
	return s
}

// Service returns the signing name a request's credential scope must name:
// the service its X-Amz-Target names ("states", "swf", "datapipeline"), or
// "gaffer" for a request path under /gaffer/ (the operator endpoints); ""
// if neither (the caller answers such a request before verifying it).
func Service(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/gaffer/") {
		return "gaffer"
	}
	target := r.Header.Get("X-Amz-Target")
	prefix, _, _ := strings.Cut(target, ".")
	if i := strings.LastIndexByte(target, '.'); i >= 0 {
		prefix = target[:i]
	}
	return targetServices[prefix]
}

// targetServices maps X-Amz-Target prefixes (the models' targetPrefix,
// and the legacy SWF one) to signing names (the models' endpointPrefix).
var targetServices = map[string]string{
	"AWSStepFunctions":      "states",
	"SimpleWorkflowService": "swf",
	"com.amazonaws.swf.service.model.SimpleWorkflowService": "swf",
	"DataPipeline": "datapipeline",
}
