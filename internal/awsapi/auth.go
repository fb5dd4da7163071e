package awsapi

import (
	"context"
	"net/http"
)

// Principal is who sent a request: the identity its verified signature
// names, with what that identity may do. The handler gets it from
// Config.Authenticate before it decodes the body, and the operation finds it
// in its context (Caller). awsapi knows nothing of credentials or policy
// documents: they live with whoever implements Principal.
type Principal interface {
	// Name identifies the principal in logs and errors.
	Name() string
	// Allowed reports whether the principal may perform action
	// ("states:SendTaskSuccess", "swf:PollForActivityTask",
	// "datapipeline:PollForTask", …) on resource (an ARN, or "*" for an
	// operation that acts on no resource).
	Allowed(action, resource string) bool
}

// Authenticator verifies a request: its headers (or query) and body, as
// read. It returns the principal that signed it, or an *Error naming why
// not (CodeMissingAuthenticationToken, CodeIncompleteSignature,
// CodeUnrecognizedClient, CodeInvalidSignature: see internal/auth),
// answered as the request's service.
type Authenticator func(r *http.Request, body []byte) (Principal, error)

// Caller returns the principal of the request whose context ctx is, and
// false where requests are not authenticated (Config.Authenticate is nil)
// or ctx did not come from the handler.
func Caller(ctx context.Context) (Principal, bool) {
	ri, ok := ctx.Value(requestKey{}).(*requestInfo)
	if !ok || ri.principal == nil {
		return nil, false
	}
	return ri.principal, true
}

// Authorize reports whether the caller may perform the request's operation
// on resource (an ARN, or "*" for an operation that names none): nil if it
// may, or where requests are not authenticated; otherwise the service's
// access-denied error (Service.AccessDeniedCode). A dialect calls it with
// each resource it is about to read or change, before it does. The handler
// fails closed: an authenticated request whose operation succeeded without
// calling Authorize is answered with the access-denied error instead, and
// logged as an error naming the operation.
func Authorize(ctx context.Context, resource string) error {
	ri, ok := ctx.Value(requestKey{}).(*requestInfo)
	if !ok || ri.principal == nil {
		return nil
	}
	ri.authorized = true
	action := ri.action()
	if ri.principal.Allowed(action, resource) {
		return nil
	}
	return Errorf(ri.svc.accessDenied, "User: %s is not authorized to perform: %s on resource: %s", ri.principal.Name(), action, resource)
}
