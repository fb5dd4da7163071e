package webui

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/awsapi"
)

// call runs the dialect's operation op in-process, as the wire layer does
// (the same Go method, the same checks), with in as its JSON request, and
// decodes its answer into out (if not nil).
func (u *UI) call(ctx context.Context, svc *awsapi.Service, op string, in, out any) error {
	f := svc.Ops[op]
	if f == nil {
		return fmt.Errorf("%s is not implemented", op)
	}
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	ctx = awsapi.WithRequest(ctx, "ui", u.cfg.Region)
	res, err := f(ctx, body)
	if err != nil {
		return err
	}
	if out == nil || res == nil {
		return nil
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"time":     timeTag,
	"ts":       func(t awsapi.Timestamp) template.HTML { return timeTag(t.Time) },
	"since":    since,
	"short":    shortARN,
	"pretty":   prettyJSON,
	"lower":    strings.ToLower,
	"query":    query,
	"add":      func(a, b int) int { return a + b },
	"trim":     trim,
	"statecls": func(s string) string { return "st-" + strings.ToLower(s) },
}

// timeTag renders t as a <time> element in UTC, which the UI's script
// shows in the viewer's time zone.
func timeTag(t time.Time) template.HTML {
	if t.IsZero() {
		return "–"
	}
	t = t.UTC()
	return template.HTML(`<time datetime="` + t.Format(time.RFC3339Nano) + `">` + t.Format("2006-01-02 15:04:05 UTC") + `</time>`)
}

// since renders how long ago t was, roughly.
func since(now, t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	d := now.Sub(t)
	if d < 0 {
		return "in " + (-d).Round(time.Second).String()
	}
	return d.Round(time.Second).String()
}

// shortARN is the last part of an ARN (after its last ':' or '/').
func shortARN(arn string) string {
	if i := strings.LastIndexAny(arn, ":/"); i >= 0 && i < len(arn)-1 {
		return arn[i+1:]
	}
	return arn
}

// prettyJSON indents s if it is JSON, else returns it as it is.
func prettyJSON(s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return s
	}
	return string(b)
}

// trim cuts s to n runes with an ellipsis.
func trim(n int, s string) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// query builds a query string from key, value pairs, leaving out empty
// values.
func query(kv ...string) template.URL {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	return template.URL(q.Encode())
}
