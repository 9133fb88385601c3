package waybill_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
	"github.com/jiaotong-platform/jiaotong/internal/waybill"
)

func serveConsole(t *testing.T) string {
	t.Helper()
	srv := httpapi.New(httpapi.Options{})
	srv.Use(registrytest.Authenticate)
	waybill.RegisterConsole(srv.API, roadnet.Chengdu)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL + "/api/v1"
}

func TestConsoleMoves(t *testing.T) {
	base := serveConsole(t)
	var moves []waybill.Move
	r := client{t, base, "regulator:510100"}.do("GET", "/waybills/moves", nil)
	if r.status != http.StatusOK {
		t.Fatalf("moves: %d %s", r.status, r.body)
	}
	r.decode(t, &moves)
	seen := map[string]bool{}
	for _, m := range moves {
		seen[string(m.From)+">"+string(m.To)] = true
		if m.FromLabel == "" || m.ToLabel == "" {
			t.Errorf("move without labels: %+v", m)
		}
		if m.Issue != (m.From == waybill.StateDraft && m.To == waybill.StateIssued) {
			t.Errorf("issue flag on %+v", m)
		}
		if !waybill.CanMove(m.From, m.To) {
			t.Errorf("listed move the service refuses: %+v", m)
		}
	}
	for _, want := range []string{"draft>issued", "issued>loading", "issued>in_transit", "loading>in_transit", "in_transit>delivered", "issued>cancelled"} {
		if !seen[want] {
			t.Errorf("move %s missing from %v", want, seen)
		}
	}
	if seen["in_transit>cancelled"] || seen["delivered>in_transit"] {
		t.Errorf("a move the service refuses is listed: %v", seen)
	}
	if r := (client{t, base, ""}).do("GET", "/waybills/moves", nil); r.status != http.StatusUnauthorized {
		t.Errorf("anonymous moves: %d", r.status)
	}
}

func TestConsoleRouteAlongRoads(t *testing.T) {
	base := serveConsole(t)
	ent := client{t, base, "enterprise:510104:1"}
	// Two points in central Chengdu: the route follows the roads, so it has
	// more vertices than the clicks and is longer than the straight line.
	var route waybill.RouteAlongRoads
	r := ent.do("POST", "/waybills/route-along-roads", map[string]any{"points": [][2]float64{{104.0657, 30.6598}, {104.0810, 30.6700}}})
	if r.status != http.StatusOK {
		t.Fatalf("route: %d %s", r.status, r.body)
	}
	r.decode(t, &route)
	straight := roadnet.Distance(roadnet.Point{Lon: 104.0657, Lat: 30.6598}, roadnet.Point{Lon: 104.0810, Lat: 30.6700}) / 1000
	if route.StraightLegs != 0 || len(route.Polyline) <= 2 || route.DistanceKm < straight*0.95 || route.DistanceKm > straight*3 {
		t.Fatalf("route along roads: %d straight legs, %d vertices, %.1f km (straight line %.1f km)", route.StraightLegs, len(route.Polyline), route.DistanceKm, straight)
	}
	// A point far from the network's roads leaves its leg straight.
	r = ent.do("POST", "/waybills/route-along-roads", map[string]any{"points": [][2]float64{{104.0657, 30.6598}, {116.3975, 39.9087}}})
	if r.status != http.StatusOK {
		t.Fatalf("far route: %d %s", r.status, r.body)
	}
	r.decode(t, &route)
	if route.StraightLegs != 1 || len(route.Polyline) != 2 || route.DistanceKm < 1000 {
		t.Fatalf("far leg: %+v", route)
	}
	// Bad points are refused naming the point; readers may not plan.
	r = ent.do("POST", "/waybills/route-along-roads", map[string]any{"points": [][2]float64{{104.0657, 30.6598}, {204, 30}}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), "body.points[1]") {
		t.Errorf("bad point: %d %s", r.status, r.body)
	}
	r = ent.do("POST", "/waybills/route-along-roads", map[string]any{"points": [][2]float64{{104.0657, 30.6598}}})
	if r.status != http.StatusUnprocessableEntity {
		t.Errorf("one point: %d %s", r.status, r.body)
	}
	if r := (client{t, base, "regulator:510100"}).do("POST", "/waybills/route-along-roads", map[string]any{"points": [][2]float64{{104.06, 30.65}, {104.07, 30.66}}}); r.status != http.StatusForbidden {
		t.Errorf("regulator planned a route: %d", r.status)
	}
}
