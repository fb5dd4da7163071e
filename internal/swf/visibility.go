package swf

import "github.com/gaffer-dev/gaffer/internal/awsapi"

// visibilityOps returns the read-only execution operations: describe,
// history, list and count.
func (s *Service) visibilityOps() map[string]awsapi.Operation {
	return map[string]awsapi.Operation{}
}
