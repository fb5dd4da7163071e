package pipeline_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"

	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// Markers expire 24 hours after they were issued (gaffer's choice: AWS
// documents the lifetime of Step Functions' and SWF's page tokens, not Data
// Pipeline's markers); an expired one is InvalidRequestException.
func TestMarkerExpires(t *testing.T) {
	t.Parallel()
	var clock servertest.Clock
	b := &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{Now: clock.Now})).DataPipeline()}
	id := b.Create(t, "marker-expiry")
	b.Put(t, id, queryDefinition())
	in := &datapipeline.QueryObjectsInput{PipelineId: aws.String(id), Sphere: aws.String("COMPONENT"), Limit: aws.Int32(2)}
	first, err := b.Client.QueryObjects(b.Ctx, in)
	servertest.OK(t, "QueryObjects", err)
	if first.Marker == nil {
		t.Fatal("QueryObjects: no marker for the next page")
	}
	in.Marker = first.Marker
	clock.Advance(23 * time.Hour)
	_, err = b.Client.QueryObjects(b.Ctx, in)
	servertest.OK(t, "QueryObjects with a 23-hour-old marker", err)
	clock.Advance(time.Hour + time.Minute)
	_, err = b.Client.QueryObjects(b.Ctx, in)
	servertest.WantClientError(t, "QueryObjects with a marker older than 24 hours", err, "InvalidRequestException")
}
