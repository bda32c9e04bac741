// Package estore is the personal e-data store of citizens and organisations
// (Kho dữ liệu điện tử của tổ chức, cá nhân — Nghị định 45/2020/NĐ-CP, điều
// 16): the results of their administrative procedures, the papers of their
// dossiers that officials digitised on receipt, and the documents they add
// themselves. They reuse its items when they file a new dossier, and share an
// item with anyone through a link that expires.
//
// The store fills itself: it listens to the dossier system (DossierChanged)
// and lends items back to it (Take). Officials never browse a store; they see
// an item only when it belongs to a dossier they may read, and each such read
// is recorded in the audit log.
package estore

import (
	"fmt"
	"time"

	"github.com/congso/congso/internal/calendar"
)

// Kind is where an item came from.
type Kind string

const (
	// KindResult is a result of an administrative procedure (kết quả giải quyết TTHC).
	KindResult Kind = "result"
	// KindComponent is a paper of a dossier, digitised and accepted by an
	// official (thành phần hồ sơ đã số hóa).
	KindComponent Kind = "component"
	// KindUpload is a document the owner added.
	KindUpload Kind = "upload"
)

// Kinds lists the kinds in display order.
func Kinds() []Kind { return []Kind{KindResult, KindComponent, KindUpload} }

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == KindResult || k == KindComponent || k == KindUpload }

// Label is the kind in Vietnamese.
func (k Kind) Label() string {
	switch k {
	case KindResult:
		return "Kết quả giải quyết thủ tục hành chính"
	case KindComponent:
		return "Thành phần hồ sơ đã số hóa"
	case KindUpload:
		return "Giấy tờ tự bổ sung"
	}
	return string(k)
}

// Validity tells whether an item's paper is still in force.
type Validity string

const (
	Permanent Validity = "permanent" // không thời hạn
	Valid     Validity = "valid"     // còn hiệu lực
	Expiring  Validity = "expiring"  // sắp hết hạn (30 ngày)
	Expired   Validity = "expired"   // hết hiệu lực
)

// Label is the validity in Vietnamese.
func (v Validity) Label() string {
	switch v {
	case Permanent:
		return "Không thời hạn"
	case Valid:
		return "Còn hiệu lực"
	case Expiring:
		return "Sắp hết hạn"
	case Expired:
		return "Hết hiệu lực"
	}
	return string(v)
}

// ExpiringWithin is how close to its end a paper counts as expiring.
const ExpiringWithin = 30

// Item is a document of the store.
type Item struct {
	ID       string `json:"id"`
	OwnerID  string `json:"owner_id"`
	Kind     Kind   `json:"kind"`
	Document string `json:"document"`
	// Issuer is the agency that issued the paper.
	Issuer      string         `json:"issuer"`
	IssuedOn    *calendar.Date `json:"issued_on,omitempty"`
	ValidUntil  *calendar.Date `json:"valid_until,omitempty"`
	FileName    string         `json:"file_name"`
	SHA256      string         `json:"sha256"`
	Size        int64          `json:"size"`
	ContentType string         `json:"content_type"`
	// DossierID and DossierCode name the dossier a result or a component
	// came from.
	DossierID   string `json:"-"`
	DossierCode string `json:"dossier_code,omitempty"`
	// AgencyID is the agency that issued a result or digitised a component.
	AgencyID   string     `json:"agency_id,omitempty"`
	UseCount   int        `json:"use_count"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	Deleted    bool       `json:"-"`
	Version    int        `json:"version"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`

	// Validity is computed on read.
	Validity Validity `json:"validity"`
}

// Use is a dossier that took an item.
type Use struct {
	DossierCode   string    `json:"dossier_code"`
	ProcedureName string    `json:"procedure_name"`
	UsedAt        time.Time `json:"used_at"`
}

// Share is a link to one item.
type Share struct {
	ID           string     `json:"id"`
	ItemID       string     `json:"item_id"`
	Label        string     `json:"label"`
	CreatedAt    time.Time  `json:"created_at"`
	ExpiresAt    time.Time  `json:"expires_at"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	AccessCount  int        `json:"access_count"`
	LastAccessAt *time.Time `json:"last_access_at,omitempty"`
	// Active is computed on read: neither revoked nor expired.
	Active bool `json:"active"`
}

// View is an item with what its owner may see around it.
type View struct {
	Item Item `json:"item"`
	// Uses lists the dossiers that took the item.
	Uses []Use `json:"uses"`
	// Shares lists the item's links; only the owner sees them.
	Shares []Share `json:"shares,omitempty"`
}

// Meta is what an owner gives or edits of an item. Nil fields are left as
// they are on an update; on an upload, Document is required.
type Meta struct {
	Document   *string `json:"document,omitempty"`
	Issuer     *string `json:"issuer,omitempty"`
	IssuedOn   *string `json:"issued_on,omitempty"`   // YYYY-MM-DD, "" to clear
	ValidUntil *string `json:"valid_until,omitempty"` // YYYY-MM-DD, "" to clear
	// Version, when set, must be the item's current version.
	Version int `json:"version,omitempty"`
}

// ShareInput asks for a link.
type ShareInput struct {
	// Days the link works, 1 to 30 (7 when zero).
	Days int `json:"days"`
	// Label reminds the owner whom the link was for.
	Label string `json:"label"`
}

// NewShare is a link just made: its token is shown this once.
type NewShare struct {
	Share Share  `json:"share"`
	Token string `json:"token"`
	URL   string `json:"url"`
}

// Filter selects items of the owner's store.
type Filter struct {
	// Query matches the document, the issuer or the file name, diacritics
	// ignored.
	Query    string
	Kind     Kind
	Validity Validity
	// Reusable keeps the items a new dossier may take: those not expired.
	Reusable bool
	// After is a cursor: items created before this one (created_at|id).
	After string
	Limit int
}

// VietDate writes a date the Vietnamese way, dd/mm/yyyy.
func VietDate(d calendar.Date) string {
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, int(d.Month), d.Year)
}
