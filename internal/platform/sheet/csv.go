package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

type csvSource struct {
	r       *csv.Reader
	num     int // spreadsheet row number of the last record
	endLine int // line on which the last record ended
}

// openCSV decodes the file to UTF-8 and prepares a CSV reader. UTF-8 (with or
// without BOM) is taken as is; UTF-16 with a BOM ("Unicode text" saved by
// Excel) is decoded; anything else that is not valid UTF-8 is read as
// GB18030, the superset of GBK that Chinese Windows saves CSV files in.
func openCSV(data []byte) (*csvSource, string, error) {
	enc := "UTF-8"
	switch {
	case bytes.HasPrefix(data, bomUTF8):
		data = data[len(bomUTF8):]
	case bytes.HasPrefix(data, bomUTF16LE), bytes.HasPrefix(data, bomUTF16BE):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		out, err := dec.Bytes(data)
		if err != nil {
			return nil, "", fileError("无法解码 UTF-16 文本 (bad UTF-16)")
		}
		data, enc = out, "UTF-16"
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, "", fileError("文件不是 CSV 文本或 XLSX 工作簿 (not a CSV or XLSX file)")
	}
	if !utf8.Valid(data) {
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil {
			return nil, "", fileError("文件既不是 UTF-8 也不是 GBK/GB18030 编码 (unknown text encoding)")
		}
		data, enc = out, "GB18030"
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = delimiter(data)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	return &csvSource{r: r}, enc, nil
}

// delimiter picks a tab for tab-separated text (Excel's "Unicode text") and
// a comma otherwise, judging by the first line.
func delimiter(data []byte) rune {
	line := data
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		line = data[:i]
	}
	if bytes.IndexByte(line, '\t') >= 0 && bytes.IndexByte(line, ',') < 0 {
		return '\t'
	}
	return ','
}

func (c *csvSource) date1904() bool { return false }

func (c *csvSource) next() (int, []string, bool, error) {
	rec, err := c.r.Read()
	if errors.Is(err, io.EOF) {
		return 0, nil, false, nil
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return 0, nil, false, fileError(fmt.Sprintf("CSV 第 %d 行格式错误：%v (malformed CSV)", pe.StartLine, pe.Err))
		}
		return 0, nil, false, fmt.Errorf("sheet: read csv: %w", err)
	}
	// Number rows as Excel shows them: blank lines (which encoding/csv
	// skips) are rows too, and a quoted cell spanning lines is one row.
	start, _ := c.r.FieldPos(0)
	last := len(rec) - 1
	endLine, _ := c.r.FieldPos(last)
	endLine += strings.Count(rec[last], "\n")
	c.num += start - c.endLine
	c.endLine = endLine
	cells := make([]string, len(rec))
	for i, v := range rec {
		cells[i] = unguard(v)
	}
	return c.num, cells, true, nil
}

// unguard removes the apostrophe the writer puts before values that Excel
// would otherwise run as formulas ("'=1+1" back to "=1+1").
func unguard(v string) string {
	if len(v) > 1 && v[0] == '\'' && formulaLike(v[1:]) {
		return v[1:]
	}
	return v
}
