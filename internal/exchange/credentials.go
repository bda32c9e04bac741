package exchange

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/vntext"
)

// Credentials.
//
// An API key's secret is 256 bits from crypto/rand, and only its SHA-256 is
// stored. A slow hash (argon2, bcrypt) exists to make guessing a
// low-entropy password expensive; against a uniformly random 256-bit
// secret guessing is hopeless at any speed (2^255 tries on average), so a
// single SHA-256 loses nothing, needs no salt (no two secrets are equal and
// no table can be precomputed for them) and costs under a microsecond per
// request instead of tens of milliseconds. A stolen copy of the table does
// not reveal a usable secret.

const keyPrefix = "lgk_"

func newKeyID() string { return keyPrefix + db.NewID() }

// validKeyID: "lgk_" and 16 base32 characters, checked before any lookup.
func validKeyID(id string) bool {
	if len(id) != len(keyPrefix)+16 || !strings.HasPrefix(id, keyPrefix) {
		return false
	}
	for i := len(keyPrefix); i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

func newSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashSecret(secret string) [32]byte { return sha256.Sum256([]byte(secret)) }

func decodeHash(s string, dst *[32]byte) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.Decode(dst[:], []byte(s))
	return err == nil
}

// checkSecret compares in constant time.
func checkSecret(k *keyState, secret string) bool {
	if len(secret) != 43 {
		return false
	}
	h := hashSecret(secret)
	return subtle.ConstantTimeCompare(h[:], k.hash[:]) == 1
}

// CreateKey issues an API key for a consumer system. The secret is in the
// answer only. ttl 0 means no expiry.
func (s *Service) CreateKey(ctx context.Context, by *actor.Actor, systemID, name string, ttl time.Duration) (NewAPIKey, error) {
	var out NewAPIKey
	name = vntext.NFC(name)
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		sys, err := s.systemForAdmin(ctx, tx, by, systemID, "Chỉ quản trị của cơ quan sở hữu hệ thống hoặc quản trị toàn tỉnh được cấp khóa truy cập.")
		if err != nil {
			return err
		}
		if name == "" || len([]rune(name)) > 100 || !vntext.Valid(name) {
			return apperr.Field("name", "Hãy đặt tên cho khóa (tối đa 100 ký tự), ví dụ nơi dùng khóa.")
		}
		if ttl < 0 || ttl > 5*366*24*time.Hour {
			return apperr.Field("days", "Thời hạn của khóa từ 0 (không hết hạn) đến 5 năm.")
		}
		now := s.now().UTC()
		out.APIKey = APIKey{ID: newKeyID(), SystemID: sys.ID, Name: name, CreatedBy: by.UserID, CreatedAt: db.Instant(now)}
		if ttl > 0 {
			exp := db.Instant(now.Add(ttl))
			out.ExpiresAt = &exp
		}
		out.Secret = newSecret()
		out.Header = out.ID + "." + out.Secret
		h := hashSecret(out.Secret)
		if _, err := tx.Exec(ctx, `INSERT INTO exchange_api_keys (id, system_id, name, secret_hash, created_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, out.ID, sys.ID, name, hex.EncodeToString(h[:]), by.UserID, now, out.ExpiresAt); err != nil {
			return apperr.Wrap(err, "insert key")
		}
		return s.record(ctx, tx, by, sys.AgencyID, "key.create", "exchange_key", out.ID, map[string]any{"system": sys.Code})
	})
	if err != nil {
		return NewAPIKey{}, err
	}
	s.changed()
	return out, nil
}

// RevokeKey stops a key at once; the access tokens issued with it stop too.
func (s *Service) RevokeKey(ctx context.Context, by *actor.Actor, keyID string) error {
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var systemID string
		if err := tx.QueryRow(ctx, "SELECT system_id FROM exchange_api_keys WHERE id = ?", keyID).Scan(&systemID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.New(apperr.NotFound, "Không tìm thấy khóa truy cập.")
			}
			return apperr.Wrap(err, "read key")
		}
		sys, err := s.systemForAdmin(ctx, tx, by, systemID, "Chỉ quản trị của cơ quan sở hữu hệ thống hoặc quản trị toàn tỉnh được thu hồi khóa.")
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "UPDATE exchange_api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", s.now().UTC(), keyID)
		if err != nil {
			return apperr.Wrap(err, "revoke key")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return s.record(ctx, tx, by, sys.AgencyID, "key.revoke", "exchange_key", keyID, map[string]any{"system": sys.Code})
	})
	if err != nil {
		return err
	}
	s.changed()
	return nil
}

// Keys lists a system's keys (never their secrets).
func (s *Service) Keys(ctx context.Context, by *actor.Actor, systemID string) ([]APIKey, error) {
	if _, err := s.systemForAdmin(ctx, s.db, by, systemID, "Chỉ quản trị của cơ quan sở hữu hệ thống hoặc quản trị toàn tỉnh được xem khóa."); err != nil {
		if !(mayReadAll(by) && !apperr.Is(err, apperr.NotFound)) {
			return nil, err
		}
	}
	rows, err := s.db.Query(ctx, `SELECT id, system_id, name, created_by, created_at, expires_at, revoked_at FROM exchange_api_keys
		WHERE system_id = ? ORDER BY created_at DESC, id`, systemID)
	if err != nil {
		return nil, apperr.Wrap(err, "list keys")
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		var k APIKey
		var exp, rev nullTime
		if err := rows.Scan(&k.ID, &k.SystemID, &k.Name, &k.CreatedBy, &k.CreatedAt, &exp, &rev); err != nil {
			return nil, apperr.Wrap(err, "scan key")
		}
		k.ExpiresAt, k.RevokedAt = timePtr(exp), timePtr(rev)
		out = append(out, k)
	}
	return out, apperr.Wrap(rows.Err(), "list keys")
}

// Fingerprint is the SHA-256 of a certificate's DER encoding, in lower-case hex.
func Fingerprint(der []byte) string {
	h := sha256.Sum256(der)
	return hex.EncodeToString(h[:])
}

// AddCert pins a client certificate for a consumer system: from then on,
// when the gateway serves TLS, the system's calls must present one of its
// pinned certificates.
func (s *Service) AddCert(ctx context.Context, by *actor.Actor, systemID string, in CertInput) (ClientCert, error) {
	var out ClientCert
	in.Name = vntext.NFC(in.Name)
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		sys, err := s.systemForAdmin(ctx, tx, by, systemID, "Chỉ quản trị của cơ quan sở hữu hệ thống hoặc quản trị toàn tỉnh được đăng ký chứng thư số.")
		if err != nil {
			return err
		}
		if in.Name == "" || len([]rune(in.Name)) > 100 || !vntext.Valid(in.Name) {
			return apperr.Field("name", "Hãy đặt tên cho chứng thư (tối đa 100 ký tự).")
		}
		out = ClientCert{SystemID: sys.ID, Name: in.Name, CreatedAt: db.Instant(s.now().UTC())}
		switch {
		case strings.TrimSpace(in.PEM) != "":
			block, _ := pem.Decode([]byte(in.PEM))
			if block == nil || block.Type != "CERTIFICATE" {
				return apperr.Field("pem", "Nội dung không phải chứng thư số dạng PEM (-----BEGIN CERTIFICATE-----).")
			}
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return apperr.Field("pem", "Không đọc được chứng thư số.")
			}
			out.Fingerprint = Fingerprint(cert.Raw)
			out.Subject = cert.Subject.String()
			na := db.Instant(cert.NotAfter)
			out.NotAfter = &na
			if cert.NotAfter.Before(s.now()) {
				return apperr.Field("pem", "Chứng thư số đã hết hạn.")
			}
		default:
			fp := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(in.Fingerprint), ":", ""))
			var raw [32]byte
			if !decodeHash(fp, &raw) {
				return apperr.Field("fingerprint", "Dấu vân tay SHA-256 gồm 64 ký tự hex (có thể phân cách bằng dấu hai chấm).")
			}
			out.Fingerprint = fp
		}
		_, err = tx.Exec(ctx, `INSERT INTO exchange_client_certs (system_id, fingerprint, name, subject, not_after, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			sys.ID, out.Fingerprint, out.Name, out.Subject, out.NotAfter, out.CreatedAt)
		if db.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "Chứng thư này đã được đăng ký cho hệ thống.")
		}
		if err != nil {
			return apperr.Wrap(err, "insert certificate")
		}
		return s.record(ctx, tx, by, sys.AgencyID, "cert.add", "exchange_system", sys.ID, map[string]any{"fingerprint": out.Fingerprint})
	})
	if err != nil {
		return ClientCert{}, err
	}
	s.changed()
	return out, nil
}

// RevokeCert unpins a certificate at once.
func (s *Service) RevokeCert(ctx context.Context, by *actor.Actor, systemID, fingerprint string) error {
	fingerprint = strings.ToLower(strings.ReplaceAll(fingerprint, ":", ""))
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		sys, err := s.systemForAdmin(ctx, tx, by, systemID, "Chỉ quản trị của cơ quan sở hữu hệ thống hoặc quản trị toàn tỉnh được thu hồi chứng thư số.")
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "UPDATE exchange_client_certs SET revoked_at = ? WHERE system_id = ? AND fingerprint = ? AND revoked_at IS NULL",
			s.now().UTC(), systemID, fingerprint)
		if err != nil {
			return apperr.Wrap(err, "revoke certificate")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "Không tìm thấy chứng thư đang hiệu lực với dấu vân tay này.")
		}
		return s.record(ctx, tx, by, sys.AgencyID, "cert.revoke", "exchange_system", sys.ID, map[string]any{"fingerprint": fingerprint})
	})
	if err != nil {
		return err
	}
	s.changed()
	return nil
}

// Certs lists a system's pinned certificates.
func (s *Service) Certs(ctx context.Context, by *actor.Actor, systemID string) ([]ClientCert, error) {
	if _, err := s.systemForAdmin(ctx, s.db, by, systemID, "Bạn không có quyền xem chứng thư số của hệ thống này."); err != nil {
		if !(mayReadAll(by) && !apperr.Is(err, apperr.NotFound)) {
			return nil, err
		}
	}
	rows, err := s.db.Query(ctx, `SELECT system_id, fingerprint, name, subject, not_after, created_at, revoked_at FROM exchange_client_certs
		WHERE system_id = ? ORDER BY created_at DESC`, systemID)
	if err != nil {
		return nil, apperr.Wrap(err, "list certificates")
	}
	defer rows.Close()
	var out []ClientCert
	for rows.Next() {
		var c ClientCert
		var na, rev nullTime
		if err := rows.Scan(&c.SystemID, &c.Fingerprint, &c.Name, &c.Subject, &na, &c.CreatedAt, &rev); err != nil {
			return nil, apperr.Wrap(err, "scan certificate")
		}
		c.NotAfter, c.RevokedAt = timePtr(na), timePtr(rev)
		out = append(out, c)
	}
	return out, apperr.Wrap(rows.Err(), "list certificates")
}
