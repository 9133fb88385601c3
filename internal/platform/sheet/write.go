package sheet

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"

	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
)

// Writer streams a table to a CSV or XLSX file: the header row of the
// schema's Chinese headers, then one WriteRow per record. CSV goes out as it
// is written (UTF-8 with a BOM, so Excel opens Chinese text correctly);
// XLSX rows are buffered by excelize (spilling to a temporary file past
// 16 MB) and the workbook is written on Close. Close must always be called.
type Writer struct {
	schema *Schema
	format Format
	out    io.Writer
	rows   int
	closed bool

	// CSV
	buf *bufio.Writer
	csv *csv.Writer
	rec []string

	// XLSX
	file   *excelize.File
	sw     *excelize.StreamWriter
	styles []int // cell style by column
	cells  []any
}

// NewWriter starts a table in format (CSV or XLSX) on w and writes the header
// row.
func NewWriter(w io.Writer, format Format, s *Schema, opts ...Option) (*Writer, error) {
	o := buildOptions(opts)
	wr := &Writer{schema: s, format: format, out: w}
	switch format {
	case CSV:
		wr.buf = bufio.NewWriterSize(w, 64<<10)
		_, _ = wr.buf.Write(bomUTF8)
		wr.csv = csv.NewWriter(wr.buf)
		wr.csv.UseCRLF = true
		wr.rec = make([]string, len(s.cols))
		if err := wr.csv.Write(s.Headers()); err != nil {
			return nil, fmt.Errorf("sheet: write header: %w", err)
		}
	case XLSX:
		if err := wr.startXLSX(o.sheet); err != nil {
			_ = wr.file.Close()
			return nil, fmt.Errorf("sheet: start xlsx: %w", err)
		}
	default:
		return nil, fmt.Errorf("sheet: cannot write format %v", format)
	}
	return wr, nil
}

// Number formats of exported cells.
const (
	numFmtText     = 49 // "@"
	fmtDate        = "yyyy-mm-dd"
	fmtDateTime    = "yyyy-mm-dd hh:mm:ss"
	headerFill     = "DDEBF7"
	maxColumnWidth = 60
)

func (wr *Writer) startXLSX(sheet string) error {
	wr.file = excelize.NewFile()
	name := "Sheet1"
	if sheet != "" {
		if err := wr.file.SetSheetName(name, sheet); err != nil {
			return err
		}
		name = sheet
	}
	sw, err := wr.file.NewStreamWriter(name)
	if err != nil {
		return err
	}
	wr.sw = sw
	headerStyle, err := wr.file.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{headerFill}},
		Alignment: &excelize.Alignment{Vertical: "center"},
	})
	if err != nil {
		return err
	}
	text, err := wr.file.NewStyle(&excelize.Style{NumFmt: numFmtText})
	if err != nil {
		return err
	}
	dateFmt, dateTimeFmt := fmtDate, fmtDateTime
	date, err := wr.file.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return err
	}
	dateTime, err := wr.file.NewStyle(&excelize.Style{CustomNumFmt: &dateTimeFmt})
	if err != nil {
		return err
	}
	wr.styles = make([]int, len(wr.schema.cols))
	for i, c := range wr.schema.cols {
		switch c.Kind {
		case Text:
			wr.styles[i] = text
		case Date:
			wr.styles[i] = date
		case DateTime:
			wr.styles[i] = dateTime
		}
		if err := sw.SetColWidth(i+1, i+1, columnWidth(c)); err != nil {
			return err
		}
		if wr.styles[i] != 0 {
			// Cells a clerk adds later get the column's format too.
			if err := sw.SetColStyle(i+1, i+1, wr.styles[i]); err != nil {
				return err
			}
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	hdr := make([]any, len(wr.schema.cols))
	for i, c := range wr.schema.cols {
		hdr[i] = excelize.Cell{StyleID: headerStyle, Value: c.Header}
	}
	wr.cells = make([]any, len(wr.schema.cols))
	wr.rows = 1
	return sw.SetRow("A1", hdr, excelize.RowOpts{Height: 20})
}

// columnWidth picks a width that fits the header and typical values.
func columnWidth(c Column) float64 {
	if c.Width > 0 {
		return min(c.Width, maxColumnWidth)
	}
	w := float64(displayWidth(c.Header) + 4)
	switch c.Kind {
	case Date:
		w = max(w, 12)
	case DateTime:
		w = max(w, 20)
	case Text:
		w = max(w, 14)
	default:
		w = max(w, 10)
	}
	return min(w, maxColumnWidth)
}

// displayWidth counts East Asian wide characters as two columns.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// WriteRow writes one record, values in schema column order; missing
// trailing values are empty cells. Accepted values: string, integers,
// floats, bool (written 是/否), civil.Date, time.Time (China Standard Time),
// pointers to these (nil is an empty cell), fmt.Stringer; anything else is
// written with fmt.Sprint.
func (wr *Writer) WriteRow(values ...any) error {
	if wr.closed {
		return errors.New("sheet: write after close")
	}
	if len(values) > len(wr.schema.cols) {
		return fmt.Errorf("sheet: row has %d values for %d columns", len(values), len(wr.schema.cols))
	}
	if wr.format == CSV {
		for i := range wr.rec {
			wr.rec[i] = ""
			if i < len(values) {
				wr.rec[i] = csvValue(values[i])
			}
		}
		if err := wr.csv.Write(wr.rec); err != nil {
			return fmt.Errorf("sheet: write row: %w", err)
		}
		wr.rows++
		return nil
	}
	for i := range wr.cells {
		wr.cells[i] = nil
		if i < len(values) {
			if v := xlsxValue(values[i], wr.schema.cols[i].Kind); v != nil {
				wr.cells[i] = excelize.Cell{StyleID: wr.styles[i], Value: v}
			}
		}
	}
	wr.rows++
	if err := wr.sw.SetRow("A"+strconv.Itoa(wr.rows), wr.cells); err != nil {
		return fmt.Errorf("sheet: write row %d: %w", wr.rows, err)
	}
	return nil
}

// Rows returns the number of data rows written so far.
func (wr *Writer) Rows() int {
	if wr.format == XLSX {
		return wr.rows - 1
	}
	return wr.rows
}

// Close finishes the file: it flushes CSV, or writes the XLSX workbook to
// the underlying writer, and releases temporary files.
func (wr *Writer) Close() error {
	if wr.closed {
		return nil
	}
	wr.closed = true
	if wr.format == CSV {
		wr.csv.Flush()
		if err := wr.csv.Error(); err != nil {
			return fmt.Errorf("sheet: write csv: %w", err)
		}
		if err := wr.buf.Flush(); err != nil {
			return fmt.Errorf("sheet: write csv: %w", err)
		}
		return nil
	}
	defer func() { _ = wr.file.Close() }()
	if err := wr.sw.Flush(); err != nil {
		return fmt.Errorf("sheet: write xlsx: %w", err)
	}
	if err := wr.file.Write(wr.out); err != nil {
		return fmt.Errorf("sheet: write xlsx: %w", err)
	}
	return nil
}

// Abort gives up the file: nothing more is written (CSV already flushed
// stays flushed) and temporary files are released.
func (wr *Writer) Abort() {
	if wr.closed {
		return
	}
	wr.closed = true
	if wr.file != nil {
		_ = wr.file.Close()
	}
}

// deref follows pointers of the supported types; nil pointers become nil.
func deref(v any) any {
	switch p := v.(type) {
	case *string:
		if p != nil {
			return *p
		}
	case *int:
		if p != nil {
			return *p
		}
	case *int64:
		if p != nil {
			return *p
		}
	case *float64:
		if p != nil {
			return *p
		}
	case *bool:
		if p != nil {
			return *p
		}
	case *civil.Date:
		if p != nil {
			return *p
		}
	case *time.Time:
		if p != nil {
			return *p
		}
	default:
		return v
	}
	return nil
}

func csvValue(v any) string {
	switch v := deref(v).(type) {
	case nil:
		return ""
	case string:
		return guard(v)
	case civil.Date:
		return v.String()
	case time.Time:
		if v.IsZero() {
			return ""
		}
		return v.In(civil.CST).Format(time.DateTime)
	case bool:
		return boolText(v)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32)
	case fmt.Stringer:
		return guard(v.String())
	default:
		return guard(fmt.Sprint(v))
	}
}

// guard puts an apostrophe before text Excel would run as a formula (CSV
// injection); Read removes it again. Text that already starts with
// apostrophes before a formula character gets one more, so it survives.
func guard(s string) string {
	if formulaLike(s) {
		return "'" + s
	}
	return s
}

// formulaLike reports whether s, after any leading apostrophes, starts with
// a character Excel treats as the start of a formula (numbers aside).
func formulaLike(s string) bool {
	i := 0
	for i < len(s) && s[i] == '\'' {
		i++
	}
	if i == len(s) || strings.IndexByte("=+-@", s[i]) < 0 {
		return false
	}
	if i == 0 {
		_, err := strconv.ParseFloat(s, 64)
		return err != nil
	}
	return true
}

func boolText(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// xlsxValue converts v to what excelize writes for a column of kind k:
// dates become date cells, numeric text in a Number column a number, and
// date text in a Date column a date (so a clerk's error report keeps real
// dates). nil means an empty cell.
func xlsxValue(v any, k Kind) any {
	switch v := deref(v).(type) {
	case nil:
		return nil
	case string:
		if v == "" {
			return nil
		}
		switch k {
		case Number:
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				return f
			}
		case Date:
			if d, err := ParseDate(v); err == nil {
				return d.Time(time.UTC)
			}
		}
		return v
	case civil.Date:
		if v.IsZero() {
			return nil
		}
		return v.Time(time.UTC)
	case time.Time:
		if v.IsZero() {
			return nil
		}
		// Excel has no zones: write the wall clock of China Standard Time.
		c := v.In(civil.CST)
		return time.Date(c.Year(), c.Month(), c.Day(), c.Hour(), c.Minute(), c.Second(), 0, time.UTC)
	case bool:
		return boolText(v)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return v
	case fmt.Stringer:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}
