package catalog

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/congso/congso/internal/adminunit"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/vntext"
)

// FieldType is the type of an e-form field.
type FieldType string

const (
	TypeText      FieldType = "text"
	TypeNumber    FieldType = "number"
	TypeDate      FieldType = "date"       // YYYY-MM-DD
	TypeChoice    FieldType = "choice"     // one of Options
	TypeCitizenID FieldType = "citizen_id" // 12-digit personal identification number
	TypePhone     FieldType = "phone"      // Vietnamese phone number
	TypeAddress   FieldType = "address"    // free text + an administrative unit of today
	TypeFile      FieldType = "file"       // an attachment, handled by the caller
)

// FieldTypes lists the field types in display order.
func FieldTypes() []FieldType {
	return []FieldType{TypeText, TypeNumber, TypeDate, TypeChoice, TypeCitizenID, TypePhone, TypeAddress, TypeFile}
}

// Label is the Vietnamese name of the type.
func (t FieldType) Label() string {
	switch t {
	case TypeText:
		return "Văn bản"
	case TypeNumber:
		return "Số"
	case TypeDate:
		return "Ngày"
	case TypeChoice:
		return "Lựa chọn"
	case TypeCitizenID:
		return "Số định danh cá nhân"
	case TypePhone:
		return "Số điện thoại"
	case TypeAddress:
		return "Địa chỉ"
	case TypeFile:
		return "Tệp đính kèm"
	}
	return string(t)
}

// Form is a procedure's e-form: a small, JSON-Schema-like description of the
// fields, rendered as HTML by the web package and checked on the server by
// Check.
type Form struct {
	Title  string  `json:"title"`
	Fields []Field `json:"fields"`
}

// Field is one field of an e-form.
type Field struct {
	// Name is the key of the value: lower-case ASCII letters, digits and
	// underscores, starting with a letter.
	Name     string    `json:"name"`
	Label    string    `json:"label"`
	Type     FieldType `json:"type"`
	Required bool      `json:"required"`
	// MaxLength bounds text and the free-text part of an address, in
	// characters (0: the default, DefaultMaxLength).
	MaxLength int `json:"max_length,omitempty"`
	// Min and Max bound numbers.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Options are the choices of a choice field; the value is the option.
	Options []string `json:"options,omitempty"`
	Help    string   `json:"help,omitempty"`
	// PastOnly refuses dates after today (birth and death dates).
	PastOnly bool `json:"past_only,omitempty"`
}

// DefaultMaxLength bounds text fields that set no max_length.
const DefaultMaxLength = 1000

// UnitSuffix is appended to an address field's name for the key of its
// administrative unit: an address field "noi_cu_tru" is submitted as
// "noi_cu_tru" (house number, street, hamlet) and "noi_cu_tru_unit" (a unit
// ID such as "18073@2025-07-01").
const UnitSuffix = "_unit"

var fieldName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Normalize trims the form's text and puts it into NFC.
func (f *Form) Normalize() {
	f.Title = vntext.NFC(f.Title)
	fields := make([]Field, 0, len(f.Fields))
	for _, x := range f.Fields {
		x.Name = strings.TrimSpace(x.Name)
		x.Label = vntext.NFC(x.Label)
		x.Type = FieldType(strings.TrimSpace(string(x.Type)))
		x.Help = vntext.NFC(x.Help)
		opts := make([]string, 0, len(x.Options))
		for _, o := range x.Options {
			opts = append(opts, vntext.NFC(o))
		}
		x.Options = opts
		if len(x.Options) == 0 {
			x.Options = nil
		}
		fields = append(fields, x)
	}
	f.Fields = fields
}

// Validate checks that the form itself is sound: unique well-formed names,
// labels, known types, options for choices and only for them, min ≤ max and
// bounds only for numbers. Keys are "title" and "fields.<i>.<attribute>".
func (f *Form) Validate() apperr.Fields {
	errs := apperr.Fields{}
	if !textOK(f.Title, maxName) {
		errs.Add("title", fmt.Sprintf("Tên biểu mẫu tối đa %d ký tự.", maxName))
	}
	if len(f.Fields) > 100 {
		errs.Add("fields", "Biểu mẫu tối đa 100 trường.")
		return errs
	}
	seen := map[string]int{}
	for i, x := range f.Fields {
		p, n := fmt.Sprintf("fields.%d.", i), i+1
		switch {
		case !fieldName.MatchString(x.Name):
			errs.Add(p+"name", fmt.Sprintf("Trường thứ %d: mã trường gồm chữ thường không dấu, chữ số và dấu gạch dưới, bắt đầu bằng chữ, tối đa 40 ký tự.", n))
		case seen[x.Name] > 0:
			errs.Add(p+"name", fmt.Sprintf("Trường thứ %d: mã trường %q trùng với trường thứ %d.", n, x.Name, seen[x.Name]))
		default:
			seen[x.Name] = n
		}
		if x.Label == "" || !textOK(x.Label, maxName) {
			errs.Add(p+"label", fmt.Sprintf("Trường thứ %d: nhãn là bắt buộc, tối đa %d ký tự.", n, maxName))
		}
		if !slices.Contains(FieldTypes(), x.Type) {
			errs.Add(p+"type", fmt.Sprintf("Trường thứ %d: kiểu trường không hợp lệ.", n))
		}
		if !textOK(x.Help, maxText) {
			errs.Add(p+"help", fmt.Sprintf("Trường thứ %d: hướng dẫn tối đa %d ký tự.", n, maxText))
		}
		if x.MaxLength < 0 || x.MaxLength > 10000 {
			errs.Add(p+"max_length", fmt.Sprintf("Trường thứ %d: độ dài tối đa phải từ 0 đến 10000.", n))
		} else if x.MaxLength > 0 && x.Type != TypeText && x.Type != TypeAddress {
			errs.Add(p+"max_length", fmt.Sprintf("Trường thứ %d: chỉ trường văn bản và địa chỉ có độ dài tối đa.", n))
		}
		if (x.Min != nil || x.Max != nil) && x.Type != TypeNumber {
			errs.Add(p+"min", fmt.Sprintf("Trường thứ %d: chỉ trường số có giá trị nhỏ nhất, lớn nhất.", n))
		}
		for _, b := range []*float64{x.Min, x.Max} {
			if b != nil && (math.IsNaN(*b) || math.IsInf(*b, 0)) {
				errs.Add(p+"min", fmt.Sprintf("Trường thứ %d: giá trị giới hạn không hợp lệ.", n))
			}
		}
		if x.Min != nil && x.Max != nil && *x.Min > *x.Max {
			errs.Add(p+"max", fmt.Sprintf("Trường thứ %d: giá trị lớn nhất phải không nhỏ hơn giá trị nhỏ nhất.", n))
		}
		if x.PastOnly && x.Type != TypeDate {
			errs.Add(p+"past_only", fmt.Sprintf("Trường thứ %d: chỉ trường ngày mới giới hạn không quá hôm nay.", n))
		}
		switch {
		case x.Type == TypeChoice && len(x.Options) == 0:
			errs.Add(p+"options", fmt.Sprintf("Trường thứ %d: trường lựa chọn cần ít nhất một phương án.", n))
		case x.Type != TypeChoice && len(x.Options) > 0:
			errs.Add(p+"options", fmt.Sprintf("Trường thứ %d: chỉ trường lựa chọn có các phương án.", n))
		case len(x.Options) > 200:
			errs.Add(p+"options", fmt.Sprintf("Trường thứ %d: tối đa 200 phương án.", n))
		default:
			for j, o := range x.Options {
				if o == "" || !textOK(o, maxName) {
					errs.Add(p+"options", fmt.Sprintf("Trường thứ %d: phương án %d trống hoặc quá dài.", n, j+1))
				} else if slices.Index(x.Options, o) < j {
					errs.Add(p+"options", fmt.Sprintf("Trường thứ %d: phương án %q lặp lại.", n, o))
				}
			}
		}
	}
	// An address's unit travels under "<name>_unit": that key must not be
	// another field's name.
	for i, x := range f.Fields {
		if x.Type == TypeAddress && seen[x.Name+UnitSuffix] > 0 {
			errs.Add(fmt.Sprintf("fields.%d.name", seen[x.Name+UnitSuffix]-1),
				fmt.Sprintf("Trường thứ %d: mã trường %q dành cho đơn vị hành chính của trường địa chỉ thứ %d.", seen[x.Name+UnitSuffix], x.Name+UnitSuffix, i+1))
		}
	}
	return errs
}

// Field returns the field with the name.
func (f Form) Field(name string) (Field, bool) {
	for _, x := range f.Fields {
		if x.Name == name {
			return x, true
		}
	}
	return Field{}, false
}

// Units resolves the administrative unit of an address field. The catalogue
// declares it so as not to depend on the unit registry; AdminUnits adapts
// *adminunit.Registry.
type Units interface {
	// Commune returns the full name of the commune-level unit id (for
	// example "Phường Thành Sen, Tỉnh Hà Tĩnh") if it exists and is valid
	// on the day, or a Vietnamese message saying why it cannot be used.
	Commune(id string, on time.Time) (name string, problem string)
}

// CheckEnv is what checking submitted values needs besides the form.
type CheckEnv struct {
	// Today is the current instant (dates are compared in Vietnam).
	Today time.Time
	// Units checks address units; nil accepts any well-formed unit ID of
	// today's edition.
	Units Units
}

// Address is the clean value of an address field.
type Address struct {
	Text   string `json:"text"`
	UnitID string `json:"unit_id"`
	// Unit is the unit's full name, for display.
	Unit string `json:"unit,omitempty"`
}

// String writes the address on one line.
func (a Address) String() string {
	switch {
	case a.Text == "":
		return a.Unit
	case a.Unit == "":
		return a.Text
	}
	return a.Text + ", " + a.Unit
}

var (
	numberPattern = regexp.MustCompile(`^-?[0-9]+([.,][0-9]+)?$`)
	unitIDPattern = regexp.MustCompile(`^[0-9]{5}@` + regexp.QuoteMeta(string(adminunit.EditionCurrent)) + `$`)
)

var vietnam = time.FixedZone("ICT", 7*3600)

func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// Check validates submitted values against the form, on the server. values
// holds what a browser posts (the first value of each key counts); an
// address field also reads "<name>_unit". It returns the clean values — text
// and choices as strings, numbers as int64 or float64, dates as
// "YYYY-MM-DD", phones normalised to 0XXXXXXXXX, addresses as Address, files
// as the caller's reference — leaving out empty optional fields and keys the
// form does not know; or an apperr Invalid error whose Fields name every bad
// field with a Vietnamese message.
func (f Form) Check(values map[string][]string, env CheckEnv) (map[string]any, error) {
	get := func(k string) string {
		if v := values[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	today := env.Today.In(vietnam).Format("2006-01-02")
	clean := map[string]any{}
	errs := apperr.Fields{}
	for _, x := range f.Fields {
		raw := vntext.NFC(get(x.Name))
		if x.Type == TypeAddress {
			a, msg := checkAddress(x, raw, get(x.Name+UnitSuffix), env)
			if msg != "" {
				errs.Add(x.Name, msg)
			} else if a.UnitID != "" || a.Text != "" {
				clean[x.Name] = a
			}
			continue
		}
		if raw == "" {
			if x.Required {
				verb := "nhập"
				switch x.Type {
				case TypeChoice, TypeDate:
					verb = "chọn"
				case TypeFile:
					verb = "đính kèm"
				}
				errs.Add(x.Name, fmt.Sprintf("Vui lòng %s %s.", verb, lowerFirst(x.Label)))
			}
			continue
		}
		v, msg := checkValue(x, raw, today)
		if msg != "" {
			errs.Add(x.Name, msg)
			continue
		}
		clean[x.Name] = v
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return clean, nil
}

func checkValue(x Field, raw, today string) (any, string) {
	switch x.Type {
	case TypeText:
		max := x.MaxLength
		if max == 0 {
			max = DefaultMaxLength
		}
		if n := utf8.RuneCountInString(raw); n > max {
			return nil, fmt.Sprintf("%s tối đa %d ký tự (đang có %d).", x.Label, max, n)
		}
		if !vntext.Valid(raw) {
			return nil, fmt.Sprintf("%s có ký tự không hợp lệ.", x.Label)
		}
		return raw, ""
	case TypeNumber:
		s := strings.ReplaceAll(raw, " ", "")
		if !numberPattern.MatchString(s) {
			return nil, fmt.Sprintf("%s phải là một số (dùng dấu phẩy hoặc dấu chấm cho phần thập phân, không dùng dấu phân cách hàng nghìn).", x.Label)
		}
		v, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
		if err != nil || math.IsInf(v, 0) {
			return nil, fmt.Sprintf("%s phải là một số.", x.Label)
		}
		switch {
		case x.Min != nil && x.Max != nil && (v < *x.Min || v > *x.Max):
			return nil, fmt.Sprintf("%s phải từ %s đến %s.", x.Label, formatNumber(*x.Min), formatNumber(*x.Max))
		case x.Min != nil && v < *x.Min:
			return nil, fmt.Sprintf("%s phải từ %s trở lên.", x.Label, formatNumber(*x.Min))
		case x.Max != nil && v > *x.Max:
			return nil, fmt.Sprintf("%s không được lớn hơn %s.", x.Label, formatNumber(*x.Max))
		}
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v), ""
		}
		return v, ""
	case TypeDate:
		d, err := time.Parse("2006-01-02", raw)
		if err != nil || d.Year() < 1900 || d.Year() > 2100 {
			return nil, fmt.Sprintf("%s không hợp lệ (định dạng năm-tháng-ngày, ví dụ 2026-01-31).", x.Label)
		}
		if x.PastOnly && raw > today {
			return nil, fmt.Sprintf("%s không được sau ngày hôm nay.", x.Label)
		}
		return raw, ""
	case TypeChoice:
		if !slices.Contains(x.Options, raw) {
			return nil, fmt.Sprintf("%s: hãy chọn một trong các phương án đã cho.", x.Label)
		}
		return raw, ""
	case TypeCitizenID:
		if len(raw) != 12 || strings.Trim(raw, "0123456789") != "" {
			return nil, fmt.Sprintf("%s phải gồm đúng 12 chữ số.", x.Label)
		}
		if identity.ValidateCitizenID(raw, time.Time{}) != nil {
			return nil, fmt.Sprintf("%s không hợp lệ: ba chữ số đầu không phải mã tỉnh nơi đăng ký khai sinh.", x.Label)
		}
		return raw, ""
	case TypePhone:
		p, err := identity.NormalizePhone(raw)
		if err != nil {
			return nil, fmt.Sprintf("%s không hợp lệ (10 chữ số của mạng Việt Nam, ví dụ 0912345678).", x.Label)
		}
		return p, ""
	case TypeFile:
		return raw, ""
	}
	return nil, fmt.Sprintf("%s: kiểu trường không được hỗ trợ.", x.Label)
}

func checkAddress(x Field, text, unit string, env CheckEnv) (Address, string) {
	a := Address{Text: text, UnitID: unit}
	if text == "" && unit == "" {
		if x.Required {
			return a, fmt.Sprintf("Vui lòng nhập %s (chọn xã, phường, đặc khu).", lowerFirst(x.Label))
		}
		return a, ""
	}
	max := x.MaxLength
	if max == 0 {
		max = 300
	}
	if n := utf8.RuneCountInString(text); n > max || !vntext.Valid(text) {
		return a, fmt.Sprintf("%s: số nhà, đường, thôn, xóm tối đa %d ký tự.", x.Label, max)
	}
	if unit == "" {
		return a, fmt.Sprintf("%s: hãy chọn xã, phường hoặc đặc khu.", x.Label)
	}
	if !unitIDPattern.MatchString(unit) {
		return a, fmt.Sprintf("%s: đơn vị hành chính phải là một xã, phường hoặc đặc khu hiện hành (từ ngày 01/7/2025).", x.Label)
	}
	if env.Units != nil {
		name, problem := env.Units.Commune(unit, env.Today)
		if problem != "" {
			return a, fmt.Sprintf("%s: %s", x.Label, lowerFirst(problem))
		}
		a.Unit = name
	}
	return a, ""
}

// lowerFirst lower-cases the first letter of a label or message placed
// inside a sentence ("Vui lòng nhập họ và tên."), unless it starts an
// abbreviation ("UBND", "GCN").
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	if r2, _ := utf8.DecodeRuneInString(s[n:]); r2 != utf8.RuneError && strings.ToUpper(string(r2)) == string(r2) && strings.ToLower(string(r2)) != string(r2) {
		return s
	}
	return strings.ToLower(string(r)) + s[n:]
}
