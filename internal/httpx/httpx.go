// Package httpx holds the HTTP conventions every API shares: JSON bodies,
// the error envelope {"error":{"code","message"}}, cursor pagination, and a
// route table that the OpenAPI document is checked against.
package httpx

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/congso/congso/internal/apperr"
)

// StatusOf maps an error code to an HTTP status.
func StatusOf(code apperr.Code) int {
	switch code {
	case apperr.Invalid:
		return http.StatusUnprocessableEntity
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.Unauthorized:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.TooMany:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON error envelope.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of the error envelope.
type ErrorDetail struct {
	Code    apperr.Code       `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// WriteJSON writes v as JSON with the status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// WriteError writes err as the JSON error envelope. Internal errors are
// logged with their cause; users see only the safe message.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := apperr.CodeOf(err)
	if code == apperr.Internal && log != nil {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "route", r.Pattern, "err", err)
	}
	if code == apperr.Unauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="congso"`)
	}
	WriteJSON(w, StatusOf(code), ErrorBody{Error: ErrorDetail{Code: code, Message: apperr.MessageOf(err), Fields: apperr.FieldsOf(err)}})
}

// MaxJSONBody bounds request bodies of the JSON API.
const MaxJSONBody = 1 << 20

// DecodeJSON reads a JSON object into v, refusing unknown fields, trailing
// data and bodies over the limit.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return apperr.New(apperr.Invalid, "Nội dung phải là JSON (Content-Type: application/json).")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var syntax *json.SyntaxError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooBig):
			return apperr.New(apperr.Invalid, "Nội dung yêu cầu quá lớn (tối đa %d byte).", MaxJSONBody)
		case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
			return apperr.New(apperr.Invalid, "JSON không hợp lệ.")
		case errors.As(err, &typeErr):
			return apperr.Field(typeErr.Field, fmt.Sprintf("Trường %q có kiểu dữ liệu không đúng.", typeErr.Field))
		case errors.Is(err, io.EOF):
			return apperr.New(apperr.Invalid, "Thiếu nội dung yêu cầu (JSON).")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return apperr.New(apperr.Invalid, "Trường không được hỗ trợ: %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return apperr.New(apperr.Invalid, "JSON không hợp lệ.")
	}
	if dec.More() {
		return apperr.New(apperr.Invalid, "Nội dung chỉ được chứa một đối tượng JSON.")
	}
	return nil
}

// Page is one page of a list with the cursor of the next one.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// EncodeCursor makes an opaque cursor from a position.
func EncodeCursor(pos string) string {
	if pos == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(pos))
}

// DecodeCursor reads an opaque cursor.
func DecodeCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) > 200 {
		return "", apperr.Field("cursor", "Con trỏ phân trang không hợp lệ.")
	}
	return string(b), nil
}

// Limit reads ?limit=, between 1 and max, def when absent.
func Limit(r *http.Request, def, max int) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, apperr.Field("limit", fmt.Sprintf("limit phải là số nguyên từ 1 đến %d.", max))
	}
	return n, nil
}

// NewPage builds a page from items fetched with limit+1 rows: the extra row
// only tells that there is a next page.
func NewPage[T any](items []T, limit int, pos func(T) string) Page[T] {
	if items == nil {
		items = []T{}
	}
	if len(items) <= limit {
		return Page[T]{Items: items}
	}
	items = items[:limit]
	return Page[T]{Items: items, NextCursor: EncodeCursor(pos(items[limit-1]))}
}

// Route is one registered API route.
type Route struct {
	Method string
	Path   string
}

// Router records the API routes as they are registered, so that a test can
// hold the OpenAPI document to them.
type Router struct {
	mux    *http.ServeMux
	routes []Route
}

// NewRouter wraps mux.
func NewRouter(mux *http.ServeMux) *Router { return &Router{mux: mux} }

// Handle registers h for "METHOD /path".
func (r *Router) Handle(pattern string, h http.Handler) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		panic("API routes need a method: " + pattern)
	}
	r.routes = append(r.routes, Route{Method: method, Path: path})
	r.mux.Handle(pattern, h)
}

// HandleFunc registers f for "METHOD /path".
func (r *Router) HandleFunc(pattern string, f http.HandlerFunc) { r.Handle(pattern, f) }

// Routes lists what was registered.
func (r *Router) Routes() []Route { return append([]Route(nil), r.routes...) }
