package sheet

import (
	"bytes"
	"path"
	"strings"
)

// Format is a tabular file format.
type Format uint8

const (
	// Detect lets Read tell the format from the content.
	Detect Format = iota
	CSV
	XLSX
)

// MIME types of the formats.
const (
	MIMECSV  = "text/csv"
	MIMEXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

func (f Format) String() string {
	switch f {
	case CSV:
		return "csv"
	case XLSX:
		return "xlsx"
	default:
		return "detect"
	}
}

// Ext returns the file extension with its dot (".xlsx").
func (f Format) Ext() string {
	if f == Detect {
		return ""
	}
	return "." + f.String()
}

// ContentType returns the MIME type to serve the format with.
func (f Format) ContentType() string {
	switch f {
	case CSV:
		return MIMECSV + "; charset=utf-8"
	case XLSX:
		return MIMEXLSX
	default:
		return "application/octet-stream"
	}
}

// ParseFormat reads "csv" or "xlsx" (any case, with or without a dot), as an
// export's ?format= parameter gives it.
func ParseFormat(s string) (Format, bool) {
	switch strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), ".")) {
	case "csv":
		return CSV, true
	case "xlsx":
		return XLSX, true
	}
	return Detect, false
}

// FormatOfName returns the format a file name's extension names, or Detect.
func FormatOfName(name string) Format {
	f, _ := ParseFormat(path.Ext(strings.ReplaceAll(name, `\`, "/")))
	return f
}

var (
	zipMagic = []byte("PK\x03\x04")
	// oleMagic starts legacy .xls workbooks and password-protected .xlsx
	// files (which are wrapped in an OLE container).
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// sniff tells the format from the first bytes: a zip is an XLSX workbook, an
// OLE container a legacy or encrypted workbook (refused), anything else is
// taken for CSV text and judged by openCSV.
func sniff(data []byte) (Format, error) {
	switch {
	case bytes.HasPrefix(data, zipMagic):
		return XLSX, nil
	case bytes.HasPrefix(data, oleMagic):
		return Detect, fileError("文件是旧版 .xls 或已加密的 Excel 工作簿，请在 Excel 中另存为 .xlsx 或 .csv 后再导入 (legacy .xls and encrypted workbooks are not supported)")
	}
	return CSV, nil
}
