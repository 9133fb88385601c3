package gateway

import (
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
)

// TestUndatedReportIsFlagged: a report whose time is not a date (bad BCD,
// month 13) is kept, dated on receipt and flagged, so quality indicators do
// not count it as a good report.
func TestUndatedReportIsFlagged(t *testing.T) {
	now := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	s := &session{}
	for _, tc := range []struct {
		name    string
		time    jt808.BCDTime
		undated bool
	}{
		{"good", jt808.BCDTimeOf(now.Add(-time.Minute)), false},
		{"month 13", jt808.BCDTime{0x26, 0x13, 0x01, 0x10, 0x00, 0x00}, true},
		{"not BCD", jt808.BCDTime{0x2a, 0x11, 0x20, 0x10, 0x00, 0x00}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p Position
			s.toPosition(&p, &jt808.Location{Time: tc.time, Lat: 30_600_000, Lon: 104_000_000}, now, false, jt808.V2013)
			if p.UndatedDevice != tc.undated {
				t.Errorf("UndatedDevice = %v, want %v", p.UndatedDevice, tc.undated)
			}
			want := now.Add(-time.Minute)
			if tc.undated {
				want = now
			}
			if !p.DeviceTime.Equal(want) {
				t.Errorf("DeviceTime = %v, want %v", p.DeviceTime, want)
			}
		})
	}
}
