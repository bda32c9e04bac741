package web

import "net/http"

func (s *Server) registerAdminAgencies(mux *http.ServeMux) {}
func (s *Server) registerAdminUsers(mux *http.ServeMux)    {}
func (s *Server) registerAdminUnits(mux *http.ServeMux)    {}
func (s *Server) registerAdminAudit(mux *http.ServeMux)    {}
