package awsapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// ListingKey names one listing (an operation, the resource it lists under
// and the filters that select what it lists) so that a page token of one
// listing is refused by another.
func ListingKey(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:6])
}

// PageTokenLifetime is how long a page token is accepted after it was
// issued: AWS documents 24 hours for Step Functions and SWF tokens
// ("Each pagination token expires after 24 hours"); gaffer holds Data
// Pipeline markers to the same.
const PageTokenLifetime = 24 * time.Hour

// Errors of Pager.Open, which callers answer with their service's
// invalid-token error.
var (
	// ErrPageTokenInvalid: the token is not one this server signed for
	// this listing (another listing's, edited, forged or garbage).
	ErrPageTokenInvalid = errors.New("page token is not one of this listing")
	// ErrPageTokenExpired: the token is this listing's but older than
	// PageTokenLifetime.
	ErrPageTokenExpired = errors.New("page token has exceeded its maximum lifetime")
)

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

// Pager signs and opens page tokens: Secret is the server's page-token key,
// Now the time of the call (tokens carry the time they were issued, and
// expire PageTokenLifetime later).
type Pager struct {
	Secret []byte
	Now    time.Time
}

// Sign returns an opaque page token holding position pos (any text) of the
// listing named key (see ListingKey): clients cannot edit or forge it.
func (p Pager) Sign(key, pos string) string {
	payload := key + ":" + strconv.FormatInt(p.Now.Unix(), 10) + ":" + pos
	return base64.RawURLEncoding.EncodeToString(append([]byte(payload), pageMAC(p.Secret, payload)...))
}

// Open returns the position held by a token that Sign made with the same
// secret for the same key, less than PageTokenLifetime ago. It does not
// accept "": callers start their listing on an empty token.
func (p Pager) Open(key, token string) (pos string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < pageMACSize {
		return "", ErrPageTokenInvalid
	}
	payload, mac := string(b[:len(b)-pageMACSize]), b[len(b)-pageMACSize:]
	if !hmac.Equal(mac, pageMAC(p.Secret, payload)) {
		return "", ErrPageTokenInvalid
	}
	k, rest, found := strings.Cut(payload, ":")
	if !found || k != key {
		return "", ErrPageTokenInvalid
	}
	at, pos, found := strings.Cut(rest, ":")
	issued, err := strconv.ParseInt(at, 10, 64)
	if !found || err != nil {
		return "", ErrPageTokenInvalid
	}
	if p.Now.Sub(time.Unix(issued, 0)) > PageTokenLifetime {
		return "", ErrPageTokenExpired
	}
	return pos, nil
}

// Token returns a signed page token for position pos of the listing named
// key (see Sign).
func (p Pager) Token(key string, pos int64) string {
	return p.Sign(key, strconv.FormatInt(pos, 10))
}

// Position returns the position held by a token that Token made for the
// same key; "" is position 0. Errors are those of Open.
func (p Pager) Position(key, token string) (int64, error) {
	if token == "" {
		return 0, nil
	}
	s, err := p.Open(key, token)
	if err != nil {
		return 0, err
	}
	n, perr := strconv.ParseInt(s, 10, 64)
	if perr != nil || n < 0 {
		return 0, ErrPageTokenInvalid
	}
	return n, nil
}
