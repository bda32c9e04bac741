package catalog_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/catalog"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/org"
)

func TestCreateReadAndEditWithOptimisticLocking(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d, false)
		in := sample("1.004873", "Cấp Giấy xác nhận tình trạng hôn nhân")
		in.Name = "  " + norm.NFD.String(in.Name) + " " // decomposed, padded: stored NFC and trimmed
		p := f.create(in)
		if p.Version != 1 || !p.Active || p.Name != "Cấp Giấy xác nhận tình trạng hôn nhân" {
			t.Fatalf("created %+v", p)
		}
		got, err := f.svc.Get(ctx, nil, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.CutOff != "15:00" || len(got.Steps) != 4 || got.Steps[1].Budget != (calendar.Duration{N: 1, Unit: calendar.UnitWorkingDays}) ||
			got.Form.Fields[1].Type != catalog.TypeCitizenID || got.Fees[0].Amount != 15000 || !got.Documents[1].FromEStore {
			t.Fatalf("read back %+v", got)
		}
		if !got.CreatedAt.Equal(p.CreatedAt) {
			t.Errorf("created_at %v, want %v", got.CreatedAt, p.CreatedAt)
		}

		// Two officials open version 1; the first saves, the second is refused.
		first := got.Spec
		first.Fees[0].Amount = 20000
		saved, err := f.svc.Update(ctx, f.admin, p.ID, 1, first)
		if err != nil {
			t.Fatal(err)
		}
		if saved.Version != 2 || saved.Fees[0].Amount != 20000 {
			t.Fatalf("saved %+v", saved)
		}
		second := got.Spec
		second.Name = "Tên khác"
		_, err = f.svc.Update(ctx, f.admin, p.ID, 1, second)
		if !apperr.Is(err, apperr.Conflict) || !strings.Contains(apperr.MessageOf(err), "phiên bản hiện tại: 2") {
			t.Fatalf("stale edit: %v", err)
		}
		now, _ := f.svc.Get(ctx, nil, p.ID)
		if now.Name != saved.Name || now.Fees[0].Amount != 20000 || now.Version != 2 {
			t.Errorf("the stale edit changed the procedure: %+v", now)
		}
		if _, err := f.svc.Update(ctx, f.admin, "nope", 1, second); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("update of a missing procedure: %v", err)
		}

		// A bad edit is refused with the field, and changes nothing.
		bad := now.Spec
		bad.Steps[0].Budget.N = 3
		_, err = f.svc.Update(ctx, f.admin, p.ID, 2, bad)
		if !strings.Contains(apperr.FieldsOf(err)["steps"], "Tổng thời gian các bước") {
			t.Errorf("bad budgets: %v", apperr.FieldsOf(err))
		}

		// The national code is unique; so is the name of a procedure without one.
		if _, err := f.svc.Create(ctx, f.admin, sample("1.004873", "Trùng mã")); !strings.Contains(apperr.FieldsOf(err)["code"], "đã có") {
			t.Errorf("duplicate code: %v", err)
		}
		f.create(sample("", "Cấp phép bán lẻ rượu"))
		if _, err := f.svc.Create(ctx, f.admin, sample("", "CẤP PHÉP BÁN LẺ RƯỢU")); !strings.Contains(apperr.FieldsOf(err)["name"], "chưa có mã") {
			t.Errorf("duplicate uncoded name: %v", err)
		}
		if _, err := f.svc.Create(ctx, f.admin, sample("1.000001", "Cấp phép bán lẻ rượu")); err != nil {
			t.Errorf("the same name with a code is another procedure: %v", err)
		}
	})
}

func TestAuthorisation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d, false)
		active := f.create(sample("1.000001", "Thủ tục đang áp dụng"))
		retired := f.create(sample("1.000002", "Thủ tục đã ngừng"))
		if _, err := f.svc.SetActive(ctx, f.admin, retired.ID, false); err != nil {
			t.Fatal(err)
		}
		stp, stc := f.agencies["stp"].ID, f.agencies["stc"].ID

		// Anyone reads active procedures; inactive ones only officials.
		for _, who := range []*actor.Actor{nil, f.citizen, f.specialist} {
			if _, err := f.svc.Get(ctx, who, active.ID); err != nil {
				t.Errorf("%v cannot read an active procedure: %v", who, err)
			}
		}
		for _, who := range []*actor.Actor{nil, f.citizen} {
			if _, err := f.svc.Get(ctx, who, retired.ID); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("%v reads an inactive procedure: %v", who, err)
			}
			list, _ := f.svc.Search(ctx, who, catalog.Filter{IncludeInactive: true})
			if got := names(list); !slices.Equal(got, []string{"Thủ tục đang áp dụng"}) {
				t.Errorf("anonymous search lists %v", got)
			}
		}
		if _, err := f.svc.Get(ctx, f.specialist, retired.ID); err != nil {
			t.Errorf("an official cannot read an inactive procedure: %v", err)
		}

		// Only province admins edit.
		for _, c := range []struct {
			who  *actor.Actor
			code apperr.Code
		}{{nil, apperr.Unauthorized}, {f.citizen, apperr.Forbidden}, {f.specialist, apperr.Forbidden}, {f.stpAdmin, apperr.Forbidden}} {
			if _, err := f.svc.Create(ctx, c.who, sample("1.000003", "X")); apperr.CodeOf(err) != c.code {
				t.Errorf("create by %v: %v", c.who, err)
			}
			if _, err := f.svc.Update(ctx, c.who, active.ID, 1, active.Spec); apperr.CodeOf(err) != c.code {
				t.Errorf("update by %v: %v", c.who, err)
			}
			if _, err := f.svc.SetActive(ctx, c.who, active.ID, false); apperr.CodeOf(err) != c.code {
				t.Errorf("deactivate by %v: %v", c.who, err)
			}
			if _, err := f.svc.ImportJSON(ctx, c.who, strings.NewReader("[]")); apperr.CodeOf(err) != c.code {
				t.Errorf("import by %v: %v", c.who, err)
			}
		}

		// An agency admin adds and removes their own agency only.
		p, err := f.svc.AddAgency(ctx, f.stpAdmin, active.ID, stp)
		if err != nil || !slices.Equal(p.AgencyIDs, []string{stp}) {
			t.Fatalf("agency admin adds own agency: %v %v", p.AgencyIDs, err)
		}
		if _, err := f.svc.AddAgency(ctx, f.stpAdmin, active.ID, stc); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("agency admin adds another agency: %v", err)
		}
		if _, err := f.svc.SetAgencies(ctx, f.admin, active.ID, 0, []string{stp, stc}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RemoveAgency(ctx, f.stpAdmin, active.ID, stc); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("agency admin removes another agency: %v", err)
		}
		// A full set from an agency admin may differ only in their own agency.
		if _, err := f.svc.SetAgencies(ctx, f.stpAdmin, active.ID, 0, []string{stp}); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("agency admin drops another agency through the set: %v", err)
		}
		p, err = f.svc.SetAgencies(ctx, f.stpAdmin, active.ID, 0, []string{stc})
		if err != nil || !slices.Equal(p.AgencyIDs, []string{stc}) {
			t.Errorf("agency admin removes own agency: %v %v", p.AgencyIDs, err)
		}
		for _, who := range []*actor.Actor{f.specialist, f.citizen} {
			if _, err := f.svc.AddAgency(ctx, who, active.ID, stp); !apperr.Is(err, apperr.Forbidden) {
				t.Errorf("%s assigns an agency: %v", who.Username, err)
			}
		}
		if _, err := f.svc.AddAgency(ctx, nil, active.ID, stp); !apperr.Is(err, apperr.Unauthorized) {
			t.Errorf("anonymous assigns an agency: %v", err)
		}
		// Unknown and retired agencies are refused.
		if _, err := f.svc.AddAgency(ctx, f.admin, active.ID, "khongco"); !strings.Contains(apperr.FieldsOf(err)["agency_ids"], "Không tìm thấy") {
			t.Errorf("unknown agency: %v", err)
		}
		if err := f.org.RetireAgency(ctx, f.sys, f.agencies["congan"].ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddAgency(ctx, f.admin, active.ID, f.agencies["congan"].ID); !strings.Contains(apperr.FieldsOf(err)["agency_ids"], "ngừng hoạt động") {
			t.Errorf("retired agency: %v", err)
		}
		// The version guards a full set, too.
		cur, _ := f.svc.Get(ctx, nil, active.ID)
		if _, err := f.svc.SetAgencies(ctx, f.admin, active.ID, cur.Version-1, []string{}); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("stale agency set: %v", err)
		}
	})
}

func TestEveryChangeIsAudited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d, false)
		p := f.create(sample("1.000001", "Thủ tục"))
		p, _ = f.svc.Update(ctx, f.admin, p.ID, p.Version, p.Spec)
		_, _ = f.svc.SetActive(ctx, f.admin, p.ID, false)
		_, _ = f.svc.SetActive(ctx, f.admin, p.ID, false) // no change, no entry
		_, _ = f.svc.SetActive(ctx, f.admin, p.ID, true)
		_, _ = f.svc.AddAgency(ctx, f.stpAdmin, p.ID, f.agencies["stp"].ID)
		entries, err := f.log.List(ctx, f.admin, audit.Filter{ObjectType: "procedure", ObjectID: p.ID})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
		}
		want := []string{"procedure.agencies", "procedure.activate", "procedure.deactivate", "procedure.update", "procedure.create"}
		if !slices.Equal(actions, want) {
			t.Errorf("audit %v, want %v", actions, want)
		}
		if entries[0].AgencyID != f.agencies["stp"].ID || entries[0].ActorID != "u-stp-admin" {
			t.Errorf("agency change recorded for %s by %s", entries[0].AgencyID, entries[0].ActorID)
		}
		if rep, err := f.log.Verify(ctx); err != nil || rep.Problem != nil {
			t.Errorf("audit chain: %v %+v", err, rep.Problem)
		}
	})
}

func TestSearchIgnoresDiacriticsCaseAndD(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d, false)
		mk := func(code, name, field string, level catalog.Level, online catalog.OnlineLevel) catalog.Procedure {
			s := sample(code, name)
			s.Field, s.Level, s.OnlineLevel = field, level, online
			return f.create(s)
		}
		khaiSinh := mk("1.001193", "Đăng ký khai sinh", "Hộ tịch", catalog.LevelCommune, catalog.OnlineFull)
		mk("1.000894", "Đăng ký kết hôn", "Hộ tịch", catalog.LevelCommune, catalog.OnlinePartial)
		mk("1.000689", "Đăng ký khai sinh kết hợp nhận cha, mẹ, con", "Hộ tịch", catalog.LevelCommune, catalog.OnlineFull)
		lltp := mk("3.000333", "Cấp Phiếu lý lịch tư pháp", "Lý lịch tư pháp", catalog.LevelProvince, catalog.OnlineFull)
		mk("", "Đổi giấy phép lái xe", "Đường bộ", catalog.LevelProvince, catalog.OnlinePartial)
		mk("2.000884", "Chứng thực chữ ký", "Chứng thực", catalog.LevelCommune, catalog.Offline)
		if _, err := f.svc.AddAgency(ctx, f.admin, lltp.ID, f.agencies["congan"].ID); err != nil {
			t.Fatal(err)
		}
		search := func(fl catalog.Filter) []string {
			t.Helper()
			list, err := f.svc.Search(ctx, nil, fl)
			if err != nil {
				t.Fatal(err)
			}
			return names(list)
		}
		for q, want := range map[string][]string{
			"dang ky khai sinh":           {"Đăng ký khai sinh", "Đăng ký khai sinh kết hợp nhận cha, mẹ, con"},
			"ĐĂNG KÝ KHAI SINH":           {"Đăng ký khai sinh", "Đăng ký khai sinh kết hợp nhận cha, mẹ, con"},
			norm.NFD.String("Đăng ký kh"): {"Đăng ký khai sinh", "Đăng ký khai sinh kết hợp nhận cha, mẹ, con"},
			"  khai   sinh ":              {"Đăng ký khai sinh", "Đăng ký khai sinh kết hợp nhận cha, mẹ, con"},
			"doi giay phep":               {"Đổi giấy phép lái xe"},
			"ĐỔI":                         {"Đổi giấy phép lái xe"},
			"đổi":                         {"Đổi giấy phép lái xe"},
			"cha, me":                     {"Đăng ký khai sinh kết hợp nhận cha, mẹ, con"},
			"ly lich":                     {"Cấp Phiếu lý lịch tư pháp"},
			"1.001193":                    {"Đăng ký khai sinh"},
			"001193":                      {"Đăng ký khai sinh"},
			"3.000":                       {"Cấp Phiếu lý lịch tư pháp"},
			"ho tich":                     {"Đăng ký kết hôn", "Đăng ký khai sinh", "Đăng ký khai sinh kết hợp nhận cha, mẹ, con"},
			"sinh khai":                   {"Đăng ký khai sinh", "Đăng ký khai sinh kết hợp nhận cha, mẹ, con"},
			"ai sinh":                     nil, // words match from their start
			"100%":                        nil,
			"_":                           {"Cấp Phiếu lý lịch tư pháp", "Chứng thực chữ ký", "Đăng ký kết hôn", "Đăng ký khai sinh", "Đăng ký khai sinh kết hợp nhận cha, mẹ, con", "Đổi giấy phép lái xe"},
		} {
			if got := search(catalog.Filter{Query: q}); !slices.Equal(got, want) {
				t.Errorf("search %q = %v, want %v", q, got, want)
			}
		}
		if got := search(catalog.Filter{Field: "Hộ tịch", OnlineLevel: catalog.OnlineFull}); len(got) != 2 {
			t.Errorf("field and online filters: %v", got)
		}
		if got := search(catalog.Filter{Level: catalog.LevelProvince, Query: "giay"}); !slices.Equal(got, []string{"Đổi giấy phép lái xe"}) {
			t.Errorf("level filter: %v", got)
		}
		if got := search(catalog.Filter{AgencyID: f.agencies["congan"].ID}); !slices.Equal(got, []string{"Cấp Phiếu lý lịch tư pháp"}) {
			t.Errorf("agency filter: %v", got)
		}
		// Deactivated procedures leave public search.
		if _, err := f.svc.SetActive(ctx, f.admin, khaiSinh.ID, false); err != nil {
			t.Fatal(err)
		}
		if got := search(catalog.Filter{Query: "1.001193"}); len(got) != 0 {
			t.Errorf("inactive procedure found: %v", got)
		}
		fields, _ := f.svc.Fields(ctx, nil)
		if !slices.Equal(fields, []string{"Chứng thực", "Hộ tịch", "Lý lịch tư pháp", "Đường bộ"}) {
			t.Errorf("fields %v", fields)
		}

		// Cursor paging visits everything once, in the same order on both engines.
		var all []string
		after := ""
		for range 10 {
			page, err := f.svc.Search(ctx, f.admin, catalog.Filter{IncludeInactive: true, After: after, Limit: 4})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, names(page)...)
			if len(page) < 4 {
				break
			}
			after = page[len(page)-1].ID
		}
		want := []string{"Cấp Phiếu lý lịch tư pháp", "Chứng thực chữ ký", "Đăng ký kết hôn", "Đăng ký khai sinh",
			"Đăng ký khai sinh kết hợp nhận cha, mẹ, con", "Đổi giấy phép lái xe"}
		if !slices.Equal(all, want) {
			t.Errorf("paged %v, want %v", all, want)
		}
	})
}

func TestAgencyKindsAreTheOrgKinds(t *testing.T) {
	s := sample("", "X")
	for _, k := range org.Kinds {
		s.AgencyKind = k
		if _, bad := s.Validate()["agency_kind"]; bad {
			t.Errorf("kind %s refused", k)
		}
	}
}
