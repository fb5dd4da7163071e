package awsapi

import (
	"encoding/base64"
	"testing"
)

func TestPageTokens(t *testing.T) {
	secret := []byte("test secret")
	a, b := ListingKey("executions", "sm-a"), ListingKey("executions", "sm-b")
	if a == b {
		t.Fatal("different listings share a key")
	}
	tok := PageToken(secret, a, 42)
	if pos, ok := ParsePageToken(secret, a, tok); !ok || pos != 42 {
		t.Fatalf("ParsePageToken(own token) = %d, %v", pos, ok)
	}
	if _, ok := ParsePageToken(secret, b, tok); ok {
		t.Fatal("a token of another listing was accepted")
	}
	if _, ok := ParsePageToken([]byte("other secret"), a, tok); ok {
		t.Fatal("a token signed with another secret was accepted")
	}
	if pos, ok := ParsePageToken(secret, a, ""); !ok || pos != 0 {
		t.Fatalf("empty token = %d, %v; want 0, true", pos, ok)
	}
	unsigned := base64.RawURLEncoding.EncodeToString([]byte(a + ":7"))
	for _, bad := range []string{"garbage!", "A" + PageToken(secret, a, 1), "YTot", PageToken(secret, a, -1), unsigned} {
		if _, ok := ParsePageToken(secret, a, bad); ok {
			t.Errorf("ParsePageToken(%q) accepted", bad)
		}
	}
	// Every single-byte edit of the decoded token is refused.
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	for i := range raw {
		edited := append([]byte(nil), raw...)
		edited[i] ^= 0x01
		if pos, ok := ParsePageToken(secret, a, base64.RawURLEncoding.EncodeToString(edited)); ok {
			t.Errorf("token edited at byte %d accepted (position %d)", i, pos)
		}
	}
	if p, ok := OpenToken(secret, a, SignedToken(secret, a, "name:with:colons")); !ok || p != "name:with:colons" {
		t.Errorf("OpenToken(SignedToken) = %q, %v", p, ok)
	}
}
