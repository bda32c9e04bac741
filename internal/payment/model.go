package payment

import (
	"context"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
)

// Status is where a payment attempt stands.
type Status string

const (
	Pending   Status = "pending"   // chờ thanh toán
	Paid      Status = "paid"      // đã thanh toán, ghi nhận vào hồ sơ
	Failed    Status = "failed"    // không thành công
	Cancelled Status = "cancelled" // người nộp hủy tại cổng thanh toán
)

// Label is the status in Vietnamese.
func (s Status) Label() string {
	switch s {
	case Pending:
		return "Chờ thanh toán"
	case Paid:
		return "Đã thanh toán"
	case Failed:
		return "Không thành công"
	case Cancelled:
		return "Đã hủy"
	}
	return string(s)
}

// Payment is one attempt to pay what a dossier asks.
type Payment struct {
	ID          string `json:"id"`
	TxnRef      string `json:"txn_ref"`
	DossierID   string `json:"dossier_id"`
	DossierCode string `json:"dossier_code"`
	// AgencyID is the agency that collects the fee (the dossier's processing
	// agency), whose name the receipt carries.
	AgencyID    string `json:"agency_id"`
	PayerID     string `json:"payer_id"`
	Provider    string `json:"provider"`
	Amount      int64  `json:"amount"`
	Status      Status `json:"status"`
	StatusLabel string `json:"status_label"`
	// ProviderCode is vnp_ResponseCode of the last verified callback.
	ProviderCode   string     `json:"provider_code,omitempty"`
	ProviderTxnNo  string     `json:"provider_txn_no,omitempty"`
	BankCode       string     `json:"bank_code,omitempty"`
	CardType       string     `json:"card_type,omitempty"`
	ProviderPaidAt *time.Time `json:"provider_paid_at,omitempty"`
	PaidAt         *time.Time `json:"paid_at,omitempty"`
	ReceiptNo      string     `json:"receipt_no,omitempty"`
	// Note says why a payment failed or was refused.
	Note      string    `json:"note,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Expired is set on read for a pending payment past its time at the gateway.
	Expired bool `json:"expired"`
}

// Verdicts of the callback log.
const (
	VerdictConfirmed        = "confirmed"           // paid and recorded on the dossier
	VerdictFailed           = "failed"              // the gateway reports a failure
	VerdictCancelled        = "cancelled"           // the customer cancelled at the gateway
	VerdictInvalidSignature = "invalid_signature"   // refused: forged or corrupted
	VerdictMalformed        = "malformed"           // refused: signed but unreadable
	VerdictUnknownOrder     = "unknown_order"       // refused: no such payment
	VerdictWrongAmount      = "wrong_amount"        // refused: amount differs from the payment's
	VerdictAlreadyConfirmed = "already_confirmed"   // replay: nothing changed
	VerdictDossierRefused   = "dossier_refused"     // paid at the gateway, but the dossier no longer takes it
	VerdictError            = "error"               // internal error; the gateway will retry
	KindIPN                 = "ipn"                 // a server-to-server callback
	NoteDossierRefused      = "dossier_not_payable" // Payment.Note of a refused paid callback
)

// Event is one entry of the callback log.
type Event struct {
	ID        int64             `json:"id"`
	At        time.Time         `json:"at"`
	Provider  string            `json:"provider"`
	Kind      string            `json:"kind"`
	TxnRef    string            `json:"txn_ref"`
	PaymentID string            `json:"payment_id,omitempty"`
	Params    map[string]string `json:"params"`
	Verdict   string            `json:"verdict"`
	RspCode   string            `json:"rsp_code"`
	RemoteIP  string            `json:"remote_ip,omitempty"`
}

// Dossiers is what the payment service needs of the dossier system;
// *dossier.Service has it.
type Dossiers interface {
	// Get reads a dossier for the actor, refusing those who may not see it
	// (and auditing an official's read).
	Get(ctx context.Context, by *actor.Actor, code string) (dossier.View, error)
	// ActIn acts on a dossier inside the caller's transaction.
	ActIn(ctx context.Context, tx *db.Tx, by *actor.Actor, code string, action dossier.Action, in dossier.ActionInput) (dossier.Dossier, error)
}

// Agencies describes the collecting agency on receipts; the adapter the app
// gives the dossier system has it.
type Agencies interface {
	AgencyInfo(ctx context.Context, id string) (dossier.Agency, error)
}
