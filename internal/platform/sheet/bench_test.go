package sheet_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sheet"
)

// wide is a 20-column table shaped like a vehicle register: text, numbers
// and dates.
var wide = func() *sheet.Schema {
	cols := []sheet.Column{
		{Key: "plate", Header: "车牌号码", Required: true},
		{Key: "plate_color", Header: "车牌颜色"},
		{Key: "vin", Header: "车辆识别代号", Required: true},
		{Key: "type", Header: "车辆类型"},
		{Key: "category", Header: "经营范围"},
		{Key: "seats", Header: "核定载客", Kind: sheet.Number},
		{Key: "load", Header: "核定载质量", Kind: sheet.Number},
		{Key: "axles", Header: "轴数", Kind: sheet.Number},
		{Key: "operator", Header: "业户名称"},
		{Key: "uscc", Header: "统一社会信用代码"},
		{Key: "cert_no", Header: "道路运输证号"},
		{Key: "cert_from", Header: "有效期起", Kind: sheet.Date},
		{Key: "cert_until", Header: "有效期至", Kind: sheet.Date},
		{Key: "sim", Header: "终端手机号"},
		{Key: "terminal", Header: "终端ID"},
		{Key: "region", Header: "行政区划代码"},
		{Key: "status", Header: "状态"},
		{Key: "brand", Header: "品牌型号"},
		{Key: "registered", Header: "注册日期", Kind: sheet.Date},
		{Key: "note", Header: "备注"},
	}
	return sheet.MustSchema(cols...)
}()

func wideXLSX(tb testing.TB, n int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w, err := sheet.NewWriter(&buf, sheet.XLSX, wide)
	if err != nil {
		tb.Fatal(err)
	}
	d := civil.Date{Year: 2024, Month: time.January, Day: 1}
	for i := range n {
		err := w.WriteRow(fmt.Sprintf("川A%05d", i), "黄色", fmt.Sprintf("LGWEF4A59HF%06d", i), "大型普通客车", "班线客运",
			45, 12.5, 2, fmt.Sprintf("成都市第%d运输有限公司", i%300), "91510100MA61XXXX0X", fmt.Sprintf("川交运管成字%09d号", i),
			d, d.AddDays(365*3), fmt.Sprintf("138%08d", i), fmt.Sprintf("T%07d", i), "510104", "营运", "宇通ZK6122", d.AddDays(-i%1000), "")
		if err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkReadXLSX10k reads a 10,000-row x 20-column XLSX, touching every
// cell, as a registry import does before validation.
func BenchmarkReadXLSX10k(b *testing.B) {
	data := wideXLSX(b, 10_000)
	keys := make([]string, 0, 20)
	for _, c := range wide.Columns() {
		keys = append(keys, c.Key)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		_, err := sheet.Read(bytes.NewReader(data), sheet.XLSX, wide, func(r sheet.Row) error {
			for _, k := range keys {
				n += len(r.Get(k))
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteXLSX10k exports 10,000 rows x 20 columns.
func BenchmarkWriteXLSX10k(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		wideXLSX(b, 10_000)
	}
}

// BenchmarkReadCSV10k reads the same table as CSV.
func BenchmarkReadCSV10k(b *testing.B) {
	var buf bytes.Buffer
	if err := convert(wideXLSX(b, 10_000), &buf, sheet.CSV); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sheet.Read(bytes.NewReader(data), sheet.CSV, wide, func(sheet.Row) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// convert rewrites a wide table in another format.
func convert(data []byte, out *bytes.Buffer, format sheet.Format) error {
	w, err := sheet.NewWriter(out, format, wide)
	if err != nil {
		return err
	}
	vals := make([]any, 20)
	_, err = sheet.Read(bytes.NewReader(data), sheet.Detect, wide, func(r sheet.Row) error {
		for i, c := range wide.Columns() {
			vals[i] = r.Get(c.Key)
		}
		return w.WriteRow(vals...)
	})
	if err != nil {
		return err
	}
	return w.Close()
}

// BenchmarkReadXLSX10kSharedStrings reads the table saved the way Excel
// saves it, with text in the shared string table rather than inline.
func BenchmarkReadXLSX10kSharedStrings(b *testing.B) {
	data := sharedStringsCopy(b, wideXLSX(b, 10_000))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		_, err := sheet.Read(bytes.NewReader(data), sheet.XLSX, wide, func(r sheet.Row) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
}

func sharedStringsCopy(tb testing.TB, data []byte) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	n := 0
	_, err := sheet.Read(bytes.NewReader(data), sheet.XLSX, wide, func(r sheet.Row) error {
		n++
		if n == 1 {
			hdr := make([]any, 0, 20)
			for _, h := range wide.Headers() {
				hdr = append(hdr, h)
			}
			if err := f.SetSheetRow("Sheet1", "A1", &hdr); err != nil {
				return err
			}
		}
		vals := make([]any, 0, 20)
		for _, c := range wide.Columns() {
			vals = append(vals, r.Get(c.Key))
		}
		return f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", n+1), &vals)
	})
	if err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	if err := f.Write(&out); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}
