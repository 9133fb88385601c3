package iam_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiaotong-platform/jiaotong/internal/iam"
	"github.com/jiaotong-platform/jiaotong/internal/platform/region"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

type unitJSON struct {
	ID         int64      `json:"id"`
	Region     string     `json:"region"`
	RegionName string     `json:"region_name"`
	Name       string     `json:"name"`
	ParentID   int64      `json:"parent_id"`
	Children   []unitJSON `json:"children"`
}

func TestBureauName(t *testing.T) {
	for code, want := range map[string]string{
		"510000": "四川省交通运输厅",
		"510100": "成都市交通运输局",
		"510104": "锦江区交通运输局",
		"110000": "北京市交通委员会",
		"500000": "重庆市交通运输委员会",
		"999999": "",
	} {
		if got := iam.BureauName(code); got != want {
			t.Errorf("BureauName(%s) = %q, want %q", code, got, want)
		}
	}
}

func TestOrgUnits(t *testing.T) {
	runDB(t, func(t *testing.T, db *sqldb.DB) {
		e := newEnv(t, db)
		want := 1
		for _, c := range region.Children("510000") {
			want += 1 + len(region.Children(c.Code))
		}
		n, err := e.svc.SeedOrgUnits(context.Background(), "510000")
		if err != nil || n != want {
			t.Fatalf("SeedOrgUnits = %d, %v; want %d", n, err, want)
		}
		if n, err := e.svc.SeedOrgUnits(context.Background(), "510000"); err != nil || n != 0 {
			t.Fatalf("second seed = %d, %v; want 0", n, err)
		}
		if _, err := e.svc.SeedOrgUnits(context.Background(), "510100"); err == nil {
			t.Error("seeding a city as a province succeeded")
		}

		root := e.login("admin", adminPassword)
		var tree struct {
			Items []unitJSON `json:"items"`
		}
		root.want(http.StatusOK, http.MethodGet, "/org-units/tree?root=510000", nil).json(t, &tree)
		if len(tree.Items) != 1 || tree.Items[0].Name != "四川省交通运输厅" || len(tree.Items[0].Children) != len(region.Children("510000")) {
			t.Fatalf("tree top = %+v", tree.Items)
		}
		chengdu := tree.Items[0].Children[0]
		if chengdu.Name != "成都市交通运输局" || chengdu.ParentID != tree.Items[0].ID {
			t.Fatalf("first city = %+v", chengdu)
		}
		var jinjiang unitJSON
		for _, c := range chengdu.Children {
			if c.Region == "510104" {
				jinjiang = c
			}
		}
		if jinjiang.Name != "锦江区交通运输局" || jinjiang.RegionName != "四川省成都市锦江区" || jinjiang.ParentID != chengdu.ID {
			t.Errorf("锦江区 unit = %+v", jinjiang)
		}

		// The lazy list below a unit, and a county-level get with its parent.
		var page struct {
			Total int        `json:"total"`
			Items []unitJSON `json:"items"`
		}
		root.want(http.StatusOK, http.MethodGet, "/org-units?parent=510100&page_size=500", nil).json(t, &page)
		if page.Total != len(region.Children("510100")) {
			t.Errorf("units below 成都 = %d, want %d", page.Total, len(region.Children("510100")))
		}
		var got unitJSON
		root.want(http.StatusOK, http.MethodGet, "/org-units/"+itoa(jinjiang.ID), nil).json(t, &got)
		if got.ParentID != chengdu.ID {
			t.Errorf("get 锦江 parent = %d, want %d", got.ParentID, chengdu.ID)
		}

		// Removing the city unit hangs its counties under the province.
		root.want(http.StatusNoContent, http.MethodDelete, "/org-units/"+itoa(chengdu.ID), nil)
		root.want(http.StatusOK, http.MethodGet, "/org-units/"+itoa(jinjiang.ID), nil).json(t, &got)
		if got.ParentID != tree.Items[0].ID {
			t.Errorf("after deleting 成都, 锦江 parent = %d, want the province %d", got.ParentID, tree.Items[0].ID)
		}
		var created unitJSON
		root.want(http.StatusCreated, http.MethodPost, "/org-units", map[string]any{"region": "510100", "name": "成都市交通运输局"}).json(t, &created)
		root.wantProblem(http.StatusUnprocessableEntity, "body.region", http.MethodPost, "/org-units",
			map[string]any{"region": "510100", "name": "又一个"})
		root.wantProblem(http.StatusUnprocessableEntity, "body.region", http.MethodPost, "/org-units",
			map[string]any{"region": "519999", "name": "不存在"})
		root.want(http.StatusOK, http.MethodPatch, "/org-units/"+itoa(created.ID), map[string]any{"name": "成都市交通运输局（新）"})

		// A unit with members cannot go.
		root.want(http.StatusCreated, http.MethodPost, "/users", map[string]any{"username": "member", "display_name": "成员",
			"roles": []string{"monitor"}, "scope": map[string]any{"region": "510104"}, "org_unit_id": jinjiang.ID,
			"password": "Good-pass-2026"})
		root.wantProblem(http.StatusConflict, "", http.MethodDelete, "/org-units/"+itoa(jinjiang.ID), nil)

		// A city administrator sees and changes only its city's units.
		root.createUser("cd.admin", []string{"admin"}, map[string]any{"region": "510100"})
		cd := e.login("cd.admin", pw("cd.admin"))
		cd.want(http.StatusOK, http.MethodGet, "/org-units?page_size=500", nil).json(t, &page)
		if page.Total != 1+len(region.Children("510100")) {
			t.Errorf("city admin sees %d units", page.Total)
		}
		for _, u := range page.Items {
			if u.Region[:4] != "5101" {
				t.Errorf("city admin sees %s %s", u.Region, u.Name)
			}
		}
		cd.wantProblem(http.StatusNotFound, "", http.MethodGet, "/org-units/"+itoa(tree.Items[0].ID), nil)
		cd.wantProblem(http.StatusForbidden, "body.region", http.MethodPost, "/org-units", map[string]any{"region": "510300", "name": "自贡"})
		cd.wantProblem(http.StatusForbidden, "body.province", http.MethodPost, "/org-units/seed", map[string]any{"province": "510000"})
	})
}

func TestRegions(t *testing.T) {
	e := newEnv(t, sqldbtestSQLite(t))
	c := e.login("admin", adminPassword)
	var list struct {
		Items []region.Region `json:"items"`
	}
	c.want(http.StatusOK, http.MethodGet, "/regions", nil).json(t, &list)
	if diff := cmp.Diff(region.Provinces(), list.Items); diff != "" {
		t.Errorf("provinces (-want +got):\n%s", diff)
	}
	c.want(http.StatusOK, http.MethodGet, "/regions?parent=510100", nil).json(t, &list)
	if diff := cmp.Diff(region.Children("510100"), list.Items); diff != "" {
		t.Errorf("children of 成都 (-want +got):\n%s", diff)
	}
	var detail struct {
		Code     string          `json:"code"`
		FullName string          `json:"full_name"`
		Path     []region.Region `json:"path"`
	}
	c.want(http.StatusOK, http.MethodGet, "/regions/510104", nil).json(t, &detail)
	if detail.FullName != "四川省成都市锦江区" || len(detail.Path) != 3 || detail.Path[1].Code != "510100" {
		t.Errorf("510104 = %+v", detail)
	}
	c.wantProblem(http.StatusNotFound, "", http.MethodGet, "/regions/519999", nil)
	c.wantProblem(http.StatusUnprocessableEntity, "path.code", http.MethodGet, "/regions/abc", nil)
	c.wantProblem(http.StatusUnprocessableEntity, "query.parent", http.MethodGet, "/regions?parent=519999", nil)
}
