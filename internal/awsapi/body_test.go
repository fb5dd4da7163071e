package awsapi

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
)

// TestDeclaredLengthNotAllocated: a body declared large but sent short
// costs what arrives, not what was declared. (Not parallel: it reads the
// process's allocation counter.)
func TestDeclaredLengthNotAllocated(t *testing.T) {
	const declared = 6_000_000
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := readFull(strings.NewReader(`{"name":"x"`), declared)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("readFull of a short body: %v, want unexpected EOF", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("reading 11 of %d declared bytes allocated %d bytes", declared, got)
	}

	// A body that does arrive in full is read whole, past the first buffer.
	want := strings.Repeat("x", 3*initialBodyBuffer+5)
	got, err := readFull(io.MultiReader(strings.NewReader(want[:100]), strings.NewReader(want[100:])), int64(len(want)))
	if err != nil || string(got) != want {
		t.Errorf("readFull of %d bytes: %d bytes, %v", len(want), len(got), err)
	}
}

// TestShortBodyOnTheWire declares 6 MB, sends 10 bytes and half-closes:
// the server answers SerializationException (the body ended early).
func TestShortBodyOnTheWire(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	conn, err := net.Dial("tcp", strings.TrimPrefix(b.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSStepFunctions.CreateActivity\r\n"+
		"Content-Type: application/x-amz-json-1.0\r\nContent-Length: 6000000\r\n\r\n{\"name\":\"")
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-ErrorType") != CodeSerialization {
		t.Errorf("short body: %d %s, want 400 %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), CodeSerialization)
	}
}
