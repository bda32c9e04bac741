package estore

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/upload"
	"github.com/congso/congso/internal/vntext"
)

// Config tunes the store.
type Config struct {
	// BaseURL is the platform's public address, for share links.
	BaseURL string
	// Upload bounds what owners add (10 MB, 40 megapixels by default).
	Upload upload.Limits
	// Quota bounds the bytes an owner adds themselves (200 MB by default);
	// results and digitised papers do not count.
	Quota int64
	// MaxShareDays bounds how long a share link works (30 days, at most).
	MaxShareDays int
	// MaxActiveShares bounds the links of one item that work at once (20).
	MaxActiveShares int
}

// Deps are what the service is built from.
type Deps struct {
	DB    *db.DB
	Audit *audit.Log
	// Agencies names the agency that issued a result.
	Agencies dossier.Agencies
	Now      func() time.Time
}

// Service runs the store.
type Service struct {
	db       *db.DB
	audit    *audit.Log
	agencies dossier.Agencies
	now      func() time.Time
	cfg      Config
}

// New returns the store service.
func New(d Deps, cfg Config) *Service {
	if cfg.Quota <= 0 {
		cfg.Quota = 200 << 20
	}
	if cfg.MaxShareDays <= 0 || cfg.MaxShareDays > 30 {
		cfg.MaxShareDays = 30
	}
	if cfg.MaxActiveShares <= 0 {
		cfg.MaxActiveShares = 20
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Service{db: d.DB, audit: d.Audit, agencies: d.Agencies, now: d.Now, cfg: cfg}
}

// Limits are the limits of what an owner may upload.
func (s *Service) Limits() upload.Limits { return s.cfg.Upload }

// MaxShareDays is the longest a share link may work.
func (s *Service) MaxShareDays() int { return s.cfg.MaxShareDays }

// today is the current date in Vietnam.
func (s *Service) today() calendar.Date { return calendar.DateOf(s.now()) }

// decorate fills the fields computed on read.
func (s *Service) decorate(it *Item) {
	it.Validity = validity(it.ValidUntil, s.today())
}

func validity(until *calendar.Date, today calendar.Date) Validity {
	switch {
	case until == nil:
		return Permanent
	case until.Before(today):
		return Expired
	case !until.After(today.AddDays(ExpiringWithin)):
		return Expiring
	}
	return Valid
}

// mayOwn: a store belongs to a citizen's or an organisation's account.
func mayOwn(by *actor.Actor) error {
	if by == nil {
		return apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	if by.Kind != actor.Citizen && by.Kind != actor.Organisation {
		return actor.Deny(by, "Kho dữ liệu điện tử dành cho công dân và tổ chức. Cán bộ chỉ xem được giấy tờ gắn với hồ sơ mình được xem.")
	}
	return nil
}

// own loads an item of the actor's store, not deleted; another owner's item
// is "not found", so that no one learns what others keep.
func (s *Service) own(ctx context.Context, r db.Runner, by *actor.Actor, id string, forUpdate bool) (Item, error) {
	if err := mayOwn(by); err != nil {
		return Item{}, err
	}
	it, err := loadItem(ctx, r, id, forUpdate)
	if err != nil {
		return Item{}, err
	}
	if it.OwnerID != by.UserID || it.Deleted {
		return Item{}, notFound()
	}
	return it, nil
}

// officialRead decides whether an official (or a machine, or the system) may
// read an item: it must belong to a dossier — the one it came from, or one
// that took it — that the actor may read by the dossier system's rules
// (officials of an agency that held the dossier; province-wide roles). It
// returns the agency the read is recorded for.
func (s *Service) officialRead(ctx context.Context, by *actor.Actor, it Item) (string, error) {
	deny := actor.Deny(by, "Bạn chỉ xem được giấy tờ gắn với hồ sơ thuộc cơ quan mình.")
	if by == nil || !(by.Kind == actor.Official || by.Kind == actor.Machine || by.IsSystem()) {
		return "", deny
	}
	if by.IsSystem() {
		return "", nil
	}
	const dossiers = `SELECT dossier_id FROM estore_items WHERE id = ? AND dossier_id IS NOT NULL
		UNION SELECT dossier_id FROM estore_uses WHERE item_id = ?`
	if by.ProvinceWide() {
		var n int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM ("+dossiers+") x", it.ID, it.ID).Scan(&n); err != nil {
			return "", apperr.Wrap(err, "check e-store access")
		}
		if n == 0 {
			return "", deny
		}
		return by.PrimaryAgency(), nil
	}
	ids := by.AgencyIDs()
	if len(ids) == 0 {
		return "", deny
	}
	args := []any{it.ID, it.ID}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.db.Query(ctx, "SELECT DISTINCT agency_id FROM dossier_agencies WHERE dossier_id IN ("+dossiers+
		") AND agency_id IN ("+db.Placeholders(len(ids))+") ORDER BY agency_id", args...)
	if err != nil {
		return "", apperr.Wrap(err, "check e-store access")
	}
	defer rows.Close()
	agency := ""
	for rows.Next() {
		if err := rows.Scan(&agency); err != nil {
			return "", apperr.Wrap(err, "check e-store access")
		}
		break
	}
	if err := rows.Err(); err != nil {
		return "", apperr.Wrap(err, "check e-store access")
	}
	if agency == "" {
		return "", deny
	}
	return agency, nil
}

// access loads an item for whoever asks: its owner (not deleted), or an
// official allowed by officialRead — whose read is then recorded as a read of
// personal data. Anyone else is told it does not exist.
func (s *Service) access(ctx context.Context, by *actor.Actor, id, what string) (Item, bool, error) {
	if by == nil {
		return Item{}, false, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	it, err := loadItem(ctx, s.db, id, false)
	if err != nil {
		return Item{}, false, err
	}
	if it.OwnerID == by.UserID {
		if it.Deleted {
			return Item{}, false, notFound()
		}
		return it, true, nil
	}
	if by.Kind == actor.Citizen || by.Kind == actor.Organisation {
		return Item{}, false, notFound()
	}
	agency, err := s.officialRead(ctx, by, it)
	if err != nil {
		return Item{}, false, err
	}
	if !by.IsSystem() {
		if err := s.audit.Record(ctx, by, audit.Event{Action: audit.ActionReadPersonal, ObjectType: "estore_item", ObjectID: it.ID,
			AgencyID: agency, Detail: map[string]any{"what": what}}); err != nil {
			return Item{}, false, err
		}
	}
	return it, false, nil
}

// Get returns an item with the dossiers that used it and, for its owner, its
// share links.
func (s *Service) Get(ctx context.Context, by *actor.Actor, id string) (View, error) {
	it, owner, err := s.access(ctx, by, id, "metadata")
	if err != nil {
		return View{}, err
	}
	s.decorate(&it)
	v := View{Item: it}
	if v.Uses, err = uses(ctx, s.db, it.ID); err != nil {
		return View{}, err
	}
	if owner {
		if v.Shares, err = shares(ctx, s.db, it.ID, s.now()); err != nil {
			return View{}, err
		}
	}
	return v, nil
}

// Content returns an item with its file.
func (s *Service) Content(ctx context.Context, by *actor.Actor, id string) (Item, []byte, error) {
	it, _, err := s.access(ctx, by, id, "file")
	if err != nil {
		return Item{}, nil, err
	}
	data, err := blob(ctx, s.db, it.SHA256)
	if err != nil {
		return Item{}, nil, err
	}
	s.decorate(&it)
	return it, data, nil
}

// List returns the owner's items, newest first. Only owners list a store.
func (s *Service) List(ctx context.Context, by *actor.Actor, f Filter) ([]Item, error) {
	if err := mayOwn(by); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 50
	}
	where := []string{"i.owner_id = ?", "i.deleted_at IS NULL"}
	args := []any{by.UserID}
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	if f.Kind != "" {
		if !f.Kind.Valid() {
			return nil, apperr.Field("kind", "Loại giấy tờ là result, component hoặc upload.")
		}
		add("i.kind = ?", string(f.Kind))
	}
	today := s.today()
	switch f.Validity {
	case "":
	case Permanent:
		add("i.valid_until IS NULL")
	case Valid:
		add("i.valid_until > ?", today.AddDays(ExpiringWithin).String())
	case Expiring:
		add("i.valid_until >= ? AND i.valid_until <= ?", today.String(), today.AddDays(ExpiringWithin).String())
	case Expired:
		add("i.valid_until < ?", today.String())
	default:
		return nil, apperr.Field("validity", "Hiệu lực là permanent, valid, expiring hoặc expired.")
	}
	if f.Reusable {
		add("(i.valid_until IS NULL OR i.valid_until >= ?)", today.String())
	}
	if q := vntext.Fold(f.Query); q != "" {
		if len(q) > 200 {
			return nil, apperr.Field("q", "Từ khóa tìm kiếm tối đa 200 ký tự.")
		}
		add("i.search_fold LIKE ?", "%"+escapeLike(q)+"%")
		where[len(where)-1] += ` ESCAPE '\'`
	}
	if f.After != "" {
		at, id, ok := strings.Cut(f.After, "|")
		t, err := time.Parse(time.RFC3339Nano, at)
		if !ok || err != nil {
			return nil, apperr.Field("cursor", "Con trỏ phân trang không hợp lệ.")
		}
		add("(i.created_at < ? OR (i.created_at = ? AND i.id < ?))", t, t, id)
	}
	q := "SELECT " + itemColumns + itemFrom + " WHERE " + strings.Join(where, " AND ") +
		fmt.Sprintf(" ORDER BY i.created_at DESC, i.id DESC LIMIT %d", f.Limit)
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list e-store items")
	}
	defer rows.Close()
	out := []Item{}
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "read e-store item")
		}
		s.decorate(&it)
		out = append(out, it)
	}
	return out, apperr.Wrap(rows.Err(), "list e-store items")
}

// escapeLike keeps % and _ typed by the user literal.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Cursor is the position after it in a list.
func Cursor(it Item) string { return it.CreatedAt.UTC().Format(time.RFC3339Nano) + "|" + it.ID }

// meta is an item's metadata checked and normalised.
type meta struct {
	document, issuer    string
	issuedOn, validTill *calendar.Date
}

func parseDay(f apperr.Fields, field, v string, label string) *calendar.Date {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	d, err := calendar.ParseDate(v)
	if err != nil || d.Year < 1900 || d.Year > 2200 {
		f.Add(field, label+" không hợp lệ (định dạng YYYY-MM-DD).")
		return nil
	}
	return &d
}

// check validates metadata; base holds the current values for an update.
func (s *Service) check(in Meta, base meta, kind Kind) (meta, error) {
	f := apperr.Fields{}
	m := base
	official := kind == KindResult || kind == KindComponent
	if in.Document != nil {
		m.document = vntext.NFC(*in.Document)
		if m.document == "" || len([]rune(m.document)) > 300 || !vntext.Valid(m.document) || strings.ContainsAny(m.document, "\r\n") {
			f.Add("document", "Tên giấy tờ là bắt buộc, một dòng, tối đa 300 ký tự (ví dụ: Giấy khai sinh).")
		}
	}
	if in.Issuer != nil {
		issuer := vntext.NFC(*in.Issuer)
		switch {
		case official && issuer != base.issuer:
			f.Add("issuer", "Cơ quan cấp của giấy tờ do cơ quan nhà nước trả về kho được ghi tự động, không sửa được.")
		case len([]rune(issuer)) > 300 || !vntext.Valid(issuer) || strings.ContainsAny(issuer, "\r\n"):
			f.Add("issuer", "Cơ quan cấp tối đa 300 ký tự, một dòng.")
		}
		m.issuer = issuer
	}
	if in.IssuedOn != nil {
		d := parseDay(f, "issued_on", *in.IssuedOn, "Ngày cấp")
		switch {
		case official && !sameDate(d, base.issuedOn):
			f.Add("issued_on", "Ngày cấp của giấy tờ do cơ quan nhà nước trả về kho được ghi tự động, không sửa được.")
		case d != nil && d.After(s.today()):
			f.Add("issued_on", "Ngày cấp không được sau ngày hôm nay.")
		}
		m.issuedOn = d
	}
	if in.ValidUntil != nil {
		m.validTill = parseDay(f, "valid_until", *in.ValidUntil, "Ngày hết hiệu lực")
	}
	if m.issuedOn != nil && m.validTill != nil && m.validTill.Before(*m.issuedOn) {
		f.Add("valid_until", "Ngày hết hiệu lực phải sau ngày cấp.")
	}
	if m.document == "" {
		f.Add("document", "Tên giấy tờ là bắt buộc (ví dụ: Giấy khai sinh).")
	}
	return m, f.Err()
}

func sameDate(a, b *calendar.Date) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// Add puts a document of the owner's into their store: the file goes through
// upload.Clean (type by content, images without their metadata, PDFs without
// active content) and counts towards the owner's quota.
func (s *Service) Add(ctx context.Context, by *actor.Actor, in Meta, fileName string, r io.Reader) (Item, error) {
	if err := mayOwn(by); err != nil {
		return Item{}, err
	}
	// The metadata and the file are both checked, so that one answer names
	// every problem.
	m, metaErr := s.check(in, meta{}, KindUpload)
	var file upload.File
	data, fileErr := upload.Read(r, s.cfg.Upload)
	if fileErr == nil {
		file, fileErr = upload.Clean(fileName, data, s.cfg.Upload)
	}
	if metaErr != nil || fileErr != nil {
		switch {
		case metaErr == nil:
			return Item{}, fileErr
		case fileErr == nil || apperr.CodeOf(fileErr) != apperr.Invalid:
			return Item{}, cmp.Or(fileErr, metaErr)
		}
		f := apperr.Fields{}
		for k, v := range apperr.FieldsOf(fileErr) {
			f.Add(k, v)
		}
		for k, v := range apperr.FieldsOf(metaErr) {
			f.Add(k, v)
		}
		return Item{}, f.Err()
	}
	sum := sha256.Sum256(file.Data)
	now := db.Instant(s.now())
	it := Item{ID: db.NewID(), OwnerID: by.UserID, Kind: KindUpload, Document: m.document, Issuer: m.issuer, IssuedOn: m.issuedOn,
		ValidUntil: m.validTill, FileName: file.Name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(file.Data)),
		ContentType: file.ContentType, Version: 1, CreatedAt: now, UpdatedAt: now}
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var used int64
		if err := tx.QueryRow(ctx, "SELECT COALESCE(SUM(size), 0) FROM estore_items WHERE owner_id = ? AND kind = ? AND deleted_at IS NULL",
			by.UserID, string(KindUpload)).Scan(&used); err != nil {
			return apperr.Wrap(err, "check quota")
		}
		if used+it.Size > s.cfg.Quota {
			return apperr.Field("file", fmt.Sprintf("Kho dữ liệu của bạn đã dùng %s trên %s dành cho giấy tờ tự bổ sung; hãy xóa bớt giấy tờ không cần nữa.",
				upload.HumanSize(used), upload.HumanSize(s.cfg.Quota)))
		}
		if err := putBlob(ctx, tx, it.SHA256, file.Data, file.ContentType, now); err != nil {
			return err
		}
		if _, err := insertItem(ctx, tx, it, ""); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "estore.upload", ObjectType: "estore_item", ObjectID: it.ID,
			Detail: map[string]any{"sha256": it.SHA256, "size": it.Size, "content_type": it.ContentType}})
	})
	if err != nil {
		return Item{}, err
	}
	s.decorate(&it)
	return it, nil
}

// Update edits an item's metadata. The owner names and dates their own
// uploads freely; of a result or a digitised paper they may rename the
// document and set its validity, while the issuer and the date of issue stay
// as the administration recorded them.
func (s *Service) Update(ctx context.Context, by *actor.Actor, id string, in Meta) (Item, error) {
	var out Item
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		it, err := s.own(ctx, tx, by, id, true)
		if err != nil {
			return err
		}
		if in.Version > 0 && in.Version != it.Version {
			return apperr.New(apperr.Conflict, "Giấy tờ vừa được sửa ở nơi khác; hãy tải lại trang và sửa lại.")
		}
		m, err := s.check(in, meta{document: it.Document, issuer: it.Issuer, issuedOn: it.IssuedOn, validTill: it.ValidUntil}, it.Kind)
		if err != nil {
			return err
		}
		it.Document, it.Issuer, it.IssuedOn, it.ValidUntil = m.document, m.issuer, m.issuedOn, m.validTill
		it.UpdatedAt = db.Instant(s.now())
		res, err := tx.Exec(ctx, `UPDATE estore_items SET document = ?, issuer = ?, issued_on = ?, valid_until = ?, search_fold = ?,
			version = version + 1, updated_at = ? WHERE id = ? AND version = ?`, it.Document, it.Issuer, dateArg(it.IssuedOn),
			dateArg(it.ValidUntil), searchFold(it), it.UpdatedAt, it.ID, it.Version)
		if err != nil {
			return apperr.Wrap(err, "update e-store item")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "Giấy tờ vừa được sửa ở nơi khác; hãy tải lại trang và sửa lại.")
		}
		it.Version++
		out = it
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "estore.update", ObjectType: "estore_item", ObjectID: it.ID,
			Detail: map[string]any{"version": it.Version}})
	})
	if err != nil {
		return Item{}, err
	}
	s.decorate(&out)
	return out, nil
}

// Delete hides an item from its owner's store and revokes its share links.
// The item and its file are kept: dossiers that used it still show it.
func (s *Service) Delete(ctx context.Context, by *actor.Actor, id string) error {
	return s.db.Tx(ctx, func(tx *db.Tx) error {
		it, err := s.own(ctx, tx, by, id, true)
		if err != nil {
			return err
		}
		now := db.Instant(s.now())
		if _, err := tx.Exec(ctx, "UPDATE estore_items SET deleted_at = ?, version = version + 1, updated_at = ? WHERE id = ?", now, now, it.ID); err != nil {
			return apperr.Wrap(err, "delete e-store item")
		}
		res, err := tx.Exec(ctx, "UPDATE estore_shares SET revoked_at = ? WHERE item_id = ? AND revoked_at IS NULL", now, it.ID)
		if err != nil {
			return apperr.Wrap(err, "revoke shares")
		}
		revoked, _ := res.RowsAffected()
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "estore.delete", ObjectType: "estore_item", ObjectID: it.ID,
			Detail: map[string]any{"shares_revoked": revoked}})
	})
}
