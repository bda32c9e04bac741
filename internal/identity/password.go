package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/crypto/argon2"

	"github.com/congso/congso/internal/apperr"
)

// Argon2Params are the argon2id cost settings; they are stored in every hash,
// so raising them later leaves old hashes verifiable.
type Argon2Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultArgon2 follows the OWASP minimum for argon2id (19 MiB, 2 passes), a
// fair cost on a two-core server that also serves the counters.
var DefaultArgon2 = Argon2Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
	// Limits on the cost a stored hash may ask for when it is checked.
	maxMemoryKiB = 1 << 21 // 2 GiB
	maxTime      = 64
)

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(p Argon2Params, password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches the PHC-format hash.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return false
	}
	// A damaged or forged hash must not crash the process: argon2 panics on
	// zero passes or lanes, and a huge memory cost exhausts the machine.
	if p.Time < 1 || p.Time > maxTime || p.Threads < 1 || p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxMemoryKiB {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// ValidatePassword applies the password policy: at least 10 characters, with
// letters and digits, not the username.
func ValidatePassword(password, username string) error {
	if len([]rune(password)) < 10 {
		return apperr.Field("password", "Mật khẩu phải có ít nhất 10 ký tự.")
	}
	if len(password) > 200 {
		return apperr.Field("password", "Mật khẩu quá dài (tối đa 200 ký tự).")
	}
	var letter, digit bool
	for _, r := range password {
		letter = letter || unicode.IsLetter(r)
		digit = digit || unicode.IsDigit(r)
	}
	if !letter || !digit {
		return apperr.Field("password", "Mật khẩu phải có cả chữ và số.")
	}
	if username != "" && strings.Contains(strings.ToLower(password), strings.ToLower(username)) {
		return apperr.Field("password", "Mật khẩu không được chứa tên đăng nhập.")
	}
	return nil
}
