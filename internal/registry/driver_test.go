package registry_test

import (
	"errors"
	"testing"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
)

// The main driver (主驾驶员) of a vehicle is a practitioner of the same
// operator holding a driver qualification, and cannot be deleted while
// assigned.
func TestVehicleDriver(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		s := newService(t, db)
		ctx := systemCtx()
		op := mustCreateOperator(t, s, ctx, operatorIn("510104", 1))
		other := mustCreateOperator(t, s, ctx, operatorIn("510104", 2))
		person := func(n int, opID int64, q registry.QualificationCategory) *registry.Practitioner {
			t.Helper()
			p, err := s.CreatePractitioner(ctx, registry.PractitionerFields{Name: "王师傅", IDNumber: registrytest.IDNumber("510104", n),
				Category: q, OperatorID: opID, Region: "510104"})
			if err != nil {
				t.Fatalf("create practitioner: %v", err)
			}
			return p
		}
		driver := person(1, op.ID, registry.QualPassengerDriver)
		escort := person(2, op.ID, registry.QualHazmatEscort)
		stranger := person(3, other.ID, registry.QualPassengerDriver)

		in := coach(op.ID, "510104", 1)
		in.DriverID = driver.ID
		v, err := s.CreateVehicle(ctx, in)
		if err != nil {
			t.Fatalf("create vehicle with driver: %v", err)
		}
		if got, err := s.Vehicle(ctx, v.ID); err != nil || got.DriverID != driver.ID {
			t.Fatalf("read back driver %v (%v), want %d", got, err, driver.ID)
		}

		for name, id := range map[string]int64{"another operator's driver": stranger.ID, "an escort": escort.ID, "nobody": 999999} {
			in := v.VehicleFields
			in.DriverID = id
			_, err := s.UpdateVehicle(ctx, v.ID, 0, in)
			if fs := apperr.Fields(err); len(fs) != 1 || fs[0].Field != "driver_id" {
				t.Errorf("%s as driver: %v, want one problem on driver_id", name, err)
			}
		}

		if err := s.DeletePractitioner(ctx, driver.ID); !errors.Is(err, apperr.ErrConflict) {
			t.Errorf("delete an assigned driver: %v, want conflict", err)
		}
		in = v.VehicleFields
		in.DriverID = 0
		if _, err := s.UpdateVehicle(ctx, v.ID, 0, in); err != nil {
			t.Fatalf("unassign the driver: %v", err)
		}
		if err := s.DeletePractitioner(ctx, driver.ID); err != nil {
			t.Errorf("delete an unassigned driver: %v", err)
		}
	})
}
