package iam

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
)

// loginPath is exempt from session resolution: logging in again while a
// (possibly stale) cookie is present must not need that session's CSRF token.
const loginPath = httpapi.Prefix + "/auth/login"

// Middleware authenticates every request: a bearer API token
// ("Authorization: Bearer jt_...") or the session cookie becomes an
// *access.Principal in the request context. Requests without credentials
// pass through anonymously (operations that need a principal answer 401); a
// bad bearer token is refused at once with 401. Unsafe methods
// (POST/PUT/PATCH/DELETE) authenticated by the cookie must carry the
// session's CSRF token in X-CSRF-Token, or get 403. Token requests need no
// CSRF token: a browser never sends them on its own.
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := client{addr: s.clientAddr(r), tls: r.TLS != nil, userAgent: r.UserAgent()}
		ctx := context.WithValue(r.Context(), clientKey{}, c)

		if authz := r.Header.Get("Authorization"); authz != "" {
			scheme, secret, _ := strings.Cut(authz, " ")
			if !strings.EqualFold(scheme, "Bearer") {
				httpapi.WriteProblem(w, r, fmt.Errorf("unsupported Authorization scheme %q; use Bearer with an API token: %w",
					scheme, apperr.ErrUnauthorized))
				return
			}
			p, err := s.tokenPrincipal(ctx, strings.TrimSpace(secret))
			if err != nil {
				httpapi.WriteProblem(w, r, err)
				return
			}
			secret = strings.TrimSpace(secret)
			check := func(ctx context.Context) error {
				_, err := s.tokenPrincipal(ctx, secret)
				return err
			}
			next.ServeHTTP(w, r.WithContext(access.WithCredentialCheck(access.With(ctx, p), check)))
			return
		}

		if cookie, err := r.Cookie(CookieName); err == nil && cookie.Value != "" && r.URL.Path != loginPath {
			p, sess, err := s.sessionPrincipal(ctx, cookie.Value)
			if err != nil {
				httpapi.WriteProblem(w, r, err)
				return
			}
			if p != nil {
				if unsafeMethod(r.Method) && !validCSRF(r.Header.Get(CSRFHeader), sess.csrf) {
					httpapi.WriteProblem(w, r, apperr.Forbidden("CSRF token missing or wrong: send the session's csrf_token "+
						"(from POST /auth/login or GET /auth/me) in the "+CSRFHeader+" header"))
					return
				}
				token := cookie.Value
				check := func(ctx context.Context) error {
					p, _, err := s.sessionPrincipal(ctx, token)
					if err == nil && p == nil {
						err = fmt.Errorf("iam: session ended: %w", apperr.ErrUnauthorized)
					}
					return err
				}
				ctx = context.WithValue(access.WithCredentialCheck(access.With(ctx, p), check), sessionKey{}, sess)
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func unsafeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}

func validCSRF(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// clientAddr returns the client's IP address (without port): the first
// X-Forwarded-For entry when configured to trust it, else the peer.
func (s *Service) clientAddr(r *http.Request) string {
	if s.cfg.TrustForwardedFor {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(first)); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
