package swf

import "github.com/gaffer-dev/gaffer/internal/awsapi"

// controlOps returns the control-plane operations: domains, activity and
// workflow types, tags.
func (s *Service) controlOps() map[string]awsapi.Operation {
	return map[string]awsapi.Operation{}
}
