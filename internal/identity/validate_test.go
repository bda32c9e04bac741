package identity_test

import (
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/identity"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestValidateCitizenID(t *testing.T) {
	t.Parallel()
	cases := []struct {
		id    string
		birth time.Time
		// problem is a fragment of the expected message; "" means valid.
		problem string
	}{
		{"001090123456", date(1990, 5, 17), ""},         // Hà Nội, man born 1990
		{"093190123456", date(1990, 5, 17), ""},         // Hậu Giang, woman born 1990
		{"079205000001", date(2005, 1, 1), ""},          // Hồ Chí Minh City, man born 2005
		{"092399000001", date(2099, 12, 31), ""},        // Cần Thơ, woman born 2099
		{"096090123456", time.Time{}, ""},               // Cà Mau, no birth date to compare
		{"093290123456", time.Time{}, ""},               // the century is only checked against a birth date
		{"093090123456", date(1991, 5, 17), "năm sinh"}, // year 90, born 1991
		{"093290123456", date(1990, 5, 17), "năm sinh"}, // century digit 2 (2000s), born 1990
		{"093090123456", date(2090, 5, 17), "năm sinh"}, // century digit 0 (1900s), born 2090
		{"093490123456", date(2090, 5, 17), "năm sinh"}, // century digit 4 is the 22nd century
		{"003090123456", time.Time{}, "mã tỉnh"},        // 003 is no province
		{"000090123456", time.Time{}, "mã tỉnh"},        //
		{"097090123456", time.Time{}, "mã tỉnh"},        // beyond the last province code (096)
		{"09309012345", time.Time{}, "12 chữ số"},       // 11 digits
		{"0930901234567", time.Time{}, "12 chữ số"},     // 13 digits
		{"09309012345A", time.Time{}, "12 chữ số"},      // a letter
		{"093 090 123 456", time.Time{}, "12 chữ số"},   // spaces are not trimmed here
		{"", time.Time{}, "12 chữ số"},                  //
		{"０９３０９０１２３４５６", time.Time{}, "12 chữ số"},      // full-width digits
	}
	for _, c := range cases {
		err := identity.ValidateCitizenID(c.id, c.birth)
		checkProblem(t, "ValidateCitizenID("+c.id+")", err, "citizen_id", c.problem)
	}
}

// checkProblem checks a field validator's answer: nil when problem is "",
// otherwise an Invalid error about field whose message holds problem.
func checkProblem(t *testing.T, what string, err error, field, problem string) {
	t.Helper()
	if problem == "" {
		if err != nil {
			t.Errorf("%s: %v, want valid", what, err)
		}
		return
	}
	msg := apperr.FieldsOf(err)[field]
	if !apperr.Is(err, apperr.Invalid) || !strings.Contains(msg, problem) {
		t.Errorf("%s: error %v (field %s: %q), want a message with %q", what, err, field, msg, problem)
	}
}

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"0912345678":      "0912345678",
		"0912 345 678":    "0912345678",
		"0912.345.678":    "0912345678",
		"0912-345-678":    "0912345678",
		"+84912345678":    "0912345678",
		"+84 912 345 678": "0912345678",
		"84912345678":     "0912345678",
		"  0388123456  ":  "0388123456",
		"0523456789":      "0523456789",
		"0703456789":      "0703456789",
		"0869999999":      "0869999999",
		"":                "",
		"   ":             "",
	}
	for in, want := range good {
		got, err := identity.NormalizePhone(in)
		if err != nil || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{
		"0112345678",     // no such mobile prefix
		"0212345678",     // 10-digit landline-looking number
		"091234567",      // 9 digits
		"09123456789",    // 11 digits
		"+8491234567",    // +84 with 8 digits
		"849123456789",   // 84 with too many digits
		"+12025550100",   // not Vietnamese
		"0912abc678",     // letters
		"912345678",      // no leading 0
		"(+84)912345678", // parentheses are not accepted
	} {
		got, err := identity.NormalizePhone(in)
		checkProblem(t, "NormalizePhone("+in+") = "+got, err, "phone", "Số điện thoại")
	}
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"an@example.vn":                "an@example.vn",
		" An.Nguyen@Hau-Giang.Gov.VN ": "an.nguyen@hau-giang.gov.vn",
		"":                             "",
	}
	for in, want := range good {
		got, err := identity.NormalizeEmail(in)
		if err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"an", "an@", "@example.vn", "an@@example.vn", "An <an@example.vn>", "an@example.vn, binh@example.vn",
		strings.Repeat("a", 250) + "@example.vn"} {
		_, err := identity.NormalizeEmail(in)
		checkProblem(t, "NormalizeEmail("+in+")", err, "email", "thư điện tử")
	}
}

func TestValidateUsername(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"abc", "nguyen.van.an", "cb_01", "093090123456", "a-b", strings.Repeat("a", 64)} {
		if err := identity.ValidateUsername(u); err != nil {
			t.Errorf("ValidateUsername(%q): %v", u, err)
		}
	}
	for _, u := range []string{"", "ab", "Abc", "nguyễn", ".abc", "-abc", "_abc", "a b c", "an@example.vn", strings.Repeat("a", 65)} {
		checkProblem(t, "ValidateUsername("+u+")", identity.ValidateUsername(u), "username", "Tên đăng nhập")
	}
}

func TestValidateOrgCode(t *testing.T) {
	t.Parallel()
	for _, c := range []string{"6300123456", "0101234567-001"} {
		if err := identity.ValidateOrgCode(c); err != nil {
			t.Errorf("ValidateOrgCode(%q): %v", c, err)
		}
	}
	for _, c := range []string{"", "630012345", "63001234567", "0101234567-01", "0101234567-0001", "0101234567001", "010123456A", "0101234567 001"} {
		checkProblem(t, "ValidateOrgCode("+c+")", identity.ValidateOrgCode(c), "org_code", "10 chữ số")
	}
}

func TestValidatePassword(t *testing.T) {
	t.Parallel()
	cases := []struct {
		password, username, problem string
	}{
		{"MatKhau2026x", "nguyenvanan", ""},
		{"mật khẩu 2026 của tôi", "nguyenvanan", ""}, // Vietnamese letters and spaces count
		{"abcdefghi1", "nguyenvanan", ""},            // exactly 10
		{"abcdefgh1", "nguyenvanan", "ít nhất 10"},   // 9
		{"mậtkhẩu12", "nguyenvanan", "ít nhất 10"},   // 9 characters, more bytes
		{strings.Repeat("a1", 101), "nguyenvanan", "quá dài"},
		{"abcdefghijkl", "nguyenvanan", "chữ và số"},
		{"123456789012", "nguyenvanan", "chữ và số"},
		{"!@#$%^&*()_+", "nguyenvanan", "chữ và số"},
		{"xNguyenVanAn1", "nguyenvanan", "tên đăng nhập"}, // case does not hide the username
		{"nguyenvanan", "nguyenvanan", "chữ và số"},       // the first problem found is reported
	}
	for _, c := range cases {
		checkProblem(t, "ValidatePassword("+c.password+")", identity.ValidatePassword(c.password, c.username), "password", c.problem)
	}
}
