package clockcache

import (
	"fmt"
	"sync"
	"testing"
)

// The cache never holds more than its size, and what it holds it returns.
func TestBounded(t *testing.T) {
	t.Parallel()
	c := New[string, int](8)
	for i := range 1000 {
		c.Put(fmt.Sprint(i), i)
		if n := c.Len(); n > 8 {
			t.Fatalf("after %d puts the cache holds %d, want at most 8", i+1, n)
		}
	}
	held := 0
	for i := range 1000 {
		if v, ok := c.Get(fmt.Sprint(i)); ok {
			held++
			if v != i {
				t.Fatalf("Get(%d) = %d", i, v)
			}
		}
	}
	if held != 8 {
		t.Fatalf("%d entries found, want 8", held)
	}
}

// An entry used between inserts survives a stream of entries used once.
func TestHotEntryStays(t *testing.T) {
	t.Parallel()
	c := New[int, int](4)
	c.Put(-1, -1)
	for i := range 100 {
		if _, ok := c.Get(-1); !ok {
			t.Fatalf("the hot entry was evicted after %d other puts", i)
		}
		c.Put(i, i)
	}
}

// A value already cached for a key is kept.
func TestPutKeeps(t *testing.T) {
	t.Parallel()
	c := New[string, int](2)
	c.Put("a", 1)
	c.Put("a", 2)
	if v, _ := c.Get("a"); v != 1 || c.Len() != 1 {
		t.Fatalf("Get(a) = %d, Len = %d; want 1, 1", v, c.Len())
	}
}

// Update replaces a cached value when told to, in the same slot, and the
// replaced entry is evicted like any other.
func TestUpdateReplaces(t *testing.T) {
	t.Parallel()
	c := New[string, int](2)
	newer := func(v int) func(int) bool { return func(old int) bool { return old < v } }
	c.Put("a", 1)
	c.Update("a", 2, newer(2))
	if v, _ := c.Get("a"); v != 2 || c.Len() != 1 {
		t.Fatalf("after a newer Update: Get(a) = %d, Len = %d; want 2, 1", v, c.Len())
	}
	c.Update("a", 0, newer(0))
	if v, _ := c.Get("a"); v != 2 {
		t.Fatalf("after an older Update: Get(a) = %d; want 2 kept", v)
	}
	for i := range 10 {
		c.Put(string(rune('b'+i)), i)
	}
	if _, ok := c.Get("a"); ok || c.Len() != 2 {
		t.Fatalf("after 10 other puts: a still cached (%v), Len = %d; want evicted, 2", ok, c.Len())
	}
}

// Concurrent gets and puts (run with -race).
func TestConcurrent(t *testing.T) {
	t.Parallel()
	c := New[int, int](16)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				k := (i * (g + 1)) % 64
				if v, ok := c.Get(k); ok && v != k {
					t.Errorf("Get(%d) = %d", k, v)
					return
				}
				c.Put(k, k)
			}
		})
	}
	wg.Wait()
	if n := c.Len(); n > 16 {
		t.Fatalf("the cache holds %d, want at most 16", n)
	}
}

func BenchmarkGetHit(b *testing.B) {
	c := New[string, int](1024)
	c.Put("k", 1)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok := c.Get("k"); !ok {
				b.Fatal("miss")
			}
		}
	})
}
