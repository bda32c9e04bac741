package calendar

// Astronomy behind the lunar calendar. Everything here follows
// Jean Meeus, "Astronomical Algorithms", 2nd ed., Willmann-Bell, 1998:
//
//   - ch. 49: instant of the true new moon, from the mean lunation (49.1) with
//     its periodic terms and the 14 planetary "additional corrections";
//   - ch. 32 and appendix III: the Earth's heliocentric longitude from the
//     truncated VSOP87 series of Bretagnon and Francou (1988);
//   - ch. 25 ("higher accuracy"): the Sun's apparent geocentric longitude, i.e.
//     the VSOP87 longitude + 180°, the FK5 correction, nutation and aberration;
//   - ch. 22: nutation in longitude, abridged to its four largest terms (0.5").
//
// Times from the theory are dynamical (TT). They are converted to UT with the
// ΔT polynomials of F. Espenak and J. Meeus ("Five Millennium Canon of Solar
// Eclipses", NASA TP-2006-214141). The solar longitude is good to about 1",
// i.e. the solar terms to about half a minute; the new moons to a few seconds
// plus the uncertainty of ΔT (about a minute by 2100).
//
// This code is used only to (re)generate the table in lunartable.go; see
// TestLunarTableMatchesAstronomy.

import "math"

const (
	jdJ2000     = 2451545.0 // 2000-01-01 12:00 TT
	jdUnixEpoch = 2440587.5 // 1970-01-01 00:00 UT
	radPerDeg   = math.Pi / 180
)

// jdOfDate returns the Julian Day of 00:00 UT on d.
func jdOfDate(d Date) float64 { return jdUnixEpoch + float64(d.days()) }

// localDayNumber returns the civil day (days since 1970-01-01) on which the UT
// instant jd falls in a zone tz hours east of Greenwich.
func localDayNumber(jd float64, tz float64) int {
	return int(math.Floor(jd + tz/24 - jdUnixEpoch))
}

// ttToUT converts a dynamical time (JDE) to universal time (JD).
func ttToUT(jde float64) float64 {
	y := 2000 + (jde-jdJ2000)/365.2425
	return jde - deltaT(y)/86400
}

// deltaT returns TT − UT in seconds for the decimal year y (Espenak & Meeus).
func deltaT(y float64) float64 {
	switch {
	case y < 1900:
		t := y - 1860
		return 7.62 + 0.5737*t - 0.251754*t*t + 0.01680668*t*t*t -
			0.0004473624*t*t*t*t + t*t*t*t*t/233174
	case y < 1920:
		t := y - 1900
		return -2.79 + 1.494119*t - 0.0598939*t*t + 0.0061966*t*t*t - 0.000197*t*t*t*t
	case y < 1941:
		t := y - 1920
		return 21.20 + 0.84493*t - 0.076100*t*t + 0.0020936*t*t*t
	case y < 1961:
		t := y - 1950
		return 29.07 + 0.407*t - t*t/233 + t*t*t/2547
	case y < 1986:
		t := y - 1975
		return 45.45 + 1.067*t - t*t/260 - t*t*t/718
	case y < 2005:
		t := y - 2000
		return 63.86 + 0.3345*t - 0.060374*t*t + 0.0017275*t*t*t +
			0.000651814*t*t*t*t + 0.00002373599*t*t*t*t*t
	case y < 2050:
		t := y - 2000
		return 62.92 + 0.32217*t + 0.005589*t*t
	default:
		u := (y - 1820) / 100
		return -20 + 32*u*u - 0.5628*(2150-y)
	}
}

// lunation returns the number k of the last mean new moon at or before the
// Julian day jd; the true new moon of that lunation may fall up to about
// 14 hours either side of the mean one.
func lunation(jd float64) int {
	return int(math.Floor((jd - 2451550.09766) / 29.530588861))
}

// newMoonJDE returns the instant (JDE, TT) of the true new moon of lunation k;
// k = 0 is the new moon of 6 January 2000 (Meeus ch. 49).
func newMoonJDE(k int) float64 {
	kf := float64(k)
	T := kf / 1236.85
	T2, T3, T4 := T*T, T*T*T, T*T*T*T

	jde := 2451550.09766 + 29.530588861*kf + 0.00015437*T2 - 0.000000150*T3 + 0.00000000073*T4

	E := 1 - 0.002516*T - 0.0000074*T2
	// Fundamental arguments, degrees: Sun's mean anomaly M, Moon's mean anomaly
	// M', Moon's argument of latitude F, longitude of the ascending node Ω.
	M := 2.5534 + 29.10535670*kf - 0.0000014*T2 - 0.00000011*T3
	Mp := 201.5643 + 385.81693528*kf + 0.0107582*T2 + 0.00001238*T3 - 0.000000058*T4
	F := 160.7108 + 390.67050284*kf - 0.0016118*T2 - 0.00000227*T3 + 0.000000011*T4
	Om := 124.7746 - 1.56375588*kf + 0.0020672*T2 + 0.00000215*T3

	// Periodic terms for the new moon: coefficient (days), power of E, and the
	// multiples of M, M', F, Ω in the sine's argument.
	type term struct {
		c            float64
		ePow         int
		m, mp, f, om float64
	}
	terms := [...]term{
		{-0.40720, 0, 0, 1, 0, 0},
		{+0.17241, 1, 1, 0, 0, 0},
		{+0.01608, 0, 0, 2, 0, 0},
		{+0.01039, 0, 0, 0, 2, 0},
		{+0.00739, 1, -1, 1, 0, 0},
		{-0.00514, 1, 1, 1, 0, 0},
		{+0.00208, 2, 2, 0, 0, 0},
		{-0.00111, 0, 0, 1, -2, 0},
		{-0.00057, 0, 0, 1, 2, 0},
		{+0.00056, 1, 1, 2, 0, 0},
		{-0.00042, 0, 0, 3, 0, 0},
		{+0.00042, 1, 1, 0, 2, 0},
		{+0.00038, 1, 1, 0, -2, 0},
		{-0.00024, 1, -1, 2, 0, 0},
		{-0.00017, 0, 0, 0, 0, 1},
		{-0.00007, 0, 2, 1, 0, 0},
		{+0.00004, 0, 0, 2, -2, 0},
		{+0.00004, 0, 3, 0, 0, 0},
		{+0.00003, 0, 1, 1, -2, 0},
		{+0.00003, 0, 0, 2, 2, 0},
		{-0.00003, 0, 1, 1, 2, 0},
		{+0.00003, 0, -1, 1, 2, 0},
		{-0.00002, 0, -1, 1, -2, 0},
		{-0.00002, 0, 1, 3, 0, 0},
		{+0.00002, 0, 0, 4, 0, 0},
	}
	for _, t := range terms {
		arg := (t.m*M + t.mp*Mp + t.f*F + t.om*Om) * radPerDeg
		c := t.c
		for range t.ePow {
			c *= E
		}
		jde += c * math.Sin(arg)
	}

	// Additional corrections from the planetary arguments A1..A14:
	// amplitude (days), argument at k = 0 and its rate per lunation (degrees).
	planetary := [...]struct{ amp, a0, rate float64 }{
		{0.000325, 299.77, 0.107408}, // A1 also has −0.009173 T², added below
		{0.000165, 251.88, 0.016321},
		{0.000164, 251.83, 26.651886},
		{0.000126, 349.42, 36.412478},
		{0.000110, 84.66, 18.206239},
		{0.000062, 141.74, 53.303771},
		{0.000060, 207.14, 2.453732},
		{0.000056, 154.84, 7.306860},
		{0.000047, 34.52, 27.261239},
		{0.000042, 207.19, 0.121824},
		{0.000040, 291.34, 1.844379},
		{0.000037, 161.72, 24.198154},
		{0.000035, 239.56, 25.513099},
		{0.000023, 331.55, 3.592518},
	}
	for i, p := range planetary {
		a := p.a0 + p.rate*kf
		if i == 0 {
			a -= 0.009173 * T2
		}
		jde += p.amp * math.Sin(a*radPerDeg)
	}
	return jde
}

// vsopTerm is one periodic term A·cos(B + C·τ) of a VSOP87 series.
type vsopTerm struct{ a, b, c float64 }

// earthLongitude returns the Earth's heliocentric ecliptic longitude (radians,
// mean equinox of date) at τ Julian millennia from J2000.0 (TT), from the
// truncated VSOP87D series of Meeus, appendix III (units 1e-8 rad).
func earthLongitude(tau float64) float64 {
	l0 := [...]vsopTerm{
		{175347046, 0, 0}, {3341656, 4.6692568, 6283.0758500}, {34894, 4.62610, 12566.15170},
		{3497, 2.7441, 5753.3849}, {3418, 2.8289, 3.5231}, {3136, 3.6277, 77713.7715},
		{2676, 4.4181, 7860.4194}, {2343, 6.1352, 3930.2097}, {1324, 0.7425, 11506.7698},
		{1273, 2.0371, 529.6910}, {1199, 1.1096, 1577.3435}, {990, 5.233, 5884.927},
		{902, 2.045, 26.298}, {857, 3.508, 398.149}, {780, 1.179, 5223.694},
		{753, 2.533, 5507.553}, {505, 4.583, 18849.228}, {492, 4.205, 775.523},
		{357, 2.920, 0.067}, {317, 5.849, 11790.629}, {284, 1.899, 796.298},
		{271, 0.315, 10977.079}, {243, 0.345, 5486.778}, {206, 4.806, 2544.314},
		{205, 1.869, 5573.143}, {202, 2.458, 6069.777}, {156, 0.833, 213.299},
		{132, 3.411, 2942.463}, {126, 1.083, 20.775}, {115, 0.645, 0.980},
		{103, 0.636, 4694.003}, {102, 0.976, 15720.839}, {102, 4.267, 7.114},
		{99, 6.21, 2146.17}, {98, 0.68, 155.42}, {86, 5.98, 161000.69},
		{85, 1.30, 6275.96}, {85, 3.67, 71430.70}, {80, 1.81, 17260.15},
		{79, 3.04, 12036.46}, {75, 1.76, 5088.63}, {74, 3.50, 3154.69},
		{74, 4.68, 801.82}, {70, 0.83, 9437.76}, {62, 3.98, 8827.39},
		{61, 1.82, 7084.90}, {57, 2.78, 6286.60}, {56, 4.39, 14143.50},
		{56, 3.47, 6279.55}, {52, 0.19, 12139.55}, {52, 1.33, 1748.02},
		{51, 0.28, 5856.48}, {49, 0.49, 1194.45}, {41, 5.37, 8429.24},
		{41, 2.40, 19651.05}, {39, 6.17, 10447.39}, {37, 6.04, 10213.29},
		{37, 2.57, 1059.38}, {36, 1.71, 2352.87}, {36, 1.78, 6812.77},
		{33, 0.59, 17789.85}, {30, 0.44, 83996.85}, {30, 2.74, 1349.87},
		{25, 3.16, 4690.48},
	}
	l1 := [...]vsopTerm{
		{628331966747, 0, 0}, {206059, 2.678235, 6283.075850}, {4303, 2.6351, 12566.1517},
		{425, 1.590, 3.523}, {119, 5.796, 26.298}, {109, 2.966, 1577.344},
		{93, 2.59, 18849.23}, {72, 1.14, 529.69}, {68, 1.87, 398.15},
		{67, 4.41, 5507.55}, {59, 2.89, 5223.69}, {56, 2.17, 155.42},
		{45, 0.40, 796.30}, {36, 0.47, 775.52}, {29, 2.65, 7.11},
		{21, 5.34, 0.98}, {19, 1.85, 5486.78}, {19, 4.97, 213.30},
		{17, 2.99, 6275.96}, {16, 0.03, 2544.31}, {16, 1.43, 2146.17},
		{15, 1.21, 10977.08}, {12, 2.83, 1748.02}, {12, 3.26, 5088.63},
		{12, 5.27, 1194.45}, {12, 2.08, 4694.00}, {11, 0.77, 553.57},
		{10, 1.30, 6286.60}, {10, 4.24, 1349.87}, {9, 2.70, 242.73},
		{9, 5.64, 951.72}, {8, 5.30, 2352.87}, {6, 2.65, 9437.76},
		{6, 4.67, 4690.48},
	}
	l2 := [...]vsopTerm{
		{52919, 0, 0}, {8720, 1.0721, 6283.0758}, {309, 0.867, 12566.152},
		{27, 0.05, 3.52}, {16, 5.19, 26.30}, {16, 3.68, 155.42},
		{10, 0.76, 18849.23}, {9, 2.06, 77713.77}, {7, 0.83, 775.52},
		{5, 4.66, 1577.34}, {4, 1.03, 7.11}, {4, 3.44, 5573.14},
		{3, 5.14, 796.30}, {3, 6.05, 5507.55}, {3, 1.19, 242.73},
		{3, 6.12, 529.69}, {3, 0.31, 398.15}, {3, 2.28, 553.57},
		{2, 4.38, 5223.69}, {2, 3.75, 0.98},
	}
	l3 := [...]vsopTerm{
		{289, 5.844, 6283.076}, {35, 0, 0}, {17, 5.49, 12566.15},
		{3, 5.20, 155.42}, {1, 4.72, 3.52}, {1, 5.30, 18849.23},
		{1, 5.97, 242.73},
	}
	l4 := [...]vsopTerm{{114, 3.142, 0}, {8, 4.13, 6283.08}, {1, 3.84, 12566.15}}
	l5 := [...]vsopTerm{{1, 3.14, 0}}

	sum := func(ts []vsopTerm) float64 {
		var s float64
		for _, t := range ts {
			s += t.a * math.Cos(t.b+t.c*tau)
		}
		return s
	}
	// Horner in τ over the six series L0..L5.
	l := sum(l5[:])
	for _, s := range [][]vsopTerm{l4[:], l3[:], l2[:], l1[:], l0[:]} {
		l = l*tau + sum(s)
	}
	return l / 1e8
}

// sunLongitude returns the Sun's apparent geocentric ecliptic longitude in
// degrees, in [0, 360), at the dynamical instant jde (Meeus ch. 25).
func sunLongitude(jde float64) float64 {
	tau := (jde - jdJ2000) / 365250
	T := tau * 10

	lon := earthLongitude(tau)/radPerDeg + 180 // geometric, mean equinox of date
	lon -= 0.09033 / 3600                      // to the FK5 system

	// Nutation in longitude, abridged (Meeus ch. 22): Ω the Moon's node, Ls and
	// Lm the mean longitudes of the Sun and the Moon.
	om := (125.04452 - 1934.136261*T) * radPerDeg
	ls := (280.4665 + 36000.7698*T) * radPerDeg
	lm := (218.3165 + 481267.8813*T) * radPerDeg
	dpsi := -17.20*math.Sin(om) - 1.32*math.Sin(2*ls) - 0.23*math.Sin(2*lm) + 0.21*math.Sin(2*om)

	// Aberration −20.4898"/R, with the Sun's distance R (AU) from the
	// low-precision formula of the Astronomical Almanac; its error is far
	// below the 1" budget.
	g := (357.52911 + 35999.05029*T) * radPerDeg
	r := 1.00014 - 0.01671*math.Cos(g) - 0.00014*math.Cos(2*g)

	lon += (dpsi - 20.4898/r) / 3600
	return normDeg(lon)
}

func normDeg(a float64) float64 {
	a = math.Mod(a, 360)
	if a < 0 {
		a += 360
	}
	return a
}

// sunAtLongitude returns the dynamical instant (JDE) nearest guess at which the
// Sun's apparent longitude is lon degrees, by Newton iteration on the mean
// solar motion; it converges to well under a second in three or four steps.
func sunAtLongitude(lon, guess float64) float64 {
	t := guess
	for range 10 {
		d := normDeg(lon-sunLongitude(t)+180) - 180 // signed, in (−180, 180]
		step := d * 365.242189 / 360
		t += step
		if math.Abs(step) < 1e-7 {
			break
		}
	}
	return t
}
