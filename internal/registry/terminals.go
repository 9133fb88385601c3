package registry

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// terminalTTL bounds how long a looked-up terminal is trusted without asking
// the database again. Writes through this process update the index at once;
// the TTL only matters when another instance changed the vehicle.
const terminalTTL = time.Minute

// terminalIndex resolves JT/T 808 terminal phone numbers to vehicles for the
// gateway, which asks on every registration and authentication: answers come
// from memory, and from one indexed query on a miss.
type terminalIndex struct {
	db *sqldb.DB
	mu sync.RWMutex
	m  map[string]terminalEntry
}

type terminalEntry struct {
	ref    VehicleRef
	found  bool
	loaded time.Time
}

func newTerminalIndex(db *sqldb.DB) *terminalIndex {
	return &terminalIndex{db: db, m: map[string]terminalEntry{}}
}

func (x *terminalIndex) lookup(ctx context.Context, phone string, now time.Time) (VehicleRef, bool, error) {
	x.mu.RLock()
	e, ok := x.m[phone]
	x.mu.RUnlock()
	if ok && now.Sub(e.loaded) < terminalTTL {
		return e.ref, e.found, nil
	}
	var r VehicleRef
	err := x.db.Read().QueryRowContext(ctx, `SELECT id, plate, plate_color, operator_id, region, terminal_id, category
		FROM registry_vehicles WHERE terminal_phone = $1`, phone).
		Scan(&r.ID, &r.Plate, &r.PlateColor, &r.OperatorID, &r.Region, &r.TerminalID, &r.Category)
	found := err == nil
	if err != nil && !errors.Is(err, sqlErrNoRows) {
		return VehicleRef{}, false, fmt.Errorf("registry: vehicle by terminal %s: %w", phone, err)
	}
	x.mu.Lock()
	x.m[phone] = terminalEntry{ref: r, found: found, loaded: now}
	x.mu.Unlock()
	return r, found, nil
}

// forget drops phones from the index after a write changed them.
func (x *terminalIndex) forget(phones ...string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, p := range phones {
		if p != "" {
			delete(x.m, p)
		}
	}
}

// VehicleByTerminalPhone returns the vehicle whose terminal has the given JT/T
// 808 phone number (leading zeros ignored), for the gateway. It is unscoped:
// terminals are platform infrastructure, not a user's view of the data. A
// phone that no vehicle carries is apperr.ErrNotFound.
func (s *Service) VehicleByTerminalPhone(ctx context.Context, phone string) (VehicleRef, error) {
	p := NormalizeTerminalPhone(phone)
	ref, found, err := s.terminals.lookup(ctx, p, s.now())
	if err != nil {
		return VehicleRef{}, err
	}
	if !found {
		return VehicleRef{}, apperr.NotFound("terminal phone", phone)
	}
	return ref, nil
}

func init() {
	vehicleKind.changed = func(s *Service, before, after *Vehicle) {
		var phones []string
		if before != nil {
			phones = append(phones, before.TerminalPhone)
		}
		if after != nil {
			phones = append(phones, after.TerminalPhone)
		}
		s.terminals.forget(phones...)
	}
}
