package jt808

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// CST is GMT+8, the zone of every time in JT/T 808 (China Standard Time).
var cst = time.FixedZone("CST", 8*3600)

// BCDTime is a BCD[6] YYMMDDhhmmss time as sent on the wire, kept raw so that
// decoding stays cheap and invalid values survive a round trip. The standard
// states it in GMT+8.
type BCDTime [6]byte

// BCDTimeOf returns t as BCD in GMT+8 (years 2000-2099).
func BCDTimeOf(t time.Time) BCDTime { return bcdOf(t.In(cst)) }

// bcdOf packs t's wall clock as it is, without changing zone.
func bcdOf(t time.Time) BCDTime {
	var b BCDTime
	for i, v := range [6]int{t.Year() % 100, int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second()} {
		b[i] = byte(v/10)<<4 | byte(v%10)
	}
	return b
}

func bcd(b byte) (int, bool) {
	hi, lo := b>>4, b&0x0F
	return int(hi)*10 + int(lo), hi <= 9 && lo <= 9
}

// Time converts to a time in GMT+8 (the year is 2000 + YY). It fails for
// non-BCD nibbles or an impossible date; the all-zero "no time" value also
// fails.
func (b BCDTime) Time() (time.Time, error) {
	var v [6]int
	for i, c := range b {
		n, ok := bcd(c)
		if !ok {
			return time.Time{}, fmt.Errorf("time %X: not BCD: %w", b[:], ErrInvalid)
		}
		v[i] = n
	}
	if v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 59 {
		return time.Time{}, fmt.Errorf("time %X: out of range: %w", b[:], ErrInvalid)
	}
	t := time.Date(2000+v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], 0, cst)
	if t.Day() != v[2] {
		return time.Time{}, fmt.Errorf("time %X: no such day: %w", b[:], ErrInvalid)
	}
	return t, nil
}

// String returns ISO 8601 with +08:00, or the raw hex when invalid.
func (b BCDTime) String() string {
	t, err := b.Time()
	if err != nil {
		return fmt.Sprintf("%X", b[:])
	}
	return t.Format(time.RFC3339)
}

// MarshalJSON writes the ISO 8601 form (or the raw hex if invalid).
func (b BCDTime) MarshalJSON() ([]byte, error) { return json.Marshal(b.String()) }

// ServerTime is 0x8004 (查询服务器时间应答, 2019): the platform's time in UTC
// as BCD[6] YYMMDDhhmmss.
type ServerTime struct {
	// UTC holds the BCD digits of the UTC time (not GMT+8).
	UTC [6]byte `json:"-"`
}

// NewServerTime returns the reply for t.
func NewServerTime(t time.Time) *ServerTime {
	return &ServerTime{UTC: bcdOf(t.UTC())}
}

// Time returns the time carried, in UTC.
func (m *ServerTime) Time() (time.Time, error) {
	t, err := BCDTime(m.UTC).Time()
	if err != nil {
		return t, err
	}
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC), nil
}

func (m *ServerTime) MarshalJSON() ([]byte, error) {
	t, err := m.Time()
	if err != nil {
		return json.Marshal(map[string]string{"utc_raw": fmt.Sprintf("%X", m.UTC[:])})
	}
	return json.Marshal(map[string]string{"utc": t.Format(time.RFC3339)})
}

func (*ServerTime) MsgID() uint16 { return MsgServerTime }
func (m *ServerTime) AppendBody(dst []byte, _ Version) ([]byte, error) {
	return append(dst, m.UTC[:]...), nil
}
func (m *ServerTime) DecodeBody(src []byte, _ Version) error {
	r := reader{b: src}
	copy(m.UTC[:], r.bytes(6, "time"))
	return r.err
}

// UnmarshalJSON reads an ISO 8601 time (any zone; stored as GMT+8), the raw
// 12 hex digits, or "" / null for the all-zero "no time" value.
func (b *BCDTime) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*b = BCDTime{}
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("jt808: time must be a string: %w", ErrInvalid)
	}
	switch {
	case s == "":
		*b = BCDTime{}
		return nil
	case len(s) == 12:
		raw, err := hex.DecodeString(s)
		if err == nil {
			copy(b[:], raw)
			return nil
		}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("jt808: time %q is neither ISO 8601 nor 12 hex digits: %w", s, ErrInvalid)
	}
	if y := t.In(cst).Year(); y < 2000 || y > 2099 {
		return fmt.Errorf("jt808: time %q is outside 2000-2099: %w", s, ErrInvalid)
	}
	*b = BCDTimeOf(t)
	return nil
}
