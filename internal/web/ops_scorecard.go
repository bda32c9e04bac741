package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/indicator"
	"github.com/congso/congso/internal/tabular"
)

// The operations page's scorecard section: the province's 766 scorecard for
// the year to date, its monthly trend over twelve months and the agencies'
// and communes' rankings, best and worst. Scores are aggregates the national
// portal publishes, so every official sees the province's. The section is
// drawn once with the page, not at every refresh: a scorecard over a year
// costs more than the live counts and moves slowly.

// opsRankShown is how many of the best and of the worst the page lists.
const opsRankShown = 5

type opsScore struct {
	Card     indicator.Scorecard
	Agencies opsRanking
	Communes opsRanking
	Charts   []OpsChart
}

// opsRanking is a ranking cut to its head and tail.
type opsRanking struct {
	Name         string // agency or commune, for the export links
	Count        int
	Top, Bottom  []indicator.Ranked
	GroupHeaders []string
}

// Rankings are the agencies' and the communes'.
func (s *opsScore) Rankings() []opsRanking { return []opsRanking{s.Agencies, s.Communes} }

// From and To show the period the Vietnamese way.
func (s *opsScore) From() string { return viDay(s.Card.Period.From) }

// To is the period's last day.
func (s *opsScore) To() string { return viDay(s.Card.Period.To) }

func viDay(d calendar.Date) string { return fmt.Sprintf("%02d/%02d/%d", d.Day, int(d.Month), d.Year) }

func cutRanking(name string, r indicator.Ranking) opsRanking {
	out := opsRanking{Name: name, Count: len(r.Rows)}
	for _, g := range r.Groups {
		out.GroupHeaders = append(out.GroupHeaders, fmt.Sprintf("%s (%g)", g.Name, g.Points))
	}
	if len(r.Rows) <= 2*opsRankShown {
		out.Top = r.Rows
		return out
	}
	out.Top = r.Rows[:opsRankShown]
	out.Bottom = r.Rows[len(r.Rows)-opsRankShown:]
	return out
}

// opsPeriods are the year to date and the twelve months ending this month.
func (h *opsHandler) opsPeriods() (year, trend indicator.Period) {
	today := calendar.DateOf(h.s.now().In(calendar.Location()))
	year = indicator.Period{From: calendar.Date{Year: today.Year, Month: 1, Day: 1}, To: today}
	first := calendar.Date{Year: today.Year, Month: today.Month, Day: 1}.AddMonths(-11)
	return year, indicator.Period{From: first, To: today}
}

func (h *opsHandler) score(r *http.Request) (*opsScore, error) {
	if h.ind == nil {
		return nil, nil
	}
	ctx := r.Context()
	lang := langOf(r)
	year, trendPeriod := h.opsPeriods()
	card, err := h.ind.Scorecard(ctx, nil, indicator.Scope{Kind: indicator.Province}, year)
	if err != nil {
		return nil, err
	}
	agencies, err := h.ind.Rank(ctx, indicator.Agency, year)
	if err != nil {
		return nil, err
	}
	communes, err := h.ind.Rank(ctx, indicator.Commune, year)
	if err != nil {
		return nil, err
	}
	trend, err := h.ind.Trend(ctx, indicator.Scope{Kind: indicator.Province}, trendPeriod)
	if err != nil {
		return nil, err
	}
	sc := &opsScore{Card: card, Agencies: cutRanking("agency", agencies), Communes: cutRanking("commune", communes)}
	sc.Charts = scoreCharts(card, trend, lang)
	return sc, nil
}

// scoreCharts draws the monthly trend of the total and the groups' points
// against their maximum.
func scoreCharts(card indicator.Scorecard, trend []indicator.TrendPoint, lang string) []OpsChart {
	line := OpsChart{ID: "chart-score-trend", Type: "line", Options: map[string]any{"animation": false, "maintainAspectRatio": false,
		"scales": map[string]any{"y": map[string]any{"min": 0, "max": 100}}}}
	total := OpsDataset{Label: translate(lang, "ops.score.total"), BorderColor: opsPalette[0], BackgroundColor: opsPalette[0]}
	for _, p := range trend {
		line.Data.Labels = append(line.Data.Labels, p.Month)
		total.Data = append(total.Data, roundTo(p.Total, 2))
	}
	line.Data.Datasets = []OpsDataset{total}
	groups := OpsChart{ID: "chart-score-groups", Type: "bar", Options: map[string]any{"animation": false, "maintainAspectRatio": false, "indexAxis": "y",
		"scales": map[string]any{"x": map[string]any{"beginAtZero": true}}}}
	got := OpsDataset{Label: translate(lang, "ops.score.points"), BackgroundColor: opsPalette[0]}
	max := OpsDataset{Label: translate(lang, "ops.score.max"), BackgroundColor: "#c9d1db"}
	for _, g := range card.Groups {
		groups.Data.Labels = append(groups.Data.Labels, g.Name)
		got.Data = append(got.Data, roundTo(g.Score, 2))
		max.Data = append(max.Data, g.Points)
	}
	groups.Data.Datasets = []OpsDataset{got, max}
	return []OpsChart{line, groups}
}

// Points shows a score the Vietnamese way, with a decimal comma.
func (opsData) Points(v float64) string {
	return strings.Replace(fmt.Sprintf("%.2f", v), ".", ",", 1)
}

// scoreExportTable turns the scorecard or a ranking into a table to export.
func (h *opsHandler) scoreExportTable(r *http.Request, name, lang string) (tabular.Table, bool, error) {
	if h.ind == nil || (name != "scorecard" && name != "rank-agency" && name != "rank-commune") {
		return tabular.Table{}, false, nil
	}
	tr := func(k string) string { return translate(lang, k) }
	year, _ := h.opsPeriods()
	if name == "scorecard" {
		card, err := h.ind.Scorecard(r.Context(), nil, indicator.Scope{Kind: indicator.Province}, year)
		if err != nil {
			return tabular.Table{}, false, err
		}
		t := tabular.Table{Name: tr("ops.score.title"), Columns: []string{tr("ops.score.group"), tr("ops.score.criterion"), tr("ops.score.num"),
			tr("ops.score.den"), tr("ops.score.rate"), tr("ops.score.points"), tr("ops.score.max")}}
		for _, g := range card.Groups {
			for _, c := range g.Criteria {
				t.Rows = append(t.Rows, []any{g.Name, c.Name, c.Num, c.Den, roundTo(c.Rate*100, 2), roundTo(c.Score, 2), c.Points})
			}
		}
		t.Rows = append(t.Rows, []any{tr("ops.score.total"), "", nil, nil, nil, roundTo(card.Total, 2), 100.0})
		return t, true, nil
	}
	kind := indicator.Agency
	title := tr("ops.rank.agency")
	if name == "rank-commune" {
		kind, title = indicator.Commune, tr("ops.rank.commune")
	}
	rk, err := h.ind.Rank(r.Context(), kind, year)
	if err != nil {
		return tabular.Table{}, false, err
	}
	t := tabular.Table{Name: title, Columns: []string{tr("ops.rank.rank"), tr("ops.rank.name"), tr("ops.score.total"), tr("ops.col.received")}}
	for _, g := range rk.Groups {
		t.Columns = append(t.Columns, fmt.Sprintf("%s (%g)", g.Name, g.Points))
	}
	for _, row := range rk.Rows {
		cells := []any{row.Rank, row.Name, roundTo(row.Total, 2), row.Received}
		for _, g := range row.Groups {
			cells = append(cells, roundTo(g, 2))
		}
		t.Rows = append(t.Rows, cells)
	}
	return t, true, nil
}

// PublicCharts draws the transparency page's scorecard: the monthly trend
// (when the period has one) and the points by group.
func (d *scorecardData) PublicCharts(lang string) []OpsChart {
	if d == nil || d.Card == nil {
		return nil
	}
	var points []indicator.TrendPoint
	if d.Trend != nil {
		points = d.Trend.Points
	}
	var out []OpsChart
	for _, c := range scoreCharts(d.Card.Card, points, lang) {
		if c.ID == "chart-score-trend" && len(points) == 0 {
			continue
		}
		out = append(out, c)
	}
	return out
}
