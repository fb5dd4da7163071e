package awsapi

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// Timestamp is a time that encodes as AWS JSON protocols do: epoch seconds
// as a JSON number with a millisecond fraction (1326592619.474; whole
// seconds have no fraction). It decodes from integer seconds (botocore) or
// fractional ones (Go SDK v2); null leaves it unchanged. Decoded times are
// UTC. The zero Timestamp reports IsZero, so `json:",omitzero"` omits it.
type Timestamp struct{ time.Time }

// NewTimestamp returns t as a Timestamp.
func NewTimestamp(t time.Time) Timestamp { return Timestamp{t} }

// MarshalJSON encodes t as epoch seconds with millisecond precision.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return t.appendJSON(make([]byte, 0, 24)), nil
}

func (t Timestamp) appendJSON(b []byte) []byte {
	ms := t.UnixMilli()
	if ms < 0 {
		b = append(b, '-')
		ms = -ms
	}
	sec, frac := ms/1000, ms%1000
	b = strconv.AppendInt(b, sec, 10)
	if frac == 0 {
		return b
	}
	b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	for b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	return b
}

var errTimestampNotNumber = errors.New("timestamp must be a JSON number of epoch seconds")

// UnmarshalJSON decodes epoch seconds given as a JSON number.
func (t *Timestamp) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		return nil
	}
	if len(data) == 0 || data[0] == '"' {
		return errTimestampNotNumber
	}
	s := string(data)
	if strings.ContainsAny(s, "eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return errTimestampNotNumber
		}
		sec, frac := math.Modf(f)
		t.Time = time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC()
		return nil
	}
	neg := strings.HasPrefix(s, "-")
	intPart, fracPart, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	sec, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return errTimestampNotNumber
	}
	var nsec int64
	if fracPart != "" {
		if len(fracPart) > 9 {
			fracPart = fracPart[:9] // below a nanosecond: truncate
		}
		n, err := strconv.ParseUint(fracPart, 10, 32)
		if err != nil {
			return errTimestampNotNumber
		}
		nsec = int64(n)
		for range 9 - len(fracPart) {
			nsec *= 10
		}
	}
	if neg {
		sec, nsec = -sec, -nsec
	}
	t.Time = time.Unix(sec, nsec).UTC()
	return nil
}
