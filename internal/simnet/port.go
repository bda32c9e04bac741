// Package simnet serves the simulators of outside systems on loopback, on a
// port that can go down and come back on the same address, as an unreachable
// national system does.
package simnet

import (
	"fmt"
	"net"
	"net/http"
	"time"
)

// Port serves a handler on an address that can be taken down (new
// connections refused, open ones cut) and brought up again. It is not safe
// for concurrent use: the simulator that owns it calls it under its own lock.
type Port struct {
	name    string
	want    string
	addr    string
	handler http.Handler
	server  *http.Server
	closed  bool
}

// NewPort prepares a port on addr ("127.0.0.1:0" picks a free one); name
// prefixes its errors.
func NewPort(name, addr string, h http.Handler) *Port {
	return &Port{name: name, want: addr, handler: h}
}

// Addr is the address served, once known.
func (p *Port) Addr() string { return p.addr }

// Start serves, or only fixes the address when the simulator starts down,
// and returns the base URL.
func (p *Port) Start(down bool) (string, error) {
	start := p.Up
	if down {
		start = p.Reserve
	}
	if err := start(); err != nil {
		return "", err
	}
	return "http://" + p.addr, nil
}

// Reserve fixes the address without serving, for a simulator that starts
// down and comes up later on that address.
func (p *Port) Reserve() error {
	if p.addr != "" {
		return nil
	}
	ln, err := net.Listen("tcp", p.want)
	if err != nil {
		return fmt.Errorf("%s: listen on %s: %w", p.name, p.want, err)
	}
	p.addr = ln.Addr().String()
	return ln.Close()
}

// Up serves, on the address already used if there is one. A closed port
// stays closed.
func (p *Port) Up() error {
	if p.server != nil || p.closed {
		return nil
	}
	addr := p.want
	if p.addr != "" {
		addr = p.addr
	}
	var ln net.Listener
	var err error
	// The port was ours a moment ago; the kernel may take a moment to free it.
	for range 50 {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("%s: listen on %s: %w", p.name, addr, err)
	}
	p.addr = ln.Addr().String()
	srv := &http.Server{Handler: p.handler, ReadHeaderTimeout: 10 * time.Second}
	p.server = srv
	go func() { _ = srv.Serve(ln) }()
	return nil
}

// Down refuses new connections and cuts the open ones; Up serves again.
func (p *Port) Down() {
	if srv := p.server; srv != nil {
		p.server = nil
		_ = srv.Close()
	}
}

// Close takes the port down for good.
func (p *Port) Close() error {
	p.closed = true
	srv := p.server
	p.server = nil
	if srv != nil {
		return srv.Close()
	}
	return nil
}
