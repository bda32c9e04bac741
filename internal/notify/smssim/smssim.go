// Package smssim simulates an SMS provider's HTTP API for the demo and for
// tests: it takes the JSON that notify.SMSProvider posts, checks the API
// key, keeps each message once per idempotency key, and fails on request
// (an HTTP status for the next requests, or a dropped connection).
package smssim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Message is one text message the simulator accepted.
type Message struct {
	ID             string    `json:"id"`
	To             string    `json:"to"`
	Text           string    `json:"message"`
	IdempotencyKey string    `json:"idempotency_key"`
	Brand          string    `json:"brand,omitempty"`
	At             time.Time `json:"at"`
	// Parts is how many SMS parts the text takes: 160 characters a part
	// in GSM 7-bit (153 when split), 70 (67) with any other character.
	Parts int `json:"parts"`
}

// Fault makes the simulator answer the next request with Status, or drop
// the connection when Drop is set. RetryAfter sets the Retry-After header.
type Fault struct {
	Status     int
	Drop       bool
	RetryAfter int
}

// Sim is the simulator; it is an http.Handler.
type Sim struct {
	key string

	mu       sync.Mutex
	messages []Message
	byKey    map[string]string
	faults   []Fault
	requests int
}

// New returns a simulator that accepts requests bearing the key ("" accepts any).
func New(apiKey string) *Sim { return &Sim{key: apiKey, byKey: map[string]string{}} }

// Start serves the simulator on 127.0.0.1 at a free port; close the server
// when done. Its URL + "/send" is the provider URL.
func (s *Sim) Start() *httptest.Server { return httptest.NewServer(s) }

// FailNext queues faults for the next requests, one each.
func (s *Sim) FailNext(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// Messages returns the messages accepted so far.
func (s *Sim) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Requests counts the send requests received, failed ones included.
func (s *Sim) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

type request struct {
	To             string `json:"to"`
	Message        string `json:"message"`
	IdempotencyKey string `json:"idempotency_key"`
	Brand          string `json:"brand"`
}

// ServeHTTP answers POST /send (the provider API) and GET /messages (what
// was sent, for the demo).
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/messages":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Messages())
		return
	case r.Method == http.MethodPost && (r.URL.Path == "/send" || r.URL.Path == "/"):
	default:
		http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
		return
	}
	s.mu.Lock()
	s.requests++
	var f *Fault
	if len(s.faults) > 0 {
		f = &s.faults[0]
		s.faults = s.faults[1:]
	}
	s.mu.Unlock()
	if f != nil {
		if f.Drop {
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
		}
		reply(w, f.Status, map[string]string{"error": http.StatusText(f.Status)})
		return
	}
	if s.key != "" && r.Header.Get("Authorization") != "Bearer "+s.key {
		reply(w, http.StatusUnauthorized, map[string]string{"error": "invalid API key"})
		return
	}
	var in request
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		reply(w, http.StatusBadRequest, map[string]string{"error": "invalid JSON"})
		return
	}
	if !validPhone(in.To) || in.Message == "" {
		reply(w, http.StatusUnprocessableEntity, map[string]string{"error": "invalid recipient or empty message"})
		return
	}
	key := in.IdempotencyKey
	if key == "" {
		key = r.Header.Get("Idempotency-Key")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.byKey[key]; ok && key != "" {
		// A repeat: answered as before, not sent again.
		reply(w, http.StatusOK, map[string]any{"id": id, "duplicate": true})
		return
	}
	m := Message{ID: "sim-" + strconv.Itoa(len(s.messages)+1), To: in.To, Text: in.Message, IdempotencyKey: key, Brand: in.Brand,
		At: time.Now().UTC(), Parts: Parts(in.Message)}
	s.messages = append(s.messages, m)
	if key != "" {
		s.byKey[key] = m.ID
	}
	reply(w, http.StatusOK, map[string]any{"id": m.ID, "parts": m.Parts})
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func validPhone(p string) bool {
	if len(p) < 9 || len(p) > 15 {
		return false
	}
	for i, c := range p {
		if (c < '0' || c > '9') && !(i == 0 && c == '+') {
			return false
		}
	}
	return true
}

// Parts counts the SMS parts a text takes. GSM 7-bit is approximated by
// printable ASCII (a few ASCII signs take two septets in GSM; close enough
// for a simulator).
func Parts(text string) int {
	gsm := true
	for _, r := range text {
		if r > 0x7e || (r < 0x20 && r != '\n' && r != '\r') {
			gsm = false
			break
		}
	}
	n := utf8.RuneCountInString(text)
	single, multi := 160, 153
	if !gsm {
		single, multi = 70, 67
	}
	if n <= single {
		return 1
	}
	return (n + multi - 1) / multi
}
