package txlog

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/congso/congso/internal/db"
)

// Problem is where the chain breaks.
type Problem struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

// Checkpoint is a (seq, hash) pair published earlier, e.g. printed by a
// previous verification or copied into another system: a log rewritten
// wholesale from some entry on still verifies on its own, but no longer
// contains the checkpoint.
type Checkpoint struct {
	Seq  int64
	Hash string
}

// ParseCheckpoint reads "SEQ:HASH".
func ParseCheckpoint(s string) (Checkpoint, error) {
	a, b, ok := strings.Cut(s, ":")
	n, err := strconv.ParseInt(a, 10, 64)
	if !ok || err != nil || n < 1 || len(b) != 64 {
		return Checkpoint{}, fmt.Errorf("điểm kiểm tra %q phải có dạng SỐ_THỨ_TỰ:MÃ_BĂM (64 ký tự hex)", s)
	}
	return Checkpoint{Seq: n, Hash: strings.ToLower(b)}, nil
}

// Report is the outcome of a verification.
type Report struct {
	Entries int64    `json:"entries"`
	Head    string   `json:"head"`
	Problem *Problem `json:"problem,omitempty"`
}

// ErrBroken is returned by RunVerifyCLI when the chain is broken.
var ErrBroken = errors.New("transaction log chain is broken")

// Verify walks the whole chain in order and reports the first entry that
// was altered, deleted, inserted or moved, and a head that does not match
// the last entry (entries removed at the end). Checkpoints, if given, must
// be in the chain.
func Verify(ctx context.Context, d *db.DB, checkpoints ...Checkpoint) (Report, error) {
	var rep Report
	var headSeq int64
	var headHash string
	if err := d.QueryRow(ctx, "SELECT seq, hash FROM exchange_txlog_head WHERE id = 1").Scan(&headSeq, &headHash); err != nil {
		return rep, fmt.Errorf("read the log head: %w", err)
	}
	rows, err := d.Query(ctx, "SELECT "+entryColumns+" FROM exchange_txlog WHERE seq <= ? ORDER BY seq", headSeq)
	if err != nil {
		return rep, fmt.Errorf("read the transaction log: %w", err)
	}
	defer rows.Close()
	want := map[int64]string{}
	for _, c := range checkpoints {
		want[c.Seq] = c.Hash
	}
	h := sha256.New()
	var prev string
	var next int64 = 1
	for rows.Next() {
		var e Entry
		if err := scanEntry(rows, &e); err != nil {
			return rep, err
		}
		switch {
		case e.Seq != next:
			rep.Problem = &Problem{Seq: next, Reason: fmt.Sprintf("mục %d bị thiếu (mục tiếp theo là %d)", next, e.Seq)}
		case e.PrevHash != prev:
			rep.Problem = &Problem{Seq: e.Seq, Reason: fmt.Sprintf("mục %d không nối tiếp mục %d (bị xóa, chèn hoặc đổi thứ tự)", e.Seq, e.Seq-1)}
		case chain(h, e.PrevHash, e.Seq, e.digest(h)) != e.Hash:
			rep.Problem = &Problem{Seq: e.Seq, Reason: fmt.Sprintf("nội dung mục %d đã bị sửa", e.Seq)}
		}
		if c, ok := want[e.Seq]; ok && rep.Problem == nil && c != e.Hash {
			rep.Problem = &Problem{Seq: e.Seq, Reason: fmt.Sprintf("mục %d không khớp điểm kiểm tra đã công bố (nhật ký bị viết lại từ mục này trở về trước)", e.Seq)}
		}
		if rep.Problem != nil {
			return rep, nil
		}
		delete(want, e.Seq)
		prev = e.Hash
		next++
		rep.Entries++
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("read the transaction log: %w", err)
	}
	rep.Head = prev
	if headSeq != rep.Entries || headHash != prev {
		rep.Problem = &Problem{Seq: rep.Entries + 1, Reason: fmt.Sprintf("đầu chuỗi ghi mục %d nhưng nhật ký chỉ còn %d mục (các mục cuối bị xóa)", headSeq, rep.Entries)}
		return rep, nil
	}
	for seq := range want {
		rep.Problem = &Problem{Seq: seq, Reason: fmt.Sprintf("điểm kiểm tra mục %d nằm ngoài nhật ký (các mục cuối bị xóa)", seq)}
		return rep, nil
	}
	return rep, nil
}

// RunVerifyCLI is `congso exchange verify-log [--json] [--checkpoint SEQ:HASH]…`
// once the database is open: it prints the outcome and returns ErrBroken when
// the chain is broken (exit status 1).
func RunVerifyCLI(ctx context.Context, d *db.DB, args []string, stdout io.Writer) error {
	asJSON := false
	var cps []Checkpoint
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--json" || a == "-json":
			asJSON = true
		case (a == "--checkpoint" || a == "-checkpoint") && i+1 < len(args):
			i++
			c, err := ParseCheckpoint(args[i])
			if err != nil {
				return err
			}
			cps = append(cps, c)
		case strings.HasPrefix(a, "--checkpoint="):
			c, err := ParseCheckpoint(strings.TrimPrefix(a, "--checkpoint="))
			if err != nil {
				return err
			}
			cps = append(cps, c)
		default:
			return fmt.Errorf("tham số không hợp lệ %q; cách dùng: congso exchange verify-log [--json] [--checkpoint SỐ:MÃ_BĂM]", a)
		}
	}
	start := time.Now()
	rep, err := Verify(ctx, d, cps...)
	if err != nil {
		return err
	}
	switch {
	case asJSON:
		fmt.Fprintf(stdout, "%s\n", mustJSON(rep))
	case rep.Problem == nil:
		fmt.Fprintf(stdout, "Nhật ký giao dịch LGSP toàn vẹn: %d mục (kiểm tra trong %s). Điểm kiểm tra hiện tại: %d:%s\n",
			rep.Entries, time.Since(start).Round(time.Millisecond), rep.Entries, rep.Head)
	default:
		fmt.Fprintf(stdout, "PHÁT HIỆN SAI LỆCH tại mục %d: %s (%d mục trước đó hợp lệ)\n", rep.Problem.Seq, rep.Problem.Reason, rep.Entries)
	}
	if rep.Problem != nil {
		return ErrBroken
	}
	return nil
}
