package org_test

import (
	"maps"
	"testing"
	"time"

	"github.com/congso/congso/internal/adminunit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
)

func TestLoadUnitsOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOrgFixture(t, d)
		reg := units(t)
		var wantUnits, wantRows int
		for range reg.Units() {
			wantUnits++
		}
		for s := range reg.Successions() {
			if s.Usable() {
				wantRows++
			}
		}
		f.loadUnits(t)
		if n := f.count(t, "SELECT COUNT(*) FROM admin_units"); n != wantUnits {
			t.Fatalf("%d units loaded, want %d", n, wantUnits)
		}
		if n := f.count(t, "SELECT COUNT(*) FROM unit_successors"); n != wantRows {
			t.Fatalf("%d successions loaded, want %d", n, wantRows)
		}
		for _, c := range []struct {
			level string
			n     int
		}{{"province", 34 + 63}, {"district", 696}, {"commune", 3321 + 10035}} {
			if n := f.count(t, "SELECT COUNT(*) FROM admin_units WHERE level = ?", c.level); n != c.n {
				t.Errorf("%d %s units, want %d", n, c.level, c.n)
			}
		}
		var name, validTo, parent string
		if err := d.QueryRow(f.ctx, "SELECT full_name, valid_to, parent_id FROM admin_units WHERE id = ?", "31318@2025-03-01").Scan(&name, &validTo, &parent); err != nil {
			t.Fatal(err)
		}
		if name != "Phường I" || validTo != "2025-06-30" || parent != "930@2025-03-01" {
			t.Errorf("31318@2025-03-01: %q valid to %q under %q", name, validTo, parent)
		}
		var version string
		var loadedAt time.Time
		if err := d.QueryRow(f.ctx, "SELECT version, loaded_at FROM dataset_versions WHERE name = 'admin_units'").Scan(&version, &loadedAt); err != nil {
			t.Fatal(err)
		}
		if version == "" || !loadedAt.Equal(f.clock.Now()) {
			t.Fatalf("dataset version %q loaded at %v", version, loadedAt)
		}

		// A second load of the same data is a no-op: a row removed since stays removed.
		if _, err := d.Exec(f.ctx, "DELETE FROM unit_successors WHERE old_id = ?", "31318@2025-03-01"); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Hour)
		f.loadUnits(t)
		var again time.Time
		if err := d.QueryRow(f.ctx, "SELECT loaded_at FROM dataset_versions WHERE name = 'admin_units'").Scan(&again); err != nil {
			t.Fatal(err)
		}
		if !again.Equal(loadedAt) {
			t.Errorf("second load rewrote the dataset row (loaded_at %v, first %v)", again, loadedAt)
		}
		if n := f.count(t, "SELECT COUNT(*) FROM unit_successors"); n != wantRows-1 {
			t.Errorf("second load reloaded the successions (%d rows)", n)
		}

		// Another data version reloads everything, in place, even with agencies pointing at units.
		f.agency(t, orgCommittee("31321@2025-07-01"))
		if _, err := d.Exec(f.ctx, "UPDATE dataset_versions SET version = 'older' WHERE name = 'admin_units'"); err != nil {
			t.Fatal(err)
		}
		f.loadUnits(t)
		if n := f.count(t, "SELECT COUNT(*) FROM unit_successors"); n != wantRows {
			t.Errorf("%d successions after a reload, want %d", n, wantRows)
		}
		if n := f.count(t, "SELECT COUNT(*) FROM admin_units"); n != wantUnits {
			t.Errorf("%d units after a reload, want %d", n, wantUnits)
		}
		if err := d.QueryRow(f.ctx, "SELECT version, loaded_at FROM dataset_versions WHERE name = 'admin_units'").Scan(&version, &again); err != nil {
			t.Fatal(err)
		}
		if version == "older" || !again.Equal(f.clock.Now()) {
			t.Errorf("after a reload: version %q loaded at %v", version, again)
		}
	})
}

// hauGiangFigures are figures (say, dossiers received in 2024) filed under
// communes of the former Hậu Giang province, with where each goes today.
var hauGiangFigures = []struct {
	old   string
	n     int64
	today string
}{
	{"31318@2025-03-01", 120, "31321@2025-07-01"}, // Phường I (Vị Thanh) → Phường Vị Thanh
	{"31321@2025-03-01", 80, "31321@2025-07-01"},  // Phường III → Phường Vị Thanh
	{"31324@2025-03-01", 45, "31333@2025-07-01"},  // Phường IV → Phường Vị Tân
	{"31340@2025-03-01", 60, "31340@2025-07-01"},  // Phường Ngã Bảy → Phường Ngã Bảy
	{"31341@2025-03-01", 15, "31340@2025-07-01"},  // Phường Lái Hiếu → Phường Ngã Bảy
	{"31379@2025-03-01", 33, "31378@2025-07-01"},  // Xã Phú Tân, split in part: the first listed successor, Xã Phú Hữu
}

// sqlRollUp sums figures in SQL over unit_successors (communes) and
// admin_units (their provinces), as reports do.
func (f *orgFixture) sqlRollUp(t *testing.T, figures map[adminunit.ID]int64) (communes, provinces map[string]int64) {
	t.Helper()
	communes, provinces = map[string]int64{}, map[string]int64{}
	err := f.d.Tx(f.ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(f.ctx, "CREATE TABLE IF NOT EXISTS test_figures (unit_id TEXT NOT NULL, n BIGINT NOT NULL)"); err != nil {
			return err
		}
		if _, err := tx.Exec(f.ctx, "DELETE FROM test_figures"); err != nil {
			return err
		}
		for id, n := range figures {
			if _, err := tx.Exec(f.ctx, "INSERT INTO test_figures (unit_id, n) VALUES (?, ?)", id.String(), n); err != nil {
				return err
			}
		}
		for q, into := range map[string]map[string]int64{
			`SELECT s.new_id, SUM(x.n) FROM test_figures x JOIN unit_successors s ON s.old_id = x.unit_id AND s.rollup
				GROUP BY s.new_id`: communes,
			`SELECT u.parent_id, SUM(x.n) FROM test_figures x JOIN unit_successors s ON s.old_id = x.unit_id AND s.rollup
				JOIN admin_units u ON u.id = s.new_id GROUP BY u.parent_id`: provinces,
		} {
			rows, err := tx.Query(f.ctx, q)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id string
				var n int64
				if err := rows.Scan(&id, &n); err != nil {
					rows.Close()
					return err
				}
				into[id] = n
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return communes, provinces
}

func byString(m map[adminunit.ID]int64) map[string]int64 {
	out := map[string]int64{}
	for id, n := range m {
		out[id.String()] = n
	}
	return out
}

func TestSQLRollUpMatchesTheRegistry(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOrgFixture(t, d)
		f.loadUnits(t)
		reg := units(t)

		// Each old commune rolls up through exactly one row, to the commune the registry picks.
		figures := map[adminunit.ID]int64{}
		for _, c := range hauGiangFigures {
			var got []string
			rows, err := d.Query(f.ctx, "SELECT new_id FROM unit_successors WHERE old_id = ? AND rollup", c.old)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				got = append(got, id)
			}
			rows.Close()
			old, err := adminunit.ParseID(c.old)
			if err != nil {
				t.Fatal(err)
			}
			target, err := reg.Target(old, adminunit.LevelCommune)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0] != c.today || target.String() != c.today {
				t.Errorf("%s rolls up to %v in SQL and %s in the registry, want %s", c.old, got, target, c.today)
			}
			figures[old] = c.n
		}
		if n := f.count(t, `SELECT COUNT(*) FROM (SELECT old_id FROM unit_successors GROUP BY old_id
			HAVING SUM(CASE WHEN rollup THEN 1 ELSE 0 END) <> 1) x`); n != 0 {
			t.Errorf("%d old units without exactly one roll-up row", n)
		}

		// The small table: both give the same totals, and the ones expected.
		want := map[string]int64{"31321@2025-07-01": 200, "31333@2025-07-01": 45, "31340@2025-07-01": 75, "31378@2025-07-01": 33}
		res, err := reg.RollUp(figures, adminunit.LevelCommune)
		if err != nil {
			t.Fatal(err)
		}
		communes, provinces := f.sqlRollUp(t, figures)
		if got := byString(res.Totals); !maps.Equal(got, want) {
			t.Errorf("registry roll-up %v, want %v", got, want)
		}
		if !maps.Equal(communes, want) {
			t.Errorf("SQL roll-up %v, want %v", communes, want)
		}
		if want := map[string]int64{"92@2025-07-01": 353}; !maps.Equal(provinces, want) {
			t.Errorf("SQL province roll-up %v, want %v", provinces, want)
		}

		// Every old commune of Hậu Giang: the SQL and the registry agree at both levels.
		var i int64
		for u := range reg.Units() {
			if u.Edition == adminunit.EditionThreeLevel && u.Level == adminunit.LevelCommune && u.ProvinceCode == "93" {
				i++
				figures[u.ID()] = 1000 + i
			}
		}
		if len(figures) < 70 {
			t.Fatalf("only %d old Hậu Giang communes", len(figures))
		}
		regCommunes, err := reg.RollUp(figures, adminunit.LevelCommune)
		if err != nil {
			t.Fatal(err)
		}
		regProvinces, err := reg.RollUp(figures, adminunit.LevelProvince)
		if err != nil {
			t.Fatal(err)
		}
		if len(regCommunes.Unattributed) != 0 {
			t.Fatalf("unattributed: %v", regCommunes.Unattributed)
		}
		communes, provinces = f.sqlRollUp(t, figures)
		if want := byString(regCommunes.Totals); !maps.Equal(communes, want) {
			t.Errorf("commune roll-up: SQL %v, registry %v", communes, want)
		}
		if want := byString(regProvinces.Totals); !maps.Equal(provinces, want) || len(want) != 1 {
			t.Errorf("province roll-up: SQL %v, registry %v", provinces, want)
		}
	})
}
