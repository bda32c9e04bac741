package calendar

import "fmt"

// builtLunarYear is one lunar year as derived from the astronomy.
type builtLunarYear struct {
	year    int
	tet     int   // day number (days since 1970-01-01) of 1/1
	leap    int   // number of the leap month, 0 if none
	lengths []int // month lengths in order, 12 or 13 of them
}

// buildLunarYears derives the lunar years first..last from the astronomical
// rules, for civil time tz hours east of Greenwich (7 for Vietnam, 8 for
// China):
//
//  1. a month begins on the local day of a new moon;
//  2. the month containing the December solstice (Sun at 270°) is month 11;
//  3. when 13 months lie between two months 11 (a "sui"), the first of them
//     that contains no major solar term (a multiple of 30° of solar longitude)
//     is a leap month and repeats the number of the month before it.
//
// A month contains a term when the term's local day falls on or after the
// month's first day and before the next month's first day.
func buildLunarYears(first, last int, tz float64) ([]builtLunarYear, error) {
	// December solstices of the years first-1 .. last+1.
	solsticeJDE := map[int]float64{}
	solsticeDay := map[int]int{}
	for y := first - 1; y <= last+1; y++ {
		jde := sunAtLongitude(270, jdOfDate(Date{y, 12, 21}))
		solsticeJDE[y] = jde
		solsticeDay[y] = localDayNumber(ttToUT(jde), tz)
	}

	// Local days of the new moons from before the first solstice to after
	// the last one.
	k0 := lunation(jdOfDate(Date{first - 1, 11, 1})) - 1
	k1 := lunation(jdOfDate(Date{last + 2, 2, 1})) + 1
	var moons []int
	for k := k0; k <= k1; k++ {
		d := localDayNumber(ttToUT(newMoonJDE(k)), tz)
		if len(moons) > 0 && d <= moons[len(moons)-1] {
			return nil, fmt.Errorf("new moons out of order at lunation %d", k)
		}
		moons = append(moons, d)
	}

	// month11[y] is the index in moons of the month containing solstice y.
	month11 := map[int]int{}
	for y := first - 1; y <= last+1; y++ {
		i := -1
		for j, d := range moons {
			if d <= solsticeDay[y] {
				i = j
			}
		}
		if i < 0 || i+1 >= len(moons) {
			return nil, fmt.Errorf("no new moon before the %d solstice", y)
		}
		month11[y] = i
	}

	// Number every month from month 11 of first-1 to the one before month 11
	// of last+1.
	type label struct {
		num  int
		leap bool
	}
	labels := map[int]label{}
	for y := first; y <= last+1; y++ {
		a, b := month11[y-1], month11[y]
		n := b - a
		if n != 12 && n != 13 {
			return nil, fmt.Errorf("%d months between the solstices of %d and %d", n, y-1, y)
		}
		leapAt := -1
		if n == 13 {
			// Local days of the 11 major terms after solstice y-1, before solstice y.
			var terms []int
			for i := 1; i <= 11; i++ {
				lon := normDeg(270 + 30*float64(i))
				guess := solsticeJDE[y-1] + float64(i)*365.242189/12
				terms = append(terms, localDayNumber(ttToUT(sunAtLongitude(lon, guess)), tz))
			}
			for m := 1; m < n; m++ {
				start, end := moons[a+m], moons[a+m+1]
				has := false
				for _, t := range terms {
					if t >= start && t < end {
						has = true
						break
					}
				}
				if !has {
					leapAt = m
					break
				}
			}
			if leapAt < 0 {
				return nil, fmt.Errorf("13-month sui %d-%d without a month lacking a major term", y-1, y)
			}
		}
		for m := range n {
			idx := m
			if leapAt >= 0 && m >= leapAt {
				idx = m - 1
			}
			num := (idx+10)%12 + 1 // index 0 is month 11
			labels[a+m] = label{num: num, leap: m == leapAt}
		}
	}

	// Group months into lunar years, each beginning at month 1.
	var years []builtLunarYear
	var cur *builtLunarYear
	for i := month11[first-1]; i < month11[last+1]; i++ {
		lb := labels[i]
		if lb.num == 1 && !lb.leap {
			y := dateFromDays(moons[i]).Year
			years = append(years, builtLunarYear{year: y, tet: moons[i]})
			cur = &years[len(years)-1]
		}
		if cur == nil {
			continue // months 11 and 12 of lunar year first-1
		}
		if lb.leap {
			cur.leap = lb.num
		}
		cur.lengths = append(cur.lengths, moons[i+1]-moons[i])
	}
	var out []builtLunarYear
	for _, y := range years {
		if y.year >= first && y.year <= last {
			out = append(out, y)
		}
	}
	if len(out) != last-first+1 {
		return nil, fmt.Errorf("built %d lunar years, want %d", len(out), last-first+1)
	}
	return out, nil
}

// encodeLunarYears renders years in the format of lunarTable.
func encodeLunarYears(years []builtLunarYear) (string, error) {
	var s []byte
	for _, y := range years {
		jan20 := Date{y.year, 1, 20}.days()
		off := y.tet - jan20
		if off < 1 || off > 31 {
			return "", fmt.Errorf("lunar year %d: Tết %s out of the encodable span", y.year, dateFromDays(y.tet))
		}
		if len(y.lengths) != 12 && len(y.lengths) != 13 {
			return "", fmt.Errorf("lunar year %d has %d months", y.year, len(y.lengths))
		}
		var bits uint32
		for i, l := range y.lengths {
			switch l {
			case 30:
				bits |= 1 << i
			case 29:
			default:
				return "", fmt.Errorf("lunar year %d: month of %d days", y.year, l)
			}
		}
		v := uint32(off)<<17 | uint32(y.leap)<<13 | bits
		s = fmt.Appendf(s, "%06x", v)
	}
	return string(s), nil
}
