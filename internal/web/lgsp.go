package web

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/exchange"
	"github.com/congso/congso/internal/exchange/txlog"
	"github.com/congso/congso/internal/org"
)

// The integration platform's (LGSP) administration pages: systems,
// services and their OpenAPI documents, access requests and quotas,
// credentials, live traffic, statistics and the check of the transaction
// log's chain. Every rule is the exchange service's: a province admin
// manages everything, an agency admin their agency's systems and the access
// to their services; province observers read.
type lgspPages struct {
	s *Server
	x *exchange.Service
}

func (s *Server) registerLGSP(mux *http.ServeMux, x *exchange.Service) {
	p := lgspPages{s: s, x: x}
	mux.HandleFunc("GET /admin/lgsp", p.systems)
	mux.HandleFunc("POST /admin/lgsp/systems", p.createSystem)
	mux.HandleFunc("GET /admin/lgsp/systems/{id}", p.system)
	mux.HandleFunc("POST /admin/lgsp/systems/{id}/state", p.systemState)
	mux.HandleFunc("POST /admin/lgsp/systems/{id}/services", p.createService)
	mux.HandleFunc("POST /admin/lgsp/systems/{id}/keys", p.createKey)
	mux.HandleFunc("POST /admin/lgsp/systems/{id}/keys/{key}/revoke", p.revokeKey)
	mux.HandleFunc("POST /admin/lgsp/systems/{id}/certs", p.addCert)
	mux.HandleFunc("POST /admin/lgsp/systems/{id}/certs/{fp}/revoke", p.revokeCert)
	mux.HandleFunc("POST /admin/lgsp/systems/{id}/access", p.requestAccess)
	mux.HandleFunc("GET /admin/lgsp/services/{id}", p.service)
	mux.HandleFunc("POST /admin/lgsp/services/{id}/specs", p.uploadSpec)
	mux.HandleFunc("POST /admin/lgsp/services/{id}/state", p.serviceState)
	mux.HandleFunc("GET /admin/lgsp/access", p.accessList)
	mux.HandleFunc("POST /admin/lgsp/access/{id}/{decision}", p.decide)
	mux.HandleFunc("GET /admin/lgsp/traffic", p.traffic)
	mux.HandleFunc("GET /admin/lgsp/traffic/rows", p.trafficRows)
	mux.HandleFunc("GET /admin/lgsp/stats", p.stats)
	mux.HandleFunc("POST /admin/lgsp/verify", p.verify)
}

// gate lets in officials who administer something or watch the province.
func (p lgspPages) gate(w http.ResponseWriter, r *http.Request) (*actor.Actor, bool) {
	a := actor.From(r.Context())
	switch {
	case a == nil:
		p.s.fail(w, r, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập."))
		return nil, false
	case !a.IsOfficial() || !(a.ProvinceWide() || a.IsAdmin()):
		p.s.fail(w, r, apperr.New(apperr.Forbidden, "Trang quản trị nền tảng LGSP dành cho quản trị cơ quan và quản trị, theo dõi toàn tỉnh."))
		return nil, false
	}
	return a, true
}

// post parses a form and checks the gate.
func (p lgspPages) post(w http.ResponseWriter, r *http.Request) (*actor.Actor, bool) {
	a, ok := p.gate(w, r)
	if !ok {
		return nil, false
	}
	if err := parseForm(w, r); err != nil {
		p.s.fail(w, r, err)
		return nil, false
	}
	return a, true
}

// directory maps system and service IDs to what the pages show.
type lgspDirectory struct {
	systems  map[string]exchange.System
	services map[string]exchange.RESTService
	agencies map[string]org.Agency
	sysList  []exchange.System
	svcList  []exchange.RESTService
}

func (d lgspDirectory) SystemCode(id string) string {
	if s, ok := d.systems[id]; ok {
		return s.Code
	}
	return id
}

func (d lgspDirectory) ServiceName(id string) string {
	if v, ok := d.services[id]; ok {
		return v.ProviderCode + "/" + v.Code
	}
	return id
}

func (d lgspDirectory) AgencyName(id string) string {
	if a, ok := d.agencies[id]; ok && a.Name != "" {
		return a.Name
	}
	return id
}

func (p lgspPages) directory(ctx context.Context, a *actor.Actor) (lgspDirectory, error) {
	d := lgspDirectory{systems: map[string]exchange.System{}, services: map[string]exchange.RESTService{}}
	var err error
	if d.sysList, err = p.x.Systems(ctx, a, exchange.SystemFilter{Limit: 1000}); err != nil {
		return d, err
	}
	if d.svcList, err = p.x.RESTServices(ctx, a, exchange.ServiceFilter{}); err != nil {
		return d, err
	}
	var agencies []string
	seen := map[string]bool{}
	for _, s := range d.sysList {
		d.systems[s.ID] = s
		if !seen[s.AgencyID] {
			seen[s.AgencyID] = true
			agencies = append(agencies, s.AgencyID)
		}
	}
	for _, v := range d.svcList {
		d.services[v.ID] = v
	}
	d.agencies, err = p.s.agencyNames(ctx, agencies)
	return d, err
}

type lgspSystemsData struct {
	Dir      lgspDirectory
	Systems  []exchange.System
	Agencies []org.Agency
	Manage   map[string]bool
}

func (p lgspPages) systems(w http.ResponseWriter, r *http.Request) {
	a, ok := p.gate(w, r)
	if !ok {
		return
	}
	p.renderSystems(w, r, a, http.StatusOK, nil)
}

func (p lgspPages) renderSystems(w http.ResponseWriter, r *http.Request, a *actor.Actor, status int, formErr error) {
	ctx := r.Context()
	dir, err := p.directory(ctx, a)
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	data := lgspSystemsData{Dir: dir, Systems: dir.sysList, Manage: map[string]bool{}}
	for _, s := range dir.sysList {
		data.Manage[s.ID] = a.ProvinceAdmin() || a.Has(actor.AgencyAdmin, s.AgencyID)
	}
	// The agencies an admin may register systems for.
	if a.ProvinceAdmin() {
		if data.Agencies, err = p.s.Org.Agencies(ctx, org.AgencyFilter{Limit: 1000}); err != nil {
			p.s.fail(w, r, err)
			return
		}
	} else {
		for _, id := range a.AgencyIDs() {
			if a.Has(actor.AgencyAdmin, id) {
				if ag, err := p.s.Org.Agency(ctx, id); err == nil {
					data.Agencies = append(data.Agencies, ag)
				}
			}
		}
	}
	pg := p.s.page(r, translate(langOf(r), "lgsp.systems"), data)
	if formErr != nil {
		p.s.formError(w, r, "lgsp_systems", pg, formErr)
		return
	}
	p.s.render(w, r, status, "lgsp_systems", pg)
}

func (p lgspPages) createSystem(w http.ResponseWriter, r *http.Request) {
	a, ok := p.post(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	sys, err := p.x.CreateSystem(r.Context(), a, exchange.SystemInput{AgencyID: f.Get("agency_id"), Code: f.Get("code"), Name: f.Get("name"),
		Description: f.Get("description"), ContactName: f.Get("contact_name"), ContactEmail: f.Get("contact_email"), ContactPhone: f.Get("contact_phone")})
	if err != nil {
		if apperr.CodeOf(err) == apperr.Forbidden {
			p.s.fail(w, r, err)
			return
		}
		p.renderSystems(w, r, a, 0, err)
		return
	}
	p.s.redirect(w, r, "/admin/lgsp/systems/"+sys.ID, translate(langOf(r), "lgsp.system.created"))
}

func (p lgspPages) systemState(w http.ResponseWriter, r *http.Request) {
	a, ok := p.post(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	sys, err := p.x.System(ctx, a, r.PathValue("id"))
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	in := exchange.SystemInput{Name: sys.Name, Description: sys.Description, ContactName: sys.ContactName, ContactEmail: sys.ContactEmail,
		ContactPhone: sys.ContactPhone, Disabled: r.PostForm.Get("disabled") == "true"}
	if _, err := p.x.UpdateSystem(ctx, a, sys.ID, version, in); err != nil {
		p.s.fail(w, r, err)
		return
	}
	key := "lgsp.system.enabled"
	if in.Disabled {
		key = "lgsp.system.disabled"
	}
	p.s.redirect(w, r, "/admin/lgsp/systems/"+sys.ID, translate(langOf(r), key))
}

type lgspSystemData struct {
	Dir      lgspDirectory
	System   exchange.System
	Manage   bool
	Services []exchange.RESTService
	Keys     []exchange.APIKey
	Certs    []exchange.ClientCert
	Access   []exchange.Access
	// Callable are the services in operation it may ask access to.
	Callable []exchange.RESTService
	NewKey   *exchange.NewAPIKey
	Tab      string
}

func (p lgspPages) system(w http.ResponseWriter, r *http.Request) {
	a, ok := p.gate(w, r)
	if !ok {
		return
	}
	p.renderSystem(w, r, a, r.PathValue("id"), http.StatusOK, nil, nil)
}

func (p lgspPages) renderSystem(w http.ResponseWriter, r *http.Request, a *actor.Actor, id string, status int, newKey *exchange.NewAPIKey, formErr error) {
	ctx := r.Context()
	sys, err := p.x.System(ctx, a, id)
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	dir, err := p.directory(ctx, a)
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	d := lgspSystemData{Dir: dir, System: sys, Manage: a.ProvinceAdmin() || a.Has(actor.AgencyAdmin, sys.AgencyID), NewKey: newKey}
	for _, v := range dir.svcList {
		if v.SystemID == sys.ID {
			d.Services = append(d.Services, v)
		} else if v.Enabled {
			d.Callable = append(d.Callable, v)
		}
	}
	if d.Manage || a.ProvinceWide() {
		if d.Keys, err = p.x.Keys(ctx, a, sys.ID); err != nil {
			p.s.fail(w, r, err)
			return
		}
		if d.Certs, err = p.x.Certs(ctx, a, sys.ID); err != nil {
			p.s.fail(w, r, err)
			return
		}
	}
	if d.Access, err = p.x.AccessList(ctx, a, exchange.AccessFilter{ConsumerID: sys.ID}); err != nil {
		p.s.fail(w, r, err)
		return
	}
	pg := p.s.page(r, sys.Name, d)
	if formErr != nil {
		p.s.formError(w, r, "lgsp_system", pg, formErr)
		return
	}
	p.s.render(w, r, status, "lgsp_system", pg)
}

// afterForm shows the system's page again with a form's error, or the error
// page when the error is not about the input.
func (p lgspPages) afterForm(w http.ResponseWriter, r *http.Request, a *actor.Actor, err error) {
	switch apperr.CodeOf(err) {
	case apperr.Invalid, apperr.Conflict:
		p.renderSystem(w, r, a, r.PathValue("id"), 0, nil, err)
	default:
		p.s.fail(w, r, err)
	}
}

func (p lgspPages) createService(w http.ResponseWriter, r *http.Request) {
	a, ok := p.gate(w, r)
	if !ok {
		return
	}
	doc, err := readUpload(w, r, "document")
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	f := r.PostForm
	num := func(name string) int { n, _ := strconv.Atoi(strings.TrimSpace(f.Get(name))); return n }
	in := exchange.ServiceInput{Code: f.Get("code"), Name: f.Get("name"), Description: f.Get("description"), UpstreamURL: f.Get("upstream_url"),
		PersonalData: f.Get("personal_data") == "on", KeepBodies: f.Get("keep_bodies") == "on", TimeoutMS: num("timeout_ms"),
		LogMode: f.Get("log_mode"), DefaultRatePerMinute: num("rate"), DefaultBurst: num("burst")}
	ctx := r.Context()
	v, err := p.x.CreateService(ctx, a, r.PathValue("id"), in)
	if err != nil {
		p.afterForm(w, r, a, err)
		return
	}
	flash := translate(langOf(r), "lgsp.service.created")
	if len(doc) > 0 {
		if _, err := p.x.UploadSpec(ctx, a, v.ID, doc); err != nil {
			// The service exists; its page shows what was wrong with the document.
			flash = translate(langOf(r), "lgsp.spec.rejected") + " " + apperr.MessageOf(err)
		}
	}
	p.s.redirect(w, r, "/admin/lgsp/services/"+v.ID, flash)
}

// readUpload reads a multipart form (or a plain one) and the named file, at
// most 2 MiB.
func readUpload(w http.ResponseWriter, r *http.Request, name string) ([]byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, exchange.MaxSpecBytes+64<<10)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		if err := r.ParseMultipartForm(exchange.MaxSpecBytes + 64<<10); err != nil {
			return nil, apperr.New(apperr.Invalid, "Tệp tải lên không hợp lệ hoặc lớn hơn 2 MiB.")
		}
	} else if err := r.ParseForm(); err != nil {
		return nil, apperr.New(apperr.Invalid, "Biểu mẫu gửi lên không hợp lệ hoặc quá lớn.")
	}
	file, _, err := r.FormFile(name)
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) {
		return nil, nil
	}
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "Không đọc được tệp tải lên.")
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, exchange.MaxSpecBytes+1))
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "Không đọc được tệp tải lên.")
	}
	return b, nil
}

func (p lgspPages) createKey(w http.ResponseWriter, r *http.Request) {
	a, ok := p.post(w, r)
	if !ok {
		return
	}
	days, _ := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("days")))
	k, err := p.x.CreateKey(r.Context(), a, r.PathValue("id"), r.PostForm.Get("name"), time.Duration(days)*24*time.Hour)
	if err != nil {
		p.afterForm(w, r, a, err)
		return
	}
	// The secret is shown on this answer only; nothing keeps it.
	p.renderSystem(w, r, a, r.PathValue("id"), http.StatusCreated, &k, nil)
}

func (p lgspPages) revokeKey(w http.ResponseWriter, r *http.Request) {
	a, ok := p.post(w, r)
	if !ok {
		return
	}
	if err := p.x.RevokeKey(r.Context(), a, r.PathValue("key")); err != nil {
		p.s.fail(w, r, err)
		return
	}
	p.s.redirect(w, r, "/admin/lgsp/systems/"+r.PathValue("id"), translate(langOf(r), "lgsp.key.revoked"))
}

func (p lgspPages) addCert(w http.ResponseWriter, r *http.Request) {
	a, ok := p.post(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	if _, err := p.x.AddCert(r.Context(), a, r.PathValue("id"), exchange.CertInput{Name: f.Get("name"), PEM: f.Get("pem"),
		Fingerprint: f.Get("fingerprint")}); err != nil {
		p.afterForm(w, r, a, err)
		return
	}
	p.s.redirect(w, r, "/admin/lgsp/systems/"+r.PathValue("id"), translate(langOf(r), "lgsp.cert.added"))
}

func (p lgspPages) revokeCert(w http.ResponseWriter, r *http.Request) {
	a, ok := p.post(w, r)
	if !ok {
		return
	}
	if err := p.x.RevokeCert(r.Context(), a, r.PathValue("id"), r.PathValue("fp")); err != nil {
		p.s.fail(w, r, err)
		return
	}
	p.s.redirect(w, r, "/admin/lgsp/systems/"+r.PathValue("id"), translate(langOf(r), "lgsp.cert.revoked"))
}

func (p lgspPages) requestAccess(w http.ResponseWriter, r *http.Request) {
	a, ok := p.post(w, r)
	if !ok {
		return
	}
	if _, err := p.x.RequestAccess(r.Context(), a, exchange.AccessRequest{ConsumerID: r.PathValue("id"), ServiceID: r.PostForm.Get("service_id"),
		Purpose: r.PostForm.Get("purpose")}); err != nil {
		p.afterForm(w, r, a, err)
		return
	}
	p.s.redirect(w, r, "/admin/lgsp/systems/"+r.PathValue("id"), translate(langOf(r), "lgsp.access.requested"))
}

type lgspServiceData struct {
	Dir     lgspDirectory
	Service exchange.RESTService
	Manage  bool
	Specs   []exchange.Spec
	Access  []exchange.Access
}

func (p lgspPages) service(w http.ResponseWriter, r *http.Request) {
	a, ok := p.gate(w, r)
	if !ok {
		return
	}
	p.renderService(w, r, a, http.StatusOK, nil)
}

func (p lgspPages) renderService(w http.ResponseWriter, r *http.Request, a *actor.Actor, status int, formErr error) {
	ctx := r.Context()
	v, err := p.x.RESTService(ctx, a, r.PathValue("id"))
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	dir, err := p.directory(ctx, a)
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	d := lgspServiceData{Dir: dir, Service: v, Manage: a.ProvinceAdmin() || a.Has(actor.AgencyAdmin, v.AgencyID)}
	if d.Specs, err = p.x.Specs(ctx, a, v.ID); err != nil {
		p.s.fail(w, r, err)
		return
	}
	if d.Access, err = p.x.AccessList(ctx, a, exchange.AccessFilter{ServiceID: v.ID}); err != nil {
		p.s.fail(w, r, err)
		return
	}
	pg := p.s.page(r, v.Name, d)
	if formErr != nil {
		p.s.formError(w, r, "lgsp_service", pg, formErr)
		return
	}
	p.s.render(w, r, status, "lgsp_service", pg)
}

func (p lgspPages) uploadSpec(w http.ResponseWriter, r *http.Request) {
	a, ok := p.gate(w, r)
	if !ok {
		return
	}
	doc, err := readUpload(w, r, "document")
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	if len(doc) == 0 {
		doc = []byte(r.PostForm.Get("text"))
	}
	spec, err := p.x.UploadSpec(r.Context(), a, r.PathValue("id"), doc)
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			p.renderService(w, r, a, 0, err)
			return
		}
		p.s.fail(w, r, err)
		return
	}
	p.s.redirect(w, r, "/admin/lgsp/services/"+r.PathValue("id"), translate(langOf(r), "lgsp.spec.uploaded")+" "+strconv.Itoa(spec.Version))
}

func (p lgspPages) serviceState(w http.ResponseWriter, r *http.Request) {
	a, ok := p.post(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	v, err := p.x.RESTService(ctx, a, r.PathValue("id"))
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	if v.UpstreamURL == "" {
		p.s.fail(w, r, actor.Deny(a, "Chỉ quản trị của cơ quan cung cấp hoặc quản trị toàn tỉnh được sửa dịch vụ."))
		return
	}
	enabled := r.PostForm.Get("enabled") == "true"
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	in := exchange.ServiceInput{Name: v.Name, Description: v.Description, UpstreamURL: v.UpstreamURL, Enabled: &enabled, KeepBodies: v.KeepBodies,
		PersonalData: v.PersonalData, TimeoutMS: v.TimeoutMS, MaxBodyBytes: v.MaxBodyBytes, LogMode: v.LogModeName,
		DefaultRatePerMinute: v.DefaultRatePerMinute, DefaultBurst: v.DefaultBurst, SpecVersion: v.SpecVersion}
	if n, _ := strconv.Atoi(r.PostForm.Get("spec_version")); n > 0 {
		in.SpecVersion = n
	}
	if _, err := p.x.UpdateService(ctx, a, v.ID, version, in); err != nil {
		p.s.fail(w, r, err)
		return
	}
	key := "lgsp.service.enabled"
	if !enabled {
		key = "lgsp.service.disabled"
	}
	p.s.redirect(w, r, "/admin/lgsp/services/"+v.ID, translate(langOf(r), key))
}

type lgspAccessData struct {
	Dir    lgspDirectory
	Access []exchange.Access
	Status string
	// Decide tells which requests the viewer may decide (the provider's
	// admins and province admins).
	Decide map[string]bool
}

func (p lgspPages) accessList(w http.ResponseWriter, r *http.Request) {
	a, ok := p.gate(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	dir, err := p.directory(ctx, a)
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	status := r.URL.Query().Get("status")
	switch exchange.AccessStatus(status) {
	case "", exchange.Pending, exchange.Approved, exchange.Refused, exchange.Revoked:
	default:
		p.s.fail(w, r, apperr.New(apperr.Invalid, "Trạng thái lọc không hợp lệ."))
		return
	}
	list, err := p.x.AccessList(ctx, a, exchange.AccessFilter{Status: exchange.AccessStatus(status)})
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	d := lgspAccessData{Dir: dir, Access: list, Status: status, Decide: map[string]bool{}}
	for _, acc := range list {
		v := dir.services[acc.ServiceID]
		d.Decide[acc.ID] = a.ProvinceAdmin() || a.Has(actor.AgencyAdmin, v.AgencyID)
	}
	p.s.render(w, r, http.StatusOK, "lgsp_access", p.s.page(r, translate(langOf(r), "lgsp.access"), d))
}

func (p lgspPages) decide(w http.ResponseWriter, r *http.Request) {
	a, ok := p.post(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	d := exchange.Decision{Note: f.Get("note")}
	d.Version, _ = strconv.Atoi(f.Get("version"))
	var quotaErr apperr.Fields
	for name, dst := range map[string]**int{"rate": &d.RatePerMinute, "burst": &d.Burst} {
		if v := strings.TrimSpace(f.Get(name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				if quotaErr == nil {
					quotaErr = apperr.Fields{}
				}
				quotaErr.Add(name, "Hãy nhập một số nguyên không âm.")
				continue
			}
			*dst = &n
		}
	}
	if quotaErr != nil {
		p.s.fail(w, r, quotaErr.Err())
		return
	}
	ctx := r.Context()
	var err error
	switch r.PathValue("decision") {
	case "approve":
		_, err = p.x.ApproveAccess(ctx, a, r.PathValue("id"), d)
	case "refuse":
		_, err = p.x.RefuseAccess(ctx, a, r.PathValue("id"), d)
	case "revoke":
		_, err = p.x.RevokeAccess(ctx, a, r.PathValue("id"), d)
	case "quota":
		_, err = p.x.SetQuota(ctx, a, r.PathValue("id"), d)
	default:
		p.s.notFound(w, r)
		return
	}
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	back := "/admin/lgsp/access"
	if next := f.Get("next"); strings.HasPrefix(next, "/admin/lgsp/") {
		back = next
	}
	p.s.redirect(w, r, back, translate(langOf(r), "lgsp.decided."+r.PathValue("decision")))
}

type lgspTrafficData struct {
	Dir     lgspDirectory
	Entries []txlog.Entry
	Filter  url.Values
	Query   string
	Report  *txlog.Report
}

// logFilter reads the filters of the traffic and statistics pages.
func logFilter(q url.Values) (txlog.Filter, error) {
	f := txlog.Filter{ServiceID: q.Get("service_id"), ConsumerID: q.Get("consumer_id"), Limit: 50}
	switch st := strings.TrimSpace(q.Get("status")); {
	case st == "":
	case len(st) == 3 && strings.HasSuffix(st, "xx") && st[0] >= '1' && st[0] <= '5':
		f.StatusClass = int(st[0] - '0')
	default:
		n, err := strconv.Atoi(st)
		if err != nil || n < 100 || n > 599 {
			return f, apperr.Field("status", "Mã trạng thái là một số từ 100 đến 599, hoặc một nhóm như 4xx, 5xx.")
		}
		f.Status = n
	}
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(name); v != "" {
			t, err := time.ParseInLocation("2006-01-02", v, vietnam)
			if err != nil {
				return f, apperr.Field(name, "Ngày không hợp lệ (định dạng YYYY-MM-DD).")
			}
			if name == "to" {
				t = t.AddDate(0, 0, 1)
			}
			*dst = t
		}
	}
	return f, nil
}

func (p lgspPages) traffic(w http.ResponseWriter, r *http.Request) {
	a, ok := p.gate(w, r)
	if !ok {
		return
	}
	p.renderTraffic(w, r, a, "lgsp_traffic", nil)
}

// trafficRows is the table alone, which the traffic page polls.
func (p lgspPages) trafficRows(w http.ResponseWriter, r *http.Request) {
	a, ok := p.gate(w, r)
	if !ok {
		return
	}
	p.renderTraffic(w, r, a, "lgsp_traffic_rows", nil)
}

func (p lgspPages) renderTraffic(w http.ResponseWriter, r *http.Request, a *actor.Actor, name string, rep *txlog.Report) {
	ctx := r.Context()
	q := r.URL.Query()
	f, err := logFilter(q)
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	dir, err := p.directory(ctx, a)
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	entries, err := p.x.SearchLog(ctx, a, f)
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	pg := p.s.page(r, translate(langOf(r), "lgsp.traffic"), lgspTrafficData{Dir: dir, Entries: entries, Filter: q, Query: q.Encode(), Report: rep})
	if name == "lgsp_traffic_rows" {
		pg.Partial = true
	}
	p.s.render(w, r, http.StatusOK, name, pg)
}

func (p lgspPages) verify(w http.ResponseWriter, r *http.Request) {
	a, ok := p.post(w, r)
	if !ok {
		return
	}
	rep, err := p.x.VerifyLog(r.Context(), a)
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	p.renderTraffic(w, r, a, "lgsp_traffic", &rep)
}

type lgspStatsData struct {
	Dir    lgspDirectory
	Group  string
	Rows   []exchange.LogStat
	Filter url.Values
	Query  string
}

var lgspGroups = map[string][]txlog.Group{
	"service":     {txlog.ByService},
	"consumer":    {txlog.ByConsumer},
	"day":         {txlog.ByDay},
	"service_day": {txlog.ByService, txlog.ByDay},
}

func (p lgspPages) stats(w http.ResponseWriter, r *http.Request) {
	a, ok := p.gate(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	group := q.Get("group")
	if group == "" {
		group = "service"
	}
	groups, known := lgspGroups[group]
	if !known {
		p.s.fail(w, r, apperr.New(apperr.Invalid, "Cách nhóm thống kê không hợp lệ."))
		return
	}
	f, err := logFilter(q)
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	f.Limit = 0
	if f.From.IsZero() {
		f.From = time.Now().In(vietnam).AddDate(0, 0, -30)
	}
	rows, err := p.x.LogStats(ctx, a, f, groups...)
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Day > rows[j].Day })
	if q.Get("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="lgsp-thong-ke-`+group+`.csv"`)
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"ngay", "dich_vu", "he_thong_goi", "so_luot", "loi_4xx", "loi_5xx", "do_tre_tb_ms", "do_tre_max_ms", "byte_vao", "byte_ra"})
		for _, s := range rows {
			_ = cw.Write([]string{s.Day, s.Service, s.Consumer, strconv.FormatInt(s.Calls, 10), strconv.FormatInt(s.ClientErrors, 10),
				strconv.FormatInt(s.ServerErrors, 10), strconv.FormatFloat(s.AvgLatencyMS, 'f', 2, 64), strconv.FormatFloat(s.MaxLatencyMS, 'f', 2, 64),
				strconv.FormatInt(s.BytesIn, 10), strconv.FormatInt(s.BytesOut, 10)})
		}
		cw.Flush()
		return
	}
	dir, err := p.directory(ctx, a)
	if err != nil {
		p.s.fail(w, r, err)
		return
	}
	csvQuery := url.Values{}
	for k, v := range q {
		csvQuery[k] = v
	}
	csvQuery.Set("group", group)
	csvQuery.Set("format", "csv")
	p.s.render(w, r, http.StatusOK, "lgsp_stats", p.s.page(r, translate(langOf(r), "lgsp.stats"),
		lgspStatsData{Dir: dir, Group: group, Rows: rows, Filter: q, Query: csvQuery.Encode()}))
}

// SystemList and ServiceList are the filters' choices.
func (d lgspDirectory) SystemList() []exchange.System       { return d.sysList }
func (d lgspDirectory) ServiceList() []exchange.RESTService { return d.svcList }
