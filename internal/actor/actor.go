// Package actor describes who is acting — an official, a citizen, an
// organisation, a machine or the system itself — with their roles, so that
// every service can decide what they may see and do.
package actor

import (
	"context"
	"slices"

	"github.com/congso/congso/internal/apperr"
)

// Kind is the kind of account.
type Kind string

const (
	Official     Kind = "official"
	Citizen      Kind = "citizen"
	Organisation Kind = "organisation"
	Machine      Kind = "machine"
	System       Kind = "system"
)

// Valid reports whether k is a known account kind.
func (k Kind) Valid() bool {
	switch k {
	case Official, Citizen, Organisation, Machine:
		return true
	}
	return false
}

// Role is what an official may do, in an agency or province-wide.
type Role string

const (
	Receiver      Role = "receiver"       // công chức tiếp nhận
	Specialist    Role = "specialist"     // chuyên viên xử lý
	Head          Role = "head"           // lãnh đạo phê duyệt
	Clerk         Role = "clerk"          // văn thư, trả kết quả
	AgencyAdmin   Role = "agency_admin"   // quản trị cơ quan
	ProvinceAdmin Role = "province_admin" // quản trị toàn tỉnh
	Observer      Role = "observer"       // theo dõi toàn tỉnh, chỉ đọc
)

// AgencyRoles are the roles an official holds in a particular agency.
var AgencyRoles = []Role{Receiver, Specialist, Head, Clerk, AgencyAdmin}

// ProvinceRoles are the roles that apply across the province.
var ProvinceRoles = []Role{ProvinceAdmin, Observer}

// AgencyScoped reports whether r is held in an agency.
func (r Role) AgencyScoped() bool { return slices.Contains(AgencyRoles, r) }

// ProvinceWide reports whether r applies across the province.
func (r Role) ProvinceWide() bool { return slices.Contains(ProvinceRoles, r) }

// Label is the Vietnamese name of the role.
func (r Role) Label() string {
	switch r {
	case Receiver:
		return "Công chức tiếp nhận"
	case Specialist:
		return "Chuyên viên xử lý"
	case Head:
		return "Lãnh đạo phê duyệt"
	case Clerk:
		return "Văn thư, trả kết quả"
	case AgencyAdmin:
		return "Quản trị cơ quan"
	case ProvinceAdmin:
		return "Quản trị toàn tỉnh"
	case Observer:
		return "Theo dõi toàn tỉnh (chỉ đọc)"
	}
	return string(r)
}

// Actor is an authenticated caller.
type Actor struct {
	UserID      string
	Kind        Kind
	Username    string
	DisplayName string
	// Agencies maps an agency ID to the roles held there.
	Agencies map[string][]Role
	// Province holds province-wide roles.
	Province []Role
	// IP is the caller's address, for the audit log.
	IP string
	// SessionID identifies the session (hashed) or token the actor came through.
	SessionID string
}

// SystemActor acts for the platform itself (command line, start-up, jobs).
func SystemActor(name string) *Actor {
	return &Actor{UserID: "system:" + name, Kind: System, Username: name, DisplayName: name,
		Province: []Role{ProvinceAdmin}}
}

// IsSystem reports whether the actor is the platform itself.
func (a *Actor) IsSystem() bool { return a != nil && a.Kind == System }

// HasProvinceRole reports whether the actor holds r province-wide.
func (a *Actor) HasProvinceRole(r Role) bool { return a != nil && slices.Contains(a.Province, r) }

// ProvinceWide reports whether the actor may read the whole province's data.
func (a *Actor) ProvinceWide() bool {
	return a.HasProvinceRole(ProvinceAdmin) || a.HasProvinceRole(Observer)
}

// ProvinceAdmin reports whether the actor administers the whole province.
func (a *Actor) ProvinceAdmin() bool { return a.HasProvinceRole(ProvinceAdmin) }

// IsOfficial reports whether the actor is an official (or the system).
func (a *Actor) IsOfficial() bool { return a != nil && (a.Kind == Official || a.Kind == System) }

// Has reports whether the actor holds role r in the agency.
func (a *Actor) Has(r Role, agencyID string) bool {
	return a != nil && slices.Contains(a.Agencies[agencyID], r)
}

// HasAnywhere reports whether the actor holds role r in any agency.
func (a *Actor) HasAnywhere(r Role) bool {
	if a == nil {
		return false
	}
	for _, roles := range a.Agencies {
		if slices.Contains(roles, r) {
			return true
		}
	}
	return false
}

// CanSee reports whether the actor may read data belonging to the agency:
// members of the agency and province-wide roles.
func (a *Actor) CanSee(agencyID string) bool {
	if a == nil {
		return false
	}
	if a.ProvinceWide() {
		return true
	}
	_, member := a.Agencies[agencyID]
	return member
}

// CanAdminister reports whether the actor may manage the agency's settings
// and staff: its agency admins and province admins.
func (a *Actor) CanAdminister(agencyID string) bool {
	return a.ProvinceAdmin() || a.Has(AgencyAdmin, agencyID)
}

// IsAdmin reports whether the actor administers anything; admins must use a
// second factor.
func (a *Actor) IsAdmin() bool { return a.ProvinceAdmin() || a.HasAnywhere(AgencyAdmin) }

// AgencyIDs lists the agencies the actor belongs to.
func (a *Actor) AgencyIDs() []string {
	if a == nil {
		return nil
	}
	ids := make([]string, 0, len(a.Agencies))
	for id := range a.Agencies {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// PrimaryAgency is the agency the actor acts for in the audit log: the first of
// their agencies, or "" for province-wide and non-official actors.
func (a *Actor) PrimaryAgency() string {
	if ids := a.AgencyIDs(); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

type ctxKey struct{}

// With returns a context carrying the actor.
func With(ctx context.Context, a *Actor) context.Context { return context.WithValue(ctx, ctxKey{}, a) }

// From returns the actor in the context, or nil for an anonymous caller.
func From(ctx context.Context) *Actor {
	a, _ := ctx.Value(ctxKey{}).(*Actor)
	return a
}

// Deny refuses an action: "sign in" to an anonymous caller, "not allowed"
// with the message to a signed-in one.
func Deny(a *Actor, message string) error {
	if a == nil {
		return apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	return apperr.New(apperr.Forbidden, "%s", message)
}
