package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/dashboard"
	"github.com/congso/congso/internal/indicator"
	"github.com/congso/congso/internal/tabular"
)

// The province's operations page: today's figures, the charts and the
// breakdowns of the dossier system, refreshed in place by htmx every few
// seconds, each table offered as CSV and XLSX. The dashboard service decides
// what the official may see (the whole province for province-wide roles).

// OpsRefresh is how often the page asks for fresh figures.
const OpsRefresh = 2 * time.Second

// RegisterOps adds the operations page.
// ind, when not nil, adds the service scorecard and the rankings.
func (s *Server) RegisterOps(mux *http.ServeMux, svc *dashboard.Service, ind *indicator.Service) {
	h := &opsHandler{s: s, svc: svc, ind: ind}
	mux.HandleFunc("GET /ops", h.page)
	mux.HandleFunc("GET /ops/live", h.live)
	mux.HandleFunc("GET /ops/export/{file}", h.export)
}

type opsHandler struct {
	s   *Server
	svc *dashboard.Service
	ind *indicator.Service
}

// OpsChart is a chart for Chart.js: the type, the data and the options, as
// the library takes them.
type OpsChart struct {
	ID      string         `json:"id"`
	Type    string         `json:"type"`
	Data    OpsChartData   `json:"data"`
	Options map[string]any `json:"options"`
}

// OpsChartData is a chart's labels and datasets.
type OpsChartData struct {
	Labels   []string     `json:"labels"`
	Datasets []OpsDataset `json:"datasets"`
}

// OpsDataset is one series of a chart.
type OpsDataset struct {
	Label           string    `json:"label"`
	Data            []float64 `json:"data"`
	BackgroundColor string    `json:"backgroundColor,omitempty"`
	BorderColor     string    `json:"borderColor,omitempty"`
}

func floats(v []int) []float64 {
	out := make([]float64, len(v))
	for i, n := range v {
		out[i] = float64(n)
	}
	return out
}

// opsPalette colours the series; it reads in grey too.
var opsPalette = []string{"#1f5fa8", "#c8102e", "#2e8540", "#e6a100", "#6b4c9a", "#00838f"}

type opsData struct {
	O       dashboard.Overview
	Refresh int // milliseconds
	Charts  []OpsChart
	Tables  []opsTable
	// Score is the scorecard section, drawn with the page only.
	Score *opsScore
}

// opsTable is a breakdown shown on the page with its export links.
type opsTable struct {
	Name, Title, KeyHeader string
	Rows                   []dashboard.Row
}

func (h *opsHandler) data(r *http.Request) (opsData, error) {
	a := actor.From(r.Context())
	o, err := h.svc.Overview(r.Context(), a)
	if err != nil {
		return opsData{}, err
	}
	lang := langOf(r)
	tr := func(k string) string { return translate(lang, k) }
	d := opsData{O: o, Refresh: int(OpsRefresh / time.Millisecond)}
	channels := make([]dashboard.Row, len(o.ByChannel))
	for i, r := range o.ByChannel {
		r.Label = tr("dchannel." + r.Key)
		channels[i] = r
	}
	o.ByChannel = channels
	d.Tables = []opsTable{
		{"channel", tr("ops.by.channel"), tr("ops.col.channel"), o.ByChannel},
		{"field", tr("ops.by.field"), tr("ops.col.field"), o.ByField},
		{"agency", tr("ops.by.agency"), tr("ops.col.agency"), o.ByAgency},
		{"commune", tr("ops.by.commune"), tr("ops.col.commune"), o.ByCommune},
	}
	d.Charts = opsCharts(o, tr)
	return d, nil
}

// opsCharts draws the intake per day by channel, the open work by field and
// the late dossiers by agency.
func opsCharts(o dashboard.Overview, tr func(string) string) []OpsChart {
	days := make([]string, len(o.Intake.Days))
	for i, d := range o.Intake.Days {
		if len(d) == 10 {
			days[i] = d[8:10] + "/" + d[5:7]
		}
	}
	intake := OpsChart{ID: "chart-intake", Type: "bar", Data: OpsChartData{Labels: days},
		Options: map[string]any{"animation": false, "maintainAspectRatio": false,
			"scales": map[string]any{"x": map[string]any{"stacked": true}, "y": map[string]any{"stacked": true, "beginAtZero": true, "ticks": map[string]any{"precision": 0}}}}}
	for i, s := range o.Intake.Series {
		intake.Data.Datasets = append(intake.Data.Datasets, OpsDataset{Label: tr("dchannel." + string(s.Channel)), Data: floats(s.Counts),
			BackgroundColor: opsPalette[i%len(opsPalette)]})
	}
	top := func(rows []DashRow, n int) []DashRow {
		if len(rows) > n {
			return rows[:n]
		}
		return rows
	}
	fields := OpsChart{ID: "chart-fields", Type: "bar", Options: map[string]any{"animation": false, "maintainAspectRatio": false, "indexAxis": "y",
		"scales": map[string]any{"x": map[string]any{"stacked": true, "beginAtZero": true, "ticks": map[string]any{"precision": 0}}, "y": map[string]any{"stacked": true}}}}
	inProgress := OpsDataset{Label: tr("ops.fig.inprogress"), BackgroundColor: opsPalette[0]}
	late := OpsDataset{Label: tr("ops.fig.late"), BackgroundColor: opsPalette[1]}
	for _, r := range top(o.ByField, 12) {
		fields.Data.Labels = append(fields.Data.Labels, r.Label)
		inProgress.Data = append(inProgress.Data, float64(r.InProgress-r.Late))
		late.Data = append(late.Data, float64(r.Late))
	}
	fields.Data.Datasets = []OpsDataset{inProgress, late}

	lateByAgency := OpsChart{ID: "chart-late", Type: "bar", Options: map[string]any{"animation": false, "maintainAspectRatio": false, "indexAxis": "y",
		"plugins": map[string]any{"legend": map[string]any{"display": false}},
		"scales":  map[string]any{"x": map[string]any{"beginAtZero": true, "ticks": map[string]any{"precision": 0}}}}}
	lateSet := OpsDataset{Label: tr("ops.fig.late"), BackgroundColor: opsPalette[1]}
	for _, r := range top(o.ByAgency, 12) {
		if r.Late == 0 {
			continue
		}
		lateByAgency.Data.Labels = append(lateByAgency.Data.Labels, r.Label)
		lateSet.Data = append(lateSet.Data, float64(r.Late))
	}
	lateByAgency.Data.Datasets = []OpsDataset{lateSet}
	return []OpsChart{intake, fields, lateByAgency}
}

// DashRow is a breakdown row (an alias for the templates and the charts).
type DashRow = dashboard.Row

func (h *opsHandler) page(w http.ResponseWriter, r *http.Request) {
	d, err := h.data(r)
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	if d.Score, err = h.score(r); err != nil {
		h.s.fail(w, r, err)
		return
	}
	p := h.s.page(r, translate(langOf(r), "ops.title"), d)
	p.Partial = false
	h.s.render(w, r, http.StatusOK, "ops", p)
}

// live answers the page's refresh with the live part alone.
func (h *opsHandler) live(w http.ResponseWriter, r *http.Request) {
	d, err := h.data(r)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Unauthorized {
			// The session ended: reload the page, which signs in again.
			w.Header().Set("HX-Refresh", "true")
		}
		h.s.fail(w, r, err)
		return
	}
	t, ok := h.s.pages["ops"]
	if !ok {
		http.Error(w, "template missing", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "ops_live", h.s.page(r, "", d)); err != nil {
		h.s.Log.ErrorContext(r.Context(), "render fragment", "name", "ops_live", "err", err)
		http.Error(w, "render failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(w)
}

// export sends one of the page's tables as CSV or XLSX: /ops/export/agency.xlsx.
func (h *opsHandler) export(w http.ResponseWriter, r *http.Request) {
	name, ext, _ := strings.Cut(r.PathValue("file"), ".")
	format := tabular.Format(ext)
	if format != tabular.CSV && format != tabular.XLSX {
		h.s.fail(w, r, apperr.New(apperr.NotFound, "Chỉ xuất được tệp CSV hoặc XLSX."))
		return
	}
	d, err := h.data(r)
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	lang := langOf(r)
	t, ok, err := h.scoreExportTable(r, name, lang)
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	if !ok {
		t, ok = opsExportTable(d, name, lang)
	}
	if !ok {
		h.s.fail(w, r, apperr.New(apperr.NotFound, "Không có bảng này."))
		return
	}
	var buf bytes.Buffer
	if err := t.Write(&buf, format); err != nil {
		h.s.fail(w, r, apperr.Wrap(err, "export table"))
		return
	}
	w.Header().Set("Content-Type", format.ContentType())
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="congso-%s-%s.%s"`, name, d.O.At.In(vietnam).Format("20060102-1504"), format))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(w)
}

// opsExportTable turns a table of the page into a table to export.
func opsExportTable(d opsData, name, lang string) (tabular.Table, bool) {
	tr := func(k string) string { return translate(lang, k) }
	for _, t := range d.Tables {
		if t.Name != name {
			continue
		}
		out := tabular.Table{Name: t.Title, Columns: []string{t.KeyHeader, tr("ops.col.received"), tr("ops.col.inprogress"), tr("ops.col.duesoon"),
			tr("ops.col.late"), tr("ops.col.done"), tr("ops.col.donelate"), tr("ops.col.ontime")}}
		for _, r := range t.Rows {
			var rate any
			if v := r.OnTimeRate(); v >= 0 {
				rate = roundTo(v, 1)
			}
			out.Rows = append(out.Rows, []any{r.Label, r.Received, r.InProgress, r.DueSoon, r.Late, r.Done, r.DoneLate, rate})
		}
		return out, true
	}
	switch name {
	case "urgent":
		out := tabular.Table{Name: tr("ops.urgent"), Columns: []string{tr("desk.col.code"), tr("desk.col.procedure"), tr("ops.col.agency"),
			tr("desk.col.due"), tr("desk.col.status"), tr("ops.col.state")}}
		for _, u := range d.O.Urgent {
			state := tr("ops.fig.duesoon")
			if u.Late {
				state = tr("ops.fig.late")
			}
			out.Rows = append(out.Rows, []any{u.Code, u.Procedure, u.Agency, u.DueAt, tr(fmt.Sprintf("dstatus.%d", u.Status)), state})
		}
		return out, true
	case "intake":
		out := tabular.Table{Name: tr("ops.chart.intake"), Columns: []string{tr("ops.col.day")}}
		for _, s := range d.O.Intake.Series {
			out.Columns = append(out.Columns, tr("dchannel."+string(s.Channel)))
		}
		out.Columns = append(out.Columns, tr("ops.col.total"))
		for i, day := range d.O.Intake.Days {
			row := []any{day}
			total := 0
			for _, s := range d.O.Intake.Series {
				row = append(row, s.Counts[i])
				total += s.Counts[i]
			}
			out.Rows = append(out.Rows, append(row, total))
		}
		return out, true
	}
	return tabular.Table{}, false
}

func roundTo(v float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	return float64(int64(v*p+0.5)) / p
}

// Rate shows a row's on-time rate, "—" when nothing was processed.
func (opsData) Rate(r dashboard.Row) string {
	v := r.OnTimeRate()
	if v < 0 {
		return "—"
	}
	return strings.Replace(fmt.Sprintf("%.1f%%", v), ".", ",", 1)
}
