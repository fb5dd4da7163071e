package sfn

import (
	"bytes"
	"encoding/json"
	"regexp"

	"github.com/gaffer-dev/gaffer/internal/awsapi/sfnerr"
)

// The checks of a state machine's and an activity's settings that AWS makes
// beyond the model's constraints (which the wire layer checks before an
// operation runs: enums, lengths, kmsDataKeyReusePeriodSeconds in 60..900).

// encryptionAWSOwned is the encryption of a resource created without
// encryptionConfiguration: AWS's own key.
const encryptionAWSOwned = "AWS_OWNED_KEY"

// checkEncryption answers InvalidEncryptionConfiguration for settings AWS
// refuses: a customer managed key needs its kmsKeyId. gaffer calls no KMS,
// so a key is never refused for not existing, being asymmetric or disabled.
func checkEncryption(e *EncryptionConfiguration) error {
	if e != nil && e.Type == "CUSTOMER_MANAGED_KMS_KEY" && e.KmsKeyID == "" {
		return sfnerr.InvalidEncryptionConfiguration("Invalid Encryption Configuration: 'kmsKeyId' is required when 'type' is 'CUSTOMER_MANAGED_KMS_KEY'")
	}
	return nil
}

// defaultEncryption returns e, or AWS_OWNED_KEY (what AWS describes for a
// resource created without settings) if e is nil.
func defaultEncryption(e *EncryptionConfiguration) *EncryptionConfiguration {
	if e == nil {
		return &EncryptionConfiguration{Type: encryptionAWSOwned}
	}
	return e
}

// sameJSON reports whether a and b encode alike: settings compared as the
// wire shows them.
func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// roleARN is the form of an IAM role's ARN: a partition, IAM (no region),
// a 12-digit account, and "role/" with an optional path before the name.
var roleARN = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/([\x21-\x7e]+/)*[\w+=,.@-]{1,64}$`)

// checkRoleArn answers InvalidArn, in AWS's words, for a roleArn that is
// not an IAM role's ARN. gaffer assumes no role: the role is not checked to
// exist.
func checkRoleArn(roleArn string) error {
	if !roleARN.MatchString(roleArn) {
		return sfnerr.InvalidArn("Invalid Role Arn: '%s'", roleArn)
	}
	return nil
}

// checkLogging answers InvalidLoggingConfiguration for the rules the model
// documents: at most one destination, one required unless the level is
// OFF, and a CloudWatch Logs log group ARN that ends with ":*".
func checkLogging(l *LoggingConfiguration) error {
	if l == nil {
		return nil
	}
	var dests []struct {
		CloudWatchLogsLogGroup *struct {
			LogGroupArn string `json:"logGroupArn"`
		} `json:"cloudWatchLogsLogGroup"`
	}
	if len(l.Destinations) > 0 {
		if err := json.Unmarshal(l.Destinations, &dests); err != nil {
			return sfnerr.InvalidLoggingConfiguration("Invalid Logging Configuration: destinations is not a list of log destinations")
		}
	}
	switch {
	case len(dests) > 1:
		return sfnerr.InvalidLoggingConfiguration("Invalid Logging Configuration: destinations is limited to 1 destination")
	case len(dests) == 0 && l.Level != "" && l.Level != "OFF":
		return sfnerr.InvalidLoggingConfiguration("Invalid Logging Configuration: a destination is required when level is not OFF")
	}
	for _, d := range dests {
		if d.CloudWatchLogsLogGroup == nil || !logGroupARN.MatchString(d.CloudWatchLogsLogGroup.LogGroupArn) {
			return sfnerr.InvalidLoggingConfiguration("Invalid Logging Configuration: the destination's logGroupArn must be a CloudWatch Logs log group ARN ending with ':*'")
		}
	}
	return nil
}

// logGroupARN is the form of the log group ARN of a log destination.
var logGroupARN = regexp.MustCompile(`^arn:aws(-[a-z]+)*:logs:[a-z0-9-]+:[0-9]{12}:log-group:[^:]+:\*$`)
