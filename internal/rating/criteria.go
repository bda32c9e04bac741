package rating

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// criteriaJSON holds every version of the criteria set. A new version is
// added, never edited in place: ratings keep the version they were given
// under, and the old versions stay to show them.
//
//go:embed criteria.json
var criteriaJSON []byte

// Criterion is one thing the applicant rates.
type Criterion struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEN string `json:"name_en"`
	Hint   string `json:"hint"`
	HintEN string `json:"hint_en"`
}

// StageCriteria are the criteria of one stage.
type StageCriteria struct {
	Stage    Stage       `json:"stage"`
	Name     string      `json:"name"`
	NameEN   string      `json:"name_en"`
	Criteria []Criterion `json:"criteria"`
}

// Criteria is one version of the criteria set.
type Criteria struct {
	Version   string          `json:"version"`
	ValidFrom string          `json:"valid_from"`
	Basis     string          `json:"basis"`
	Stages    []StageCriteria `json:"stages"`
}

// Criterion finds a criterion by code and tells its stage.
func (c Criteria) Criterion(code string) (Criterion, bool) {
	cr, _, ok := c.find(code)
	return cr, ok
}

// StageOf tells the stage of a criterion.
func (c Criteria) StageOf(code string) (Stage, bool) {
	_, st, ok := c.find(code)
	return st, ok
}

func (c Criteria) find(code string) (Criterion, Stage, bool) {
	for _, st := range c.Stages {
		for _, cr := range st.Criteria {
			if cr.Code == code {
				return cr, st.Stage, true
			}
		}
	}
	return Criterion{}, "", false
}

// Codes lists the criteria codes in order.
func (c Criteria) Codes() []string {
	var out []string
	for _, st := range c.Stages {
		for _, cr := range st.Criteria {
			out = append(out, cr.Code)
		}
	}
	return out
}

// CriteriaSet is every version of the criteria, with the one new ratings use.
type CriteriaSet struct {
	Current  string     `json:"current"`
	Versions []Criteria `json:"versions"`
}

// LoadCriteria reads the shipped criteria set and checks it: both stages in
// every version, each with criteria; codes unique and prefixed by their
// stage; the current version present.
func LoadCriteria() (CriteriaSet, error) { return parseCriteria(criteriaJSON) }

func parseCriteria(data []byte) (CriteriaSet, error) {
	var set CriteriaSet
	if err := json.Unmarshal(data, &set); err != nil {
		return set, fmt.Errorf("rating criteria: %w", err)
	}
	versions := map[string]bool{}
	for _, v := range set.Versions {
		if v.Version == "" || versions[v.Version] {
			return set, fmt.Errorf("rating criteria: version %q is empty or repeated", v.Version)
		}
		versions[v.Version] = true
		var stages []Stage
		codes := map[string]bool{}
		for _, st := range v.Stages {
			if !slices.Contains(Stages(), st.Stage) || slices.Contains(stages, st.Stage) {
				return set, fmt.Errorf("rating criteria %s: stage %q is unknown or repeated", v.Version, st.Stage)
			}
			stages = append(stages, st.Stage)
			if len(st.Criteria) == 0 {
				return set, fmt.Errorf("rating criteria %s: stage %s has no criteria", v.Version, st.Stage)
			}
			for _, cr := range st.Criteria {
				if !strings.HasPrefix(cr.Code, string(st.Stage)+".") || codes[cr.Code] || cr.Name == "" || cr.NameEN == "" {
					return set, fmt.Errorf("rating criteria %s: criterion %q must be unique, named in both languages and start with %q",
						v.Version, cr.Code, st.Stage+".")
				}
				codes[cr.Code] = true
			}
		}
		if len(stages) != len(Stages()) {
			return set, fmt.Errorf("rating criteria %s: both stages (receipt, processing) must have criteria", v.Version)
		}
	}
	if !versions[set.Current] {
		return set, fmt.Errorf("rating criteria: the current version %q is not in the set", set.Current)
	}
	return set, nil
}

// Version returns a version of the criteria.
func (s CriteriaSet) Version(v string) (Criteria, bool) {
	for _, c := range s.Versions {
		if c.Version == v {
			return c, true
		}
	}
	return Criteria{}, false
}

// CurrentCriteria is the version new ratings are given under.
func (s CriteriaSet) CurrentCriteria() Criteria {
	c, _ := s.Version(s.Current)
	return c
}
