package registry_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
)

func newService(t testing.TB, db *sqldb.DB) *registry.Service {
	t.Helper()
	if err := db.Migrate(context.Background(), audit.Module(), registry.Module()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return registry.New(db, slog.New(slog.DiscardHandler))
}

func systemCtx() context.Context { return access.With(context.Background(), access.System) }

func operatorIn(region string, n int) registry.OperatorFields {
	return registry.OperatorFields{Name: "成都客运" + region + string(rune('A'+n%26)), CreditCode: registrytest.CreditCode(region, n),
		Region: region, Scopes: []registry.BusinessScope{registry.ScopeScheduledCoach, registry.ScopeCharter},
		LicenceNo: "川交运管许可成字" + region, LicenceValidUntil: civil.Today().AddDays(20 + n), ContactPhone: "028-86661234"}
}

func coach(operatorID int64, region string, n int) registry.VehicleFields {
	return registry.VehicleFields{Plate: registrytest.Plate("川", "A", n), PlateColor: registry.PlateYellow, VIN: registrytest.VIN(n),
		Category: registry.CategoryCoach, Seats: 45, Axles: 2, OperatorID: operatorID, Region: region,
		TransportCertNo: "510100" + region, TransportCertUntil: civil.Today().AddDays(400), TerminalPhone: "0139" + region + "0" + string(rune('0'+n%10))}
}

func mustCreateOperator(t testing.TB, s *registry.Service, ctx context.Context, in registry.OperatorFields) *registry.Operator {
	t.Helper()
	op, err := s.CreateOperator(ctx, in)
	if err != nil {
		t.Fatalf("create operator: %v", err)
	}
	return op
}

func TestServiceStore(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		s := newService(t, db)
		ctx := systemCtx()

		op := mustCreateOperator(t, s, ctx, operatorIn("510104", 1))
		if op.ID == 0 || op.Version != 1 || op.Status != registry.OperatorActive {
			t.Fatalf("created operator %+v", op)
		}
		got, err := s.Operator(ctx, op.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(op, got); diff != "" {
			t.Errorf("operator read back differs (-created +read):\n%s", diff)
		}

		// Unique credit code.
		if _, err := s.CreateOperator(ctx, operatorIn("510104", 1)); !errors.Is(err, apperr.ErrConflict) {
			t.Errorf("duplicate credit code: %v, want conflict", err)
		}

		v, err := s.CreateVehicle(ctx, coach(op.ID, "510104", 1))
		if err != nil {
			t.Fatal(err)
		}
		rv, err := s.Vehicle(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(v, rv); diff != "" {
			t.Errorf("vehicle read back differs:\n%s", diff)
		}
		ref, err := s.VehicleByTerminalPhone(ctx, "0000000"+v.TerminalPhone)
		if err != nil || ref.ID != v.ID {
			t.Errorf("VehicleByTerminalPhone = %+v, %v", ref, err)
		}

		t.Run("unique conflicts", func(t *testing.T) {
			dup := coach(op.ID, "510104", 1)
			dup.VIN, dup.TerminalPhone = registrytest.VIN(99), ""
			if _, err := s.CreateVehicle(ctx, dup); !errors.Is(err, apperr.ErrConflict) {
				t.Errorf("same plate and colour: %v", err)
			}
			dup = coach(op.ID, "510104", 2)
			dup.VIN = v.VIN
			if _, err := s.CreateVehicle(ctx, dup); !errors.Is(err, apperr.ErrConflict) {
				t.Errorf("same VIN: %v", err)
			}
			dup = coach(op.ID, "510104", 3)
			dup.TerminalPhone = v.TerminalPhone
			if _, err := s.CreateVehicle(ctx, dup); !errors.Is(err, apperr.ErrConflict) {
				t.Errorf("same terminal phone: %v", err)
			}
			// Same plate in another colour is another vehicle.
			other := coach(op.ID, "510104", 1)
			other.PlateColor, other.VIN, other.TerminalPhone = registry.PlateBlue, registrytest.VIN(98), ""
			if _, err := s.CreateVehicle(ctx, other); err != nil {
				t.Errorf("same plate, other colour: %v", err)
			}
		})

		t.Run("validation names every field", func(t *testing.T) {
			bad := coach(op.ID, "510104", 5)
			bad.VIN, bad.Plate, bad.Region, bad.Seats = "LSVAU033512345678", "X12", "999999", 0
			_, err := s.CreateVehicle(ctx, bad)
			var fields []string
			for _, f := range apperr.Fields(err) {
				fields = append(fields, f.Field)
			}
			want := []string{"plate", "vin", "seats", "region"}
			if diff := cmp.Diff(want, fields); diff != "" {
				t.Errorf("invalid fields (-want +got):\n%s", diff)
			}
			bad = coach(9999, "510104", 6)
			_, err = s.CreateVehicle(ctx, bad)
			if fs := apperr.Fields(err); len(fs) != 1 || fs[0].Field != "operator_id" {
				t.Errorf("missing operator: %v", err)
			}
		})

		t.Run("update with version", func(t *testing.T) {
			in := v.VehicleFields
			in.Seats = 49
			up, err := s.UpdateVehicle(ctx, v.ID, v.Version, in)
			if err != nil {
				t.Fatal(err)
			}
			if up.Version != 2 || up.Seats != 49 {
				t.Errorf("updated %+v", up)
			}
			if _, err := s.UpdateVehicle(ctx, v.ID, 1, in); !errors.Is(err, apperr.ErrConflict) {
				t.Errorf("stale version: %v", err)
			}
			hist, total, err := s.History(ctx, "vehicle", v.ID, 10, 0)
			if err != nil || total != 2 || hist[0].Action != audit.ActionUpdate || hist[1].Action != audit.ActionCreate {
				t.Errorf("history = %d entries, %v", total, err)
			}
		})

		t.Run("referential refusals", func(t *testing.T) {
			if err := s.DeleteOperator(ctx, op.ID); !errors.Is(err, apperr.ErrConflict) {
				t.Errorf("delete operator with vehicles: %v", err)
			}
			a, err := s.CreateStation(ctx, registry.StationFields{Name: "成都东站", Level: registry.StationLevel1, Lon: 104.14, Lat: 30.63, Region: "510104"})
			if err != nil {
				t.Fatal(err)
			}
			b, err := s.CreateStation(ctx, registry.StationFields{Name: "成都北站", Level: registry.StationLevel2, Lon: 104.07, Lat: 30.70, Region: "510106"})
			if err != nil {
				t.Fatal(err)
			}
			rt, err := s.CreateRoute(ctx, registry.RouteFields{Code: "510104-001", Name: "成都东-成都北", OperatorID: op.ID, Region: "510104",
				OriginStationID: a.ID, DestinationStationID: b.ID, LineClass: registry.LineClass4, VehicleIDs: []int64{v.ID},
				Corridor: &registry.CorridorGeometry{Type: "LineString", Coordinates: [][]float64{{104.14, 30.63}, {104.07, 30.70}}},
				Schedule: registry.RouteSchedule{Departures: []string{"07:30", "13:00"}}})
			if err != nil {
				t.Fatal(err)
			}
			if rt.CorridorWidthM != 500 {
				t.Errorf("default corridor width %d", rt.CorridorWidthM)
			}
			if err := s.DeleteVehicle(ctx, v.ID); !errors.Is(err, apperr.ErrConflict) {
				t.Errorf("delete vehicle on a route: %v", err)
			}
			if err := s.DeleteStation(ctx, b.ID); !errors.Is(err, apperr.ErrConflict) {
				t.Errorf("delete station of a route: %v", err)
			}
			if err := s.DeleteRoute(ctx, rt.ID); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteStation(ctx, b.ID); err != nil {
				t.Errorf("delete free station: %v", err)
			}
			if _, err := s.Route(ctx, rt.ID); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("deleted route: %v", err)
			}
			if _, n, err := s.History(ctx, "route", rt.ID, 10, 0); err != nil || n != 2 {
				t.Errorf("history of a deleted route: %d, %v", n, err)
			}
		})

		t.Run("filters, pagination and sort", func(t *testing.T) {
			op2 := mustCreateOperator(t, s, ctx, operatorIn("510105", 2))
			for i := 10; i < 15; i++ {
				in := coach(op2.ID, "510105", i)
				in.TerminalPhone = ""
				if i%2 == 0 {
					in.Category, in.Seats, in.RatedLoadKg, in.PlateColor = registry.CategoryHazmat, 0, 20000, registry.PlateYellow
				}
				if _, err := s.CreateVehicle(ctx, in); err != nil {
					t.Fatal(err)
				}
			}
			list, total, err := s.Vehicles(ctx, registry.Filter{Region: "510105", Sort: "-plate", Limit: 2, Offset: 1})
			if err != nil {
				t.Fatal(err)
			}
			if total != 5 || len(list) != 2 || list[0].Plate != "川A00013" || list[1].Plate != "川A00012" {
				t.Errorf("page = %d %v", total, plates(list))
			}
			_, total, _ = s.Vehicles(ctx, registry.Filter{Category: "hazmat"})
			if total != 3 {
				t.Errorf("hazmat total %d", total)
			}
			_, total, _ = s.Vehicles(ctx, registry.Filter{Q: "a0001"})
			if total != 5 { // 川A00010..14
				t.Errorf("q total %d", total)
			}
			_, total, _ = s.Vehicles(ctx, registry.Filter{Region: "510100"})
			if total != 7 {
				t.Errorf("city subtree total %d", total)
			}
			ops, total, _ := s.Operators(ctx, registry.Filter{ExpiringWithinDays: 21})
			if total != 1 || ops[0].ID != op.ID {
				t.Errorf("expiring operators %d", total)
			}
			if _, _, err := s.Vehicles(ctx, registry.Filter{Sort: "secret"}); !errors.Is(err, apperr.ErrInvalid) {
				t.Errorf("bad sort: %v", err)
			}
			// A county principal sees its county only.
			county := access.With(context.Background(), registrytest.Principal("jj", "510104", 0, access.RoleRegulator))
			_, total, _ = s.Vehicles(county, registry.Filter{})
			if total != 2 {
				t.Errorf("county scope total %d", total)
			}
		})
	})
}

func plates(vs []registry.Vehicle) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Plate)
	}
	return out
}
