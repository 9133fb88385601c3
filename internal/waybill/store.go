package waybill

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
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

const selectCols = `SELECT id, version, number, state, region, token, issued_at, state_changed_at, created_at, updated_at, body FROM waybills`

// activeStates is the SQL list of the states that hold a vehicle; it must
// match the partial unique index of the migration.
const activeStates = `('issued', 'loading', 'in_transit')`

func scanWaybill(row interface{ Scan(...any) error }) (*Waybill, error) {
	var w Waybill
	var body string
	var issued sql.NullInt64
	var changed, created, updated int64
	if err := row.Scan(&w.ID, &w.Version, &w.Number, &w.State, &w.Region, &w.Token, &issued, &changed, &created, &updated, &body); err != nil {
		return nil, err
	}
	id, version, number, state, reg, token := w.ID, w.Version, w.Number, w.State, w.Region, w.Token
	if err := json.Unmarshal([]byte(body), &w); err != nil {
		return nil, fmt.Errorf("waybill %d: body: %w", id, err)
	}
	w.ID, w.Version, w.Number, w.State, w.Region, w.Token = id, version, number, state, reg, token
	w.StateLabel = w.State.Label()
	w.IssuedAt = time.Time{}
	if issued.Valid {
		w.IssuedAt = sqldb.FromMillis(issued.Int64)
	}
	w.StateChangedAt, w.CreatedAt, w.UpdatedAt = sqldb.FromMillis(changed), sqldb.FromMillis(created), sqldb.FromMillis(updated)
	return &w, nil
}

func getWaybill(ctx context.Context, q sqldb.Querier, id int64) (*Waybill, error) {
	w, err := scanWaybill(q.QueryRowContext(ctx, selectCols+" WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound("waybill", id)
	}
	if err != nil {
		return nil, fmt.Errorf("waybill: get %d: %w", id, err)
	}
	return w, nil
}

func bodyOf(w *Waybill) (string, error) {
	b, err := json.Marshal(w)
	return string(b), err
}

func millisOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// insertWaybill writes a new waybill, giving it its id and number.
func insertWaybill(ctx context.Context, tx *sqldb.Tx, w *Waybill, now time.Time) error {
	ms := now.UnixMilli()
	w.Version, w.CreatedAt, w.UpdatedAt, w.StateChangedAt = 1, sqldb.FromMillis(ms), sqldb.FromMillis(ms), sqldb.FromMillis(ms)
	body, err := bodyOf(w)
	if err != nil {
		return err
	}
	// The number needs the id: a unique placeholder first.
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	tmp := "tmp-" + hex.EncodeToString(rnd[:])
	err = tx.QueryRowContext(ctx, `INSERT INTO waybills (version, number, state, operator_id, region, vehicle_id, trailer_id, plate,
		trailer_plate, operator_name, departure_at, arrival_at, issued_at, state_changed_at, created_at, updated_at, token, body)
		VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, $12, $12, $12, '', $13) RETURNING id`,
		tmp, string(w.State), w.OperatorID, w.Region, w.VehicleID, w.TrailerID, w.Plate, w.TrailerPlate, w.OperatorName,
		w.DepartureAt.UnixMilli(), w.ArrivalAt.UnixMilli(), ms, body).Scan(&w.ID)
	if err != nil {
		return err
	}
	w.Number = fmt.Sprintf("%s%s%06d", w.Region, civil.Of(now.In(civil.CST)).Time(time.UTC).Format("20060102"), w.ID)
	if _, err := tx.ExecContext(ctx, "UPDATE waybills SET number = $1 WHERE id = $2", w.Number, w.ID); err != nil {
		return err
	}
	return writeGoods(ctx, tx, w)
}

// updateWaybill writes w over the stored row when it is still at version.
func updateWaybill(ctx context.Context, tx *sqldb.Tx, w *Waybill, version int64, now time.Time) error {
	ms := now.UnixMilli()
	w.UpdatedAt = sqldb.FromMillis(ms)
	w.Version = version + 1
	body, err := bodyOf(w)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE waybills SET version = version + 1, state = $1, operator_id = $2, region = $3, vehicle_id = $4,
		trailer_id = $5, plate = $6, trailer_plate = $7, operator_name = $8, departure_at = $9, arrival_at = $10, issued_at = $11,
		state_changed_at = $12, updated_at = $13, token = $14, body = $15 WHERE id = $16 AND version = $17`,
		string(w.State), w.OperatorID, w.Region, w.VehicleID, w.TrailerID, w.Plate, w.TrailerPlate, w.OperatorName,
		w.DepartureAt.UnixMilli(), w.ArrivalAt.UnixMilli(), millisOrNull(w.IssuedAt), w.StateChangedAt.UnixMilli(), ms, w.Token, body,
		w.ID, version)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return apperr.Conflict(fmt.Sprintf("waybill %d was changed by someone else (version %d is stale); reload and retry", w.ID, version))
	}
	return writeGoods(ctx, tx, w)
}

func writeGoods(ctx context.Context, tx *sqldb.Tx, w *Waybill) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM waybill_goods WHERE waybill_id = $1", w.ID); err != nil {
		return err
	}
	for i, g := range w.Goods {
		class := g.Class
		if e := LookupUN(g.UNNumber); e != nil && e.InUse && classMatches(g.Class, e) && len(e.Division) > len(class) {
			class = e.Division
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO waybill_goods (waybill_id, line, un_number, class) VALUES ($1, $2, $3, $4)",
			w.ID, i, g.UNNumber, class); err != nil {
			return err
		}
	}
	return nil
}

// Filter selects waybills of a list, an export or the statistics. Zero
// fields do not filter.
type Filter struct {
	Q          string // number, plate, carrier name
	State      State
	OperatorID int64
	VehicleID  int64  // vehicle or trailer
	Plate      string // substring of the vehicle's or trailer's plate
	UNNumber   string
	Region     string // subtree
	From, To   civil.Date
	Sort       string
	Limit      int
	Offset     int
}

var sorts = map[string]string{"id": "id", "number": "number", "state": "state", "departure_at": "departure_at",
	"arrival_at": "arrival_at", "created_at": "created_at", "updated_at": "updated_at", "plate": "plate", "operator_id": "operator_id"}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// where builds the conditions of a list: the data scope, then the filters.
func where(d sqldb.Dialect, scope access.Scope, f Filter) (string, []any) {
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
		conds = append(conds, "operator_id = "+arg(scope.OperatorID))
	}
	if f.Region != "" {
		conds = append(conds, "region LIKE "+arg(access.RegionPrefix(f.Region)+"%"))
	}
	if f.State != "" {
		conds = append(conds, "state = "+arg(string(f.State)))
	}
	if f.OperatorID != 0 {
		conds = append(conds, "operator_id = "+arg(f.OperatorID))
	}
	if f.VehicleID != 0 {
		n := arg(f.VehicleID)
		conds = append(conds, "(vehicle_id = "+n+" OR trailer_id = "+n+")")
	}
	if p := strings.TrimSpace(f.Plate); p != "" {
		n := arg("%" + escapeLike(strings.ToUpper(p)) + "%")
		conds = append(conds, "(plate LIKE "+n+" ESCAPE '\\' OR trailer_plate LIKE "+n+" ESCAPE '\\')")
	}
	if f.UNNumber != "" {
		conds = append(conds, "id IN (SELECT waybill_id FROM waybill_goods WHERE un_number = "+arg(normalizeUN(f.UNNumber))+")")
	}
	if !f.From.IsZero() {
		conds = append(conds, "departure_at >= "+arg(f.From.Time(civil.CST).UnixMilli()))
	}
	if !f.To.IsZero() {
		conds = append(conds, "departure_at < "+arg(f.To.AddDays(1).Time(civil.CST).UnixMilli()))
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		n := arg("%" + escapeLike(q) + "%")
		conds = append(conds, "(number "+d.ILike()+" "+n+" ESCAPE '\\' OR plate "+d.ILike()+" "+n+" ESCAPE '\\' OR operator_name "+
			d.ILike()+" "+n+" ESCAPE '\\')")
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}
