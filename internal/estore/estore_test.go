package estore_test

import (
	"bytes"
	"image/jpeg"
	"testing"
	"time"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/estore"
)

// processToEnd takes a received dossier through review, approval and issue,
// the clerk attaching the result on the way.
func (f *fixture) processToEnd(code string, result []byte) dossier.Dossier {
	f.t.Helper()
	f.act("tiepnhan", code, dossier.ActForward)
	f.act("chuyenvien", code, dossier.ActSubmit)
	f.act("lanhdao", code, dossier.ActApprove)
	f.attach("vanthu", code, dossier.KindResult, "Giấy khai sinh", "giay-khai-sinh.pdf", result)
	return f.act("vanthu", code, dossier.ActIssue)
}

// TestStoreFillsFromDossiersOnce follows an online dossier: the papers the
// citizen sent land in their store when an official accepts the dossier, a
// paper scanned later follows with the next step, the result lands when it
// is issued — each exactly once, however many changes follow.
func TestStoreFillsFromDossiersOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		x := f.mustFile("an")
		f.attach("an", x.Code, dossier.KindAttachment, "Tờ khai đăng ký khai sinh", "to-khai.pdf", pdf("to khai"))
		f.attach("an", x.Code, dossier.KindAttachment, "Giấy chứng sinh", "chung-sinh.pdf", pdf("chung sinh"))
		if n := len(f.items("an", estore.Filter{})); n != 0 {
			t.Fatalf("papers of a dossier nobody accepted are in the store: %d", n)
		}

		f.clock.Set(at(2026, 3, 2, 9, 0))
		f.act("tiepnhan", x.Code, dossier.ActAccept)
		comps := f.byKind("an", estore.KindComponent)
		if len(comps) != 2 {
			t.Fatalf("%d components after acceptance, want 2", len(comps))
		}
		byDoc := map[string]estore.Item{}
		for _, c := range comps {
			byDoc[c.Document] = c
		}
		c := byDoc["Giấy chứng sinh"]
		if c.DossierCode != x.Code || c.FileName != "chung-sinh.pdf" || c.ContentType != "application/pdf" || c.AgencyID != f.agencies["ward"] {
			t.Errorf("component as stored: %+v", c)
		}
		if byDoc["Tờ khai đăng ký khai sinh"].ID == "" {
			t.Errorf("the form is not in the store: %+v", comps)
		}

		// The receiver scans one more paper after receipt: it follows with
		// the next step an official takes.
		f.attach("tiepnhan", x.Code, dossier.KindAttachment, "Giấy tờ tùy thân", "cccd.pdf", pdf("cccd"))
		f.clock.Set(at(2026, 3, 2, 10, 0))
		f.processToEnd(x.Code, pdf("ket qua"))
		if n := len(f.byKind("an", estore.KindComponent)); n != 3 {
			t.Errorf("%d components after processing, want 3", n)
		}
		results := f.byKind("an", estore.KindResult)
		if len(results) != 1 {
			t.Fatalf("%d results after issue, want 1", len(results))
		}
		r := results[0]
		if r.Document != "Giấy khai sinh" || r.Issuer != f.names["ward"] || r.IssuedOn == nil || *r.IssuedOn != (calendar.Date{Year: 2026, Month: 3, Day: 2}) ||
			r.DossierCode != x.Code || r.Validity != estore.Permanent {
			t.Errorf("result as stored: %+v", r)
		}
		if f.auditCount("estore.receive", "estore_item", r.ID, "system:estore") != 1 {
			t.Errorf("the result's arrival is not in the audit log")
		}

		// Returning the result, and the same change heard again, add nothing.
		f.act("tiepnhan", x.Code, dossier.ActReturn)
		v, err := f.dos.Get(ctx, f.actors["system"], x.Code)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Tx(ctx, func(tx *db.Tx) error {
			return f.store.DossierChanged(ctx, tx, &v.Dossier, v.Events[len(v.Events)-1])
		}); err != nil {
			t.Fatal(err)
		}
		if n := len(f.items("an", estore.Filter{})); n != 4 {
			t.Errorf("%d items after return and a repeated change, want 4 (3 components, 1 result)", n)
		}
	})
}

// TestNoStoreWithoutApplicantAccount: a dossier received at the counter
// for a person without an account fills no store, nor does one linked to
// someone else's account, nor a refused one.
func TestNoStoreWithoutApplicantAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		x, err := f.dos.Create(ctx, f.actors["tiepnhan"], dossier.CreateInput{ProcedureID: "p3", Channel: dossier.Counter, Applicant: f.applicant("an")})
		if err != nil {
			t.Fatal(err)
		}
		f.attach("tiepnhan", x.Code, dossier.KindAttachment, "Giấy chứng sinh", "cs.pdf", pdf("counter"))
		f.processToEnd(x.Code, pdf("counter result"))
		var n int
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM estore_items").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d items from a dossier without an applicant account", n)
		}

		// A counter dossier linked to an account fills that store only when
		// the account is the applicant's own.
		for _, c := range []struct {
			who   string
			items int
		}{{"binh", 0}, {"an", 2}} {
			z, err := f.dos.Create(ctx, f.actors["tiepnhan"], dossier.CreateInput{ProcedureID: "p3", Channel: dossier.Counter,
				Applicant: func() dossier.Applicant { a := f.applicant("an"); a.UserID = f.actors[c.who].UserID; return a }()})
			if err != nil {
				t.Fatal(err)
			}
			f.attach("tiepnhan", z.Code, dossier.KindAttachment, "Giấy chứng sinh", "cs.pdf", pdf("counter "+c.who))
			f.processToEnd(z.Code, pdf("counter result "+c.who))
			if n := len(f.items(c.who, estore.Filter{})); n != c.items {
				t.Errorf("a counter dossier of An's linked to %s's account: %d items in that store, want %d", c.who, n, c.items)
			}
		}

		y := f.mustFile("binh")
		f.attach("binh", y.Code, dossier.KindAttachment, "Giấy chứng sinh", "cs.pdf", pdf("refused"))
		if _, err := f.dos.Act(ctx, f.actors["tiepnhan"], y.Code, dossier.ActRefuse, dossier.ActionInput{Note: "Sai thủ tục"}); err != nil {
			t.Fatal(err)
		}
		if n := len(f.items("binh", estore.Filter{})); n != 0 {
			t.Errorf("a refused dossier's papers are in the store: %d", n)
		}
	})
}

// TestReuseFromStore: a second dossier filed with a paper of the store
// records the reuse on both sides; another owner's item and an expired one
// are refused and nothing is filed.
func TestReuseFromStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		x := f.mustFile("an")
		f.act("tiepnhan", x.Code, dossier.ActAccept)
		f.processToEnd(x.Code, pdf("ket qua khai sinh"))
		result := f.byKind("an", estore.KindResult)[0]

		f.clock.Set(at(2026, 3, 10, 9, 0))
		y := f.mustFile("an", result.ID)
		v, err := f.dos.Get(ctx, f.actors["system"], y.Code)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Files) != 1 || v.Files[0].Source != "estore" || v.Files[0].StoreItemID != result.ID || v.Files[0].SHA256 != result.SHA256 ||
			v.Files[0].Document != "Giấy khai sinh" {
			t.Fatalf("files of the dossier that reused the result: %+v", v.Files)
		}
		var source string
		if err := d.QueryRow(ctx, "SELECT source FROM dossier_files WHERE dossier_id = ?", y.ID).Scan(&source); err != nil || source != "estore" {
			t.Errorf("dossier_files.source = %q (%v), want estore", source, err)
		}
		got, err := f.store.Get(ctx, f.actors["an"], result.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Item.UseCount != 1 || got.Item.LastUsedAt == nil || len(got.Uses) != 1 || got.Uses[0].DossierCode != y.Code ||
			got.Uses[0].ProcedureName != "Đăng ký khai sinh" || !got.Uses[0].UsedAt.Equal(at(2026, 3, 10, 9, 0)) {
			t.Errorf("the use is not recorded: %+v", got)
		}

		// Another citizen cannot take An's result; nothing is filed.
		var before int
		d.QueryRow(ctx, "SELECT COUNT(*) FROM dossiers").Scan(&before)
		_, err = f.file("binh", result.ID)
		wantCode(t, "another owner's item", err, apperr.NotFound)
		if apperr.FieldsOf(err)["from_store"] == "" {
			t.Errorf("the refusal is not about from_store: %v", err)
		}
		var after int
		d.QueryRow(ctx, "SELECT COUNT(*) FROM dossiers").Scan(&after)
		if after != before {
			t.Errorf("a dossier was filed with another owner's item")
		}
		// Take itself refuses it too.
		err = d.Tx(ctx, func(tx *db.Tx) error {
			_, err := f.store.Take(ctx, tx, f.actors["binh"].UserID, result.ID)
			return err
		})
		wantCode(t, "Take of another owner's item", err, apperr.NotFound)

		// An expired paper is refused; one valid until today is not.
		old := f.add("an", "Căn cước công dân", "2026-03-09", "cccd-cu.pdf", pdf("cccd cu"))
		_, err = f.file("an", old.ID)
		wantCode(t, "expired item", err, apperr.Invalid)
		if msg := apperr.FieldsOf(err)["from_store"]; !contains(msg, "hết hiệu lực", "09/03/2026") {
			t.Errorf("message for an expired paper: %q", msg)
		}
		today := f.add("an", "Căn cước công dân", "2026-03-10", "cccd.pdf", pdf("cccd"))
		f.mustFile("an", today.ID)
		// A deleted item cannot be taken.
		if err := f.store.Delete(ctx, f.actors["an"], today.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.file("an", today.ID)
		wantCode(t, "deleted item", err, apperr.NotFound)
	})
}

// TestOfficialsSeeOnlyItemsOfTheirDossiers: officials of the agency that
// handled the dossier and province-wide roles read an item of it (each read
// audited); an official of an unrelated agency cannot; nobody but the owner
// lists a store or sees an item that belongs to no dossier.
func TestOfficialsSeeOnlyItemsOfTheirDossiers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		x := f.mustFile("an")
		f.attach("an", x.Code, dossier.KindAttachment, "Giấy chứng sinh", "cs.pdf", pdf("cs"))
		f.act("tiepnhan", x.Code, dossier.ActAccept)
		item := f.byKind("an", estore.KindComponent)[0]
		own := f.add("an", "Sổ hộ khẩu", "", "so-ho-khau.pdf", pdf("sohokhau"))

		for _, who := range []string{"chuyenvien", "quansat"} {
			v, err := f.store.Get(ctx, f.actors[who], item.ID)
			if err != nil {
				t.Fatalf("%s cannot read an item of a dossier they may read: %v", who, err)
			}
			if v.Shares != nil {
				t.Errorf("%s sees the owner's share links", who)
			}
			if f.auditCount(audit.ActionReadPersonal, "estore_item", item.ID, f.actors[who].UserID) != 1 {
				t.Errorf("the read by %s is not audited", who)
			}
		}
		_, data, err := f.store.Content(ctx, f.actors["tiepnhan"], item.ID)
		if err != nil || !bytes.Equal(data, pdf("cs")) {
			t.Fatalf("the receiver cannot download the paper: %v", err)
		}
		if f.auditCount(audit.ActionReadPersonal, "estore_item", item.ID, f.actors["tiepnhan"].UserID) != 1 {
			t.Errorf("the download by the receiver is not audited")
		}

		_, err = f.store.Get(ctx, f.actors["khac"], item.ID)
		wantCode(t, "official of another agency", err, apperr.Forbidden)
		_, _, err = f.store.Content(ctx, f.actors["khac"], item.ID)
		wantCode(t, "download by an official of another agency", err, apperr.Forbidden)
		for _, who := range []string{"tiepnhan", "quansat"} {
			_, err = f.store.Get(ctx, f.actors[who], own.ID)
			wantCode(t, who+" reading an item of no dossier", err, apperr.Forbidden)
			_, err = f.store.List(ctx, f.actors[who], estore.Filter{})
			wantCode(t, who+" listing a store", err, apperr.Forbidden)
		}
		_, err = f.store.Get(ctx, f.actors["binh"], item.ID)
		wantCode(t, "another citizen", err, apperr.NotFound)
		_, err = f.store.Get(ctx, nil, item.ID)
		wantCode(t, "anonymous", err, apperr.Unauthorized)
		if n := len(f.items("binh", estore.Filter{})); n != 0 {
			t.Errorf("Bình sees %d items of An's", n)
		}
		if f.auditCount(audit.ActionReadPersonal, "estore_item", item.ID, f.actors["khac"].UserID) != 0 {
			t.Errorf("a refused read is recorded as a read")
		}

		// Once the owner deletes it, the item is gone from the store but the
		// dossier it belongs to still shows it to its officials.
		if err := f.store.Delete(ctx, f.actors["an"], item.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.store.Get(ctx, f.actors["an"], item.ID)
		wantCode(t, "owner reading a deleted item", err, apperr.NotFound)
		if _, err := f.store.Get(ctx, f.actors["chuyenvien"], item.ID); err != nil {
			t.Errorf("the dossier's official lost the deleted item: %v", err)
		}
	})
}

// TestShares: a link works for anyone until it expires or is revoked, every
// access counted; its token is kept only hashed.
func TestShares(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		it := f.add("an", "Bằng tốt nghiệp đại học", "", "bang.pdf", pdf("bang"))
		ns, err := f.store.Share(ctx, f.actors["an"], it.ID, estore.ShareInput{Days: 2, Label: "Ngân hàng Vietcombank"})
		if err != nil {
			t.Fatal(err)
		}
		if ns.URL != "https://dichvucong.hatinh.example/api/v1/estore/shared/"+ns.Token || len(ns.Token) != 43 {
			t.Errorf("link %q", ns.URL)
		}
		var n int
		d.QueryRow(ctx, "SELECT COUNT(*) FROM estore_shares WHERE token_hash = ?", ns.Token).Scan(&n)
		if n != 0 {
			t.Errorf("the token is stored in clear")
		}
		for i := 0; i < 2; i++ {
			got, data, err := f.store.Shared(ctx, ns.Token)
			if err != nil || got.ID != it.ID || !bytes.Equal(data, pdf("bang")) {
				t.Fatalf("download %d through the link: %v", i+1, err)
			}
		}
		v, _ := f.store.Get(ctx, f.actors["an"], it.ID)
		if len(v.Shares) != 1 || v.Shares[0].AccessCount != 2 || v.Shares[0].LastAccessAt == nil || !v.Shares[0].Active ||
			v.Shares[0].Label != "Ngân hàng Vietcombank" {
			t.Errorf("share as the owner sees it: %+v", v.Shares)
		}

		// Expiry.
		f.clock.Advance(48*time.Hour - time.Minute)
		if _, _, err := f.store.Shared(ctx, ns.Token); err != nil {
			t.Fatalf("the link stopped before its time: %v", err)
		}
		f.clock.Advance(2 * time.Minute)
		_, _, err = f.store.Shared(ctx, ns.Token)
		wantCode(t, "expired link", err, apperr.NotFound)
		v, _ = f.store.Get(ctx, f.actors["an"], it.ID)
		if v.Shares[0].AccessCount != 3 || v.Shares[0].Active {
			t.Errorf("after expiry: %+v", v.Shares[0])
		}

		// Revocation.
		ns2, err := f.store.Share(ctx, f.actors["an"], it.ID, estore.ShareInput{})
		if err != nil {
			t.Fatal(err)
		}
		if got := ns2.Share.ExpiresAt.Sub(ns2.Share.CreatedAt); got != 7*24*time.Hour {
			t.Errorf("default link lasts %v, want 7 days", got)
		}
		if _, _, err := f.store.Shared(ctx, ns2.Token); err != nil {
			t.Fatal(err)
		}
		_, err = f.store.RevokeShare(ctx, f.actors["binh"], it.ID, ns2.Share.ID)
		wantCode(t, "revoke by someone else", err, apperr.NotFound)
		sh, err := f.store.RevokeShare(ctx, f.actors["an"], it.ID, ns2.Share.ID)
		if err != nil || sh.RevokedAt == nil || sh.Active {
			t.Fatalf("revoke: %+v %v", sh, err)
		}
		_, _, err = f.store.Shared(ctx, ns2.Token)
		wantCode(t, "revoked link", err, apperr.NotFound)

		// Deleting the item stops its links.
		ns3, _ := f.store.Share(ctx, f.actors["an"], it.ID, estore.ShareInput{Days: 30})
		if err := f.store.Delete(ctx, f.actors["an"], it.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err = f.store.Shared(ctx, ns3.Token)
		wantCode(t, "link of a deleted item", err, apperr.NotFound)

		// Limits and other people.
		other := f.add("an", "Giấy phép lái xe", "", "gplx.pdf", pdf("gplx"))
		_, err = f.store.Share(ctx, f.actors["an"], other.ID, estore.ShareInput{Days: 31})
		wantCode(t, "a 31-day link", err, apperr.Invalid)
		_, err = f.store.Share(ctx, f.actors["binh"], other.ID, estore.ShareInput{Days: 1})
		wantCode(t, "sharing another's item", err, apperr.NotFound)
		_, err = f.store.Share(ctx, f.actors["tiepnhan"], other.ID, estore.ShareInput{Days: 1})
		wantCode(t, "an official sharing", err, apperr.Forbidden)
		for _, bad := range []string{"", "x", ns.Token[:42] + "!", ns.Token + "A"} {
			_, _, err = f.store.Shared(ctx, bad)
			wantCode(t, "bad token "+bad, err, apperr.NotFound)
		}
		if f.auditCount("estore.share", "estore_item", other.ID, f.actors["an"].UserID) != 0 ||
			f.auditCount("estore.share", "estore_item", it.ID, f.actors["an"].UserID) != 3 ||
			f.auditCount("estore.share.revoke", "estore_item", it.ID, f.actors["an"].UserID) != 1 {
			t.Errorf("share changes are not audited as they happened")
		}
	})
}

// TestUploadsComeOutClean: a photo with GPS in its EXIF is stored without
// it, same size; a file that is not PDF, JPEG or PNG is refused.
func TestUploadsComeOutClean(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		photo := photoWithGPS(t, 60, 40)
		if !bytes.Contains(photo, gpsMarker) {
			t.Fatal("the test photo has no GPS data")
		}
		it := f.add("an", "Ảnh chụp giấy khai sinh", "", "IMG_0001.JPEG", photo)
		if it.FileName != "IMG_0001.jpg" || it.ContentType != "image/jpeg" {
			t.Errorf("stored as %q, %s", it.FileName, it.ContentType)
		}
		_, data, err := f.store.Content(ctx, f.actors["an"], it.ID)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, gpsMarker) || bytes.Contains(data, []byte("Exif")) || bytes.Contains(data, []byte{0xFF, 0xE1}) {
			t.Errorf("the stored photo still carries its EXIF")
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width != 60 || cfg.Height != 40 {
			t.Errorf("stored photo: %v, %d×%d", err, cfg.Width, cfg.Height)
		}
		var blobs int
		d.QueryRow(ctx, "SELECT COUNT(*) FROM blobs WHERE data = ?", photo).Scan(&blobs)
		if blobs != 0 {
			t.Errorf("the original photo reached the database")
		}

		doc := "Tệp lạ"
		_, err = f.store.Add(ctx, f.actors["an"], estore.Meta{Document: &doc}, "virus.pdf", bytes.NewReader([]byte("MZ\x90\x00 not a pdf")))
		wantCode(t, "an executable", err, apperr.Invalid)
		if !contains(apperr.FieldsOf(err)["file"], "chương trình") {
			t.Errorf("message: %v", err)
		}
		_, err = f.store.Add(ctx, f.actors["an"], estore.Meta{}, "a.pdf", bytes.NewReader(pdf("a")))
		wantCode(t, "no document name", err, apperr.Invalid)
		if apperr.FieldsOf(err)["document"] == "" {
			t.Errorf("the refusal is not about the document name: %v", err)
		}
		_, err = f.store.Add(ctx, f.actors["an"], estore.Meta{}, "a.exe", bytes.NewReader([]byte("MZ")))
		if fields := apperr.FieldsOf(err); fields["document"] == "" || fields["file"] == "" {
			t.Errorf("a nameless executable: not both problems named: %v", fields)
		}
		_, err = f.store.Add(ctx, f.actors["tiepnhan"], estore.Meta{Document: &doc}, "a.pdf", bytes.NewReader(pdf("a")))
		wantCode(t, "an official's upload", err, apperr.Forbidden)
		if f.auditCount("estore.upload", "estore_item", it.ID, f.actors["an"].UserID) != 1 {
			t.Errorf("the upload is not audited")
		}
	})
}

func TestQuota(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		one := int64(len(pdf("quota 1")))
		f := setupWith(t, d, estore.Config{Quota: 2*one + 10})
		f.add("an", "Một", "", "1.pdf", pdf("quota 1"))
		second := f.add("an", "Hai", "", "2.pdf", pdf("quota 2"))
		doc := "Ba"
		_, err := f.store.Add(ctx, f.actors["an"], estore.Meta{Document: &doc}, "3.pdf", bytes.NewReader(pdf("quota 3")))
		wantCode(t, "over the quota", err, apperr.Invalid)
		if !contains(apperr.MessageOf(err), "xóa bớt") {
			t.Errorf("message %q", apperr.MessageOf(err))
		}
		// Another owner has their own quota; deleting frees space.
		f.add("binh", "Ba", "", "3.pdf", pdf("quota 3"))
		if err := f.store.Delete(ctx, f.actors["an"], second.ID); err != nil {
			t.Fatal(err)
		}
		f.add("an", "Ba", "", "3.pdf", pdf("quota 3"))
	})
}

// TestListSearchAndEdit: search ignores diacritics, filters by kind and
// validity; the owner edits their uploads, renames a result but cannot change
// who issued it.
func TestListSearchAndEdit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		x := f.mustFile("an")
		f.act("tiepnhan", x.Code, dossier.ActAccept)
		f.processToEnd(x.Code, pdf("kq"))
		result := f.byKind("an", estore.KindResult)[0]
		f.clock.Advance(time.Minute)
		f.add("an", "Căn cước công dân", "2026-03-20", "cccd.pdf", pdf("cccd"))
		f.clock.Advance(time.Minute)
		f.add("an", "Đăng ký xe máy", "2025-12-31", "dkx.pdf", pdf("dkx"))
		f.clock.Advance(time.Minute)
		f.add("an", "Hộ chiếu", "2030-01-01", "hc.pdf", pdf("hc"))
		f.add("hoasen", "Giấy chứng nhận đăng ký doanh nghiệp", "", "gcn.pdf", pdf("gcn"))

		names := func(list []estore.Item) string {
			var b bytes.Buffer
			for _, it := range list {
				b.WriteString(it.Document + "|")
			}
			return b.String()
		}
		for _, c := range []struct {
			filter estore.Filter
			want   string
		}{
			{estore.Filter{Query: "CAN CUOC"}, "Căn cước công dân|"},
			{estore.Filter{Query: "dang ky"}, "Đăng ký xe máy|"},
			{estore.Filter{Query: "thanh sen"}, "Giấy khai sinh|"}, // the issuer
			{estore.Filter{Query: "50%"}, ""},
			{estore.Filter{Validity: estore.Expired}, "Đăng ký xe máy|"},
			{estore.Filter{Validity: estore.Expiring}, "Căn cước công dân|"},
			{estore.Filter{Validity: estore.Valid}, "Hộ chiếu|"},
			{estore.Filter{Validity: estore.Permanent}, "Giấy khai sinh|"},
			{estore.Filter{Kind: estore.KindResult}, "Giấy khai sinh|"},
			{estore.Filter{Reusable: true}, "Hộ chiếu|Căn cước công dân|Giấy khai sinh|"},
			{estore.Filter{Kind: estore.KindUpload, Limit: 2}, "Hộ chiếu|Đăng ký xe máy|"},
		} {
			if got := names(f.items("an", c.filter)); got != c.want {
				t.Errorf("list %+v = %q, want %q", c.filter, got, c.want)
			}
		}
		page := f.items("an", estore.Filter{Kind: estore.KindUpload, Limit: 2})
		if got := names(f.items("an", estore.Filter{Kind: estore.KindUpload, After: estore.Cursor(page[1])})); got != "Căn cước công dân|" {
			t.Errorf("next page = %q", got)
		}
		if got := names(f.items("hoasen", estore.Filter{})); got != "Giấy chứng nhận đăng ký doanh nghiệp|" {
			t.Errorf("the organisation's store = %q", got)
		}
		_, err := f.store.List(ctx, f.actors["an"], estore.Filter{Validity: "soon"})
		wantCode(t, "bad validity", err, apperr.Invalid)

		// Edit an upload.
		up := f.items("an", estore.Filter{Query: "ho chieu"})[0]
		issuer, issued, until := "Cục Quản lý xuất nhập cảnh", "2020-01-02", ""
		got, err := f.store.Update(ctx, f.actors["an"], up.ID, estore.Meta{Issuer: &issuer, IssuedOn: &issued, ValidUntil: &until, Version: up.Version})
		if err != nil {
			t.Fatal(err)
		}
		if got.Issuer != issuer || got.IssuedOn.String() != "2020-01-02" || got.ValidUntil != nil || got.Validity != estore.Permanent ||
			got.Document != "Hộ chiếu" || got.Version != up.Version+1 {
			t.Errorf("after edit: %+v", got)
		}
		if len(f.items("an", estore.Filter{Query: "xuat nhap canh"})) != 1 {
			t.Errorf("the new issuer is not searchable")
		}
		_, err = f.store.Update(ctx, f.actors["an"], up.ID, estore.Meta{Issuer: &issuer, Version: up.Version})
		wantCode(t, "stale version", err, apperr.Conflict)
		future, bad := "2026-04-01", "2026-02-30"
		_, err = f.store.Update(ctx, f.actors["an"], up.ID, estore.Meta{IssuedOn: &future})
		wantCode(t, "issued in the future", err, apperr.Invalid)
		_, err = f.store.Update(ctx, f.actors["an"], up.ID, estore.Meta{ValidUntil: &bad})
		wantCode(t, "no such day", err, apperr.Invalid)
		before := "2019-01-01"
		_, err = f.store.Update(ctx, f.actors["an"], up.ID, estore.Meta{ValidUntil: &before})
		wantCode(t, "ends before it was issued", err, apperr.Invalid)
		_, err = f.store.Update(ctx, f.actors["binh"], up.ID, estore.Meta{Issuer: &issuer})
		wantCode(t, "someone else's item", err, apperr.NotFound)

		// A result: renamed and given a validity, but not a new issuer.
		name, valid := "Giấy khai sinh (bản chính)", "2099-12-31"
		got, err = f.store.Update(ctx, f.actors["an"], result.ID, estore.Meta{Document: &name, ValidUntil: &valid})
		if err != nil || got.Document != name || got.Issuer != f.names["ward"] {
			t.Errorf("rename a result: %+v %v", got, err)
		}
		other := "Tự khai"
		_, err = f.store.Update(ctx, f.actors["an"], result.ID, estore.Meta{Issuer: &other})
		wantCode(t, "new issuer for a result", err, apperr.Invalid)
		if apperr.FieldsOf(err)["issuer"] == "" {
			t.Errorf("not about the issuer: %v", err)
		}
		same := f.names["ward"]
		if _, err := f.store.Update(ctx, f.actors["an"], result.ID, estore.Meta{Issuer: &same}); err != nil {
			t.Errorf("sending the issuer unchanged: %v", err)
		}
		if f.auditCount("estore.update", "estore_item", result.ID, f.actors["an"].UserID) != 2 {
			t.Errorf("edits are not audited")
		}
	})
}
