// Package smtptest is a small real SMTP server for tests: it listens on
// 127.0.0.1, speaks enough of RFC 5321 for a client to deliver mail (EHLO,
// HELO, STARTTLS with its own certificate, AUTH PLAIN and LOGIN, MAIL,
// RCPT, DATA, RSET, NOOP, QUIT), keeps what it receives, and fails on
// request: a 4xx or 5xx reply to a chosen command, or a dropped connection.
package smtptest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"time"
)

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	// Data is the message as received, dot-unstuffed, with CRLF line ends.
	Data []byte
	// TLS tells whether the session was encrypted; User whom it authenticated.
	TLS  bool
	User string
	Helo string
}

// Fault makes the server misbehave once, at a command.
type Fault struct {
	// Command is the verb the fault answers ("MAIL", "RCPT", "DATA",
	// "EHLO", "AUTH"…), "." for the end of the message data, or "CONNECT"
	// for the greeting.
	Command string
	// Code is the reply to give instead of the normal one (e.g. 451, 550).
	Code int
	// Drop closes the connection instead of replying.
	Drop bool
	// Accept, at ".", keeps the message before failing: the client is not
	// told, as when an acknowledgement is lost.
	Accept bool
}

// Options configure the server.
type Options struct {
	// TLS offers STARTTLS with a certificate made for 127.0.0.1.
	TLS bool
	// Users are the accounts AUTH accepts (user name → password); when set,
	// AUTH is offered.
	Users map[string]string
	// RequireAuth refuses MAIL before AUTH.
	RequireAuth bool
	// Mechanisms are the AUTH mechanisms offered; default "PLAIN LOGIN".
	Mechanisms string
}

// Server is a running test server.
type Server struct {
	ln        net.Listener
	opt       Options
	serverTLS *tls.Config
	clientTLS *tls.Config

	mu       sync.Mutex
	messages []Message
	faults   []Fault
	sessions int
	changed  chan struct{}
	wg       sync.WaitGroup
	closed   bool
	conns    map[net.Conn]bool
}

// New starts a server on 127.0.0.1 at a free port.
func New(opt Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, opt: opt, changed: make(chan struct{}), conns: map[net.Conn]bool{}}
	if opt.TLS {
		if s.serverTLS, s.clientTLS, err = selfSigned(); err != nil {
			ln.Close()
			return nil, err
		}
	}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Host is the address clients connect to.
func (s *Server) Host() string { return "127.0.0.1" }

// Port is the port the server listens on.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Addr is host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// ClientTLS is a client configuration that trusts the server's certificate.
func (s *Server) ClientTLS() *tls.Config {
	if s.clientTLS == nil {
		return nil
	}
	return s.clientTLS.Clone()
}

// Close stops the server and ends its sessions.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

// FailNext queues faults; each is used once, by the first session that
// reaches its command.
func (s *Server) FailNext(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// Messages returns what the server has accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Sessions counts the connections accepted so far.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// Wait waits until at least n messages have arrived or the timeout passes,
// and returns the messages.
func (s *Server) Wait(n int, timeout time.Duration) []Message {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		if len(s.messages) >= n {
			out := append([]Message(nil), s.messages...)
			s.mu.Unlock()
			return out
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			return s.Messages()
		}
	}
}

func (s *Server) fault(cmd string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if strings.EqualFold(f.Command, cmd) {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			return f, true
		}
	}
	return Fault{}, false
}

func (s *Server) store(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, m)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.sessions++
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			_ = c.SetDeadline(time.Now().Add(time.Minute))
			(&session{srv: s, conn: c, tp: textproto.NewConn(c)}).run()
		}()
	}
}

// session is one client connection.
type session struct {
	srv  *Server
	conn net.Conn
	tp   *textproto.Conn
	tls  bool
	helo string
	user string
	from string
	to   []string
	mail bool
}

var errDrop = errors.New("connection dropped")

func (c *session) reply(code int, text string) error {
	return c.tp.PrintfLine("%d %s", code, text)
}

// injected answers a fault for cmd, if one is queued: it reports whether it
// did, and errDrop when the connection is to close.
func (c *session) injected(cmd, arg string) (bool, error) {
	f, ok := c.srv.fault(cmd)
	if !ok {
		return false, nil
	}
	if f.Drop {
		return true, errDrop
	}
	return true, c.reply(f.Code, faultText(f.Code, arg))
}

// faultText words an injected failure the way real servers do, echoing what
// the client sent (often the recipient's address).
func faultText(code int, arg string) string {
	if code >= 500 {
		return "5.1.1 " + arg + ": Recipient address rejected (injected)"
	}
	return "4.3.0 " + arg + ": Temporary failure, try again later (injected)"
}

func (c *session) reset() { c.from, c.to, c.mail = "", nil, false }

func (c *session) run() {
	if done, err := c.injected("CONNECT", ""); done || err != nil {
		return
	}
	if c.reply(220, "127.0.0.1 smtptest ESMTP ready") != nil {
		return
	}
	for {
		line, err := c.tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		if done, err := c.injected(verb, strings.TrimSpace(arg)); err != nil {
			return
		} else if done {
			continue
		}
		if err := c.command(verb, strings.TrimSpace(arg)); err != nil {
			return
		}
	}
}

func (c *session) command(verb, arg string) error {
	switch verb {
	case "EHLO", "HELO":
		if arg == "" {
			return c.reply(501, "5.5.4 Name required")
		}
		c.helo = arg
		c.reset()
		if verb == "HELO" {
			return c.reply(250, "127.0.0.1")
		}
		lines := []string{"127.0.0.1 greets " + arg, "8BITMIME", "SMTPUTF8", "SIZE 10485760"}
		if c.srv.serverTLS != nil && !c.tls {
			lines = append(lines, "STARTTLS")
		}
		if len(c.srv.opt.Users) > 0 {
			mechs := c.srv.opt.Mechanisms
			if mechs == "" {
				mechs = "PLAIN LOGIN"
			}
			lines = append(lines, "AUTH "+mechs)
		}
		for i, l := range lines {
			sep := "-"
			if i == len(lines)-1 {
				sep = " "
			}
			if err := c.tp.PrintfLine("250%s%s", sep, l); err != nil {
				return err
			}
		}
		return nil
	case "STARTTLS":
		if c.srv.serverTLS == nil || c.tls {
			return c.reply(502, "5.5.1 STARTTLS not available")
		}
		if err := c.reply(220, "2.0.0 Ready to start TLS"); err != nil {
			return err
		}
		tc := tls.Server(c.conn, c.srv.serverTLS)
		if err := tc.Handshake(); err != nil {
			return err
		}
		c.conn, c.tp, c.tls = tc, textproto.NewConn(tc), true
		c.helo, c.user = "", ""
		c.reset()
		return nil
	case "AUTH":
		return c.auth(arg)
	case "MAIL":
		if c.helo == "" {
			return c.reply(503, "5.5.1 Say EHLO first")
		}
		if c.srv.opt.RequireAuth && c.user == "" {
			return c.reply(530, "5.7.0 Authentication required")
		}
		addr, ok := path(arg, "FROM:")
		if !ok {
			return c.reply(501, "5.5.4 Syntax: MAIL FROM:<address>")
		}
		c.reset()
		c.from, c.mail = addr, true
		return c.reply(250, "2.1.0 OK")
	case "RCPT":
		if !c.mail {
			return c.reply(503, "5.5.1 MAIL first")
		}
		addr, ok := path(arg, "TO:")
		if !ok || addr == "" {
			return c.reply(501, "5.5.4 Syntax: RCPT TO:<address>")
		}
		c.to = append(c.to, addr)
		return c.reply(250, "2.1.5 OK")
	case "DATA":
		if len(c.to) == 0 {
			return c.reply(503, "5.5.1 RCPT first")
		}
		if err := c.reply(354, "End data with <CR><LF>.<CR><LF>"); err != nil {
			return err
		}
		data, err := io.ReadAll(c.tp.DotReader())
		if err != nil {
			return err
		}
		m := Message{From: c.from, To: c.to, Data: crlf(data), TLS: c.tls, User: c.user, Helo: c.helo}
		c.reset()
		if f, ok := c.srv.fault("."); ok {
			if f.Accept {
				c.srv.store(m)
			}
			if f.Drop {
				return errDrop
			}
			return c.reply(f.Code, faultText(f.Code, "<"+strings.Join(m.To, ",")+">"))
		}
		c.srv.store(m)
		return c.reply(250, "2.0.0 OK queued")
	case "RSET":
		c.reset()
		return c.reply(250, "2.0.0 OK")
	case "NOOP":
		return c.reply(250, "2.0.0 OK")
	case "VRFY":
		return c.reply(252, "2.5.0 Cannot verify")
	case "QUIT":
		_ = c.reply(221, "2.0.0 Bye")
		return io.EOF
	}
	return c.reply(500, "5.5.2 Command not recognised")
}

// auth handles AUTH PLAIN (with or without an initial response) and LOGIN.
func (c *session) auth(arg string) error {
	if len(c.srv.opt.Users) == 0 {
		return c.reply(502, "5.5.1 AUTH not available")
	}
	if c.helo == "" {
		return c.reply(503, "5.5.1 Say EHLO first")
	}
	mech, initial, _ := strings.Cut(arg, " ")
	challenge := func(prompt string) (string, error) {
		if err := c.reply(334, prompt); err != nil {
			return "", err
		}
		line, err := c.tp.ReadLine()
		if err != nil {
			return "", err
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(line))
		if err != nil {
			return "", nil
		}
		return string(b), nil
	}
	var user, pass string
	switch strings.ToUpper(mech) {
	case "PLAIN":
		var resp string
		if initial != "" {
			b, err := base64.StdEncoding.DecodeString(initial)
			if err != nil {
				return c.reply(501, "5.5.2 Bad base64")
			}
			resp = string(b)
		} else {
			var err error
			if resp, err = challenge(""); err != nil {
				return err
			}
		}
		parts := strings.Split(resp, "\x00")
		if len(parts) != 3 {
			return c.reply(501, "5.5.2 Bad PLAIN response")
		}
		user, pass = parts[1], parts[2]
	case "LOGIN":
		var err error
		if user, err = challenge(base64.StdEncoding.EncodeToString([]byte("Username:"))); err != nil {
			return err
		}
		if pass, err = challenge(base64.StdEncoding.EncodeToString([]byte("Password:"))); err != nil {
			return err
		}
	default:
		return c.reply(504, "5.5.4 Unrecognised authentication type")
	}
	if want, ok := c.srv.opt.Users[user]; !ok || want != pass {
		return c.reply(535, "5.7.8 Authentication credentials invalid")
	}
	c.user = user
	return c.reply(235, "2.7.0 Authentication successful")
}

// path reads "FROM:<addr> PARAMS" or "TO:<addr>".
func path(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	end := strings.Index(rest, ">")
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}

// crlf turns the LF line ends the dot reader gives back into CRLF.
func crlf(b []byte) []byte {
	var out []byte
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(make([]byte, 64<<10), 10<<20)
	for sc.Scan() {
		out = append(out, sc.Bytes()...)
		out = append(out, '\r', '\n')
	}
	return out
}

// selfSigned makes a certificate for 127.0.0.1 and a client configuration
// that trusts it.
func selfSigned() (server, client *tls.Config, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("make test certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	return server, client, nil
}
