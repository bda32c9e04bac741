package forms

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
)

// qrMatrix encodes content as a QR code (error correction level M, which
// survives a fold or a stamp across the code) and returns its modules, true
// for dark, without the quiet zone.
func qrMatrix(content string) ([][]bool, error) {
	code, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("forms: encoding QR code: %w", err)
	}
	return modules(code), nil
}

func modules(code barcode.Barcode) [][]bool {
	b := code.Bounds()
	m := make([][]bool, b.Dy())
	for y := range m {
		m[y] = make([]bool, b.Dx())
		for x := range m[y] {
			r, _, _, _ := code.At(b.Min.X+x, b.Min.Y+y).RGBA()
			m[y][x] = r < 0x8000
		}
	}
	return m
}

// qrCode draws a QR code as vector graphics, size millimetres square with its
// top-left corner at (x, y). The dark modules of each row are merged into
// runs and the whole code is filled as one path, so it prints sharp at any
// resolution and shows no hairline seams in viewers. The caller leaves a
// quiet zone of at least four modules around it.
func (d *doc) qrCode(x, y, size float64, content string) error {
	m, err := qrMatrix(content)
	if err != nil {
		return err
	}
	n := float64(len(m))
	mod := size / n
	k := d.f.GetConversionRatio() // points per millimetre
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
	var b strings.Builder
	b.WriteString("q 0 g\n")
	for row, line := range m {
		for col := 0; col < len(line); {
			if !line[col] {
				col++
				continue
			}
			start := col
			for col < len(line) && line[col] {
				col++
			}
			// PDF user space: origin bottom-left, in points.
			px := (x + float64(start)*mod) * k
			py := (pageH - y - float64(row+1)*mod) * k
			b.WriteString(num(px) + " " + num(py) + " " + num(float64(col-start)*mod*k) + " " + num(mod*k) + " re\n")
		}
	}
	b.WriteString("f\nQ\n")
	d.f.RawWriteStr(b.String())
	return nil
}
