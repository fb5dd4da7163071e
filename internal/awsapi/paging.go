package awsapi

import (
	"crypto/hmac"
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

// pageMACSize is how many bytes of HMAC-SHA256 a page token carries.
const pageMACSize = 16

// pageMACDomain starts every signed payload, so that a page token's MAC can
// never be taken for another MAC under the same key.
const pageMACDomain = "gaffer page token\x00"

// pageMAC returns the truncated HMAC-SHA256 of payload under secret.
func pageMAC(secret []byte, payload string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(pageMACDomain))
	m.Write([]byte(payload))
	return m.Sum(nil)[:pageMACSize]
}

// SignedToken returns an opaque page token holding position pos (any
// text) of the listing named key (see ListingKey), signed with secret (the
// server's page-token key): clients cannot edit or forge it.
func SignedToken(secret []byte, key, pos string) string {
	payload := key + ":" + pos
	return base64.RawURLEncoding.EncodeToString(append([]byte(payload), pageMAC(secret, payload)...))
}

// OpenToken returns the position held by a token that SignedToken made
// with the same secret for the same key. ok is false for anything else: a
// token of another listing, an edited or forged one, garbage. It does not
// accept "": callers start their listing on an empty token.
func OpenToken(secret []byte, key, token string) (pos string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < pageMACSize {
		return "", false
	}
	payload, mac := string(b[:len(b)-pageMACSize]), b[len(b)-pageMACSize:]
	if !hmac.Equal(mac, pageMAC(secret, payload)) {
		return "", false
	}
	k, p, found := strings.Cut(payload, ":")
	if !found || k != key {
		return "", false
	}
	return p, true
}

// PageToken returns a signed page token for position pos of the listing
// named key (see SignedToken).
func PageToken(secret []byte, key string, pos int64) string {
	return SignedToken(secret, key, strconv.FormatInt(pos, 10))
}

// ParsePageToken returns the position held by a token that PageToken made
// with the same secret for the same key; "" is position 0. ok is false for
// anything else, which callers answer with their service's invalid-token
// error.
func ParsePageToken(secret []byte, key, token string) (pos int64, ok bool) {
	if token == "" {
		return 0, true
	}
	p, ok := OpenToken(secret, key, token)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(p, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
