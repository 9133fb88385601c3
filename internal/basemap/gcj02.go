package basemap

import "math"

// GCJ-02 (国测局坐标, "Mars coordinates") is the obfuscated datum that maps
// published in mainland China must use: WGS-84 shifted by a smooth,
// position-dependent offset of a few hundred metres. The forward transform
// is public; there is no closed-form inverse, so ToWGS84 inverts it by
// fixed-point iteration, which converges to well under a millimetre in a
// few steps because the offset changes slowly with position.

// Datum names accepted in configuration and by the boundaries import.
const (
	DatumWGS84 = "wgs84"
	DatumGCJ02 = "gcj02"
)

// Parameters of the GCJ-02 transform: the Krasovsky 1940 ellipsoid.
const (
	gcjA  = 6378245.0
	gcjEE = 0.00669342162296594323
)

// outOfChina reports whether a point lies outside the rough rectangle in
// which GCJ-02 applies; there the datum equals WGS-84.
func outOfChina(lon, lat float64) bool {
	return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271
}

func gcjDeltaLat(x, y float64) float64 {
	r := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	r += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	r += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	r += (160.0*math.Sin(y/12.0*math.Pi) + 320*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	return r
}

func gcjDeltaLon(x, y float64) float64 {
	r := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	r += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	r += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	r += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	return r
}

// ToGCJ02 converts a WGS-84 position to GCJ-02.
func ToGCJ02(lon, lat float64) (float64, float64) {
	if outOfChina(lon, lat) {
		return lon, lat
	}
	dLat := gcjDeltaLat(lon-105.0, lat-35.0)
	dLon := gcjDeltaLon(lon-105.0, lat-35.0)
	rad := lat / 180.0 * math.Pi
	magic := 1 - gcjEE*math.Sin(rad)*math.Sin(rad)
	sq := math.Sqrt(magic)
	dLat = (dLat * 180.0) / ((gcjA * (1 - gcjEE)) / (magic * sq) * math.Pi)
	dLon = (dLon * 180.0) / (gcjA / sq * math.Cos(rad) * math.Pi)
	return lon + dLon, lat + dLat
}

// ToWGS84 converts a GCJ-02 position back to WGS-84: it looks for the
// WGS-84 point whose GCJ-02 image is the given one, correcting the guess by
// the remaining difference until it is below 1e-10 degrees (about 0.01 mm).
func ToWGS84(lon, lat float64) (float64, float64) {
	if outOfChina(lon, lat) {
		return lon, lat
	}
	wLon, wLat := lon, lat
	for range 30 {
		gLon, gLat := ToGCJ02(wLon, wLat)
		dLon, dLat := gLon-lon, gLat-lat
		wLon, wLat = wLon-dLon, wLat-dLat
		if math.Abs(dLon) < 1e-10 && math.Abs(dLat) < 1e-10 {
			break
		}
	}
	return wLon, wLat
}
