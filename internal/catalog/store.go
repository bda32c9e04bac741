package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/org"
	"github.com/congso/congso/internal/vntext"
)

// The SQL of the catalogue, written once for both engines. The lists of a
// procedure are stored as JSON text: they are edited, versioned and read as
// one document with the procedure, and nothing queries inside them.

// Summary is a procedure as lists show it, without its lists.
type Summary struct {
	ID          string            `json:"id"`
	Code        string            `json:"code"`
	Name        string            `json:"name"`
	Field       string            `json:"field"`
	Level       Level             `json:"level"`
	AgencyKind  org.Kind          `json:"agency_kind"`
	TimeLimit   calendar.Duration `json:"time_limit"`
	CutOff      string            `json:"cutoff"`
	OnlineLevel OnlineLevel       `json:"online_level"`
	Active      bool              `json:"active"`
	Version     int               `json:"version"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// LimitLabel describes the time limit in Vietnamese.
func (s Summary) LimitLabel() string {
	return Spec{TimeLimit: s.TimeLimit, CutOff: s.CutOff}.LimitLabel()
}

// Filter selects procedures.
type Filter struct {
	// Query matches words of the name, field and code, ignoring diacritics,
	// đ and case; each word of the query must start a word of the
	// procedure ("dang ky khai sinh", "ĐĂNG KÝ KHAI SINH", "khai sinh",
	// "1.001193" and "001193" all find "Đăng ký khai sinh").
	Query       string
	Field       string
	Level       Level
	AgencyID    string
	OnlineLevel OnlineLevel
	// IncludeInactive also lists inactive procedures (officials only).
	IncludeInactive bool
	// After is a cursor: the ID of the last procedure of the previous page.
	After string
	Limit int
}

const summaryColumns = `id, code, name, field, level, agency_kind, limit_n, limit_unit, cutoff, online_level, active, version, updated_at`

const procedureColumns = `id, code, name, field, level, agency_kind, agency_hint, limit_n, limit_unit, cutoff, online_level,
	fees, documents, results, legal_basis, steps, form, active, version, created_at, updated_at`

type scanner interface{ Scan(...any) error }

func scanSummary(row scanner) (Summary, error) {
	var s Summary
	var unit string
	err := row.Scan(&s.ID, &s.Code, &s.Name, &s.Field, &s.Level, &s.AgencyKind, &s.TimeLimit.N, &unit, &s.CutOff, &s.OnlineLevel,
		&s.Active, &s.Version, &s.UpdatedAt)
	if err != nil {
		return s, err
	}
	if err := s.TimeLimit.Unit.UnmarshalText([]byte(unit)); err != nil {
		return s, fmt.Errorf("procedure %s: %w", s.ID, err)
	}
	return s, nil
}

func scanProcedure(row scanner) (Procedure, error) {
	var p Procedure
	var unit, fees, docs, results, basis, steps, form string
	err := row.Scan(&p.ID, &p.Code, &p.Name, &p.Field, &p.Level, &p.AgencyKind, &p.AgencyHint, &p.TimeLimit.N, &unit, &p.CutOff,
		&p.OnlineLevel, &fees, &docs, &results, &basis, &steps, &form, &p.Active, &p.Version, &p.CreatedAt, &p.UpdatedAt)
	if err != nil {
		return p, err
	}
	if err := p.TimeLimit.Unit.UnmarshalText([]byte(unit)); err != nil {
		return p, fmt.Errorf("procedure %s: %w", p.ID, err)
	}
	for _, c := range []struct {
		text string
		into any
	}{{fees, &p.Fees}, {docs, &p.Documents}, {results, &p.Results}, {basis, &p.LegalBasis}, {steps, &p.Steps}, {form, &p.Form}} {
		if err := json.Unmarshal([]byte(c.text), c.into); err != nil {
			return p, fmt.Errorf("procedure %s: decode lists: %w", p.ID, err)
		}
	}
	p.AgencyIDs = []string{}
	return p, nil
}

func encodeJSON(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// columnValues are the stored forms of a spec's columns, in the order of
// specColumnNames.
func columnValues(s Spec) ([]any, error) {
	unit, err := s.TimeLimit.Unit.MarshalText()
	if err != nil {
		return nil, err
	}
	out := []any{s.Code, s.Name, s.Field, string(s.Level), string(s.AgencyKind), s.AgencyHint, s.TimeLimit.N, string(unit), s.CutOff,
		string(s.OnlineLevel)}
	for _, v := range []any{s.Fees, s.Documents, s.Results, s.LegalBasis, s.Steps, s.Form} {
		text, err := encodeJSON(v)
		if err != nil {
			return nil, err
		}
		out = append(out, text)
	}
	return append(out, vntext.Fold(s.Name), searchText(s)), nil
}

// specColumnNames are the columns written from a spec, in the order of
// columnValues.
func specColumnNames() []string {
	return []string{"code", "name", "field", "level", "agency_kind", "agency_hint", "limit_n", "limit_unit", "cutoff", "online_level",
		"fees", "documents", "results", "legal_basis", "steps", "form", "name_fold", "search_fold"}
}

// words splits folded text into words of letters and digits.
func words(folded string) []string {
	return strings.FieldsFunc(folded, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// searchText is the folded words of the name, the field and the code (whole,
// and its number after the dot), each between spaces.
func searchText(s Spec) string {
	w := words(vntext.Fold(s.Name + " " + s.Field))
	if s.Code != "" {
		w = append(w, strings.ToLower(s.Code))
		if _, num, ok := strings.Cut(s.Code, "."); ok {
			w = append(w, num)
		}
	}
	return " " + strings.Join(w, " ") + " "
}

// queryTerms folds a query into the words to look for. A dotted number
// stays whole, to match a code.
func queryTerms(q string) []string {
	var out []string
	for _, t := range strings.FieldsFunc(vntext.Fold(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.'
	}) {
		t = strings.Trim(t, ".")
		if t == "" {
			continue
		}
		if strings.Contains(t, ".") && strings.Trim(t, "0123456789.") != "" {
			out = append(out, words(t)...)
			continue
		}
		out = append(out, t)
	}
	if len(out) > 10 {
		out = out[:10]
	}
	return out
}

type store struct{ db *db.DB }

// search lists procedures in the order of their folded names.
func (st store) search(ctx context.Context, f Filter) ([]Summary, error) {
	q := "SELECT " + summaryColumns + " FROM procedures WHERE 1=1"
	var args []any
	add := func(cond string, v ...any) { q += " AND " + cond; args = append(args, v...) }
	if !f.IncludeInactive {
		add("active = ?", true)
	}
	if f.Field != "" {
		add("field = ?", f.Field)
	}
	if f.Level != "" {
		add("level = ?", string(f.Level))
	}
	if f.OnlineLevel != "" {
		add("online_level = ?", string(f.OnlineLevel))
	}
	if f.AgencyID != "" {
		add("id IN (SELECT procedure_id FROM procedure_agencies WHERE agency_id = ?)", f.AgencyID)
	}
	for _, t := range queryTerms(f.Query) {
		// A word of the procedure starts with the term. SQLite's instr is a
		// plain substring search, several times faster than its LIKE;
		// PostgreSQL's LIKE is as fast as strpos. Terms hold only letters,
		// digits and dots: no LIKE wildcards.
		if st.db.Engine() == db.SQLite {
			add("instr(search_fold, ?) > 0", " "+t)
		} else {
			add("search_fold LIKE ?", "% "+t+"%")
		}
	}
	if f.After != "" {
		add(`(name_fold > (SELECT name_fold FROM procedures WHERE id = ?)
			OR (name_fold = (SELECT name_fold FROM procedures WHERE id = ?) AND id > ?))`, f.After, f.After, f.After)
	}
	q += fmt.Sprintf(" ORDER BY name_fold, id LIMIT %d", f.Limit)
	rows, err := st.db.Query(ctx, q, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "search procedures")
	}
	defer rows.Close()
	out := []Summary{}
	for rows.Next() {
		s, err := scanSummary(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan procedure")
		}
		out = append(out, s)
	}
	return out, apperr.Wrap(rows.Err(), "search procedures")
}

// get reads one procedure with its agencies.
func (st store) get(ctx context.Context, r db.Runner, where string, args ...any) (Procedure, error) {
	p, err := scanProcedure(r.QueryRow(ctx, "SELECT "+procedureColumns+" FROM procedures WHERE "+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return Procedure{}, apperr.New(apperr.NotFound, "Không tìm thấy thủ tục hành chính.")
	}
	if err != nil {
		return Procedure{}, apperr.Wrap(err, "read procedure")
	}
	if p.AgencyIDs, err = st.agencyIDs(ctx, r, p.ID); err != nil {
		return Procedure{}, err
	}
	return p, nil
}

func (st store) agencyIDs(ctx context.Context, r db.Runner, id string) ([]string, error) {
	rows, err := r.Query(ctx, "SELECT agency_id FROM procedure_agencies WHERE procedure_id = ? ORDER BY agency_id", id)
	if err != nil {
		return nil, apperr.Wrap(err, "read procedure agencies")
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, apperr.Wrap(err, "read procedure agencies")
		}
		ids = append(ids, a)
	}
	return ids, apperr.Wrap(rows.Err(), "read procedure agencies")
}

// all reads every procedure with its agencies, in name order.
func (st store) all(ctx context.Context, r db.Runner, includeInactive bool) ([]Procedure, error) {
	q := "SELECT " + procedureColumns + " FROM procedures"
	var args []any
	if !includeInactive {
		q += " WHERE active = ?"
		args = append(args, true)
	}
	rows, err := r.Query(ctx, q+" ORDER BY name_fold, id", args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list procedures")
	}
	var out []Procedure
	index := map[string]int{}
	for rows.Next() {
		p, err := scanProcedure(rows)
		if err != nil {
			rows.Close()
			return nil, apperr.Wrap(err, "scan procedure")
		}
		index[p.ID] = len(out)
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, apperr.Wrap(err, "list procedures")
	}
	links, err := r.Query(ctx, "SELECT procedure_id, agency_id FROM procedure_agencies ORDER BY procedure_id, agency_id")
	if err != nil {
		return nil, apperr.Wrap(err, "list procedure agencies")
	}
	defer links.Close()
	for links.Next() {
		var pid, aid string
		if err := links.Scan(&pid, &aid); err != nil {
			return nil, apperr.Wrap(err, "list procedure agencies")
		}
		if i, ok := index[pid]; ok {
			out[i].AgencyIDs = append(out[i].AgencyIDs, aid)
		}
	}
	return out, apperr.Wrap(links.Err(), "list procedure agencies")
}

// match finds the stored procedure a spec stands for: by national code, or
// by name among the procedures without a code (also when the spec has a
// code that no procedure has yet: a code found later attaches to the
// procedure entered without one).
func (st store) match(ctx context.Context, r db.Runner, s Spec) (Procedure, bool, error) {
	if s.Code != "" {
		p, err := st.get(ctx, r, "code = ?", s.Code)
		if err == nil {
			return p, true, nil
		}
		if !apperr.Is(err, apperr.NotFound) {
			return Procedure{}, false, err
		}
	}
	p, err := st.get(ctx, r, "code = '' AND name_fold = ?", vntext.Fold(s.Name))
	switch {
	case err == nil:
		return p, true, nil
	case apperr.Is(err, apperr.NotFound):
		return Procedure{}, false, nil
	}
	return Procedure{}, false, err
}

func uniqueError(s Spec, err error) error {
	if strings.Contains(err.Error(), "name") {
		return apperr.Field("name", fmt.Sprintf("Đã có một thủ tục chưa có mã mang tên %q; hãy ghi mã thủ tục hoặc đặt tên khác.", s.Name))
	}
	return apperr.Field("code", fmt.Sprintf("Mã thủ tục %s đã có trong danh mục.", s.Code))
}

func (st store) insert(ctx context.Context, tx *db.Tx, p Procedure) error {
	vals, err := columnValues(p.Spec)
	if err != nil {
		return apperr.Wrap(err, "encode procedure")
	}
	args := append([]any{p.ID}, vals...)
	args = append(args, p.Active, p.Version, p.CreatedAt, p.UpdatedAt)
	_, err = tx.Exec(ctx, "INSERT INTO procedures (id, "+strings.Join(specColumnNames(), ", ")+", active, version, created_at, updated_at) VALUES ("+
		db.Placeholders(len(args))+")", args...)
	if db.IsUniqueViolation(err) {
		return uniqueError(p.Spec, err)
	}
	return apperr.Wrap(err, "insert procedure")
}

// update writes a new version of the spec if the stored version is the one
// given; false when it is not.
func (st store) update(ctx context.Context, tx *db.Tx, id string, version int, s Spec, now time.Time) (bool, error) {
	vals, err := columnValues(s)
	if err != nil {
		return false, apperr.Wrap(err, "encode procedure")
	}
	set := strings.Join(specColumnNames(), " = ?, ") + " = ?"
	res, err := tx.Exec(ctx, "UPDATE procedures SET "+set+", version = version + 1, updated_at = ? WHERE id = ? AND version = ?",
		append(vals, now, id, version)...)
	if db.IsUniqueViolation(err) {
		return false, uniqueError(s, err)
	}
	if err != nil {
		return false, apperr.Wrap(err, "update procedure")
	}
	n, err := res.RowsAffected()
	return n == 1, apperr.Wrap(err, "update procedure")
}

func (st store) setActive(ctx context.Context, tx *db.Tx, id string, active bool, now time.Time) error {
	_, err := tx.Exec(ctx, "UPDATE procedures SET active = ?, version = version + 1, updated_at = ? WHERE id = ?", active, now, id)
	return apperr.Wrap(err, "set procedure state")
}

// link and unlink change the implementing agencies.
func (st store) link(ctx context.Context, tx *db.Tx, id string, agencyIDs []string, now time.Time) error {
	for _, a := range agencyIDs {
		if _, err := tx.Exec(ctx, "INSERT INTO procedure_agencies (procedure_id, agency_id, created_at) VALUES (?, ?, ?)", id, a, now); err != nil {
			return apperr.Wrap(err, "link agency")
		}
	}
	return nil
}

func (st store) unlink(ctx context.Context, tx *db.Tx, id string, agencyIDs []string) error {
	for _, a := range agencyIDs {
		if _, err := tx.Exec(ctx, "DELETE FROM procedure_agencies WHERE procedure_id = ? AND agency_id = ?", id, a); err != nil {
			return apperr.Wrap(err, "unlink agency")
		}
	}
	return nil
}

// touch bumps the version after a change of agencies, so that an editor
// holding the old version notices.
func (st store) touch(ctx context.Context, tx *db.Tx, id string, now time.Time) error {
	_, err := tx.Exec(ctx, "UPDATE procedures SET version = version + 1, updated_at = ? WHERE id = ?", now, id)
	return apperr.Wrap(err, "touch procedure")
}

// fields lists the fields (lĩnh vực) in use.
func (st store) fields(ctx context.Context, includeInactive bool) ([]string, error) {
	q := "SELECT DISTINCT field FROM procedures"
	var args []any
	if !includeInactive {
		q += " WHERE active = ?"
		args = append(args, true)
	}
	rows, err := st.db.Query(ctx, q+" ORDER BY field", args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list fields")
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			return nil, apperr.Wrap(err, "list fields")
		}
		out = append(out, f)
	}
	return out, apperr.Wrap(rows.Err(), "list fields")
}
