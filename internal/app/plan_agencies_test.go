package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/app"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/plan"
)

// onlineBirthAt files a birth registration online at the agency, accepted
// by the receiver.
func (s *server) onlineBirthAt(agencyCode, receiver string) dossier.Dossier {
	s.t.Helper()
	ctx := context.Background()
	procID, form, applicant := s.birthRequest()
	citizen := s.actorOf("leminhchau")
	applicant.UserID = citizen.UserID
	d, err := s.App.Dossiers.Create(ctx, citizen, dossier.CreateInput{ProcedureID: procID, AgencyID: s.agencyID(agencyCode),
		Channel: dossier.Portal, Applicant: applicant, Form: form})
	if err != nil {
		s.t.Fatalf("online dossier at %s: %v", agencyCode, err)
	}
	if d, err = s.App.Dossiers.Act(ctx, s.actorOf(receiver), d.Code, dossier.ActAccept, dossier.ActionInput{}); err != nil {
		s.t.Fatalf("accept the online dossier at %s: %v", agencyCode, err)
	}
	return d
}

func (s *server) indicatorAgencies(token, planID, indID string) plan.AgencyBreakdown {
	s.t.Helper()
	res := s.do("GET", "/api/v1/plans/"+planID+"/indicators/"+indID+"/agencies", token, "", "")
	if res.Status != http.StatusOK {
		s.t.Fatalf("indicator per agency: %d %s", res.Status, res.Body)
	}
	var b plan.AgencyBreakdown
	res.json(s.t, &b)
	return b
}

// A live indicator per agency: each agency that received dossiers, measured
// over its own dossiers and judged against the same target, worst first; an
// agency's official sees only its own row.
func TestPlanIndicatorAgencies(t *testing.T) {
	each(t, func(t *testing.T, engine db.Engine) {
		s, _ := startPlans(t, engine, time.Date(2024, time.May, 15, 9, 0, 0, 0, calendar.Location()))
		ctx := context.Background()
		sys := actor.SystemActor("test")
		tranPhu := s.agencyID("000.00.22.H25")
		err := s.App.DB.Tx(ctx, func(tx *db.Tx) error {
			u, err := s.App.Identity.CreateUser(ctx, tx, sys, identity.NewUser{Kind: actor.Official, Username: "tiepnhan.tranphu",
				DisplayName: "Hồ Thị Tiếp Nhận", Password: app.DemoPassword})
			if err != nil {
				return err
			}
			return s.App.Org.GrantTx(ctx, tx, sys, u.ID, tranPhu, actor.Receiver)
		})
		if err != nil {
			t.Fatal(err)
		}
		hg := s.planID("haugiang-2024")
		obs := s.token("quansat")
		inds := s.indicators(obs, hg)
		online := inds["CQS-5"]
		if b := s.indicatorAgencies(obs, hg, online.ID); len(b.Rows) != 0 {
			t.Fatalf("agencies before any dossier: %+v", b.Rows)
		}
		// Thành Sen: one at the counter, one online (50%); Trần Phú: two
		// online (100%).
		s.birth(false)
		s.birth(true)
		s.onlineBirthAt("000.00.22.H25", "tiepnhan.tranphu")
		s.onlineBirthAt("000.00.22.H25", "tiepnhan.tranphu")

		b := s.indicatorAgencies(obs, hg, online.ID)
		if len(b.Rows) != 2 || b.From != "2024-01-01" || b.To != "2024-05-15" {
			t.Fatalf("per agency: %+v", b)
		}
		first, second := b.Rows[0], b.Rows[1]
		if first.Agency.ID != s.agencyID("000.00.21.H25") || first.Actual == nil || *first.Actual != 50 || first.Status != plan.AtRisk {
			t.Errorf("worst first: %+v", first)
		}
		if second.Agency.ID != tranPhu || second.Actual == nil || *second.Actual != 100 || second.Status != plan.OnTrack {
			t.Errorf("then: %+v", second)
		}
		// The province's value is still over every dossier.
		if p := s.indicators(obs, hg)["CQS-5"]; p.Actual == nil || *p.Actual != 75 {
			t.Errorf("province online rate: %+v", p)
		}

		mine := s.indicatorAgencies(s.token("tiepnhan.tranphu"), hg, online.ID)
		if len(mine.Rows) != 1 || mine.Rows[0].Agency.ID != tranPhu || *mine.Rows[0].Actual != 100 {
			t.Errorf("an agency official's rows: %+v", mine.Rows)
		}

		res := s.do("GET", "/api/v1/plans/"+hg+"/indicators/"+online.ID+"/agencies?format=csv", obs, "", "")
		if res.Status != 200 || !strings.Contains(res.Body, "Ủy ban nhân dân phường Thành Sen,50") ||
			strings.Index(res.Body, "Thành Sen") > strings.Index(res.Body, "Trần Phú") {
			t.Errorf("CSV: %d %q", res.Status, res.Body)
		}
		res = s.do("GET", "/api/v1/plans/"+hg+"/indicators/"+online.ID+"/agencies?format=xlsx", obs, "", "")
		if res.Status != 200 || !strings.HasPrefix(res.Body, "PK") {
			t.Errorf("XLSX: %d", res.Status)
		}
		for _, c := range []struct {
			path string
			code int
		}{
			{"/indicators/" + online.ID + "/agencies?format=pdf", http.StatusUnprocessableEntity},
			{"/indicators/" + inds["KTS-1"].ID + "/agencies", http.StatusConflict},
			{"/indicators/nope/agencies", http.StatusNotFound},
		} {
			res := s.do("GET", "/api/v1/plans/"+hg+c.path, obs, "", "")
			if res.Status != c.code || !strings.Contains(res.Header.Get("Content-Type"), "json") {
				t.Errorf("%s: %d %s", c.path, res.Status, res.Body)
			}
		}
		if res := s.do("GET", "/api/v1/plans/"+hg+"/indicators/"+online.ID+"/agencies", "", "", ""); res.Status != http.StatusUnauthorized {
			t.Errorf("anonymous: %d", res.Status)
		}

		// The indicator page shows the table, linking to each agency's scorecard.
		observer := s.browser()
		s.signIn(observer, "quansat")
		page := get(t, observer, s.URL+"/desk/plans/"+hg+"/indicators/"+online.ID)
		body := page.Body
		for _, want := range []string{"Theo cơ quan", "Ủy ban nhân dân phường Thành Sen", "Ủy ban nhân dân phường Trần Phú",
			"/desk/scorecard?from=2024-01-01&amp;id=" + tranPhu + "&amp;scope=agency&amp;to=2024-05-15", "Có nguy cơ không đạt",
			"/agencies?format=xlsx"} {
			if !strings.Contains(body, want) {
				t.Errorf("indicator page lacks %q", want)
			}
		}
		if page.Status != 200 || strings.Index(body, "phường Thành Sen") > strings.Index(body, "phường Trần Phú") {
			t.Errorf("indicator page: %d, order wrong", page.Status)
		}
		official := s.browser()
		s.signIn(official, "tiepnhan.tranphu")
		body = get(t, official, s.URL+"/desk/plans/"+hg+"/indicators/"+online.ID).Body
		if !strings.Contains(body, "Ủy ban nhân dân phường Trần Phú") || strings.Contains(body, "phường Thành Sen") {
			t.Errorf("an agency official's page shows another agency")
		}
	})
}
