package waybill_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sheet"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
	"github.com/jiaotong-platform/jiaotong/internal/waybill"
)

type client struct {
	t    *testing.T
	base string
	who  string
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (c client) do(method, path string, body any, headers ...string) resp {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.who != "" {
		req.Header.Set(registrytest.Header, c.who)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

type problem struct {
	Status int `json:"status"`
	Errors []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
		Value    any    `json:"value"`
	} `json:"errors"`
}

func TestHTTP(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		e := newEnv(t, db)
		base := e.serve()
		jinjiang := e.carrier("510104")
		qingyang := e.carrier("510105")

		ent := client{t, base + "/api/v1", fmt.Sprintf("enterprise:510104:%d", jinjiang.op.ID)}
		otherEnt := client{t, base + "/api/v1", fmt.Sprintf("enterprise:510105:%d", qingyang.op.ID)}
		county := client{t, base + "/api/v1", "regulator:510105"}
		city := client{t, base + "/api/v1", "regulator:510100"}
		anon := client{t, base + "/api/v1", ""}

		// the enterprise writes its draft
		r := ent.do("POST", "/waybills", jinjiang.fields())
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var w waybill.Waybill
		r.decode(t, &w)
		if r.header.Get("ETag") != `"1"` || w.StateLabel != "草稿" {
			t.Fatalf("created %s %+v", r.header.Get("ETag"), w)
		}
		// a vehicle of another enterprise cannot be named
		f := jinjiang.fields()
		f.VehicleID = qingyang.tanker.ID
		if r := ent.do("POST", "/waybills", f); r.status != http.StatusUnprocessableEntity || !bytes.Contains(r.body, []byte("body.vehicle_id")) {
			t.Fatalf("foreign vehicle: %d %s", r.status, r.body)
		}
		// unknown fields are refused
		if r := ent.do("POST", "/waybills", map[string]any{"operator_id": 1, "colour": "red"}); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("unknown field: %d", r.status)
		}

		// scope: another county's regulator and another enterprise see nothing
		for _, c := range []client{county, otherEnt} {
			if r := c.do("GET", fmt.Sprintf("/waybills/%d", w.ID), nil); r.status != http.StatusNotFound {
				t.Errorf("%s read another's waybill: %d", c.who, r.status)
			}
			var page struct{ Total int }
			c.do("GET", "/waybills", nil).decode(t, &page)
			if page.Total != 0 {
				t.Errorf("%s lists %d waybills", c.who, page.Total)
			}
		}
		// an administrator of another county cannot alter it either
		countyAdmin := client{t, base + "/api/v1", "admin:510105"}
		if r := countyAdmin.do("PUT", fmt.Sprintf("/waybills/%d", w.ID), jinjiang.fields()); r.status != http.StatusNotFound {
			t.Errorf("another county's admin updated: %d %s", r.status, r.body)
		}
		if r := countyAdmin.do("POST", fmt.Sprintf("/waybills/%d/transition", w.ID), map[string]string{"state": "issued"}); r.status != http.StatusNotFound {
			t.Errorf("another county's admin issued: %d", r.status)
		}
		if r := countyAdmin.do("POST", "/waybills", jinjiang.fields()); r.status != http.StatusUnprocessableEntity {
			t.Errorf("another county's admin wrote a waybill for a carrier outside its scope: %d %s", r.status, r.body)
		}
		if r := otherEnt.do("POST", fmt.Sprintf("/waybills/%d/issue", w.ID), nil); r.status != http.StatusNotFound {
			t.Errorf("another enterprise issued: %d %s", r.status, r.body)
		}
		if r := otherEnt.do("POST", fmt.Sprintf("/waybills/%d/cancel", w.ID), map[string]string{"reason": "x"}); r.status != http.StatusNotFound {
			t.Errorf("another enterprise cancelled: %d", r.status)
		}
		// a regulator reads but does not write
		if r := city.do("GET", fmt.Sprintf("/waybills/%d", w.ID), nil); r.status != http.StatusOK {
			t.Errorf("city regulator: %d", r.status)
		}
		if r := city.do("POST", fmt.Sprintf("/waybills/%d/issue", w.ID), nil); r.status != http.StatusForbidden {
			t.Errorf("regulator issued: %d", r.status)
		}
		if r := anon.do("GET", "/waybills", nil); r.status != http.StatusUnauthorized {
			t.Errorf("anonymous list: %d", r.status)
		}

		// a refused issue names its rule
		bad := jinjiang.fields()
		bad.Goods[0].Class = "8"
		var draft waybill.Waybill
		ent.do("POST", "/waybills", bad).decode(t, &draft)
		r = ent.do("POST", fmt.Sprintf("/waybills/%d/issue", draft.ID), nil)
		var p problem
		r.decode(t, &p)
		if r.status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Location != "waybill.goods[0].class" ||
			p.Errors[0].Value != string(waybill.RuleUNClass) || !strings.HasPrefix(p.Errors[0].Message, "[un_class_match]") {
			t.Fatalf("refused issue: %d %s", r.status, r.body)
		}
		// ... and the draft is fixed and issued with If-Match
		if r := ent.do("PUT", fmt.Sprintf("/waybills/%d", draft.ID), jinjiang.fields(), "If-Match", `"7"`); r.status != http.StatusConflict {
			t.Fatalf("stale If-Match: %d", r.status)
		}
		if r := ent.do("PUT", fmt.Sprintf("/waybills/%d", draft.ID), jinjiang.fields(), "If-Match", `"1"`); r.status != http.StatusOK {
			t.Fatalf("update: %d %s", r.status, r.body)
		}
		r = ent.do("POST", fmt.Sprintf("/waybills/%d/issue", draft.ID), nil, "If-Match", `"2"`)
		if r.status != http.StatusOK {
			t.Fatalf("issue: %d %s", r.status, r.body)
		}
		var issued waybill.Waybill
		r.decode(t, &issued)
		// one active waybill per vehicle: the first draft now conflicts
		r = ent.do("POST", fmt.Sprintf("/waybills/%d/issue", w.ID), nil)
		if r.status != http.StatusConflict || !bytes.Contains(r.body, []byte(issued.Number)) {
			t.Fatalf("second active waybill: %d %s", r.status, r.body)
		}
		// transitions
		r = ent.do("POST", fmt.Sprintf("/waybills/%d/transition", issued.ID), map[string]string{"state": "loading", "note": "到达装货地"})
		if r.status != http.StatusOK {
			t.Fatalf("transition: %d %s", r.status, r.body)
		}
		if r := ent.do("POST", fmt.Sprintf("/waybills/%d/transition", issued.ID), map[string]string{"state": "delivered"}); r.status != http.StatusConflict {
			t.Fatalf("loading → delivered: %d", r.status)
		}
		var hist struct {
			Total int
			Items []struct{ Action string }
		}
		ent.do("GET", fmt.Sprintf("/waybills/%d/history", issued.ID), nil).decode(t, &hist)
		if hist.Total != 4 || hist.Items[0].Action != "transition" {
			t.Fatalf("history %+v", hist)
		}

		// list filters and search
		var page struct {
			Total int
			Items []waybill.Waybill
		}
		city.do("GET", "/waybills?state=loading&un_number=1203&plate="+url.QueryEscape(jinjiang.tanker.Plate), nil).decode(t, &page)
		if page.Total != 1 || page.Items[0].ID != issued.ID {
			t.Fatalf("filtered list %+v", page)
		}
		if r := city.do("GET", "/waybills?from=2026-13-01", nil); r.status != http.StatusUnprocessableEntity {
			t.Errorf("bad date: %d", r.status)
		}
		if r := city.do("GET", "/waybills?sort=vin", nil); r.status != http.StatusUnprocessableEntity {
			t.Errorf("bad sort: %d", r.status)
		}

		// QR code: PNG and SVG with the public URL; drafts have none
		r = ent.do("GET", fmt.Sprintf("/waybills/%d/qr", issued.ID), nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(r.body, []byte("\x89PNG")) {
			t.Fatalf("qr png: %d %s", r.status, r.header)
		}
		r = ent.do("GET", fmt.Sprintf("/waybills/%d/qr?format=svg", issued.ID), nil)
		if r.status != http.StatusOK || !bytes.HasPrefix(r.body, []byte("<svg")) {
			t.Fatalf("qr svg: %d", r.status)
		}
		if r := ent.do("GET", fmt.Sprintf("/waybills/%d/qr", w.ID), nil); r.status != http.StatusConflict {
			t.Fatalf("qr of a draft: %d", r.status)
		}

		// public verification: API and page, no login
		r = anon.do("GET", "/public/waybills/verify?token="+url.QueryEscape(issued.Token), nil)
		var v waybill.Verification
		r.decode(t, &v)
		if r.status != http.StatusOK || !v.Valid || v.Facts.Number != issued.Number || v.Facts.StateLabel != "装货中" {
			t.Fatalf("verify: %d %s", r.status, r.body)
		}
		forged := issued.Token[:len(issued.Token)-4] + "AAAA"
		r = anon.do("GET", "/public/waybills/verify?token="+url.QueryEscape(forged), nil)
		r.decode(t, &p)
		if r.status != http.StatusUnprocessableEntity || p.Errors[0].Location != "query.token" {
			t.Fatalf("forged verify: %d %s", r.status, r.body)
		}
		page1 := client{t, base, ""}
		r = page1.do("GET", waybill.VerifyPagePath+"?token="+url.QueryEscape(issued.Token), nil)
		if r.status != http.StatusOK || !bytes.Contains(r.body, []byte(issued.Number)) || !bytes.Contains(r.body, []byte("签名有效")) ||
			!strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("page: %d %s", r.status, r.body)
		}
		r = page1.do("GET", waybill.VerifyPagePath+"?token="+url.QueryEscape(forged), nil)
		if r.status != http.StatusUnprocessableEntity || !bytes.Contains(r.body, []byte("验证失败")) || bytes.Contains(r.body, []byte(issued.Number)) {
			t.Fatalf("page for a forged token: %d %s", r.status, r.body)
		}
		var keys []waybill.PublicKey
		anon.do("GET", "/public/waybills/keys", nil).decode(t, &keys)
		if len(keys) != 1 || v.Claims.Kid != keys[0].Kid {
			t.Fatalf("keys %+v", keys)
		}

		// UN numbers and code lists for the console
		var found []waybill.UNEntry
		ent.do("GET", "/un-numbers?q=1075", nil).decode(t, &found)
		if len(found) != 1 || found[0].Division != "2.1" || found[0].ClassLabel != "2.1项 易燃气体" {
			t.Fatalf("UN search %+v", found)
		}
		if r := ent.do("GET", "/un-numbers/9999", nil); r.status != http.StatusNotFound {
			t.Errorf("unknown UN: %d", r.status)
		}
		var codes waybill.Codes
		ent.do("GET", "/waybills/codes", nil).decode(t, &codes)
		if len(codes.States) != 6 || codes.States[3].Label != "运输中" || len(codes.Rules) != len(waybill.Rules) {
			t.Fatalf("codes %+v", codes)
		}

		// export: XLSX with the scope applied
		r = city.do("GET", "/waybills/export", nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != sheet.XLSX.ContentType() {
			t.Fatalf("export: %d %s", r.status, r.header)
		}
		var rows [][]string
		schema := sheet.MustSchema(sheet.Column{Key: "number", Header: "电子运单编号"}, sheet.Column{Key: "state", Header: "状态"},
			sheet.Column{Key: "plate", Header: "车牌号码"}, sheet.Column{Key: "goods", Header: "货物(UN号 品名 类别 数量)"})
		if _, err := sheet.Read(bytes.NewReader(r.body), sheet.XLSX, schema, func(row sheet.Row) error {
			rows = append(rows, []string{row.Get("number"), row.Get("state"), row.Get("plate"), row.Get("goods")})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0][0] != issued.Number || rows[0][1] != "装货中" || !strings.Contains(rows[0][3], "UN1203") {
			t.Fatalf("exported %v", rows)
		}
		r = county.do("GET", "/waybills/export?format=csv", nil)
		if r.status != http.StatusOK || bytes.Contains(r.body, []byte(issued.Number)) {
			t.Fatalf("county export leaks: %d", r.status)
		}

		// statistics
		today := civil.Today().String()
		var st waybill.Stats
		r = city.do("GET", "/waybills/stats?from="+civil.Today().AddDays(-6).String()+"&to="+civil.Today().AddDays(1).String(), nil)
		r.decode(t, &st)
		if r.status != http.StatusOK || st.Total != 1 || len(st.ByDay) != 8 || len(st.ByClass) != 1 || st.ByClass[0].Class != "3" ||
			len(st.ByOperator) != 1 || st.ByOperator[0].OperatorID != jinjiang.op.ID {
			t.Fatalf("stats %d %+v", r.status, st)
		}
		dep := civil.Of(issued.DepartureAt.In(civil.CST)).String()
		for _, d := range st.ByDay {
			if want := map[bool]int{true: 1, false: 0}[d.Date.String() == dep]; d.Count != want {
				t.Errorf("day %s: %d (today %s)", d.Date, d.Count, today)
			}
		}
		var counted int
		for _, s := range st.ByState {
			counted += s.Count
		}
		if counted != 2 {
			t.Errorf("by state %+v", st.ByState)
		}
		county.do("GET", "/waybills/stats", nil).decode(t, &st)
		if st.Total != 0 {
			t.Errorf("county stats see another county: %+v", st)
		}
		if r := city.do("GET", "/waybills/stats?from=2020-01-01&to=2026-01-01", nil); r.status != http.StatusUnprocessableEntity {
			t.Errorf("period too long: %d", r.status)
		}
	})
}
