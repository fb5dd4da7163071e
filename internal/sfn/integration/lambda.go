package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// TaskError is an integration call's failure as Step Functions reports it:
// the error name that Retry and Catch match, and the cause.
type TaskError struct {
	Name, Cause string
}

func (e *TaskError) Error() string { return e.Name + ": " + e.Cause }

// LambdaConfig configures the Lambda client.
type LambdaConfig struct {
	// Endpoint is the base URL of a server that speaks the Lambda Invoke
	// API (POST /2015-03-31/functions/{FunctionName}/invocations).
	Endpoint string
	// AccessKey and SecretKey sign the requests (SigV4); default "gaffer".
	AccessKey, SecretKey string
	// HTTPClient; nil uses a default one.
	HTTPClient *http.Client
}

// Lambda invokes functions over the Lambda Invoke API.
type Lambda struct {
	client *lambda.Client
}

// NewLambda returns a Lambda client for cfg.
func NewLambda(cfg LambdaConfig) *Lambda {
	if cfg.AccessKey == "" {
		cfg.AccessKey = "gaffer"
	}
	if cfg.SecretKey == "" {
		cfg.SecretKey = "gaffer"
	}
	opts := lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(cfg.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, ""),
		// Step Functions' Retry decides: no retries in the client.
		Retryer: aws.NopRetryer{},
	}
	if cfg.HTTPClient != nil {
		opts.HTTPClient = cfg.HTTPClient
	}
	return &Lambda{client: lambda.New(opts)}
}

// Invocation is a Lambda call of a Task state.
type Invocation struct {
	// Region is the region of the execution; a function ARN names its own.
	Region string
	// Parameters are lambda:invoke's (FunctionName, Payload,
	// InvocationType, Qualifier, ClientContext, LogType), for a Task of
	// arn:aws:states:::lambda:invoke; for the function ARN form, Function
	// is the ARN and Input the payload.
	Parameters json.RawMessage
	Function   string
	Input      json.RawMessage
}

// invokeParameters are the Parameters of arn:aws:states:::lambda:invoke.
type invokeParameters struct {
	FunctionName   string          `json:"FunctionName"`
	Payload        json.RawMessage `json:"Payload"`
	InvocationType string          `json:"InvocationType"`
	Qualifier      string          `json:"Qualifier"`
	ClientContext  string          `json:"ClientContext"`
	LogType        string          `json:"LogType"`
}

// Invoke calls the function of a lambda:invoke Task and returns the
// Task's result, in the shape Step Functions gives it: {"ExecutedVersion",
// "Payload", "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode"} (and
// "LogResult" with LogType Tail). A failure is a *TaskError: the
// function's errorType (cause: its error payload) for a function error,
// Lambda.<exception> for an error of the Lambda service, and
// Lambda.SdkClientException when the endpoint cannot be reached.
func (l *Lambda) Invoke(ctx context.Context, inv Invocation) (json.RawMessage, error) {
	var p invokeParameters
	if err := json.Unmarshal(inv.Parameters, &p); err != nil {
		return nil, &TaskError{Name: "States.Runtime", Cause: "lambda:invoke Parameters must be an object with FunctionName: " + err.Error()}
	}
	if p.FunctionName == "" {
		return nil, &TaskError{Name: "States.Runtime", Cause: "lambda:invoke Parameters have no FunctionName"}
	}
	payload := []byte(p.Payload)
	var s string
	if json.Unmarshal(p.Payload, &s) == nil {
		payload = []byte(s) // a string payload is sent as it is
	}
	in := &lambda.InvokeInput{FunctionName: aws.String(p.FunctionName), Payload: payload}
	if p.InvocationType != "" {
		in.InvocationType = lambdatypes.InvocationType(p.InvocationType)
	}
	if p.Qualifier != "" {
		in.Qualifier = aws.String(p.Qualifier)
	}
	if p.ClientContext != "" {
		in.ClientContext = aws.String(p.ClientContext)
	}
	if p.LogType != "" {
		in.LogType = lambdatypes.LogType(p.LogType)
	}
	out, meta, err := l.invoke(ctx, inv.Region, p.FunctionName, in)
	if err != nil {
		return nil, err
	}
	res := struct {
		ExecutedVersion     string          `json:"ExecutedVersion,omitempty"`
		LogResult           string          `json:"LogResult,omitempty"`
		Payload             json.RawMessage `json:"Payload"`
		SdkHTTPMetadata     httpMetadata    `json:"SdkHttpMetadata"`
		SdkResponseMetadata responseMeta    `json:"SdkResponseMetadata"`
		StatusCode          int32           `json:"StatusCode"`
	}{
		ExecutedVersion:     aws.ToString(out.ExecutedVersion),
		LogResult:           aws.ToString(out.LogResult),
		Payload:             payloadJSON(out.Payload),
		SdkHTTPMetadata:     meta,
		SdkResponseMetadata: responseMeta{RequestID: meta.requestID},
		StatusCode:          out.StatusCode,
	}
	b, err := json.Marshal(res)
	if err != nil {
		return nil, &TaskError{Name: "States.Runtime", Cause: err.Error()}
	}
	return b, nil
}

// InvokeFunction calls the function of a Task whose Resource is a Lambda
// function ARN with the state's input, and returns the function's payload
// itself, as Step Functions does for that form. Failures are as Invoke's.
func (l *Lambda) InvokeFunction(ctx context.Context, inv Invocation) (json.RawMessage, error) {
	out, _, err := l.invoke(ctx, inv.Region, inv.Function, &lambda.InvokeInput{FunctionName: aws.String(inv.Function), Payload: inv.Input})
	if err != nil {
		return nil, err
	}
	return payloadJSON(out.Payload), nil
}

type httpMetadata struct {
	AllHTTPHeaders map[string][]string `json:"AllHttpHeaders"`
	HTTPHeaders    map[string]string   `json:"HttpHeaders"`
	HTTPStatusCode int                 `json:"HttpStatusCode"`
	requestID      string
}

type responseMeta struct {
	RequestID string `json:"RequestId"`
}

// invoke makes the call; a function error or a service error is a
// *TaskError.
func (l *Lambda) invoke(ctx context.Context, region, function string, in *lambda.InvokeInput) (*lambda.InvokeOutput, httpMetadata, error) {
	if r := functionRegion(function); r != "" {
		region = r
	}
	var meta httpMetadata
	out, err := l.client.Invoke(ctx, in, func(o *lambda.Options) {
		if region != "" {
			o.Region = region
		}
		o.APIOptions = append(o.APIOptions, captureHeaders(&meta))
	})
	if err != nil {
		return nil, meta, serviceError(err)
	}
	if fe := aws.ToString(out.FunctionError); fe != "" {
		var body struct {
			ErrorType string `json:"errorType"`
		}
		_ = json.Unmarshal(out.Payload, &body)
		name := body.ErrorType
		if name == "" {
			name = "Lambda.Unknown"
		}
		return nil, meta, &TaskError{Name: name, Cause: string(out.Payload)}
	}
	return out, meta, nil
}

// functionRegion returns the region of a function ARN, or "".
func functionRegion(function string) string {
	parts := strings.Split(function, ":")
	if len(parts) >= 7 && parts[0] == "arn" && parts[2] == "lambda" {
		return parts[3]
	}
	return ""
}

// payloadJSON returns a function's response payload as JSON: itself if it
// is JSON, else a JSON string of it.
func payloadJSON(p []byte) json.RawMessage {
	p = bytes.TrimSpace(p)
	if len(p) > 0 && json.Valid(p) {
		return p
	}
	b, _ := json.Marshal(string(p))
	return b
}

// serviceError maps an error of the Lambda client to Step Functions'
// names: Lambda.<exception> for a service error, Lambda.SdkClientException
// for one that got no answer.
func serviceError(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		status := 0
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) {
			status = re.HTTPStatusCode()
		}
		code := ae.ErrorCode()
		name := "Lambda." + code
		if code == "" || strings.ContainsAny(code, " :") {
			name = "Lambda.AWSLambdaException"
		}
		return &TaskError{Name: name, Cause: fmt.Sprintf("%s (Service: Lambda, Status Code: %d, Error Code: %s)", ae.ErrorMessage(), status, code)}
	}
	return &TaskError{Name: "Lambda.SdkClientException", Cause: "Unable to execute HTTP request: " + err.Error()}
}

// captureHeaders records the HTTP answer's status and headers in meta,
// for the SdkHttpMetadata of lambda:invoke's result.
func captureHeaders(meta *httpMetadata) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("gafferHTTPMetadata", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if resp, ok := out.RawResponse.(*smithyhttp.Response); ok {
				meta.HTTPStatusCode = resp.StatusCode
				meta.requestID = resp.Header.Get("X-Amzn-Requestid")
				meta.AllHTTPHeaders = make(map[string][]string, len(resp.Header))
				meta.HTTPHeaders = make(map[string]string, len(resp.Header))
				for k, v := range resp.Header {
					meta.AllHTTPHeaders[k] = v
					if len(v) > 0 {
						meta.HTTPHeaders[k] = v[0]
					}
				}
			}
			return out, md, err
		}), middleware.After)
	}
}
