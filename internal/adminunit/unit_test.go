package adminunit

import (
	"github.com/congso/congso/internal/vntext"

	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestParseID(t *testing.T) {
	for _, tc := range []struct {
		in    string
		code  string
		ed    Edition
		level Level
	}{
		{"42@2025-07-01", "42", EditionCurrent, LevelProvince},
		{"93@2025-03-01", "93", EditionThreeLevel, LevelProvince},
		{"00004@2025-03-01", "00004", EditionThreeLevel, LevelCommune},
		{"00004@2025-07-01", "00004", EditionCurrent, LevelCommune},
		{"930@2025-03-01", "930", EditionThreeLevel, LevelDistrict},
	} {
		id, err := ParseID(tc.in)
		if err != nil {
			t.Errorf("ParseID(%q): %v", tc.in, err)
			continue
		}
		if id.Code != tc.code || id.Edition != tc.ed || id.Level() != tc.level || id.String() != tc.in {
			t.Errorf("ParseID(%q) = %+v (level %s, string %q)", tc.in, id, id.Level(), id)
		}
		if id2, err := NewID(tc.code, tc.ed); err != nil || id2 != id {
			t.Errorf("NewID(%q, %q) = %v, %v; want %v", tc.code, tc.ed, id2, err, id)
		}
	}
}

func TestParseIDMalformed(t *testing.T) {
	for _, in := range []string{
		"",
		"42",                  // no edition
		"42@",                 // empty edition
		"@2025-07-01",         // empty code
		"4@2025-07-01",        // 1 digit
		"0004@2025-07-01",     // 4 digits
		"000004@2025-07-01",   // 6 digits
		"4a@2025-07-01",       // not digits
		"４２@2025-07-01",       // full-width digits
		" 42@2025-07-01",      // stray space
		"42@2025-07-01 ",      // stray space
		"42@2024-01-01",       // unknown edition
		"42@2025-7-1",         // edition spelled differently
		"42@2025-07-01@x",     // two separators
		"436@2025-07-01",      // no districts after the reform
		"42 @ 2025-07-01",     // spaces
		"42@2025-07-01\n",     // newline
		"-42@2025-07-01",      // sign
		"00004@2025-03-01x",   // trailing junk
		"00004@@2025-03-01",   // doubled separator
		"00004/2025-03-01",    // wrong separator
		"00004@current",       // edition by name
		"42@2025-03-01;DROP",  // junk
		"\x0042@2025-07-01",   // control character
		"42@2025-07-01\u200b", // zero-width space
	} {
		id, err := ParseID(in)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseID(%q) = %v, %v; want ErrInvalid", in, id, err)
		}
		if !id.IsZero() {
			t.Errorf("ParseID(%q) returned non-zero %v with an error", in, id)
		}
	}
	if err := (ID{}).Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("zero ID Validate = %v, want ErrInvalid", err)
	}
	if _, err := NewID("42", "2025"); !errors.Is(err, ErrInvalid) {
		t.Errorf("NewID with unknown edition = %v, want ErrInvalid", err)
	}
}

func TestIDJSON(t *testing.T) {
	in := map[ID]int64{{"42", EditionCurrent}: 3, {"93", EditionThreeLevel}: 4}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"42@2025-07-01":3,"93@2025-03-01":4}`; string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
	var out map[ID]int64
	if err := json.Unmarshal(b, &out); err != nil || len(out) != 2 || out[ID{"93", EditionThreeLevel}] != 4 {
		t.Errorf("round trip = %v, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"93@2024-01-01":1}`), &out); err == nil {
		t.Error("unmarshal of an unknown edition succeeded")
	}
}

func TestDate(t *testing.T) {
	d, err := ParseDate("2025-07-01")
	if err != nil {
		t.Fatal(err)
	}
	if d != NewDate(2025, time.July, 1) || d.String() != "2025-07-01" || d.Year() != 2025 || d.Month() != time.July || d.Day() != 1 {
		t.Errorf("ParseDate = %v (%d-%d-%d)", d, d.Year(), d.Month(), d.Day())
	}
	if prev := d.AddDays(-1); prev.String() != "2025-06-30" || !prev.Before(d) || !d.After(prev) || prev.Compare(d) != -1 || d.Compare(d) != 0 {
		t.Errorf("AddDays(-1) = %v", prev)
	}
	if NewDate(2025, 6, 31) != d {
		t.Error("NewDate does not normalise 2025-06-31 to 2025-07-01")
	}
	for _, bad := range []string{"", "2025-7-1", "2025-02-30", "01/07/2025", "2025-07-01T00:00:00Z", "0000-01-01"} {
		if _, err := ParseDate(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseDate(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	// An instant stored in UTC belongs to the Vietnamese calendar day.
	if got := VietnamDate(time.Date(2025, 6, 30, 17, 0, 0, 0, time.UTC)); got != d {
		t.Errorf("VietnamDate(2025-06-30T17:00Z) = %v, want 2025-07-01", got)
	}
	if got := VietnamDate(time.Date(2025, 6, 30, 16, 59, 59, 0, time.UTC)); got.String() != "2025-06-30" {
		t.Errorf("VietnamDate(2025-06-30T16:59:59Z) = %v, want 2025-06-30", got)
	}
	if got := DateOf(time.Date(2025, 6, 30, 17, 0, 0, 0, time.UTC)); got.String() != "2025-06-30" {
		t.Errorf("DateOf keeps the location: got %v", got)
	}
	var z Date
	if !z.IsZero() || z.String() != "" {
		t.Errorf("zero Date = %q", z)
	}
	b, _ := json.Marshal(struct{ D Date }{d})
	if string(b) != `{"D":"2025-07-01"}` {
		t.Errorf("json = %s", b)
	}
}

func TestEditionOn(t *testing.T) {
	for _, tc := range []struct {
		date string
		want Edition
	}{
		{"1990-01-01", EditionThreeLevel},
		{"2024-06-01", EditionThreeLevel},
		{"2025-06-30", EditionThreeLevel},
		{"2025-07-01", EditionCurrent},
		{"2026-12-31", EditionCurrent},
	} {
		if got, ok := EditionOn(day(t, tc.date)); !ok || got != tc.want {
			t.Errorf("EditionOn(%s) = %q, %v; want %q", tc.date, got, ok, tc.want)
		}
	}
	if _, ok := EditionOn(Date{}); ok {
		t.Error("EditionOn(zero) found an edition")
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Hà Tĩnh":               "ha tinh",
		"HÀ TĨNH":               "ha tinh",
		"ha tinh":               "ha tinh",
		"Đông Hưng":             "dong hung",
		"đường Đống Đa":         "duong dong da",
		"Ðông":                  "dong", // U+00D0, a look-alike often typed for Đ
		"Thuỷ":                  "thuy", // old-style tone placement
		"Thủy":                  "thuy",
		"Ha\u0300 Ti\u0303nh":   "ha tinh", // already decomposed
		"Quảng Ngãi":            "quang ngai",
		"Ơn Ưng Ăn Âm Êm Ôi":    "on ung an am em oi",
		"Phường 5":              "phuong 5",
		"Xã Ea H'Leo":           "xa ea h'leo",
		"Cần Thơ – Hậu Giang":   "can tho – hau giang",
		"":                      "",
		"ASCII only":            "ascii only",
		"Thành phố Hồ Chí Minh": "thanh pho ho chi minh",
	} {
		if got := vntext.Fold(in); got != want {
			t.Errorf("vntext.Fold(%q) = %q, want %q", in, got, want)
		}
	}
}
