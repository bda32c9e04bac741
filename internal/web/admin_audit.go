package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
)

// The audit log: newest first, filtered and paged, with the chain check for
// province admins.

func (s *Server) registerAdminAudit(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/audit", s.adminAudit)
	mux.HandleFunc("POST /admin/audit/verify", s.adminAuditVerify)
}

const auditPageSize = 50

// auditActions are the actions the services record, offered as suggestions
// in the filter.
var auditActions = []string{
	"agency.create", "agency.update", "agency.retire", "agency.reinstate",
	"role.grant", "role.revoke",
	"user.create", "user.profile", "user.password", "user.disable", "user.enable",
	"auth.login", "auth.login_failed", "auth.totp", "auth.totp_failed", "auth.totp_enrol", "auth.totp_reset", "auth.logout_all",
	"token.create", "token.revoke",
	"dossier.receive", "dossier.file", "dossier.accept", "dossier.refuse", "dossier.forward", "dossier.assign", "dossier.submit",
	"dossier.approve", "dossier.send_back", "dossier.issue", "dossier.return", "dossier.request_supplement", "dossier.supplement",
	"dossier.request_payment", "dossier.pay", "dossier.request_withdrawal", "dossier.withdraw", "dossier.decline_withdrawal",
	"dossier.stop", "dossier.apologise", "dossier.transfer", "dossier.transfer_back", "dossier.file_added",
	"procedure.create", "procedure.update", "calendar.year", "calendar.agency",
	"rating.create", "complaint.file", "complaint.answer",
	"payment.start", "payment.confirm", "payment.fail", "payment.cancel", "payment.refuse",
	"estore.receive", "estore.upload", "estore.update", "estore.delete", "estore.share", "estore.share.revoke",
	audit.ActionReadPersonal,
}

var auditObjectTypes = []string{"agency", "user", "user_list", "token", "dossier", "dossier_list", "dossier_file", "procedure",
	"calendar_year", "rating", "complaint", "complaint_list", "payment", "estore_item"}

// actorRef names whoever acted, as far as the viewer may see it.
type actorRef struct {
	ID       string
	Label    string // display name, or the kind of account
	Username string
	Href     string
	Kind     string // official, citizen, organisation, machine, system, anonymous, unknown
}

type auditFilterData struct {
	Action, ObjectType, ObjectID, ActorID string
}

type auditData struct {
	Filter      auditFilterData
	Actions     []string
	ObjectTypes []string
	Entries     []auditRow
	Next        string
	CanVerify   bool
	Verified    *audit.Report
}

// resolveActor names an actor of the log. Officials' and machines' names are
// shown (they act in an official capacity); a citizen or organisation is
// shown by kind only, with a link to the account page, where reading it is
// itself recorded.
func (s *Server) resolveActor(r *http.Request, id string, cache map[string]actorRef) actorRef {
	if ref, ok := cache[id]; ok {
		return ref
	}
	ref := actorRef{ID: id, Label: id, Kind: "unknown"}
	switch {
	case id == "anonymous" || id == "":
		ref.Kind, ref.Label = "anonymous", ""
	case strings.HasPrefix(id, "system:"):
		ref.Kind, ref.Label = "system", strings.TrimPrefix(id, "system:")
	default:
		// identity.Service.ActorFor reads the account without recording a
		// read of personal data; only officials' and machines' names leave
		// this function.
		if a, err := s.Identity.ActorFor(r.Context(), id); err == nil {
			ref.Kind = string(a.Kind)
			ref.Href = "/admin/users/" + url.PathEscape(id)
			switch a.Kind {
			case actor.Official, actor.Machine:
				ref.Label, ref.Username = a.DisplayName, a.Username
			default:
				ref.Label = ""
			}
		}
	}
	cache[id] = ref
	return ref
}

// AuditTable shows the entries in a full table.
func (d auditData) AuditTable(lang string) auditTable { return auditTable{Lang: lang, Rows: d.Entries} }

// labelOr translates key, or returns fallback when the catalog lacks it.
func labelOr(lang, key, fallback string) string {
	if v := translate(lang, key); v != key {
		return v
	}
	return fallback
}

// formatDetail shows an entry's JSON detail as "key: value" pairs.
func formatDetail(detail string) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(detail), &m); err != nil {
		return detail
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := m[k]
		var text string
		switch x := v.(type) {
		case string:
			if x == "" {
				continue
			}
			text = x
		default:
			b, _ := json.Marshal(x)
			text = string(b)
		}
		parts = append(parts, k+": "+text)
	}
	return strings.Join(parts, "; ")
}

// auditRows prepares entries for display.
func (s *Server) auditRows(r *http.Request, entries []audit.Entry) []auditRow {
	lang := langOf(r)
	actors := map[string]actorRef{}
	agencies := map[string]string{}
	agencyName := func(id string) string {
		if id == "" {
			return ""
		}
		name, ok := agencies[id]
		if !ok {
			if ag, err := s.Org.Agency(r.Context(), id); err == nil {
				name = ag.Name
			}
			agencies[id] = name
		}
		return name
	}
	out := make([]auditRow, 0, len(entries))
	for _, e := range entries {
		row := auditRow{Entry: e, When: e.At.In(vietnam).Format("15:04:05 02/01/2006"), Actor: s.resolveActor(r, e.ActorID, actors)}
		row.AgencyName = agencyName(e.AgencyID)
		row.ActionLabel = labelOr(lang, "action."+e.Action, e.Action)
		row.ObjectLabel = labelOr(lang, "object."+e.ObjectType, e.ObjectType)
		switch e.ObjectType {
		case "agency":
			row.ObjectHref = "/admin/agencies/" + url.PathEscape(e.ObjectID)
			row.ObjectName = agencyName(e.ObjectID)
		case "user":
			row.ObjectHref = "/admin/users/" + url.PathEscape(e.ObjectID)
			if ref := s.resolveActor(r, e.ObjectID, actors); ref.Kind == string(actor.Official) || ref.Kind == string(actor.Machine) {
				row.ObjectName = ref.Label
			}
		}
		row.Detail = formatDetail(e.Detail)
		out = append(out, row)
	}
	return out
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, a *actor.Actor, d *auditData) bool {
	q := r.URL.Query()
	d.Filter = auditFilterData{Action: strings.TrimSpace(q.Get("action")), ObjectType: strings.TrimSpace(q.Get("object_type")),
		ObjectID: strings.TrimSpace(q.Get("object_id")), ActorID: strings.TrimSpace(q.Get("actor_id"))}
	d.Actions, d.ObjectTypes, d.CanVerify = auditActions, auditObjectTypes, a.ProvinceAdmin()
	var before int64
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			s.fail(w, r, apperr.New(apperr.Invalid, "Vị trí trang không hợp lệ."))
			return false
		}
		before = n
	}
	entries, err := s.Audit.List(r.Context(), a, audit.Filter{Action: d.Filter.Action, ObjectType: d.Filter.ObjectType,
		ObjectID: d.Filter.ObjectID, ActorID: d.Filter.ActorID, Before: before, Limit: auditPageSize + 1})
	if err != nil {
		s.fail(w, r, err)
		return false
	}
	if len(entries) > auditPageSize {
		entries = entries[:auditPageSize]
		next := url.Values{"before": {strconv.FormatInt(entries[len(entries)-1].ID, 10)}}
		for k, v := range map[string]string{"action": d.Filter.Action, "object_type": d.Filter.ObjectType, "object_id": d.Filter.ObjectID,
			"actor_id": d.Filter.ActorID} {
			if v != "" {
				next.Set(k, v)
			}
		}
		d.Next = "/admin/audit?" + next.Encode()
	}
	d.Entries = s.auditRows(r, entries)
	return true
}

func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request) {
	a := s.official(w, r)
	if a == nil {
		return
	}
	var d auditData
	if !s.auditPage(w, r, a, &d) {
		return
	}
	s.render(w, r, http.StatusOK, "admin_audit", s.page(r, translate(langOf(r), "audit.title"), d))
}

// adminAuditVerify walks the whole chain. audit.Log.Verify takes no actor, so
// the page keeps it to province admins (it reads every entry).
func (s *Server) adminAuditVerify(w http.ResponseWriter, r *http.Request) {
	a := s.official(w, r)
	if a == nil {
		return
	}
	if !a.ProvinceAdmin() {
		s.fail(w, r, actor.Deny(a, "Chỉ quản trị toàn tỉnh được kiểm tra chuỗi nhật ký."))
		return
	}
	rep, err := s.Audit.Verify(r.Context())
	if err != nil {
		s.fail(w, r, apperr.Wrap(err, "verify audit chain"))
		return
	}
	d := auditData{Verified: &rep}
	r.URL.RawQuery = ""
	if !s.auditPage(w, r, a, &d) {
		return
	}
	p := s.page(r, translate(langOf(r), "audit.title"), d)
	p.Path = "/admin/audit"
	s.render(w, r, http.StatusOK, "admin_audit", p)
}
