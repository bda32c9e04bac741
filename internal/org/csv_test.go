package org_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/org"
)

const csvHeader = "ma_dinh_danh,ten,ten_viet_tat,loai,ma_cap_tren,ma_don_vi_hanh_chinh,dia_chi,dien_thoai,email,ngung_hoat_dong"

func (f *orgFixture) export(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	if err := f.org.ExportCSV(f.ctx, &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func (f *orgFixture) importCSV(t *testing.T, by *actor.Actor, text string) (org.ImportResult, error) {
	t.Helper()
	return f.org.ImportCSV(f.ctx, by, strings.NewReader(text))
}

// seedProvince creates a small province: the provincial committee, two
// departments with subordinate units, the service centre and a branch, a
// ward committee, and a retired department with a retired unit.
func (f *orgFixture) seedProvince(t *testing.T) map[string]org.Agency {
	t.Helper()
	f.loadUnits(t)
	out := map[string]org.Agency{}
	add := func(key string, in org.AgencyInput, parent string) {
		t.Helper()
		if parent != "" {
			in.ParentID = out[parent].ID
		}
		out[key] = f.agency(t, in)
	}
	add("ubnd", org.AgencyInput{Code: "000.00.00.H30", Name: "Ủy ban nhân dân thành phố Cần Thơ", ShortName: "UBND TP", Kind: org.ProvinceCommittee,
		UnitID: "92@2025-07-01", Address: "Số 2 Hòa Bình, phường Ninh Kiều", Phone: "0292 3820 000", Email: "ubnd@cantho.gov.vn"}, "")
	add("stp", org.AgencyInput{Code: "000.00.15.H30", Name: `Sở Tư pháp, "cơ quan chuyên môn"`, ShortName: "STP", Kind: org.Department,
		Address: "Số 1, đường Trần Hưng Đạo;\nphường Vị Thanh"}, "ubnd")
	add("hctp", org.AgencyInput{Code: "000.01.15.H30", Name: "Phòng Hành chính tư pháp", Kind: org.Department}, "stp")
	add("syt", org.AgencyInput{Code: "000.00.16.H30", Name: "Sở Y tế", Kind: org.Department, Email: "syt@cantho.gov.vn"}, "ubnd")
	add("pasc", org.AgencyInput{Code: "000.00.20.H30", Name: "Trung tâm Phục vụ hành chính công", Kind: org.ServiceCentre}, "ubnd")
	add("branch", org.AgencyInput{Code: "000.01.20.H30", Name: "Chi nhánh Vị Thanh", Kind: org.ServiceBranch}, "pasc")
	add("ward", org.AgencyInput{Code: "000.00.31.H30", Name: "UBND phường Vị Thanh", Kind: org.CommuneCommittee, UnitID: "31321@2025-07-01"}, "ubnd")
	add("police", org.AgencyInput{Code: "000.00.00.G01", Name: "Công an thành phố", Kind: org.Vertical}, "")
	add("old", org.AgencyInput{Code: "000.00.40.H30", Name: "Sở Thông tin và Truyền thông", Kind: org.Department}, "ubnd")
	add("oldunit", org.AgencyInput{Code: "000.01.40.H30", Name: "Trung tâm Công nghệ thông tin", Kind: org.OtherKind}, "old")
	for _, k := range []string{"oldunit", "old"} {
		if err := f.org.RetireAgency(f.ctx, f.sys, out[k].ID, true); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestCSVExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		src := newOrgFixture(t, d)
		seeded := src.seedProvince(t)
		text := src.export(t)
		if !strings.HasPrefix(text, "\ufeff"+csvHeader+"\n") {
			t.Fatalf("export does not start with the BOM and header: %q", text[:min(len(text), 120)])
		}
		if !strings.Contains(text, "000.00.31.H30,UBND phường Vị Thanh,,commune_pc,000.00.00.H30,31321,") {
			t.Errorf("ward line missing or unit not written as its code:\n%s", text)
		}

		dst := newOrgFixture(t, dbtest.Open(t, d.Engine()))
		dst.loadUnits(t)
		res, err := dst.importCSV(t, dst.sys, text)
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		if res.Created != len(seeded) || res.Updated != 0 {
			t.Fatalf("import result %+v, want %d created", res, len(seeded))
		}
		if again := dst.export(t); again != text {
			t.Errorf("export after import differs:\n--- first\n%s\n--- second\n%s", text, again)
		}
		for key, want := range seeded {
			want = src.get(t, want.ID)
			got, err := dst.org.AgencyByCode(dst.ctx, want.Code)
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			parentCode := func(f *orgFixture, a org.Agency) string {
				if a.ParentID == "" {
					return ""
				}
				return f.get(t, a.ParentID).Code
			}
			if got.Name != want.Name || got.ShortName != want.ShortName || got.Kind != want.Kind || got.UnitID != want.UnitID ||
				got.Address != want.Address || got.Phone != want.Phone || got.Email != want.Email || got.Retired() != want.Retired() ||
				parentCode(dst, got) != parentCode(src, want) {
				t.Errorf("%s: imported %+v, want %+v", key, got, want)
			}
		}

		// Importing the same file again updates every agency and changes nothing else.
		res, err = dst.importCSV(t, dst.sys, text)
		if err != nil || res.Created != 0 || res.Updated != len(seeded) {
			t.Fatalf("second import: %+v, %v", res, err)
		}
		if again := dst.export(t); again != text {
			t.Errorf("export after a second import differs:\n%s", again)
		}
	})
}

func TestCSVImportWithBadLinesChangesNothing(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOrgFixture(t, d)
		existing := f.dept(t, "000.00.15.H30", "Sở Tư pháp", "")
		file := strings.Join([]string{
			csvHeader,
			"000.00.15.H30,Sở Tư pháp (đổi tên),,department,,,,,,",    // 2: fine (an update)
			"000.00.1.H30,Sở sai mã,,department,,,,,,",                // 3: bad identifier
			"000.01.15.H30,Phòng A,,department,000.00.99.H30,,,,,",    // 4: unknown parent
			"000.00.16.H30,Sở Y tế,,department,,,,,,",                 // 5: fine
			"000.00.16.H30,Sở Y tế (lần hai),,department,,,,,,",       // 6: duplicate code
			"000.00.17.H30,Sở Xây dựng,,department,,,,,,",             // 7: fine
			"000.01.17.H30,Phòng B,,department,000.00.17.H30,,,abc,,", // 8: bad phone
		}, "\n") + "\n"
		_, err := f.importCSV(t, f.sys, file)
		if !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("import: %v, want invalid", err)
		}
		msg := apperr.MessageOf(err)
		for _, line := range []int{3, 4, 6, 8} {
			if !strings.Contains(msg, fmt.Sprintf("dòng %d:", line)) || apperr.FieldsOf(err)[fmt.Sprintf("dòng %d", line)] == "" {
				t.Errorf("the error does not name line %d: %s", line, msg)
			}
		}
		for _, line := range []int{2, 5, 7} {
			if _, named := apperr.FieldsOf(err)[fmt.Sprintf("dòng %d", line)]; named {
				t.Errorf("the error names good line %d: %s", line, msg)
			}
		}
		for _, frag := range []string{"000.00.00.H00", "000.00.99.H30", "Số điện thoại"} {
			if !strings.Contains(msg, frag) {
				t.Errorf("the error does not mention %q: %s", frag, msg)
			}
		}
		if !strings.Contains(msg, "4 dòng lỗi") || strings.Index(msg, "dòng 3:") > strings.Index(msg, "dòng 8:") {
			t.Errorf("message %q: want 4 bad lines, in order", msg)
		}
		if n := f.count(t, "SELECT COUNT(*) FROM agencies"); n != 1 {
			t.Errorf("%d agencies after a failed import, want 1", n)
		}
		if got := f.get(t, existing.ID); got.Name != "Sở Tư pháp" || got.Version != 1 {
			t.Errorf("existing agency changed: %+v", got)
		}
		if n := f.count(t, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'agency.%'"); n != 1 {
			t.Errorf("%d agency audit entries, want the 1 creation", n)
		}
	})
}

func TestCSVRetirementsFollowTheHierarchy(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOrgFixture(t, d)
		// A retired department whose unit is still in operation is refused, naming the department's line.
		_, err := f.importCSV(t, f.sys, csvHeader+"\n"+
			"000.00.40.H30,Sở Thông tin và Truyền thông,,department,,,,,,2025-03-01\n"+
			"000.01.40.H30,Trung tâm Công nghệ thông tin,,other,000.00.40.H30,,,,,\n")
		if !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.MessageOf(err), "dòng 2: cơ quan ngừng hoạt động nhưng còn 1 đơn vị") {
			t.Fatalf("retired parent with an active child: %v", err)
		}
		if n := f.count(t, "SELECT COUNT(*) FROM agencies"); n != 0 {
			t.Fatalf("%d agencies after a refused import", n)
		}
		// Both retired is fine, in either order; so is bringing both back.
		retired := csvHeader + "\n" +
			"000.01.40.H30,Trung tâm Công nghệ thông tin,,other,000.00.40.H30,,,,,2025-03-01\n" +
			"000.00.40.H30,Sở Thông tin và Truyền thông,,department,,,,,,2025-03-01\n"
		if _, err := f.importCSV(t, f.sys, retired); err != nil {
			t.Fatal(err)
		}
		if all, _ := f.org.Agencies(f.ctx, org.AgencyFilter{IncludeRetired: true}); len(all) != 2 || !all[0].Retired() || !all[1].Retired() {
			t.Fatalf("after import: %+v", all)
		}
		active := csvHeader + "\n" +
			"000.01.40.H30,Trung tâm Công nghệ thông tin,,other,000.00.40.H30,,,,,\n" +
			"000.00.40.H30,Sở Thông tin và Truyền thông,,department,,,,,,\n"
		if _, err := f.importCSV(t, f.sys, active); err != nil {
			t.Fatal(err)
		}
		if all, _ := f.org.Agencies(f.ctx, org.AgencyFilter{}); len(all) != 2 {
			t.Fatalf("after reinstating: %+v", all)
		}
	})
}

func TestCSVParentsMayComeAfterChildren(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOrgFixture(t, d)
		file := csvHeader + "\r\n" +
			"001.01.15.H30,Tổ một cửa,,other,000.01.15.H30,,,,,\r\n" +
			"000.01.15.H30,Phòng Hành chính tư pháp,,department,000.00.15.H30,,,,,\r\n" +
			"000.00.15.H30,Sở Tư pháp,,department,,,,,,\r\n"
		res, err := f.importCSV(t, f.sys, file)
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 3 {
			t.Fatalf("result %+v", res)
		}
		team, _ := f.org.AgencyByCode(f.ctx, "001.01.15.H30")
		office, _ := f.org.AgencyByCode(f.ctx, "000.01.15.H30")
		dept, _ := f.org.AgencyByCode(f.ctx, "000.00.15.H30")
		if team.ParentID != office.ID || office.ParentID != dept.ID || dept.ParentID != "" || dept.ID == "" {
			t.Fatalf("parents wrong: %+v %+v %+v", team, office, dept)
		}
		// A parent that is nowhere is still an error, naming the line.
		_, err = f.importCSV(t, f.sys, csvHeader+"\n000.02.15.H30,Phòng mồ côi,,department,000.00.88.H30,,,,,\n")
		if !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.MessageOf(err), "dòng 2: không tìm thấy cơ quan cấp trên 000.00.88.H30") {
			t.Fatalf("orphan: %v", err)
		}
	})
}

func TestCSVWithBOMAndVietnameseText(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOrgFixture(t, d)
		// As a spreadsheet saves it: a BOM, every field quoted, Windows line ends,
		// columns in another order, and names typed with combining marks (NFD).
		nfd := "Trung ta\u0302m Đa\u0306ng kie\u0302\u0309m"
		file := "\ufeff\"ten\",\"ma_dinh_danh\",\"loai\",\"dia_chi\"\r\n" +
			"\"" + nfd + "\",\"000.00.21.H30\",\"other\",\"Khu vực 4, phường Hưng Lợi\"\r\n" +
			"\"Sở Nông nghiệp và Môi trường\",\"000.00.22.h30\",\"department\",\"Ấp Thạnh Lợi, xã Ô Môn\"\r\n"
		res, err := f.importCSV(t, f.sys, file)
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 2 {
			t.Fatalf("result %+v", res)
		}
		a, err := f.org.AgencyByCode(f.ctx, "000.00.21.H30")
		if err != nil {
			t.Fatal(err)
		}
		if a.Name != "Trung tâm Đăng kiểm" || a.Address != "Khu vực 4, phường Hưng Lợi" {
			t.Fatalf("stored %+v", a)
		}
		text := f.export(t)
		want := "\ufeff" + csvHeader + "\n" +
			"000.00.21.H30,Trung tâm Đăng kiểm,,other,,,\"Khu vực 4, phường Hưng Lợi\",,,\n" +
			"000.00.22.H30,Sở Nông nghiệp và Môi trường,,department,,,\"Ấp Thạnh Lợi, xã Ô Môn\",,,\n"
		if text != want {
			t.Fatalf("export:\n%q\nwant\n%q", text, want)
		}
		// The same file again matches the agencies, lower-case code included.
		if res, err := f.importCSV(t, f.sys, file); err != nil || res.Created != 0 || res.Updated != 2 {
			t.Fatalf("second import: %+v, %v", res, err)
		}
		other := newOrgFixture(t, dbtest.Open(t, d.Engine()))
		if _, err := other.importCSV(t, other.sys, text); err != nil {
			t.Fatal(err)
		}
		if got := other.export(t); got != text {
			t.Fatalf("round trip:\n%q\nwant\n%q", got, text)
		}
	})
}

func TestCSVKeepsTheEditionOfAnOldUnit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOrgFixture(t, d)
		f.loadUnits(t)
		ward := f.agency(t, org.AgencyInput{Code: "000.00.31.H30", Name: "UBND phường Trúc Bạch", Kind: org.CommuneCommittee, UnitID: "00004@2025-07-01"})
		// Linked before the reorganisation to old commune 00004 (Phường Trúc Bạch), whose
		// code now belongs to Phường Ba Đình.
		if _, err := d.Exec(f.ctx, "UPDATE agencies SET unit_id = ? WHERE id = ?", "00004@2025-03-01", ward.ID); err != nil {
			t.Fatal(err)
		}
		text := f.export(t)
		if !strings.Contains(text, ",00004@2025-03-01,") {
			t.Fatalf("old unit exported without its edition:\n%s", text)
		}
		if _, err := f.importCSV(t, f.sys, text); err != nil {
			t.Fatal(err)
		}
		if got := f.get(t, ward.ID); got.UnitID != "00004@2025-03-01" {
			t.Fatalf("re-import linked the agency to %s", got.UnitID)
		}
	})
}

func TestCSVImportOnlyByProvinceAdmins(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOrgFixture(t, d)
		dept := f.dept(t, "000.00.15.H30", "Sở Tư pháp", "")
		aa := f.official(t, "qt.so", grant{dept.ID, actor.AgencyAdmin})
		file := csvHeader + "\n000.00.16.H30,Sở Y tế,,department,,,,,,\n"
		_, err := f.importCSV(t, aa, file)
		wantCode(t, err, apperr.Forbidden)
		_, err = f.importCSV(t, nil, file)
		wantCode(t, err, apperr.Unauthorized)
		for _, bad := range []string{"", csvHeader + "\n", "ten,loai\nSở Y tế,department\n", "ma_dinh_danh,ten,loai\n\"000.00.16.H30,Sở Y tế,department\n"} {
			_, err := f.importCSV(t, f.sys, bad)
			wantCode(t, err, apperr.Invalid)
		}
		if n := f.count(t, "SELECT COUNT(*) FROM agencies"); n != 1 {
			t.Errorf("%d agencies, want 1", n)
		}
	})
}
