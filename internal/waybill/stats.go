package waybill

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/region"
)

// maxStatsDays bounds the period of the statistics.
const maxStatsDays = 366

type statsInput struct {
	From       string `query:"from" maxLength:"10" doc:"first day of planned departure (YYYY-MM-DD, CST); default 29 days before to"`
	To         string `query:"to" maxLength:"10" doc:"last day (YYYY-MM-DD, CST); default today"`
	Region     string `query:"region" maxLength:"6" doc:"carriers in that region's subtree"`
	OperatorID int64  `query:"operator_id" minimum:"0"`
}

func (in statsInput) filter() (Filter, error) {
	f := Filter{Region: in.Region, OperatorID: in.OperatorID, To: civil.Today()}
	inv := &apperr.Invalid{}
	var err error
	if in.To != "" {
		if f.To, err = civil.Parse(in.To); err != nil {
			inv.Add("query.to", "日期格式为 YYYY-MM-DD", in.To)
		}
	}
	f.From = f.To.AddDays(-29)
	if in.From != "" {
		if f.From, err = civil.Parse(in.From); err != nil {
			inv.Add("query.from", "日期格式为 YYYY-MM-DD", in.From)
		}
	}
	if in.Region != "" && !region.Valid(in.Region) {
		inv.Add("query.region", "不是有效的行政区划代码 (not a GB/T 2260 region code)", in.Region)
	}
	if err := inv.Err(); err != nil {
		return f, err
	}
	if f.To.Before(f.From) || f.From.AddDays(maxStatsDays).Before(f.To) {
		return f, apperr.Field("query.from", fmt.Sprintf("统计期间为1至%d天 (the period is 1 to %d days)", maxStatsDays, maxStatsDays), in.From)
	}
	return f, nil
}

// Stats counts waybills of a period. Day, class and carrier counts cover
// the waybills that were issued (issued, loading, in transit, delivered);
// ByState counts every waybill of the period, drafts and cancelled ones too.
type Stats struct {
	From       civil.Date   `json:"from"`
	To         civil.Date   `json:"to"`
	Total      int          `json:"total" doc:"issued waybills of the period"`
	ByDay      []DayCount   `json:"by_day" doc:"every day of the period, zeros included"`
	ByClass    []ClassCount `json:"by_class" doc:"a waybill with goods of several classes counts once in each"`
	ByOperator []OpCount    `json:"by_operator" doc:"most waybills first"`
	ByState    []StateCount `json:"by_state"`
}

// DayCount is the number of waybills departing on one day.
type DayCount struct {
	Date  civil.Date `json:"date"`
	Count int        `json:"count"`
}

// ClassCount is the number of waybills carrying goods of one class or division.
type ClassCount struct {
	Class string `json:"class"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// OpCount is the number of waybills of one carrier.
type OpCount struct {
	OperatorID int64  `json:"operator_id"`
	Name       string `json:"name"`
	Region     string `json:"region"`
	Count      int    `json:"count"`
}

// StateCount is the number of waybills in one state.
type StateCount struct {
	State State  `json:"state"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// Stats counts the waybills in the principal's scope whose planned
// departure falls in [f.From, f.To] (CST days), filtered by f's region and
// carrier.
func (s *Service) Stats(ctx context.Context, f Filter) (*Stats, error) {
	p, err := access.Require(ctx, access.PermWaybillRead)
	if err != nil {
		return nil, err
	}
	f = Filter{From: f.From, To: f.To, Region: f.Region, OperatorID: f.OperatorID}
	cond, args := where(s.db.Dialect(), p.Scope, f)
	st := &Stats{From: f.From, To: f.To}
	days := map[civil.Date]int{}
	states := map[State]int{}
	type opKey struct {
		id           int64
		name, region string
	}
	ops := map[opKey]int{}
	issuedIDs := map[int64]bool{}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT id, state, departure_at, operator_id, operator_name, region FROM waybills"+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("waybill: stats: %w", err)
	}
	for rows.Next() {
		var id, dep, opID int64
		var state State
		var name, reg string
		if err := rows.Scan(&id, &state, &dep, &opID, &name, &reg); err != nil {
			rows.Close()
			return nil, fmt.Errorf("waybill: stats: %w", err)
		}
		states[state]++
		if state == StateDraft || state == StateCancelled {
			continue
		}
		issuedIDs[id] = true
		st.Total++
		days[civil.Of(time.UnixMilli(dep).In(civil.CST))]++
		ops[opKey{opID, name, reg}]++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("waybill: stats: %w", err)
	}
	// classes: one count per waybill and class
	classes := map[string]int{}
	grows, err := s.db.Read().QueryContext(ctx, "SELECT DISTINCT waybill_id, class FROM waybill_goods WHERE waybill_id IN (SELECT id FROM waybills"+cond+")", args...)
	if err != nil {
		return nil, fmt.Errorf("waybill: stats per class: %w", err)
	}
	for grows.Next() {
		var id int64
		var class string
		if err := grows.Scan(&id, &class); err != nil {
			grows.Close()
			return nil, fmt.Errorf("waybill: stats per class: %w", err)
		}
		if issuedIDs[id] {
			classes[class]++
		}
	}
	grows.Close()
	if err := grows.Err(); err != nil {
		return nil, fmt.Errorf("waybill: stats per class: %w", err)
	}

	st.ByDay = []DayCount{}
	for d := f.From; !d.After(f.To); d = d.AddDays(1) {
		st.ByDay = append(st.ByDay, DayCount{Date: d, Count: days[d]})
	}
	st.ByClass = []ClassCount{}
	for c, n := range classes {
		st.ByClass = append(st.ByClass, ClassCount{Class: c, Label: classLabels[c], Count: n})
	}
	sort.Slice(st.ByClass, func(i, j int) bool { return st.ByClass[i].Class < st.ByClass[j].Class })
	st.ByOperator = []OpCount{}
	for k, n := range ops {
		st.ByOperator = append(st.ByOperator, OpCount{OperatorID: k.id, Name: k.name, Region: k.region, Count: n})
	}
	sort.Slice(st.ByOperator, func(i, j int) bool {
		a, b := st.ByOperator[i], st.ByOperator[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.OperatorID < b.OperatorID
	})
	st.ByState = []StateCount{}
	for _, s := range States {
		st.ByState = append(st.ByState, StateCount{State: s, Label: s.Label(), Count: states[s]})
	}
	return st, nil
}
