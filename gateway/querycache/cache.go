// Package querycache answers repeated queries of the gateway service from memory until the
// ledger changes what they read.
//
// A Cache holds answers by key. Concurrent misses on one key share one load; an answer
// lives until its TTL or an expiry the load gives it (a certificate running out), and every
// answer goes at once when Invalidate says the ledger changed. An answer loaded while an
// invalidation happened is handed to its callers but never kept, so the cache never holds
// an answer read before a change it has been told of.
//
// Verifications applies it to the public product verification: answers are dropped on
// every provenance event the service sees committed (see Follow).
package querycache

import (
	"context"
	"sync"
	"time"
)

// Outcome says how a Get was answered.
type Outcome string

// Outcomes of Get.
const (
	// Hit: from memory.
	Hit Outcome = "hit"
	// Miss: loaded by this call.
	Miss Outcome = "miss"
	// Shared: loaded by a concurrent call for the same key, whose answer this call waited for.
	Shared Outcome = "shared"
)

// Options configure a Cache.
type Options struct {
	// TTL is the longest an answer is kept; it must be positive.
	TTL time.Duration
	// MaxEntries bounds the answers kept; when full, expired answers go first, then
	// arbitrary ones. It must be positive.
	MaxEntries int
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Cache keeps answers of type V by key K. The zero value is not usable: see New.
type Cache[K comparable, V any] struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	gen     uint64 // incremented by Invalidate
	entries map[K]entry[V]
	loads   map[K]*load[V]
}

type entry[V any] struct {
	value   V
	expires time.Time
}

// load is one call of a loader that concurrent Gets of the same key wait for.
type load[V any] struct {
	done  chan struct{}
	value V
	err   error
}

// New returns an empty cache.
func New[K comparable, V any](o Options) *Cache[K, V] {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &Cache[K, V]{ttl: o.TTL, max: o.MaxEntries, now: now, entries: map[K]entry[V]{}, loads: map[K]*load[V]{}}
}

// Loader computes the answer for a key. It returns the answer and the time after which the
// answer no longer holds even if the ledger does not change (zero: none, the TTL applies).
type Loader[V any] func(ctx context.Context) (value V, expires time.Time, err error)

// Get returns the answer for key: from memory, from a load of the same key already under
// way, or from fn. Errors are returned, never kept. fn runs with ctx's deadline but not its
// cancellation, since other callers may be waiting for it. Answers are shared: callers
// must not modify them.
func (c *Cache[K, V]) Get(ctx context.Context, key K, fn Loader[V]) (V, Outcome, error) {
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		if c.now().Before(e.expires) {
			c.mu.Unlock()
			return e.value, Hit, nil
		}
		delete(c.entries, key)
	}
	if l, ok := c.loads[key]; ok {
		c.mu.Unlock()
		select {
		case <-l.done:
			return l.value, Shared, l.err
		case <-ctx.Done():
			var zero V
			return zero, Shared, ctx.Err()
		}
	}
	l := &load[V]{done: make(chan struct{})}
	c.loads[key] = l
	gen := c.gen
	c.mu.Unlock()

	lctx := context.WithoutCancel(ctx)
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		lctx, cancel = context.WithDeadline(lctx, deadline)
		defer cancel()
	}
	var expires time.Time
	l.value, expires, l.err = fn(lctx)

	c.mu.Lock()
	if c.loads[key] == l {
		delete(c.loads, key)
	}
	if l.err == nil && c.gen == gen {
		limit := c.now().Add(c.ttl)
		if expires.IsZero() || expires.After(limit) {
			expires = limit
		}
		c.makeRoom()
		c.entries[key] = entry[V]{value: l.value, expires: expires}
	}
	c.mu.Unlock()
	close(l.done)
	return l.value, Miss, l.err
}

// makeRoom drops answers until one more fits: the expired ones, then, if none had expired,
// an eighth of the cache. Called with c.mu held.
func (c *Cache[K, V]) makeRoom() {
	if len(c.entries) < c.max {
		return
	}
	now := c.now()
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	drop := len(c.entries) - c.max + 1
	if drop <= 0 {
		return
	}
	drop = max(drop, c.max/8)
	for k := range c.entries { // map order is arbitrary
		if drop == 0 {
			break
		}
		delete(c.entries, k)
		drop--
	}
}

// Invalidate drops every answer: the ledger changed. Loads under way finish for the
// callers waiting for them but are not kept, and later Gets do not wait for them.
func (c *Cache[K, V]) Invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if len(c.entries) > 0 {
		c.entries = map[K]entry[V]{}
	}
	if len(c.loads) > 0 {
		c.loads = map[K]*load[V]{}
	}
}

// Len is the number of answers kept, expired ones included until they are dropped.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
