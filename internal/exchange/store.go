package exchange

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/exchange/txlog"
)

// The SQL of the exchange, written once for both engines.

const systemColumns = `id, agency_id, code, name, description, contact_name, contact_email, contact_phone, disabled, version, created_at, updated_at`

func scanSystem(row interface{ Scan(...any) error }) (System, error) {
	var s System
	err := row.Scan(&s.ID, &s.AgencyID, &s.Code, &s.Name, &s.Description, &s.ContactName, &s.ContactEmail, &s.ContactPhone,
		&s.Disabled, &s.Version, &s.CreatedAt, &s.UpdatedAt)
	return s, err
}

func getSystem(ctx context.Context, r db.Runner, where string, arg any) (System, error) {
	s, err := scanSystem(r.QueryRow(ctx, "SELECT "+systemColumns+" FROM exchange_systems WHERE "+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return s, apperr.New(apperr.NotFound, "Không tìm thấy hệ thống thông tin.")
	}
	if err != nil {
		return s, apperr.Wrap(err, "read system")
	}
	return s, nil
}

// SystemFilter selects systems.
type SystemFilter struct {
	AgencyID string
	Query    string
	After    string // code cursor
	Limit    int
}

func listSystems(ctx context.Context, r db.Runner, f SystemFilter) ([]System, error) {
	q := "SELECT " + systemColumns + " FROM exchange_systems WHERE 1=1"
	var args []any
	if f.AgencyID != "" {
		q += " AND agency_id = ?"
		args = append(args, f.AgencyID)
	}
	if f.Query != "" {
		q += " AND (name_fold LIKE ? OR code LIKE ?)"
		args = append(args, "%"+fold(f.Query)+"%", "%"+fold(f.Query)+"%")
	}
	if f.After != "" {
		q += " AND code > ?"
		args = append(args, f.After)
	}
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	q += fmt.Sprintf(" ORDER BY code LIMIT %d", f.Limit)
	rows, err := r.Query(ctx, q, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list systems")
	}
	defer rows.Close()
	var out []System
	for rows.Next() {
		s, err := scanSystem(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan system")
		}
		out = append(out, s)
	}
	return out, apperr.Wrap(rows.Err(), "list systems")
}

const serviceColumns = `v.id, v.system_id, s.code, s.agency_id, v.code, v.name, v.description, v.upstream_url, v.enabled, v.keep_bodies,
	v.personal_data, v.timeout_ms, v.max_body_bytes, v.log_mode, v.default_rpm, v.default_burst, v.spec_version, v.version,
	v.created_at, v.updated_at`

const serviceFrom = " FROM exchange_services v JOIN exchange_systems s ON s.id = v.system_id"

func scanService(row interface{ Scan(...any) error }) (RESTService, error) {
	var v RESTService
	err := row.Scan(&v.ID, &v.SystemID, &v.ProviderCode, &v.AgencyID, &v.Code, &v.Name, &v.Description, &v.UpstreamURL, &v.Enabled,
		&v.KeepBodies, &v.PersonalData, &v.TimeoutMS, &v.MaxBodyBytes, &v.LogModeName, &v.DefaultRatePerMinute, &v.DefaultBurst,
		&v.SpecVersion, &v.Version, &v.CreatedAt, &v.UpdatedAt)
	if v.LogModeName == "async" {
		v.LogMode = txlog.Async
	}
	v.GatewayPath = "/lgsp/" + v.ProviderCode + "/" + v.Code + "/"
	return v, err
}

func getService(ctx context.Context, r db.Runner, where string, args ...any) (RESTService, error) {
	v, err := scanService(r.QueryRow(ctx, "SELECT "+serviceColumns+serviceFrom+" WHERE "+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return v, apperr.New(apperr.NotFound, "Không tìm thấy dịch vụ.")
	}
	if err != nil {
		return v, apperr.Wrap(err, "read service")
	}
	return v, nil
}

// ServiceFilter selects services.
type ServiceFilter struct {
	SystemID    string
	AgencyID    string
	Query       string
	EnabledOnly bool
}

func listServices(ctx context.Context, r db.Runner, f ServiceFilter) ([]RESTService, error) {
	q := "SELECT " + serviceColumns + serviceFrom + " WHERE 1=1"
	var args []any
	if f.SystemID != "" {
		q += " AND v.system_id = ?"
		args = append(args, f.SystemID)
	}
	if f.AgencyID != "" {
		q += " AND s.agency_id = ?"
		args = append(args, f.AgencyID)
	}
	if f.Query != "" {
		q += " AND (v.name_fold LIKE ? OR v.code LIKE ?)"
		args = append(args, "%"+fold(f.Query)+"%", "%"+fold(f.Query)+"%")
	}
	if f.EnabledOnly {
		q += " AND v.enabled = ? AND s.disabled = ?"
		args = append(args, true, false)
	}
	q += " ORDER BY s.code, v.code LIMIT 5000"
	rows, err := r.Query(ctx, q, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list services")
	}
	defer rows.Close()
	var out []RESTService
	for rows.Next() {
		v, err := scanService(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan service")
		}
		out = append(out, v)
	}
	return out, apperr.Wrap(rows.Err(), "list services")
}

const accessColumns = `id, consumer_id, service_id, status, purpose, note, rate_per_min, burst, requested_by, decided_by, requested_at,
	decided_at, version, updated_at`

func scanAccess(row interface{ Scan(...any) error }) (Access, error) {
	var a Access
	var status string
	var decided sql.NullTime
	err := row.Scan(&a.ID, &a.ConsumerID, &a.ServiceID, &status, &a.Purpose, &a.Note, &a.RatePerMinute, &a.Burst, &a.RequestedBy,
		&a.DecidedBy, &a.RequestedAt, &decided, &a.Version, &a.UpdatedAt)
	a.Status = AccessStatus(status)
	a.DecidedAt = timePtr(decided)
	return a, err
}

func getAccess(ctx context.Context, r db.Runner, where string, args ...any) (Access, error) {
	a, err := scanAccess(r.QueryRow(ctx, "SELECT "+accessColumns+" FROM exchange_access WHERE "+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return a, apperr.New(apperr.NotFound, "Không tìm thấy yêu cầu truy cập.")
	}
	if err != nil {
		return a, apperr.Wrap(err, "read access")
	}
	return a, nil
}

// AccessFilter selects access requests.
type AccessFilter struct {
	ConsumerID string
	ServiceID  string
	Status     AccessStatus
	// Systems, when not nil, limits to requests whose consumer or whose
	// service's provider is one of these systems.
	Systems []string
}

func listAccess(ctx context.Context, r db.Runner, f AccessFilter) ([]Access, error) {
	q := "SELECT " + prefixed("a.", accessColumns) + " FROM exchange_access a JOIN exchange_services v ON v.id = a.service_id WHERE 1=1"
	var args []any
	if f.ConsumerID != "" {
		q += " AND a.consumer_id = ?"
		args = append(args, f.ConsumerID)
	}
	if f.ServiceID != "" {
		q += " AND a.service_id = ?"
		args = append(args, f.ServiceID)
	}
	if f.Status != "" {
		q += " AND a.status = ?"
		args = append(args, string(f.Status))
	}
	if f.Systems != nil {
		if len(f.Systems) == 0 {
			return nil, nil
		}
		ph := db.Placeholders(len(f.Systems))
		q += " AND (a.consumer_id IN (" + ph + ") OR v.system_id IN (" + ph + "))"
		for range 2 {
			for _, s := range f.Systems {
				args = append(args, s)
			}
		}
	}
	q += " ORDER BY a.requested_at DESC, a.id LIMIT 5000"
	rows, err := r.Query(ctx, q, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list access")
	}
	defer rows.Close()
	var out []Access
	for rows.Next() {
		a, err := scanAccess(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan access")
		}
		out = append(out, a)
	}
	return out, apperr.Wrap(rows.Err(), "list access")
}

func prefixed(p, cols string) string {
	out := []byte{}
	start := true
	for i := 0; i < len(cols); i++ {
		c := cols[i]
		if start && c != ' ' && c != '\t' && c != '\n' {
			out = append(out, p...)
			start = false
		}
		if c == ',' {
			start = true
		}
		out = append(out, c)
	}
	return string(out)
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

// loadRoute reads what the gateway needs about a service.
func loadRoute(ctx context.Context, r db.Runner, provider, service string) (RESTService, string, error) {
	v, err := getService(ctx, r, "s.code = ? AND v.code = ?", provider, service)
	if err != nil {
		return v, "", err
	}
	var doc string
	if v.SpecVersion > 0 {
		err := r.QueryRow(ctx, "SELECT document FROM exchange_service_specs WHERE service_id = ? AND version = ?", v.ID, v.SpecVersion).Scan(&doc)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return v, "", apperr.Wrap(err, "read spec")
		}
	}
	return v, doc, nil
}

func loadKey(ctx context.Context, r db.Runner, id string) (*keyState, error) {
	var k keyState
	var hash string
	var exp, rev sql.NullTime
	err := r.QueryRow(ctx, "SELECT id, system_id, secret_hash, expires_at, revoked_at FROM exchange_api_keys WHERE id = ?", id).
		Scan(&k.id, &k.systemID, &hash, &exp, &rev)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, apperr.Wrap(err, "read key")
	}
	if !decodeHash(hash, &k.hash) {
		return nil, apperr.Wrap(fmt.Errorf("key %s: bad hash", id), "read key")
	}
	if exp.Valid {
		k.expires = exp.Time
	}
	k.revoked = rev.Valid
	return &k, nil
}

func loadSystemState(ctx context.Context, r db.Runner, id string) (*systemState, error) {
	var s systemState
	err := r.QueryRow(ctx, "SELECT id, code, agency_id, disabled FROM exchange_systems WHERE id = ?", id).Scan(&s.id, &s.code, &s.agencyID, &s.disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, apperr.Wrap(err, "read system")
	}
	rows, err := r.Query(ctx, "SELECT fingerprint FROM exchange_client_certs WHERE system_id = ? AND revoked_at IS NULL", id)
	if err != nil {
		return nil, apperr.Wrap(err, "read certificates")
	}
	defer rows.Close()
	for rows.Next() {
		var fp string
		var raw [32]byte
		if err := rows.Scan(&fp); err != nil {
			return nil, apperr.Wrap(err, "read certificates")
		}
		if decodeHash(fp, &raw) {
			s.certs = append(s.certs, raw)
		}
	}
	return &s, apperr.Wrap(rows.Err(), "read certificates")
}

func loadAccessState(ctx context.Context, r db.Runner, consumer, service string) (*accessState, error) {
	var st accessState
	var status string
	err := r.QueryRow(ctx, "SELECT status, rate_per_min, burst FROM exchange_access WHERE consumer_id = ? AND service_id = ?", consumer, service).
		Scan(&status, &st.rate, &st.burst)
	if errors.Is(err, sql.ErrNoRows) {
		return &st, nil
	}
	if err != nil {
		return nil, apperr.Wrap(err, "read access")
	}
	st.approved = status == string(Approved)
	return &st, nil
}
