package exchange

import "net/http"

// Caller is the consumer system an LGSP request comes from.
type Caller struct {
	SystemID   string
	SystemCode string
	AgencyID   string
	KeyID      string
}

// Authenticate checks a request's credentials exactly as the gateway does
// (API key or access token, pinned certificate, system in operation), for
// other endpoints served under /lgsp/ such as the async exchange. Errors are
// apperr errors: Unauthorized or Forbidden, or an internal failure.
func (s *Service) Authenticate(r *http.Request) (Caller, error) {
	c, err := s.authenticate(r.Context(), r, s.now())
	if err != nil {
		return Caller{}, err
	}
	return Caller{SystemID: c.system.id, SystemCode: c.system.code, AgencyID: c.system.agencyID, KeyID: c.keyID}, nil
}
