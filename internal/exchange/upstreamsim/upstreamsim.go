// Package upstreamsim is a provider's REST service for tests, the benchmark
// and the demo of the LGSP gateway, with the failures a real one shows on
// demand: slowness, hanging, garbage instead of HTTP, bodies cut off,
// connection resets, 5xx, and very large streamed bodies.
//
//	GET  /fast                 a small JSON body (what the benchmark calls)
//	ANY  /echo                 the request body back, with X-Echo-SHA256 and X-Echo-Bytes
//	GET  /headers              the request headers as JSON
//	GET  /citizens/{id}        a JSON record
//	GET  /status/{code}        that status with a JSON body
//	GET  /slow?ms=N            answers after N ms
//	GET  /hang                 never answers (until the client gives up)
//	GET  /garbage              bytes that are not HTTP, then closes
//	GET  /cut                  a 200 head promising 1 MB, 1 KB of it, then closes
//	GET  /stall                a 200 head promising 1 MB, 1 KB of it, then stalls
//	GET  /large?bytes=N        N bytes (chunked, generated on the fly)
//	GET  /flaky?key=K&fail=N   resets the connection the first N times for key K, then answers
//	GET  /fail503?key=K&fail=N answers 503 the first N times for key K
package upstreamsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"crypto/sha256"
	"encoding/hex"
)

// Server is a running simulated upstream.
type Server struct {
	URL string
	// Hits counts requests per path.
	hits sync.Map
	srv  *http.Server
	ln   net.Listener

	mu    sync.Mutex
	tries map[string]int
	hang  chan struct{}
	// Down makes every request reset its connection.
	Down atomic.Bool
}

// FastBody is what /fast answers.
var FastBody = []byte(`{"ma_ho_so":"000.00.05.H25-260302-0001","trang_thai":"da_tiep_nhan","ngay":"2026-03-02"}`)

// Start listens on a free loopback port.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + ln.Addr().String(), ln: ln, tries: map[string]int{}, hang: make(chan struct{})}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server and releases hanging requests.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.hang:
	default:
		close(s.hang)
	}
	s.mu.Unlock()
	_ = s.srv.Close()
}

// Hits reports how many requests reached path.
func (s *Server) Hits(path string) int64 {
	if v, ok := s.hits.Load(path); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

func (s *Server) count(path string) {
	v, ok := s.hits.Load(path)
	if !ok {
		v, _ = s.hits.LoadOrStore(path, new(atomic.Int64))
	}
	v.(*atomic.Int64).Add(1)
}

func reset(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			c.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if strings.HasPrefix(path, "/citizens/") {
		s.count("/citizens/{id}")
	} else if strings.HasPrefix(path, "/status/") {
		s.count("/status/{code}")
	} else {
		s.count(path)
	}
	if s.Down.Load() {
		reset(w)
		return
	}
	q := r.URL.Query()
	switch {
	case path == "/fast":
		w.Header()["Content-Type"] = []string{"application/json"}
		_, _ = w.Write(FastBody)
	case path == "/echo":
		h := sha256.New()
		body, _ := io.ReadAll(io.TeeReader(r.Body, h))
		w.Header().Set("X-Echo-SHA256", hex.EncodeToString(h.Sum(nil)))
		w.Header().Set("X-Echo-Bytes", strconv.Itoa(len(body)))
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(body)
	case path == "/headers":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(r.Header)
	case strings.HasPrefix(path, "/citizens/"):
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"so_dinh_danh":%q,"ho_ten":"Nguyễn Văn A"}`, strings.TrimPrefix(path, "/citizens/"))
	case strings.HasPrefix(path, "/status/"):
		code, _ := strconv.Atoi(strings.TrimPrefix(path, "/status/"))
		if code < 200 || code > 599 {
			code = 400
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"status":%d}`, code)
	case path == "/slow":
		ms, _ := strconv.Atoi(q.Get("ms"))
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		_, _ = w.Write([]byte(`{"slow":true}`))
	case path == "/hang":
		select {
		case <-s.hang:
		case <-r.Context().Done():
		}
	case path == "/garbage":
		if hj, ok := w.(http.Hijacker); ok {
			if c, buf, err := hj.Hijack(); err == nil {
				_, _ = buf.WriteString("SSH-2.0-OpenSSH_9.2 this is not HTTP\r\n\x00\x01\x02")
				_ = buf.Flush()
				c.Close()
			}
		}
	case path == "/cut", path == "/stall":
		w.Header().Set("Content-Length", strconv.Itoa(1<<20))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(make([]byte, 1024))
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		if path == "/stall" {
			select {
			case <-s.hang:
			case <-r.Context().Done():
			}
			return
		}
		panic(http.ErrAbortHandler)
	case path == "/large":
		n, _ := strconv.ParseInt(q.Get("bytes"), 10, 64)
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = io.Copy(w, io.LimitReader(&Pattern{}, n))
	case path == "/flaky" || path == "/fail503":
		key := q.Get("key")
		fail, _ := strconv.Atoi(q.Get("fail"))
		s.mu.Lock()
		s.tries[path+key]++
		n := s.tries[path+key]
		s.mu.Unlock()
		if n <= fail {
			if path == "/flaky" {
				reset(w)
				return
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":"busy"}`))
			return
		}
		fmt.Fprintf(w, `{"attempt":%d}`, n)
	default:
		http.NotFound(w, r)
	}
}

// Pattern is an endless deterministic byte stream (byte i is i mod 251), so
// that a test can hash what it expects without holding it.
type Pattern struct{ off int64 }

// Read fills b with the pattern.
func (p *Pattern) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte((p.off + int64(i)) % 251)
	}
	p.off += int64(len(b))
	return len(b), nil
}

// PatternSHA256 is the SHA-256 of the first n bytes that /large sends.
func PatternSHA256(n int64) string {
	h := sha256.New()
	_, _ = io.Copy(h, io.LimitReader(&Pattern{}, n))
	return hex.EncodeToString(h.Sum(nil))
}
