package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/bench"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/identity/oidctest"
	"github.com/congso/congso/internal/natsync/hubsim"
	"github.com/congso/congso/internal/natsync/syncbench"
	"github.com/congso/congso/internal/popdb/popsim"
)

// Main runs the command line and returns the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, err := DefaultConfig(os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "congso:", err)
		return 2
	}
	cmd, rest := "serve", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, rest = args[0], args[1:]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch cmd {
	case "serve":
		err = serve(ctx, cfg, rest, stdout, stderr)
	case "migrate":
		err = withApp(ctx, cfg, rest, stderr, func(a *App, _ []string) error {
			fmt.Fprintf(stdout, "Cơ sở dữ liệu (%s, %s) đã ở phiên bản mới nhất.\n", a.DB.Engine(), a.DB.Location())
			return nil
		})
	case "user":
		err = userCommand(ctx, cfg, rest, stdin, stdout, stderr)
	case "token":
		err = tokenCommand(ctx, cfg, rest, stdout, stderr)
	case "audit":
		err = auditCommand(ctx, cfg, rest, stdout, stderr)
	case "exchange":
		err = exchangeCommand(ctx, cfg, rest, stdout, stderr)
	case "backup":
		err = backupCommand(ctx, cfg, rest, stdout, stderr)
	case "calendar":
		err = calendar.RunCLI(rest, stdout)
	case "bench":
		err = benchCommand(ctx, rest, stdout, stderr)
	case "plan":
		err = planCommand(ctx, cfg, rest, stdout, stderr)
	case "sim":
		err = simCommand(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "congso: lệnh không hợp lệ %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		var exit exitError
		if errors.As(err, &exit) {
			return int(exit)
		}
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "congso:", describe(err))
		}
		return 1
	}
	return 0
}

// exitError ends the command with a status after it has said why.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit %d", int(e)) }

func describe(err error) string {
	if fields := apperr.FieldsOf(err); len(fields) > 1 {
		var parts []string
		for k, v := range fields {
			parts = append(parts, k+": "+v)
		}
		return apperr.MessageOf(err) + " " + strings.Join(parts, "; ")
	}
	if apperr.CodeOf(err) != apperr.Internal {
		return apperr.MessageOf(err)
	}
	return err.Error()
}

const usage = `congso — nền tảng chính quyền số của tỉnh

Cách dùng:
  congso [serve] [--addr HOST:PORT] [--data DIR] [--demo=true|false]
  congso migrate [--data DIR]
  congso user create --username TÊN --name "Họ tên" [--kind official|citizen|organisation|machine]
                     [--role VAI_TRÒ[@MÃ_CƠ_QUAN]]... [--email E] [--phone P] [--citizen-id SỐ] [--org-code MÃ]
                     [--password-stdin]
  congso user list [--kind LOẠI] [--json]
  congso token create --user TÊN [--name NHÃN] [--days N]
  congso audit verify [--json]
  congso exchange verify-log [--json] [--checkpoint SỐ:MÃ_BĂM]…   kiểm tra nhật ký giao dịch LGSP
  congso exchange dead-letters --topic MÃ [--json]                 thư chết của một chủ đề (trao đổi bất đồng bộ)
  congso exchange replay --topic MÃ [--subscription ID] [--delivery ID]…   gửi lại thư chết
  congso backup TỆP
  congso calendar lunar YYYY-MM-DD | add YYYY-MM-DD N | holidays NĂM [--json]
  congso bench foundation [--runs N] [--duration 5s] [--concurrency 32]
  congso bench dossiers [--engines sqlite,postgres] [--officers 64] [--duration 10s] [--crash=true]
  congso sim idp [--addr HOST:PORT] [--client-id ID] [--client-secret S] [--failure KIỂU]
  congso sim national-portal [cờ…]    mô phỏng Cổng Dịch vụ công quốc gia (nhận đồng bộ, lỗi giả lập)
  congso sim population [cờ…]         mô phỏng CSDL quốc gia về dân cư
  congso bench gateway [--engine sqlite|postgres] [--concurrency 32] [--duration 5s] [--log-mode strict|async]
  congso bench seed --dossiers N [--database URL]   tạo dữ liệu một tỉnh cho bảng điểm 766
  congso bench scorecard [--database URL]           đo bảng điểm 766 so với tính lại từ đầu
  congso bench sync [cờ…]             tốc độ đồng bộ lên cổng quốc gia sau khi cổng mất kết nối
  congso bench portal [--engine sqlite|postgres] [--concurrency 64] [--duration 5s]  trang công khai của cổng dịch vụ công

Cấu hình qua biến môi trường CONGSO_* (xem README).
`

func serve(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) error {
	if err := serveFlags(&cfg, args, stderr); err != nil {
		return err
	}
	start := time.Now()
	a, err := New(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Listen(); err != nil {
		return err
	}
	a.log.Info("ready", "addr", a.Addr(), "engine", a.DB.Engine(), "demo", cfg.Demo, "startup_ms", time.Since(start).Milliseconds())
	fmt.Fprintf(stdout, "Cổng số đang chạy tại http://%s/ (cơ sở dữ liệu %s: %s)\n", a.Addr(), a.DB.Engine(), a.DB.Location())
	if cfg.Demo {
		fmt.Fprintf(stdout, "Bản trình diễn: đăng nhập với mật khẩu %q, ví dụ tiepnhan (cán bộ tiếp nhận), 042090001234 (người dân), admin (quản trị, phải thiết lập xác thực hai lớp).\n", DemoPassword)
	} else {
		var users int
		if err := a.DB.QueryRow(ctx, "SELECT COUNT(*) FROM users").Scan(&users); err == nil && users == 0 {
			fmt.Fprintln(stdout, "Chưa có tài khoản nào: tạo quản trị đầu tiên bằng `congso user create --username admin --name \"Họ tên\" --role province_admin`.")
		}
	}
	return a.Run(ctx)
}

// withApp opens the platform without demo data or HTTP for a command-line
// tool, after parsing the common --data flag.
func withApp(ctx context.Context, cfg Config, args []string, stderr io.Writer, fn func(*App, []string) error) error {
	fs := flag.NewFlagSet("congso", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "folder of the embedded database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.Demo = false
	cfg.LogLevel = 8 // quiet: commands print their own results
	a, err := New(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a, fs.Args())
}

type roleFlag []string

func (r *roleFlag) String() string     { return strings.Join(*r, ",") }
func (r *roleFlag) Set(v string) error { *r = append(*r, v); return nil }

// temporaryPassword always holds letters and digits, as the password rules
// require; a random base32 ID alone has no digit about once in thirty.
func temporaryPassword() string {
	id := db.NewID()
	return "Cs-" + id[:8] + "-" + strconv.Itoa(10+int(id[8])%90) + "-" + id[9:]
}

func userCommand(ctx context.Context, cfg Config, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("thiếu lệnh con: user create | user list")
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "folder of the embedded database")
	switch sub {
	case "create":
		var in identity.NewUser
		var kind string
		var roles roleFlag
		var fromStdin bool
		fs.StringVar(&in.Username, "username", "", "login name")
		fs.StringVar(&in.DisplayName, "name", "", "full name")
		fs.StringVar(&kind, "kind", "official", "official, citizen, organisation or machine")
		fs.StringVar(&in.Email, "email", "", "e-mail")
		fs.StringVar(&in.Phone, "phone", "", "phone")
		fs.StringVar(&in.CitizenID, "citizen-id", "", "12-digit citizen ID number")
		fs.StringVar(&in.OrgCode, "org-code", "", "enterprise or tax code")
		fs.StringVar(&in.BirthDate, "birth-date", "", "YYYY-MM-DD")
		fs.Var(&roles, "role", "ROLE or ROLE@AGENCY_CODE; repeatable")
		fs.BoolVar(&fromStdin, "password-stdin", false, "read the password from standard input")
		if err := fs.Parse(args); err != nil {
			return err
		}
		in.Kind = actor.Kind(kind)
		generated := false
		if in.Kind != actor.Machine {
			if fromStdin {
				line, err := bufio.NewReader(stdin).ReadString('\n')
				if err != nil && !errors.Is(err, io.EOF) {
					return fmt.Errorf("đọc mật khẩu: %w", err)
				}
				in.Password = strings.TrimRight(line, "\r\n")
			} else {
				in.Password = temporaryPassword()
				generated = true
			}
		}
		return withApp(ctx, cfg, []string{"--data", cfg.DataDir}, stderr, func(a *App, _ []string) error {
			sys := actor.SystemActor("cli")
			var u identity.User
			err := a.DB.Tx(ctx, func(tx *db.Tx) error {
				var err error
				if u, err = a.Identity.CreateUser(ctx, tx, sys, in); err != nil {
					return err
				}
				for _, r := range roles {
					role, code, _ := strings.Cut(r, "@")
					agencyID := ""
					if code != "" {
						ag, err := a.Org.AgencyByCodeTx(ctx, tx, code)
						if err != nil {
							return fmt.Errorf("vai trò %s: %w", r, err)
						}
						agencyID = ag.ID
					}
					if err := a.Org.GrantTx(ctx, tx, sys, u.ID, agencyID, actor.Role(role)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Đã tạo tài khoản %s (%s).\n", u.Username, u.Kind)
			if generated {
				fmt.Fprintf(stdout, "Mật khẩu tạm thời (chỉ hiện một lần, hãy đổi sau khi đăng nhập): %s\n", in.Password)
			}
			return nil
		})
	case "list":
		var asJSON bool
		var kind string
		fs.BoolVar(&asJSON, "json", false, "print JSON")
		fs.StringVar(&kind, "kind", "", "only this kind of account")
		if err := fs.Parse(args); err != nil {
			return err
		}
		return withApp(ctx, cfg, []string{"--data", cfg.DataDir}, stderr, func(a *App, _ []string) error {
			var all []identity.User
			for after := ""; ; {
				page, err := a.Identity.List(ctx, actor.SystemActor("cli"), identity.ListFilter{Kind: actor.Kind(kind), After: after, Limit: 200})
				if err != nil {
					return err
				}
				all = append(all, page...)
				if len(page) < 200 {
					break
				}
				after = page[len(page)-1].ID
			}
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				if all == nil {
					all = []identity.User{}
				}
				return enc.Encode(all)
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TÊN ĐĂNG NHẬP\tLOẠI\tHỌ TÊN\tTRẠNG THÁI")
			for _, u := range all {
				state := "hoạt động"
				if u.Disabled {
					state = "vô hiệu hóa"
				} else if u.Locked {
					state = "tạm khóa"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Username, u.Kind, u.DisplayName, state)
			}
			return tw.Flush()
		})
	}
	return fmt.Errorf("lệnh con không hợp lệ: user %s", sub)
}

func tokenCommand(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("cách dùng: congso token create --user TÊN [--name NHÃN] [--days N]")
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var username, name string
	var days int
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "folder of the embedded database")
	fs.StringVar(&username, "user", "", "account the token acts for")
	fs.StringVar(&name, "name", "dòng lệnh", "what the token is for")
	fs.IntVar(&days, "days", 0, "days until it expires (0: never)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if username == "" {
		return errors.New("thiếu --user")
	}
	if days < 0 {
		return errors.New("--days phải không âm")
	}
	return withApp(ctx, cfg, []string{"--data", cfg.DataDir}, stderr, func(a *App, _ []string) error {
		u, err := a.Identity.UserByUsername(ctx, username)
		if err != nil {
			return err
		}
		secret, t, err := a.Identity.CreateToken(ctx, actor.SystemActor("cli"), u.ID, name, time.Duration(days)*24*time.Hour)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Mã truy cập %s cho %s (chỉ hiện một lần):\n", t.ID, u.Username)
		fmt.Fprintln(stdout, secret)
		return nil
	})
}

func auditCommand(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("cách dùng: congso audit verify [--json]")
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var asJSON bool
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "folder of the embedded database")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	return withApp(ctx, cfg, []string{"--data", cfg.DataDir}, stderr, func(a *App, _ []string) error {
		rep, err := a.Audit.Verify(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			_ = json.NewEncoder(stdout).Encode(rep)
		} else if rep.Problem == nil {
			fmt.Fprintf(stdout, "Nhật ký toàn vẹn: %d mục, mã băm đầu chuỗi %s\n", rep.Entries, rep.Head)
		} else {
			fmt.Fprintf(stdout, "PHÁT HIỆN SAI LỆCH tại mục %d: %s (%d mục trước đó hợp lệ)\n", rep.Problem.Seq, rep.Problem.Reason, rep.Entries)
		}
		if rep.Problem != nil {
			return exitError(1)
		}
		return nil
	})
}

func backupCommand(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "folder of the embedded database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("cách dùng: congso backup TỆP")
	}
	file := fs.Arg(0)
	if _, err := os.Stat(file); err == nil {
		return fmt.Errorf("tệp %s đã tồn tại; hãy chọn tên khác", file)
	}
	d, err := db.Open(ctx, cfg.DatabaseURL, cfg.DataDir, db.Options{MaxConns: 2})
	if err != nil {
		return err
	}
	defer d.Close()
	start := time.Now()
	switch d.Engine() {
	case db.SQLite:
		// VACUUM INTO copies a consistent snapshot while the server keeps
		// serving: it is a read transaction under WAL.
		if err := d.Backup(ctx, file); err != nil {
			return err
		}
	default:
		cmd := exec.CommandContext(ctx, "pg_dump", "--format=custom", "--file="+file, "--dbname="+cfg.DatabaseURL)
		cmd.Stderr = stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("pg_dump: %w (cần cài đặt công cụ pg_dump của PostgreSQL)", err)
		}
	}
	info, err := os.Stat(file)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Đã sao lưu %s vào %s (%d byte, %s).\n", d.Engine(), file, info.Size(), time.Since(start).Round(time.Millisecond))
	return nil
}

func benchCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if len(args) > 0 && (args[0] == "seed" || args[0] == "scorecard") {
		return scorecardBenchCommand(ctx, args, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "sync" {
		return syncbench.Command(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "portal" {
		return benchPortal(ctx, exe, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "gateway" {
		return bench.GatewayCommand(ctx, exe, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "dossiers" {
		o := bench.DossierOptions{Binary: exe}
		fs := flag.NewFlagSet("bench dossiers", flag.ContinueOnError)
		fs.SetOutput(stderr)
		engines := fs.String("engines", "sqlite,postgres", "engines to measure")
		fs.StringVar(&o.PostgresURL, "postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server where the bench may create a database")
		fs.IntVar(&o.Officers, "officers", 64, "receiving officers working at once")
		fs.DurationVar(&o.Duration, "duration", 10*time.Second, "length of the measured load")
		fs.BoolVar(&o.Crash, "crash", true, "also kill the server with SIGKILL under load and check what it acknowledged")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		o.Engines = strings.Split(*engines, ",")
		if o.Officers < 1 || o.Duration <= 0 {
			return errors.New("--officers and --duration must be positive")
		}
		return bench.Dossiers(ctx, o, stdout)
	}
	if len(args) == 0 || args[0] != "foundation" {
		return errors.New("cách dùng: congso bench foundation|dossiers|gateway|portal|sync [cờ…]")
	}
	o := bench.FoundationOptions{Login: "tiepnhan", Password: DemoPassword}
	fs := flag.NewFlagSet("bench foundation", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.Runs, "runs", 5, "start-ups to time")
	fs.DurationVar(&o.Duration, "duration", 5*time.Second, "length of each load phase")
	fs.IntVar(&o.Concurrency, "concurrency", 32, "concurrent clients")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if o.Runs < 1 || o.Concurrency < 1 || o.Duration <= 0 {
		return errors.New("--runs, --concurrency and --duration must be positive")
	}
	o.Binary = exe
	return bench.Foundation(ctx, o, stdout)
}

// simCommand runs a simulator of an outside system for the demo and for
// manual tests; today the identity provider (a VNeID-style provider with the
// demo citizens, and the province's single sign-on with demo officials).
func simCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "national-portal":
			return hubsim.Command(ctx, args[1:], stdout, stderr)
		case "population":
			return popsim.Command(ctx, args[1:], stdout, stderr)
		}
	}
	if len(args) == 0 || args[0] != "idp" {
		return errors.New("cách dùng: congso sim idp|national-portal|population [cờ…]")
	}
	fs := flag.NewFlagSet("sim idp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8090", "address to listen on")
	clientID := fs.String("client-id", "congso", "client ID the platform uses")
	secret := fs.String("client-secret", "congso-demo-secret", "client secret the platform uses")
	failure := fs.String("failure", "", "failure to inject: "+strings.Join(failureNames(), ", "))
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	f, err := oidctest.ParseFailure(*failure)
	if err != nil {
		return err
	}
	users := append(oidctest.DemoCitizens(), oidctest.DemoOfficials()...)
	fmt.Fprintf(stdout, "Nhà cung cấp định danh mô phỏng tại http://%s (client %s). Cấu hình Cổng số: CONGSO_OIDC_ISSUER=http://%s CONGSO_OIDC_CLIENT_ID=%s CONGSO_OIDC_CLIENT_SECRET=%s\n",
		*addr, *clientID, *addr, *clientID, *secret)
	return oidctest.Serve(ctx, *addr, oidctest.Options{Issuer: "http://" + *addr, Users: users, Chooser: true, Failure: f,
		Clients: []oidctest.Client{{ID: *clientID, Secret: *secret}}})
}

func failureNames() []string {
	var out []string
	for _, f := range oidctest.Failures() {
		out = append(out, string(f))
	}
	return out
}
