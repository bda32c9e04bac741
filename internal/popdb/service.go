package popdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/vntext"
)

// Check is a recorded check. It holds no personal data: the dossier or
// account it was for says whose data was checked.
type Check struct {
	ID         string    `json:"id"`
	Result     Result    `json:"result"`
	Label      string    `json:"label"`
	Reference  string    `json:"reference"`
	Mismatched []string  `json:"mismatched,omitempty"`
	DossierID  string    `json:"dossier_id,omitempty"`
	UserID     string    `json:"user_id,omitempty"`
	CheckedBy  string    `json:"checked_by"`
	CheckedAt  time.Time `json:"checked_at"`
}

// CheckInput is a check to make. The data checked is sent upstream and
// forgotten.
type CheckInput struct {
	IDNumber string `json:"id_number"`
	FullName string `json:"full_name"`
	// BirthDate is YYYY-MM-DD.
	BirthDate string `json:"birth_date"`
	// DossierCode, when set, is the dossier whose applicant is checked: the
	// ID number must be the applicant's, and the check is reported to the
	// national portal with the dossier.
	DossierCode string `json:"dossier_code,omitempty"`
	// UserID, when set, is the account whose holder is checked (the portal
	// checking a citizen's account); a citizen checking themselves needs
	// not set it.
	UserID string `json:"user_id,omitempty"`
}

// Checker is what the dossier side and the portal call.
type Checker interface {
	Check(ctx context.Context, by *actor.Actor, in CheckInput) (Check, error)
}

// Config configures the service.
type Config struct {
	Client ClientConfig
}

// ConfigFromEnv reads CONGSO_POPDB_URL (the upstream's base address; empty
// turns checks off), CONGSO_POPDB_TOKEN[_FILE], CONGSO_POPDB_TIMEOUT (5s),
// CONGSO_POPDB_RETRIES (2), CONGSO_POPDB_REQUESTER (the platform's
// identifier at the upstream, "congso" by default) and
// CONGSO_POPDB_LGSP_KEY[_FILE] (the platform's key at the province's LGSP,
// when CONGSO_POPDB_URL is the gateway's address of the service).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Client: ClientConfig{URL: strings.TrimSpace(getenv("CONGSO_POPDB_URL")), Requester: getenv("CONGSO_POPDB_REQUESTER"),
		Retries: 2}}
	if c.Client.Requester == "" {
		c.Client.Requester = "congso"
	}
	var errs []error
	if v := getenv("CONGSO_POPDB_TOKEN"); v != "" {
		c.Client.Token = v
	} else if path := getenv("CONGSO_POPDB_TOKEN_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("CONGSO_POPDB_TOKEN_FILE: %w", err))
		}
		c.Client.Token = strings.TrimSpace(string(b))
	}
	if v := getenv("CONGSO_POPDB_LGSP_KEY"); v != "" {
		c.Client.LGSPKey = strings.TrimSpace(v)
	} else if path := getenv("CONGSO_POPDB_LGSP_KEY_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("CONGSO_POPDB_LGSP_KEY_FILE: %w", err))
		}
		c.Client.LGSPKey = strings.TrimSpace(string(b))
	}
	if u := c.Client.URL; u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		errs = append(errs, fmt.Errorf("CONGSO_POPDB_URL %q: want an http:// or https:// address", u))
	}
	if v := getenv("CONGSO_POPDB_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("CONGSO_POPDB_TIMEOUT %q: want a duration such as 5s", v))
		}
		c.Client.Timeout = d
	}
	if v := getenv("CONGSO_POPDB_RETRIES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 10 {
			errs = append(errs, fmt.Errorf("CONGSO_POPDB_RETRIES %q: want 0 to 10", v))
		}
		c.Client.Retries = n
	}
	return c, errors.Join(errs...)
}

// Deps are what the service is built from.
type Deps struct {
	DB    *db.DB
	Audit *audit.Log
	// Verifier asks the database; by default a Client built from the
	// configuration (none when no URL is configured).
	Verifier Verifier
	HTTP     *http.Client
	Now      func() time.Time
	Log      *slog.Logger
}

// Service checks and records.
type Service struct {
	db       *db.DB
	audit    *audit.Log
	verifier Verifier
	now      func() time.Time
	log      *slog.Logger
}

// New returns the service.
func New(d Deps, cfg Config) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	v := d.Verifier
	if v == nil && cfg.Client.URL != "" {
		v = NewClient(cfg.Client, d.HTTP, d.Log)
	}
	return &Service{db: d.DB, audit: d.Audit, verifier: v, now: d.Now, log: d.Log}
}

// Enabled reports whether an upstream is configured.
func (s *Service) Enabled() bool { return s.verifier != nil }

type dossierRef struct {
	id, applicantID, applicantUser string
	agencies                       []string
}

func (s *Service) dossier(ctx context.Context, code string) (dossierRef, error) {
	var d dossierRef
	var user sql.NullString
	err := s.db.QueryRow(ctx, "SELECT id, applicant_id_number, applicant_user_id FROM dossiers WHERE code = ?", code).
		Scan(&d.id, &d.applicantID, &user)
	if errors.Is(err, sql.ErrNoRows) {
		return d, apperr.New(apperr.NotFound, "Không tìm thấy hồ sơ %s.", code)
	}
	if err != nil {
		return d, apperr.Wrap(err, "read dossier")
	}
	d.applicantUser = user.String
	rows, err := s.db.Query(ctx, "SELECT agency_id FROM dossier_agencies WHERE dossier_id = ?", d.id)
	if err != nil {
		return d, apperr.Wrap(err, "read dossier agencies")
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return d, apperr.Wrap(err, "read dossier agency")
		}
		d.agencies = append(d.agencies, id)
	}
	return d, apperr.Wrap(rows.Err(), "read dossier agencies")
}

// handles reports whether the official works on the dossier, and for which
// of its agencies.
func handles(by *actor.Actor, d dossierRef) (string, bool) {
	for _, id := range d.agencies {
		if _, ok := by.Agencies[id]; ok {
			return id, true
		}
	}
	return "", by.IsSystem() || by.ProvinceWide()
}

func normalizeName(s string) string { return strings.Join(strings.Fields(vntext.NFC(s)), " ") }

// Check asks the population database and records the answer. Officials
// check the applicants of the dossiers their agencies handle (or anyone,
// for a province-wide role); a citizen checks only themselves; the system
// checks for the portal. An unreachable database gives an error and records
// nothing but the attempt in the audit log.
func (s *Service) Check(ctx context.Context, by *actor.Actor, in CheckInput) (Check, error) {
	if by == nil {
		return Check{}, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	in.IDNumber = strings.TrimSpace(in.IDNumber)
	in.FullName = normalizeName(in.FullName)
	in.BirthDate = strings.TrimSpace(in.BirthDate)
	in.DossierCode = strings.TrimSpace(in.DossierCode)
	f := apperr.Fields{}
	if err := identity.ValidateCitizenID(in.IDNumber, time.Time{}); err != nil {
		f.Add("id_number", apperr.MessageOf(err))
	}
	if in.FullName == "" || len([]rune(in.FullName)) > 100 || !vntext.Valid(in.FullName) {
		f.Add("full_name", "Họ và tên là bắt buộc, tối đa 100 ký tự.")
	}
	if b, err := time.Parse("2006-01-02", in.BirthDate); err != nil || b.After(s.now()) || b.Year() < 1900 {
		f.Add("birth_date", "Ngày sinh không hợp lệ (định dạng YYYY-MM-DD, không sau hôm nay).")
	}
	if err := f.Err(); err != nil {
		return Check{}, err
	}
	c := Check{ID: db.NewID(), CheckedBy: by.UserID}
	agency := by.PrimaryAgency()
	switch {
	case in.DossierCode != "":
		if !by.IsOfficial() {
			return Check{}, actor.Deny(by, "Chỉ cán bộ xử lý hồ sơ được đối chiếu thông tin người nộp với CSDL dân cư.")
		}
		d, err := s.dossier(ctx, in.DossierCode)
		if err != nil {
			return Check{}, err
		}
		a, ok := handles(by, d)
		if !ok {
			return Check{}, actor.Deny(by, "Bạn không xử lý hồ sơ này.")
		}
		if a != "" {
			agency = a
		}
		if d.applicantID != in.IDNumber {
			return Check{}, apperr.Field("id_number", "Số định danh không phải của người nộp hồ sơ này.")
		}
		c.DossierID, c.UserID = d.id, d.applicantUser
	case by.Kind == actor.Citizen:
		if in.UserID != "" && in.UserID != by.UserID {
			return Check{}, actor.Deny(by, "Công dân chỉ được đối chiếu thông tin của chính mình.")
		}
		var own sql.NullString
		if err := s.db.QueryRow(ctx, "SELECT citizen_id FROM users WHERE id = ?", by.UserID).Scan(&own); err != nil {
			return Check{}, apperr.Wrap(err, "read account")
		}
		if own.String != in.IDNumber {
			return Check{}, apperr.Field("id_number", "Số định danh không phải của tài khoản này.")
		}
		c.UserID = by.UserID
	case by.IsSystem() || by.ProvinceWide() || (by.Kind == actor.Official && len(by.Agencies) > 0):
		c.UserID = in.UserID
	default:
		return Check{}, actor.Deny(by, "Bạn không có quyền đối chiếu với CSDL quốc gia về dân cư.")
	}
	if s.verifier == nil {
		return Check{}, apperr.New(apperr.Conflict, "Chưa cấu hình kết nối CSDL quốc gia về dân cư.")
	}
	endUser := by.UserID
	if by.IsSystem() && c.UserID != "" {
		endUser = c.UserID
	}
	ans, err := s.verifier.Verify(ctx, Query{IDNumber: in.IDNumber, FullName: in.FullName, BirthDate: in.BirthDate, EndUser: endUser})
	if err != nil {
		if rerr := s.recordAttempt(ctx, by, agency, c); rerr != nil {
			s.log.Error("audit a failed population check", "err", rerr)
		}
		return Check{}, &apperr.Error{Code: apperr.Internal, Message: "Không kết nối được CSDL quốc gia về dân cư; vui lòng thử lại sau.",
			Err: fmt.Errorf("population check %s: %w", c.ID, err)}
	}
	c.Result, c.Label, c.Reference, c.Mismatched, c.CheckedAt = ans.Result, ans.Result.Label(), ans.Reference, ans.Mismatched, db.Instant(s.now())
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO popdb_checks (id, request_id, reference, result, mismatched, dossier_id, user_id, checked_by,
			agency_id, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, ans.RequestID, c.Reference, string(c.Result),
			strings.Join(c.Mismatched, ","), nullable(c.DossierID), nullable(c.UserID), c.CheckedBy, agency, c.CheckedAt); err != nil {
			if db.IsForeignKeyViolation(err) {
				return apperr.Field("user_id", "Không tìm thấy tài khoản.")
			}
			return apperr.Wrap(err, "record population check")
		}
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "popdb.check", ObjectType: "popdb_check", ObjectID: c.ID, AgencyID: agency,
			Detail: map[string]any{"result": c.Result, "reference": c.Reference, "dossier_id": c.DossierID, "user_id": c.UserID}})
	})
	if err != nil {
		return Check{}, err
	}
	return c, nil
}

// recordAttempt audits a check that got no answer: personal data was sent
// out all the same.
func (s *Service) recordAttempt(ctx context.Context, by *actor.Actor, agency string, c Check) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.Record(context.WithoutCancel(ctx), by, audit.Event{Action: "popdb.check_failed", ObjectType: "popdb_check", ObjectID: c.ID,
		AgencyID: agency, Detail: map[string]any{"dossier_id": c.DossierID, "user_id": c.UserID}})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const checkColumns = `id, result, reference, mismatched, COALESCE(dossier_id, ''), COALESCE(user_id, ''), checked_by, checked_at`

func scanCheck(row interface{ Scan(...any) error }) (Check, error) {
	var c Check
	var mismatched string
	err := row.Scan(&c.ID, &c.Result, &c.Reference, &mismatched, &c.DossierID, &c.UserID, &c.CheckedBy, &c.CheckedAt)
	if mismatched != "" {
		c.Mismatched = strings.Split(mismatched, ",")
	}
	c.Label = c.Result.Label()
	return c, err
}

// Checks lists the checks of a dossier's applicant, newest first, for the
// officials handling it.
func (s *Service) Checks(ctx context.Context, by *actor.Actor, dossierCode string) ([]Check, error) {
	if by == nil {
		return nil, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	d, err := s.dossier(ctx, dossierCode)
	if err != nil {
		return nil, err
	}
	if _, ok := handles(by, d); !ok || !by.IsOfficial() {
		return nil, actor.Deny(by, "Bạn không xử lý hồ sơ này.")
	}
	rows, err := s.db.Query(ctx, "SELECT "+checkColumns+" FROM popdb_checks WHERE dossier_id = ? ORDER BY checked_at DESC, id", d.id)
	if err != nil {
		return nil, apperr.Wrap(err, "list population checks")
	}
	defer rows.Close()
	out := []Check{}
	for rows.Next() {
		c, err := scanCheck(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "read population check")
		}
		out = append(out, c)
	}
	return out, apperr.Wrap(rows.Err(), "list population checks")
}

// PopulationCheck gives the reference and result of the latest check
// recorded for the dossier or, failing that, for the applicant's account;
// empty strings when there is none. It reads through r (the dossier's
// transaction): the national portal's records use it.
func (s *Service) PopulationCheck(ctx context.Context, r db.Runner, dossierID, userID string) (string, string, error) {
	var ref, result string
	err := r.QueryRow(ctx, "SELECT reference, result FROM popdb_checks WHERE dossier_id = ? ORDER BY checked_at DESC, id LIMIT 1", dossierID).
		Scan(&ref, &result)
	if errors.Is(err, sql.ErrNoRows) && userID != "" {
		err = r.QueryRow(ctx, "SELECT reference, result FROM popdb_checks WHERE user_id = ? AND dossier_id IS NULL ORDER BY checked_at DESC, id LIMIT 1",
			userID).Scan(&ref, &result)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", apperr.Wrap(err, "read population check")
	}
	return ref, result, nil
}
