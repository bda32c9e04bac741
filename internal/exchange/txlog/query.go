package txlog

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/congso/congso/internal/db"
)

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func scanEntry(row interface{ Scan(...any) error }, e *Entry) error {
	var at int64
	if err := row.Scan(&e.Seq, &at, &e.RequestID, &e.ConsumerID, &e.CredentialID, &e.ProviderID, &e.ServiceID, &e.Method, &e.Path,
		&e.Status, &e.Outcome, &e.LatencyUS, &e.BytesIn, &e.BytesOut, &e.ReqSHA256, &e.RespSHA256, &e.EndUserHash, &e.PrevHash,
		&e.Hash); err != nil {
		return fmt.Errorf("read a log entry: %w", err)
	}
	e.At = time.UnixMicro(at).UTC()
	return nil
}

// Filter selects entries. Zero fields select everything.
type Filter struct {
	ConsumerID string
	ServiceID  string
	// Status selects one status; StatusClass (1–5) a class such as 5xx.
	Status      int
	StatusClass int
	From, To    time.Time // [From, To)
	EndUserHash string
	// Systems, when not nil, restricts to entries whose consumer or provider
	// is one of them (an empty, non-nil list selects nothing).
	Systems []string
	// Before is a cursor: only entries with a smaller seq.
	Before int64
	Limit  int
}

func (f Filter) where() (string, []any) {
	q := " WHERE 1=1"
	var args []any
	add := func(cond string, v ...any) { q += " AND " + cond; args = append(args, v...) }
	if f.ConsumerID != "" {
		add("consumer_id = ?", f.ConsumerID)
	}
	if f.ServiceID != "" {
		add("service_id = ?", f.ServiceID)
	}
	if f.Status != 0 {
		add("status = ?", f.Status)
	}
	if f.StatusClass != 0 {
		add("status >= ? AND status < ?", f.StatusClass*100, f.StatusClass*100+100)
	}
	if !f.From.IsZero() {
		add("at_us >= ?", micros(f.From))
	}
	if !f.To.IsZero() {
		add("at_us < ?", micros(f.To))
	}
	if f.EndUserHash != "" {
		add("end_user_hash = ?", f.EndUserHash)
	}
	if f.Before > 0 {
		add("seq < ?", f.Before)
	}
	if f.Systems != nil {
		if len(f.Systems) == 0 {
			q += " AND 1=0"
		} else {
			ph := db.Placeholders(len(f.Systems))
			q += " AND (consumer_id IN (" + ph + ") OR provider_id IN (" + ph + "))"
			for range 2 {
				for _, s := range f.Systems {
					args = append(args, s)
				}
			}
		}
	}
	return q, args
}

// Search returns entries newest first.
func Search(ctx context.Context, d *db.DB, f Filter) ([]Entry, error) {
	if f.Limit <= 0 || f.Limit > 1001 {
		f.Limit = 100
	}
	where, args := f.where()
	rows, err := d.Query(ctx, "SELECT "+entryColumns+" FROM exchange_txlog"+where+fmt.Sprintf(" ORDER BY seq DESC LIMIT %d", f.Limit), args...)
	if err != nil {
		return nil, fmt.Errorf("search the transaction log: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		if err := scanEntry(rows, &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ErrNotFound is returned for an entry that does not exist.
var ErrNotFound = errors.New("no such log entry")

// Get reads one entry and its bodies (nil when not kept).
func Get(ctx context.Context, d *db.DB, seq int64) (Entry, *Bodies, error) {
	var e Entry
	err := scanEntry(d.QueryRow(ctx, "SELECT "+entryColumns+" FROM exchange_txlog WHERE seq = ?", seq), &e)
	if errors.Is(err, sql.ErrNoRows) {
		return e, nil, ErrNotFound
	}
	if err != nil {
		return e, nil, err
	}
	var b Bodies
	err = d.QueryRow(ctx, "SELECT request_body, response_body, truncated FROM exchange_txlog_bodies WHERE seq = ?", seq).
		Scan(&b.Request, &b.Response, &b.Truncated)
	if errors.Is(err, sql.ErrNoRows) {
		return e, nil, nil
	}
	if err != nil {
		return e, nil, fmt.Errorf("read log bodies: %w", err)
	}
	return e, &b, nil
}

// Names turns IDs into what people read in an export (system and service
// codes); IDs it does not know are printed as they are.
type Names func(id string) string

// ExportCSV writes the selected entries, oldest first, as CSV (UTF-8 with
// BOM, for spreadsheet programs), streaming from the database.
func ExportCSV(ctx context.Context, d *db.DB, f Filter, names Names, w io.Writer) error {
	if names == nil {
		names = func(id string) string { return id }
	}
	where, args := f.where()
	q := "SELECT " + entryColumns + " FROM exchange_txlog" + where + " ORDER BY seq"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := d.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("export the transaction log: %w", err)
	}
	defer rows.Close()
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"seq", "thoi_gian", "ma_yeu_cau", "he_thong_goi", "khoa", "he_thong_cung_cap", "dich_vu", "phuong_thuc", "duong_dan",
		"trang_thai", "ket_qua", "do_tre_us", "byte_vao", "byte_ra", "sha256_yeu_cau", "sha256_phan_hoi", "ma_bam_nguoi_dung", "hash_truoc", "hash"})
	vn := time.FixedZone("ICT", 7*3600)
	for rows.Next() {
		var e Entry
		if err := scanEntry(rows, &e); err != nil {
			return err
		}
		if err := cw.Write([]string{strconv.FormatInt(e.Seq, 10), e.At.In(vn).Format("2006-01-02T15:04:05.000000-07:00"), e.RequestID,
			names(e.ConsumerID), e.CredentialID, names(e.ProviderID), names(e.ServiceID), e.Method, e.Path, strconv.Itoa(e.Status), e.Outcome,
			strconv.FormatInt(e.LatencyUS, 10), strconv.FormatInt(e.BytesIn, 10), strconv.FormatInt(e.BytesOut, 10), e.ReqSHA256,
			e.RespSHA256, e.EndUserHash, e.PrevHash, e.Hash}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export the transaction log: %w", err)
	}
	cw.Flush()
	return cw.Error()
}

// Group names a dimension of the statistics.
type Group string

const (
	ByService  Group = "service"
	ByConsumer Group = "consumer"
	ByDay      Group = "day"
)

// Stat is one row of the statistics.
type Stat struct {
	Day          string  `json:"day,omitempty"` // YYYY-MM-DD, Asia/Ho_Chi_Minh
	ServiceID    string  `json:"service_id,omitempty"`
	ConsumerID   string  `json:"consumer_id,omitempty"`
	Calls        int64   `json:"calls"`
	ClientErrors int64   `json:"client_errors"` // 4xx
	ServerErrors int64   `json:"server_errors"` // 5xx
	AvgLatencyMS float64 `json:"avg_latency_ms"`
	MaxLatencyMS float64 `json:"max_latency_ms"`
	BytesIn      int64   `json:"bytes_in"`
	BytesOut     int64   `json:"bytes_out"`
}

// dayExpr is the day number in Vietnam time (UTC+7, no daylight saving):
// integer arithmetic that both engines do alike.
const dayExpr = "((at_us / 1000000 + 25200) / 86400)"

// Statistics counts calls grouped by the given dimensions (none: one total).
func Statistics(ctx context.Context, d *db.DB, f Filter, groups ...Group) ([]Stat, error) {
	var cols []string
	for _, g := range groups {
		switch g {
		case ByDay:
			cols = append(cols, dayExpr)
		case ByService:
			cols = append(cols, "service_id")
		case ByConsumer:
			cols = append(cols, "consumer_id")
		default:
			return nil, fmt.Errorf("unknown statistics group %q", g)
		}
	}
	sel := ""
	group := ""
	for i, c := range cols {
		sel += c + ", "
		if i > 0 {
			group += ", "
		}
		group += c
	}
	where, args := f.where()
	q := "SELECT " + sel + `COUNT(*), SUM(CASE WHEN status >= 400 AND status < 500 THEN 1 ELSE 0 END),
		SUM(CASE WHEN status >= 500 THEN 1 ELSE 0 END), AVG(latency_us), MAX(latency_us), CAST(SUM(bytes_in) AS BIGINT), CAST(SUM(bytes_out) AS BIGINT)
		FROM exchange_txlog` + where
	if group != "" {
		q += " GROUP BY " + group + " ORDER BY " + group
	}
	rows, err := d.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("transaction log statistics: %w", err)
	}
	defer rows.Close()
	var out []Stat
	for rows.Next() {
		var s Stat
		var day int64
		var avg sql.NullFloat64
		var maxL, in, outB sql.NullInt64
		dst := make([]any, 0, 10)
		for _, g := range groups {
			switch g {
			case ByDay:
				dst = append(dst, &day)
			case ByService:
				dst = append(dst, &s.ServiceID)
			case ByConsumer:
				dst = append(dst, &s.ConsumerID)
			}
		}
		dst = append(dst, &s.Calls, &s.ClientErrors, &s.ServerErrors, &avg, &maxL, &in, &outB)
		if err := rows.Scan(dst...); err != nil {
			return nil, fmt.Errorf("transaction log statistics: %w", err)
		}
		if s.Calls == 0 {
			continue
		}
		for _, g := range groups {
			if g == ByDay {
				s.Day = time.Unix(day*86400, 0).UTC().Format("2006-01-02")
			}
		}
		s.AvgLatencyMS = avg.Float64 / 1000
		s.MaxLatencyMS = float64(maxL.Int64) / 1000
		s.BytesIn, s.BytesOut = in.Int64, outB.Int64
		out = append(out, s)
	}
	return out, rows.Err()
}
