package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestUnitBrowser: an official browses the administrative units and finds
// Hà Tĩnh's 69 communes and wards of the two-level structure.
func TestUnitBrowser(t *testing.T) {
	chromiumPath(t)
	t.Parallel()
	eachEngine(t, func(t *testing.T, p *platform) {
		b := newBrowser(t, p.URL)
		tb := b.main

		tb.wantStatus("sign in", signIn(tb, "tiepnhan", demoPassword), 200)
		tb.wantStatus("open the unit browser", tb.click(`.site-header nav a[href="/admin/units"]`), 200)
		tb.wantText("h1", "Đơn vị hành chính")

		// Choosing the province replaces the unit pane in place (htmx) and
		// updates the address.
		js[bool](tb, "window.e2eSamePage = true")
		tb.do("choose Hà Tĩnh", chromedp.Click(chromedp.CSS(`.unit-provinces a[href^="/admin/units/42?"]`)))
		tb.waitJS(`document.getElementById("unit-h") && document.getElementById("unit-h").textContent.trim() === "Tỉnh Hà Tĩnh"`)
		if !js[bool](tb, "window.e2eSamePage === true") {
			tb.fatalf("choosing a province reloaded the whole page instead of the unit pane")
		}
		wantHaTinhCommunes(tb)
		if got := tb.path(); !strings.HasPrefix(got, "/admin/units/42?date=") {
			tb.fatalf("the address did not follow the province: %s", got)
		}
		if got := tb.attr(`.unit-provinces a[href^="/admin/units/42?"]`, "aria-current"); got != "true" {
			tb.fatalf("the chosen province is not marked in the list")
		}
		// The address opens the same page on its own (a bookmark, a reload).
		tb.wantStatus("reload", tb.open(tb.path()), 200)
		wantHaTinhCommunes(tb)

		// Search without diacritics, within the units valid on the date.
		tb.fill("#u-q", "thanh sen")
		tb.wantStatus("search", tb.click(`form[action="/admin/units"] button[type=submit]`), 200)
		tb.wantText(`section[aria-labelledby="res-h"]`, "Phường Thành Sen", "18073")
	})
}

func wantHaTinhCommunes(tb *tab) {
	tb.t.Helper()
	tb.wantText("#unit-h", "Tỉnh Hà Tĩnh")
	tb.wantText(".unit-detail h3", "(69)")
	if n := tb.count(".unit-detail table.units tbody tr"); n != 69 {
		tb.fatalf("%d units listed under Hà Tĩnh, want 69 (60 communes and 9 wards)", n)
	}
	tb.wantText(".unit-detail table.units", "Phường Thành Sen", "Xã Can Lộc", "Phường Bắc Hồng Lĩnh")
}

// TestAgencyCreate: the province admin adds an agency through the form and
// finds it in the list.
func TestAgencyCreate(t *testing.T) {
	chromiumPath(t)
	t.Parallel()
	eachEngine(t, func(t *testing.T, p *platform) {
		b := newBrowser(t, p.URL)
		tb := b.main
		signInAdmin(tb)

		tb.wantStatus("open the agencies", tb.click(`.site-header nav a[href="/admin/agencies"]`), 200)
		tb.wantText("h1", "Cơ quan, đơn vị")
		tb.wantText("main table", "Sở Tư pháp", "000.00.05.H25")

		tb.wantStatus("open the new-agency form", tb.click(`a[href="/admin/agencies/new"]`), 200)
		tb.wantText("h1", "Thêm cơ quan")
		const name = "Sở Văn hóa, Thể thao và Du lịch"
		tb.fill("#f-code", "000.00.10.H25")
		tb.fill("#f-name", name)
		tb.fill("#f-short", "SVHTTDL")
		tb.choose("#f-kind", "Sở, ban, ngành")
		tb.choose("#f-parent", "000.00.00.H25")
		tb.choose("#unit_id", "Phường Thành Sen")
		tb.fill("#f-address", "Số 3 Phan Đình Phùng, phường Thành Sen")
		tb.fill("#f-phone", "02393855123")
		tb.wantStatus("save the agency", tb.click(`form[action="/admin/agencies"] button[type=submit]`), 200)

		if got := tb.path(); !strings.HasPrefix(got, "/admin/agencies/") || got == "/admin/agencies/new" {
			tb.fatalf("after saving the browser is at %s, want the agency's page", got)
		}
		tb.wantText(".flash", "Đã thêm cơ quan "+name+".")
		tb.wantText("h1", name)
		tb.wantText(".facts", "000.00.10.H25", "SVHTTDL", "Sở, ban, ngành", "Ủy ban nhân dân tỉnh Hà Tĩnh", "Phường Thành Sen")

		tb.wantStatus("back to the list", tb.click(`main a[href="/admin/agencies"]`), 200)
		tb.wantText("main table", name, "000.00.10.H25")

		// The same code again is refused on the form, in Vietnamese.
		tb.open("/admin/agencies/new")
		tb.fill("#f-code", "000.00.10.H25")
		tb.fill("#f-name", "Cơ quan trùng mã")
		tb.choose("#f-kind", "Sở, ban, ngành")
		if status := tb.click(`form[action="/admin/agencies"] button[type=submit]`); status != 409 && status != 422 {
			tb.fatalf("a duplicate code: status %d, want 409 or 422", status)
		}
		tb.wantText(".error-box", "000.00.10.H25")
		if got := tb.value("#f-name"); got != "Cơ quan trùng mã" {
			tb.fatalf("the form lost what was typed: name %q", got)
		}
	})
}
