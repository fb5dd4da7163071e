// Command errgen writes each service's error package
// (internal/awsapi/<package>/errors_generated.go) from the service's
// embedded AWS model and internal/awsapi/errors.json. It runs in
// internal/awsapi through go generate:
//
//	go generate ./internal/awsapi
//
// With -check it writes nothing and fails if a generated file is not what
// it would write (TestErrorsGenerated runs it).
//
// A generated package holds, for one service: a Code… constant and a
// constructor per error shape of the model (and per common error listed in
// errors.json), the ErrorNamespace, TypeOverrides, validation and internal
// codes, the HTTP statuses that are not 400, and Mapped, the engine and
// store errors mapped to the service's errors.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"html"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// table is errors.json.
type table struct {
	Services []serviceTable `json:"services"`
}

type serviceTable struct {
	Model         string            `json:"model"`
	Package       string            `json:"package"`
	Title         string            `json:"title"`
	Namespace     string            `json:"namespace"`
	TypeOverrides map[string]string `json:"typeOverrides"`
	Common        []string          `json:"common"`
	Validation    string            `json:"validation"`
	Internal      string            `json:"internal"`
	Statuses      map[string]int    `json:"statuses"`
	Mapped        []mapping         `json:"mapped"`
	Messages      []message         `json:"messages"`
}

// message is a text AWS is known to answer (clients match on it): errgen
// writes a constructor per message, named Name, taking its format's
// arguments, documented with its source.
type message struct {
	Name   string `json:"name"`
	Code   string `json:"code"`
	Format string `json:"format"`
	Args   string `json:"args"` // the constructor's parameters, e.g. "workflowID, runID string"
	Source string `json:"source"`
}

type mapping struct {
	Err     string `json:"err"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// model is the part of a botocore model errgen reads.
type model struct {
	Shapes map[string]struct {
		Exception     bool   `json:"exception"`
		Fault         bool   `json:"fault"`
		Documentation string `json:"documentation"`
		Error         *struct {
			Code           string `json:"code"`
			HTTPStatusCode int    `json:"httpStatusCode"`
		} `json:"error"`
	} `json:"shapes"`
}

// sentinelPackages are the packages whose errors errors.json may map.
var sentinelPackages = map[string]string{
	"engine": "github.com/gaffer-dev/gaffer/internal/engine",
	"store":  "github.com/gaffer-dev/gaffer/internal/store",
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("errgen: ")
	check := flag.Bool("check", false, "fail if a generated file is out of date instead of writing it")
	flag.Parse()
	raw, err := os.ReadFile("errors.json")
	if err != nil {
		log.Fatal(err)
	}
	var t table
	if err := json.Unmarshal(raw, &t); err != nil {
		log.Fatalf("errors.json: %v", err)
	}
	for _, st := range t.Services {
		src, err := generate(st)
		if err != nil {
			log.Fatalf("%s: %v", st.Model, err)
		}
		path := filepath.Join(st.Package, "errors_generated.go")
		if *check {
			if old, err := os.ReadFile(path); err != nil || !bytes.Equal(old, src) {
				log.Fatalf("%s is out of date: run go generate ./internal/awsapi", path)
			}
			continue
		}
		if err := os.MkdirAll(st.Package, 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(path, src, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// errorDef is one error of a service.
type errorDef struct {
	code   string
	status int // 0: 400, or awsapi's common table for a common error
	doc    string
	common bool
}

func generate(st serviceTable) ([]byte, error) {
	raw, err := os.ReadFile(filepath.Join("models", st.Model+".json"))
	if err != nil {
		return nil, err
	}
	var m model
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	defs := map[string]*errorDef{}
	for name, sh := range m.Shapes {
		if !sh.Exception {
			continue
		}
		d := &errorDef{code: name, doc: plainText(sh.Documentation)}
		if sh.Error != nil && sh.Error.Code != "" {
			d.code = sh.Error.Code
		}
		switch {
		case sh.Error != nil && sh.Error.HTTPStatusCode != 0:
			d.status = sh.Error.HTTPStatusCode
		case sh.Fault:
			d.status = 500
		}
		defs[d.code] = d
	}
	for _, c := range st.Common {
		if defs[c] != nil {
			return nil, fmt.Errorf("common error %s is an error shape of the model", c)
		}
		defs[c] = &errorDef{code: c, common: true}
	}
	for code, status := range st.Statuses {
		d := defs[code]
		if d == nil {
			return nil, fmt.Errorf("status for %s, which is neither in the model nor common", code)
		}
		if d.status != 0 && d.status != status {
			return nil, fmt.Errorf("status %d for %s, whose model says %d", status, code, d.status)
		}
		d.status = status
	}
	for _, c := range []string{st.Validation, st.Internal} {
		if defs[c] == nil {
			return nil, fmt.Errorf("validation or internal code %q is neither in the model nor common", c)
		}
	}
	for _, mp := range st.Mapped {
		if defs[mp.Code] == nil {
			return nil, fmt.Errorf("mapped %s answers %s, which is neither in the model nor common", mp.Err, mp.Code)
		}
		pkg, _, ok := strings.Cut(mp.Err, ".")
		if !ok || sentinelPackages[pkg] == "" {
			return nil, fmt.Errorf("mapped error %q is not one of engine.* or store.*", mp.Err)
		}
	}
	for _, m := range st.Messages {
		if defs[m.Code] == nil {
			return nil, fmt.Errorf("message %s answers %s, which is neither in the model nor common", m.Name, m.Code)
		}
		if defs[m.Name] != nil || m.Name == "Namespace" || m.Name == "Mapped" {
			return nil, fmt.Errorf("message %s is named as an error code or a generated name", m.Name)
		}
	}
	codes := make([]string, 0, len(defs))
	for c := range defs {
		codes = append(codes, c)
	}
	sort.Strings(codes)

	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("// Code generated by errgen from models/%s.json and errors.json; DO NOT EDIT.\n\n", st.Model)
	p("%s", comment(fmt.Sprintf("Package %s names the %s errors gaffer answers: "+
		"a constructor per error shape of the model and per common error the dialect answers, "+
		"the service's error table for awsapi.Service, and Mapped, the engine and store errors "+
		"answered as the service's errors. Edit internal/awsapi/errors.json and run "+
		"go generate ./internal/awsapi.", st.Package, st.Title)))
	p("package %s\n\n", st.Package)
	needHTTP := false
	for _, d := range defs {
		needHTTP = needHTTP || d.status != 0 && d.status != 400
	}
	p("import (\n")
	if needHTTP {
		p("\"net/http\"\n\n")
	}
	p("\"github.com/gaffer-dev/gaffer/internal/awsapi\"\n")
	var imports []string
	for _, mp := range st.Mapped {
		pkg, _, _ := strings.Cut(mp.Err, ".")
		if !slices.Contains(imports, sentinelPackages[pkg]) {
			imports = append(imports, sentinelPackages[pkg])
		}
	}
	sort.Strings(imports)
	for _, imp := range imports {
		p("%q\n", imp)
	}
	p(")\n\n")

	p("// Error codes: the last part of __type and X-Amzn-ErrorType.\nconst (\n")
	for _, c := range codes {
		p("Code%s = %q\n", c, c)
	}
	p(")\n\n")

	for _, c := range codes {
		d := defs[c]
		doc := fmt.Sprintf("%s returns the %s error (%s) with a formatted message.", c, c, statusText(d))
		if d.doc != "" {
			doc += " The model says: " + d.doc
		}
		p("%s", comment(doc))
		p("func %s(format string, args ...any) *awsapi.Error {\nreturn awsapi.Errorf(Code%s, format, args...)\n}\n\n", c, c)
	}

	for _, m := range st.Messages {
		doc := fmt.Sprintf("%s returns the %s error worded as AWS words it: %q. Source: %s", m.Name, m.Code, m.Format, m.Source)
		p("%s", comment(doc))
		var names []string
		for _, a := range strings.Split(m.Args, ",") {
			if f := strings.Fields(a); len(f) > 0 {
				names = append(names, f[0])
			}
		}
		if len(names) == 0 {
			p("func %s() *awsapi.Error {\nreturn &awsapi.Error{Code: Code%s, Message: %q}\n}\n\n", m.Name, m.Code, m.Format)
			continue
		}
		p("func %s(%s) *awsapi.Error {\nreturn awsapi.Errorf(Code%s, %q, %s)\n}\n\n", m.Name, m.Args, m.Code, m.Format, strings.Join(names, ", "))
	}

	p("// Namespace is the service's awsapi.Service.ErrorNamespace.\nconst Namespace = %q\n\n", st.Namespace)
	p("// ValidationCode is the service's awsapi.Service.ValidationErrorCode.\nconst ValidationCode = Code%s\n\n", st.Validation)
	p("// InternalCode is the service's awsapi.Service.InternalErrorCode.\nconst InternalCode = Code%s\n\n", st.Internal)

	p("// Statuses is the service's awsapi.Service.Statuses: its errors whose\n// HTTP status is not 400 (common errors take awsapi's common table).\nvar Statuses = map[string]int{\n")
	for _, c := range codes {
		if d := defs[c]; d.status != 0 && d.status != 400 {
			p("Code%s: %s,\n", c, statusConst(d.status))
		}
	}
	p("}\n\n")

	p("// TypeOverrides is the service's awsapi.Service.TypeOverrides.\nvar TypeOverrides = map[string]string{\n")
	overrides := make([]string, 0, len(st.TypeOverrides))
	for c := range st.TypeOverrides {
		if defs[c] == nil {
			return nil, fmt.Errorf("type override for %s, which is neither in the model nor common", c)
		}
		overrides = append(overrides, c)
	}
	sort.Strings(overrides)
	for _, c := range overrides {
		p("Code%s: %q,\n", c, st.TypeOverrides[c])
	}
	p("}\n\n")

	p("// Mapped is the service's awsapi.Service.Mapped: what it answers for the\n// engine's and the store's errors, first match.\nvar Mapped = []awsapi.ErrorMapping{\n")
	for _, mp := range st.Mapped {
		p("{Err: %s, Code: Code%s, Message: %q},\n", mp.Err, mp.Code, mp.Message)
	}
	p("}\n")

	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format: %v\n%s", err, b.Bytes())
	}
	return src, nil
}

func statusText(d *errorDef) string {
	switch {
	case d.status != 0:
		return strconv.Itoa(d.status)
	case d.common:
		return "common"
	}
	return "400"
}

func statusConst(status int) string {
	switch status {
	case 402:
		return "http.StatusPaymentRequired"
	case 404:
		return "http.StatusNotFound"
	case 409:
		return "http.StatusConflict"
	case 500:
		return "http.StatusInternalServerError"
	case 503:
		return "http.StatusServiceUnavailable"
	}
	return strconv.Itoa(status)
}

// comment returns text as a // comment wrapped at 80 columns.
func comment(text string) string {
	var b strings.Builder
	line := "//"
	for _, w := range strings.Fields(text) {
		if len(line)+1+len(w) > 80 && line != "//" {
			b.WriteString(line + "\n")
			line = "//"
		}
		line += " " + w
	}
	b.WriteString(line + "\n")
	return b.String()
}

var tags = regexp.MustCompile(`<[^>]*>`)

// plainText turns a model's HTML documentation into one line of text.
func plainText(doc string) string {
	return strings.Join(strings.Fields(html.UnescapeString(tags.ReplaceAllString(doc, " "))), " ")
}
