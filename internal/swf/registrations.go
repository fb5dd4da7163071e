package swf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/swferr"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// maxExecutionSeconds is the longest a workflow execution may run (one
// year); defaultExecutionStartToCloseTimeout may not exceed it nor be NONE.
const maxExecutionSeconds = 365 * 24 * 60 * 60

type registerActivityTypeInput struct {
	Domain                            string    `json:"domain"`
	Name                              string    `json:"name"`
	Version                           string    `json:"version"`
	Description                       string    `json:"description"`
	DefaultTaskStartToCloseTimeout    string    `json:"defaultTaskStartToCloseTimeout"`
	DefaultTaskHeartbeatTimeout       string    `json:"defaultTaskHeartbeatTimeout"`
	DefaultTaskList                   *TaskList `json:"defaultTaskList"`
	DefaultTaskPriority               string    `json:"defaultTaskPriority"`
	DefaultTaskScheduleToStartTimeout string    `json:"defaultTaskScheduleToStartTimeout"`
	DefaultTaskScheduleToCloseTimeout string    `json:"defaultTaskScheduleToCloseTimeout"`
}

type registerWorkflowTypeInput struct {
	Domain                              string    `json:"domain"`
	Name                                string    `json:"name"`
	Version                             string    `json:"version"`
	Description                         string    `json:"description"`
	DefaultTaskStartToCloseTimeout      string    `json:"defaultTaskStartToCloseTimeout"`
	DefaultExecutionStartToCloseTimeout string    `json:"defaultExecutionStartToCloseTimeout"`
	DefaultTaskList                     *TaskList `json:"defaultTaskList"`
	DefaultTaskPriority                 string    `json:"defaultTaskPriority"`
	DefaultChildPolicy                  string    `json:"defaultChildPolicy"`
	DefaultLambdaRole                   string    `json:"defaultLambdaRole"`
}

type activityTypeInput struct {
	Domain       string       `json:"domain"`
	ActivityType ActivityType `json:"activityType"`
}

type workflowTypeInput struct {
	Domain       string       `json:"domain"`
	WorkflowType WorkflowType `json:"workflowType"`
}

type listTypesInput struct {
	Domain             string `json:"domain"`
	Name               string `json:"name"`
	RegistrationStatus string `json:"registrationStatus"`
	NextPageToken      string `json:"nextPageToken"`
	MaximumPageSize    int    `json:"maximumPageSize"`
	ReverseOrder       bool   `json:"reverseOrder"`
}

// ActivityTypeInfo describes an activity type.
type ActivityTypeInfo struct {
	ActivityType    ActivityType     `json:"activityType"`
	Status          string           `json:"status"`
	Description     string           `json:"description,omitempty"`
	CreationDate    awsapi.Timestamp `json:"creationDate"`
	DeprecationDate awsapi.Timestamp `json:"deprecationDate,omitzero"`
}

// ActivityTypeConfiguration is an activity type's registered defaults.
type ActivityTypeConfiguration struct {
	DefaultTaskStartToCloseTimeout    string    `json:"defaultTaskStartToCloseTimeout,omitempty"`
	DefaultTaskHeartbeatTimeout       string    `json:"defaultTaskHeartbeatTimeout,omitempty"`
	DefaultTaskList                   *TaskList `json:"defaultTaskList,omitempty"`
	DefaultTaskPriority               string    `json:"defaultTaskPriority,omitempty"`
	DefaultTaskScheduleToStartTimeout string    `json:"defaultTaskScheduleToStartTimeout,omitempty"`
	DefaultTaskScheduleToCloseTimeout string    `json:"defaultTaskScheduleToCloseTimeout,omitempty"`
}

// WorkflowTypeInfo describes a workflow type.
type WorkflowTypeInfo struct {
	WorkflowType    WorkflowType     `json:"workflowType"`
	Status          string           `json:"status"`
	Description     string           `json:"description,omitempty"`
	CreationDate    awsapi.Timestamp `json:"creationDate"`
	DeprecationDate awsapi.Timestamp `json:"deprecationDate,omitzero"`
}

// WorkflowTypeConfiguration is a workflow type's registered defaults.
type WorkflowTypeConfiguration struct {
	DefaultTaskStartToCloseTimeout      string    `json:"defaultTaskStartToCloseTimeout,omitempty"`
	DefaultExecutionStartToCloseTimeout string    `json:"defaultExecutionStartToCloseTimeout,omitempty"`
	DefaultTaskList                     *TaskList `json:"defaultTaskList,omitempty"`
	DefaultTaskPriority                 string    `json:"defaultTaskPriority,omitempty"`
	DefaultChildPolicy                  string    `json:"defaultChildPolicy,omitempty"`
	DefaultLambdaRole                   string    `json:"defaultLambdaRole,omitempty"`
}

type activityTypeDetail struct {
	TypeInfo      ActivityTypeInfo          `json:"typeInfo"`
	Configuration ActivityTypeConfiguration `json:"configuration"`
}

type workflowTypeDetail struct {
	TypeInfo      WorkflowTypeInfo          `json:"typeInfo"`
	Configuration WorkflowTypeConfiguration `json:"configuration"`
}

type activityTypeInfos struct {
	TypeInfos     []ActivityTypeInfo `json:"typeInfos"`
	NextPageToken string             `json:"nextPageToken,omitempty"`
}

type workflowTypeInfos struct {
	TypeInfos     []WorkflowTypeInfo `json:"typeInfos"`
	NextPageToken string             `json:"nextPageToken,omitempty"`
}

// typeRecord is what activity and workflow types share: the operations
// that deprecate, undeprecate, delete and list them work on either.
type typeRecord interface {
	ident() (name, version string)
	regState() (status *string, deprecated *time.Time)
}

func (a *activityType) ident() (string, string)         { return a.Name, a.Version }
func (a *activityType) regState() (*string, *time.Time) { return &a.Status, &a.Deprecated }
func (w *workflowType) ident() (string, string)         { return w.Name, w.Version }
func (w *workflowType) regState() (*string, *time.Time) { return &w.Status, &w.Deprecated }

func newActivityTypeRecord() typeRecord { return new(activityType) }
func newWorkflowTypeRecord() typeRecord { return new(workflowType) }

// typeSortKey orders types by name, then version ('\x00' sorts before any
// character a name may hold).
func typeSortKey(r typeRecord) string {
	name, version := r.ident()
	return name + "\x00" + version
}

// taskListOf returns the TaskList named name, or nil for "".
func taskListOf(name string) *TaskList {
	if name == "" {
		return nil
	}
	return &TaskList{Name: name}
}

// typeNoun names a type kind in messages as AWS does.
func typeNoun(kind string) string {
	if kind == kindActivityType {
		return "ActivityType"
	}
	return "WorkflowType"
}

func typeNotFound(kind, domain, name, version string) error {
	return swferr.UnknownType(typeNoun(kind), name, version)
}

func typeAlreadyExists(kind, domain, name, version string) error {
	return swferr.TypeAlreadyExists(typeNoun(kind), name, version)
}

func (a *activityType) info() ActivityTypeInfo {
	return ActivityTypeInfo{
		ActivityType:    ActivityType{Name: a.Name, Version: a.Version},
		Status:          a.Status,
		Description:     a.Description,
		CreationDate:    awsapi.NewTimestamp(a.Created),
		DeprecationDate: awsapi.NewTimestamp(a.Deprecated),
	}
}

func (a *activityType) configuration() ActivityTypeConfiguration {
	return ActivityTypeConfiguration{
		DefaultTaskStartToCloseTimeout:    a.DefaultStartToClose,
		DefaultTaskHeartbeatTimeout:       a.DefaultHeartbeat,
		DefaultTaskList:                   taskListOf(a.DefaultTaskList),
		DefaultTaskPriority:               a.DefaultTaskPriority,
		DefaultTaskScheduleToStartTimeout: a.DefaultScheduleToStart,
		DefaultTaskScheduleToCloseTimeout: a.DefaultScheduleToClose,
	}
}

func (w *workflowType) info() WorkflowTypeInfo {
	return WorkflowTypeInfo{
		WorkflowType:    WorkflowType{Name: w.Name, Version: w.Version},
		Status:          w.Status,
		Description:     w.Description,
		CreationDate:    awsapi.NewTimestamp(w.Created),
		DeprecationDate: awsapi.NewTimestamp(w.Deprecated),
	}
}

func (w *workflowType) configuration() WorkflowTypeConfiguration {
	return WorkflowTypeConfiguration{
		DefaultTaskStartToCloseTimeout:      w.DefaultTaskStartToClose,
		DefaultExecutionStartToCloseTimeout: w.DefaultExecutionStartToClose,
		DefaultTaskList:                     taskListOf(w.DefaultTaskList),
		DefaultTaskPriority:                 w.DefaultTaskPriority,
		DefaultChildPolicy:                  w.DefaultChildPolicy,
		DefaultLambdaRole:                   w.DefaultLambdaRole,
	}
}

// loadActivityType reads an activity type, or returns (nil, nil) if the
// domain has no such type.
func loadActivityType(tx store.Tx, domain, name, version string) (*activityType, error) {
	var a activityType
	if ok, err := readType(tx, kindActivityType, domain, name, version, &a); !ok || err != nil {
		return nil, err
	}
	return &a, nil
}

// loadWorkflowType reads a workflow type, or returns (nil, nil) if the
// domain has no such type.
func loadWorkflowType(tx store.Tx, domain, name, version string) (*workflowType, error) {
	var w workflowType
	if ok, err := readType(tx, kindWorkflowType, domain, name, version, &w); !ok || err != nil {
		return nil, err
	}
	return &w, nil
}

// loadType decodes a stored type into rec and reports whether it exists,
// locking its row for the write that follows (deprecation).
func loadType(tx store.Tx, kind, domain, name, version string, rec typeRecord) (bool, error) {
	return decodeType(tx.GetObject, kind, domain, name, version, rec)
}

// readType is loadType without the lock (store.Tx.ReadObject): for the
// starts and decisions that only read the type, and share it.
func readType(tx store.Tx, kind, domain, name, version string, rec typeRecord) (bool, error) {
	return decodeType(tx.ReadObject, kind, domain, name, version, rec)
}

func decodeType(get func(kind, id string) (*store.Object, error), kind, domain, name, version string, rec typeRecord) (bool, error) {
	o, err := get(kind, typeID(domain, name, version))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(o.Body, rec); err != nil {
		return false, fmt.Errorf("decode %s %s: %w", kind, o.ID, err)
	}
	return true, nil
}

// checkDuration checks an optional SWF duration: "", "NONE" or whole
// seconds.
func checkDuration(field, v string) error {
	if v == "" || v == "NONE" {
		return nil
	}
	if !allDigits(v) {
		return swferr.ValidationException("Invalid %s '%s': give a whole number of seconds or NONE", field, v)
	}
	_, _, err := parseDuration(field, v)
	return err
}

// checkPriority checks an optional task priority (a Java int) and returns
// it in canonical form.
func checkPriority(field, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return "", swferr.ValidationException("Invalid %s '%s': give a whole number from -2147483648 to 2147483647", field, v)
	}
	return strconv.FormatInt(n, 10), nil
}

// checkTypeRegistration checks what activity and workflow type
// registrations share.
func checkTypeRegistration(name, version string, taskList *TaskList) (string, error) {
	if err := checkName("name", name); err != nil {
		return "", err
	}
	if err := checkName("version", version); err != nil {
		return "", err
	}
	if taskList == nil {
		return "", nil
	}
	if err := checkName("defaultTaskList.name", taskList.Name); err != nil {
		return "", err
	}
	return taskList.Name, nil
}

// RegisterActivityType registers an activity type with its defaults.
func (s *Service) RegisterActivityType(ctx context.Context, in *registerActivityTypeInput) (*struct{}, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	taskList, err := checkTypeRegistration(in.Name, in.Version, in.DefaultTaskList)
	if err != nil {
		return nil, err
	}
	for _, d := range []struct{ field, v string }{
		{"defaultTaskStartToCloseTimeout", in.DefaultTaskStartToCloseTimeout},
		{"defaultTaskHeartbeatTimeout", in.DefaultTaskHeartbeatTimeout},
		{"defaultTaskScheduleToStartTimeout", in.DefaultTaskScheduleToStartTimeout},
		{"defaultTaskScheduleToCloseTimeout", in.DefaultTaskScheduleToCloseTimeout},
	} {
		if err := checkDuration(d.field, d.v); err != nil {
			return nil, err
		}
	}
	priority, err := checkPriority("defaultTaskPriority", in.DefaultTaskPriority)
	if err != nil {
		return nil, err
	}
	a := &activityType{
		Domain:                 in.Domain,
		Name:                   in.Name,
		Version:                in.Version,
		Status:                 statusRegistered,
		Description:            in.Description,
		Created:                s.eng.Now().UTC(),
		DefaultTaskList:        taskList,
		DefaultTaskPriority:    priority,
		DefaultScheduleToStart: in.DefaultTaskScheduleToStartTimeout,
		DefaultScheduleToClose: in.DefaultTaskScheduleToCloseTimeout,
		DefaultStartToClose:    in.DefaultTaskStartToCloseTimeout,
		DefaultHeartbeat:       in.DefaultTaskHeartbeatTimeout,
	}
	return s.registerType(ctx, kindActivityType, in.Domain, a)
}

// RegisterWorkflowType registers a workflow type with its defaults.
func (s *Service) RegisterWorkflowType(ctx context.Context, in *registerWorkflowTypeInput) (*struct{}, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	taskList, err := checkTypeRegistration(in.Name, in.Version, in.DefaultTaskList)
	if err != nil {
		return nil, err
	}
	if err := checkDuration("defaultTaskStartToCloseTimeout", in.DefaultTaskStartToCloseTimeout); err != nil {
		return nil, err
	}
	if v := in.DefaultExecutionStartToCloseTimeout; v != "" {
		n, err := strconv.Atoi(v)
		if !allDigits(v) || err != nil || n > maxExecutionSeconds {
			return nil, swferr.ValidationException("Invalid defaultExecutionStartToCloseTimeout '%s': give a whole number of seconds up to %d (one year); NONE is not allowed", v, maxExecutionSeconds)
		}
	}
	priority, err := checkPriority("defaultTaskPriority", in.DefaultTaskPriority)
	if err != nil {
		return nil, err
	}
	w := &workflowType{
		Domain:                       in.Domain,
		Name:                         in.Name,
		Version:                      in.Version,
		Status:                       statusRegistered,
		Description:                  in.Description,
		Created:                      s.eng.Now().UTC(),
		DefaultTaskList:              taskList,
		DefaultTaskPriority:          priority,
		DefaultExecutionStartToClose: in.DefaultExecutionStartToCloseTimeout,
		DefaultTaskStartToClose:      in.DefaultTaskStartToCloseTimeout,
		DefaultChildPolicy:           in.DefaultChildPolicy,
		DefaultLambdaRole:            in.DefaultLambdaRole,
	}
	return s.registerType(ctx, kindWorkflowType, in.Domain, w)
}

// registerType stores a new type in a registered domain.
func (s *Service) registerType(ctx context.Context, kind, domainName string, rec typeRecord) (*struct{}, error) {
	name, version := rec.ident()
	body, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", kind, err)
	}
	err = s.update(ctx, func(tx store.Tx) error {
		d, err := loadDomain(tx, domainName)
		if err != nil {
			return err
		}
		if d.Status == statusDeprecated {
			return swferr.DomainDeprecated(d.Name)
		}
		err = tx.InsertObject(&store.Object{Kind: kind, ID: typeID(domainName, name, version), Parent: domainName, Status: statusRegistered, Body: body})
		if errors.Is(err, store.ErrExists) {
			return typeAlreadyExists(kind, domainName, name, version)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// describeType loads a type of a known domain into rec.
func (s *Service) describeType(ctx context.Context, kind, domainName, name, version string, rec typeRecord) error {
	return s.view(ctx, func(tx store.Tx) error {
		if _, err := loadDomain(tx, domainName); err != nil {
			return err
		}
		ok, err := loadType(tx, kind, domainName, name, version, rec)
		if err == nil && !ok {
			err = typeNotFound(kind, domainName, name, version)
		}
		return err
	})
}

// DescribeActivityType describes an activity type and its defaults.
func (s *Service) DescribeActivityType(ctx context.Context, in *activityTypeInput) (*activityTypeDetail, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	var a activityType
	if err := s.describeType(ctx, kindActivityType, in.Domain, in.ActivityType.Name, in.ActivityType.Version, &a); err != nil {
		return nil, err
	}
	return &activityTypeDetail{TypeInfo: a.info(), Configuration: a.configuration()}, nil
}

// DescribeWorkflowType describes a workflow type and its defaults.
func (s *Service) DescribeWorkflowType(ctx context.Context, in *workflowTypeInput) (*workflowTypeDetail, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	var w workflowType
	if err := s.describeType(ctx, kindWorkflowType, in.Domain, in.WorkflowType.Name, in.WorkflowType.Version, &w); err != nil {
		return nil, err
	}
	return &workflowTypeDetail{TypeInfo: w.info(), Configuration: w.configuration()}, nil
}

// typeChange is what Deprecate, Undeprecate and Delete do to a type.
type typeChange int

const (
	changeDeprecate typeChange = iota
	changeUndeprecate
	changeDelete
)

// changeType deprecates, undeprecates or deletes a type.
func (s *Service) changeType(ctx context.Context, kind, domainName, name, version string, rec typeRecord, change typeChange) (*struct{}, error) {
	now := s.eng.Now().UTC()
	err := s.update(ctx, func(tx store.Tx) error {
		if _, err := loadDomain(tx, domainName); err != nil {
			return err
		}
		ok, err := loadType(tx, kind, domainName, name, version, rec)
		if err != nil {
			return err
		}
		if !ok {
			return typeNotFound(kind, domainName, name, version)
		}
		id := typeID(domainName, name, version)
		status, deprecated := rec.regState()
		switch change {
		case changeDeprecate:
			if *status == statusDeprecated {
				return swferr.TypeDeprecated(typeNoun(kind), name, version)
			}
			*status, *deprecated = statusDeprecated, now
		case changeUndeprecate:
			if *status == statusRegistered {
				return typeAlreadyExists(kind, domainName, name, version)
			}
			*status, *deprecated = statusRegistered, time.Time{}
		case changeDelete:
			if *status != statusDeprecated {
				return swferr.TypeNotDeprecated(typeNoun(kind), name, version)
			}
			return tx.DeleteObject(kind, id)
		}
		return putJSON(tx, kind, id, domainName, *status, rec)
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// DeprecateActivityType deprecates an activity type: no new tasks of it
// can be scheduled; tasks already scheduled run on.
func (s *Service) DeprecateActivityType(ctx context.Context, in *activityTypeInput) (*struct{}, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	return s.changeType(ctx, kindActivityType, in.Domain, in.ActivityType.Name, in.ActivityType.Version, new(activityType), changeDeprecate)
}

// UndeprecateActivityType makes a deprecated activity type usable again.
func (s *Service) UndeprecateActivityType(ctx context.Context, in *activityTypeInput) (*struct{}, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	return s.changeType(ctx, kindActivityType, in.Domain, in.ActivityType.Name, in.ActivityType.Version, new(activityType), changeUndeprecate)
}

// DeleteActivityType deletes a deprecated activity type.
func (s *Service) DeleteActivityType(ctx context.Context, in *activityTypeInput) (*struct{}, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	return s.changeType(ctx, kindActivityType, in.Domain, in.ActivityType.Name, in.ActivityType.Version, new(activityType), changeDelete)
}

// DeprecateWorkflowType deprecates a workflow type: no new executions of
// it can start; running ones run on.
func (s *Service) DeprecateWorkflowType(ctx context.Context, in *workflowTypeInput) (*struct{}, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	return s.changeType(ctx, kindWorkflowType, in.Domain, in.WorkflowType.Name, in.WorkflowType.Version, new(workflowType), changeDeprecate)
}

// UndeprecateWorkflowType makes a deprecated workflow type usable again.
func (s *Service) UndeprecateWorkflowType(ctx context.Context, in *workflowTypeInput) (*struct{}, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	return s.changeType(ctx, kindWorkflowType, in.Domain, in.WorkflowType.Name, in.WorkflowType.Version, new(workflowType), changeUndeprecate)
}

// DeleteWorkflowType deletes a deprecated workflow type.
func (s *Service) DeleteWorkflowType(ctx context.Context, in *workflowTypeInput) (*struct{}, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	return s.changeType(ctx, kindWorkflowType, in.Domain, in.WorkflowType.Name, in.WorkflowType.Version, new(workflowType), changeDelete)
}

// listTypes returns one page of a domain's types of one kind and status,
// optionally of one name, ordered by name then version.
func (s *Service) listTypes(ctx context.Context, kind string, in *listTypesInput, fresh func() typeRecord) ([]typeRecord, string, error) {
	var all []typeRecord
	err := s.view(ctx, func(tx store.Tx) error {
		if _, err := loadDomain(tx, in.Domain); err != nil {
			return err
		}
		objs, err := tx.ListObjects(store.ObjectQuery{Kind: kind, Parent: in.Domain, Status: in.RegistrationStatus})
		if err != nil {
			return err
		}
		for _, o := range objs {
			rec := fresh()
			if err := json.Unmarshal(o.Body, rec); err != nil {
				return fmt.Errorf("decode %s %s: %w", kind, o.ID, err)
			}
			if name, _ := rec.ident(); in.Name != "" && name != in.Name {
				continue
			}
			all = append(all, rec)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	listing := listingKey(kind, in.Domain, in.RegistrationStatus, in.Name, strconv.FormatBool(in.ReverseOrder))
	return sortedPage(s.pager(), all, typeSortKey, listing, in.NextPageToken, in.MaximumPageSize, in.ReverseOrder)
}

// ListActivityTypes lists a domain's activity types by name and version.
func (s *Service) ListActivityTypes(ctx context.Context, in *listTypesInput) (*activityTypeInfos, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	page, next, err := s.listTypes(ctx, kindActivityType, in, newActivityTypeRecord)
	if err != nil {
		return nil, err
	}
	out := &activityTypeInfos{TypeInfos: make([]ActivityTypeInfo, len(page)), NextPageToken: next}
	for i, r := range page {
		out.TypeInfos[i] = r.(*activityType).info()
	}
	return out, nil
}

// ListWorkflowTypes lists a domain's workflow types by name and version.
func (s *Service) ListWorkflowTypes(ctx context.Context, in *listTypesInput) (*workflowTypeInfos, error) {
	if err := s.authorize(ctx, in.Domain); err != nil {
		return nil, err
	}
	in.Domain = s.domainKey(ctx, in.Domain)
	page, next, err := s.listTypes(ctx, kindWorkflowType, in, newWorkflowTypeRecord)
	if err != nil {
		return nil, err
	}
	out := &workflowTypeInfos{TypeInfos: make([]WorkflowTypeInfo, len(page)), NextPageToken: next}
	for i, r := range page {
		out.TypeInfos[i] = r.(*workflowType).info()
	}
	return out, nil
}
