package pipeline

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/pipeline/expr"
)

// Definition limits (AWS's defaults; errors, not warnings).
const (
	maxObjects    = 100 // objects per pipeline
	maxFields     = 50  // fields per object
	maxParameters = 50  // parameters per definition
)

// defaultObjectID is the id of the object every other object inherits
// fields from.
const defaultObjectID = "Default"

// Validation messages start with a code, as AWS's do
// ("INVALID_FIELD_VALUE: 'startDateTime' value must be a literal datetime
// value.").

// ValidationError lists the errors found in one object (or parameter).
type ValidationError struct {
	ID     string   `json:"id"`
	Errors []string `json:"errors"`
}

// ValidationWarning lists the warnings about one object (or parameter).
type ValidationWarning struct {
	ID       string   `json:"id"`
	Warnings []string `json:"warnings"`
}

// report collects validation errors and warnings by id, in the order found.
type report struct {
	errs  []ValidationError
	warns []ValidationWarning
}

func (r *report) errorf(id, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if i := slices.IndexFunc(r.errs, func(e ValidationError) bool { return e.ID == id }); i >= 0 {
		r.errs[i].Errors = append(r.errs[i].Errors, msg)
		return
	}
	r.errs = append(r.errs, ValidationError{ID: id, Errors: []string{msg}})
}

func (r *report) warnf(id, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if i := slices.IndexFunc(r.warns, func(w ValidationWarning) bool { return w.ID == id }); i >= 0 {
		r.warns[i].Warnings = append(r.warns[i].Warnings, msg)
		return
	}
	r.warns = append(r.warns, ValidationWarning{ID: id, Warnings: []string{msg}})
}

func (r *report) errored() bool { return len(r.errs) > 0 }

// index gives access to a definition's objects by id and resolves
// inherited fields.
type index struct {
	objs []PipelineObject
	byID map[string]*PipelineObject // the first object with each id
}

func newIndex(objs []PipelineObject) *index {
	ix := &index{objs: objs, byID: make(map[string]*PipelineObject, len(objs))}
	for i := range objs {
		if _, dup := ix.byID[objs[i].ID]; !dup {
			ix.byID[objs[i].ID] = &objs[i]
		}
	}
	return ix
}

// own returns o's fields with key.
func own(o *PipelineObject, key string) []Field {
	var fs []Field
	for _, f := range o.Fields {
		if f.Key == key {
			fs = append(fs, f)
		}
	}
	return fs
}

// lookup returns the fields with key that o has or inherits: its own, else
// those of its parent chain, else those of the Default object.
func (ix *index) lookup(o *PipelineObject, key string) []Field {
	seen := map[string]bool{}
	for cur := o; cur != nil && !seen[cur.ID]; {
		seen[cur.ID] = true
		if fs := own(cur, key); len(fs) > 0 {
			return fs
		}
		cur = ix.parentOf(cur)
	}
	if d := ix.byID[defaultObjectID]; d != nil && !seen[defaultObjectID] {
		return own(d, key)
	}
	return nil
}

// parentOf returns the object o's parent field refers to, or nil.
func (ix *index) parentOf(o *PipelineObject) *PipelineObject {
	for _, f := range o.Fields {
		if f.Key == "parent" && f.RefValue != nil {
			return ix.byID[*f.RefValue]
		}
	}
	return nil
}

// lookupString returns the first string value of key that o has or
// inherits ("" if none).
func (ix *index) lookupString(o *PipelineObject, key string) string {
	for _, f := range ix.lookup(o, key) {
		if f.StringValue != nil {
			return *f.StringValue
		}
	}
	return ""
}

// Object types (https://docs.aws.amazon.com/datapipeline/latest/DeveloperGuide/dp-pipeline-objects.html).
var (
	activityTypes = map[string]bool{
		"CopyActivity": true, "EmrActivity": true, "HadoopActivity": true, "HiveActivity": true,
		"HiveCopyActivity": true, "PigActivity": true, "RedshiftCopyActivity": true,
		"ShellCommandActivity": true, "SqlActivity": true,
	}
	otherTypes = map[string]bool{
		"Schedule":   true,
		"S3DataNode": true, "SqlDataNode": true, "DynamoDBDataNode": true, "MySqlDataNode": true, "RedshiftDataNode": true,
		"Ec2Resource": true, "EmrCluster": true, "EmrConfiguration": true, "HttpProxy": true, "Property": true,
		"DynamoDBDataExists": true, "DynamoDBTableExists": true, "Exists": true, "S3KeyExists": true,
		"S3PrefixNotEmpty": true, "ShellCommandPrecondition": true,
		"JdbcDatabase": true, "RdsDatabase": true, "RedshiftDatabase": true,
		"CSV": true, "Custom": true, "DynamoDBDataFormat": true, "DynamoDBExportDataFormat": true,
		"RegEx": true, "TSV": true,
		"SnsAlarm": true, "Terminate": true,
	}
	preconditionTypes = map[string]bool{
		"DynamoDBDataExists": true, "DynamoDBTableExists": true, "Exists": true, "S3KeyExists": true,
		"S3PrefixNotEmpty": true, "ShellCommandPrecondition": true,
	}
	actionTypes = map[string]bool{"SnsAlarm": true, "Terminate": true}
)

// Field keys with one value, keys whose value refers to an object, and
// keys whose value is a string.
var (
	singleKeys = map[string]bool{
		"type": true, "parent": true, "schedule": true, "workerGroup": true, "runsOn": true,
		"scheduleType": true, "period": true, "startDateTime": true, "endDateTime": true,
		"startAt": true, "command": true, "scriptUri": true,
	}
	refKeys = map[string]bool{
		"parent": true, "schedule": true, "runsOn": true, "input": true, "output": true,
		"precondition": true, "dependsOn": true, "onFail": true, "onSuccess": true, "onLateAction": true,
	}
	stringKeys = map[string]bool{
		"type": true, "workerGroup": true, "command": true, "scriptUri": true, "scriptArgument": true,
		"scheduleType": true, "period": true, "startDateTime": true, "endDateTime": true, "startAt": true,
	}
	// verbatimKeys hold values that are never evaluated as expressions.
	verbatimKeys = map[string]bool{"id": true, "name": true, "type": true, "@sphere": true}
)

// validateDefinition checks a definition as PutPipelineDefinition and
// ValidatePipelineDefinition do. Errors keep a definition from being saved;
// warnings do not.
func validateDefinition(pipelineID string, objs []PipelineObject, params []ParameterObject, values []ParameterValue) *report {
	r := &report{}
	if len(objs) > maxObjects {
		r.errorf(pipelineID, "TOO_MANY_OBJECTS: the definition has %d objects; a pipeline can have at most %d", len(objs), maxObjects)
	}
	counts := map[string]int{}
	for _, o := range objs {
		counts[o.ID]++
	}
	ix := newIndex(objs)
	if ix.byID[defaultObjectID] == nil {
		r.warnf(defaultObjectID, "MISSING_DEFAULT_OBJECT: the definition has no object with id 'Default'; fields every object shares (workerGroup, schedule, scheduleType, failureAndRerunMode...) usually go there")
	}
	reported := map[string]bool{}
	for i := range objs {
		o := &objs[i]
		if counts[o.ID] > 1 {
			if !reported[o.ID] {
				reported[o.ID] = true
				r.errorf(o.ID, "DUPLICATE_OBJECT_ID: %d objects have the id '%s'; object ids must be unique", counts[o.ID], o.ID)
			}
			continue
		}
		validateObject(r, ix, o)
	}
	validateParameters(r, pipelineID, params, values)
	checkBudget(r, pipelineID, ix, parameterValues(params, values))
	return r
}

// validateObject checks one object's fields.
func validateObject(r *report, ix *index, o *PipelineObject) {
	if len(o.Fields) > maxFields {
		r.errorf(o.ID, "TOO_MANY_FIELDS: the object has %d fields; an object can have at most %d", len(o.Fields), maxFields)
	}
	keyCount := map[string]int{}
	for _, f := range o.Fields {
		keyCount[f.Key]++
		switch {
		case f.StringValue != nil && f.RefValue != nil:
			r.errorf(o.ID, "INVALID_FIELD_VALUE: field '%s' has both a stringValue and a refValue; give one", f.Key)
			continue
		case f.StringValue == nil && f.RefValue == nil, f.StringValue != nil && *f.StringValue == "":
			r.errorf(o.ID, "EMPTY_FIELD: field '%s' is empty; give it a stringValue or a refValue, or leave it out", f.Key)
			continue
		}
		if strings.HasPrefix(f.Key, "@") {
			r.errorf(o.ID, "READ_ONLY_FIELD: field '%s' is set by the service; fields starting with '@' cannot be defined", f.Key)
			continue
		}
		if f.RefValue != nil {
			if stringKeys[f.Key] {
				r.errorf(o.ID, "INVALID_FIELD_VALUE: field '%s' takes a stringValue, not a refValue", f.Key)
			} else if ix.byID[*f.RefValue] == nil {
				r.errorf(o.ID, "INVALID_REFERENCE: field '%s' refers to '%s', which is not an object of this definition", f.Key, *f.RefValue)
			}
			continue
		}
		if refKeys[f.Key] {
			r.errorf(o.ID, "INVALID_FIELD_VALUE: field '%s' takes a refValue (the id of another object), not a stringValue", f.Key)
			continue
		}
		if !verbatimKeys[f.Key] {
			if err := expr.Validate(*f.StringValue); err != nil {
				r.errorf(o.ID, "INVALID_EXPRESSION: field '%s': %v", f.Key, err)
			}
		}
	}
	for _, k := range sortedKeys(keyCount) {
		if keyCount[k] > 1 && singleKeys[k] {
			r.errorf(o.ID, "INVALID_FIELD_VALUE: field '%s' is given %d times; it takes one value", k, keyCount[k])
		}
	}
	if chain, loops := parentLoop(ix, o); loops {
		r.errorf(o.ID, "INVALID_REFERENCE: the 'parent' fields form a loop: %s", chain)
	}

	// Fields that refer to objects of a given type.
	for _, f := range own(o, "schedule") {
		if f.RefValue == nil {
			continue
		}
		if target := ix.byID[*f.RefValue]; target != nil {
			if t := ix.lookupString(target, "type"); t != "Schedule" {
				r.errorf(o.ID, "INVALID_REFERENCE: field 'schedule' refers to '%s', which is %s, not a Schedule", *f.RefValue, typeDesc(t))
			}
		}
	}
	validateTiming(r, o)
	for _, rt := range typedRefs {
		for _, f := range own(o, rt.key) {
			if f.RefValue == nil {
				continue
			}
			if target := ix.byID[*f.RefValue]; target != nil {
				if t := ix.lookupString(target, "type"); !rt.types[t] {
					r.errorf(o.ID, "INVALID_REFERENCE: field '%s' refers to '%s', which is %s, not %s", rt.key, *f.RefValue, typeDesc(t), rt.what)
				}
			}
		}
	}
	if st := singleString(o, "scheduleType"); st != "" && !strings.Contains(st, "#{") {
		switch strings.ToLower(st) {
		case "cron", "timeseries", "ondemand":
		default:
			r.errorf(o.ID, "INVALID_FIELD_VALUE: 'scheduleType' value must be cron, timeseries or ondemand, not '%s'", st)
		}
	}

	typ := singleString(o, "type")
	if typ == "" {
		return // Default, or an object that only holds shared fields
	}
	switch {
	case activityTypes[typ]:
		if len(ix.lookup(o, "workerGroup")) == 0 && len(ix.lookup(o, "runsOn")) == 0 {
			r.errorf(o.ID, "MISSING_FIELD: a %s needs 'workerGroup' (the task runners that run it) or 'runsOn' (a resource), on itself, a parent or Default", typ)
		}
		if typ == "ShellCommandActivity" && len(ix.lookup(o, "command")) == 0 && len(ix.lookup(o, "scriptUri")) == 0 {
			r.errorf(o.ID, "MISSING_FIELD: a ShellCommandActivity needs 'command' or 'scriptUri'")
		}
	case typ == "Schedule":
		validateSchedule(r, ix, o)
	case !otherTypes[typ]:
		r.warnf(o.ID, "UNKNOWN_TYPE: '%s' is not a Data Pipeline object type", typ)
	}
}

// Reference fields whose target must be of some types.
var typedRefs = []struct {
	key   string
	types map[string]bool
	what  string
}{
	{"precondition", preconditionTypes, "a precondition (ShellCommandPrecondition, Exists, S3KeyExists...)"},
	{"onSuccess", actionTypes, "an action (SnsAlarm or Terminate)"},
	{"onFail", actionTypes, "an action (SnsAlarm or Terminate)"},
	{"onLateAction", actionTypes, "an action (SnsAlarm or Terminate)"},
}

// validateTiming checks the literal values of the retry and timeout
// fields that o sets, so that a definition that activation would refuse is
// refused when it is put.
func validateTiming(r *report, o *PipelineObject) {
	for _, k := range []string{"retryDelay", "attemptTimeout", "reportProgressTimeout", "preconditionTimeout", "lateAfterTimeout"} {
		if v := singleString(o, k); v != "" && !strings.Contains(v, "#{") {
			if _, err := parsePeriod(v); err != nil {
				r.errorf(o.ID, "INVALID_FIELD_VALUE: '%s' %v", k, err)
			}
		}
	}
	if v := singleString(o, "maximumRetries"); v != "" && !strings.Contains(v, "#{") {
		if n, err := strconv.Atoi(v); err != nil || n < 0 {
			r.errorf(o.ID, "INVALID_FIELD_VALUE: 'maximumRetries' value '%s' must be a whole number from 0 (at most %d are made)", v, maxMaxRetries)
		}
	}
	if v := singleString(o, "maxActiveInstances"); v != "" && !strings.Contains(v, "#{") {
		if n, err := strconv.Atoi(v); err != nil || n < 1 {
			r.errorf(o.ID, "INVALID_FIELD_VALUE: 'maxActiveInstances' value '%s' must be a whole number from 1", v)
		}
	}
}

// validateSchedule checks a Schedule's period and start and end times.
func validateSchedule(r *report, ix *index, o *PipelineObject) {
	period := ix.lookupString(o, "period")
	switch {
	case period == "":
		r.errorf(o.ID, "MISSING_FIELD: a Schedule needs 'period' (e.g. '1 hour')")
	case !strings.Contains(period, "#{"):
		if err := checkPeriod(period); err != nil {
			r.errorf(o.ID, "INVALID_FIELD_VALUE: 'period' %v", err)
		}
	}
	start, startAt := ix.lookupString(o, "startDateTime"), ix.lookupString(o, "startAt")
	if start == "" && startAt == "" {
		r.errorf(o.ID, "MISSING_FIELD: a Schedule needs 'startDateTime' or 'startAt'")
	}
	if startAt != "" && startAt != "FIRST_ACTIVATION_DATE_TIME" && !strings.Contains(startAt, "#{") {
		r.errorf(o.ID, "INVALID_FIELD_VALUE: 'startAt' value must be FIRST_ACTIVATION_DATE_TIME")
	}
	for _, k := range []string{"startDateTime", "endDateTime"} {
		if v := singleString(o, k); v != "" && !strings.Contains(v, "#{") {
			if _, err := time.Parse(fieldTime, v); err != nil {
				r.errorf(o.ID, "INVALID_FIELD_VALUE: '%s' value must be a literal datetime value.", k)
			}
		}
	}
}

// checkPeriod checks a Period value: "N years|months|weeks|days|hours|minutes",
// at least 15 minutes. As a gaffer extension "N seconds" is accepted with
// no minimum, so that tests of schedules run fast.
func checkPeriod(v string) error {
	n, unit, ok := strings.Cut(strings.TrimSpace(v), " ")
	count, err := strconv.Atoi(n)
	minutes := map[string]int{
		"minute": 1, "minutes": 1, "hour": 60, "hours": 60, "day": 1440, "days": 1440,
		"week": 10080, "weeks": 10080, "month": 43200, "months": 43200, "year": 525600, "years": 525600,
	}[strings.ToLower(strings.TrimSpace(unit))]
	if u := strings.ToLower(strings.TrimSpace(unit)); ok && err == nil && count > 0 && (u == "second" || u == "seconds") {
		return nil // gaffer extension: second periods, no minimum (for tests)
	}
	if !ok || err != nil || count <= 0 || minutes == 0 {
		return fmt.Errorf("value '%s' must be a period: a positive whole number and years, months, weeks, days, hours or minutes", v)
	}
	if count*minutes < 15 {
		return fmt.Errorf("value '%s' is shorter than the minimum period of 15 minutes", v)
	}
	return nil
}

// singleString returns o's own first string value of key ("" if none).
func singleString(o *PipelineObject, key string) string {
	for _, f := range own(o, key) {
		if f.StringValue != nil {
			return *f.StringValue
		}
	}
	return ""
}

// parentLoop reports whether o's parent chain loops, and the chain.
func parentLoop(ix *index, o *PipelineObject) (string, bool) {
	chain := []string{o.ID}
	seen := map[string]bool{o.ID: true}
	for cur := ix.parentOf(o); cur != nil; cur = ix.parentOf(cur) {
		chain = append(chain, cur.ID)
		if seen[cur.ID] {
			return strings.Join(chain, " → "), cur.ID == o.ID
		}
		seen[cur.ID] = true
	}
	return "", false
}

func typeDesc(t string) string {
	if t == "" {
		return "an object without a type"
	}
	return "a " + t
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Parameter attributes and types
// (https://docs.aws.amazon.com/datapipeline/latest/DeveloperGuide/dp-custom-templates.html).
var (
	parameterAttributes = map[string]bool{
		"type": true, "description": true, "optional": true, "allowedValues": true,
		"isArray": true, "default": true, "helpText": true, "watermark": true,
	}
	parameterTypes = map[string]bool{"String": true, "Integer": true, "Double": true, "AWS::S3::ObjectKey": true}
)

// parameter is a parameter object as validation and evaluation see it.
type parameter struct {
	typ      string
	optional bool
	isArray  bool
	allowed  []string
	defaults []string
}

// parseParameter reads a parameter object's attributes, reporting bad ones.
func parseParameter(r *report, po *ParameterObject) *parameter {
	p := &parameter{typ: "String"}
	for _, a := range po.Attributes {
		switch a.Key {
		case "type":
			if !parameterTypes[a.StringValue] {
				r.errorf(po.ID, "INVALID_PARAMETER: 'type' must be String, Integer, Double or AWS::S3::ObjectKey, not '%s'", a.StringValue)
			} else {
				p.typ = a.StringValue
			}
		case "optional", "isArray":
			b, err := strconv.ParseBool(a.StringValue)
			if err != nil || (a.StringValue != "true" && a.StringValue != "false") {
				r.errorf(po.ID, "INVALID_PARAMETER: '%s' must be true or false, not '%s'", a.Key, a.StringValue)
			} else if a.Key == "optional" {
				p.optional = b
			} else {
				p.isArray = b
			}
		case "allowedValues":
			p.allowed = append(p.allowed, a.StringValue)
		case "default":
			p.defaults = append(p.defaults, a.StringValue)
		default:
			if !parameterAttributes[a.Key] {
				r.warnf(po.ID, "UNKNOWN_ATTRIBUTE: '%s' is not a parameter attribute (type, description, optional, allowedValues, isArray, default, helpText, watermark)", a.Key)
			}
		}
	}
	return p
}

// validateParameters checks parameter objects and the values given for
// them.
func validateParameters(r *report, pipelineID string, params []ParameterObject, values []ParameterValue) {
	if len(params) > maxParameters {
		r.errorf(pipelineID, "TOO_MANY_PARAMETERS: the definition has %d parameters; it can have at most %d", len(params), maxParameters)
	}
	byID := map[string]*parameter{}
	for i := range params {
		po := &params[i]
		if _, dup := byID[po.ID]; dup {
			r.errorf(po.ID, "DUPLICATE_PARAMETER_ID: more than one parameter object has the id '%s'", po.ID)
			continue
		}
		if !strings.HasPrefix(strings.TrimPrefix(po.ID, "*"), "my") {
			r.errorf(po.ID, "INVALID_PARAMETER_ID: parameter ids must start with 'my' (or '*my' to hide the value)")
		}
		byID[po.ID] = parseParameter(r, po)
	}
	given := map[string][]string{}
	for _, v := range values {
		if byID[v.ID] == nil {
			if _, seen := given[v.ID]; !seen {
				r.errorf(v.ID, "UNKNOWN_PARAMETER: a value is given for '%s', which no parameter object defines", v.ID)
			}
		}
		given[v.ID] = append(given[v.ID], v.StringValue)
	}
	for i := range params {
		po := &params[i]
		p := byID[po.ID]
		if p == nil {
			continue
		}
		vals := given[po.ID]
		if len(vals) > 1 && !p.isArray {
			r.errorf(po.ID, "INVALID_PARAMETER_VALUE: %d values are given for '%s', which is not an array (isArray)", len(vals), po.ID)
		}
		if len(vals) == 0 {
			vals = p.defaults
		}
		if len(vals) == 0 && !p.optional {
			r.warnf(po.ID, "MISSING_PARAMETER_VALUE: '%s' has no value and no default; give one with PutPipelineDefinition or ActivatePipeline", po.ID)
		}
		for _, v := range vals {
			if err := p.check(v); err != nil {
				r.errorf(po.ID, "INVALID_PARAMETER_VALUE: '%s': %v", po.ID, err)
			}
		}
	}
}

// check checks one value of the parameter.
func (p *parameter) check(v string) error {
	switch p.typ {
	case "Integer":
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return fmt.Errorf("'%s' is not an Integer", v)
		}
	case "Double":
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return fmt.Errorf("'%s' is not a Double", v)
		}
	case "AWS::S3::ObjectKey":
		if !strings.HasPrefix(v, "s3://") {
			return fmt.Errorf("'%s' is not an S3 location (s3://bucket/key)", v)
		}
	}
	if len(p.allowed) > 0 && !slices.Contains(p.allowed, v) {
		return fmt.Errorf("'%s' is not one of the allowedValues %q", v, p.allowed)
	}
	return nil
}

// parameterValues returns each parameter's values: those given, else its
// defaults. Parameters without a value are left out.
func parameterValues(params []ParameterObject, values []ParameterValue) map[string][]string {
	out := map[string][]string{}
	for _, v := range values {
		out[v.ID] = append(out[v.ID], v.StringValue)
	}
	for _, po := range params {
		if _, ok := out[po.ID]; ok {
			continue
		}
		for _, a := range po.Attributes {
			if a.Key == "default" {
				out[po.ID] = append(out[po.ID], a.StringValue)
			}
		}
	}
	return out
}
