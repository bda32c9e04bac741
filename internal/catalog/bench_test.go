package catalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/congso/congso/internal/catalog"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
)

// BenchmarkSearch searches a catalogue of 5,000 procedures (the 44 shipped
// ones, each in ~114 variants) on each engine. Every search reports
// "x-plain": its time over the time of the plain query behind it — the
// first page of the list by name, without words — measured in the same run.
func BenchmarkSearch(b *testing.B) {
	engines := []db.Engine{db.SQLite}
	if dbtest.PostgresURL() != "" {
		engines = append(engines, db.Postgres)
	}
	for _, engine := range engines {
		b.Run(string(engine), func(b *testing.B) {
			ctx := context.Background()
			f := newFixture(b, dbtest.Open(b, engine), false)
			shipped, err := catalog.Shipped()
			if err != nil {
				b.Fatal(err)
			}
			entries := make([]catalog.Entry, 5000)
			for i := range entries {
				e := shipped[i%len(shipped)]
				e.Name = fmt.Sprintf("%s (biến thể %d)", e.Name, i)
				e.Code = fmt.Sprintf("%d.%06d", 1+i%3, i)
				entries[i] = e
			}
			file, _ := json.Marshal(entries)
			if res, err := f.svc.ImportJSON(ctx, f.admin, bytes.NewReader(file)); err != nil || res.Created != 5000 {
				b.Fatalf("load: %+v %v", res, err)
			}
			run := func(fl catalog.Filter) int {
				fl.Limit = 50
				list, err := f.svc.Search(ctx, nil, fl)
				if err != nil {
					b.Fatal(err)
				}
				return len(list)
			}
			for range 50 { // warm the caches
				run(catalog.Filter{})
			}
			var plain float64 // ns/op of the plain list, measured first
			for _, c := range []struct {
				name string
				f    catalog.Filter
				min  int
			}{
				{"plain", catalog.Filter{}, 50},
				{"words", catalog.Filter{Query: "dang ky khai sinh"}, 50},
				{"diacritics", catalog.Filter{Query: "ĐĂNG KÝ KẾT HÔN"}, 50},
				{"code", catalog.Filter{Query: "1.001"}, 50},
				{"rare", catalog.Filter{Query: "thuoc la bien the 4999"}, 0},
				{"nothing", catalog.Filter{Query: "khong co thu tuc nay"}, 0},
				{"field and words", catalog.Filter{Field: "Hộ tịch", Query: "ket hon"}, 50},
			} {
				b.Run(c.name, func(b *testing.B) {
					if n := run(c.f); n < c.min {
						b.Fatalf("%d results", n)
					}
					b.ResetTimer()
					for b.Loop() {
						run(c.f)
					}
					perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
					if c.name == "plain" {
						plain = perOp
					}
					b.ReportMetric(perOp/plain, "x-plain")
				})
			}
		})
	}
}
