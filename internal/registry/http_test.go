package registry_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sheet"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
)

type apiClient struct {
	t    *testing.T
	base string
	who  string
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (c apiClient) do(method, path, contentType string, body []byte, headers ...string) response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+"/api/v1"+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
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
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (c apiClient) send(method, path string, v any, headers ...string) response {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(method, path, "application/json", b, headers...)
}

func newAPI(t *testing.T, db *sqldb.DB) (*registry.Service, string) {
	t.Helper()
	svc := newService(t, db)
	srv := httpapi.New(httpapi.Options{})
	srv.Use(registrytest.Authenticate)
	registry.Register(srv.API, svc)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return svc, ts.URL
}

// county is the registry data of one county, created by the system.
type county struct {
	region       string
	operator     *registry.Operator
	vehicle      *registry.Vehicle
	practitioner *registry.Practitioner
	station      *registry.Station
	route        *registry.Route
	vessel       *registry.Vessel
}

func seedCounty(t *testing.T, svc *registry.Service, region string, n int) county {
	t.Helper()
	ctx := systemCtx()
	c := county{region: region}
	c.operator = mustCreateOperator(t, svc, ctx, operatorIn(region, n))
	var err error
	if c.vehicle, err = svc.CreateVehicle(ctx, coach(c.operator.ID, region, n)); err != nil {
		t.Fatal(err)
	}
	if c.practitioner, err = svc.CreatePractitioner(ctx, registry.PractitionerFields{Name: "张三" + region, IDNumber: registrytest.IDNumber(region, n),
		CertNo: "QC" + region, Category: registry.QualPassengerDriver, CertUntil: civil.Today().AddDays(10), OperatorID: c.operator.ID, Region: region}); err != nil {
		t.Fatal(err)
	}
	if c.station, err = svc.CreateStation(ctx, registry.StationFields{Name: "客运站" + region, Level: registry.StationLevel2, Lon: 104.05, Lat: 30.65,
		OperatorID: c.operator.ID, Region: region}); err != nil {
		t.Fatal(err)
	}
	other, err := svc.CreateStation(ctx, registry.StationFields{Name: "招呼站" + region, Level: registry.StationStop, Lon: 104.10, Lat: 30.60, Region: region})
	if err != nil {
		t.Fatal(err)
	}
	if c.route, err = svc.CreateRoute(ctx, registry.RouteFields{Code: "R" + region, Name: "班线" + region, OperatorID: c.operator.ID, Region: region,
		OriginStationID: c.station.ID, DestinationStationID: other.ID, LineClass: registry.LineClass4, VehicleIDs: []int64{c.vehicle.ID},
		Schedule: registry.RouteSchedule{Departures: []string{"08:00"}}}); err != nil {
		t.Fatal(err)
	}
	if c.vessel, err = svc.CreateVessel(ctx, registry.VesselFields{Name: "川货" + region, MMSI: fmt.Sprintf("41300%04d", n), OperatorID: c.operator.ID, Region: region}); err != nil {
		t.Fatal(err)
	}
	return c
}

// snapshot is everything stored about a county, to prove nothing changed.
func snapshot(t *testing.T, svc *registry.Service, region string) string {
	t.Helper()
	ctx := systemCtx()
	f := registry.Filter{Region: region, Limit: 1000}
	var parts []any
	ops, _, err := svc.Operators(ctx, f)
	parts = append(parts, ops, err)
	vs, _, err := svc.Vehicles(ctx, f)
	parts = append(parts, vs, err)
	ps, _, err := svc.Practitioners(ctx, f)
	parts = append(parts, ps, err)
	ss, _, err := svc.Stations(ctx, f)
	parts = append(parts, ss, err)
	rs, _, err := svc.Routes(ctx, f)
	parts = append(parts, rs, err)
	ves, _, err := svc.Vessels(ctx, f)
	parts = append(parts, ves, err)
	b, _ := json.Marshal(parts)
	return string(b)
}

func TestCountyScopeOnEveryRoute(t *testing.T) {
	db := sqldbtest.OpenSQLite(t)
	svc, base := newAPI(t, db)
	jinjiang := seedCounty(t, svc, "510104", 1)
	qingyang := seedCounty(t, svc, "510105", 2)
	before := snapshot(t, svc, "510105")

	api := apiClient{t: t, base: base, who: "regulator:510104"}
	other := map[string]struct {
		id   int64
		body any
	}{
		"operators":     {qingyang.operator.ID, qingyang.operator.OperatorFields},
		"vehicles":      {qingyang.vehicle.ID, qingyang.vehicle.VehicleFields},
		"practitioners": {qingyang.practitioner.ID, qingyang.practitioner.PractitionerFields},
		"stations":      {qingyang.station.ID, qingyang.station.StationFields},
		"routes":        {qingyang.route.ID, qingyang.route.RouteFields},
		"vessels":       {qingyang.vessel.ID, qingyang.vessel.VesselFields},
	}
	for path, rec := range other {
		t.Run(path, func(t *testing.T) {
			id := fmt.Sprint(rec.id)
			if r := api.do("GET", "/"+path+"/"+id, "", nil); r.status != http.StatusNotFound {
				t.Errorf("get: %d %s", r.status, r.body)
			}
			if r := api.send("PUT", "/"+path+"/"+id, rec.body); r.status != http.StatusNotFound {
				t.Errorf("update: %d %s", r.status, r.body)
			}
			if r := api.do("DELETE", "/"+path+"/"+id, "", nil); r.status != http.StatusNotFound {
				t.Errorf("delete: %d %s", r.status, r.body)
			}
			if r := api.do("GET", "/"+path+"/"+id+"/history", "", nil); r.status != http.StatusNotFound {
				t.Errorf("history: %d %s", r.status, r.body)
			}
			// Creating a record in the other county is forbidden.
			if r := api.send("POST", "/"+path, rec.body); r.status != http.StatusForbidden && r.status != http.StatusConflict {
				t.Errorf("create in other county: %d %s", r.status, r.body)
			}
			// The list shows only the own county, even when asked for the other.
			var page struct {
				Items []struct {
					ID     int64  `json:"id"`
					Region string `json:"region"`
				} `json:"items"`
				Total int `json:"total"`
			}
			r := api.do("GET", "/"+path+"?page_size=500", "", nil)
			r.json(t, &page)
			for _, it := range page.Items {
				if it.Region != "510104" {
					t.Errorf("list shows %s %d of region %s", path, it.ID, it.Region)
				}
			}
			if page.Total == 0 {
				t.Errorf("list shows nothing of the own county")
			}
			r = api.do("GET", "/"+path+"?region=510105", "", nil)
			r.json(t, &page)
			if page.Total != 0 {
				t.Errorf("list of the other county has %d items", page.Total)
			}
			// Export leaves the other county out.
			r = api.do("GET", "/registry/"+path+"/export?format=csv", "", nil)
			if r.status != http.StatusOK {
				t.Fatalf("export: %d %s", r.status, r.body)
			}
			if strings.Contains(string(r.body), "510105") {
				t.Errorf("export contains the other county:\n%s", r.body)
			}
		})
	}

	t.Run("create referring to the other county's operator", func(t *testing.T) {
		in := coach(qingyang.operator.ID, "510104", 77)
		r := api.send("POST", "/vehicles", in)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), "body.operator_id") {
			t.Errorf("vehicle of a foreign operator: %d %s", r.status, r.body)
		}
	})

	t.Run("import rows of the other county", func(t *testing.T) {
		csv := "车牌号码,车牌颜色,车辆识别代号,营运类别,核定载客,所属业户,行政区划代码\n" +
			// updates the other county's vehicle: same plate and colour
			fmt.Sprintf("%s,黄色,%s,班线客车,45,%s,510104\n", qingyang.vehicle.Plate, qingyang.vehicle.VIN, jinjiang.operator.CreditCode) +
			// a new vehicle placed in the other county
			fmt.Sprintf("川A99999,黄色,%s,班线客车,45,%s,510105\n", registrytest.VIN(555), jinjiang.operator.CreditCode) +
			// a new vehicle of the other county's operator
			fmt.Sprintf("川A99998,黄色,%s,班线客车,45,%s,510104\n", registrytest.VIN(556), qingyang.operator.CreditCode)
		r := api.do("POST", "/registry/vehicles/import", "text/csv", []byte(csv))
		var rep struct {
			Imported, Failed int
			Errors           []struct {
				Row      int
				Problems []struct{ Column, Reason string }
			}
		}
		r.json(t, &rep)
		if r.status != http.StatusOK || rep.Imported != 0 || rep.Failed != 3 {
			t.Fatalf("import: %d %s", r.status, r.body)
		}
		wantCols := []string{"plate", "region", "operator"}
		for i, e := range rep.Errors {
			if e.Problems[0].Column != wantCols[i] {
				t.Errorf("row %d rejected for %+v, want column %s", e.Row, e.Problems, wantCols[i])
			}
		}
		for _, path := range []string{"operators", "practitioners", "stations", "vessels"} {
			r := api.do("POST", "/registry/"+path+"/import", "text/csv", []byte("name,region\n外区,510105\n"))
			if r.status != http.StatusOK && r.status != http.StatusUnprocessableEntity {
				t.Errorf("%s import: %d %s", path, r.status, r.body)
			}
			if strings.Contains(string(r.body), `"imported":1`) {
				t.Errorf("%s import into the other county accepted: %s", path, r.body)
			}
		}
	})

	t.Run("expiring licences", func(t *testing.T) {
		var page struct {
			Items []registry.ExpiringLicence `json:"items"`
		}
		api.do("GET", "/registry/expiring?within_days=400", "", nil).json(t, &page)
		if len(page.Items) != 3 {
			t.Errorf("expiring: %+v", page.Items)
		}
		for _, it := range page.Items {
			if it.Region != "510104" {
				t.Errorf("expiring shows %+v", it)
			}
		}
	})

	if after := snapshot(t, svc, "510105"); after != before {
		t.Errorf("the other county's records changed:\n%s", cmp.Diff(before, after))
	}
	// The own county's records remain reachable: the 404s above were scope.
	if r := api.do("GET", fmt.Sprintf("/vehicles/%d", jinjiang.vehicle.ID), "", nil); r.status != http.StatusOK {
		t.Errorf("own vehicle: %d", r.status)
	}
}

func TestEnterpriseScope(t *testing.T) {
	db := sqldbtest.OpenSQLite(t)
	svc, base := newAPI(t, db)
	a := seedCounty(t, svc, "510104", 1)
	ctx := systemCtx()
	b := mustCreateOperator(t, svc, ctx, operatorIn("510104", 9))
	vb, err := svc.CreateVehicle(ctx, coach(b.ID, "510104", 9))
	if err != nil {
		t.Fatal(err)
	}
	api := apiClient{t: t, base: base, who: fmt.Sprintf("enterprise:510104:%d", a.operator.ID)}
	if r := api.do("GET", fmt.Sprintf("/vehicles/%d", vb.ID), "", nil); r.status != http.StatusNotFound {
		t.Errorf("other enterprise's vehicle: %d", r.status)
	}
	if r := api.do("GET", fmt.Sprintf("/operators/%d", b.ID), "", nil); r.status != http.StatusNotFound {
		t.Errorf("other enterprise: %d", r.status)
	}
	var page struct{ Total int }
	api.do("GET", "/vehicles", "", nil).json(t, &page)
	if page.Total != 1 {
		t.Errorf("enterprise sees %d vehicles", page.Total)
	}
}

func TestBadInput(t *testing.T) {
	db := sqldbtest.OpenSQLite(t)
	svc, base := newAPI(t, db)
	c := seedCounty(t, svc, "510104", 1)
	api := apiClient{t: t, base: base, who: "regulator:510100"}

	problem := func(r response) (fields []string) {
		var p struct {
			Errors []struct{ Location string } `json:"errors"`
		}
		_ = json.Unmarshal(r.body, &p)
		for _, e := range p.Errors {
			fields = append(fields, e.Location)
		}
		return fields
	}

	t.Run("invalid VIN names body.vin", func(t *testing.T) {
		in := coach(c.operator.ID, "510104", 50)
		in.VIN = "LSVAU033512345678"
		r := api.send("POST", "/vehicles", in)
		if r.status != http.StatusUnprocessableEntity || !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
			t.Fatalf("status %d %s", r.status, r.body)
		}
		if diff := cmp.Diff([]string{"body.vin"}, problem(r)); diff != "" {
			t.Errorf("fields (-want +got):\n%s", diff)
		}
	})
	t.Run("every problem at once", func(t *testing.T) {
		in := coach(c.operator.ID, "510104", 51)
		in.VIN, in.Plate, in.Region = "LSVAU033512345678", "川A1234O", "510199"
		r := api.send("POST", "/vehicles", in)
		if diff := cmp.Diff([]string{"body.plate", "body.vin", "body.region"}, problem(r)); diff != "" {
			t.Errorf("fields (-want +got):\n%s", diff)
		}
	})
	t.Run("unknown JSON field", func(t *testing.T) {
		r := api.do("POST", "/stations", "application/json",
			[]byte(`{"name":"x","level":"level1","lon":104,"lat":30,"region":"510104","colour":"red"}`))
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("status %d %s", r.status, r.body)
		}
	})
	t.Run("oversized body", func(t *testing.T) {
		big := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
		r := api.do("POST", "/operators", "application/json", []byte(big))
		if r.status != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d", r.status)
		}
	})
	t.Run("stale If-Match", func(t *testing.T) {
		r := api.send("PUT", fmt.Sprintf("/vehicles/%d", c.vehicle.ID), c.vehicle.VehicleFields, "If-Match", `"7"`)
		if r.status != http.StatusConflict {
			t.Errorf("status %d %s", r.status, r.body)
		}
		r = api.send("PUT", fmt.Sprintf("/vehicles/%d", c.vehicle.ID), c.vehicle.VehicleFields, "If-Match", `"1"`)
		if r.status != http.StatusOK || r.header.Get("ETag") != `"2"` {
			t.Errorf("status %d etag %s %s", r.status, r.header.Get("ETag"), r.body)
		}
	})
	t.Run("delete a referenced operator", func(t *testing.T) {
		if r := api.do("DELETE", fmt.Sprintf("/operators/%d", c.operator.ID), "", nil); r.status != http.StatusConflict {
			t.Errorf("status %d %s", r.status, r.body)
		}
	})
	t.Run("permissions", func(t *testing.T) {
		anon := apiClient{t: t, base: base}
		if r := anon.do("GET", "/vehicles", "", nil); r.status != http.StatusUnauthorized {
			t.Errorf("anonymous: %d", r.status)
		}
		ro := apiClient{t: t, base: base, who: "readonly:510104"}
		if r := ro.send("POST", "/vessels", registry.VesselFields{Name: "x", MMSI: "413000001", Region: "510104"}); r.status != http.StatusForbidden {
			t.Errorf("read-only create: %d", r.status)
		}
		var p registry.Practitioner
		ro.do("GET", fmt.Sprintf("/practitioners/%d", c.practitioner.ID), "", nil).json(t, &p)
		if p.IDNumber != registry.MaskIDNumber(c.practitioner.IDNumber) {
			t.Errorf("read-only sees ID number %s", p.IDNumber)
		}
		api.do("GET", fmt.Sprintf("/practitioners/%d", c.practitioner.ID), "", nil).json(t, &p)
		if p.IDNumber != c.practitioner.IDNumber {
			t.Errorf("regulator sees ID number %s", p.IDNumber)
		}
	})
}

func TestExportImportRoundTrip(t *testing.T) {
	db := sqldbtest.OpenSQLite(t)
	svc, base := newAPI(t, db)
	c := seedCounty(t, svc, "510104", 1)
	api := apiClient{t: t, base: base, who: "regulator:510104"}
	for _, path := range []string{"operators", "vehicles", "practitioners", "stations", "vessels"} {
		t.Run(path, func(t *testing.T) {
			r := api.do("GET", "/registry/"+path+"/export?format=xlsx", "", nil)
			if r.status != http.StatusOK || !strings.Contains(r.header.Get("Content-Disposition"), ".xlsx") {
				t.Fatalf("export: %d %v", r.status, r.header)
			}
			r = api.do("POST", "/registry/"+path+"/import?filename=x.xlsx", sheet.MIMEXLSX, r.body)
			var rep sheet.Report
			r.json(t, &rep)
			if r.status != http.StatusOK || rep.Failed != 0 || rep.Imported == 0 {
				t.Errorf("re-import of the export: %d %s", r.status, r.body)
			}
		})
	}
	// Records came back unchanged in substance: same count, same operator.
	v, err := svc.Vehicle(systemCtx(), c.vehicle.ID)
	if err != nil || v.OperatorID != c.operator.ID || v.VIN != c.vehicle.VIN || v.Version != 2 {
		t.Errorf("vehicle after round trip: %+v %v", v, err)
	}
	ro := apiClient{t: t, base: base, who: "readonly:510104"}
	r := ro.do("GET", "/registry/practitioners/export?format=csv", "", nil)
	if strings.Contains(string(r.body), c.practitioner.IDNumber) || !strings.Contains(string(r.body), registry.MaskIDNumber(c.practitioner.IDNumber)) {
		t.Errorf("read-only export does not mask ID numbers:\n%s", r.body)
	}
}
