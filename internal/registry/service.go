package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// Service is the registry: validated, scoped, audited access to the master
// data. It is safe for concurrent use.
type Service struct {
	db        *sqldb.DB
	logger    *slog.Logger
	terminals *terminalIndex
	now       func() time.Time
}

// New returns the registry service over db (migrated with Module). The
// caller names the module in logger (the app adds module=registry).
func New(db *sqldb.DB, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.Default()
	}
	return &Service{db: db, logger: logger, terminals: newTerminalIndex(db), now: time.Now}
}

// principal returns the actor of ctx when it holds perm.
func principal(ctx context.Context, perm access.Permission) (*access.Principal, error) {
	return access.Require(ctx, perm)
}

// kind bundles what the generic create/update/delete need to know of one
// entity beyond its table.
type kind[T any] struct {
	t *table[T]
	// validate normalises v and adds its own problems to inv (no references).
	validate func(v *T, inv *apperr.Invalid)
	// refs checks references and uniqueness inside the write transaction;
	// it adds field problems to inv or returns a conflict.
	refs func(ctx context.Context, tx *sqldb.Tx, scope access.Scope, v *T, inv *apperr.Invalid) error
	// afterWrite maintains dependent rows (route join tables).
	afterWrite func(ctx context.Context, tx *sqldb.Tx, v *T) error
	// inUse returns a conflict when other records still refer to v.
	inUse func(ctx context.Context, q sqldb.Querier, v *T) error
	// summary names the record in the audit log ("川A12345").
	summary func(v *T) string
	// mask hides fields from principals without write permission.
	mask func(v *T)
	// changed is called after a committed write (cache upkeep).
	changed func(s *Service, before, after *T)
}

func (k *kind[T]) id(v *T) int64 { return k.t.meta(v).ID }

func (k *kind[T]) inScope(scope access.Scope, v *T) bool {
	r, op := k.t.owner(v)
	return scope.Allows(r, op)
}

// get returns the record for a principal with read permission; records
// outside the scope are not found.
func (k *kind[T]) get(ctx context.Context, s *Service, id int64) (*T, error) {
	p, err := principal(ctx, access.PermRegistryRead)
	if err != nil {
		return nil, err
	}
	v, err := k.t.get(ctx, s.db.Read(), id)
	if err != nil {
		return nil, err
	}
	if !k.inScope(p.Scope, v) {
		return nil, apperr.NotFound(k.t.entity, id)
	}
	if k.mask != nil && !p.Can(access.PermRegistryWrite) {
		k.mask(v)
	}
	return v, nil
}

func (k *kind[T]) list(ctx context.Context, s *Service, f Filter) ([]T, int, error) {
	p, err := principal(ctx, access.PermRegistryRead)
	if err != nil {
		return nil, 0, err
	}
	items, total, err := k.t.list(ctx, s.db, p.Scope, f)
	if err != nil {
		return nil, 0, err
	}
	if k.mask != nil && !p.Can(access.PermRegistryWrite) {
		for i := range items {
			k.mask(&items[i])
		}
	}
	return items, total, nil
}

// check validates v completely for a write by a principal of scope: its own
// fields, its place in the scope and its references.
func (k *kind[T]) check(ctx context.Context, tx *sqldb.Tx, scope access.Scope, v *T) error {
	inv := &apperr.Invalid{}
	k.validate(v, inv)
	if err := inv.Err(); err != nil {
		return err
	}
	if !k.inScope(scope, v) {
		r, _ := k.t.owner(v)
		return apperr.Forbidden(fmt.Sprintf("%s in region %s or of that operator is outside your data scope", k.t.entity, r))
	}
	if k.refs != nil {
		if err := k.refs(ctx, tx, scope, v, inv); err != nil {
			return err
		}
	}
	return inv.Err()
}

// create validates and inserts v, with its audit entry, in one transaction.
func (k *kind[T]) create(ctx context.Context, s *Service, v *T) (*T, error) {
	p, err := principal(ctx, access.PermRegistryWrite)
	if err != nil {
		return nil, err
	}
	*k.t.meta(v) = Meta{}
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		if err := k.check(ctx, tx, p.Scope, v); err != nil {
			return err
		}
		return k.insertTx(ctx, tx, v, s.now())
	})
	if err != nil {
		return nil, fmt.Errorf("registry: create %s: %w", k.t.entity, sqldb.MapError(err))
	}
	if k.changed != nil {
		k.changed(s, nil, v)
	}
	return v, nil
}

func (k *kind[T]) insertTx(ctx context.Context, tx *sqldb.Tx, v *T, now time.Time) error {
	if err := k.t.insert(ctx, tx, v, now); err != nil {
		return err
	}
	if k.afterWrite != nil {
		if err := k.afterWrite(ctx, tx, v); err != nil {
			return err
		}
	}
	r, op := k.t.owner(v)
	return audit.Record(ctx, tx, audit.Change{Action: audit.ActionCreate, Entity: k.t.entity, EntityID: k.id(v),
		Region: r, OperatorID: op, Summary: k.summary(v), After: v})
}

// update replaces the record id with v. ifMatch, when non-zero, is the
// version the client read; a record changed since is a conflict.
func (k *kind[T]) update(ctx context.Context, s *Service, id int64, ifMatch int64, v *T) (*T, error) {
	p, err := principal(ctx, access.PermRegistryWrite)
	if err != nil {
		return nil, err
	}
	var before *T
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		old, err := k.t.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if !k.inScope(p.Scope, old) {
			return apperr.NotFound(k.t.entity, id)
		}
		if ifMatch != 0 && ifMatch != k.t.meta(old).Version {
			return apperr.Conflict(fmt.Sprintf("%s %d is at version %d, not %d; reload and retry", k.t.entity, id, k.t.meta(old).Version, ifMatch))
		}
		*k.t.meta(v) = *k.t.meta(old)
		if err := k.check(ctx, tx, p.Scope, v); err != nil {
			return err
		}
		before = old
		return k.updateTx(ctx, tx, old, v, audit.ActionUpdate, s.now())
	})
	if err != nil {
		return nil, fmt.Errorf("registry: update %s %d: %w", k.t.entity, id, sqldb.MapError(err))
	}
	if k.changed != nil {
		k.changed(s, before, v)
	}
	return v, nil
}

func (k *kind[T]) updateTx(ctx context.Context, tx *sqldb.Tx, old, v *T, action string, now time.Time) error {
	if err := k.t.update(ctx, tx, v, k.t.meta(old).Version, now); err != nil {
		return err
	}
	if k.afterWrite != nil {
		if err := k.afterWrite(ctx, tx, v); err != nil {
			return err
		}
	}
	r, op := k.t.owner(v)
	return audit.Record(ctx, tx, audit.Change{Action: action, Entity: k.t.entity, EntityID: k.id(v),
		Region: r, OperatorID: op, Summary: k.summary(v), Before: old, After: v})
}

// delete removes the record id unless other records still refer to it.
func (k *kind[T]) delete(ctx context.Context, s *Service, id int64) error {
	p, err := principal(ctx, access.PermRegistryWrite)
	if err != nil {
		return err
	}
	var old *T
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		var err error
		old, err = k.t.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if !k.inScope(p.Scope, old) {
			return apperr.NotFound(k.t.entity, id)
		}
		if k.inUse != nil {
			if err := k.inUse(ctx, tx, old); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+k.t.name+" WHERE id = $1", id); err != nil {
			return err
		}
		r, op := k.t.owner(old)
		return audit.Record(ctx, tx, audit.Change{Action: audit.ActionDelete, Entity: k.t.entity, EntityID: id,
			Region: r, OperatorID: op, Summary: k.summary(old), Before: old})
	})
	if err != nil {
		return fmt.Errorf("registry: delete %s %d: %w", k.t.entity, id, sqldb.MapError(err))
	}
	if k.changed != nil {
		k.changed(s, old, nil)
	}
	return nil
}

// history returns the audit entries of record id, newest first. A record
// that still exists must be in scope; the history of a deleted one is
// limited to entries recorded inside the scope.
func (k *kind[T]) history(ctx context.Context, s *Service, id int64, limit, offset int) ([]audit.Entry, int, error) {
	p, err := principal(ctx, access.PermRegistryRead)
	if err != nil {
		return nil, 0, err
	}
	v, err := k.t.get(ctx, s.db.Read(), id)
	switch {
	case err == nil:
		if !k.inScope(p.Scope, v) {
			return nil, 0, apperr.NotFound(k.t.entity, id)
		}
	case !errors.Is(err, apperr.ErrNotFound):
		return nil, 0, err
	}
	entries, total, err := audit.List(ctx, s.db, audit.Filter{Entity: k.t.entity, EntityID: strconv.FormatInt(id, 10),
		Scope: p.Scope, Limit: limit, Offset: offset})
	if err != nil {
		return nil, 0, fmt.Errorf("registry: history of %s %d: %w", k.t.entity, id, err)
	}
	if total == 0 && v == nil {
		return nil, 0, apperr.NotFound(k.t.entity, id)
	}
	if k.mask != nil && !p.Can(access.PermRegistryWrite) {
		for i := range entries {
			entries[i].Before = maskJSON(entries[i].Before)
			entries[i].After = maskJSON(entries[i].After)
		}
	}
	return entries, total, nil
}

// checkOperatorRef adds a problem to inv unless operator id exists and lies
// in scope. An operator outside the scope reads as missing.
func checkOperatorRef(ctx context.Context, q sqldb.Querier, scope access.Scope, field string, id int64, inv *apperr.Invalid) {
	if id == 0 {
		return
	}
	var region string
	err := q.QueryRowContext(ctx, "SELECT region FROM registry_operators WHERE id = $1", id).Scan(&region)
	if err != nil || !scope.Allows(region, id) {
		inv.Add(field, "业户不存在 (no such operator in your data scope)", id)
	}
}

// checkUnique returns a conflict naming field when another record of table
// already holds the values of cond.
func checkUnique(ctx context.Context, q sqldb.Querier, tableName, field, what string, selfID int64, cond string, args ...any) error {
	var id int64
	args = append(args, selfID)
	err := q.QueryRowContext(ctx, "SELECT id FROM "+tableName+" WHERE "+cond+" AND id <> $"+strconv.Itoa(len(args)), args...).Scan(&id)
	if err == nil {
		return apperr.Conflict(fmt.Sprintf("%s: %s 已登记 (already registered)", field, what))
	}
	if errors.Is(err, sqlErrNoRows) {
		return nil
	}
	return err
}

// countRefs returns a conflict when query (counting referring rows) finds any.
func countRefs(ctx context.Context, q sqldb.Querier, what string, query string, id int64) error {
	var n int
	if err := q.QueryRowContext(ctx, query, id).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return apperr.Conflict(fmt.Sprintf("still referenced by %d %s", n, what))
	}
	return nil
}
