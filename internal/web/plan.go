package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/plan"
)

// The digital-transformation plans' pages: the plans, a plan's indicators
// and tasks with filters, a task with its updates and the update form, an
// indicator with its reported values and the report form, and the quarterly
// reports with the downloads.

func (s *Server) registerPlans(mux *http.ServeMux, svc *plan.Service) {
	h := planPages{s: s, svc: svc}
	mux.HandleFunc("GET /desk/plans", h.list)
	mux.HandleFunc("GET /desk/plans/{id}", h.detail)
	mux.HandleFunc("GET /desk/plans/{id}/tasks/{task}", h.task)
	mux.HandleFunc("POST /desk/plans/{id}/tasks/{task}", h.updateTask)
	mux.HandleFunc("GET /desk/plans/{id}/indicators/{ind}", h.indicator)
	mux.HandleFunc("POST /desk/plans/{id}/indicators/{ind}", h.reportValue)
	mux.HandleFunc("GET /desk/plans/{id}/report", h.report)
	mux.HandleFunc("POST /desk/plans/{id}/report", h.submitReport)
}

type planPages struct {
	s   *Server
	svc *plan.Service
}

func (h planPages) list(w http.ResponseWriter, r *http.Request) {
	a := h.s.official(w, r)
	if a == nil {
		return
	}
	list, err := h.svc.Plans(r.Context(), a)
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	h.s.render(w, r, http.StatusOK, "plan_list", h.s.page(r, translate(langOf(r), "plan.list.title"), list))
}

// planAgency is an agency to filter the tasks by.
type planAgency struct{ ID, Name string }

type planDetailData struct {
	Plan       plan.Plan
	Indicators []plan.Indicator
	Tasks      []plan.Task
	Agencies   []planAgency
	Filter     plan.TaskFilter
	Summary    plan.Summary
	Query      string
}

func (h planPages) detail(w http.ResponseWriter, r *http.Request) {
	a := h.s.official(w, r)
	if a == nil {
		return
	}
	ctx, id := r.Context(), r.PathValue("id")
	var d planDetailData
	var err error
	if d.Plan, err = h.svc.Plan(ctx, a, id); err != nil {
		h.s.fail(w, r, err)
		return
	}
	if d.Indicators, err = h.svc.Indicators(ctx, a, id); err != nil {
		h.s.fail(w, r, err)
		return
	}
	all, err := h.svc.Tasks(ctx, a, id, plan.TaskFilter{})
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	seen := map[string]bool{}
	for _, t := range all {
		for _, ag := range append([]plan.AgencyRef{t.Lead}, t.Partners...) {
			if ag.ID != "" && !seen[ag.ID] {
				seen[ag.ID] = true
				name := ag.Name
				if org, err := h.s.Org.Agency(ctx, ag.ID); err == nil {
					name = org.Name
				}
				d.Agencies = append(d.Agencies, planAgency{ag.ID, name})
			}
		}
	}
	if d.Filter, err = plan.TaskFilterOf(r.URL.Query()); err == nil {
		d.Tasks, err = h.svc.Tasks(ctx, a, id, d.Filter)
	}
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	d.Summary = plan.Compiled{Indicators: d.Indicators, Tasks: all}.Summary()
	q := url.Values{}
	for _, k := range []string{"agency_id", "state", "overdue"} {
		if v := r.URL.Query().Get(k); v != "" {
			q.Set(k, v)
		}
	}
	d.Query = q.Encode()
	h.s.render(w, r, http.StatusOK, "plan_detail", h.s.page(r, d.Plan.Title, d))
}

type planTaskData struct {
	Plan      plan.Plan
	Task      plan.Task
	Updates   []plan.TaskUpdate
	MayUpdate bool
	States    []plan.TaskState
}

func (h planPages) taskData(r *http.Request, a *actor.Actor) (planTaskData, error) {
	var d planTaskData
	var err error
	if d.Plan, err = h.svc.Plan(r.Context(), a, r.PathValue("id")); err != nil {
		return d, err
	}
	if d.Task, d.Updates, err = h.svc.Task(r.Context(), a, d.Plan.ID, r.PathValue("task")); err != nil {
		return d, err
	}
	d.MayUpdate = plan.MayUpdate(a, d.Task.Lead.ID)
	d.States = []plan.TaskState{plan.NotStarted, plan.InProgress, plan.Done}
	return d, nil
}

func (h planPages) task(w http.ResponseWriter, r *http.Request) {
	a := h.s.official(w, r)
	if a == nil {
		return
	}
	d, err := h.taskData(r, a)
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	p := h.s.page(r, translate(langOf(r), "plan.task.title"), d)
	p.Form = url.Values{"state": {string(d.Task.State)}, "progress": {strconv.Itoa(d.Task.Progress)}, "note": {d.Task.Note}}
	h.s.render(w, r, http.StatusOK, "plan_task", p)
}

func (h planPages) updateTask(w http.ResponseWriter, r *http.Request) {
	a := h.s.official(w, r)
	if a == nil {
		return
	}
	var in plan.TaskInput
	file, err := plan.ReadForm(w, r, &in)
	if err == nil {
		_, err = h.svc.UpdateTask(r.Context(), a, r.PathValue("id"), r.PathValue("task"), in, file)
	}
	if err != nil && !formProblem(err) {
		h.s.fail(w, r, err)
		return
	}
	if err != nil {
		d, derr := h.taskData(r, a)
		if derr != nil {
			h.s.fail(w, r, derr)
			return
		}
		h.s.formError(w, r, "plan_task", h.s.page(r, translate(langOf(r), "plan.task.title"), d), err)
		return
	}
	h.s.redirect(w, r, "/desk/plans/"+r.PathValue("id")+"/tasks/"+r.PathValue("task"), translate(langOf(r), "plan.task.saved"))
}

type planIndicatorData struct {
	Plan      plan.Plan
	Indicator plan.Indicator
	Values    []plan.Value
	MayReport bool
	// Agencies is a live indicator per agency; nil for a reported one.
	Agencies *plan.AgencyBreakdown
}

// ScorecardURL is the scorecard of an agency over the breakdown's period.
func (d planIndicatorData) ScorecardURL(agencyID string) string {
	if d.Agencies == nil || agencyID == "" {
		return ""
	}
	q := url.Values{"scope": {"agency"}, "id": {agencyID}}
	if d.Agencies.From != "" {
		q.Set("from", d.Agencies.From)
		q.Set("to", d.Agencies.To)
	}
	return "/desk/scorecard?" + q.Encode()
}

func (h planPages) indicatorData(r *http.Request, a *actor.Actor) (planIndicatorData, error) {
	var d planIndicatorData
	var err error
	if d.Plan, err = h.svc.Plan(r.Context(), a, r.PathValue("id")); err != nil {
		return d, err
	}
	// Values refuses an indicator the official may not see, before the list
	// (which leaves it out) would make it look missing.
	if d.Values, err = h.svc.Values(r.Context(), a, d.Plan.ID, r.PathValue("ind")); err != nil {
		return d, err
	}
	list, err := h.svc.Indicators(r.Context(), a, d.Plan.ID)
	if err != nil {
		return d, err
	}
	found := false
	for _, i := range list {
		if i.ID == r.PathValue("ind") {
			d.Indicator, found = i, true
		}
	}
	if !found {
		return d, apperr.New(apperr.NotFound, "Không tìm thấy chỉ tiêu.")
	}
	d.MayReport = !d.Indicator.Live() && plan.MayUpdate(a, d.Indicator.Agency.ID)
	if d.Indicator.Live() {
		b, err := h.svc.IndicatorAgencies(r.Context(), a, d.Plan.ID, d.Indicator.ID)
		if err != nil {
			return d, err
		}
		d.Agencies = &b
	}
	return d, nil
}

func (h planPages) indicator(w http.ResponseWriter, r *http.Request) {
	a := h.s.official(w, r)
	if a == nil {
		return
	}
	d, err := h.indicatorData(r, a)
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	h.s.render(w, r, http.StatusOK, "plan_indicator", h.s.page(r, d.Indicator.Name, d))
}

func (h planPages) reportValue(w http.ResponseWriter, r *http.Request) {
	a := h.s.official(w, r)
	if a == nil {
		return
	}
	var in plan.ValueInput
	file, err := plan.ReadForm(w, r, &in)
	if err == nil {
		_, err = h.svc.ReportValue(r.Context(), a, r.PathValue("id"), r.PathValue("ind"), in, file)
	}
	if err != nil && !formProblem(err) {
		h.s.fail(w, r, err)
		return
	}
	if err != nil {
		d, derr := h.indicatorData(r, a)
		if derr != nil {
			h.s.fail(w, r, derr)
			return
		}
		h.s.formError(w, r, "plan_indicator", h.s.page(r, d.Indicator.Name, d), err)
		return
	}
	h.s.redirect(w, r, "/desk/plans/"+r.PathValue("id")+"/indicators/"+r.PathValue("ind"), translate(langOf(r), "plan.value.saved"))
}

type planQuarter struct {
	Quarter int
	Reports []plan.QuarterReport
}

type planReportData struct {
	Plan     plan.Plan
	Quarters []planQuarter
	// Mine are the agencies whose report the official may send.
	Mine []planAgency
}

func (h planPages) reportData(r *http.Request, a *actor.Actor) (planReportData, error) {
	var d planReportData
	var err error
	if d.Plan, err = h.svc.Plan(r.Context(), a, r.PathValue("id")); err != nil {
		return d, err
	}
	seen := map[string]bool{}
	for q := 1; q <= 4; q++ {
		list, err := h.svc.QuarterReports(r.Context(), a, d.Plan.ID, q)
		if err != nil {
			return d, err
		}
		d.Quarters = append(d.Quarters, planQuarter{q, list})
		for _, rep := range list {
			if !seen[rep.AgencyID] && plan.MayUpdate(a, rep.AgencyID) && a.Kind == actor.Official {
				seen[rep.AgencyID] = true
				d.Mine = append(d.Mine, planAgency{rep.AgencyID, rep.AgencyName})
			}
		}
	}
	return d, nil
}

func (h planPages) report(w http.ResponseWriter, r *http.Request) {
	a := h.s.official(w, r)
	if a == nil {
		return
	}
	d, err := h.reportData(r, a)
	if err != nil {
		h.s.fail(w, r, err)
		return
	}
	h.s.render(w, r, http.StatusOK, "plan_report", h.s.page(r, translate(langOf(r), "plan.report.title"), d))
}

func (h planPages) submitReport(w http.ResponseWriter, r *http.Request) {
	a := h.s.official(w, r)
	if a == nil {
		return
	}
	var in plan.ReportInput
	file, err := plan.ReadForm(w, r, &in)
	if err == nil {
		_, err = h.svc.SubmitReport(r.Context(), a, r.PathValue("id"), in, file)
	}
	if err != nil && !formProblem(err) {
		h.s.fail(w, r, err)
		return
	}
	if err != nil {
		d, derr := h.reportData(r, a)
		if derr != nil {
			h.s.fail(w, r, derr)
			return
		}
		h.s.formError(w, r, "plan_report", h.s.page(r, translate(langOf(r), "plan.report.title"), d), err)
		return
	}
	h.s.redirect(w, r, "/desk/plans/"+r.PathValue("id")+"/report", translate(langOf(r), "plan.report.saved"))
}

// formProblem reports whether an error is about what the form holds, to be
// shown on the form again.
func formProblem(err error) bool {
	c := apperr.CodeOf(err)
	return c == apperr.Invalid || c == apperr.Conflict
}
