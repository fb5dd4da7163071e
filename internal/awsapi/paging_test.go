package awsapi

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"
)

func TestPageTokens(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := Pager{Secret: []byte("test secret"), Now: now}
	a, b := ListingKey("executions", "sm-a"), ListingKey("executions", "sm-b")
	if a == b {
		t.Fatal("different listings share a key")
	}
	tok := p.Token(a, 42)
	if pos, err := p.Position(a, tok); err != nil || pos != 42 {
		t.Fatalf("Position(own token) = %d, %v", pos, err)
	}
	if _, err := p.Position(b, tok); !errors.Is(err, ErrPageTokenInvalid) {
		t.Fatalf("a token of another listing: %v, want ErrPageTokenInvalid", err)
	}
	other := Pager{Secret: []byte("other secret"), Now: now}
	if _, err := other.Position(a, tok); !errors.Is(err, ErrPageTokenInvalid) {
		t.Fatalf("a token signed with another secret: %v, want ErrPageTokenInvalid", err)
	}
	if pos, err := p.Position(a, ""); err != nil || pos != 0 {
		t.Fatalf("empty token = %d, %v; want 0, nil", pos, err)
	}
	unsigned := base64.RawURLEncoding.EncodeToString([]byte(a + ":7"))
	for _, bad := range []string{"garbage!", "A" + p.Token(a, 1), "YTot", p.Token(a, -1), unsigned} {
		if _, err := p.Position(a, bad); !errors.Is(err, ErrPageTokenInvalid) {
			t.Errorf("Position(%q) = %v, want ErrPageTokenInvalid", bad, err)
		}
	}
	// Every single-byte edit of the decoded token is refused.
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	for i := range raw {
		edited := append([]byte(nil), raw...)
		edited[i] ^= 0x01
		if pos, err := p.Position(a, base64.RawURLEncoding.EncodeToString(edited)); err == nil {
			t.Errorf("token edited at byte %d accepted (position %d)", i, pos)
		}
	}
	if s, err := p.Open(a, p.Sign(a, "name:with:colons")); err != nil || s != "name:with:colons" {
		t.Errorf("Open(Sign) = %q, %v", s, err)
	}
}

// A token is accepted for PageTokenLifetime after it was issued, then
// refused as expired.
func TestPageTokenExpiry(t *testing.T) {
	issued := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := Pager{Secret: []byte("s"), Now: issued}
	key := ListingKey("x")
	tok := p.Token(key, 9)
	p.Now = issued.Add(PageTokenLifetime)
	if pos, err := p.Position(key, tok); err != nil || pos != 9 {
		t.Fatalf("at the lifetime's end: %d, %v; want 9, nil", pos, err)
	}
	p.Now = issued.Add(PageTokenLifetime + time.Second)
	if _, err := p.Position(key, tok); !errors.Is(err, ErrPageTokenExpired) {
		t.Fatalf("after the lifetime: %v, want ErrPageTokenExpired", err)
	}
}
