package engine

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash"
	"sync"
)

// tokenVersion is the first byte of every token's payload.
const tokenVersion = 1

// macSize is how many bytes of HMAC-SHA256 a token carries.
const macSize = 16

// tokenRef is what a token names: one attempt of one task.
type tokenRef struct {
	partition int
	taskID    int64
	attempt   int
}

// tokens mints and checks task tokens. A token is the base64url encoding of
// (version, partition, task id, attempt) followed by a truncated HMAC-SHA256 of
// those bytes under the server's secret: opaque to clients, unforgeable, and
// valid across restarts because the secret is stored.
type tokens struct {
	secret []byte
	macs   sync.Pool // of hash.Hash: HMAC-SHA256 under secret, reused
}

// mac returns an HMAC-SHA256 hash under the secret from the pool.
func (k *tokens) mac() hash.Hash {
	if h, ok := k.macs.Get().(hash.Hash); ok {
		h.Reset()
		return h
	}
	return hmac.New(sha256.New, k.secret)
}

// encode returns the token for ref.
func (k *tokens) encode(ref tokenRef) string {
	var buf [1 + 3*binary.MaxVarintLen64 + macSize]byte
	b := buf[:0]
	b = append(b, tokenVersion)
	b = binary.AppendUvarint(b, uint64(ref.partition))
	b = binary.AppendUvarint(b, uint64(ref.taskID))
	b = binary.AppendUvarint(b, uint64(ref.attempt))
	m := k.mac()
	m.Write(b)
	b = m.Sum(b)[:len(b)+macSize]
	k.macs.Put(m)
	return base64.RawURLEncoding.EncodeToString(b)
}

var errBadToken = errors.New("malformed or forged token")

// decode checks token and returns what it names.
func (k *tokens) decode(token string) (tokenRef, error) {
	if len(token) == 0 || len(token) > 256 {
		return tokenRef{}, errBadToken
	}
	var buf [256]byte
	n, err := base64.RawURLEncoding.Decode(buf[:], []byte(token))
	if err != nil || n < 1+3+macSize {
		return tokenRef{}, errBadToken
	}
	b := buf[:n]
	payload, mac := b[:n-macSize], b[n-macSize:]
	m := k.mac()
	m.Write(payload)
	var sum [sha256.Size]byte
	ok := hmac.Equal(m.Sum(sum[:0])[:macSize], mac)
	k.macs.Put(m)
	if !ok {
		return tokenRef{}, errBadToken
	}
	if payload[0] != tokenVersion {
		return tokenRef{}, errBadToken
	}
	p := payload[1:]
	var vals [3]uint64
	for i := range vals {
		v, n := binary.Uvarint(p)
		if n <= 0 {
			return tokenRef{}, errBadToken
		}
		vals[i] = v
		p = p[n:]
	}
	if len(p) != 0 || vals[0] > 1<<20 || vals[1] > 1<<62 || vals[2] > 1<<30 {
		return tokenRef{}, errBadToken
	}
	return tokenRef{partition: int(vals[0]), taskID: int64(vals[1]), attempt: int(vals[2])}, nil
}

// PageKey returns the key that signs page tokens (awsapi.SignedToken): an
// HMAC of a fixed label under the token secret, so page tokens stay valid
// across restarts, and the task-token secret itself never leaves the
// engine. It is valid once Start has returned.
func (e *Engine) PageKey() []byte {
	m := hmac.New(sha256.New, e.tokens.secret)
	m.Write([]byte("gaffer page-token key"))
	return m.Sum(nil)
}
