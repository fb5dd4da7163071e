package sigv4

import (
	"bufio"
	"bytes"
	"io"
)

func httpBody(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }
