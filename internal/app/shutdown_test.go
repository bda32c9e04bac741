package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/congso/congso/internal/db"
)

// TestGracefulShutdownLosesNoAcknowledgedWrite stops the server while clients
// are writing; every write the server answered 201 must be in the database
// when it starts again.
func TestGracefulShutdownLosesNoAcknowledgedWrite(t *testing.T) {
	each(t, func(t *testing.T, engine db.Engine) {
		s := start(t, engine)
		admin := s.token("admin")
		var (
			mu    sync.Mutex
			acked []string
			sent  atomic.Int64
			wg    sync.WaitGroup
		)
		client := &http.Client{}
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; ; i++ {
					name := fmt.Sprintf("cb%d.%d", w, i)
					body := fmt.Sprintf(`{"kind":"official","username":%q,"display_name":"Cán bộ %d","password":"matkhau12345"}`, name, i)
					req, _ := http.NewRequest("POST", s.URL+"/api/v1/users", strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+admin)
					req.Header.Set("Content-Type", "application/json")
					sent.Add(1)
					res, err := client.Do(req)
					if err != nil {
						return // the server has gone away
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode == http.StatusCreated {
						mu.Lock()
						acked = append(acked, name)
						mu.Unlock()
					} else if res.StatusCode != http.StatusServiceUnavailable {
						t.Errorf("create %s: %d", name, res.StatusCode)
						return
					}
				}
			}(w)
		}
		for sent.Load() < 40 {
			// let the writers get going
			if t.Failed() {
				break
			}
			runtimeGosched()
		}
		s.shutdown()
		wg.Wait()
		if len(acked) == 0 {
			t.Fatal("no write was acknowledged before shutdown")
		}
		cfg := s.App.Config()
		cfg.Addr = "127.0.0.1:0"
		again := startWith(t, cfg)
		for _, name := range acked {
			if _, err := again.App.Identity.UserByUsername(context.Background(), name); err != nil {
				t.Errorf("acknowledged account %s is missing after restart: %v", name, err)
			}
		}
		t.Logf("%d writes acknowledged before shutdown, all present after restart", len(acked))
	})
}
