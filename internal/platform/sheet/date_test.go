package sheet_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sheet"
)

func TestParseDate(t *testing.T) {
	t.Parallel()
	d := civil.Date{Year: 2027, Month: time.March, Day: 31}
	tests := []struct {
		in   string
		want civil.Date
		bad  bool
	}{
		{"", civil.Date{}, false},
		{"2027-03-31", d, false},
		{" 2027/3/31 ", d, false},
		{"20270331", d, false},
		{"2027.03.31", d, false},
		{"2027年3月31日", d, false},
		{"2027-03-31 08:30:00", d, false},
		{"2027-03-31T08:30:00+08:00", d, false},
		{"46477", d, false},
		{"46477.75", d, false},
		{"1", civil.Date{Year: 1900, Month: time.January, Day: 1}, false},
		{"61", civil.Date{Year: 1900, Month: time.March, Day: 1}, false},
		{"60", civil.Date{}, true}, // Excel's invented 1900-02-29
		{"2958466", civil.Date{}, true},
		{"-3", civil.Date{}, true},
		{"31/03/2027", civil.Date{}, true},
		{"明天", civil.Date{}, true},
		{"2027-02-30", civil.Date{}, true},
	}
	for _, tt := range tests {
		got, err := sheet.ParseDate(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v, bad=%v", tt.in, got, err, tt.want, tt.bad)
		}
	}
}

func TestSerialToDate1904(t *testing.T) {
	t.Parallel()
	got, ok := sheet.SerialToDate(45015, true)
	if want := (civil.Date{Year: 2027, Month: time.March, Day: 31}); !ok || got != want {
		t.Errorf("got %v, %v; want %v", got, ok, want)
	}
}

func TestParseBool(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{"是": true, "Y": true, "TRUE": true, "1": true, "否": false, "": false, "no": false} {
		if got, err := sheet.ParseBool(in); err != nil || got != want {
			t.Errorf("ParseBool(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := sheet.ParseBool("也许"); err == nil {
		t.Error("ParseBool(也许) gave no error")
	}
}

// TestXLSXLayout checks what a clerk sees on opening an export: bold header
// frozen in place, readable widths, real dates, text kept as text.
func TestXLSXLayout(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w, err := sheet.NewWriter(&buf, sheet.XLSX, vehicles)
	if err != nil {
		t.Fatal(err)
	}
	d := civil.Date{Year: 2027, Month: time.March, Day: 31}
	if err := w.WriteRow("川A12345", "110101199003071234", 45, 8.1, d, "成都公交"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	panes, err := f.GetPanes("Sheet1")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes = %+v, %v", panes, err)
	}
	style, err := f.GetCellStyle("Sheet1", "A1")
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(style)
	if err != nil || st.Font == nil || !st.Font.Bold {
		t.Errorf("header style = %+v, %v", st, err)
	}
	if w, _ := f.GetColWidth("Sheet1", "A"); w < 12 {
		t.Errorf("column A width = %v", w)
	}
	types := map[string]excelize.CellType{}
	for _, cell := range []string{"B2", "C2", "E2"} {
		types[cell], _ = f.GetCellType("Sheet1", cell)
	}
	if types["B2"] == excelize.CellTypeNumber || types["C2"] != excelize.CellTypeUnset && types["C2"] != excelize.CellTypeNumber {
		t.Errorf("cell types = %v", types)
	}
	raw, _ := f.GetCellValue("Sheet1", "E2", excelize.Options{RawCellValue: true})
	if raw != "46477" {
		t.Errorf("date cell raw value = %q, want the serial 46477", raw)
	}
	shown, _ := f.GetCellValue("Sheet1", "E2")
	if shown != "2027-03-31" {
		t.Errorf("date cell shows %q", shown)
	}
	id, _ := f.GetCellValue("Sheet1", "B2")
	if id != "110101199003071234" {
		t.Errorf("text cell = %q", id)
	}
}
