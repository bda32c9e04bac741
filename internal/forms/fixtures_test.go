package forms

import (
	"fmt"
	"time"
)

// vietnamese is text with stacked diacritics in every position the fonts
// must handle.
const vietnamese = "Đăng ký khai sinh — Ủy ban nhân dân phường Thành Sen — Nguyễn Thị Hường, ngày 22 tháng 11 năm 2026, Kỳ Anh, Hồng Lĩnh, Quỳnh, Ngọ, Ỷ"

func at(y int, m time.Month, d, hh, mm int) time.Time {
	// Given in UTC on purpose: the forms must show Vietnam's time.
	return time.Date(y, m, d, hh, mm, 0, 0, time.FixedZone("ICT", 7*3600)).UTC()
}

func sampleDossier() *Dossier {
	return &Dossier{
		Code:          "000.00.12.H30-261122-0001",
		ProcedureName: "Đăng ký khai sinh",
		Field:         "Hộ tịch",
		Agency: Agency{
			Name:    "Ủy ban nhân dân phường Thành Sen",
			Parent:  "UBND TỈNH HÀ TĨNH",
			Address: "Số 1 đường Nguyễn Du, phường Thành Sen, tỉnh Hà Tĩnh",
			Phone:   "0239 3855 123",
			Place:   "Hà Tĩnh",
		},
		Applicant: Person{
			Name:      "Nguyễn Thị Hường",
			CitizenID: "042190001234",
			Phone:     "0912 345 678",
			Email:     "huong.nt@example.vn",
			Address:   "Số 12 ngõ 4 đường Hà Huy Tập, tổ dân phố Quỳnh Lưu, phường Thành Sen, tỉnh Hà Tĩnh",
		},
		Documents: []DocumentLine{
			{Name: "Tờ khai đăng ký khai sinh (theo mẫu)", Originals: 1},
			{Name: "Giấy chứng sinh do cơ sở y tế cấp", Originals: 1},
			{Name: "Giấy chứng nhận kết hôn của cha, mẹ", Copies: 1, Note: "Bản sao có chứng thực"},
			{Name: "Văn bản ủy quyền (trường hợp ủy quyền đăng ký khai sinh)", Originals: 1, Note: "Nếu có"},
		},
		ReceivedAt:     at(2026, 11, 22, 8, 30),
		DueAt:          at(2026, 11, 27, 16, 0),
		ProcessingTime: "03 ngày làm việc",
		ResultMode:     ResultAtCounter,
		Fees:           50000,
		Receiver:       "Trần Văn Kỳ",
		StatusURL:      "https://dichvucong.hatinh.gov.vn/tra-cuu?ma=000.00.12.H30-261122-0001",
	}
}

func sampleRegister(n int) *Register {
	r := &Register{
		Agency: Agency{Name: "Ủy ban nhân dân phường Thành Sen", Parent: "UBND TỈNH HÀ TĨNH", Place: "Hà Tĩnh"},
		From:   at(2026, 11, 1, 0, 0),
		To:     at(2026, 11, 30, 0, 0),
	}
	names := []string{"Nguyễn Thị Hường", "Trần Văn Kỳ", "Lê Thị Ngọ", "Phạm Đức Quỳnh", "Hồ Thị Ỷ"}
	procs := []string{"Đăng ký khai sinh", "Chứng thực bản sao từ bản chính", "Đăng ký kết hôn", "Cấp giấy xác nhận tình trạng hôn nhân"}
	statuses := []string{"Đã trả kết quả", "Đang giải quyết", "Chờ bổ sung"}
	for i := range n {
		received := at(2026, 11, 1+i%28, 8+i%9, (i*7)%60)
		row := RegisterRow{
			Code:      fmt.Sprintf("000.00.12.H30-2611%02d-%04d", 1+i%28, i+1),
			Procedure: procs[i%len(procs)],
			Applicant: names[i%len(names)],
			Address:   fmt.Sprintf("Số %d đường Hà Huy Tập, phường Thành Sen, tỉnh Hà Tĩnh", i+1),
			Phone:     fmt.Sprintf("09%08d", i),
			Received:  received,
			Due:       received.Add(72 * time.Hour),
			Agency:    "Ủy ban nhân dân phường Thành Sen",
			Status:    statuses[i%len(statuses)],
		}
		if row.Status == "Đã trả kết quả" {
			row.Done = received.Add(48 * time.Hour)
			row.Returned = received.Add(50 * time.Hour)
			row.Outcome = OutcomeEarly
		}
		if i%10 == 9 {
			row.Note = "Hồ sơ nộp trực tuyến"
		}
		r.Rows = append(r.Rows, row)
	}
	return r
}

func sampleHistory(n int) ProcessControl {
	start := at(2026, 11, 22, 8, 30)
	actions := []struct{ agency, actor, role, action string }{
		{"Bộ phận Một cửa phường Thành Sen", "Trần Văn Kỳ", "Công chức tiếp nhận", "Tiếp nhận, chuyển hồ sơ"},
		{"Phòng Văn hóa - Xã hội", "Lê Thị Ngọ", "Chuyên viên", "Thẩm định hồ sơ"},
		{"Phòng Văn hóa - Xã hội", "Phạm Đức Quỳnh", "Lãnh đạo phòng", "Xem xét, trình ký"},
		{"Ủy ban nhân dân phường Thành Sen", "Hồ Sỹ Anh", "Phó Chủ tịch", "Ký duyệt kết quả"},
		{"Bộ phận Một cửa phường Thành Sen", "Trần Văn Kỳ", "Công chức tiếp nhận", "Trả kết quả"},
	}
	var h History
	t := start
	for i := range n {
		a := actions[i%len(actions)]
		s := Step{Agency: a.agency, Actor: a.actor, Role: a.role, Action: a.action, Received: t, Due: t.Add(48 * time.Hour)}
		switch {
		case i == n-1:
			// the current step: not done yet
		case i%7 == 3:
			s.Done = s.Due.Add(20 * time.Hour) // late
			s.Note = fmt.Sprintf("Chậm do chờ xác minh (lần %d)", i/7+1)
		case i%3 == 0:
			s.Done = s.Due.Add(-time.Hour) // on the due day
		default:
			s.Done = t.Add(2 * time.Hour) // days early
		}
		if !s.Done.IsZero() {
			t = s.Done
		}
		h = append(h, s)
	}
	return ProcessControl{History: h}
}
