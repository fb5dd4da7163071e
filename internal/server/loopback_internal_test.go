package server

import (
	"context"
	"errors"
	"net"
	"testing"
)

func TestLoopback(t *testing.T) {
	t.Parallel()
	// A fake resolver: the test never resolves a name for real.
	names := map[string][]string{
		"local.test":  {"127.0.0.1", "::1"},
		"public.test": {"192.0.2.7"},
		"mixed.test":  {"127.0.0.1", "192.0.2.7"},
		"empty.test":  {},
	}
	lookup := func(_ context.Context, host string) ([]net.IPAddr, error) {
		addrs, ok := names[host]
		if !ok {
			return nil, errors.New("no such host")
		}
		var ips []net.IPAddr
		for _, a := range addrs {
			ips = append(ips, net.IPAddr{IP: net.ParseIP(a)})
		}
		return ips, nil
	}
	for _, tt := range []struct {
		addr    string
		want    bool
		wantErr bool
	}{
		{"127.0.0.1:7710", true, false},
		{"127.1.2.3:0", true, false},
		{"[::1]:7710", true, false},
		{"[::ffff:127.0.0.1]:7710", true, false},
		{"localhost:7710", true, false},
		{"LocalHost:7710", true, false},
		{"local.test:7710", true, false},
		{"0.0.0.0:7710", false, false},
		{"[::]:7710", false, false},
		{":7710", false, false},
		{"192.0.2.1:7710", false, false},
		{"[2001:db8::1]:7710", false, false},
		{"[fe80::1%eth0]:7710", false, false},
		{"public.test:7710", false, false},
		{"mixed.test:7710", false, false},
		{"empty.test:7710", false, true},
		{"nowhere.test:7710", false, true},
		{"127.0.0.1", false, true}, // no port
	} {
		got, err := loopback(t.Context(), tt.addr, lookup)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("loopback(%q) = %v, %v; want %v (error: %v)", tt.addr, got, err, tt.want, tt.wantErr)
		}
	}
}
