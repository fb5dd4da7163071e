package asl

import "testing"

func TestParseResource(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want Resource
		ok   bool
	}{
		{"arn:aws:states:us-east-1:123456789012:activity:a", Resource{Kind: ResourceActivity}, true},
		{"arn:aws:lambda:us-east-1:123456789012:function:f", Resource{Kind: ResourceLambdaFunction, Service: "lambda", Action: "arn:aws:lambda:us-east-1:123456789012:function:f"}, true},
		{"arn:aws:lambda:us-east-1:123456789012:function:f:live", Resource{Kind: ResourceLambdaFunction, Service: "lambda", Action: "arn:aws:lambda:us-east-1:123456789012:function:f:live"}, true},
		{"arn:aws:states:::lambda:invoke", Resource{Kind: ResourceService, Service: "lambda", Action: "invoke"}, true},
		{"arn:aws:states:::lambda:invoke.waitForTaskToken", Resource{Kind: ResourceService, Service: "lambda", Action: "invoke", Pattern: PatternWaitForToken}, true},
		{"arn:aws:states:::states:startExecution.sync:2", Resource{Kind: ResourceService, Service: "states", Action: "startExecution", Pattern: PatternSync2}, true},
		{"arn:aws:states:::aws-sdk:s3:listBuckets", Resource{Kind: ResourceService, Service: "aws-sdk:s3", Action: "listBuckets"}, true},
		{"arn:aws:states:::ecs:runTask.sync", Resource{Kind: ResourceService, Service: "ecs", Action: "runTask", Pattern: PatternSync}, true},
		{"arn:aws:states:::sqs:sendMessage.waitForIt", Resource{}, false},
		{"arn:aws:states:::sqs", Resource{}, false},
		{"arn:aws:lambda:us-east-1:123456789012:function:", Resource{}, false},
		{"arn:aws:s3:::bucket", Resource{}, false},
		{"lambda", Resource{}, false},
	} {
		got, ok := ParseResource(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseResource(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if got := taskEvent("arn:aws:states:::sqs:sendMessage", "Scheduled"); got != "TaskScheduled" {
		t.Errorf("taskEvent service = %s", got)
	}
	if got := taskEvent("arn:aws:lambda:us-east-1:1:function:f", "Succeeded"); got != "LambdaFunctionSucceeded" {
		t.Errorf("taskEvent lambda = %s", got)
	}
	if got := taskEvent("arn:aws:states:us-east-1:1:activity:a", "Started"); got != "ActivityStarted" {
		t.Errorf("taskEvent activity = %s", got)
	}
}
