package bench

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ipBindAddressNoPort is Linux's IP_BIND_ADDRESS_NO_PORT: a socket bound
// to a source address gets its port at connect, unique per destination,
// rather than at bind, unique per source address.
const ipBindAddressNoPort = 24

// bindNoPort is a net.Dialer's Control that sets IP_BIND_ADDRESS_NO_PORT.
func bindNoPort(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, ipBindAddressNoPort, 1)
	}); err != nil {
		return err
	}
	return serr
}

// manyLoopbackSources reports whether every 127.0.0.0/8 address is a
// local source address (Linux: yes).
const manyLoopbackSources = true

// ephemeralPorts returns how many ephemeral ports one source address has
// towards one destination (net.ipv4.ip_local_port_range).
func ephemeralPorts() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 16384
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 16384
	}
	lo, err1 := strconv.Atoi(f[0])
	hi, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || hi < lo {
		return 16384
	}
	return hi - lo + 1
}
