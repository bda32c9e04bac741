// Package org holds the province's structure: administrative units (loaded
// from the embedded data), agencies with their electronic identifiers, and
// which official holds which role where.
package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/vntext"
)

// Kind is the kind of agency.
type Kind string

const (
	ProvinceCommittee Kind = "province_pc" // UBND tỉnh
	Department        Kind = "department"  // sở, ban, ngành
	ServiceCentre     Kind = "pasc"        // Trung tâm Phục vụ hành chính công
	ServiceBranch     Kind = "pasc_branch" // chi nhánh của Trung tâm
	CommuneCommittee  Kind = "commune_pc"  // UBND xã, phường, đặc khu
	Vertical          Kind = "vertical"    // công an, thuế, bảo hiểm xã hội
	OtherKind         Kind = "other"
)

// Kinds lists the agency kinds in display order.
var Kinds = []Kind{ProvinceCommittee, Department, ServiceCentre, ServiceBranch, CommuneCommittee, Vertical, OtherKind}

// Label is the Vietnamese name of the kind.
func (k Kind) Label() string {
	switch k {
	case ProvinceCommittee:
		return "UBND tỉnh"
	case Department:
		return "Sở, ban, ngành"
	case ServiceCentre:
		return "Trung tâm Phục vụ hành chính công"
	case ServiceBranch:
		return "Chi nhánh Trung tâm Phục vụ hành chính công"
	case CommuneCommittee:
		return "UBND xã, phường, đặc khu"
	case Vertical:
		return "Cơ quan ngành dọc (công an, thuế, bảo hiểm xã hội)"
	case OtherKind:
		return "Cơ quan, tổ chức khác"
	}
	return string(k)
}

func (k Kind) valid() bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// electronicID is the electronic identifier of QĐ 20/2020/QĐ-TTg: four groups
// separated by dots, from the lowest level to the highest — level 4 (3
// digits), level 3 (2 digits), level 2 (2 digits), level 1 (a letter and 2
// digits), e.g. 000.00.15.H30 for a department of a province whose level-1
// code is H30.
var electronicID = regexp.MustCompile(`^([0-9]{3})\.([0-9]{2})\.([0-9]{2})\.([A-Z][0-9]{2})$`)

var phonePattern = regexp.MustCompile(`^[0-9 +().-]{6,20}$`)

// ValidateElectronicID checks the format and that no level is filled below an
// empty one.
func ValidateElectronicID(code string) error {
	m := electronicID.FindStringSubmatch(code)
	if m == nil {
		return apperr.Field("code", "Mã định danh điện tử phải có dạng 000.00.00.H00 (QĐ 20/2020/QĐ-TTg): cấp 4 (3 số).cấp 3 (2 số).cấp 2 (2 số).cấp 1 (1 chữ in hoa và 2 số).")
	}
	l4, l3, l2 := m[1], m[2], m[3]
	if (l3 != "00" && l2 == "00") || (l4 != "000" && l3 == "00") {
		return apperr.Field("code", "Mã định danh điện tử không hợp lệ: một cấp dưới có mã trong khi cấp trên của nó bằng 0.")
	}
	return nil
}

// levelOf returns how deep the identifier goes: 1 for a level-1 body (000.00.00.H30), up to 4.
func levelOf(code string) int {
	m := electronicID.FindStringSubmatch(code)
	switch {
	case m == nil:
		return 0
	case m[1] != "000":
		return 4
	case m[2] != "00":
		return 3
	case m[3] != "00":
		return 2
	}
	return 1
}

// isBelow reports whether child's identifier sits directly under parent's.
func isBelow(child, parent string) bool {
	lc, lp := levelOf(child), levelOf(parent)
	if lc != lp+1 {
		return false
	}
	// The parent's groups from level 1 down to its own level must reappear in
	// the child's identifier: compare the tails.
	keep := map[int]int{1: 3, 2: 6, 3: 9}[lp]
	return child[len(child)-keep:] == parent[len(parent)-keep:]
}

// Agency is a state body that receives or processes dossiers, or owns systems.
type Agency struct {
	ID        string     `json:"id"`
	Code      string     `json:"code"`
	Name      string     `json:"name"`
	ShortName string     `json:"short_name,omitempty"`
	Kind      Kind       `json:"kind"`
	ParentID  string     `json:"parent_id,omitempty"`
	UnitID    string     `json:"unit_id,omitempty"`
	Address   string     `json:"address,omitempty"`
	Phone     string     `json:"phone,omitempty"`
	Email     string     `json:"email,omitempty"`
	Version   int        `json:"version"`
	RetiredAt *time.Time `json:"retired_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Retired reports whether the agency has been retired.
func (a *Agency) Retired() bool { return a.RetiredAt != nil }

// AgencyInput is what an admin submits to create or edit an agency.
type AgencyInput struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	ShortName string `json:"short_name"`
	Kind      Kind   `json:"kind"`
	ParentID  string `json:"parent_id"`
	UnitID    string `json:"unit_id"`
	Address   string `json:"address"`
	Phone     string `json:"phone"`
	Email     string `json:"email"`
}

func (in *AgencyInput) normalize() apperr.Fields {
	f := apperr.Fields{}
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	in.Name = vntext.NFC(in.Name)
	in.ShortName = vntext.NFC(in.ShortName)
	in.Address = vntext.NFC(in.Address)
	in.Phone = strings.TrimSpace(in.Phone)
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.ParentID = strings.TrimSpace(in.ParentID)
	in.UnitID = strings.TrimSpace(in.UnitID)
	if err := ValidateElectronicID(in.Code); err != nil {
		f.Add("code", apperr.MessageOf(err))
	}
	if in.Name == "" || len([]rune(in.Name)) > 200 || !vntext.Valid(in.Name) {
		f.Add("name", "Tên cơ quan là bắt buộc, tối đa 200 ký tự.")
	}
	if len([]rune(in.ShortName)) > 60 || !vntext.Valid(in.ShortName) {
		f.Add("short_name", "Tên viết tắt tối đa 60 ký tự.")
	}
	if !in.Kind.valid() {
		f.Add("kind", "Hãy chọn loại cơ quan.")
	}
	if len([]rune(in.Address)) > 300 || !vntext.Valid(in.Address) {
		f.Add("address", "Địa chỉ tối đa 300 ký tự.")
	}
	if in.Phone != "" && !phonePattern.MatchString(in.Phone) {
		f.Add("phone", "Số điện thoại không hợp lệ.")
	}
	if in.Email != "" && (!strings.Contains(in.Email, "@") || len(in.Email) > 254 || strings.ContainsAny(in.Email, " <>")) {
		f.Add("email", "Địa chỉ thư điện tử không hợp lệ.")
	}
	return f
}

// Service manages agencies and staff roles.
type Service struct {
	db    *db.DB
	audit *audit.Log
	now   func() time.Time
	// rolesChanged is told whose roles changed ("" for many accounts at once).
	rolesChanged func(userID string)
}

// OnRolesChanged registers who must hear of role changes (the sign-in cache).
func (s *Service) OnRolesChanged(fn func(userID string)) { s.rolesChanged = fn }

func (s *Service) notifyRoles(userID string) {
	if s.rolesChanged != nil {
		s.rolesChanged(userID)
	}
}

// New returns the org service.
func New(d *db.DB, log *audit.Log, now func() time.Time) *Service {
	return &Service{db: d, audit: log, now: now}
}

const agencyColumns = `id, code, name, short_name, kind, COALESCE(parent_id, ''), COALESCE(unit_id, ''), address, phone, email,
	version, retired_at, created_at, updated_at`

func scanAgency(row interface{ Scan(...any) error }) (Agency, error) {
	var a Agency
	var kind string
	var retired sql.NullTime
	err := row.Scan(&a.ID, &a.Code, &a.Name, &a.ShortName, &kind, &a.ParentID, &a.UnitID, &a.Address, &a.Phone, &a.Email,
		&a.Version, &retired, &a.CreatedAt, &a.UpdatedAt)
	a.Kind = Kind(kind)
	if retired.Valid {
		a.RetiredAt = &retired.Time
	}
	return a, err
}

func (s *Service) getAgency(ctx context.Context, r db.Runner, where string, arg any) (Agency, error) {
	a, err := scanAgency(r.QueryRow(ctx, "SELECT "+agencyColumns+" FROM agencies WHERE "+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return Agency{}, apperr.New(apperr.NotFound, "Không tìm thấy cơ quan.")
	}
	if err != nil {
		return Agency{}, apperr.Wrap(err, "read agency")
	}
	return a, nil
}

// Agency reads an agency by ID. Agencies are public bodies: anyone may read them.
func (s *Service) Agency(ctx context.Context, id string) (Agency, error) {
	return s.getAgency(ctx, s.db, "id = ?", id)
}

// AgencyByCode reads an agency by its electronic identifier.
func (s *Service) AgencyByCode(ctx context.Context, code string) (Agency, error) {
	return s.getAgency(ctx, s.db, "code = ?", strings.ToUpper(strings.TrimSpace(code)))
}

// AgencyFilter selects agencies.
type AgencyFilter struct {
	Query          string
	Kind           Kind
	ParentID       string
	IncludeRetired bool
	// After is a cursor: agencies whose code sorts after it.
	After string
	Limit int
}

// Agencies lists agencies ordered by electronic identifier.
func (s *Service) Agencies(ctx context.Context, f AgencyFilter) ([]Agency, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	q := "SELECT " + agencyColumns + " FROM agencies WHERE code > ?"
	args := []any{f.After}
	if !f.IncludeRetired {
		q += " AND retired_at IS NULL"
	}
	if f.Kind != "" {
		q += " AND kind = ?"
		args = append(args, string(f.Kind))
	}
	if f.ParentID != "" {
		q += " AND parent_id = ?"
		args = append(args, f.ParentID)
	}
	if f.Query != "" {
		q += " AND (name_fold LIKE ? OR code LIKE ?)"
		args = append(args, "%"+vntext.Fold(f.Query)+"%", "%"+strings.ToUpper(strings.TrimSpace(f.Query))+"%")
	}
	q += fmt.Sprintf(" ORDER BY code LIMIT %d", f.Limit)
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list agencies")
	}
	defer rows.Close()
	var out []Agency
	for rows.Next() {
		a, err := scanAgency(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan agency")
		}
		out = append(out, a)
	}
	return out, apperr.Wrap(rows.Err(), "list agencies")
}

// checkRelations validates the parent and the administrative unit. Only an
// agency in operation must have a parent in operation: a retired agency may
// stay under its retired parent.
func (s *Service) checkRelations(ctx context.Context, tx *db.Tx, id string, in AgencyInput, f apperr.Fields, checkUnit, retired bool) error {
	if in.ParentID != "" {
		if in.ParentID == id {
			f.Add("parent_id", "Một cơ quan không thể là cơ quan cấp trên của chính nó.")
		} else if p, err := s.getAgency(ctx, tx, "id = ?", in.ParentID); apperr.Is(err, apperr.NotFound) {
			f.Add("parent_id", "Cơ quan cấp trên không tồn tại.")
		} else if err != nil {
			return err
		} else if p.Retired() && !retired {
			f.Add("parent_id", "Cơ quan cấp trên đã ngừng hoạt động.")
		} else if levelOf(in.Code) > 0 && p.Code[len(p.Code)-3:] == in.Code[len(in.Code)-3:] && !isBelow(in.Code, p.Code) {
			f.Add("code", fmt.Sprintf("Mã định danh %s không thuộc mã của cơ quan cấp trên %s.", in.Code, p.Code))
		} else if id != "" {
			// Walking up from the new parent must not reach the agency itself.
			cur := p.ParentID
			for depth := 0; cur != "" && depth < 20; depth++ {
				if cur == id {
					f.Add("parent_id", "Chọn cơ quan cấp trên này sẽ tạo vòng lặp.")
					break
				}
				var next sql.NullString
				if err := tx.QueryRow(ctx, "SELECT parent_id FROM agencies WHERE id = ?", cur).Scan(&next); err != nil {
					return apperr.Wrap(err, "walk agency parents")
				}
				cur = next.String
			}
		}
	}
	if !checkUnit {
		return nil
	}
	if in.UnitID != "" {
		var level string
		var validTo sql.NullString
		err := tx.QueryRow(ctx, "SELECT level, valid_to FROM admin_units WHERE id = ?", in.UnitID).Scan(&level, &validTo)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			f.Add("unit_id", "Đơn vị hành chính không tồn tại.")
		case err != nil:
			return apperr.Wrap(err, "read unit")
		case validTo.Valid && validTo.String < s.now().In(vietnam).Format("2006-01-02"):
			f.Add("unit_id", "Đơn vị hành chính này không còn tồn tại (đã sắp xếp lại); hãy chọn đơn vị hiện hành.")
		case in.Kind == CommuneCommittee && level != "commune":
			f.Add("unit_id", "UBND cấp xã phải gắn với một xã, phường hoặc đặc khu.")
		}
	} else if in.Kind == CommuneCommittee || in.Kind == ProvinceCommittee {
		f.Add("unit_id", "Hãy chọn đơn vị hành chính của cơ quan.")
	}
	return nil
}

// CreateAgency adds an agency; only province admins may.
func (s *Service) CreateAgency(ctx context.Context, by *actor.Actor, in AgencyInput) (Agency, error) {
	if !by.ProvinceAdmin() {
		return Agency{}, actor.Deny(by, "Chỉ quản trị toàn tỉnh được thêm cơ quan.")
	}
	var a Agency
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var err error
		a, err = s.createAgency(ctx, tx, by, in)
		return err
	})
	return a, err
}

// CreateAgencyTx is CreateAgency inside the caller's transaction.
func (s *Service) CreateAgencyTx(ctx context.Context, tx *db.Tx, by *actor.Actor, in AgencyInput) (Agency, error) {
	if !by.ProvinceAdmin() {
		return Agency{}, actor.Deny(by, "Chỉ quản trị toàn tỉnh được thêm cơ quan.")
	}
	return s.createAgency(ctx, tx, by, in)
}

func (s *Service) createAgency(ctx context.Context, tx *db.Tx, by *actor.Actor, in AgencyInput) (Agency, error) {
	f := in.normalize()
	if err := s.checkRelations(ctx, tx, "", in, f, true, false); err != nil {
		return Agency{}, err
	}
	if err := f.Err(); err != nil {
		return Agency{}, err
	}
	now := s.now().UTC()
	a := Agency{ID: db.NewID(), Code: in.Code, Name: in.Name, ShortName: in.ShortName, Kind: in.Kind, ParentID: in.ParentID,
		UnitID: in.UnitID, Address: in.Address, Phone: in.Phone, Email: in.Email, Version: 1, CreatedAt: now, UpdatedAt: now}
	_, err := tx.Exec(ctx, `INSERT INTO agencies (id, code, name, short_name, kind, parent_id, unit_id, address, phone, email, name_fold,
		version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
		a.ID, a.Code, a.Name, a.ShortName, string(a.Kind), nullable(a.ParentID), nullable(a.UnitID), a.Address, a.Phone, a.Email,
		vntext.Fold(a.Name+" "+a.ShortName), now, now)
	if db.IsUniqueViolation(err) {
		return Agency{}, apperr.Field("code", fmt.Sprintf("Mã định danh %s đã được dùng cho cơ quan khác.", a.Code))
	}
	if err != nil {
		return Agency{}, apperr.Wrap(err, "insert agency")
	}
	return a, s.audit.Append(ctx, tx, by, audit.Event{Action: "agency.create", ObjectType: "agency", ObjectID: a.ID, AgencyID: a.ID,
		Detail: map[string]any{"code": a.Code}})
}

// UpdateAgency edits an agency. Province admins may change everything; an
// agency's own admins only its name, address and contacts. version must be the
// one the editor saw, so that two admins do not overwrite each other.
func (s *Service) UpdateAgency(ctx context.Context, by *actor.Actor, id string, version int, in AgencyInput) (Agency, error) {
	if !by.CanAdminister(id) {
		return Agency{}, actor.Deny(by, "Bạn không có quyền sửa thông tin cơ quan này.")
	}
	var a Agency
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var err error
		a, err = s.updateAgency(ctx, tx, by, id, version, in)
		return err
	})
	return a, err
}

func (s *Service) updateAgency(ctx context.Context, tx *db.Tx, by *actor.Actor, id string, version int, in AgencyInput) (Agency, error) {
	cur, err := s.getAgency(ctx, tx, "id = ?", id)
	if err != nil {
		return Agency{}, err
	}
	if !by.ProvinceAdmin() {
		in.Code, in.Kind, in.ParentID, in.UnitID = cur.Code, cur.Kind, cur.ParentID, cur.UnitID
	}
	f := in.normalize()
	// An agency keeps a unit that has since been reorganised until an admin
	// chooses a new one: the unit is checked only when it changes.
	unitChanged := in.UnitID != cur.UnitID || in.Kind != cur.Kind
	if err := s.checkRelations(ctx, tx, id, in, f, unitChanged, cur.Retired()); err != nil {
		return Agency{}, err
	}
	if err := f.Err(); err != nil {
		return Agency{}, err
	}
	now := s.now().UTC()
	res, err := tx.Exec(ctx, `UPDATE agencies SET code = ?, name = ?, short_name = ?, kind = ?, parent_id = ?, unit_id = ?, address = ?,
		phone = ?, email = ?, name_fold = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?`,
		in.Code, in.Name, in.ShortName, string(in.Kind), nullable(in.ParentID), nullable(in.UnitID), in.Address, in.Phone, in.Email,
		vntext.Fold(in.Name+" "+in.ShortName), now, id, version)
	if db.IsUniqueViolation(err) {
		return Agency{}, apperr.Field("code", fmt.Sprintf("Mã định danh %s đã được dùng cho cơ quan khác.", in.Code))
	}
	if err != nil {
		return Agency{}, apperr.Wrap(err, "update agency")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Agency{}, apperr.New(apperr.Conflict, "Thông tin cơ quan vừa được người khác sửa; hãy tải lại trang và sửa lại.")
	}
	if err := s.audit.Append(ctx, tx, by, audit.Event{Action: "agency.update", ObjectType: "agency", ObjectID: id, AgencyID: id,
		Detail: map[string]any{"version": version + 1}}); err != nil {
		return Agency{}, err
	}
	return s.getAgency(ctx, tx, "id = ?", id)
}

// RetireAgency marks an agency as no longer operating (or back in operation).
// An agency with operating subordinate agencies cannot be retired.
func (s *Service) RetireAgency(ctx context.Context, by *actor.Actor, id string, retire bool) error {
	if !by.ProvinceAdmin() {
		return actor.Deny(by, "Chỉ quản trị toàn tỉnh được cho cơ quan ngừng hoạt động.")
	}
	return s.db.Tx(ctx, func(tx *db.Tx) error {
		cur, err := s.getAgency(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		if cur.Retired() == retire {
			return nil
		}
		var at any
		action := "agency.reinstate"
		if retire {
			var n int
			if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM agencies WHERE parent_id = ? AND retired_at IS NULL", id).Scan(&n); err != nil {
				return apperr.Wrap(err, "count children")
			}
			if n > 0 {
				return apperr.New(apperr.Conflict, "Cơ quan còn %d đơn vị trực thuộc đang hoạt động; hãy chuyển hoặc cho các đơn vị đó ngừng hoạt động trước.", n)
			}
			at, action = s.now().UTC(), "agency.retire"
		} else if cur.ParentID != "" {
			if p, err := s.getAgency(ctx, tx, "id = ?", cur.ParentID); err != nil {
				return err
			} else if p.Retired() {
				return apperr.New(apperr.Conflict, "Cơ quan cấp trên đã ngừng hoạt động.")
			}
		}
		if _, err := tx.Exec(ctx, "UPDATE agencies SET retired_at = ?, version = version + 1, updated_at = ? WHERE id = ?", at, s.now().UTC(), id); err != nil {
			return apperr.Wrap(err, "retire agency")
		}
		s.notifyRoles("")
		return s.audit.Append(ctx, tx, by, audit.Event{Action: action, ObjectType: "agency", ObjectID: id, AgencyID: id})
	})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

var vietnam = time.FixedZone("ICT", 7*3600)

// AgencyByCodeTx reads an agency by electronic identifier inside a transaction.
func (s *Service) AgencyByCodeTx(ctx context.Context, tx *db.Tx, code string) (Agency, error) {
	return s.getAgency(ctx, tx, "code = ?", strings.ToUpper(strings.TrimSpace(code)))
}
