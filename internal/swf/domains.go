package swf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/awsapi/swferr"
	"github.com/gaffer-dev/gaffer/internal/engine"
	"github.com/gaffer-dev/gaffer/internal/store"
)

// maxRetentionDays is SWF's longest workflowExecutionRetentionPeriodInDays.
const maxRetentionDays = 90

type registerDomainInput struct {
	Name          string        `json:"name"`
	Description   string        `json:"description"`
	RetentionDays string        `json:"workflowExecutionRetentionPeriodInDays"`
	Tags          []ResourceTag `json:"tags"`
}

type domainNameInput struct {
	Name string `json:"name"`
}

type listDomainsInput struct {
	NextPageToken      string `json:"nextPageToken"`
	RegistrationStatus string `json:"registrationStatus"`
	MaximumPageSize    int    `json:"maximumPageSize"`
	ReverseOrder       bool   `json:"reverseOrder"`
}

// DomainInfo describes a domain.
type DomainInfo struct {
	Name        string `json:"name"`
	Status      string `json:"status"`
	Description string `json:"description,omitempty"`
	Arn         string `json:"arn,omitempty"`
}

// DomainConfiguration is a domain's configuration.
type DomainConfiguration struct {
	WorkflowExecutionRetentionPeriodInDays string `json:"workflowExecutionRetentionPeriodInDays"`
}

type domainDetail struct {
	DomainInfo    DomainInfo          `json:"domainInfo"`
	Configuration DomainConfiguration `json:"configuration"`
}

type domainInfos struct {
	DomainInfos   []DomainInfo `json:"domainInfos"`
	NextPageToken string       `json:"nextPageToken,omitempty"`
}

func (d *domain) info() DomainInfo {
	return DomainInfo{Name: d.Name, Status: d.Status, Description: d.Description, Arn: d.ARN}
}

// key returns the domain's key in the store.
func (d *domain) key() string {
	if d.Key == "" {
		return d.Name
	}
	return d.Key
}

// domainKey returns the key in the store of the domain name of the
// request's region: SWF keeps each region's domains, and everything in
// them, apart. A domain of the node's default region (awsapi.HomeRegion)
// is keyed by its name, as every domain was before regions were kept
// apart, so those records belong to the default region; a domain of any
// other region by "<region>/<name>" (names cannot contain '/'). Task
// queues, types, executions and their page tokens all name the domain by
// this key.
func (s *Service) domainKey(ctx context.Context, name string) string {
	region := awsapi.Region(ctx)
	if region == awsapi.HomeRegion(ctx) {
		return name
	}
	return region + "/" + name
}

// domainName returns the name of the domain with the key k (domainKey).
func domainName(k string) string {
	return k[strings.LastIndexByte(k, '/')+1:]
}

// keyRegion returns the region of the domain key k, home for a key
// without one.
func keyRegion(k, home string) string {
	if i := strings.LastIndexByte(k, '/'); i >= 0 {
		return k[:i]
	}
	return home
}

// domainARN returns the ARN of the domain in the request's region, in that
// region's partition; name may be the domain's key (domainKey).
func (s *Service) domainARN(ctx context.Context, name string) string {
	region := awsapi.Region(ctx)
	return "arn:" + awsapi.Partition(region) + ":swf:" + region + ":" + s.account + ":/domain/" + domainName(name)
}

// authorize checks that the caller may perform the request's operation on
// the domain name (awsapi.Authorize): SWF authorizes every domain-scoped
// action on the domain's ARN. Unauthenticated requests build no ARN.
func (s *Service) authorize(ctx context.Context, name string) error {
	if _, ok := awsapi.Caller(ctx); !ok {
		return nil
	}
	return awsapi.Authorize(ctx, s.domainARN(ctx, name))
}

// authorizeToken authorizes an operation on a task token on the domain of
// the token's task, which its engine queue names
// ("swf:a:<domain>|<task list>"). A token that names no open task answers
// the engine's error, as the operation would. A token is an id too: one
// whose domain is another region's answers as a token of a task that does
// not exist (engine.ErrTaskClosed: UnknownResourceFault), signed or not.
func (s *Service) authorizeToken(ctx context.Context, token string) error {
	q, err := s.eng.TaskQueue(token)
	if err != nil {
		return s.tokenError(ctx, token, err)
	}
	d := queueDomain(q)
	if keyRegion(d, awsapi.HomeRegion(ctx)) != awsapi.Region(ctx) {
		return engine.ErrTaskClosed
	}
	if _, ok := awsapi.Caller(ctx); !ok {
		return nil
	}
	return awsapi.Authorize(ctx, s.domainARN(ctx, d))
}

// checkRetention checks a workflowExecutionRetentionPeriodInDays: "NONE"
// or a whole number of days from 0 to 90.
func checkRetention(v string) error {
	if v == "NONE" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || !allDigits(v) || n > maxRetentionDays {
		return swferr.ValidationException("Invalid workflowExecutionRetentionPeriodInDays '%s': give a whole number of days from 0 to %d, or NONE", v, maxRetentionDays)
	}
	return nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// putDomain stores a domain, with its status as the object's status so that
// ListDomains can filter on it.
func putDomain(tx store.Tx, d *domain) error {
	return putJSON(tx, kindDomain, d.key(), "", d.Status, d)
}

// RegisterDomain registers a new domain.
func (s *Service) RegisterDomain(ctx context.Context, in *registerDomainInput) (*struct{}, error) {
	if err := s.authorize(ctx, in.Name); err != nil {
		return nil, err
	}
	if err := checkName("name", in.Name); err != nil {
		return nil, err
	}
	if err := checkRetention(in.RetentionDays); err != nil {
		return nil, err
	}
	tags, err := mergeTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	key := s.domainKey(ctx, in.Name)
	d := domain{
		Name:          in.Name,
		Description:   in.Description,
		Status:        statusRegistered,
		RetentionDays: in.RetentionDays,
		ARN:           s.domainARN(ctx, in.Name),
		Tags:          tags,
		Created:       s.eng.Now().UTC(),
	}
	if key != in.Name {
		d.Key = key
	}
	body, err := json.Marshal(&d)
	if err != nil {
		return nil, fmt.Errorf("encode domain: %w", err)
	}
	err = s.update(ctx, func(tx store.Tx) error {
		err := tx.InsertObject(&store.Object{Kind: kindDomain, ID: d.key(), Status: d.Status, Body: body})
		if errors.Is(err, store.ErrExists) {
			return swferr.DomainAlreadyExists(d.Name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// DescribeDomain describes a domain.
func (s *Service) DescribeDomain(ctx context.Context, in *domainNameInput) (*domainDetail, error) {
	if err := s.authorize(ctx, in.Name); err != nil {
		return nil, err
	}
	in.Name = s.domainKey(ctx, in.Name)
	var d *domain
	err := s.view(ctx, func(tx store.Tx) error {
		var err error
		d, err = loadDomain(tx, in.Name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &domainDetail{DomainInfo: d.info(), Configuration: DomainConfiguration{WorkflowExecutionRetentionPeriodInDays: d.RetentionDays}}, nil
}

// ListDomains lists the domains of the caller's region (domainKey) of one
// registration status, by name.
func (s *Service) ListDomains(ctx context.Context, in *listDomainsInput) (*domainInfos, error) {
	if err := awsapi.Authorize(ctx, "*"); err != nil {
		return nil, err
	}
	region, home := awsapi.Region(ctx), awsapi.HomeRegion(ctx)
	var all []DomainInfo
	err := s.view(ctx, func(tx store.Tx) error {
		objs, err := tx.ListObjects(store.ObjectQuery{Kind: kindDomain, Status: in.RegistrationStatus})
		if err != nil {
			return err
		}
		all = make([]DomainInfo, 0, len(objs))
		for _, o := range objs {
			if keyRegion(o.ID, home) != region {
				continue
			}
			var d domain
			if err := json.Unmarshal(o.Body, &d); err != nil {
				return fmt.Errorf("decode domain %s: %w", o.ID, err)
			}
			all = append(all, d.info())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	listing := listingKey("domains", region, in.RegistrationStatus, strconv.FormatBool(in.ReverseOrder))
	page, next, err := sortedPage(s.pager(), all, func(d DomainInfo) string { return d.Name }, listing, in.NextPageToken, in.MaximumPageSize, in.ReverseOrder)
	if err != nil {
		return nil, err
	}
	return &domainInfos{DomainInfos: page, NextPageToken: next}, nil
}

// DeprecateDomain deprecates a domain and, as on AWS, every activity and
// workflow type registered in it. Executions already started run on.
func (s *Service) DeprecateDomain(ctx context.Context, in *domainNameInput) (*struct{}, error) {
	if err := s.authorize(ctx, in.Name); err != nil {
		return nil, err
	}
	in.Name = s.domainKey(ctx, in.Name)
	now := s.eng.Now().UTC()
	err := s.update(ctx, func(tx store.Tx) error {
		d, err := lockDomain(tx, in.Name)
		if err != nil {
			return err
		}
		if d.Status == statusDeprecated {
			return swferr.DomainDeprecated(d.Name)
		}
		d.Status = statusDeprecated
		if err := putDomain(tx, d); err != nil {
			return err
		}
		if err := deprecateAll(tx, kindActivityType, d.Name, func() typeRecord { return new(activityType) }, now); err != nil {
			return err
		}
		return deprecateAll(tx, kindWorkflowType, d.Name, func() typeRecord { return new(workflowType) }, now)
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// deprecateAll deprecates the registered types of one kind in a domain.
func deprecateAll(tx store.Tx, kind, domainName string, fresh func() typeRecord, now time.Time) error {
	objs, err := tx.ListObjects(store.ObjectQuery{Kind: kind, Parent: domainName, Status: statusRegistered})
	if err != nil {
		return err
	}
	for _, o := range objs {
		rec := fresh()
		if err := json.Unmarshal(o.Body, rec); err != nil {
			return fmt.Errorf("decode %s %s: %w", kind, o.ID, err)
		}
		status, deprecated := rec.regState()
		*status, *deprecated = statusDeprecated, now
		if err := putJSON(tx, kind, o.ID, domainName, statusDeprecated, rec); err != nil {
			return err
		}
	}
	return nil
}

// UndeprecateDomain makes a deprecated domain usable again. The types that
// deprecating it deprecated stay deprecated (undeprecate them one by one).
func (s *Service) UndeprecateDomain(ctx context.Context, in *domainNameInput) (*struct{}, error) {
	if err := s.authorize(ctx, in.Name); err != nil {
		return nil, err
	}
	in.Name = s.domainKey(ctx, in.Name)
	err := s.update(ctx, func(tx store.Tx) error {
		d, err := lockDomain(tx, in.Name)
		if err != nil {
			return err
		}
		if d.Status == statusRegistered {
			return swferr.DomainAlreadyExists(d.Name)
		}
		d.Status = statusRegistered
		return putDomain(tx, d)
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}
