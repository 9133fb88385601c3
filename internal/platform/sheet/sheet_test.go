package sheet_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sheet"
)

var vehicles = sheet.MustSchema(
	sheet.Column{Key: "plate", Header: "车牌号码", Aliases: []string{"车牌号", "Plate number"}, Required: true},
	sheet.Column{Key: "vin", Header: "车辆识别代号", Aliases: []string{"VIN", "车架号"}, Required: true},
	sheet.Column{Key: "seats", Header: "核定载客", Aliases: []string{"Seats"}, Kind: sheet.Number},
	sheet.Column{Key: "load", Header: "核定载质量(吨)", Aliases: []string{"Rated load"}, Kind: sheet.Number},
	sheet.Column{Key: "valid_until", Header: "有效期至", Aliases: []string{"Valid until"}, Kind: sheet.Date},
	sheet.Column{Key: "owner", Header: "业户名称", Aliases: []string{"Operator"}},
	sheet.Column{Key: "active", Header: "是否营运", Aliases: []string{"Active"}},
)

type readRow struct {
	Num    int
	Values map[string]string
}

// readAll reads data and returns every row as key → value.
func readAll(t *testing.T, data []byte, format sheet.Format, opts ...sheet.Option) ([]readRow, sheet.Info, error) {
	t.Helper()
	var rows []readRow
	info, err := sheet.Read(bytes.NewReader(data), format, vehicles, func(r sheet.Row) error {
		rows = append(rows, readRow{r.Num, r.Values()})
		return nil
	}, opts...)
	return rows, info, err
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	d := civil.Date{Year: 2027, Month: time.March, Day: 31}
	input := [][]any{
		{"川A12345", "LGWEF4A59HF123456", 45, 8.1, d, "成都市公交集团有限公司", true},
		{"川AD9876F", "LFV2A21K8C3000001", nil, 0.3, civil.Date{}, "=HYPERLINK(\"x\")", false},
		{"贵B0000挂", "", 7, nil, &d, "  四川 “双引号”, 逗号\n换行 ", nil},
	}
	want := []readRow{
		{2, map[string]string{"plate": "川A12345", "vin": "LGWEF4A59HF123456", "seats": "45", "load": "8.1", "valid_until": "2027-03-31", "owner": "成都市公交集团有限公司", "active": "是"}},
		{3, map[string]string{"plate": "川AD9876F", "vin": "LFV2A21K8C3000001", "load": "0.3", "owner": "=HYPERLINK(\"x\")", "active": "否"}},
		{4, map[string]string{"plate": "贵B0000挂", "seats": "7", "valid_until": "2027-03-31", "owner": "四川 “双引号”, 逗号\n换行"}},
	}
	for _, format := range []sheet.Format{sheet.CSV, sheet.XLSX} {
		t.Run(format.String(), func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			w, err := sheet.NewWriter(&buf, format, vehicles)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range input {
				if err := w.WriteRow(r...); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			rows, info, err := readAll(t, buf.Bytes(), sheet.Detect)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if info.Format != format || info.HeaderRow != 1 || info.Rows != 3 || len(info.Warnings) != 0 {
				t.Errorf("info = %+v", info)
			}
		})
	}
}

func TestCSVHasBOMAndGuardsFormulas(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w, _ := sheet.NewWriter(&buf, sheet.CSV, vehicles)
	_ = w.WriteRow("=1+1", "-5", -5)
	_ = w.Close()
	got := buf.String()
	if !strings.HasPrefix(got, "\ufeff车牌号码,车辆识别代号,") {
		t.Errorf("header = %q", got)
	}
	if !strings.Contains(got, "'=1+1,-5,-5") {
		t.Errorf("formula not guarded: %q", got)
	}
}

func TestHeaderMatching(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, csv string
		want      map[string]string
		warnings  int
	}{
		{"chinese", "车牌号码,车辆识别代号\nA1,V1\n", map[string]string{"plate": "A1", "vin": "V1"}, 0},
		{"aliases", "车牌号,车架号\nA1,V1\n", map[string]string{"plate": "A1", "vin": "V1"}, 0},
		{"english any case", "PLATE NUMBER,vin,valid_until\nA1,V1,2026/1/2\n", map[string]string{"plate": "A1", "vin": "V1", "valid_until": "2026/1/2"}, 0},
		{"keys", "plate,vin\nA1,V1\n", map[string]string{"plate": "A1", "vin": "V1"}, 0},
		{"full width and marks", "\ufeff ＶＩＮ ,*车牌号码(必填),核定载质量（吨）\nV1,A1,3\n", map[string]string{"plate": "A1", "vin": "V1", "load": "3"}, 0},
		{"unknown column warns", "车牌号码,颜色,车辆识别代号\nA1,黄,V1\n", map[string]string{"plate": "A1", "vin": "V1"}, 1},
		{"title row above header", "车辆信息导入模板,,\n\n车牌号码,车辆识别代号\nA1,V1\n", map[string]string{"plate": "A1", "vin": "V1"}, 0},
		{"report columns ignored", "车牌号码,车辆识别代号,原行号,错误原因\nA1,V1,7,x\n", map[string]string{"plate": "A1", "vin": "V1"}, 0},
		{"tab separated", "车牌号码\t车辆识别代号\nA1\tV1\n", map[string]string{"plate": "A1", "vin": "V1"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, info, err := readAll(t, []byte(tt.csv), sheet.CSV)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 {
				t.Fatalf("rows = %v", rows)
			}
			if diff := cmp.Diff(tt.want, rows[0].Values); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			if len(info.Warnings) != tt.warnings {
				t.Errorf("warnings = %q", info.Warnings)
			}
		})
	}
}

func TestFileErrors(t *testing.T) {
	t.Parallel()
	var xlsx bytes.Buffer
	w, _ := sheet.NewWriter(&xlsx, sheet.XLSX, vehicles)
	_ = w.WriteRow("川A12345", "V")
	_ = w.Close()
	truncated := xlsx.Bytes()[:xlsx.Len()/2]

	tests := []struct {
		name   string
		data   []byte
		format sheet.Format
		opts   []sheet.Option
		want   string // part of the reason
	}{
		{"missing required", []byte("车牌号码,业户名称\nA,B\n"), sheet.CSV, nil, "缺少必填列：车辆识别代号"},
		{"no header", []byte("a,b\n1,2\n"), sheet.CSV, nil, "未找到表头行"},
		{"empty", nil, sheet.Detect, nil, "未找到表头行"},
		{"duplicate column", []byte("车牌号码,车辆识别代号,车牌号\nA,B,C\n"), sheet.CSV, nil, "第 A 列与第 C 列都是「车牌号码」"},
		{"binary garbage", []byte("\x00\x01\x02\xff\xfe garbage"), sheet.Detect, nil, "不是 CSV"},
		{"truncated xlsx", truncated, sheet.Detect, nil, "XLSX 文件已损坏"},
		{"zip that is no workbook", []byte("PK\x03\x04 not really"), sheet.Detect, nil, "XLSX 文件已损坏"},
		{"csv declared xlsx", []byte("车牌号码,车辆识别代号\n"), sheet.XLSX, nil, "不是有效的 XLSX"},
		{"legacy xls", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0}, sheet.Detect, nil, ".xls"},
		{"too many rows", []byte("车牌号码,车辆识别代号\nA,1\nB,2\nC,3\n"), sheet.CSV, []sheet.Option{sheet.WithMaxRows(2)}, "超过 2 行"},
		{"cell too large", []byte("车牌号码,车辆识别代号\nA," + strings.Repeat("x", 100) + "\n"), sheet.CSV, []sheet.Option{sheet.WithMaxCellBytes(50)}, "第 2 行「车辆识别代号」超过 50 字节"},
		{"file too large", []byte("车牌号码,车辆识别代号\n" + strings.Repeat("A,B\n", 1000)), sheet.CSV, []sheet.Option{sheet.WithMaxBytes(1000)}, "文件超过"},
		{"missing sheet", xlsx.Bytes(), sheet.XLSX, []sheet.Option{sheet.WithSheet("车辆")}, "没有名为「车辆」的工作表"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := readAll(t, tt.data, tt.format, tt.opts...)
			if !errors.Is(err, apperr.ErrInvalid) {
				t.Fatalf("err = %v, want invalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestCallbackErrorStops(t *testing.T) {
	t.Parallel()
	stop := errors.New("database down")
	calls := 0
	_, err := sheet.Read(strings.NewReader("车牌号码,车辆识别代号\nA,1\nB,2\n"), sheet.CSV, vehicles, func(sheet.Row) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("err = %v after %d calls", err, calls)
	}
}

func TestGBKCSV(t *testing.T) {
	t.Parallel()
	text := "车牌号码,车辆识别代号,业户名称\r\n川A12345,LGWEF4A59HF123456,成都市公交集团\r\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	rows, info, err := readAll(t, gbk, sheet.CSV)
	if err != nil {
		t.Fatal(err)
	}
	want := []readRow{{2, map[string]string{"plate": "川A12345", "vin": "LGWEF4A59HF123456", "owner": "成都市公交集团"}}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if info.Encoding != "GB18030" {
		t.Errorf("encoding = %q", info.Encoding)
	}
}

func TestUTF16CSV(t *testing.T) {
	t.Parallel()
	text := "\ufeff车牌号码\t车辆识别代号\r\n川A12345\tV1\r\n"
	var b []byte
	for _, r := range text {
		b = append(b, byte(r), byte(r>>8))
	}
	rows, info, err := readAll(t, b, sheet.Detect)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Values["plate"] != "川A12345" || info.Encoding != "UTF-16" {
		t.Errorf("rows = %v, info = %+v", rows, info)
	}
}

func TestRowNumbersWithEmptyRows(t *testing.T) {
	t.Parallel()
	t.Run("csv", func(t *testing.T) {
		t.Parallel()
		// Row 3 is blank, row 4 holds only spaces and commas, row 5 spans
		// two lines inside quotes, row 7 is blank.
		data := "车牌号码,车辆识别代号\nA,1\n\n , ,\nB,\"2\nx\"\nC,3\n\nD,4\n"
		rows, _, err := readAll(t, []byte(data), sheet.CSV)
		if err != nil {
			t.Fatal(err)
		}
		var nums []int
		for _, r := range rows {
			nums = append(nums, r.Num)
		}
		if diff := cmp.Diff([]int{2, 5, 6, 8}, nums); diff != "" {
			t.Errorf("row numbers (-want +got):\n%s", diff)
		}
	})
	t.Run("xlsx", func(t *testing.T) {
		t.Parallel()
		f := excelize.NewFile()
		defer f.Close()
		set := func(cell string, v any) {
			if err := f.SetCellValue("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
		set("A2", "车辆登记表") // title row
		set("A4", "车牌号码")
		set("B4", "车辆识别代号")
		set("C4", "有效期至")
		set("A5", "川A1")
		set("B5", "V1")
		set("C5", 46477) // a date serial: 2027-03-31
		set("B7", "   ") // only spaces
		set("A9", "川A2")
		set("C9", "2027年3月31日")
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			t.Fatal(err)
		}
		rows, info, err := readAll(t, buf.Bytes(), sheet.Detect)
		if err != nil {
			t.Fatal(err)
		}
		want := []readRow{
			{5, map[string]string{"plate": "川A1", "vin": "V1", "valid_until": "2027-03-31"}},
			{9, map[string]string{"plate": "川A2", "valid_until": "2027年3月31日"}},
		}
		if diff := cmp.Diff(want, rows); diff != "" {
			t.Errorf("rows (-want +got):\n%s", diff)
		}
		if info.HeaderRow != 4 || info.Sheet != "Sheet1" {
			t.Errorf("info = %+v", info)
		}
	})
}

func TestNamedSheet(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w, err := sheet.NewWriter(&buf, sheet.XLSX, vehicles, sheet.WithSheet("车辆"))
	if err != nil {
		t.Fatal(err)
	}
	_ = w.WriteRow("川A1", "V1")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rows, info, err := readAll(t, buf.Bytes(), sheet.XLSX, sheet.WithSheet("车辆"))
	if err != nil || len(rows) != 1 || info.Sheet != "车辆" {
		t.Fatalf("rows = %v, info = %+v, err = %v", rows, info, err)
	}
}

func TestRowDate(t *testing.T) {
	t.Parallel()
	data := "车牌号码,车辆识别代号,有效期至,业户名称\nA,1,2027-03-31,46477\nB,2,31/03/2027,\n"
	var got []string
	_, err := sheet.Read(strings.NewReader(data), sheet.CSV, vehicles, func(r sheet.Row) error {
		d, err := r.Date("valid_until")
		o, _ := r.Date("owner") // a serial in a text column is still a date to Date
		got = append(got, fmt.Sprintf("%s|%v|%s|%v", d, err != nil, o, r.Has("seats")))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2027-03-31|false|2027-03-31|false", "|true||false"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestReport(t *testing.T) {
	t.Parallel()
	data := "车牌号码,车辆识别代号,有效期至,颜色\nA,1,2027-03-31,红\nB,,bad,蓝\nC,3,,绿\n"
	rep := sheet.NewReport(vehicles)
	info, err := sheet.Read(strings.NewReader(data), sheet.CSV, vehicles, func(r sheet.Row) error {
		switch r.Get("plate") {
		case "A":
			rep.Record(r, nil)
		case "B":
			inv := &apperr.Invalid{}
			inv.Add("body.vin", "必填", "")
			inv.Add("valid_until", "不是有效日期", "bad")
			rep.Record(r, inv)
		case "C":
			rep.Record(r, apperr.Conflict("车牌号码已存在"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rep.Warn(info.Warnings...)

	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"total":3,"imported":1,"failed":2,"warnings":["已忽略无法识别的列：颜色 (unknown columns ignored)"],` +
		`"errors":[{"row":3,"problems":[{"column":"vin","header":"车辆识别代号","reason":"必填"},{"column":"valid_until","header":"有效期至","reason":"不是有效日期"}]},` +
		`{"row":4,"problems":[{"reason":"车牌号码已存在: conflict"}]}]}`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("json (-want +got):\n%s", diff)
	}

	// The error report repeats the bad rows and imports again as it is.
	for _, format := range []sheet.Format{sheet.CSV, sheet.XLSX} {
		var buf bytes.Buffer
		if err := rep.WriteErrors(&buf, format); err != nil {
			t.Fatal(err)
		}
		rows, info, err := readAll(t, buf.Bytes(), format)
		if err != nil {
			t.Fatal(err)
		}
		want := []readRow{
			{2, map[string]string{"plate": "B", "valid_until": "bad"}},
			{3, map[string]string{"plate": "C", "vin": "3"}},
		}
		if diff := cmp.Diff(want, rows); diff != "" {
			t.Errorf("%v error report rows (-want +got):\n%s", format, diff)
		}
		if len(info.Warnings) != 0 {
			t.Errorf("%v error report warnings = %q", format, info.Warnings)
		}
		if format == sheet.CSV && !strings.Contains(buf.String(), "原行号,错误原因\r\nB,,,,bad,,,3,车辆识别代号：必填；有效期至：不是有效日期\r\n") {
			t.Errorf("csv error report = %q", buf.String())
		}
	}
}

func TestXLSXCallbackErrorStopsParser(t *testing.T) {
	t.Parallel()
	data := wideXLSX(t, 2000)
	stop := errors.New("stop")
	calls := 0
	_, err := sheet.Read(bytes.NewReader(data), sheet.XLSX, wide, func(sheet.Row) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 3 {
		t.Errorf("err = %v after %d calls", err, calls)
	}
}
