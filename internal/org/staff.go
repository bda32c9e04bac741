package org

import (
	"context"
	"fmt"
	"slices"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
)

// Roles loads the roles of an account: per agency (retired agencies count
// for nothing) and province-wide. It implements identity.RoleSource.
func (s *Service) Roles(ctx context.Context, userID string) (map[string][]actor.Role, []actor.Role, error) {
	rows, err := s.db.Query(ctx, `SELECT r.agency_id, r.role FROM staff_roles r JOIN agencies a ON a.id = r.agency_id
		WHERE r.user_id = ? AND a.retired_at IS NULL ORDER BY r.agency_id, r.role`, userID)
	if err != nil {
		return nil, nil, fmt.Errorf("load agency roles: %w", err)
	}
	defer rows.Close()
	agencies := map[string][]actor.Role{}
	for rows.Next() {
		var agency, role string
		if err := rows.Scan(&agency, &role); err != nil {
			return nil, nil, fmt.Errorf("scan agency role: %w", err)
		}
		agencies[agency] = append(agencies[agency], actor.Role(role))
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("load agency roles: %w", err)
	}
	prows, err := s.db.Query(ctx, "SELECT role FROM province_roles WHERE user_id = ? ORDER BY role", userID)
	if err != nil {
		return nil, nil, fmt.Errorf("load province roles: %w", err)
	}
	defer prows.Close()
	var province []actor.Role
	for prows.Next() {
		var role string
		if err := prows.Scan(&role); err != nil {
			return nil, nil, fmt.Errorf("scan province role: %w", err)
		}
		province = append(province, actor.Role(role))
	}
	return agencies, province, prows.Err()
}

// Grant gives an official a role: in an agency (agencyID set) or
// province-wide (agencyID empty). Agency admins grant roles in their own
// agencies; only province admins grant province-wide roles.
func (s *Service) Grant(ctx context.Context, by *actor.Actor, userID, agencyID string, role actor.Role) error {
	return s.db.Tx(ctx, func(tx *db.Tx) error { return s.GrantTx(ctx, tx, by, userID, agencyID, role) })
}

// GrantTx is Grant inside the caller's transaction.
func (s *Service) GrantTx(ctx context.Context, tx *db.Tx, by *actor.Actor, userID, agencyID string, role actor.Role) error {
	if err := s.checkGrant(ctx, tx, by, userID, agencyID, role); err != nil {
		return err
	}
	now := s.now().UTC()
	var err error
	if agencyID == "" {
		_, err = tx.Exec(ctx, "INSERT INTO province_roles (user_id, role, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", userID, string(role), now)
	} else {
		_, err = tx.Exec(ctx, "INSERT INTO staff_roles (user_id, agency_id, role, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
			userID, agencyID, string(role), now)
	}
	if err != nil {
		return apperr.Wrap(err, "grant role")
	}
	s.notifyRoles(userID)
	return s.audit.Append(ctx, tx, by, audit.Event{Action: "role.grant", ObjectType: "user", ObjectID: userID, AgencyID: agencyID,
		Detail: map[string]any{"role": role}})
}

func (s *Service) checkGrant(ctx context.Context, tx *db.Tx, by *actor.Actor, userID, agencyID string, role actor.Role) error {
	switch {
	case agencyID == "" && !role.ProvinceWide():
		return apperr.Field("role", "Vai trò này phải gắn với một cơ quan.")
	case agencyID != "" && !role.AgencyScoped():
		return apperr.Field("role", "Vai trò này áp dụng toàn tỉnh, không gắn với cơ quan.")
	case agencyID == "" && !by.ProvinceAdmin():
		return actor.Deny(by, "Chỉ quản trị toàn tỉnh được giao vai trò toàn tỉnh.")
	case agencyID != "" && !by.CanAdminister(agencyID):
		return actor.Deny(by, "Bạn chỉ giao được vai trò trong cơ quan mình quản trị.")
	}
	var kind string
	if err := tx.QueryRow(ctx, "SELECT kind FROM users WHERE id = ?", userID).Scan(&kind); err != nil {
		return apperr.New(apperr.NotFound, "Không tìm thấy tài khoản.")
	}
	if kind != string(actor.Official) && !(kind == string(actor.Machine) && agencyID != "") {
		return apperr.New(apperr.Invalid, "Chỉ tài khoản cán bộ (hoặc tài khoản máy của một cơ quan) mới được giao vai trò.")
	}
	if agencyID != "" {
		a, err := s.getAgency(ctx, tx, "id = ?", agencyID)
		if err != nil {
			return err
		}
		if a.Retired() {
			return apperr.New(apperr.Conflict, "Cơ quan đã ngừng hoạt động.")
		}
	}
	return nil
}

// Revoke takes a role away. Nobody may take the last province admin role
// away, or their own admin role.
func (s *Service) Revoke(ctx context.Context, by *actor.Actor, userID, agencyID string, role actor.Role) error {
	return s.db.Tx(ctx, func(tx *db.Tx) error {
		switch {
		case agencyID == "" && !by.ProvinceAdmin():
			return actor.Deny(by, "Chỉ quản trị toàn tỉnh được thu hồi vai trò toàn tỉnh.")
		case agencyID != "" && !by.CanAdminister(agencyID):
			return actor.Deny(by, "Bạn chỉ thu hồi được vai trò trong cơ quan mình quản trị.")
		case by.UserID == userID && (role == actor.ProvinceAdmin || role == actor.AgencyAdmin):
			return apperr.New(apperr.Invalid, "Bạn không thể tự thu hồi quyền quản trị của mình.")
		}
		var err error
		if agencyID == "" {
			if role == actor.ProvinceAdmin {
				var n int
				if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM province_roles WHERE role = ?", string(actor.ProvinceAdmin)).Scan(&n); err != nil {
					return apperr.Wrap(err, "count admins")
				}
				if n <= 1 {
					return apperr.New(apperr.Conflict, "Không thể thu hồi quyền của quản trị toàn tỉnh cuối cùng.")
				}
			}
			_, err = tx.Exec(ctx, "DELETE FROM province_roles WHERE user_id = ? AND role = ?", userID, string(role))
		} else {
			_, err = tx.Exec(ctx, "DELETE FROM staff_roles WHERE user_id = ? AND agency_id = ? AND role = ?", userID, agencyID, string(role))
		}
		if err != nil {
			return apperr.Wrap(err, "revoke role")
		}
		s.notifyRoles(userID)
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "role.revoke", ObjectType: "user", ObjectID: userID, AgencyID: agencyID,
			Detail: map[string]any{"role": role}})
	})
}

// Member is an official with their roles in one agency.
type Member struct {
	UserID      string       `json:"user_id"`
	Username    string       `json:"username"`
	DisplayName string       `json:"display_name"`
	Roles       []actor.Role `json:"roles"`
}

// Staff lists an agency's officials; only those who can see the agency may.
func (s *Service) Staff(ctx context.Context, by *actor.Actor, agencyID string) ([]Member, error) {
	if !by.IsSystem() && !by.CanSee(agencyID) {
		return nil, actor.Deny(by, "Bạn không có quyền xem cán bộ của cơ quan này.")
	}
	rows, err := s.db.Query(ctx, `SELECT u.id, u.username, u.display_name, r.role FROM staff_roles r JOIN users u ON u.id = r.user_id
		WHERE r.agency_id = ? ORDER BY u.display_name, u.id, r.role`, agencyID)
	if err != nil {
		return nil, apperr.Wrap(err, "list staff")
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var m Member
		var role string
		if err := rows.Scan(&m.UserID, &m.Username, &m.DisplayName, &role); err != nil {
			return nil, apperr.Wrap(err, "scan staff")
		}
		if n := len(out); n > 0 && out[n-1].UserID == m.UserID {
			out[n-1].Roles = append(out[n-1].Roles, actor.Role(role))
			continue
		}
		m.Roles = []actor.Role{actor.Role(role)}
		out = append(out, m)
	}
	return out, apperr.Wrap(rows.Err(), "list staff")
}

// Assignment is one role held by an official.
type Assignment struct {
	AgencyID string     `json:"agency_id,omitempty"`
	Role     actor.Role `json:"role"`
}

// Assignments lists the roles an account holds, for its page.
func (s *Service) Assignments(ctx context.Context, userID string) ([]Assignment, error) {
	agencies, province, err := s.Roles(ctx, userID)
	if err != nil {
		return nil, apperr.Wrap(err, "load roles")
	}
	var out []Assignment
	for _, r := range province {
		out = append(out, Assignment{Role: r})
	}
	ids := make([]string, 0, len(agencies))
	for id := range agencies {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		for _, r := range agencies[id] {
			out = append(out, Assignment{AgencyID: id, Role: r})
		}
	}
	return out, nil
}
