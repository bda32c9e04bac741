package web

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/congso/congso/internal/apperr"
)

// maxScan bounds one scanned paper before it reaches the dossier service,
// which has its own, configured bound.
const maxScan = 10 << 20

// scan is a file chosen in a form, with the input it came in and the name of
// the paper it is.
type scan struct {
	input    string
	document string
	name     string
	data     []byte
}

// scanMessages are the message keys a form shows for a refused file.
type scanMessages struct{ empty, tooBig, fileType string }

// checkScan mirrors the dossier service's check of a file (PDF, JPEG or PNG
// by content, size), so that a wrong file stops a form before anything is
// created.
func checkScan(lang string, data []byte, m scanMessages) string {
	switch {
	case len(data) == 0:
		return translate(lang, m.empty)
	case len(data) > maxScan:
		return translate(lang, m.tooBig)
	}
	ct := http.DetectContentType(data)
	if i := strings.Index(ct, ";"); i >= 0 {
		ct = ct[:i]
	}
	if ct == "image/jpeg" || ct == "image/png" || (ct == "application/pdf" && bytes.HasPrefix(data, []byte("%PDF-"))) {
		return ""
	}
	return translate(lang, m.fileType)
}

// readScans reads the files of a multipart form from the inputs, each with
// the name of the paper it is; a refused file is reported under its input.
func readScans(lang string, form *multipart.Form, inputs [][2]string, errs apperr.Fields, m scanMessages) []scan {
	var out []scan
	for _, in := range inputs {
		input, document := in[0], in[1]
		for _, fh := range form.File[input] {
			if fh.Filename == "" && fh.Size == 0 {
				continue
			}
			f, err := fh.Open()
			if err != nil {
				errs.Add(input, fh.Filename+": "+translate(lang, m.fileType))
				continue
			}
			data, err := io.ReadAll(io.LimitReader(f, maxScan+1))
			f.Close()
			if err != nil {
				errs.Add(input, fh.Filename+": "+translate(lang, m.fileType))
				continue
			}
			if msg := checkScan(lang, data, m); msg != "" {
				errs.Add(input, fh.Filename+": "+msg)
				continue
			}
			out = append(out, scan{input: input, document: document, name: fh.Filename, data: data})
		}
	}
	return out
}

// chosenFiles reports whether any file was chosen in the form.
func chosenFiles(form *multipart.Form) bool {
	if form == nil {
		return false
	}
	for _, fhs := range form.File {
		for _, fh := range fhs {
			if fh.Filename != "" || fh.Size > 0 {
				return true
			}
		}
	}
	return false
}
