package iam_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/iam"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

func TestLoginMeLogout(t *testing.T) {
	runDB(t, func(t *testing.T, db *sqldb.DB) {
		e := newEnv(t, db)
		c := e.client()
		r := c.want(http.StatusOK, http.MethodPost, "/auth/login", map[string]string{"username": "Admin", "password": adminPassword})
		cookie := r.header.Get("Set-Cookie")
		for _, want := range []string{iam.CookieName + "=", "HttpOnly", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(cookie, want) {
				t.Errorf("Set-Cookie %q lacks %q", cookie, want)
			}
		}
		if strings.Contains(cookie, "Secure") {
			t.Errorf("Set-Cookie %q is Secure on a plain-HTTP request without the config flag", cookie)
		}
		var login loginBody
		r.json(t, &login)
		c.csrf = login.CSRFToken

		var me loginBody
		c.want(http.StatusOK, http.MethodGet, "/auth/me", nil).json(t, &me)
		if me.Username != "admin" || me.Via != "session" || me.CSRFToken != login.CSRFToken {
			t.Errorf("me = %+v, want admin via session with the login's CSRF token", me)
		}
		if len(me.Roles) != 1 || me.Roles[0].Role != "admin" || me.Roles[0].Label != "系统管理员" {
			t.Errorf("roles = %+v, want admin/系统管理员", me.Roles)
		}
		if me.Scope.RegionName != "全国" || !slices.Contains(me.Permissions, "audit.read") {
			t.Errorf("scope %+v permissions %v", me.Scope, me.Permissions)
		}

		// Logging out is an unsafe request: it needs the CSRF token too.
		c.noCSRF = true
		c.wantProblem(http.StatusForbidden, "", http.MethodPost, "/auth/logout", nil)
		c.noCSRF = false
		r = c.want(http.StatusNoContent, http.MethodPost, "/auth/logout", nil)
		if sc := r.header.Get("Set-Cookie"); !strings.Contains(sc, "Max-Age=0") {
			t.Errorf("logout Set-Cookie %q does not clear the cookie", sc)
		}
		c.wantProblem(http.StatusUnauthorized, "", http.MethodGet, "/auth/me", nil)
	})
}

func TestLoginFailsAlikeForUnknownUserAndWrongPassword(t *testing.T) {
	e := newEnv(t, sqldbtestSQLite(t))
	c := e.client()
	wrong := c.wantProblem(http.StatusUnauthorized, "", http.MethodPost, "/auth/login", map[string]string{"username": "admin", "password": "nope-Nope-1"})
	unknown := c.wantProblem(http.StatusUnauthorized, "", http.MethodPost, "/auth/login", map[string]string{"username": "ghost", "password": "nope-Nope-1"})
	if wrong.Detail != unknown.Detail {
		t.Errorf("wrong password says %q, unknown user says %q: they must not differ", wrong.Detail, unknown.Detail)
	}
	p := c.wantProblem(http.StatusUnprocessableEntity, "body", http.MethodPost, "/auth/login", map[string]string{"username": "admin"})
	if !strings.Contains(p.Errors[0].Message, "password") {
		t.Errorf("missing password reported as %+v", p.Errors)
	}
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t, sqldbtestSQLite(t))
	c := e.login("admin", adminPassword)
	// Activity keeps the session alive past the idle timeout...
	for range 3 {
		e.clock.Advance(20 * time.Minute)
		c.want(http.StatusOK, http.MethodGet, "/auth/me", nil)
	}
	// ...but 31 idle minutes end it.
	e.clock.Advance(31 * time.Minute)
	c.wantProblem(http.StatusUnauthorized, "", http.MethodGet, "/auth/me", nil)

	// The absolute lifetime ends even an active session.
	c = e.login("admin", adminPassword)
	for range 12 * 3 {
		e.clock.Advance(20 * time.Minute)
		if r := c.do(http.MethodGet, "/auth/me", nil); r.status != http.StatusOK {
			if r.status != http.StatusUnauthorized {
				t.Fatalf("me: %d %s", r.status, r.body)
			}
			return
		}
	}
	t.Fatal("session outlived its 12-hour lifetime")
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, sqldbtestSQLite(t))
	admin := e.login("admin", adminPassword)
	body := func(name string) map[string]any {
		return map[string]any{"username": name, "display_name": name, "roles": []string{"readonly"},
			"scope": map[string]any{}, "password": "Xy-secret-123"}
	}
	admin.noCSRF = true
	p := admin.wantProblem(http.StatusForbidden, "", http.MethodPost, "/users", body("user1"))
	if !strings.Contains(p.Detail, "CSRF") {
		t.Errorf("detail %q does not name CSRF", p.Detail)
	}
	admin.want(http.StatusOK, http.MethodGet, "/users", nil) // safe methods need none
	admin.noCSRF = false
	wrong := *admin
	wrong.csrf = "not-the-token"
	wrong.wantProblem(http.StatusForbidden, "", http.MethodPost, "/users", body("user1"))
	admin.want(http.StatusCreated, http.MethodPost, "/users", body("user1"))

	// A bearer token needs no CSRF token.
	var tok struct {
		Token string `json:"token"`
	}
	admin.want(http.StatusCreated, http.MethodPost, "/tokens", map[string]any{"name": "ci"}).json(t, &tok)
	machine := e.bearer(tok.Token)
	machine.want(http.StatusCreated, http.MethodPost, "/users", body("user2"))
}

func TestLockout(t *testing.T) {
	runDB(t, func(t *testing.T, db *sqldb.DB) {
		e := newEnv(t, db)
		admin := e.login("admin", adminPassword)
		admin.createUser("zhang.san", []string{"monitor"}, map[string]any{"region": "510100"})
		c := e.client()
		bad := map[string]string{"username": "zhang.san", "password": "Wrong-pass-1"}
		good := map[string]string{"username": "zhang.san", "password": pw("zhang.san")}
		for range 4 {
			c.wantProblem(http.StatusUnauthorized, "", http.MethodPost, "/auth/login", bad)
		}
		p := c.wantProblem(http.StatusLocked, "", http.MethodPost, "/auth/login", bad)
		if !strings.Contains(p.Detail, "锁定") {
			t.Errorf("lock-out detail %q does not say the account is locked", p.Detail)
		}
		r := c.wantProblemResponse(http.StatusLocked, http.MethodPost, "/auth/login", good)
		if r.header.Get("Retry-After") == "" {
			t.Error("locked answer has no Retry-After")
		}

		// The administrator sees the lock-out; it survives a restart.
		var locked struct {
			Items []userJSON `json:"items"`
		}
		admin.want(http.StatusOK, http.MethodGet, "/users?status=locked", nil).json(t, &locked)
		if len(locked.Items) != 1 || locked.Items[0].Username != "zhang.san" || locked.Items[0].Status != "locked" {
			t.Errorf("locked users = %+v, want zhang.san", locked.Items)
		}
		e.restart()
		c = e.client()
		c.wantProblem(http.StatusLocked, "", http.MethodPost, "/auth/login", good)

		// 15 minutes later the right password works and resets the count.
		e.clock.Advance(15*time.Minute + time.Second)
		c.want(http.StatusOK, http.MethodPost, "/auth/login", good)
		for range 4 {
			c.wantProblem(http.StatusUnauthorized, "", http.MethodPost, "/auth/login", bad)
		}
		c.want(http.StatusOK, http.MethodPost, "/auth/login", good)
		admin = e.login("admin", adminPassword)
		var page struct {
			Items []userJSON `json:"items"`
		}
		admin.want(http.StatusOK, http.MethodGet, "/users?q=zhang", nil).json(t, &page)
		if len(page.Items) != 1 || page.Items[0].Status != "active" {
			t.Fatalf("users = %+v, want zhang.san active", page.Items)
		}
		u := page.Items[0]

		// Unknown usernames lock the same way: nothing tells them apart.
		ghost := map[string]string{"username": "nobody", "password": "Wrong-pass-1"}
		for range 4 {
			c.wantProblem(http.StatusUnauthorized, "", http.MethodPost, "/auth/login", ghost)
		}
		c.wantProblem(http.StatusLocked, "", http.MethodPost, "/auth/login", ghost)

		// An administrator can lift a lock-out at once.
		for range 5 {
			c.do(http.MethodPost, "/auth/login", bad)
		}
		c.wantProblem(http.StatusLocked, "", http.MethodPost, "/auth/login", good)
		admin.want(http.StatusOK, http.MethodPatch, "/users/"+itoa(u.ID), map[string]any{"status": "active"})
		c.want(http.StatusOK, http.MethodPost, "/auth/login", good)
	})
}

func TestIPThrottle(t *testing.T) {
	e := newEnv(t, sqldbtestSQLite(t), func(c *iam.Config) { c.IPFailureLimit = 6 })
	c := e.client()
	for i := range 6 {
		c.wantProblem(http.StatusUnauthorized, "", http.MethodPost, "/auth/login",
			map[string]string{"username": "user" + itoa(int64(i)), "password": "Wrong-pass-1"})
	}
	r := c.wantProblemResponse(http.StatusTooManyRequests, http.MethodPost, "/auth/login",
		map[string]string{"username": "admin", "password": adminPassword})
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	e.clock.Advance(10*time.Minute + time.Second)
	c.want(http.StatusOK, http.MethodPost, "/auth/login", map[string]string{"username": "admin", "password": adminPassword})
}

func TestDisabledUserCannotLogIn(t *testing.T) {
	e := newEnv(t, sqldbtestSQLite(t))
	admin := e.login("admin", adminPassword)
	id := admin.createUser("li.si", []string{"regulator"}, map[string]any{"region": "510000"})
	li := e.login("li.si", pw("li.si"))
	admin.want(http.StatusOK, http.MethodPost, "/users/"+itoa(id)+"/disable", nil)
	li.wantProblem(http.StatusUnauthorized, "", http.MethodGet, "/auth/me", nil) // its session ended
	e.client().wantProblem(http.StatusForbidden, "", http.MethodPost, "/auth/login",
		map[string]string{"username": "li.si", "password": pw("li.si")})
	// Administrators cannot disable themselves.
	admin.wantProblem(http.StatusForbidden, "", http.MethodPost, "/users/1/disable", nil)
}

func TestSecureCookieFlagAndOpenAPI(t *testing.T) {
	e := newEnv(t, sqldbtestSQLite(t), func(c *iam.Config) { c.SecureCookie = true })
	r := e.client().want(http.StatusOK, http.MethodPost, "/auth/login", map[string]string{"username": "admin", "password": adminPassword})
	if sc := r.header.Get("Set-Cookie"); !strings.Contains(sc, "Secure") {
		t.Errorf("Set-Cookie %q is not Secure with SecureCookie set", sc)
	}
	r = e.client().want(http.StatusOK, http.MethodGet, "/openapi.json", nil)
	for _, path := range []string{`"/api/v1/auth/login"`, `"/api/v1/users/{id}"`, `"/api/v1/org-units/tree"`, `"/api/v1/audit/export"`} {
		if !strings.Contains(string(r.body), path) {
			t.Errorf("OpenAPI document lacks %s", path)
		}
	}
}
