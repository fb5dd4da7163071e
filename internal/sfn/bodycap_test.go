package sfn_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// TestLargestDefinitionFitsBodyCap: a definition within the model's
// 1,048,576 characters is accepted however its JSON escapes. Each U+2028 in
// a string literal is one character that the SDK escapes to six bytes
// (\u2028), so the request is about 6 MB.
func TestLargestDefinitionFitsBodyCap(t *testing.T) {
	t.Parallel()
	b := setup(t)
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"` + strings.Repeat("\u2028", 1_000_000) + `","End":true}}}`
	out, err := b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{
		Name:       aws.String(servertest.Uniq("big")),
		Definition: aws.String(def),
		RoleArn:    aws.String("arn:aws:iam::000000000000:role/test"),
	})
	if err != nil {
		t.Fatalf("CreateStateMachine with a %d-character definition: %v", len([]rune(def)), err)
	}
	got, err := b.Client.DescribeStateMachine(b.Ctx, &sfn.DescribeStateMachineInput{StateMachineArn: out.StateMachineArn})
	if err != nil || aws.ToString(got.Definition) != def {
		t.Fatalf("DescribeStateMachine: definition round-trips %v, %v", got != nil && aws.ToString(got.Definition) == def, err)
	}

	// Past the cap, the body is still refused, unread.
	huge := `{"name":"x","roleArn":"r","definition":"` + strings.Repeat("x", awsapi.DefaultMaxBodyBytes) + `"}`
	req, _ := http.NewRequest(http.MethodPost, b.URL, strings.NewReader(huge))
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.CreateStateMachine")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || resp.Header.Get("X-Amzn-ErrorType") != "RequestEntityTooLargeException" {
		t.Errorf("over-cap body: %d %s, want 413 RequestEntityTooLargeException", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	// And the SDK sees the same error.
	_, err = b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{
		Name:       aws.String(servertest.Uniq("huge")),
		Definition: aws.String(strings.Repeat(" ", awsapi.DefaultMaxBodyBytes)),
		RoleArn:    aws.String("arn:aws:iam::000000000000:role/test"),
	})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "RequestEntityTooLargeException" {
		t.Errorf("over-cap CreateStateMachine: %v, want RequestEntityTooLargeException", err)
	}
}
