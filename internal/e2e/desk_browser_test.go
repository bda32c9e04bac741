package e2e

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/chromedp/chromedp"
)

// Browser steps of the officers' workspace: worklist tabs, the dossier page's
// action forms, links found by their words.

// signedInTab opens a tab with its own cookies (another official's desk) and
// signs the official in.
func signedInTab(b *browser, login, name string) *tab {
	b.t.Helper()
	return signInOn(b.isolatedTab(login), login, name)
}

// signInOn signs the official in on the tab and checks who the header names.
func signInOn(tb *tab, login, name string) *tab {
	tb.t.Helper()
	tb.wantStatus("sign in as "+login, signIn(tb, login, demoPassword), 200)
	tb.wantText(".site-header .who", name)
	return tb
}

// typeInto types text into a field as a user would, after emptying it (the
// harness's fill cannot empty an empty textarea).
func typeInto(tb *tab, sel, text string) {
	tb.t.Helper()
	if tb.value(sel) != "" {
		tb.do("empty "+sel, chromedp.SetValue(chromedp.CSS(sel), ""))
	}
	tb.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
	if got := tb.value(sel); got != text {
		tb.fatalf("%s holds %q after typing %q", sel, got, text)
	}
}

var marks atomic.Int64

// markByText finds the first element matching sel whose text (spaces
// collapsed) is text, or contains it when exact is false, and returns a
// selector for it, as a user finds a link or a tab by its words.
func markByText(tb *tab, sel, text string, exact bool) string {
	tb.t.Helper()
	id := fmt.Sprintf("m%d", marks.Add(1))
	ok := js[bool](tb, fmt.Sprintf(`(() => {
		const norm = s => s.replace(/\s+/g, " ").trim();
		const el = [...document.querySelectorAll(%q)].find(e => %t ? norm(e.textContent) === %q : norm(e.textContent).includes(%q));
		if (!el) return false;
		el.setAttribute("data-e2e", %q);
		return true; })()`, sel, exact, text, text, id))
	if !ok {
		tb.fatalf("no %s says %q", sel, text)
	}
	return fmt.Sprintf(`[data-e2e=%q]`, id)
}

// openWorklist shows one of the workspace's lists: the official clicks its
// tab and htmx replaces the lists in place.
func openWorklist(tb *tab, label string) {
	tb.t.Helper()
	if !strings.HasPrefix(tb.path(), "/desk") || !tb.exists(".desk-tabs") {
		tb.wantStatus("open the workspace", tb.open("/desk"), 200)
	}
	sel := markByText(tb, ".desk-tabs a", label, false)
	href := tb.attr(sel, "href")
	tb.do("click the tab "+label, chromedp.Click(chromedp.CSS(sel)))
	// The marked link is gone once htmx has swapped the lists in.
	tb.waitJS(fmt.Sprintf(`(() => { const a = document.querySelector(".desk-tabs a[aria-current=page]");
		return a !== null && a.getAttribute("href") === %q && !a.hasAttribute("data-e2e"); })()`, href))
}

// clickAndSwap clicks an element that makes htmx replace the element
// matching swapped, and waits until the new one is in.
func clickAndSwap(tb *tab, click, swapped string) {
	tb.t.Helper()
	old := fmt.Sprintf("s%d", marks.Add(1))
	js[bool](tb, fmt.Sprintf(`(() => { document.querySelector(%q).setAttribute("data-e2e-old", %q); return true; })()`, swapped, old))
	tb.do("click "+click, chromedp.Click(chromedp.CSS(click)))
	tb.waitJS(fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e !== null && e.getAttribute("data-e2e-old") !== %q; })()`, swapped, old))
}

// worklistRow is the text of the row of the dossier in the list shown, ""
// when the list does not have it.
func worklistRow(tb *tab, code string) string {
	tb.t.Helper()
	return js[string](tb, fmt.Sprintf(`(() => { const a = document.querySelector('#desk-results a[href="/desk/dossiers/%s"]');
		return a ? a.closest("tr").innerText.replace(/\s+/g, " ").trim() : ""; })()`, code))
}

// findInWorklist opens the list and checks that it has the dossier; it
// returns the dossier's row.
func findInWorklist(tb *tab, label, code string) string {
	tb.t.Helper()
	openWorklist(tb, label)
	row := worklistRow(tb, code)
	if row == "" {
		tb.fatalf("the list %q does not have %s; it shows: %s", label, code, tb.text("#desk-results"))
	}
	return row
}

// openDossier opens the dossier from the list shown.
func openDossier(tb *tab, code string) {
	tb.t.Helper()
	tb.wantStatus("open "+code, tb.click(fmt.Sprintf(`#desk-results a[href="/desk/dossiers/%s"]`, code)), 200)
	tb.wantPath("/desk/dossiers/" + code)
	tb.wantText("h1", code)
}

// offered lists the actions the dossier page offers, for messages.
func offered(tb *tab) string {
	tb.t.Helper()
	return js[string](tb, `[...document.querySelectorAll("details.action > summary")].map(s => s.textContent.trim()).join(" | ")`)
}

// act takes an action on the dossier page the tab is on, as an official
// does: unfold the action, fill its form (fill may be nil), tick the
// confirmation box by its label and submit. It returns the status of the
// page that comes back.
func act(tb *tab, action string, fill func()) int64 {
	tb.t.Helper()
	form := "#act-" + action
	if !tb.exists(form) {
		tb.fatalf("the page does not offer %q; it offers: %s", action, offered(tb))
	}
	if !js[bool](tb, fmt.Sprintf("document.querySelector(%q).open", form)) {
		tb.do("unfold "+action, chromedp.Click(chromedp.CSS(form+" > summary")))
		tb.waitJS(fmt.Sprintf("document.querySelector(%q).open", form))
	}
	if fill != nil {
		fill()
	}
	tb.do("tick the confirmation of "+action, chromedp.Click(chromedp.CSS(fmt.Sprintf(`label[for="a-%s-confirm"]`, action))))
	if !js[bool](tb, fmt.Sprintf(`document.getElementById("a-%s-confirm").checked`, action)) {
		tb.fatalf("clicking the label of the confirmation of %s did not tick it", action)
	}
	return tb.click(form + ` button[type=submit]`)
}

// actOK takes an action that must succeed: the dossier page comes back with
// the message naming it.
func actOK(tb *tab, action, label string, fill func()) {
	tb.t.Helper()
	tb.wantStatus(label, act(tb, action, fill), 200)
	tb.wantText(".flash", "Đã thực hiện: "+label+".")
}

// dossierStatus is the status shown at the top of the dossier page.
func dossierStatus(tb *tab) string {
	tb.t.Helper()
	return tb.text(".dossier-state .status")
}

// setDate sets a date input, as the browser's date picker would.
func setDate(tb *tab, sel, value string) {
	tb.t.Helper()
	tb.do("set "+sel, chromedp.SetValue(chromedp.CSS(sel), value))
	if got := tb.value(sel); got != value {
		tb.fatalf("%s holds %q after setting %q", sel, got, value)
	}
}

// uploadFile chooses a file in a file input.
func uploadFile(tb *tab, sel, path string) {
	tb.t.Helper()
	tb.do("choose "+path+" in "+sel, chromedp.SetUploadFiles(chromedp.CSS(sel), []string{path}))
	if n := js[int](tb, fmt.Sprintf("document.querySelector(%q).files.length", sel)); n != 1 {
		tb.fatalf("%s holds %d files after choosing one", sel, n)
	}
}

// formLink is the address of a printable form listed on the dossier page.
func formLink(tb *tab, n string) string {
	tb.t.Helper()
	sel := fmt.Sprintf(`ul.forms a[href$="/forms/%s"]`, n)
	if !tb.exists(sel) {
		tb.fatalf("the dossier page lists no form %s; it lists: %s", n, tb.text("ul.forms"))
	}
	return tb.attr(sel, "href")
}

// dossierTimeline lists the actions of the dossier page's timeline, in order.
func dossierTimeline(tb *tab) []string {
	tb.t.Helper()
	return js[[]string](tb, `[...document.querySelectorAll("ol.timeline > li strong")].map(s => s.textContent.trim())`)
}

// stepRow is a row of the dossier page's process-control table.
type stepRow struct {
	Name, Agency, Who, Outcome string
}

// dossierSteps reads the process-control table of the dossier page.
func dossierSteps(tb *tab) []stepRow {
	tb.t.Helper()
	return js[[]stepRow](tb, `[...document.querySelectorAll("table.steps tbody tr")].map(r => ({
		name: r.cells[1].innerText.replace(/\s+/g, " ").trim(), agency: r.cells[2].innerText.trim(),
		who: r.cells[4].innerText.trim(), outcome: r.cells[8].innerText.trim()}))`)
}
