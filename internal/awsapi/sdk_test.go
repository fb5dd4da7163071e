package awsapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
)

var testCreds = aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", Source: "test"}

func TestRegionFromSigV4(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	body := `{"taskToken":"t"}`
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.SendTaskHeartbeat")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), testCreds, req, hex.EncodeToString(sum[:]), "states", "eu-west-3", time.Now()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(req.Header.Get("Authorization"), "/eu-west-3/states/aws4_request") {
		t.Fatalf("unexpected Authorization %q", req.Header.Get("Authorization"))
	}
	resp, err := b.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if region, _ := b.last(); region != "eu-west-3" {
		t.Errorf("Region(ctx) = %q, want eu-west-3", region)
	}
}

// TestSDKClient drives the handler with the real Step Functions client: it
// must parse outputs, timestamps, request ids and every error shape.
func TestSDKClient(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	client := sfn.New(sfn.Options{
		Region:           "eu-central-1",
		BaseEndpoint:     aws.String(b.srv.URL),
		Credentials:      aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testCreds, nil }),
		HTTPClient:       b.srv.Client(),
		RetryMaxAttempts: 1,
	})
	ctx := context.Background()

	out, err := client.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("worker")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.ActivityArn), "arn:aws:states:eu-central-1:123456789012:activity:worker"; got != want {
		t.Errorf("ActivityArn = %q, want %q", got, want)
	}
	if !out.CreationDate.Equal(fixedTime) {
		t.Errorf("CreationDate = %v, want %v", out.CreationDate, fixedTime)
	}
	reqID, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	if region, id := b.last(); id != reqID || region != "eu-central-1" {
		t.Errorf("server saw request %q region %q; SDK request id %q", id, region, reqID)
	}

	if _, err := client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String("t")}); err != nil {
		t.Errorf("SendTaskHeartbeat: %v", err)
	}

	_, err = client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String("dead")})
	var timedOut *types.TaskTimedOut
	if !errors.As(err, &timedOut) || timedOut.ErrorMessage() != "Provided task does not exist anymore" {
		t.Errorf("SendTaskHeartbeat(dead) = %v, want *types.TaskTimedOut", err)
	}

	_, err = client.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String("missing")})
	var notExist *types.ActivityDoesNotExist
	if !errors.As(err, &notExist) {
		t.Errorf("DescribeActivity(missing) = %v, want *types.ActivityDoesNotExist", err)
	}

	// StartExecution models ValidationException, so the SDK types it.
	_, err = client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String("arn"), Name: aws.String(strings.Repeat("n", 81))})
	var validation *types.ValidationException
	if !errors.As(err, &validation) || !strings.HasPrefix(validation.ErrorMessage(), "1 validation error detected: Value 'nnn") {
		t.Errorf("StartExecution(long name) = %v, want *types.ValidationException", err)
	}
	// CreateActivity does not: a generic API error with the code.
	_, err = client.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String(strings.Repeat("n", 81))})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationException" {
		t.Errorf("CreateActivity(long name) = %v, want code ValidationException", err)
	}

	tests := []struct {
		arn, code string
		status    int
	}{
		{"throttle", "ThrottlingException", 400},
		{"fail", "InternalFailure", 500},
		{"wrapped", "ResourceNotFound", 404},
	}
	for _, tt := range tests {
		_, err = client.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(tt.arn)})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.code {
			t.Errorf("DescribeActivity(%s) = %v, want code %s", tt.arn, err, tt.code)
		}
		var respErr interface{ HTTPStatusCode() int }
		if !errors.As(err, &respErr) || respErr.HTTPStatusCode() != tt.status {
			t.Errorf("DescribeActivity(%s): status %v, want %d", tt.arn, respErr, tt.status)
		}
	}

	desc, err := client.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String("bare")})
	if err != nil || aws.ToString(desc.Name) != "bare" || desc.CreationDate != nil {
		t.Errorf("DescribeActivity(bare) = %+v, %v", desc, err)
	}

	start, err := client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String("arn:sm"), Name: aws.String("run-1"), Input: aws.String(`{"k":"v"}`),
	})
	if err != nil || aws.ToString(start.ExecutionArn) != "arn:sm:run-1" || !start.StartDate.Equal(fixedTime) {
		t.Errorf("StartExecution = %+v, %v", start, err)
	}
}
