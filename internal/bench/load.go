// Package bench measures the platform as a whole: start-up, memory and HTTP
// throughput, each reported next to a baseline measured in the same run,
// because the machines it runs on are shared and a bare figure means little.
package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Result summarises one load phase.
type Result struct {
	Name     string
	Requests int
	Errors   int
	Elapsed  time.Duration
	P50, P99 time.Duration
}

// PerSecond is the throughput of the phase.
func (r Result) PerSecond() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

func (r Result) String() string {
	return fmt.Sprintf("%-28s %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  (%d requests, %d errors)",
		r.Name, r.PerSecond(), ms(r.P50), ms(r.P99), r.Requests, r.Errors)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Load sends requests made by newReq from `concurrency` workers for the
// duration, over kept-alive connections, and reports throughput and latency.
// A response other than 200 counts as an error.
func Load(ctx context.Context, name string, concurrency int, duration time.Duration, newReq func() (*http.Request, error)) (Result, error) {
	tr := &http.Transport{MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	deadline := time.Now().Add(duration)
	var mu sync.Mutex
	var all []time.Duration
	errs := 0
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			bad := 0
			var werr error
			for time.Now().Before(deadline) && ctx.Err() == nil {
				req, err := newReq()
				if err != nil {
					werr = err
					break
				}
				t0 := time.Now()
				res, err := client.Do(req.WithContext(ctx))
				if err != nil {
					bad++
					werr = err
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				lat = append(lat, time.Since(t0))
				if res.StatusCode != http.StatusOK {
					bad++
					werr = fmt.Errorf("%s: status %d", req.URL.Path, res.StatusCode)
				}
			}
			mu.Lock()
			all = append(all, lat...)
			errs += bad
			if firstErr == nil {
				firstErr = werr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res := Result{Name: name, Requests: len(all), Errors: errs, Elapsed: time.Since(start)}
	if len(all) == 0 {
		return res, fmt.Errorf("%s: no request completed: %v", name, firstErr)
	}
	slices.Sort(all)
	res.P50 = all[len(all)/2]
	res.P99 = all[len(all)*99/100]
	if errs > 0 {
		return res, fmt.Errorf("%s: %d errors, first: %v", name, errs, firstErr)
	}
	return res, nil
}
