package jt808

import (
	"encoding/json"
	"testing"
	"time"
)

func TestBCDTimeJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    string // String() of the result
		wantErr bool
	}{
		{in: `"2026-11-21T08:30:00+08:00"`, want: "2026-11-21T08:30:00+08:00"},
		{in: `"2026-11-21T00:30:00Z"`, want: "2026-11-21T08:30:00+08:00"}, // stored in GMT+8
		{in: `"261121083000"`, want: "2026-11-21T08:30:00+08:00"},         // raw BCD digits
		{in: `""`, want: "000000000000"},
		{in: `null`, want: "000000000000"},
		{in: `"yesterday"`, wantErr: true},
		{in: `"1999-12-31T23:00:00+08:00"`, wantErr: true},
		{in: `12`, wantErr: true},
	}
	for _, tt := range tests {
		var b BCDTime
		err := json.Unmarshal([]byte(tt.in), &b)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && b.String() != tt.want {
			t.Errorf("%s: got %s, want %s", tt.in, b.String(), tt.want)
		}
	}
	// Round trip through the JSON the explainer writes.
	orig := BCDTimeOf(mustTime(t, "2026-02-28T23:59:59+08:00"))
	out, _ := json.Marshal(orig)
	var back BCDTime
	if err := json.Unmarshal(out, &back); err != nil || back != orig {
		t.Errorf("round trip %s: %v, %v", out, back, err)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
