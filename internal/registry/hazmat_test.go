package registry_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sheet"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
)

// TestHazmatClasses covers the dangerous-goods classes of operators and
// vehicles (read by the e-waybill): validated, stored, and kept by a
// spreadsheet import that has no column for them.
func TestHazmatClasses(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		s := newService(t, db)
		ctx := systemCtx()
		in := operatorIn("510104", 7)
		in.Scopes = []registry.BusinessScope{registry.ScopeHazmat}
		in.HazmatClasses = []string{"2.1", "3", "9"}
		op := mustCreateOperator(t, s, ctx, in)
		if got, err := s.Operator(ctx, op.ID); err != nil || len(got.HazmatClasses) != 3 || got.HazmatClasses[0] != "2.1" {
			t.Fatalf("read back %v %+v", err, got)
		}
		bad := in
		bad.CreditCode = registrytest.CreditCode("510104", 8)
		bad.HazmatClasses = []string{"3", "10", "3"}
		_, err := s.CreateOperator(ctx, bad)
		fields := apperr.Fields(err)
		if !errors.Is(err, apperr.ErrInvalid) || len(fields) != 2 || fields[0].Field != "hazmat_classes[1]" || fields[1].Field != "hazmat_classes[2]" {
			t.Fatalf("bad classes: %v", err)
		}

		trailer, err := s.CreateVehicle(ctx, registry.VehicleFields{Plate: registrytest.Plate("川", "A", 71), PlateColor: registry.PlateYellow,
			VIN: registrytest.VIN(71), Category: registry.CategoryTrailer, RatedLoadKg: 30000, OperatorID: op.ID, Region: "510104",
			HazmatClasses: []string{"2"}})
		if err != nil || trailer.Category.Label() != "挂车" {
			t.Fatalf("trailer: %v", err)
		}
		if _, err := s.CreateVehicle(ctx, registry.VehicleFields{Plate: registrytest.Plate("川", "A", 72), PlateColor: registry.PlateYellow,
			VIN: registrytest.VIN(72), Category: registry.CategoryTrailer, OperatorID: op.ID, Region: "510104"}); !errors.Is(err, apperr.ErrInvalid) {
			t.Fatalf("trailer without rated load: %v", err)
		}

		// an import updating the operator keeps its classes
		schema := sheet.MustSchema(sheet.Column{Key: "name", Header: "业户名称"}, sheet.Column{Key: "credit_code", Header: "统一社会信用代码"},
			sheet.Column{Key: "region", Header: "行政区划代码"}, sheet.Column{Key: "scopes", Header: "经营范围"},
			sheet.Column{Key: "licence_no", Header: "道路运输经营许可证号"}, sheet.Column{Key: "licence_valid_until", Header: "有效期至", Kind: sheet.Date})
		var buf bytes.Buffer
		w, err := sheet.NewWriter(&buf, sheet.CSV, schema)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRow(op.Name+"（更名）", op.CreditCode, "510104", "危险货物运输", op.LicenceNo, civil.Today().AddDays(300)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		rep, err := s.ImportRecords(ctx, "operators", sheet.File{Name: "ops.csv", Format: sheet.CSV, Data: buf.Bytes()})
		if err != nil || rep.Failed != 0 {
			t.Fatalf("import: %v %+v", err, rep)
		}
		got, err := s.Operator(ctx, op.ID)
		if err != nil || got.Name != op.Name+"（更名）" || len(got.HazmatClasses) != 3 {
			t.Fatalf("after import: %v %+v", err, got)
		}

		// with the column, the cell sets them ("第8类、2.1项" as clerks write them)
		withClasses := sheet.MustSchema(append(schema.Columns(), sheet.Column{Key: "hazmat_classes", Header: "危货经营类别"})...)
		buf.Reset()
		if w, err = sheet.NewWriter(&buf, sheet.CSV, withClasses); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRow(op.Name, op.CreditCode, "510104", "危险货物运输", op.LicenceNo, civil.Today().AddDays(300), "第8类、2.1项"); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		rep, err = s.ImportRecords(ctx, "operators", sheet.File{Name: "ops.csv", Format: sheet.CSV, Data: buf.Bytes()})
		if err != nil || rep.Failed != 0 {
			t.Fatalf("import with classes: %v %+v", err, rep)
		}
		if got, err = s.Operator(ctx, op.ID); err != nil || len(got.HazmatClasses) != 2 || got.HazmatClasses[0] != "8" || got.HazmatClasses[1] != "2.1" {
			t.Fatalf("classes after import: %v %+v", err, got.HazmatClasses)
		}
		// a vehicle without classes reads back without them
		v, err := s.Vehicle(ctx, trailer.ID)
		if err != nil || len(v.HazmatClasses) != 1 {
			t.Fatalf("trailer read back: %v %+v", err, v)
		}
	})
}
