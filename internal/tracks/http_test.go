package tracks

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
)

func TestAPI(t *testing.T) {
	db := sqldbtest.OpenSQLite(t)
	vehicles := scopedVehicles{1: "510104", 2: "510105"}
	svc := newService(t, db, vehicles, Config{})
	start := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(9, 9))
	svc.Ingest(1, simPositions(r, 1, start, 240, 30*time.Second))
	svc.Ingest(2, simPositions(r, 2, start, 240, 30*time.Second))
	if _, err := svc.Seal(admin(), true); err != nil {
		t.Fatal(err)
	}
	srv := httpapi.New(httpapi.Options{})
	srv.Use(registrytest.Authenticate)
	Register(srv.API, svc)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	rng := "from=" + url.QueryEscape(start.Format(time.RFC3339)) + "&to=" + url.QueryEscape(start.Add(3*time.Hour).Format(time.RFC3339))
	do := func(method, path, who, body string) (int, http.Header, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+"/api/v1"+path, strings.NewReader(body))
		if who != "" {
			req.Header.Set(registrytest.Header, who)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, b
	}
	const officer = "monitor:510104"
	cases := []struct {
		name, method, path, who, body string
		status                        int
		contains                      string
	}{
		{"track in scope", "GET", "/vehicles/1/track?" + rng, officer, "", 200, `"count":240`},
		{"simplified", "GET", "/vehicles/1/track?simplify=50&" + rng, officer, "", 200, `"vehicle_id":1`},
		{"out of scope", "GET", "/vehicles/2/track?" + rng, officer, "", 404, ""},
		{"anonymous", "GET", "/vehicles/1/track?" + rng, "", "", 401, ""},
		{"range reversed", "GET", "/vehicles/1/track?from=" + url.QueryEscape(start.Add(time.Hour).Format(time.RFC3339)) + "&to=" + url.QueryEscape(start.Format(time.RFC3339)), officer, "", 422, "to"},
		{"last", "GET", "/vehicles/1/track/last?n=5", officer, "", 200, `"count":5`},
		{"report", "GET", "/vehicles/1/track/report?" + rng, officer, "", 200, `"source":"odometer"`},
		{"gpx", "GET", "/vehicles/1/track/export?format=gpx&" + rng, officer, "", 200, "<trkpt"},
		{"kml", "GET", "/vehicles/1/track/export?format=kml&" + rng, officer, "", 200, "<gx:coord>"},
		{"xlsx", "GET", "/vehicles/1/track/export?format=xlsx&" + rng, officer, "", 200, "PK"},
		{"playback", "GET", "/vehicles/1/track/playback?speed=3600&from=" + url.QueryEscape(start.Format(time.RFC3339)) + "&to=" + url.QueryEscape(start.Add(2*time.Minute).Format(time.RFC3339)), officer, "", 200, `"speed_kmh"`},
		{"area without place", "POST", "/tracks/area-search", officer, `{"from":"2026-03-03T00:00:00Z","to":"2026-03-03T01:00:00Z"}`, 422, "bbox"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, _, body := do(c.method, c.path, c.who, c.body)
			if status != c.status || !bytes.Contains(body, []byte(c.contains)) {
				t.Fatalf("%s %s = %d %.300s; want %d containing %q", c.method, c.path, status, body, c.status, c.contains)
			}
		})
	}

	t.Run("who was here is scoped", func(t *testing.T) {
		body := `{"from":"2026-03-03T00:00:00Z","to":"2026-03-03T03:00:00Z","bbox":[103,29,106,32]}`
		for who, want := range map[string][]int64{"admin:": {1, 2}, officer: {1}, "monitor:510105": {2}} {
			status, _, b := do("POST", "/tracks/area-search", who, body)
			if status != 200 {
				t.Fatalf("%s: %d %s", who, status, b)
			}
			var out struct{ Vehicles []Visit }
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, v := range out.Vehicles {
				got = append(got, v.VehicleID)
			}
			if len(got) != len(want) || (len(got) > 0 && got[0] != want[0]) {
				t.Errorf("%s sees %v, want %v", who, got, want)
			}
		}
	})
}
