package registry_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sheet"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
)

// vehicleSheet is the layout of a vehicle file as a clerk fills it in.
var vehicleSheet = sheet.MustSchema(
	sheet.Column{Key: "plate", Header: "车牌号码"},
	sheet.Column{Key: "plate_color", Header: "车牌颜色"},
	sheet.Column{Key: "vin", Header: "车辆识别代号"},
	sheet.Column{Key: "category", Header: "营运类别"},
	sheet.Column{Key: "seats", Header: "核定载客", Kind: sheet.Number},
	sheet.Column{Key: "rated_load_kg", Header: "核定载质量(kg)", Kind: sheet.Number},
	sheet.Column{Key: "operator", Header: "所属业户"},
	sheet.Column{Key: "region", Header: "行政区划代码"},
	sheet.Column{Key: "transport_cert_no", Header: "道路运输证号"},
	sheet.Column{Key: "transport_cert_valid_until", Header: "道路运输证有效期至", Kind: sheet.Date},
	sheet.Column{Key: "terminal_phone", Header: "终端手机号"},
)

// vehicleFile builds an XLSX of n vehicles of the operators (credit codes),
// one row in twenty broken in one of several ways. It returns the file and,
// by row number, the column each broken row must be rejected for.
func vehicleFile(t testing.TB, n int, operators []string) ([]byte, map[int]string) {
	t.Helper()
	var buf bytes.Buffer
	w, err := sheet.NewWriter(&buf, sheet.XLSX, vehicleSheet)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[int]string{}
	until := civil.Today().AddDays(365)
	for i := range n {
		rowNum := i + 2 // the header is row 1
		plate, color, vin := registrytest.Plate("川", "A", i), "黄色", registrytest.VIN(i)
		category, seats, load := "班线客车", "45", ""
		if i%3 == 1 {
			category, seats, load = "危险货物运输车", "", "18000"
		}
		operator, region, certUntil := operators[i%len(operators)], "510104", any(until)
		phone := fmt.Sprint(13900000000 + i)
		if i%20 == 7 {
			switch (i / 20) % 7 {
			case 0:
				vin = vin[:8] + string("0123456789X"[(strings.IndexByte("0123456789X", vin[8])+1)%11]) + vin[9:]
				bad[rowNum] = "vin"
			case 1:
				plate = "川I" + plate[len("川A"):]
				bad[rowNum] = "plate"
			case 2:
				operator = "不存在的运输公司"
				bad[rowNum] = "operator"
			case 3:
				plate = registrytest.Plate("川", "A", i-1) // repeats the previous row
				bad[rowNum] = "plate"
			case 4:
				category, seats, load = "班线客车", "", ""
				bad[rowNum] = "seats"
			case 5:
				certUntil = "2026-02-30"
				bad[rowNum] = "transport_cert_valid_until"
			case 6:
				region = "510105" // outside the importer's county
				bad[rowNum] = "region"
			}
		}
		if err := w.WriteRow(plate, color, vin, category, seats, load, operator, region, "川交运"+fmt.Sprint(i), certUntil, phone); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), bad
}

func TestImportVehiclesKeepsGoodRowsAndNamesBadOnes(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		svc := newService(t, db)
		ctx := systemCtx()
		a := mustCreateOperator(t, svc, ctx, operatorIn("510104", 1))
		b := mustCreateOperator(t, svc, ctx, operatorIn("510104", 2))
		const n = 1000
		data, bad := vehicleFile(t, n, []string{a.CreditCode, b.Name})

		county := access.With(context.Background(), registrytest.Principal("jj", "510104", 0, access.RoleRegulator))
		rep, err := svc.ImportRecords(county, "vehicles", sheet.File{Name: "车辆.xlsx", Format: sheet.XLSX, Data: data})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Total != n || rep.Imported != n-len(bad) || rep.Failed != len(bad) {
			t.Errorf("report: total %d imported %d failed %d, want %d %d %d", rep.Total, rep.Imported, rep.Failed, n, n-len(bad), len(bad))
		}
		got := map[int]string{}
		for _, e := range rep.Errors {
			if len(e.Problems) == 0 || e.Problems[0].Reason == "" {
				t.Errorf("row %d rejected without a reason", e.Row)
				continue
			}
			got[e.Row] = e.Problems[0].Column
		}
		if diff := cmp.Diff(bad, got); diff != "" {
			t.Errorf("rejected rows and columns (-want +got):\n%s", diff)
		}

		// Every valid row is stored, with its operator resolved by credit
		// code or name.
		list, total, err := svc.Vehicles(ctx, registry.Filter{Limit: 5000})
		if err != nil {
			t.Fatal(err)
		}
		if total != n-len(bad) {
			t.Fatalf("stored %d vehicles, want %d", total, n-len(bad))
		}
		stored := map[string]registry.Vehicle{}
		for _, v := range list {
			stored[v.Plate] = v
		}
		for i := range n {
			if _, isBad := bad[i+2]; isBad {
				continue
			}
			v, ok := stored[registrytest.Plate("川", "A", i)]
			if !ok {
				t.Errorf("row %d not stored", i+2)
				continue
			}
			wantOp := []int64{a.ID, b.ID}[i%2]
			if v.OperatorID != wantOp || v.VIN != registrytest.VIN(i) {
				t.Errorf("row %d stored as %+v", i+2, v.VehicleFields)
			}
		}
		if _, n, _ := svc.History(ctx, "vehicle", list[0].ID, 5, 0); n != 1 {
			t.Errorf("imported vehicle has %d history entries", n)
		}

		// Importing the corrected file again updates instead of duplicating.
		again, err := svc.ImportRecords(county, "vehicles", sheet.File{Format: sheet.XLSX, Data: data})
		if err != nil {
			t.Fatal(err)
		}
		if again.Imported != n-len(bad) {
			t.Errorf("re-import imported %d", again.Imported)
		}
		if _, total, _ := svc.Vehicles(ctx, registry.Filter{}); total != n-len(bad) {
			t.Errorf("after re-import %d vehicles", total)
		}
	})
}

// BenchmarkImportVehiclesXLSX imports an XLSX of 10,000 vehicles, 5 % of
// them invalid, into a fresh SQLite database per iteration.
func BenchmarkImportVehiclesXLSX(b *testing.B) {
	const n = 10_000
	setup := func() (*registry.Service, context.Context, []byte) {
		db := sqldbtest.OpenSQLite(b)
		svc := newService(b, db)
		ops := make([]string, 20)
		for i := range ops {
			ops[i] = mustCreateOperator(b, svc, systemCtx(), operatorIn("510104", i)).CreditCode
		}
		data, _ := vehicleFile(b, n, ops)
		return svc, access.With(context.Background(), registrytest.Principal("jj", "510104", 0, access.RoleRegulator)), data
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		svc, ctx, data := setup()
		b.StartTimer()
		rep, err := svc.ImportRecords(ctx, "vehicles", sheet.File{Format: sheet.XLSX, Data: data})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Imported != n-n/20 || rep.Failed != n/20 {
			b.Fatalf("imported %d failed %d", rep.Imported, rep.Failed)
		}
	}
}
