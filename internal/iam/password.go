package iam

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
)

// PasswordParams are the argon2id cost parameters. They are written into
// every hash (PHC string format), so raising them later only affects new
// hashes, and old ones are re-hashed at their owner's next login.
type PasswordParams struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
}

// DefaultPasswordParams follow the second recommendation of RFC 9106
// (64 MiB, 3 passes, 4 lanes).
var DefaultPasswordParams = PasswordParams{Memory: 64 * 1024, Iterations: 3, Parallelism: 4}

func (p PasswordParams) validate() error {
	if p.Memory < 8*uint32(p.Parallelism) || p.Iterations < 1 || p.Parallelism < 1 {
		return fmt.Errorf("iam: argon2id parameters m=%d t=%d p=%d are too small", p.Memory, p.Iterations, p.Parallelism)
	}
	return nil
}

const (
	saltLen = 16
	keyLen  = 32
	// MinPasswordLength is the shortest password accepted.
	MinPasswordLength = 10
	// MaxPasswordLength bounds the work a login request can cause.
	MaxPasswordLength = 128
)

var b64 = base64.RawStdEncoding

// hashPassword returns the PHC string
// $argon2id$v=19$m=65536,t=3,p=4$<salt>$<key>.
func hashPassword(password string, p PasswordParams) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("iam: hash password: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Iterations, p.Parallelism,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("iam: malformed password hash")

func parseHash(encoded string) (PasswordParams, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return PasswordParams{}, nil, nil, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return PasswordParams{}, nil, nil, errBadHash
	}
	var p PasswordParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Iterations, &p.Parallelism); err != nil {
		return PasswordParams{}, nil, nil, errBadHash
	}
	if p.validate() != nil || p.Memory > 4<<20 || p.Iterations > 100 {
		return PasswordParams{}, nil, nil, errBadHash
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return PasswordParams{}, nil, nil, errBadHash
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) == 0 {
		return PasswordParams{}, nil, nil, errBadHash
	}
	return p, salt, key, nil
}

// verifyPassword reports whether password matches the PHC hash, and whether
// the hash was made with parameters other than want (time to re-hash).
func verifyPassword(password, encoded string, want PasswordParams) (ok, rehash bool) {
	p, salt, key, err := parseHash(encoded)
	if err != nil {
		return false, false
	}
	got := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false
	}
	return true, p != want
}

// checkPassword applies the password rules: at least MinPasswordLength
// characters, at least three of lower case, upper case, digits and symbols,
// and not containing the username. Problems are reported on field.
func checkPassword(inv *apperr.Invalid, field, password, username string) {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLength:
		inv.Add(field, fmt.Sprintf("密码至少需要 %d 个字符 (at least %d characters)", MinPasswordLength, MinPasswordLength), nil)
		return
	case n > MaxPasswordLength:
		inv.Add(field, fmt.Sprintf("密码不能超过 %d 个字符 (at most %d characters)", MaxPasswordLength, MaxPasswordLength), nil)
		return
	}
	var lower, upper, digit, symbol bool
	for _, r := range password {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			symbol = true
		}
	}
	classes := 0
	for _, b := range []bool{lower, upper, digit, symbol} {
		if b {
			classes++
		}
	}
	if classes < 3 {
		inv.Add(field, "密码须包含小写字母、大写字母、数字、符号中的至少三类 (at least 3 of lower case, upper case, digits, symbols)", nil)
	}
	if username != "" && strings.Contains(strings.ToLower(password), strings.ToLower(username)) {
		inv.Add(field, "密码不能包含用户名 (must not contain the username)", nil)
	}
}

// The alphabet of generated passwords leaves out look-alikes (0/O, 1/l/I), so
// a password read off a terminal is typed right the first time.
const (
	genLower  = "abcdefghijkmnpqrstuvwxyz"
	genUpper  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	genDigits = "23456789"
)

// GeneratePassword returns a strong, readable password of four groups of
// four characters joined by '-', e.g. "Kp7x-M3qz-9TaH-wn4R" (about 90 bits).
func GeneratePassword() string {
	alphabet := genLower + genUpper + genDigits
	for {
		var b strings.Builder
		for g := range 4 {
			if g > 0 {
				b.WriteByte('-')
			}
			for range 4 {
				n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
				if err != nil {
					panic("iam: crypto/rand failed: " + err.Error())
				}
				b.WriteByte(alphabet[n.Int64()])
			}
		}
		pw := b.String()
		if strings.ContainsAny(pw, genLower) && strings.ContainsAny(pw, genUpper) && strings.ContainsAny(pw, genDigits) {
			return pw
		}
	}
}
