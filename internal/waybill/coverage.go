package waybill

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/region"
)

// E-waybill coverage (电子运单覆盖率): of the dangerous-goods vehicles that
// moved loaded on a day, the share that did so under an active waybill.
// A vehicle-day counts in the denominator when the vehicle moved loaded
// at all; in the numerator when its loaded movement without an active
// waybill stayed under the waybill_missing threshold (MissingMinS), i.e.
// when it raised no waybill_missing alarm that day. Vehicles that moved
// only empty, or not at all, need no waybill and count in neither.

// CoverageQuery selects the statistic.
type CoverageQuery struct {
	From   civil.Date
	To     civil.Date // inclusive
	Region string
	// GroupBy: day, region or day_region (default).
	GroupBy string
	// Level aggregates regions to their county (default), city or province.
	Level string
}

type coverageInput struct {
	From    string `query:"from" required:"true" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" doc:"first day (YYYY-MM-DD, China Standard Time)"`
	To      string `query:"to" required:"true" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" doc:"last day, inclusive; at most 366 days after from"`
	Region  string `query:"region" maxLength:"6" doc:"only vehicles of this region subtree (within the caller's scope)"`
	GroupBy string `query:"group_by" enum:"day,region,day_region," doc:"rows per day, per region or per day and region (default)"`
	Level   string `query:"level" enum:"county,city,province," doc:"region level of the rows (default county)"`
}

// CoverageRow is the statistic of one group; Total sums vehicle-days.
type CoverageRow struct {
	Day    string `json:"day,omitempty" doc:"YYYY-MM-DD"`
	Region string `json:"region,omitempty" doc:"GB/T 2260 code at the requested level"`
	// Moved: dangerous-goods vehicles that moved; Loaded: of them, those
	// that moved loaded (the denominator); Covered: of those, the ones
	// whose loaded movement was under an active waybill.
	Moved     int `json:"moved_vehicles"`
	Loaded    int `json:"loaded_vehicles"`
	Covered   int `json:"covered_vehicles"`
	Uncovered int `json:"uncovered_vehicles"`
	// Coverage is Covered / Loaded, absent when no vehicle moved loaded.
	Coverage *float64 `json:"coverage,omitempty" minimum:"0" maximum:"1"`
}

// CoverageReport is the answer of the coverage statistic.
type CoverageReport struct {
	From  civil.Date    `json:"from"`
	To    civil.Date    `json:"to"`
	Rows  []CoverageRow `json:"rows" nullable:"false"`
	Total CoverageRow   `json:"total" doc:"over every row: vehicle-days"`
}

func (r *CoverageRow) add(moved, loaded, covered bool) {
	if moved || loaded {
		r.Moved++
	}
	if loaded {
		r.Loaded++
		if covered {
			r.Covered++
		} else {
			r.Uncovered++
		}
	}
}

func (r *CoverageRow) finish() {
	if r.Loaded > 0 {
		v := float64(r.Covered) / float64(r.Loaded)
		r.Coverage = &v
	}
}

// Coverage computes the statistic for the caller's scope.
func (c *CrossChecks) Coverage(ctx context.Context, q CoverageQuery) (*CoverageReport, error) {
	p, err := access.Require(ctx, access.PermWaybillRead)
	if err != nil {
		return nil, err
	}
	var inv apperr.Invalid
	if q.From.IsZero() {
		inv.Add("from", "required", nil)
	}
	if q.To.IsZero() {
		inv.Add("to", "required", nil)
	}
	if !q.From.IsZero() && !q.To.IsZero() {
		if q.To.Before(q.From) {
			inv.Add("to", "before from", q.To)
		} else if q.From.AddDays(366).Before(q.To) {
			inv.Add("to", "at most 366 days after from", q.To)
		}
	}
	if q.Region != "" && !region.Valid(q.Region) {
		inv.Add("region", "unknown GB/T 2260 region code", q.Region)
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	scope := p.Scope
	prefix := scope.RegionPrefix()
	if q.Region != "" {
		qp := access.RegionPrefix(q.Region)
		switch {
		case strings.HasPrefix(qp, prefix):
			prefix = qp
		case strings.HasPrefix(prefix, qp):
			// the scope is narrower: keep it
		default:
			return nil, apperr.Field("region", "outside your data scope", q.Region)
		}
	}
	args := []any{q.From.String(), q.To.String(), prefix + "%"}
	where := `day >= $1 AND day <= $2 AND region LIKE $3`
	if scope.OperatorID != 0 {
		args = append(args, scope.OperatorID)
		where += ` AND operator_id = $4`
	}
	rows, err := c.db.Read().QueryContext(ctx, `SELECT day, region, moved_ms, loaded_ms, covered_ms FROM waybill_movement_days WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("waybill: coverage: %w", err)
	}
	defer rows.Close()
	tolerance := int64(c.cfg.MissingMinS) * 1000
	groups := map[[2]string]*CoverageRow{}
	rep := &CoverageReport{From: q.From, To: q.To, Rows: []CoverageRow{}}
	for rows.Next() {
		var day, reg string
		var moved, loaded, covered int64
		if err := rows.Scan(&day, &reg, &moved, &loaded, &covered); err != nil {
			return nil, fmt.Errorf("waybill: coverage: %w", err)
		}
		key := [2]string{day, levelOf(reg, q.Level)}
		switch q.GroupBy {
		case "day":
			key[1] = ""
		case "region":
			key[0] = ""
		}
		g := groups[key]
		if g == nil {
			g = &CoverageRow{Day: key[0], Region: key[1]}
			groups[key] = g
		}
		isCovered := loaded > 0 && loaded-covered < tolerance
		g.add(moved > 0, loaded > 0, isCovered)
		rep.Total.add(moved > 0, loaded > 0, isCovered)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("waybill: coverage: %w", err)
	}
	for _, g := range groups {
		g.finish()
		rep.Rows = append(rep.Rows, *g)
	}
	slices.SortFunc(rep.Rows, func(a, b CoverageRow) int {
		if c := strings.Compare(a.Day, b.Day); c != 0 {
			return c
		}
		return strings.Compare(a.Region, b.Region)
	})
	rep.Total.finish()
	return rep, nil
}

// levelOf returns the code of the region's county, city or province.
func levelOf(code, level string) string {
	if len(code) != 6 {
		return code
	}
	switch level {
	case "city":
		return code[:4] + "00"
	case "province":
		return code[:2] + "0000"
	}
	return code
}

// RegisterCrossChecks adds the cross-checks' operations to api (rooted at
// /api/v1).
func RegisterCrossChecks(api huma.API, c *CrossChecks) {
	huma.Register(api, huma.Operation{OperationID: "waybill-coverage", Method: http.MethodGet, Path: "/waybills/statistics/coverage",
		Summary: "E-waybill coverage per day and region",
		Description: "Of the dangerous-goods vehicles that moved loaded (load bits of the JT/T 808 status word) on a day, the share " +
			"that did so under an active e-waybill (电子运单覆盖率), per day and region, in the caller's data scope. See docs/waybill-crosschecks.md.",
		Tags: []string{"Waybills"}},
		func(ctx context.Context, in *coverageInput) (*struct{ Body *CoverageReport }, error) {
			q := CoverageQuery{Region: in.Region, GroupBy: in.GroupBy, Level: in.Level}
			var err error
			if q.From, err = civil.Parse(in.From); err != nil {
				return nil, apperr.Field("from", "not a date (YYYY-MM-DD)", in.From)
			}
			if q.To, err = civil.Parse(in.To); err != nil {
				return nil, apperr.Field("to", "not a date (YYYY-MM-DD)", in.To)
			}
			rep, err := c.Coverage(ctx, q)
			return &struct{ Body *CoverageReport }{rep}, err
		})
	huma.Register(api, huma.Operation{OperationID: "waybill-delivery-proposals", Method: http.MethodGet, Path: "/waybills/delivery-proposals",
		Summary: "Arrivals at the unloading place",
		Description: "Waybills whose vehicle stopped at the unloading place (found by the cross-checks), newest first, in the caller's " +
			"data scope: the carrier confirms the delivery by moving the waybill to delivered.",
		Tags: []string{"Waybills"}},
		func(ctx context.Context, in *struct {
			Limit int `query:"limit" minimum:"1" maximum:"500" default:"100"`
		}) (*struct{ Body []DeliveryProposal }, error) {
			out, err := c.DeliveryProposals(ctx, in.Limit)
			return &struct{ Body []DeliveryProposal }{out}, err
		})
}
