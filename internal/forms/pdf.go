package forms

import (
	"fmt"
	"io"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// Page geometry in millimetres: A4 portrait with the margins of Nghị định
// 30/2020/NĐ-CP (top and bottom 20–25, left 30–35, right 15–20).
const (
	pageW    = 210.0
	pageH    = 297.0
	marginL  = 30.0
	marginR  = 15.0
	marginT  = 20.0
	marginB  = 20.0
	contentW = pageW - marginL - marginR

	bodySize = 13.0 // pt, body text
	lineH    = 6.2  // mm, body line height

	qrSize     = 25.0 // mm, side of the QR code
	maxQRBytes = 250  // longest StatusURL; keeps modules ≥ 0.4 mm at 25 mm
	qrCaption  = "Quét mã để tra cứu tình trạng hồ sơ"
)

// doc wraps one fpdf document with the layout helpers the forms share.
type doc struct {
	f *fpdf.Fpdf
}

type docInfo struct {
	title   string    // metadata title
	subject string    // metadata subject
	author  string    // metadata author: the agency
	created time.Time // creation and modification date, from the data
	footer  string    // when set, printed with the page number at the foot of every page
}

func newDoc(info docInfo) *doc {
	f := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", SizeStr: "A4"})
	if info.footer != "" {
		f.AliasNbPages("{nb}") // must precede the fonts: it changes how they are subset
	}
	f.AddUTF8FontFromBytes(fontFamily, "", fontRegular)
	f.AddUTF8FontFromBytes(fontFamily, "B", fontBold)
	f.AddUTF8FontFromBytes(fontFamily, "I", fontItalic)
	f.SetMargins(marginL, marginT, marginR)
	f.SetAutoPageBreak(true, marginB)
	f.SetCatalogSort(true)
	f.SetCompression(true)
	// fpdf writes the date without a zone offset, which readers take as
	// UTC: give it the instant in UTC.
	created := info.created.UTC()
	f.SetCreationDate(created)
	f.SetModificationDate(created)
	f.SetTitle(clean(info.title), true)
	f.SetSubject(clean(info.subject), true)
	f.SetAuthor(clean(info.author), true)
	f.SetCreator("Cổng số", true)
	f.SetLang("vi-VN")
	f.SetDisplayMode("fullwidth", "single")
	f.SetDrawColor(0, 0, 0)
	f.SetTextColor(0, 0, 0)
	f.SetLineWidth(0.2)
	if info.footer != "" {
		footer := clean(info.footer)
		f.SetFooterFunc(func() {
			f.SetY(-12)
			f.SetFont(fontFamily, "I", 8)
			f.SetTextColor(90, 90, 90)
			f.CellFormat(0, 4, fmt.Sprintf("%s — Trang %d/{nb}", footer, f.PageNo()), "", 0, "R", false, 0, "")
			f.SetTextColor(0, 0, 0)
		})
	}
	return &doc{f: f}
}

// output writes the finished PDF.
func (d *doc) output(w io.Writer) error {
	if err := d.f.Error(); err != nil {
		return fmt.Errorf("forms: building PDF: %w", err)
	}
	if err := d.f.Output(w); err != nil {
		return fmt.Errorf("forms: writing PDF: %w", err)
	}
	return nil
}

func (d *doc) font(style string, size float64) { d.f.SetFont(fontFamily, style, size) }

// bottom is the lowest y content may reach on a page.
func (d *doc) bottom() float64 { return pageH - marginB }

// ensure starts a new page unless h millimetres are left on this one.
func (d *doc) ensure(h float64) {
	if d.f.GetY()+h > d.bottom() {
		d.f.AddPage()
	}
}

// fitSize returns the largest size ≤ size, in steps of half a point, at which s fits
// in width w in the given style.
func (d *doc) fitSize(style, s string, size, w float64) float64 {
	for ; size > 6; size -= 0.5 {
		d.font(style, size)
		if d.f.GetStringWidth(s)+2*d.f.GetCellMargin() <= w {
			break
		}
	}
	return size
}

// centred prints s centred in the column [x, x+w) from the current y,
// wrapping as needed, and leaves y below it.
func (d *doc) centred(x, w, h float64, style string, size float64, s string) {
	d.font(style, size)
	d.f.SetX(x)
	d.f.MultiCell(w, h, nfc(s), "", "C", false)
}

// heading prints the issuing body (left), the national heading (right), the
// document number (left, optional) and the place-and-date line (right).
func (d *doc) heading(ag Agency, number string, showNumber bool, date time.Time) {
	f := d.f
	const (
		leftX  = marginL - 8
		leftW  = 74.0
		rightX = leftX + leftW
		rightW = pageW - marginR - rightX + 4
	)
	top := marginT
	// Left: superior body, then the issuing body in bold with a short rule.
	f.SetY(top)
	if p := upper(ag.Parent); p != "" {
		d.centred(leftX, leftW, 5.6, "", 12, p)
	}
	name := upper(ag.Name)
	d.centred(leftX, leftW, 5.6, "B", 12, name)
	rule := f.GetY() + 0.6
	f.SetLineWidth(0.3)
	f.Line(leftX+leftW/2-13, rule, leftX+leftW/2+13, rule)
	leftBottom := rule

	// Right: the national heading; the motto underlined over its length.
	f.SetY(top)
	nation := "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
	d.centred(rightX, rightW, 5.6, "B", d.fitSize("B", nation, 12, rightW), nation)
	motto := "Độc lập - Tự do - Hạnh phúc"
	size := d.fitSize("B", motto, 13, rightW)
	d.centred(rightX, rightW, 6, "B", size, motto)
	mw := f.GetStringWidth(motto)
	rule = f.GetY() + 0.4
	f.Line(rightX+(rightW-mw)/2, rule, rightX+(rightW+mw)/2, rule)
	f.SetLineWidth(0.2)

	y := max(leftBottom, rule) + 3.5
	if showNumber {
		if number = clean(number); number == "" {
			number = "……"
		}
		f.SetY(y)
		d.centred(leftX, leftW, 6, "", 13, "Số: "+number)
	}
	f.SetY(y)
	d.centred(rightX, rightW, 6, "I", 13, DateLine(clean(ag.Place), date))
	f.SetY(max(f.GetY(), y+6) + 7)
}

// title prints the title in bold capitals, then the dossier code, then an
// optional italic note.
func (d *doc) title(title, code, note string) {
	d.centred(marginL, contentW, 7, "B", 14, upper(title))
	if code != "" {
		d.font("", 13)
		w1 := d.f.GetStringWidth("Mã hồ sơ: ")
		d.font("B", 13)
		c := clean(code)
		w2 := d.f.GetStringWidth(c)
		d.f.SetX(marginL + (contentW-w1-w2)/2)
		d.font("", 13)
		d.f.Write(6.5, "Mã hồ sơ: ")
		d.font("B", 13)
		d.f.Write(6.5, c)
		d.f.Ln(6.5)
	}
	if note != "" {
		d.centred(marginL, contentW, 6, "I", 12, note)
	}
	d.f.Ln(4)
}

// span is a run of text in one style.
type span struct {
	style string // "", "B" or "I"
	text  string
}

func plain(s string) span { return span{"", s} }
func bold(s string) span  { return span{"B", s} }

// para prints a justified paragraph made of styled spans, indented by
// indent millimetres, wrapping within the margins and onto new pages.
func (d *doc) para(indent float64, spans ...span) {
	d.flow(marginL+indent, contentW-indent, bodySize, lineH, spans)
	d.f.Ln(paraGap)
}

// text prints a justified paragraph in one style.
func (d *doc) text(indent float64, style, s string) {
	d.para(indent, span{style, s})
}

const paraGap = 0.8 // mm between paragraphs

// piece is part of a word in one style; a word may change style in its
// middle ("hồ sơ:" + bold value, or a bold date followed by a plain full
// stop), and is never broken there.
type piece struct {
	style string
	text  string
	w     float64
}

type word struct {
	pieces []piece
	w      float64 // width of the word
	space  float64 // width of the space before it, in the style of that space
	brk    bool    // a line break precedes it
}

// words splits styled spans into words, measuring them.
func (d *doc) words(size float64, spans []span) []word {
	var out []word
	var cur *word
	space, brk := 0.0, false
	for _, sp := range spans {
		d.font(sp.style, size)
		spaceW := d.f.GetStringWidth(" ")
		for _, r := range nfc(sp.text) {
			switch r {
			case '\n':
				cur, brk, space = nil, true, 0
				continue
			case ' ', '\t', '\u00a0':
				if r == '\u00a0' && cur != nil { // non-breaking space stays in the word
					break
				}
				if cur != nil || len(out) > 0 {
					space = spaceW
				}
				cur = nil
				continue
			}
			if cur == nil {
				out = append(out, word{space: space, brk: brk})
				cur = &out[len(out)-1]
				space, brk = 0, false
			}
			if n := len(cur.pieces); n > 0 && cur.pieces[n-1].style == sp.style {
				cur.pieces[n-1].text += string(r)
			} else {
				cur.pieces = append(cur.pieces, piece{style: sp.style, text: string(r)})
			}
		}
		cur = nil // a new span may start a new word only after a space;
		if len(out) > 0 && space == 0 && !brk {
			cur = &out[len(out)-1] // no space between spans: same word
		}
	}
	for i := range out {
		w := &out[i]
		for j := range w.pieces {
			d.font(w.pieces[j].style, size)
			w.pieces[j].w = d.f.GetStringWidth(w.pieces[j].text)
			w.w += w.pieces[j].w
		}
	}
	return out
}

// breakWord splits a word wider than a line (a long URL, say) into parts
// that fit.
func (d *doc) breakWord(w word, width, size float64) []word {
	var out []word
	cur := word{space: w.space, brk: w.brk}
	for _, p := range w.pieces {
		d.font(p.style, size)
		for _, r := range p.text {
			rw := d.f.GetStringWidth(string(r))
			if cur.w+rw > width && cur.w > 0 {
				out = append(out, cur)
				cur = word{brk: true}
			}
			if n := len(cur.pieces); n > 0 && cur.pieces[n-1].style == p.style {
				cur.pieces[n-1].text += string(r)
				cur.pieces[n-1].w += rw
			} else {
				cur.pieces = append(cur.pieces, piece{style: p.style, text: string(r), w: rw})
			}
			cur.w += rw
		}
	}
	return append(out, cur)
}

// flow lays styled text out in the column [x, x+width) from the current y:
// greedy line filling, lines justified except the last of a paragraph and
// those ended by "\n", a new page whenever the next line does not fit.
func (d *doc) flow(x, width, size, lh float64, spans []span) {
	f := d.f
	var lines [][]word
	var cur []word
	used := 0.0
	flush := func() { lines = append(lines, cur); cur, used = nil, 0 }
	for _, w := range d.words(size, spans) {
		if w.brk && cur != nil {
			flush()
			w.brk = true
		}
		if cur != nil && used+w.space+w.w > width {
			flush()
		}
		if cur == nil && w.w > width {
			parts := d.breakWord(w, width, size)
			for _, p := range parts[:len(parts)-1] {
				lines = append(lines, []word{p})
			}
			w = parts[len(parts)-1]
		}
		if cur == nil {
			w.space = 0
		}
		cur = append(cur, w)
		used += w.space + w.w
	}
	if cur != nil {
		flush()
	}
	f.SetAutoPageBreak(false, 0)
	defer f.SetAutoPageBreak(true, marginB)
	for i, line := range lines {
		if f.GetY()+lh > d.bottom() {
			f.AddPage()
		}
		extra := 0.0
		last := i == len(lines)-1 || (i+1 < len(lines) && lines[i+1][0].brk)
		if !last && len(line) > 1 {
			natural := 0.0
			for _, w := range line {
				natural += w.space + w.w
			}
			extra = (width - natural) / float64(len(line)-1)
		}
		y := f.GetY()
		baseline := y + lh/2 + 0.3*size/f.GetConversionRatio()
		px := x
		for j, w := range line {
			if j > 0 {
				px += w.space + extra
			}
			for _, p := range w.pieces {
				d.font(p.style, size)
				f.Text(px, baseline, p.text)
				px += p.w
			}
		}
		f.SetXY(marginL, y+lh)
	}
}

// field prints "label: value" with the value in bold; an empty value prints
// a dotted blank for the official to fill in by hand.
func (d *doc) field(indent float64, label, value string) {
	if value = clean(value); value == "" {
		d.para(indent, plain(label+": ……………………"))
		return
	}
	d.para(indent, plain(label+": "), bold(value))
}

// sig is a signature block: the capacity in bold capitals, a hint in
// italics, room to sign, and the name in bold.
type sig struct {
	title string // may hold several lines separated by "\n"
	hint  string
	name  string
}

const (
	hintPerson = "(Ký và ghi rõ họ tên)"
	hintHead   = "(Ký, ghi rõ họ tên và đóng dấu)"
	signRoom   = 22.0 // mm left blank to sign
)

func (d *doc) sigHeight(s *sig, w float64) float64 {
	if s == nil {
		return 0
	}
	d.font("B", 12)
	n := 0
	for _, l := range strings.Split(upper(s.title), "\n") {
		n += max(1, len(d.f.SplitText(l, w)))
	}
	return float64(n)*5.8 + 5.8 + signRoom + 5.8
}

func (d *doc) drawSig(s *sig, x, y, w float64) {
	d.f.SetY(y)
	for _, l := range strings.Split(upper(s.title), "\n") {
		d.centred(x, w, 5.8, "B", 12, l)
	}
	d.centred(x, w, 5.8, "I", 11, s.hint)
	d.f.SetY(d.f.GetY() + signRoom)
	if n := clean(s.name); n != "" {
		d.centred(x, w, 5.8, "B", 12, n)
	}
}

// signBand prints the signature blocks and the QR code side by side at the
// end of a form: with one signer the QR code stands in the left column (the
// place of "Nơi nhận" on a letter); with two it stands between them.
func (d *doc) signBand(left, right *sig, qrURL string) error {
	var leftX, leftW, midX, midW, rightX, rightW float64
	if left != nil {
		leftX, leftW = marginL-6, 66
		rightX, rightW = pageW-marginR-66+4, 66
		midX, midW = leftX+leftW, rightX-(leftX+leftW)
	} else {
		midX, midW = marginL, contentW/2-10
		rightX, rightW = marginL+contentW/2-10, contentW/2+14
	}
	h := max(d.sigHeight(left, leftW), d.sigHeight(right, rightW))
	qrTop := 1.0 // QR code below the top of the band
	if left != nil {
		qrTop = 12 // clear of both signers' capacities and hints
	}
	if qrURL != "" {
		h = max(h, qrTop+qrSize+2.5+2*3.8)
	}
	d.f.Ln(4)
	d.ensure(h)
	y := d.f.GetY()
	if left != nil {
		d.drawSig(left, leftX, y, leftW)
	}
	if right != nil {
		d.drawSig(right, rightX, y, rightW)
	}
	if qrURL != "" {
		qy := y + qrTop
		if err := d.qrCode(midX+(midW-qrSize)/2, qy, qrSize, qrURL); err != nil {
			return err
		}
		d.f.SetY(qy + qrSize + 2.5)
		d.centred(midX, midW, 3.8, "I", 8.5, qrCaption)
	}
	d.f.SetY(y + h)
	return nil
}

// column of a table.
type column struct {
	title string
	width float64 // mm
	align string  // "L", "C" or "R"
}

const cellPad = 1.2 // mm above and below the text of a cell

// table prints a bordered table whose header row is repeated on every page
// it runs onto. A row that does not fit on the rest of a page moves to the
// next; a row taller than a whole page is split between pages.
func (d *doc) table(cols []column, rows [][]string, size float64) {
	f := d.f
	lh := size * 0.45
	f.SetAutoPageBreak(false, 0)
	defer f.SetAutoPageBreak(true, marginB)

	split := func(style string, cells []string) [][]string {
		d.font(style, size)
		out := make([][]string, len(cols))
		for i, c := range cols {
			if i < len(cells) {
				out[i] = f.SplitText(clean(cells[i]), c.width)
			}
		}
		return out
	}
	height := func(lines [][]string) float64 {
		n := 1
		for _, l := range lines {
			n = max(n, len(l))
		}
		return float64(n)*lh + 2*cellPad
	}
	draw := func(cs []column, lines [][]string, style string, header bool) {
		d.font(style, size)
		h := height(lines)
		y := f.GetY()
		x := marginL
		for i, c := range cs {
			if header {
				f.SetFillColor(232, 232, 232)
				f.Rect(x, y, c.width, h, "DF")
			} else {
				f.Rect(x, y, c.width, h, "D")
			}
			ty := y + cellPad
			if header { // centre vertically
				ty += (h - 2*cellPad - float64(len(lines[i]))*lh) / 2
			}
			for j, l := range lines[i] {
				f.SetXY(x, ty+float64(j)*lh)
				f.CellFormat(c.width, lh, l, "", 0, c.align, false, 0, "")
			}
			x += c.width
		}
		f.SetXY(marginL, y+h)
	}
	titles := make([]string, len(cols))
	for i, c := range cols {
		titles[i] = c.title
	}
	head := split("B", titles)
	headH := height(head)
	headCols := make([]column, len(cols))
	copy(headCols, cols)
	for i := range headCols {
		headCols[i].align = "C"
	}
	drawHead := func() { draw(headCols, head, "B", true) }
	if f.GetY()+headH+lh+2*cellPad > d.bottom() {
		f.AddPage()
	}
	drawHead()
	fullPage := d.bottom() - marginT - headH
	for _, row := range rows {
		lines := split("", row)
		for {
			h := height(lines)
			room := d.bottom() - f.GetY()
			if h <= room {
				draw(cols, lines, "", false)
				break
			}
			if h <= fullPage || room < lh+2*cellPad {
				f.AddPage()
				drawHead()
				continue
			}
			// Taller than a page: print what fits, carry the rest over.
			k := int((room - 2*cellPad) / lh)
			part, rest := make([][]string, len(lines)), make([][]string, len(lines))
			for i, l := range lines {
				n := min(k, len(l))
				part[i], rest[i] = l[:n], l[n:]
			}
			draw(cols, part, "", false)
			lines = rest
			f.AddPage()
			drawHead()
		}
	}
	f.Ln(2)
}
