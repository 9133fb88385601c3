package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sheet"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// Imports write in chunks: each chunk of valid rows goes into the database
// in one transaction with prepared statements, which is what makes 10,000
// rows take seconds. References and uniqueness are checked against maps
// loaded once per import, so a row costs no extra query.
const importChunk = 500

// maxImportRows bounds one imported file.
const maxImportRows = 100_000

// importer describes the tabular form of one entity.
type importer[T any] struct {
	k      *kind[T]
	schema *sheet.Schema
	// parse turns a row into a record. Problems are reported under the
	// schema's column keys; the operator column is resolved through ops.
	parse func(row sheet.Row, ops *operatorIndex, inv *apperr.Invalid) *T
	// row returns the export cells of v in schema order.
	row func(v *T, ops *operatorIndex) []any
	// keyQuery selects id, region, owner and then the unique keys of every
	// stored record; keyNames name those keys (JSON names) and keysOf
	// computes them for a record. The first key identifies the record an
	// imported row updates.
	keyQuery string
	keyNames []string
	keysOf   func(v *T) []string
	// carry, when set, copies onto an imported row what the sheet has no
	// column for, from the record the row updates (a vehicle's driver).
	carry func(old, v *T)
}

// operatorIndex resolves the operator column of imports (a credit code or a
// name) and names operators in exports. It holds the operators of one scope.
type operatorIndex struct {
	byCode map[string]int64
	byName map[string][]int64
	names  map[int64]string
	codes  map[int64]string
}

func loadOperatorIndex(ctx context.Context, db *sqldb.DB, scope access.Scope) (*operatorIndex, error) {
	x := &operatorIndex{byCode: map[string]int64{}, byName: map[string][]int64{}, names: map[int64]string{}, codes: map[int64]string{}}
	where, args, err := operators.where(db.Dialect(), scope, Filter{})
	if err != nil {
		return nil, err
	}
	rows, err := db.Read().QueryContext(ctx, "SELECT id, name, credit_code FROM registry_operators"+where, args...)
	if err != nil {
		return nil, fmt.Errorf("registry: load operators: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name, code string
		if err := rows.Scan(&id, &name, &code); err != nil {
			return nil, fmt.Errorf("registry: load operators: %w", err)
		}
		x.byCode[code] = id
		x.byName[name] = append(x.byName[name], id)
		x.names[id], x.codes[id] = name, code
	}
	return x, rows.Err()
}

// resolve finds the operator a cell names, adding a problem under column
// when it names none (or several) in scope.
func (x *operatorIndex) resolve(cell, column string, required bool, inv *apperr.Invalid) int64 {
	cell = strings.TrimSpace(cell)
	if cell == "" {
		if required {
			inv.Add(column, "必填：业户统一社会信用代码或名称 (operator credit code or name required)", nil)
		}
		return 0
	}
	if id, ok := x.byCode[strings.ToUpper(cell)]; ok {
		return id
	}
	switch ids := x.byName[cell]; len(ids) {
	case 1:
		return ids[0]
	case 0:
		inv.Add(column, "业户不存在或不在您的管辖范围 (no such operator in your data scope)", cell)
	default:
		inv.Add(column, "业户名称不唯一，请填写统一社会信用代码 (several operators have this name; use the credit code)", cell)
	}
	return 0
}

func (x *operatorIndex) label(id int64) string {
	if id == 0 {
		return ""
	}
	if c, ok := x.codes[id]; ok {
		return c
	}
	return strconv.FormatInt(id, 10)
}

// keyOwner is what an import needs to know of a stored record holding a key.
type keyOwner struct {
	id         int64
	region     string
	operatorID int64
}

// ImportRecords imports a CSV or XLSX file of entity ("operators",
// "vehicles", "practitioners", "stations" or "vessels") for the principal in
// ctx. Rows whose identifying key (credit code, plate and colour, ID number,
// station name in its region, MMSI) is already registered update that record;
// other rows create one. Every valid row is kept; each invalid row is
// reported with its column and reason. Only a file that cannot be read at all
// fails as a whole.
func (s *Service) ImportRecords(ctx context.Context, entity string, file sheet.File) (*sheet.Report, error) {
	switch entity {
	case "operators":
		return runImport(ctx, s, operatorImport, file)
	case "vehicles":
		return runImport(ctx, s, vehicleImport, file)
	case "practitioners":
		return runImport(ctx, s, practitionerImport, file)
	case "stations":
		return runImport(ctx, s, stationImport, file)
	case "vessels":
		return runImport(ctx, s, vesselImport, file)
	}
	return nil, apperr.Field("entity", "该类数据不支持导入 (no import for this kind of record)", entity)
}

type pendingRow[T any] struct {
	row    sheet.Row
	v      *T
	target int64 // id of the stored record the row updates; 0 creates
}

func runImport[T any](ctx context.Context, s *Service, im *importer[T], file sheet.File) (*sheet.Report, error) {
	p, err := principal(ctx, access.PermRegistryWrite)
	if err != nil {
		return nil, err
	}
	ops, err := loadOperatorIndex(ctx, s.db, p.Scope)
	if err != nil {
		return nil, err
	}
	keys, err := im.loadKeys(ctx, s.db)
	if err != nil {
		return nil, err
	}
	rep := sheet.NewReport(im.schema)
	var batch []pendingRow[T]
	flush := func() error {
		err := im.flush(ctx, s, batch, keys, rep)
		batch = batch[:0]
		return err
	}
	info, err := file.Read(im.schema, func(row sheet.Row) error {
		pr, err := im.prepare(p.Scope, row, ops, keys)
		if err != nil {
			rep.Record(row, err)
			return nil
		}
		batch = append(batch, pr)
		if len(batch) >= importChunk {
			return flush()
		}
		return nil
	}, sheet.WithMaxRows(maxImportRows))
	if err == nil {
		err = flush()
	}
	if err != nil {
		return nil, fmt.Errorf("registry: import %s: %w", im.k.t.entity, err)
	}
	rep.Warn(info.Warnings...)
	rep.Sort()
	s.logger.InfoContext(ctx, "registry import", slog.String("entity", im.k.t.entity), slog.Int("rows", rep.Total),
		slog.Int("imported", rep.Imported), slog.Int("failed", rep.Failed), slog.String("user", p.Username))
	return rep, nil
}

// importKeys maps every unique key of the stored records (and of the rows
// accepted so far) to the record holding it; pending rows hold negative ids.
type importKeys struct {
	byKey []map[string]keyOwner
	// fileRow maps the keys claimed by rows of this file to the row number,
	// so a key repeated within the file is reported whether it is new or
	// already stored.
	fileRow []map[string]int
}

func (im *importer[T]) loadKeys(ctx context.Context, db *sqldb.DB) (*importKeys, error) {
	k := &importKeys{byKey: make([]map[string]keyOwner, len(im.keyNames)), fileRow: make([]map[string]int, len(im.keyNames))}
	for i := range k.byKey {
		k.byKey[i], k.fileRow[i] = map[string]keyOwner{}, map[string]int{}
	}
	rows, err := db.Read().QueryContext(ctx, im.keyQuery)
	if err != nil {
		return nil, fmt.Errorf("registry: load %s keys: %w", im.k.t.entity, err)
	}
	defer rows.Close()
	vals := make([]string, len(im.keyNames))
	for rows.Next() {
		var o keyOwner
		dest := []any{&o.id, &o.region, optID{&o.operatorID}}
		for i := range vals {
			dest = append(dest, optText{&vals[i]})
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("registry: load %s keys: %w", im.k.t.entity, err)
		}
		for i, v := range vals {
			if v != "" {
				k.byKey[i][v] = o
			}
		}
	}
	return k, rows.Err()
}

// prepare parses and checks one row completely, without touching the
// database: fields, scope, operator, uniqueness against the loaded keys.
func (im *importer[T]) prepare(scope access.Scope, row sheet.Row, ops *operatorIndex, keys *importKeys) (pendingRow[T], error) {
	inv := &apperr.Invalid{}
	v := im.parse(row, ops, inv)
	im.k.validate(v, inv)
	if err := rowProblems(inv); err != nil {
		return pendingRow[T]{}, err
	}
	if !im.k.inScope(scope, v) {
		r, _ := im.k.t.owner(v)
		return pendingRow[T]{}, apperr.Field("region", "超出您的管辖范围 (outside your data scope)", r)
	}
	ks := im.keysOf(v)
	for i, kv := range ks {
		if n, ok := keys.fileRow[i][kv]; ok && kv != "" {
			return pendingRow[T]{}, apperr.Field(im.keyNames[i], fmt.Sprintf("与第 %d 行重复 (repeats row %d)", n, n), kv)
		}
	}
	var target int64
	if o, ok := keys.byKey[0][ks[0]]; ok {
		if !scope.Allows(o.region, o.operatorID) {
			return pendingRow[T]{}, apperr.Field(im.keyNames[0], "已由其他管辖范围登记 (already registered outside your data scope)", ks[0])
		}
		target = o.id
	}
	for i := 1; i < len(ks); i++ {
		if ks[i] == "" {
			continue
		}
		if o, ok := keys.byKey[i][ks[i]]; ok && o.id != target {
			return pendingRow[T]{}, apperr.Field(im.keyNames[i], "已被其他记录使用 (already registered to another record)", ks[i])
		}
	}
	// Claim the keys for this row so later rows of the file see them.
	r, op := im.k.t.owner(v)
	claim := keyOwner{id: -int64(row.Num), region: r, operatorID: op}
	if target != 0 {
		claim.id = target
	}
	for i, kv := range ks {
		if kv != "" {
			keys.byKey[i][kv] = claim
			keys.fileRow[i][kv] = row.Num
		}
	}
	return pendingRow[T]{row: row, v: v, target: target}, nil
}

// rowProblems renames record fields to import columns where they differ.
func rowProblems(inv *apperr.Invalid) error {
	if inv.Err() == nil {
		return nil
	}
	out := &apperr.Invalid{}
	seen := map[string]bool{}
	for _, f := range inv.Fields {
		if f.Field == "operator_id" {
			f.Field = "operator"
		}
		if seen[f.Field+f.Reason] {
			continue
		}
		seen[f.Field+f.Reason] = true
		out.Fields = append(out.Fields, f)
	}
	return out
}

// flush writes a batch in one transaction. Should the transaction fail (a
// record changed concurrently), each row is retried alone so one bad row
// cannot sink its neighbours.
func (im *importer[T]) flush(ctx context.Context, s *Service, batch []pendingRow[T], keys *importKeys, rep *sheet.Report) error {
	if len(batch) == 0 {
		return nil
	}
	err := s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		stmt, err := tx.PrepareContext(ctx, im.k.t.insertSQL())
		if err != nil {
			return err
		}
		defer stmt.Close()
		now := s.now()
		for _, pr := range batch {
			if err := im.write(ctx, tx, stmt, pr, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		for _, pr := range batch {
			im.accepted(s, pr, keys)
			rep.OK(pr.row)
		}
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for _, pr := range batch {
		err := s.db.InTx(ctx, func(tx *sqldb.Tx) error {
			return im.write(ctx, tx, nil, pr, s.now())
		})
		err = sqldb.MapError(err)
		switch {
		case err == nil:
			im.accepted(s, pr, keys)
			rep.OK(pr.row)
		case errors.Is(err, apperr.ErrConflict), errors.Is(err, apperr.ErrInvalid), errors.Is(err, apperr.ErrNotFound):
			rep.Record(pr.row, err)
		default:
			return err
		}
	}
	return nil
}

// write stores one row: an update of its target, or an insert through the
// prepared statement ins (nil: through tx directly).
func (im *importer[T]) write(ctx context.Context, tx *sqldb.Tx, ins *sql.Stmt, pr pendingRow[T], now time.Time) error {
	t := im.k.t
	if pr.target != 0 {
		old, err := t.get(ctx, tx, pr.target)
		if err != nil {
			return err
		}
		*t.meta(pr.v) = *t.meta(old)
		if im.carry != nil {
			im.carry(old, pr.v)
		}
		return im.k.updateTx(ctx, tx, old, pr.v, audit.ActionImport, now)
	}
	m := t.meta(pr.v)
	ms := now.UnixMilli()
	args := append([]any{ms, ms}, t.args(pr.v)...)
	var err error
	if ins != nil {
		err = ins.QueryRowContext(ctx, args...).Scan(&m.ID)
	} else {
		err = tx.QueryRowContext(ctx, t.insertSQL(), args...).Scan(&m.ID)
	}
	if err != nil {
		return err
	}
	m.Version, m.CreatedAt, m.UpdatedAt = 1, sqldb.FromMillis(ms), sqldb.FromMillis(ms)
	r, op := t.owner(pr.v)
	return audit.Record(ctx, tx, audit.Change{Action: audit.ActionImport, Entity: t.entity, EntityID: m.ID,
		Region: r, OperatorID: op, Summary: im.k.summary(pr.v), After: pr.v})
}

func (im *importer[T]) accepted(s *Service, pr pendingRow[T], keys *importKeys) {
	r, op := im.k.t.owner(pr.v)
	o := keyOwner{id: im.k.t.meta(pr.v).ID, region: r, operatorID: op}
	for i, kv := range im.keysOf(pr.v) {
		if kv != "" {
			keys.byKey[i][kv] = o
		}
	}
	if im.k.changed != nil {
		im.k.changed(s, nil, pr.v)
	}
}

// exportTable streams the records of entity in the principal's scope
// matching f as a CSV or XLSX table with the import's columns, so an export
// edited in Excel imports back.
func (s *Service) exportTable(ctx context.Context, entity string, f Filter, format sheet.Format) (*huma.StreamResponse, error) {
	p, err := principal(ctx, access.PermRegistryRead)
	if err != nil {
		return nil, err
	}
	ops, err := loadOperatorIndex(ctx, s.db, access.All)
	if err != nil {
		return nil, err
	}
	name := entity + "_" + civil.Today().String()
	switch entity {
	case "operators":
		return exportWith(ctx, s, p, operatorImport, f, ops, name, format)
	case "vehicles":
		return exportWith(ctx, s, p, vehicleImport, f, ops, name, format)
	case "practitioners":
		return exportWith(ctx, s, p, practitionerImport, f, ops, name, format)
	case "stations":
		return exportWith(ctx, s, p, stationImport, f, ops, name, format)
	case "vessels":
		return exportWith(ctx, s, p, vesselImport, f, ops, name, format)
	case "routes":
		return exportWith(ctx, s, p, routeExport, f, ops, name, format)
	}
	return nil, apperr.Field("entity", "unknown registry entity", entity)
}

func exportWith[T any](ctx context.Context, s *Service, p *access.Principal, im *importer[T], f Filter, ops *operatorIndex,
	name string, format sheet.Format) (*huma.StreamResponse, error) {
	// Check the filters before the response starts, so a bad one is a 422.
	if _, _, err := im.k.t.where(s.db.Dialect(), p.Scope, f); err != nil {
		return nil, err
	}
	if _, err := im.k.t.orderBy(f.Sort); err != nil {
		return nil, err
	}
	mask := im.k.mask != nil && !p.Can(access.PermRegistryWrite)
	return sheet.Download(name, format, im.schema, func(w *sheet.Writer) error {
		return im.k.t.each(ctx, s.db, p.Scope, f, func(v *T) error {
			if mask {
				im.k.mask(v)
			}
			return w.WriteRow(im.row(v, ops)...)
		})
	}), nil
}

type exportInput struct {
	Entity string `path:"entity" enum:"operators,vehicles,practitioners,stations,routes,vessels"`
	Format string `query:"format" enum:"csv,xlsx" default:"xlsx"`
	Q      string `query:"q" maxLength:"100"`
	Sort   string `query:"sort"`
	ListFilters
}

type importInput struct {
	Entity string `path:"entity" enum:"operators,vehicles,practitioners,stations,vessels"`
	sheet.Upload
}

type importOutput struct {
	Body *sheet.Report
}

func registerTabular(api huma.API, svc *Service) {
	tags := []string{"registry"}
	exp := huma.Operation{OperationID: "export-registry", Method: http.MethodGet, Path: "/registry/{entity}/export",
		Summary: "Export records as CSV or XLSX", Tags: tags,
		Description: "The records of the caller's scope matching the same filters as the list, with the import's columns."}
	sheet.DocumentDownload(&exp)
	huma.Register(api, exp, func(ctx context.Context, in *exportInput) (*huma.StreamResponse, error) {
		f, err := in.filter(in.Q)
		if err != nil {
			return nil, err
		}
		f.Sort = in.Sort
		format, _ := sheet.ParseFormat(in.Format)
		return svc.exportTable(ctx, in.Entity, f, format)
	})
	imp := huma.Operation{OperationID: "import-registry", Method: http.MethodPost, Path: "/registry/{entity}/import",
		Summary: "Import records from CSV or XLSX", Tags: tags,
		Description: "Creates a record per row, or updates the record with the row's identifying key. Valid rows are kept; " +
			"the report names each rejected row with its column and reason. Operators are referred to by credit code or name."}
	sheet.DocumentUpload(&imp)
	huma.Register(api, imp, func(ctx context.Context, in *importInput) (*importOutput, error) {
		if _, err := access.Require(ctx, access.PermRegistryWrite); err != nil {
			return nil, err
		}
		file, err := in.File()
		if err != nil {
			return nil, err
		}
		rep, err := svc.ImportRecords(ctx, in.Entity, file)
		if err != nil {
			return nil, err
		}
		return &importOutput{Body: rep}, nil
	})
}
