package oidctest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
)

var b64 = base64.RawURLEncoding

// signingKey is an RSA key with its JWK key ID.
type signingKey struct {
	key *rsa.PrivateKey
	kid string
}

func newSigningKey(key *rsa.PrivateKey) (signingKey, error) {
	if key == nil {
		var err error
		if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return signingKey{}, fmt.Errorf("oidctest: generate RSA key: %w", err)
		}
	}
	if key.N.BitLen() < 2048 {
		return signingKey{}, fmt.Errorf("oidctest: RSA key of %d bits is too small for RS256 (2048 at least)", key.N.BitLen())
	}
	return signingKey{key: key, kid: thumbprint(&key.PublicKey)}, nil
}

// jwk is the public half in JSON Web Key form (RFC 7517).
func (k signingKey) jwk() map[string]string {
	return map[string]string{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": k.kid,
		"n": b64.EncodeToString(k.key.N.Bytes()), "e": b64.EncodeToString(big.NewInt(int64(k.key.E)).Bytes())}
}

// thumbprint is the RFC 7638 JWK thumbprint, used as the key ID.
func thumbprint(pub *rsa.PublicKey) string {
	// The members in lexical order, no white space, as RFC 7638 requires.
	canon := fmt.Sprintf(`{"e":"%s","kty":"RSA","n":"%s"}`,
		b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes()), b64.EncodeToString(pub.N.Bytes()))
	sum := sha256.Sum256([]byte(canon))
	return b64.EncodeToString(sum[:])
}

// sign returns a compact JWS (RS256) of the claims, with kid naming the key the
// verifier should use.
func sign(key *rsa.PrivateKey, kid string, claims map[string]any) (string, error) {
	header, err := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": kid})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("oidctest: encode claims: %w", err)
	}
	input := b64.EncodeToString(header) + "." + b64.EncodeToString(payload)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("oidctest: sign: %w", err)
	}
	return input + "." + b64.EncodeToString(sig), nil
}

// halfHash is the at_hash of an access token for RS256: the left half of its
// SHA-256, base64url-encoded.
func halfHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return b64.EncodeToString(sum[:len(sum)/2])
}
