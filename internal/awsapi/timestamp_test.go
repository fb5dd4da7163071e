package awsapi

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimestampMarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Unix(1326592619, 474_000_000), "1326592619.474"},
		{time.Unix(1326592619, 474_999_999), "1326592619.474"},
		{time.Unix(1326592619, 400_000_000), "1326592619.4"},
		{time.Unix(1326592619, 50_000_000), "1326592619.05"},
		{time.Unix(1326592619, 0), "1326592619"},
		{time.Unix(0, 0), "0"},
		{time.Unix(-2, 500_000_000), "-1.5"},
		{time.Unix(-1, 999_000_000), "-0.001"},
		{time.Date(2012, 1, 15, 2, 36, 59, 474_000_000, time.FixedZone("X", 3600)), "1326591419.474"},
	}
	for _, tt := range tests {
		got, err := json.Marshal(Timestamp{tt.t})
		if err != nil || string(got) != tt.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tt.t, got, err, tt.want)
		}
	}
}

func TestTimestampOmitZero(t *testing.T) {
	t.Parallel()
	type out struct {
		A Timestamp  `json:"a,omitzero"`
		B *Timestamp `json:"b,omitempty"`
		C Timestamp  `json:"c"`
	}
	got, err := json.Marshal(out{C: Timestamp{time.Unix(5, 0)}})
	if err != nil || string(got) != `{"c":5}` {
		t.Errorf("Marshal = %s, %v", got, err)
	}
	got, _ = json.Marshal(&out{B: &Timestamp{time.Unix(1, 250_000_000)}, C: Timestamp{time.Unix(5, 0)}})
	if string(got) != `{"b":1.25,"c":5}` {
		t.Errorf("Marshal pointer = %s", got)
	}
}

func TestTimestampUnmarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Time
	}{
		{"1326592619", time.Unix(1326592619, 0)},
		{"1326592619.474", time.Unix(1326592619, 474_000_000)},
		{"1326592619.4741234567", time.Unix(1326592619, 474_123_456)},
		{"1.326592619474E9", time.Unix(1326592619, 474_000_000)},
		{"-1.5", time.Unix(-2, 500_000_000)},
		{"0", time.Unix(0, 0)},
	}
	for _, tt := range tests {
		var ts Timestamp
		if err := json.Unmarshal([]byte(tt.in), &ts); err != nil {
			t.Errorf("Unmarshal(%s): %v", tt.in, err)
			continue
		}
		d := ts.Sub(tt.want)
		if d < -time.Microsecond || d > time.Microsecond || ts.Location() != time.UTC {
			t.Errorf("Unmarshal(%s) = %v, want %v UTC", tt.in, ts.Time, tt.want)
		}
	}
	for _, bad := range []string{`"2020-01-01T00:00:00Z"`, `true`, `{}`, `1.x`, `1e999`} {
		var ts Timestamp
		if err := json.Unmarshal([]byte(bad), &ts); err == nil {
			t.Errorf("Unmarshal(%s) = %v, want an error", bad, ts)
		}
	}
	ts := Timestamp{time.Unix(7, 0)}
	if err := json.Unmarshal([]byte(`null`), &ts); err != nil || ts.Unix() != 7 {
		t.Errorf("null changed the value: %v %v", ts, err)
	}
	var in struct {
		When Timestamp `json:"when"`
	}
	if err := json.Unmarshal([]byte(`{"when":1700000000.5}`), &in); err != nil || in.When.UnixMilli() != 1700000000500 {
		t.Errorf("in struct: %v %v", in.When, err)
	}
}

func TestTimestampRoundTrip(t *testing.T) {
	t.Parallel()
	orig := NewTimestamp(time.Date(2030, 6, 1, 12, 0, 0, 123_000_000, time.UTC))
	data, _ := json.Marshal(orig)
	var back Timestamp
	if err := json.Unmarshal(data, &back); err != nil || !back.Equal(orig.Time) {
		t.Errorf("round trip %s: %v %v", data, back, err)
	}
}
