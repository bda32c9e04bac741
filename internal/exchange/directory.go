package exchange

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
)

// The directory, in the manner of X-Road's global configuration and
// GovStack's Information Mediator registry: the members (agencies), their
// systems, the services each publishes with its current OpenAPI document,
// and, for an authenticated consumer, what it may call.

// DirectoryMember is an agency with its systems.
type DirectoryMember struct {
	Member
	Systems []DirectorySystem `json:"systems"`
}

// DirectorySystem is a system with the services it provides.
type DirectorySystem struct {
	ID          string             `json:"id"`
	Code        string             `json:"code"`
	Name        string             `json:"name"`
	Description string             `json:"description,omitempty"`
	Services    []DirectoryService `json:"services"`
}

// DirectoryService is a published service as consumers see it.
type DirectoryService struct {
	ID           string `json:"id"`
	ProviderCode string `json:"provider"`
	Code         string `json:"code"`
	Name         string `json:"name"`
	Description  string `json:"description,omitempty"`
	GatewayPath  string `json:"gateway_path"`
	SpecVersion  int    `json:"spec_version"`
	PersonalData bool   `json:"personal_data"`
	TimeoutMS    int    `json:"timeout_ms"`
	MaxBodyBytes int64  `json:"max_body_bytes"`
}

// Allowed is a service a consumer may call, with its quota.
type Allowed struct {
	DirectoryService
	AccessID      string `json:"access_id"`
	RatePerMinute int    `json:"rate_per_minute"`
	Burst         int    `json:"burst"`
}

func dirService(v RESTService) DirectoryService {
	return DirectoryService{ID: v.ID, ProviderCode: v.ProviderCode, Code: v.Code, Name: v.Name, Description: v.Description,
		GatewayPath: v.GatewayPath, SpecVersion: v.SpecVersion, PersonalData: v.PersonalData, TimeoutMS: v.TimeoutMS, MaxBodyBytes: v.MaxBodyBytes}
}

// directory lists the members with their systems in operation and the
// services these provide (enabled ones only).
func (s *Service) directory(ctx context.Context) ([]DirectoryMember, error) {
	systems, err := listSystems(ctx, s.db, SystemFilter{Limit: 100000})
	if err != nil {
		return nil, err
	}
	services, err := listServices(ctx, s.db, ServiceFilter{EnabledOnly: true})
	if err != nil {
		return nil, err
	}
	bySystem := map[string][]DirectoryService{}
	for _, v := range services {
		bySystem[v.SystemID] = append(bySystem[v.SystemID], dirService(v))
	}
	byAgency := map[string]*DirectoryMember{}
	var order []string
	for _, sys := range systems {
		if sys.Disabled {
			continue
		}
		m := byAgency[sys.AgencyID]
		if m == nil {
			mem := Member{ID: sys.AgencyID}
			if s.agencies != nil {
				if got, err := s.agencies.Member(ctx, sys.AgencyID); err == nil {
					mem = got
				}
			}
			m = &DirectoryMember{Member: mem}
			byAgency[sys.AgencyID] = m
			order = append(order, sys.AgencyID)
		}
		svcs := bySystem[sys.ID]
		if svcs == nil {
			svcs = []DirectoryService{}
		}
		m.Systems = append(m.Systems, DirectorySystem{ID: sys.ID, Code: sys.Code, Name: sys.Name, Description: sys.Description, Services: svcs})
	}
	out := make([]DirectoryMember, 0, len(order))
	for _, id := range order {
		out = append(out, *byAgency[id])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// Directory lists members, their systems and services (any official).
func (s *Service) Directory(ctx context.Context, by *actor.Actor) ([]DirectoryMember, error) {
	if !mayBrowse(by) {
		return nil, actor.Deny(by, "Bạn không có quyền xem danh bạ LGSP.")
	}
	return s.directory(ctx)
}

// allowed lists what a consumer system may call.
func (s *Service) allowed(ctx context.Context, consumerID string) ([]Allowed, error) {
	list, err := listAccess(ctx, s.db, AccessFilter{ConsumerID: consumerID, Status: Approved})
	if err != nil {
		return nil, err
	}
	out := []Allowed{}
	for _, a := range list {
		v, err := getService(ctx, s.db, "v.id = ?", a.ServiceID)
		if err != nil {
			return nil, err
		}
		if !v.Enabled {
			continue
		}
		out = append(out, Allowed{DirectoryService: dirService(v), AccessID: a.ID, RatePerMinute: a.RatePerMinute, Burst: a.Burst})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GatewayPath < out[j].GatewayPath })
	return out, nil
}

// Allowed lists what a consumer system may call (its agency's officials and
// province-wide roles).
func (s *Service) Allowed(ctx context.Context, by *actor.Actor, consumerID string) ([]Allowed, error) {
	sys, err := getSystem(ctx, s.db, "id = ?", consumerID)
	if err != nil {
		return nil, err
	}
	if !(by != nil && by.IsOfficial() && by.CanSee(sys.AgencyID)) {
		return nil, actor.Deny(by, "Bạn không có quyền xem quyền truy cập của hệ thống này.")
	}
	return s.allowed(ctx, consumerID)
}

// token is POST /lgsp/oauth/token (OAuth2 client credentials, RFC 6749
// §4.4): the client authenticates with HTTP Basic or with client_id and
// client_secret in the form; errors follow RFC 6749 §5.2.
func (g *Gateway) token(w http.ResponseWriter, r *http.Request) {
	oauthErr := func(status int, code, desc string) {
		h := w.Header()
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		if status == http.StatusUnauthorized {
			h.Set("WWW-Authenticate", `Basic realm="lgsp"`)
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		oauthErr(http.StatusMethodNotAllowed, "invalid_request", "Chỉ nhận POST.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		oauthErr(http.StatusBadRequest, "invalid_request", "Nội dung phải là application/x-www-form-urlencoded, tối đa 8 KiB.")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		oauthErr(http.StatusBadRequest, "unsupported_grant_type", "Chỉ hỗ trợ grant_type=client_credentials.")
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id == "" || secret == "" {
		oauthErr(http.StatusUnauthorized, "invalid_client", "Thiếu client_id hoặc client_secret.")
		return
	}
	tok, err := g.s.IssueToken(r.Context(), id, secret, peerFingerprint(r))
	switch {
	case apperr.Is(err, apperr.Unauthorized) || apperr.Is(err, apperr.Forbidden):
		oauthErr(http.StatusUnauthorized, "invalid_client", apperr.MessageOf(err))
		return
	case err != nil:
		g.log.Error("LGSP token endpoint", "err", err)
		oauthErr(http.StatusInternalServerError, "server_error", apperr.MessageOf(err))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	_ = json.NewEncoder(w).Encode(tok)
}

func (g *Gateway) jwks(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, http.StatusMethodNotAllowed, apperr.Invalid, "Chỉ nhận GET.")
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "max-age=60")
	_ = json.NewEncoder(w).Encode(g.s.JWKS())
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// directory serves /lgsp/directory/… to authenticated consumers:
// members, services, services/{provider}/{service}[/openapi], allowed.
func (g *Gateway) directory(w http.ResponseWriter, r *http.Request, rest string) {
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, apperr.Invalid, "Danh bạ chỉ nhận GET.")
		return
	}
	ctx := r.Context()
	cons, err := g.s.authenticate(ctx, r, g.s.now())
	if err != nil {
		status := http.StatusUnauthorized
		if apperr.Is(err, apperr.Forbidden) {
			status = http.StatusForbidden
		} else if !apperr.Is(err, apperr.Unauthorized) {
			status = http.StatusInternalServerError
		}
		writeError(w, status, apperr.CodeOf(err), apperr.MessageOf(err))
		return
	}
	fail := func(err error) {
		writeError(w, statusOf(err), apperr.CodeOf(err), apperr.MessageOf(err))
	}
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	switch {
	case rest == "" || parts[0] == "members":
		list, err := g.s.directory(ctx)
		if err != nil {
			fail(err)
			return
		}
		writeJSON(w, map[string]any{"items": list})
	case parts[0] == "allowed" && len(parts) == 1:
		list, err := g.s.allowed(ctx, cons.system.id)
		if err != nil {
			fail(err)
			return
		}
		writeJSON(w, map[string]any{"consumer": cons.system.code, "items": list})
	case parts[0] == "services" && len(parts) == 1:
		list, err := listServices(ctx, g.s.db, ServiceFilter{EnabledOnly: true})
		if err != nil {
			fail(err)
			return
		}
		out := make([]DirectoryService, 0, len(list))
		for _, v := range list {
			out = append(out, dirService(v))
		}
		writeJSON(w, map[string]any{"items": out})
	case parts[0] == "services" && (len(parts) == 3 || len(parts) == 4 && parts[3] == "openapi"):
		v, err := getService(ctx, g.s.db, "s.code = ? AND v.code = ? AND v.enabled = ?", parts[1], parts[2], true)
		if err != nil {
			fail(err)
			return
		}
		var doc string
		if v.SpecVersion > 0 {
			sp, err := g.s.spec(ctx, v.ID, v.SpecVersion)
			if err != nil {
				fail(err)
				return
			}
			doc = sp.Document
		}
		if len(parts) == 4 {
			if doc == "" {
				fail(apperr.New(apperr.NotFound, "Dịch vụ chưa có tài liệu OpenAPI."))
				return
			}
			ct := "application/yaml; charset=utf-8"
			if strings.HasPrefix(strings.TrimSpace(doc), "{") {
				ct = "application/json; charset=utf-8"
			}
			w.Header().Set("Content-Type", ct)
			_, _ = w.Write([]byte(doc))
			return
		}
		writeJSON(w, map[string]any{"service": dirService(v), "openapi": doc})
	default:
		fail(apperr.New(apperr.NotFound, "Không tìm thấy mục này trong danh bạ."))
	}
}

func statusOf(err error) int {
	switch apperr.CodeOf(err) {
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.Unauthorized:
		return http.StatusUnauthorized
	}
	return http.StatusInternalServerError
}
