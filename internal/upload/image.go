package upload

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"

	"github.com/congso/congso/internal/apperr"
)

// JPEGQuality is the quality images are re-encoded at: no visible loss on a
// scan or a photo of a paper.
const JPEGQuality = 90

// checkSize refuses an image whose decoded pixels would not fit the limits,
// from its header alone, before any pixel is decoded.
func checkSize(cfg image.Config, l Limits) error {
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return apperr.Field("file", "Ảnh không hợp lệ (kích thước bằng 0).")
	}
	if cfg.Width > l.MaxSide || cfg.Height > l.MaxSide || int64(cfg.Width)*int64(cfg.Height) > l.MaxPixels {
		return apperr.Field("file", fmt.Sprintf("Ảnh quá lớn (%d × %d điểm ảnh): tối đa %d megapixel và %d điểm ảnh mỗi chiều. Hãy chụp hoặc quét lại ở độ phân giải thấp hơn.",
			cfg.Width, cfg.Height, l.MaxPixels/1_000_000, l.MaxSide))
	}
	return nil
}

// cleanJPEG decodes the image and encodes it again: what comes out has only
// the pixels, turned upright as the camera's orientation tag said, and none of
// the segments the original carried (EXIF, GPS, XMP, comments, thumbnails).
func cleanJPEG(data []byte, l Limits) (File, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return File{}, apperr.Field("file", "Tệp JPEG bị hỏng hoặc không đọc được.")
	}
	if err := checkSize(cfg, l); err != nil {
		return File{}, err
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return File{}, apperr.Field("file", "Tệp JPEG bị hỏng hoặc không đọc được.")
	}
	img = orient(img, jpegOrientation(data))
	var buf bytes.Buffer
	buf.Grow(len(data))
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: JPEGQuality}); err != nil {
		return File{}, apperr.Wrap(err, "re-encode JPEG")
	}
	return File{ContentType: JPEG, Data: buf.Bytes()}, nil
}

// cleanPNG decodes the image and encodes it again; Go's encoder writes only
// the image chunks (IHDR, PLTE, tRNS, IDAT, IEND), so text, eXIf, time and
// any private chunk are gone.
func cleanPNG(data []byte, l Limits) (File, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return File{}, apperr.Field("file", "Tệp PNG bị hỏng hoặc không đọc được.")
	}
	if err := checkSize(cfg, l); err != nil {
		return File{}, err
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return File{}, apperr.Field("file", "Tệp PNG bị hỏng hoặc không đọc được.")
	}
	var buf bytes.Buffer
	buf.Grow(len(data))
	if err := (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, img); err != nil {
		return File{}, apperr.Wrap(err, "re-encode PNG")
	}
	return File{ContentType: PNG, Data: buf.Bytes()}, nil
}

// jpegOrientation reads the EXIF orientation tag (1–8) of a JPEG, 1 when
// there is none or it cannot be read. Only this one value is taken from the
// metadata, so that a photo taken with the phone turned is not shown on its
// side once the metadata is gone.
func jpegOrientation(data []byte) int {
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return 1
		}
		marker := data[i+1]
		if marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01 || marker == 0xFF {
			i++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image: no more headers
			return 1
		}
		size := int(binary.BigEndian.Uint16(data[i+2:]))
		if size < 2 || i+2+size > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+size]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return tiffOrientation(seg[6:])
		}
		i += 2 + size
	}
	return 1
}

// tiffOrientation finds tag 0x0112 in the first IFD of a TIFF header.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 1
	}
	n := int(bo.Uint16(t[off:]))
	for k := 0; k < n; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 {
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// orient turns img upright according to an EXIF orientation value.
func orient(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	// Work on an RGBA copy; the re-encoded JPEG is RGB anyway.
	src := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2: // mirrored horizontally
				dx, dy = w-1-x, y
			case 3: // turned 180°
				dx, dy = w-1-x, h-1-y
			case 4: // mirrored vertically
				dx, dy = x, h-1-y
			case 5: // transposed
				dx, dy = y, x
			case 6: // turned 90° clockwise to be upright
				dx, dy = h-1-y, x
			case 7: // transversed
				dx, dy = h-1-y, w-1-x
			case 8: // turned 90° counter-clockwise to be upright
				dx, dy = y, w-1-x
			}
			si := src.PixOffset(x, y)
			di := dst.PixOffset(dx, dy)
			copy(dst.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	return dst
}
