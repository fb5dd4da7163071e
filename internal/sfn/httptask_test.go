package sfn_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
)

// fakeAPI is an HTTP endpoint for HTTP Tasks:
//
//   - /echo answers 200 with the request as JSON (method, query, headers,
//     body)
//   - /missing answers 404 with a JSON body
//   - /text answers 200 with a text body
//   - /slow answers once the client leaves
//   - /token is an OAuth token endpoint (client credentials), counting
//     its calls
type fakeAPI struct {
	*httptest.Server
	tokens atomic.Int32
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	switch r.URL.Path {
	case "/echo":
		headers := map[string]string{}
		for k := range r.Header {
			headers[strings.ToLower(k)] = r.Header.Get(k)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Answer", "yes")
		_ = json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "query": r.URL.RawQuery, "headers": headers, "body": string(body)})
	case "/strict", "/deny":
		// /strict refuses the first OAuth token; /deny every one.
		if r.URL.Path == "/deny" || r.Header.Get("Authorization") == "Bearer tok-1" {
			http.Error(w, "token revoked", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"authorization": r.Header.Get("Authorization")})
	case "/missing":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message":"no such thing"}`))
	case "/text":
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("plain words"))
	case "/slow":
		<-r.Context().Done()
	case "/token":
		n := f.tokens.Add(1)
		user, pass, _ := r.BasicAuth()
		if r.Method != http.MethodPost || user != "client" || pass != "s3cret" || !strings.Contains(string(body), "grant_type=client_credentials") ||
			!strings.Contains(string(body), "scope=read") {
			http.Error(w, "bad token request", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"tok-` + string(rune('0'+n)) + `","token_type":"Bearer","expires_in":3600}`))
	default:
		http.NotFound(w, r)
	}
}

const (
	connKey   = "arn:aws:events:us-east-1:000000000000:connection/Key/1"
	connBasic = "arn:aws:events:us-east-1:000000000000:connection/Basic/2"
	connOAuth = "arn:aws:events:us-east-1:000000000000:connection/OAuth/3"
	connBody  = "arn:aws:events:us-east-1:000000000000:connection/Body/4"
)

func writeConnections(t *testing.T, api string) string {
	t.Helper()
	text := `{
  "` + connKey + `": {"AuthorizationType": "API_KEY", "AuthParameters": {
    "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "k-123"},
    "InvocationHttpParameters": {"HeaderParameters": [{"Key": "X-Team", "Value": "blue"}], "QueryStringParameters": [{"Key": "tenant", "Value": "t1"}]}}},
  "` + connBasic + `": {"AuthorizationType": "BASIC", "AuthParameters": {"BasicAuthParameters": {"Username": "ann", "Password": "pw"}}},
  "` + connOAuth + `": {"AuthorizationType": "OAUTH_CLIENT_CREDENTIALS", "AuthParameters": {"OAuthParameters": {
    "AuthorizationEndpoint": "` + api + `/token", "HttpMethod": "POST",
    "ClientParameters": {"ClientID": "client", "ClientSecret": "s3cret"},
    "OAuthHttpParameters": {"BodyParameters": [{"Key": "scope", "Value": "read"}]}}}},
  "` + connBody + `": {"AuthorizationType": "API_KEY", "AuthParameters": {
    "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "k-456"},
    "InvocationHttpParameters": {"BodyParameters": [{"Key": "account", "Value": "acme", "IsValueSecret": true}, {"Key": "mode", "Value": "live"}]}}}
}`
	p := filepath.Join(t.TempDir(), "connections.json")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// httpState is an HTTP Task state of a definition.
func httpState(name, next, params string, extra string) string {
	end := `"Next":"` + next + `"`
	if next == "" {
		end = `"End":true`
	}
	return `"` + name + `":{"Type":"Task","Resource":"arn:aws:states:::http:invoke","Parameters":` + params + `,"ResultPath":"$.` + name + `"` + extra + `,` + end + `}`
}

func TestHTTPTask(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	b := &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{HTTPConnections: writeConnections(t, api.URL)})).SFN()}
	auth := func(conn string) string { return `"Authentication":{"ConnectionArn":"` + conn + `"}` }
	def := `{"StartAt":"Get","States":{` + strings.Join([]string{
		httpState("Get", "Post", `{"ApiEndpoint":"`+api.URL+`/echo","Method":"GET",`+auth(connKey)+`,
			"QueryParameters":{"q.$":"$.q","n":5},"Headers":{"X-Custom":"v"}}`, ""),
		httpState("Post", "Json", `{"ApiEndpoint":"`+api.URL+`/echo","Method":"POST",`+auth(connBasic)+`,
			"RequestBody":{"a":[1,2],"b":{"c":"d"},"e":"x y"},
			"Transform":{"RequestBodyEncoding":"URL_ENCODED","RequestEncodingOptions":{"ArrayFormat":"BRACKETS"}}}`, ""),
		httpState("Json", "Text", `{"ApiEndpoint":"`+api.URL+`/echo","Method":"PUT",`+auth(connOAuth)+`,"RequestBody":{"k":[1,{"z":true}]}}`, ""),
		httpState("Text", "Missing", `{"ApiEndpoint":"`+api.URL+`/text","Method":"GET",`+auth(connOAuth)+`}`, ""),
		httpState("Missing", "Slow", `{"ApiEndpoint":"`+api.URL+`/missing","Method":"DELETE",`+auth(connKey)+`}`,
			`,"Catch":[{"ErrorEquals":["States.Http.StatusCode.404"],"ResultPath":"$.Missing","Next":"Slow"}]`),
		httpState("Slow", "", `{"ApiEndpoint":"`+api.URL+`/slow","Method":"GET",`+auth(connKey)+`}`,
			`,"TimeoutSeconds":1,"Catch":[{"ErrorEquals":["States.Timeout"],"ResultPath":"$.Slow","Next":"Done"}]`),
	}, ",") + `,"Done":{"Type":"Pass","End":true}}}`
	exec := b.Start(t, b.Machine(t, def, ""), `{"q":"a b"}`)
	out := b.WaitStatus(t, exec, types.ExecutionStatusSucceeded)

	type echo struct {
		Method, Query, Body string
		Headers             map[string]string
	}
	type response struct {
		Headers      map[string][]string
		ResponseBody json.RawMessage
		StatusCode   int
		StatusText   string
	}
	var got struct {
		Get, Post, Json, Text response
		Missing, Slow         struct{ Error, Cause string }
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &got); err != nil {
		t.Fatalf("output %s: %v", aws.ToString(out.Output), err)
	}
	var get, post, put echo
	for _, c := range []struct {
		r response
		e *echo
	}{{got.Get, &get}, {got.Post, &post}, {got.Json, &put}} {
		if c.r.StatusCode != 200 || c.r.StatusText != "OK" || len(c.r.Headers["x-answer"]) != 1 {
			t.Errorf("response %+v", c.r)
		}
		if err := json.Unmarshal(c.r.ResponseBody, c.e); err != nil {
			t.Errorf("ResponseBody %s is not the parsed JSON: %v", c.r.ResponseBody, err)
		}
	}
	if get.Method != "GET" || get.Query != "n=5&q=a+b&tenant=t1" || get.Headers["x-custom"] != "v" || get.Headers["x-api-key"] != "k-123" ||
		get.Headers["x-team"] != "blue" || !strings.HasPrefix(get.Headers["user-agent"], "Amazon|StepFunctions|HttpInvoke|") {
		t.Errorf("GET request %+v", get)
	}
	if post.Method != "POST" || post.Body != "a%5B%5D=1&a%5B%5D=2&b%5Bc%5D=d&e=x+y" ||
		post.Headers["content-type"] != "application/x-www-form-urlencoded" || post.Headers["authorization"] != "Basic YW5uOnB3" {
		t.Errorf("POST request %+v", post)
	}
	if put.Method != "PUT" || !servertest.JSONEqual(t, put.Body, `{"k":[1,{"z":true}]}`) || put.Headers["authorization"] != "Bearer tok-1" {
		t.Errorf("PUT request %+v", put)
	}
	if !servertest.JSONEqual(t, string(got.Text.ResponseBody), `"plain words"`) {
		t.Errorf("text ResponseBody %s", got.Text.ResponseBody)
	}
	// The OAuth token was fetched once for both calls.
	if n := api.tokens.Load(); n != 1 {
		t.Errorf("token endpoint called %d times, want 1", n)
	}
	var cause response
	if got.Missing.Error != "States.Http.StatusCode.404" || json.Unmarshal([]byte(got.Missing.Cause), &cause) != nil ||
		cause.StatusCode != 404 || !servertest.JSONEqual(t, string(cause.ResponseBody), `{"message":"no such thing"}`) {
		t.Errorf("404 caught as %+v", got.Missing)
	}
	if got.Slow.Error != "States.Timeout" {
		t.Errorf("slow call caught as %+v", got.Slow)
	}
	sch := eventsOf(b.History(t, exec), types.HistoryEventTypeTaskScheduled)[0].TaskScheduledEventDetails
	if aws.ToString(sch.ResourceType) != "http" || aws.ToString(sch.Resource) != "invoke" {
		t.Errorf("TaskScheduled %+v", sch)
	}

	t.Run("unknown connection", func(t *testing.T) {
		def := `{"StartAt":"X","States":{` + httpState("X", "", `{"ApiEndpoint":"`+api.URL+`/echo","Method":"GET","Authentication":{"ConnectionArn":"arn:aws:events:us-east-1:000000000000:connection/Nope/9"}}`, "") + `}}`
		out := b.WaitStatus(t, b.Start(t, b.Machine(t, def, ""), `{}`), types.ExecutionStatusFailed)
		if aws.ToString(out.Error) != "States.Runtime" || !strings.Contains(aws.ToString(out.Cause), "--http-connections") {
			t.Errorf("failed with %s: %s", aws.ToString(out.Error), aws.ToString(out.Cause))
		}
	})
}

func TestHTTPTaskRefusedWithoutConnections(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.Client.CreateStateMachine(b.Ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("NoHTTP"), RoleArn: aws.String("arn:aws:iam::000000000000:role/test"),
		Definition: aws.String(`{"StartAt":"X","States":{` + httpState("X", "", `{"ApiEndpoint":"https://example.com","Method":"GET"}`, "") + `}}`),
	})
	servertest.WantClientError(t, "CreateStateMachine", err, "InvalidDefinition")
	if !strings.Contains(err.Error(), "--http-connections") {
		t.Errorf("message %v does not name --http-connections", err)
	}
}

func TestHTTPConnectionsRefused(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, file, want string }{
		{"type", `{"arn:c":{"AuthorizationType":"KERBEROS"}}`, "KERBEROS"},
		{"api key", `{"arn:c":{"AuthorizationType":"API_KEY","AuthParameters":{}}}`, "ApiKeyAuthParameters"},
		{"unknown field", `{"arn:c":{"AuthorizationType":"BASIC","Secret":1}}`, "Secret"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.json")
			if err := os.WriteFile(p, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := server.New(server.Config{DataDir: t.TempDir(), HTTPConnections: p})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("server.New: %v; want an error naming the file and %s", err, tt.want)
			}
		})
	}
}

func TestTestStateHTTPTask(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	b := &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{HTTPConnections: writeConnections(t, api.URL)})).SFN()}
	c := syncClient(b)
	state := `{"Type":"Task","Resource":"arn:aws:states:::http:invoke","Parameters":{"ApiEndpoint":"` + api.URL + `/echo","Method":"POST",
		"Authentication":{"ConnectionArn":"` + connKey + `"},"QueryParameters":{"q":"1"},"Headers":{"X-Custom":"v"},"RequestBody":{"a":1}},
		"ResultSelector":{"status.$":"$.StatusCode","method.$":"$.ResponseBody.method"},"End":true}`

	// The endpoint is called; TRACE shows the request without what the
	// connection adds, and the response.
	out := testState(t, c, b, &sfn.TestStateInput{Definition: aws.String(state), InspectionLevel: types.InspectionLevelTrace})
	if out.Status != types.TestExecutionStatusSucceeded || !servertest.JSONEqual(t, aws.ToString(out.Output), `{"status":200,"method":"POST"}`) {
		t.Fatalf("HTTP Task: %s %s %s %s", out.Status, aws.ToString(out.Output), aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	d := out.InspectionData
	if d == nil || d.Request == nil || d.Response == nil {
		t.Fatalf("no request/response in TRACE inspection: %+v", d)
	}
	req, resp := d.Request, d.Response
	if aws.ToString(req.Protocol) != "http" || aws.ToString(req.Method) != "POST" || aws.ToString(req.Url) != api.URL+"/echo?q=1" ||
		!servertest.JSONEqual(t, aws.ToString(req.Body), `{"a":1}`) {
		t.Errorf("request %s %s %s %s", aws.ToString(req.Protocol), aws.ToString(req.Method), aws.ToString(req.Url), aws.ToString(req.Body))
	}
	h := aws.ToString(req.Headers)
	if !strings.Contains(h, "X-Custom: v") || !strings.Contains(h, "Content-Type: application/json") || strings.Contains(h, "k-123") || strings.Contains(h, "blue") {
		t.Errorf("request headers without revealSecrets: %s", h)
	}
	if aws.ToString(resp.StatusCode) != "200" || aws.ToString(resp.StatusMessage) != "OK" || !strings.Contains(aws.ToString(resp.Headers), "X-Answer: yes") ||
		!strings.Contains(aws.ToString(resp.Body), `"method":"POST"`) {
		t.Errorf("response %s %s %s %s", aws.ToString(resp.StatusCode), aws.ToString(resp.StatusMessage), aws.ToString(resp.Headers), aws.ToString(resp.Body))
	}
	// The call itself carried the connection's key, header and query.
	if body := aws.ToString(resp.Body); !strings.Contains(body, `"x-api-key":"k-123"`) || !strings.Contains(body, `"x-team":"blue"`) || !strings.Contains(body, `tenant=t1`) {
		t.Errorf("the call lacked the connection's parameters: %s", body)
	}

	// With revealSecrets, the connection's part shows.
	out = testState(t, c, b, &sfn.TestStateInput{Definition: aws.String(state), InspectionLevel: types.InspectionLevelTrace, RevealSecrets: true})
	if d := out.InspectionData; d == nil || d.Request == nil || !strings.Contains(aws.ToString(d.Request.Headers), "X-Api-Key: k-123") ||
		!strings.Contains(aws.ToString(d.Request.Headers), "X-Team: blue") || !strings.Contains(aws.ToString(d.Request.Url), "tenant=t1") {
		t.Errorf("revealSecrets request: %+v", out.InspectionData)
	}

	// DEBUG: no request/response; a 404 is a failure with both at TRACE.
	out = testState(t, c, b, &sfn.TestStateInput{Definition: aws.String(state), InspectionLevel: types.InspectionLevelDebug})
	if d := out.InspectionData; d == nil || d.Request != nil || d.Response != nil {
		t.Errorf("DEBUG inspection: %+v", out.InspectionData)
	}
	missing := strings.Replace(state, "/echo", "/missing", 1)
	out = testState(t, c, b, &sfn.TestStateInput{Definition: aws.String(missing), InspectionLevel: types.InspectionLevelTrace})
	if out.Status != types.TestExecutionStatusFailed || aws.ToString(out.Error) != "States.Http.StatusCode.404" || out.InspectionData == nil ||
		out.InspectionData.Response == nil || aws.ToString(out.InspectionData.Response.StatusCode) != "404" {
		t.Errorf("404: %s %s %+v", out.Status, aws.ToString(out.Error), out.InspectionData)
	}
}

func TestHTTPTaskConnectionDetails(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	b := &bundle{servertest.InProcess(servertest.Start(t, servertest.Options{HTTPConnections: writeConnections(t, api.URL)})).SFN()}
	auth := func(conn string) string { return `"Authentication":{"ConnectionArn":"` + conn + `"}` }
	def := `{"StartAt":"Json","States":{` + strings.Join([]string{
		// The connection's body parameters join a JSON object body (its
		// values win), a URL-encoded body, and make the body of a POST
		// without one.
		httpState("Json", "Form", `{"ApiEndpoint":"`+api.URL+`/echo","Method":"POST",`+auth(connBody)+`,"RequestBody":{"a":1,"mode":"test"}}`, ""),
		httpState("Form", "Bare", `{"ApiEndpoint":"`+api.URL+`/echo","Method":"POST",`+auth(connBody)+`,"RequestBody":{"a":"x y","mode":"test"},
			"Transform":{"RequestBodyEncoding":"URL_ENCODED"}}`, ""),
		httpState("Bare", "Strict", `{"ApiEndpoint":"`+api.URL+`/echo","Method":"POST",`+auth(connBody)+`}`, ""),
		// An OAuth token answered 401 is replaced once, and the call made
		// again; a second 401 is the task's error.
		httpState("Strict", "Deny", `{"ApiEndpoint":"`+api.URL+`/strict","Method":"GET",`+auth(connOAuth)+`}`, ""),
		httpState("Deny", "", `{"ApiEndpoint":"`+api.URL+`/deny","Method":"GET",`+auth(connOAuth)+`}`,
			`,"Catch":[{"ErrorEquals":["States.Http.StatusCode.401"],"ResultPath":"$.Deny","Next":"Done"}]`),
	}, ",") + `,"Done":{"Type":"Pass","End":true}}}`
	out := b.WaitStatus(t, b.Start(t, b.Machine(t, def, ""), `{}`), types.ExecutionStatusSucceeded)
	type echo struct {
		Method, Body string
		Headers      map[string]string
	}
	var got struct {
		Json, Form, Bare struct{ ResponseBody echo }
		Strict           struct {
			ResponseBody struct{ Authorization string }
		}
		Deny struct{ Error, Cause string }
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &got); err != nil {
		t.Fatalf("output %s: %v", aws.ToString(out.Output), err)
	}
	if !servertest.JSONEqual(t, got.Json.ResponseBody.Body, `{"a":1,"account":"acme","mode":"live"}`) {
		t.Errorf("JSON body with the connection's parameters: %s", got.Json.ResponseBody.Body)
	}
	if got.Form.ResponseBody.Body != "a=x+y&account=acme&mode=live" || got.Form.ResponseBody.Headers["content-type"] != "application/x-www-form-urlencoded" {
		t.Errorf("URL-encoded body with the connection's parameters: %+v", got.Form.ResponseBody)
	}
	if !servertest.JSONEqual(t, got.Bare.ResponseBody.Body, `{"account":"acme","mode":"live"}`) {
		t.Errorf("POST without a body: %s", got.Bare.ResponseBody.Body)
	}
	if got.Strict.ResponseBody.Authorization != "Bearer tok-2" {
		t.Errorf("after a 401 the call carried %q, want the new token", got.Strict.ResponseBody.Authorization)
	}
	if got.Deny.Error != "States.Http.StatusCode.401" {
		t.Errorf("a refused retry: %+v", got.Deny)
	}
	// Strict: tok-1 then tok-2; Deny: tok-2 refused, tok-3 refused, no more.
	if n := api.tokens.Load(); n != 3 {
		t.Errorf("token endpoint called %d times, want 3", n)
	}
	// Headers AWS does not let a task set fail it with States.Runtime
	// (which no Catch takes).
	for headers, want := range map[string]string{`{"Host":"h","Authorization":"x"}`: "[authorization, host]", `{"X-Amz-Date":"d"}`: "[x-amz-date]"} {
		def := `{"StartAt":"X","States":{` + httpState("X", "", `{"ApiEndpoint":"`+api.URL+`/echo","Method":"GET",`+auth(connKey)+`,"Headers":`+headers+`}`, "") + `}}`
		out := b.WaitStatus(t, b.Start(t, b.Machine(t, def, ""), `{}`), types.ExecutionStatusFailed)
		if aws.ToString(out.Error) != "States.Runtime" || !strings.Contains(aws.ToString(out.Cause), "The 'Headers' field contains unsupported values: "+want) {
			t.Errorf("headers %s: %s: %s", headers, aws.ToString(out.Error), aws.ToString(out.Cause))
		}
	}
}
