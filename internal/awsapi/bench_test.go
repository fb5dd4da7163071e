package awsapi

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// discardWriter is a reusable ResponseWriter that keeps only the status.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// benchHandler serves SendTaskHeartbeat with a trivial operation, the
// hottest call of a busy server.
func benchHandler() http.Handler {
	type in struct {
		TaskToken string `json:"taskToken"`
	}
	type out struct{}
	return NewHandler(Config{Logger: slog.New(slog.DiscardHandler)}, &Service{
		Model:          EmbeddedModel("stepfunctions"),
		ErrorNamespace: "com.amazonaws.swf.service.v2.model",
		Ops: map[string]Operation{
			"SendTaskHeartbeat": Op(func(ctx context.Context, in *in) (*out, error) { return &out{}, nil }),
		},
	})
}

var benchBody = []byte(`{"taskToken":"AAAAKgAAAAIAAAAAAAAAAeWvNhO9xkRmM9fuBN7VQRyLpDmdWm0Ae3UZCqQlK+6g3uD7P1yR2EXAMPLEtokenEXAMPLEtoken=="}`)

// BenchmarkHandler measures one heartbeat through the whole handler:
// routing, body read, decode, validation, Op decode, encode and logging
// checks (net/http's own costs excluded).
func BenchmarkHandler(b *testing.B) {
	h := benchHandler()
	body := bytes.NewReader(benchBody)
	req := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(body))
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.SendTaskHeartbeat")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/states/aws4_request, SignedHeaders=host, Signature=00")
	req.ContentLength = int64(len(benchBody))
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		body.Reset(benchBody)
		clear(w.header)
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// BenchmarkHandlerParallel is BenchmarkHandler from all Ps.
func BenchmarkHandlerParallel(b *testing.B) {
	h := benchHandler()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		body := bytes.NewReader(benchBody)
		req := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(body))
		req.Header.Set("X-Amz-Target", "AWSStepFunctions.SendTaskHeartbeat")
		req.ContentLength = int64(len(benchBody))
		w := &discardWriter{header: http.Header{}}
		for pb.Next() {
			body.Reset(benchBody)
			clear(w.header)
			h.ServeHTTP(w, req)
			if w.status != http.StatusOK {
				b.Errorf("status %d", w.status)
				return
			}
		}
	})
}
