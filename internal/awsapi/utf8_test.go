package awsapi

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// TestInvalidTextRefused: a string with invalid UTF-8 or a lone surrogate
// escape is refused with SerializationException naming where it is,
// instead of being rewritten to U+FFFD as encoding/json does.
func TestInvalidTextRefused(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ body, where string }{
		{"{\"name\":\"bad\xff\xfe\"}", "at 'name' (byte 8)"},
		{`{"name":"\ud800"}`, "at 'name' (byte 8)"},
		{`{"name":"x\udc00y"}`, "at 'name' (byte 8)"},
		{`{"name":"\ud83d\u0041"}`, "at 'name' (byte 8)"},
		{`{"name":"\ud83d\ud83d\ude00"}`, "at 'name' (byte 8)"},
		{"{\"name\":\"truncated \xc3\"}", "at 'name' (byte 8)"},
		{"{\"name\":\"a\",\"tags\":[{\"key\":\"k\",\"value\":\"v\"},{\"key\":\"k2\",\"value\":\"\xed\xa0\x80\"}]}", "at 'tags[1].value' (byte 64)"},
		{"{\"k\xff\":1}", "at byte 1"},
	} {
		_, aerr := decodeObject([]byte(c.body))
		if aerr == nil || aerr.Code != CodeSerialization || !strings.HasSuffix(aerr.Message, c.where) {
			t.Errorf("decodeObject(%q) = %v, want SerializationException ending %q", c.body, aerr, c.where)
		}
	}
	// Valid text, escaped or not, still decodes.
	for body, want := range map[string]string{
		`{"name":"\ud83d\ude00"}`:     "😀",
		`{"name":"h\u00e9llo"}`:       "héllo",
		"{\"name\":\"h\xc3\xa9\"}":    "hé",
		`{"name":"\ufffd"}`:           "\ufffd",
		"{\"name\":\"\xef\xbf\xbd\"}": "\ufffd",
	} {
		m, aerr := decodeObject([]byte(body))
		if aerr != nil || !reflect.DeepEqual(m["name"], want) {
			t.Errorf("decodeObject(%q) = %v, %v; want name %q", body, m, aerr, want)
		}
	}
}

// TestInvalidTextOnTheWire sends raw bodies through a real server.
func TestInvalidTextOnTheWire(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	for _, body := range []string{"{\"name\":\"bad\xff\xfe\"}", `{"name":"\ud800"}`} {
		r := b.call(t, "AWSStepFunctions.CreateActivity", body)
		wantError(t, r, http.StatusBadRequest, sfnNS+"SerializationException",
			"request body has invalid UTF-8 (or a lone surrogate escape) in a string at 'name' (byte 8)")
	}
	r := b.call(t, "AWSStepFunctions.CreateActivity", `{"name":"ok\ud83d\ude00"}`)
	if r.status != http.StatusOK {
		t.Errorf("valid surrogate pair: %d %s", r.status, r.body)
	}
}
