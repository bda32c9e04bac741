package adminunit

import (
	"slices"
	"sync"
	"testing"
)

// loaded shares one Registry between tests (it is immutable).
var loaded = sync.OnceValues(Load)

func registry(t testing.TB) *Registry {
	t.Helper()
	r, err := loaded()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return r
}

func day(t testing.TB, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustID(t testing.TB, s string) ID {
	t.Helper()
	id, err := ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func codesOf(us []Unit) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Code
	}
	return out
}

func countKinds(us []Unit) map[string]int {
	m := map[string]int{}
	for _, u := range us {
		m[u.Kind]++
	}
	return m
}

func newIDs(rows []Succession) []string {
	out := make([]string, len(rows))
	for i, s := range rows {
		out[i] = s.New.String()
	}
	return out
}

func oldIDs(rows []Succession) []string {
	out := make([]string, len(rows))
	for i, s := range rows {
		out[i] = s.Old.String()
	}
	return out
}

func equalStrings(t testing.TB, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}
