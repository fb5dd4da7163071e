// Package awsapi is gaffer's wire layer: it serves AWS JSON-protocol
// services (awsJson1_0 / awsJson1_1) on one HTTP endpoint, so that the AWS
// SDKs and CLIs for Step Functions, SWF and Data Pipeline can talk to gaffer
// unchanged. Dialect packages (sfn, swf, pipeline) describe each service as a
// Service — the embedded botocore model, an error table and the implemented
// Operations — and NewHandler serves them all. Each service's error table
// and error constructors are generated from its model and errors.json into
// sfnerr, swferr and dperr (go generate; see internal/errgen).
//
// # Requests
//
// Every request is a POST whose X-Amz-Target header names
// "<targetPrefix>.<Operation>" (AWSStepFunctions, SimpleWorkflowService,
// DataPipeline; also the legacy SWF form
// "com.amazonaws.swf.service.model.SimpleWorkflowService.<Op>"). The path is
// ignored. Content-Type is accepted if it mentions json or is absent. An
// empty body reads as {}. In order, the handler answers:
//
//   - 405 UnknownOperationException for another method;
//   - 400 UnknownOperationException for a missing or unknown target, and
//     for a modelled operation the Service does not implement;
//   - 413 RequestEntityTooLargeException for a body over Config.MaxBodyBytes;
//   - 400 SerializationException for malformed JSON, a top level that is not
//     an object, or a member whose JSON type does not fit the model (the
//     message names the member path);
//   - 400 Service.ValidationErrorCode for model constraint violations (all
//     of them, in model order, in AWS's wording: "2 validation errors
//     detected: Value 'x' at 'name' failed to satisfy constraint: Member
//     must ...; ..."). Checked: required members, string lengths in Unicode
//     code points, list and map sizes, numeric bounds, enums and patterns.
//     Patterns are botocore's Java regular expressions, matched whole; \uXXXX
//     escapes are translated, and a pattern RE2 cannot compile (lookaround)
//     is not enforced. Values of sensitive shapes are never echoed. Nested
//     paths are AWS-style: "tags.1.member.key" (1-based), and map entries
//     "<map>.<key>.key" / "<map>.<key>.value". Unknown members are ignored,
//     except keys that match a member only case-insensitively: encoding/json
//     would decode them into the operation's input unvalidated, so they
//     answer SerializationException.
//
// Only then does the Operation run, with a context carrying RequestID and
// Region (from the SigV4 credential scope, else Config.DefaultRegion).
//
// # Responses
//
// Success is 200 with Content-Type application/x-amz-json-<jsonVersion>, the
// x-amzn-RequestId header and the JSON output ({} when there is none).
// Errors carry the same headers plus X-Amzn-ErrorType: <Code>, and the body
// {"__type":"<ErrorNamespace>#<Code>","message":"..."} — botocore reads only
// the body, the Go SDK also the header; neither part contains ':'. The
// status comes from Service.Statuses, then the common table (throttling
// 400, InternalFailure 500, ServiceUnavailable 503, ...), else 400. An
// operation error that is not an *Error but is one of Service.Mapped (an
// engine or store error) answers that mapping's code and message. Any
// other operation error, or a panic, answers 500 with the
// service's InternalErrorCode and a message pointing at the request id; the
// real error is logged at Error level. Request logs use constant messages
// with attributes, at Debug level except for 5xx answers.
package awsapi
