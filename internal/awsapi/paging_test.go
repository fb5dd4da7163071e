package awsapi

import "testing"

func TestPageTokens(t *testing.T) {
	a, b := ListingKey("executions", "sm-a"), ListingKey("executions", "sm-b")
	if a == b {
		t.Fatal("different listings share a key")
	}
	tok := PageToken(a, 42)
	if pos, ok := ParsePageToken(a, tok); !ok || pos != 42 {
		t.Fatalf("ParsePageToken(own token) = %d, %v", pos, ok)
	}
	if _, ok := ParsePageToken(b, tok); ok {
		t.Fatal("a token of another listing was accepted")
	}
	if pos, ok := ParsePageToken(a, ""); !ok || pos != 0 {
		t.Fatalf("empty token = %d, %v; want 0, true", pos, ok)
	}
	for _, bad := range []string{"garbage!", "A" + PageToken(a, 1), "YTot", PageToken(a, -1)} {
		if _, ok := ParsePageToken(a, bad); ok {
			t.Errorf("ParsePageToken(%q) accepted", bad)
		}
	}
}
