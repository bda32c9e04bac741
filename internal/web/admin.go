package web

import "net/http"

// registerAdmin adds the administration pages: agencies, users, units and
// the audit log.
func (s *Server) registerAdmin(mux *http.ServeMux) {
	s.registerAdminAgencies(mux)
	s.registerAdminUsers(mux)
	s.registerAdminUnits(mux)
	s.registerAdminAudit(mux)
	s.registerAdminProcedures(mux)
	s.registerAdminCalendar(mux)
}
