// Package clockcache is a cache of bounded size whose hits take no lock and
// allocate nothing: a sync.Map for lookups, and the CLOCK approximation of
// least-recently-used eviction for inserts. A hit sets its entry's used
// bit; an insert into a full cache moves the hand round the entries,
// clearing used bits, and evicts the first entry whose bit was clear (one
// not used since the hand last passed it).
//
// It suits caches of values that are costly to make and cheap to keep
// until there are too many, read on hot paths: parsed definitions.
package clockcache

import (
	"sync"
	"sync/atomic"
)

// Cache maps keys to values, holding at most its size. The zero value is
// not usable: call New.
type Cache[K comparable, V any] struct {
	m sync.Map // K → *entry[K, V]

	mu   sync.Mutex // inserts and evictions
	ring []*entry[K, V]
	hand int
	size int
}

type entry[K comparable, V any] struct {
	key  K
	val  V
	used atomic.Bool
	slot int // its index in ring
}

// New returns a cache holding at most size entries (at least 1).
func New[K comparable, V any](size int) *Cache[K, V] {
	return &Cache[K, V]{size: max(size, 1)}
}

// Get returns the value cached for k.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	v, ok := c.m.Load(k)
	if !ok {
		var zero V
		return zero, false
	}
	e := v.(*entry[K, V])
	if !e.used.Load() { // no write (and no cache-line bouncing) on a hot entry
		e.used.Store(true)
	}
	return e.val, true
}

// Put caches v for k, evicting another entry if the cache is full. A value
// already cached for k is kept.
func (c *Cache[K, V]) Put(k K, v V) {
	c.Update(k, v, func(V) bool { return false })
}

// Update caches v for k, evicting another entry if the cache is full. A
// value already cached for k is replaced by v if replace(old) says so, and
// kept otherwise. A replaced value stays valid for those who got it
// before: values are never changed in place.
func (c *Cache[K, V]) Update(k K, v V, replace func(old V) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.m.Load(k); ok {
		old := cur.(*entry[K, V])
		if !replace(old.val) {
			return
		}
		e := &entry[K, V]{key: k, val: v, slot: old.slot}
		e.used.Store(true)
		c.ring[e.slot] = e
		c.m.Store(k, e)
		return
	}
	e := &entry[K, V]{key: k, val: v}
	if len(c.ring) < c.size {
		e.slot = len(c.ring)
		c.ring = append(c.ring, e)
	} else {
		for c.ring[c.hand].used.Swap(false) {
			c.hand = (c.hand + 1) % len(c.ring)
		}
		old := c.ring[c.hand]
		c.m.Delete(old.key)
		e.slot = c.hand
		c.ring[c.hand] = e
		c.hand = (c.hand + 1) % len(c.ring)
	}
	c.m.Store(k, e)
}

// Len returns how many entries the cache holds.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ring)
}
