package webui_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/datapipeline"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/gaffer-dev/gaffer/internal/auth"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
	"github.com/gaffer-dev/gaffer/internal/webui"
)

// credentialsFile holds three identities: admin may do anything, viewer may see
// the UI and nothing more, and nobody may not even see it.
const credentialsFile = `{"identities": [
  {"name": "admin", "accessKeyId": "AKIDADMIN", "secretAccessKey": "admin-secret",
   "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}},
  {"name": "viewer", "accessKeyId": "AKIDVIEWER", "secretAccessKey": "viewer-secret",
   "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["gaffer:ViewUI", "states:Describe*"], "Resource": "*"}]}},
  {"name": "nobody", "accessKeyId": "AKIDNOBODY", "secretAccessKey": "nobody-secret",
   "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "states:*", "Resource": "*"}]}}
]}`

// client is an HTTP client with a cookie jar that sends Basic credentials
// (none if akid is empty).
type client struct {
	t            *testing.T
	base         string
	akid, secret string
	http         *http.Client
}

func newClient(t *testing.T, base, akid, secret string) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: base, akid: akid, secret: secret, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, form url.Values, header http.Header) (int, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if c.akid != "" {
		req.SetBasicAuth(c.akid, c.secret)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// csrf loads a page to get the CSRF cookie and returns its token.
func (c *client) csrf() string {
	c.t.Helper()
	if status, body := c.do("GET", "/ui/", nil, nil); status != http.StatusOK {
		c.t.Fatalf("GET /ui/: %d %s", status, body)
	}
	u, _ := url.Parse(c.base + "/ui/")
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "gaffer_csrf" {
			return ck.Value
		}
	}
	c.t.Fatal("no CSRF cookie")
	return ""
}

// TestAuthentication: with credentials, the UI asks for Basic credentials,
// checks the secret, needs gaffer:ViewUI to show a page and the dialect's
// own action for a button.
func TestAuthentication(t *testing.T) {
	t.Parallel()
	set, err := auth.Parse([]byte(credentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	srv := servertest.Start(t, servertest.Options{Authenticate: auth.New(set, nil).Authenticate})
	base := srv.URL()

	status, _ := newClient(t, base, "", "").do("GET", "/ui/", nil, nil)
	if status != http.StatusUnauthorized {
		t.Errorf("no credentials: status %d, want 401", status)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", base+"/ui/", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic ") {
		t.Errorf("no credentials: WWW-Authenticate %q, want a Basic challenge", got)
	}
	if status, _ := newClient(t, base, "AKIDADMIN", "wrong").do("GET", "/ui/", nil, nil); status != http.StatusUnauthorized {
		t.Errorf("wrong secret: status %d, want 401", status)
	}
	if status, _ := newClient(t, base, "AKIDUNKNOWN", "x").do("GET", "/ui/", nil, nil); status != http.StatusUnauthorized {
		t.Errorf("unknown key: status %d, want 401", status)
	}
	if status, body := newClient(t, base, "AKIDNOBODY", "nobody-secret").do("GET", "/ui/", nil, nil); status != http.StatusForbidden || !strings.Contains(body, webui.ViewAction) {
		t.Errorf("without %s: %d %q, want 403 naming the action", webui.ViewAction, status, body)
	}
	// The operator endpoint of gaffer queues takes a signature, not Basic.
	if status, body := newClient(t, base, "AKIDADMIN", "admin-secret").do("GET", "/gaffer/queues", nil, nil); status != http.StatusForbidden || !strings.Contains(body, "IncompleteSignature") {
		t.Errorf("GET /gaffer/queues unsigned: %d %s, want 403", status, body)
	}
	admin := newClient(t, base, "AKIDADMIN", "admin-secret")
	if status, body := admin.do("GET", "/ui/sfn/", nil, nil); status != http.StatusOK {
		t.Errorf("admin: %d %s", status, body)
	}

	// The viewer sees an execution but may not stop it; the admin may.
	cfg := servertest.AWSConfig(base)
	cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIDADMIN", "admin-secret", "")
	env := servertest.InProcess(srv)
	s := &servertest.SFNEnv{Env: env, Client: sfn.NewFromConfig(cfg)}
	act := s.Activity(t)
	exec := s.Start(t, s.Machine(t, `{"StartAt":"W","States":{"W":{"Type":"Task","Resource":"$ACT","End":true}}}`, act), `{}`)

	viewer := newClient(t, base, "AKIDVIEWER", "viewer-secret")
	page := "/ui/sfn/execution?" + url.Values{"arn": {exec}}.Encode()
	if status, body := viewer.do("GET", page, nil, nil); status != http.StatusOK || !strings.Contains(body, `id="stop"`) {
		t.Errorf("viewer, execution page: %d", status)
	}
	tok := viewer.csrf()
	status, body := viewer.do("POST", "/ui/sfn/stop", url.Values{"csrf": {tok}, "arn": {exec}}, nil)
	if status != http.StatusForbidden || !strings.Contains(body, "states:StopExecution") {
		t.Errorf("viewer's Stop: %d %q, want 403 naming states:StopExecution", status, body)
	}
	if out, err := s.Client.DescribeExecution(t.Context(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(exec)}); err != nil || out.Status != sfntypes.ExecutionStatusRunning {
		t.Fatalf("after the viewer's Stop: %v %v, want RUNNING", out, err)
	}
	tok = admin.csrf()
	if status, body := admin.do("POST", "/ui/sfn/stop", url.Values{"csrf": {tok}, "arn": {exec}}, nil); status != http.StatusSeeOther {
		t.Errorf("admin's Stop: %d %s", status, body)
	}
	s.WaitStatus(t, exec, sfntypes.ExecutionStatusAborted)
}

// TestCSRF: a button's POST needs the token of its page's cookie and the
// page's own origin.
func TestCSRF(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	env := servertest.InProcess(srv)
	s := env.SFN()
	act := s.Activity(t)
	exec := s.Start(t, s.Machine(t, `{"StartAt":"W","States":{"W":{"Type":"Task","Resource":"$ACT","End":true}}}`, act), `{}`)
	c := newClient(t, srv.URL(), "", "")
	tok := c.csrf()
	for _, tt := range []struct {
		name   string
		form   url.Values
		header http.Header
	}{
		{"no token", url.Values{"arn": {exec}}, nil},
		{"wrong token", url.Values{"arn": {exec}, "csrf": {strings.Repeat("0", 32)}}, nil},
		{"cross-site", url.Values{"arn": {exec}, "csrf": {tok}}, http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"other origin", url.Values{"arn": {exec}, "csrf": {tok}}, http.Header{"Origin": {"http://evil.example"}}},
	} {
		if status, _ := c.do("POST", "/ui/sfn/stop", tt.form, tt.header); status != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", tt.name, status)
		}
	}
	out, err := s.Client.DescribeExecution(t.Context(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(exec)})
	servertest.OK(t, "DescribeExecution", err)
	if out.Status != sfntypes.ExecutionStatusRunning {
		t.Fatalf("after refused Stops: %s", out.Status)
	}
	if status, body := c.do("POST", "/ui/sfn/stop", url.Values{"arn": {exec}, "csrf": {tok}}, http.Header{"Sec-Fetch-Site": {"same-origin"}}); status != http.StatusSeeOther {
		t.Fatalf("Stop with the token: %d %s", status, body)
	}
	s.WaitStatus(t, exec, sfntypes.ExecutionStatusAborted)
}

// TestNoUI: --no-ui serves no page; the operator endpoints stay.
func TestNoUI(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{NoUI: true})
	c := newClient(t, srv.URL(), "", "")
	for _, p := range []string{"/ui/", "/ui/sfn/", "/ui/static/style.css"} {
		if status, body := c.do("GET", p, nil, nil); status == http.StatusOK || strings.Contains(body, "<html") {
			t.Errorf("--no-ui: GET %s answered %d %q", p, status, body)
		}
	}
	if status, body := c.do("GET", "/gaffer/queues", nil, nil); status != http.StatusOK || !strings.HasPrefix(body, "[") {
		t.Errorf("--no-ui: GET /gaffer/queues %d %q", status, body)
	}
}

// TestPages loads each page over plain HTTP with a page's bad input:
// the error page, not a crash, with the dialect's own message and status.
func TestPages(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	c := newClient(t, srv.URL(), "", "")
	for _, tt := range []struct {
		path   string
		status int
		want   string
	}{
		{"/ui/", 200, "Step Functions"},
		{"/ui/sfn/executions", 400, "which state machine"},
		{"/ui/sfn/executions?machine=nope", 400, "InvalidArn"},
		{"/ui/sfn/execution?arn=arn:aws:states:us-east-1:000000000000:execution:nope:x", 404, "ExecutionDoesNotExist"},
		{"/ui/queue?q=sfn:nothing", 200, "No open task"},
		{"/ui/swf/executions?domain=nope", 404, "UnknownResourceFault"},
		{"/ui/pipeline?id=df-NOPE", 404, "PipelineNotFound"},
		{"/ui/node", 200, "gaffer_"},
	} {
		status, body := c.do("GET", tt.path, nil, nil)
		if status != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("GET %s: %d, want %d with %q; body %.300s", tt.path, status, tt.status, tt.want, body)
		}
	}
	// / sends a browser to the UI; an AWS client's GET / gets the wire
	// layer's error, as before.
	if status, _ := c.do("GET", "/", nil, http.Header{"Accept": {"text/html,application/xhtml+xml"}}); status != http.StatusFound {
		t.Errorf("GET / from a browser: %d, want a redirect to /ui/", status)
	}
	if status, body := c.do("GET", "/", nil, http.Header{"X-Amz-Target": {"AWSStepFunctions.ListActivities"}, "Accept": {"*/*"}}); status != http.StatusMethodNotAllowed || !strings.Contains(body, "UnknownOperationException") {
		t.Errorf("GET / from an AWS client: %d %s, want 405 UnknownOperationException", status, body)
	}
}

// TestListPaging: the lists the UI holds whole are shown a page at a time.
func TestListPaging(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	dp := servertest.DataPipeline(srv.URL())
	for i := range 51 {
		_, err := dp.ReportTaskRunnerHeartbeat(t.Context(), &datapipeline.ReportTaskRunnerHeartbeatInput{TaskrunnerId: aws.String(fmt.Sprintf("runner-%02d", i)), WorkerGroup: aws.String("wg")})
		servertest.OK(t, "ReportTaskRunnerHeartbeat", err)
	}
	c := newClient(t, srv.URL(), "", "")
	_, first := c.do("GET", "/ui/runners", nil, nil)
	_, second := c.do("GET", "/ui/runners?page=2", nil, nil)
	if got := strings.Count(first, `name="id"`); got != 50 || !strings.Contains(first, "page 1 of 2") || !strings.Contains(first, `href="?page=2"`) {
		t.Errorf("first page: %d runners, pager %v", got, strings.Contains(first, "page 1 of 2"))
	}
	if got := strings.Count(second, `name="id"`); got != 1 || !strings.Contains(second, "page 2 of 2") || !strings.Contains(second, `href="?page=1"`) {
		t.Errorf("second page: %d runners", got)
	}
	if strings.Contains(first, "runner-50") == strings.Contains(second, "runner-50") {
		t.Error("runner-50 on both pages or neither")
	}
}
