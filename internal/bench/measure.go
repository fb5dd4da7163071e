package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ownCPUTime returns the user and system CPU time this process has used.
func ownCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rss returns the process's resident set size in bytes.
func (p *proc) rss() (int64, error) {
	v, err := p.status("VmRSS")
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// rssParts returns the parts of the process's resident set: anonymous
// memory (what it allocated: the Go heap and stacks, SQLite's memory),
// file pages (the binary's code and data it has touched) and shared memory
// (SQLite's WAL index, mapped from the -shm file), in bytes.
func (p *proc) rssParts() (anon, file, shmem int64, err error) {
	v, err := p.status("RssAnon", "RssFile", "RssShmem")
	if err != nil {
		return 0, 0, 0, err
	}
	return v[0], v[1], v[2], nil
}

// status returns the named sizes of /proc/PID/status in bytes.
func (p *proc) status(names ...string) ([]int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return nil, fmt.Errorf("read /proc status of %s: %w", p.name, err)
	}
	v := make([]int64, len(names))
	found := 0
	for line := range strings.Lines(string(data)) {
		name, rest, ok := strings.Cut(line, ":")
		i := slices.Index(names, name)
		if !ok || i < 0 {
			continue
		}
		f := strings.Fields(rest) // "123456 kB"
		if len(f) != 2 || f[1] != "kB" {
			return nil, fmt.Errorf("/proc/%d/status: %s: unexpected %q", p.cmd.Process.Pid, name, strings.TrimSpace(rest))
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("/proc/%d/status: %s: %w", p.cmd.Process.Pid, name, err)
		}
		v[i] = kb << 10
		found++
	}
	if found != len(names) {
		return nil, fmt.Errorf("/proc/%d/status: want %s, found %d of them", p.cmd.Process.Pid, strings.Join(names, ", "), found)
	}
	return v, nil
}

// settledRSS samples the RSS every 100 ms and returns it once it changed
// by less than rssTolerance over rssWindow (at most rssMaxSettle).
func (p *proc) settledRSS(ctx context.Context) (int64, error) {
	const every = 100 * time.Millisecond
	window := int(rssWindow / every)
	var samples []int64
	deadline := time.Now().Add(rssMaxSettle)
	for {
		v, err := p.rss()
		if err != nil {
			return 0, err
		}
		samples = append(samples, v)
		if len(samples) > window {
			last := samples[len(samples)-window-1:]
			lo, hi := slices.Min(last), slices.Max(last)
			if float64(hi-lo) <= rssTolerance*float64(hi) || time.Now().After(deadline) {
				return v, nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		case <-time.After(every):
		}
	}
}

// cpuTime returns the user and system CPU time the process has used,
// from /proc/<pid>/stat (in clock ticks of 10 ms: Linux's USER_HZ is 100).
func (p *proc) cpuTime() (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time of %s: %w", p.name, err)
	}
	// The command name (field 2) is in parentheses and may hold spaces;
	// utime and stime are fields 14 and 15, the 12th and 13th after it.
	_, rest, ok := strings.Cut(string(data), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, fmt.Errorf("read CPU time of %s: unexpected /proc/%d/stat", p.name, p.cmd.Process.Pid)
	}
	var ticks int64
	for _, s := range f[11:13] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("read CPU time of %s: %w", p.name, err)
		}
		ticks += v
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// openFiles counts the process's open file descriptors.
func (p *proc) openFiles() (int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("count open files of %s: %w", p.name, err)
	}
	return len(ents), nil
}

// measureSync appends 4 KiB to a file in dir and fdatasyncs it n times,
// as a WAL commit does, and returns the sorted latencies.
func measureSync(dir string, n int) ([]time.Duration, error) {
	f, err := os.Create(filepath.Join(dir, "sync-probe"))
	if err != nil {
		return nil, fmt.Errorf("time disk syncs: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	page := make([]byte, 4096)
	lats := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if _, err := f.Write(page); err != nil {
			return nil, fmt.Errorf("time disk syncs: %w", err)
		}
		if err := datasync(f); err != nil {
			return nil, fmt.Errorf("time disk syncs: %w", err)
		}
		lats = append(lats, time.Since(start))
	}
	slices.Sort(lats)
	return lats, nil
}

// debugStats is the hidden debug endpoint's /memstats answer.
type debugStats struct {
	HeapInuse  uint64 `json:"heap_inuse"`
	StackInuse uint64 `json:"stack_inuse"`
	Sys        uint64 `json:"sys"`
	// HeapReleased is what the runtime has returned to the OS (of Sys).
	HeapReleased uint64 `json:"heap_released"`
	HeapObjects  uint64 `json:"heap_objects"`
	Goroutines   int    `json:"goroutines"`
}

// memStats fetches the runtime's memory statistics from a server started
// with debug.
func (p *proc) memStats(ctx context.Context) (debugStats, error) {
	var st debugStats
	body, err := p.debugGet(ctx, "/memstats")
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, fmt.Errorf("decode memory statistics of %s: %w", p.name, err)
	}
	return st, nil
}

func (p *proc) debugGet(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.debugURL+path, nil)
	if err != nil {
		return nil, err
	}
	// A connection of its own, closed after the answer: it must not
	// linger among the connections the memory phase counts.
	req.Close = true
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s debug %s: %w", p.name, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s debug %s: %w", p.name, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s debug %s: HTTP %d: %s", p.name, path, resp.StatusCode, body)
	}
	return body, nil
}
