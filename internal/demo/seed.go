package demo

import (
	"context"
	"fmt"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
)

// Seed creates the dataset through the registry service, acting as
// access.System, so every record is validated and audited like any other.
// It is idempotent: a record that already exists (same credit code, VIN, ID
// number, station name, route code or MMSI) is reused, not created again,
// and once the whole dataset is in place a second call only looks it up. An
// interrupted seed is completed by the next call.
//
// Seed fills in OperatorID of ds.Users (the slice is shared with the
// caller), so that User() gives the enterprise user its enterprise's scope.
func Seed(ctx context.Context, svc *registry.Service, ds Dataset) error {
	ctx = access.With(ctx, access.System)
	if done, err := seeded(ctx, svc, ds); err != nil {
		return err
	} else if done {
		return resolveUsers(ctx, svc, ds)
	}
	opIDs := make([]int64, len(ds.Operators))
	for i, in := range ds.Operators {
		id, err := findOrCreate(in.CreditCode,
			func(f registry.Filter) ([]registry.Operator, int, error) { return svc.Operators(ctx, f) },
			func(o registry.Operator) (string, int64) { return o.CreditCode, o.ID },
			func() (int64, error) {
				o, err := svc.CreateOperator(ctx, in)
				if err != nil {
					return 0, err
				}
				return o.ID, nil
			})
		if err != nil {
			return fmt.Errorf("demo: operator %s: %w", in.Name, err)
		}
		opIDs[i] = id
	}
	opID := func(i int) int64 {
		if i < 0 {
			return 0
		}
		return opIDs[i]
	}
	vehIDs := make([]int64, len(ds.Vehicles))
	for i, v := range ds.Vehicles {
		in := v.VehicleFields
		in.OperatorID = opID(v.Operator)
		id, err := findOrCreate(in.VIN,
			func(f registry.Filter) ([]registry.Vehicle, int, error) { return svc.Vehicles(ctx, f) },
			func(o registry.Vehicle) (string, int64) { return o.VIN, o.ID },
			func() (int64, error) {
				o, err := svc.CreateVehicle(ctx, in)
				if err != nil {
					return 0, err
				}
				return o.ID, nil
			})
		if err != nil {
			return fmt.Errorf("demo: vehicle %s: %w", in.Plate, err)
		}
		vehIDs[i] = id
	}
	prIDs := make([]int64, len(ds.Practitioners))
	for i, p := range ds.Practitioners {
		in := p.PractitionerFields
		in.OperatorID = opID(p.Operator)
		id, err := findOrCreate(in.IDNumber,
			func(f registry.Filter) ([]registry.Practitioner, int, error) { return svc.Practitioners(ctx, f) },
			func(o registry.Practitioner) (string, int64) { return o.IDNumber, o.ID },
			func() (int64, error) {
				o, err := svc.CreatePractitioner(ctx, in)
				if err != nil {
					return 0, err
				}
				return o.ID, nil
			})
		if err != nil {
			return fmt.Errorf("demo: practitioner %s: %w", in.Name, err)
		}
		prIDs[i] = id
	}
	// Main drivers are assigned once both exist; a vehicle that already has
	// one keeps it.
	for i, v := range ds.Vehicles {
		if v.Driver < 0 {
			continue
		}
		cur, err := svc.Vehicle(ctx, vehIDs[i])
		if err != nil {
			return fmt.Errorf("demo: vehicle %s: %w", v.Plate, err)
		}
		if cur.DriverID != 0 {
			continue
		}
		in := cur.VehicleFields
		in.DriverID = prIDs[v.Driver]
		if _, err := svc.UpdateVehicle(ctx, cur.ID, cur.Version, in); err != nil {
			return fmt.Errorf("demo: driver of vehicle %s: %w", v.Plate, err)
		}
	}
	stIDs := make([]int64, len(ds.Stations))
	for i, s := range ds.Stations {
		in := s.StationFields
		in.OperatorID = opID(s.Operator)
		id, err := findOrCreate(in.Name,
			func(f registry.Filter) ([]registry.Station, int, error) { return svc.Stations(ctx, f) },
			func(o registry.Station) (string, int64) { return o.Name, o.ID },
			func() (int64, error) {
				o, err := svc.CreateStation(ctx, in)
				if err != nil {
					return 0, err
				}
				return o.ID, nil
			})
		if err != nil {
			return fmt.Errorf("demo: station %s: %w", in.Name, err)
		}
		stIDs[i] = id
	}
	for _, r := range ds.Routes {
		in := r.RouteFields
		in.OperatorID = opID(r.Operator)
		in.OriginStationID = stIDs[r.Origin]
		in.DestinationStationID = stIDs[r.Destination]
		in.Stops = make([]int64, len(r.Stops))
		for k, s := range r.Stops {
			in.Stops[k] = stIDs[s]
		}
		in.VehicleIDs = make([]int64, len(r.Vehicles))
		for k, v := range r.Vehicles {
			in.VehicleIDs[k] = vehIDs[v]
		}
		_, err := findOrCreate(in.Code,
			func(f registry.Filter) ([]registry.Route, int, error) { return svc.Routes(ctx, f) },
			func(o registry.Route) (string, int64) { return o.Code, o.ID },
			func() (int64, error) {
				o, err := svc.CreateRoute(ctx, in)
				if err != nil {
					return 0, err
				}
				return o.ID, nil
			})
		if err != nil {
			return fmt.Errorf("demo: route %s: %w", in.Code, err)
		}
	}
	// Vessels last: the last vessel marks a complete seed (see seeded).
	for _, v := range ds.Vessels {
		in := v.VesselFields
		in.OperatorID = opID(v.Operator)
		_, err := findOrCreate(in.MMSI,
			func(f registry.Filter) ([]registry.Vessel, int, error) { return svc.Vessels(ctx, f) },
			func(o registry.Vessel) (string, int64) { return o.MMSI, o.ID },
			func() (int64, error) {
				o, err := svc.CreateVessel(ctx, in)
				if err != nil {
					return 0, err
				}
				return o.ID, nil
			})
		if err != nil {
			return fmt.Errorf("demo: vessel %s: %w", in.Name, err)
		}
	}
	for i := range ds.Users {
		ds.Users[i].OperatorID = opID(ds.Users[i].Operator)
	}
	return nil
}

// seeded reports whether the dataset is complete: the last record Seed
// writes exists.
func seeded(ctx context.Context, svc *registry.Service, ds Dataset) (bool, error) {
	if len(ds.Vessels) == 0 {
		return false, nil
	}
	last := ds.Vessels[len(ds.Vessels)-1].MMSI
	id, err := find(last,
		func(f registry.Filter) ([]registry.Vessel, int, error) { return svc.Vessels(ctx, f) },
		func(o registry.Vessel) (string, int64) { return o.MMSI, o.ID })
	if err != nil {
		return false, fmt.Errorf("demo: check existing data: %w", err)
	}
	return id != 0, nil
}

// resolveUsers fills in the enterprise ids of the demo users from the registry.
func resolveUsers(ctx context.Context, svc *registry.Service, ds Dataset) error {
	for i, u := range ds.Users {
		if u.Operator < 0 {
			continue
		}
		code := ds.Operators[u.Operator].CreditCode
		id, err := find(code,
			func(f registry.Filter) ([]registry.Operator, int, error) { return svc.Operators(ctx, f) },
			func(o registry.Operator) (string, int64) { return o.CreditCode, o.ID })
		if err != nil {
			return fmt.Errorf("demo: user %s: %w", u.Username, err)
		}
		if id == 0 {
			return fmt.Errorf("demo: user %s: operator %s missing", u.Username, code)
		}
		ds.Users[i].OperatorID = id
	}
	return nil
}

// find returns the id of the record whose key equals key exactly, or 0.
func find[T any](key string,
	list func(registry.Filter) ([]T, int, error), keyOf func(T) (string, int64)) (int64, error) {
	items, _, err := list(registry.Filter{Q: key, Limit: 20})
	if err != nil {
		return 0, err
	}
	for _, it := range items {
		if k, id := keyOf(it); k == key {
			return id, nil
		}
	}
	return 0, nil
}

func findOrCreate[T any](key string,
	list func(registry.Filter) ([]T, int, error), keyOf func(T) (string, int64), create func() (int64, error)) (int64, error) {
	id, err := find(key, list, keyOf)
	if err != nil || id != 0 {
		return id, err
	}
	return create()
}
