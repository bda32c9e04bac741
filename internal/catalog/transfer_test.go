package catalog_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/catalog"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
)

// tricky is a procedure whose text exercises the CSV cell format.
func tricky() catalog.Spec {
	s := sample("", "Thủ tục có ký tự | khó \\ đọc")
	s.Fees = append(s.Fees, catalog.Fee{Kind: catalog.KindCharge, Name: "Phí A | B", Amount: 0, Note: "Dòng 1\nDòng 2 \\n không phải xuống dòng"})
	s.Documents[0].Note = "Ghi chú, có dấu phẩy; và \"ngoặc kép\""
	s.Results = []string{"Kết quả | một", "Kết quả hai"}
	s.Form.Fields = append(s.Form.Fields, catalog.Field{Name: "gioi_tinh", Label: "Giới tính", Type: catalog.TypeChoice, Required: true,
		Options: []string{"Nam", "Nữ"}, Help: "Chọn một"}, catalog.Field{Name: "so_ban", Label: "Số bản", Type: catalog.TypeNumber, Min: f64(1), Max: f64(10.5)})
	return s
}

// specsByName reads every procedure's content, keyed by name.
func specsByName(t *testing.T, f *fixture) map[string]catalog.Procedure {
	t.Helper()
	var buf bytes.Buffer
	if err := f.svc.ExportJSON(context.Background(), f.admin, &buf); err != nil {
		t.Fatal(err)
	}
	list, err := f.svc.Search(context.Background(), f.admin, catalog.Filter{IncludeInactive: true, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]catalog.Procedure{}
	for _, s := range list {
		p, err := f.svc.Get(context.Background(), f.admin, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		out[p.Name] = p
	}
	return out
}

func TestExportImportRoundTrip(t *testing.T) {
	for _, format := range []string{"json", "csv"} {
		t.Run(format, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, d *db.DB) {
				ctx := context.Background()
				src := newFixture(t, d, false)
				src.create(sample("1.004873", "Cấp Giấy xác nhận tình trạng hôn nhân"))
				src.create(tricky())
				off := src.create(sample("1.000002", "Thủ tục đã ngừng áp dụng"))
				if _, err := src.svc.SetActive(ctx, src.admin, off.ID, false); err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				export, importFn := src.svc.ExportJSON, src.svc.ImportJSON
				if format == "csv" {
					export, importFn = src.svc.ExportCSV, src.svc.ImportCSV
				}
				if err := export(ctx, src.admin, &buf); err != nil {
					t.Fatal(err)
				}
				file := buf.Bytes()

				// Into an empty catalogue: the same procedures, same state.
				dst := newFixture(t, dbtest.Open(t, d.Engine()), false)
				res, err := dst.svc.ImportJSON(ctx, dst.admin, bytes.NewReader(file))
				if format == "csv" {
					res, err = dst.svc.ImportCSV(ctx, dst.admin, bytes.NewReader(file))
				}
				if err != nil {
					t.Fatalf("import: %v\n%v", err, apperr.FieldsOf(err))
				}
				if res != (catalog.ImportResult{Created: 3}) {
					t.Errorf("result %+v", res)
				}
				want, got := specsByName(t, src), specsByName(t, dst)
				if len(got) != 3 {
					t.Fatalf("imported %d procedures", len(got))
				}
				for name, w := range want {
					g := got[name]
					if !reflect.DeepEqual(g.Spec, w.Spec) {
						gj, _ := json.Marshal(g.Spec)
						wj, _ := json.Marshal(w.Spec)
						t.Errorf("%s differs after the round trip:\n got %s\nwant %s", name, gj, wj)
					}
					if g.Active != w.Active {
						t.Errorf("%s: active %v, want %v", name, g.Active, w.Active)
					}
				}

				// Into the same catalogue: nothing changes, versions stay.
				res, err = importFn(ctx, src.admin, bytes.NewReader(file))
				if err != nil {
					t.Fatal(err)
				}
				if res != (catalog.ImportResult{Unchanged: 3}) {
					t.Errorf("re-import %+v", res)
				}
				for name, p := range specsByName(t, src) {
					if p.Version != want[name].Version {
						t.Errorf("%s: version %d after an idempotent import", name, p.Version)
					}
				}
			})
		})
	}
}

func TestCSVIsASpreadsheetRowPerProcedure(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d, false)
		f.create(tricky())
		var buf bytes.Buffer
		if err := f.svc.ExportCSV(ctx, nil, &buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(buf.Bytes(), []byte("\ufeff")) {
			t.Error("no byte-order mark: Excel would read the file as ANSI")
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || !slices.Equal(rows[0], catalog.CSVHeader()) {
			t.Fatalf("rows %q", rows)
		}
		row := map[string]string{}
		for i, h := range rows[0] {
			row[h] = rows[1][i]
		}
		for col, want := range map[string]string{
			"thoi_han": "3", "don_vi_thoi_han": "working_days", "dang_ap_dung": "có",
			"phi_le_phi":       "fee | 15000 | Lệ phí | Mức do HĐND tỉnh quy định\ncharge | 0 | Phí A \\| B | Dòng 1\\nDòng 2 \\\\n không phải xuống dòng",
			"quy_trinh":        "receiver | 4 | working_hours | Tiếp nhận hồ sơ\nspecialist | 1 | working_days | Thẩm định\nhead | 1 | working_days | Phê duyệt\nclerk | 4 | working_hours | Trả kết quả",
			"thanh_phan_ho_so": "1 | 0 |  | Tờ khai theo mẫu | Ghi chú, có dấu phẩy; và \"ngoặc kép\"\n0 | 0 | có | Giấy tờ tùy thân | Khai thác từ CSDL quốc gia về dân cư",
		} {
			if row[col] != want {
				t.Errorf("%s = %q, want %q", col, row[col], want)
			}
		}
		// Excel with Vietnamese regional settings writes semicolons.
		var semi bytes.Buffer
		w := csv.NewWriter(&semi)
		w.Comma = ';'
		_ = w.WriteAll(rows)
		other := newFixture(t, dbtest.Open(t, d.Engine()), false)
		if res, err := other.svc.ImportCSV(ctx, other.admin, &semi); err != nil || res.Created != 1 {
			t.Errorf("semicolon file: %+v %v %v", res, err, apperr.FieldsOf(err))
		}
	})
}

func TestImportIsAllOrNothingAndNamesEveryBadEntry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d, false)
		existing := f.create(sample("1.000001", "Thủ tục có sẵn"))

		changed := sample("1.000001", "Thủ tục có sẵn (sửa)")
		badFee := sample("1.000002", "Phí âm")
		badFee.Fees[0].Amount = -5000
		good := sample("1.000003", "Thủ tục mới")
		badSteps := sample("1.000004", "Bảy giờ")
		badSteps.TimeLimit.N = 1
		badSteps.Steps = badSteps.Steps[:1]
		badSteps.Steps[0].Budget.N = 7
		entries := []catalog.Entry{{Spec: changed}, {Spec: badFee}, {Spec: good}, {Spec: badSteps}}
		file, _ := json.Marshal(entries)

		_, err := f.svc.ImportJSON(ctx, f.admin, bytes.NewReader(file))
		if !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("import: %v", err)
		}
		msg, fields := apperr.MessageOf(err), apperr.FieldsOf(err)
		for _, want := range []string{"2 mục lỗi", "mục 2: Khoản phí thứ 1: số tiền không được âm.", "mục 4: Tổng thời gian các bước (7 giờ làm việc)"} {
			if !strings.Contains(msg, want) {
				t.Errorf("message does not say %q:\n%s", want, msg)
			}
		}
		if fields["mục 2: fees.0.amount"] == "" || fields["mục 4: steps"] == "" || len(fields) != 2 {
			t.Errorf("fields %v", fields)
		}
		if n := f.count(); n != 1 {
			t.Errorf("%d procedures after a failed import", n)
		}
		if p, _ := f.svc.Get(ctx, nil, existing.ID); p.Name != "Thủ tục có sẵn" || p.Version != 1 {
			t.Errorf("the good entry was applied: %+v", p)
		}

		// The same in CSV names spreadsheet rows.
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write(catalog.CSVHeader())
		for i, e := range entries {
			row := []string{e.Code, e.Name, e.Field, string(e.Level), string(e.AgencyKind), e.AgencyHint, fmt.Sprint(e.TimeLimit.N), "working_days",
				"15:00", "full", "có", fmt.Sprintf("fee | %d | Lệ phí | ", e.Fees[0].Amount), "1 | 0 | | Tờ khai | ", "Kết quả", "Luật",
				"", ""}
			for j, st := range e.Steps {
				if j > 0 {
					row[15] += "\n"
				}
				unit, _ := st.Budget.Unit.MarshalText()
				row[15] += fmt.Sprintf("%s | %d | %s | %s", st.Role, st.Budget.N, unit, st.Name)
			}
			if i == 2 {
				row[12] = "một | 0 | | Tờ khai | " // not a number
			}
			_ = w.Write(row)
		}
		w.Flush()
		_, err = f.svc.ImportCSV(ctx, f.admin, &buf)
		fields = apperr.FieldsOf(err)
		if fields["dòng 3: fees.0.amount"] == "" || fields["dòng 5: steps"] == "" || fields["dòng 4: documents.0.originals"] == "" {
			t.Errorf("CSV problems %v", fields)
		}
		if !strings.Contains(apperr.MessageOf(err), "3 dòng lỗi") {
			t.Errorf("CSV message %q", apperr.MessageOf(err))
		}
		if n := f.count(); n != 1 {
			t.Errorf("%d procedures after a failed CSV import", n)
		}

		// Without the bad entries, it goes through: matched by code.
		file, _ = json.Marshal([]catalog.Entry{{Spec: changed}, {Spec: good, Active: ptr(false)}})
		res, err := f.svc.ImportJSON(ctx, f.admin, bytes.NewReader(file))
		if err != nil || res != (catalog.ImportResult{Created: 1, Updated: 1}) {
			t.Fatalf("import: %+v %v", res, err)
		}
		if p, _ := f.svc.Get(ctx, f.admin, existing.ID); p.Name != "Thủ tục có sẵn (sửa)" || p.Version != 2 {
			t.Errorf("matched by code: %+v", p)
		}
		list, _ := f.svc.Search(ctx, nil, catalog.Filter{Query: "thu tuc moi"})
		if len(list) != 0 {
			t.Error("an entry imported as inactive is public")
		}
	})
}

func TestImportReportsUnreadableEntriesAndDuplicates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d, false)
		good, _ := json.Marshal(sample("1.000001", "Một"))
		dup, _ := json.Marshal(sample("1.000001", "Một lần nữa"))
		file := `[` + string(good) + `, {"name": "Sai", "time_limit": {"value": 3, "unit": "working_days"}},
			{"name": "Sai kiểu", "fees": "không"}, {"name": "X", "time_limit": {"n": 3, "unit": "days"}}, ` + string(dup) + `]`
		_, err := f.svc.ImportJSON(ctx, f.admin, strings.NewReader(file))
		fields := apperr.FieldsOf(err)
		for key, want := range map[string]string{
			"mục 2":       "không được hỗ trợ: \"value\"",
			"mục 3":       "kiểu dữ liệu không đúng",
			"mục 4":       "đơn vị thời hạn không hợp lệ",
			"mục 5: code": "trùng với mục 1",
		} {
			if !strings.Contains(fields[key], want) {
				t.Errorf("%s = %q, want %q (all: %v)", key, fields[key], want, fields)
			}
		}
		for _, bad := range []string{`{}`, `[]`, `not json`} {
			if _, err := f.svc.ImportJSON(ctx, f.admin, strings.NewReader(bad)); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("%s: %v", bad, err)
			}
		}
		if n := f.count(); n != 0 {
			t.Errorf("%d procedures", n)
		}
	})
}

func TestImportMatchesUncodedProceduresByName(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d, false)
		p := f.create(sample("", "Cấp Giấy phép bán lẻ rượu"))
		// The same name, other spelling: an update, not a second procedure.
		again := sample("", "CẤP GIẤY PHÉP BÁN LẺ RƯỢU")
		again.Fees[0].Amount = 1
		file, _ := json.Marshal([]catalog.Entry{{Spec: again}})
		if res, err := f.svc.ImportJSON(ctx, f.admin, bytes.NewReader(file)); err != nil || res.Updated != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		// A code found later attaches to the procedure entered without one.
		coded := sample("2.000633", "Cấp Giấy phép bán lẻ rượu")
		file, _ = json.Marshal([]catalog.Entry{{Spec: coded}})
		if res, err := f.svc.ImportJSON(ctx, f.admin, bytes.NewReader(file)); err != nil || res.Updated != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		got, _ := f.svc.Get(ctx, nil, p.ID)
		if got.Code != "2.000633" || f.count() != 1 {
			t.Errorf("code not attached: %+v, %d procedures", got.Code, f.count())
		}
	})
}

func TestLoadShippedTwiceCreatesNoDuplicates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d, true)
		res, err := f.svc.LoadShipped(ctx, f.sys)
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 44 {
			t.Fatalf("first load %+v", res)
		}
		if res, err := f.svc.LoadShipped(ctx, f.sys); err != nil || res != (catalog.ImportResult{}) {
			t.Fatalf("second load %+v %v", res, err)
		}
		// A new version of the data only adds what is missing, and keeps the
		// province's edits.
		p, err := f.svc.ByCode(ctx, nil, "1.001193")
		if err != nil {
			t.Fatal(err)
		}
		edited := p.Spec
		edited.Fees[0].Amount = 5000
		if _, err := f.svc.Update(ctx, f.admin, p.ID, p.Version, edited); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, "UPDATE dataset_versions SET version = 'older' WHERE name = 'catalog.procedures'"); err != nil {
			t.Fatal(err)
		}
		if res, err := f.svc.LoadShipped(ctx, f.sys); err != nil || res != (catalog.ImportResult{Unchanged: 44}) {
			t.Fatalf("load of a new version %+v %v", res, err)
		}
		if n := f.count(); n != 44 {
			t.Errorf("%d procedures", n)
		}
		if p, _ := f.svc.ByCode(ctx, nil, "1.001193"); p.Fees[0].Amount != 5000 {
			t.Error("the province's edit was overwritten")
		}
		if _, err := f.svc.LoadShipped(ctx, f.specialist); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("a specialist loads the catalogue: %v", err)
		}

		// Assignment by kind and hint.
		assigned := func(code, name string) []string {
			t.Helper()
			var p catalog.Procedure
			var err error
			if code != "" {
				p, err = f.svc.ByCode(ctx, nil, code)
			} else {
				list, _ := f.svc.Search(ctx, nil, catalog.Filter{Query: name})
				if len(list) == 0 {
					t.Fatalf("no procedure %q", name)
				}
				p, err = f.svc.Get(ctx, nil, list[0].ID)
			}
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, id := range p.AgencyIDs {
				for key, a := range f.agencies {
					if a.ID == id {
						out = append(out, key)
					}
				}
			}
			slices.Sort(out)
			return out
		}
		for _, c := range []struct {
			code, name string
			want       []string
		}{
			{"1.001193", "", []string{"canloc", "thanhsen"}}, // commune: every commune people's committee
			{"1.004222", "", []string{"canloc", "thanhsen"}}, // commune-level police procedure: received at the commune
			{"2.000635", "", []string{"stp"}},                // "Sở Tư pháp (…)"
			{"2.001610", "", []string{"stc"}},                // "Phòng Đăng ký kinh doanh thuộc Sở Tài chính"
			{"3.000333", "", []string{"congan"}},             // vertical, by sector: "Công an cấp tỉnh"
			{"1.014199", "", []string{"pvhcc"}},              // Sở Nội vụ is not in the directory: the service centre
		} {
			if got := assigned(c.code, c.name); !slices.Equal(got, c.want) {
				t.Errorf("%s%s assigned to %v, want %v", c.code, c.name, got, c.want)
			}
		}

		// AssignByKind fills the procedures left without agencies.
		p, _ = f.svc.ByCode(ctx, nil, "2.000635")
		if _, err := f.svc.SetAgencies(ctx, f.admin, p.ID, 0, []string{}); err != nil {
			t.Fatal(err)
		}
		n, err := f.svc.AssignByKind(ctx, f.admin)
		if err != nil || n != 1 {
			t.Errorf("AssignByKind: %d %v", n, err)
		}
		if got := assigned("2.000635", ""); !slices.Equal(got, []string{"stp"}) {
			t.Errorf("reassigned to %v", got)
		}
	})
}

func TestCSVProblemsNameSpreadsheetRows(t *testing.T) {
	f := newFixture(t, dbtest.Open(t, db.SQLite), false)
	f.create(sample("1.000001", "Một"))
	var buf bytes.Buffer
	if err := f.svc.ExportCSV(context.Background(), f.admin, &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	good := rows[1]
	bad := slices.Clone(good)
	bad[0], bad[1], bad[6] = "1.000002", "Hai", "ba" // not a number
	empty := make([]string, len(good))
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	_ = w.WriteAll([][]string{rows[0], good, empty, empty, bad})
	_, err = f.svc.ImportCSV(context.Background(), f.admin, &out)
	if msg := apperr.FieldsOf(err)["dòng 5: time_limit"]; !strings.Contains(msg, "số nguyên") {
		t.Errorf("problems %v", apperr.FieldsOf(err))
	}
}
