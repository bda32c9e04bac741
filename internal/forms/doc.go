// Package forms prints the documents of the one-stop dossier system
// (Nghị định 118/2025/NĐ-CP), modelled on the annex forms of Thông tư
// 03/2025/TT-VPCP (which replaced Thông tư 01/2018/TT-VPCP):
//
//	Form01     Giấy tiếp nhận hồ sơ và hẹn trả kết quả (two copies, "liên")
//	Form02     Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ
//	Form03     Phiếu từ chối tiếp nhận giải quyết hồ sơ
//	Form04     Phiếu xin lỗi và hẹn lại ngày trả kết quả
//	Form05     Phiếu đề nghị dừng / Thông báo dừng giải quyết hồ sơ
//	Form06     Phiếu kiểm soát quá trình giải quyết hồ sơ
//	Register07 Sổ theo dõi hồ sơ (an .xlsx workbook)
//
// The PDF forms are A4 portrait, laid out after Nghị định 30/2020/NĐ-CP on
// administrative documents: the issuing body top left, the national heading
// top right, the place and date line in italics, the title in bold capitals.
// Each carries the dossier code and, when Dossier.StatusURL is set, a QR code
// a citizen scans to follow the dossier. Text is set in Noto Serif, embedded
// in the binary (see fonts/README.md), which has precomposed glyphs for every
// Vietnamese letter; all text is normalised to NFC before it is printed.
//
// Times are shown in Vietnam's time (UTC+7, a fixed zone, so no tzdata is
// needed) whatever location the time.Time values carry. Output is
// deterministic: the same input gives the same bytes, because the PDF
// creation date is taken from the data, never from the clock.
//
// The package is a leaf: it imports no other congso package. The dossier
// package fills the plain data structures declared here.
package forms
