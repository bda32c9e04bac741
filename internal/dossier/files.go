package dossier

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/vntext"
)

// File kinds.
const (
	KindAttachment = "attachment" // thành phần hồ sơ
	KindSupplement = "supplement" // giấy tờ bổ sung
	KindResult     = "result"     // kết quả giải quyết
)

// sniff returns the content type of data if it is a format accepted for scans
// and results (PDF, JPEG, PNG), judged by the content whatever the file name
// says.
func sniff(data []byte) (string, error) {
	ct := http.DetectContentType(data)
	if i := strings.Index(ct, ";"); i >= 0 {
		ct = ct[:i]
	}
	ok := ct == "image/jpeg" || ct == "image/png" || (ct == "application/pdf" && bytes.HasPrefix(data, []byte("%PDF-")))
	if !ok {
		return "", apperr.Field("file", "Chỉ nhận tệp PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp).")
	}
	return ct, nil
}

// AddFile stores a file of the dossier by its SHA-256 (the same content is
// kept once) and records it. Officials of the agencies handling the dossier
// add attachments and results; the applicant adds what a supplement request
// asks for.
func (s *Service) AddFile(ctx context.Context, by *actor.Actor, code, kind, document, name string, r io.Reader) (File, error) {
	if by == nil {
		return File{}, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	d, err := load(ctx, s.db, code, false)
	if err != nil {
		return File{}, err
	}
	switch kind {
	case KindAttachment, KindSupplement:
		applicant := d.Applicant.UserID != "" && by.UserID == d.Applicant.UserID
		official := by.Has(actor.Receiver, d.ReceivingAgencyID) || by.Has(actor.Specialist, d.HolderAgencyID)
		if !applicant && !official {
			return File{}, actor.Deny(by, "Bạn không có quyền thêm giấy tờ vào hồ sơ này.")
		}
		if !d.Status.Open() {
			return File{}, apperr.New(apperr.Conflict, "Hồ sơ đã kết thúc; không thể thêm giấy tờ.")
		}
	case KindResult:
		if !by.Has(actor.Specialist, d.AgencyID) && !by.Has(actor.Head, d.AgencyID) && !by.Has(actor.Clerk, d.AgencyID) {
			return File{}, actor.Deny(by, "Chỉ cán bộ của cơ quan giải quyết được đính kèm kết quả.")
		}
		if d.Status != Processing && d.Status != Processed {
			return File{}, apperr.New(apperr.Conflict, "Chỉ đính kèm kết quả khi hồ sơ đang xử lý hoặc đã xử lý xong.")
		}
	default:
		return File{}, apperr.Field("kind", "Loại tệp là attachment, supplement hoặc result.")
	}
	name = vntext.NFC(path.Base(strings.ReplaceAll(name, "\\", "/")))
	document = vntext.NFC(document)
	if name == "" || name == "." || len([]rune(name)) > 200 || !vntext.Valid(name) {
		return File{}, apperr.Field("file", "Tên tệp không hợp lệ.")
	}
	if len([]rune(document)) > 300 || !vntext.Valid(document) {
		return File{}, apperr.Field("document", "Tên giấy tờ tối đa 300 ký tự.")
	}
	data, err := io.ReadAll(io.LimitReader(r, s.cfg.MaxFileSize+1))
	if err != nil {
		return File{}, apperr.New(apperr.Invalid, "Không đọc được tệp gửi lên.")
	}
	if int64(len(data)) > s.cfg.MaxFileSize {
		return File{}, apperr.Field("file", "Tệp quá lớn (tối đa "+humanSize(s.cfg.MaxFileSize)+").")
	}
	if len(data) == 0 {
		return File{}, apperr.Field("file", "Tệp rỗng.")
	}
	ct, err := sniff(data)
	if err != nil {
		return File{}, err
	}
	sum := sha256.Sum256(data)
	f := File{ID: db.NewID(), Kind: kind, Document: document, Name: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)),
		ContentType: ct, Digitised: true, Source: "upload", UploadedBy: by.UserID, UploadedAt: db.Instant(s.now())}
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO blobs (sha256, size, content_type, data, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (sha256) DO NOTHING`, f.SHA256, f.Size, ct, data, f.UploadedAt); err != nil {
			return apperr.Wrap(err, "store file")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO dossier_files (id, dossier_id, kind, document, file_name, sha256, size, content_type, digitised,
			uploaded_by, uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, f.ID, d.ID, f.Kind, f.Document, f.Name, f.SHA256, f.Size,
			f.ContentType, f.Digitised, f.UploadedBy, f.UploadedAt); err != nil {
			return apperr.Wrap(err, "record file")
		}
		if kind == KindResult {
			if _, err := tx.Exec(ctx, "UPDATE dossiers SET result_digitised = ? WHERE id = ?", true, d.ID); err != nil {
				return apperr.Wrap(err, "mark result digitised")
			}
		}
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "dossier.file_added", ObjectType: "dossier", ObjectID: d.ID,
			AgencyID: s.agencyFor(by, &d), Detail: map[string]any{"kind": kind, "sha256": f.SHA256, "size": f.Size}})
	})
	if err != nil {
		return File{}, err
	}
	return f, nil
}

func humanSize(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d KB", n>>10)
}

func files(ctx context.Context, r db.Runner, dossierID string) ([]File, error) {
	rows, err := r.Query(ctx, `SELECT id, kind, document, file_name, sha256, size, content_type, digitised, source,
		COALESCE(store_item_id, ''), uploaded_by, uploaded_at FROM dossier_files WHERE dossier_id = ? ORDER BY uploaded_at, id`, dossierID)
	if err != nil {
		return nil, apperr.Wrap(err, "read files")
	}
	defer rows.Close()
	var out []File
	for rows.Next() {
		var f File
		if err := rows.Scan(&f.ID, &f.Kind, &f.Document, &f.Name, &f.SHA256, &f.Size, &f.ContentType, &f.Digitised, &f.Source, &f.StoreItemID,
			&f.UploadedBy, &f.UploadedAt); err != nil {
			return nil, apperr.Wrap(err, "read file")
		}
		out = append(out, f)
	}
	return out, apperr.Wrap(rows.Err(), "read files")
}

// FileContent returns a file of a dossier the actor may read.
func (s *Service) FileContent(ctx context.Context, by *actor.Actor, code, fileID string) (File, []byte, error) {
	d, err := load(ctx, s.db, code, false)
	if err != nil {
		return File{}, nil, err
	}
	if err := s.mayRead(ctx, by, &d); err != nil {
		return File{}, nil, err
	}
	var f File
	var data []byte
	err = s.db.QueryRow(ctx, `SELECT f.id, f.kind, f.document, f.file_name, f.sha256, f.size, f.content_type, f.digitised, f.source,
		COALESCE(f.store_item_id, ''), f.uploaded_by, f.uploaded_at, b.data FROM dossier_files f JOIN blobs b ON b.sha256 = f.sha256
		WHERE f.dossier_id = ? AND f.id = ?`, d.ID, fileID).
		Scan(&f.ID, &f.Kind, &f.Document, &f.Name, &f.SHA256, &f.Size, &f.ContentType, &f.Digitised, &f.Source, &f.StoreItemID, &f.UploadedBy,
			&f.UploadedAt, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return File{}, nil, apperr.New(apperr.NotFound, "Không tìm thấy tệp.")
	}
	if err != nil {
		return File{}, nil, apperr.Wrap(err, "read file")
	}
	if by.UserID != d.Applicant.UserID && !by.IsSystem() {
		if err := s.audit.Record(ctx, by, audit.Event{Action: audit.ActionReadPersonal, ObjectType: "dossier_file", ObjectID: f.ID,
			AgencyID: s.agencyFor(by, &d)}); err != nil {
			return File{}, nil, err
		}
	}
	return f, data, nil
}
