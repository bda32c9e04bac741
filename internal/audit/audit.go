// Package audit keeps the append-only log of every state-changing action and
// of every read of a citizen's personal data by an official. Once sealed, each
// entry holds the hash of the one before, so that an edited, deleted or
// reordered entry breaks the chain; Verify names the first entry where it
// breaks. Entries are sealed within a second of being written.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
)

// Actions that are not tied to one domain.
const (
	ActionReadPersonal = "personal_data.read"
)

// Entry is one audit record. Seq, PrevHash and Hash are empty until the
// sealer has chained the entry.
type Entry struct {
	ID         int64     `json:"id"`
	Seq        int64     `json:"seq,omitempty"`
	At         time.Time `json:"at"`
	ActorID    string    `json:"actor_id"`
	AgencyID   string    `json:"agency_id"`
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type"`
	ObjectID   string    `json:"object_id"`
	// Detail is a JSON object; it never holds personal data in clear.
	Detail   string `json:"detail"`
	IP       string `json:"ip"`
	PrevHash string `json:"prev_hash,omitempty"`
	Hash     string `json:"hash,omitempty"`
}

// Event is what a service records; the log fills in the rest.
type Event struct {
	Action     string
	ObjectType string
	ObjectID   string
	// AgencyID is the agency the action was taken for; empty means the
	// actor's primary agency.
	AgencyID string
	Detail   map[string]any
}

// Log writes and checks the audit chain.
type Log struct {
	db  *db.DB
	now func() time.Time
}

// New returns the audit log stored in d.
func New(d *db.DB, now func() time.Time) *Log { return &Log{db: d, now: now} }

// Append records an event inside the caller's transaction, so that the action
// and its record commit together or not at all. The entry is chained later by
// Seal; Append takes no lock that other transactions wait for.
func (l *Log) Append(ctx context.Context, tx *db.Tx, a *actor.Actor, ev Event) error {
	detail := "{}"
	if len(ev.Detail) > 0 {
		b, err := json.Marshal(ev.Detail)
		if err != nil {
			return fmt.Errorf("audit detail: %w", err)
		}
		detail = string(b)
	}
	actorID, ip, agency := "anonymous", "", ev.AgencyID
	if a != nil {
		actorID, ip = a.UserID, a.IP
		if agency == "" {
			agency = a.PrimaryAgency()
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log (at, actor_id, agency_id, action, object_type, object_id, detail, ip)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, l.now(), actorID, agency, ev.Action, ev.ObjectType, ev.ObjectID, detail, ip); err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	return nil
}

// Record appends an event in a transaction of its own (for reads of personal
// data and other events with no state change of their own).
func (l *Log) Record(ctx context.Context, a *actor.Actor, ev Event) error {
	return l.db.Tx(ctx, func(tx *db.Tx) error { return l.Append(ctx, tx, a, ev) })
}

const sealBatch = 1000

// Seal chains the entries not yet chained, in the order of their IDs as far
// as they are visible (committed), and reports how many it sealed. Each
// entry gets the next sequence number and the hash of the one before. On
// PostgreSQL the chain's head row serialises concurrent sealers.
func (l *Log) Seal(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := l.sealBatch(ctx)
		total += n
		if err != nil || n < sealBatch {
			return total, err
		}
	}
}

func (l *Log) sealBatch(ctx context.Context) (int, error) {
	n := 0
	err := l.db.Tx(ctx, func(tx *db.Tx) error {
		lock := "SELECT seq, hash FROM audit_head WHERE id = 1"
		if tx.Engine() == db.Postgres {
			lock += " FOR UPDATE"
		}
		var seq int64
		var head string
		if err := tx.QueryRow(ctx, lock).Scan(&seq, &head); err != nil {
			return fmt.Errorf("read audit head: %w", err)
		}
		rows, err := tx.Query(ctx, fmt.Sprintf(`SELECT id, at, actor_id, agency_id, action, object_type, object_id, detail, ip
			FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT %d`, sealBatch))
		if err != nil {
			return fmt.Errorf("read unsealed entries: %w", err)
		}
		var batch []Entry
		for rows.Next() {
			var e Entry
			if err := rows.Scan(&e.ID, &e.At, &e.ActorID, &e.AgencyID, &e.Action, &e.ObjectType, &e.ObjectID, &e.Detail, &e.IP); err != nil {
				rows.Close()
				return fmt.Errorf("read unsealed entry: %w", err)
			}
			batch = append(batch, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read unsealed entries: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		for i := range batch {
			e := &batch[i]
			seq++
			e.Seq, e.PrevHash = seq, head
			e.Hash = e.computeHash()
			head = e.Hash
		}
		if err := writeSeals(ctx, tx, batch); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", seq, head); err != nil {
			return fmt.Errorf("advance audit head: %w", err)
		}
		n = len(batch)
		return nil
	})
	return n, err
}

// writeSeals stores the chain fields of a batch, a few hundred rows per
// statement.
func writeSeals(ctx context.Context, tx *db.Tx, batch []Entry) error {
	const chunk = 200
	for start := 0; start < len(batch); start += chunk {
		part := batch[start:min(start+chunk, len(batch))]
		var b strings.Builder
		args := make([]any, 0, 4*len(part))
		// A VALUES list joined by ID: PostgreSQL names its columns, SQLite
		// calls them column1… and cannot rename them.
		pg := tx.Engine() == db.Postgres
		if pg {
			b.WriteString("UPDATE audit_log SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash FROM (VALUES ")
		} else {
			b.WriteString("UPDATE audit_log SET seq = v.column2, prev_hash = v.column3, hash = v.column4 FROM (VALUES ")
		}
		for i, e := range part {
			if i > 0 {
				b.WriteByte(',')
			}
			if pg {
				b.WriteString("(?::bigint, ?::bigint, ?, ?)")
			} else {
				b.WriteString("(?, ?, ?, ?)")
			}
			args = append(args, e.ID, e.Seq, e.PrevHash, e.Hash)
		}
		if pg {
			b.WriteString(") AS v (id, seq, prev_hash, hash) WHERE audit_log.id = v.id")
		} else {
			b.WriteString(") AS v WHERE audit_log.id = v.column1")
		}
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("seal audit entries: %w", err)
		}
	}
	return nil
}

// RunSealer seals every interval until ctx ends, and once more at the end.
func (l *Log) RunSealer(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if _, err := l.Seal(context.WithoutCancel(ctx)); err != nil {
				log.Error("seal audit log", "err", err)
			}
			return
		case <-t.C:
			if _, err := l.Seal(ctx); err != nil && ctx.Err() == nil {
				log.Error("seal audit log", "err", err)
			}
		}
	}
}

// computeHash hashes the previous hash and every field, each length-prefixed
// so that no two different entries serialise alike.
func (e *Entry) computeHash() string {
	h := sha256.New()
	var n [8]byte
	put := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	binary.BigEndian.PutUint64(n[:], uint64(e.Seq))
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(e.ID))
	h.Write(n[:])
	put(e.PrevHash)
	put(e.At.UTC().Format(time.RFC3339Nano))
	put(e.ActorID)
	put(e.AgencyID)
	put(e.Action)
	put(e.ObjectType)
	put(e.ObjectID)
	put(e.Detail)
	put(e.IP)
	return hex.EncodeToString(h.Sum(nil))
}

// Problem describes where the chain breaks.
type Problem struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

// Report is the outcome of a verification.
type Report struct {
	Entries int64    `json:"entries"`
	Head    string   `json:"head"`
	Problem *Problem `json:"problem,omitempty"`
}

// Verify seals what is pending, then walks the whole chain and reports the
// first entry that was altered, deleted, inserted or moved.
func (l *Log) Verify(ctx context.Context) (Report, error) {
	var rep Report
	if _, err := l.Seal(ctx); err != nil {
		return rep, err
	}
	var headSeq int64
	var headHash string
	if err := l.db.QueryRow(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&headSeq, &headHash); err != nil {
		return rep, fmt.Errorf("read audit head: %w", err)
	}
	rows, err := l.db.Query(ctx, `SELECT id, seq, at, actor_id, agency_id, action, object_type, object_id, detail, ip, prev_hash, hash
		FROM audit_log WHERE seq IS NOT NULL ORDER BY seq`)
	if err != nil {
		return rep, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	var prev string
	var want int64 = 1
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.Seq, &e.At, &e.ActorID, &e.AgencyID, &e.Action, &e.ObjectType, &e.ObjectID, &e.Detail, &e.IP, &e.PrevHash, &e.Hash); err != nil {
			return rep, fmt.Errorf("read audit entry: %w", err)
		}
		switch {
		case e.Seq != want:
			rep.Problem = &Problem{Seq: want, Reason: fmt.Sprintf("mục %d bị thiếu (mục tiếp theo là %d)", want, e.Seq)}
		case e.PrevHash != prev:
			rep.Problem = &Problem{Seq: e.Seq, Reason: fmt.Sprintf("mục %d không nối tiếp mục %d (bị xóa, chèn hoặc đổi thứ tự)", e.Seq, e.Seq-1)}
		case e.computeHash() != e.Hash:
			rep.Problem = &Problem{Seq: e.Seq, Reason: fmt.Sprintf("nội dung mục %d đã bị sửa", e.Seq)}
		}
		if rep.Problem != nil {
			return rep, nil
		}
		prev = e.Hash
		want++
		rep.Entries++
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("read audit log: %w", err)
	}
	rep.Head = prev
	if headSeq != rep.Entries || headHash != prev {
		rep.Problem = &Problem{Seq: rep.Entries + 1, Reason: fmt.Sprintf("đầu chuỗi ghi mục %d nhưng nhật ký chỉ còn %d mục (các mục cuối bị xóa)", headSeq, rep.Entries)}
	}
	return rep, nil
}

// Filter selects audit entries.
type Filter struct {
	ActorID    string
	ObjectType string
	ObjectID   string
	Action     string
	// AgencyIDs limits the entries to these agencies; nil means all.
	AgencyIDs []string
	// Before is a cursor: only entries with a smaller ID.
	Before int64
	Limit  int
}

// List returns entries newest first. Officials who are not province-wide see
// only their agencies' entries.
func (l *Log) List(ctx context.Context, a *actor.Actor, f Filter) ([]Entry, error) {
	if a == nil || !a.IsOfficial() {
		return nil, actor.Deny(a, "Bạn không có quyền xem nhật ký.")
	}
	if !a.ProvinceWide() {
		f.AgencyIDs = a.AgencyIDs()
		if len(f.AgencyIDs) == 0 {
			return nil, nil
		}
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	q := `SELECT id, COALESCE(seq, 0), at, actor_id, agency_id, action, object_type, object_id, detail, ip, COALESCE(prev_hash, ''),
		COALESCE(hash, '') FROM audit_log WHERE 1=1`
	var args []any
	add := func(cond string, v any) { q += " AND " + cond; args = append(args, v) }
	if f.ActorID != "" {
		add("actor_id = ?", f.ActorID)
	}
	if f.ObjectType != "" {
		add("object_type = ?", f.ObjectType)
	}
	if f.ObjectID != "" {
		add("object_id = ?", f.ObjectID)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.Before > 0 {
		add("id < ?", f.Before)
	}
	if f.AgencyIDs != nil {
		q += " AND agency_id IN (" + db.Placeholders(len(f.AgencyIDs)) + ")"
		for _, id := range f.AgencyIDs {
			args = append(args, id)
		}
	}
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT %d", f.Limit)
	rows, err := l.db.Query(ctx, q, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list audit log")
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.Seq, &e.At, &e.ActorID, &e.AgencyID, &e.Action, &e.ObjectType, &e.ObjectID, &e.Detail, &e.IP, &e.PrevHash, &e.Hash); err != nil {
			return nil, apperr.Wrap(err, "scan audit entry")
		}
		out = append(out, e)
	}
	return out, apperr.Wrap(rows.Err(), "list audit log")
}
