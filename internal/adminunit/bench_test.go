package adminunit

import (
	"bytes"
	"compress/gzip"
	"io"
	"math/rand/v2"
	"testing"
)

// Benchmarks come in pairs: the operation and a baseline measured in the same run, so that the
// ratio (not the bare time) is what to compare between machines.

// BenchmarkLoad parses and indexes the embedded data.
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadBaselineGunzip only decompresses the embedded files: the floor under Load.
func BenchmarkLoadBaselineGunzip(b *testing.B) {
	for b.Loop() {
		for _, f := range []string{fileUnits, fileSuccessions} {
			gzb, _ := dataFS.ReadFile(f)
			zr, err := gzip.NewReader(bytes.NewReader(gzb))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, zr); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// benchFigures returns n figures keyed by random units of both editions (old communes,
// districts and provinces, current communes and provinces), reproducibly.
func benchFigures(b *testing.B, r *Registry, n int) map[ID]int64 {
	var ids []ID
	for u := range r.Units() {
		ids = append(ids, u.ID())
	}
	rng := rand.New(rand.NewPCG(1, 2))
	figs := make(map[ID]int64, n)
	for len(figs) < n {
		figs[ids[rng.IntN(len(ids))]] = rng.Int64N(1000)
	}
	return figs
}

func benchmarkRollUp(b *testing.B, level Level) {
	r := registry(b)
	figs := benchFigures(b, r, 10000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.RollUp(figs, level); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRollUpProvince rolls up 10,000 figures to today's provinces.
func BenchmarkRollUpProvince(b *testing.B) { benchmarkRollUp(b, LevelProvince) }

// BenchmarkRollUpCommune rolls up 10,000 figures to today's communes.
func BenchmarkRollUpCommune(b *testing.B) { benchmarkRollUp(b, LevelCommune) }

// BenchmarkRollUpBaselineMapSum adds the same 10,000 figures into a map by their own key: the
// cost of the bookkeeping alone.
func BenchmarkRollUpBaselineMapSum(b *testing.B) {
	r := registry(b)
	figs := benchFigures(b, r, 10000)
	b.ResetTimer()
	for b.Loop() {
		out := make(map[ID]int64)
		for id, v := range figs {
			out[id] += v
		}
	}
}

// BenchmarkSearch searches all units for a folded name.
func BenchmarkSearch(b *testing.B) {
	r := registry(b)
	for b.Loop() {
		r.Search("dong hoa", SearchFilter{})
	}
}
