package payment

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/forms"
)

// Mismatches between the platform's records and the gateway's.
const (
	// MismatchPaidNotRecorded: the gateway took the money, the platform did
	// not record it on the dossier (a lost or refused callback): refund or
	// record by hand.
	MismatchPaidNotRecorded = "paid_not_recorded"
	// MismatchRecordedNotPaid: the platform recorded a payment the gateway
	// does not know as paid.
	MismatchRecordedNotPaid = "recorded_not_paid"
	// MismatchAmount: both say paid, for different amounts.
	MismatchAmount = "amount_mismatch"
)

// MismatchLabel names a mismatch in Vietnamese.
func MismatchLabel(m string) string {
	switch m {
	case MismatchPaidNotRecorded:
		return "Đã thanh toán tại cổng nhưng chưa ghi nhận vào hồ sơ"
	case MismatchRecordedNotPaid:
		return "Đã ghi nhận nhưng cổng thanh toán không xác nhận"
	case MismatchAmount:
		return "Số tiền tại cổng thanh toán khác số tiền ghi nhận"
	}
	return ""
}

// Provider states in a reconciliation.
const (
	ProviderPaid        = "paid"        // the gateway says paid
	ProviderNotPaid     = "not_paid"    // it knows the transaction, not paid
	ProviderNotFound    = "not_found"   // it has no such transaction
	ProviderUnavailable = "unavailable" // it could not be asked
	ProviderNotChecked  = "not_checked" // not asked
)

// ProviderStateLabel names a provider state in Vietnamese.
func ProviderStateLabel(s string) string {
	switch s {
	case ProviderPaid:
		return "Đã thanh toán"
	case ProviderNotPaid:
		return "Chưa thanh toán / không thành công"
	case ProviderNotFound:
		return "Không có giao dịch"
	case ProviderUnavailable:
		return "Không truy vấn được"
	case ProviderNotChecked:
		return "Không truy vấn"
	}
	return s
}

// ReconFilter selects the payments to reconcile.
type ReconFilter struct {
	// From and To bound the day the payment was started (Vietnam's days,
	// both included).
	From, To calendar.Date
	// AgencyID is the collecting agency; empty means the whole province.
	AgencyID string
	// SkipProvider compares the platform's own records only, without asking
	// the gateways.
	SkipProvider bool
}

// ReconRow is one payment with what the gateway says of it.
type ReconRow struct {
	Payment
	// DossierRecorded reports whether the dossier holds the payment.
	DossierRecorded bool   `json:"dossier_recorded"`
	ProviderState   string `json:"provider_state"`
	ProviderAmount  int64  `json:"provider_amount,omitempty"`
	ProviderTxnNoQ  string `json:"provider_txn_no_queried,omitempty"`
	Mismatch        string `json:"mismatch,omitempty"`
	MismatchLabel   string `json:"mismatch_label,omitempty"`
}

// Report is a reconciliation.
type Report struct {
	From       string     `json:"from"`
	To         string     `json:"to"`
	AgencyID   string     `json:"agency_id,omitempty"`
	Rows       []ReconRow `json:"rows"`
	Count      int        `json:"count"`
	PaidCount  int        `json:"paid_count"`
	PaidTotal  int64      `json:"paid_total"`
	Mismatches int        `json:"mismatches"`
}

// maxReconRows bounds one report.
const maxReconRows = 2000

// Reconcile lists every payment of the period (and agency) with its status,
// amounts and gateway transaction, asks each gateway what it knows of the
// transaction (querydr), and flags the mismatches. Officials of the agency
// may reconcile it; the whole province takes a province-wide role.
func (s *Service) Reconcile(ctx context.Context, by *actor.Actor, f ReconFilter) (Report, error) {
	switch {
	case by == nil:
		return Report{}, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	case !by.IsOfficial():
		return Report{}, actor.Deny(by, "Đối soát thanh toán chỉ dành cho cán bộ.")
	case f.AgencyID == "" && !by.ProvinceWide():
		return Report{}, actor.Deny(by, "Đối soát toàn tỉnh cần vai trò quản trị hoặc theo dõi toàn tỉnh; hãy chọn cơ quan của mình.")
	case f.AgencyID != "" && !by.CanSee(f.AgencyID):
		return Report{}, actor.Deny(by, "Bạn không thuộc cơ quan này.")
	}
	if !f.From.Valid() || !f.To.Valid() {
		return Report{}, apperr.Field("from", "Hãy chọn khoảng thời gian (từ ngày, đến ngày).")
	}
	if f.To.Before(f.From) {
		return Report{}, apperr.Field("to", "Đến ngày phải sau từ ngày.")
	}
	if f.To.Sub(f.From) > 366 {
		return Report{}, apperr.Field("to", "Đối soát tối đa một năm mỗi lần.")
	}
	where := "created_at >= ? AND created_at < ?"
	args := []any{f.From.At(0), f.To.AddDays(1).At(0)}
	if f.AgencyID != "" {
		where += " AND agency_id = ?"
		args = append(args, f.AgencyID)
	}
	rows, err := s.db.Query(ctx, "SELECT "+paymentColumns+`, CASE WHEN EXISTS (SELECT 1 FROM dossier_payments dp
		WHERE dp.dossier_id = payments.dossier_id AND dp.reference = payments.txn_ref) THEN 1 ELSE 0 END
		FROM payments WHERE `+where+fmt.Sprintf(" ORDER BY created_at, id LIMIT %d", maxReconRows+1), args...)
	if err != nil {
		return Report{}, apperr.Wrap(err, "list payments")
	}
	var list []ReconRow
	for rows.Next() {
		var r ReconRow
		var recorded int
		var status string
		err := rows.Scan(&r.ID, &r.TxnRef, &r.DossierID, &r.DossierCode, &r.AgencyID, &r.PayerID, &r.Provider, &r.Amount, &status,
			&r.ProviderCode, &r.ProviderTxnNo, &r.BankCode, &r.CardType, &r.ProviderPaidAt, &r.PaidAt, &r.ReceiptNo, &r.Note,
			&r.ExpiresAt, &r.CreatedAt, &r.UpdatedAt, &recorded)
		if err != nil {
			rows.Close()
			return Report{}, apperr.Wrap(err, "read payment")
		}
		r.Status, r.DossierRecorded = Status(status), recorded == 1
		s.decorate(&r.Payment)
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Report{}, apperr.Wrap(err, "list payments")
	}
	if len(list) > maxReconRows {
		return Report{}, apperr.Field("to", fmt.Sprintf("Khoảng thời gian có hơn %d giao dịch; hãy chọn khoảng ngắn hơn.", maxReconRows))
	}
	if !f.SkipProvider {
		s.queryAll(ctx, list)
	} else {
		for i := range list {
			list[i].ProviderState = ProviderNotChecked
		}
	}
	rep := Report{From: f.From.String(), To: f.To.String(), AgencyID: f.AgencyID, Rows: list, Count: len(list)}
	for i := range list {
		r := &list[i]
		r.Mismatch = mismatch(r)
		r.MismatchLabel = MismatchLabel(r.Mismatch)
		if r.Mismatch != "" {
			rep.Mismatches++
		}
		if r.Status == Paid {
			rep.PaidCount++
			rep.PaidTotal += r.Amount
		}
	}
	if rep.Rows == nil {
		rep.Rows = []ReconRow{}
	}
	return rep, nil
}

// queryAll asks the gateways about every row, a few at a time.
func (s *Service) queryAll(ctx context.Context, list []ReconRow) {
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := range list {
		r := &list[i]
		prov, ok := s.providers[r.Provider]
		if !ok {
			r.ProviderState = ProviderUnavailable
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			q, err := prov.Query(qctx, s.orderOf(r.Payment, ""))
			switch {
			case err != nil:
				s.log.WarnContext(ctx, "payment: reconciliation query failed", "provider", r.Provider, "txn_ref", r.TxnRef, "err", err)
				r.ProviderState = ProviderUnavailable
			case !q.Found:
				r.ProviderState = ProviderNotFound
			case q.Success():
				r.ProviderState, r.ProviderAmount, r.ProviderTxnNoQ = ProviderPaid, q.Amount, q.TransactionNo
			default:
				r.ProviderState, r.ProviderTxnNoQ = ProviderNotPaid, q.TransactionNo
			}
		}()
	}
	wg.Wait()
}

// mismatch compares a row's two sides. Without the gateway's word, the
// platform's own records still show a refused or unrecorded success.
func mismatch(r *ReconRow) string {
	recorded := r.Status == Paid || r.DossierRecorded
	consistent := r.Status == Paid && r.DossierRecorded
	switch r.ProviderState {
	case ProviderPaid:
		if !consistent {
			return MismatchPaidNotRecorded
		}
		if r.ProviderAmount != r.Amount {
			return MismatchAmount
		}
		return ""
	case ProviderNotPaid, ProviderNotFound:
		if recorded {
			return MismatchRecordedNotPaid
		}
		return ""
	}
	// Not asked, or could not be asked: what the callbacks told us.
	if r.ProviderCode == CodeSuccess && !consistent {
		return MismatchPaidNotRecorded
	}
	if recorded && !consistent {
		return MismatchRecordedNotPaid
	}
	return ""
}

// ReconcileXLSX writes the reconciliation as a workbook.
func (s *Service) ReconcileXLSX(ctx context.Context, by *actor.Actor, f ReconFilter, w io.Writer) error {
	rep, err := s.Reconcile(ctx, by, f)
	if err != nil {
		return err
	}
	x := excelize.NewFile()
	defer x.Close()
	const sheet = "Đối soát"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return apperr.Wrap(err, "workbook")
	}
	agency := "Toàn tỉnh"
	if f.AgencyID != "" {
		if ag, err := s.agencies.AgencyInfo(ctx, f.AgencyID); err == nil {
			agency = ag.Name
		}
	}
	set := func(cell string, v any) error { return x.SetCellValue(sheet, cell, v) }
	if err := set("A1", "ĐỐI SOÁT THANH TOÁN TRỰC TUYẾN PHÍ, LỆ PHÍ"); err != nil {
		return apperr.Wrap(err, "workbook")
	}
	_ = set("A2", fmt.Sprintf("%s — từ ngày %s đến ngày %s", agency, forms.FormatDate(f.From.At(0)), forms.FormatDate(f.To.At(0))))
	_ = set("A3", fmt.Sprintf("Số giao dịch: %d; đã thanh toán: %d (%s); chênh lệch: %d", rep.Count, rep.PaidCount,
		forms.FormatMoney(rep.PaidTotal), rep.Mismatches))
	header := []any{"STT", "Mã giao dịch", "Mã hồ sơ", "Cổng thanh toán", "Số tiền (đồng)", "Trạng thái", "Ghi nhận vào hồ sơ",
		"Mã GD tại cổng", "Ngân hàng", "Thời điểm tạo", "Thời điểm thanh toán", "Trạng thái tại cổng", "Số tiền tại cổng (đồng)",
		"Chênh lệch", "Ghi chú"}
	if err := x.SetSheetRow(sheet, "A5", &header); err != nil {
		return apperr.Wrap(err, "workbook")
	}
	bold, _ := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	_ = x.SetCellStyle(sheet, "A1", "A1", bold)
	_ = x.SetCellStyle(sheet, "A5", "O5", bold)
	money, _ := x.NewStyle(&excelize.Style{NumFmt: 3})
	for i, r := range rep.Rows {
		label := r.Provider
		if p, ok := s.providers[r.Provider]; ok {
			label = p.Label()
		}
		recorded := "Chưa"
		if r.DossierRecorded {
			recorded = "Đã ghi nhận"
		}
		paid := ""
		if r.PaidAt != nil {
			paid = forms.FormatDateTime(*r.PaidAt)
		}
		var provAmount any
		if r.ProviderState == ProviderPaid {
			provAmount = r.ProviderAmount
		}
		txnNo := r.ProviderTxnNo
		if txnNo == "" {
			txnNo = r.ProviderTxnNoQ
		}
		row := []any{i + 1, r.TxnRef, r.DossierCode, label, r.Amount, r.Status.Label(), recorded, txnNo, r.BankCode,
			forms.FormatDateTime(r.CreatedAt), paid, ProviderStateLabel(r.ProviderState), provAmount, r.MismatchLabel, r.Note}
		cell, _ := excelize.CoordinatesToCellName(1, 6+i)
		if err := x.SetSheetRow(sheet, cell, &row); err != nil {
			return apperr.Wrap(err, "workbook")
		}
	}
	if n := len(rep.Rows); n > 0 {
		_ = x.SetCellStyle(sheet, "E6", fmt.Sprintf("E%d", 5+n), money)
		_ = x.SetCellStyle(sheet, "M6", fmt.Sprintf("M%d", 5+n), money)
	}
	for col, width := range map[string]float64{"A": 6, "B": 20, "C": 26, "D": 22, "E": 14, "F": 16, "G": 14, "H": 14, "I": 10,
		"J": 30, "K": 30, "L": 22, "M": 16, "N": 40, "O": 50} {
		_ = x.SetColWidth(sheet, col, col, width)
	}
	if err := x.Write(w); err != nil {
		return apperr.Wrap(err, "write workbook")
	}
	return nil
}
