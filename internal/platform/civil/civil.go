// Package civil holds a calendar date without time or zone, the way licences
// and certificates state their validity ("valid until 2027-03-31").
package civil

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
)

// Date is a calendar date. The zero value means "no date". It is stored in SQL
// as 'YYYY-MM-DD' text on every dialect so comparisons work lexically.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

const layout = "2006-01-02"

// Parse reads a date in ISO form (2026-01-31); the compact forms used by
// ministry interfaces (20260131) and by spreadsheets (2026/01/31) are accepted
// too.
func Parse(s string) (Date, error) {
	for _, l := range []string{layout, "20060102", "2006/01/02", "2006/1/2", "2006-1-2", "2006.01.02"} {
		if t, err := time.Parse(l, s); err == nil {
			return Of(t), nil
		}
	}
	return Date{}, fmt.Errorf("civil: %q is not a date (want YYYY-MM-DD)", s)
}

// Of returns the date of t in t's location.
func Of(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// Today returns the current date in China Standard Time, the zone every
// licence in the registry is issued in.
func Today() Date { return Of(time.Now().In(CST)) }

// CST is China Standard Time (UTC+8, no daylight saving).
var CST = time.FixedZone("CST", 8*3600)

// IsZero reports whether d is the zero date.
func (d Date) IsZero() bool { return d == Date{} }

// String formats d as YYYY-MM-DD, or "" for the zero date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// Time returns midnight of d in loc.
func (d Date) Time(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// AddDays returns d shifted by n days.
func (d Date) AddDays(n int) Date { return Of(d.Time(time.UTC).AddDate(0, 0, n)) }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.compare(e) > 0 }

func (d Date) compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return d.Year - e.Year
	case d.Month != e.Month:
		return int(d.Month) - int(e.Month)
	default:
		return d.Day - e.Day
	}
}

// MarshalJSON writes "YYYY-MM-DD", or null for the zero date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads "YYYY-MM-DD", "" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("civil: date must be a string: %w", err)
	}
	if s == "" {
		*d = Date{}
		return nil
	}
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Value stores the date as text; the zero date as NULL.
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan reads text, bytes or a time.Time (PostgreSQL DATE), and NULL.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
		return nil
	case time.Time:
		*d = Of(v)
		return nil
	case []byte:
		return d.scanString(string(v))
	case string:
		return d.scanString(v)
	}
	return fmt.Errorf("civil: cannot scan %T into Date", src)
}

func (d *Date) scanString(s string) error {
	if s == "" {
		*d = Date{}
		return nil
	}
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
