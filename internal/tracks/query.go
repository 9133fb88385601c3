package tracks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/tracks/chunk"
)

// Point is one stored position (see docs/track-chunk-format.md).
type Point = chunk.Point

// MaxRange is the longest time range of one track query.
const MaxRange = 31 * 24 * time.Hour

// authorize checks that the caller may read tracks and sees the vehicle.
func (s *Service) authorize(ctx context.Context, vehicle int64) error {
	if _, err := access.Require(ctx, access.PermMonitorRead); err != nil {
		return err
	}
	if s.vehicles == nil {
		return nil
	}
	if _, err := s.vehicles.Vehicle(ctx, vehicle); err != nil {
		return err
	}
	return nil
}

func checkRange(from, to time.Time) error {
	var inv apperr.Invalid
	if from.IsZero() {
		inv.Add("from", "required", nil)
	}
	if to.IsZero() {
		inv.Add("to", "required", nil)
	}
	if !from.IsZero() && !to.IsZero() {
		if to.Before(from) {
			inv.Add("to", "must not be before from", to)
		} else if to.Sub(from) > MaxRange {
			inv.Add("to", fmt.Sprintf("range longer than %d days", int(MaxRange.Hours()/24)), to)
		}
	}
	return inv.Err()
}

// Track returns the points of a vehicle within [from, to], in time order,
// sealed and unsealed alike.
func (s *Service) Track(ctx context.Context, vehicle int64, from, to time.Time) ([]Point, error) {
	if err := checkRange(from, to); err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, vehicle); err != nil {
		return nil, err
	}
	return s.points(ctx, vehicle, from.UnixMilli(), to.UnixMilli())
}

// points reads and merges the chunks and the head of a vehicle.
func (s *Service) points(ctx context.Context, vehicle, from, to int64) ([]Point, error) {
	chunks, err := vehicleChunks(ctx, s.db, vehicle, from, to)
	if err != nil {
		return nil, fmt.Errorf("tracks: track of vehicle %d: %w", vehicle, err)
	}
	pts, err := decodeAll(chunks, from, to, nil)
	if err != nil {
		return nil, fmt.Errorf("tracks: track of vehicle %d: %w", vehicle, err)
	}
	pts = append(pts, s.headPoints(vehicle, from, to)...)
	return mergeSorted(pts), nil
}

// mergeSorted orders points by time (chunks may overlap when late points
// were sealed on their own) and drops exact re-sends: a second point with
// the same device time.
func mergeSorted(pts []Point) []Point {
	if !slices.IsSortedFunc(pts, func(a, b Point) int { return cmpInt(a.Time, b.Time) }) {
		slices.SortStableFunc(pts, func(a, b Point) int { return cmpInt(a.Time, b.Time) })
	}
	return slices.CompactFunc(pts, func(a, b Point) bool { return a.Time == b.Time })
}

// Last returns the newest n points of a vehicle (at most 10,000), oldest
// first.
func (s *Service) Last(ctx context.Context, vehicle int64, n int) ([]Point, error) {
	if n < 1 || n > 10_000 {
		return nil, apperr.Field("n", "must be between 1 and 10000", n)
	}
	if err := s.authorize(ctx, vehicle); err != nil {
		return nil, err
	}
	head := s.headPoints(vehicle, minTime, maxTime)
	var pts []Point
	if len(head) < n {
		chunks, err := latestChunks(ctx, s.db, vehicle, n-len(head))
		if err != nil {
			return nil, fmt.Errorf("tracks: last points of vehicle %d: %w", vehicle, err)
		}
		pts, err = decodeAll(chunks, minTime, maxTime, nil)
		if err != nil {
			return nil, fmt.Errorf("tracks: last points of vehicle %d: %w", vehicle, err)
		}
	}
	pts = mergeSorted(append(pts, head...))
	if len(pts) > n {
		pts = pts[len(pts)-n:]
	}
	return pts, nil
}

const (
	minTime = -1 << 62
	maxTime = 1 << 62
)

// Box is a bounding box in WGS-84 micro-degrees.
type Box struct {
	MinLat, MinLon, MaxLat, MaxLon int32
}

func (b Box) contains(lat, lon int32) bool {
	return lat >= b.MinLat && lat <= b.MaxLat && lon >= b.MinLon && lon <= b.MaxLon
}

// Area is the place of a "who was here" query: a box, or a polygon
// (vertices in micro-degrees as [lat, lon], not closed) whose bounding box
// is computed.
type Area struct {
	Box     Box
	Polygon [][2]int32
}

func (a *Area) normalise() error {
	var inv apperr.Invalid
	if len(a.Polygon) > 0 {
		if len(a.Polygon) < 3 {
			inv.Add("polygon", "needs at least 3 vertices", len(a.Polygon))
			return inv.Err()
		}
		if len(a.Polygon) > 1000 {
			inv.Add("polygon", "at most 1000 vertices", len(a.Polygon))
			return inv.Err()
		}
		b := Box{MinLat: a.Polygon[0][0], MaxLat: a.Polygon[0][0], MinLon: a.Polygon[0][1], MaxLon: a.Polygon[0][1]}
		for _, v := range a.Polygon[1:] {
			b.MinLat, b.MaxLat = min(b.MinLat, v[0]), max(b.MaxLat, v[0])
			b.MinLon, b.MaxLon = min(b.MinLon, v[1]), max(b.MaxLon, v[1])
		}
		a.Box = b
	}
	if a.Box.MinLat > a.Box.MaxLat || a.Box.MinLon > a.Box.MaxLon {
		inv.Add("bbox", "min must not exceed max", a.Box)
	}
	if a.Box.MinLat < -90e6 || a.Box.MaxLat > 90e6 || a.Box.MinLon < -180e6 || a.Box.MaxLon > 180e6 {
		inv.Add("bbox", "outside WGS-84 range", a.Box)
	}
	return inv.Err()
}

func (a *Area) contains(lat, lon int32) bool {
	if !a.Box.contains(lat, lon) {
		return false
	}
	if len(a.Polygon) == 0 {
		return true
	}
	// Even-odd ray casting in the lat/lon plane (fine at city scale).
	in := false
	n := len(a.Polygon)
	y, x := float64(lat), float64(lon)
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		yi, xi := float64(a.Polygon[i][0]), float64(a.Polygon[i][1])
		yj, xj := float64(a.Polygon[j][0]), float64(a.Polygon[j][1])
		if (yi > y) != (yj > y) && x < (xj-xi)*(y-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}

// Visit is one vehicle found inside an area: when it was first and last
// seen inside during the window, and how many of its points were.
type Visit struct {
	VehicleID int64     `json:"vehicle_id"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	Points    int       `json:"points"`
}

// MaxAreaWindow is the longest window of a "who was here" query.
const MaxAreaWindow = 7 * 24 * time.Hour

// WhoWasHere returns the vehicles (within the caller's scope) that reported
// a position inside the area during [from, to], ordered by vehicle id.
// Chunks are found by their time range and bounding box (both indexed
// columns); only those are decoded.
func (s *Service) WhoWasHere(ctx context.Context, area Area, from, to time.Time) ([]Visit, error) {
	if _, err := access.Require(ctx, access.PermMonitorRead); err != nil {
		return nil, err
	}
	if err := checkRange(from, to); err != nil {
		return nil, err
	}
	if to.Sub(from) > MaxAreaWindow {
		return nil, apperr.Field("to", "window longer than 7 days", to)
	}
	if err := area.normalise(); err != nil {
		return nil, err
	}
	f, t := from.UnixMilli(), to.UnixMilli()
	chunks, err := areaChunks(ctx, s.db, f, t, area.Box)
	if err != nil {
		return nil, fmt.Errorf("tracks: who was here: %w", err)
	}
	visits := map[int64]*Visit{}
	see := func(vehicle int64, p *Point) {
		if p.Time < f || p.Time > t || !area.contains(p.Lat, p.Lon) {
			return
		}
		v := visits[vehicle]
		at := time.UnixMilli(p.Time)
		if v == nil {
			visits[vehicle] = &Visit{VehicleID: vehicle, First: at, Last: at, Points: 1}
			return
		}
		if at.Before(v.First) {
			v.First = at
		}
		if at.After(v.Last) {
			v.Last = at
		}
		v.Points++
	}
	var d chunk.Decoder
	var buf []Point
	for _, c := range chunks {
		buf, err = d.Decode(c.data, buf[:0])
		if err != nil {
			return nil, fmt.Errorf("tracks: who was here: vehicle %d: %w", c.vehicle, err)
		}
		for i := range buf {
			see(c.vehicle, &buf[i])
		}
	}
	s.heads.mu.Lock()
	for v, hd := range s.heads.m {
		for i := range hd.pts {
			see(v, &hd.pts[i])
		}
	}
	s.heads.mu.Unlock()

	out := make([]Visit, 0, len(visits))
	for id, v := range visits {
		if s.vehicles != nil {
			if _, err := s.vehicles.Vehicle(ctx, id); err != nil {
				if errors.Is(err, apperr.ErrNotFound) || errors.Is(err, apperr.ErrForbidden) {
					continue // outside the caller's scope, or no longer registered
				}
				return nil, fmt.Errorf("tracks: who was here: %w", err)
			}
		}
		out = append(out, *v)
	}
	slices.SortFunc(out, func(a, b Visit) int { return cmpInt(a.VehicleID, b.VehicleID) })
	return out, nil
}

// Report is everything derived from one vehicle's track over a range.
type Report struct {
	Mileage Mileage       `json:"mileage"`
	Trips   []Trip        `json:"trips"`
	Stops   []Stop        `json:"stops"`
	Daily   []Daily       `json:"daily"`
	Quality []QualityMark `json:"quality"`
}

// Report computes mileage, trips and stops, daily summaries and
// data-quality marks of a vehicle over [from, to].
func (s *Service) Report(ctx context.Context, vehicle int64, from, to time.Time) (*Report, error) {
	pts, err := s.Track(ctx, vehicle, from, to)
	if err != nil {
		return nil, err
	}
	cfg := s.cfg.Reports
	trips, stops := tripsAndStops(pts, cfg)
	return &Report{
		Mileage: computeMileage(pts, cfg),
		Trips:   orEmpty(trips), Stops: orEmpty(stops),
		Daily:   orEmpty(dailySummaries(pts, cfg)),
		Quality: orEmpty(qualityMarks(pts, cfg)),
	}, nil
}

func orEmpty[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
