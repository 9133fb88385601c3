package region

import "testing"

func TestHierarchy(t *testing.T) {
	tests := []struct {
		code, full, parent string
		level              Level
	}{
		{"510000", "四川省", "", Province},
		{"510100", "四川省成都市", "510000", City},
		{"510104", "四川省成都市锦江区", "510100", County},
		{"110101", "北京市东城区", "110000", County}, // municipality: no city tier
		{"429004", "湖北省仙桃市", "420000", County}, // province-administered county
	}
	for _, tt := range tests {
		r, ok := Lookup(tt.code)
		if !ok {
			t.Fatalf("Lookup(%s) found nothing", tt.code)
		}
		if r.Level != tt.level || r.Parent != tt.parent {
			t.Errorf("%s: level %s parent %q, want %s %q", tt.code, r.Level, r.Parent, tt.level, tt.parent)
		}
		if got := FullName(tt.code); got != tt.full {
			t.Errorf("FullName(%s) = %s, want %s", tt.code, got, tt.full)
		}
	}
	if Valid("519999") {
		t.Error("an unknown code is valid")
	}
	if n := len(Provinces()); n != 34 {
		t.Errorf("%d provinces, want 34", n)
	}
	if n := len(Children("510100")); n != 20 {
		t.Errorf("Chengdu has %d children, want 20", n)
	}
	if !Contains("510000", "510104") || Contains("510100", "110101") || !Contains("510104", "510104") {
		t.Error("Contains is wrong")
	}
}
