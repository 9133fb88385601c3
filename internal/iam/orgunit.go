package iam

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/platform/region"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// OrgUnit is an organisation (组织机构): a transport bureau at one level of
// government, keyed by the GB/T 2260 code of its region (510104 →
// 锦江区交通运输局). Units form a tree following the region hierarchy: the
// parent of a unit is the unit of the nearest enclosing region that has one.
type OrgUnit struct {
	ID         int64        `json:"id"`
	Region     string       `json:"region" doc:"GB/T 2260 region code"`
	RegionName string       `json:"region_name" doc:"Full name of the region, e.g. 四川省成都市锦江区"`
	Level      region.Level `json:"level" enum:"province,city,county"`
	Name       string       `json:"name"`
	ParentID   int64        `json:"parent_id,omitempty" doc:"Unit of the nearest enclosing region; absent at the top"`
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`
}

// OrgUnitNode is an org unit with the units below it.
type OrgUnitNode struct {
	OrgUnit
	Children []*OrgUnitNode `json:"children" nullable:"false"`
}

// OrgUnitInput creates or renames an org unit.
type OrgUnitInput struct {
	Region string `json:"region" pattern:"^[0-9]{6}$" doc:"GB/T 2260 code of the unit's region"`
	Name   string `json:"name" minLength:"1" maxLength:"100" doc:"e.g. 成都市交通运输局"`
}

// BureauName returns the usual name of the transport authority of a region:
// 四川省交通运输厅, 成都市交通运输局, 锦江区交通运输局, 北京市交通委员会.
func BureauName(code string) string {
	r, ok := region.Lookup(code)
	if !ok {
		return ""
	}
	switch {
	case code == "110000" || code == "310000":
		return r.Name + "交通委员会"
	case code == "120000" || code == "500000":
		return r.Name + "交通运输委员会"
	case r.Level == region.Province:
		return r.Name + "交通运输厅"
	}
	return r.Name + "交通运输局"
}

// requireWriteUnits checks the caller may change units in regionCode.
func requireWriteUnits(ctx context.Context, regionCode, field string) (*access.Principal, error) {
	p, err := access.Require(ctx, access.PermUsersManage)
	if err != nil {
		return nil, err
	}
	if p.Scope.OperatorID != 0 {
		return nil, apperr.Forbidden("an enterprise-scoped account cannot manage org units")
	}
	if !p.Scope.ContainsRegion(regionCode) {
		return nil, forbiddenField(field, fmt.Sprintf("region %s is outside your scope %s", regionCode, scopeLabel(p.Scope)), regionCode)
	}
	return p, nil
}

func scopeLabel(s access.Scope) string {
	if s.Region == "" {
		return "全国"
	}
	return s.Region + " " + region.FullName(s.Region)
}

// SeedOrgUnits creates the transport bureaus of a province, its cities and
// their counties, skipping regions that already have a unit. It returns how
// many units it created. The caller needs PermUsersManage over the province
// (the system principal at start-up has it).
func (s *Service) SeedOrgUnits(ctx context.Context, provinceCode string) (int, error) {
	r, ok := region.Lookup(provinceCode)
	if !ok || r.Level != region.Province {
		return 0, apperr.Field("province", "not a GB/T 2260 province code", provinceCode)
	}
	if access.From(ctx) == nil {
		ctx = access.With(ctx, access.System)
	}
	if _, err := requireWriteUnits(ctx, provinceCode, "province"); err != nil {
		return 0, fmt.Errorf("iam: seed org units %s: %w", provinceCode, err)
	}
	codes := []string{provinceCode}
	for i := 0; i < len(codes); i++ {
		for _, c := range region.Children(codes[i]) {
			codes = append(codes, c.Code)
		}
	}
	now := sqldb.Millis(s.now())
	created := 0
	err := s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		for _, code := range codes {
			res, err := tx.ExecContext(ctx, `INSERT INTO org_units (region, name, created_at, updated_at)
				VALUES ($1, $2, $3, $3) ON CONFLICT (region) DO NOTHING`, code, BureauName(code), now)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			created += int(n)
		}
		if created == 0 {
			return nil
		}
		return audit.Record(ctx, tx, audit.Change{Action: audit.ActionCreate, Entity: "org_unit", EntityID: provinceCode,
			Region: provinceCode, Summary: fmt.Sprintf("seeded %d org units for %s", created, r.Name)})
	})
	if err != nil {
		return 0, fmt.Errorf("iam: seed org units %s: %w", provinceCode, sqldb.MapError(err))
	}
	return created, nil
}

const orgUnitColumns = `id, region, name, created_at, updated_at`

func scanOrgUnit(row interface{ Scan(...any) error }) (OrgUnit, error) {
	var u OrgUnit
	var created, updated int64
	if err := row.Scan(&u.ID, &u.Region, &u.Name, &created, &updated); err != nil {
		return OrgUnit{}, err
	}
	u.CreatedAt, u.UpdatedAt = sqldb.FromMillis(created), sqldb.FromMillis(updated)
	if r, ok := region.Lookup(u.Region); ok {
		u.Level = r.Level
		u.RegionName = region.FullName(u.Region)
	}
	return u, nil
}

// fillParents sets ParentID on units from the units of their enclosing
// regions.
func (s *Service) fillParents(ctx context.Context, q sqldb.Querier, units []OrgUnit) error {
	var ancestors []string
	for _, u := range units {
		for _, r := range region.Path(u.Region) {
			if r.Code != u.Region && !slices.Contains(ancestors, r.Code) {
				ancestors = append(ancestors, r.Code)
			}
		}
	}
	if len(ancestors) == 0 {
		return nil
	}
	var args []any
	rows, err := q.QueryContext(ctx, `SELECT id, region FROM org_units WHERE region IN (`+inList(&args, ancestors)+`)`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	ids := map[string]int64{}
	for rows.Next() {
		var id int64
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			return err
		}
		ids[code] = id
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range units {
		path := region.Path(units[i].Region)
		for j := len(path) - 2; j >= 0; j-- {
			if id, ok := ids[path[j].Code]; ok {
				units[i].ParentID = id
				break
			}
		}
	}
	return nil
}

func (s *Service) orgUnit(ctx context.Context, q sqldb.Querier, id int64) (OrgUnit, error) {
	u, err := scanOrgUnit(q.QueryRowContext(ctx, `SELECT `+orgUnitColumns+` FROM org_units WHERE id = $1`, id))
	if err != nil {
		return OrgUnit{}, sqldb.MapError(err)
	}
	units := []OrgUnit{u}
	if err := s.fillParents(ctx, q, units); err != nil {
		return OrgUnit{}, err
	}
	return units[0], nil
}

// GetOrgUnit returns one unit inside the caller's scope.
func (s *Service) GetOrgUnit(ctx context.Context, id int64) (OrgUnit, error) {
	p := access.From(ctx)
	if p == nil {
		return OrgUnit{}, fmt.Errorf("login required: %w", apperr.ErrUnauthorized)
	}
	u, err := s.orgUnit(ctx, s.db.Read(), id)
	if err != nil {
		return OrgUnit{}, fmt.Errorf("iam: get org unit %d: %w", id, err)
	}
	if !p.Scope.ContainsRegion(u.Region) {
		return OrgUnit{}, apperr.NotFound("org unit", id)
	}
	return u, nil
}

// CreateOrgUnit adds a unit for a region that has none yet.
func (s *Service) CreateOrgUnit(ctx context.Context, in OrgUnitInput) (OrgUnit, error) {
	inv := &apperr.Invalid{}
	in.Name = strings.TrimSpace(in.Name)
	if !region.Valid(in.Region) {
		inv.Add("region", "not a GB/T 2260 region code", in.Region)
	}
	if in.Name == "" {
		inv.Add("name", "must not be empty", in.Name)
	}
	if err := inv.Err(); err != nil {
		return OrgUnit{}, err
	}
	if _, err := requireWriteUnits(ctx, in.Region, "region"); err != nil {
		return OrgUnit{}, err
	}
	now := sqldb.Millis(s.now())
	var out OrgUnit
	err := s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO org_units (region, name, created_at, updated_at)
			VALUES ($1, $2, $3, $3) RETURNING id`, in.Region, in.Name, now).Scan(&id)
		if sqldb.IsUniqueViolation(err) {
			return apperr.Field("region", "this region already has an org unit", in.Region)
		}
		if err != nil {
			return err
		}
		if out, err = s.orgUnit(ctx, tx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: audit.ActionCreate, Entity: "org_unit", EntityID: id,
			Region: in.Region, Summary: "created org unit " + in.Name, After: out})
	})
	if err != nil {
		return OrgUnit{}, fmt.Errorf("iam: create org unit: %w", sqldb.MapError(err))
	}
	return out, nil
}

// RenameOrgUnit changes a unit's name; its region, the unit's key, is fixed.
func (s *Service) RenameOrgUnit(ctx context.Context, id int64, name string) (OrgUnit, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return OrgUnit{}, apperr.Field("name", "must not be empty", name)
	}
	before, err := s.GetOrgUnit(ctx, id)
	if err != nil {
		return OrgUnit{}, err
	}
	if _, err := requireWriteUnits(ctx, before.Region, "region"); err != nil {
		return OrgUnit{}, err
	}
	var out OrgUnit
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE org_units SET name = $1, updated_at = $2 WHERE id = $3`,
			name, sqldb.Millis(s.now()), id); err != nil {
			return err
		}
		if out, err = s.orgUnit(ctx, tx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: audit.ActionUpdate, Entity: "org_unit", EntityID: id,
			Region: out.Region, Summary: "renamed org unit to " + name, Before: before, After: out})
	})
	if err != nil {
		return OrgUnit{}, fmt.Errorf("iam: rename org unit %d: %w", id, sqldb.MapError(err))
	}
	return out, nil
}

// DeleteOrgUnit removes a unit that no user belongs to.
func (s *Service) DeleteOrgUnit(ctx context.Context, id int64) error {
	before, err := s.GetOrgUnit(ctx, id)
	if err != nil {
		return err
	}
	if _, err := requireWriteUnits(ctx, before.Region, "region"); err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		var members int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE org_unit_id = $1`, id).Scan(&members); err != nil {
			return err
		}
		if members > 0 {
			return apperr.Conflict(fmt.Sprintf("org unit %s still has %d users; move them first", before.Name, members))
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM org_units WHERE id = $1`, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: audit.ActionDelete, Entity: "org_unit", EntityID: id,
			Region: before.Region, Summary: "deleted org unit " + before.Name, Before: before})
	})
	if err != nil {
		return fmt.Errorf("iam: delete org unit %d: %w", id, sqldb.MapError(err))
	}
	return nil
}

// OrgUnitFilter selects units for ListOrgUnits.
type OrgUnitFilter struct {
	httpapi.ListParams
	// Region limits the list to the subtree of a region code.
	Region string
	// Parent, when set, lists the units directly below the unit of this
	// region code (the console's lazy tree).
	Parent string
}

// ListOrgUnits lists the units inside the caller's scope.
func (s *Service) ListOrgUnits(ctx context.Context, f OrgUnitFilter) ([]OrgUnit, int, error) {
	p := access.From(ctx)
	if p == nil {
		return nil, 0, fmt.Errorf("login required: %w", apperr.ErrUnauthorized)
	}
	order, err := f.OrderBy(map[string]string{"region": "region", "name": "name", "created_at": "created_at",
		"updated_at": "updated_at"}, "region ASC, id ASC")
	if err != nil {
		return nil, 0, err
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if prefix := p.Scope.RegionPrefix(); prefix != "" {
		add("region LIKE ?", prefix+"%")
	}
	if f.Region != "" {
		if !region.Valid(f.Region) {
			return nil, 0, apperr.Field("query.region", "not a GB/T 2260 region code", f.Region)
		}
		if prefix := access.RegionPrefix(f.Region); prefix != "" {
			add("region LIKE ?", prefix+"%")
		}
	}
	if f.Parent != "" {
		if !region.Valid(f.Parent) {
			return nil, 0, apperr.Field("query.parent", "not a GB/T 2260 region code", f.Parent)
		}
		// Direct children in the unit tree: units below Parent with no unit
		// in between. Computed from the region table, then filtered in SQL.
		children, err := s.childUnitRegions(ctx, f.Parent)
		if err != nil {
			return nil, 0, fmt.Errorf("iam: list org units: %w", err)
		}
		if len(children) == 0 {
			return nil, 0, nil
		}
		where = append(where, "region IN ("+inList(&args, children)+")")
	}
	if f.Q != "" {
		args = append(args, "%"+f.Q+"%")
		n := "$" + strconv.Itoa(len(args))
		where = append(where, "(name "+s.db.Dialect().ILike()+" "+n+" OR region LIKE "+n+")")
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM org_units`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("iam: count org units: %w", err)
	}
	rows, err := s.db.Read().QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM org_units%s ORDER BY %s LIMIT %d OFFSET %d`,
		orgUnitColumns, cond, order, f.Limit(), f.Offset()), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("iam: list org units: %w", err)
	}
	defer rows.Close()
	var out []OrgUnit
	for rows.Next() {
		u, err := scanOrgUnit(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("iam: list org units: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("iam: list org units: %w", err)
	}
	if err := s.fillParents(ctx, s.db.Read(), out); err != nil {
		return nil, 0, fmt.Errorf("iam: list org units: %w", err)
	}
	return out, total, nil
}

// childUnitRegions returns the regions whose unit hangs directly below the
// unit of parent: walking down the region tree, stopping at each region
// that has a unit.
func (s *Service) childUnitRegions(ctx context.Context, parent string) ([]string, error) {
	existing, err := s.unitRegions(ctx, access.RegionPrefix(parent))
	if err != nil {
		return nil, err
	}
	var out []string
	var walk func(code string)
	walk = func(code string) {
		for _, c := range region.Children(code) {
			if existing[c.Code] {
				out = append(out, c.Code)
			} else {
				walk(c.Code)
			}
		}
	}
	walk(parent)
	return out, nil
}

func (s *Service) unitRegions(ctx context.Context, prefix string) (map[string]bool, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT region FROM org_units WHERE region LIKE $1`, prefix+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var code string
		if err := rows.Scan(&code); err != nil {
			return nil, err
		}
		out[code] = true
	}
	return out, rows.Err()
}

// OrgUnitTree returns the units inside the caller's scope (and below root,
// when given) as a forest: the units with no parent in the result at the top.
func (s *Service) OrgUnitTree(ctx context.Context, root string) ([]*OrgUnitNode, error) {
	p := access.From(ctx)
	if p == nil {
		return nil, fmt.Errorf("login required: %w", apperr.ErrUnauthorized)
	}
	if root != "" && !region.Valid(root) {
		return nil, apperr.Field("query.root", "not a GB/T 2260 region code", root)
	}
	var where []string
	var args []any
	for _, prefix := range []string{p.Scope.RegionPrefix(), access.RegionPrefix(root)} {
		if prefix != "" {
			args = append(args, prefix+"%")
			where = append(where, "region LIKE $"+strconv.Itoa(len(args)))
		}
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+orgUnitColumns+` FROM org_units`+cond+` ORDER BY region`, args...)
	if err != nil {
		return nil, fmt.Errorf("iam: org unit tree: %w", err)
	}
	defer rows.Close()
	nodes := map[string]*OrgUnitNode{}
	var order []string
	for rows.Next() {
		u, err := scanOrgUnit(rows)
		if err != nil {
			return nil, fmt.Errorf("iam: org unit tree: %w", err)
		}
		nodes[u.Region] = &OrgUnitNode{OrgUnit: u, Children: []*OrgUnitNode{}}
		order = append(order, u.Region)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("iam: org unit tree: %w", err)
	}
	roots := []*OrgUnitNode{}
	for _, code := range order {
		n := nodes[code]
		path := region.Path(code)
		attached := false
		for j := len(path) - 2; j >= 0; j-- {
			if parent, ok := nodes[path[j].Code]; ok {
				n.ParentID = parent.ID
				parent.Children = append(parent.Children, n)
				attached = true
				break
			}
		}
		if !attached {
			roots = append(roots, n)
		}
	}
	return roots, nil
}
