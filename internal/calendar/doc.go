// Package calendar is the working-day calendar behind the legal time limits of
// administrative procedures: the Vietnamese lunar calendar (for Tết and the
// Hùng Kings' day), the public holidays of Bộ luật Lao động 2019, and the
// working days and hours of each office.
//
//   - Lunar calendar: SolarToLunar, LunarToSolar, LunarYear and Tet, for
//     1900–2100, computed from the astronomical rules for UTC+7 (see lunar.go).
//   - Holidays: a YearSchedule per year lists holidays, compensatory and
//     swapped days off and make-up working days. The government's decisions
//     are data (shipped for 2024–2026 in holidays.json, editable by
//     administrators through NewHolidays); other years follow RuleSchedule.
//   - Working time: a Calendar combines the national schedule with a weekly
//     pattern of working hours (StandardWeek: Monday–Friday 07:00–11:30 and
//     13:30–17:00) and an office's own overrides, and computes working days,
//     working time and due instants (Due documents the rule).
//
// Dates are civil dates (Date); instants are time.Time, interpreted in
// Vietnam's time, a fixed UTC+7 zone that does not depend on the machine's
// tzdata. The package never reads the clock: callers pass the instants in.
package calendar
