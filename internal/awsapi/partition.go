package awsapi

import (
	"context"
	"strings"
)

// partitions maps region prefixes to the partitions AWS's endpoint data
// (the SDKs' partitions.json, "regionRegex") puts them in, most specific
// first: us-gov-west-1 is in aws-us-gov, us-isob-east-1 in aws-iso-b.
var partitions = []struct{ prefix, partition string }{
	{"us-gov-", "aws-us-gov"},
	{"us-isob-", "aws-iso-b"},
	{"us-isof-", "aws-iso-f"},
	{"us-iso-", "aws-iso"},
	{"eu-isoe-", "aws-iso-e"},
	{"eusc-", "aws-eusc"},
	{"cn-", "aws-cn"},
}

// Partition returns the ARN partition of region as AWS's endpoint data
// defines it: "aws-cn" for cn-north-1, "aws-us-gov" for us-gov-west-1,
// "aws-iso", "aws-iso-b", "aws-iso-e" and "aws-iso-f" for the ISO regions
// (us-iso-*, us-isob-*, eu-isoe-*, us-isof-*), "aws-eusc" for the European
// Sovereign Cloud (eusc-*), and "aws" for every other region, as the SDKs
// resolve a region they do not know.
func Partition(region string) string {
	for _, p := range partitions {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}

// HomeRegion returns the node's default region (Config.DefaultRegion), the
// region of unsigned requests. Stored records that name no region (kept
// from before regions were kept apart) belong to it. Outside a request it
// returns DefaultRegion.
func HomeRegion(ctx context.Context) string {
	if ri, ok := ctx.Value(requestKey{}).(*requestInfo); ok && ri.home != "" {
		return ri.home
	}
	return DefaultRegion
}
