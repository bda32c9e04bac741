package catalog

import (
	"time"

	"github.com/congso/congso/internal/adminunit"
)

// AdminUnits adapts the unit registry to Units: an address must name a
// commune, ward or special zone of today's structure.
func AdminUnits(reg *adminunit.Registry) Units { return registryUnits{reg} }

type registryUnits struct{ reg *adminunit.Registry }

func (r registryUnits) Commune(id string, on time.Time) (string, string) {
	uid, err := adminunit.ParseID(id)
	if err != nil {
		return "", "Mã đơn vị hành chính không hợp lệ."
	}
	u, err := r.reg.Unit(uid)
	if err != nil {
		return "", "Không tìm thấy đơn vị hành chính " + id + "."
	}
	if u.Level != adminunit.LevelCommune {
		return "", "Hãy chọn một xã, phường hoặc đặc khu (không chọn cấp tỉnh)."
	}
	if !u.ValidOn(adminunit.VietnamDate(on)) {
		return "", u.FullName + " không còn tồn tại sau khi sắp xếp đơn vị hành chính; hãy chọn đơn vị hiện hành."
	}
	name := u.FullName
	if p, err := r.reg.Unit(u.ParentID()); err == nil {
		name += ", " + p.FullName
	}
	return name, ""
}
