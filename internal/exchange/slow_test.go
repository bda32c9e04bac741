package exchange_test

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
)

// Slow-loris clients holding connections with half-sent headers neither
// block other consumers nor stay for ever (the server's ReadHeaderTimeout,
// which the platform must set, closes them).
func TestSlowClientsDoNotBlockTheGateway(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite), envOpt{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: e.gw, ReadHeaderTimeout: 300 * time.Millisecond}
	go srv.Serve(ln)
	defer srv.Close()
	var slow []net.Conn
	for range 50 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.Write([]byte("GET " + e.path("/fast") + " HTTP/1.1\r\nHost: x\r\nX-LGSP-Key: "))
		slow = append(slow, c)
	}
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+e.path("/fast"), nil)
	req.Header.Set("X-LGSP-Key", e.fx.Key.Header)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("a normal call beside 50 slow clients: %v %v", res, err)
	}
	res.Body.Close()
	// The slow connections are closed by the server.
	for _, c := range slow {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 512)
		n, err := c.Read(buf)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("a slow-loris connection was kept open")
		}
		if n > 0 && !strings.Contains(string(buf[:n]), "408") && !strings.Contains(string(buf[:n]), "400") {
			t.Errorf("slow client got %q", buf[:n])
		}
		c.Close()
	}
}
