package estore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/vntext"
)

const itemColumns = `i.id, i.owner_id, i.kind, i.document, i.issuer, COALESCE(i.issued_on, ''), COALESCE(i.valid_until, ''), i.file_name,
	i.sha256, i.size, i.content_type, COALESCE(i.dossier_id, ''), COALESCE(d.code, ''), COALESCE(i.agency_id, ''), i.use_count,
	i.last_used_at, i.deleted_at, i.version, i.created_at, i.updated_at`

const itemFrom = ` FROM estore_items i LEFT JOIN dossiers d ON d.id = i.dossier_id`

func scanItem(row interface{ Scan(...any) error }) (Item, error) {
	var it Item
	var kind, issued, until string
	var used, deleted sql.NullTime
	err := row.Scan(&it.ID, &it.OwnerID, &kind, &it.Document, &it.Issuer, &issued, &until, &it.FileName, &it.SHA256, &it.Size,
		&it.ContentType, &it.DossierID, &it.DossierCode, &it.AgencyID, &it.UseCount, &used, &deleted, &it.Version, &it.CreatedAt,
		&it.UpdatedAt)
	if err != nil {
		return it, err
	}
	it.Kind = Kind(kind)
	it.IssuedOn, it.ValidUntil = dateOf(issued), dateOf(until)
	if used.Valid {
		t := used.Time
		it.LastUsedAt = &t
	}
	it.Deleted = deleted.Valid
	return it, nil
}

// dateOf reads a stored YYYY-MM-DD, nil when empty.
func dateOf(s string) *calendar.Date {
	if s == "" {
		return nil
	}
	d, err := calendar.ParseDate(s)
	if err != nil {
		return nil
	}
	return &d
}

// dateArg stores a date as YYYY-MM-DD, NULL when nil.
func dateArg(d *calendar.Date) any {
	if d == nil {
		return nil
	}
	return d.String()
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// loadItem reads an item, deleted or not. Inside a transaction on
// PostgreSQL it locks the row until commit.
func loadItem(ctx context.Context, r db.Runner, id string, forUpdate bool) (Item, error) {
	q := "SELECT " + itemColumns + itemFrom + " WHERE i.id = ?"
	if tx, ok := r.(*db.Tx); ok && forUpdate && tx.Engine() == db.Postgres {
		q += " FOR UPDATE OF i"
	}
	it, err := scanItem(r.QueryRow(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Item{}, notFound()
	}
	if err != nil {
		return Item{}, apperr.Wrap(err, "read e-store item")
	}
	return it, nil
}

func notFound() error {
	return apperr.New(apperr.NotFound, "Không tìm thấy giấy tờ trong kho dữ liệu.")
}

func searchFold(it Item) string {
	return vntext.Fold(it.Document + " " + it.Issuer + " " + it.FileName)
}

// putBlob stores a file's content once per SHA-256, as the dossier system does.
func putBlob(ctx context.Context, tx *db.Tx, sum string, data []byte, contentType string, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO blobs (sha256, size, content_type, data, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (sha256) DO NOTHING`, sum, int64(len(data)), contentType, data, now)
	return apperr.Wrap(err, "store file")
}

// insertItem adds an item; it reports false when the owner already has this
// file of this dossier.
func insertItem(ctx context.Context, tx *db.Tx, it Item, dossierFileID string) (bool, error) {
	res, err := tx.Exec(ctx, `INSERT INTO estore_items (id, owner_id, kind, document, issuer, issued_on, valid_until, file_name, sha256, size,
		content_type, dossier_id, dossier_file_id, agency_id, search_fold, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (owner_id, dossier_id, sha256) DO NOTHING`,
		it.ID, it.OwnerID, string(it.Kind), it.Document, it.Issuer, dateArg(it.IssuedOn), dateArg(it.ValidUntil), it.FileName, it.SHA256,
		it.Size, it.ContentType, nullable(it.DossierID), nullable(dossierFileID), nullable(it.AgencyID), searchFold(it), it.CreatedAt,
		it.UpdatedAt)
	if err != nil {
		return false, apperr.Wrap(err, "insert e-store item")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, apperr.Wrap(err, "insert e-store item")
	}
	return n == 1, nil
}

func uses(ctx context.Context, r db.Runner, itemID string) ([]Use, error) {
	rows, err := r.Query(ctx, `SELECT d.code, d.procedure_name, u.used_at FROM estore_uses u JOIN dossiers d ON d.id = u.dossier_id
		WHERE u.item_id = ? ORDER BY u.used_at DESC, d.code`, itemID)
	if err != nil {
		return nil, apperr.Wrap(err, "read uses")
	}
	defer rows.Close()
	out := []Use{}
	for rows.Next() {
		var u Use
		if err := rows.Scan(&u.DossierCode, &u.ProcedureName, &u.UsedAt); err != nil {
			return nil, apperr.Wrap(err, "read use")
		}
		out = append(out, u)
	}
	return out, apperr.Wrap(rows.Err(), "read uses")
}

const shareColumns = "id, item_id, label, created_at, expires_at, revoked_at, access_count, last_access_at"

func scanShare(row interface{ Scan(...any) error }, now time.Time) (Share, error) {
	var sh Share
	var revoked, accessed sql.NullTime
	if err := row.Scan(&sh.ID, &sh.ItemID, &sh.Label, &sh.CreatedAt, &sh.ExpiresAt, &revoked, &sh.AccessCount, &accessed); err != nil {
		return sh, err
	}
	if revoked.Valid {
		t := revoked.Time
		sh.RevokedAt = &t
	}
	if accessed.Valid {
		t := accessed.Time
		sh.LastAccessAt = &t
	}
	sh.Active = sh.RevokedAt == nil && now.Before(sh.ExpiresAt)
	return sh, nil
}

func shares(ctx context.Context, r db.Runner, itemID string, now time.Time) ([]Share, error) {
	rows, err := r.Query(ctx, "SELECT "+shareColumns+" FROM estore_shares WHERE item_id = ? ORDER BY created_at DESC, id", itemID)
	if err != nil {
		return nil, apperr.Wrap(err, "read shares")
	}
	defer rows.Close()
	out := []Share{}
	for rows.Next() {
		sh, err := scanShare(rows, now)
		if err != nil {
			return nil, apperr.Wrap(err, "read share")
		}
		out = append(out, sh)
	}
	return out, apperr.Wrap(rows.Err(), "read shares")
}

func blob(ctx context.Context, r db.Runner, sum string) ([]byte, error) {
	var data []byte
	err := r.QueryRow(ctx, "SELECT data FROM blobs WHERE sha256 = ?", sum).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "Không tìm thấy nội dung tệp.")
	}
	return data, apperr.Wrap(err, "read file")
}
