package payment

import (
	"context"
	"fmt"
	"io"
	"strings"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/text/unicode/norm"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/forms"
)

const receiptFont = "NotoSerif"

// Receipt writes the electronic receipt of a paid payment as a PDF ("Biên
// lai thu phí, lệ phí điện tử"): the collecting agency, the receipt's
// series and number, the payer, the dossier and its procedure, the amount in
// figures and in words, the gateway's transaction and the time of payment.
// The payer and those who may read the dossier may download it (an
// official's download is audited as a read of the dossier).
func (s *Service) Receipt(ctx context.Context, by *actor.Actor, id string, w io.Writer) error {
	p, err := loadPayment(ctx, s.db, "id", id, false)
	if err != nil {
		return err
	}
	if by == nil {
		return apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	v, err := s.dossiers.Get(ctx, by, p.DossierCode)
	if err != nil {
		return err
	}
	if p.Status != Paid || p.PaidAt == nil {
		return apperr.New(apperr.Conflict, "Giao dịch %s chưa thanh toán thành công nên chưa có biên lai.", p.TxnRef)
	}
	ag, err := s.agencies.AgencyInfo(ctx, p.AgencyID)
	if err != nil {
		return err
	}
	label := p.Provider
	if prov, ok := s.providers[p.Provider]; ok {
		label = prov.Label()
	}
	return writeReceipt(w, receiptData{Payment: p, Dossier: v.Dossier, Agency: ag, Series: s.cfg.ReceiptSeries, ProviderLabel: label})
}

type receiptData struct {
	Payment       Payment
	Dossier       dossier.Dossier
	Agency        dossier.Agency
	Series        string
	ProviderLabel string
}

func nfc(s string) string { return strings.TrimSpace(norm.NFC.String(s)) }

// Page geometry in millimetres (A4 portrait, margins after Nghị định
// 30/2020/NĐ-CP).
const (
	rPageW   = 210.0
	rMarginL = 25.0
	rMarginR = 18.0
	rMarginT = 18.0
	rContent = rPageW - rMarginL - rMarginR
)

func writeReceipt(w io.Writer, r receiptData) error {
	p, d, ag := r.Payment, r.Dossier, r.Agency
	f := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", SizeStr: "A4"})
	f.AddUTF8FontFromBytes(receiptFont, "", forms.FontRegular())
	f.AddUTF8FontFromBytes(receiptFont, "B", forms.FontBold())
	f.SetMargins(rMarginL, rMarginT, rMarginR)
	f.SetAutoPageBreak(true, 18)
	f.SetCatalogSort(true)
	f.SetCompression(true)
	// Deterministic output: the document's dates come from the payment.
	f.SetCreationDate(p.PaidAt.UTC())
	f.SetModificationDate(p.PaidAt.UTC())
	f.SetTitle(nfc("Biên lai thu phí, lệ phí "+r.Series+" "+p.ReceiptNo), true)
	f.SetSubject(nfc("Hồ sơ "+p.DossierCode), true)
	f.SetAuthor(nfc(ag.Name), true)
	f.SetCreator("Cổng số", true)
	f.SetLang("vi-VN")
	f.AddPage()

	centred := func(x, width, h float64, style string, size float64, s string) {
		f.SetFont(receiptFont, style, size)
		f.SetX(x)
		f.MultiCell(width, h, nfc(s), "", "C", false)
	}
	// Heading: the agency (left), the national heading (right).
	const leftW, gap = 78.0, 2.0
	rightX, rightW := rMarginL-6+leftW+gap, rPageW-rMarginR-(rMarginL-6+leftW+gap)+4
	f.SetY(rMarginT)
	if ag.ParentName != "" {
		centred(rMarginL-6, leftW, 5.4, "", 11.5, strings.ToUpper(nfc(ag.ParentName)))
	}
	centred(rMarginL-6, leftW, 5.4, "B", 11.5, strings.ToUpper(nfc(ag.Name)))
	leftBottom := f.GetY() + 0.6
	f.SetLineWidth(0.3)
	f.Line(rMarginL-6+leftW/2-12, leftBottom, rMarginL-6+leftW/2+12, leftBottom)
	f.SetY(rMarginT)
	centred(rightX, rightW, 5.4, "B", 11, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
	motto := "Độc lập - Tự do - Hạnh phúc"
	centred(rightX, rightW, 5.8, "B", 12.5, motto)
	mw := f.GetStringWidth(nfc(motto))
	rule := f.GetY() + 0.4
	f.Line(rightX+(rightW-mw)/2, rule, rightX+(rightW+mw)/2, rule)
	f.SetLineWidth(0.2)
	y := max(leftBottom, rule) + 4
	f.SetY(y)
	centred(rightX, rightW, 5.6, "", 11.5, "Ký hiệu: "+r.Series)
	centred(rightX, rightW, 5.6, "", 11.5, "Số: "+p.ReceiptNo)

	// Title.
	f.Ln(5)
	centred(rMarginL, rContent, 7.5, "B", 15, "BIÊN LAI THU PHÍ, LỆ PHÍ")
	centred(rMarginL, rContent, 6, "", 12, "(Biên lai điện tử)")
	f.Ln(5)

	field := func(label, value string) {
		if value = nfc(value); value == "" {
			return
		}
		f.SetFont(receiptFont, "", 12.5)
		f.SetX(rMarginL)
		lw := f.GetStringWidth(nfc(label)+": ") + 1
		f.CellFormat(lw, 7, nfc(label)+": ", "", 0, "L", false, 0, "")
		f.SetFont(receiptFont, "B", 12.5)
		f.MultiCell(rContent-lw, 7, value, "", "L", false)
	}
	field("Đơn vị thu phí, lệ phí", ag.Name)
	field("Địa chỉ", ag.Address)
	f.Ln(2)
	field("Họ tên người nộp", d.Applicant.Name)
	field("Địa chỉ", d.Applicant.Address)
	field("Mã hồ sơ", p.DossierCode)
	field("Nội dung thu", "Phí, lệ phí giải quyết thủ tục hành chính: "+d.ProcedureName)
	field("Số tiền", forms.FormatMoney(p.Amount))
	field("Bằng chữ", Words(p.Amount)+".")
	field("Hình thức thanh toán", "Trực tuyến qua "+r.ProviderLabel)
	field("Mã giao dịch", p.TxnRef)
	field("Mã giao dịch tại cổng thanh toán", p.ProviderTxnNo)
	field("Ngân hàng", p.BankCode)
	paidAt := *p.PaidAt
	if p.ProviderPaidAt != nil {
		paidAt = *p.ProviderPaidAt
	}
	field("Thời điểm thanh toán", forms.FormatDateTime(paidAt))

	// The collecting unit's block, then the note on electronic receipts.
	f.Ln(6)
	y = f.GetY()
	const blockW = 80.0
	bx := rPageW - rMarginR - blockW
	f.SetY(y)
	centred(bx, blockW, 6, "", 12, forms.DateLine(ag.Place, *p.PaidAt))
	centred(bx, blockW, 6, "B", 12, "ĐƠN VỊ THU")
	centred(bx, blockW, 5.5, "", 10.5, "(Biên lai điện tử do hệ thống lập tự động khi cổng thanh toán xác nhận giao dịch)")
	f.Ln(10)
	f.SetFont(receiptFont, "", 10)
	f.SetX(rMarginL)
	f.MultiCell(rContent, 5, nfc(fmt.Sprintf("Biên lai được lập trên Cổng số. Mã tra cứu giao dịch: %s. Người nộp giữ biên lai này làm chứng từ đã nộp phí, lệ phí.",
		p.TxnRef)), "", "L", false)
	if err := f.Error(); err != nil {
		return apperr.Wrap(err, "build the receipt")
	}
	if err := f.Output(w); err != nil {
		return apperr.Wrap(err, "write the receipt")
	}
	return nil
}
