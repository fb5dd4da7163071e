package sfn

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/sfnerr"
	"github.com/gaffer-dev/gaffer/internal/store"
)

func defaultJitter() float64 { return rand.Float64() }

// activity is the stored record of an activity.
type activity struct {
	ARN       string    `json:"arn"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created"`
	Tags      []Tag     `json:"tags,omitempty"`
	// Encryption is the encryptionConfiguration as given (nil: none).
	Encryption *EncryptionConfiguration `json:"encryption,omitempty"`
}

// queueOf returns the engine queue of an activity.
func queueOf(activityARN string) string { return ownerKind + ":" + activityARN }

func activityNotFound(a string) error {
	return sfnerr.ActivityDoesNotExist("Activity Does Not Exist: '%s'", a)
}

// CreateActivity creates an activity, or returns the existing one of the
// same name (the call is idempotent by name; differing tags are ignored, as
// AWS does). An activity's encryptionConfiguration may not be updated: one
// that differs from the existing activity's is ActivityAlreadyExists.
func (s *Service) CreateActivity(ctx context.Context, in *createActivityInput) (*createActivityOutput, error) {
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	if err := checkEncryption(in.EncryptionConfiguration); err != nil {
		return nil, err
	}
	a := activity{
		ARN:        arn{region: awsapi.Region(ctx), account: s.account, resource: "activity", name: in.Name}.String(),
		Name:       in.Name,
		CreatedAt:  s.eng.Now().UTC(),
		Tags:       in.Tags,
		Encryption: in.EncryptionConfiguration,
	}
	if err := awsapi.Authorize(ctx, a.ARN); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx store.Tx) error {
		o, err := tx.GetObject(kindActivity, a.ARN)
		if err == nil {
			var old activity
			if err := decode(o, &old); err != nil {
				return err
			}
			if !sameJSON(defaultEncryption(old.Encryption), defaultEncryption(a.Encryption)) {
				return sfnerr.ActivityAlreadyExists("Activity Already Exists: '%s' with a different encryptionConfiguration, which may not be updated", a.ARN)
			}
			a = old
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return putObject(tx, kindActivity, a.ARN, "", "", &a)
	})
	if err != nil {
		return nil, err
	}
	return &createActivityOutput{ActivityArn: a.ARN, CreationDate: awsapi.Timestamp{Time: a.CreatedAt}}, nil
}

// DescribeActivity describes an activity.
func (s *Service) DescribeActivity(ctx context.Context, in *activityArnInput) (*describeActivityOutput, error) {
	if _, err := s.parseARN(ctx, in.ActivityArn, "activity"); err != nil {
		return nil, err
	}
	if err := awsapi.Authorize(ctx, in.ActivityArn); err != nil {
		return nil, err
	}
	var a activity
	err := s.view(ctx, func(tx store.Tx) error {
		_, err := getObject(tx, kindActivity, in.ActivityArn, &a, activityNotFound(in.ActivityArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &describeActivityOutput{ActivityArn: a.ARN, Name: a.Name, CreationDate: awsapi.Timestamp{Time: a.CreatedAt}, EncryptionConfiguration: defaultEncryption(a.Encryption)}, nil
}

// ListActivities lists activities in creation order.
func (s *Service) ListActivities(ctx context.Context, in *listInput) (*listActivitiesOutput, error) {
	if err := awsapi.Authorize(ctx, "*"); err != nil {
		return nil, err
	}
	out := &listActivitiesOutput{Activities: []activityListItem{}}
	err := s.list(ctx, kindActivity, "", "", awsapi.Region(ctx), in.MaxResults, in.NextToken, false, &out.NextToken, func(o *store.Object) error {
		var a activity
		if err := decode(o, &a); err != nil {
			return err
		}
		out.Activities = append(out.Activities, activityListItem{ActivityArn: a.ARN, Name: a.Name, CreationDate: awsapi.Timestamp{Time: a.CreatedAt}})
		return nil
	})
	return out, err
}

// DeleteActivity deletes an activity. Deleting one that does not exist
// succeeds, as on AWS.
func (s *Service) DeleteActivity(ctx context.Context, in *activityArnInput) (*empty, error) {
	if _, err := s.parseARN(ctx, in.ActivityArn, "activity"); errors.Is(err, errForeign) {
		// Another region's: not here, as one that does not exist.
		return &empty{}, awsapi.Authorize(ctx, in.ActivityArn)
	} else if err != nil {
		return nil, err
	}
	if err := awsapi.Authorize(ctx, in.ActivityArn); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx store.Tx) error {
		err := tx.DeleteObject(kindActivity, in.ActivityArn)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		tx.AfterCommit(func() {
			s.deletions.Add(1)
			s.activities.Delete(in.ActivityArn)
		})
		return err
	})
	return &empty{}, err
}
