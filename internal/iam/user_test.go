package iam_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

func TestPasswordRules(t *testing.T) {
	e := newEnv(t, sqldbtestSQLite(t))
	admin := e.login("admin", adminPassword)
	tests := []struct {
		name, password, reason string
	}{
		{"too short", "Ab1-xyz", "10"},
		{"two classes", "abcdefghij123", "三类"},
		{"contains username", "Wang.Wu-2026!", "用户名"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := admin.in(t).wantProblem(http.StatusUnprocessableEntity, "body.password", http.MethodPost, "/users", map[string]any{
				"username": "wang.wu", "display_name": "王五", "roles": []string{"readonly"}, "scope": map[string]any{},
				"password": tt.password})
			if !strings.Contains(p.Errors[0].Message, tt.reason) {
				t.Errorf("reason %q does not mention %q", p.Errors[0].Message, tt.reason)
			}
		})
	}
	admin.want(http.StatusCreated, http.MethodPost, "/users", map[string]any{
		"username": "wang.wu", "display_name": "王五", "roles": []string{"readonly"}, "scope": map[string]any{},
		"password": "correct-Horse-7"})

	// Changing one's own password checks the current one and the rules.
	wang := e.login("wang.wu", "correct-Horse-7")
	other := e.login("wang.wu", "correct-Horse-7")
	wang.wantProblem(http.StatusUnprocessableEntity, "body.current_password", http.MethodPost, "/auth/password",
		map[string]string{"current_password": "wrong-Horse-7", "new_password": "battery-Staple-8"})
	wang.wantProblem(http.StatusUnprocessableEntity, "body.new_password", http.MethodPost, "/auth/password",
		map[string]string{"current_password": "correct-Horse-7", "new_password": "short"})
	wang.want(http.StatusNoContent, http.MethodPost, "/auth/password",
		map[string]string{"current_password": "correct-Horse-7", "new_password": "battery-Staple-8"})
	wang.want(http.StatusOK, http.MethodGet, "/auth/me", nil)                           // this session stays
	other.wantProblem(http.StatusUnauthorized, "", http.MethodGet, "/auth/me", nil)     // the others end
	e.client().wantProblem(http.StatusUnauthorized, "", http.MethodPost, "/auth/login", // the old password is gone
		map[string]string{"username": "wang.wu", "password": "correct-Horse-7"})
	e.login("wang.wu", "battery-Staple-8")

	// An administrator's reset without a password generates one.
	var reset struct {
		Password string `json:"password"`
	}
	var users struct {
		Items []userJSON `json:"items"`
	}
	admin.want(http.StatusOK, http.MethodGet, "/users?q=wang", nil).json(t, &users)
	admin.want(http.StatusOK, http.MethodPost, "/users/"+itoa(users.Items[0].ID)+"/password", map[string]any{}).json(t, &reset)
	if reset.Password == "" {
		t.Fatal("reset generated no password")
	}
	e.login("wang.wu", reset.Password)
}

func TestUserValidation(t *testing.T) {
	e := newEnv(t, sqldbtestSQLite(t))
	admin := e.login("admin", adminPassword)
	tests := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"bad username", map[string]any{"username": "Bad Name!", "roles": []string{"readonly"}, "scope": map[string]any{}}, "body.username"},
		{"unknown role", map[string]any{"username": "u.one", "roles": []string{"boss"}, "scope": map[string]any{}}, "body.roles[0]"},
		{"unknown region", map[string]any{"username": "u.one", "roles": []string{"readonly"}, "scope": map[string]any{"region": "519999"}}, "body.scope.region"},
		{"unknown operator", map[string]any{"username": "u.one", "roles": []string{"enterprise"}, "scope": map[string]any{"operator_id": 99}}, "body.scope.operator_id"},
		{"enterprise without operator", map[string]any{"username": "u.one", "roles": []string{"enterprise"}, "scope": map[string]any{"region": "510104"}}, "body.scope.operator_id"},
		{"bad email", map[string]any{"username": "u.one", "roles": []string{"readonly"}, "scope": map[string]any{}, "email": "nope"}, "body.email"},
		{"unknown field", map[string]any{"username": "u.one", "roles": []string{"readonly"}, "scope": map[string]any{}, "colour": "red"}, "body.colour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.body["display_name"] = "测试"
			tt.body["password"] = "Good-pass-2026"
			admin.in(t).wantProblem(http.StatusUnprocessableEntity, tt.field, http.MethodPost, "/users", tt.body)
		})
	}
	admin.createUser("dup.user", []string{"readonly"}, map[string]any{})
	admin.wantProblem(http.StatusUnprocessableEntity, "body.username", http.MethodPost, "/users", map[string]any{
		"username": "DUP.user", "display_name": "x", "roles": []string{"readonly"}, "scope": map[string]any{},
		"password": "Good-pass-2026"})

	// An enterprise scope takes the operator's region.
	var u userJSON
	admin.want(http.StatusCreated, http.MethodPost, "/users", map[string]any{
		"username": "qiye", "display_name": "企业", "roles": []string{"enterprise"},
		"scope": map[string]any{"operator_id": 7}, "password": "Good-pass-2026"}).json(t, &u)
	if u.Scope.Region != "510104" || u.Scope.OperatorID != 7 {
		t.Errorf("enterprise scope = %+v, want operator 7 in 510104", u.Scope)
	}
}

func TestScopedAdministrator(t *testing.T) {
	runDB(t, func(t *testing.T, db *sqldb.DB) {
		e := newEnv(t, db)
		root := e.login("admin", adminPassword)
		root.createUser("cd.admin", []string{"admin"}, map[string]any{"region": "510100"})
		gzUser := root.createUser("gz.user", []string{"monitor"}, map[string]any{"region": "440100"})
		cd := e.login("cd.admin", pw("cd.admin"))

		jj := cd.createUser("jj.monitor", []string{"monitor"}, map[string]any{"region": "510104"})
		cd.createUser("jj.qiye", []string{"enterprise"}, map[string]any{"operator_id": 7})

		outside := []struct {
			name  string
			scope map[string]any
		}{
			{"another city", map[string]any{"region": "440100"}},
			{"the province above", map[string]any{"region": "510000"}},
			{"the whole country", map[string]any{}},
			{"an operator elsewhere", map[string]any{"operator_id": 8}},
		}
		for _, tt := range outside {
			t.Run("create in "+tt.name, func(t *testing.T) {
				p := cd.in(t).wantProblem(http.StatusForbidden, "body.scope", http.MethodPost, "/users", map[string]any{
					"username": "x.user", "display_name": "x", "roles": []string{"readonly"}, "scope": tt.scope,
					"password": "Good-pass-2026"})
				if !strings.Contains(p.Detail, "outside your own scope") {
					t.Errorf("detail %q", p.Detail)
				}
			})
		}
		// Nor can it widen the scope of a user it manages, or its own.
		cd.wantProblem(http.StatusForbidden, "body.scope", http.MethodPatch, "/users/"+itoa(jj),
			map[string]any{"scope": map[string]any{"region": "510000"}})
		var me struct {
			UserID int64 `json:"user_id"`
		}
		cd.want(http.StatusOK, http.MethodGet, "/auth/me", nil).json(t, &me)
		cd.wantProblem(http.StatusForbidden, "body.scope", http.MethodPatch, "/users/"+itoa(me.UserID),
			map[string]any{"scope": map[string]any{}})
		// Narrowing inside its scope is fine.
		cd.want(http.StatusOK, http.MethodPatch, "/users/"+itoa(jj), map[string]any{"scope": map[string]any{"region": "510105"}})

		// It sees only users inside its scope.
		cd.wantProblem(http.StatusNotFound, "", http.MethodGet, "/users/"+itoa(gzUser), nil)
		cd.wantProblem(http.StatusNotFound, "", http.MethodPatch, "/users/"+itoa(gzUser), map[string]any{"display_name": "x"})
		var page struct {
			Total int        `json:"total"`
			Items []userJSON `json:"items"`
		}
		cd.want(http.StatusOK, http.MethodGet, "/users?sort=username", nil).json(t, &page)
		var names []string
		for _, u := range page.Items {
			names = append(names, u.Username)
		}
		if strings.Join(names, ",") != "cd.admin,jj.monitor,jj.qiye" {
			t.Errorf("city admin sees %v", names)
		}
		root.want(http.StatusOK, http.MethodGet, "/users?region=510100&role=monitor", nil).json(t, &page)
		if page.Total != 1 || page.Items[0].Username != "jj.monitor" {
			t.Errorf("filtered list = %+v", page.Items)
		}
	})
}

func TestTokens(t *testing.T) {
	runDB(t, func(t *testing.T, db *sqldb.DB) {
		e := newEnv(t, db)
		root := e.login("admin", adminPassword)
		multi := root.createUser("ops", []string{"admin", "readonly"}, map[string]any{"region": "510000"})

		type tokenJSON struct {
			ID     int64    `json:"id"`
			Token  string   `json:"token"`
			Prefix string   `json:"prefix"`
			Roles  []string `json:"roles"`
		}
		var full, narrow tokenJSON
		root.want(http.StatusCreated, http.MethodPost, "/users/"+itoa(multi)+"/tokens", map[string]any{"name": "全权"}).json(t, &full)
		root.want(http.StatusCreated, http.MethodPost, "/users/"+itoa(multi)+"/tokens",
			map[string]any{"name": "只读", "roles": []string{"readonly"}}).json(t, &narrow)
		if !strings.HasPrefix(full.Token, "jt_") || !strings.HasPrefix(full.Token, full.Prefix) {
			t.Fatalf("token %q prefix %q", full.Token, full.Prefix)
		}
		root.wantProblem(http.StatusUnprocessableEntity, "body.roles[0]", http.MethodPost, "/users/"+itoa(multi)+"/tokens",
			map[string]any{"name": "x", "roles": []string{"monitor"}})

		var me loginBody
		e.bearer(full.Token).want(http.StatusOK, http.MethodGet, "/auth/me", nil).json(t, &me)
		if me.Username != "ops" || me.Via != "token" || me.CSRFToken != "" || me.Scope.Region != "510000" {
			t.Errorf("token me = %+v", me)
		}
		e.bearer(full.Token).want(http.StatusOK, http.MethodGet, "/users", nil)
		e.bearer(narrow.Token).wantProblem(http.StatusForbidden, "", http.MethodGet, "/users", nil)

		// Tokens are listed without their secret.
		r := root.want(http.StatusOK, http.MethodGet, "/users/"+itoa(multi)+"/tokens", nil)
		if strings.Contains(string(r.body), full.Token) {
			t.Error("token list reveals a token")
		}

		// Revoked and expired tokens stop working; unknown ones never did.
		root.want(http.StatusOK, http.MethodDelete, "/tokens/"+itoa(full.ID), nil)
		e.bearer(full.Token).wantProblem(http.StatusUnauthorized, "", http.MethodGet, "/auth/me", nil)
		e.bearer("jt_forged").wantProblem(http.StatusUnauthorized, "", http.MethodGet, "/auth/me", nil)
		bad := e.client()
		bad.hc.Transport = headerTransport{"Authorization": "Basic YWRtaW46eA=="}
		bad.wantProblem(http.StatusUnauthorized, "", http.MethodGet, "/auth/me", nil)

		var short tokenJSON
		ops := e.login("ops", pw("ops"))
		ops.want(http.StatusCreated, http.MethodPost, "/tokens", map[string]any{"name": "短期",
			"expires_at": e.clock.Now().Add(time.Hour).Format(time.RFC3339)}).json(t, &short)
		ops.wantProblem(http.StatusUnprocessableEntity, "body.expires_at", http.MethodPost, "/tokens", map[string]any{"name": "过去",
			"expires_at": e.clock.Now().Add(-time.Hour).Format(time.RFC3339)})
		e.bearer(short.Token).want(http.StatusOK, http.MethodGet, "/auth/me", nil)
		e.clock.Advance(time.Hour + time.Second)
		e.bearer(short.Token).wantProblem(http.StatusUnauthorized, "", http.MethodGet, "/auth/me", nil)

		// A token cannot change its user's password, and dies with its user.
		var fresh tokenJSON
		ops = e.login("ops", pw("ops"))
		ops.want(http.StatusCreated, http.MethodPost, "/tokens", map[string]any{"name": "新"}).json(t, &fresh)
		e.bearer(fresh.Token).wantProblem(http.StatusForbidden, "", http.MethodPost, "/auth/password",
			map[string]string{"current_password": pw("ops"), "new_password": "Another-pass-9"})
		root = e.login("admin", adminPassword)
		root.want(http.StatusOK, http.MethodPost, "/users/"+itoa(multi)+"/disable", nil)
		e.bearer(fresh.Token).wantProblem(http.StatusUnauthorized, "", http.MethodGet, "/auth/me", nil)
	})
}

type headerTransport map[string]string

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestAnonymousAndForbidden(t *testing.T) {
	e := newEnv(t, sqldbtestSQLite(t))
	anon := e.client()
	for _, path := range []string{"/users", "/auth/me", "/audit", "/regions", "/org-units", "/tokens"} {
		anon.wantProblem(http.StatusUnauthorized, "", http.MethodGet, path, nil)
	}
	root := e.login("admin", adminPassword)
	root.createUser("viewer", []string{"readonly"}, map[string]any{"region": "510100"})
	viewer := e.login("viewer", pw("viewer"))
	for _, path := range []string{"/users", "/audit", "/audit/export", "/users/1/tokens"} {
		viewer.wantProblem(http.StatusForbidden, "", http.MethodGet, path, nil)
	}
	viewer.wantProblem(http.StatusForbidden, "", http.MethodPost, "/org-units/seed", map[string]any{"province": "510000"})
	viewer.want(http.StatusOK, http.MethodGet, "/regions", nil)
	viewer.want(http.StatusOK, http.MethodGet, "/tokens", nil)
}
