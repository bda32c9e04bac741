package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/congso/congso/internal/db/dbtest"
)

// stepTimeout bounds one browser step (a navigation, a wait, a read). It is
// generous on purpose: the steps wait for conditions, never for time.
const stepTimeout = 45 * time.Second

// chromiumPath finds the browser: CONGSO_CHROMIUM, then the usual names in
// PATH. Without one the test is skipped, unless CONGSO_TEST_REQUIRE_ALL is
// set (as in CI): then it fails. It also fails when CONGSO_CHROMIUM names a
// browser that is not there.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CONGSO_CHROMIUM"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			t.Fatalf("CONGSO_CHROMIUM=%q: %v", p, err)
		}
		return path
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	dbtest.Skip(t, "browser tests need Chromium: install it (apt-get install chromium) or set CONGSO_CHROMIUM to the browser's path")
	return ""
}

// browser is one headless Chromium for one test, with a fresh profile.
type browser struct {
	t    *testing.T
	base string
	root context.Context
	main *tab
}

// browserOptions tune a browser before it starts.
type browserOption func(*[]chromedp.ExecAllocatorOption)

// newBrowser starts Chromium for the test and opens its first tab on the
// platform at base. The browser is closed when the test ends.
func newBrowser(t *testing.T, base string, opts ...browserOption) *browser {
	t.Helper()
	exe := chromiumPath(t)
	profile := t.TempDir() // removed after the browser has exited (cleanups run in reverse)
	flags := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(profile),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		// This machine's network is closed: anything that looks something up
		// makes Chromium hang, so turn off all background traffic.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-proxy-server", true),
	)
	for _, o := range opts {
		o(&flags)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), flags...)
	root, cancelRoot := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelRoot()
		cancelAlloc() // waits for the browser to exit
	})
	// The first Do starts the browser; its life is bound to root, which has no
	// deadline, so the start gets its own bound through a watchdog.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(root) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start Chromium (%s): %v", exe, err)
		}
	case <-time.After(2 * stepTimeout):
		cancelRoot()
		t.Fatalf("Chromium (%s) did not start within %v", exe, 2*stepTimeout)
	}
	b := &browser{t: t, base: base, root: root}
	b.main = b.adopt("main", root)
	return b
}

// withFlag passes a command-line flag to Chromium.
func withFlag(name string, value any) browserOption {
	return func(o *[]chromedp.ExecAllocatorOption) { *o = append(*o, chromedp.Flag(name, value)) }
}

// isolatedTab opens a tab with its own cookies and storage, like a second
// device or an incognito window.
func (b *browser) isolatedTab(name string) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.root, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open tab %s: %v", name, err)
	}
	return b.adopt(name, ctx)
}

// adopt wraps a tab's context and arranges a screenshot and the page's HTML
// to be saved when the test fails.
func (b *browser) adopt(name string, ctx context.Context) *tab {
	tb := &tab{t: b.t, name: name, base: b.base, ctx: ctx}
	b.t.Cleanup(tb.saveOnFailure) // runs before the tab is closed
	return tb
}

// tab is one browser tab driven like a user would: open a page, type, click.
// Every method fails the test with the page's address on error.
type tab struct {
	t    *testing.T
	name string
	base string
	ctx  context.Context
}

// step returns a context bounding one step.
func (tb *tab) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(tb.ctx, stepTimeout)
}

func (tb *tab) fatalf(format string, args ...any) {
	tb.t.Helper()
	tb.t.Fatalf("[tab %s at %s] %s", tb.name, tb.where(), fmt.Sprintf(format, args...))
}

// where is the current address, for messages; it never fails the test.
func (tb *tab) where() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown page)"
	}
	return strings.TrimPrefix(loc, tb.base)
}

// do runs actions that return nothing.
func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := tb.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.fatalf("%s: %v", what, err)
	}
}

// get runs one action and returns its value.
func get[T any](tb *tab, what string, action chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := tb.step()
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		tb.fatalf("%s: %v", what, err)
	}
	return v
}

// js evaluates a JavaScript expression (through DevTools, so it works when
// the page's own scripts are off).
func js[T any](tb *tab, expr string) T {
	tb.t.Helper()
	return get(tb, "evaluate "+expr, chromedp.Evaluate[T](expr))
}

// waitJS waits until the expression is true in the page.
func (tb *tab) waitJS(expr string) {
	tb.t.Helper()
	tb.do("wait for "+expr, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)))
}

// open navigates to a path of the platform and returns the HTTP status of the
// page the browser ends on.
func (tb *tab) open(path string) int64 {
	tb.t.Helper()
	res := get(tb, "open "+path, chromedp.NavigateResponse(tb.base+path))
	return statusOf(res)
}

// click clicks the element (a link or a submit button) and waits for the
// page it leads to; it returns that page's HTTP status.
func (tb *tab) click(sel string) int64 {
	tb.t.Helper()
	ctx, cancel := tb.step()
	defer cancel()
	res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		tb.fatalf("click %s and wait for the next page: %v", sel, err)
	}
	return statusOf(res)
}

func statusOf(res *network.Response) int64 {
	if res == nil {
		return 0
	}
	return res.Status
}

// fill replaces the text of a field by typing, as a user would.
func (tb *tab) fill(sel, text string) {
	tb.t.Helper()
	tb.do("fill "+sel, chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// press sends keys to the element that has the focus.
func (tb *tab) press(keys string) {
	tb.t.Helper()
	tb.do(fmt.Sprintf("press %q", keys), chromedp.KeyEvent(keys))
}

// text is the visible text of the element (waiting for it to exist).
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return strings.TrimSpace(get(tb, "read "+sel, chromedp.Text(chromedp.CSS(sel))))
}

// value is the current value of a form field.
func (tb *tab) value(sel string) string {
	tb.t.Helper()
	return get(tb, "read the value of "+sel, chromedp.Value(chromedp.CSS(sel)))
}

// attr is an attribute of the element, "" when absent.
func (tb *tab) attr(sel, name string) string {
	tb.t.Helper()
	return get(tb, "read "+sel+"["+name+"]", chromedp.AttributeValue(chromedp.CSS(sel), name)).Value
}

// choose picks the option of a select whose label contains label, and tells
// the page it changed.
func (tb *tab) choose(sel, label string) {
	tb.t.Helper()
	tb.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	ok := js[bool](tb, fmt.Sprintf(`(() => {
		const s = document.querySelector(%q);
		const o = [...s.options].find(o => o.text.includes(%q));
		if (!o) return false;
		s.value = o.value;
		s.dispatchEvent(new Event("change", {bubbles: true}));
		return true; })()`, sel, label))
	if !ok {
		tb.fatalf("%s has no option %q", sel, label)
	}
}

// exists tells, without waiting, whether the page has an element.
func (tb *tab) exists(sel string) bool {
	tb.t.Helper()
	return js[bool](tb, fmt.Sprintf("document.querySelector(%q) !== null", sel))
}

// count is the number of elements matching the selector, without waiting.
func (tb *tab) count(sel string) int {
	tb.t.Helper()
	return js[int](tb, fmt.Sprintf("document.querySelectorAll(%q).length", sel))
}

// html is the page's whole HTML as the browser has it.
func (tb *tab) html() string {
	tb.t.Helper()
	return get(tb, "read the page", chromedp.OuterHTML(chromedp.CSS("html")))
}

// path is the address of the page, without the platform's origin.
func (tb *tab) path() string {
	tb.t.Helper()
	loc := get(tb, "read the address", chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil {
		tb.fatalf("address %q: %v", loc, err)
	}
	return u.RequestURI()
}

// cookie is the value of one of the platform's cookies in this tab's
// profile, "" when there is none.
func (tb *tab) cookie(name string) string {
	tb.t.Helper()
	ctx, cancel := tb.step()
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{tb.base + "/"}})
	if err != nil {
		tb.fatalf("read cookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// disableScripts turns JavaScript off in the tab, as for a user whose browser
// blocks scripts; it holds for the following navigations.
func (tb *tab) disableScripts() {
	tb.t.Helper()
	ctx, cancel := tb.step()
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		tb.fatalf("disable scripts: %v", err)
	}
}

// wantPath fails unless the browser is at the path.
func (tb *tab) wantPath(want string) {
	tb.t.Helper()
	if got := tb.path(); got != want {
		tb.fatalf("the browser is at %s, want %s", got, want)
	}
}

// wantText fails unless the element's visible text contains each part.
func (tb *tab) wantText(sel string, parts ...string) {
	tb.t.Helper()
	got := tb.text(sel)
	for _, p := range parts {
		if !strings.Contains(got, p) {
			tb.fatalf("%s says %q; want it to contain %q", sel, got, p)
		}
	}
}

// wantStatus fails unless the page's HTTP status is want.
func (tb *tab) wantStatus(what string, got, want int64) {
	tb.t.Helper()
	if got != want {
		tb.fatalf("%s: status %d, want %d", what, got, want)
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// saveOnFailure writes a screenshot and the HTML of the tab when the test
// failed, and logs where. With `go test -artifacts` the files are kept under
// the output directory; otherwise they go with the test's temporary files.
func (tb *tab) saveOnFailure() {
	if !tb.t.Failed() {
		return
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	dir := tb.t.ArtifactDir()
	base := filepath.Join(dir, unsafeName.ReplaceAllString(tb.t.Name()+"-"+tb.name, "_"))
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Logf("tab %s: no screenshot: %v", tb.name, err)
	} else if err := os.WriteFile(base+".png", png, 0o644); err != nil {
		tb.t.Logf("tab %s: save screenshot: %v", tb.name, err)
	}
	page, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err == nil {
		err = os.WriteFile(base+".html", []byte(page), 0o644)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		tb.t.Logf("tab %s: save page: %v", tb.name, err)
	}
	keep := ""
	if f := flag.Lookup("test.artifacts"); f == nil || f.Value.String() != "true" {
		keep = " (deleted after the run; use go test -artifacts to keep it)"
	}
	tb.t.Logf("tab %s at %s: screenshot and page saved to %s.{png,html}%s", tb.name, tb.where(), base, keep)
}
