package org

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/congso/congso/internal/adminunit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/vntext"
)

const unitsDataset = "admin_units"

// currentUnitID turns a unit code of today's structure into a unit ID ("" stays "").
func currentUnitID(code string) string {
	code = strings.TrimSpace(code)
	if code == "" || strings.Contains(code, "@") {
		return code
	}
	return adminunit.ID{Code: code, Edition: adminunit.EditionCurrent}.String()
}

// unitForCSV is how a unit ID appears in the agency file: the bare code for
// a unit of today's structure (what officials know), the whole ID for an
// older one, whose code may now belong to another unit (currentUnitID reads
// both back).
func unitForCSV(id string) string {
	code, edition, _ := strings.Cut(id, "@")
	if edition == string(adminunit.EditionCurrent) {
		return code
	}
	return id
}

// unitsVersion fingerprints the embedded data, so that a new release with new
// data reloads the tables and an unchanged one skips the work.
func unitsVersion(reg *adminunit.Registry) string {
	h := sha256.New()
	for u := range reg.Units() {
		fmt.Fprintf(h, "%s|%s|%s|%s|%s|%s|%s\n", u.ID(), u.Level, u.Kind, u.FullName, u.ParentCode, u.ValidFrom, u.ValidTo)
	}
	for s := range reg.Successions() {
		fmt.Fprintf(h, "%s|%s|%t|%d|%s\n", s.Old, s.New, s.Full, s.Rank, s.Status)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// LoadUnits copies the embedded administrative units and the 2025 succession
// table into the database (for joins and roll-ups in SQL), once per data
// version, in one transaction.
func (s *Service) LoadUnits(ctx context.Context, reg *adminunit.Registry) error {
	version := unitsVersion(reg)
	var have string
	err := s.db.QueryRow(ctx, "SELECT version FROM dataset_versions WHERE name = ?", unitsDataset).Scan(&have)
	if err == nil && have == version {
		return nil
	}
	return s.db.Tx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM unit_successors"); err != nil {
			return fmt.Errorf("clear successions: %w", err)
		}
		// Units are replaced in place: agencies refer to them.
		var units [][]any
		for u := range reg.Units() {
			parent := any(nil)
			if !u.ParentID().IsZero() {
				parent = u.ParentID().String()
			}
			units = append(units, []any{u.ID().String(), u.Code, string(u.Edition), string(u.Level), u.Kind, u.Name, u.FullName, u.NameEn,
				parent, dateOrNil(u.ValidFrom), dateOrNil(u.ValidTo), vntext.Fold(u.FullName)})
		}
		upsert := ` ON CONFLICT (id) DO UPDATE SET code = excluded.code, edition = excluded.edition,
			level = excluded.level, kind = excluded.kind, name = excluded.name, full_name = excluded.full_name, name_en = excluded.name_en,
			parent_id = excluded.parent_id, valid_from = excluded.valid_from, valid_to = excluded.valid_to, name_fold = excluded.name_fold`
		if have == "" {
			upsert = "" // first load into an empty table: plain inserts are cheaper
		}
		if err := insertBatches(ctx, tx, `INSERT INTO admin_units (id, code, edition, level, kind, name, full_name, name_en, parent_id,
			valid_from, valid_to, name_fold) VALUES `, upsert, units); err != nil {
			return fmt.Errorf("load units: %w", err)
		}
		var rows [][]any
		for sc := range reg.Successions() {
			if !sc.Usable() {
				continue
			}
			target, err := reg.Target(sc.Old, adminunit.LevelCommune)
			if sc.Old.Level() == adminunit.LevelProvince {
				target, err = reg.Target(sc.Old, adminunit.LevelProvince)
			}
			rows = append(rows, []any{sc.Old.String(), sc.New.String(), sc.Full, err == nil && target == sc.New})
		}
		if err := insertBatches(ctx, tx, "INSERT INTO unit_successors (old_id, new_id, is_full, rollup) VALUES ", "", rows); err != nil {
			return fmt.Errorf("load successions: %w", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO dataset_versions (name, version, loaded_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET version = excluded.version, loaded_at = excluded.loaded_at`, unitsDataset, version, s.now().UTC())
		return err
	})
}

func dateOrNil(d adminunit.Date) any {
	if d.IsZero() {
		return nil
	}
	return d.String()
}

// insertBatches inserts rows with multi-row statements: one round trip per
// few hundred rows instead of one per row.
func insertBatches(ctx context.Context, tx *db.Tx, head, tail string, rows [][]any) error {
	const batch = 400
	for start := 0; start < len(rows); start += batch {
		end := min(start+batch, len(rows))
		var b strings.Builder
		b.WriteString(head)
		var args []any
		for i, r := range rows[start:end] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(" + db.Placeholders(len(r)) + ")")
			args = append(args, r...)
		}
		b.WriteString(tail)
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}
