package waybill

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// serviceTrips is the TripSource of the running platform: the waybill
// service itself, plus the delivery proposals the cross-checks record.
type serviceTrips struct {
	s  *Service
	db *sqldb.DB
}

// TripsOf adapts the waybill service to the cross-checks:
//
//   - the active waybill of a vehicle is Service.ActiveForVehicle;
//   - a departure moves an issued or loading waybill to in_transit
//     (Transition as the system principal, noted as automatic);
//   - an arrival does not deliver: whether the goods were handed over is
//     the consignee's word, not the GNSS's. It records a delivery proposal
//     (DeliveryProposals) that the carrier confirms by moving the waybill
//     to delivered.
func TripsOf(s *Service, db *sqldb.DB) TripSource { return serviceTrips{s: s, db: db} }

func (t serviceTrips) ActiveTrip(ctx context.Context, vehicleID int64) (*TripView, error) {
	w, err := t.s.ActiveForVehicle(ctx, vehicleID)
	if err != nil || w == nil {
		return nil, err
	}
	return TripViewOf(w), nil
}

// Departure and arrival notes in the waybill's history.
const (
	noteDeparted = "自动：车辆载货驶离装货地 (cross-check: left the loading place loaded)"
	noteArrived  = "到达卸货地，建议确认送达 (cross-check: arrived at the unloading place)"
)

func (t serviceTrips) Departed(ctx context.Context, trip *TripView, at time.Time) error {
	_, err := t.s.Transition(access.With(ctx, access.System), trip.WaybillID, StateInTransit,
		noteDeparted+" "+at.In(civil.CST).Format(time.DateTime))
	if errors.Is(err, apperr.ErrConflict) {
		return nil // moved meanwhile (by hand, or before a restart)
	}
	return err
}

func (t serviceTrips) Arrived(ctx context.Context, trip *TripView, at time.Time) error {
	err := t.db.InTx(ctx, func(tx *sqldb.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO waybill_delivery_proposals (waybill_id, number, vehicle_id, region, operator_id, arrived_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (waybill_id) DO NOTHING`,
			trip.WaybillID, trip.Number, trip.VehicleID, trip.Region, trip.OperatorID, at.UnixMilli(), time.Now().UnixMilli())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // proposed before
		}
		// In the waybill's history, next to its state changes.
		return audit.Record(access.With(ctx, access.System), tx, audit.Change{Action: "propose_delivery", Entity: "waybill",
			EntityID: trip.WaybillID, Region: trip.Region, OperatorID: trip.OperatorID,
			Summary: fmt.Sprintf("%s %s %s", trip.Number, noteArrived, at.In(civil.CST).Format(time.DateTime)),
			After:   map[string]any{"arrived_at": at.UTC(), "unloading": trip.Unloading.Name}})
	})
	if err != nil {
		return fmt.Errorf("waybill: record delivery proposal: %w", err)
	}
	return nil
}

// TripViewOf is the cross-checks' view of a waybill.
func TripViewOf(w *Waybill) *TripView {
	place := func(p Place) PlaceView {
		r := float64(p.RadiusM)
		if r <= 0 {
			r = DefaultRadiusM
		}
		return PlaceView{Name: p.Name, Lon: p.Lon, Lat: p.Lat, RadiusM: r, From: p.WindowStart, To: p.WindowEnd}
	}
	tv := &TripView{WaybillID: w.ID, Number: w.Number, State: string(w.State), VehicleID: w.VehicleID, TrailerID: w.TrailerID,
		OperatorID: w.OperatorID, Region: w.Region, Loading: place(w.Loading), Unloading: place(w.Unloading),
		Route: w.Route.Polyline, CorridorM: float64(w.Route.CorridorWidthM), PlannedDeparture: w.DepartureAt, PlannedArrival: w.ArrivalAt}
	if tv.CorridorM <= 0 && len(tv.Route) >= 2 {
		tv.CorridorM = DefaultCorridorWidthM
	}
	return tv
}

// DeliveryProposal says a vehicle stopped at the unloading place of its
// waybill: the carrier should confirm the delivery (in_transit → delivered).
type DeliveryProposal struct {
	WaybillID  int64     `json:"waybill_id"`
	Number     string    `json:"number"`
	VehicleID  int64     `json:"vehicle_id"`
	Region     string    `json:"region"`
	OperatorID int64     `json:"operator_id"`
	ArrivedAt  time.Time `json:"arrived_at" doc:"device time the vehicle stopped at the unloading place"`
}

// DeliveryProposals lists the recorded arrivals in the caller's scope,
// newest first (at most limit).
func (c *CrossChecks) DeliveryProposals(ctx context.Context, limit int) ([]DeliveryProposal, error) {
	p, err := access.Require(ctx, access.PermWaybillRead)
	if err != nil {
		return nil, err
	}
	args := []any{p.Scope.RegionPrefix() + "%"}
	where := `region LIKE $1`
	if p.Scope.OperatorID != 0 {
		args = append(args, p.Scope.OperatorID)
		where += ` AND operator_id = $2`
	}
	args = append(args, limit)
	rows, err := c.db.Read().QueryContext(ctx, fmt.Sprintf(`SELECT waybill_id, number, vehicle_id, region, operator_id, arrived_at
		FROM waybill_delivery_proposals WHERE %s ORDER BY arrived_at DESC, waybill_id DESC LIMIT $%d`, where, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("waybill: delivery proposals: %w", err)
	}
	defer rows.Close()
	out := []DeliveryProposal{}
	for rows.Next() {
		var d DeliveryProposal
		var at int64
		if err := rows.Scan(&d.WaybillID, &d.Number, &d.VehicleID, &d.Region, &d.OperatorID, &at); err != nil {
			return nil, fmt.Errorf("waybill: delivery proposals: %w", err)
		}
		d.ArrivedAt = sqldb.FromMillis(at)
		out = append(out, d)
	}
	return out, rows.Err()
}
