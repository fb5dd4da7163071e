package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// HTTP Task (arn:aws:states:::http:invoke): gaffer makes the call itself.
// AWS authenticates it through an EventBridge connection
// (Authentication.ConnectionArn); there is no EventBridge here, so the
// connections come from a local file (--http-connections), a JSON object
// mapping each connection ARN to the settings EventBridge's
// CreateConnection takes:
//
//	{
//	  "arn:aws:events:us-east-1:000000000000:connection/Stripe/1": {
//	    "AuthorizationType": "API_KEY",
//	    "AuthParameters": {
//	      "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "secret"},
//	      "InvocationHttpParameters": {"HeaderParameters": [{"Key": "X-Team", "Value": "a"}]}
//	    }
//	  }
//	}
//
// AuthorizationType is API_KEY (ApiKeyAuthParameters: a header),
// BASIC (BasicAuthParameters: Username, Password) or
// OAUTH_CLIENT_CREDENTIALS (OAuthParameters: AuthorizationEndpoint,
// HttpMethod, ClientParameters{ClientID, ClientSecret}, OAuthHttpParameters
// with the extra header, query and body parameters of the token request).
// An OAuth token is fetched at the first call and kept until it expires
// (expires_in), shared by every call through the connection.

// Connection is one connection of the connections file.
type Connection struct {
	AuthorizationType string         `json:"AuthorizationType"`
	AuthParameters    AuthParameters `json:"AuthParameters"`
}

// AuthParameters are a connection's credentials and the parameters it adds
// to every call.
type AuthParameters struct {
	ApiKeyAuthParameters *struct {
		ApiKeyName  string `json:"ApiKeyName"`
		ApiKeyValue string `json:"ApiKeyValue"`
	} `json:"ApiKeyAuthParameters"`
	BasicAuthParameters *struct {
		Username string `json:"Username"`
		Password string `json:"Password"`
	} `json:"BasicAuthParameters"`
	OAuthParameters *struct {
		AuthorizationEndpoint string `json:"AuthorizationEndpoint"`
		HttpMethod            string `json:"HttpMethod"`
		ClientParameters      struct {
			ClientID     string `json:"ClientID"`
			ClientSecret string `json:"ClientSecret"`
		} `json:"ClientParameters"`
		OAuthHttpParameters *HTTPParameters `json:"OAuthHttpParameters"`
	} `json:"OAuthParameters"`
	InvocationHttpParameters *HTTPParameters `json:"InvocationHttpParameters"`
}

// HTTPParameters are the extra parameters of a request, as EventBridge
// connections list them.
type HTTPParameters struct {
	HeaderParameters      []KeyValue `json:"HeaderParameters"`
	QueryStringParameters []KeyValue `json:"QueryStringParameters"`
	BodyParameters        []KeyValue `json:"BodyParameters"`
}

// KeyValue is one parameter.
type KeyValue struct {
	Key           string `json:"Key"`
	Value         string `json:"Value"`
	IsValueSecret bool   `json:"IsValueSecret"`
}

// HTTPConfig configures the HTTP Task client.
type HTTPConfig struct {
	// Connections maps connection ARNs to their settings.
	Connections map[string]Connection
	// Client makes the calls; nil uses a client of its own.
	Client *http.Client
	// Now is the clock of OAuth token expiry; nil uses time.Now.
	Now func() time.Time
}

// HTTP makes the calls of HTTP Tasks.
type HTTP struct {
	conns  map[string]Connection
	client *http.Client
	now    func() time.Time

	mu     sync.Mutex
	tokens map[string]*oauthToken // connection ARN → its token
}

type oauthToken struct {
	mu      sync.Mutex // held while fetching
	value   string
	expires time.Time
}

// NewHTTP returns an HTTP Task client.
func NewHTTP(cfg HTTPConfig) *HTTP {
	h := &HTTP{conns: cfg.Connections, client: cfg.Client, now: cfg.Now, tokens: map[string]*oauthToken{}}
	if h.client == nil {
		h.client = &http.Client{}
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h
}

// LoadConnections reads a connections file (see the package comment on
// HTTP Tasks) and checks it; errors name the file and the connection.
func LoadConnections(path string) (map[string]Connection, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("http connections: %w", err)
	}
	var conns map[string]Connection
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&conns); err != nil {
		return nil, fmt.Errorf("http connections %s: %w", path, err)
	}
	for arn, c := range conns {
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("http connections %s: %s: %w", path, arn, err)
		}
	}
	return conns, nil
}

func (c *Connection) check() error {
	p := c.AuthParameters
	switch c.AuthorizationType {
	case "API_KEY":
		if p.ApiKeyAuthParameters == nil || p.ApiKeyAuthParameters.ApiKeyName == "" {
			return errors.New("AuthorizationType API_KEY needs AuthParameters.ApiKeyAuthParameters with ApiKeyName and ApiKeyValue")
		}
	case "BASIC":
		if p.BasicAuthParameters == nil || p.BasicAuthParameters.Username == "" {
			return errors.New("AuthorizationType BASIC needs AuthParameters.BasicAuthParameters with Username and Password")
		}
	case "OAUTH_CLIENT_CREDENTIALS":
		o := p.OAuthParameters
		if o == nil || o.AuthorizationEndpoint == "" || o.ClientParameters.ClientID == "" {
			return errors.New("AuthorizationType OAUTH_CLIENT_CREDENTIALS needs AuthParameters.OAuthParameters with AuthorizationEndpoint and ClientParameters")
		}
		if u, err := url.Parse(o.AuthorizationEndpoint); err != nil || u.Host == "" {
			return fmt.Errorf("OAuthParameters.AuthorizationEndpoint %q is not a URL", o.AuthorizationEndpoint)
		}
		switch o.HttpMethod {
		case "", "GET", "POST", "PUT":
		default:
			return fmt.Errorf("OAuthParameters.HttpMethod %q: want GET, POST or PUT", o.HttpMethod)
		}
	default:
		return fmt.Errorf("AuthorizationType %q: want API_KEY, BASIC or OAUTH_CLIENT_CREDENTIALS", c.AuthorizationType)
	}
	return nil
}

// httpParameters are the Parameters of arn:aws:states:::http:invoke.
type httpParameters struct {
	ApiEndpoint     string                          `json:"ApiEndpoint"`
	Method          string                          `json:"Method"`
	Authentication  *struct{ ConnectionArn string } `json:"Authentication"`
	Headers         map[string]json.RawMessage      `json:"Headers"`
	QueryParameters map[string]json.RawMessage      `json:"QueryParameters"`
	RequestBody     json.RawMessage                 `json:"RequestBody"`
	Transform       *struct {
		RequestBodyEncoding    string `json:"RequestBodyEncoding"`
		RequestEncodingOptions *struct {
			ArrayFormat string `json:"ArrayFormat"`
		} `json:"RequestEncodingOptions"`
	} `json:"Transform"`
}

// HTTPResponse is an HTTP Task's result.
type HTTPResponse struct {
	Headers      map[string][]string `json:"Headers"`
	ResponseBody json.RawMessage     `json:"ResponseBody,omitempty"`
	StatusCode   int                 `json:"StatusCode"`
	StatusText   string              `json:"StatusText"`
}

// maxResponse bounds the response body kept (Step Functions' state data
// limit).
const maxResponse = 256 << 10

// Invoke makes the call of an HTTP Task with its evaluated Parameters. A
// 2xx answer is the result; another status fails with
// States.Http.StatusCode.<code> and the response as the cause; an
// endpoint that cannot be reached fails with States.Http.Socket. An OAuth
// connection whose token the endpoint answers 401 gets a new token, and
// the call is made once more with it.
func (h *HTTP) Invoke(ctx context.Context, region string, parameters json.RawMessage) (json.RawMessage, error) {
	out, _, err := h.InvokeTraced(ctx, region, parameters, false)
	return out, err
}

// Exchange is an HTTP Task's call as TestState's TRACE inspection shows it
// (InspectionDataRequest and InspectionDataResponse).
type Exchange struct {
	Request  *ExchangeRequest
	Response *ExchangeResponse // nil if no answer came
}

// ExchangeRequest is the request of an Exchange.
type ExchangeRequest struct {
	Protocol, Method, URL, Headers, Body string
}

// ExchangeResponse is the response of an Exchange.
type ExchangeResponse struct {
	Protocol, StatusCode, StatusMessage, Headers, Body string
}

// InvokeTraced is Invoke that also returns the call's exchange (nil if no
// request was made). Unless reveal, the exchange leaves out what the
// connection adds to the request — its credentials and its headers, query
// and body parameters — as AWS's TestState does without revealSecrets.
func (h *HTTP) InvokeTraced(ctx context.Context, region string, parameters json.RawMessage, reveal bool) (json.RawMessage, *Exchange, error) {
	var p httpParameters
	if err := json.Unmarshal(parameters, &p); err != nil {
		return nil, nil, &TaskError{Name: "States.Runtime", Cause: "The Parameters of an HTTP Task must be an object: " + err.Error()}
	}
	b, err := h.request(ctx, &p, region)
	if err != nil {
		return nil, nil, err
	}
	resp, err := h.client.Do(b.req)
	if err == nil && resp.StatusCode == http.StatusUnauthorized && b.token != "" {
		// The token may have been revoked or have expired early: get a new
		// one and call once more.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
		_ = resp.Body.Close()
		h.dropToken(p.Authentication.ConnectionArn, b.token)
		if b, err = h.request(ctx, &p, region); err != nil {
			return nil, nil, err
		}
		resp, err = h.client.Do(b.req)
	}
	ex := &Exchange{Request: b.trace(reveal)}
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, ex, &TaskError{Name: "States.Timeout", Cause: "The HTTP endpoint did not answer in time"}
		}
		if ctx.Err() != nil {
			return nil, ex, ctx.Err()
		}
		return nil, ex, &TaskError{Name: "States.Http.Socket", Cause: err.Error()}
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, ex, &TaskError{Name: "States.Http.Socket", Cause: "reading the response: " + err.Error()}
	}
	ex.Response = &ExchangeResponse{Protocol: b.req.URL.Scheme, StatusCode: strconv.Itoa(resp.StatusCode), StatusMessage: http.StatusText(resp.StatusCode),
		Headers: headerText(resp.Header, nil), Body: string(body)}
	if len(body) > maxResponse {
		return nil, ex, &TaskError{Name: "States.DataLimitExceeded", Cause: fmt.Sprintf("The response body is larger than %d bytes", maxResponse)}
	}
	out := HTTPResponse{Headers: map[string][]string{}, StatusCode: resp.StatusCode, StatusText: http.StatusText(resp.StatusCode)}
	for k, v := range resp.Header {
		out.Headers[strings.ToLower(k)] = v
	}
	if len(body) > 0 {
		if json.Valid(body) {
			out.ResponseBody = body
		} else {
			out.ResponseBody, _ = json.Marshal(string(body))
		}
	}
	result, err := json.Marshal(&out)
	if err != nil {
		return nil, ex, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, ex, &TaskError{Name: "States.Http.StatusCode." + strconv.Itoa(resp.StatusCode), Cause: string(result)}
	}
	return result, ex, nil
}

// builtRequest is an HTTP Task's request, with what the connection added
// to it.
type builtRequest struct {
	req        *http.Request
	body       []byte
	publicBody []byte          // the body without the connection's parameters
	publicURL  string          // the URL without the connection's query parameters
	secret     map[string]bool // canonical names of the headers the connection set
	token      string          // the OAuth token the request carries
}

// trace is the request as an Exchange shows it.
func (b *builtRequest) trace(reveal bool) *ExchangeRequest {
	r := &ExchangeRequest{Protocol: b.req.URL.Scheme, Method: b.req.Method, URL: b.req.URL.String(), Headers: headerText(b.req.Header, nil), Body: string(b.body)}
	if !reveal {
		r.URL, r.Headers, r.Body = b.publicURL, headerText(b.req.Header, b.secret), string(b.publicBody)
	}
	return r
}

// headerText words headers as TestState shows them: "[Name: value, …]",
// sorted, leaving out those in omit.
func headerText(h http.Header, omit map[string]bool) string {
	var parts []string
	for _, k := range sortedKeys(h) {
		if omit[k] {
			continue
		}
		for _, v := range h[k] {
			parts = append(parts, k+": "+v)
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// forbiddenHeaders are the headers an HTTP Task may not set (AWS fails the
// task with States.Runtime), besides those prefixed x-forwarded-, x-amz- and
// x-amzn-. Authorization is the connection's.
var forbiddenHeaders = map[string]bool{
	"a-im": true, "accept-charset": true, "accept-datetime": true, "accept-encoding": true, "authorization": true,
	"cache-control": true, "connection": true, "content-encoding": true, "content-md5": true, "date": true,
	"expect": true, "forwarded": true, "from": true, "host": true, "http2-settings": true, "if-match": true,
	"if-modified-since": true, "if-none-match": true, "if-range": true, "if-unmodified-since": true,
	"max-forwards": true, "origin": true, "pragma": true, "proxy-authorization": true, "referer": true,
	"server": true, "te": true, "trailer": true, "transfer-encoding": true, "upgrade": true, "via": true, "warning": true,
}

// UnsupportedHeaders returns the names among headers an HTTP Task may not
// set, lower-cased and sorted.
func UnsupportedHeaders(headers []string) []string {
	var bad []string
	for _, k := range headers {
		l := strings.ToLower(k)
		if forbiddenHeaders[l] || strings.HasPrefix(l, "x-forwarded") || strings.HasPrefix(l, "x-amz-") || strings.HasPrefix(l, "x-amzn-") {
			bad = append(bad, l)
		}
	}
	sort.Strings(bad)
	return bad
}

// request builds the HTTP request of a Task's Parameters, with its
// connection's credentials and parameters.
func (h *HTTP) request(ctx context.Context, p *httpParameters, region string) (*builtRequest, error) {
	bad := func(format string, args ...any) error {
		return &TaskError{Name: "States.Runtime", Cause: fmt.Sprintf(format, args...)}
	}
	method := strings.ToUpper(p.Method)
	switch method {
	case "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD":
	default:
		return nil, bad("The HTTP Task's Method %q is not one of GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD", p.Method)
	}
	u, err := url.Parse(p.ApiEndpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, bad("The HTTP Task's ApiEndpoint %q is not an http(s) URL", p.ApiEndpoint)
	}
	if p.Authentication == nil || p.Authentication.ConnectionArn == "" {
		return nil, bad("The HTTP Task needs Authentication.ConnectionArn")
	}
	conn, ok := h.conns[p.Authentication.ConnectionArn]
	if !ok {
		return nil, bad("Connection '%s' is not in gaffer's --http-connections file", p.Authentication.ConnectionArn)
	}
	if unsupported := UnsupportedHeaders(sortedKeys(p.Headers)); len(unsupported) > 0 {
		return nil, bad("The 'Headers' field contains unsupported values: [%s]", strings.Join(unsupported, ", "))
	}
	inv := conn.AuthParameters.InvocationHttpParameters
	if inv == nil {
		inv = &HTTPParameters{}
	}
	q := u.Query()
	for _, k := range sortedKeys(p.QueryParameters) {
		q.Set(k, scalar(p.QueryParameters[k]))
	}
	publicQuery := q.Encode()
	urlEncoded := p.Transform != nil && p.Transform.RequestBodyEncoding == "URL_ENCODED"
	var body, publicBody []byte
	contentType := ""
	hasBody := len(p.RequestBody) > 0 && string(p.RequestBody) != "null"
	if hasBody || len(inv.BodyParameters) > 0 && method != "GET" && method != "HEAD" {
		if urlEncoded {
			format := "INDICES"
			if o := p.Transform.RequestEncodingOptions; o != nil && o.ArrayFormat != "" {
				format = o.ArrayFormat
			}
			form := ""
			if hasBody {
				if form, err = urlEncode(p.RequestBody, format); err != nil {
					return nil, bad("The HTTP Task's RequestBody cannot be URL-encoded: %v", err)
				}
			}
			publicBody, body = []byte(form), []byte(mergeForm(form, inv.BodyParameters))
			contentType = "application/x-www-form-urlencoded"
		} else {
			b := []byte(p.RequestBody)
			if !hasBody {
				b = []byte("{}")
			}
			var s string
			if json.Unmarshal(b, &s) == nil {
				b = []byte(s) // a string body is sent as it is
			}
			publicBody, body = b, mergeJSON(b, inv.BodyParameters)
			if !hasBody {
				publicBody = nil
			}
			contentType = "application/json; charset=UTF-8"
		}
	}
	for _, kv := range inv.QueryStringParameters {
		q.Set(kv.Key, kv.Value)
	}
	u.RawQuery = q.Encode()
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), reader)
	if err != nil {
		return nil, bad("The HTTP Task's request: %v", err)
	}
	public := *u
	public.RawQuery = publicQuery
	b := &builtRequest{req: req, body: body, publicBody: publicBody, publicURL: public.String(), secret: map[string]bool{}}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, k := range sortedKeys(p.Headers) {
		req.Header.Set(k, scalar(p.Headers[k]))
	}
	req.Header.Set("User-Agent", "Amazon|StepFunctions|HttpInvoke|"+region)
	for _, kv := range inv.HeaderParameters {
		req.Header.Set(kv.Key, kv.Value)
		b.secret[http.CanonicalHeaderKey(kv.Key)] = true
	}
	if err := h.authorize(ctx, p.Authentication.ConnectionArn, &conn, b); err != nil {
		return nil, err
	}
	return b, nil
}

// mergeJSON adds a connection's body parameters to a JSON object body
// (the connection's value wins over the task's); another body is kept as
// it is.
func mergeJSON(body []byte, params []KeyValue) []byte {
	if len(params) == 0 {
		return body
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil || obj == nil {
		return body
	}
	for _, kv := range params {
		obj[kv.Key], _ = json.Marshal(kv.Value)
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return body
	}
	return out
}

// mergeForm adds a connection's body parameters to a URL-encoded body,
// replacing the task's values of the same keys.
func mergeForm(form string, params []KeyValue) string {
	if len(params) == 0 {
		return form
	}
	drop := map[string]bool{}
	for _, kv := range params {
		drop[kv.Key] = true
	}
	var parts []string
	for _, part := range strings.Split(form, "&") {
		k, _, _ := strings.Cut(part, "=")
		if key, err := url.QueryUnescape(k); part == "" || err == nil && drop[key] {
			continue
		}
		parts = append(parts, part)
	}
	for _, kv := range params {
		parts = append(parts, url.QueryEscape(kv.Key)+"="+url.QueryEscape(kv.Value))
	}
	return strings.Join(parts, "&")
}

// authorize puts the connection's credentials on b's request.
func (h *HTTP) authorize(ctx context.Context, arn string, c *Connection, b *builtRequest) error {
	p := c.AuthParameters
	switch c.AuthorizationType {
	case "API_KEY":
		b.req.Header.Set(p.ApiKeyAuthParameters.ApiKeyName, p.ApiKeyAuthParameters.ApiKeyValue)
		b.secret[http.CanonicalHeaderKey(p.ApiKeyAuthParameters.ApiKeyName)] = true
	case "BASIC":
		b.req.SetBasicAuth(p.BasicAuthParameters.Username, p.BasicAuthParameters.Password)
		b.secret["Authorization"] = true
	case "OAUTH_CLIENT_CREDENTIALS":
		tok, err := h.oauth(ctx, arn, c)
		if err != nil {
			return err
		}
		b.req.Header.Set("Authorization", "Bearer "+tok)
		b.secret["Authorization"] = true
		b.token = tok
	}
	return nil
}

// dropToken forgets the connection's token if it is still used, so that
// the next call fetches a new one.
func (h *HTTP) dropToken(arn, used string) {
	h.mu.Lock()
	tok := h.tokens[arn]
	h.mu.Unlock()
	if tok == nil {
		return
	}
	tok.mu.Lock()
	defer tok.mu.Unlock()
	if tok.value == used {
		tok.value = ""
	}
}

// oauth returns the connection's access token, fetching one from its
// authorization endpoint (client credentials grant) if it has none that is
// still valid.
func (h *HTTP) oauth(ctx context.Context, arn string, c *Connection) (string, error) {
	h.mu.Lock()
	tok := h.tokens[arn]
	if tok == nil {
		tok = &oauthToken{}
		h.tokens[arn] = tok
	}
	h.mu.Unlock()
	tok.mu.Lock()
	defer tok.mu.Unlock()
	if tok.value != "" && h.now().Before(tok.expires) {
		return tok.value, nil
	}
	o := c.AuthParameters.OAuthParameters
	method := o.HttpMethod
	if method == "" {
		method = http.MethodPost
	}
	u, _ := url.Parse(o.AuthorizationEndpoint)
	form := url.Values{"grant_type": {"client_credentials"}}
	q := u.Query()
	var headers []KeyValue
	if hp := o.OAuthHttpParameters; hp != nil {
		for _, kv := range hp.BodyParameters {
			form.Set(kv.Key, kv.Value)
		}
		for _, kv := range hp.QueryStringParameters {
			q.Set(kv.Key, kv.Value)
		}
		headers = hp.HeaderParameters
	}
	var body io.Reader
	if method == http.MethodGet {
		for k, v := range form {
			q[k] = v
		}
	} else {
		body = strings.NewReader(form.Encode())
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return "", &TaskError{Name: "States.Runtime", Cause: "OAuth token request: " + err.Error()}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.SetBasicAuth(o.ClientParameters.ClientID, o.ClientParameters.ClientSecret)
	for _, kv := range headers {
		req.Header.Set(kv.Key, kv.Value)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", &TaskError{Name: "States.Http.Socket", Cause: "OAuth token request to " + o.AuthorizationEndpoint + ": " + err.Error()}
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var answer struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.Number     `json:"expires_in"`
		Extra       json.RawMessage `json:"-"`
	}
	if resp.StatusCode/100 != 2 || json.Unmarshal(raw, &answer) != nil || answer.AccessToken == "" {
		return "", &TaskError{Name: "States.Http.StatusCode." + strconv.Itoa(resp.StatusCode),
			Cause: fmt.Sprintf("The OAuth token request to %s answered %d: %s", o.AuthorizationEndpoint, resp.StatusCode, raw)}
	}
	tok.value = answer.AccessToken
	tok.expires = h.now().Add(time.Hour) // no expires_in: an hour
	if n, err := answer.ExpiresIn.Int64(); err == nil && n > 0 {
		// Refresh a little early, so a call does not carry a token that
		// expires on its way.
		tok.expires = h.now().Add(time.Duration(n)*time.Second - min(time.Duration(n)*time.Second/10, 30*time.Second))
	}
	return tok.value, nil
}

// scalar is a header or query value: a string as it is, another JSON value
// as its text.
func scalar(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// urlEncode encodes a JSON object as form data, arrays in the given
// format (INDICES: a[0]=x&a[1]=y, REPEAT: a=x&a=y, COMMAS: a=x,y,
// BRACKETS: a[]=x&a[]=y) and nested objects as a[b]=x, keys in the
// object's order.
func urlEncode(body json.RawMessage, format string) (string, error) {
	switch format {
	case "INDICES", "REPEAT", "COMMAS", "BRACKETS":
	default:
		return "", fmt.Errorf("ArrayFormat %q: want INDICES, REPEAT, COMMAS or BRACKETS", format)
	}
	v, err := decodeOrdered(body)
	if err != nil {
		return "", err
	}
	obj, ok := v.(orderedObject)
	if !ok {
		if s, ok := v.(string); ok {
			return s, nil // already encoded
		}
		return "", errors.New("the RequestBody is not an object")
	}
	var parts []string
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case orderedObject:
			for _, kv := range x {
				walk(key+"["+kv.key+"]", kv.value)
			}
		case []any:
			switch format {
			case "COMMAS":
				vals := make([]string, len(x))
				for i, e := range x {
					vals[i] = text(e)
				}
				parts = append(parts, url.QueryEscape(key)+"="+url.QueryEscape(strings.Join(vals, ",")))
			default:
				for i, e := range x {
					k := key
					switch format {
					case "INDICES":
						k += "[" + strconv.Itoa(i) + "]"
					case "BRACKETS":
						k += "[]"
					}
					walk(k, e)
				}
			}
		default:
			parts = append(parts, url.QueryEscape(key)+"="+url.QueryEscape(text(x)))
		}
	}
	for _, kv := range obj {
		walk(kv.key, kv.value)
	}
	return strings.Join(parts, "&"), nil
}

// text is a scalar's form value.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// orderedObject is a JSON object with its keys in order.
type orderedObject []struct {
	key   string
	value any
}

// decodeOrdered decodes JSON keeping objects' key order.
func decodeOrdered(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var read func() (any, error)
	read = func() (any, error) {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch d := tok.(type) {
		case json.Delim:
			switch d {
			case '{':
				var obj orderedObject
				for dec.More() {
					k, err := dec.Token()
					if err != nil {
						return nil, err
					}
					v, err := read()
					if err != nil {
						return nil, err
					}
					obj = append(obj, struct {
						key   string
						value any
					}{k.(string), v})
				}
				_, err := dec.Token()
				return obj, err
			case '[':
				arr := []any{}
				for dec.More() {
					v, err := read()
					if err != nil {
						return nil, err
					}
					arr = append(arr, v)
				}
				_, err := dec.Token()
				return arr, err
			}
		}
		return tok, nil
	}
	return read()
}
