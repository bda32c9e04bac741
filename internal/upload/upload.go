// Package upload makes files sent by users safe to keep and to hand to
// others: it accepts only PDF, JPEG and PNG, judged by their content; it
// re-encodes images, which drops every piece of metadata they carried (EXIF
// with the GPS position of the phone that took the photo, comments, editing
// history) and anything smuggled after the image data; it refuses PDFs that
// carry scripts, launch actions or embedded files; and it cleans the file
// name. Dossier attachments and the citizen's e-data store both go through it.
package upload

import (
	"bytes"
	"fmt"
	"io"

	"github.com/congso/congso/internal/apperr"
)

// Accepted content types.
const (
	PDF  = "application/pdf"
	JPEG = "image/jpeg"
	PNG  = "image/png"
)

// Limits bound what Clean accepts. Zero fields take the defaults.
type Limits struct {
	// MaxBytes bounds the file's size (default 10 MB).
	MaxBytes int64
	// MaxPixels bounds an image's width × height (default 40 megapixels): a
	// small PNG of a huge blank page would take gigabytes once decoded.
	MaxPixels int64
	// MaxSide bounds an image's width and height (default 20 000 pixels).
	MaxSide int
}

// Default limits.
const (
	DefaultMaxBytes  = 10 << 20
	DefaultMaxPixels = 40_000_000
	DefaultMaxSide   = 20_000
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultMaxPixels
	}
	if l.MaxSide <= 0 {
		l.MaxSide = DefaultMaxSide
	}
	return l
}

// File is an accepted file: its cleaned name, its real type and its content
// (re-encoded for images, as sent for PDFs).
type File struct {
	Name        string
	ContentType string
	Data        []byte
}

// Read reads a whole upload, refusing one over the size limit without reading
// more than one byte past it.
func Read(r io.Reader, limits Limits) ([]byte, error) {
	l := limits.withDefaults()
	data, err := io.ReadAll(io.LimitReader(r, l.MaxBytes+1))
	if err != nil {
		return nil, apperr.Field("file", "Không đọc được tệp gửi lên; hãy gửi lại.")
	}
	if int64(len(data)) > l.MaxBytes {
		return nil, tooLarge(l.MaxBytes)
	}
	return data, nil
}

func tooLarge(max int64) error {
	return apperr.Field("file", fmt.Sprintf("Tệp quá lớn: tối đa %s.", HumanSize(max)))
}

// HumanSize writes a size the way the messages show it.
func HumanSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d byte", n)
}

// Clean checks an uploaded file and returns it ready to store: the type is
// decided by the content whatever the name says, images are re-encoded
// without their metadata, PDFs with active content are refused. Every refusal
// is an Invalid error on the field "file" with a message in Vietnamese that
// says why.
func Clean(name string, data []byte, limits Limits) (File, error) {
	l := limits.withDefaults()
	if len(data) == 0 {
		return File{}, apperr.Field("file", "Tệp rỗng (0 byte); hãy chọn lại tệp.")
	}
	if int64(len(data)) > l.MaxBytes {
		return File{}, tooLarge(l.MaxBytes)
	}
	var f File
	var err error
	switch Sniff(data) {
	case PDF:
		f, err = cleanPDF(data)
	case JPEG:
		f, err = cleanJPEG(data, l)
	case PNG:
		f, err = cleanPNG(data, l)
	default:
		return File{}, refuse(data)
	}
	if err != nil {
		return File{}, err
	}
	f.Name = CleanName(name, f.ContentType)
	return f, nil
}

var (
	magicPDF  = []byte("%PDF-")
	magicJPEG = []byte{0xFF, 0xD8, 0xFF}
	magicPNG  = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}
)

// Sniff returns the accepted type the content starts like, or "".
func Sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, magicPDF):
		return PDF
	case bytes.HasPrefix(data, magicJPEG):
		return JPEG
	case bytes.HasPrefix(data, magicPNG):
		return PNG
	}
	return ""
}

// refuse explains why a file of another type is not accepted. Archives are
// refused whole — ZIP and everything built on it (Office documents, JAR,
// APK), RAR, 7-Zip, gzip, bzip2, xz, tar — so that no archive bomb and nothing
// hidden inside an archive can get in; executables and scripts because they
// run; HTML and SVG because a browser runs the scripts they carry.
func refuse(data []byte) error {
	const accepted = " Chỉ nhận tệp PDF, JPEG hoặc PNG."
	head := data[:min(len(data), 1024)]
	trimmed := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	lower := bytes.ToLower(trimmed)
	has := func(prefixes ...string) bool {
		for _, p := range prefixes {
			if bytes.HasPrefix(data, []byte(p)) {
				return true
			}
		}
		return false
	}
	why := "Loại tệp này không được chấp nhận (kiểm tra theo nội dung tệp, không theo tên)."
	switch {
	case has("MZ"):
		why = "Tệp là chương trình chạy được (Windows) và không được chấp nhận."
	case has("\x7fELF"):
		why = "Tệp là chương trình chạy được (Linux) và không được chấp nhận."
	case has("\xfe\xed\xfa\xce", "\xfe\xed\xfa\xcf", "\xce\xfa\xed\xfe", "\xcf\xfa\xed\xfe", "\xca\xfe\xba\xbe"):
		why = "Tệp là chương trình chạy được (macOS hoặc Java) và không được chấp nhận."
	case bytes.HasPrefix(trimmed, []byte("#!")):
		why = "Tệp là tập lệnh (script) chạy được và không được chấp nhận."
	case bytes.HasPrefix(lower, []byte("<!doctype html")), bytes.HasPrefix(lower, []byte("<html")),
		bytes.HasPrefix(lower, []byte("<script")), bytes.HasPrefix(lower, []byte("<svg")),
		bytes.HasPrefix(lower, []byte("<?xml")), bytes.Contains(lower, []byte("<svg")), bytes.Contains(lower, []byte("<script")):
		why = "Tệp HTML, SVG hoặc XML có thể chứa mã lệnh chạy trên trình duyệt và không được chấp nhận."
	case has("PK\x03\x04", "PK\x05\x06", "PK\x07\x08"):
		why = "Tệp nén ZIP hoặc tài liệu Office (Word, Excel…) không được chấp nhận; hãy lưu tài liệu thành PDF rồi gửi lại."
	case has("Rar!\x1a\x07", "7z\xbc\xaf\x27\x1c", "\x1f\x8b", "BZh", "\xfd7zXZ\x00", "\x28\xb5\x2f\xfd", "MSCF"),
		len(data) > 262 && bytes.Equal(data[257:262], []byte("ustar")):
		why = "Tệp nén (RAR, 7z, gzip, tar…) không được chấp nhận; hãy gửi từng giấy tờ dưới dạng PDF, JPEG hoặc PNG."
	case has("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
		why = "Tài liệu Office định dạng cũ (.doc, .xls) không được chấp nhận; hãy lưu thành PDF rồi gửi lại."
	case has("{\\rtf"):
		why = "Tài liệu RTF không được chấp nhận; hãy lưu thành PDF rồi gửi lại."
	case has("GIF87a", "GIF89a", "BM", "II*\x00", "MM\x00*") || (len(data) > 12 && bytes.Equal(data[8:12], []byte("WEBP"))) ||
		(len(data) > 12 && bytes.Equal(data[4:8], []byte("ftyp"))):
		why = "Định dạng ảnh hoặc video này không được chấp nhận; hãy chụp hoặc lưu ảnh dạng JPEG hoặc PNG."
	}
	return apperr.Field("file", why+accepted)
}
