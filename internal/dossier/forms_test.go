package dossier_test

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
)

// pdfText extracts a PDF's text with pdftotext (poppler-utils).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		dbtest.Skip(t, "reading PDF text needs pdftotext (apt-get install poppler-utils)")
	}
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

func TestFormsFollowTheDossier(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		ctx := context.Background()
		x := f.receive()
		print := func(n string) (string, error) {
			var buf bytes.Buffer
			if err := f.svc.Form(ctx, f.actors["tiepnhan"], x.Code, n, &buf); err != nil {
				return "", err
			}
			if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
				t.Fatalf("form %s is not a PDF", n)
			}
			return pdfText(t, buf.Bytes()), nil
		}
		text, err := print("01")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", x.Code, "Nguyễn Văn An", "Đăng ký thành lập hộ kinh doanh", "05/03/2026"} {
			if !strings.Contains(text, want) {
				t.Errorf("form 01 lacks %q:\n%s", want, text)
			}
		}
		// No apology yet: form 04 does not exist for this dossier.
		if _, err := print("04"); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("form 04 before any apology: %v", err)
		}
		f.act("tiepnhan", x.Code, dossier.ActForward, dossier.ActionInput{})
		f.act("chuyenvien", x.Code, dossier.ActRequestSupplement, dossier.ActionInput{Documents: []string{"Bản sao hợp đồng thuê nhà"}, Note: "Thiếu hợp đồng"})
		if text, err = print("02"); err != nil || !strings.Contains(text, "Bản sao hợp đồng thuê nhà") {
			t.Fatalf("form 02: %v\n%s", err, text)
		}
		f.act("tiepnhan", x.Code, dossier.ActSupplement, dossier.ActionInput{})
		f.clock.Set(at(2026, 3, 5, 16, 0))
		f.act("lanhdao", x.Code, dossier.ActApologise, dossier.ActionInput{Note: "Chờ xác minh thực địa", NewDueDate: "2026-03-12"})
		if text, err = print("04"); err != nil || !strings.Contains(text, "Chờ xác minh thực địa") || !strings.Contains(text, "12/03/2026") {
			t.Fatalf("form 04: %v\n%s", err, text)
		}
		f.act("chuyenvien", x.Code, dossier.ActSubmit, dossier.ActionInput{})
		f.act("lanhdao", x.Code, dossier.ActApprove, dossier.ActionInput{})
		f.act("vanthu", x.Code, dossier.ActIssue, dossier.ActionInput{})
		text, err = print("06")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", "Thẩm định hồ sơ", "Phê duyệt", "Cán bộ chuyenvien", "Trễ hạn"} {
			if !strings.Contains(text, want) {
				t.Errorf("form 06 lacks %q:\n%s", want, text)
			}
		}
		var buf bytes.Buffer
		if err := f.svc.Register(ctx, f.actors["lanhdao"], dossier.Filter{}, &buf); err != nil {
			t.Fatal(err)
		}
		book, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatalf("the register is not a workbook: %v", err)
		}
		rows, err := book.GetRows("Sổ theo dõi")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range rows {
			found = found || strings.Contains(strings.Join(r, "|"), x.Code)
		}
		if !found {
			t.Errorf("the register lacks %s", x.Code)
		}
	})
}
