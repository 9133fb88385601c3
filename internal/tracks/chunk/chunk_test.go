package chunk

import (
	"bufio"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// simTrack generates a plausible vehicle track: a steady report interval
// with jitter, a vehicle driving with smooth speed and heading changes,
// stops, an odometer and the usual items.
func simTrack(r *rand.Rand, n int, interval int64) []Point {
	pts := make([]Point, n)
	t := int64(1_700_000_000_000) + r.Int64N(1e9)*1000
	lat, lon := int32(30_600_000+r.IntN(200_000)), int32(104_000_000+r.IntN(200_000))
	heading := r.IntN(360)
	speed := 0
	mileage := uint32(r.IntN(5_000_000))
	status := uint32(0x0c0003)
	for i := range pts {
		if r.IntN(50) == 0 {
			speed = 0
		} else {
			speed = max(0, min(1200, speed+r.IntN(61)-30))
		}
		heading = (heading + r.IntN(11) - 5 + 360) % 360
		dist := float64(speed) / 36 * float64(interval) / 1000 // metres
		rad := float64(heading) * math.Pi / 180
		lat += int32(dist * math.Cos(rad) * 9)
		lon += int32(dist * math.Sin(rad) * 10.4)
		mileage += uint32(dist / 100)
		p := Point{
			Time:     t,
			Received: t/1000 + int64(r.IntN(2)),
			Lat:      lat, Lon: lon,
			Speed: uint16(speed), Heading: uint16(heading), Altitude: 500 + int32(r.IntN(3)),
			Status:  status,
			Has:     HasMileage | HasSignal | HasSatellites,
			Mileage: mileage, Signal: 28, Satellites: uint8(12 + r.IntN(3)),
		}
		if r.IntN(200) == 0 {
			p.Alarm = 1 << uint(r.IntN(30))
		}
		pts[i] = p
		t += interval
		if r.IntN(10) == 0 {
			t += 1000
		}
	}
	return pts
}

// randomPoints generates points with arbitrary field values, including
// extremes, to exercise wrapping transforms.
func randomPoints(r *rand.Rand, n int) []Point {
	pts := make([]Point, n)
	pick64 := func() int64 {
		switch r.IntN(4) {
		case 0:
			return math.MinInt64 + r.Int64N(3)
		case 1:
			return math.MaxInt64 - r.Int64N(3)
		default:
			return r.Int64() - r.Int64()
		}
	}
	for i := range pts {
		pts[i] = Point{
			Time: pick64(), Received: pick64(),
			Lat: int32(r.Uint32()), Lon: int32(r.Uint32()),
			Speed: uint16(r.Uint32()), Heading: uint16(r.Uint32()), Altitude: int32(r.Uint32()),
			Alarm: r.Uint32(), Status: r.Uint32(),
			Has:       Items(r.IntN(32)),
			BlindArea: r.IntN(2) == 0, Version: uint8(r.IntN(4)),
		}
		p := &pts[i]
		if p.Has&HasMileage != 0 {
			p.Mileage = r.Uint32()
		}
		if p.Has&HasFuel != 0 {
			p.Fuel = uint16(r.Uint32())
		}
		if p.Has&HasTachoSpeed != 0 {
			p.TachoSpeed = uint16(r.Uint32())
		}
		if p.Has&HasSignal != 0 {
			p.Signal = uint8(r.Uint32())
		}
		if p.Has&HasSatellites != 0 {
			p.Satellites = uint8(r.Uint32())
		}
	}
	return pts
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	cases := map[string][]Point{
		"empty":         nil,
		"one":           {{Time: 1, Lat: -1, Lon: 1}},
		"zeros":         make([]Point, 10),
		"sim":           simTrack(r, 500, 30_000),
		"dense":         simTrack(r, 2000, 3_000),
		"random":        randomPoints(r, 300),
		"negative time": {{Time: -1999, Received: -5}, {Time: -1, Received: 3}},
	}
	late := simTrack(r, 50, 10_000)
	late[10], late[40] = late[40], late[10]
	cases["out of order"] = late
	for name, pts := range cases {
		t.Run(name, func(t *testing.T) {
			data, err := Encode(nil, pts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(data, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(pts) == 0 {
				pts = nil
			}
			if len(got) == 0 {
				got = nil
			}
			if diff := cmp.Diff(pts, got); diff != "" {
				t.Fatalf("round trip (-in +out):\n%s", diff)
			}
			if n, err := Len(data); err != nil || n != len(pts) {
				t.Fatalf("Len = %d, %v; want %d", n, err, len(pts))
			}
		})
	}
}

// TestRoundTripProperty checks the round trip on many generated tracks,
// both plausible and arbitrary, and with a reused Encoder and Decoder.
func TestRoundTripProperty(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	var e Encoder
	var d Decoder
	var buf []byte
	var out []Point
	for i := range 300 {
		var pts []Point
		if i%2 == 0 {
			pts = simTrack(r, 1+r.IntN(400), int64(1+r.IntN(60))*1000)
		} else {
			pts = randomPoints(r, 1+r.IntN(100))
		}
		var err error
		buf, err = e.Encode(buf[:0], pts)
		if err != nil {
			t.Fatal(err)
		}
		out, err = d.Decode(buf, out[:0])
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if diff := cmp.Diff(pts, out); diff != "" {
			t.Fatalf("case %d (-in +out):\n%s", i, diff)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	good, _ := Encode(nil, simTrack(rand.New(rand.NewPCG(5, 6)), 20, 30_000))
	cases := map[string][]byte{
		"empty":       nil,
		"bad magic":   {'X', 1, 0, 0},
		"bad format":  {magic, 9, 0, 0},
		"bad deflate": {magic, formatDeflate, 0xff, 0xff},
		"truncated":   good[:len(good)/2],
		"trailing":    append(slices.Clone(good), 0),
		"too many":    {magic, formatRaw, 0xff, 0xff, 0xff, 0x7f, 0},
		"bad columns": {magic, formatRaw, 1, 0xff, 0xff, 0xff, 0x7f},
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Decode(data, nil); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Decode = %v, want ErrCorrupt", err)
			}
		})
	}
	if _, err := Encode(nil, make([]Point, MaxPoints+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Encode too many = %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, pts := range [][]Point{simTrack(r, 30, 30_000), randomPoints(r, 5), nil} {
		data, _ := Encode(nil, pts)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pts, err := Decode(data, nil)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to something that decodes to
		// the same points.
		again, err := Encode(nil, pts)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(again, nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(pts, back); diff != "" {
			t.Fatalf("re-encode (-first +second):\n%s", diff)
		}
	})
}

func FuzzRoundTrip(f *testing.F) {
	f.Add(uint64(1), 10, int64(30_000))
	f.Add(uint64(2), 1, int64(0))
	f.Fuzz(func(t *testing.T, seed uint64, n int, interval int64) {
		n = 1 + abs(n)%500
		r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		var pts []Point
		if seed%2 == 0 {
			pts = simTrack(r, n, interval%100_000)
		} else {
			pts = randomPoints(r, n)
		}
		data, err := Encode(nil, pts)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(data, nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(pts, got); diff != "" {
			t.Fatalf("(-in +out):\n%s", diff)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// didiTracks reads the Chengdu DiDi traces as one track per order, with
// speed and heading derived from consecutive points (the traces carry only
// time and coordinates). Coordinates stay GCJ-02: the datum does not change
// the size.
func didiTracks(tb testing.TB) [][]Point {
	tb.Helper()
	path := filepath.Join("..", "..", "..", "..", "shared", "data", "chengdu-didi-gps", "didi_chengdu_gps_20161101_0710.csv")
	if p := os.Getenv("JIAOTONG_DIDI_CSV"); p != "" {
		path = p
	}
	f, err := os.Open(path)
	if err != nil {
		tb.Skipf("SKIP DiDi traces not available (%v)", err)
	}
	defer f.Close()
	byOrder := map[string][]Point{}
	var order []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Split(sc.Text(), ",")
		if len(fs) != 5 {
			continue
		}
		ts, err1 := strconv.ParseInt(fs[2], 10, 64)
		lon, err2 := strconv.ParseFloat(fs[3], 64)
		lat, err3 := strconv.ParseFloat(fs[4], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		if _, ok := byOrder[fs[1]]; !ok {
			order = append(order, fs[1])
		}
		byOrder[fs[1]] = append(byOrder[fs[1]], Point{
			Time: ts * 1000, Received: ts,
			Lat: int32(math.Round(lat * 1e6)), Lon: int32(math.Round(lon * 1e6)),
		})
	}
	var out [][]Point
	for _, o := range order {
		pts := byOrder[o]
		slices.SortStableFunc(pts, func(a, b Point) int { return int(a.Time - b.Time) })
		for i := 1; i < len(pts); i++ {
			a, b := pts[i-1], pts[i]
			dy := float64(b.Lat-a.Lat) * 0.111
			dx := float64(b.Lon-a.Lon) * 0.111 * math.Cos(float64(a.Lat)/1e6*math.Pi/180)
			dt := float64(b.Time-a.Time) / 1000
			if dt > 0 {
				pts[i].Speed = uint16(min(2000, math.Sqrt(dx*dx+dy*dy)/dt*36))
			}
			pts[i].Heading = uint16(int(math.Atan2(dx, dy)*180/math.Pi+360) % 360)
		}
		out = append(out, pts)
	}
	return out
}

// TestDiDiSize checks the size target on the real traces (one chunk per
// order, ~17 points each: a worst case for per-chunk overhead).
func TestDiDiSize(t *testing.T) {
	t.Parallel()
	tracks := didiTracks(t)
	bytes, points := 0, 0
	for _, pts := range tracks {
		data, err := Encode(nil, pts)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(data, nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(pts, got); diff != "" {
			t.Fatalf("round trip:\n%s", diff)
		}
		bytes += len(data)
		points += len(pts)
	}
	t.Logf("DiDi: %d points in %d chunks, %.2f bytes/point", points, len(tracks), float64(bytes)/float64(points))
	if per := float64(bytes) / float64(points); per > 8 {
		t.Errorf("%.2f bytes per point, want at most 8", per)
	}
}
