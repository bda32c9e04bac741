package exchange

import (
	"sync"
	"time"
)

// ttlMap remembers values for a short time. Reads take a shared lock only,
// so that the gateway's many concurrent requests do not queue on it.
type ttlMap[K comparable, V any] struct {
	max int

	mu sync.RWMutex
	m  map[K]ttlItem[V]
}

type ttlItem[V any] struct {
	v   V
	exp time.Time
}

func newTTLMap[K comparable, V any](max int) *ttlMap[K, V] {
	return &ttlMap[K, V]{max: max, m: make(map[K]ttlItem[V])}
}

func (c *ttlMap[K, V]) get(k K, now time.Time) (V, bool) {
	c.mu.RLock()
	it, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || !now.Before(it.exp) {
		var zero V
		return zero, false
	}
	return it.v, true
}

func (c *ttlMap[K, V]) put(k K, v V, exp time.Time) {
	c.mu.Lock()
	if len(c.m) >= c.max {
		// Drop what has expired; if that is not enough, start over (the
		// map is a cache of the database, nothing is lost).
		now := time.Now()
		for k, it := range c.m {
			if !now.Before(it.exp) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= c.max {
			c.m = make(map[K]ttlItem[V])
		}
	}
	c.m[k] = ttlItem[V]{v: v, exp: exp}
	c.mu.Unlock()
}

func (c *ttlMap[K, V]) delete(k K) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

func (c *ttlMap[K, V]) clear() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}

// routeKey names a service in gateway URLs.
type routeKey struct{ provider, service string }

// pairKey identifies a (consumer, service) pair.
type pairKey struct{ consumer, service string }

// caches hold what the gateway checks on every request, so that a request
// costs no query once its consumer has called recently. Every change made
// through this Service clears them at once; changes made by another process
// show within the TTL.
type caches struct {
	ttl    time.Duration
	routes *ttlMap[routeKey, *route]      // (provider, service) → route (nil: unknown)
	keys   *ttlMap[string, *keyState]     // API key ID → state (nil: unknown)
	system *ttlMap[string, *systemState]  // system ID → state
	access *ttlMap[pairKey, *accessState] // (consumer, service) → decision
	tokens *ttlMap[string, tokenClaims]   // verified access tokens
}

func newCaches(ttl time.Duration) *caches {
	return &caches{ttl: ttl,
		routes: newTTLMap[routeKey, *route](10000),
		keys:   newTTLMap[string, *keyState](50000),
		system: newTTLMap[string, *systemState](10000),
		access: newTTLMap[pairKey, *accessState](100000),
		tokens: newTTLMap[string, tokenClaims](50000),
	}
}

// invalidate forgets every decision (changes are rare; the next requests
// reload what they need).
func (c *caches) invalidate() {
	c.routes.clear()
	c.keys.clear()
	c.system.clear()
	c.access.clear()
}

type keyState struct {
	id       string
	systemID string
	hash     [32]byte
	expires  time.Time // zero: never
	revoked  bool
}

type systemState struct {
	id       string
	code     string
	agencyID string
	disabled bool
	// certs are the pinned client-certificate fingerprints (raw SHA-256).
	certs [][32]byte
}

type accessState struct {
	approved bool
	rate     int
	burst    int
}
