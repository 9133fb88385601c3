package iam_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

type auditJSON struct {
	ID         int64  `json:"id"`
	UserID     int64  `json:"user_id"`
	Username   string `json:"username"`
	Via        string `json:"via"`
	RemoteAddr string `json:"remote_addr"`
	Action     string `json:"action"`
	Entity     string `json:"entity"`
	EntityID   string `json:"entity_id"`
	Region     string `json:"region"`
}

type auditPage struct {
	Total int         `json:"total"`
	Items []auditJSON `json:"items"`
}

func TestAuditTrail(t *testing.T) {
	runDB(t, func(t *testing.T, db *sqldb.DB) {
		e := newEnv(t, db)
		root := e.login("admin", adminPassword)
		root.want(http.StatusOK, http.MethodPost, "/org-units/seed", map[string]any{"province": "510000"})
		var unit unitJSON
		root.want(http.StatusCreated, http.MethodPost, "/org-units", map[string]any{"region": "440100", "name": "广州市交通运输局"}).json(t, &unit)
		root.want(http.StatusOK, http.MethodPatch, "/org-units/"+itoa(unit.ID), map[string]any{"name": "广州市交通运输局（新）"})
		root.want(http.StatusNoContent, http.MethodDelete, "/org-units/"+itoa(unit.ID), nil)
		cdAdmin := root.createUser("cd.admin", []string{"admin"}, map[string]any{"region": "510100"})
		gz := root.createUser("gz.user", []string{"monitor"}, map[string]any{"region": "440100"})
		root.want(http.StatusOK, http.MethodPatch, "/users/"+itoa(gz), map[string]any{"display_name": "广州监控"})
		root.want(http.StatusOK, http.MethodPost, "/users/"+itoa(gz)+"/password", map[string]any{})

		cd := e.login("cd.admin", pw("cd.admin"))
		jj := cd.createUser("jj.monitor", []string{"monitor"}, map[string]any{"region": "510104"})
		var tok struct {
			ID int64 `json:"id"`
		}
		cd.want(http.StatusCreated, http.MethodPost, "/users/"+itoa(jj)+"/tokens", map[string]any{"name": "对接"}).json(t, &tok)
		cd.want(http.StatusOK, http.MethodDelete, "/tokens/"+itoa(tok.ID), nil)
		cd.want(http.StatusOK, http.MethodPost, "/users/"+itoa(jj)+"/disable", nil)
		e.client().do(http.MethodPost, "/auth/login", map[string]string{"username": "cd.admin", "password": "Wrong-pass-1"})
		e.client().do(http.MethodPost, "/auth/login", map[string]string{"username": "nobody", "password": "Wrong-pass-1"})
		other := e.login("cd.admin", pw("cd.admin"))
		other.want(http.StatusNoContent, http.MethodPost, "/auth/logout", nil)

		// Every change is in the log, with who, how and from where.
		var all auditPage
		root.want(http.StatusOK, http.MethodGet, "/audit?page_size=500", nil).json(t, &all)
		type key struct{ action, entity string }
		seen := map[key]bool{}
		for _, a := range all.Items {
			seen[key{a.Action, a.Entity}] = true
			if a.Action != "login_failed" && a.Username == "" {
				t.Errorf("entry %+v has no actor", a)
			}
		}
		for _, k := range []key{
			{"create", "org_unit"}, {"update", "org_unit"}, {"delete", "org_unit"},
			{"create", "user"}, {"update", "user"}, {"password", "user"},
			{"create", "api_token"}, {"revoke", "api_token"},
			{"login", "user"}, {"login_failed", "user"}, {"logout", "user"},
		} {
			if !seen[k] {
				t.Errorf("no audit entry %s %s", k.action, k.entity)
			}
		}
		var logins auditPage
		root.want(http.StatusOK, http.MethodGet, "/audit?action=login&user_id="+itoa(cdAdmin), nil).json(t, &logins)
		if logins.Total != 2 || logins.Items[0].Via != "session" || logins.Items[0].RemoteAddr != "127.0.0.1" {
			t.Errorf("cd.admin logins = %+v", logins)
		}

		// The city administrator sees only its city's entries.
		var scoped auditPage
		cd.want(http.StatusOK, http.MethodGet, "/audit?page_size=500", nil).json(t, &scoped)
		if scoped.Total == 0 || scoped.Total >= all.Total {
			t.Errorf("city admin sees %d of %d entries", scoped.Total, all.Total)
		}
		for _, a := range scoped.Items {
			if !strings.HasPrefix(a.Region, "5101") {
				t.Errorf("city admin sees %+v", a)
			}
		}
		cd.want(http.StatusOK, http.MethodGet, "/audit?entity=user&entity_id="+itoa(gz), nil).json(t, &scoped)
		if scoped.Total != 0 {
			t.Errorf("city admin sees Guangzhou user's entries: %+v", scoped.Items)
		}
		cd.wantProblem(http.StatusUnprocessableEntity, "query.from", http.MethodGet, "/audit?from=yesterday", nil)
		cd.wantProblem(http.StatusUnprocessableEntity, "query.sort", http.MethodGet, "/audit?sort=username", nil)

		// Exports carry the same entries, with Chinese headers.
		var cdAll auditPage
		cd.want(http.StatusOK, http.MethodGet, "/audit?page_size=500", nil).json(t, &cdAll)
		r := cd.want(http.StatusOK, http.MethodGet, "/audit/export?format=csv", nil)
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("csv content type %q", ct)
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.body, []byte("\uFEFF")))).ReadAll()
		if err != nil {
			t.Fatalf("csv: %v", err)
		}
		if rows[0][0] != "编号" || rows[0][1] != "时间" || len(rows)-1 != cdAll.Total {
			t.Errorf("csv header %v, %d rows, want %d", rows[0], len(rows)-1, cdAll.Total)
		}
		regionCol := slices.Index(rows[0], "行政区划")
		for _, row := range rows[1:] {
			if !strings.HasPrefix(row[regionCol], "5101") {
				t.Errorf("csv row outside scope: %v", row)
			}
		}

		r = root.want(http.StatusOK, http.MethodGet, "/audit/export?format=xlsx&entity=user", nil)
		f, err := excelize.OpenReader(bytes.NewReader(r.body))
		if err != nil {
			t.Fatalf("xlsx: %v", err)
		}
		defer f.Close()
		sheet, err := f.GetRows("审计日志")
		if err != nil {
			t.Fatalf("xlsx rows: %v", err)
		}
		var users auditPage
		root.want(http.StatusOK, http.MethodGet, "/audit?entity=user&page_size=500", nil).json(t, &users)
		if sheet[0][7] != "对象类型" || len(sheet)-1 != users.Total {
			t.Errorf("xlsx header %v, %d rows, want %d", sheet[0], len(sheet)-1, users.Total)
		}
		for _, row := range sheet[1:] {
			if row[7] != "user" {
				t.Errorf("xlsx row of entity %q with filter entity=user", row[7])
			}
		}
		cd.wantProblem(http.StatusUnprocessableEntity, "query.format", http.MethodGet, "/audit/export?format=pdf", nil)
	})
}
