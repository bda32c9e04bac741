package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/estore"
	"github.com/congso/congso/internal/upload"
)

// estorePages are the pages of a citizen's or an organisation's personal
// e-data store (/kho-du-lieu): the list with search and filters, adding a
// document, an item with its download, edits and share links, and removal
// with a confirmation. They work without JavaScript.
type estorePages struct {
	*Server
	store *estore.Service
}

// registerEStore adds the store's pages.
func (s *Server) registerEStore(mux *http.ServeMux, store *estore.Service) {
	p := estorePages{Server: s, store: store}
	mux.HandleFunc("GET /kho-du-lieu", p.list)
	// Searches are posted, so that what a person looks for stays out of
	// addresses and logs.
	mux.HandleFunc("POST /kho-du-lieu", p.list)
	mux.HandleFunc("GET /kho-du-lieu/them", p.addForm)
	mux.HandleFunc("POST /kho-du-lieu/them", p.add)
	mux.HandleFunc("GET /kho-du-lieu/{id}", p.item)
	mux.HandleFunc("POST /kho-du-lieu/{id}", p.edit)
	mux.HandleFunc("GET /kho-du-lieu/{id}/tai-ve", p.download)
	mux.HandleFunc("GET /kho-du-lieu/{id}/xoa", p.confirmDelete)
	mux.HandleFunc("POST /kho-du-lieu/{id}/xoa", p.delete)
	mux.HandleFunc("POST /kho-du-lieu/{id}/chia-se", p.share)
	mux.HandleFunc("POST /kho-du-lieu/{id}/chia-se/{share}/thu-hoi", p.revoke)
}

// estoreOwner returns the signed-in owner of a store, or answers: the sign-in
// page for anonymous visitors, a refusal for officials.
func (p estorePages) owner(w http.ResponseWriter, r *http.Request) *actor.Actor {
	a := p.signedIn(w, r)
	if a == nil {
		return nil
	}
	if a.Kind != actor.Citizen && a.Kind != actor.Organisation {
		p.fail(w, r, actor.Deny(a, "Kho dữ liệu điện tử dành cho công dân và tổ chức."))
		return nil
	}
	return a
}

// --- view helpers ----------------------------------------------------------

// EStoreDate writes a date as dd/mm/yyyy, "" for none.
func (p Page) EStoreDate(d *calendar.Date) string {
	if d == nil {
		return ""
	}
	return estore.VietDate(*d)
}

// EStoreSize writes a file size.
func (p Page) EStoreSize(n int64) string { return upload.HumanSize(n) }

// EStoreType names a content type for people.
func (p Page) EStoreType(ct string) string {
	switch ct {
	case upload.PDF:
		return "PDF"
	case upload.JPEG:
		return "JPEG"
	case upload.PNG:
		return "PNG"
	}
	return ct
}

// EStoreValidity is the validity badge of an item.
func (p Page) EStoreValidity(it estore.Item) estoreBadge {
	return estoreBadge{Lang: p.Lang, Validity: it.Validity, Until: p.EStoreDate(it.ValidUntil)}
}

type estoreBadge struct {
	Lang     string
	Validity estore.Validity
	Until    string
}

// Class is the badge's colour.
func (b estoreBadge) Class() string {
	switch b.Validity {
	case estore.Expired:
		return "bad"
	case estore.Expiring:
		return "warn"
	case estore.Valid:
		return "ok"
	}
	return ""
}

// --- list ------------------------------------------------------------------

type estoreListData struct {
	Items    []estore.Item
	Query    string
	Kind     string
	Validity string
	Kinds    []estore.Kind
	// Validities are the filter's choices.
	Validities []estore.Validity
	NextAfter  string
	Filtered   bool
}

const estorePageSize = 50

func (p estorePages) list(w http.ResponseWriter, r *http.Request) {
	a := p.owner(w, r)
	if a == nil {
		return
	}
	var values url.Values
	if r.Method == http.MethodPost {
		if err := parseForm(w, r); err != nil {
			p.fail(w, r, err)
			return
		}
		values = r.PostForm
	} else {
		values = r.URL.Query()
	}
	d := estoreListData{Query: values.Get("q"), Kind: values.Get("kind"), Validity: values.Get("validity"), Kinds: estore.Kinds(),
		Validities: []estore.Validity{estore.Valid, estore.Expiring, estore.Expired, estore.Permanent}}
	d.Filtered = d.Query != "" || d.Kind != "" || d.Validity != ""
	f := estore.Filter{Query: d.Query, Kind: estore.Kind(d.Kind), Validity: estore.Validity(d.Validity), After: values.Get("after"),
		Limit: estorePageSize + 1}
	items, err := p.store.List(r.Context(), a, f)
	page := p.page(r, translate(langOf(r), "estore.title"), &d)
	if err != nil {
		if apperr.CodeOf(err) != apperr.Invalid {
			p.fail(w, r, err)
			return
		}
		page.Error, page.Fields = apperr.MessageOf(err), apperr.FieldsOf(err)
		p.render(w, r, http.StatusUnprocessableEntity, "estore", page)
		return
	}
	if len(items) > estorePageSize {
		items = items[:estorePageSize]
		d.NextAfter = estore.Cursor(items[len(items)-1])
	}
	d.Items = items
	p.render(w, r, http.StatusOK, "estore", page)
}

// --- add -------------------------------------------------------------------

type estoreAddData struct {
	MaxSize  string
	Today    string
	FileLost bool
}

func (p estorePages) addData() *estoreAddData {
	max := p.store.Limits().MaxBytes
	if max <= 0 {
		max = upload.DefaultMaxBytes
	}
	return &estoreAddData{MaxSize: upload.HumanSize(max), Today: calendar.DateOf(p.Now()).String()}
}

func (p estorePages) addForm(w http.ResponseWriter, r *http.Request) {
	if p.owner(w, r) == nil {
		return
	}
	p.render(w, r, http.StatusOK, "estore_add", p.page(r, translate(langOf(r), "estore.add.title"), p.addData()))
}

func (p estorePages) add(w http.ResponseWriter, r *http.Request) {
	a := p.owner(w, r)
	if a == nil {
		return
	}
	data := p.addData()
	page := p.page(r, translate(langOf(r), "estore.add.title"), data)
	if err := estore.ParseUpload(w, r, p.store.Limits()); err != nil {
		page.Error = apperr.MessageOf(err)
		page.Fields = apperr.FieldsOf(err)
		p.render(w, r, http.StatusUnprocessableEntity, "estore_add", page)
		return
	}
	defer r.MultipartForm.RemoveAll()
	file, header, err := r.FormFile("file")
	if err != nil {
		data.FileLost = true
		p.formError(w, r, "estore_add", page, apperr.Field("file", "Hãy chọn tệp giấy tờ (PDF, JPEG hoặc PNG)."))
		return
	}
	defer file.Close()
	it, err := p.store.Add(r.Context(), a, estore.FormMeta(r), header.Filename, file)
	if err != nil {
		// A browser cannot be given the chosen file back: say so.
		data.FileLost = true
		p.formError(w, r, "estore_add", page, err)
		return
	}
	p.redirect(w, r, "/kho-du-lieu/"+url.PathEscape(it.ID), fmt.Sprintf(translate(langOf(r), "estore.added"), it.Document))
}

// --- one item --------------------------------------------------------------

type estoreItemData struct {
	View estore.View
	// Official is true for a result or a digitised paper: its issuer and date
	// of issue are not the owner's to edit.
	Official bool
	NewShare *estore.NewShare
	MaxDays  int
	Days     []int
}

func (p estorePages) itemData(r *http.Request, a *actor.Actor, id string) (*estoreItemData, error) {
	v, err := p.store.Get(r.Context(), a, id)
	if err != nil {
		return nil, err
	}
	d := &estoreItemData{View: v, Official: v.Item.Kind != estore.KindUpload, MaxDays: p.store.MaxShareDays()}
	for _, n := range []int{1, 3, 7, 14, 30} {
		if n <= d.MaxDays {
			d.Days = append(d.Days, n)
		}
	}
	return d, nil
}

func (p estorePages) showItem(w http.ResponseWriter, r *http.Request, status int, a *actor.Actor, prepare func(*estoreItemData, *Page)) {
	d, err := p.itemData(r, a, r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	page := p.page(r, d.View.Item.Document, d)
	if prepare != nil {
		prepare(d, &page)
	}
	p.render(w, r, status, "estore_item", page)
}

func (p estorePages) item(w http.ResponseWriter, r *http.Request) {
	a := p.owner(w, r)
	if a == nil {
		return
	}
	p.showItem(w, r, http.StatusOK, a, nil)
}

func (p estorePages) edit(w http.ResponseWriter, r *http.Request) {
	a := p.owner(w, r)
	if a == nil {
		return
	}
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, err)
		return
	}
	in := estore.FormMeta(r)
	in.Version, _ = strconv.Atoi(r.PostForm.Get("version"))
	it, err := p.store.Update(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		code := apperr.CodeOf(err)
		if code != apperr.Invalid && code != apperr.Conflict {
			p.fail(w, r, err)
			return
		}
		p.showItem(w, r, statusOf(code), a, func(_ *estoreItemData, page *Page) {
			page.Error, page.Fields, page.Form = apperr.MessageOf(err), apperr.FieldsOf(err), r.PostForm
		})
		return
	}
	p.redirect(w, r, "/kho-du-lieu/"+url.PathEscape(it.ID), translate(langOf(r), "estore.saved"))
}

func (p estorePages) download(w http.ResponseWriter, r *http.Request) {
	a := p.owner(w, r)
	if a == nil {
		return
	}
	it, data, err := p.store.Content(r.Context(), a, r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	estore.WriteFile(w, it, data)
}

func (p estorePages) confirmDelete(w http.ResponseWriter, r *http.Request) {
	a := p.owner(w, r)
	if a == nil {
		return
	}
	d, err := p.itemData(r, a, r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.render(w, r, http.StatusOK, "estore_delete", p.page(r, translate(langOf(r), "estore.delete.title"), d))
}

func (p estorePages) delete(w http.ResponseWriter, r *http.Request) {
	a := p.owner(w, r)
	if a == nil {
		return
	}
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	if r.PostForm.Get("confirm") != "yes" {
		d, err := p.itemData(r, a, id)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		page := p.page(r, translate(langOf(r), "estore.delete.title"), d)
		page.Error = translate(page.Lang, "estore.delete.unconfirmed")
		page.Fields = map[string]string{"confirm": page.Error}
		p.render(w, r, http.StatusUnprocessableEntity, "estore_delete", page)
		return
	}
	v, err := p.store.Get(r.Context(), a, id)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if err := p.store.Delete(r.Context(), a, id); err != nil {
		p.fail(w, r, err)
		return
	}
	p.redirect(w, r, "/kho-du-lieu", fmt.Sprintf(translate(langOf(r), "estore.deleted"), v.Item.Document))
}

func (p estorePages) share(w http.ResponseWriter, r *http.Request) {
	a := p.owner(w, r)
	if a == nil {
		return
	}
	if err := parseForm(w, r); err != nil {
		p.fail(w, r, err)
		return
	}
	in := estore.ShareInput{Label: r.PostForm.Get("label")}
	if v := r.PostForm.Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			n = -1
		}
		in.Days = n
	}
	ns, err := p.store.Share(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		code := apperr.CodeOf(err)
		if code != apperr.Invalid && code != apperr.Conflict {
			p.fail(w, r, err)
			return
		}
		p.showItem(w, r, statusOf(code), a, func(_ *estoreItemData, page *Page) {
			page.Error, page.Fields, page.Form = apperr.MessageOf(err), apperr.FieldsOf(err), r.PostForm
		})
		return
	}
	// The link is shown in this response only: it is stored hashed and never
	// put in a redirect.
	p.showItem(w, r, http.StatusOK, a, func(d *estoreItemData, _ *Page) { d.NewShare = &ns })
}

func (p estorePages) revoke(w http.ResponseWriter, r *http.Request) {
	a := p.owner(w, r)
	if a == nil {
		return
	}
	id := r.PathValue("id")
	if _, err := p.store.RevokeShare(r.Context(), a, id, r.PathValue("share")); err != nil {
		p.fail(w, r, err)
		return
	}
	p.redirect(w, r, "/kho-du-lieu/"+url.PathEscape(id), translate(langOf(r), "estore.share.revoked"))
}

// EStoreISO writes a date as YYYY-MM-DD for a date input, "" for none.
func (p Page) EStoreISO(d *calendar.Date) string {
	if d == nil {
		return ""
	}
	return d.String()
}

// EStoreField is the value a form field shows: what was just sent, when the
// form comes back with an error, or else the stored value.
func (p Page) EStoreField(name, stored string) string {
	if vs, ok := p.Form[name]; ok && len(vs) > 0 {
		return vs[0]
	}
	return stored
}

// EStoreErrors reports whether any of the fields has an error, to open the
// form they belong to.
func (p Page) EStoreErrors(names ...string) bool {
	for _, n := range names {
		if p.Fields[n] != "" {
			return true
		}
	}
	return false
}
