package identity

import (
	"sync"
	"time"

	"github.com/congso/congso/internal/actor"
)

// actorCache keeps resolved sessions and bearer tokens for a few seconds, so
// that a client sending many requests does not cost four queries each. This
// service forgets an entry at once when it ends a session, revokes a token,
// disables an account or is told that roles changed; another server of the
// same platform notices within the cache's lifetime.
type actorCache struct {
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[string]cachedActor
}

type cachedActor struct {
	actor   *actor.Actor
	session Session
	expires time.Time
}

func newActorCache(ttl time.Duration) *actorCache {
	return &actorCache{ttl: ttl, max: 20000, entries: map[string]cachedActor{}}
}

func (c *actorCache) get(key string, now time.Time) (cachedActor, bool) {
	if c.ttl <= 0 {
		return cachedActor{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !now.Before(e.expires) {
		delete(c.entries, key)
		return cachedActor{}, false
	}
	return e, true
}

func (c *actorCache) put(key string, a *actor.Actor, sess Session, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		c.entries = map[string]cachedActor{}
	}
	c.entries[key] = cachedActor{actor: a, session: sess, expires: now.Add(c.ttl)}
}

func (c *actorCache) forgetKey(key string) {
	c.mu.Lock()
	delete(c.entries, key)
	c.mu.Unlock()
}

// forgetUser drops every entry of the account; "" drops everything.
func (c *actorCache) forgetUser(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if userID == "" || e.actor.UserID == userID {
			delete(c.entries, k)
		}
	}
}

// withIP returns a copy of the cached actor for this request.
func withIP(a *actor.Actor, ip string) *actor.Actor {
	c := *a
	c.IP = ip
	return &c
}

// RolesChanged tells the service that an account's roles changed (""
// meaning several accounts), so that its cached sessions and tokens pick the
// new roles up at once.
func (s *Service) RolesChanged(userID string) { s.cache.forgetUser(userID) }
