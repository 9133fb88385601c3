package sheet

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// maxUnzippedBytes bounds how much an XLSX may expand to (a zip bomb guard).
const maxUnzippedBytes = 1 << 30

var rawCells = excelize.Options{RawCellValue: true}

type xlsxSource struct {
	f        *excelize.File
	rows     *excelize.Rows
	sheet    string
	num      int
	is1904   bool
	finished bool
}

const errCorrupt = "XLSX 文件已损坏或不是有效的 Excel 工作簿 (corrupt XLSX)"

// openXLSX opens the workbook and the rows iterator of its sheet. excelize
// is a large parser fed untrusted bytes, so a panic inside it is turned into
// an invalid-file error rather than reaching the client.
func openXLSX(data []byte, sheet string) (x *xlsxSource, err error) {
	defer func() {
		if p := recover(); p != nil {
			if x != nil {
				x.close()
			}
			x, err = nil, fileError(errCorrupt)
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxUnzippedBytes})
	if err != nil {
		if f != nil {
			_ = f.Close()
		}
		return nil, fileError(errCorrupt)
	}
	x = &xlsxSource{f: f}
	sheets := f.GetSheetList()
	switch {
	case sheet == "" && len(sheets) == 0:
		x.close()
		return nil, fileError("工作簿中没有工作表 (no worksheet)")
	case sheet == "":
		sheet = sheets[0]
	default:
		found := false
		for _, s := range sheets {
			found = found || s == sheet
		}
		if !found {
			x.close()
			return nil, fileError(fmt.Sprintf("工作簿中没有名为「%s」的工作表，现有：%s (sheet not found)", sheet, strings.Join(sheets, "、")))
		}
	}
	x.sheet = sheet
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		x.is1904 = *props.Date1904
	}
	if x.rows, err = f.Rows(sheet); err != nil {
		x.close()
		return nil, fileError(errCorrupt)
	}
	return x, nil
}

func (x *xlsxSource) date1904() bool { return x.is1904 }

func (x *xlsxSource) next() (num int, cells []string, ok bool, err error) {
	if x.finished {
		return 0, nil, false, nil
	}
	defer func() {
		if p := recover(); p != nil {
			num, cells, ok, err = 0, nil, false, fileError(errCorrupt)
		}
	}()
	for {
		// Next advances one spreadsheet row number at a time, also
		// through rows absent from the file, so counting calls gives the
		// row number a clerk sees.
		if !x.rows.Next() {
			x.finished = true
			if x.rows.Error() != nil {
				return 0, nil, false, fileError(errCorrupt)
			}
			return 0, nil, false, nil
		}
		x.num++
		if x.num > maxSheetRow {
			return 0, nil, false, fileError(errCorrupt)
		}
		cells, err := x.rows.Columns(rawCells)
		if err != nil {
			return 0, nil, false, fileError(errCorrupt)
		}
		if len(cells) == 0 {
			continue
		}
		for i, c := range cells {
			cells[i] = cleanNumber(c)
		}
		return x.num, cells, true, nil
	}
}

func (x *xlsxSource) close() {
	if x.rows != nil {
		_ = x.rows.Close()
	}
	_ = x.f.Close()
}

// cleanNumber undoes binary floating-point noise in numbers as Excel stores
// them ("8.0999999999999996" for 8.1), keeping 15 significant digits as
// Excel shows. Integers and text are left alone, so an 18-digit ID number
// kept as text survives intact.
func cleanNumber(s string) string {
	if len(s) <= 15 || !strings.ContainsAny(s, ".eE") {
		return s
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
			return s
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
	return strconv.FormatFloat(v, 'f', -1, 64)
}
