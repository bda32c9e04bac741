package plan_test

import (
	"context"
	"io"
	"testing"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/plan"
)

// The province's report on the Hậu Giang plan (29 targets, 53 tasks, the
// quarterly reports), compiled from the database alone (the baseline), then
// written as XLSX and as PDF. See bench/README.md.
func BenchmarkReport(b *testing.B) {
	d := dbtest.Open(b, db.SQLite)
	f := newFixture(b, d)
	ctx := context.Background()
	obs := &actor.Actor{UserID: "o", Kind: actor.Official, Province: []actor.Role{actor.Observer}}
	id := f.plans["haugiang-2024"].ID
	compile := func(b *testing.B) plan.Compiled {
		c, err := f.svc.Compile(ctx, obs, id)
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	b.Run("compile", func(b *testing.B) {
		for b.Loop() {
			compile(b)
		}
	})
	b.Run("xlsx", func(b *testing.B) {
		for b.Loop() {
			if err := plan.WriteReportXLSX(io.Discard, compile(b)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pdf", func(b *testing.B) {
		for b.Loop() {
			if err := plan.WriteReportPDF(io.Discard, compile(b)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
