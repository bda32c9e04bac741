package forms

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// vnZone is Asia/Ho_Chi_Minh. Vietnam has kept UTC+7 without daylight
// saving since 1975, so a fixed zone is exact and needs no tzdata.
func vnZone() *time.Location { return time.FixedZone("ICT", 7*60*60) }

// inVN returns t as a wall-clock time in Vietnam.
func inVN(t time.Time) time.Time { return t.In(vnZone()) }

// FormatDateTime formats an instant the way the forms print appointment
// times, in Vietnam's time: "08 giờ 30 phút, ngày 22/11/2026".
func FormatDateTime(t time.Time) string {
	t = inVN(t)
	return fmt.Sprintf("%02d giờ %02d phút, ngày %02d/%02d/%04d",
		t.Hour(), t.Minute(), t.Day(), int(t.Month()), t.Year())
}

// FormatDate formats the calendar day of an instant in Vietnam: "22/11/2026".
func FormatDate(t time.Time) string {
	t = inVN(t)
	return fmt.Sprintf("%02d/%02d/%04d", t.Day(), int(t.Month()), t.Year())
}

// formatShort is the compact form used in table cells: "08:30 22/11/2026".
// The zero time gives "".
func formatShort(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	v := inVN(t)
	return fmt.Sprintf("%02d:%02d %s", v.Hour(), v.Minute(), FormatDate(t))
}

// DateLine formats the place and date line of an administrative document,
// "Hà Tĩnh, ngày 22 tháng 11 năm 2026", following Nghị định 30/2020/NĐ-CP:
// days below 10 and the months 1 and 2 take a leading zero ("ngày 05 tháng
// 02", "ngày 15 tháng 3"). An empty place gives "Ngày 22 tháng 11 năm 2026".
func DateLine(place string, t time.Time) string {
	t = inVN(t)
	month := strconv.Itoa(int(t.Month()))
	if t.Month() <= time.February {
		month = "0" + month
	}
	s := fmt.Sprintf("ngày %02d tháng %s năm %d", t.Day(), month, t.Year())
	place = strings.TrimSpace(place)
	if place == "" {
		return "N" + s[1:]
	}
	return place + ", " + s
}

// FormatMoney formats a sum of whole đồng Vietnamese style: "50.000 đồng",
// "1.250.000 đồng", "0 đồng".
func FormatMoney(dong int64) string {
	return groupThousands(dong) + " đồng"
}

func groupThousands(n int64) string {
	neg := n < 0
	u := uint64(n)
	if neg {
		u = -u
	}
	digits := strconv.FormatUint(u, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Classify compares the time a step or a dossier was finished with its due
// time, by the calendar day in Vietnam: finished on an earlier day than the
// due day is OutcomeEarly, on the due day and not after the due time is
// OutcomeOnTime, after the due time is OutcomeLate. If either time is zero it
// returns "" (not finished, or no deadline).
func Classify(done, due time.Time) string {
	if done.IsZero() || due.IsZero() {
		return ""
	}
	if done.After(due) {
		return OutcomeLate
	}
	dn, du := inVN(done), inVN(due)
	if dn.Year() == du.Year() && dn.YearDay() == du.YearDay() {
		return OutcomeOnTime
	}
	return OutcomeEarly
}

// nfc normalises text to NFC. Noto Serif has a precomposed glyph for every
// Vietnamese letter but fpdf does no mark positioning, so decomposed input
// (NFD, as some keyboards and macOS file names produce) must be composed
// before it is printed.
func nfc(s string) string { return norm.NFC.String(s) }

// clean is nfc with surrounding space trimmed, for values from the data.
func clean(s string) string { return strings.TrimSpace(nfc(s)) }

// upper upper-cases Vietnamese text ("ủy ban" → "ỦY BAN").
func upper(s string) string { return strings.ToUpper(clean(s)) }

// twoDigits writes small counts the way forms do: "01", "02", …, "12".
func twoDigits(n int) string { return fmt.Sprintf("%02d", n) }
