package exchange

import (
	"context"

	"github.com/congso/congso/internal/actor"
)

// SystemByCode reads a system by its code (any official).
func (s *Service) SystemByCode(ctx context.Context, by *actor.Actor, code string) (System, error) {
	if !mayBrowse(by) {
		return System{}, actor.Deny(by, "Bạn không có quyền xem danh bạ LGSP.")
	}
	return getSystem(ctx, s.db, "code = ?", code)
}

// ServiceByCode reads a service by its provider system's code and its own,
// as the gateway addresses it.
func (s *Service) ServiceByCode(ctx context.Context, by *actor.Actor, provider, code string) (RESTService, error) {
	if !mayBrowse(by) {
		return RESTService{}, actor.Deny(by, "Bạn không có quyền xem danh bạ LGSP.")
	}
	v, err := getService(ctx, s.db, "s.code = ? AND v.code = ?", provider, code)
	if err != nil {
		return v, err
	}
	return view(by, v), nil
}
