package iam

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
)

var cheap = PasswordParams{Memory: 64, Iterations: 1, Parallelism: 1}

func TestPasswordHash(t *testing.T) {
	hash, err := hashPassword("Correct-horse-7", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string with its parameters", hash)
	}
	other, _ := hashPassword("Correct-horse-7", cheap)
	if other == hash {
		t.Error("two hashes of one password are equal: no salt")
	}
	tests := []struct {
		name          string
		password      string
		want          PasswordParams
		ok, rehash    bool
		encodedTamper func(string) string
	}{
		{name: "right", password: "Correct-horse-7", want: cheap, ok: true},
		{name: "wrong", password: "correct-horse-7", want: cheap},
		{name: "raised parameters", password: "Correct-horse-7", want: PasswordParams{Memory: 128, Iterations: 2, Parallelism: 1}, ok: true, rehash: true},
		{name: "malformed", password: "Correct-horse-7", want: cheap, encodedTamper: func(s string) string { return s[:20] }},
		{name: "absurd cost", password: "Correct-horse-7", want: cheap,
			encodedTamper: func(s string) string { return strings.Replace(s, "m=64", "m=99999999", 1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := hash
			if tt.encodedTamper != nil {
				h = tt.encodedTamper(h)
			}
			ok, rehash := verifyPassword(tt.password, h, tt.want)
			if ok != tt.ok || rehash != tt.rehash {
				t.Errorf("verify = %v, %v; want %v, %v", ok, rehash, tt.ok, tt.rehash)
			}
		})
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		pw := GeneratePassword()
		inv := &apperr.Invalid{}
		checkPassword(inv, "password", pw, "admin")
		if err := inv.Err(); err != nil {
			t.Fatalf("generated %q breaks the rules: %v", pw, err)
		}
		if len(pw) != 19 || strings.ContainsAny(pw, "0O1lI") {
			t.Fatalf("generated %q is not 4×4 readable characters", pw)
		}
		if seen[pw] {
			t.Fatalf("generated %q twice", pw)
		}
		seen[pw] = true
	}
}

func TestEnsureAdmin(t *testing.T) {
	ctx := context.Background()
	db := sqldbtest.OpenSQLite(t)
	if err := db.Migrate(ctx, audit.Module(), Module()); err != nil {
		t.Fatal(err)
	}
	s := New(db, Config{Password: cheap}, nil, nil)
	if _, _, _, err := s.EnsureAdmin(ctx, "short"); !errors.Is(err, apperr.ErrInvalid) {
		t.Fatalf("weak admin password: err = %v, want invalid", err)
	}
	user, generated, created, err := s.EnsureAdmin(ctx, "")
	if err != nil || !created || user != "admin" || generated == "" {
		t.Fatalf("EnsureAdmin = %q, %q, %v, %v", user, generated, created, err)
	}
	if _, err := s.Login(ctx, "admin", generated); err != nil {
		t.Fatalf("login with the generated password: %v", err)
	}
	_, again, created, err := s.EnsureAdmin(ctx, "Another-pass-1")
	if err != nil || created || again != "" {
		t.Fatalf("second EnsureAdmin = %q, %v, %v; want nothing done", again, created, err)
	}
	if _, err := s.Login(ctx, "admin", generated); err != nil {
		t.Fatalf("the second start changed the password: %v", err)
	}
	// A re-hash happens at login once the parameters are raised.
	raised := New(db, Config{Password: PasswordParams{Memory: 128, Iterations: 1, Parallelism: 1}}, nil, nil)
	if _, err := raised.Login(ctx, "admin", generated); err != nil {
		t.Fatal(err)
	}
	var hash string
	if err := db.Read().QueryRowContext(ctx, `SELECT password_hash FROM users WHERE username = 'admin'`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(hash, "m=128,") {
		t.Errorf("hash %q was not upgraded to the raised parameters", hash)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
	bad := Config{SessionIdle: 13 * time.Hour, SessionLifetime: time.Hour, Password: PasswordParams{Memory: 1}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "idle") || !strings.Contains(err.Error(), "argon2id") {
		t.Errorf("bad config: %v", err)
	}
}
