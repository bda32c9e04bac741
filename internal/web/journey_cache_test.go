package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/dossier"
)

// TestPublicPagesCache: anonymous visitors share a page until it expires or
// its dossier changes; signed-in users, pending messages, failures and pages
// that set cookies always go to the handler.
func TestPublicPagesCache(t *testing.T) {
	s := &Server{public: newPublicPages(time.Hour)}
	calls := 0
	status := http.StatusOK
	cookie := false
	h := s.cachedPublic(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if cookie {
			http.SetCookie(w, &http.Cookie{Name: "flash", MaxAge: -1})
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, "page %d of %s", calls, r.PathValue("code"))
	}, trackedCode)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /tra-cuu/{code}", h)
	get := func(path string, edit func(*http.Request)) (int, string) {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if edit != nil {
			edit(req)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: content type %q", path, ct)
		}
		return rec.Code, rec.Body.String()
	}
	const code = "000.00.21.H25-260302-0001"
	want := func(what string, gotStatus int, got string, wantStatus int, wantBody string) {
		t.Helper()
		if gotStatus != wantStatus || got != wantBody {
			t.Errorf("%s: %d %q, want %d %q", what, gotStatus, got, wantStatus, wantBody)
		}
	}
	st, body := get("/tra-cuu/"+code, nil)
	want("first visit", st, body, 200, "page 1 of "+code)
	st, body = get("/tra-cuu/"+code, nil)
	want("second visit", st, body, 200, "page 1 of "+code)
	// Another language is another page.
	st, body = get("/tra-cuu/"+code, func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "lang", Value: "en"}) })
	want("in English", st, body, 200, "page 2 of "+code)
	before := calls
	// Signed in: never from the cache.
	st, body = get("/tra-cuu/"+code, func(r *http.Request) {
		*r = *r.WithContext(actor.With(r.Context(), &actor.Actor{UserID: "u1", Kind: actor.Citizen}))
	})
	want("signed in", st, body, 200, fmt.Sprintf("page %d of %s", before+1, code))
	// A pending message: never from the cache.
	st, body = get("/tra-cuu/"+code, func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "flash", Value: "x"}) })
	want("with a message", st, body, 200, fmt.Sprintf("page %d of %s", before+2, code))
	st, body = get("/tra-cuu/"+code, nil)
	want("anonymous again", st, body, 200, "page 1 of "+code)

	// The dossier changes: its page is rendered again.
	if err := s.public.DossierChanged(context.Background(), nil, &dossier.Dossier{Code: code}, dossier.Event{}); err != nil {
		t.Fatal(err)
	}
	st, body = get("/tra-cuu/"+code, nil)
	want("after a change", st, body, 200, fmt.Sprintf("page %d of %s", before+3, code))
	st, body = get("/tra-cuu/"+code, nil)
	want("after a change, again", st, body, 200, fmt.Sprintf("page %d of %s", before+3, code))

	// Failures and pages setting cookies are not kept.
	other := "000.00.21.H25-260302-0002"
	status = http.StatusNotFound
	get("/tra-cuu/"+other, nil)
	st, _ = get("/tra-cuu/"+other, nil)
	if st != http.StatusNotFound || calls != before+5 {
		t.Errorf("a 404 was kept: status %d after %d calls", st, calls)
	}
	status, cookie = http.StatusOK, true
	get("/tra-cuu/"+other, nil)
	get("/tra-cuu/"+other, nil)
	if calls != before+7 {
		t.Errorf("a page setting a cookie was kept: %d calls", calls)
	}

	// Pages expire: the first request after renders the page again while
	// others still get the expired copy, within one more TTL.
	cookie = false
	third := "000.00.21.H25-260302-0003"
	get("/tra-cuu/"+third, nil) // rendered: before+8
	key := "vi|/tra-cuu/" + third
	expire := func(by time.Duration) {
		s.public.mu.Lock()
		e := s.public.entries[key]
		e.until = time.Now().Add(-by)
		s.public.entries[key] = e
		s.public.mu.Unlock()
	}
	expire(time.Minute)
	st, body = get("/tra-cuu/"+third, nil)
	want("the first request after expiry", st, body, 200, fmt.Sprintf("page %d of %s", before+9, third))
	expire(time.Minute)
	s.public.mu.Lock()
	e := s.public.entries[key]
	e.refreshing = true
	s.public.entries[key] = e
	s.public.mu.Unlock()
	st, body = get("/tra-cuu/"+third, nil)
	want("while another request renders it", st, body, 200, fmt.Sprintf("page %d of %s", before+9, third))
	expire(2 * time.Hour)
	st, body = get("/tra-cuu/"+third, nil)
	want("long expired", st, body, 200, fmt.Sprintf("page %d of %s", before+10, third))
}

// TestPublicPagesCacheIsBounded: arbitrary addresses do not grow the cache
// past its bound.
func TestPublicPagesCacheIsBounded(t *testing.T) {
	c := newPublicPages(time.Hour)
	c.max = 10
	now := time.Now()
	for i := range 25 {
		c.put(fmt.Sprintf("k%d", i), fmt.Sprintf("c%d", i), publicPage{until: now.Add(time.Hour), status: 200}, now)
		if len(c.entries) > c.max || len(c.byDossier) > c.max {
			t.Fatalf("%d entries, %d dossiers after %d pages", len(c.entries), len(c.byDossier), i+1)
		}
	}
	if _, ok := c.get("k24", now); !ok {
		t.Errorf("the latest page is not kept")
	}

	// Pages that expire, as most do, leave nothing behind either, and a
	// page stored again is listed once under its dossier.
	c = newPublicPages(time.Second)
	c.max = 10
	for i := range 100 {
		at := now.Add(time.Duration(i) * 3 * time.Second)
		c.put(fmt.Sprintf("k%d", i%30), fmt.Sprintf("c%d", i%30), publicPage{until: at.Add(time.Second), status: 200}, at)
		c.get(fmt.Sprintf("k%d", (i+15)%30), at)
		listed := 0
		for _, keys := range c.byDossier {
			listed += len(keys)
		}
		if len(c.entries) > c.max || listed != len(c.entries) {
			t.Fatalf("after %d pages: %d entries, %d keys listed under %d dossiers", i+1, len(c.entries), listed, len(c.byDossier))
		}
	}
}
