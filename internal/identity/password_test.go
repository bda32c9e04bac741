package identity_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/congso/congso/internal/identity"
)

var cheapArgon2 = identity.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}

func TestHashPasswordIsArgon2idInPHCFormat(t *testing.T) {
	t.Parallel()
	h1, err := identity.HashPassword(cheapArgon2, "MatKhau2026x")
	if err != nil {
		t.Fatal(err)
	}
	// $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<16-byte salt>$<32-byte key>, base64 without padding.
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=1024,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !phc.MatchString(h1) {
		t.Fatalf("hash %q is not an argon2id PHC string", h1)
	}
	h2, err := identity.HashPassword(cheapArgon2, "MatKhau2026x")
	if err != nil {
		t.Fatal(err)
	}
	if h1 == h2 {
		t.Fatal("two hashes of the same password are equal: the salt is not random")
	}
	if !identity.CheckPassword(h1, "MatKhau2026x") || !identity.CheckPassword(h2, "MatKhau2026x") {
		t.Fatal("the right password does not verify")
	}
}

func TestDefaultArgon2HashesVerify(t *testing.T) {
	t.Parallel()
	h, err := identity.HashPassword(identity.DefaultArgon2, "mật khẩu rất dài 2026")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("default hash %q does not carry the OWASP parameters", h)
	}
	if !identity.CheckPassword(h, "mật khẩu rất dài 2026") {
		t.Fatal("the right password does not verify against a default-cost hash")
	}
	if identity.CheckPassword(h, "mật khẩu rất dài 2025") {
		t.Fatal("a wrong password verifies against a default-cost hash")
	}
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	const pw = "MatKhau2026x"
	h, err := identity.HashPassword(cheapArgon2, pw)
	if err != nil {
		t.Fatal(err)
	}
	for _, wrong := range []string{"", "matkhau2026x", "MatKhau2026", "MatKhau2026x ", " MatKhau2026x", "MatKhau2026X"} {
		if identity.CheckPassword(h, wrong) {
			t.Errorf("wrong password %q verifies", wrong)
		}
	}
	// Hashes verify whatever parameters they were made with.
	other := identity.Argon2Params{MemoryKiB: 2048, Time: 2, Threads: 2}
	h2, err := identity.HashPassword(other, pw)
	if err != nil {
		t.Fatal(err)
	}
	if !identity.CheckPassword(h2, pw) {
		t.Error("a hash made with other parameters does not verify")
	}

	parts := strings.Split(h, "$") // "", "argon2id", "v=19", "m=1024,t=1,p=1", salt, key
	join := func(p ...string) string { return strings.Join(p, "$") }
	flip := func(s string) string {
		b := []byte(s)
		if b[3] == 'A' {
			b[3] = 'B'
		} else {
			b[3] = 'A'
		}
		return string(b)
	}
	tampered := map[string]string{
		"empty":                   "",
		"plain text":              pw,
		"key altered":             join("", "argon2id", "v=19", parts[3], parts[4], flip(parts[5])),
		"salt altered":            join("", "argon2id", "v=19", parts[3], flip(parts[4]), parts[5]),
		"memory altered":          join("", "argon2id", "v=19", "m=2048,t=1,p=1", parts[4], parts[5]),
		"passes altered":          join("", "argon2id", "v=19", "m=1024,t=2,p=1", parts[4], parts[5]),
		"argon2i instead":         join("", "argon2i", "v=19", parts[3], parts[4], parts[5]),
		"old version":             join("", "argon2id", "v=16", parts[3], parts[4], parts[5]),
		"key truncated":           join("", "argon2id", "v=19", parts[3], parts[4], parts[5][:20]),
		"key missing":             join("", "argon2id", "v=19", parts[3], parts[4], ""),
		"salt not base64":         join("", "argon2id", "v=19", parts[3], "!!!!", parts[5]),
		"key not base64":          join("", "argon2id", "v=19", parts[3], parts[4], "****"),
		"parameters garbled":      join("", "argon2id", "v=19", "m=x,t=1,p=1", parts[4], parts[5]),
		"a part missing":          join("", "argon2id", parts[3], parts[4], parts[5]),
		"an extra part":           h + "$AAAA",
		"zero passes":             join("", "argon2id", "v=19", "m=1024,t=0,p=1", parts[4], parts[5]),
		"zero lanes":              join("", "argon2id", "v=19", "m=1024,t=1,p=0", parts[4], parts[5]),
		"lanes out of range":      join("", "argon2id", "v=19", "m=1024,t=1,p=300", parts[4], parts[5]),
		"absurd memory":           join("", "argon2id", "v=19", "m=4294967295,t=1,p=1", parts[4], parts[5]),
		"absurd number of passes": join("", "argon2id", "v=19", "m=1024,t=4294967295,p=1", parts[4], parts[5]),
	}
	for name, bad := range tampered {
		ok := func() (ok bool) {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s: CheckPassword panicked: %v", name, p)
				}
			}()
			return identity.CheckPassword(bad, pw)
		}()
		if ok {
			t.Errorf("%s: tampered hash %q verifies", name, bad)
		}
	}
}
