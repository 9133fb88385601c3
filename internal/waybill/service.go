package waybill

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// Audit actions of waybills besides create and update.
const (
	ActionIssue      = "issue"
	ActionTransition = "transition"
	ActionCancel     = "cancel"
)

// Service is the waybill module: validated, scoped, audited waybills and
// their signed verification. It is safe for concurrent use.
type Service struct {
	db     *sqldb.DB
	reg    Registry
	logger *slog.Logger
	keys   keyring
	now    func() time.Time

	mu        sync.Mutex
	listeners []func(Event)
}

// New returns the waybill service over db (migrated with Module), reading
// the master data through reg.
func New(db *sqldb.DB, reg Registry, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.Default()
	}
	return &Service{db: db, reg: reg, logger: logger, now: time.Now}
}

// Init loads the platform's SM2 key pair, creating it on first start. The
// app calls it at start-up; the methods that sign or verify call it too.
func (s *Service) Init(ctx context.Context) error {
	return s.keys.ensure(ctx, s.db, s.now())
}

// OnChange registers fn to be called after every committed change of a
// waybill (in the goroutine that made it; fn must not block). The live
// cross-checks use it to reload what they watch.
func (s *Service) OnChange(fn func(Event)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listeners = append(s.listeners, fn)
}

func (s *Service) notify(e Event) {
	s.mu.Lock()
	ls := append([]func(Event){}, s.listeners...)
	s.mu.Unlock()
	for _, fn := range ls {
		fn(e)
	}
}

func inScope(p *access.Principal, w *Waybill) bool {
	return p.Scope.Allows(w.Region, w.OperatorID)
}

// Get returns waybill id as the principal in ctx may see it.
func (s *Service) Get(ctx context.Context, id int64) (*Waybill, error) {
	p, err := access.Require(ctx, access.PermWaybillRead)
	if err != nil {
		return nil, err
	}
	w, err := getWaybill(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	if !inScope(p, w) {
		return nil, apperr.NotFound("waybill", id)
	}
	return w, nil
}

// List returns one page of the waybills in the principal's scope matching
// f, and the total.
func (s *Service) List(ctx context.Context, f Filter) ([]Waybill, int, error) {
	p, err := access.Require(ctx, access.PermWaybillRead)
	if err != nil {
		return nil, 0, err
	}
	cond, args := where(s.db.Dialect(), p.Scope, f)
	order, err := sqldb.OrderBy(f.Sort, sorts, "-id")
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.db.Read().QueryRowContext(ctx, "SELECT COUNT(*) FROM waybills"+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("waybill: count: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	out := []Waybill{}
	err = s.each(ctx, selectCols+cond+" ORDER BY "+order+" LIMIT "+strconv.Itoa(limit)+" OFFSET "+strconv.Itoa(max(f.Offset, 0)), args,
		func(w *Waybill) error { out = append(out, *w); return nil })
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// Each streams every waybill in the principal's scope matching f (exports).
func (s *Service) Each(ctx context.Context, f Filter, fn func(*Waybill) error) error {
	p, err := access.Require(ctx, access.PermWaybillRead)
	if err != nil {
		return err
	}
	cond, args := where(s.db.Dialect(), p.Scope, f)
	order, err := sqldb.OrderBy(f.Sort, sorts, "-id")
	if err != nil {
		return err
	}
	return s.each(ctx, selectCols+cond+" ORDER BY "+order, args, fn)
}

func (s *Service) each(ctx context.Context, query string, args []any, fn func(*Waybill) error) error {
	rows, err := s.db.Read().QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("waybill: list: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		w, err := scanWaybill(rows)
		if err != nil {
			return fmt.Errorf("waybill: list: %w", err)
		}
		if err := fn(w); err != nil {
			return err
		}
	}
	return rows.Err()
}

// fill checks the fields, resolves the registry records they name for the
// principal in ctx and copies their names onto w.
func (s *Service) fill(ctx context.Context, p *access.Principal, w *Waybill, in Fields) (*parties, error) {
	if err := validateFields(&in); err != nil {
		return nil, err
	}
	parts, err := resolve(ctx, s.reg, &in)
	if err != nil {
		return nil, err
	}
	w.Fields = in
	w.Region, w.OperatorName = parts.operator.Region, parts.operator.Name
	w.Plate, w.TrailerPlate, w.DriverName, w.EscortName = parts.vehicle.Plate, "", "", ""
	if parts.trailer != nil {
		w.TrailerPlate = parts.trailer.Plate
	}
	if parts.driver != nil {
		w.DriverName = parts.driver.Name
	}
	if parts.escort != nil {
		w.EscortName = parts.escort.Name
	}
	if !inScope(p, w) {
		return nil, apperr.Field("operator_id", "承运人不在数据范围内 (the carrier is outside your data scope)", in.OperatorID)
	}
	return parts, nil
}

// Create writes a new draft waybill.
func (s *Service) Create(ctx context.Context, in Fields) (*Waybill, error) {
	p, err := access.Require(ctx, access.PermWaybillWrite)
	if err != nil {
		return nil, err
	}
	w := &Waybill{State: StateDraft}
	if _, err := s.fill(ctx, p, w, in); err != nil {
		return nil, fmt.Errorf("waybill: create: %w", err)
	}
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		if err := insertWaybill(ctx, tx, w, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, audit.ActionCreate, nil, w, "")
	})
	if err != nil {
		return nil, fmt.Errorf("waybill: create: %w", sqldb.MapError(err))
	}
	w.StateLabel = w.State.Label()
	s.notify(Event{ID: w.ID, Number: w.Number, VehicleID: w.VehicleID, From: w.State, To: w.State, At: w.UpdatedAt})
	return w, nil
}

// Update replaces the fields of draft id; ifMatch is the version read (0: any).
func (s *Service) Update(ctx context.Context, id, ifMatch int64, in Fields) (*Waybill, error) {
	p, err := access.Require(ctx, access.PermWaybillWrite)
	if err != nil {
		return nil, err
	}
	var out *Waybill
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		old, err := s.current(ctx, tx, p, id, ifMatch)
		if err != nil {
			return err
		}
		if old.State != StateDraft {
			return apperr.Conflict(fmt.Sprintf("运单 %s 已%s，不能修改 (only drafts can be edited; cancel and write a new one)", old.Number, old.State.Label()))
		}
		w := *old
		if _, err := s.fill(ctx, p, &w, in); err != nil {
			return err
		}
		if err := updateWaybill(ctx, tx, &w, old.Version, s.now()); err != nil {
			return err
		}
		out = &w
		return s.audit(ctx, tx, audit.ActionUpdate, old, &w, "")
	})
	if err != nil {
		return nil, fmt.Errorf("waybill: update %d: %w", id, sqldb.MapError(err))
	}
	s.notify(Event{ID: out.ID, Number: out.Number, VehicleID: out.VehicleID, From: out.State, To: out.State, At: out.UpdatedAt})
	return out, nil
}

// current reads waybill id inside tx for a change by p: in scope and, when
// ifMatch is set, still at that version.
func (s *Service) current(ctx context.Context, tx *sqldb.Tx, p *access.Principal, id, ifMatch int64) (*Waybill, error) {
	w, err := getWaybill(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if !inScope(p, w) {
		return nil, apperr.NotFound("waybill", id)
	}
	if ifMatch != 0 && ifMatch != w.Version {
		return nil, apperr.Conflict(fmt.Sprintf("waybill %d is at version %d, not %d; reload and retry", id, w.Version, ifMatch))
	}
	return w, nil
}

func (s *Service) audit(ctx context.Context, tx *sqldb.Tx, action string, before, after *Waybill, note string) error {
	w := after
	if w == nil {
		w = before
	}
	summary := w.Number + " " + w.Plate + " " + w.State.Label()
	if note != "" {
		summary += ": " + note
	}
	var b, a any
	if before != nil {
		b = before
	}
	if after != nil {
		a = after
	}
	return audit.Record(ctx, tx, audit.Change{Action: action, Entity: "waybill", EntityID: w.ID, Region: w.Region,
		OperatorID: w.OperatorID, Summary: summary, Before: b, After: a})
}

// Issue checks draft id against every issue rule and, when it passes,
// signs it and makes it the vehicle's active waybill. A refusal is a 422
// listing each violated rule; a vehicle that already has an active waybill
// is a 409.
func (s *Service) Issue(ctx context.Context, id, ifMatch int64) (*Waybill, error) {
	return s.move(ctx, id, ifMatch, StateIssued, "")
}

// Cancel voids waybill id (a draft, or an issued waybill whose trip has not
// started); reason is recorded.
func (s *Service) Cancel(ctx context.Context, id, ifMatch int64, reason string) (*Waybill, error) {
	return s.move(ctx, id, ifMatch, StateCancelled, reason)
}

// Transition moves waybill id to state to, for the principal in ctx; a
// system principal (access.System) may drive it from automatic checks.
// Moving to issued runs the issue checks; note is recorded in the audit
// log (and as the reason of a cancellation).
func (s *Service) Transition(ctx context.Context, id int64, to State, note string) (*Waybill, error) {
	return s.move(ctx, id, 0, to, note)
}

// TransitionVersion is Transition with optimistic concurrency (If-Match).
func (s *Service) TransitionVersion(ctx context.Context, id, ifMatch int64, to State, note string) (*Waybill, error) {
	return s.move(ctx, id, ifMatch, to, note)
}

func (s *Service) move(ctx context.Context, id, ifMatch int64, to State, note string) (*Waybill, error) {
	p, err := access.Require(ctx, access.PermWaybillWrite)
	if err != nil {
		return nil, err
	}
	if !to.Valid() {
		return nil, apperr.Field("state", "未知状态 (unknown state)", string(to))
	}
	if to == StateIssued {
		if err := s.Init(ctx); err != nil {
			return nil, err
		}
	}
	var out *Waybill
	var from State
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		old, err := s.current(ctx, tx, p, id, ifMatch)
		if err != nil {
			return err
		}
		from = old.State
		if !CanMove(old.State, to) {
			return apperr.Conflict(fmt.Sprintf("运单 %s 为%s，不能变为%s (cannot move from %s to %s)", old.Number, old.State.Label(), to.Label(), old.State, to))
		}
		w := *old
		now := s.now()
		w.State, w.StateChangedAt = to, now
		action := ActionTransition
		switch to {
		case StateIssued:
			action = ActionIssue
			if err := s.checkForIssue(ctx, p, &w); err != nil {
				return err
			}
			if err := activeConflict(ctx, tx, &w); err != nil {
				return err
			}
			w.IssuedAt = now
			tok, err := s.keys.sign(Claims{ID: w.ID, Number: w.Number, Plate: w.Plate, UN: w.UNNumbers(), IssuedAt: now.Unix()})
			if err != nil {
				return err
			}
			w.Token = tok
		case StateCancelled:
			action = ActionCancel
			w.CancelReason = note
		}
		if err := updateWaybill(ctx, tx, &w, old.Version, now); err != nil {
			if sqldb.IsUniqueViolation(err) {
				return activeConflictErr(&w, "")
			}
			return err
		}
		out = &w
		return s.audit(ctx, tx, action, old, &w, note)
	})
	if err != nil {
		return nil, fmt.Errorf("waybill: %s %d: %w", to, id, sqldb.MapError(err))
	}
	out.StateLabel = out.State.Label()
	s.notify(Event{ID: out.ID, Number: out.Number, VehicleID: out.VehicleID, From: from, To: out.State, At: out.StateChangedAt})
	return out, nil
}

// checkForIssue re-reads the registry records (they may have changed since
// the draft was written) and applies the issue rules.
func (s *Service) checkForIssue(ctx context.Context, p *access.Principal, w *Waybill) error {
	parts, err := s.fill(ctx, p, w, w.Fields)
	if err != nil {
		var inv *apperr.Invalid
		if errors.As(err, &inv) {
			// a record that vanished is a violation of the waybill
			out := &apperr.Invalid{}
			for _, f := range inv.Fields {
				f.Field = "waybill." + f.Field
				out.Fields = append(out.Fields, f)
			}
			return out
		}
		return err
	}
	violations, warnings := checkIssue(&w.Fields, parts)
	w.Warnings = warnings
	return violations.err()
}

// activeConflict returns a conflict when the waybill's vehicle or trailer
// is already on another active waybill (as vehicle or as trailer). The
// store's index covers the vehicle; a trailer is checked here.
func activeConflict(ctx context.Context, tx *sqldb.Tx, w *Waybill) error {
	var number, plate string
	err := tx.QueryRowContext(ctx, `SELECT number, CASE WHEN vehicle_id IN ($1, $3) THEN plate ELSE trailer_plate END FROM waybills
		WHERE id <> $2 AND state IN `+activeStates+` AND (vehicle_id IN ($1, $3) OR (trailer_id <> 0 AND trailer_id IN ($1, $3))) LIMIT 1`,
		w.VehicleID, w.ID, w.TrailerID).Scan(&number, &plate)
	if err == nil {
		if plate == w.TrailerPlate && w.TrailerPlate != "" {
			return apperr.Conflict(fmt.Sprintf("挂车 %s 已在有效运单 %s 中，一车一单：请先完成或作废 (the trailer is on another active waybill)", plate, number))
		}
		return activeConflictErr(w, number)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}

func activeConflictErr(w *Waybill, other string) error {
	if other == "" {
		other = "另一运单"
	}
	return apperr.Conflict(fmt.Sprintf("车辆 %s 已有有效运单 %s，一车一单：请先完成或作废 (the vehicle already has an active waybill)", w.Plate, other))
}

// ActiveForVehicle returns the vehicle's active waybill (issued, loading or
// in transit), or nil, nil when it has none. It is unscoped: the live
// cross-checks call it for every vehicle with the system principal.
func (s *Service) ActiveForVehicle(ctx context.Context, vehicleID int64) (*Waybill, error) {
	w, err := scanWaybill(s.db.Read().QueryRowContext(ctx, selectCols+" WHERE vehicle_id = $1 AND state IN "+activeStates, vehicleID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("waybill: active for vehicle %d: %w", vehicleID, err)
	}
	return w, nil
}

// Active returns every active waybill, unscoped (for the live cross-checks
// to load at start).
func (s *Service) Active(ctx context.Context) ([]Waybill, error) {
	out := []Waybill{}
	err := s.each(ctx, selectCols+" WHERE state IN "+activeStates+" ORDER BY id", nil, func(w *Waybill) error {
		out = append(out, *w)
		return nil
	})
	return out, err
}

// History returns the audit entries of waybill id, newest first.
func (s *Service) History(ctx context.Context, id int64, limit, offset int) ([]audit.Entry, int, error) {
	p, err := access.Require(ctx, access.PermWaybillRead)
	if err != nil {
		return nil, 0, err
	}
	if _, err := s.Get(ctx, id); err != nil {
		return nil, 0, err
	}
	return audit.List(ctx, s.db, audit.Filter{Entity: "waybill", EntityID: strconv.FormatInt(id, 10), Scope: p.Scope, Limit: limit, Offset: offset})
}

// Verification is what the public check of a token shows a roadside
// officer: the waybill's essential facts as stored now (a cancelled
// waybill says so) next to what the token itself states.
type Verification struct {
	Valid   bool     `json:"valid"`
	Claims  Claims   `json:"claims"`
	Current bool     `json:"current" doc:"the waybill is active (issued, loading or in transit)"`
	Facts   *Summary `json:"waybill"`
}

// Summary is the public view of a waybill: no identity numbers, phones of
// the crew omitted.
type Summary struct {
	Number            string      `json:"number"`
	State             State       `json:"state"`
	StateLabel        string      `json:"state_label"`
	Carrier           string      `json:"carrier"`
	Plate             string      `json:"plate"`
	TrailerPlate      string      `json:"trailer_plate,omitempty"`
	Driver            string      `json:"driver,omitempty"`
	Escort            string      `json:"escort,omitempty"`
	Shipper           string      `json:"shipper"`
	Consignee         string      `json:"consignee"`
	Goods             []GoodsLine `json:"goods"`
	Loading           string      `json:"loading"`
	Unloading         string      `json:"unloading"`
	DepartureAt       time.Time   `json:"departure_at"`
	ArrivalAt         time.Time   `json:"arrival_at"`
	EmergencyContacts []Contact   `json:"emergency_contacts,omitempty"`
	IssuedAt          time.Time   `json:"issued_at,omitzero"`
}

func summaryOf(w *Waybill) *Summary {
	place := func(p Place) string {
		if p.Address != "" {
			return p.Name + "（" + p.Address + "）"
		}
		return p.Name
	}
	return &Summary{Number: w.Number, State: w.State, StateLabel: w.State.Label(), Carrier: w.OperatorName, Plate: w.Plate,
		TrailerPlate: w.TrailerPlate, Driver: w.DriverName, Escort: w.EscortName, Shipper: w.Shipper.Name, Consignee: w.Consignee.Name,
		Goods: w.Goods, Loading: place(w.Loading), Unloading: place(w.Unloading), DepartureAt: w.DepartureAt, ArrivalAt: w.ArrivalAt,
		EmergencyContacts: w.EmergencyContacts, IssuedAt: w.IssuedAt}
}

// Verify checks a token's SM2 signature and returns the facts of its
// waybill. It needs no principal: the token is the credential. A token
// with a bad form, an unknown key, a wrong signature, or whose claims do
// not match the stored waybill is refused (422 naming query.token).
func (s *Service) Verify(ctx context.Context, token string) (*Verification, error) {
	if err := s.Init(ctx); err != nil {
		return nil, err
	}
	c, err := s.keys.verify(ctx, s.db, token)
	if err != nil {
		return nil, err
	}
	w, err := getWaybill(ctx, s.db.Read(), c.ID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, badToken("运单不存在 (no such waybill)")
	}
	if err != nil {
		return nil, err
	}
	if w.Number != c.Number || w.Token != token {
		return nil, badToken("运单凭证与运单不符 (the token is not the waybill's current token)")
	}
	return &Verification{Valid: true, Claims: c, Current: w.State.Active(), Facts: summaryOf(w)}, nil
}

// PublicKeys returns the platform's verification keys (public, no login).
func (s *Service) PublicKeys(ctx context.Context) ([]PublicKey, error) {
	if err := s.Init(ctx); err != nil {
		return nil, err
	}
	return s.keys.publicKeys()
}
