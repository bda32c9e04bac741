// Package e2e drives the real platform through a real browser: congso runs
// in-process on a free port with the demo province, and headless Chromium
// (through chromedp) signs in, fills forms and follows links as a user would.
//
// The tests skip themselves when Chromium is not installed (they fail
// instead when CONGSO_TEST_REQUIRE_ALL is set, as in CI; CONGSO_CHROMIUM names
// the browser), and run once more on PostgreSQL when CONGSO_TEST_DATABASE_URL
// is set.
package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"

	"github.com/congso/congso/internal/identity"
)

const (
	msgBadLogin = "Tên đăng nhập hoặc mật khẩu không đúng."
	msgLocked   = "Tài khoản tạm khóa do đăng nhập sai nhiều lần."
	msgUsedCode = "Mã xác thực không đúng hoặc đã được dùng."
)

// signIn fills the sign-in form and submits it; it returns the HTTP status of
// the page the browser lands on.
func signIn(tb *tab, login, password string) int64 {
	tb.t.Helper()
	if !strings.HasPrefix(tb.path(), "/login") || !tb.exists(`form[action="/login"]`) {
		tb.wantStatus("open the sign-in page", tb.open("/login"), 200)
	}
	tb.fill("#login", login)
	tb.fill("#password", password)
	return tb.click(`form[action="/login"] button[type=submit]`)
}

// wantSignedOut checks what a user sees when nobody is signed in: the header
// offers to sign in, and there is no session cookie.
func wantSignedOut(tb *tab) {
	tb.t.Helper()
	if tb.exists(`.site-header form[action="/logout"]`) || !tb.exists(`.site-header a[href="/login"]`) {
		tb.fatalf("the header does not look signed out")
	}
	if c := tb.cookie("congso_session"); c != "" {
		tb.fatalf("the browser holds a session cookie")
	}
}

// enrolTOTP completes the two-step enrolment page the browser is on, as a
// user with an authenticator app would, and returns the secret, the code
// used and when.
func enrolTOTP(tb *tab) (secret, code string, at time.Time) {
	tb.t.Helper()
	secret = tb.text("#totp-secret")
	at = time.Now()
	code, err := identity.TOTPCode(secret, at)
	if err != nil {
		tb.fatalf("secret %q: %v", secret, err)
	}
	tb.fill("#code", code)
	tb.wantStatus("activate two-step verification", tb.click(`form[action="/login/enrol"] button[type=submit]`), 200)
	return secret, code, at
}

// signInAdmin signs the province admin in for the first time, through the
// compulsory two-step enrolment.
func signInAdmin(tb *tab) {
	tb.t.Helper()
	tb.wantStatus("sign in", signIn(tb, "admin", demoPassword), 200)
	tb.wantPath("/login/enrol?next=%2F")
	enrolTOTP(tb)
	tb.wantPath("/")
	tb.wantText(".site-header .who", "Nguyễn Quản Trị")
}

// TestHomeLanguageAndKeyboard: the home page speaks Vietnamese, switches to
// English and back, and can be used with the keyboard alone.
func TestHomeLanguageAndKeyboard(t *testing.T) {
	chromiumPath(t)
	t.Parallel()
	eachEngine(t, func(t *testing.T, p *platform) {
		b := newBrowser(t, p.URL)
		tb := b.main

		tb.wantStatus("open the home page", tb.open("/"), 200)
		if got := tb.attr("html", "lang"); got != "vi" {
			tb.fatalf(`<html lang=%q>, want "vi"`, got)
		}
		if got := tb.text("h1"); got != "Chào mừng đến Cổng số" {
			tb.fatalf("heading %q", got)
		}
		if got := js[string](tb, "document.title"); got != "Trang chủ — Cổng số" {
			tb.fatalf("title %q", got)
		}
		// The page's scripts run here (the no-script test relies on telling the difference).
		if !js[bool](tb, "typeof window.htmx === 'object'") {
			tb.fatalf("htmx did not load")
		}

		// To English and back, with the link in the header.
		tb.wantText(`.header-tools a[href^="/lang/"]`, "English")
		tb.wantStatus("switch to English", tb.click(`.header-tools a[href^="/lang/en"]`), 200)
		tb.wantPath("/")
		if got := tb.attr("html", "lang"); got != "en" {
			tb.fatalf(`after the switch <html lang=%q>, want "en"`, got)
		}
		tb.wantText("h1", "Welcome to Cổng số")
		tb.wantText(".site-header nav", "Home")
		tb.wantText(`.header-tools a[href^="/lang/vi"]`, "Tiếng Việt")
		tb.wantStatus("switch back", tb.click(`.header-tools a[href^="/lang/vi"]`), 200)
		if got := tb.attr("html", "lang"); got != "vi" {
			tb.fatalf(`after switching back <html lang=%q>, want "vi"`, got)
		}
		tb.wantText("h1", "Chào mừng đến Cổng số")

		// The language sticks: the sign-in page is in English after the switch.
		tb.click(`.header-tools a[href^="/lang/en"]`)
		tb.open("/login")
		tb.wantText("h1", "Sign in")
		tb.wantText(`label[for="login"]`, "Username, citizen ID number or enterprise code")
		tb.click(`.header-tools a[href^="/lang/vi"]`)
		tb.wantPath("/login")
		tb.wantText("h1", "Đăng nhập")

		// Keyboard: the first Tab reaches the skip link, which then shows on
		// screen; Enter moves the focus to the main content, and the next Tab
		// stays inside it.
		tb.open("/")
		tb.press(kb.Tab)
		tb.waitJS(`document.activeElement && document.activeElement.matches("a.skip")`)
		tb.wantText("a.skip", "Bỏ qua, đến nội dung chính")
		if !js[bool](tb, `(() => { const r = document.activeElement.getBoundingClientRect();
			return r.left >= 0 && r.top >= 0 && r.width > 0 && r.right <= innerWidth; })()`) {
			tb.fatalf("the focused skip link is off screen")
		}
		tb.press(kb.Enter)
		tb.waitJS(`document.activeElement && document.activeElement.id === "main"`)
		tb.press(kb.Tab)
		tb.waitJS(`document.activeElement !== document.getElementById("main") && document.getElementById("main").contains(document.activeElement)`)
		if got := js[string](tb, "document.activeElement.textContent.trim()"); got != "Đăng nhập" {
			tb.fatalf("after skipping, Tab went to %q, want the first link of the content (Đăng nhập)", got)
		}
		// Everything focusable has a visible focus ring.
		if got := js[string](tb, "getComputedStyle(document.activeElement).outlineStyle"); got == "none" {
			tb.fatalf("the focused link has no outline")
		}
	})
}

// TestOfficialRolesAndAPIToken: an official signs in, sees their roles with
// their agencies, creates an API token that another system can use, and
// revokes it.
func TestOfficialRolesAndAPIToken(t *testing.T) {
	chromiumPath(t)
	t.Parallel()
	eachEngine(t, func(t *testing.T, p *platform) {
		b := newBrowser(t, p.URL)
		tb := b.main

		tb.wantStatus("sign in", signIn(tb, "tiepnhan", demoPassword), 200)
		tb.wantPath("/")
		tb.wantText("h1", "Xin chào, Lê Thị Tiếp Nhận")
		tb.wantText(".site-header .who", "Lê Thị Tiếp Nhận")
		tb.wantText(`section[aria-labelledby="roles-h"]`, "Vai trò của bạn", "Công chức tiếp nhận",
			"Trung tâm Phục vụ hành chính công tỉnh", "Sở Tư pháp")
		if n := tb.count(`section[aria-labelledby="roles-h"] li`); n != 2 {
			tb.fatalf("%d roles listed, want 2", n)
		}

		tb.wantStatus("open the account page", tb.click(`.site-header nav a[href="/account"]`), 200)
		tb.wantPath("/account")
		tb.wantText("h1", "Tài khoản của tôi")
		if got := tb.attr(`.site-header nav a[href="/account"]`, "aria-current"); got != "page" {
			tb.fatalf(`the nav link of the current page has aria-current=%q, want "page"`, got)
		}

		const name = "Hệ thống một cửa thử nghiệm"
		tb.fill("#token-name", name)
		tb.wantStatus("create a token", tb.click(`form[action="/account/tokens"] button[type=submit]`), 200)
		tb.wantText(".token-once", "Đây là lần duy nhất mã được hiển thị.")
		secret := tb.text("#new-token")
		if len(secret) < 20 || strings.ContainsAny(secret, " \n") {
			tb.fatalf("the new token %q does not look like a secret", secret)
		}
		tb.wantText(`section[aria-labelledby="tok-h"] tbody`, name, "Đang dùng", "Chưa dùng")

		// Another system uses the token.
		status, me := p.apiGet(t, "/api/v1/me", secret)
		if status != 200 {
			t.Fatalf("GET /api/v1/me with the new token: status %d %v", status, me)
		}
		user, _ := me["user"].(map[string]any)
		if user["username"] != "tiepnhan" || user["display_name"] != "Lê Thị Tiếp Nhận" {
			t.Fatalf("GET /api/v1/me answered for %v", user)
		}
		if agencies, _ := me["agencies"].(map[string]any); len(agencies) != 2 {
			t.Fatalf("GET /api/v1/me: roles in %d agencies, want 2: %v", len(agencies), me["agencies"])
		}

		// The secret is shown once: the account page no longer has it, and
		// the token's use shows.
		tb.open("/account")
		if tb.exists("#new-token") || strings.Contains(tb.html(), secret) {
			tb.fatalf("the account page shows the token's secret again")
		}
		tb.wantText(`section[aria-labelledby="tok-h"] tbody`, name, "Đang dùng")
		if strings.Contains(tb.text(`section[aria-labelledby="tok-h"] tbody`), "Chưa dùng") {
			tb.fatalf("the token's use is not shown")
		}

		tb.wantStatus("revoke the token", tb.click(`section[aria-labelledby="tok-h"] form[action$="/revoke"] button`), 200)
		tb.wantPath("/account")
		tb.wantText(".flash", "Đã thu hồi mã truy cập.")
		tb.wantText(`section[aria-labelledby="tok-h"] tbody`, name, "Đã thu hồi")
		if tb.exists(`section[aria-labelledby="tok-h"] form[action$="/revoke"]`) {
			tb.fatalf("a revoked token can still be revoked")
		}
		status, body := p.apiGet(t, "/api/v1/me", secret)
		if status != 401 {
			t.Fatalf("GET /api/v1/me with the revoked token: status %d %v, want 401", status, body)
		}
		// The flash message is shown once.
		tb.open("/account")
		if tb.exists(".flash") {
			tb.fatalf("the flash message is shown again: %q", tb.text(".flash"))
		}
	})
}

// TestCitizenSignIn: a citizen signs in with their ID number; a wrong
// password is refused in Vietnamese and leaves no session.
func TestCitizenSignIn(t *testing.T) {
	chromiumPath(t)
	t.Parallel()
	eachEngine(t, func(t *testing.T, p *platform) {
		b := newBrowser(t, p.URL)
		tb := b.main

		tb.wantStatus("sign in with a wrong password", signIn(tb, "042090001234", "sai-mat-khau-2026"), 401)
		tb.wantPath("/login")
		tb.wantText(`.error-box[role="alert"]`, msgBadLogin)
		if got := tb.value("#login"); got != "042090001234" {
			tb.fatalf("the login field was not kept after the error: %q", got)
		}
		if got := tb.value("#password"); got != "" {
			tb.fatalf("the password field was sent back to the browser: %q", got)
		}
		wantSignedOut(tb)
		tb.open("/account")
		tb.wantPath("/login?next=%2Faccount")

		// The right password, from the page the account link led to: the
		// citizen comes back to their account.
		tb.wantStatus("sign in", signIn(tb, "042090001234", demoPassword), 200)
		tb.wantPath("/account")
		tb.wantText("h1", "Tài khoản của tôi")
		tb.wantText(".site-header .who", "Nguyễn Văn An")
		tb.wantText(".facts", "042090001234")
		if got := tb.value("#display_name"); got != "Nguyễn Văn An" {
			tb.fatalf("name field %q", got)
		}
		if tb.exists(`section[aria-labelledby="tok-h"]`) {
			tb.fatalf("a citizen is offered API tokens")
		}
		tb.open("/")
		tb.wantText("h1", "Xin chào, Nguyễn Văn An")

		// Signing out ends the session.
		tb.wantStatus("sign out", tb.click(`.site-header form[action="/logout"] button`), 200)
		tb.wantPath("/")
		tb.wantText("h1", "Chào mừng đến Cổng số")
		wantSignedOut(tb)
	})
}

// TestAdminTwoStep: the admin must set up two-step verification on first
// sign-in, and must give a fresh code on the next.
func TestAdminTwoStep(t *testing.T) {
	chromiumPath(t)
	t.Parallel()
	eachEngine(t, func(t *testing.T, p *platform) {
		b := newBrowser(t, p.URL)
		tb := b.main

		tb.wantStatus("sign in", signIn(tb, "admin", demoPassword), 200)
		tb.wantPath("/login/enrol?next=%2F")
		tb.wantText("h1", "Thiết lập xác thực hai lớp")
		tb.wantText("main", "Tài khoản quản trị bắt buộc dùng xác thực hai lớp.")
		if alt := tb.attr(".enrol img", "alt"); alt == "" {
			tb.fatalf("the QR code has no text alternative")
		}
		// Not signed in until the second factor is set up.
		tb.open("/account")
		tb.wantPath("/login?next=%2Faccount")
		tb.open("/login/enrol?next=%2F")

		secret, code, enrolled := enrolTOTP(tb)
		tb.wantPath("/")
		tb.wantText(".flash", "Đã bật xác thực hai lớp.")
		tb.wantText("h1", "Xin chào, Nguyễn Quản Trị")
		tb.wantText(`section[aria-labelledby="roles-h"]`, "Quản trị toàn tỉnh")

		tb.wantStatus("sign out", tb.click(`.site-header form[action="/logout"] button`), 200)
		wantSignedOut(tb)

		tb.wantStatus("sign in again", signIn(tb, "admin", demoPassword), 200)
		tb.wantPath("/login/totp?next=%2F")
		tb.wantText("h1", "Xác thực hai lớp")
		// The code used at enrolment does not work twice.
		tb.fill("#code", code)
		tb.wantStatus("replay the enrolment code", tb.click(`form[action="/login/totp"] button[type=submit]`), 422)
		tb.wantText(".field-error", msgUsedCode)
		if got := tb.attr("#code", "aria-invalid"); got != "true" {
			tb.fatalf("the refused code field is not marked invalid")
		}
		// The next step's code (or the current one, if time has moved on):
		// the server accepts one step either side and never a used one.
		step := enrolled.Unix()/30 + 1
		if now := time.Now().Unix() / 30; now > step {
			step = now
		}
		next, err := identity.TOTPCode(secret, time.Unix(step*30, 0))
		if err != nil {
			t.Fatal(err)
		}
		tb.fill("#code", next)
		tb.wantStatus("give a fresh code", tb.click(`form[action="/login/totp"] button[type=submit]`), 200)
		tb.wantPath("/")
		tb.wantText(".site-header .who", "Nguyễn Quản Trị")
		tb.open("/account")
		tb.wantText("main", "Xác thực hai lớp", "Đang bật")
	})
}

// TestLockOut: five wrong passwords lock the account, and then even the
// right password is refused with a message saying until when.
func TestLockOut(t *testing.T) {
	chromiumPath(t)
	t.Parallel()
	eachEngine(t, func(t *testing.T, p *platform) {
		b := newBrowser(t, p.URL)
		tb := b.main

		before := time.Now()
		for i := 1; i <= 5; i++ {
			tb.wantStatus(fmt.Sprintf("wrong password %d", i), signIn(tb, "chuyenvien.stp", fmt.Sprintf("sai-mat-khau-%d", i)), 401)
			tb.wantText(".error-box", msgBadLogin)
		}
		tb.wantStatus("the right password, locked", signIn(tb, "chuyenvien.stp", demoPassword), 429)
		tb.wantPath("/login")
		msg := tb.text(".error-box")
		if !strings.HasPrefix(msg, msgLocked) {
			tb.fatalf("lock-out message %q", msg)
		}
		// "Vui lòng thử lại sau 15:04 ngày 02/01/2006." in Vietnam's time.
		_, until, _ := strings.Cut(msg, "thử lại sau ")
		at, err := time.ParseInLocation("15:04 ngày 02/01/2006.", until, time.FixedZone("ICT", 7*3600))
		if err != nil {
			tb.fatalf("lock-out message %q has no time: %v", msg, err)
		}
		// The lock lasts LockBase (a minute) after the fifth failure; the
		// window is wide, it is the time zone that matters to the user.
		if latest := time.Now().Add(identity.DefaultConfig().LockMax); at.Before(before.Truncate(time.Minute)) || at.After(latest) {
			tb.fatalf("lock-out message says until %v, want between %v and %v", at, before, latest)
		}
		wantSignedOut(tb)
	})
}

// TestSignOutEverywhere: signing out everywhere on one device ends the
// session on the other.
func TestSignOutEverywhere(t *testing.T) {
	chromiumPath(t)
	t.Parallel()
	eachEngine(t, func(t *testing.T, p *platform) {
		b := newBrowser(t, p.URL)
		office, home := b.isolatedTab("office"), b.isolatedTab("home")

		for _, tb := range []*tab{office, home} {
			tb.wantStatus("sign in", signIn(tb, "lanhdao.stp", demoPassword), 200)
			tb.wantText(".site-header .who", "Hoàng Minh Phê Duyệt")
		}
		home.open("/account")
		if n := home.count(`section[aria-labelledby="sess-h"] tbody tr`); n != 2 {
			home.fatalf("%d sessions listed, want 2", n)
		}
		home.wantText(`section[aria-labelledby="sess-h"] tbody`, "(phiên này)")

		office.open("/account")
		office.wantStatus("sign out everywhere", office.click(`form[action="/account/logout-all"] button`), 200)
		office.wantPath("/login")
		office.wantText(".flash", "Đã đăng xuất khỏi mọi thiết bị.")
		wantSignedOut(office)

		home.open("/account")
		home.wantPath("/login?next=%2Faccount")
		home.wantText("h1", "Đăng nhập")
		wantSignedOut(home)
	})
}

// TestWithoutJavaScript: with scripts off, signing in and using the account
// page still work (plain forms and links).
func TestWithoutJavaScript(t *testing.T) {
	chromiumPath(t)
	t.Parallel()
	eachEngine(t, func(t *testing.T, p *platform) {
		b := newBrowser(t, p.URL)
		tb := b.main
		tb.disableScripts()

		tb.wantStatus("sign in", signIn(tb, "tiepnhan", demoPassword), 200)
		if js[bool](tb, "typeof window.htmx !== 'undefined'") {
			tb.fatalf("scripts ran although they are off")
		}
		tb.wantPath("/")
		tb.wantText("h1", "Xin chào, Lê Thị Tiếp Nhận")
		tb.wantStatus("open the account page", tb.click(`.site-header nav a[href="/account"]`), 200)
		tb.wantText("h1", "Tài khoản của tôi")

		tb.fill("#phone", "0912000999")
		tb.wantStatus("save contact details", tb.click(`form[action="/account/profile"] button[type=submit]`), 200)
		tb.wantPath("/account")
		tb.wantText(".flash", "Đã lưu thông tin liên hệ.")
		if got := tb.value("#phone"); got != "0912000999" {
			tb.fatalf("phone after saving %q", got)
		}

		// The unit browser's links are plain links underneath htmx.
		tb.wantStatus("open the unit browser", tb.click(`.site-header nav a[href="/admin/units"]`), 200)
		tb.wantStatus("choose Hà Tĩnh", tb.click(`.unit-provinces a[href^="/admin/units/42?"]`), 200)
		wantHaTinhCommunes(tb)

		tb.wantStatus("sign out", tb.click(`.site-header form[action="/logout"] button`), 200)
		wantSignedOut(tb)
	})
}
