package indicator_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/indicator"
)

// A status change reaches the scorecard at the next refresh, and the
// incrementally kept roll-ups equal a rebuild from scratch.
func TestRefreshFollowsChanges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		w := march(t, d)
		now := at(2026, 4, 10, 12, 0)
		svc := indicator.New(d, func() time.Time { return now }, nil)
		if _, err := svc.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		a1 := indicator.Scope{Kind: indicator.Agency, ID: "a1"}
		p := indicator.Month(2026, 3)
		before, err := svc.Rate(ctx, indicator.DigitisedResult, a1, p)
		if err != nil {
			t.Fatal(err)
		}
		// d8 is processed on 20/3 (late) with an electronic result.
		now = at(2026, 4, 10, 12, 5)
		w.exec(`UPDATE dossiers SET status = 9, processed_at = ?, updated_at = ? WHERE id = 'd8'`, at(2026, 3, 20, 10, 0), now)
		w.file("d8", "result", "upload", false, now)
		n, err := svc.Refresh(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("refreshed %d dossiers, want 1", n)
		}
		after, err := svc.Rate(ctx, indicator.DigitisedResult, a1, p)
		if err != nil {
			t.Fatal(err)
		}
		if before != (indicator.Fraction{Num: 4, Den: 6}) || after != (indicator.Fraction{Num: 5, Den: 7}) {
			t.Errorf("e-result rate before %+v after %+v, want 4/6 then 5/7", before, after)
		}
		// Nothing changed: nothing re-derived.
		if n, err := svc.Refresh(ctx); err != nil || n != 0 {
			t.Errorf("second refresh: %d, %v", n, err)
		}
		kept, err := svc.Scorecard(ctx, nil, indicator.Scope{Kind: indicator.Province}, indicator.Year(2026))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		rebuilt, err := svc.Scorecard(ctx, nil, indicator.Scope{Kind: indicator.Province}, indicator.Year(2026))
		if err != nil {
			t.Fatal(err)
		}
		if kept.Counts != rebuilt.Counts || kept.Total != rebuilt.Total {
			t.Errorf("kept %+v, rebuilt %+v", kept.Counts, rebuilt.Counts)
		}
		rankAgrees(t, svc, indicator.Year(2026))
		rankAgrees(t, svc, p)
	})
}

func TestRulesChecked(t *testing.T) {
	for name, doc := range map[string]string{
		"formula":   `{"versions":[{"version":"x","valid_from":"2026-01-01","groups":[{"key":"g","points":100,"criteria":[{"key":"c","points":100,"threshold":1,"formula":"nope"}]}]}]}`,
		"threshold": `{"versions":[{"version":"x","valid_from":"2026-01-01","groups":[{"key":"g","points":100,"criteria":[{"key":"c","points":100,"threshold":0,"formula":"online"}]}]}]}`,
		"points":    `{"versions":[{"version":"x","valid_from":"2026-01-01","groups":[{"key":"g","points":90,"criteria":[{"key":"c","points":90,"threshold":1,"formula":"online"}]}]}]}`,
		"group sum": `{"versions":[{"version":"x","valid_from":"2026-01-01","groups":[{"key":"g","points":100,"criteria":[{"key":"c","points":90,"threshold":1,"formula":"online"}]}]}]}`,
	} {
		if _, err := indicator.LoadRules([]byte(doc)); err == nil {
			t.Errorf("%s: bad rules accepted", name)
		}
	}
	// A newer version applies from its date; the shipped one before it.
	doc := `{"versions":[{"version":"2027","valid_from":"2027-01-01","groups":[{"key":"g","points":100,"criteria":[{"key":"c","points":100,"threshold":0.5,"formula":"online"}]}]}]}`
	rb, err := indicator.LoadRules([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if v := rb.At(at2(2027, 3, 1)).Version; v != "2027" {
		t.Errorf("version %s", v)
	}
	shipped := indicator.ShippedRules().Versions()
	if len(shipped) == 0 || !strings.HasPrefix(shipped[0].Version, "766") {
		t.Errorf("shipped rules: %+v", shipped)
	}
}
