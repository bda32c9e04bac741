package org_test

import (
	"slices"
	"testing"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/org"
)

// roles returns an account's roles as "agency:role" strings ("role" for province-wide ones).
func (f *orgFixture) roles(t *testing.T, userID string) []string {
	t.Helper()
	agencies, province, err := f.org.Roles(f.ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for id, rs := range agencies {
		for _, r := range rs {
			out = append(out, id+":"+string(r))
		}
	}
	for _, r := range province {
		out = append(out, string(r))
	}
	slices.Sort(out)
	return out
}

func wantRoles(t *testing.T, f *orgFixture, userID string, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := f.roles(t, userID); !slices.Equal(got, want) {
		t.Fatalf("roles = %v, want %v", got, want)
	}
}

func TestGrantRules(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOrgFixture(t, d)
		a := f.dept(t, "000.00.15.H30", "Sở Tư pháp", "")
		b := f.dept(t, "000.00.16.H30", "Sở Y tế", "")
		pa := f.official(t, "qt.tinh", grant{"", actor.ProvinceAdmin})
		aa := f.official(t, "qt.so.a", grant{a.ID, actor.AgencyAdmin})
		obs := f.official(t, "theo.doi", grant{"", actor.Observer})
		x := f.official(t, "cb.x")
		citizen, err := f.ids.Create(f.ctx, f.sys, identity.NewUser{Kind: actor.Citizen, Username: "nguyenvanan", DisplayName: "Nguyễn Văn An",
			CitizenID: "093090123456", Password: "MatKhau2026x"})
		if err != nil {
			t.Fatal(err)
		}
		machine, err := f.ids.Create(f.ctx, f.sys, identity.NewUser{Kind: actor.Machine, Username: "lgsp-bot", DisplayName: "Trục LGSP"})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name         string
			by           *actor.Actor
			user, agency string
			role         actor.Role
			want         apperr.Code
			field        string
		}{
			{"agency admin in own agency", aa, x.UserID, a.ID, actor.Receiver, "", ""},
			{"agency admin makes another admin", aa, x.UserID, a.ID, actor.AgencyAdmin, "", ""},
			{"agency admin in another agency", aa, x.UserID, b.ID, actor.Receiver, apperr.Forbidden, ""},
			{"agency admin province-wide", aa, x.UserID, "", actor.Observer, apperr.Forbidden, ""},
			{"observer in an agency", obs, x.UserID, a.ID, actor.Receiver, apperr.Forbidden, ""},
			{"observer province-wide", obs, x.UserID, "", actor.Observer, apperr.Forbidden, ""},
			{"official without admin role", x, x.UserID, a.ID, actor.Head, apperr.Forbidden, ""},
			{"anonymous", nil, x.UserID, a.ID, actor.Receiver, apperr.Unauthorized, ""},
			{"province admin in any agency", pa, x.UserID, b.ID, actor.Specialist, "", ""},
			{"province admin province-wide", pa, x.UserID, "", actor.Observer, "", ""},
			{"province role in an agency", pa, x.UserID, a.ID, actor.ProvinceAdmin, apperr.Invalid, "role"},
			{"agency role province-wide", pa, x.UserID, "", actor.Receiver, apperr.Invalid, "role"},
			{"unknown role", pa, x.UserID, a.ID, "boss", apperr.Invalid, "role"},
			{"a citizen", pa, citizen.ID, a.ID, actor.Receiver, apperr.Invalid, ""},
			{"a machine in an agency", aa, machine.ID, a.ID, actor.Specialist, "", ""},
			{"a machine province-wide", pa, machine.ID, "", actor.Observer, apperr.Invalid, ""},
			{"unknown account", pa, "nope", a.ID, actor.Receiver, apperr.NotFound, ""},
			{"unknown agency", pa, x.UserID, "nope", actor.Receiver, apperr.NotFound, ""},
		}
		for _, c := range cases {
			err := f.org.Grant(f.ctx, c.by, c.user, c.agency, c.role)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("%s: %v", c.name, err)
			case c.want != "" && !apperr.Is(err, c.want):
				t.Errorf("%s: error = %v, want %s", c.name, err, c.want)
			case c.field != "" && apperr.FieldsOf(err)[c.field] == "":
				t.Errorf("%s: error = %v, want a %s field error", c.name, err, c.field)
			}
		}
		wantRoles(t, f, x.UserID, a.ID+":agency_admin", a.ID+":receiver", b.ID+":specialist", "observer")
		wantRoles(t, f, machine.ID, a.ID+":specialist")
		// Granting a role held already changes nothing.
		if err := f.org.Grant(f.ctx, aa, x.UserID, a.ID, actor.Receiver); err != nil {
			t.Fatal(err)
		}
		wantRoles(t, f, x.UserID, a.ID+":agency_admin", a.ID+":receiver", b.ID+":specialist", "observer")
		// Roles reach the actor built at sign-in.
		xa := f.actor(t, x.UserID)
		if !xa.Has(actor.Receiver, a.ID) || !xa.CanAdminister(a.ID) || xa.CanAdminister(b.ID) || !xa.ProvinceWide() || xa.ProvinceAdmin() {
			t.Errorf("actor %+v", xa)
		}
		// Nothing in a retired agency.
		if err := f.org.RetireAgency(f.ctx, f.sys, b.ID, true); err != nil {
			t.Fatal(err)
		}
		wantCode(t, f.org.Grant(f.ctx, pa, x.UserID, b.ID, actor.Head), apperr.Conflict)
	})
}

func TestRevokeRules(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOrgFixture(t, d)
		a := f.dept(t, "000.00.15.H30", "Sở Tư pháp", "")
		b := f.dept(t, "000.00.16.H30", "Sở Y tế", "")
		pa := f.official(t, "qt.tinh", grant{"", actor.ProvinceAdmin})
		aa := f.official(t, "qt.so.a", grant{a.ID, actor.AgencyAdmin})
		x := f.official(t, "cb.x", grant{a.ID, actor.Receiver}, grant{b.ID, actor.Receiver}, grant{"", actor.Observer})

		wantCode(t, f.org.Revoke(f.ctx, aa, x.UserID, b.ID, actor.Receiver), apperr.Forbidden)
		wantCode(t, f.org.Revoke(f.ctx, aa, x.UserID, "", actor.Observer), apperr.Forbidden)
		wantCode(t, f.org.Revoke(f.ctx, x, x.UserID, a.ID, actor.Receiver), apperr.Forbidden)
		wantCode(t, f.org.Revoke(f.ctx, nil, x.UserID, a.ID, actor.Receiver), apperr.Unauthorized)
		wantRoles(t, f, x.UserID, a.ID+":receiver", b.ID+":receiver", "observer")

		if err := f.org.Revoke(f.ctx, aa, x.UserID, a.ID, actor.Receiver); err != nil {
			t.Fatal(err)
		}
		if err := f.org.Revoke(f.ctx, pa, x.UserID, "", actor.Observer); err != nil {
			t.Fatal(err)
		}
		wantRoles(t, f, x.UserID, b.ID+":receiver")

		// Nobody takes away their own admin role.
		err := f.org.Revoke(f.ctx, aa, aa.UserID, a.ID, actor.AgencyAdmin)
		wantCode(t, err, apperr.Invalid)
		wantRoles(t, f, aa.UserID, a.ID+":agency_admin")
		pa2 := f.official(t, "qt.tinh.2", grant{"", actor.ProvinceAdmin})
		wantCode(t, f.org.Revoke(f.ctx, pa, pa.UserID, "", actor.ProvinceAdmin), apperr.Invalid)

		// The last province admin stays, whoever asks.
		if err := f.org.Revoke(f.ctx, pa2, pa.UserID, "", actor.ProvinceAdmin); err != nil {
			t.Fatal(err)
		}
		err = f.org.Revoke(f.ctx, f.sys, pa2.UserID, "", actor.ProvinceAdmin)
		wantCode(t, err, apperr.Conflict)
		wantRoles(t, f, pa2.UserID, "province_admin")
		wantRoles(t, f, pa.UserID)

		if n := f.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'role.revoke'"); n != 3 {
			t.Errorf("%d role.revoke entries, want 3", n)
		}
	})
}

func TestRolesInARetiredAgencyNoLongerCount(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOrgFixture(t, d)
		a := f.dept(t, "000.00.15.H30", "Sở Tư pháp", "")
		b := f.dept(t, "000.00.16.H30", "Sở Y tế", "")
		x := f.official(t, "cb.x", grant{a.ID, actor.Receiver}, grant{b.ID, actor.AgencyAdmin})
		if err := f.org.RetireAgency(f.ctx, f.sys, b.ID, true); err != nil {
			t.Fatal(err)
		}
		wantRoles(t, f, x.UserID, a.ID+":receiver")
		xa := f.actor(t, x.UserID)
		if xa.CanSee(b.ID) || xa.CanAdminister(b.ID) || xa.IsAdmin() {
			t.Fatalf("actor still acts in the retired agency: %+v", xa)
		}
		_, err := f.org.UpdateAgency(f.ctx, xa, b.ID, 2, org.AgencyInput{Code: b.Code, Name: "Đổi tên", Kind: b.Kind})
		wantCode(t, err, apperr.Forbidden)
		_, err = f.org.Staff(f.ctx, xa, b.ID)
		wantCode(t, err, apperr.Forbidden)
		as, err := f.org.Assignments(f.ctx, x.UserID)
		if err != nil || len(as) != 1 || as[0].AgencyID != a.ID {
			t.Fatalf("assignments %+v, %v", as, err)
		}
		// They come back with the agency.
		if err := f.org.RetireAgency(f.ctx, f.sys, b.ID, false); err != nil {
			t.Fatal(err)
		}
		wantRoles(t, f, x.UserID, a.ID+":receiver", b.ID+":agency_admin")
	})
}

func TestAgenciesAreWalledOffFromEachOther(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOrgFixture(t, d)
		a := f.dept(t, "000.00.15.H30", "Sở Tư pháp", "")
		b := f.dept(t, "000.00.16.H30", "Sở Y tế", "")
		officialA := f.official(t, "cb.a", grant{a.ID, actor.Specialist})
		adminA := f.official(t, "qt.a", grant{a.ID, actor.AgencyAdmin})
		f.official(t, "cb.b", grant{b.ID, actor.Receiver}, grant{b.ID, actor.Head})
		observer := f.official(t, "theo.doi", grant{"", actor.Observer})
		edit := org.AgencyInput{Code: b.Code, Name: "Sở Y tế (đã sửa)", Kind: b.Kind, Phone: "0293 000 000"}

		for _, c := range []struct {
			name string
			by   *actor.Actor
		}{{"official of A", officialA}, {"admin of A", adminA}} {
			_, err := f.org.Staff(f.ctx, c.by, b.ID)
			wantCode(t, err, apperr.Forbidden)
			_, err = f.org.UpdateAgency(f.ctx, c.by, b.ID, b.Version, edit)
			wantCode(t, err, apperr.Forbidden)
			wantCode(t, f.org.Grant(f.ctx, c.by, c.by.UserID, b.ID, actor.Head), apperr.Forbidden)
			members, err := f.org.Staff(f.ctx, c.by, a.ID)
			if err != nil || len(members) != 2 {
				t.Errorf("%s reading own staff: %+v, %v", c.name, members, err)
			}
		}
		// An official of A cannot edit A either; only its admin can.
		_, err := f.org.UpdateAgency(f.ctx, officialA, a.ID, a.Version, org.AgencyInput{Code: a.Code, Name: a.Name, Kind: a.Kind, Phone: "0293 1"})
		wantCode(t, err, apperr.Forbidden)

		// A province observer reads every agency but changes none.
		members, err := f.org.Staff(f.ctx, observer, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(members) != 1 || members[0].Username != "cb.b" || !slices.Equal(members[0].Roles, []actor.Role{actor.Head, actor.Receiver}) {
			t.Fatalf("staff of B = %+v", members)
		}
		_, err = f.org.UpdateAgency(f.ctx, observer, b.ID, b.Version, edit)
		wantCode(t, err, apperr.Forbidden)
		wantCode(t, f.org.RetireAgency(f.ctx, observer, b.ID, true), apperr.Forbidden)
		wantCode(t, f.org.Grant(f.ctx, observer, observer.UserID, b.ID, actor.Head), apperr.Forbidden)
		_, err = f.org.Staff(f.ctx, nil, b.ID)
		wantCode(t, err, apperr.Unauthorized)

		if got := f.get(t, b.ID); got.Version != b.Version || got.Name != b.Name || got.Phone != "" {
			t.Fatalf("agency B changed: %+v", got)
		}
		wantRoles(t, f, officialA.UserID, a.ID+":specialist")
		wantRoles(t, f, adminA.UserID, a.ID+":agency_admin")
	})
}
