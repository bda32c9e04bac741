// Package draft keeps the drafts of online filings: a citizen or an
// organisation filling in a procedure's filing form on the portal may save
// what they typed — the e-form, the contact details, the chosen agency and
// the result delivery — and come back to it later, from any device.
//
// A draft belongs to the account that saved it and to nobody else: no
// official reads drafts (nothing has been filed yet), and asking for another
// account's draft answers "not found", never "forbidden", so that draft IDs
// reveal nothing. Files are not kept in drafts; the citizen attaches them
// when submitting. Drafts hold personal data, so they are bounded in number
// and size, and Purge removes the ones left untouched for long (Nghị định
// 13/2023/NĐ-CP: keep personal data no longer than needed).
package draft

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/vntext"
)

// Draft is a saved, unsubmitted filing.
type Draft struct {
	ID      string `json:"id"`
	OwnerID string `json:"owner_id"`
	// ProcedureID is the catalogue's procedure; ProcedureName is its name when
	// the draft was saved, for the list.
	ProcedureID    string `json:"procedure_id"`
	ProcedureName  string `json:"procedure_name"`
	AgencyID       string `json:"agency_id"`
	ResultDelivery string `json:"result_delivery"`
	// Values are the form's values by input name, as a browser posts them.
	Values    map[string][]string `json:"values"`
	CreatedAt time.Time           `json:"created_at"`
	UpdatedAt time.Time           `json:"updated_at"`
}

// Config bounds the drafts.
type Config struct {
	// MaxPerOwner bounds the drafts of one account (default 50).
	MaxPerOwner int
	// MaxBytes bounds one draft's stored values (default 128 KiB).
	MaxBytes int
}

// Service stores drafts.
type Service struct {
	db  *db.DB
	now func() time.Time
	cfg Config
}

// New returns the draft service.
func New(d *db.DB, now func() time.Time, cfg Config) *Service {
	if cfg.MaxPerOwner <= 0 {
		cfg.MaxPerOwner = 50
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 128 << 10
	}
	if now == nil {
		now = time.Now
	}
	return &Service{db: d, now: now, cfg: cfg}
}

const (
	maxKeys      = 300
	maxPerKey    = 20
	maxValueLen  = 3000
	maxNameLen   = 500
	maxShortText = 100
)

// keyPattern is what an input name of the filing form looks like: e-form
// field names, "applicant.phone", "doc_3", "noi_cu_tru_unit".
var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,80}$`)

// owner checks that the caller may keep drafts: a signed-in citizen or
// organisation.
func owner(by *actor.Actor) error {
	if by == nil {
		return apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	if by.Kind != actor.Citizen && by.Kind != actor.Organisation {
		return actor.Deny(by, "Hồ sơ nháp dành cho người dân, doanh nghiệp nộp hồ sơ trực tuyến.")
	}
	return nil
}

// clean normalises the values (NFC, empty values dropped) and checks their
// bounds.
func clean(in map[string][]string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(in) > maxKeys {
		return nil, apperr.Field("values", fmt.Sprintf("Hồ sơ nháp có quá nhiều trường (tối đa %d).", maxKeys))
	}
	for k, vs := range in {
		if !keyPattern.MatchString(k) {
			return nil, apperr.Field("values", "Tên trường của hồ sơ nháp không hợp lệ.")
		}
		if len(vs) > maxPerKey {
			return nil, apperr.Field("values", fmt.Sprintf("Trường %s có quá nhiều giá trị (tối đa %d).", k, maxPerKey))
		}
		var kept []string
		for _, v := range vs {
			v = vntext.NFC(v)
			if v == "" {
				continue
			}
			if utf8.RuneCountInString(v) > maxValueLen || !vntext.Valid(v) {
				return nil, apperr.Field("values", fmt.Sprintf("Giá trị của trường %s quá dài hoặc có ký tự không hợp lệ.", k))
			}
			kept = append(kept, v)
		}
		if len(kept) > 0 {
			out[k] = kept
		}
	}
	return out, nil
}

func shortText(field, label, s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxShortText || !vntext.Valid(s) {
		return "", apperr.Field(field, label+" không hợp lệ.")
	}
	return s, nil
}

// Save stores a draft: a new one when in.ID is empty, else the owner's draft
// in.ID, replaced whole. It returns the draft as stored.
func (s *Service) Save(ctx context.Context, by *actor.Actor, in Draft) (Draft, error) {
	if err := owner(by); err != nil {
		return Draft{}, err
	}
	var err error
	if in.ProcedureID, err = shortText("procedure_id", "Thủ tục", in.ProcedureID); err != nil {
		return Draft{}, err
	}
	if in.ProcedureID == "" {
		return Draft{}, apperr.Field("procedure_id", "Hồ sơ nháp phải thuộc một thủ tục.")
	}
	in.ProcedureName = vntext.NFC(in.ProcedureName)
	if utf8.RuneCountInString(in.ProcedureName) > maxNameLen || !vntext.Valid(in.ProcedureName) {
		return Draft{}, apperr.Field("procedure_name", "Tên thủ tục quá dài.")
	}
	if in.AgencyID, err = shortText("agency_id", "Cơ quan giải quyết", in.AgencyID); err != nil {
		return Draft{}, err
	}
	if in.ResultDelivery, err = shortText("result_delivery", "Hình thức nhận kết quả", in.ResultDelivery); err != nil {
		return Draft{}, err
	}
	if in.Values, err = clean(in.Values); err != nil {
		return Draft{}, err
	}
	values, err := json.Marshal(in.Values)
	if err != nil {
		return Draft{}, apperr.Wrap(err, "encode draft")
	}
	if len(values) > s.cfg.MaxBytes {
		return Draft{}, apperr.Field("values", fmt.Sprintf("Hồ sơ nháp quá lớn (tối đa %d KB).", s.cfg.MaxBytes>>10))
	}
	now := db.Instant(s.now())
	in.OwnerID, in.UpdatedAt = by.UserID, now
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		if in.ID == "" {
			var n int
			if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM drafts WHERE owner_id = ?", by.UserID).Scan(&n); err != nil {
				return apperr.Wrap(err, "count drafts")
			}
			if n >= s.cfg.MaxPerOwner {
				return apperr.New(apperr.Conflict, "Bạn đã có %d hồ sơ nháp (tối đa %d); hãy nộp hoặc xóa bớt hồ sơ nháp cũ.", n, s.cfg.MaxPerOwner)
			}
			in.ID, in.CreatedAt = db.NewID(), now
			_, err := tx.Exec(ctx, `INSERT INTO drafts (id, owner_id, procedure_id, procedure_name, agency_id, result_delivery, form_values,
				created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, in.ID, in.OwnerID, in.ProcedureID, in.ProcedureName, in.AgencyID,
				in.ResultDelivery, string(values), in.CreatedAt, in.UpdatedAt)
			return apperr.Wrap(err, "insert draft")
		}
		res, err := tx.Exec(ctx, `UPDATE drafts SET procedure_id = ?, procedure_name = ?, agency_id = ?, result_delivery = ?, form_values = ?,
			updated_at = ? WHERE id = ? AND owner_id = ?`, in.ProcedureID, in.ProcedureName, in.AgencyID, in.ResultDelivery, string(values),
			in.UpdatedAt, in.ID, by.UserID)
		if err != nil {
			return apperr.Wrap(err, "update draft")
		}
		if n, err := res.RowsAffected(); err != nil {
			return apperr.Wrap(err, "update draft")
		} else if n == 0 {
			return notFound()
		}
		return tx.QueryRow(ctx, "SELECT created_at FROM drafts WHERE id = ?", in.ID).Scan(&in.CreatedAt)
	})
	if err != nil {
		return Draft{}, err
	}
	return in, nil
}

func notFound() error { return apperr.New(apperr.NotFound, "Không tìm thấy hồ sơ nháp.") }

const columns = `id, owner_id, procedure_id, procedure_name, agency_id, result_delivery, form_values, created_at, updated_at`

func scan(row interface{ Scan(...any) error }) (Draft, error) {
	var d Draft
	var values string
	if err := row.Scan(&d.ID, &d.OwnerID, &d.ProcedureID, &d.ProcedureName, &d.AgencyID, &d.ResultDelivery, &values, &d.CreatedAt,
		&d.UpdatedAt); err != nil {
		return d, err
	}
	if err := json.Unmarshal([]byte(values), &d.Values); err != nil {
		return d, fmt.Errorf("draft %s: values: %w", d.ID, err)
	}
	if d.Values == nil {
		d.Values = map[string][]string{}
	}
	return d, nil
}

// Get returns the owner's draft.
func (s *Service) Get(ctx context.Context, by *actor.Actor, id string) (Draft, error) {
	if err := owner(by); err != nil {
		return Draft{}, err
	}
	d, err := scan(s.db.QueryRow(ctx, "SELECT "+columns+" FROM drafts WHERE id = ? AND owner_id = ?", id, by.UserID))
	if errors.Is(err, sql.ErrNoRows) {
		return Draft{}, notFound()
	}
	if err != nil {
		return Draft{}, apperr.Wrap(err, "read draft")
	}
	return d, nil
}

// List returns the owner's drafts, the most recently saved first.
func (s *Service) List(ctx context.Context, by *actor.Actor) ([]Draft, error) {
	if err := owner(by); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, "SELECT "+columns+" FROM drafts WHERE owner_id = ? ORDER BY updated_at DESC, id DESC LIMIT ?",
		by.UserID, s.cfg.MaxPerOwner)
	if err != nil {
		return nil, apperr.Wrap(err, "list drafts")
	}
	defer rows.Close()
	var out []Draft
	for rows.Next() {
		d, err := scan(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "read draft")
		}
		out = append(out, d)
	}
	return out, apperr.Wrap(rows.Err(), "list drafts")
}

// Delete removes the owner's draft.
func (s *Service) Delete(ctx context.Context, by *actor.Actor, id string) error {
	if err := owner(by); err != nil {
		return err
	}
	res, err := s.db.Exec(ctx, "DELETE FROM drafts WHERE id = ? AND owner_id = ?", id, by.UserID)
	if err != nil {
		return apperr.Wrap(err, "delete draft")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return apperr.Wrap(err, "delete draft")
	}
	if n == 0 {
		return notFound()
	}
	return nil
}

// Purge removes every draft last saved before the instant, for a periodic
// job; it reports how many went.
func (s *Service) Purge(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.Exec(ctx, "DELETE FROM drafts WHERE updated_at < ?", db.Instant(before))
	if err != nil {
		return 0, apperr.Wrap(err, "purge drafts")
	}
	n, err := res.RowsAffected()
	return n, apperr.Wrap(err, "purge drafts")
}
