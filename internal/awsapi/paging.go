package awsapi

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
)

// ListingKey names one listing (an operation and the filters that select
// what it lists) so that a page token of one listing is refused by another.
func ListingKey(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:6])
}

// PageToken returns an opaque page token for position pos of the listing
// named key (see ListingKey).
func PageToken(key string, pos int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key + ":" + strconv.FormatInt(pos, 10)))
}

// ParsePageToken returns the position held by a token that PageToken made
// for the same key; "" is position 0. ok is false for anything else, which
// callers answer with their service's invalid-token error.
func ParsePageToken(key, token string) (pos int64, ok bool) {
	if token == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, false
	}
	k, p, found := strings.Cut(string(b), ":")
	n, err := strconv.ParseInt(p, 10, 64)
	if !found || k != key || err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
