package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/congso/congso/internal/app"
	"github.com/congso/congso/internal/db"
)

// cli runs the command line against the server's database.
func (s *server) cli(stdin string, args ...string) (int, string, string) {
	s.t.Helper()
	if s.App.DB.Engine() == db.SQLite {
		args = append(args[:len(args):len(args)], "--data", s.Data)
		// Flags come before positional arguments.
		if len(args) > 0 && args[0] == "backup" {
			args = append([]string{"backup", "--data", s.Data}, args[1:len(args)-2]...)
		}
	}
	var out, errb bytes.Buffer
	code := app.Main(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// cliEnv points the command line at the server's PostgreSQL schema.
func cliEnv(t *testing.T, s *server, engine db.Engine) {
	if engine == db.Postgres {
		t.Setenv("CONGSO_DATABASE_URL", s.dbURL())
	}
}

func (s *server) dbURL() string { return s.App.Config().DatabaseURL }

func TestAuditVerifyCatchesAnEditedRow(t *testing.T) {
	each(t, func(t *testing.T, engine db.Engine) {
		s := start(t, engine)
		cliEnv(t, s, engine)
		code, out, errOut := s.cli("", "audit", "verify")
		if code != 0 || !strings.Contains(out, "toàn vẹn") {
			t.Fatalf("intact log: exit %d, %q %q", code, out, errOut)
		}
		// Someone with database access rewrites history.
		if _, err := s.App.DB.Exec(context.Background(), "UPDATE audit_log SET actor_id = 'khong-ai' WHERE seq = 7"); err != nil {
			t.Fatal(err)
		}
		code, out, _ = s.cli("", "audit", "verify")
		if code != 1 || !strings.Contains(out, "mục 7") || !strings.Contains(out, "bị sửa") {
			t.Fatalf("edited log: exit %d, %q", code, out)
		}
		code, out, _ = s.cli("", "audit", "verify", "--json")
		var rep struct {
			Problem struct{ Seq int } `json:"problem"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || rep.Problem.Seq != 7 {
			t.Fatalf("--json: exit %d, %q", code, out)
		}
	})
}

func TestUserAndTokenCommands(t *testing.T) {
	each(t, func(t *testing.T, engine db.Engine) {
		s := start(t, engine)
		cliEnv(t, s, engine)
		code, out, errOut := s.cli("mat-khau-2026-moi\n", "user", "create", "--username", "lanhdao.sxd", "--name", "Phan Văn Lãnh Đạo",
			"--role", "head@000.00.06.H25", "--role", "observer", "--password-stdin")
		if code != 0 {
			t.Fatalf("user create: exit %d %q %q", code, out, errOut)
		}
		b := s.browser()
		res, err := b.PostForm(s.URL+"/login", map[string][]string{"login": {"lanhdao.sxd"}, "password": {"mat-khau-2026-moi"}})
		if err != nil || res.StatusCode != http.StatusSeeOther {
			t.Fatalf("the new official cannot sign in: %v %v", res.StatusCode, err)
		}
		res.Body.Close()
		// Bad input gets a clear message and writes nothing.
		code, _, errOut = s.cli("", "user", "create", "--username", "X", "--name", "")
		if code != 1 || !strings.Contains(errOut, "Tên đăng nhập") {
			t.Fatalf("bad user create: exit %d %q", code, errOut)
		}
		code, _, errOut = s.cli("", "user", "create", "--username", "ai.do", "--name", "Ai Đó", "--role", "head@000.00.99.H25")
		if code != 1 || !strings.Contains(errOut, "Không tìm thấy cơ quan") {
			t.Fatalf("role in unknown agency: exit %d %q", code, errOut)
		}
		code, out, _ = s.cli("", "user", "list", "--json")
		var users []struct{ Username string }
		if err := json.Unmarshal([]byte(out), &users); err != nil || code != 0 {
			t.Fatalf("user list --json: %d %v", code, err)
		}
		names := map[string]bool{}
		for _, u := range users {
			names[u.Username] = true
		}
		if !names["lanhdao.sxd"] || names["ai.do"] {
			t.Fatalf("user list: %v", names)
		}
		code, out, _ = s.cli("", "token", "create", "--user", "lanhdao.sxd", "--name", "báo cáo")
		token := strings.TrimSpace(out)
		if code != 0 || !strings.HasPrefix(token, "cst_") {
			t.Fatalf("token create: %d %q", code, out)
		}
		me := s.do("GET", "/api/v1/me", token, "", "")
		if me.Status != http.StatusOK || !strings.Contains(me.Body, "lanhdao.sxd") || !strings.Contains(me.Body, "observer") {
			t.Fatalf("token does not work: %d %s", me.Status, me.Body)
		}
		// Revoked through the API, the token stops working at once.
		var toks struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		var meBody struct {
			User struct {
				ID string `json:"id"`
			} `json:"user"`
		}
		me.json(t, &meBody)
		s.do("GET", "/api/v1/users/"+meBody.User.ID+"/tokens", token, "", "").json(t, &toks)
		if len(toks.Items) != 1 {
			t.Fatalf("tokens: %+v", toks)
		}
		if r := s.do("POST", "/api/v1/tokens/"+toks.Items[0].ID+"/revoke", token, "", ""); r.Status != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		if r := s.do("GET", "/api/v1/me", token, "", ""); r.Status != http.StatusUnauthorized {
			t.Fatalf("revoked token still works: %d", r.Status)
		}
	})
}

func TestBackupWhileServing(t *testing.T) {
	s := start(t, db.SQLite)
	// Writes keep coming while the backup runs.
	admin := s.token("admin")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 20; i++ {
			s.do("POST", "/api/v1/users", admin, "application/json",
				`{"kind":"official","username":"cb`+string(rune('a'+i))+`.backup","display_name":"Cán bộ","password":"matkhau12345"}`)
		}
	}()
	file := filepath.Join(t.TempDir(), "congso-backup.db")
	code, out, errOut := s.cli("", "backup", file)
	wg.Wait()
	if code != 0 || !strings.Contains(out, "Đã sao lưu") {
		t.Fatalf("backup: %d %q %q", code, out, errOut)
	}
	copyDB, err := sql.Open("sqlite", "file:"+file+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	var n int
	if err := copyDB.QueryRow("SELECT COUNT(*) FROM users WHERE username = 'admin'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("backup lacks the data: %d %v", n, err)
	}
	// A second backup to the same file is refused rather than overwriting it.
	if code, _, errOut := s.cli("", "backup", file); code != 1 || !strings.Contains(errOut, "đã tồn tại") {
		t.Fatalf("overwrite: %d %q", code, errOut)
	}
}
