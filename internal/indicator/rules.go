package indicator

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/congso/congso/internal/calendar"
)

//go:embed rules.json
var shippedRules []byte

// Criterion is one scored item: a rate computed by a named formula, compared
// with a threshold.
type Criterion struct {
	Key       string  `json:"key"`
	Name      string  `json:"name"`
	Points    float64 `json:"points"`
	Threshold float64 `json:"threshold"`
	Formula   string  `json:"formula"`
}

// Group is a group of criteria with its share of the 100 points.
type Group struct {
	Key      string      `json:"key"`
	Name     string      `json:"name"`
	Points   float64     `json:"points"`
	Criteria []Criterion `json:"criteria"`
}

// Rules is one version of the scoring rules, in force from ValidFrom.
type Rules struct {
	Version   string  `json:"version"`
	ValidFrom string  `json:"valid_from"`
	Basis     string  `json:"basis"`
	Groups    []Group `json:"groups"`
	from      calendar.Date
}

// RuleBook holds every version of the rules, oldest first.
type RuleBook struct{ versions []Rules }

// LoadRules reads rule versions from JSON and checks them: known formulas,
// thresholds in (0, 1], criteria adding up to their group and groups to 100.
func LoadRules(data []byte) (*RuleBook, error) {
	var doc struct {
		Versions []Rules `json:"versions"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("read scoring rules: %w", err)
	}
	if len(doc.Versions) == 0 {
		return nil, fmt.Errorf("scoring rules: no version")
	}
	for i := range doc.Versions {
		r := &doc.Versions[i]
		d, err := calendar.ParseDate(r.ValidFrom)
		if err != nil {
			return nil, fmt.Errorf("scoring rules %s: valid_from: %w", r.Version, err)
		}
		r.from = d
		total := 0.0
		for _, g := range r.Groups {
			sum := 0.0
			for _, c := range g.Criteria {
				if _, ok := formulas[c.Formula]; !ok {
					return nil, fmt.Errorf("scoring rules %s: criterion %s: unknown formula %q", r.Version, c.Key, c.Formula)
				}
				if c.Threshold <= 0 || c.Threshold > 1 {
					return nil, fmt.Errorf("scoring rules %s: criterion %s: threshold must be in (0, 1]", r.Version, c.Key)
				}
				sum += c.Points
			}
			if !near(sum, g.Points) {
				return nil, fmt.Errorf("scoring rules %s: group %s: criteria give %v points, group has %v", r.Version, g.Key, sum, g.Points)
			}
			total += g.Points
		}
		if !near(total, 100) {
			return nil, fmt.Errorf("scoring rules %s: groups give %v points, not 100", r.Version, total)
		}
	}
	sort.SliceStable(doc.Versions, func(i, j int) bool { return doc.Versions[i].from.Before(doc.Versions[j].from) })
	return &RuleBook{versions: doc.Versions}, nil
}

// ShippedRules are the rules embedded in the binary.
func ShippedRules() *RuleBook {
	rb, err := LoadRules(shippedRules)
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	return rb
}

// At returns the version in force on day d: the latest valid from d or
// before, or the oldest when d precedes them all.
func (rb *RuleBook) At(d calendar.Date) Rules {
	out := rb.versions[0]
	for _, r := range rb.versions {
		if !d.Before(r.from) {
			out = r
		}
	}
	return out
}

// Versions lists the versions, oldest first.
func (rb *RuleBook) Versions() []Rules { return append([]Rules(nil), rb.versions...) }

func near(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }

// score is the points a rate earns: full at or above the threshold, else in
// proportion. A criterion with nothing to measure earns full points: there
// was nothing to fail.
func score(points, threshold float64, f Fraction) float64 {
	if f.Den == 0 {
		return points
	}
	r := f.Rate()
	if r >= threshold {
		return points
	}
	return r * points / threshold
}

// dayOf is the local date of an instant as YYYYMMDD.
func dayOf(t time.Time) int {
	d := calendar.DateOf(t.In(calendar.Location()))
	return dayNum(d)
}

func dayNum(d calendar.Date) int { return d.Year*10000 + int(d.Month)*100 + d.Day }
