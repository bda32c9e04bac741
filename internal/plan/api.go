package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/httpx"
	"github.com/congso/congso/internal/tabular"
	"github.com/congso/congso/internal/upload"
)

// API serves the plans as JSON, and their tables and reports as files.
type API struct {
	Svc *Service
	Log *slog.Logger
}

// Register adds the routes.
func (api API) Register(r *httpx.Router) {
	r.HandleFunc("GET /api/v1/plans", api.plans)
	r.HandleFunc("POST /api/v1/plans", api.importPlan)
	r.HandleFunc("GET /api/v1/plans/{id}", api.plan)
	r.HandleFunc("GET /api/v1/plans/{id}/indicators", api.indicators)
	r.HandleFunc("GET /api/v1/plans/{id}/indicators/{ind}/values", api.values)
	r.HandleFunc("GET /api/v1/plans/{id}/indicators/{ind}/agencies", api.agencies)
	r.HandleFunc("POST /api/v1/plans/{id}/indicators/{ind}/values", api.report)
	r.HandleFunc("GET /api/v1/plans/{id}/tasks", api.tasks)
	r.HandleFunc("GET /api/v1/plans/{id}/tasks/{task}", api.task)
	r.HandleFunc("POST /api/v1/plans/{id}/tasks/{task}/updates", api.update)
	r.HandleFunc("GET /api/v1/plans/{id}/quarters/{q}", api.quarter)
	r.HandleFunc("POST /api/v1/plans/{id}/quarters/{q}", api.submit)
	r.HandleFunc("GET /api/v1/plans/{id}/export", api.export)
	r.HandleFunc("GET /api/v1/plans/{id}/report", api.compiled)
	r.HandleFunc("GET /api/v1/plans/{id}/evidence/{ev}", api.evidence)
}

func (api API) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, api.Log, err)
}

func (api API) plans(w http.ResponseWriter, r *http.Request) {
	list, err := api.Svc.Plans(r.Context(), actor.From(r.Context()))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	if list == nil {
		list = []Plan{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (api API) plan(w http.ResponseWriter, r *http.Request) {
	p, err := api.Svc.Plan(r.Context(), actor.From(r.Context()), r.PathValue("id"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, p)
}

// MaxWorkbook bounds an imported plan workbook.
const MaxWorkbook = 10 << 20

func (api API) importPlan(w http.ResponseWriter, r *http.Request) {
	by := actor.From(r.Context())
	if !by.ProvinceAdmin() {
		api.fail(w, r, actor.Deny(by, "Chỉ quản trị toàn tỉnh được nạp kế hoạch."))
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxWorkbook+1))
	if err != nil || len(data) > MaxWorkbook {
		api.fail(w, r, apperr.New(apperr.Invalid, "Bảng tính quá lớn (tối đa %s).", upload.HumanSize(MaxWorkbook)))
		return
	}
	d, err := ReadDefinitionXLSX(bytes.NewReader(data))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	p, _, err := api.Svc.Load(r.Context(), by, d, true)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/plans/"+p.ID)
	httpx.WriteJSON(w, http.StatusCreated, p)
}

// sendFile answers with a file to download.
func sendFile(w http.ResponseWriter, name, contentType string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return apperr.Wrap(err, "write "+name)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(buf.Bytes())
	return err
}

const (
	ctCSV  = "text/csv; charset=utf-8"
	CtXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	ctPDF  = "application/pdf"
)

func (api API) indicators(w http.ResponseWriter, r *http.Request) {
	list, err := api.Svc.Indicators(r.Context(), actor.From(r.Context()), r.PathValue("id"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	switch format := r.URL.Query().Get("format"); format {
	case "", "json":
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
	case "csv":
		err = sendFile(w, "chi-tieu.csv", ctCSV, func(w io.Writer) error { return WriteCSV(w, IndicatorHeader, IndicatorRows(list)) })
	case "xlsx":
		err = sendFile(w, "chi-tieu.xlsx", CtXLSX, func(w io.Writer) error { return WriteTablesXLSX(w, Compiled{Indicators: list}) })
	default:
		err = apperr.Field("format", "Định dạng phải là: json, csv, xlsx.")
	}
	if err != nil {
		api.fail(w, r, err)
	}
}

func (api API) agencies(w http.ResponseWriter, r *http.Request) {
	b, err := api.Svc.IndicatorAgencies(r.Context(), actor.From(r.Context()), r.PathValue("id"), r.PathValue("ind"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	switch format := r.URL.Query().Get("format"); format {
	case "", "json":
		httpx.WriteJSON(w, http.StatusOK, b)
	case "csv", "xlsx":
		f := tabular.Format(format)
		err = sendFile(w, "chi-tieu-"+b.Indicator.Code+"-theo-co-quan."+format, f.ContentType(), func(w io.Writer) error { return AgencyTable(b).Write(w, f) })
	default:
		err = apperr.Field("format", "Định dạng phải là: json, csv, xlsx.")
	}
	if err != nil {
		api.fail(w, r, err)
	}
}

// TaskFilterOf reads the task filters from a query string.
func TaskFilterOf(q url.Values) (TaskFilter, error) {
	f := TaskFilter{AgencyID: q.Get("agency_id"), State: TaskState(q.Get("state"))}
	switch q.Get("overdue") {
	case "", "false", "0":
	case "true", "1", "on":
		f.Overdue = true
	default:
		return f, apperr.Field("overdue", "overdue phải là true hoặc false.")
	}
	return f, nil
}

func (api API) tasks(w http.ResponseWriter, r *http.Request) {
	f, err := TaskFilterOf(r.URL.Query())
	if err != nil {
		api.fail(w, r, err)
		return
	}
	list, err := api.Svc.Tasks(r.Context(), actor.From(r.Context()), r.PathValue("id"), f)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	switch format := r.URL.Query().Get("format"); format {
	case "", "json":
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
	case "csv":
		err = sendFile(w, "nhiem-vu.csv", ctCSV, func(w io.Writer) error { return WriteCSV(w, TaskHeader, TaskRows(list)) })
	case "xlsx":
		err = sendFile(w, "nhiem-vu.xlsx", CtXLSX, func(w io.Writer) error { return WriteTablesXLSX(w, Compiled{Tasks: list}) })
	default:
		err = apperr.Field("format", "Định dạng phải là: json, csv, xlsx.")
	}
	if err != nil {
		api.fail(w, r, err)
	}
}

func (api API) task(w http.ResponseWriter, r *http.Request) {
	t, ups, err := api.Svc.Task(r.Context(), actor.From(r.Context()), r.PathValue("id"), r.PathValue("task"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"task": t, "updates": ups})
}

// ReadForm reads a JSON body or a multipart form into v (by its JSON field
// names) and returns the uploaded file "file", if any.
func ReadForm(w http.ResponseWriter, r *http.Request, v any) (*Evidence, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" && ct != "application/x-www-form-urlencoded" {
		return nil, httpx.DecodeJSON(w, r, v)
	}
	r.Body = http.MaxBytesReader(w, r.Body, upload.DefaultMaxBytes+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil && err != http.ErrNotMultipart {
		return nil, apperr.New(apperr.Invalid, "Biểu mẫu gửi lên không đọc được hoặc tệp quá lớn (tối đa %s).", upload.HumanSize(upload.DefaultMaxBytes))
	}
	// Form values become a JSON object of the target's fields, so that one
	// set of rules checks both.
	m := map[string]any{}
	for k, vals := range r.PostForm {
		if len(vals) == 0 || k == "csrf" || k == "gorilla.csrf.Token" {
			continue
		}
		s := strings.TrimSpace(vals[0])
		switch k {
		case "value":
			f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
			if err != nil {
				return nil, apperr.Field("value", "Giá trị phải là một số.")
			}
			m[k] = f
		case "progress", "version", "quarter":
			n, err := strconv.Atoi(s)
			if err != nil {
				return nil, apperr.Field(k, "Trường này phải là một số nguyên.")
			}
			m[k] = n
		default:
			m[k] = s
		}
	}
	b, _ := json.Marshal(m)
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return nil, apperr.New(apperr.Invalid, "Dữ liệu không hợp lệ.")
	}
	if r.MultipartForm == nil || len(r.MultipartForm.File["file"]) == 0 {
		return nil, nil
	}
	fh := r.MultipartForm.File["file"][0]
	if fh.Size == 0 && fh.Filename == "" {
		return nil, nil
	}
	f, err := fh.Open()
	if err != nil {
		return nil, apperr.Field("file", "Không đọc được tệp gửi lên.")
	}
	defer f.Close()
	data, err := upload.Read(f, upload.Limits{})
	if err != nil {
		return nil, err
	}
	return &Evidence{Name: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Data: data}, nil
}

func (api API) values(w http.ResponseWriter, r *http.Request) {
	list, err := api.Svc.Values(r.Context(), actor.From(r.Context()), r.PathValue("id"), r.PathValue("ind"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (api API) report(w http.ResponseWriter, r *http.Request) {
	var in ValueInput
	file, err := ReadForm(w, r, &in)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	v, err := api.Svc.ReportValue(r.Context(), actor.From(r.Context()), r.PathValue("id"), r.PathValue("ind"), in, file)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, v)
}

func (api API) update(w http.ResponseWriter, r *http.Request) {
	var in TaskInput
	file, err := ReadForm(w, r, &in)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	t, err := api.Svc.UpdateTask(r.Context(), actor.From(r.Context()), r.PathValue("id"), r.PathValue("task"), in, file)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, t)
}

func quarterOf(r *http.Request) (int, error) {
	q, err := strconv.Atoi(r.PathValue("q"))
	if err != nil || q < 1 || q > 4 {
		return 0, apperr.Field("quarter", "Quý phải từ 1 đến 4.")
	}
	return q, nil
}

func (api API) quarter(w http.ResponseWriter, r *http.Request) {
	q, err := quarterOf(r)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	list, err := api.Svc.QuarterReports(r.Context(), actor.From(r.Context()), r.PathValue("id"), q)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (api API) submit(w http.ResponseWriter, r *http.Request) {
	q, err := quarterOf(r)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	var in ReportInput
	file, err := ReadForm(w, r, &in)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	if in.Quarter != 0 && in.Quarter != q {
		api.fail(w, r, apperr.Field("quarter", "Quý trong nội dung khác quý trong đường dẫn."))
		return
	}
	in.Quarter = q
	rep, err := api.Svc.SubmitReport(r.Context(), actor.From(r.Context()), r.PathValue("id"), in, file)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, rep)
}

func (api API) export(w http.ResponseWriter, r *http.Request) {
	if f := r.URL.Query().Get("format"); f != "" && f != "xlsx" {
		api.fail(w, r, apperr.Field("format", "Định dạng phải là: xlsx."))
		return
	}
	c, err := api.Svc.Compile(r.Context(), actor.From(r.Context()), r.PathValue("id"))
	if err == nil {
		err = sendFile(w, "ke-hoach-"+c.Plan.Key+".xlsx", CtXLSX, func(w io.Writer) error { return WriteTablesXLSX(w, c) })
	}
	if err != nil {
		api.fail(w, r, err)
	}
}

func (api API) compiled(w http.ResponseWriter, r *http.Request) {
	format, err := ParseFormat(r.URL.Query().Get("format"), XLSX, PDF)
	if err != nil {
		api.fail(w, r, err)
		return
	}
	c, err := api.Svc.Compile(r.Context(), actor.From(r.Context()), r.PathValue("id"))
	if err == nil {
		name := fmt.Sprintf("bao-cao-%s.%s", c.Plan.Key, format)
		if format == PDF {
			err = sendFile(w, name, ctPDF, func(w io.Writer) error { return WriteReportPDF(w, c) })
		} else {
			err = sendFile(w, name, CtXLSX, func(w io.Writer) error { return WriteReportXLSX(w, c) })
		}
	}
	if err != nil {
		api.fail(w, r, err)
	}
}

func (api API) evidence(w http.ResponseWriter, r *http.Request) {
	e, err := api.Svc.EvidenceFile(r.Context(), actor.From(r.Context()), r.PathValue("ev"))
	if err != nil {
		api.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", e.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": e.Name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(e.Data)
}
