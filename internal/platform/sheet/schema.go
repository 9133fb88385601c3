package sheet

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// Kind tells how a column's values are typed in a spreadsheet. It decides the
// cell format of exports (so a clerk editing an ID number in Excel keeps it as
// text) and how imported cells are normalised (Excel stores dates as serial
// numbers; Get on a Date column returns them as YYYY-MM-DD).
type Kind uint8

const (
	// Text columns are written with Excel's text format "@" so long digit
	// strings (ID numbers, phone numbers, VINs) are never turned into numbers.
	Text Kind = iota
	// Number columns are written as numbers when the value is numeric.
	Number
	// Date columns are written as real dates (format yyyy-mm-dd) and read
	// from either date serials or date text.
	Date
	// DateTime columns are written as date and time (yyyy-mm-dd hh:mm:ss).
	DateTime
)

// Column describes one column of a table.
type Column struct {
	// Key is the API field name ("plate"); it is also accepted as a header.
	Key string
	// Header is the Chinese header written on exports ("车牌号码").
	Header string
	// Aliases are other accepted headers: the English name, common variants
	// ("车牌号", "Plate number").
	Aliases []string
	// Required columns must be present in an imported file (a cell may still
	// be empty; whether that is allowed is the importer's decision).
	Required bool
	Kind     Kind
	// Width is the XLSX column width in characters; 0 picks one from the
	// header and the kind.
	Width float64
}

// Schema is an ordered list of columns. Build it once (usually as a package
// variable with MustSchema) and share it: it is immutable and safe for
// concurrent use.
type Schema struct {
	cols    []Column
	byKey   map[string]int // key -> position
	byLabel map[string]int // normalised header, key or alias -> position
}

// Columns used by the error report. An imported file that carries them (a
// clerk re-importing a corrected error report) has them ignored silently.
const (
	RowHeader    = "原行号"
	ReasonHeader = "错误原因"
)

var reportHeaders = map[string]bool{normHeader(RowHeader): true, normHeader(ReasonHeader): true}

// NewSchema checks the columns and builds a Schema. Keys must be unique and
// non-empty, every column needs a header, and no two columns may claim the
// same header, key or alias after normalisation.
func NewSchema(cols ...Column) (*Schema, error) {
	if len(cols) == 0 {
		return nil, fmt.Errorf("sheet: schema has no columns")
	}
	s := &Schema{cols: append([]Column(nil), cols...), byKey: map[string]int{}, byLabel: map[string]int{}}
	for i, c := range s.cols {
		if c.Key == "" || c.Header == "" {
			return nil, fmt.Errorf("sheet: column %d needs a key and a header", i+1)
		}
		if _, dup := s.byKey[c.Key]; dup {
			return nil, fmt.Errorf("sheet: duplicate column key %q", c.Key)
		}
		s.byKey[c.Key] = i
		for _, label := range append([]string{c.Key, c.Header}, c.Aliases...) {
			n := normHeader(label)
			if n == "" {
				return nil, fmt.Errorf("sheet: column %q has an empty alias", c.Key)
			}
			if reportHeaders[n] {
				return nil, fmt.Errorf("sheet: column %q uses the reserved header %q", c.Key, label)
			}
			if j, dup := s.byLabel[n]; dup && j != i {
				return nil, fmt.Errorf("sheet: header %q is claimed by columns %q and %q", label, s.cols[j].Key, c.Key)
			}
			s.byLabel[n] = i
		}
	}
	return s, nil
}

// MustSchema is NewSchema for package-level schemas; it panics on a
// programming error in the column list.
func MustSchema(cols ...Column) *Schema {
	s, err := NewSchema(cols...)
	if err != nil {
		panic(err)
	}
	return s
}

// Columns returns a copy of the schema's columns in order.
func (s *Schema) Columns() []Column { return append([]Column(nil), s.cols...) }

// Column returns the column with key and whether it exists.
func (s *Schema) Column(key string) (Column, bool) {
	i, ok := s.byKey[key]
	if !ok {
		return Column{}, false
	}
	return s.cols[i], true
}

// Headers returns the Chinese headers in column order.
func (s *Schema) Headers() []string {
	h := make([]string, len(s.cols))
	for i, c := range s.cols {
		h[i] = c.Header
	}
	return h
}

// Match returns the key of the column a file header names ("车牌号",
// "ＰＬＡＴＥ", " Plate Number*") and whether one does.
func (s *Schema) Match(header string) (string, bool) {
	i, ok := s.byLabel[normHeader(header)]
	if !ok {
		return "", false
	}
	return s.cols[i].Key, true
}

func (s *Schema) index(key string) int {
	i, ok := s.byKey[key]
	if !ok {
		panic(fmt.Sprintf("sheet: column key %q is not in the schema", key))
	}
	return i
}

// requiredSuffixes are notes templates put after a header.
var requiredSuffixes = []string{"(必填)", "(选填)", "(可选)", "(required)", "(optional)"}

// normHeader folds a header to the form headers are compared in: full-width
// letters, digits and brackets become half-width, case is ignored, and
// spaces, underscores, hyphens, BOM, zero-width characters and the "*" or
// "(必填)" marks templates use for required columns are dropped.
func normHeader(h string) string {
	h = width.Fold.String(h)
	var b strings.Builder
	b.Grow(len(h))
	for _, r := range h {
		switch {
		case unicode.IsSpace(r), r == '_', r == '-', r == '*', r == '\ufeff', r == '\u200b', r == '\u200c', r == '\u200d', r == '\u2060':
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	out := b.String()
	for _, suf := range requiredSuffixes {
		out = strings.TrimSuffix(out, suf)
	}
	return out
}
