package sheet

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
)

// maxSerial is the Excel serial of 9999-12-31, the last date Excel knows.
const maxSerial = 2958465

// ParseDate reads a date the way clerks' spreadsheets hold it: an Excel date
// serial ("46347", time of day ignored, 1900 date system), ISO and the
// spreadsheet forms civil.Parse accepts (2026-11-21, 2026/11/21, 20261121,
// 2026.11.21), Chinese "2026年11月21日", and any of these followed by a time
// ("2026-11-21 08:30:00"). An empty string is the zero date without error.
func ParseDate(s string) (civil.Date, error) {
	return parseDate(s, false)
}

func parseDate(s string, date1904 bool) (civil.Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return civil.Date{}, nil
	}
	if d, ok := serialDate(s, date1904); ok {
		return d, nil
	}
	t := s
	// Drop a time of day: "2026-11-21 08:30", "2026-11-21T08:30:00+08:00".
	if i := strings.IndexAny(t, " T"); i > 0 {
		t = t[:i]
	}
	if strings.HasSuffix(t, "日") {
		r := strings.NewReplacer("年", "-", "月", "-", "日", "")
		t = r.Replace(t)
	}
	if d, err := civil.Parse(t); err == nil {
		return d, nil
	}
	return civil.Date{}, fmt.Errorf("“%s”不是有效日期，请使用 YYYY-MM-DD 格式 (not a date)", s)
}

// serialDate converts an Excel serial number. Eight-digit numbers are left to
// the text parser: 20261121 is a compact date, not a serial.
func serialDate(s string, date1904 bool) (civil.Date, bool) {
	if len(s) >= 8 && !strings.ContainsAny(s, ".eE") {
		return civil.Date{}, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || v < 1 || v > maxSerial {
		return civil.Date{}, false
	}
	return SerialToDate(v, date1904)
}

// SerialToDate converts an Excel date serial to a date. date1904 selects the
// 1904 date system of some Mac workbooks. Serial 60 is the 29 February 1900
// that Excel's 1900 system invents; it is rejected.
func SerialToDate(serial float64, date1904 bool) (civil.Date, bool) {
	days := int(math.Floor(serial))
	if days < 0 || days > maxSerial {
		return civil.Date{}, false
	}
	if date1904 {
		return civil.Of(time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days)), true
	}
	switch {
	case days == 0 || days == 60:
		return civil.Date{}, false
	case days < 60:
		return civil.Of(time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days)), true
	default:
		return civil.Of(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days)), true
	}
}

// ParseBool reads a yes/no cell: 是/否, 有/无, Y/N, yes/no, true/false, 1/0
// (any case). An empty string is false without error.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "是", "有", "y", "yes", "true", "1", "√":
		return true, nil
	case "否", "无", "n", "no", "false", "0", "×", "":
		return false, nil
	}
	return false, fmt.Errorf("“%s”不是有效的是/否值 (not a yes/no value)", s)
}
