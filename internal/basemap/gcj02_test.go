package basemap

import (
	"math"
	"testing"
)

// metres between two WGS-84 positions (equirectangular; fine at this scale).
func metres(lon1, lat1, lon2, lat2 float64) float64 {
	const r = 6371008.8
	x := (lon2 - lon1) * math.Pi / 180 * math.Cos((lat1+lat2)/2*math.Pi/180)
	y := (lat2 - lat1) * math.Pi / 180
	return r * math.Hypot(x, y)
}

// Published reference values of the standard GCJ-02 transform. The first is
// the one most libraries test against; the others come from implementations
// whose constants differ in the last digits, so they agree to 1e-6 degrees
// (about 10 cm).
func TestGCJ02KnownPoints(t *testing.T) {
	for _, c := range []struct{ lon, lat, gLon, gLat, tol float64 }{
		{116.404, 39.915, 116.41024449916938, 39.91640428150164, 1e-9}, // Beijing, 天安门 area
		{116.0, 40.0, 116.006141221789, 40.001213650174, 1e-6},
		{121.0917077, 30.6107779, 121.09626935575027, 30.608604331756705, 1e-6},
	} {
		gLon, gLat := ToGCJ02(c.lon, c.lat)
		if math.Abs(gLon-c.gLon) > c.tol || math.Abs(gLat-c.gLat) > c.tol {
			t.Errorf("ToGCJ02(%v, %v) = %.12f, %.12f; want %.12f, %.12f", c.lon, c.lat, gLon, gLat, c.gLon, c.gLat)
		}
	}
	// In Chengdu the offset is a few hundred metres (DataV notes ≈ 360 m).
	gLon, gLat := ToGCJ02(104.0665, 30.5723)
	if d := metres(104.0665, 30.5723, gLon, gLat); d < 200 || d > 600 {
		t.Errorf("offset in Chengdu %.0f m", d)
	}
	// Outside China the datum is WGS-84.
	if lon, lat := ToGCJ02(2.35, 48.85); lon != 2.35 || lat != 48.85 {
		t.Errorf("Paris moved to %v, %v", lon, lat)
	}
	if lon, lat := ToWGS84(2.35, 48.85); lon != 2.35 || lat != 48.85 {
		t.Errorf("Paris moved back to %v, %v", lon, lat)
	}
}

// The iterative inverse recovers WGS-84 to far better than half a metre
// everywhere in China.
func TestGCJ02RoundTrip(t *testing.T) {
	worst := 0.0
	for lon := 73.5; lon < 135; lon += 0.73 {
		for lat := 18.2; lat < 53.5; lat += 0.61 {
			gLon, gLat := ToGCJ02(lon, lat)
			wLon, wLat := ToWGS84(gLon, gLat)
			worst = max(worst, metres(lon, lat, wLon, wLat))
		}
	}
	if worst >= 0.5 {
		t.Fatalf("round trip error up to %.3f m", worst)
	}
	t.Logf("worst round-trip error %.2g m", worst)
}
