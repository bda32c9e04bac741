package oidctest

// DemoCitizens are VNeID-style citizens for the simulator: the three citizens
// of the platform's demo data (so that signing in links their existing
// accounts) and one who has no account yet (so that signing in opens one).
// Each call returns a fresh slice.
func DemoCitizens() []User {
	return []User{
		{Subject: "vneid-042090001234", Name: "Nguyễn Văn An", CitizenID: "042090001234", Birthdate: "1990-05-12",
			Phone: "+84912345678", Email: "an.nguyen@example.vn", EmailVerified: true, AMR: []string{"pwd", "otp", "mfa"}},
		{Subject: "vneid-042185003456", Name: "Trần Thị Bình", CitizenID: "042185003456", Birthdate: "1985-11-02",
			Phone: "+84987654321", AMR: []string{"pwd"}},
		{Subject: "vneid-042201007890", Name: "Lê Minh Châu", CitizenID: "042201007890", Birthdate: "2001-03-15",
			Phone: "+84356789012", AMR: []string{"pwd", "otp", "mfa"}},
		{Subject: "vneid-042300005678", Name: "Phan Thị Dung", CitizenID: "042300005678", Birthdate: "2000-08-30",
			Phone: "+84903456789", Email: "dung.phan@example.vn", EmailVerified: true, AMR: []string{"pwd"}},
	}
}

// DemoOfficials are province single-sign-on users for the simulator whose
// preferred usernames match officials of the platform's demo data: a province
// admin who used a second factor, and a receiving clerk.
func DemoOfficials() []User {
	return []User{
		{Subject: "sso-admin", Name: "Nguyễn Quản Trị", PreferredUsername: "admin", Email: "quantri@example.gov.vn",
			EmailVerified: true, AMR: []string{"pwd", "otp", "mfa"}},
		{Subject: "sso-tiepnhan", Name: "Lê Thị Tiếp Nhận", PreferredUsername: "tiepnhan", AMR: []string{"pwd"}},
	}
}
