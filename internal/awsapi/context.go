package awsapi

import (
	"context"
	"math/rand/v2"
	"strings"
)

// DefaultRegion is the region of requests that carry no SigV4 credential
// scope when Config.DefaultRegion is empty, and what Region returns for a
// context that did not come from the handler.
const DefaultRegion = "us-east-1"

type requestKey struct{}

// requestInfo is what the handler knows about a request before it runs the
// operation.
type requestInfo struct {
	id     string
	region string
	home   string // the handler's Config.DefaultRegion

	// Set when the handler authenticates requests (Config.Authenticate).
	principal  Principal
	svc        *service
	op         string
	authorized bool // Authorize was called
}

// action is the request's IAM action, "<signing name>:<operation>".
func (ri *requestInfo) action() string {
	if ri.svc == nil {
		return ri.op
	}
	return ri.svc.label + ":" + ri.op
}

// WithRequest returns a context carrying a request id and region, as the
// handler gives to every Operation. It lets other packages call their
// operations directly in tests.
func WithRequest(ctx context.Context, requestID, region string) context.Context {
	return context.WithValue(ctx, requestKey{}, &requestInfo{id: requestID, region: region})
}

// Region returns the region of the request's SigV4 credential scope
// (Authorization: "AWS4-HMAC-SHA256 Credential=AKID/date/REGION/service/aws4_request, ...")
// or, for unsigned requests and scopes with an implausible region, the
// handler's Config.DefaultRegion. Outside a request it returns DefaultRegion.
func Region(ctx context.Context) string {
	if ri, ok := ctx.Value(requestKey{}).(*requestInfo); ok && ri.region != "" {
		return ri.region
	}
	return DefaultRegion
}

// RequestID returns the id of the request, also sent to the client in the
// x-amzn-RequestId header; "" outside a request.
func RequestID(ctx context.Context) string {
	if ri, ok := ctx.Value(requestKey{}).(*requestInfo); ok {
		return ri.id
	}
	return ""
}

// regionFromAuthorization extracts the region of a SigV4 Authorization
// header's credential scope; "" when there is none. The result is a
// substring of h (no allocation). Only [a-z0-9-] regions of sane length are
// accepted, since operations build ARNs from them.
func regionFromAuthorization(h string) string {
	const key = "Credential="
	i := strings.Index(h, key)
	if i < 0 {
		return ""
	}
	s := h[i+len(key):]
	if j := strings.IndexAny(s, ", "); j >= 0 {
		s = s[:j]
	}
	// AKID/yyyymmdd/region/service/aws4_request
	for range 2 {
		j := strings.IndexByte(s, '/')
		if j < 0 {
			return ""
		}
		s = s[j+1:]
	}
	j := strings.IndexByte(s, '/')
	if j < 0 {
		return ""
	}
	s = s[:j]
	if s == "" || len(s) > 32 {
		return ""
	}
	for k := 0; k < len(s); k++ {
		c := s[k]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return ""
		}
	}
	return s
}

// newRequestID returns a random UUID version 4. Request ids only correlate
// logs, so they come from math/rand/v2's per-thread ChaCha8 generator,
// which is fast and needs no lock.
func newRequestID() string {
	const hex = "0123456789abcdef"
	var u [16]byte
	a, b := rand.Uint64(), rand.Uint64()
	for i := range 8 {
		u[i] = byte(a >> (8 * i))
		u[8+i] = byte(b >> (8 * i))
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	var out [36]byte
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hex[c>>4], hex[c&0x0f]
		j += 2
	}
	return string(out[:])
}
