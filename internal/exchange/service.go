package exchange

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/exchange/txlog"
	"github.com/congso/congso/internal/vntext"
)

// Agencies tells the exchange about the agencies that own systems (the
// members); app wires it to the org service.
type Agencies interface {
	Member(ctx context.Context, agencyID string) (Member, error)
}

// AgencyFunc adapts a function to Agencies.
type AgencyFunc func(ctx context.Context, agencyID string) (Member, error)

// Member implements Agencies.
func (f AgencyFunc) Member(ctx context.Context, id string) (Member, error) { return f(ctx, id) }

// Config tunes the exchange.
type Config struct {
	// Issuer is the iss claim of access tokens (default "congso-lgsp").
	Issuer string
	// TokenTTL is the lifetime of access tokens (default 5 minutes).
	TokenTTL time.Duration
	// CacheTTL bounds how long another process may act on a credential,
	// access decision or service setting changed elsewhere (default 5 s);
	// this process forgets them at once.
	CacheTTL time.Duration
	// KeyActivation is how long a new signing key is published before it
	// signs, so that outside verifiers fetch it first (default 0).
	KeyActivation time.Duration
	// EndUserKey keys the hash of X-LGSP-End-User values in the log; when
	// empty, a random key is created once and kept in the settings table.
	// A plain SHA-256 would not do: a 12-digit citizen ID is found from its
	// hash by trying all 10^12 values.
	EndUserKey []byte
}

// Deps are what the service needs from the rest of the platform.
type Deps struct {
	DB       *db.DB
	Audit    *audit.Log
	Agencies Agencies
	// Log is the transaction log (txlog.New on the same database).
	Log    *txlog.Log
	Now    func() time.Time
	Logger *slog.Logger
}

// Service manages members' systems, services, access rights and
// credentials, issues access tokens, and serves the gateway and the
// directory.
type Service struct {
	db       *db.DB
	audit    *audit.Log
	agencies Agencies
	txlog    *txlog.Log
	now      func() time.Time
	log      *slog.Logger
	cfg      Config

	cache      *caches
	keys       *keyring
	endUserKey []byte
	hosts      *upstreamHosts

	mu       sync.Mutex
	onChange []func()
}

// New builds the service; it loads the token-signing keys, creating the first
// one on a new database.
func New(ctx context.Context, deps Deps, cfg Config) (*Service, error) {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "congso-lgsp"
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 5 * time.Minute
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 5 * time.Second
	}
	if deps.Log == nil {
		deps.Log = txlog.New(deps.DB, txlog.Options{Logger: deps.Logger})
	}
	s := &Service{db: deps.DB, audit: deps.Audit, agencies: deps.Agencies, txlog: deps.Log, now: deps.Now, log: deps.Logger, cfg: cfg,
		cache: newCaches(cfg.CacheTTL), hosts: newUpstreamHosts()}
	s.keys = newKeyring(s)
	if err := s.keys.ensure(ctx); err != nil {
		return nil, err
	}
	var err error
	if s.endUserKey, err = s.loadEndUserKey(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// TxLog is the transaction log the service writes to.
func (s *Service) TxLog() *txlog.Log { return s.txlog }

// Run runs the background work until ctx ends: the transaction log's writer
// (which writes what is still queued before Run returns) and the upkeep of
// signing keys (reload, retirement of keys whose tokens have all expired).
// Stop it only after the HTTP server has finished its requests: strict
// requests wait for the writer.
func (s *Service) Run(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.txlog.Run(ctx)
	}()
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			<-done
			s.hosts.closeIdle()
			return
		case <-t.C:
			if err := s.keys.upkeep(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("LGSP signing keys upkeep", "err", err)
			}
			s.hosts.closeIdle()
		}
	}
}

// OnChange registers fn to be called after every change of systems,
// services, access or credentials (for caches kept elsewhere).
func (s *Service) OnChange(fn func()) {
	s.mu.Lock()
	s.onChange = append(s.onChange, fn)
	s.mu.Unlock()
}

// changed forgets cached decisions after a commit.
func (s *Service) changed() {
	s.cache.invalidate()
	s.mu.Lock()
	fns := s.onChange
	s.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

func (s *Service) loadEndUserKey(ctx context.Context) ([]byte, error) {
	if len(s.cfg.EndUserKey) > 0 {
		return s.cfg.EndUserKey, nil
	}
	const name = "exchange.end_user_hash_key"
	var v string
	err := s.db.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", name).Scan(&v)
	if err == nil {
		return hex.DecodeString(v)
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	if _, err := s.db.Exec(ctx, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", name, hex.EncodeToString(b[:])); err != nil {
		return nil, fmt.Errorf("store the end-user hash key: %w", err)
	}
	if err := s.db.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", name).Scan(&v); err != nil {
		return nil, fmt.Errorf("read the end-user hash key: %w", err)
	}
	return hex.DecodeString(v)
}

// HashEndUser is the keyed hash the log keeps of an end-user identifier; the
// log can be searched by it.
func (s *Service) HashEndUser(v string) string {
	m := hmac.New(sha256.New, s.endUserKey)
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil))
}

func fold(s string) string { return vntext.Fold(s) }

// mayAdmin: the agency's admins and province admins.
func mayAdmin(a *actor.Actor, agencyID string) bool {
	return a != nil && a.IsOfficial() && a.CanAdminister(agencyID)
}

// mayReadAll: province-wide roles.
func mayReadAll(a *actor.Actor) bool { return a != nil && a.IsOfficial() && a.ProvinceWide() }

// mayBrowse: any official may read the directory.
func mayBrowse(a *actor.Actor) bool { return a != nil && a.IsOfficial() }

func (s *Service) record(ctx context.Context, tx *db.Tx, by *actor.Actor, agencyID, action, objType, objID string, detail map[string]any) error {
	return s.audit.Append(ctx, tx, by, audit.Event{Action: "exchange." + action, ObjectType: objType, ObjectID: objID, AgencyID: agencyID, Detail: detail})
}

// ---- systems ----

// CreateSystem registers an information system of an agency.
func (s *Service) CreateSystem(ctx context.Context, by *actor.Actor, in SystemInput) (System, error) {
	f := in.normalize(true)
	if !mayAdmin(by, in.AgencyID) {
		return System{}, actor.Deny(by, "Chỉ quản trị của cơ quan chủ quản hoặc quản trị toàn tỉnh được đăng ký hệ thống.")
	}
	if err := f.Err(); err != nil {
		return System{}, err
	}
	if _, err := s.member(ctx, in.AgencyID); err != nil {
		return System{}, err
	}
	now := s.now().UTC()
	sys := System{ID: db.NewID(), AgencyID: in.AgencyID, Code: in.Code, Name: in.Name, Description: in.Description, ContactName: in.ContactName,
		ContactEmail: in.ContactEmail, ContactPhone: in.ContactPhone, Disabled: in.Disabled, Version: 1, CreatedAt: db.Instant(now), UpdatedAt: db.Instant(now)}
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO exchange_systems (id, agency_id, code, name, description, contact_name, contact_email, contact_phone,
			name_fold, disabled, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
			sys.ID, sys.AgencyID, sys.Code, sys.Name, sys.Description, sys.ContactName, sys.ContactEmail, sys.ContactPhone, fold(sys.Name+" "+sys.Code),
			sys.Disabled, now, now)
		if db.IsUniqueViolation(err) {
			return apperr.Field("code", fmt.Sprintf("Mã hệ thống %s đã được dùng.", sys.Code))
		}
		if db.IsForeignKeyViolation(err) {
			return apperr.Field("agency_id", "Cơ quan chủ quản không tồn tại.")
		}
		if err != nil {
			return apperr.Wrap(err, "insert system")
		}
		return s.record(ctx, tx, by, sys.AgencyID, "system.create", "exchange_system", sys.ID, map[string]any{"code": sys.Code})
	})
	if err != nil {
		return System{}, err
	}
	s.changed()
	return sys, nil
}

func (s *Service) member(ctx context.Context, agencyID string) (Member, error) {
	if s.agencies == nil {
		return Member{ID: agencyID}, nil
	}
	m, err := s.agencies.Member(ctx, agencyID)
	if apperr.Is(err, apperr.NotFound) {
		return m, apperr.Field("agency_id", "Cơ quan chủ quản không tồn tại.")
	}
	if err != nil {
		return m, err
	}
	if m.Retired {
		return m, apperr.Field("agency_id", "Cơ quan chủ quản đã ngừng hoạt động.")
	}
	return m, nil
}

// UpdateSystem edits a system's name, description, contacts and whether it
// is disabled (a disabled system can neither call nor be called). version
// is the one the editor read.
func (s *Service) UpdateSystem(ctx context.Context, by *actor.Actor, id string, version int, in SystemInput) (System, error) {
	var out System
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		cur, err := getSystem(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		if !mayAdmin(by, cur.AgencyID) {
			return actor.Deny(by, "Chỉ quản trị của cơ quan chủ quản hoặc quản trị toàn tỉnh được sửa hệ thống.")
		}
		if err := in.normalize(false).Err(); err != nil {
			return err
		}
		if version != cur.Version {
			return apperr.New(apperr.Conflict, "Hệ thống đã được người khác sửa; hãy tải lại rồi sửa tiếp.")
		}
		now := s.now().UTC()
		if _, err := tx.Exec(ctx, `UPDATE exchange_systems SET name = ?, description = ?, contact_name = ?, contact_email = ?, contact_phone = ?,
			name_fold = ?, disabled = ?, version = version + 1, updated_at = ? WHERE id = ?`, in.Name, in.Description, in.ContactName,
			in.ContactEmail, in.ContactPhone, fold(in.Name+" "+cur.Code), in.Disabled, now, id); err != nil {
			return apperr.Wrap(err, "update system")
		}
		if err := s.record(ctx, tx, by, cur.AgencyID, "system.update", "exchange_system", id, map[string]any{"disabled": in.Disabled}); err != nil {
			return err
		}
		out, err = getSystem(ctx, tx, "id = ?", id)
		return err
	})
	if err != nil {
		return System{}, err
	}
	s.changed()
	return out, nil
}

// System reads a system (any official).
func (s *Service) System(ctx context.Context, by *actor.Actor, id string) (System, error) {
	if !mayBrowse(by) {
		return System{}, actor.Deny(by, "Bạn không có quyền xem danh bạ LGSP.")
	}
	return getSystem(ctx, s.db, "id = ?", id)
}

// Systems lists systems (any official).
func (s *Service) Systems(ctx context.Context, by *actor.Actor, f SystemFilter) ([]System, error) {
	if !mayBrowse(by) {
		return nil, actor.Deny(by, "Bạn không có quyền xem danh bạ LGSP.")
	}
	return listSystems(ctx, s.db, f)
}

// systemForAdmin reads a system and checks that by administers it.
func (s *Service) systemForAdmin(ctx context.Context, r db.Runner, by *actor.Actor, id, deny string) (System, error) {
	sys, err := getSystem(ctx, r, "id = ?", id)
	if err != nil {
		if by == nil {
			return sys, actor.Deny(by, deny)
		}
		return sys, err
	}
	if !mayAdmin(by, sys.AgencyID) {
		return sys, actor.Deny(by, deny)
	}
	return sys, nil
}

// ---- services ----

// CreateService publishes a REST service of a provider system.
func (s *Service) CreateService(ctx context.Context, by *actor.Actor, systemID string, in ServiceInput) (RESTService, error) {
	var out RESTService
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		sys, err := s.systemForAdmin(ctx, tx, by, systemID, "Chỉ quản trị của cơ quan cung cấp hoặc quản trị toàn tỉnh được công bố dịch vụ.")
		if err != nil {
			return err
		}
		if err := in.normalize(true).Err(); err != nil {
			return err
		}
		enabled := in.Enabled == nil || *in.Enabled
		now := s.now().UTC()
		id := db.NewID()
		_, err = tx.Exec(ctx, `INSERT INTO exchange_services (id, system_id, code, name, description, upstream_url, enabled, keep_bodies,
			personal_data, timeout_ms, max_body_bytes, log_mode, default_rpm, default_burst, spec_version, name_fold, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 1, ?, ?)`, id, systemID, in.Code, in.Name, in.Description, in.UpstreamURL,
			enabled, in.KeepBodies, in.PersonalData, in.TimeoutMS, in.MaxBodyBytes, in.LogMode, in.DefaultRatePerMinute, in.DefaultBurst,
			fold(in.Name+" "+in.Code), now, now)
		if db.IsUniqueViolation(err) {
			return apperr.Field("code", fmt.Sprintf("Hệ thống %s đã có dịch vụ mã %s.", sys.Code, in.Code))
		}
		if err != nil {
			return apperr.Wrap(err, "insert service")
		}
		if err := s.record(ctx, tx, by, sys.AgencyID, "service.create", "exchange_service", id,
			map[string]any{"code": in.Code, "system": sys.Code, "upstream_url": in.UpstreamURL, "log_mode": in.LogMode}); err != nil {
			return err
		}
		out, err = getService(ctx, tx, "v.id = ?", id)
		return err
	})
	if err != nil {
		return RESTService{}, err
	}
	s.changed()
	return out, nil
}

// UpdateService edits a service's settings (its code cannot change: it is in
// consumers' URLs).
func (s *Service) UpdateService(ctx context.Context, by *actor.Actor, id string, version int, in ServiceInput) (RESTService, error) {
	var out RESTService
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		cur, err := getService(ctx, tx, "v.id = ?", id)
		if err != nil {
			return err
		}
		if !mayAdmin(by, cur.AgencyID) {
			return actor.Deny(by, "Chỉ quản trị của cơ quan cung cấp hoặc quản trị toàn tỉnh được sửa dịch vụ.")
		}
		in.Code = cur.Code
		if err := in.normalize(false).Err(); err != nil {
			return err
		}
		if version != cur.Version {
			return apperr.New(apperr.Conflict, "Dịch vụ đã được người khác sửa; hãy tải lại rồi sửa tiếp.")
		}
		spec := cur.SpecVersion
		if in.SpecVersion != 0 && in.SpecVersion != spec {
			var n int
			if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM exchange_service_specs WHERE service_id = ? AND version = ?", id, in.SpecVersion).Scan(&n); err != nil {
				return apperr.Wrap(err, "check spec")
			}
			if n == 0 {
				return apperr.Field("spec_version", fmt.Sprintf("Dịch vụ không có tài liệu phiên bản %d.", in.SpecVersion))
			}
			spec = in.SpecVersion
		}
		enabled := cur.Enabled
		if in.Enabled != nil {
			enabled = *in.Enabled
		}
		now := s.now().UTC()
		if _, err := tx.Exec(ctx, `UPDATE exchange_services SET name = ?, description = ?, upstream_url = ?, enabled = ?, keep_bodies = ?,
			personal_data = ?, timeout_ms = ?, max_body_bytes = ?, log_mode = ?, default_rpm = ?, default_burst = ?, spec_version = ?,
			name_fold = ?, version = version + 1, updated_at = ? WHERE id = ?`, in.Name, in.Description, in.UpstreamURL, enabled, in.KeepBodies,
			in.PersonalData, in.TimeoutMS, in.MaxBodyBytes, in.LogMode, in.DefaultRatePerMinute, in.DefaultBurst, spec, fold(in.Name+" "+cur.Code),
			now, id); err != nil {
			return apperr.Wrap(err, "update service")
		}
		if err := s.record(ctx, tx, by, cur.AgencyID, "service.update", "exchange_service", id,
			map[string]any{"enabled": enabled, "upstream_url": in.UpstreamURL, "log_mode": in.LogMode, "spec_version": spec}); err != nil {
			return err
		}
		out, err = getService(ctx, tx, "v.id = ?", id)
		return err
	})
	if err != nil {
		return RESTService{}, err
	}
	s.changed()
	return out, nil
}

// view hides what only the provider's admins and province-wide roles see.
func view(by *actor.Actor, v RESTService) RESTService {
	if !(mayAdmin(by, v.AgencyID) || mayReadAll(by)) {
		v.UpstreamURL = ""
	}
	return v
}

// RESTService reads a service (any official; the upstream address only for
// its admins and province-wide roles).
func (s *Service) RESTService(ctx context.Context, by *actor.Actor, id string) (RESTService, error) {
	if !mayBrowse(by) {
		return RESTService{}, actor.Deny(by, "Bạn không có quyền xem danh bạ LGSP.")
	}
	v, err := getService(ctx, s.db, "v.id = ?", id)
	return view(by, v), err
}

// RESTServices lists services (any official).
func (s *Service) RESTServices(ctx context.Context, by *actor.Actor, f ServiceFilter) ([]RESTService, error) {
	if !mayBrowse(by) {
		return nil, actor.Deny(by, "Bạn không có quyền xem danh bạ LGSP.")
	}
	list, err := listServices(ctx, s.db, f)
	for i := range list {
		list[i] = view(by, list[i])
	}
	return list, err
}

// MaxSpecBytes bounds an OpenAPI document.
const MaxSpecBytes = 2 << 20

// UploadSpec stores a new version of the service's OpenAPI document and makes
// it current.
func (s *Service) UploadSpec(ctx context.Context, by *actor.Actor, serviceID string, doc []byte) (Spec, error) {
	var out Spec
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		cur, err := getService(ctx, tx, "v.id = ?", serviceID)
		if err != nil {
			return err
		}
		if !mayAdmin(by, cur.AgencyID) {
			return actor.Deny(by, "Chỉ quản trị của cơ quan cung cấp hoặc quản trị toàn tỉnh được tải lên tài liệu dịch vụ.")
		}
		info, err := parseSpec(doc)
		if err != nil {
			return err
		}
		var last int
		if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM exchange_service_specs WHERE service_id = ?", serviceID).Scan(&last); err != nil {
			return apperr.Wrap(err, "read spec versions")
		}
		sum := sha256.Sum256(doc)
		now := s.now().UTC()
		out = Spec{ServiceID: serviceID, Version: last + 1, Title: info.title, APIVersion: info.version, SHA256: hex.EncodeToString(sum[:]),
			UploadedBy: by.UserID, CreatedAt: db.Instant(now)}
		if _, err := tx.Exec(ctx, `INSERT INTO exchange_service_specs (service_id, version, document, sha256, title, api_version, uploaded_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, serviceID, out.Version, string(doc), out.SHA256, out.Title, out.APIVersion, out.UploadedBy, now); err != nil {
			return apperr.Wrap(err, "insert spec")
		}
		if _, err := tx.Exec(ctx, "UPDATE exchange_services SET spec_version = ?, version = version + 1, updated_at = ? WHERE id = ?", out.Version, now, serviceID); err != nil {
			return apperr.Wrap(err, "point to spec")
		}
		return s.record(ctx, tx, by, cur.AgencyID, "service.spec", "exchange_service", serviceID,
			map[string]any{"version": out.Version, "sha256": out.SHA256, "paths": info.paths})
	})
	if err != nil {
		return Spec{}, err
	}
	s.changed()
	return out, nil
}

// Spec returns a version of a service's OpenAPI document (0: the current one).
func (s *Service) Spec(ctx context.Context, by *actor.Actor, serviceID string, version int) (Spec, error) {
	if !mayBrowse(by) {
		return Spec{}, actor.Deny(by, "Bạn không có quyền xem danh bạ LGSP.")
	}
	return s.spec(ctx, serviceID, version)
}

func (s *Service) spec(ctx context.Context, serviceID string, version int) (Spec, error) {
	if version == 0 {
		v, err := getService(ctx, s.db, "v.id = ?", serviceID)
		if err != nil {
			return Spec{}, err
		}
		if v.SpecVersion == 0 {
			return Spec{}, apperr.New(apperr.NotFound, "Dịch vụ chưa có tài liệu OpenAPI.")
		}
		version = v.SpecVersion
	}
	var sp Spec
	err := s.db.QueryRow(ctx, `SELECT service_id, version, title, api_version, sha256, uploaded_by, created_at, document
		FROM exchange_service_specs WHERE service_id = ? AND version = ?`, serviceID, version).
		Scan(&sp.ServiceID, &sp.Version, &sp.Title, &sp.APIVersion, &sp.SHA256, &sp.UploadedBy, &sp.CreatedAt, &sp.Document)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return sp, apperr.New(apperr.NotFound, "Không tìm thấy phiên bản tài liệu này.")
		}
		return sp, apperr.Wrap(err, "read spec")
	}
	return sp, nil
}

// Specs lists the versions of a service's document (without the text).
func (s *Service) Specs(ctx context.Context, by *actor.Actor, serviceID string) ([]Spec, error) {
	if !mayBrowse(by) {
		return nil, actor.Deny(by, "Bạn không có quyền xem danh bạ LGSP.")
	}
	rows, err := s.db.Query(ctx, `SELECT service_id, version, title, api_version, sha256, uploaded_by, created_at
		FROM exchange_service_specs WHERE service_id = ? ORDER BY version DESC`, serviceID)
	if err != nil {
		return nil, apperr.Wrap(err, "list specs")
	}
	defer rows.Close()
	var out []Spec
	for rows.Next() {
		var sp Spec
		if err := rows.Scan(&sp.ServiceID, &sp.Version, &sp.Title, &sp.APIVersion, &sp.SHA256, &sp.UploadedBy, &sp.CreatedAt); err != nil {
			return nil, apperr.Wrap(err, "scan spec")
		}
		out = append(out, sp)
	}
	return out, apperr.Wrap(rows.Err(), "list specs")
}

// ---- access ----

// RequestAccess asks, for a consumer system, to call a service. A refused or
// revoked request may be made again.
func (s *Service) RequestAccess(ctx context.Context, by *actor.Actor, in AccessRequest) (Access, error) {
	var out Access
	in.Purpose = vntext.NFC(in.Purpose)
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		cons, err := s.systemForAdmin(ctx, tx, by, in.ConsumerID, "Chỉ quản trị của cơ quan sở hữu hệ thống gọi hoặc quản trị toàn tỉnh được xin quyền truy cập.")
		if err != nil {
			return err
		}
		if cons.Disabled {
			return apperr.New(apperr.Conflict, "Hệ thống gọi đang bị vô hiệu hóa.")
		}
		if in.Purpose == "" || len([]rune(in.Purpose)) > 1000 || !vntext.Valid(in.Purpose) {
			return apperr.Field("purpose", "Hãy nêu mục đích sử dụng dữ liệu (tối đa 1000 ký tự).")
		}
		svc, err := getService(ctx, tx, "v.id = ?", in.ServiceID)
		if apperr.Is(err, apperr.NotFound) {
			return apperr.Field("service_id", "Dịch vụ không tồn tại.")
		}
		if err != nil {
			return err
		}
		now := s.now().UTC()
		prev, err := getAccess(ctx, tx, "consumer_id = ? AND service_id = ?", cons.ID, svc.ID)
		switch {
		case err == nil && (prev.Status == Pending || prev.Status == Approved):
			return apperr.New(apperr.Conflict, "Hệ thống này đã có yêu cầu truy cập dịch vụ (đang chờ duyệt hoặc đã được duyệt).")
		case err == nil:
			if _, err := tx.Exec(ctx, `UPDATE exchange_access SET status = ?, purpose = ?, note = '', requested_by = ?, decided_by = '',
				requested_at = ?, decided_at = NULL, version = version + 1, updated_at = ? WHERE id = ?`,
				string(Pending), in.Purpose, by.UserID, now, now, prev.ID); err != nil {
				return apperr.Wrap(err, "renew access request")
			}
			out.ID = prev.ID
		case apperr.Is(err, apperr.NotFound):
			out.ID = db.NewID()
			if _, err := tx.Exec(ctx, `INSERT INTO exchange_access (id, consumer_id, service_id, status, purpose, note, rate_per_min, burst,
				requested_by, decided_by, requested_at, version, updated_at) VALUES (?, ?, ?, ?, ?, '', 0, 0, ?, '', ?, 1, ?)`,
				out.ID, cons.ID, svc.ID, string(Pending), in.Purpose, by.UserID, now, now); err != nil {
				return apperr.Wrap(err, "insert access request")
			}
		default:
			return err
		}
		if err := s.record(ctx, tx, by, cons.AgencyID, "access.request", "exchange_access", out.ID,
			map[string]any{"consumer": cons.Code, "service": svc.ProviderCode + "/" + svc.Code}); err != nil {
			return err
		}
		out, err = getAccess(ctx, tx, "id = ?", out.ID)
		return err
	})
	if err != nil {
		return Access{}, err
	}
	s.changed()
	return out, nil
}

// decide changes an access request's state under the rules of one action.
func (s *Service) decide(ctx context.Context, by *actor.Actor, id string, d Decision, action string) (Access, error) {
	var out Access
	d.Note = vntext.NFC(d.Note)
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		a, err := getAccess(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		svc, err := getService(ctx, tx, "v.id = ?", a.ServiceID)
		if err != nil {
			return err
		}
		cons, err := getSystem(ctx, tx, "id = ?", a.ConsumerID)
		if err != nil {
			return err
		}
		provider := mayAdmin(by, svc.AgencyID)
		if !provider && !(action == "revoke" && mayAdmin(by, cons.AgencyID)) {
			return actor.Deny(by, "Chỉ quản trị của cơ quan cung cấp dịch vụ hoặc quản trị toàn tỉnh được duyệt quyền truy cập.")
		}
		if d.Version != 0 && d.Version != a.Version {
			return apperr.New(apperr.Conflict, "Yêu cầu đã được người khác xử lý; hãy tải lại.")
		}
		if len([]rune(d.Note)) > 1000 || !vntext.Valid(d.Note) {
			return apperr.Field("note", "Ghi chú tối đa 1000 ký tự.")
		}
		rate, burst := a.RatePerMinute, a.Burst
		if d.RatePerMinute != nil || d.Burst != nil {
			rate, burst = 0, 0
			if d.RatePerMinute != nil {
				rate = *d.RatePerMinute
			}
			if d.Burst != nil {
				burst = *d.Burst
			}
			if err := checkQuota(rate, burst, "rate_per_minute", "burst").Err(); err != nil {
				return err
			}
		}
		status := a.Status
		switch action {
		case "approve":
			if a.Status != Pending && a.Status != Refused {
				return apperr.New(apperr.Conflict, "Chỉ duyệt được yêu cầu đang chờ hoặc đã bị từ chối.")
			}
			if d.RatePerMinute == nil && d.Burst == nil {
				rate, burst = svc.DefaultRatePerMinute, svc.DefaultBurst
			}
			status = Approved
		case "refuse":
			if a.Status != Pending {
				return apperr.New(apperr.Conflict, "Chỉ từ chối được yêu cầu đang chờ duyệt.")
			}
			if d.Note == "" {
				return apperr.Field("note", "Hãy nêu lý do từ chối.")
			}
			status = Refused
		case "revoke":
			if a.Status != Approved && a.Status != Pending {
				return apperr.New(apperr.Conflict, "Quyền truy cập này không còn hiệu lực.")
			}
			status = Revoked
		case "quota":
			if a.Status != Approved {
				return apperr.New(apperr.Conflict, "Chỉ đặt hạn mức cho quyền truy cập đã được duyệt.")
			}
			if d.RatePerMinute == nil && d.Burst == nil {
				return apperr.Field("rate_per_minute", "Hãy nhập hạn mức.")
			}
		}
		now := s.now().UTC()
		if _, err := tx.Exec(ctx, `UPDATE exchange_access SET status = ?, note = ?, rate_per_min = ?, burst = ?, decided_by = ?, decided_at = ?,
			version = version + 1, updated_at = ? WHERE id = ?`, string(status), d.Note, rate, burst, by.UserID, now, now, id); err != nil {
			return apperr.Wrap(err, "update access")
		}
		if err := s.record(ctx, tx, by, svc.AgencyID, "access."+action, "exchange_access", id,
			map[string]any{"consumer": cons.Code, "service": svc.ProviderCode + "/" + svc.Code, "rate_per_minute": rate, "burst": burst}); err != nil {
			return err
		}
		out, err = getAccess(ctx, tx, "id = ?", id)
		return err
	})
	if err != nil {
		return Access{}, err
	}
	s.changed()
	return out, nil
}

// ApproveAccess grants a pending request, with the decision's quota or the
// service's default one.
func (s *Service) ApproveAccess(ctx context.Context, by *actor.Actor, id string, d Decision) (Access, error) {
	return s.decide(ctx, by, id, d, "approve")
}

// RefuseAccess refuses a pending request; the note gives the reason.
func (s *Service) RefuseAccess(ctx context.Context, by *actor.Actor, id string, d Decision) (Access, error) {
	return s.decide(ctx, by, id, d, "refuse")
}

// RevokeAccess ends an access right at once (the provider's admins, or the
// consumer's giving it up).
func (s *Service) RevokeAccess(ctx context.Context, by *actor.Actor, id string, d Decision) (Access, error) {
	return s.decide(ctx, by, id, d, "revoke")
}

// SetQuota changes the quota of an approved access.
func (s *Service) SetQuota(ctx context.Context, by *actor.Actor, id string, d Decision) (Access, error) {
	return s.decide(ctx, by, id, d, "quota")
}

// AccessList lists access requests: province-wide roles see all, agency
// officials those of their agencies' systems, as consumer or provider.
func (s *Service) AccessList(ctx context.Context, by *actor.Actor, f AccessFilter) ([]Access, error) {
	if !mayBrowse(by) {
		return nil, actor.Deny(by, "Bạn không có quyền xem quyền truy cập LGSP.")
	}
	if !mayReadAll(by) {
		ids, err := s.systemsOf(ctx, by)
		if err != nil {
			return nil, err
		}
		f.Systems = ids
	}
	return listAccess(ctx, s.db, f)
}

// systemsOf lists the IDs of the systems of the actor's agencies (non-nil).
func (s *Service) systemsOf(ctx context.Context, by *actor.Actor) ([]string, error) {
	out := []string{}
	agencies := by.AgencyIDs()
	if len(agencies) == 0 {
		return out, nil
	}
	args := make([]any, len(agencies))
	for i, a := range agencies {
		args[i] = a
	}
	rows, err := s.db.Query(ctx, "SELECT id FROM exchange_systems WHERE agency_id IN ("+db.Placeholders(len(agencies))+")", args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list systems")
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, apperr.Wrap(err, "list systems")
		}
		out = append(out, id)
	}
	return out, apperr.Wrap(rows.Err(), "list systems")
}

type nullTime = sql.NullTime
