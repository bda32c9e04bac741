package exchange

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/congso/congso/internal/apperr"
)

// consumer is an authenticated caller of the gateway.
type consumer struct {
	system *systemState
	keyID  string
}

var (
	errNoCredentials = apperr.New(apperr.Unauthorized, "Thiếu thông tin xác thực: gửi X-LGSP-Key: MÃ_KHÓA.BÍ_MẬT hoặc Authorization: Bearer <access token>.")
	errBadKey        = apperr.New(apperr.Unauthorized, "Khóa truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi.")
	errNeedCert      = apperr.New(apperr.Unauthorized, "Hệ thống gọi phải xuất trình chứng thư số đã đăng ký (TLS hai chiều).")
	errWrongCert     = apperr.New(apperr.Unauthorized, "Chứng thư số không khớp chứng thư đã đăng ký của hệ thống gọi.")
	errSystemOff     = apperr.New(apperr.Forbidden, "Hệ thống gọi đang bị vô hiệu hóa.")
)

func (s *Service) key(ctx context.Context, id string, now time.Time) (*keyState, error) {
	if k, ok := s.cache.keys.get(id, now); ok {
		return k, nil
	}
	k, err := loadKey(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	s.cache.keys.put(id, k, now.Add(s.cache.ttl))
	return k, nil
}

func (s *Service) systemState(ctx context.Context, id string, now time.Time) (*systemState, error) {
	if st, ok := s.cache.system.get(id, now); ok {
		return st, nil
	}
	st, err := loadSystemState(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	s.cache.system.put(id, st, now.Add(s.cache.ttl))
	return st, nil
}

func (s *Service) accessState(ctx context.Context, consumerID, serviceID string, now time.Time) (*accessState, error) {
	k := pairKey{consumerID, serviceID}
	if st, ok := s.cache.access.get(k, now); ok {
		return st, nil
	}
	st, err := loadAccessState(ctx, s.db, consumerID, serviceID)
	if err != nil {
		return nil, err
	}
	s.cache.access.put(k, st, now.Add(s.cache.ttl))
	return st, nil
}

// credential checks that a key exists, is in force and belongs to a system
// in operation.
func (s *Service) credential(ctx context.Context, id string, now time.Time) (consumer, error) {
	if !validKeyID(id) {
		return consumer{}, errBadKey
	}
	k, err := s.key(ctx, id, now)
	if err != nil {
		return consumer{}, err
	}
	if k == nil || k.revoked || (!k.expires.IsZero() && !now.Before(k.expires)) {
		return consumer{}, errBadKey
	}
	sys, err := s.systemState(ctx, k.systemID, now)
	if err != nil {
		return consumer{}, err
	}
	if sys == nil {
		return consumer{}, errBadKey
	}
	if sys.disabled {
		return consumer{}, errSystemOff
	}
	return consumer{system: sys, keyID: id}, nil
}

// checkKey checks a key ID and its secret.
func (s *Service) checkKey(ctx context.Context, id, secret string, now time.Time) (consumer, error) {
	c, err := s.credential(ctx, id, now)
	if err != nil {
		return c, err
	}
	k, err := s.key(ctx, id, now)
	if err != nil {
		return consumer{}, err
	}
	if k == nil || !checkSecret(k, secret) {
		return consumer{}, errBadKey
	}
	return c, nil
}

// checkCert: a system that pinned certificates must present one of them.
func checkCert(sys *systemState, fp *[32]byte) error {
	if len(sys.certs) == 0 {
		return nil
	}
	if fp == nil {
		return errNeedCert
	}
	for i := range sys.certs {
		if subtle.ConstantTimeCompare(sys.certs[i][:], fp[:]) == 1 {
			return nil
		}
	}
	return errWrongCert
}

// peerFingerprint is the SHA-256 of the client certificate, nil without TLS
// or without a certificate.
func peerFingerprint(r *http.Request) *[32]byte {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil
	}
	fp := sha256.Sum256(r.TLS.PeerCertificates[0].Raw)
	return &fp
}

// authenticate identifies the consumer of a gateway request: an API key in
// X-LGSP-Key (KEY_ID.SECRET) or an access token (Authorization: Bearer),
// then the client certificate for systems that pinned one.
func (s *Service) authenticate(ctx context.Context, r *http.Request, now time.Time) (consumer, error) {
	var c consumer
	var err error
	if v := r.Header["X-Lgsp-Key"]; len(v) > 0 {
		id, secret, ok := strings.Cut(v[0], ".")
		if !ok {
			return c, errBadKey
		}
		c, err = s.checkKey(ctx, id, secret, now)
	} else if v := r.Header["Authorization"]; len(v) > 0 {
		scheme, tok, _ := strings.Cut(v[0], " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return c, errNoCredentials
		}
		var claims tokenClaims
		claims, err = s.verifyToken(ctx, strings.TrimSpace(tok), now)
		if err != nil {
			return c, err
		}
		c, err = s.credential(ctx, claims.keyID, now)
		if err == nil && c.system.id != claims.systemID {
			err = errBadKey
		}
	} else {
		return c, errNoCredentials
	}
	if err != nil {
		return c, err
	}
	if err := checkCert(c.system, peerFingerprint(r)); err != nil {
		return consumer{}, err
	}
	return c, nil
}
