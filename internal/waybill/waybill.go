// Package waybill is the dangerous-goods road transport electronic waybill
// (危险货物道路运输电子运单): the carrier (承运人) writes a waybill for each
// trip of a dangerous-goods vehicle, issues it when everything is checked,
// and the waybill then follows the trip through loading, transit and
// delivery. The order of the six ministries (MOT 2019 No. 29) requires the
// waybill, one per vehicle and trip, kept at least 12 months.
//
// What the package guarantees:
//
//   - Issue checks the waybill against the registry and the UN list and
//     refuses it naming every violated rule (Rule*), so a clerk can fix all
//     of them at once.
//   - A vehicle has at most one active waybill (issued, loading, in transit):
//     a partial unique index enforces it, the service answers a clear 409.
//   - Every change is written to the audit log in the same transaction, with
//     optimistic concurrency (version / If-Match) like the registry.
//   - An issued waybill carries a token signed with the platform's SM2 key
//     (GB/T 32918); a roadside officer scans its QR code and the public page
//     shows the waybill's essential facts, or refuses an altered or forged
//     token.
//   - Waybills are never deleted: a draft that is not wanted is cancelled.
//     The package has no purge, so the 12-month retention always holds.
//
// Other modules use the root package only: Waybill and its State, and the
// Service methods Get, ActiveForVehicle, Transition, OnChange. The registry
// is read through the Registry interface, never through its tables.
package waybill

import (
	"embed"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

//go:embed migrations
var migrations embed.FS

// Module is the waybill schema, migrated at start-up with the others.
func Module() sqldb.Module {
	return sqldb.NewModule("waybill", migrations)
}

// State is where a waybill is in its life.
type State string

// Waybill states. The official status code list of the ministry's
// interface specification could not be read; these follow its workflow
// (一车一趟一派: written, issued, loaded, under way, delivered, or void).
const (
	StateDraft     State = "draft"      // 草稿: being written, not yet valid
	StateIssued    State = "issued"     // 已签发: checked and valid for the trip
	StateLoading   State = "loading"    // 装货中: at the loading place
	StateInTransit State = "in_transit" // 运输中: under way
	StateDelivered State = "delivered"  // 已送达: unloaded at the consignee
	StateCancelled State = "cancelled"  // 已作废: void
)

// States lists every state in workflow order.
var States = []State{StateDraft, StateIssued, StateLoading, StateInTransit, StateDelivered, StateCancelled}

var stateLabels = map[State]string{StateDraft: "草稿", StateIssued: "已签发", StateLoading: "装货中",
	StateInTransit: "运输中", StateDelivered: "已送达", StateCancelled: "已作废"}

// Label returns the state's Chinese name.
func (s State) Label() string { return stateLabels[s] }

// Valid reports whether s is a known state.
func (s State) Valid() bool { _, ok := stateLabels[s]; return ok }

// Active reports whether a waybill in state s holds its vehicle: only one
// waybill per vehicle may be active at a time.
func (s State) Active() bool {
	return s == StateIssued || s == StateLoading || s == StateInTransit
}

// transitions are the allowed state changes. Loading may be skipped
// (goods loaded before the waybill was issued, or a loading place that
// reports nothing); a trip under way can only end in delivery.
var transitions = map[State][]State{
	StateDraft:     {StateIssued, StateCancelled},
	StateIssued:    {StateLoading, StateInTransit, StateCancelled},
	StateLoading:   {StateInTransit, StateCancelled},
	StateInTransit: {StateDelivered},
}

// CanMove reports whether a waybill in state from may move to state to.
func CanMove(from, to State) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Party is a company or person named on the waybill: the shipper
// (托运人), the consignee (收货人) or the loader (装货人).
type Party struct {
	Name    string `json:"name" maxLength:"100"`
	Contact string `json:"contact,omitempty" maxLength:"50" doc:"contact person"`
	Phone   string `json:"phone,omitempty" maxLength:"30"`
}

// Contact is an emergency contact (应急联系人).
type Contact struct {
	Name  string `json:"name" minLength:"1" maxLength:"50"`
	Phone string `json:"phone" minLength:"1" maxLength:"30"`
	Role  string `json:"role,omitempty" maxLength:"50" doc:"e.g. 企业安全员, 托运人应急电话"`
}

// Unit is the unit of a goods line's quantity.
type Unit string

// Quantity units. Mass converts to kilograms; a volume converts only with
// the line's density, otherwise the load check cannot count it (see
// docs/waybill.md).
const (
	UnitKg    Unit = "kg"
	UnitTonne Unit = "t"
	UnitLitre Unit = "L"
	UnitCubic Unit = "m3"
)

var unitLabels = map[Unit]string{UnitKg: "千克", UnitTonne: "吨", UnitLitre: "升", UnitCubic: "立方米"}

// GoodsLine is one dangerous good on the waybill.
type GoodsLine struct {
	UNNumber     string  `json:"un_number" minLength:"4" maxLength:"6" doc:"UN number, 4 digits (UN prefix accepted)"`
	Name         string  `json:"name" minLength:"1" maxLength:"200" doc:"proper shipping name (危险货物品名)"`
	Class        string  `json:"class" maxLength:"4" doc:"GB 6944 class or division as declared, e.g. 2.1, 3, 8"`
	PackingGroup string  `json:"packing_group,omitempty" enum:",I,II,III" doc:"包装类别 I/II/III, as declared (not applicable to classes 2 and 7)"`
	Quantity     float64 `json:"quantity" minimum:"0" doc:"quantity in unit"`
	Unit         Unit    `json:"unit" enum:"kg,t,L,m3"`
	DensityKgL   float64 `json:"density_kg_per_l,omitempty" minimum:"0" doc:"density, kg per litre: lets the load check count a volume"`
	Packaging    string  `json:"packaging,omitempty" maxLength:"100" doc:"包装规格, e.g. 罐体, 200L钢桶"`
}

// Place is the loading or unloading place with its time window. Lon/Lat
// are WGS-84; RadiusM is how far from that point the vehicle still counts
// as being at the place.
type Place struct {
	Name        string    `json:"name" maxLength:"100"`
	Address     string    `json:"address,omitempty" maxLength:"200"`
	Region      string    `json:"region,omitempty" maxLength:"6" doc:"GB/T 2260 code of the place"`
	Lon         float64   `json:"lon" minimum:"-180" maximum:"180" doc:"WGS-84 longitude"`
	Lat         float64   `json:"lat" minimum:"-90" maximum:"90" doc:"WGS-84 latitude"`
	RadiusM     int       `json:"radius_m,omitempty" minimum:"0" maximum:"50000" doc:"default 500"`
	WindowStart time.Time `json:"window_start,omitzero" doc:"earliest planned arrival at the place"`
	WindowEnd   time.Time `json:"window_end,omitzero" doc:"latest planned departure from the place"`
	Contact     string    `json:"contact,omitempty" maxLength:"50"`
	Phone       string    `json:"phone,omitempty" maxLength:"30"`
}

// DefaultRadiusM is a place's radius when the waybill gives none.
const DefaultRadiusM = 500

// DefaultCorridorWidthM is the planned route's corridor when none is given.
const DefaultCorridorWidthM = 1000

// Route is the planned route: a WGS-84 polyline of [lon, lat] points and
// the width of the corridor around it the vehicle is expected to stay in.
type Route struct {
	Polyline       [][2]float64 `json:"polyline,omitempty" maxItems:"5000" doc:"[lon, lat] points, WGS-84"`
	CorridorWidthM int          `json:"corridor_width_m,omitempty" minimum:"0" maximum:"20000" doc:"full width of the corridor, default 1000"`
	DistanceKm     float64      `json:"distance_km,omitempty" minimum:"0"`
	Description    string       `json:"description,omitempty" maxLength:"500" doc:"route as words, e.g. 成绵高速-绕城高速"`
}

// Fields are what the carrier writes on a waybill: everything a create or
// an update of a draft sends.
type Fields struct {
	OperatorID        int64       `json:"operator_id" minimum:"1" doc:"carrier (承运人): the registry operator"`
	Shipper           Party       `json:"shipper" doc:"托运人"`
	Consignee         Party       `json:"consignee" doc:"收货人"`
	Loader            Party       `json:"loader,omitzero" doc:"装货人"`
	VehicleID         int64       `json:"vehicle_id" minimum:"1" doc:"vehicle or tractor (牵引车) in the registry"`
	TrailerID         int64       `json:"trailer_id,omitempty" minimum:"0" doc:"trailer (挂车) in the registry, 0: none"`
	DriverID          int64       `json:"driver_id,omitempty" minimum:"0" doc:"driver (驾驶员), a registry practitioner; required to issue"`
	EscortID          int64       `json:"escort_id,omitempty" minimum:"0" doc:"escort (押运员), a registry practitioner; required to issue"`
	Goods             []GoodsLine `json:"goods" minItems:"1" maxItems:"50"`
	Loading           Place       `json:"loading" doc:"装货地"`
	Unloading         Place       `json:"unloading" doc:"卸货地"`
	DepartureAt       time.Time   `json:"departure_at" doc:"planned departure (起运时间)"`
	ArrivalAt         time.Time   `json:"arrival_at" doc:"planned arrival"`
	Route             Route       `json:"route,omitzero" doc:"planned route"`
	EmergencyContacts []Contact   `json:"emergency_contacts,omitempty" maxItems:"10"`
	UrbanDistribution bool        `json:"urban_distribution,omitempty" doc:"城市配送"`
	WasteManifestNo   string      `json:"waste_manifest_no,omitempty" maxLength:"50" doc:"危险废物转移联单号 (hazardous waste)"`
	Dispatcher        string      `json:"dispatcher,omitempty" maxLength:"50" doc:"调度人"`
	Remarks           string      `json:"remarks,omitempty" maxLength:"500"`
}

// Finding is one rule a waybill breaks (or, for warnings, one thing the
// checks could not verify). Field is the waybill field it concerns.
type Finding struct {
	Rule    Rule   `json:"rule"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Waybill is a dangerous-goods electronic waybill.
//
// For the live cross-checks (W2) the stable fields are: ID, Number, State,
// VehicleID, TrailerID, OperatorID, Region, Loading and Unloading (name,
// address, Lon/Lat WGS-84, RadiusM, WindowStart/WindowEnd), Route.Polyline
// with Route.CorridorWidthM, DepartureAt and ArrivalAt.
type Waybill struct {
	ID         int64  `json:"id" readOnly:"true"`
	Version    int64  `json:"version" readOnly:"true" doc:"incremented by every change; send it back in If-Match"`
	Number     string `json:"number" readOnly:"true" doc:"电子运单编号: carrier region, creation date (CST) and id"`
	State      State  `json:"state" readOnly:"true" enum:"draft,issued,loading,in_transit,delivered,cancelled"`
	StateLabel string `json:"state_label" readOnly:"true"`
	Region     string `json:"region" readOnly:"true" doc:"the carrier's GB/T 2260 region; places the waybill in data scopes"`
	Fields
	OperatorName   string    `json:"operator_name" readOnly:"true"`
	Plate          string    `json:"plate" readOnly:"true"`
	TrailerPlate   string    `json:"trailer_plate,omitempty" readOnly:"true"`
	DriverName     string    `json:"driver_name,omitempty" readOnly:"true"`
	EscortName     string    `json:"escort_name,omitempty" readOnly:"true"`
	Warnings       []Finding `json:"warnings,omitempty" readOnly:"true" doc:"what the checks at issue could not verify"`
	CancelReason   string    `json:"cancel_reason,omitempty" readOnly:"true"`
	Token          string    `json:"token,omitempty" readOnly:"true" doc:"SM2-signed verification token (issued waybills)"`
	IssuedAt       time.Time `json:"issued_at,omitzero" readOnly:"true"`
	StateChangedAt time.Time `json:"state_changed_at" readOnly:"true"`
	CreatedAt      time.Time `json:"created_at" readOnly:"true"`
	UpdatedAt      time.Time `json:"updated_at" readOnly:"true"`
}

// UNNumbers returns the waybill's UN numbers in line order, without repeats.
func (w *Waybill) UNNumbers() []string {
	var out []string
	seen := map[string]bool{}
	for _, g := range w.Goods {
		if !seen[g.UNNumber] {
			seen[g.UNNumber] = true
			out = append(out, g.UNNumber)
		}
	}
	return out
}

// Event tells subscribers (OnChange) that a waybill changed: created,
// updated, or moved from one state to another (From == To for edits).
type Event struct {
	ID        int64
	Number    string
	VehicleID int64
	From, To  State
	At        time.Time
}
