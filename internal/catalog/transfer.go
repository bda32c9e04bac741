package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/vntext"
)

// Entry is a procedure in an import or export file: its content and, when
// given, whether it is active (an import leaves the state alone when it is
// absent, and creates new procedures active).
type Entry struct {
	Spec
	Active *bool `json:"active,omitempty"`
}

// ImportResult counts what an import did.
type ImportResult struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// MaxImportBytes bounds an import file.
const MaxImportBytes = 20 << 20

const maxImportEntries = 10000

// ExportJSON writes the procedures as a JSON array in the shape of
// data/procedures.json, plus "active". Anyone may export the active
// procedures; officials export the inactive ones too.
func (s *Service) ExportJSON(ctx context.Context, by *actor.Actor, w io.Writer) error {
	all, err := s.st.all(ctx, s.db, by.IsOfficial())
	if err != nil {
		return err
	}
	entries := make([]Entry, len(all))
	for i, p := range all {
		active := p.Active
		entries[i] = Entry{Spec: p.Spec, Active: &active}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(entries)
}

// ImportJSON creates or updates procedures from a JSON array in the export
// format (see Import).
func (s *Service) ImportJSON(ctx context.Context, by *actor.Actor, r io.Reader) (ImportResult, error) {
	if err := denyUnlessProvinceAdmin(by, "Chỉ quản trị toàn tỉnh được nhập danh mục thủ tục hành chính."); err != nil {
		return ImportResult{}, err
	}
	entries, problems, err := DecodeJSON(r)
	if err != nil {
		return ImportResult{}, err
	}
	return s.importEntries(ctx, by, entries, problems, func(i int) string { return fmt.Sprintf("mục %d", i+1) })
}

// DecodeJSON reads a JSON array of entries. Entries that cannot be decoded
// (unknown keys, wrong types) are left zero and reported in problems, keyed
// by their index and then "" (the whole entry); a file that is not an array
// is an error.
func DecodeJSON(r io.Reader) ([]Entry, map[int]map[string]string, error) {
	data, err := io.ReadAll(&limitedReader{r: r, left: MaxImportBytes})
	if errors.Is(err, errTooLarge) {
		return nil, nil, apperr.New(apperr.Invalid, "Tệp quá lớn (tối đa %d MB).", MaxImportBytes>>20)
	}
	if err != nil {
		return nil, nil, apperr.Wrap(err, "read import")
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(bytes.TrimPrefix(data, []byte(utf8BOM)), &raw); err != nil {
		return nil, nil, apperr.New(apperr.Invalid, "Tệp JSON không hợp lệ: cần một mảng các thủ tục [{...}, {...}] như tệp xuất ra.")
	}
	if len(raw) == 0 {
		return nil, nil, apperr.New(apperr.Invalid, "Tệp không có thủ tục nào.")
	}
	if len(raw) > maxImportEntries {
		return nil, nil, apperr.New(apperr.Invalid, "Tệp có quá %d thủ tục.", maxImportEntries)
	}
	entries := make([]Entry, len(raw))
	problems := map[int]map[string]string{}
	for i, m := range raw {
		dec := json.NewDecoder(bytes.NewReader(m))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&entries[i]); err != nil {
			problems[i] = map[string]string{"": jsonProblem(err)}
			entries[i] = Entry{}
		}
	}
	return entries, problems, nil
}

func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return fmt.Sprintf("trường %q có kiểu dữ liệu không đúng.", typeErr.Field)
	case errors.As(err, &syntax):
		return "JSON không hợp lệ."
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "trường không được hỗ trợ: " + strings.TrimPrefix(err.Error(), "json: unknown field ") + "."
	case errors.Is(err, calendar.ErrInvalid):
		return err.Error() + "."
	}
	return "không đọc được mục này."
}

// importEntries applies entries in one transaction: each is matched to a
// stored procedure by national code (or by name when it has none, see
// store.match), created when there is none, updated when its content
// differs. One bad entry and nothing changes; the error names every bad
// entry by position and field. decodeProblems are the problems found while
// reading the file, by index and field path; an entry with a problem under
// "" could not be read at all.
func (s *Service) importEntries(ctx context.Context, by *actor.Actor, entries []Entry, decodeProblems map[int]map[string]string, pos func(int) string) (ImportResult, error) {
	var res ImportResult
	problems := importProblems{}
	for i, fields := range decodeProblems {
		for k, msg := range fields {
			problems.add(pos(i), k, msg)
		}
	}
	byCode, byName := map[string]int{}, map[string]int{}
	for i := range entries {
		if _, unreadable := decodeProblems[i][""]; unreadable {
			continue
		}
		e := &entries[i]
		e.Normalize()
		for k, msg := range e.Validate() {
			problems.add(pos(i), k, msg)
		}
		if e.Code != "" {
			if j, dup := byCode[e.Code]; dup {
				problems.add(pos(i), "code", fmt.Sprintf("Mã thủ tục %s trùng với %s.", e.Code, pos(j)))
			}
			byCode[e.Code] = i
		} else if e.Name != "" {
			if j, dup := byName[vntext.Fold(e.Name)]; dup {
				problems.add(pos(i), "name", fmt.Sprintf("Thủ tục chưa có mã %q trùng tên với %s.", e.Name, pos(j)))
			}
			byName[vntext.Fold(e.Name)] = i
		}
	}
	if err := problems.err(); err != nil {
		return res, err
	}
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		res = ImportResult{}
		var events []audit.Event
		seen := map[string]int{}
		for i, e := range entries {
			id, ev, kind, err := s.importOne(ctx, tx, e)
			if err != nil {
				if apperr.CodeOf(err) == apperr.Internal {
					return err
				}
				for k, msg := range fieldsOrMessage(err) {
					problems.add(pos(i), k, msg)
				}
				continue
			}
			if j, twice := seen[id]; twice {
				problems.add(pos(i), "name", fmt.Sprintf("Mục này và %s cùng ứng với một thủ tục trong danh mục.", pos(j)))
			}
			seen[id] = i
			if ev != nil {
				events = append(events, *ev)
			}
			switch kind {
			case "create":
				res.Created++
			case "update":
				res.Updated++
			default:
				res.Unchanged++
			}
		}
		if err := problems.err(); err != nil {
			return err
		}
		for _, ev := range events {
			if err := s.audit.Append(ctx, tx, by, ev); err != nil {
				return err
			}
		}
		return nil
	})
	return res, err
}

// importOne writes one entry and returns the procedure's ID, its audit
// event (nil when nothing changed) and what it did: create, update or keep.
func (s *Service) importOne(ctx context.Context, tx *db.Tx, e Entry) (string, *audit.Event, string, error) {
	cur, found, err := s.st.match(ctx, tx, e.Spec)
	if err != nil {
		return "", nil, "", err
	}
	if !found {
		p, err := s.create(ctx, tx, e.Spec, e.Active == nil || *e.Active)
		if err != nil {
			return "", nil, "", err
		}
		ev := createEvent(p)
		ev.Detail["import"] = true
		return p.ID, &ev, "create", nil
	}
	same, err := sameSpec(cur.Spec, e.Spec)
	if err != nil {
		return "", nil, "", apperr.Wrap(err, "compare procedures")
	}
	stateChange := e.Active != nil && *e.Active != cur.Active
	if same && !stateChange {
		return cur.ID, nil, "keep", nil
	}
	now := s.now().UTC()
	if !same {
		if ok, err := s.st.update(ctx, tx, cur.ID, cur.Version, e.Spec, now); err != nil {
			return "", nil, "", err
		} else if !ok {
			return "", nil, "", apperr.New(apperr.Conflict, "Thủ tục %s vừa được người khác sửa; hãy nhập lại.", cur.Name)
		}
	}
	if stateChange {
		if err := s.st.setActive(ctx, tx, cur.ID, *e.Active, now); err != nil {
			return "", nil, "", err
		}
	}
	ev := audit.Event{Action: "procedure.update", ObjectType: objectType, ObjectID: cur.ID,
		Detail: map[string]any{"import": true, "content": !same}}
	if stateChange {
		ev.Detail["active"] = *e.Active
	}
	return cur.ID, &ev, "update", nil
}

func sameSpec(a, b Spec) (bool, error) {
	x, err := encodeJSON(a)
	if err != nil {
		return false, err
	}
	y, err := encodeJSON(b)
	return x == y, err
}

func fieldsOrMessage(err error) map[string]string {
	if f := apperr.FieldsOf(err); len(f) > 0 {
		return f
	}
	return map[string]string{"": apperr.MessageOf(err)}
}

// importProblems collects the problems of an import by position.
type importProblems map[string]map[string]string

func (p importProblems) add(pos, key, msg string) {
	if p[pos] == nil {
		p[pos] = map[string]string{}
	}
	if _, ok := p[pos][key]; !ok {
		p[pos][key] = msg
	}
}

// posNumber is the number in "mục 3" or "dòng 3".
func posNumber(pos string) int {
	n, _ := strconv.Atoi(pos[strings.LastIndexByte(pos, ' ')+1:])
	return n
}

// err is an Invalid error naming every bad entry and field, or nil. Its
// Fields are keyed "<position>: <field>" ("mục 3: steps.0.role"; the bare
// position for a problem with the whole entry).
func (p importProblems) err() error {
	if len(p) == 0 {
		return nil
	}
	positions := make([]string, 0, len(p))
	for k := range p {
		positions = append(positions, k)
	}
	slices.SortFunc(positions, func(a, b string) int { return posNumber(a) - posNumber(b) })
	fields := map[string]string{}
	lines := make([]string, 0, len(positions))
	for _, pos := range positions {
		keys := make([]string, 0, len(p[pos]))
		for k := range p[pos] {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		msgs := make([]string, 0, len(keys))
		for _, k := range keys {
			msgs = append(msgs, p[pos][k])
			key := pos
			if k != "" {
				key += ": " + k
			}
			fields[key] = p[pos][k]
		}
		lines = append(lines, pos+": "+strings.Join(msgs, " "))
	}
	unit := "mục"
	if strings.HasPrefix(positions[0], "dòng") {
		unit = "dòng"
	}
	return &apperr.Error{Code: apperr.Invalid, Fields: fields,
		Message: fmt.Sprintf("Tệp có %d %s lỗi, chưa nhập thủ tục nào.\n%s", len(positions), unit, strings.Join(lines, "\n"))}
}
