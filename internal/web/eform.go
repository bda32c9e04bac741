package web

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/congso/congso/internal/adminunit"
	"github.com/congso/congso/internal/catalog"
)

// The e-form of a procedure as accessible HTML: every input has a label,
// required fields carry the required attribute and a marker, help and
// error texts are tied to their input with aria-describedby, an invalid
// input says so with aria-invalid, and inputs have the type that brings the
// right keyboard (date, number, tel, numeric). Address fields combine a
// free-text line with the administrative-unit picker.
//
// Pages include it with {{template "eform" .Data.EForm}}, the view built by
// newEForm; on submission, eformValues turns the posted form into the values
// catalog.Form.Check expects. File inputs need a multipart form: the caller
// stores the file and passes its reference under the field's name.

// eformView is the argument of the "eform" partial.
type eformView struct {
	Lang   string
	Title  string
	Fields []eformField
	// Preview marks a form shown on the catalogue page, not to be sent.
	Preview bool
}

// eformField is one field of the e-form.
type eformField struct {
	catalog.Field
	Lang        string
	ID          string // the input's id
	InputType   string // text, number, date, tel, file; "" for selects and addresses
	InputMode   string // numeric for citizen IDs
	Pattern     string
	MaxLen      int    // maxlength attribute, 0 for none
	MinText     string // min and max attributes
	MaxText     string
	Auto        string // autocomplete attribute
	Value       string
	Error       string
	DescribedBy string // ids of the help and error texts
	Options     []pickOption
	// Picker is the unit picker of an address field; Communes the plain
	// select used when the picker cannot serve the field's name.
	Picker   *unitPicker
	Communes []pickOption
	UnitName string // the name of the unit input, for the plain select
}

// newEForm builds the view of a form filled with values (posted, or stored
// ones to correct) and errs, the messages by field name from
// catalog.Form.Check.
func (s *Server) newEForm(r *http.Request, f catalog.Form, values url.Values, errs map[string]string) eformView {
	lang := langOf(r)
	v := eformView{Lang: lang, Title: f.Title}
	for _, x := range f.Fields {
		id := "ef-" + strings.ReplaceAll(x.Name, "_", "-")
		fv := eformField{Field: x, Lang: lang, ID: id, Value: values.Get(x.Name), Error: errs[x.Name]}
		var described []string
		if x.Help != "" {
			described = append(described, id+"-help")
		}
		if fv.Error != "" {
			described = append(described, id+"-err")
		}
		fv.DescribedBy = strings.Join(described, " ")
		switch x.Type {
		case catalog.TypeText:
			fv.InputType = "text"
			fv.MaxLen = x.MaxLength
			if fv.MaxLen == 0 {
				fv.MaxLen = catalog.DefaultMaxLength
			}
		case catalog.TypeNumber:
			fv.InputType, fv.InputMode = "number", "decimal"
			if x.Min != nil {
				fv.MinText = strconv.FormatFloat(*x.Min, 'f', -1, 64)
			}
			if x.Max != nil {
				fv.MaxText = strconv.FormatFloat(*x.Max, 'f', -1, 64)
			}
		case catalog.TypeDate:
			fv.InputType = "date"
			if x.PastOnly {
				fv.MaxText = adminunit.VietnamDate(s.now()).String()
			}
		case catalog.TypeChoice:
			for _, o := range x.Options {
				fv.Options = append(fv.Options, pickOption{Value: o, Label: o, Selected: o == fv.Value})
			}
		case catalog.TypeCitizenID:
			fv.InputType, fv.InputMode, fv.Pattern, fv.MaxLen, fv.Auto = "text", "numeric", "[0-9]{12}", 12, "off"
		case catalog.TypePhone:
			fv.InputType, fv.MaxLen, fv.Auto = "tel", 20, "tel"
		case catalog.TypeAddress:
			fv.MaxLen = x.MaxLength
			if fv.MaxLen == 0 {
				fv.MaxLen = 300
			}
			fv.UnitName = x.Name + catalog.UnitSuffix
			unit := unitFromForm(values, fv.UnitName)
			if pickerName.MatchString(fv.UnitName) {
				p := s.newUnitPicker(r.Context(), lang, fv.UnitName, unit)
				fv.Picker = &p
			} else {
				// The picker's htmx endpoint only serves short names of
				// letters: a plain select of the province's communes.
				fv.Communes = s.pickOptions(lang, s.homeProvince(r.Context()), unit)
			}
		case catalog.TypeFile:
			fv.InputType = "file"
		}
		v.Fields = append(v.Fields, fv)
	}
	return v
}

// eformValues reads a posted e-form for catalog.Form.Check: an address's
// unit comes from the picker's select, or from the unit code typed where
// JavaScript is off.
func eformValues(f catalog.Form, posted url.Values) map[string][]string {
	out := map[string][]string{}
	for _, x := range f.Fields {
		out[x.Name] = posted[x.Name]
		if x.Type == catalog.TypeAddress {
			name := x.Name + catalog.UnitSuffix
			out[name] = []string{unitFromForm(posted, name)}
		}
	}
	return out
}

// renderEForm writes the e-form alone, for htmx requests that replace it
// after a server-side check.
func (s *Server) renderEForm(w http.ResponseWriter, r *http.Request, f catalog.Form, values url.Values, errs map[string]string) {
	t, ok := s.pages["admin_procedures_detail"]
	if !ok {
		s.Log.Error("missing template", "name", "admin_procedures_detail")
		http.Error(w, "template missing", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "eform", s.newEForm(r, f, values, errs)); err != nil {
		s.Log.ErrorContext(r.Context(), "render e-form", "err", err)
		http.Error(w, "render failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Vary", "HX-Request")
	_, _ = buf.WriteTo(w)
}
