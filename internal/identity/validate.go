package identity

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/congso/congso/internal/apperr"
)

var (
	usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)
	digitsPattern   = regexp.MustCompile(`^[0-9]+$`)
	orgCodePattern  = regexp.MustCompile(`^[0-9]{10}(-[0-9]{3})?$`)
)

// citizenIDProvinces are the birth-registration province codes that open a
// 12-digit citizen ID (Thông tư 59/2021/TT-BCA): the 63 pre-2025 provinces.
var citizenIDProvinces = map[string]bool{}

func init() {
	for _, c := range []int{1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36,
		37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82,
		83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96} {
		citizenIDProvinces[strconv.Itoa(1000 + c)[1:]] = true
	}
}

// ValidateCitizenID checks a 12-digit citizen ID number (số định danh cá
// nhân): digits 1–3 the province of birth registration, digit 4 the century
// and sex, digits 5–6 the year of birth. With a birth date, the century and
// year must agree with it.
func ValidateCitizenID(id string, birth time.Time) error {
	if len(id) != 12 || !digitsPattern.MatchString(id) {
		return apperr.Field("citizen_id", "Số định danh cá nhân phải gồm đúng 12 chữ số.")
	}
	if !citizenIDProvinces[id[:3]] {
		return apperr.Field("citizen_id", "Ba chữ số đầu của số định danh cá nhân không phải mã tỉnh hợp lệ.")
	}
	if birth.IsZero() {
		return nil
	}
	century := 1900 + 100*(int(id[3]-'0')/2)
	year := century + int(id[4]-'0')*10 + int(id[5]-'0')
	if year != birth.Year() {
		return apperr.Field("citizen_id", "Số định danh cá nhân không khớp với năm sinh.")
	}
	return nil
}

// ValidateOrgCode checks an enterprise or tax code: 10 digits, or 10 digits, a
// dash and 3 digits for a branch.
func ValidateOrgCode(code string) error {
	if !orgCodePattern.MatchString(code) {
		return apperr.Field("org_code", "Mã số doanh nghiệp/mã số thuế phải gồm 10 chữ số (chi nhánh: 10 chữ số, dấu gạch ngang và 3 chữ số).")
	}
	return nil
}

// NormalizePhone turns a Vietnamese phone number into 0XXXXXXXXX form.
func NormalizePhone(phone string) (string, error) {
	p := strings.NewReplacer(" ", "", ".", "", "-", "").Replace(strings.TrimSpace(phone))
	if p == "" {
		return "", nil
	}
	if strings.HasPrefix(p, "+84") {
		p = "0" + p[3:]
	} else if strings.HasPrefix(p, "84") && len(p) == 11 {
		p = "0" + p[2:]
	}
	if len(p) != 10 || p[0] != '0' || !digitsPattern.MatchString(p) || !strings.ContainsRune("35789", rune(p[1])) {
		return "", apperr.Field("phone", "Số điện thoại không hợp lệ (10 chữ số, ví dụ 0912345678).")
	}
	return p, nil
}

// NormalizeEmail checks and lower-cases an e-mail address.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return "", nil
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || len(e) > 254 {
		return "", apperr.Field("email", "Địa chỉ thư điện tử không hợp lệ.")
	}
	return e, nil
}

// ValidateUsername checks a login name: 3–64 lower-case letters, digits, dot,
// underscore or dash, starting with a letter or digit.
func ValidateUsername(u string) error {
	if !usernamePattern.MatchString(u) {
		return apperr.Field("username", "Tên đăng nhập gồm 3–64 ký tự: chữ thường không dấu, chữ số, dấu chấm, gạch dưới hoặc gạch ngang.")
	}
	return nil
}
