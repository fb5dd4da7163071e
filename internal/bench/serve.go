package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	httppprof "net/http/pprof"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"time"
)

// ServeBare serves the bare handler on addr until ctx ends, with the
// runtime's memory statistics and heap profile on debugAddr if it is set
// (see ServeWrapped). It is the hidden mode 'gaffer bench -bare-server
// ADDR [-serve-debug ADDR]' the bench starts as a subprocess.
func ServeBare(ctx context.Context, addr, debugAddr string) error {
	if debugAddr != "" {
		stop, err := serveDebug(debugAddr)
		if err != nil {
			return err
		}
		defer stop()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: bareHandler{}, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second) // ctx has ended: shut down on its values, not its end
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// bareHandler is the ceiling: it answers every POST with {} and the
// headers gaffer sends (Content-Type, Content-Length, x-amzn-RequestId),
// and GET /healthz with 200. A GetActivityTask is held until the client
// goes away: the cheapest possible idle long poll.
type bareHandler struct{}

var (
	bareContentType = []string{amzJSON}
	bareLength      = []string{"2"}
	bareBody        = []byte("{}")
)

func (bareHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/healthz" {
		_, _ = w.Write([]byte("ok\n"))
		return
	}
	_, _ = io.Copy(io.Discard, r.Body)
	if r.Header.Get("X-Amz-Target") == targetPrefix+"GetActivityTask" {
		<-r.Context().Done()
	}
	h := w.Header()
	h["x-amzn-RequestId"] = []string{bareRequestID()}
	h["Content-Type"] = bareContentType
	h["Content-Length"] = bareLength
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(bareBody)
}

// bareRequestID returns a random UUID-shaped id, as gaffer does per
// request.
func bareRequestID() string {
	const hex = "0123456789abcdef"
	a, b := rand.Uint64(), rand.Uint64()
	var out [36]byte
	j := 0
	for i := range 16 {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		v := a
		if i >= 8 {
			v = b
		}
		c := byte(v >> (8 * (i % 8)))
		out[j], out[j+1] = hex[c>>4], hex[c&0x0f]
		j += 2
	}
	return string(out[:])
}

// ServeWrapped runs serve (a gaffer server until ctx ends) under a CPU
// profile written to cpuprofile when the server stops, and with the
// runtime's memory statistics and heap profile served on
// http://debugAddr/memstats and /heap, when those are set. It is the
// hidden mode 'gaffer bench [-serve-cpuprofile FILE] [-serve-debug ADDR]
// -- SERVEARGS' the bench starts as a subprocess.
func ServeWrapped(ctx context.Context, cpuprofile, debugAddr string, serve func(context.Context) error) (err error) {
	if debugAddr != "" {
		stop, err := serveDebug(debugAddr)
		if err != nil {
			return err
		}
		defer stop()
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return fmt.Errorf("create CPU profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("start CPU profile: %w", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			if cerr := f.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("write CPU profile: %w", cerr)
			}
		}()
	}
	return serve(ctx)
}

// serveDebug serves the runtime's memory statistics on
// http://addr/memstats, its heap profile on /heap and a CPU profile of the
// next ?seconds=N on /profile; /freeosmemory runs a garbage collection and
// returns the free memory to the OS. stop closes it.
func serveDebug(addr string) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for debug: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /memstats", func(w http.ResponseWriter, r *http.Request) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(debugStats{
			HeapInuse: m.HeapInuse, StackInuse: m.StackInuse, Sys: m.Sys, HeapReleased: m.HeapReleased,
			HeapObjects: m.HeapObjects, Goroutines: runtime.NumGoroutine(),
		})
	})
	mux.HandleFunc("GET /heap", func(w http.ResponseWriter, r *http.Request) {
		_ = pprof.Lookup("heap").WriteTo(w, 0)
	})
	mux.HandleFunc("GET /profile", httppprof.Profile)
	mux.HandleFunc("GET /trace", httppprof.Trace)
	mux.HandleFunc("GET /freeosmemory", func(w http.ResponseWriter, r *http.Request) {
		debug.FreeOSMemory()
	})
	dbg := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = dbg.Serve(ln) }()
	return func() { _ = dbg.Close() }, nil
}
