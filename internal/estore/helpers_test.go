package estore_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/estore"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/org"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)         { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, calendar.Location())
}

// agencyInfo adapts org.Service to dossier.Agencies, as the app does.
type agencyInfo struct{ org *org.Service }

func (a agencyInfo) AgencyInfo(ctx context.Context, id string) (dossier.Agency, error) {
	ag, err := a.org.Agency(ctx, id)
	if err != nil {
		return dossier.Agency{}, err
	}
	return dossier.Agency{ID: ag.ID, Code: ag.Code, Name: ag.Name}, nil
}

// procedures stands in for the catalogue.
type procedures map[string]dossier.Procedure

func (p procedures) Procedure(_ context.Context, id string) (dossier.Procedure, error) {
	if proc, ok := p[id]; ok {
		return proc, nil
	}
	return dossier.Procedure{}, apperr.New(apperr.NotFound, "Không tìm thấy thủ tục.")
}

// threeDays: receipt, review, approval, issue, at the agencies given.
func threeDays(agencyIDs ...string) dossier.Procedure {
	wh := func(n int) calendar.Duration { return calendar.Duration{N: n, Unit: calendar.UnitWorkingHours} }
	return dossier.Procedure{ID: "p3", Code: "1.001193", Name: "Đăng ký khai sinh", Field: "Hộ tịch",
		Limit: calendar.Duration{N: 3, Unit: calendar.UnitWorkingDays}, CutOff: calendar.ClockOf(15, 0),
		Documents: []dossier.Document{{Name: "Tờ khai đăng ký khai sinh", Originals: 1}, {Name: "Giấy chứng sinh", Originals: 1}},
		Steps: []dossier.PlanStep{{Name: "Tiếp nhận hồ sơ", Role: actor.Receiver, Budget: wh(4)}, {Name: "Thẩm định", Role: actor.Specialist, Budget: wh(12)},
			{Name: "Phê duyệt", Role: actor.Head, Budget: wh(4)}, {Name: "Trả kết quả", Role: actor.Clerk, Budget: wh(4)}},
		AgencyIDs: agencyIDs, OnlineLevel: "full", Active: true}
}

type fixture struct {
	t        *testing.T
	db       *db.DB
	clock    *clock
	store    *estore.Service
	dos      *dossier.Service
	audit    *audit.Log
	agencies map[string]string // key → ID
	names    map[string]string // key → agency name
	actors   map[string]*actor.Actor
}

var ctx = context.Background()

func setup(t *testing.T, d *db.DB) *fixture {
	return setupWith(t, d, estore.Config{})
}

func setupWith(t *testing.T, d *db.DB, cfg estore.Config) *fixture {
	t.Helper()
	c := &clock{t: at(2026, 3, 2, 8, 0)} // Monday
	log := audit.New(d, c.Now)
	o := org.New(d, log, c.Now)
	idcfg := identity.DefaultConfig()
	idcfg.Argon2 = identity.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	ids, err := identity.New(d, log, o, c.Now, idcfg)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: d, clock: c, audit: log, agencies: map[string]string{}, names: map[string]string{}, actors: map[string]*actor.Actor{}}
	sys := actor.SystemActor("test")
	f.actors["system"] = sys
	for _, a := range []struct{ key, code, name string }{
		{"ward", "000.00.21.H25", "Ủy ban nhân dân phường Thành Sen"},
		{"other", "000.00.22.H25", "Ủy ban nhân dân phường Trần Phú"},
	} {
		ag, err := o.CreateAgency(ctx, sys, org.AgencyInput{Code: a.code, Name: a.name, Kind: org.Department})
		if err != nil {
			t.Fatal(err)
		}
		f.agencies[a.key], f.names[a.key] = ag.ID, ag.Name
	}
	for _, u := range []struct {
		name, agency string
		roles        []actor.Role
	}{
		{"tiepnhan", "ward", []actor.Role{actor.Receiver}},
		{"chuyenvien", "ward", []actor.Role{actor.Specialist}},
		{"lanhdao", "ward", []actor.Role{actor.Head}},
		{"vanthu", "ward", []actor.Role{actor.Clerk}},
		{"khac", "other", []actor.Role{actor.Receiver, actor.Specialist, actor.Head}},
		{"quansat", "", []actor.Role{actor.Observer}},
	} {
		usr, err := ids.Create(ctx, sys, identity.NewUser{Kind: actor.Official, Username: u.name, DisplayName: "Cán bộ " + u.name})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range u.roles {
			if err := o.Grant(ctx, sys, usr.ID, f.agencies[u.agency], r); err != nil {
				t.Fatal(err)
			}
		}
		if f.actors[u.name], err = ids.ActorFor(ctx, usr.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []identity.NewUser{
		{Kind: actor.Citizen, Username: "nguyenvanan", DisplayName: "Nguyễn Văn An", CitizenID: "042090001234", Password: "matkhau12345"},
		{Kind: actor.Citizen, Username: "tranthibinh", DisplayName: "Trần Thị Bình", CitizenID: "042192005678", Password: "matkhau12345"},
		{Kind: actor.Organisation, Username: "congtyhoasen", DisplayName: "Công ty TNHH Hoa Sen", OrgCode: "3001234567", Password: "matkhau12345"},
	} {
		usr, err := ids.Create(ctx, nil, u)
		if err != nil {
			t.Fatal(err)
		}
		key := map[string]string{"nguyenvanan": "an", "tranthibinh": "binh", "congtyhoasen": "hoasen"}[u.Username]
		if f.actors[key], err = ids.ActorFor(ctx, usr.ID); err != nil {
			t.Fatal(err)
		}
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://dichvucong.hatinh.example/"
	}
	f.store = estore.New(estore.Deps{DB: d, Audit: log, Agencies: agencyInfo{o}, Now: c.Now}, cfg)
	f.dos = dossier.NewService(dossier.Deps{DB: d, Audit: log, Catalog: procedures{"p3": threeDays(f.agencies["ward"])},
		Calendars: calendar.NewService(d, log, c.Now), Agencies: agencyInfo{o}, Roles: o, People: ids, Store: f.store, Now: c.Now},
		dossier.Config{BaseURL: "https://dichvucong.hatinh.example"})
	f.dos.Listen(f.store)
	return f
}

func (f *fixture) applicant(who string) dossier.Applicant {
	switch who {
	case "binh":
		return dossier.Applicant{Kind: "citizen", Name: "Trần Thị Bình", IDNumber: "042192005678", Phone: "0987654321"}
	case "hoasen":
		return dossier.Applicant{Kind: "organisation", Name: "Công ty TNHH Hoa Sen", IDNumber: "3001234567", Phone: "0912000111"}
	}
	return dossier.Applicant{Kind: "citizen", Name: "Nguyễn Văn An", IDNumber: "042090001234", Phone: "0912345678",
		Address: "Số 5 Hà Huy Tập, phường Thành Sen"}
}

// file files a dossier online as the citizen, with papers taken from their store.
func (f *fixture) file(who string, fromStore ...string) (dossier.Dossier, error) {
	in := dossier.CreateInput{ProcedureID: "p3", Channel: dossier.Portal, Applicant: f.applicant(who)}
	for _, id := range fromStore {
		in.FromStore = append(in.FromStore, dossier.StoreRef{ItemID: id})
	}
	return f.dos.Create(ctx, f.actors[who], in)
}

func (f *fixture) mustFile(who string, fromStore ...string) dossier.Dossier {
	f.t.Helper()
	d, err := f.file(who, fromStore...)
	if err != nil {
		f.t.Fatalf("file a dossier as %s: %v", who, err)
	}
	return d
}

func (f *fixture) act(who, code string, a dossier.Action) dossier.Dossier {
	f.t.Helper()
	d, err := f.dos.Act(ctx, f.actors[who], code, a, dossier.ActionInput{})
	if err != nil {
		f.t.Fatalf("%s by %s: %v", a, who, err)
	}
	return d
}

func (f *fixture) attach(who, code, kind, document, name string, data []byte) dossier.File {
	f.t.Helper()
	file, err := f.dos.AddFile(ctx, f.actors[who], code, kind, document, name, bytes.NewReader(data))
	if err != nil {
		f.t.Fatalf("attach %s by %s: %v", name, who, err)
	}
	return file
}

// items lists the owner's store.
func (f *fixture) items(who string, filter estore.Filter) []estore.Item {
	f.t.Helper()
	list, err := f.store.List(ctx, f.actors[who], filter)
	if err != nil {
		f.t.Fatalf("list the store of %s: %v", who, err)
	}
	return list
}

func (f *fixture) byKind(who string, k estore.Kind) []estore.Item {
	return f.items(who, estore.Filter{Kind: k})
}

func (f *fixture) add(who, document, validUntil, name string, data []byte) estore.Item {
	f.t.Helper()
	m := estore.Meta{Document: &document}
	if validUntil != "" {
		m.ValidUntil = &validUntil
	}
	it, err := f.store.Add(ctx, f.actors[who], m, name, bytes.NewReader(data))
	if err != nil {
		f.t.Fatalf("add %s to the store of %s: %v", name, who, err)
	}
	return it
}

// auditCount counts audit entries.
func (f *fixture) auditCount(action, objectType, objectID, actorID string) int {
	f.t.Helper()
	var n int
	if err := f.db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = ? AND object_type = ? AND object_id = ? AND actor_id = ?",
		action, objectType, objectID, actorID).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// pdf is a small valid PDF whose text differs by label, so that each has its
// own SHA-256.
func pdf(label string) []byte {
	content := "BT /F1 18 Tf 72 720 Td (" + label + ") Tj ET"
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content)}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	var offs []int
	for i, o := range objs {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	return b.Bytes()
}

// gpsMarker is in the EXIF of the test photo, to look for leaks byte for byte.
var gpsMarker = []byte("GPS 18.3333N 105.9000E")

// photoWithGPS is a w×h JPEG with an EXIF segment holding a GPS IFD.
func photoWithGPS(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 4), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	var tiff bytes.Buffer
	tiff.WriteString("II*\x00")
	binary.Write(&tiff, le, uint32(8))
	entry := func(tag, typ uint16, count, value uint32) {
		binary.Write(&tiff, le, tag)
		binary.Write(&tiff, le, typ)
		binary.Write(&tiff, le, count)
		binary.Write(&tiff, le, value)
	}
	gpsIFD := uint32(8 + 2 + 12 + 4)
	binary.Write(&tiff, le, uint16(1))
	entry(0x8825, 4, 1, gpsIFD) // GPSInfo
	binary.Write(&tiff, le, uint32(0))
	data := gpsIFD + 2 + 3*12 + 4
	binary.Write(&tiff, le, uint16(3))
	entry(0x0001, 2, 2, 'N')
	entry(0x0002, 5, 3, data)
	entry(0x001B, 7, uint32(len(gpsMarker)), data+24) // GPSProcessingMethod
	binary.Write(&tiff, le, uint32(0))
	for _, v := range []uint32{18, 1, 20, 1, 0, 1} {
		binary.Write(&tiff, le, v)
	}
	tiff.Write(gpsMarker)
	body := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xFF, 0xE1, byte((len(body) + 2) >> 8), byte(len(body) + 2)}
	raw := b.Bytes()
	out := append(append(append([]byte{}, raw[:2]...), seg...), body...)
	return append(out, raw[2:]...)
}

func wantCode(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if !apperr.Is(err, code) {
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
