package upload

import (
	"bytes"
	"compress/zlib"
	"io"

	"github.com/congso/congso/internal/apperr"
)

// A PDF is kept as it was sent (it may carry a digital signature that any
// rewrite would break), so it is checked instead: it must look like a whole
// PDF, and it must not carry active content. The check is a conservative scan
// of the names the file uses — PDF names, with their #xx escapes decoded so
// that "/J#61vaScript" does not slip through — in the file itself and inside
// its compressed object streams, where PDF 1.5 and later keep dictionaries.
// A dangerous name anywhere refuses the file, even where a reader would
// ignore it: an honest file refused can be printed to PDF again; a malicious
// one accepted reaches an official's computer.
//
// Inside the raw data of ordinary streams (page content, images, fonts) only
// the long names count: random compressed bytes spell a three-byte name such
// as /JS in a few files in a hundred, but never /JavaScript — and a script
// action needs /S /JavaScript besides its /JS, so it is caught by that name
// wherever it hides.

// danger is a refused name with the reason shown to the user.
type danger struct {
	why string
	// short names are not looked for in raw stream data.
	short bool
}

var dangerous = map[string]danger{
	"JavaScript":    {why: "chứa mã JavaScript"},
	"JS":            {why: "chứa mã JavaScript", short: true},
	"Launch":        {why: "chứa lệnh mở chương trình khác (Launch)"},
	"EmbeddedFile":  {why: "chứa tệp đính kèm bên trong"},
	"EmbeddedFiles": {why: "chứa tệp đính kèm bên trong"},
	"GoToE":         {why: "chứa liên kết tới tệp đính kèm bên trong"},
	"RichMedia":     {why: "chứa nội dung đa phương tiện (Flash, video)"},
	"XFA":           {why: "là biểu mẫu động XFA, có thể chứa mã lệnh", short: true},
}

// maxInflated bounds what the scan decompresses in all, so that a
// compression bomb hidden in an object stream costs nothing.
const maxInflated = 64 << 20

func cleanPDF(data []byte) (File, error) {
	if !isVersion(data[len(magicPDF):]) {
		return File{}, apperr.Field("file", "Tệp không phải PDF hợp lệ (thiếu phần đầu %PDF-1.x).")
	}
	tail := data[max(0, len(data)-1024):]
	if !bytes.Contains(tail, []byte("%%EOF")) {
		return File{}, apperr.Field("file", "Tệp PDF không đầy đủ (thiếu phần kết thúc %%EOF): có thể tệp bị cắt khi tải lên. Hãy gửi lại.")
	}
	if why := scanPDF(data); why != "" {
		return File{}, apperr.Field("file", "Không nhận tệp PDF này vì tệp "+why+
			". Hãy in tài liệu ra PDF thường (In → Lưu thành PDF) rồi gửi lại.")
	}
	return File{ContentType: PDF, Data: data}, nil
}

func isVersion(b []byte) bool {
	return len(b) >= 3 && (b[0] == '1' || b[0] == '2') && b[1] == '.' && b[2] >= '0' && b[2] <= '9'
}

// scanPDF returns why the PDF is refused, or "".
func scanPDF(data []byte) string {
	streams := findStreams(data)
	// The union of the streams' data, to tell where a name lies.
	var spans [][2]int
	for _, s := range streams {
		if n := len(spans); n > 0 && s.start <= spans[n-1][1] {
			spans[n-1][1] = max(spans[n-1][1], s.end)
			continue
		}
		spans = append(spans, [2]int{s.start, s.end})
	}
	next := 0 // the first span not ending before the name
	objStms, encrypted := 0, false
	for _, n := range pdfNames(data) {
		for next < len(spans) && spans[next][1] <= n.at {
			next++
		}
		inStream := next < len(spans) && spans[next][0] <= n.at
		if d, bad := dangerous[n.name]; bad && !(inStream && d.short) {
			return d.why
		}
		switch n.name {
		case "ObjStm":
			objStms++
		case "Encrypt":
			encrypted = true
		}
	}
	if objStms == 0 {
		return ""
	}
	if encrypted {
		return "được mã hóa nên không kiểm tra được nội dung bên trong"
	}
	budget := maxInflated
	found := 0
	for _, s := range streams {
		if !s.objStm {
			continue
		}
		found++
		content := data[s.start:s.end]
		switch s.filter {
		case "":
		case "FlateDecode":
			var ok bool
			if content, ok = inflate(content, &budget); !ok {
				if budget < 0 {
					return "chứa dữ liệu nén bất thường"
				}
				return "có phần nén bị hỏng"
			}
		default:
			return "dùng cách nén không kiểm tra được"
		}
		for _, n := range pdfNames(content) {
			if d, bad := dangerous[n.name]; bad {
				return d.why
			}
		}
	}
	if found < objStms {
		// An object stream whose data could not be located is one that was
		// not checked.
		return "có cấu trúc không kiểm tra được"
	}
	return ""
}

// isDelim reports PDF delimiters and white space, which end a name.
func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%', ' ', '\t', '\r', '\n', '\f', 0:
		return true
	}
	return false
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

type pdfName struct {
	name string
	at   int
}

// pdfNames lists every name token (/Name) in b with its offset, #xx escapes
// decoded.
func pdfNames(b []byte) []pdfName {
	var out []pdfName
	var name []byte
	for i := 0; i < len(b); i++ {
		if b[i] != '/' {
			continue
		}
		name = name[:0]
		j := i + 1
		for ; j < len(b) && !isDelim(b[j]); j++ {
			c := b[j]
			if c == '#' && j+2 < len(b) {
				hi, ok1 := unhex(b[j+1])
				lo, ok2 := unhex(b[j+2])
				if ok1 && ok2 {
					c = hi<<4 | lo
					j += 2
				}
			}
			name = append(name, c)
		}
		if len(name) > 0 && len(name) <= 127 {
			out = append(out, pdfName{name: string(name), at: i})
		}
		i = j - 1
	}
	return out
}

// pdfStream is where the raw data of a stream lies in the file.
type pdfStream struct {
	start, end int
	objStm     bool
	// filter is "" (none), "FlateDecode", or "?" for anything else (other
	// filters, chains, predictors).
	filter string
}

// findStreams finds the data of every stream: after a "stream" keyword that
// follows a dictionary and ends its line, up to the next "endstream". Every
// such keyword counts, even one inside the data of another stream, so that a
// crafted stream cannot hide the next one's dictionary.
func findStreams(data []byte) []pdfStream {
	var out []pdfStream
	kw := []byte("stream")
	for pos := 0; pos < len(data); {
		k := bytes.Index(data[pos:], kw)
		if k < 0 {
			break
		}
		k += pos
		pos = k + len(kw)
		before := bytes.TrimRight(data[max(0, k-64):k], " \t\r\n\f\x00")
		if !bytes.HasSuffix(before, []byte(">>")) {
			continue // "endstream", or the word in some text
		}
		var start int
		switch {
		case pos+1 < len(data) && data[pos] == '\r' && data[pos+1] == '\n':
			start = pos + 2
		case pos < len(data) && (data[pos] == '\n' || data[pos] == '\r'):
			start = pos + 1
		default:
			continue // the keyword must end its line
		}
		s := pdfStream{start: start, end: len(data)}
		if e := bytes.Index(data[start:], []byte("endstream")); e >= 0 {
			s.end = start + e
		}
		// The stream's dictionary: from the "obj" keyword before it.
		dict := data[max(0, k-4096):k]
		if o := bytes.LastIndex(dict, []byte("obj")); o >= 0 {
			dict = dict[o:]
		}
		filters, flate := 0, false
		for _, n := range pdfNames(dict) {
			switch n.name {
			case "ObjStm":
				s.objStm = true
			case "FlateDecode", "Fl":
				filters++
				flate = true
			case "DecodeParms", "DP", "LZWDecode", "ASCIIHexDecode", "ASCII85Decode", "RunLengthDecode", "DCTDecode",
				"JBIG2Decode", "JPXDecode", "CCITTFaxDecode", "Crypt", "LZW", "AHx", "A85", "RL", "DCT", "CCF":
				filters++
			}
		}
		switch {
		case filters == 0:
		case filters == 1 && flate:
			s.filter = "FlateDecode"
		default:
			s.filter = "?"
		}
		out = append(out, s)
	}
	return out
}

// inflate decompresses a whole zlib stream within the remaining budget; a
// truncated or damaged stream fails.
func inflate(b []byte, budget *int) ([]byte, bool) {
	r, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, false
	}
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, int64(*budget)+1))
	*budget -= len(out)
	if err != nil || *budget < 0 {
		return nil, false
	}
	return out, true
}
