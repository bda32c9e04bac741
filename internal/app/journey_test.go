package app

import (
	"strings"
	"testing"
	"time"
)

func TestPublicCacheTTL(t *testing.T) {
	for v, want := range map[string]time.Duration{"": 2 * time.Second, "0": 0, "500ms": 500 * time.Millisecond, " 5s ": 5 * time.Second} {
		got, err := publicCacheTTL(func(string) string { return v })
		if err != nil || got != want {
			t.Errorf("%q: %v, %v; want %v", v, got, err, want)
		}
	}
	for _, v := range []string{"soon", "-1s", "2m"} {
		if _, err := publicCacheTTL(func(string) string { return v }); err == nil || !strings.Contains(err.Error(), "CONGSO_PUBLIC_CACHE_TTL") {
			t.Errorf("%q: %v", v, err)
		}
	}
	if got, err := publicCacheTTL(nil); err != nil || got != 2*time.Second {
		t.Errorf("no environment: %v, %v", got, err)
	}
}
