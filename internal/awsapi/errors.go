package awsapi

//go:generate go run ./internal/errgen

import (
	"fmt"
	"net/http"
)

// Error is an AWS error answer. Code is the error shape name sent as the
// last part of __type and in X-Amzn-ErrorType (e.g. "TaskTimedOut"); Message
// is sent as "message". The HTTP status comes from the answering Service's
// Statuses table (see Service).
type Error struct {
	Code    string
	Message string
}

// Error implements error as "Code: Message".
func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	if len(args) == 0 {
		return &Error{Code: code, Message: format}
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorMapping answers an error of the engine or the store that an
// operation returns (matched with errors.Is) as the service's AWS error.
// The mappings of the three services are generated from errors.json into
// sfnerr.Mapped, swferr.Mapped and dperr.Mapped: the one place where
// internal errors are mapped.
type ErrorMapping struct {
	Err     error
	Code    string
	Message string
}

// ListsError reports whether an operation of the model may answer the
// error code: the model lists it among the operation's errors, or it is
// one of the common errors any AWS JSON operation may answer (throttling,
// validation, serialization, unknown operation, access and signature
// errors, too large a body, internal failure, service unavailable). Tests
// use it to check that gaffer answers only what the models promise.
func (m *Model) ListsError(operation, code string) bool {
	if _, ok := commonStatuses[code]; ok {
		return true
	}
	if op := m.Operations[operation]; op != nil {
		for _, e := range op.Errors {
			if e.Shape == code {
				return true
			}
		}
	}
	return false
}

// Throttling returns the common "ThrottlingException" error (400), which SDKs
// retry with back-off.
func Throttling(msg string) *Error {
	return &Error{Code: CodeThrottling, Message: msg}
}

// Error codes produced by this package, or common to every AWS JSON service.
const (
	// CodeUnknownOperation answers an X-Amz-Target that names no served
	// operation (or is missing), and a request that is not a POST.
	CodeUnknownOperation = "UnknownOperationException"
	// CodeSerialization answers a body that is not a JSON object or whose
	// members have the wrong JSON type for the model.
	CodeSerialization = "SerializationException"
	// CodeRequestTooLarge answers a body larger than Config.MaxBodyBytes.
	CodeRequestTooLarge = "RequestEntityTooLargeException"
	// CodeThrottling is the common throttling error; see Throttling.
	CodeThrottling = "ThrottlingException"
	// CodeValidation is the default Service.ValidationErrorCode.
	CodeValidation = "ValidationException"
	// CodeInternalFailure is the default Service.InternalErrorCode.
	CodeInternalFailure = "InternalFailure"
	// CodeAccessDenied is the default Service.AccessDeniedCode.
	CodeAccessDenied = "AccessDeniedException"
	// CodeServiceUnavailable is the common "try again later" error (503).
	CodeServiceUnavailable = "ServiceUnavailable"

	// The errors of signature verification (Config.Authenticate), as the
	// AWS JSON services answer them.

	// CodeMissingAuthenticationToken answers a request with no signature.
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	// CodeIncompleteSignature answers a malformed signature.
	CodeIncompleteSignature = "IncompleteSignatureException"
	// CodeUnrecognizedClient answers an access key id that is not known.
	CodeUnrecognizedClient = "UnrecognizedClientException"
	// CodeInvalidSignature answers a signature that does not match, that
	// expired, or whose credential scope names another service.
	CodeInvalidSignature = "InvalidSignatureException"
)

// bareTypes are the codes whose __type carries no namespace: AWS's front
// end answers them before the service is reached (signature errors).
var bareTypes = map[string]bool{
	CodeMissingAuthenticationToken: true,
	CodeIncompleteSignature:        true,
	CodeUnrecognizedClient:         true,
	CodeInvalidSignature:           true,
}

// coralNamespace prefixes __type for errors answered before a service is
// known (no or unknown X-Amz-Target), as AWS's request framework does.
const coralNamespace = "com.amazon.coral.service"

// commonStatuses is the HTTP status of the errors any AWS JSON operation may
// return (https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html)
// and of this package's own errors. A Service's Statuses table takes
// precedence; codes in neither table answer 400.
var commonStatuses = map[string]int{
	CodeThrottling:                 http.StatusBadRequest,
	CodeValidation:                 http.StatusBadRequest,
	CodeSerialization:              http.StatusBadRequest,
	CodeUnknownOperation:           http.StatusBadRequest,
	CodeAccessDenied:               http.StatusBadRequest,
	"IncompleteSignature":          http.StatusBadRequest,
	"RequestExpired":               http.StatusBadRequest,
	"MissingAuthenticationToken":   http.StatusForbidden,
	"InvalidClientTokenId":         http.StatusForbidden,
	CodeUnrecognizedClient:         http.StatusBadRequest,
	CodeMissingAuthenticationToken: http.StatusBadRequest,
	CodeIncompleteSignature:        http.StatusBadRequest,
	CodeInvalidSignature:           http.StatusBadRequest,
	CodeRequestTooLarge:            http.StatusRequestEntityTooLarge,
	CodeInternalFailure:            http.StatusInternalServerError,
	CodeServiceUnavailable:         http.StatusServiceUnavailable,
}
