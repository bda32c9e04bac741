package smssim

import "testing"

func TestParts(t *testing.T) {
	long := func(n int, r rune) string {
		b := make([]rune, n)
		for i := range b {
			b[i] = r
		}
		return string(b)
	}
	for _, c := range []struct {
		text string
		want int
	}{{"Ho so da co ket qua", 1}, {long(160, 'a'), 1}, {long(161, 'a'), 2}, {long(70, 'ồ'), 1}, {long(71, 'ồ'), 2}, {long(135, 'ồ'), 3}} {
		if got := Parts(c.text); got != c.want {
			t.Errorf("Parts(%d runes) = %d, want %d", len([]rune(c.text)), got, c.want)
		}
	}
}
