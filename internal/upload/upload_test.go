package upload_test

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/upload"
	"golang.org/x/text/unicode/norm"
)

// --- building real files -------------------------------------------------

// buildPDF writes a PDF with a correct cross-reference table from the bodies
// of its objects (numbered from 1; object 1 must be the catalogue).
func buildPDF(objects ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}

// simplePDF is a one-page PDF that says "Giay khai sinh".
func simplePDF() []byte {
	content := "BT /F1 24 Tf 72 720 Td (Giay khai sinh) Tj ET"
	return buildPDF(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	)
}

func deflate(s string) string {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

// objStmPDF keeps the catalogue's action inside a compressed object stream,
// as PDF 1.5 writers do.
func objStmPDF(action string) []byte {
	inner := "<< /Type /Catalog /Pages 3 0 R " + action + " >>"
	header := "1 0 "
	packed := deflate(header + inner)
	return buildPDF(
		"<< /Type /Catalog /Pages 3 0 R >>",
		fmt.Sprintf("<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream", len(header), len(packed), packed),
		"<< /Type /Pages /Kids [] /Count 0 >>",
	)
}

func testImage(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128, 255})
		}
	}
	return img
}

// gps is the position the test photos were "taken" at: 18°20'N 105°54'E.
var gpsMarker = []byte("GPS-SECRET-18.3333N-105.9000E")

// exifSegment builds an APP1 Exif segment: IFD0 with the orientation and a
// pointer to a GPS IFD holding latitude and longitude (and a marker string in
// a maker-note-like ASCII tag, to find leaks byte for byte).
func exifSegment(orientation uint16) []byte {
	le := binary.LittleEndian
	var t bytes.Buffer
	t.WriteString("II*\x00")
	binary.Write(&t, le, uint32(8))
	// IFD0: 3 entries.
	ifd0 := 8
	gpsIFD := ifd0 + 2 + 3*12 + 4
	binary.Write(&t, le, uint16(3))
	entry := func(tag, typ uint16, count, value uint32) {
		binary.Write(&t, le, tag)
		binary.Write(&t, le, typ)
		binary.Write(&t, le, count)
		binary.Write(&t, le, value)
	}
	entry(0x0112, 3, 1, uint32(orientation)) // Orientation, SHORT
	markerAt := gpsIFD + 2 + 4*12 + 4
	entry(0x010E, 2, uint32(len(gpsMarker)), uint32(markerAt+6*8)) // ImageDescription, ASCII
	entry(0x8825, 4, 1, uint32(gpsIFD))                            // GPSInfo IFD pointer, LONG
	binary.Write(&t, le, uint32(0))                                // no next IFD
	// GPS IFD: 4 entries, rationals after it.
	rationals := markerAt
	binary.Write(&t, le, uint16(4))
	entry(0x0001, 2, 2, uint32('N'))          // GPSLatitudeRef
	entry(0x0002, 5, 3, uint32(rationals))    // GPSLatitude
	entry(0x0003, 2, 2, uint32('E'))          // GPSLongitudeRef
	entry(0x0004, 5, 3, uint32(rationals+24)) // GPSLongitude
	binary.Write(&t, le, uint32(0))
	for _, v := range []uint32{18, 1, 20, 1, 0, 1, 105, 1, 54, 1, 0, 1} {
		binary.Write(&t, le, v)
	}
	t.Write(gpsMarker)
	body := append([]byte("Exif\x00\x00"), t.Bytes()...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(body)+2))
	return append(seg, body...)
}

// jpegWithEXIF encodes a w×h photo and inserts the Exif segment after SOI.
func jpegWithEXIF(t *testing.T, w, h int, orientation uint16) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(w, h), &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	out := append([]byte{}, raw[:2]...)
	out = append(out, exifSegment(orientation)...)
	out = append(out, []byte{0xFF, 0xFE, 0, 16}...) // a COM segment too
	out = append(out, []byte("taken by Anh's ")...)
	out = append(out, raw[2:]...)
	return out
}

func pngChunk(typ string, data []byte) []byte {
	var c bytes.Buffer
	binary.Write(&c, binary.BigEndian, uint32(len(data)))
	c.WriteString(typ)
	c.Write(data)
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	binary.Write(&c, binary.BigEndian, crc.Sum32())
	return c.Bytes()
}

// pngWithMetadata encodes a w×h image and adds tEXt and eXIf chunks before
// the image data.
func pngWithMetadata(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, testImage(w, h)); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	ihdrEnd := 8 + 8 + 13 + 4
	out := append([]byte{}, raw[:ihdrEnd]...)
	out = append(out, pngChunk("tEXt", append([]byte("Comment\x00"), gpsMarker...))...)
	exif := exifSegment(1)[4+6:] // the TIFF part
	out = append(out, pngChunk("eXIf", exif)...)
	out = append(out, raw[ihdrEnd:]...)
	return out
}

// pngClaiming is a valid small PNG whose header claims other dimensions.
func pngClaiming(t *testing.T, w, h uint32) []byte {
	t.Helper()
	var b bytes.Buffer
	png.Encode(&b, testImage(4, 4))
	raw := b.Bytes()
	ihdr := make([]byte, 13)
	copy(ihdr, raw[16:29])
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	out := append([]byte{}, raw[:8]...)
	out = append(out, pngChunk("IHDR", ihdr)...)
	return append(out, raw[8+25:]...)
}

// --- helpers ---------------------------------------------------------------

func mustClean(t *testing.T, name string, data []byte) upload.File {
	t.Helper()
	f, err := upload.Clean(name, data, upload.Limits{})
	if err != nil {
		t.Fatalf("Clean(%q): %v", name, err)
	}
	return f
}

func wantRefused(t *testing.T, name string, data []byte, limits upload.Limits, why ...string) {
	t.Helper()
	_, err := upload.Clean(name, data, limits)
	if !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("Clean(%q) = %v, want an invalid-input error", name, err)
	}
	if apperr.FieldsOf(err)["file"] == "" {
		t.Errorf("Clean(%q): the error is not about the field file: %v", name, err)
	}
	msg := apperr.MessageOf(err)
	for _, w := range why {
		if !strings.Contains(msg, w) {
			t.Errorf("Clean(%q): message %q does not say %q", name, msg, w)
		}
	}
}

// --- tests -----------------------------------------------------------------

func TestPDFAcceptedAsSent(t *testing.T) {
	pdf := simplePDF()
	f := mustClean(t, "Giấy khai sinh.PDF", pdf)
	if f.ContentType != upload.PDF || !bytes.Equal(f.Data, pdf) {
		t.Errorf("a clean PDF changed: %s, %d bytes (sent %d)", f.ContentType, len(f.Data), len(pdf))
	}
	if f.Name != "Giấy khai sinh.pdf" {
		t.Errorf("name %q", f.Name)
	}
	// A PDF that keeps harmless objects in an object stream is read and accepted.
	mustClean(t, "objstm.pdf", objStmPDF("/PageMode /UseNone"))
	// Compressed page content that happens to contain /JS in its bytes is
	// not refused for it.
	noisy := deflate("q /JS gs Q")
	mustClean(t, "noisy.pdf", buildPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>",
		fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", len(noisy), "/JS "+noisy)))
}

func TestPDFWithActiveContentRefused(t *testing.T) {
	cases := []struct {
		name string
		pdf  []byte
		why  string
	}{
		{"js-open-action", buildPDF("<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>",
			"<< /S /JavaScript /JS (app.alert('xin chao')) >>"), "JavaScript"},
		{"js-obfuscated-name", buildPDF("<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /J#61vaScript /J#53 (x) >> >>",
			"<< /Type /Pages /Kids [] /Count 0 >>"), "JavaScript"},
		{"js-names-tree", buildPDF("<< /Type /Catalog /Pages 2 0 R /Names << /JavaScript 3 0 R >> >>", "<< /Type /Pages /Kids [] /Count 0 >>",
			"<< /Names [(a) << /S /JavaScript /JS (1) >>] >>"), "JavaScript"},
		{"launch", buildPDF("<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /Launch /F (cmd.exe) >> >>",
			"<< /Type /Pages /Kids [] /Count 0 >>"), "Launch"},
		{"embedded-file", buildPDF("<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 3 0 R >> >>", "<< /Type /Pages /Kids [] /Count 0 >>",
			"<< /Names [(x.exe) << /Type /Filespec /EF << /F 4 0 R >> >>] >>", "<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream"),
			"tệp đính kèm"},
		{"js-in-object-stream", objStmPDF("/OpenAction << /S /JavaScript /JS (app.launchURL('x')) >>"), "JavaScript"},
		{"launch-in-object-stream", objStmPDF("/OpenAction << /S /Launch /F (x) >>"), "Launch"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantRefused(t, c.name+".pdf", c.pdf, upload.Limits{}, c.why, "In")
		})
	}
}

func TestPDFMustBeWhole(t *testing.T) {
	pdf := simplePDF()
	cut := pdf[:len(pdf)-40]
	wantRefused(t, "cut.pdf", cut, upload.Limits{}, "%%EOF")
	wantRefused(t, "fake.pdf", []byte("%PDF-x this is not a pdf %%EOF"), upload.Limits{}, "PDF")
	// An object stream that cannot be inflated cannot be checked.
	broken := buildPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length 9 >>\nstream\nnot zlib!\nendstream")
	wantRefused(t, "broken.pdf", broken, upload.Limits{}, "nén")
	// Nor one compressed in a way the scan does not read.
	lzw := buildPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /ObjStm /N 1 /First 4 /Filter /LZWDecode /Length 4 >>\nstream\nabcd\nendstream")
	wantRefused(t, "lzw.pdf", lzw, upload.Limits{}, "nén")
}

// TestJPEGLosesEXIFAndGPS sends a photo with an EXIF segment holding GPS
// coordinates and a comment: what is kept has no APP1 or COM segment and none
// of those bytes, and is the same picture at the same size.
func TestJPEGLosesEXIFAndGPS(t *testing.T) {
	in := jpegWithEXIF(t, 64, 48, 1)
	if !bytes.Contains(in, []byte("Exif\x00\x00")) || !bytes.Contains(in, gpsMarker) {
		t.Fatal("the test photo has no EXIF")
	}
	if _, err := jpeg.Decode(bytes.NewReader(in)); err != nil {
		t.Fatalf("the test photo does not decode: %v", err)
	}
	f := mustClean(t, "IMG_2026.JPG", in)
	if f.ContentType != upload.JPEG || f.Name != "IMG_2026.jpg" {
		t.Errorf("type %s name %q", f.ContentType, f.Name)
	}
	for _, leak := range [][]byte{[]byte("Exif"), gpsMarker, []byte("Anh's"), {0xFF, 0xE1}, {0xFF, 0xFE}} {
		if bytes.Contains(f.Data, leak) {
			t.Errorf("the cleaned photo still holds %q", leak)
		}
	}
	img, err := jpeg.Decode(bytes.NewReader(f.Data))
	if err != nil {
		t.Fatalf("the cleaned photo does not decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 64 || b.Dy() != 48 {
		t.Errorf("cleaned photo is %d×%d, want 64×48", b.Dx(), b.Dy())
	}
	// The picture is the same: a pixel in the middle keeps its colour.
	r, g, _, _ := img.At(32, 24).RGBA()
	if r>>8 < 110 || r>>8 > 146 || g>>8 < 110 || g>>8 > 146 {
		t.Errorf("pixel (32,24) = %d,%d, want about 127,127", r>>8, g>>8)
	}
}

// TestJPEGTurnedUpright: a photo taken with the phone turned keeps looking
// upright once its orientation tag is gone.
func TestJPEGTurnedUpright(t *testing.T) {
	f := mustClean(t, "doc.jpg", jpegWithEXIF(t, 64, 48, 6))
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(f.Data))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 48 || cfg.Height != 64 {
		t.Errorf("a photo tagged to turn 90° is %d×%d, want 48×64", cfg.Width, cfg.Height)
	}
	img, _ := jpeg.Decode(bytes.NewReader(f.Data))
	// Turned clockwise: the original's top-left (dark red, dark green)
	// corner is now at the top right.
	r, g, _, _ := img.At(47, 0).RGBA()
	if r>>8 > 40 || g>>8 > 40 {
		t.Errorf("top right after turning = %d,%d, want the dark corner", r>>8, g>>8)
	}
}

func TestPNGLosesTextAndEXIFChunks(t *testing.T) {
	in := pngWithMetadata(t, 40, 30)
	if _, err := png.Decode(bytes.NewReader(in)); err != nil {
		t.Fatalf("the test PNG does not decode: %v", err)
	}
	f := mustClean(t, "scan.png", in)
	for _, leak := range [][]byte{[]byte("tEXt"), []byte("eXIf"), gpsMarker} {
		if bytes.Contains(f.Data, leak) {
			t.Errorf("the cleaned PNG still holds %q", leak)
		}
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(f.Data))
	if err != nil || cfg.Width != 40 || cfg.Height != 30 {
		t.Errorf("cleaned PNG: %v %d×%d, want 40×30", err, cfg.Width, cfg.Height)
	}
}

func TestImageBombsRefused(t *testing.T) {
	wantRefused(t, "bomb.png", pngClaiming(t, 50000, 50000), upload.Limits{}, "quá lớn", "50000 × 50000")
	wantRefused(t, "wide.png", pngClaiming(t, 30000, 10), upload.Limits{}, "quá lớn")
	// 8000 × 6000 is 48 megapixels: over the default.
	wantRefused(t, "48mp.png", pngClaiming(t, 8000, 6000), upload.Limits{}, "quá lớn")
	// The limits can be set lower.
	var b bytes.Buffer
	png.Encode(&b, testImage(100, 100))
	wantRefused(t, "small.png", b.Bytes(), upload.Limits{MaxPixels: 5000}, "quá lớn")
	mustClean(t, "ok.png", b.Bytes())
	// A damaged image is refused, not half-kept.
	wantRefused(t, "cut.png", b.Bytes()[:len(b.Bytes())/2], upload.Limits{}, "hỏng")
}

func zipFile(t *testing.T, name, content string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, _ := w.Create(name)
	f.Write([]byte(content))
	w.Close()
	return b.Bytes()
}

func TestOtherTypesRefused(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		why  string
	}{
		{"setup.exe", append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 64)...), "chương trình"},
		{"tool", append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 64)...), "chương trình"},
		{"app", append([]byte("\xcf\xfa\xed\xfe\x07\x00\x00\x01"), make([]byte, 64)...), "chương trình"},
		{"run.sh", []byte("#!/bin/sh\nrm -rf /\n"), "tập lệnh"},
		{"page.html", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), "HTML"},
		{"logo.svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), "SVG"},
		{"logo.jpg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "SVG"},
		{"files.zip", zipFile(t, "a.txt", strings.Repeat("0", 10000)), "ZIP"},
		{"don.docx", zipFile(t, "word/document.xml", "<w:document/>"), "Office"},
		{"don.doc", append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 64)...), "Office"},
		{"a.rar", []byte("Rar!\x1a\x07\x01\x00rest"), "nén"},
		{"a.gz", []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"), "nén"},
		{"a.7z", []byte("7z\xbc\xaf\x27\x1c\x00\x04"), "nén"},
		{"anh.gif", []byte("GIF89a\x01\x00\x01\x00"), "JPEG hoặc PNG"},
		{"note.pdf", []byte("just some text that claims to be a PDF"), "PDF, JPEG hoặc PNG"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantRefused(t, c.name, c.data, upload.Limits{}, c.why, "Chỉ nhận tệp PDF, JPEG hoặc PNG")
		})
	}
}

func TestSizeLimits(t *testing.T) {
	wantRefused(t, "empty.pdf", nil, upload.Limits{}, "rỗng")
	pdf := simplePDF()
	wantRefused(t, "big.pdf", pdf, upload.Limits{MaxBytes: int64(len(pdf) - 1)}, "quá lớn")
	mustClean(t, "fits.pdf", pdf)
	if _, err := upload.Read(bytes.NewReader(make([]byte, 11<<20)), upload.Limits{}); !apperr.Is(err, apperr.Invalid) ||
		!strings.Contains(apperr.MessageOf(err), "10 MB") {
		t.Errorf("Read of 11 MB: %v", err)
	}
	if data, err := upload.Read(bytes.NewReader(pdf), upload.Limits{}); err != nil || !bytes.Equal(data, pdf) {
		t.Errorf("Read: %v", err)
	}
}

func TestCleanName(t *testing.T) {
	nfd := norm.NFD.String("Giấy khai sinh")
	long := strings.Repeat("Đăng ký ", 40) + ".pdf"
	cases := []struct{ in, typ, want string }{
		{`C:\Users\an\Desktop\giay khai sinh.PNG`, upload.JPEG, "giay khai sinh.jpg"},
		{"../../etc/passwd", upload.PDF, "passwd.pdf"},
		{nfd + ".pdf", upload.PDF, "Giấy khai sinh.pdf"},
		{"virus.exe", upload.PDF, "virus.exe.pdf"},
		{"ảnh.jpeg", upload.PNG, "ảnh.png"},
		{"", upload.PDF, "tai-lieu.pdf"},
		{".pdf", upload.PDF, "tai-lieu.pdf"},
		{"...", upload.PNG, "tai-lieu.png"},
		{"bao\x00cao\x07\n  2026.pdf", upload.PDF, "baocao 2026.pdf"},
		{"hoa-don\u202Egpj.exe", upload.PDF, "hoa-dongpj.exe.pdf"},
		{`a<b>:c"d|e?f*.pdf`, upload.PDF, "a_b__c_d_e_f_.pdf"},
		{"bad\xff\xfeutf8.pdf", upload.PDF, "badutf8.pdf"},
	}
	for _, c := range cases {
		if got := upload.CleanName(c.in, c.typ); got != c.want {
			t.Errorf("CleanName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	got := upload.CleanName(long, upload.PDF)
	if n := len([]rune(got)); n > upload.MaxNameRunes || !strings.HasSuffix(got, ".pdf") || !strings.HasPrefix(got, "Đăng ký Đăng ký") {
		t.Errorf("long name cleaned to %d characters: %q", n, got)
	}
	if !norm.NFC.IsNormalString(got) {
		t.Errorf("not NFC: %q", got)
	}
}

// FuzzClean: whatever arrives, Clean neither panics nor accepts something it
// cannot name the type of.
func FuzzClean(f *testing.F) {
	f.Add("a.pdf", simplePDF())
	f.Add("b.pdf", objStmPDF("/OpenAction << /S /JavaScript /JS (1) >>"))
	var j bytes.Buffer
	jpeg.Encode(&j, testImage(8, 8), nil)
	f.Add("c.jpg", j.Bytes())
	var p bytes.Buffer
	png.Encode(&p, testImage(8, 8))
	f.Add("d.png", p.Bytes())
	f.Add("e.zip", []byte("PK\x03\x04"))
	f.Add("f", []byte("%PDF-1.4\n<< /Type /ObjStm /Filter /FlateDecode >>\nstream\n\x78\x9c\nendstream %%EOF"))
	f.Add("g", []byte("\xff\xd8\xff\xe1\x00\x10Exif\x00\x00II*\x00\x08\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		file, err := upload.Clean(name, data, upload.Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 20, MaxSide: 4096})
		if err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("error of code %s: %v", apperr.CodeOf(err), err)
			}
			return
		}
		switch file.ContentType {
		case upload.PDF, upload.JPEG, upload.PNG:
		default:
			t.Fatalf("accepted as %q", file.ContentType)
		}
		if file.Name == "" || len([]rune(file.Name)) > upload.MaxNameRunes || len(file.Data) == 0 {
			t.Fatalf("accepted with name %q and %d bytes", file.Name, len(file.Data))
		}
	})
}
