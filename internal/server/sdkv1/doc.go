// Package sdkv1 has no code of its own: its tests run one flow of each
// dialect (Step Functions, SWF, Data Pipeline) through the wire with the
// AWS SDK for Go v1 (github.com/aws/aws-sdk-go), the older SDK that many
// existing workers still use, so that the shapes it reads and the error
// codes it maps stay covered alongside the v2 clients of the other tests.
package sdkv1
