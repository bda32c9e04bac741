package web

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
)

// publicPages keeps, for a moment, the public pages served to visitors who
// are not signed in — procedure search and detail, the status page a
// receipt's QR code leads to — whole, as sent. These are the pages every
// citizen opens and they are the same for everyone of a language; rendering
// them again for each visitor costs several queries and a template each.
//
// A status page is dropped as soon as its dossier changes (the cache is a
// dossier listener); the catalogue's pages expire. When a page has just
// expired, one request renders it again while the others are served the
// copy at hand, for at most one more TTL: many visitors arriving as a
// popular page expires do not all render it at once. A signed-in user,
// a pending message (flash cookie) or a page that sets a cookie is never
// served from or stored in the cache. Expiry runs on the wall clock, not the
// platform's clock, which tests move.
type publicPages struct {
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[string]publicPage
	// byDossier lists the keys of each dossier's status pages.
	byDossier map[string][]string
}

type publicPage struct {
	until time.Time
	// refreshing is set once a request renders the expired page again.
	refreshing bool
	status     int
	header     http.Header
	body       []byte
	// code is the dossier a status page shows.
	code string
}

// publicCacheMax bounds the number of pages kept; arbitrary status-page
// addresses must not grow the cache without bound.
const publicCacheMax = 4096

func newPublicPages(ttl time.Duration) *publicPages {
	return &publicPages{ttl: ttl, max: publicCacheMax, entries: map[string]publicPage{}, byDossier: map[string][]string{}}
}

// DossierChanged drops the dossier's status pages. It runs inside the
// change's transaction, before the commit: a page rendered from the old state
// in between may be kept until it expires, which bounds how stale it can be.
func (c *publicPages) DossierChanged(_ context.Context, _ *db.Tx, d *dossier.Dossier, _ dossier.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range c.byDossier[d.Code] {
		delete(c.entries, k)
	}
	delete(c.byDossier, d.Code)
	return nil
}

// get returns the page to serve, if any: a fresh one, or an expired one
// while another request renders it again.
func (c *publicPages) get(key string, now time.Time) (publicPage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.entries[key]
	switch {
	case !ok:
		return publicPage{}, false
	case !now.After(p.until):
		return p, true
	case now.After(p.until.Add(c.ttl)):
		c.drop(key, p)
		return publicPage{}, false
	case !p.refreshing:
		p.refreshing = true
		c.entries[key] = p
		return publicPage{}, false
	}
	return p, true
}

func (c *publicPages) put(key, code string, p publicPage, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for k, e := range c.entries {
			if now.After(e.until) {
				c.drop(k, e)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
			clear(c.byDossier)
		}
	}
	if _, ok := c.entries[key]; !ok && code != "" {
		c.byDossier[code] = append(c.byDossier[code], key)
	}
	p.code = code
	c.entries[key] = p
}

// drop removes a page and its place in its dossier's list, so that pages that
// expire do not leave their keys behind.
func (c *publicPages) drop(key string, p publicPage) {
	delete(c.entries, key)
	if p.code == "" {
		return
	}
	keys := slices.DeleteFunc(c.byDossier[p.code], func(k string) bool { return k == key })
	if len(keys) == 0 {
		delete(c.byDossier, p.code)
	} else {
		c.byDossier[p.code] = keys
	}
}

// cachedPublic serves h through the cache; dossierCode, when set, names the
// dossier a page shows, so that its change drops the page.
func (s *Server) cachedPublic(h http.HandlerFunc, dossierCode func(*http.Request) string) http.HandlerFunc {
	c := s.public
	if c == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if actor.From(r.Context()) != nil || hasCookie(r, "flash") {
			h(w, r)
			return
		}
		partial := r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Boosted") != "true"
		key := langOf(r) + "|" + r.URL.RequestURI()
		if partial {
			key = "hx|" + key
		}
		if p, ok := c.get(key, time.Now()); ok {
			for k, v := range p.header {
				w.Header()[k] = v
			}
			w.WriteHeader(p.status)
			_, _ = w.Write(p.body)
			return
		}
		rec := &pageRecorder{header: http.Header{}}
		h(rec, r)
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body.Bytes())
		if rec.status != http.StatusOK || len(rec.header.Values("Set-Cookie")) > 0 {
			return
		}
		code := ""
		if dossierCode != nil {
			code = dossierCode(r)
		}
		c.put(key, code, publicPage{until: time.Now().Add(c.ttl), status: rec.status, header: rec.header.Clone(),
			body: bytes.Clone(rec.body.Bytes())}, time.Now())
	}
}

func hasCookie(r *http.Request, name string) bool {
	_, err := r.Cookie(name)
	return err == nil
}

// pageRecorder holds a page until it is known whether it may be kept.
type pageRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (p *pageRecorder) Header() http.Header { return p.header }

func (p *pageRecorder) WriteHeader(status int) {
	if p.status == 0 {
		p.status = status
	}
}

func (p *pageRecorder) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return p.body.Write(b)
}

// trackedCode is the dossier a status page shows, as the page reads it.
func trackedCode(r *http.Request) string { return strings.TrimSpace(trackCode(r.PathValue("code"))) }
