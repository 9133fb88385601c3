package sheet

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
)

// Limits applied unless an Option says otherwise.
const (
	DefaultMaxRows      = 100_000
	DefaultMaxCellBytes = 32 << 10 // Excel holds at most 32,767 characters in a cell
	DefaultMaxBytes     = 64 << 20
	// maxSheetRow is the last row number Excel allows; a file claiming more
	// is malformed.
	maxSheetRow = 1 << 20
	// maxColumns bounds how wide a header may be.
	maxColumns = 1024
	// headerScanRows is how many non-empty rows may precede the header (a
	// title such as "车辆信息导入模板", instructions).
	headerScanRows = 10
)

// Option adjusts Read and NewWriter.
type Option func(*options)

type options struct {
	sheet        string
	maxRows      int
	maxCellBytes int
	maxBytes     int64
}

func buildOptions(opts []Option) options {
	o := options{maxRows: DefaultMaxRows, maxCellBytes: DefaultMaxCellBytes, maxBytes: DefaultMaxBytes}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithSheet names the worksheet to read or write; by default Read takes the
// first sheet of the workbook and NewWriter writes "Sheet1".
func WithSheet(name string) Option { return func(o *options) { o.sheet = name } }

// WithMaxRows caps the number of data rows (DefaultMaxRows).
func WithMaxRows(n int) Option { return func(o *options) { o.maxRows = n } }

// WithMaxCellBytes caps the size of one cell (DefaultMaxCellBytes).
func WithMaxCellBytes(n int) Option { return func(o *options) { o.maxCellBytes = n } }

// WithMaxBytes caps the size of the file Read accepts (DefaultMaxBytes).
func WithMaxBytes(n int64) Option { return func(o *options) { o.maxBytes = n } }

// Info describes a file Read went through.
type Info struct {
	Format Format `json:"format"`
	// Encoding of a CSV file: "UTF-8", "GB18030" or "UTF-16".
	Encoding string `json:"encoding,omitempty"`
	// Sheet is the worksheet of an XLSX file that was read.
	Sheet string `json:"sheet,omitempty"`
	// HeaderRow is the 1-based row number of the header.
	HeaderRow int `json:"header_row"`
	// Columns lists the keys of the schema columns the file has.
	Columns []string `json:"columns"`
	// Warnings are problems that did not stop the import (unknown columns).
	Warnings []string `json:"warnings,omitempty"`
	// Rows counts the data rows handed to the callback.
	Rows int `json:"rows"`
}

// Row is one data row of an imported file. Rows may be kept after the
// callback returns (to write them in batches, or into a Report).
type Row struct {
	// Num is the 1-based row number a clerk sees in Excel.
	Num   int
	cells []string // in schema column order
	h     *header
}

type header struct {
	schema   *Schema
	present  []bool // by schema position
	date1904 bool
}

// Get returns the trimmed value of the column with key, "" when the cell is
// empty or the file has no such column. Date columns read from Excel date
// serials come back as YYYY-MM-DD. Get panics if key is not in the schema: a
// misspelt key is a programming error, not bad input.
func (r Row) Get(key string) string {
	return r.cells[r.h.schema.index(key)]
}

// Has reports whether the file has the column with key.
func (r Row) Has(key string) bool { return r.h.present[r.h.schema.index(key)] }

// Date parses the column with key as a date (see ParseDate); an empty cell is
// the zero date. The error is in Chinese for the clerk, e.g. in a Problem.
func (r Row) Date(key string) (civil.Date, error) {
	return parseDate(r.Get(key), r.h.date1904)
}

// Values returns the row as key → value, leaving out empty cells.
func (r Row) Values() map[string]string {
	m := make(map[string]string, len(r.cells))
	for i, v := range r.cells {
		if v != "" {
			m[r.h.schema.cols[i].Key] = v
		}
	}
	return m
}

// source yields the raw rows of a file in order: each row's number and
// cells; ok is false at the end.
type source interface {
	next() (num int, cells []string, ok bool, err error)
	date1904() bool
}

// Read streams the data rows of a CSV or XLSX file to fn, in order, after
// matching the file's header against the schema. format may be Detect; the
// content decides anyway where it is unambiguous (an XLSX upload declared as
// CSV is read as XLSX). Fully empty rows are skipped; rows above the header
// (a title, instructions) too.
//
// Problems with the file itself (not a spreadsheet, corrupt, required columns
// missing, too many rows, a cell too large) are apperr.ErrInvalid errors on
// the field "file"; the too-many-rows error arrives only when the limit is
// passed, so a caller that writes as it goes should do so in a transaction.
// An error returned by fn stops the reading and is returned as is.
func Read(r io.Reader, format Format, s *Schema, fn func(Row) error, opts ...Option) (Info, error) {
	o := buildOptions(opts)
	info := Info{Format: format}
	data, err := io.ReadAll(io.LimitReader(r, o.maxBytes+1))
	if err != nil {
		return info, fmt.Errorf("sheet: read: %w", err)
	}
	if int64(len(data)) > o.maxBytes {
		return info, fileError(fmt.Sprintf("文件超过 %d MB 上限 (file too large)", o.maxBytes>>20))
	}
	actual, err := sniff(data)
	if err != nil {
		return info, err
	}
	if format == XLSX && actual != XLSX {
		return info, fileError("不是有效的 XLSX 文件 (not an XLSX file)")
	}
	info.Format = actual
	var src source
	if actual == XLSX {
		x, err := openXLSX(data, o.sheet)
		if err != nil {
			return info, err
		}
		defer x.close()
		info.Sheet = x.sheet
		pf := newPrefetch(x)
		defer pf.stop() // before x.close: the goroutine reads from x
		src = pf
	} else {
		c, enc, err := openCSV(data)
		if err != nil {
			return info, err
		}
		info.Encoding = enc
		src = c
	}
	err = drive(src, s, &o, &info, fn)
	return info, err
}

func fileError(reason string) error { return apperr.Field("file", reason, nil) }

func rowError(num int, col Column, reason string) error {
	return apperr.Field(fmt.Sprintf("row %d.%s", num, col.Key), fmt.Sprintf("第 %d 行「%s」%s", num, col.Header, reason), nil)
}

// drive finds the header, maps it to the schema and hands data rows to fn.
func drive(src source, s *Schema, o *options, info *Info, fn func(Row) error) error {
	var hdr []string
	for scanned := 0; scanned < headerScanRows; {
		num, cells, ok, err := src.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if emptyRow(cells) {
			continue
		}
		scanned++
		if matchesAny(s, cells) {
			hdr, info.HeaderRow = cells, num
			break
		}
	}
	if hdr == nil {
		return fileError("未找到表头行，请使用导出模板的表头（缺少必填列：" + strings.Join(requiredHeaders(s, nil), "、") + "）(header row not found)")
	}
	if len(hdr) > maxColumns {
		return fileError(fmt.Sprintf("表头超过 %d 列 (too many columns)", maxColumns))
	}
	h := &header{schema: s, present: make([]bool, len(s.cols)), date1904: src.date1904()}
	colMap := make([]int, len(hdr)) // file column -> schema position, -1 ignored
	seenAt := make([]int, len(s.cols))
	var unknown []string
	for i, name := range hdr {
		colMap[i] = -1
		name = trimCell(name)
		n := normHeader(name)
		if n == "" || reportHeaders[n] {
			continue
		}
		pos, ok := s.byLabel[n]
		if !ok {
			unknown = append(unknown, name)
			continue
		}
		if h.present[pos] {
			return fileError(fmt.Sprintf("第 %s 列与第 %s 列都是「%s」，请删除重复的列 (duplicate column)",
				columnName(seenAt[pos]), columnName(i), s.cols[pos].Header))
		}
		h.present[pos], seenAt[pos], colMap[i] = true, i, pos
		info.Columns = append(info.Columns, s.cols[pos].Key)
	}
	if missing := requiredHeaders(s, h.present); len(missing) > 0 {
		return fileError("缺少必填列：" + strings.Join(missing, "、") + " (missing required columns)")
	}
	if len(unknown) > 0 {
		info.Warnings = append(info.Warnings, "已忽略无法识别的列："+strings.Join(unknown, "、")+" (unknown columns ignored)")
	}

	for {
		num, cells, ok, err := src.next()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if emptyRow(cells) {
			continue
		}
		if info.Rows >= o.maxRows {
			return fileError(fmt.Sprintf("数据超过 %d 行上限，请分批导入 (too many rows)", o.maxRows))
		}
		row := Row{Num: num, cells: make([]string, len(s.cols)), h: h}
		for i, v := range cells {
			if i >= len(colMap) || colMap[i] < 0 {
				continue
			}
			pos := colMap[i]
			col := s.cols[pos]
			if len(v) > o.maxCellBytes {
				return rowError(num, col, fmt.Sprintf("超过 %d 字节上限 (cell too large)", o.maxCellBytes))
			}
			v = trimCell(v)
			if col.Kind == Date || col.Kind == DateTime {
				v = serialToText(v, col.Kind, h.date1904)
			}
			row.cells[pos] = v
		}
		info.Rows++
		if err := fn(row); err != nil {
			return err
		}
	}
}

func matchesAny(s *Schema, cells []string) bool {
	for _, c := range cells {
		if _, ok := s.byLabel[normHeader(c)]; ok {
			return true
		}
	}
	return false
}

// requiredHeaders lists the headers of required columns not present.
func requiredHeaders(s *Schema, present []bool) []string {
	var out []string
	for i, c := range s.cols {
		if c.Required && (present == nil || !present[i]) {
			out = append(out, c.Header)
		}
	}
	return out
}

func emptyRow(cells []string) bool {
	for _, c := range cells {
		if trimCell(c) != "" {
			return false
		}
	}
	return true
}

// trimCell trims white space (including full-width and non-breaking spaces)
// and the invisible characters spreadsheets collect (BOM, zero-width space).
func trimCell(s string) string {
	if s == "" {
		return s
	}
	if first, last := s[0], s[len(s)-1]; first < utf8.RuneSelf && last < utf8.RuneSelf && first > ' ' && last > ' ' {
		return s
	}
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\ufeff' || r == '\u200b' || r == '\u2060'
	})
}

// serialToText turns an Excel serial in a date column into text.
func serialToText(v string, k Kind, date1904 bool) string {
	if v == "" || v[0] < '0' || v[0] > '9' {
		return v
	}
	d, ok := serialDate(v, date1904)
	if !ok {
		return v
	}
	if k == DateTime {
		f, _ := strconv.ParseFloat(v, 64)
		secs := int(((f - float64(int(f))) * 86400) + 0.5)
		if secs >= 86400 {
			secs = 86399
		}
		return fmt.Sprintf("%s %02d:%02d:%02d", d, secs/3600, secs/60%60, secs%60)
	}
	return d.String()
}

// columnName returns the spreadsheet letter of a 0-based column index.
func columnName(i int) string {
	name := ""
	for i++; i > 0; i = (i - 1) / 26 {
		name = string(rune('A'+(i-1)%26)) + name
	}
	return name
}
