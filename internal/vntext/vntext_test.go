package vntext

import "testing"

func TestFold(t *testing.T) {
	cases := map[string]string{
		"Đăng ký khai sinh":         "dang ky khai sinh",
		"  ĐĂNG   KÝ\tKẾT HÔN ":     "dang ky ket hon",
		"Hà Tĩnh":                   "ha tinh",
		"Thừa Thiên Huế":            "thua thien hue",
		"Phường Vị Thanh":           "phuong vi thanh",
		"Chứng thực bản sao":        "chung thuc ban sao",
		"Cấp Phiếu lý lịch tư pháp": "cap phieu ly lich tu phap",
	}
	for in, want := range cases {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
	// Decomposed input folds the same as precomposed input.
	if Fold("Ha\u0300 Ti\u0303nh") != Fold("Hà Tĩnh") {
		t.Error("decomposed and precomposed forms fold differently")
	}
}

func TestNFC(t *testing.T) {
	if got := NFC(" Ha\u0300 "); got != "Hà" {
		t.Errorf("NFC = %q", got)
	}
}

func TestValid(t *testing.T) {
	if !Valid("Dòng 1\nDòng 2") || Valid("a\x00b") || Valid("a\x1bb") {
		t.Error("Valid misjudges control characters")
	}
}
