package sheet

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
)

// Report collects the outcome of an import row by row: the rows that were
// imported, and for each rejected row what is wrong with it. It is the JSON
// answer of an import endpoint and can be written as an error report file
// that repeats the rejected rows with a 错误原因 column, for the clerk to fix
// and import again. A Report is not safe for concurrent use.
type Report struct {
	Total    int `json:"total" doc:"Data rows read from the file"`
	Imported int `json:"imported" doc:"Rows imported"`
	Failed   int `json:"failed" doc:"Rows rejected; see errors"`
	// Warnings did not stop the import (columns that were ignored).
	Warnings []string   `json:"warnings,omitempty" doc:"Problems that did not stop the import, such as ignored columns"`
	Errors   []RowError `json:"errors" doc:"One entry per rejected row, in file order"`

	schema *Schema
}

// RowError lists the problems of one rejected row.
type RowError struct {
	Row      int       `json:"row" doc:"Row number in the file, as Excel shows it"`
	Problems []Problem `json:"problems"`

	values []string // the row as read, in schema order
}

// Problem is one reason a row was rejected.
type Problem struct {
	// Column is the key of the column at fault ("plate"); empty when the
	// problem concerns the row as a whole (a duplicate, a conflict).
	Column string `json:"column,omitempty" doc:"API field name of the column at fault"`
	// Header is the column's Chinese header, filled in by the Report.
	Header string `json:"header,omitempty" doc:"Column header as in the file template"`
	Reason string `json:"reason"`
}

// NewReport starts an empty report for a table of schema s.
func NewReport(s *Schema) *Report {
	return &Report{schema: s, Errors: []RowError{}}
}

// Warn adds warnings, typically Info.Warnings from Read.
func (r *Report) Warn(msgs ...string) { r.Warnings = append(r.Warnings, msgs...) }

// OK records an imported row.
func (r *Report) OK(Row) {
	r.Total++
	r.Imported++
}

// Fail records a rejected row with its problems (at least one; a row failed
// without any gets a generic reason).
func (r *Report) Fail(row Row, problems ...Problem) {
	r.Total++
	r.Failed++
	if len(problems) == 0 {
		problems = []Problem{{Reason: "数据无效 (invalid row)"}}
	}
	ps := make([]Problem, len(problems))
	for i, p := range problems {
		if c, ok := r.schema.Column(p.Column); ok && p.Header == "" {
			p.Header = c.Header
		}
		ps[i] = p
	}
	r.Errors = append(r.Errors, RowError{Row: row.Num, Problems: ps, values: append([]string(nil), row.cells...)})
}

// Record records a row from the error a create or update of it returned: nil
// is an imported row; an apperr.Invalid becomes one problem per field, its
// field name mapped to the column ("body.plate", "plate" and "row 3.plate"
// all name column "plate"); any other error becomes one row-level problem.
// Errors that mean the import cannot go on (the database is down) should be
// returned from the Read callback instead of recorded.
func (r *Report) Record(row Row, err error) {
	if err == nil {
		r.OK(row)
		return
	}
	fields := apperr.Fields(err)
	if len(fields) == 0 {
		r.Fail(row, Problem{Reason: err.Error()})
		return
	}
	ps := make([]Problem, 0, len(fields))
	for _, f := range fields {
		key := f.Field
		if i := strings.LastIndexByte(key, '.'); i >= 0 {
			key = key[i+1:]
		}
		if _, ok := r.schema.Column(key); !ok {
			// Not a column: keep the field name in the reason.
			ps = append(ps, Problem{Reason: f.Field + ": " + f.Reason})
			continue
		}
		ps = append(ps, Problem{Column: key, Reason: f.Reason})
	}
	r.Fail(row, ps...)
}

// Sort orders the errors by row number, for callers that record rows out of
// order (batched writes).
func (r *Report) Sort() {
	sort.SliceStable(r.Errors, func(i, j int) bool { return r.Errors[i].Row < r.Errors[j].Row })
}

// Reason joins the problems of a row into one line for the 错误原因 cell:
// "车牌号码：格式不正确；车辆识别代号：校验位错误".
func (e RowError) Reason() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if p.Header != "" {
			parts[i] = p.Header + "：" + p.Reason
		} else {
			parts[i] = p.Reason
		}
	}
	return strings.Join(parts, "；")
}

// WriteErrors writes the rejected rows as a file in format: the schema's
// columns with the values as imported, then 原行号 (the row number in the
// original file) and 错误原因. Read ignores those two columns, so the clerk
// can correct the file and import it as it is.
func (r *Report) WriteErrors(w io.Writer, format Format, opts ...Option) error {
	cols := append(r.schema.Columns(),
		Column{Key: "_row", Header: RowHeader, Kind: Number, Width: 8},
		Column{Key: "_reason", Header: ReasonHeader, Width: 60})
	s := &Schema{cols: cols, byKey: map[string]int{}, byLabel: map[string]int{}}
	for i, c := range cols {
		s.byKey[c.Key] = i
	}
	wr, err := NewWriter(w, format, s, opts...)
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	for _, e := range r.Errors {
		for i, v := range e.values {
			vals[i] = v
		}
		vals[len(cols)-2] = strconv.Itoa(e.Row)
		vals[len(cols)-1] = e.Reason()
		if err := wr.WriteRow(vals...); err != nil {
			_ = wr.Close()
			return err
		}
	}
	if err := wr.Close(); err != nil {
		return fmt.Errorf("sheet: write error report: %w", err)
	}
	return nil
}
