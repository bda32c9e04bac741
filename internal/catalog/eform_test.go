package catalog_test

import (
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/catalog"
)

func f64(v float64) *float64 { return &v }

func TestFormValidateRefusesUnsoundSchemas(t *testing.T) {
	text := catalog.Field{Name: "ho_ten", Label: "Họ và tên", Type: catalog.TypeText}
	cases := []struct {
		name   string
		fields []catalog.Field
		key    string
		want   string
	}{
		{"upper case name", []catalog.Field{{Name: "HoTen", Label: "Họ tên", Type: catalog.TypeText}}, "fields.0.name", "chữ thường"},
		{"name with diacritics", []catalog.Field{{Name: "họ_tên", Label: "Họ tên", Type: catalog.TypeText}}, "fields.0.name", "chữ thường"},
		{"name starting with a digit", []catalog.Field{{Name: "1_ten", Label: "Tên", Type: catalog.TypeText}}, "fields.0.name", "bắt đầu bằng chữ"},
		{"duplicate names", []catalog.Field{text, text}, "fields.1.name", "trùng với trường thứ 1"},
		{"missing label", []catalog.Field{{Name: "x", Type: catalog.TypeText}}, "fields.0.label", "nhãn"},
		{"unknown type", []catalog.Field{{Name: "x", Label: "X", Type: "email"}}, "fields.0.type", "kiểu trường"},
		{"choice without options", []catalog.Field{{Name: "x", Label: "X", Type: catalog.TypeChoice}}, "fields.0.options", "ít nhất một phương án"},
		{"options on text", []catalog.Field{{Name: "x", Label: "X", Type: catalog.TypeText, Options: []string{"a"}}}, "fields.0.options", "chỉ trường lựa chọn"},
		{"duplicate option", []catalog.Field{{Name: "x", Label: "X", Type: catalog.TypeChoice, Options: []string{"Nam", "Nam"}}}, "fields.0.options", "lặp lại"},
		{"min above max", []catalog.Field{{Name: "x", Label: "X", Type: catalog.TypeNumber, Min: f64(5), Max: f64(1)}}, "fields.0.max", "không nhỏ hơn"},
		{"bounds on text", []catalog.Field{{Name: "x", Label: "X", Type: catalog.TypeText, Min: f64(1)}}, "fields.0.min", "chỉ trường số"},
		{"max length on number", []catalog.Field{{Name: "x", Label: "X", Type: catalog.TypeNumber, MaxLength: 5}}, "fields.0.max_length", "văn bản và địa chỉ"},
		{"past only on text", []catalog.Field{{Name: "x", Label: "X", Type: catalog.TypeText, PastOnly: true}}, "fields.0.past_only", "trường ngày"},
		{"address unit key taken", []catalog.Field{{Name: "dia_chi", Label: "Địa chỉ", Type: catalog.TypeAddress},
			{Name: "dia_chi_unit", Label: "Đơn vị", Type: catalog.TypeText}}, "fields.1.name", "dành cho đơn vị hành chính"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := catalog.Form{Title: "Tờ khai", Fields: c.fields}
			f.Normalize()
			errs := f.Validate()
			if !strings.Contains(errs[c.key], c.want) {
				t.Errorf("problem at %q = %q, want %q (all: %v)", c.key, errs[c.key], c.want, errs)
			}
		})
	}
}

// fakeUnits knows one commune of today and one abolished one.
type fakeUnits struct{}

func (fakeUnits) Commune(id string, on time.Time) (string, string) {
	switch id {
	case "18073@2025-07-01":
		return "Phường Thành Sen, Tỉnh Hà Tĩnh", ""
	case "18076@2025-07-01":
		return "", "Không tìm thấy đơn vị hành chính 18076@2025-07-01."
	}
	return "", "Không tìm thấy đơn vị hành chính."
}

func everyTypeForm() catalog.Form {
	return catalog.Form{Title: "Tờ khai", Fields: []catalog.Field{
		{Name: "ho_ten", Label: "Họ và tên", Type: catalog.TypeText, Required: true, MaxLength: 10},
		{Name: "so_ban", Label: "Số bản sao", Type: catalog.TypeNumber, Min: f64(1), Max: f64(20)},
		{Name: "dien_tich", Label: "Diện tích", Type: catalog.TypeNumber, Min: f64(0)},
		{Name: "ngay_sinh", Label: "Ngày sinh", Type: catalog.TypeDate, Required: true, PastOnly: true},
		{Name: "tu_ngay", Label: "Từ ngày", Type: catalog.TypeDate},
		{Name: "gioi_tinh", Label: "Giới tính", Type: catalog.TypeChoice, Required: true, Options: []string{"Nam", "Nữ"}},
		{Name: "so_dinh_danh", Label: "Số định danh cá nhân", Type: catalog.TypeCitizenID, Required: true},
		{Name: "dien_thoai", Label: "Số điện thoại", Type: catalog.TypePhone},
		{Name: "noi_cu_tru", Label: "Nơi cư trú", Type: catalog.TypeAddress, Required: true},
		{Name: "giay_to", Label: "Giấy chứng sinh", Type: catalog.TypeFile, Required: true},
	}}
}

func goodValues() map[string][]string {
	return map[string][]string{
		"ho_ten": {"Lê Văn A"}, "so_ban": {"2"}, "dien_tich": {"45,5"}, "ngay_sinh": {"1990-05-12"}, "tu_ngay": {"2030-01-01"},
		"gioi_tinh": {"Nữ"}, "so_dinh_danh": {"042090001234"}, "dien_thoai": {"+84 912 345 678"},
		"noi_cu_tru": {"Số 5, đường Phan Đình Phùng"}, "noi_cu_tru_unit": {"18073@2025-07-01"}, "giay_to": {"blob-123"},
		"khong_co": {"ignored"},
	}
}

func TestFormCheckCleansGoodValues(t *testing.T) {
	form := everyTypeForm()
	if errs := form.Validate(); len(errs) > 0 {
		t.Fatalf("form invalid: %v", errs)
	}
	env := catalog.CheckEnv{Today: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC), Units: fakeUnits{}}
	clean, err := form.Check(goodValues(), env)
	if err != nil {
		t.Fatalf("refused: %v %v", err, apperr.FieldsOf(err))
	}
	want := map[string]any{
		"ho_ten": "Lê Văn A", "so_ban": int64(2), "dien_tich": 45.5, "ngay_sinh": "1990-05-12", "tu_ngay": "2030-01-01",
		"gioi_tinh": "Nữ", "so_dinh_danh": "042090001234", "dien_thoai": "0912345678", "giay_to": "blob-123",
		"noi_cu_tru": catalog.Address{Text: "Số 5, đường Phan Đình Phùng", UnitID: "18073@2025-07-01", Unit: "Phường Thành Sen, Tỉnh Hà Tĩnh"},
	}
	for k, v := range want {
		if clean[k] != v {
			t.Errorf("clean[%s] = %#v, want %#v", k, clean[k], v)
		}
	}
	if _, ok := clean["khong_co"]; ok {
		t.Error("a key the form does not know was kept")
	}
	// Optional fields left empty are left out.
	vals := goodValues()
	vals["so_ban"], vals["dien_thoai"] = []string{""}, nil
	clean, err = form.Check(vals, env)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := clean["so_ban"]; ok {
		t.Error("an empty optional number was kept")
	}
}

func TestFormCheckReportsEveryBadField(t *testing.T) {
	form := everyTypeForm()
	env := catalog.CheckEnv{Today: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC), Units: fakeUnits{}}
	cases := []struct {
		name  string
		key   string
		value string
		want  string
	}{
		{"required text", "ho_ten", "", "Vui lòng nhập họ và tên."},
		{"text too long", "ho_ten", "Nguyễn Thị Minh Khai", "tối đa 10 ký tự"},
		{"number not a number", "so_ban", "hai", "phải là một số"},
		{"thousands separators", "so_ban", "1.000.000", "phải là một số"},
		{"number below min", "so_ban", "0", "Số bản sao phải từ 1 đến 20."},
		{"number above max", "so_ban", "21", "Số bản sao phải từ 1 đến 20."},
		{"number below a lone min", "dien_tich", "-3", "Diện tích phải từ 0 trở lên."},
		{"required date", "ngay_sinh", "", "Vui lòng chọn ngày sinh."},
		{"date format", "ngay_sinh", "12/05/1990", "năm-tháng-ngày"},
		{"impossible date", "ngay_sinh", "1990-02-30", "năm-tháng-ngày"},
		{"birth in the future", "ngay_sinh", "2026-03-11", "không được sau ngày hôm nay"},
		{"unknown choice", "gioi_tinh", "Khác", "một trong các phương án"},
		{"choice case matters", "gioi_tinh", "nam", "một trong các phương án"},
		{"citizen ID length", "so_dinh_danh", "04209000123", "Số định danh cá nhân phải gồm đúng 12 chữ số."},
		{"citizen ID letters", "so_dinh_danh", "04209000123A", "đúng 12 chữ số"},
		{"citizen ID province", "so_dinh_danh", "999090001234", "Số định danh cá nhân không hợp lệ: ba chữ số đầu không phải mã tỉnh"},
		{"phone", "dien_thoai", "0212345678", "Số điện thoại không hợp lệ"},
		{"phone length", "dien_thoai", "091234567", "Số điện thoại không hợp lệ"},
		{"required file", "giay_to", "", "Vui lòng đính kèm giấy chứng sinh."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vals := goodValues()
			vals[c.key] = []string{c.value}
			_, err := form.Check(vals, env)
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("accepted %q for %s: %v", c.value, c.key, err)
			}
			fields := apperr.FieldsOf(err)
			if !strings.Contains(fields[c.key], c.want) {
				t.Errorf("message %q, want %q", fields[c.key], c.want)
			}
			if len(fields) != 1 {
				t.Errorf("other fields reported: %v", fields)
			}
		})
	}
	for _, c := range []struct{ name, text, unit, want string }{
		{"no unit", "Số 5", "", "hãy chọn xã, phường hoặc đặc khu"},
		{"old edition", "Số 5", "18073@2025-03-01", "hiện hành"},
		{"province instead of commune", "Số 5", "42@2025-07-01", "hiện hành"},
		{"unknown unit", "Số 5", "18076@2025-07-01", "không tìm thấy"},
		{"nothing at all", "", "", "Vui lòng nhập nơi cư trú"},
	} {
		t.Run("address "+c.name, func(t *testing.T) {
			vals := goodValues()
			vals["noi_cu_tru"], vals["noi_cu_tru_unit"] = []string{c.text}, []string{c.unit}
			_, err := form.Check(vals, env)
			if msg := apperr.FieldsOf(err)["noi_cu_tru"]; !strings.Contains(msg, c.want) {
				t.Errorf("message %q, want %q", msg, c.want)
			}
		})
	}
	// Every problem at once, each under its field.
	_, err := form.Check(map[string][]string{"so_ban": {"99"}}, env)
	fields := apperr.FieldsOf(err)
	for _, k := range []string{"ho_ten", "so_ban", "ngay_sinh", "gioi_tinh", "so_dinh_danh", "noi_cu_tru", "giay_to"} {
		if fields[k] == "" {
			t.Errorf("no message for %s: %v", k, fields)
		}
	}
}

func TestAdminUnitsAcceptsOnlyCurrentCommunes(t *testing.T) {
	u := catalog.AdminUnits(registry(t))
	today := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	if name, problem := u.Commune("18073@2025-07-01", today); problem != "" || !strings.Contains(name, "Hà Tĩnh") {
		t.Errorf("18073: %q %q", name, problem)
	}
	for _, id := range []string{"42@2025-07-01", "99999@2025-07-01", "nonsense"} {
		if _, problem := u.Commune(id, today); problem == "" {
			t.Errorf("%s accepted", id)
		}
	}
}
