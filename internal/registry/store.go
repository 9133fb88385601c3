package registry

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// table describes how one record type maps onto its SQL table, so the
// statements shared by every entity (get, list, insert, update, delete) are
// written once. Column names never come from clients: filters and sorts map
// API names to these constants.
type table[T any] struct {
	entity string // audit entity and error noun: "vehicle"
	name   string // SQL table
	cols   []string
	// args returns the values of cols for v, in order.
	args func(v *T) []any
	// dest returns scan targets for cols, in order.
	dest func(v *T) []any
	meta func(v *T) *Meta
	// owner returns the region and operator that place v in a data scope.
	owner func(v *T) (region string, operatorID int64)
	// ownerCol is the column compared with Scope.OperatorID ("operator_id",
	// or "id" for operators themselves).
	ownerCol string
	// search lists the columns q matches (substring, case-insensitive).
	search []string
	// categoryCol, statusCol and expiryCol back the matching filters ("" when
	// the entity has none).
	categoryCol, statusCol, expiryCol string
	// categoryJSON says the category column holds a JSON list (scopes).
	categoryJSON bool
	sorts        map[string]string
	defaultSort  string
}

func (t *table[T]) selectSQL() string {
	return "SELECT id, version, created_at, updated_at, " + strings.Join(t.cols, ", ") + " FROM " + t.name
}

func (t *table[T]) scanDest(v *T) []any {
	m := t.meta(v)
	return append([]any{&m.ID, &m.Version, millis{&m.CreatedAt}, millis{&m.UpdatedAt}}, t.dest(v)...)
}

func (t *table[T]) insertSQL() string {
	ph := make([]string, len(t.cols)+2)
	for i := range ph {
		ph[i] = "$" + strconv.Itoa(i+1)
	}
	return "INSERT INTO " + t.name + " (created_at, updated_at, " + strings.Join(t.cols, ", ") +
		") VALUES (" + strings.Join(ph, ", ") + ") RETURNING id"
}

func (t *table[T]) updateSQL() string {
	set := make([]string, len(t.cols))
	for i, c := range t.cols {
		set[i] = c + " = $" + strconv.Itoa(i+2)
	}
	n := len(t.cols) + 2
	return "UPDATE " + t.name + " SET version = version + 1, updated_at = $1, " + strings.Join(set, ", ") +
		" WHERE id = $" + strconv.Itoa(n) + " AND version = $" + strconv.Itoa(n+1)
}

// get reads one record by id through q.
func (t *table[T]) get(ctx context.Context, q sqldb.Querier, id int64) (*T, error) {
	v := new(T)
	err := q.QueryRowContext(ctx, t.selectSQL()+" WHERE id = $1", id).Scan(t.scanDest(v)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound(t.entity, id)
	}
	if err != nil {
		return nil, fmt.Errorf("registry: get %s %d: %w", t.entity, id, err)
	}
	return v, nil
}

// insert writes v, setting its id, version and timestamps.
func (t *table[T]) insert(ctx context.Context, q sqldb.Querier, v *T, now time.Time) error {
	m := t.meta(v)
	ms := now.UnixMilli()
	args := append([]any{ms, ms}, t.args(v)...)
	if err := q.QueryRowContext(ctx, t.insertSQL(), args...).Scan(&m.ID); err != nil {
		return err
	}
	m.Version, m.CreatedAt, m.UpdatedAt = 1, sqldb.FromMillis(ms), sqldb.FromMillis(ms)
	return nil
}

// update writes v over the stored record of the same id when that record is
// still at version; it returns a conflict otherwise.
func (t *table[T]) update(ctx context.Context, q sqldb.Querier, v *T, version int64, now time.Time) error {
	m := t.meta(v)
	ms := now.UnixMilli()
	args := append([]any{ms}, t.args(v)...)
	args = append(args, m.ID, version)
	res, err := q.ExecContext(ctx, t.updateSQL(), args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return apperr.Conflict(fmt.Sprintf("%s %d was changed by someone else (version %d is stale); reload and retry", t.entity, m.ID, version))
	}
	m.Version, m.UpdatedAt = version+1, sqldb.FromMillis(ms)
	return nil
}

// where builds the WHERE clause of a list: the data scope first, then the
// filters. Values are always parameters.
func (t *table[T]) where(d sqldb.Dialect, scope access.Scope, f Filter) (string, []any, error) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if p := scope.RegionPrefix(); p != "" {
		conds = append(conds, "region LIKE "+arg(p+"%"))
	}
	if scope.OperatorID != 0 {
		conds = append(conds, t.ownerCol+" = "+arg(scope.OperatorID))
	}
	if f.Region != "" {
		conds = append(conds, "region LIKE "+arg(access.RegionPrefix(f.Region)+"%"))
	}
	if f.OperatorID != 0 {
		conds = append(conds, t.ownerCol+" = "+arg(f.OperatorID))
	}
	if f.Status != "" {
		if t.statusCol == "" {
			return "", nil, apperr.Field("query.status", t.entity+" records have no status", f.Status)
		}
		conds = append(conds, t.statusCol+" = "+arg(f.Status))
	}
	if f.Category != "" {
		switch {
		case t.categoryCol == "":
			return "", nil, apperr.Field("query.category", t.entity+" records have no category", f.Category)
		case t.categoryJSON:
			conds = append(conds, t.categoryCol+" LIKE "+arg(`%"`+escapeLike(f.Category)+`"%`)+" ESCAPE '\\'")
		default:
			conds = append(conds, t.categoryCol+" = "+arg(f.Category))
		}
	}
	if f.ExpiringWithinDays > 0 {
		if t.expiryCol == "" {
			return "", nil, apperr.Field("query.licence_expiring_within_days", t.entity+" records carry no licence", f.ExpiringWithinDays)
		}
		until := civil.Today().AddDays(f.ExpiringWithinDays).String()
		conds = append(conds, t.expiryCol+" IS NOT NULL AND "+t.expiryCol+" <= "+arg(until))
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		n := arg("%" + escapeLike(q) + "%")
		var ors []string
		for _, c := range t.search {
			ors = append(ors, c+" "+d.ILike()+" "+n+" ESCAPE '\\'")
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// orderBy maps the API sort parameter onto columns.
func (t *table[T]) orderBy(sort string) (string, error) {
	return sqldb.OrderBy(sort, t.sorts, t.defaultSort)
}

// list returns one page of records in scope matching f, and the total.
func (t *table[T]) list(ctx context.Context, db *sqldb.DB, scope access.Scope, f Filter) ([]T, int, error) {
	where, args, err := t.where(db.Dialect(), scope, f)
	if err != nil {
		return nil, 0, err
	}
	order, err := t.orderBy(f.Sort)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := db.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t.name+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("registry: count %s: %w", t.entity, err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	query := t.selectSQL() + where + " ORDER BY " + order + " LIMIT " + strconv.Itoa(limit) + " OFFSET " + strconv.Itoa(max(f.Offset, 0))
	out, err := t.query(ctx, db.Read(), query, args...)
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// each streams every record in scope matching f (exports), in order.
func (t *table[T]) each(ctx context.Context, db *sqldb.DB, scope access.Scope, f Filter, fn func(*T) error) error {
	where, args, err := t.where(db.Dialect(), scope, f)
	if err != nil {
		return err
	}
	order, err := t.orderBy(f.Sort)
	if err != nil {
		return err
	}
	rows, err := db.Read().QueryContext(ctx, t.selectSQL()+where+" ORDER BY "+order, args...)
	if err != nil {
		return fmt.Errorf("registry: export %s: %w", t.entity, err)
	}
	defer rows.Close()
	for rows.Next() {
		v := new(T)
		if err := rows.Scan(t.scanDest(v)...); err != nil {
			return fmt.Errorf("registry: export %s: %w", t.entity, err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (t *table[T]) query(ctx context.Context, q sqldb.Querier, query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("registry: list %s: %w", t.entity, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(t.scanDest(&v)...); err != nil {
			return nil, fmt.Errorf("registry: list %s: %w", t.entity, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// millis scans a Unix-millisecond column into a time.
type millis struct{ t *time.Time }

func (m millis) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*m.t = sqldb.FromMillis(v)
	case nil:
		*m.t = time.Time{}
	default:
		return fmt.Errorf("registry: cannot scan %T as a timestamp", src)
	}
	return nil
}

// jsonCol stores a Go value as JSON text and scans it back.
type jsonCol struct{ v any }

func (j jsonCol) Value() (driver.Value, error) {
	b, err := json.Marshal(j.v)
	if err != nil {
		return nil, err
	}
	if string(b) == "null" {
		return nil, nil
	}
	return string(b), nil
}

func (j jsonCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		return json.Unmarshal([]byte(v), j.v)
	case []byte:
		return json.Unmarshal(v, j.v)
	}
	return fmt.Errorf("registry: cannot scan %T as JSON", src)
}

// jsonList stores a list as JSON text, nil as "[]" (the column is NOT NULL).
type jsonList struct{ v []string }

func (j jsonList) Value() (driver.Value, error) {
	if j.v == nil {
		return "[]", nil
	}
	b, err := json.Marshal(j.v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// classList scans a JSON list of hazmat classes; an empty list reads as nil
// (what a record without classes was written with).
type classList struct{ p *[]string }

func (c classList) Scan(src any) error {
	var l []string
	if err := (jsonCol{&l}).Scan(src); err != nil {
		return err
	}
	if len(l) == 0 {
		l = nil
	}
	*c.p = l
	return nil
}

// optID stores 0 as NULL, for optional references to an operator.
type optID struct{ p *int64 }

func (o optID) Value() (driver.Value, error) {
	if *o.p == 0 {
		return nil, nil
	}
	return *o.p, nil
}

func (o optID) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*o.p = 0
	case int64:
		*o.p = v
	default:
		return fmt.Errorf("registry: cannot scan %T as an id", src)
	}
	return nil
}

// optText stores "" as NULL, for unique columns that may be empty (terminal phone).
type optText struct{ p *string }

func (o optText) Value() (driver.Value, error) {
	if *o.p == "" {
		return nil, nil
	}
	return *o.p, nil
}

func (o optText) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*o.p = ""
	case string:
		*o.p = v
	case []byte:
		*o.p = string(v)
	default:
		return fmt.Errorf("registry: cannot scan %T as text", src)
	}
	return nil
}

var operators = &table[Operator]{
	entity: "operator",
	name:   "registry_operators",
	cols: []string{"name", "credit_code", "region", "scopes", "licence_no", "licence_issued", "licence_valid_until",
		"legal_representative", "contact_person", "contact_phone", "address", "status", "hazmat_classes"},
	args: func(v *Operator) []any {
		return []any{v.Name, v.CreditCode, v.Region, jsonCol{v.Scopes}, v.LicenceNo, v.LicenceIssued, v.LicenceValidUntil,
			v.LegalRepresentative, v.ContactPerson, v.ContactPhone, v.Address, string(v.Status), jsonList{v.HazmatClasses}}
	},
	dest: func(v *Operator) []any {
		return []any{&v.Name, &v.CreditCode, &v.Region, jsonCol{&v.Scopes}, &v.LicenceNo, &v.LicenceIssued, &v.LicenceValidUntil,
			&v.LegalRepresentative, &v.ContactPerson, &v.ContactPhone, &v.Address, &v.Status, classList{&v.HazmatClasses}}
	},
	meta:        func(v *Operator) *Meta { return &v.Meta },
	owner:       func(v *Operator) (string, int64) { return v.Region, v.ID },
	ownerCol:    "id",
	search:      []string{"name", "credit_code", "licence_no", "contact_person"},
	categoryCol: "scopes", categoryJSON: true, statusCol: "status", expiryCol: "licence_valid_until",
	sorts: map[string]string{"id": "id", "name": "name", "credit_code": "credit_code", "region": "region",
		"licence_valid_until": "licence_valid_until", "created_at": "created_at", "updated_at": "updated_at"},
	defaultSort: "id",
}

var vehicles = &table[Vehicle]{
	entity: "vehicle",
	name:   "registry_vehicles",
	cols: []string{"plate", "plate_color", "vin", "vehicle_type", "category", "seats", "rated_load_kg", "axles",
		"operator_id", "region", "transport_cert_no", "transport_cert_valid_until", "terminal_phone", "terminal_id",
		"terminal_model", "terminal_maker", "status", "driver_id", "hazmat_classes"},
	args: func(v *Vehicle) []any {
		return []any{v.Plate, int(v.PlateColor), v.VIN, v.VehicleType, string(v.Category), v.Seats, v.RatedLoadKg, v.Axles,
			v.OperatorID, v.Region, v.TransportCertNo, v.TransportCertUntil, optText{&v.TerminalPhone}, v.TerminalID,
			v.TerminalModel, v.TerminalMaker, string(v.Status), optID{&v.DriverID}, jsonList{v.HazmatClasses}}
	},
	dest: func(v *Vehicle) []any {
		return []any{&v.Plate, &v.PlateColor, &v.VIN, &v.VehicleType, &v.Category, &v.Seats, &v.RatedLoadKg, &v.Axles,
			&v.OperatorID, &v.Region, &v.TransportCertNo, &v.TransportCertUntil, optText{&v.TerminalPhone}, &v.TerminalID,
			&v.TerminalModel, &v.TerminalMaker, &v.Status, optID{&v.DriverID}, classList{&v.HazmatClasses}}
	},
	meta:        func(v *Vehicle) *Meta { return &v.Meta },
	owner:       func(v *Vehicle) (string, int64) { return v.Region, v.OperatorID },
	ownerCol:    "operator_id",
	search:      []string{"plate", "vin", "terminal_phone", "transport_cert_no", "terminal_id"},
	categoryCol: "category", statusCol: "status", expiryCol: "transport_cert_valid_until",
	sorts: map[string]string{"id": "id", "plate": "plate", "vin": "vin", "category": "category", "region": "region",
		"operator_id": "operator_id", "transport_cert_valid_until": "transport_cert_valid_until",
		"created_at": "created_at", "updated_at": "updated_at"},
	defaultSort: "id",
}

var practitioners = &table[Practitioner]{
	entity: "practitioner",
	name:   "registry_practitioners",
	cols: []string{"name", "id_number", "gender", "birth_date", "phone", "cert_no", "category", "cert_valid_until",
		"operator_id", "region"},
	args: func(v *Practitioner) []any {
		return []any{v.Name, v.IDNumber, string(v.Gender), v.BirthDate, v.Phone, v.CertNo, string(v.Category), v.CertUntil,
			optID{&v.OperatorID}, v.Region}
	},
	dest: func(v *Practitioner) []any {
		return []any{&v.Name, &v.IDNumber, &v.Gender, &v.BirthDate, &v.Phone, &v.CertNo, &v.Category, &v.CertUntil,
			optID{&v.OperatorID}, &v.Region}
	},
	meta:        func(v *Practitioner) *Meta { return &v.Meta },
	owner:       func(v *Practitioner) (string, int64) { return v.Region, v.OperatorID },
	ownerCol:    "operator_id",
	search:      []string{"name", "id_number", "cert_no", "phone"},
	categoryCol: "category", expiryCol: "cert_valid_until",
	sorts: map[string]string{"id": "id", "name": "name", "category": "category", "region": "region",
		"cert_valid_until": "cert_valid_until", "created_at": "created_at", "updated_at": "updated_at"},
	defaultSort: "id",
}

var stations = &table[Station]{
	entity: "station",
	name:   "registry_stations",
	cols:   []string{"name", "level", "address", "lon", "lat", "operator_id", "region", "contact_person", "contact_phone"},
	args: func(v *Station) []any {
		return []any{v.Name, string(v.Level), v.Address, v.Lon, v.Lat, optID{&v.OperatorID}, v.Region, v.ContactPerson, v.ContactPhone}
	},
	dest: func(v *Station) []any {
		return []any{&v.Name, &v.Level, &v.Address, &v.Lon, &v.Lat, optID{&v.OperatorID}, &v.Region, &v.ContactPerson, &v.ContactPhone}
	},
	meta:        func(v *Station) *Meta { return &v.Meta },
	owner:       func(v *Station) (string, int64) { return v.Region, v.OperatorID },
	ownerCol:    "operator_id",
	search:      []string{"name", "address"},
	categoryCol: "level",
	sorts: map[string]string{"id": "id", "name": "name", "level": "level", "region": "region",
		"created_at": "created_at", "updated_at": "updated_at"},
	defaultSort: "id",
}

var routes = &table[Route]{
	entity: "route",
	name:   "registry_routes",
	cols: []string{"code", "name", "operator_id", "region", "origin_station_id", "destination_station_id", "stops",
		"corridor", "corridor_width_m", "distance_km", "line_class", "vehicle_ids", "schedule", "valid_from", "valid_until"},
	args: func(v *Route) []any {
		return []any{v.Code, v.Name, v.OperatorID, v.Region, v.OriginStationID, v.DestinationStationID, jsonCol{v.Stops},
			jsonCol{v.Corridor}, v.CorridorWidthM, v.DistanceKm, string(v.LineClass), jsonCol{v.VehicleIDs}, jsonCol{v.Schedule},
			v.ValidFrom, v.ValidUntil}
	},
	dest: func(v *Route) []any {
		return []any{&v.Code, &v.Name, &v.OperatorID, &v.Region, &v.OriginStationID, &v.DestinationStationID, jsonCol{&v.Stops},
			jsonCol{&v.Corridor}, &v.CorridorWidthM, &v.DistanceKm, &v.LineClass, jsonCol{&v.VehicleIDs}, jsonCol{&v.Schedule},
			&v.ValidFrom, &v.ValidUntil}
	},
	meta:        func(v *Route) *Meta { return &v.Meta },
	owner:       func(v *Route) (string, int64) { return v.Region, v.OperatorID },
	ownerCol:    "operator_id",
	search:      []string{"code", "name"},
	categoryCol: "line_class", expiryCol: "valid_until",
	sorts: map[string]string{"id": "id", "code": "code", "name": "name", "region": "region",
		"created_at": "created_at", "updated_at": "updated_at"},
	defaultSort: "id",
}

var vessels = &table[Vessel]{
	entity: "vessel",
	name:   "registry_vessels",
	cols:   []string{"name", "mmsi", "imo", "call_sign", "vessel_type", "gross_tonnage", "operator_id", "port_of_registry", "region"},
	args: func(v *Vessel) []any {
		return []any{v.Name, v.MMSI, v.IMO, v.CallSign, v.VesselType, v.GrossTonnage, optID{&v.OperatorID}, v.PortOfRegistry, v.Region}
	},
	dest: func(v *Vessel) []any {
		return []any{&v.Name, &v.MMSI, &v.IMO, &v.CallSign, &v.VesselType, &v.GrossTonnage, optID{&v.OperatorID}, &v.PortOfRegistry, &v.Region}
	},
	meta:        func(v *Vessel) *Meta { return &v.Meta },
	owner:       func(v *Vessel) (string, int64) { return v.Region, v.OperatorID },
	ownerCol:    "operator_id",
	search:      []string{"name", "mmsi", "call_sign", "imo"},
	categoryCol: "vessel_type",
	sorts: map[string]string{"id": "id", "name": "name", "mmsi": "mmsi", "region": "region",
		"created_at": "created_at", "updated_at": "updated_at"},
	defaultSort: "id",
}
