package async

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/httpx"
)

// API serves the management of topics, subscriptions and dead letters
// under /api/v1/exchange (officials, with the platform's sessions).
type API struct {
	Svc *Service
	Log *slog.Logger
}

// Register adds the routes.
func (api API) Register(r *httpx.Router) {
	r.HandleFunc("GET /api/v1/exchange/topics", api.topics)
	r.HandleFunc("POST /api/v1/exchange/topics", api.createTopic)
	r.HandleFunc("GET /api/v1/exchange/topics/{id}", api.topic)
	r.HandleFunc("GET /api/v1/exchange/topics/{id}/subscriptions", api.subscriptions)
	r.HandleFunc("POST /api/v1/exchange/topics/{id}/subscriptions", api.subscribe)
	r.HandleFunc("POST /api/v1/exchange/subscriptions/{id}/{action}", api.decide)
	r.HandleFunc("GET /api/v1/exchange/topics/{id}/dead-letters", api.deadLetters)
	r.HandleFunc("POST /api/v1/exchange/topics/{id}/replay", api.replay)
}

func (api API) ok(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		httpx.WriteError(w, r, api.Log, err)
		return
	}
	httpx.WriteJSON(w, status, v)
}

func items[T any](list []T) map[string]any {
	if list == nil {
		list = []T{}
	}
	return map[string]any{"items": list}
}

func who(r *http.Request) *actor.Actor { return actor.From(r.Context()) }

func (api API) topics(w http.ResponseWriter, r *http.Request) {
	list, err := api.Svc.Topics(r.Context(), who(r))
	api.ok(w, r, http.StatusOK, items(list), err)
}

func (api API) createTopic(w http.ResponseWriter, r *http.Request) {
	var in TopicInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.ok(w, r, 0, nil, err)
		return
	}
	t, err := api.Svc.CreateTopic(r.Context(), who(r), in)
	api.ok(w, r, http.StatusCreated, t, err)
}

func (api API) topic(w http.ResponseWriter, r *http.Request) {
	t, err := api.Svc.Topic(r.Context(), who(r), r.PathValue("id"))
	api.ok(w, r, http.StatusOK, t, err)
}

func (api API) subscriptions(w http.ResponseWriter, r *http.Request) {
	list, err := api.Svc.Subscriptions(r.Context(), who(r), r.PathValue("id"))
	api.ok(w, r, http.StatusOK, items(list), err)
}

func (api API) subscribe(w http.ResponseWriter, r *http.Request) {
	var in SubscriptionInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.ok(w, r, 0, nil, err)
		return
	}
	s, err := api.Svc.Subscribe(r.Context(), who(r), r.PathValue("id"), in)
	api.ok(w, r, http.StatusCreated, s, err)
}

func (api API) decide(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Note string `json:"note"`
	}
	if r.ContentLength != 0 {
		if err := httpx.DecodeJSON(w, r, &in); err != nil {
			api.ok(w, r, 0, nil, err)
			return
		}
	}
	s, err := api.Svc.Decide(r.Context(), who(r), r.PathValue("id"), r.PathValue("action"), in.Note)
	api.ok(w, r, http.StatusOK, s, err)
}

func (api API) deadLetters(w http.ResponseWriter, r *http.Request) {
	limit, err := httpx.Limit(r, 100, 1000)
	if err != nil {
		api.ok(w, r, 0, nil, err)
		return
	}
	list, err := api.Svc.DeadLetters(r.Context(), who(r), r.PathValue("id"), limit)
	api.ok(w, r, http.StatusOK, items(list), err)
}

func (api API) replay(w http.ResponseWriter, r *http.Request) {
	var in ReplayFilter
	if r.ContentLength != 0 {
		if err := httpx.DecodeJSON(w, r, &in); err != nil {
			api.ok(w, r, 0, nil, err)
			return
		}
	}
	in.TopicID = r.PathValue("id")
	n, err := api.Svc.Replay(r.Context(), who(r), in)
	api.ok(w, r, http.StatusOK, map[string]int{"replayed": n}, err)
}

// Gateway serves the async exchange under /lgsp/topics/ to systems holding
// LGSP credentials (the gateway's API keys, access tokens and pinned
// certificates):
//
//	POST /lgsp/topics/{topic}/messages        publish (owner of the topic); header Idempotency-Key
//	POST /lgsp/topics/{topic}/subscriptions   ask to subscribe {"endpoint_url","purpose"}
//
// Errors are the JSON envelope: 400 bad body or key, 401 credentials,
// 403 not the topic's owner, 404 no such topic, 409 key reused with
// another body, 413 over the topic's size limit.
type Gateway struct {
	Svc *Service
	Log *slog.Logger
}

// Prefix is where Gateway is mounted.
const Prefix = "/lgsp/topics/"

func writeError(w http.ResponseWriter, status int, code apperr.Code, msg string) {
	httpx.WriteJSON(w, status, httpx.ErrorBody{Error: httpx.ErrorDetail{Code: code, Message: msg}})
}

func (g Gateway) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "payload_too_large", apperr.MessageOf(err))
	case apperr.Is(err, apperr.Invalid):
		httpx.WriteJSON(w, http.StatusBadRequest, httpx.ErrorBody{Error: httpx.ErrorDetail{Code: apperr.Invalid, Message: apperr.MessageOf(err), Fields: apperr.FieldsOf(err)}})
	default:
		httpx.WriteError(w, r, g.Log, err)
	}
}

// ServeHTTP implements http.Handler.
func (g Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, _ := strings.CutPrefix(r.URL.Path, Prefix)
	topic, what, ok := strings.Cut(rest, "/")
	if !ok || topic == "" || (what != "messages" && what != "subscriptions") {
		writeError(w, http.StatusNotFound, apperr.NotFound, "Không tìm thấy.")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Chỉ hỗ trợ POST.")
		return
	}
	c, err := g.Svc.ex.Authenticate(r)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	if what == "subscriptions" {
		var in SubscriptionInput
		if err := httpx.DecodeJSON(w, r, &in); err != nil {
			g.fail(w, r, err)
			return
		}
		sub, err := g.Svc.SubscribeAs(r.Context(), c, topic, in)
		if err != nil {
			g.fail(w, r, err)
			return
		}
		httpx.WriteJSON(w, http.StatusCreated, sub)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		writeError(w, http.StatusBadRequest, apperr.Invalid, "Thiếu tiêu đề Idempotency-Key (khóa chống trùng của thông điệp).")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusBadRequest, apperr.Invalid, "Thông điệp phải là JSON (Content-Type: application/json).")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxMaxPayload+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, apperr.Invalid, "Không đọc được nội dung thông điệp.")
		return
	}
	if len(body) > MaxMaxPayload {
		g.fail(w, r, ErrTooLarge)
		return
	}
	if !json.Valid(body) {
		writeError(w, http.StatusBadRequest, apperr.Invalid, "Nội dung thông điệp không phải JSON hợp lệ.")
		return
	}
	p, err := g.Svc.PublishAs(r.Context(), c, topic, key, body)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	status := http.StatusAccepted
	if p.Duplicate {
		status = http.StatusOK
	}
	w.Header().Set("X-LGSP-Deliveries", strconv.Itoa(p.Deliveries))
	httpx.WriteJSON(w, status, p)
}
