package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

var sqlErrNoRows = sql.ErrNoRows

var operatorKind = &kind[Operator]{
	t:        operators,
	validate: func(v *Operator, inv *apperr.Invalid) { ValidateOperator(&v.OperatorFields, inv) },
	refs: func(ctx context.Context, tx *sqldb.Tx, _ access.Scope, v *Operator, _ *apperr.Invalid) error {
		return checkUnique(ctx, tx, "registry_operators", "credit_code", v.CreditCode, v.ID, "credit_code = $1", v.CreditCode)
	},
	inUse: func(ctx context.Context, q sqldb.Querier, v *Operator) error {
		for _, ref := range []struct{ what, table string }{
			{"vehicles", "registry_vehicles"}, {"practitioners", "registry_practitioners"}, {"stations", "registry_stations"},
			{"routes", "registry_routes"}, {"vessels", "registry_vessels"},
		} {
			if err := countRefs(ctx, q, ref.what, "SELECT COUNT(*) FROM "+ref.table+" WHERE operator_id = $1", v.ID); err != nil {
				return err
			}
		}
		return nil
	},
	summary: func(v *Operator) string { return v.Name + " " + v.CreditCode },
}

var vehicleKind = &kind[Vehicle]{
	t:        vehicles,
	validate: func(v *Vehicle, inv *apperr.Invalid) { ValidateVehicle(&v.VehicleFields, inv) },
	refs: func(ctx context.Context, tx *sqldb.Tx, scope access.Scope, v *Vehicle, inv *apperr.Invalid) error {
		checkOperatorRef(ctx, tx, scope, "operator_id", v.OperatorID, inv)
		checkDriverRef(ctx, tx, v, inv)
		if err := checkUnique(ctx, tx, "registry_vehicles", "plate", fmt.Sprintf("%s (%s)", v.Plate, v.PlateColor.Label()), v.ID,
			"plate = $1 AND plate_color = $2", v.Plate, int(v.PlateColor)); err != nil {
			return err
		}
		if err := checkUnique(ctx, tx, "registry_vehicles", "vin", v.VIN, v.ID, "vin = $1", v.VIN); err != nil {
			return err
		}
		if v.TerminalPhone != "" {
			return checkUnique(ctx, tx, "registry_vehicles", "terminal_phone", v.TerminalPhone, v.ID, "terminal_phone = $1", v.TerminalPhone)
		}
		return nil
	},
	inUse: func(ctx context.Context, q sqldb.Querier, v *Vehicle) error {
		return countRefs(ctx, q, "routes", "SELECT COUNT(*) FROM registry_route_vehicles WHERE vehicle_id = $1", v.ID)
	},
	summary: func(v *Vehicle) string { return v.Plate + " " + v.VIN },
}

// driverQualifications are the qualifications that let a practitioner be a
// vehicle's main driver; loaders, escorts and mechanics cannot.
var driverQualifications = map[QualificationCategory]bool{QualPassengerDriver: true, QualFreightDriver: true,
	QualHazmatDriver: true, QualTaxiDriver: true, QualRideHailingDriver: true}

// checkDriverRef checks that the vehicle's main driver is a practitioner of
// the same operator with a driver qualification.
func checkDriverRef(ctx context.Context, q sqldb.Querier, v *Vehicle, inv *apperr.Invalid) {
	if v.DriverID == 0 {
		return
	}
	var op sql.NullInt64
	var cat QualificationCategory
	err := q.QueryRowContext(ctx, "SELECT operator_id, category FROM registry_practitioners WHERE id = $1", v.DriverID).Scan(&op, &cat)
	switch {
	case err != nil || op.Int64 != v.OperatorID:
		inv.Add("driver_id", "驾驶员不属于该业户 (no such practitioner of the vehicle's operator)", v.DriverID)
	case !driverQualifications[cat]:
		inv.Add("driver_id", "该从业人员没有驾驶员从业资格 (the practitioner holds no driver qualification)", v.DriverID)
	}
}

var practitionerKind = &kind[Practitioner]{
	t: practitioners,
	validate: func(v *Practitioner, inv *apperr.Invalid) {
		v.Gender, v.BirthDate = ValidatePractitioner(&v.PractitionerFields, inv)
	},
	refs: func(ctx context.Context, tx *sqldb.Tx, scope access.Scope, v *Practitioner, inv *apperr.Invalid) error {
		checkOperatorRef(ctx, tx, scope, "operator_id", v.OperatorID, inv)
		return checkUnique(ctx, tx, "registry_practitioners", "id_number", MaskIDNumber(v.IDNumber), v.ID, "id_number = $1", v.IDNumber)
	},
	inUse: func(ctx context.Context, q sqldb.Querier, v *Practitioner) error {
		return countRefs(ctx, q, "vehicles (主驾驶员)", "SELECT COUNT(*) FROM registry_vehicles WHERE driver_id = $1", v.ID)
	},
	summary: func(v *Practitioner) string { return v.Name + " " + MaskIDNumber(v.IDNumber) },
	mask:    func(v *Practitioner) { v.IDNumber = MaskIDNumber(v.IDNumber) },
}

var stationKind = &kind[Station]{
	t:        stations,
	validate: func(v *Station, inv *apperr.Invalid) { ValidateStation(&v.StationFields, inv) },
	refs: func(ctx context.Context, tx *sqldb.Tx, scope access.Scope, v *Station, inv *apperr.Invalid) error {
		checkOperatorRef(ctx, tx, scope, "operator_id", v.OperatorID, inv)
		return nil
	},
	inUse: func(ctx context.Context, q sqldb.Querier, v *Station) error {
		return countRefs(ctx, q, "routes", `SELECT COUNT(*) FROM registry_routes r WHERE r.origin_station_id = $1
			OR r.destination_station_id = $1 OR EXISTS (SELECT 1 FROM registry_route_stations s WHERE s.route_id = r.id AND s.station_id = $1)`, v.ID)
	},
	summary: func(v *Station) string { return v.Name },
}

var routeKind = &kind[Route]{
	t:        routes,
	validate: func(v *Route, inv *apperr.Invalid) { ValidateRoute(&v.RouteFields, inv) },
	refs: func(ctx context.Context, tx *sqldb.Tx, scope access.Scope, v *Route, inv *apperr.Invalid) error {
		checkOperatorRef(ctx, tx, scope, "operator_id", v.OperatorID, inv)
		// Stations are public facilities a line may reach in other regions:
		// they must exist, whoever's scope they are in.
		stationExists := func(field string, id int64) {
			var one int
			if err := tx.QueryRowContext(ctx, "SELECT 1 FROM registry_stations WHERE id = $1", id).Scan(&one); err != nil {
				inv.Add(field, "客运站不存在 (no such station)", id)
			}
		}
		stationExists("origin_station_id", v.OriginStationID)
		stationExists("destination_station_id", v.DestinationStationID)
		for i, id := range v.Stops {
			stationExists(fmt.Sprintf("stops[%d]", i), id)
		}
		for i, id := range v.VehicleIDs {
			var opID int64
			var cat VehicleCategory
			err := tx.QueryRowContext(ctx, "SELECT operator_id, category FROM registry_vehicles WHERE id = $1", id).Scan(&opID, &cat)
			field := fmt.Sprintf("vehicle_ids[%d]", i)
			switch {
			case err != nil || opID != v.OperatorID:
				inv.Add(field, "车辆不属于该业户 (no such vehicle of the route's operator)", id)
			case cat != CategoryCoach:
				inv.Add(field, "只能指派班线客车 (only coaches serve a scheduled route)", id)
			}
		}
		if inv.Err() != nil {
			return nil
		}
		return checkUnique(ctx, tx, "registry_routes", "code", v.Code, v.ID, "code = $1", v.Code)
	},
	afterWrite: func(ctx context.Context, tx *sqldb.Tx, v *Route) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM registry_route_stations WHERE route_id = $1", v.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM registry_route_vehicles WHERE route_id = $1", v.ID); err != nil {
			return err
		}
		seen := map[int64]bool{}
		for _, id := range v.Stops {
			if seen[id] {
				continue
			}
			seen[id] = true
			if _, err := tx.ExecContext(ctx, "INSERT INTO registry_route_stations (route_id, station_id) VALUES ($1, $2)", v.ID, id); err != nil {
				return err
			}
		}
		for _, id := range v.VehicleIDs {
			if _, err := tx.ExecContext(ctx, "INSERT INTO registry_route_vehicles (route_id, vehicle_id) VALUES ($1, $2)", v.ID, id); err != nil {
				return err
			}
		}
		return nil
	},
	summary: func(v *Route) string { return v.Code + " " + v.Name },
}

var vesselKind = &kind[Vessel]{
	t:        vessels,
	validate: func(v *Vessel, inv *apperr.Invalid) { ValidateVessel(&v.VesselFields, inv) },
	refs: func(ctx context.Context, tx *sqldb.Tx, scope access.Scope, v *Vessel, inv *apperr.Invalid) error {
		checkOperatorRef(ctx, tx, scope, "operator_id", v.OperatorID, inv)
		return checkUnique(ctx, tx, "registry_vessels", "mmsi", v.MMSI, v.ID, "mmsi = $1", v.MMSI)
	},
	summary: func(v *Vessel) string { return v.Name + " " + v.MMSI },
}

func maskJSON(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	if id, ok := m["id_number"].(string); ok {
		m["id_number"] = MaskIDNumber(id)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return b
}

// Operator returns the operator id as the principal in ctx may see it.
func (s *Service) Operator(ctx context.Context, id int64) (*Operator, error) {
	return operatorKind.get(ctx, s, id)
}

// Operators lists operators in the principal's scope matching f.
func (s *Service) Operators(ctx context.Context, f Filter) ([]Operator, int, error) {
	return operatorKind.list(ctx, s, f)
}

// CreateOperator registers an operator.
func (s *Service) CreateOperator(ctx context.Context, in OperatorFields) (*Operator, error) {
	return operatorKind.create(ctx, s, &Operator{OperatorFields: in})
}

// UpdateOperator replaces operator id's fields; ifMatch is the version read (0: any).
func (s *Service) UpdateOperator(ctx context.Context, id, ifMatch int64, in OperatorFields) (*Operator, error) {
	return operatorKind.update(ctx, s, id, ifMatch, &Operator{OperatorFields: in})
}

// DeleteOperator removes an operator nothing refers to any more.
func (s *Service) DeleteOperator(ctx context.Context, id int64) error {
	return operatorKind.delete(ctx, s, id)
}

// OperatorRegion returns an operator's region and name, whoever asks: iam
// uses it to give an enterprise user the scope of its enterprise.
func (s *Service) OperatorRegion(ctx context.Context, id int64) (region, name string, err error) {
	err = s.db.Read().QueryRowContext(ctx, "SELECT region, name FROM registry_operators WHERE id = $1", id).Scan(&region, &name)
	if err != nil {
		return "", "", fmt.Errorf("registry: operator region %d: %w", id, sqldb.MapError(err))
	}
	return region, name, nil
}

// Vehicle returns the vehicle id as the principal in ctx may see it.
func (s *Service) Vehicle(ctx context.Context, id int64) (*Vehicle, error) {
	return vehicleKind.get(ctx, s, id)
}

// Vehicles lists vehicles in the principal's scope matching f.
func (s *Service) Vehicles(ctx context.Context, f Filter) ([]Vehicle, int, error) {
	return vehicleKind.list(ctx, s, f)
}

// CreateVehicle registers a vehicle.
func (s *Service) CreateVehicle(ctx context.Context, in VehicleFields) (*Vehicle, error) {
	return vehicleKind.create(ctx, s, &Vehicle{VehicleFields: in})
}

// UpdateVehicle replaces vehicle id's fields; ifMatch is the version read (0: any).
func (s *Service) UpdateVehicle(ctx context.Context, id, ifMatch int64, in VehicleFields) (*Vehicle, error) {
	return vehicleKind.update(ctx, s, id, ifMatch, &Vehicle{VehicleFields: in})
}

// DeleteVehicle removes a vehicle no route refers to.
func (s *Service) DeleteVehicle(ctx context.Context, id int64) error {
	return vehicleKind.delete(ctx, s, id)
}

// Practitioner returns the practitioner id as the principal in ctx may see it.
func (s *Service) Practitioner(ctx context.Context, id int64) (*Practitioner, error) {
	return practitionerKind.get(ctx, s, id)
}

// Practitioners lists practitioners in the principal's scope matching f.
func (s *Service) Practitioners(ctx context.Context, f Filter) ([]Practitioner, int, error) {
	return practitionerKind.list(ctx, s, f)
}

// CreatePractitioner registers a practitioner.
func (s *Service) CreatePractitioner(ctx context.Context, in PractitionerFields) (*Practitioner, error) {
	return practitionerKind.create(ctx, s, &Practitioner{PractitionerFields: in})
}

// UpdatePractitioner replaces practitioner id's fields.
func (s *Service) UpdatePractitioner(ctx context.Context, id, ifMatch int64, in PractitionerFields) (*Practitioner, error) {
	return practitionerKind.update(ctx, s, id, ifMatch, &Practitioner{PractitionerFields: in})
}

// DeletePractitioner removes a practitioner.
func (s *Service) DeletePractitioner(ctx context.Context, id int64) error {
	return practitionerKind.delete(ctx, s, id)
}

// Station returns the station id as the principal in ctx may see it.
func (s *Service) Station(ctx context.Context, id int64) (*Station, error) {
	return stationKind.get(ctx, s, id)
}

// Stations lists stations in the principal's scope matching f.
func (s *Service) Stations(ctx context.Context, f Filter) ([]Station, int, error) {
	return stationKind.list(ctx, s, f)
}

// CreateStation registers a station.
func (s *Service) CreateStation(ctx context.Context, in StationFields) (*Station, error) {
	return stationKind.create(ctx, s, &Station{StationFields: in})
}

// UpdateStation replaces station id's fields.
func (s *Service) UpdateStation(ctx context.Context, id, ifMatch int64, in StationFields) (*Station, error) {
	return stationKind.update(ctx, s, id, ifMatch, &Station{StationFields: in})
}

// DeleteStation removes a station no route refers to.
func (s *Service) DeleteStation(ctx context.Context, id int64) error {
	return stationKind.delete(ctx, s, id)
}

// Route returns the route id as the principal in ctx may see it.
func (s *Service) Route(ctx context.Context, id int64) (*Route, error) {
	return routeKind.get(ctx, s, id)
}

// Routes lists routes in the principal's scope matching f.
func (s *Service) Routes(ctx context.Context, f Filter) ([]Route, int, error) {
	return routeKind.list(ctx, s, f)
}

// CreateRoute registers a route.
func (s *Service) CreateRoute(ctx context.Context, in RouteFields) (*Route, error) {
	return routeKind.create(ctx, s, &Route{RouteFields: in})
}

// UpdateRoute replaces route id's fields.
func (s *Service) UpdateRoute(ctx context.Context, id, ifMatch int64, in RouteFields) (*Route, error) {
	return routeKind.update(ctx, s, id, ifMatch, &Route{RouteFields: in})
}

// DeleteRoute removes a route.
func (s *Service) DeleteRoute(ctx context.Context, id int64) error {
	return routeKind.delete(ctx, s, id)
}

// Vessel returns the vessel id as the principal in ctx may see it.
func (s *Service) Vessel(ctx context.Context, id int64) (*Vessel, error) {
	return vesselKind.get(ctx, s, id)
}

// Vessels lists vessels in the principal's scope matching f.
func (s *Service) Vessels(ctx context.Context, f Filter) ([]Vessel, int, error) {
	return vesselKind.list(ctx, s, f)
}

// CreateVessel registers a vessel.
func (s *Service) CreateVessel(ctx context.Context, in VesselFields) (*Vessel, error) {
	return vesselKind.create(ctx, s, &Vessel{VesselFields: in})
}

// UpdateVessel replaces vessel id's fields.
func (s *Service) UpdateVessel(ctx context.Context, id, ifMatch int64, in VesselFields) (*Vessel, error) {
	return vesselKind.update(ctx, s, id, ifMatch, &Vessel{VesselFields: in})
}

// DeleteVessel removes a vessel.
func (s *Service) DeleteVessel(ctx context.Context, id int64) error {
	return vesselKind.delete(ctx, s, id)
}

// History returns the audit entries of one record ("operator", "vehicle",
// "practitioner", "station", "route" or "vessel"), newest first.
func (s *Service) History(ctx context.Context, entity string, id int64, limit, offset int) ([]audit.Entry, int, error) {
	switch strings.TrimSuffix(entity, "s") {
	case "operator":
		return operatorKind.history(ctx, s, id, limit, offset)
	case "vehicle":
		return vehicleKind.history(ctx, s, id, limit, offset)
	case "practitioner":
		return practitionerKind.history(ctx, s, id, limit, offset)
	case "station":
		return stationKind.history(ctx, s, id, limit, offset)
	case "route":
		return routeKind.history(ctx, s, id, limit, offset)
	case "vessel":
		return vesselKind.history(ctx, s, id, limit, offset)
	}
	return nil, 0, apperr.Field("entity", "unknown registry entity", entity)
}
