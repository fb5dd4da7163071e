package sfn

import (
	"context"
	"fmt"
	"time"

	"github.com/gaffer-dev/gaffer/internal/asl"
	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/sfnerr"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// RedriveExecution: an execution that failed, timed out or was stopped
// within the last 14 days resumes, under the same ARN and on the same
// definition, from the states that did not succeed (asl.Machine.RedrivePoint,
// kept in the record when it ended): an ExecutionRedriven event, then the
// failed or aborted states entered again with the input they had. Branches
// and iterations of Parallel and inline Map states that succeeded are not
// run again.

const (
	// redrivablePeriod is how long after its stop an execution may be
	// redriven.
	redrivablePeriod = 14 * 24 * time.Hour
	// maxRedrives is AWS's limit of redrives of one execution.
	maxRedrives = 1000
	// redriveTokenLife is how long a redrive's clientToken makes the same
	// request answer as the first time (AWS: 15 minutes).
	redriveTokenLife = 15 * time.Minute
	// maxOpenTime is AWS's maximum open time of a Standard execution.
	maxOpenTime = 365 * 24 * time.Hour
)

type redriveInput struct {
	ExecutionArn string `json:"executionArn"`
	ClientToken  string `json:"clientToken"`
}

type redriveOutput struct {
	RedriveDate awsapi.Timestamp `json:"redriveDate"`
}

type executionRedrivenDetails struct {
	RedriveCount int `json:"redriveCount"`
}

// notRedrivable returns why ex cannot be redriven at now, "" if it can,
// in AWS's words where AWS has them.
func notRedrivable(ex *execution, now time.Time) string {
	switch {
	case ex.Status == statusRunning || ex.Status == statusSucceeded:
		return fmt.Sprintf("Execution is %s and cannot be redriven", ex.Status)
	case ex.MapRunARN != "":
		return "Execution is a child execution of a Map Run: redrive its parent execution"
	case now.Sub(ex.StopDate) > redrivablePeriod:
		return "Execution redrivable period exceeded"
	case ex.RedriveCount >= maxRedrives:
		return fmt.Sprintf("Execution has been redriven the maximum number of times (%d)", maxRedrives)
	case ex.LastEventID >= maxHistoryEvents-10:
		return "Execution history event limit exceeded"
	case now.Sub(ex.StartDate) > maxOpenTime:
		return "Execution has exceeded the max execution time"
	case ex.Redrive == nil:
		return "Execution has no state to resume from (it ended before entering one, or its definition could not be run)"
	}
	return ""
}

// describeRedrive sets DescribeExecution's redrive members.
func (s *Service) describeRedrive(ex *execution, out *describeExecutionOutput) {
	out.RedriveCount = ex.RedriveCount
	out.RedriveDate = awsapi.Timestamp{Time: ex.RedriveDate}
	if ex.Status == statusRunning {
		return
	}
	if reason := notRedrivable(ex, s.eng.Now()); reason != "" {
		out.RedriveStatus, out.RedriveStatusReason = "NOT_REDRIVABLE", reason
		return
	}
	out.RedriveStatus = "REDRIVABLE"
}

// RedriveExecution resumes an execution that failed, timed out or was
// stopped from the states that did not succeed.
func (s *Service) RedriveExecution(ctx context.Context, in *redriveInput) (*redriveOutput, error) {
	if _, err := s.parseARN(ctx, in.ExecutionArn, "execution"); err != nil {
		return nil, err
	}
	if err := awsapi.Authorize(ctx, in.ExecutionArn); err != nil {
		return nil, err
	}
	var ex execution
	err := s.update(ctx, func(tx store.Tx) error {
		if _, err := getObject(tx, kindExecution, in.ExecutionArn, &ex, executionNotFound(in.ExecutionArn)); err != nil {
			return err
		}
		now := s.eng.Now().UTC()
		if in.ClientToken != "" && in.ClientToken == ex.RedriveToken && now.Sub(ex.RedriveDate) < redriveTokenLife {
			return nil // this redrive again: answered as the first time
		}
		if reason := notRedrivable(&ex, now); reason != "" {
			return sfnerr.ExecutionNotRedrivable("%s", reason)
		}
		machine, err := s.machineByHash(tx, ex.DefHash)
		if err != nil {
			return sfnerr.ExecutionNotRedrivable("Execution's definition cannot be loaded: %v", err)
		}
		ex.Exec, ex.Redrive = ex.Redrive, nil
		ex.Status, ex.StopDate, ex.Output, ex.Error, ex.Cause = statusRunning, time.Time{}, nil, "", ""
		ex.RedriveCount++
		ex.RedriveDate, ex.RedriveToken = now, in.ClientToken
		r := &run{s: s, tx: tx, ex: &ex, m: machine, rec: &recorder{ex: &ex, now: now}}
		r.rec.add(historyEvent{Type: "ExecutionRedriven", ExecutionRedriven: &executionRedrivenDetails{RedriveCount: ex.RedriveCount}}, -1)
		if machine.TimeoutSeconds > 0 {
			// The execution's timeout counts again from the redrive.
			tm := &store.Timer{OwnerKind: ownerKind, OwnerID: ex.ARN, Kind: timerTimeout, FireAt: now.Add(time.Duration(machine.TimeoutSeconds) * time.Second)}
			if err := s.eng.SetTimer(tx, tm); err != nil {
				return err
			}
			ex.TimeoutTimerID = tm.ID
		}
		if err := r.advance(asl.Input{Kind: asl.InputContinue}); err != nil {
			return err
		}
		return r.save(false)
	})
	if err != nil {
		return nil, err
	}
	return &redriveOutput{RedriveDate: awsapi.Timestamp{Time: ex.RedriveDate}}, nil
}

// executionFilter returns ListExecutions's filters other than the status
// (redriveFilter; a version or alias ARN) as a name for the page token and
// a test of each execution; "" and nil for none.
func executionFilter(in *listExecutionsInput) (string, func(*store.Object) (bool, error)) {
	redrive, only := in.RedriveFilter, in.only
	if redrive == "" && only == "" {
		return "", nil
	}
	return "redrive=" + redrive + "\x00only=" + only, func(o *store.Object) (bool, error) {
		var ex struct {
			RedriveCount int    `json:"redriveCount"`
			VersionARN   string `json:"versionArn"`
			AliasARN     string `json:"aliasArn"`
		}
		if err := decode(o, &ex); err != nil {
			return false, err
		}
		switch {
		case redrive == "REDRIVEN" && ex.RedriveCount == 0, redrive == "NOT_REDRIVEN" && ex.RedriveCount > 0:
			return false, nil
		case only != "" && ex.VersionARN != only && ex.AliasARN != only:
			return false, nil
		}
		return true, nil
	}
}
