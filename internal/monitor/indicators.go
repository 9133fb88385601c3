package monitor

// Assessment indicators (考核指标), daily, per enterprise, per region and
// platform-wide. The definitions and the choices made where no official
// definition was found are in docs/monitoring-indicators.md.
//
// Computation is incremental: every position the engine processes updates
// per-vehicle, per-day counters in memory (processCounted); the counters are
// flushed to SQL as additive deltas with every snapshot, and a roll-up turns
// one day's counters and the registered fleet into one row per enterprise,
// per region (county, city, province) and for the platform. The roll-up
// stores numerators and denominators, not rates, so a date range adds up.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/region"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
)

// IndicatorConfig holds the parameters of the indicators that no official
// text fixes. Zero fields take the defaults.
type IndicatorConfig struct {
	// GapDistanceM and GapTimeS split complete from incomplete track
	// mileage: the distance between two consecutive accepted positions
	// further apart than GapDistanceM, or more than GapTimeS apart in time,
	// is incomplete (defaults 2,000 m and 300 s).
	GapDistanceM float64
	GapTimeS     int
	// OnlineMinQualified is how many qualified reports on a day make a
	// vehicle online that day (default 1).
	OnlineMinQualified int
	// KeyCategories are the vehicle categories assessed (registered key
	// vehicles); default: coach, charter, tourism, hazmat, heavy_truck,
	// tractor, truck.
	KeyCategories []string
	// RollupEvery is how often today's (and, after midnight, yesterday's)
	// indicators are recomputed (default 10 minutes).
	RollupEvery time.Duration
}

func (c IndicatorConfig) withDefaults() IndicatorConfig {
	if c.GapDistanceM <= 0 {
		c.GapDistanceM = 2000
	}
	if c.GapTimeS <= 0 {
		c.GapTimeS = 300
	}
	if c.OnlineMinQualified <= 0 {
		c.OnlineMinQualified = 1
	}
	if len(c.KeyCategories) == 0 {
		c.KeyCategories = []string{string(registry.CategoryCoach), string(registry.CategoryCharter), string(registry.CategoryTourism),
			string(registry.CategoryHazmat), string(registry.CategoryHeavyTruck), string(registry.CategoryTractor), string(registry.CategoryTruck)}
	}
	if c.RollupEvery <= 0 {
		c.RollupEvery = 10 * time.Minute
	}
	return c
}

// --- counters ---

// vehicleDay is one vehicle's counters of one day (deltas until flushed).
type vehicleDay struct {
	operator   int64
	region     string
	reports    int64
	qualified  int64
	drift      int64
	mileage    float64
	incomplete float64
	overspeed  int64
	fatigueS   int64
	first      int64 // device ms of the first and last qualified report
	last       int64
}

func (v *vehicleDay) add(o *vehicleDay) {
	v.operator, v.region = o.operator, o.region
	v.reports += o.reports
	v.qualified += o.qualified
	v.drift += o.drift
	v.mileage += o.mileage
	v.incomplete += o.incomplete
	v.overspeed += o.overspeed
	v.fatigueS += o.fatigueS
	if o.first != 0 && (v.first == 0 || o.first < v.first) {
		v.first = o.first
	}
	v.last = max(v.last, o.last)
}

type dayKey struct {
	day     string
	vehicle int64
}

// indicatorCounters are the unflushed counters; the service's procMu
// guards them (position processing and snapshots hold it).
type indicatorCounters struct {
	cfg      IndicatorConfig
	days     map[dayKey]*vehicleDay
	network  map[int64]string // earliest network day written per vehicle by this process
	netDirty map[int64]string
	// A one-entry cache of the civil day of a time: positions come in
	// bursts of the same day.
	dayFrom, dayTo int64
	dayStr         string
}

func (s *Service) counters() *indicatorCounters {
	if s.kpi == nil {
		s.kpi = &indicatorCounters{cfg: s.cfg.Indicators.withDefaults(), days: map[dayKey]*vehicleDay{},
			network: map[int64]string{}, netDirty: map[int64]string{}}
	}
	return s.kpi
}

func (k *indicatorCounters) dayOf(ms int64, loc *time.Location) string {
	if ms >= k.dayFrom && ms < k.dayTo {
		return k.dayStr
	}
	t := time.UnixMilli(ms).In(loc)
	y, m, d := t.Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, loc)
	k.dayFrom, k.dayTo = start.UnixMilli(), start.AddDate(0, 0, 1).UnixMilli()
	k.dayStr = start.Format(time.DateOnly)
	return k.dayStr
}

func (k *indicatorCounters) get(day string, st *vstate) *vehicleDay {
	key := dayKey{day, st.ID}
	v := k.days[key]
	if v == nil {
		v = &vehicleDay{}
		k.days[key] = v
	}
	v.operator, v.region = st.OperatorID, st.Region
	return v
}

// processCounted runs the engine on one position and books what it did
// into the day counters. The caller holds procMu and the engine's lock.
func (s *Service) processCounted(p *gateway.Position, info *VehicleInfo, out []change) []change {
	var recv0, qual0, drift0, dev0 int64
	var lat0, lon0 int32
	var fix0 bool
	if st := s.eng.vehicles[p.VehicleID]; st != nil {
		recv0, qual0, drift0, dev0 = st.Received, st.Qualified, st.DriftPts, st.LastDev
		lat0, lon0, fix0 = st.Lat, st.Lon, st.HasFix
	}
	n := len(out)
	out = s.eng.Process(p, info, out)
	st := s.eng.vehicles[p.VehicleID]
	if st == nil {
		return out
	}
	k := s.counters()
	loc := s.cfg.Location
	qualified := st.Qualified - qual0
	// A qualified report counts on its device day; any other on the day it
	// was received (its device time may be the very thing that is wrong).
	at := p.DeviceTime.UnixMilli()
	if qualified == 0 {
		at = p.ReceiveTime.UnixMilli()
	}
	day := k.dayOf(at, loc)
	vd := k.get(day, st)
	vd.reports += st.Received - recv0
	vd.qualified += qualified
	vd.drift += st.DriftPts - drift0
	if qualified > 0 {
		if vd.first == 0 || at < vd.first {
			vd.first = at
		}
		vd.last = max(vd.last, at)
		if known, ok := k.network[st.ID]; !ok || day < known {
			k.network[st.ID] = day
			k.netDirty[st.ID] = day
		}
	}
	// A new live position: the leg from the previous one is track mileage.
	if fix0 && st.HasFix && st.LastDev != dev0 {
		d := distanceMicro(lat0, lon0, st.Lat, st.Lon)
		vd.mileage += d
		if d > k.cfg.GapDistanceM || st.LastDev-dev0 > int64(k.cfg.GapTimeS)*1000 {
			vd.incomplete += d
		}
	}
	for i := n; i < len(out); i++ {
		c := &out[i]
		switch {
		case c.kind == changeRaise && c.alarm.Rule == RuleOverspeed:
			k.get(k.dayOf(c.alarm.Start, loc), st).overspeed++
		case c.kind == changeEnd && c.alarm.Rule == RuleFatigue:
			// Time driven beyond the continuous limit, split over days.
			for from := c.alarm.Start; from < c.end; {
				d := k.dayOf(from, loc)
				to := min(c.end, k.dayTo)
				k.get(d, st).fatigueS += (to - from) / 1000
				from = to
			}
		}
	}
	return out
}

// flushIndicatorCounters writes the counters as additive deltas; on failure
// they are kept for the next flush. The caller holds procMu.
func (s *Service) flushIndicatorCounters(ctx context.Context) error {
	k := s.kpi
	if k == nil || (len(k.days) == 0 && len(k.netDirty) == 0) {
		return nil
	}
	days, net := k.days, k.netDirty
	k.days, k.netDirty = map[dayKey]*vehicleDay{}, map[int64]string{}
	if err := writeCounters(ctx, s.db, days, net); err != nil {
		for key, v := range days {
			if cur := k.days[key]; cur != nil {
				cur.add(v)
			} else {
				k.days[key] = v
			}
		}
		for id, d := range net {
			if cur, ok := k.netDirty[id]; !ok || d < cur {
				k.netDirty[id] = d
			}
		}
		return err
	}
	return nil
}

// Column lists of the bulk writes, with their PostgreSQL types.
var (
	vehicleDayCols = []string{"day", "vehicle_id", "operator_id", "region", "reports", "qualified", "drift_points",
		"mileage_m", "incomplete_m", "overspeed_count", "fatigue_s", "first_at", "last_at"}
	vehicleDayTypes = []string{"text", "bigint", "bigint", "text", "bigint", "bigint", "bigint",
		"float8", "float8", "bigint", "bigint", "bigint", "bigint"}
	indicatorCols = []string{"day", "level", "unit", "region", "operator_id", "registered", "in_network", "online", "reports",
		"qualified", "mileage_m", "complete_m", "drifting", "overspeed_count", "fatigue_s", "checks_due", "checks_on_time",
		"checks_late", "checks_missed", "response_ms_sum", "computed_at"}
	indicatorTypes = []string{"text", "text", "text", "text", "bigint", "bigint", "bigint", "bigint", "bigint",
		"bigint", "float8", "float8", "bigint", "bigint", "bigint", "bigint", "bigint",
		"bigint", "bigint", "bigint", "bigint"}
)

const vehicleDayConflict = ` ON CONFLICT (day, vehicle_id) DO UPDATE SET operator_id = excluded.operator_id, region = excluded.region,
	reports = monitor_vehicle_days.reports + excluded.reports,
	qualified = monitor_vehicle_days.qualified + excluded.qualified,
	drift_points = monitor_vehicle_days.drift_points + excluded.drift_points,
	mileage_m = monitor_vehicle_days.mileage_m + excluded.mileage_m,
	incomplete_m = monitor_vehicle_days.incomplete_m + excluded.incomplete_m,
	overspeed_count = monitor_vehicle_days.overspeed_count + excluded.overspeed_count,
	fatigue_s = monitor_vehicle_days.fatigue_s + excluded.fatigue_s,
	first_at = CASE WHEN monitor_vehicle_days.first_at = 0 OR (excluded.first_at <> 0 AND excluded.first_at < monitor_vehicle_days.first_at)
		THEN excluded.first_at ELSE monitor_vehicle_days.first_at END,
	last_at = CASE WHEN excluded.last_at > monitor_vehicle_days.last_at THEN excluded.last_at ELSE monitor_vehicle_days.last_at END`

const networkConflict = ` ON CONFLICT (vehicle_id) DO UPDATE SET first_day = CASE WHEN excluded.first_day < monitor_vehicle_network.first_day
	THEN excluded.first_day ELSE monitor_vehicle_network.first_day END`

func writeCounters(ctx context.Context, db *sqldb.DB, days map[dayKey]*vehicleDay, net map[int64]string) error {
	keys := make([]dayKey, 0, len(days))
	for k := range days {
		keys = append(keys, k)
	}
	// A stable order keeps concurrent writers (partitions) from deadlocking.
	slices.SortFunc(keys, func(a, b dayKey) int {
		if c := strings.Compare(a.day, b.day); c != 0 {
			return c
		}
		return int(a.vehicle - b.vehicle)
	})
	ids := make([]int64, 0, len(net))
	for id := range net {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return db.InTx(ctx, func(tx *sqldb.Tx) error {
		err := bulkInsert(ctx, tx, "monitor_vehicle_days", vehicleDayCols, vehicleDayTypes, len(keys), func(i int, dst []any) []any {
			k := keys[i]
			v := days[k]
			return append(dst, k.day, k.vehicle, v.operator, v.region, v.reports, v.qualified, v.drift,
				v.mileage, v.incomplete, v.overspeed, v.fatigueS, v.first, v.last)
		}, vehicleDayConflict)
		if err != nil {
			return fmt.Errorf("monitor: flush indicator counters: %w", err)
		}
		err = bulkInsert(ctx, tx, "monitor_vehicle_network", []string{"vehicle_id", "first_day"}, []string{"bigint", "text"}, len(ids),
			func(i int, dst []any) []any { return append(dst, ids[i], net[ids[i]]) }, networkConflict)
		if err != nil {
			return fmt.Errorf("monitor: flush network days: %w", err)
		}
		return nil
	})
}

// pgBulkRows is how many rows one PostgreSQL bulk statement carries.
const pgBulkRows = 10_000

// bulkInsert writes n rows (row appends the values of row i, in cols
// order, of the Go types matching pgTypes: string, int64, float64). On
// PostgreSQL it sends one statement per pgBulkRows rows with a column
// array per parameter (unnest), so the statement size does not grow with
// the rows. On SQLite it runs one prepared single-row statement per row:
// SQLite resolves $N parameters by a linear search, which makes wide
// multi-row statements cost quadratic time, while a prepared statement in
// a transaction is cheap.
func bulkInsert(ctx context.Context, tx *sqldb.Tx, table string, cols, pgTypes []string, n int,
	row func(i int, dst []any) []any, conflict string) error {
	if n == 0 {
		return nil
	}
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") "
	if tx.Dialect() != sqldb.Postgres {
		var sb strings.Builder
		sb.WriteString(head + "VALUES ")
		placeholders(&sb, 0, len(cols))
		sb.WriteString(conflict)
		stmt, err := tx.PrepareContext(ctx, sb.String())
		if err != nil {
			return err
		}
		defer stmt.Close()
		vals := make([]any, 0, len(cols))
		for i := 0; i < n; i++ {
			if _, err := stmt.ExecContext(ctx, row(i, vals[:0])...); err != nil {
				return err
			}
		}
		return nil
	}
	var sb strings.Builder
	sb.WriteString(head + "SELECT * FROM unnest(")
	for j, t := range pgTypes {
		if j > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "$%d::%s[]", j+1, t)
	}
	sb.WriteString(")" + conflict)
	q := sb.String()
	vals := make([]any, 0, len(cols))
	for from := 0; from < n; from += pgBulkRows {
		to := min(from+pgBulkRows, n)
		arrays := make([]any, len(cols))
		for j, t := range pgTypes {
			switch t {
			case "text":
				arrays[j] = make([]string, 0, to-from)
			case "float8":
				arrays[j] = make([]float64, 0, to-from)
			default:
				arrays[j] = make([]int64, 0, to-from)
			}
		}
		for i := from; i < to; i++ {
			for j, v := range row(i, vals[:0]) {
				switch a := arrays[j].(type) {
				case []string:
					arrays[j] = append(a, v.(string))
				case []float64:
					arrays[j] = append(a, v.(float64))
				case []int64:
					arrays[j] = append(a, v.(int64))
				}
			}
		}
		if _, err := tx.ExecContext(ctx, q, arrays...); err != nil {
			return err
		}
	}
	return nil
}

// placeholders writes "($n+1, ..., $n+k)".
func placeholders(sb *strings.Builder, n, k int) {
	sb.WriteByte('(')
	for i := 1; i <= k; i++ {
		if i > 1 {
			sb.WriteString(", ")
		}
		sb.WriteByte('$')
		sb.WriteString(strconv.Itoa(n + i))
	}
	sb.WriteByte(')')
}

// --- roll-up ---

// FleetVehicle is a registered key vehicle as the roll-up counts it.
type FleetVehicle struct {
	ID         int64
	OperatorID int64
	Region     string
}

// Fleet is the registered key fleet and the regions of its enterprises
// (an enterprise's row carries the enterprise's region, which decides who
// may see it).
type Fleet struct {
	Vehicles        []FleetVehicle
	OperatorRegions map[int64]string
}

// loadFleet reads the registered key vehicles in service from the
// registry. The registry keeps no history, so a roll-up counts the fleet
// registered when it runs.
func (s *Service) loadFleet(ctx context.Context) (*Fleet, error) {
	dir, err := s.directory()
	if err != nil {
		return nil, err
	}
	cfg := s.cfg.Indicators.withDefaults()
	ctx = access.With(ctx, access.System)
	f := &Fleet{OperatorRegions: map[int64]string{}}
	for off := 0; ; off += 1000 {
		page, total, err := dir.Vehicles(ctx, registry.Filter{Status: string(registry.VehicleInService), Sort: "id", Limit: 1000, Offset: off})
		if err != nil {
			return nil, fmt.Errorf("monitor: load fleet: %w", err)
		}
		for i := range page {
			v := &page[i]
			if slices.Contains(cfg.KeyCategories, string(v.Category)) {
				f.Vehicles = append(f.Vehicles, FleetVehicle{ID: v.ID, OperatorID: v.OperatorID, Region: v.Region})
			}
		}
		if len(page) == 0 || off+len(page) >= total {
			break
		}
	}
	for off := 0; ; off += 1000 {
		page, total, err := dir.Operators(ctx, registry.Filter{Sort: "id", Limit: 1000, Offset: off})
		if err != nil {
			return nil, fmt.Errorf("monitor: load fleet: %w", err)
		}
		for i := range page {
			f.OperatorRegions[page[i].ID] = page[i].Region
		}
		if len(page) == 0 || off+len(page) >= total {
			break
		}
	}
	return f, nil
}

// RollupIndicators recomputes one day's indicators from the flushed
// counters, the registered fleet and the platform checks sent that day;
// it returns the number of rows written. The background loop calls it for
// today and yesterday; calling it again replaces the day's rows.
func (s *Service) RollupIndicators(ctx context.Context, day civil.Date) (int, error) {
	fleet, err := s.loadFleet(ctx)
	if err != nil {
		return 0, err
	}
	return s.rollupDay(ctx, day, fleet)
}

// Indicator levels.
const (
	LevelPlatform = "platform"
	LevelRegion   = "region"
	LevelOperator = "operator"
)

type unitKey struct {
	level string
	unit  string
}

// indicatorRow is one stored roll-up row.
type indicatorRow struct {
	day, level, unit, region              string
	operator                              int64
	registered, inNetwork, online         int64
	reports, qualified                    int64
	mileage, complete                     float64
	drifting, overspeed, fatigueS         int64
	checksDue, checksOnTime, late, missed int64
	responseMs                            int64
}

type dayCounts struct {
	reports, qualified, drift, overspeed, fatigueS int64
	mileage, incomplete                            float64
}

func (s *Service) rollupDay(ctx context.Context, day civil.Date, fleet *Fleet) (int, error) {
	cfg := s.cfg.Indicators.withDefaults()
	ds := day.String()
	db := s.db.Read()
	network := make(map[int64]struct{}, len(fleet.Vehicles))
	rows, err := db.QueryContext(ctx, `SELECT vehicle_id FROM monitor_vehicle_network WHERE first_day <= $1`, ds)
	if err != nil {
		return 0, fmt.Errorf("monitor: roll-up %s: %w", ds, err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("monitor: roll-up %s: %w", ds, err)
		}
		network[id] = struct{}{}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("monitor: roll-up %s: %w", ds, err)
	}
	counts := make(map[int64]*dayCounts, len(fleet.Vehicles))
	rows, err = db.QueryContext(ctx, `SELECT vehicle_id, reports, qualified, drift_points, mileage_m, incomplete_m, overspeed_count, fatigue_s
		FROM monitor_vehicle_days WHERE day = $1`, ds)
	if err != nil {
		return 0, fmt.Errorf("monitor: roll-up %s: %w", ds, err)
	}
	for rows.Next() {
		var id int64
		c := &dayCounts{}
		if err := rows.Scan(&id, &c.reports, &c.qualified, &c.drift, &c.mileage, &c.incomplete, &c.overspeed, &c.fatigueS); err != nil {
			rows.Close()
			return 0, fmt.Errorf("monitor: roll-up %s: %w", ds, err)
		}
		counts[id] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("monitor: roll-up %s: %w", ds, err)
	}

	acc := map[unitKey]*indicatorRow{}
	unit := func(level, u, reg string, op int64) *indicatorRow {
		k := unitKey{level, u}
		r := acc[k]
		if r == nil {
			r = &indicatorRow{day: ds, level: level, unit: u, region: reg, operator: op}
			acc[k] = r
		}
		return r
	}
	targets := func(opID int64, reg string, buf []*indicatorRow) []*indicatorRow {
		buf = append(buf[:0], unit(LevelPlatform, "", "", 0))
		opRegion, ok := fleet.OperatorRegions[opID]
		if !ok {
			opRegion = reg
		}
		if opID != 0 {
			buf = append(buf, unit(LevelOperator, strconv.FormatInt(opID, 10), opRegion, opID))
		}
		for _, code := range regionAncestors(reg) {
			buf = append(buf, unit(LevelRegion, code, code, 0))
		}
		return buf
	}
	var buf []*indicatorRow
	for i := range fleet.Vehicles {
		v := &fleet.Vehicles[i]
		_, in := network[v.ID]
		c := counts[v.ID]
		online := in && c != nil && c.qualified >= int64(cfg.OnlineMinQualified)
		buf = targets(v.OperatorID, v.Region, buf)
		for _, r := range buf {
			r.registered++
			if in {
				r.inNetwork++
			}
			if c != nil {
				r.reports += c.reports
				r.qualified += c.qualified
				r.mileage += c.mileage
				r.complete += c.mileage - c.incomplete
				r.overspeed += c.overspeed
				r.fatigueS += c.fatigueS
			}
			if online {
				r.online++
				if c.drift > 0 {
					r.drifting++
				}
			}
		}
	}

	// Platform checks sent that day, counted where the enterprise is.
	now := s.now().UnixMilli()
	from, to := day.Time(s.cfg.Location).UnixMilli(), day.AddDays(1).Time(s.cfg.Location).UnixMilli()
	rows, err = db.QueryContext(ctx, `SELECT operator_id, region, status, sent_at, due_at, answered_at FROM monitor_checks
		WHERE sent_at >= $1 AND sent_at < $2`, from, to)
	if err != nil {
		return 0, fmt.Errorf("monitor: roll-up %s: %w", ds, err)
	}
	for rows.Next() {
		var op, sent, due int64
		var reg string
		var status CheckStatus
		var answered *int64
		if err := rows.Scan(&op, &reg, &status, &sent, &due, &answered); err != nil {
			rows.Close()
			return 0, fmt.Errorf("monitor: roll-up %s: %w", ds, err)
		}
		if status == CheckPending && due >= now {
			continue // still open: no basis yet
		}
		buf = targets(op, reg, buf)
		for _, r := range buf {
			r.checksDue++
			switch status {
			case CheckAnswered:
				r.checksOnTime++
			case CheckLate:
				r.late++
			case CheckMissed:
				r.missed++
			}
			if answered != nil {
				r.responseMs += *answered - sent
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("monitor: roll-up %s: %w", ds, err)
	}

	out := make([]*indicatorRow, 0, len(acc))
	for _, r := range acc {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *indicatorRow) int {
		if c := strings.Compare(a.level, b.level); c != 0 {
			return c
		}
		return strings.Compare(a.unit, b.unit)
	})
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM monitor_indicators WHERE day = $1`, ds); err != nil {
			return err
		}
		return bulkInsert(ctx, tx, "monitor_indicators", indicatorCols, indicatorTypes, len(out), func(i int, dst []any) []any {
			r := out[i]
			return append(dst, r.day, r.level, r.unit, r.region, r.operator, r.registered, r.inNetwork, r.online, r.reports,
				r.qualified, r.mileage, r.complete, r.drifting, r.overspeed, r.fatigueS, r.checksDue, r.checksOnTime, r.late, r.missed,
				r.responseMs, now)
		}, "")
	})
	if err != nil {
		return 0, fmt.Errorf("monitor: roll-up %s: %w", ds, err)
	}
	return len(out), nil
}

// regionAncestors returns the province, city and county codes of a county
// code (without repeats: a city-level code has no county).
func regionAncestors(code string) []string {
	if len(code) != 6 {
		return nil
	}
	out := []string{code[:2] + "0000"}
	if c := code[:4] + "00"; c != out[0] {
		out = append(out, c)
	}
	if code != out[len(out)-1] {
		out = append(out, code)
	}
	return out
}

// --- queries ---

// Indicators are the assessment figures of one unit (the platform, a
// region or an enterprise) for one day, or summed over a date range (then
// counts are vehicle-days and rates are of the sums).
type Indicators struct {
	Day        string `json:"day,omitempty" doc:"the day (YYYY-MM-DD); empty for a range total"`
	Days       int    `json:"days" doc:"days summed"`
	Level      string `json:"level" enum:"platform,region,operator"`
	Unit       string `json:"unit" doc:"region code or enterprise id; empty for the platform"`
	Region     string `json:"region,omitempty"`
	RegionName string `json:"region_name,omitempty"`
	OperatorID int64  `json:"operator_id,omitempty"`

	Registered     int64   `json:"registered" doc:"registered key vehicles in service"`
	InNetwork      int64   `json:"in_network" doc:"of which sent at least one qualified report by that day (入网)"`
	Online         int64   `json:"online" doc:"of which sent a qualified report that day (上线)"`
	Reports        int64   `json:"reports" doc:"position reports received"`
	Qualified      int64   `json:"qualified" doc:"of which qualified (合格)"`
	MileageKm      float64 `json:"mileage_km" doc:"track mileage"`
	CompleteKm     float64 `json:"complete_km" doc:"of which complete (no gap)"`
	Drifting       int64   `json:"drifting" doc:"online vehicles with at least one drift point"`
	OverspeedCount int64   `json:"overspeed_count" doc:"overspeed alarms raised"`
	FatigueS       int64   `json:"fatigue_s" doc:"time driven beyond the continuous-driving limit, seconds"`
	ChecksDue      int64   `json:"checks_due" doc:"platform checks whose limit passed or that were answered"`
	ChecksOnTime   int64   `json:"checks_on_time"`
	ChecksLate     int64   `json:"checks_late"`
	ChecksMissed   int64   `json:"checks_missed"`

	NetworkRate         *float64 `json:"network_rate,omitempty" doc:"入网率 = in_network ÷ registered"`
	OnlineRate          *float64 `json:"online_rate,omitempty" doc:"上线率 = online ÷ in_network"`
	TrackCompleteness   *float64 `json:"track_completeness,omitempty" doc:"轨迹完整率 = complete_km ÷ mileage_km"`
	DataQualification   *float64 `json:"data_qualification,omitempty" doc:"数据合格率 = qualified ÷ reports"`
	DriftRate           *float64 `json:"drift_rate,omitempty" doc:"卫星定位漂移车辆率 = drifting ÷ online"`
	OverspeedPerVehicle *float64 `json:"overspeed_per_vehicle,omitempty" doc:"平均车辆超速次数 = overspeed_count ÷ online"`
	FatiguePerVehicleS  *float64 `json:"fatigue_per_vehicle_s,omitempty" doc:"平均疲劳驾驶时长 = fatigue_s ÷ online"`
	CheckResponseRate   *float64 `json:"check_response_rate,omitempty" doc:"平台查岗响应率 = checks_on_time ÷ checks_due"`
	MeanCheckResponseS  *float64 `json:"mean_check_response_s,omitempty" doc:"mean answer time of answered and late checks"`

	responseMs int64
	mileageM   float64
	completeM  float64
}

func (x *Indicators) add(r *Indicators) {
	x.Days += r.Days
	x.Registered += r.Registered
	x.InNetwork += r.InNetwork
	x.Online += r.Online
	x.Reports += r.Reports
	x.Qualified += r.Qualified
	x.mileageM += r.mileageM
	x.completeM += r.completeM
	x.Drifting += r.Drifting
	x.OverspeedCount += r.OverspeedCount
	x.FatigueS += r.FatigueS
	x.ChecksDue += r.ChecksDue
	x.ChecksOnTime += r.ChecksOnTime
	x.ChecksLate += r.ChecksLate
	x.ChecksMissed += r.ChecksMissed
	x.responseMs += r.responseMs
}

// rates fills the rates from the counts.
func (x *Indicators) rates() {
	x.MileageKm, x.CompleteKm = x.mileageM/1000, x.completeM/1000
	x.NetworkRate = ratio(float64(x.InNetwork), float64(x.Registered))
	x.OnlineRate = ratio(float64(x.Online), float64(x.InNetwork))
	x.TrackCompleteness = ratio(x.completeM, x.mileageM)
	x.DataQualification = ratio(float64(x.Qualified), float64(x.Reports))
	x.DriftRate = ratio(float64(x.Drifting), float64(x.Online))
	x.OverspeedPerVehicle = ratio(float64(x.OverspeedCount), float64(x.Online))
	x.FatiguePerVehicleS = ratio(float64(x.FatigueS), float64(x.Online))
	x.CheckResponseRate = ratio(float64(x.ChecksOnTime), float64(x.ChecksDue))
	x.MeanCheckResponseS = ratio(float64(x.responseMs)/1000, float64(x.ChecksOnTime+x.ChecksLate))
	if r, ok := region.Lookup(x.Region); ok {
		x.RegionName = r.Name
	}
}

// IndicatorFilter selects indicator rows.
type IndicatorFilter struct {
	From, To   civil.Date // inclusive
	Level      string     // platform, region, operator
	Region     string     // subtree of the rows' region
	OperatorID int64
	// Total sums each unit over the range instead of one row per day.
	Total bool
}

// maxIndicatorDays bounds a query's date range.
const maxIndicatorDays = 366

// IndicatorRows returns the indicators of the caller's scope: the platform
// level needs a national scope, the region level an authority's scope, and
// an enterprise sees only its own row.
func (s *Service) IndicatorRows(ctx context.Context, f IndicatorFilter) ([]Indicators, error) {
	p, err := access.Require(ctx, access.PermMonitorRead)
	if err != nil {
		return nil, err
	}
	var inv apperr.Invalid
	if f.From.IsZero() {
		inv.Add("from", "is required", nil)
	}
	if f.To.IsZero() {
		f.To = f.From
	}
	if f.To.Before(f.From) {
		inv.Add("to", "must not be before from", f.To)
	} else if !f.From.IsZero() && f.From.AddDays(maxIndicatorDays).Before(f.To) {
		inv.Add("to", fmt.Sprintf("the range may span at most %d days", maxIndicatorDays), f.To)
	}
	if f.Region != "" && !region.Valid(f.Region) {
		inv.Add("region", "unknown GB/T 2260 region code", f.Region)
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	if f.Level == "" {
		f.Level = LevelOperator
		if p.Scope.OperatorID == 0 {
			f.Level = LevelRegion
		}
	}
	switch f.Level {
	case LevelPlatform:
		if p.Scope.RegionPrefix() != "" || p.Scope.OperatorID != 0 {
			return nil, apperr.Forbidden("platform-wide indicators need a national data scope")
		}
	case LevelRegion:
		if p.Scope.OperatorID != 0 {
			return nil, apperr.Forbidden("an enterprise sees its own indicators only (level=operator)")
		}
	}
	var where sqldb.Where
	where.Add("day >= ?", f.From.String())
	where.Add("day <= ?", f.To.String())
	where.Add("level = ?", f.Level)
	if f.Level != LevelPlatform {
		where.Scope(p.Scope)
		where.Scope(access.Scope{Region: f.Region, OperatorID: f.OperatorID}) // the filters narrow the scope
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT day, level, unit, region, operator_id, registered, in_network, online, reports, qualified,
		mileage_m, complete_m, drifting, overspeed_count, fatigue_s, checks_due, checks_on_time, checks_late, checks_missed, response_ms_sum
		FROM monitor_indicators WHERE `+where.And()+` ORDER BY day, unit`, where.Args()...)
	if err != nil {
		return nil, fmt.Errorf("monitor: indicators: %w", err)
	}
	defer rows.Close()
	var out []Indicators
	totals := map[string]int{}
	for rows.Next() {
		var r Indicators
		if err := rows.Scan(&r.Day, &r.Level, &r.Unit, &r.Region, &r.OperatorID, &r.Registered, &r.InNetwork, &r.Online, &r.Reports,
			&r.Qualified, &r.mileageM, &r.completeM, &r.Drifting, &r.OverspeedCount, &r.FatigueS, &r.ChecksDue, &r.ChecksOnTime,
			&r.ChecksLate, &r.ChecksMissed, &r.responseMs); err != nil {
			return nil, fmt.Errorf("monitor: indicators: %w", err)
		}
		r.Days = 1
		if !f.Total {
			out = append(out, r)
			continue
		}
		i, ok := totals[r.Unit]
		if !ok {
			i = len(out)
			totals[r.Unit] = i
			out = append(out, Indicators{Level: r.Level, Unit: r.Unit, Region: r.Region, OperatorID: r.OperatorID})
		}
		out[i].add(&r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("monitor: indicators: %w", err)
	}
	if f.Total {
		slices.SortFunc(out, func(a, b Indicators) int { return strings.Compare(a.Unit, b.Unit) })
	}
	for i := range out {
		out[i].rates()
	}
	if out == nil {
		out = []Indicators{}
	}
	return out, nil
}
