package tracks

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
)

// scopedVehicles stands in for the registry's scoped lookup: each vehicle
// has a region, and a principal sees the vehicles of its region prefix.
type scopedVehicles map[int64]string

func (v scopedVehicles) Vehicle(ctx context.Context, id int64) (*registry.Vehicle, error) {
	region, ok := v[id]
	p := access.From(ctx)
	if !ok || p == nil || !p.Scope.Allows(region, 0) {
		return nil, apperr.NotFound("vehicle", id)
	}
	return &registry.Vehicle{}, nil
}

// admin is a context of a principal that sees everything.
func admin() context.Context { return access.With(context.Background(), access.System) }

// newService migrates db and builds a service over it.
func newService(t testing.TB, db *sqldb.DB, vehicles Vehicles, cfg Config) *Service {
	t.Helper()
	if err := db.Migrate(context.Background(), Module()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return New(db, nil, vehicles, cfg, nil)
}

// simPositions generates a 30 s (or interval) track per vehicle starting at
// start, with odometer, signal and satellites.
func simPositions(r *rand.Rand, vehicle int64, start time.Time, n int, interval time.Duration) []gateway.Position {
	ps := make([]gateway.Position, n)
	lat, lon := int32(30_650_000+r.IntN(50_000)), int32(104_050_000+r.IntN(50_000))
	heading := r.IntN(360)
	speed := 300
	mileage := uint32(100_000 + r.IntN(100_000))
	t := start
	for i := range ps {
		speed = max(0, min(1000, speed+r.IntN(41)-20))
		heading = (heading + r.IntN(11) - 5 + 360) % 360
		// Stay in the city (a 25 km square): turn back at its edge.
		if lat < 30_550_000 || lat > 30_780_000 || lon < 103_950_000 || lon > 104_200_000 {
			heading = (heading + 180) % 360
		}
		dist := float64(speed) / 36 * interval.Seconds()
		rad := float64(heading) * math.Pi / 180
		lat += int32(dist * math.Cos(rad) * 9)
		lon += int32(dist * math.Sin(rad) * 10.4)
		mileage += uint32(dist / 100)
		ps[i] = gateway.Position{
			VehicleID: vehicle, Phone: fmt.Sprint(13800000000 + vehicle),
			DeviceTime: t, ReceiveTime: t.Add(time.Duration(r.IntN(1500)) * time.Millisecond),
			Lat: lat, Lon: lon, Speed: uint16(speed), Heading: uint16(heading), Altitude: 500,
			Status:  0x0c0003,
			Has:     gateway.HasMileage | gateway.HasSignal | gateway.HasSatellites,
			Mileage: mileage, Signal: 25, Satellites: 12,
		}
		t = t.Add(interval)
	}
	return ps
}

// want converts positions to the points the store must give back, in time
// order.
func want(ps []gateway.Position) []Point {
	out := make([]Point, len(ps))
	for i := range ps {
		out[i] = toPoint(&ps[i])
	}
	return mergeSorted(out)
}
