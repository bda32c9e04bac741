package catalog_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/adminunit"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/catalog"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/org"
)

// loadUnits parses the embedded units once for all tests.
var loadUnits = sync.OnceValues(adminunit.Load)

func registry(t testing.TB) *adminunit.Registry {
	t.Helper()
	reg, err := loadUnits()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// fixture is the catalogue on a fresh database with a few agencies and the
// actors the rules distinguish.
type fixture struct {
	t        testing.TB
	d        *db.DB
	svc      *catalog.Service
	org      *org.Service
	log      *audit.Log
	agencies map[string]org.Agency

	sys        *actor.Actor
	admin      *actor.Actor // province admin
	stpAdmin   *actor.Actor // admin of the Department of Justice
	specialist *actor.Actor // specialist of the Department of Justice
	citizen    *actor.Actor
}

func (f *fixture) agency(key string, in org.AgencyInput) org.Agency {
	f.t.Helper()
	a, err := f.org.CreateAgency(context.Background(), f.sys, in)
	if err != nil {
		f.t.Fatalf("create agency %s: %v", key, err)
	}
	f.agencies[key] = a
	return a
}

// newFixture builds the catalogue service. With communes, the
// administrative units are loaded (slow) and two commune people's
// committees are added.
func newFixture(t testing.TB, d *db.DB, communes bool) *fixture {
	t.Helper()
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC) }
	lg := audit.New(d, now)
	o := org.New(d, lg, now)
	reg := registry(t)
	f := &fixture{t: t, d: d, org: o, log: lg, agencies: map[string]org.Agency{}, sys: actor.SystemActor("test"),
		svc: catalog.New(d, lg, o, catalog.AdminUnits(reg), now)}
	if communes {
		if err := o.LoadUnits(ctx, reg); err != nil {
			t.Fatal(err)
		}
	}
	f.agency("stp", org.AgencyInput{Code: "000.00.05.H25", Name: "Sở Tư pháp", ShortName: "STP", Kind: org.Department})
	f.agency("stc", org.AgencyInput{Code: "000.00.07.H25", Name: "Sở Tài chính", Kind: org.Department})
	f.agency("pvhcc", org.AgencyInput{Code: "000.01.01.H25", Name: "Trung tâm Phục vụ hành chính công tỉnh", Kind: org.ServiceCentre})
	f.agency("congan", org.AgencyInput{Code: "000.42.01.G06", Name: "Công an tỉnh Hà Tĩnh", Kind: org.Vertical})
	if communes {
		f.agency("thanhsen", org.AgencyInput{Code: "000.00.21.H25", Name: "Ủy ban nhân dân phường Thành Sen", Kind: org.CommuneCommittee, UnitID: "18073@2025-07-01"})
		f.agency("canloc", org.AgencyInput{Code: "000.00.23.H25", Name: "Ủy ban nhân dân xã Can Lộc", Kind: org.CommuneCommittee, UnitID: "18406@2025-07-01"})
	}
	stp := f.agencies["stp"].ID
	f.admin = &actor.Actor{UserID: "u-admin", Kind: actor.Official, Username: "admin", Province: []actor.Role{actor.ProvinceAdmin}}
	f.stpAdmin = &actor.Actor{UserID: "u-stp-admin", Kind: actor.Official, Username: "quantri.stp", Agencies: map[string][]actor.Role{stp: {actor.AgencyAdmin}}}
	f.specialist = &actor.Actor{UserID: "u-stp-cv", Kind: actor.Official, Username: "chuyenvien.stp", Agencies: map[string][]actor.Role{stp: {actor.Specialist}}}
	f.citizen = &actor.Actor{UserID: "u-citizen", Kind: actor.Citizen, Username: "nguyenvanan"}
	return f
}

func ptr[T any](v T) *T { return &v }

// sample is a valid procedure of 3 working days.
func sample(code, name string) catalog.Spec {
	return catalog.Spec{
		Code: code, Name: name, Field: "Hộ tịch", Level: catalog.LevelCommune, AgencyKind: org.CommuneCommittee,
		AgencyHint: "UBND cấp xã",
		TimeLimit:  calendar.Duration{N: 3, Unit: calendar.UnitWorkingDays},
		Fees:       []catalog.Fee{{Kind: catalog.KindFee, Name: "Lệ phí", Amount: 15000, Note: "Mức do HĐND tỉnh quy định"}},
		Documents: []catalog.Document{{Name: "Tờ khai theo mẫu", Originals: 1}, {Name: "Giấy tờ tùy thân", FromEStore: true,
			Note: "Khai thác từ CSDL quốc gia về dân cư"}},
		Results:     []string{"Giấy xác nhận"},
		OnlineLevel: catalog.OnlineFull,
		LegalBasis:  []string{"Luật Hộ tịch số 60/2014/QH13"},
		Steps: []catalog.Step{
			{Name: "Tiếp nhận hồ sơ", Role: actor.Receiver, Budget: calendar.Duration{N: 4, Unit: calendar.UnitWorkingHours}},
			{Name: "Thẩm định", Role: actor.Specialist, Budget: calendar.Duration{N: 1, Unit: calendar.UnitWorkingDays}},
			{Name: "Phê duyệt", Role: actor.Head, Budget: calendar.Duration{N: 1, Unit: calendar.UnitWorkingDays}},
			{Name: "Trả kết quả", Role: actor.Clerk, Budget: calendar.Duration{N: 4, Unit: calendar.UnitWorkingHours}},
		},
		Form: catalog.Form{Title: "Tờ khai", Fields: []catalog.Field{
			{Name: "ho_ten", Label: "Họ và tên", Type: catalog.TypeText, Required: true, MaxLength: 100},
			{Name: "so_dinh_danh", Label: "Số định danh cá nhân", Type: catalog.TypeCitizenID, Required: true},
		}},
	}
}

func (f *fixture) create(spec catalog.Spec) catalog.Procedure {
	f.t.Helper()
	p, err := f.svc.Create(context.Background(), f.admin, spec)
	if err != nil {
		f.t.Fatalf("create %s: %v", spec.Name, err)
	}
	return p
}

func (f *fixture) count() int {
	f.t.Helper()
	var n int
	if err := f.d.QueryRow(context.Background(), "SELECT COUNT(*) FROM procedures").Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func names(items []catalog.Summary) []string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = s.Name
	}
	return out
}

func fieldsString(m map[string]string) string { return fmt.Sprint(m) }
