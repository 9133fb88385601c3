package monitor

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/region"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// AlarmCount is the number of alarms of one group (a day, a region, an
// enterprise, a rule or a severity) that started in a period: the
// dashboard's alarm trend and rankings.
type AlarmCount struct {
	Key        string `json:"key" doc:"the day (YYYY-MM-DD), region code, enterprise id, rule or severity"`
	Label      string `json:"label,omitempty" doc:"region or enterprise name, rule label"`
	Region     string `json:"region,omitempty" doc:"region code (group region and operator)"`
	OperatorID int64  `json:"operator_id,omitempty"`
	Count      int64  `json:"count"`
	Critical   int64  `json:"critical" doc:"of which critical (紧急)"`
	Open       int64  `json:"open" doc:"of which not yet closed by a regulator"`
	Ongoing    int64  `json:"ongoing" doc:"of which the violation is still going on"`
}

// AlarmStatsFilter is the period and grouping of AlarmStatistics.
type AlarmStatsFilter struct {
	From, To   civil.Date // start dates, inclusive, in the monitor's time zone
	Group      string     // day, region, operator, rule, severity
	Region     string     // subtree
	OperatorID int64
	Limit      int // groups other than day: the largest Limit groups (0: all)
}

// maxAlarmStatsDays bounds the period of one query.
const maxAlarmStatsDays = 366

// AlarmStatistics counts the alarms in the caller's scope that started in
// the period, per group. Days come back in order, every day of the period
// present (zero counts included) so a trend line has no holes; the other
// groups come back largest first.
func (s *Service) AlarmStatistics(ctx context.Context, f AlarmStatsFilter) ([]AlarmCount, error) {
	p, err := access.Require(ctx, access.PermMonitorRead)
	if err != nil {
		return nil, err
	}
	var inv apperr.Invalid
	if f.To.IsZero() {
		f.To = f.From
	}
	if f.To.Before(f.From) {
		inv.Add("to", "must not be before from", f.To)
	} else if f.From.AddDays(maxAlarmStatsDays).Before(f.To) {
		inv.Add("to", fmt.Sprintf("the range may span at most %d days", maxAlarmStatsDays), f.To)
	}
	if f.Region != "" && !region.Valid(f.Region) {
		inv.Add("region", "unknown GB/T 2260 region code", f.Region)
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	loc := s.cfg.Location
	from := f.From.Time(loc).UnixMilli()
	to := f.To.AddDays(1).Time(loc).UnixMilli()
	// Days are cut by integer arithmetic on the millisecond start time, the
	// same on both dialects; the zone's offset is taken at the period's
	// start (China has no daylight saving time).
	_, offS := f.From.Time(loc).Zone()
	off := int64(offS) * 1000

	var where sqldb.Where
	where.Add("start_at >= ?", from)
	where.Add("start_at < ?", to)
	where.Scope(p.Scope)
	where.Scope(access.Scope{Region: f.Region, OperatorID: f.OperatorID}) // the filters narrow the scope
	var key string
	switch f.Group {
	case "day":
		key = fmt.Sprintf("(start_at + %d) / 86400000", off)
	case "region":
		key = "region"
	case "operator":
		key = "operator_id"
	case "rule":
		key = "rule"
	case "severity":
		key = "severity"
	default:
		return nil, apperr.Field("group", "must be day, region, operator, rule or severity", f.Group)
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+key+` AS k, MAX(region), COUNT(*),
		SUM(CASE WHEN severity = 'critical' THEN 1 ELSE 0 END),
		SUM(CASE WHEN state <> 'closed' THEN 1 ELSE 0 END),
		SUM(CASE WHEN ongoing <> 0 THEN 1 ELSE 0 END)
		FROM monitor_alarms WHERE `+where.And()+` GROUP BY `+key, where.Args()...)
	if err != nil {
		return nil, fmt.Errorf("monitor: alarm statistics: %w", err)
	}
	defer rows.Close()
	var out []AlarmCount
	byDay := map[int64]AlarmCount{}
	for rows.Next() {
		var c AlarmCount
		var k any
		var reg string
		if err := rows.Scan(&k, &reg, &c.Count, &c.Critical, &c.Open, &c.Ongoing); err != nil {
			return nil, fmt.Errorf("monitor: alarm statistics: %w", err)
		}
		switch f.Group {
		case "day":
			n, err := asInt64(k)
			if err != nil {
				return nil, fmt.Errorf("monitor: alarm statistics: %w", err)
			}
			byDay[n] = c
			continue
		case "region":
			c.Key, c.Region = asString(k), asString(k)
			if r, ok := region.Lookup(c.Key); ok {
				c.Label = r.Name
			}
		case "operator":
			n, err := asInt64(k)
			if err != nil {
				return nil, fmt.Errorf("monitor: alarm statistics: %w", err)
			}
			c.Key, c.OperatorID, c.Region = strconv.FormatInt(n, 10), n, reg
		case "rule":
			c.Key = asString(k)
			c.Label = Rule(c.Key).Label()
		default:
			c.Key = asString(k)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("monitor: alarm statistics: %w", err)
	}
	if f.Group == "day" {
		out = []AlarmCount{}
		for d := f.From; !f.To.Before(d); d = d.AddDays(1) {
			n := (d.Time(loc).UnixMilli() + off) / 86400000
			c := byDay[n]
			c.Key = d.String()
			out = append(out, c)
		}
		return out, nil
	}
	slices.SortStableFunc(out, func(a, b AlarmCount) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return strings.Compare(a.Key, b.Key)
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	if f.Group == "operator" {
		s.nameOperators(ctx, out)
	}
	if out == nil {
		out = []AlarmCount{}
	}
	return out, nil
}

// nameOperators labels enterprise groups with the enterprise's name, when
// the registry can tell it.
func (s *Service) nameOperators(ctx context.Context, out []AlarmCount) {
	dir, err := s.directory()
	if err != nil {
		return
	}
	sctx := access.With(ctx, access.System)
	for i := range out {
		if out[i].OperatorID == 0 {
			continue
		}
		if op, err := dir.Operator(sctx, out[i].OperatorID); err == nil {
			out[i].Label = op.Name
		}
	}
}

func asInt64(v any) (int64, error) {
	switch n := v.(type) {
	case int64:
		return n, nil
	case int32:
		return int64(n), nil
	case float64:
		return int64(n), nil
	case []byte:
		return strconv.ParseInt(string(n), 10, 64)
	case string:
		return strconv.ParseInt(n, 10, 64)
	}
	return 0, fmt.Errorf("unexpected %T for a number", v)
}

func asString(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case []byte:
		return string(s)
	}
	return fmt.Sprint(v)
}

type alarmStatsInput struct {
	From       string `query:"from" required:"true" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" doc:"first day (YYYY-MM-DD, China time)"`
	To         string `query:"to" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" doc:"last day (YYYY-MM-DD), inclusive (default: from)"`
	Group      string `query:"group" enum:"day,region,operator,rule,severity" default:"day"`
	Region     string `query:"region" maxLength:"6" doc:"alarms of this region subtree"`
	OperatorID int64  `query:"operator_id" minimum:"0"`
	Limit      int    `query:"limit" minimum:"0" maximum:"500" doc:"groups other than day: the largest this many (0: all)"`
}

// registerDashboard adds the aggregates the console's dashboard and
// command-center screen (大屏) draw.
func registerDashboard(api huma.API, s *Service) {
	huma.Register(api, huma.Operation{OperationID: "alarm-stats", Method: http.MethodGet, Path: "/monitor/alarm-stats",
		Summary:     "Alarm counts per day, region, enterprise, rule or severity",
		Description: "Alarms in the caller's data scope that started between from and to (China time), counted per group: every day of the period in order (zero days included), or the other groups largest first.",
		Tags:        []string{"Monitoring"}},
		func(ctx context.Context, in *alarmStatsInput) (*struct{ Body []AlarmCount }, error) {
			from, to, err := parseDays(in.From, in.To)
			if err != nil {
				return nil, err
			}
			out, err := s.AlarmStatistics(ctx, AlarmStatsFilter{From: from, To: to, Group: in.Group, Region: in.Region,
				OperatorID: in.OperatorID, Limit: in.Limit})
			return &struct{ Body []AlarmCount }{out}, err
		})
}
