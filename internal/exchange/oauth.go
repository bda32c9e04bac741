package exchange

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
)

// Access tokens.
//
// The token endpoint (POST /lgsp/oauth/token, OAuth2 client credentials)
// issues JWTs signed with Ed25519 (alg EdDSA). Asymmetric signatures let
// anyone who needs to check a token — another gateway node, a provider, the
// national platform — do so with the public keys published at
// /lgsp/oauth/jwks, without holding anything that could mint tokens. An
// Ed25519 verification costs about 50 µs, so the gateway verifies each
// token once and then remembers it until it expires (the revocation of its
// key and the disabling of its system still take effect at once: they are
// checked on every request).
//
// Rotation without downtime: RotateSigningKey adds a key that is published
// at once and signs from activates_at on (Config.KeyActivation later); the
// previous key stops signing then but keeps verifying the tokens it signed
// until they have all expired (TokenTTL), after which upkeep retires it. A
// gateway that meets a kid it does not know reloads the keys from the
// database (at most once a second), so keys added by another node are
// picked up on first use.

type tokenClaims struct {
	systemID string
	keyID    string
	exp      time.Time
}

type signKey struct {
	kid       string
	priv      ed25519.PrivateKey
	pub       ed25519.PublicKey
	created   time.Time
	activates time.Time
	header    string // base64url of the JOSE header
}

type keyring struct {
	s *Service

	mu         sync.RWMutex
	keys       map[string]*signKey
	byHeader   map[string]*signKey
	ordered    []*signKey // by activation, oldest first
	lastReload time.Time
	reloadMu   sync.Mutex
	lastMiss   time.Time // guarded by reloadMu
}

func newKeyring(s *Service) *keyring {
	return &keyring{s: s, keys: map[string]*signKey{}, byHeader: map[string]*signKey{}}
}

func joseHeader(kid string) string {
	b, _ := json.Marshal(map[string]string{"alg": "EdDSA", "typ": "at+jwt", "kid": kid})
	return base64.RawURLEncoding.EncodeToString(b)
}

// ensure loads the keys and creates the first one on a new database.
func (k *keyring) ensure(ctx context.Context) error {
	if err := k.load(ctx); err != nil {
		return err
	}
	k.mu.RLock()
	n := len(k.keys)
	k.mu.RUnlock()
	if n > 0 {
		return nil
	}
	if _, err := k.add(ctx, nil, 0); err != nil {
		return err
	}
	return k.load(ctx)
}

func (k *keyring) load(ctx context.Context) error {
	rows, err := k.s.db.Query(ctx, "SELECT kid, private_key, created_at, activates_at FROM exchange_signing_keys WHERE retired_at IS NULL")
	if err != nil {
		return fmt.Errorf("load LGSP signing keys: %w", err)
	}
	defer rows.Close()
	keys := map[string]*signKey{}
	byHeader := map[string]*signKey{}
	var ordered []*signKey
	for rows.Next() {
		var sk signKey
		var seed string
		if err := rows.Scan(&sk.kid, &seed, &sk.created, &sk.activates); err != nil {
			return fmt.Errorf("load LGSP signing keys: %w", err)
		}
		raw, err := base64.StdEncoding.DecodeString(seed)
		if err != nil || len(raw) != ed25519.SeedSize {
			return fmt.Errorf("LGSP signing key %s is damaged", sk.kid)
		}
		sk.priv = ed25519.NewKeyFromSeed(raw)
		sk.pub = sk.priv.Public().(ed25519.PublicKey)
		sk.header = joseHeader(sk.kid)
		keys[sk.kid] = &sk
		byHeader[sk.header] = &sk
		ordered = append(ordered, &sk)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load LGSP signing keys: %w", err)
	}
	sort.Slice(ordered, func(i, j int) bool {
		if !ordered[i].activates.Equal(ordered[j].activates) {
			return ordered[i].activates.Before(ordered[j].activates)
		}
		return ordered[i].created.Before(ordered[j].created)
	})
	k.mu.Lock()
	k.keys, k.byHeader, k.ordered, k.lastReload = keys, byHeader, ordered, time.Now()
	k.mu.Unlock()
	return nil
}

// add creates a key that activates after delay.
func (k *keyring) add(ctx context.Context, by *actor.Actor, delay time.Duration) (SigningKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return SigningKey{}, err
	}
	now := db.Instant(k.s.now().UTC())
	sk := SigningKey{KID: "lgsp-" + db.NewID()[:12], PublicKey: base64.RawURLEncoding.EncodeToString(pub), CreatedAt: now,
		ActivatesAt: db.Instant(now.Add(delay))}
	err = k.s.db.Tx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO exchange_signing_keys (kid, private_key, public_key, created_at, activates_at) VALUES (?, ?, ?, ?, ?)`,
			sk.KID, base64.StdEncoding.EncodeToString(priv.Seed()), sk.PublicKey, now, sk.ActivatesAt); err != nil {
			return apperr.Wrap(err, "insert signing key")
		}
		if by == nil {
			by = actor.SystemActor("exchange")
		}
		return k.s.record(ctx, tx, by, "", "signing_key.create", "exchange_signing_key", sk.KID, map[string]any{"activates_at": sk.ActivatesAt})
	})
	return sk, err
}

// signer is the newest key already active.
func (k *keyring) signer(now time.Time) *signKey {
	k.mu.RLock()
	defer k.mu.RUnlock()
	for i := len(k.ordered) - 1; i >= 0; i-- {
		if !k.ordered[i].activates.After(now) {
			return k.ordered[i]
		}
	}
	return nil
}

// lookup finds the key of an encoded JOSE header. An unknown one makes it
// reload the keys from the database (at most ten times a second, whatever
// the headers an attacker makes up), so that a key added by another node
// verifies on first use.
func (k *keyring) lookup(ctx context.Context, header string) *signKey {
	k.mu.RLock()
	sk := k.byHeader[header]
	k.mu.RUnlock()
	if sk != nil || len(header) > 200 {
		return sk
	}
	k.reloadMu.Lock()
	defer k.reloadMu.Unlock()
	k.mu.RLock()
	sk = k.byHeader[header]
	k.mu.RUnlock()
	if sk != nil || time.Since(k.lastMiss) < 100*time.Millisecond {
		return sk
	}
	k.lastMiss = time.Now()
	if err := k.load(ctx); err != nil {
		k.s.log.Error("reload LGSP signing keys", "err", err)
		return nil
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.byHeader[header]
}

// upkeep reloads the keys and retires those whose last token has expired.
func (k *keyring) upkeep(ctx context.Context) error {
	if err := k.load(ctx); err != nil {
		return err
	}
	now := k.s.now()
	for _, kid := range k.expired(now) {
		if err := k.s.retire(ctx, actor.SystemActor("exchange"), kid, now); err != nil && !apperr.Is(err, apperr.Conflict) {
			return err
		}
	}
	return nil
}

// expired lists keys superseded longer ago than a token lives (and a minute
// for clocks that differ).
func (k *keyring) expired(now time.Time) []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	var out []string
	for i := 0; i+1 < len(k.ordered); i++ {
		next := k.ordered[i+1]
		if !next.activates.After(now) && now.Sub(next.activates) > k.s.cfg.TokenTTL+time.Minute {
			out = append(out, k.ordered[i].kid)
		}
	}
	return out
}

// issue signs an access token for a consumer system.
func (k *keyring) issue(systemID, keyID string, now time.Time, ttl time.Duration) (string, error) {
	sk := k.signer(now)
	if sk == nil {
		return "", errors.New("no active signing key")
	}
	var jti [12]byte
	_, _ = rand.Read(jti[:])
	claims, err := json.Marshal(struct {
		Iss      string `json:"iss"`
		Sub      string `json:"sub"`
		Aud      string `json:"aud"`
		ClientID string `json:"client_id"`
		Iat      int64  `json:"iat"`
		Exp      int64  `json:"exp"`
		Jti      string `json:"jti"`
	}{k.s.cfg.Issuer, systemID, "lgsp", keyID, now.Unix(), now.Add(ttl).Unix(), base64.RawURLEncoding.EncodeToString(jti[:])})
	if err != nil {
		return "", err
	}
	msg := sk.header + "." + base64.RawURLEncoding.EncodeToString(claims)
	sig := ed25519.Sign(sk.priv, []byte(msg))
	return msg + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

var errBadToken = apperr.New(apperr.Unauthorized, "Mã truy cập (access token) không hợp lệ hoặc đã hết hạn.")

// verify checks a token's signature and claims (once per token: the result
// is remembered until it expires).
func (s *Service) verifyToken(ctx context.Context, tok string, now time.Time) (tokenClaims, error) {
	if c, ok := s.cache.tokens.get(tok, now); ok {
		return c, nil
	}
	if len(tok) > 4096 {
		return tokenClaims{}, errBadToken
	}
	h, rest, ok1 := strings.Cut(tok, ".")
	p, sig64, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.IndexByte(sig64, '.') >= 0 {
		return tokenClaims{}, errBadToken
	}
	sk := s.keys.lookup(ctx, h)
	if sk == nil {
		return tokenClaims{}, errBadToken
	}
	var sig [ed25519.SignatureSize]byte
	if n, err := base64.RawURLEncoding.Decode(sig[:], []byte(sig64)); err != nil || n != len(sig) || len(sig64) != 86 {
		return tokenClaims{}, errBadToken
	}
	if !ed25519.Verify(sk.pub, []byte(tok[:len(h)+1+len(p)]), sig[:]) {
		return tokenClaims{}, errBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return tokenClaims{}, errBadToken
	}
	var c struct {
		Iss      string `json:"iss"`
		Sub      string `json:"sub"`
		Aud      string `json:"aud"`
		ClientID string `json:"client_id"`
		Iat      int64  `json:"iat"`
		Exp      int64  `json:"exp"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&c); err != nil || c.Iss != s.cfg.Issuer || c.Aud != "lgsp" || c.Sub == "" || c.ClientID == "" {
		return tokenClaims{}, errBadToken
	}
	exp := time.Unix(c.Exp, 0)
	if !now.Before(exp) || time.Unix(c.Iat, 0).After(now.Add(time.Minute)) {
		return tokenClaims{}, errBadToken
	}
	out := tokenClaims{systemID: c.Sub, keyID: c.ClientID, exp: exp}
	s.cache.tokens.put(tok, out, exp)
	return out, nil
}

// TokenResponse is the token endpoint's answer (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// IssueToken checks client credentials (and, for a system that pinned
// certificates, the client certificate's fingerprint, nil when none was
// presented) and returns an access token.
func (s *Service) IssueToken(ctx context.Context, clientID, secret string, cert *[32]byte) (TokenResponse, error) {
	now := s.now()
	c, err := s.checkKey(ctx, clientID, secret, now)
	if err != nil {
		return TokenResponse{}, err
	}
	if err := checkCert(c.system, cert); err != nil {
		return TokenResponse{}, err
	}
	tok, err := s.keys.issue(c.system.id, clientID, now, s.cfg.TokenTTL)
	if err != nil {
		return TokenResponse{}, apperr.Wrap(err, "sign token")
	}
	return TokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int(s.cfg.TokenTTL / time.Second)}, nil
}

// JWKS is the public half of the signing keys, as a JSON Web Key Set.
func (s *Service) JWKS() map[string]any {
	s.keys.mu.RLock()
	defer s.keys.mu.RUnlock()
	keys := []map[string]string{}
	for _, sk := range s.keys.ordered {
		keys = append(keys, map[string]string{"kty": "OKP", "crv": "Ed25519", "x": base64.RawURLEncoding.EncodeToString(sk.pub),
			"kid": sk.kid, "alg": "EdDSA", "use": "sig"})
	}
	return map[string]any{"keys": keys}
}

// SigningKeys lists the token-signing keys (province-wide roles).
func (s *Service) SigningKeys(ctx context.Context, by *actor.Actor) ([]SigningKey, error) {
	if !mayReadAll(by) {
		return nil, actor.Deny(by, "Chỉ quản trị và theo dõi toàn tỉnh được xem khóa ký.")
	}
	rows, err := s.db.Query(ctx, "SELECT kid, public_key, created_at, activates_at, retired_at FROM exchange_signing_keys ORDER BY activates_at, created_at")
	if err != nil {
		return nil, apperr.Wrap(err, "list signing keys")
	}
	defer rows.Close()
	var out []SigningKey
	for rows.Next() {
		var k SigningKey
		var ret nullTime
		if err := rows.Scan(&k.KID, &k.PublicKey, &k.CreatedAt, &k.ActivatesAt, &ret); err != nil {
			return nil, apperr.Wrap(err, "scan signing key")
		}
		k.RetiredAt = timePtr(ret)
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Wrap(err, "list signing keys")
	}
	now := s.now()
	active := -1
	for i := range out {
		if out[i].RetiredAt == nil && !out[i].ActivatesAt.After(now) {
			active = i
		}
	}
	for i := range out {
		switch {
		case out[i].RetiredAt != nil:
			out[i].State = "retired"
		case i == active:
			out[i].State = "active"
		case out[i].ActivatesAt.After(now):
			out[i].State = "pending"
		default:
			out[i].State = "verifying"
		}
	}
	return out, nil
}

// RotateSigningKey adds a new signing key (province admins); see the
// rotation notes above.
func (s *Service) RotateSigningKey(ctx context.Context, by *actor.Actor) (SigningKey, error) {
	if !by.ProvinceAdmin() {
		return SigningKey{}, actor.Deny(by, "Chỉ quản trị toàn tỉnh được thay khóa ký.")
	}
	k, err := s.keys.add(ctx, by, s.cfg.KeyActivation)
	if err != nil {
		return k, err
	}
	if err := s.keys.load(ctx); err != nil {
		return k, err
	}
	k.State = "pending"
	if !k.ActivatesAt.After(s.now()) {
		k.State = "active"
	}
	return k, nil
}

// RetireSigningKey retires a key before upkeep would (province admins); it
// refuses the key that signs now and a key whose tokens may still be valid.
func (s *Service) RetireSigningKey(ctx context.Context, by *actor.Actor, kid string) error {
	if !by.ProvinceAdmin() {
		return actor.Deny(by, "Chỉ quản trị toàn tỉnh được thu hồi khóa ký.")
	}
	return s.retire(ctx, by, kid, s.now())
}

func (s *Service) retire(ctx context.Context, by *actor.Actor, kid string, now time.Time) error {
	s.keys.mu.RLock()
	var sk, next *signKey
	for i, k := range s.keys.ordered {
		if k.kid == kid {
			sk = k
			if i+1 < len(s.keys.ordered) {
				next = s.keys.ordered[i+1]
			}
		}
	}
	s.keys.mu.RUnlock()
	if sk == nil {
		return apperr.New(apperr.NotFound, "Không tìm thấy khóa ký đang hiệu lực.")
	}
	if next == nil || next.activates.After(now) {
		return apperr.New(apperr.Conflict, "Đây là khóa đang ký; hãy tạo khóa mới và chờ khóa mới có hiệu lực trước.")
	}
	if now.Sub(next.activates) < s.cfg.TokenTTL {
		return apperr.New(apperr.Conflict, "Các mã truy cập do khóa này ký có thể chưa hết hạn; hãy chờ đến %s.",
			next.activates.Add(s.cfg.TokenTTL).In(vietnam).Format("15:04:05 02/01/2006"))
	}
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE exchange_signing_keys SET retired_at = ? WHERE kid = ? AND retired_at IS NULL", now.UTC(), kid); err != nil {
			return apperr.Wrap(err, "retire signing key")
		}
		return s.record(ctx, tx, by, "", "signing_key.retire", "exchange_signing_key", kid, nil)
	})
	if err != nil {
		return err
	}
	return s.keys.load(ctx)
}

var vietnam = time.FixedZone("ICT", 7*3600)
