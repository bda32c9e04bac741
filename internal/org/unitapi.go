package org

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/congso/congso/internal/adminunit"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/httpx"
)

// UnitAPI serves the administrative units, public reference data, as JSON.
type UnitAPI struct {
	Units *adminunit.Registry
	Log   *slog.Logger
	Now   func() time.Time
}

// Register adds the routes.
func (api UnitAPI) Register(r *httpx.Router) {
	r.HandleFunc("GET /api/v1/units", api.search)
	r.HandleFunc("GET /api/v1/units/{id}", api.get)
	r.HandleFunc("GET /api/v1/units/{id}/children", api.children)
	r.HandleFunc("GET /api/v1/units/{id}/successors", api.successors)
	r.HandleFunc("GET /api/v1/units/{id}/predecessors", api.predecessors)
	r.HandleFunc("POST /api/v1/units/rollup", api.rollUp)
}

// UnitError turns the unit registry's errors into application errors.
func UnitError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, adminunit.ErrInvalid):
		return apperr.New(apperr.Invalid, "Mã hoặc tham số đơn vị hành chính không hợp lệ: %v", err)
	case errors.Is(err, adminunit.ErrNotFound):
		return apperr.New(apperr.NotFound, "Không tìm thấy đơn vị hành chính: %v", err)
	}
	return apperr.Wrap(err, "administrative units")
}

func (api UnitAPI) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, api.Log, UnitError(err))
}

// dateParam reads ?date=YYYY-MM-DD, today in Vietnam when absent.
func (api UnitAPI) dateParam(r *http.Request) (adminunit.Date, error) {
	s := r.URL.Query().Get("date")
	if s == "" {
		return adminunit.VietnamDate(api.Now()), nil
	}
	d, err := adminunit.ParseDate(s)
	if err != nil {
		return adminunit.Date{}, apperr.Field("date", "Ngày không hợp lệ (định dạng YYYY-MM-DD).")
	}
	return d, nil
}

// unitRef reads {id} as a unit ID ("42@2025-07-01") or as a bare code, which
// means the unit with that code valid on ?date=.
func (api UnitAPI) unitRef(r *http.Request) (adminunit.Unit, error) {
	ref := r.PathValue("id")
	if id, err := adminunit.ParseID(ref); err == nil {
		return api.Units.Unit(id)
	}
	d, err := api.dateParam(r)
	if err != nil {
		return adminunit.Unit{}, err
	}
	return api.Units.UnitOn(ref, d)
}

// UnitView is a unit as the API shows it.
type UnitView struct {
	ID        string `json:"id"`
	Code      string `json:"code"`
	Edition   string `json:"edition"`
	Level     string `json:"level"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	FullName  string `json:"full_name"`
	NameEn    string `json:"name_en,omitempty"`
	ParentID  string `json:"parent_id,omitempty"`
	ValidFrom string `json:"valid_from,omitempty"`
	ValidTo   string `json:"valid_to,omitempty"`
}

// ViewOf converts a unit for the API.
func ViewOf(u adminunit.Unit) UnitView {
	v := UnitView{ID: u.ID().String(), Code: u.Code, Edition: string(u.Edition), Level: string(u.Level), Kind: u.Kind, Name: u.Name,
		FullName: u.FullName, NameEn: u.NameEn, ParentID: u.ParentID().String()}
	if !u.ValidFrom.IsZero() {
		v.ValidFrom = u.ValidFrom.String()
	}
	if !u.ValidTo.IsZero() {
		v.ValidTo = u.ValidTo.String()
	}
	return v
}

func views(us []adminunit.Unit) []UnitView {
	out := make([]UnitView, len(us))
	for i, u := range us {
		out[i] = ViewOf(u)
	}
	return out
}

func (api UnitAPI) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d, err := api.dateParam(r)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	limit, err := httpx.Limit(r, 20, 200)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	level := adminunit.Level(q.Get("level"))
	if level != "" && level != adminunit.LevelProvince && level != adminunit.LevelDistrict && level != adminunit.LevelCommune {
		api.fail(w, r, apperr.Field("level", "level phải là province, district hoặc commune."))
		return
	}
	var found []adminunit.Unit
	if q.Get("q") == "" {
		found = api.Units.Provinces(d)
	} else {
		found = api.Units.Search(q.Get("q"), adminunit.SearchFilter{On: d, Level: level, Limit: limit})
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": views(found)})
}

func (api UnitAPI) get(w http.ResponseWriter, r *http.Request) {
	u, err := api.unitRef(r)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, ViewOf(u))
}

func (api UnitAPI) children(w http.ResponseWriter, r *http.Request) {
	u, err := api.unitRef(r)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	kids, err := api.Units.Children(u.ID())
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"unit": ViewOf(u), "items": views(kids)})
}

type successionView struct {
	Old  UnitRefView `json:"old"`
	New  UnitRefView `json:"new"`
	Full bool        `json:"full"`
	Note string      `json:"note,omitempty"`
}

// UnitRefView names a unit that may be unknown to the snapshot.
type UnitRefView struct {
	ID       string `json:"id"`
	FullName string `json:"full_name,omitempty"`
}

func (api UnitAPI) ref(id adminunit.ID) UnitRefView {
	v := UnitRefView{ID: id.String()}
	if u, err := api.Units.Unit(id); err == nil {
		v.FullName = u.FullName
	}
	return v
}

func (api UnitAPI) successions(w http.ResponseWriter, r *http.Request, rows []adminunit.Succession) {
	out := make([]successionView, len(rows))
	for i, s := range rows {
		out[i] = successionView{Old: api.ref(s.Old), New: api.ref(s.New), Full: s.Full, Note: s.Note}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": out})
}

func (api UnitAPI) successors(w http.ResponseWriter, r *http.Request) {
	id, err := adminunit.ParseID(r.PathValue("id"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	rows, err := api.Units.Successors(id)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	api.successions(w, r, rows)
}

func (api UnitAPI) predecessors(w http.ResponseWriter, r *http.Request) {
	id, err := adminunit.ParseID(r.PathValue("id"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	rows, err := api.Units.Predecessors(id)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	api.successions(w, r, rows)
}

type rollUpRequest struct {
	Level   adminunit.Level        `json:"level"`
	Figures map[adminunit.ID]int64 `json:"figures"`
}

func (api UnitAPI) rollUp(w http.ResponseWriter, r *http.Request) {
	var in rollUpRequest
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		api.fail(w, r, err)
		return
	}
	if len(in.Figures) > 100000 {
		api.fail(w, r, apperr.Field("figures", "Tối đa 100.000 số liệu mỗi lần."))
		return
	}
	res, err := api.Units.RollUp(in.Figures, in.Level)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"level": res.Level, "totals": res.Totals, "unattributed": res.Unattributed, "sum": res.Sum()})
}
