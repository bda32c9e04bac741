package app

import (
	"context"
	"fmt"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/adminunit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/org"
	"github.com/congso/congso/internal/web"
)

// DemoPassword is the password of every demo account.
const DemoPassword = "congso2026"

type demoAgency struct {
	key, code, name, short string
	kind                   org.Kind
	parent, unit           string
	address, phone         string
}

type demoUser struct {
	kind                      actor.Kind
	username, name            string
	citizenID, orgCode, birth string
	email, phone              string
	roles                     []demoRole
}

type demoRole struct {
	agency string // key of a demo agency; "" for province-wide
	role   actor.Role
}

// demoProvince is Hà Tĩnh after 1 July 2025. The agencies' electronic
// identifiers are illustrative (level-1 code H25 is not the province's real
// one): a province loads its real list through the agency CSV import.
var demoAgencies = []demoAgency{
	{"ubnd", "000.00.00.H25", "Ủy ban nhân dân tỉnh Hà Tĩnh", "UBND tỉnh", org.ProvinceCommittee, "", "42", "Số 1 Nguyễn Tất Thành, phường Thành Sen", "02393855700"},
	{"vp", "000.00.01.H25", "Văn phòng Ủy ban nhân dân tỉnh", "VP UBND tỉnh", org.Department, "ubnd", "", "Số 1 Nguyễn Tất Thành, phường Thành Sen", "02393855701"},
	{"pvhcc", "000.01.01.H25", "Trung tâm Phục vụ hành chính công tỉnh", "TT PVHCC", org.ServiceCentre, "vp", "", "Số 2A Nguyễn Tất Thành, phường Thành Sen", "02393882888"},
	{"pvhcc-kyanh", "001.01.01.H25", "Chi nhánh Trung tâm Phục vụ hành chính công khu vực Kỳ Anh", "CN Kỳ Anh", org.ServiceBranch, "pvhcc", "18823", "Phường Vũng Áng", "02393865000"},
	{"stp", "000.00.05.H25", "Sở Tư pháp", "STP", org.Department, "ubnd", "", "Số 5 Nguyễn Chí Thanh, phường Thành Sen", "02393856002"},
	{"sxd", "000.00.06.H25", "Sở Xây dựng", "SXD", org.Department, "ubnd", "", "Số 9 Nguyễn Tất Thành, phường Thành Sen", "02393855403"},
	{"stc", "000.00.07.H25", "Sở Tài chính", "STC", org.Department, "ubnd", "", "Số 7 Nguyễn Tất Thành, phường Thành Sen", "02393856128"},
	{"snnmt", "000.00.08.H25", "Sở Nông nghiệp và Môi trường", "SNNMT", org.Department, "ubnd", "", "Số 2 Nguyễn Du, phường Thành Sen", "02393855512"},
	{"syt", "000.00.09.H25", "Sở Y tế", "SYT", org.Department, "ubnd", "", "Số 40 Hải Thượng Lãn Ông, phường Thành Sen", "02393855588"},
	{"thanhsen", "000.00.21.H25", "Ủy ban nhân dân phường Thành Sen", "UBND P. Thành Sen", org.CommuneCommittee, "ubnd", "18073", "Phường Thành Sen", "02393857001"},
	{"tranphu", "000.00.22.H25", "Ủy ban nhân dân phường Trần Phú", "UBND P. Trần Phú", org.CommuneCommittee, "ubnd", "18100", "Phường Trần Phú", "02393857002"},
	{"canloc", "000.00.23.H25", "Ủy ban nhân dân xã Can Lộc", "UBND X. Can Lộc", org.CommuneCommittee, "ubnd", "18406", "Xã Can Lộc", "02393857003"},
	{"ductho", "000.00.24.H25", "Ủy ban nhân dân xã Đức Thọ", "UBND X. Đức Thọ", org.CommuneCommittee, "ubnd", "18229", "Xã Đức Thọ", "02393857004"},
	{"congan", "000.42.01.G06", "Công an tỉnh Hà Tĩnh", "CA tỉnh", org.Vertical, "", "42", "Số 8 Nguyễn Thiếp, phường Thành Sen", "02393855300"},
	{"thue", "000.42.02.G07", "Thuế tỉnh Hà Tĩnh", "Thuế tỉnh", org.Vertical, "", "42", "Số 12 Nguyễn Huy Tự, phường Thành Sen", "02393855566"},
	{"bhxh", "000.42.03.G08", "Bảo hiểm xã hội tỉnh Hà Tĩnh", "BHXH tỉnh", org.Vertical, "", "42", "Số 56 Phan Đình Phùng, phường Thành Sen", "02393855900"},
}

var demoUsers = []demoUser{
	{kind: actor.Official, username: "admin", name: "Nguyễn Quản Trị", email: "quantri@example.gov.vn", roles: []demoRole{{"", actor.ProvinceAdmin}}},
	{kind: actor.Official, username: "quansat", name: "Phạm Giám Sát", roles: []demoRole{{"", actor.Observer}}},
	{kind: actor.Official, username: "tiepnhan", name: "Lê Thị Tiếp Nhận", roles: []demoRole{{"pvhcc", actor.Receiver}, {"stp", actor.Receiver}}},
	{kind: actor.Official, username: "chuyenvien.stp", name: "Trần Văn Xử Lý", roles: []demoRole{{"stp", actor.Specialist}}},
	{kind: actor.Official, username: "lanhdao.stp", name: "Hoàng Minh Phê Duyệt", roles: []demoRole{{"stp", actor.Head}}},
	{kind: actor.Official, username: "vanthu.stp", name: "Đặng Thị Văn Thư", roles: []demoRole{{"stp", actor.Clerk}}},
	{kind: actor.Official, username: "quantri.stp", name: "Võ Văn Quản Trị", roles: []demoRole{{"stp", actor.AgencyAdmin}}},
	{kind: actor.Official, username: "tiepnhan.thanhsen", name: "Bùi Thị Một Cửa", roles: []demoRole{{"thanhsen", actor.Receiver}}},
	{kind: actor.Official, username: "chuyenvien.thanhsen", name: "Ngô Văn Hộ Tịch", roles: []demoRole{{"thanhsen", actor.Specialist}, {"thanhsen", actor.Clerk}}},
	{kind: actor.Official, username: "lanhdao.thanhsen", name: "Đỗ Văn Chủ Tịch", roles: []demoRole{{"thanhsen", actor.Head}}},
	{kind: actor.Citizen, username: "nguyenvanan", name: "Nguyễn Văn An", citizenID: "042090001234", birth: "1990-05-12", phone: "0912345678", email: "an.nguyen@example.vn"},
	{kind: actor.Citizen, username: "tranthibinh", name: "Trần Thị Bình", citizenID: "042185003456", birth: "1985-11-02", phone: "0987654321"},
	{kind: actor.Citizen, username: "leminhchau", name: "Lê Minh Châu", citizenID: "042201007890", birth: "2001-03-15", phone: "0356789012"},
	{kind: actor.Organisation, username: "honglinh.trading", name: "Công ty TNHH Thương mại Hồng Lĩnh", orgCode: "3001234567", phone: "0912000111"},
}

// seedDemo loads the demo province once, on an empty database, in one
// transaction; it returns the accounts to show on the sign-in page.
func (a *App) seedDemo(ctx context.Context) ([]web.DemoAccount, error) {
	var accounts []web.DemoAccount
	for _, u := range demoUsers {
		login := u.username
		switch {
		case u.citizenID != "":
			login = u.citizenID
		case u.orgCode != "":
			login = u.orgCode
		}
		role := map[actor.Kind]string{actor.Citizen: "Người dân", actor.Organisation: "Doanh nghiệp"}[u.kind]
		for _, r := range u.roles {
			if role != "" {
				role += "; "
			}
			role += r.role.Label()
			for _, a := range demoAgencies {
				if a.key == r.agency && r.agency != "" {
					role += " (" + a.short + ")"
				}
			}
		}
		accounts = append(accounts, web.DemoAccount{Login: login, Password: DemoPassword, Role: role})
	}
	var users int
	if err := a.DB.QueryRow(ctx, "SELECT COUNT(*) FROM users").Scan(&users); err != nil {
		return nil, fmt.Errorf("count users: %w", err)
	}
	if users > 0 {
		return accounts, nil
	}
	sys := actor.SystemActor("demo")
	err := a.DB.Tx(ctx, func(tx *db.Tx) error {
		ids := map[string]string{}
		for _, d := range demoAgencies {
			ag, err := a.Org.CreateAgencyTx(ctx, tx, sys, org.AgencyInput{Code: d.code, Name: d.name, ShortName: d.short, Kind: d.kind,
				ParentID: ids[d.parent], UnitID: unitID(d.unit), Address: d.address, Phone: d.phone})
			if err != nil {
				return fmt.Errorf("agency %s: %w", d.code, err)
			}
			ids[d.key] = ag.ID
		}
		for _, d := range demoUsers {
			u, err := a.Identity.CreateUser(ctx, tx, sys, identity.NewUser{Kind: d.kind, Username: d.username, DisplayName: d.name,
				Email: d.email, Phone: d.phone, CitizenID: d.citizenID, OrgCode: d.orgCode, BirthDate: d.birth, Password: DemoPassword})
			if err != nil {
				return fmt.Errorf("user %s: %w", d.username, err)
			}
			for _, r := range d.roles {
				if err := a.Org.GrantTx(ctx, tx, sys, u.ID, ids[r.agency], r.role); err != nil {
					return fmt.Errorf("role %s of %s: %w", r.role, d.username, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.log.Info("demo data loaded", "agencies", len(demoAgencies), "accounts", len(demoUsers))
	return accounts, nil
}

func unitID(code string) string {
	if code == "" {
		return ""
	}
	return adminunit.ID{Code: code, Edition: adminunit.EditionCurrent}.String()
}
