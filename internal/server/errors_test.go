package server_test

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// TestErrorsListed walks every operation of the three services' models and
// checks that each error gaffer answers is one the model lists for that
// operation, or a common error (awsapi.Model.ListsError). Each operation is
// called four times: with {}, with its required members filled, with all
// its members filled, by values made from the model (enums' first value,
// names, ARNs and ids of the right form that name nothing that exists,
// bounds' minimum), so that the calls get past validation to the dialect's
// checks and its "does not exist" answers; and with its required members
// filled with plain names where ARNs and ids are expected.
//
// What it covers: the answers to inputs a client gets wrong on its first
// call — validation, unknown names, ARNs, ids and tokens. What it does not:
// errors that need state (already exists, deprecated, limits, a task that
// timed out); those are checked by every other test, since each server
// that servertest.Start starts checks its answers the same way, and so
// only as far as the tests provoke them. No answer may be a 5xx.
func TestErrorsListed(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{MaxPollWait: 10 * time.Millisecond})
	for _, name := range []string{"stepfunctions", "swf", "datapipeline"} {
		m := awsapi.EmbeddedModel(name)
		ops := make([]string, 0, len(m.Operations))
		for op := range m.Operations {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		for _, op := range ops {
			var bodies []string
			bodies = append(bodies, "{}")
			if in := m.Operations[op].Input; in != nil {
				for _, w := range []walker{{m: m}, {m: m, all: true}, {m: m, plain: true}} {
					b, err := json.Marshal(w.value("", in.Shape, 0))
					if err != nil {
						t.Fatalf("%s %s: %v", name, op, err)
					}
					bodies = append(bodies, string(b))
				}
			}
			for _, body := range bodies {
				status, code := call(t, srv.URL(), m.TargetPrefix+"."+op, body)
				if code == awsapi.CodeUnknownOperation {
					continue // not implemented
				}
				if status >= 500 {
					t.Errorf("%s %s %s: %d %s", name, op, body, status, code)
				}
				if servertest.Unlisted(m.EndpointPrefix, op, code) {
					t.Errorf("%s %s %s: %s, which the model does not list for %s", name, op, body, code, op)
				}
			}
		}
	}
}

// call posts body to target and returns the status and the error code.
func call(t *testing.T, url, target, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Amzn-Errortype")
}

// walker makes an input value for a shape from the model.
type walker struct {
	m     *awsapi.Model
	all   bool // fill optional members too
	plain bool // a plain name for every string that is not an enum
}

func (w walker) value(member, shape string, depth int) any {
	s := w.m.Shapes[shape]
	switch s.Type {
	case "structure":
		out := map[string]any{}
		if depth > 4 {
			return out
		}
		for _, mb := range s.Members {
			if w.all || contains(s.Required, mb.Name) {
				out[mb.Name] = w.value(mb.Name, mb.Shape, depth+1)
			}
		}
		return out
	case "list":
		if depth > 4 {
			return []any{}
		}
		return []any{w.value(member, s.Member.Shape, depth+1)}
	case "map":
		return map[string]any{}
	case "boolean":
		return false
	case "integer", "long", "float", "double":
		if s.Min != nil {
			return *s.Min
		}
		return 1
	case "timestamp":
		return 0
	case "blob":
		return ""
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	v := "gaffer-walk"
	if !w.plain {
		v = stringFor(w.m.EndpointPrefix, member)
	}
	if s.Max != nil && len(v) > int(*s.Max) {
		v = v[:int(*s.Max)]
	}
	for s.Min != nil && len(v) < int(*s.Min) {
		v += "x"
	}
	return v
}

// stringFor returns a string of the right form for a member that names
// nothing that exists.
func stringFor(service, member string) string {
	lower := strings.ToLower(member)
	switch {
	case lower == "rolearn":
		return "arn:aws:iam::000000000000:role/gaffer-walk"
	case lower == "activityarn":
		return "arn:aws:states:us-east-1:000000000000:activity:gaffer-walk"
	case lower == "maprunarn":
		return "arn:aws:states:us-east-1:000000000000:mapRun:gaffer-walk/gaffer-walk:gaffer-walk"
	case lower == "executionarn":
		return "arn:aws:states:us-east-1:000000000000:execution:gaffer-walk:gaffer-walk"
	case lower == "statemachineversionarn":
		return "arn:aws:states:us-east-1:000000000000:stateMachine:gaffer-walk:1"
	case lower == "statemachinealiasarn":
		return "arn:aws:states:us-east-1:000000000000:stateMachine:gaffer-walk:gaffer-walk"
	case service == "swf" && lower == "resourcearn":
		return "arn:aws:swf:us-east-1:000000000000:/domain/gaffer-walk"
	case strings.HasSuffix(lower, "arn"):
		return "arn:aws:states:us-east-1:000000000000:stateMachine:gaffer-walk"
	case lower == "pipelineid":
		return "df-GAFFERWALK0000000000"
	case lower == "definition":
		return `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`
	case lower == "input" || lower == "output":
		return "{}"
	}
	return "gaffer-walk"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// The dialects name AWS errors only through their generated error package
// (sfnerr, swferr, dperr): no awsapi.Errorf or awsapi.Error literal, whose
// code would be a string the models do not check.
func TestDialectsUseErrorTables(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"../sfn", "../swf", "../pipeline"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				var sel *ast.SelectorExpr
				switch n := n.(type) {
				case *ast.CallExpr:
					sel, _ = n.Fun.(*ast.SelectorExpr)
				case *ast.CompositeLit:
					sel, _ = n.Type.(*ast.SelectorExpr)
				}
				if sel == nil {
					return true
				}
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "awsapi" && (sel.Sel.Name == "Errorf" || sel.Sel.Name == "Error" || sel.Sel.Name == "Throttling") {
					t.Errorf("%s: awsapi.%s: use the service's generated error package", fset.Position(n.Pos()), sel.Sel.Name)
				}
				return true
			})
		}
	}
}
