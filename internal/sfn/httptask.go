package sfn

import (
	"time"

	"github.com/gaffer-dev/gaffer/internal/asl"
)

// isHTTP reports whether a resource is an HTTP Task
// (arn:aws:states:::http:invoke), which the workers of queueHTTP call
// (integration.HTTP).
func isHTTP(res asl.Resource) bool {
	return res.Kind == asl.ResourceService && res.Service == "http" && res.Action == "invoke" && res.Pattern == asl.PatternRequestResponse
}

// maxHTTPCall bounds an HTTP Task call whose state sets no TimeoutSeconds.
const maxHTTPCall = time.Minute
