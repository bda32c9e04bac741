package estore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
)

// The store implements both sides of its bond with the dossier system.
var (
	_ dossier.Listener = (*Service)(nil)
	_ dossier.EStore   = (*Service)(nil)
)

// DossierChanged fills the applicant's store as their dossier moves, inside
// the transaction of each change:
//
//   - once an official has received the dossier (at a counter, or accepting
//     it online), every digitised paper of it — attachments and supplements
//     uploaded for it, not those taken from the store — becomes a component
//     item; papers scanned after receipt follow with the next step an
//     official takes;
//   - once the dossier is processed (issued) or returned, its result files
//     become result items, issued by the processing agency;
//   - the items a new dossier took from the store are recorded as used by it.
//
// Only dossiers with an applicant account (a citizen's or an organisation's,
// see ownerMatches) fill a store, and a file of a dossier lands in its owner's store once, how
// ever many times this runs.
func (s *Service) DossierChanged(ctx context.Context, tx *db.Tx, d *dossier.Dossier, e dossier.Event) error {
	owner := d.Applicant.UserID
	if owner == "" {
		return nil
	}
	if e.Action == dossier.ActFile || e.Action == dossier.ActReceive {
		if err := s.recordUses(ctx, tx, d.ID, e.At); err != nil {
			return err
		}
	}
	received := d.ReceivedAt != nil && d.Status != dossier.Refused && e.ActorID != owner
	done := d.Status == dossier.Processed || d.Status == dossier.Returned
	if !received && !done {
		return nil
	}
	if ok, err := s.ownerMatches(ctx, tx, d); err != nil || !ok {
		return err
	}
	if received {
		if err := s.copyFiles(ctx, tx, d, e, KindComponent); err != nil {
			return err
		}
	}
	if done {
		return s.copyFiles(ctx, tx, d, e, KindResult)
	}
	return nil
}

// ownerMatches reports whether the dossier's applicant account may receive
// its papers: a citizen's or an organisation's account — and, unless the
// owner filed the dossier online themselves, the account of the very person
// or organisation the dossier names (same citizen ID or enterprise code), so
// that a dossier linked to the wrong account at a counter sends no one's
// papers to a stranger.
func (s *Service) ownerMatches(ctx context.Context, tx *db.Tx, d *dossier.Dossier) (bool, error) {
	var kind, citizenID, orgCode string
	err := tx.QueryRow(ctx, "SELECT kind, COALESCE(citizen_id, ''), COALESCE(org_code, '') FROM users WHERE id = ?", d.Applicant.UserID).
		Scan(&kind, &citizenID, &orgCode)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, apperr.Wrap(err, "read the applicant's account")
	}
	switch {
	case d.Channel == dossier.Portal:
		return kind == string(actor.Citizen) || kind == string(actor.Organisation), nil
	case kind == string(actor.Citizen):
		return citizenID != "" && citizenID == d.Applicant.IDNumber, nil
	case kind == string(actor.Organisation):
		return orgCode != "" && orgCode == d.Applicant.IDNumber, nil
	}
	return false, nil
}

// recordUses links the items a dossier took from the store to it.
func (s *Service) recordUses(ctx context.Context, tx *db.Tx, dossierID string, at time.Time) error {
	rows, err := tx.Query(ctx, `SELECT DISTINCT store_item_id FROM dossier_files WHERE dossier_id = ? AND source = 'estore'
		AND store_item_id IS NOT NULL`, dossierID)
	if err != nil {
		return apperr.Wrap(err, "read papers taken from the store")
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return apperr.Wrap(err, "read papers taken from the store")
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return apperr.Wrap(err, "read papers taken from the store")
	}
	for _, id := range ids {
		if _, err := tx.Exec(ctx, `INSERT INTO estore_uses (item_id, dossier_id, used_at) VALUES (?, ?, ?)
			ON CONFLICT (item_id, dossier_id) DO NOTHING`, id, dossierID, at); err != nil {
			return apperr.Wrap(err, "record a use of the store")
		}
	}
	return nil
}

type dossierFile struct {
	id, document, name, sha256, contentType string
	size                                    int64
}

// copyFiles puts the dossier's files of a kind into the applicant's store,
// skipping those already there.
func (s *Service) copyFiles(ctx context.Context, tx *db.Tx, d *dossier.Dossier, e dossier.Event, kind Kind) error {
	kinds := []any{dossier.KindAttachment, dossier.KindSupplement}
	if kind == KindResult {
		kinds = []any{dossier.KindResult}
	}
	args := append([]any{d.ID, true}, kinds...)
	args = append(args, d.Applicant.UserID)
	rows, err := tx.Query(ctx, `SELECT f.id, f.document, f.file_name, f.sha256, f.size, f.content_type FROM dossier_files f
		WHERE f.dossier_id = ? AND f.source = 'upload' AND f.digitised = ? AND f.kind IN (`+db.Placeholders(len(kinds))+`)
		AND NOT EXISTS (SELECT 1 FROM estore_items i WHERE i.owner_id = ? AND i.dossier_id = f.dossier_id AND i.sha256 = f.sha256)
		ORDER BY f.uploaded_at, f.id`, args...)
	if err != nil {
		return apperr.Wrap(err, "read the dossier's files")
	}
	var files []dossierFile
	for rows.Next() {
		var f dossierFile
		if err := rows.Scan(&f.id, &f.document, &f.name, &f.sha256, &f.size, &f.contentType); err != nil {
			rows.Close()
			return apperr.Wrap(err, "read a file of the dossier")
		}
		files = append(files, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return apperr.Wrap(err, "read the dossier's files")
	}
	if len(files) == 0 {
		return nil
	}
	now := db.Instant(s.now())
	base := Item{OwnerID: d.Applicant.UserID, Kind: kind, DossierID: d.ID, Version: 1, CreatedAt: now, UpdatedAt: now}
	if kind == KindResult {
		base.AgencyID = d.AgencyID
		if s.agencies != nil {
			ag, err := s.agencies.AgencyInfo(ctx, d.AgencyID)
			if err != nil {
				return err
			}
			base.Issuer = ag.Name
		}
		issued := e.At
		if d.ProcessedAt != nil {
			issued = *d.ProcessedAt
		}
		day := calendar.DateOf(issued)
		base.IssuedOn = &day
	} else {
		base.AgencyID = d.ReceivingAgencyID
	}
	sys := actor.SystemActor("estore")
	for _, f := range files {
		it := base
		it.ID = db.NewID()
		it.Document = f.document
		if it.Document == "" {
			if kind == KindResult {
				it.Document = "Kết quả: " + d.ProcedureName
			} else {
				it.Document = strings.TrimSuffix(f.name, path.Ext(f.name))
			}
		}
		if r := []rune(it.Document); len(r) > 300 {
			it.Document = string(r[:300])
		}
		it.FileName, it.SHA256, it.Size, it.ContentType = f.name, f.sha256, f.size, f.contentType
		added, err := insertItem(ctx, tx, it, f.id)
		if err != nil {
			return err
		}
		if !added {
			continue
		}
		if err := s.audit.Append(ctx, tx, sys, audit.Event{Action: "estore.receive", ObjectType: "estore_item", ObjectID: it.ID,
			AgencyID: it.AgencyID, Detail: map[string]any{"dossier_id": d.ID, "kind": string(kind), "sha256": it.SHA256}}); err != nil {
			return err
		}
	}
	return nil
}

// Take lends an item of the owner's store to a dossier being filed: it must
// be the owner's, not deleted, and not expired. The use is counted here and
// linked to the dossier when the dossier system reports the filing
// (DossierChanged), in the same transaction.
func (s *Service) Take(ctx context.Context, tx *db.Tx, ownerID, itemID string) (dossier.StoredFile, error) {
	it, err := loadItem(ctx, tx, itemID, true)
	if err != nil || it.OwnerID != ownerID || it.Deleted {
		if err != nil && !apperr.Is(err, apperr.NotFound) {
			return dossier.StoredFile{}, err
		}
		msg := "Không tìm thấy giấy tờ trong kho dữ liệu của bạn (có thể đã bị xóa)."
		return dossier.StoredFile{}, &apperr.Error{Code: apperr.NotFound, Message: msg, Fields: map[string]string{"from_store": msg}}
	}
	if today := s.today(); it.ValidUntil != nil && it.ValidUntil.Before(today) {
		return dossier.StoredFile{}, apperr.Field("from_store", fmt.Sprintf("Giấy tờ \"%s\" đã hết hiệu lực (hạn đến ngày %s); không dùng lại được. Hãy nộp bản còn hiệu lực.",
			it.Document, VietDate(*it.ValidUntil)))
	}
	if _, err := tx.Exec(ctx, "UPDATE estore_items SET use_count = use_count + 1, last_used_at = ? WHERE id = ?", db.Instant(s.now()), it.ID); err != nil {
		return dossier.StoredFile{}, apperr.Wrap(err, "count a use of the store")
	}
	return dossier.StoredFile{SHA256: it.SHA256, Name: it.FileName, ContentType: it.ContentType, Size: it.Size, Document: it.Document}, nil
}
