package payment

import "testing"

func TestWords(t *testing.T) {
	for n, want := range map[int64]string{
		0:                 "Không đồng",
		1_000:             "Một nghìn đồng",
		15_000:            "Mười lăm nghìn đồng",
		105_000:           "Một trăm linh năm nghìn đồng",
		1_250_000:         "Một triệu hai trăm năm mươi nghìn đồng",
		21_000_000:        "Hai mươi mốt triệu đồng",
		2_000_000:         "Hai triệu đồng",
		10:                "Mười đồng",
		11:                "Mười một đồng",
		14:                "Mười bốn đồng",
		21:                "Hai mươi mốt đồng",
		24:                "Hai mươi tư đồng",
		25:                "Hai mươi lăm đồng",
		50_000:            "Năm mươi nghìn đồng",
		100_000:           "Một trăm nghìn đồng",
		110_000:           "Một trăm mười nghìn đồng",
		1_000_005:         "Một triệu không trăm linh năm đồng",
		1_005_000:         "Một triệu không trăm linh năm nghìn đồng",
		1_050_000:         "Một triệu không trăm năm mươi nghìn đồng",
		1_000_000_000:     "Một tỷ đồng",
		2_500_000_000:     "Hai tỷ năm trăm triệu đồng",
		1_000_000_000_000: "Một nghìn tỷ đồng",
		1_000_001_000:     "Một tỷ không trăm linh một nghìn đồng",
		-15_000:           "Âm mười lăm nghìn đồng",
	} {
		if got := Words(n); got != want {
			t.Errorf("Words(%d) = %q, want %q", n, got, want)
		}
	}
}
