package bus

import (
	"errors"
	"testing"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
)

func TestValidSubject(t *testing.T) {
	tests := []struct {
		subject   string
		wildcards bool
		ok        bool
	}{
		{"pos.7", false, true},
		{"pos", false, true},
		{"pos.*", false, false},
		{"pos.>", false, false},
		{"pos.*", true, true},
		{"pos.>", true, true},
		{"pos.*.x", true, true},
		{">", true, true},
		{"pos.>.x", true, false},
		{"pos.a*", true, false},
		{"", false, false},
		{".pos", false, false},
		{"pos.", false, false},
		{"pos..7", false, false},
		{"pos 7", false, false},
		{"pos.\t7", false, false},
		{"位置.川A", false, true},
	}
	for _, tt := range tests {
		err := validSubject("subject", tt.subject, tt.wildcards)
		if (err == nil) != tt.ok {
			t.Errorf("validSubject(%q, wildcards=%v) = %v, want ok=%v", tt.subject, tt.wildcards, err, tt.ok)
		}
		if err != nil && !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("validSubject(%q) error %v is not ErrInvalid", tt.subject, err)
		}
	}
}

func TestValidName(t *testing.T) {
	for name, ok := range map[string]bool{
		"POSITIONS": true, "pos-1_a": true, "": false, "a.b": false, "a b": false, "a*": false, "a/b": false,
	} {
		if err := validName("name", name); (err == nil) != ok {
			t.Errorf("validName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestRetryDelayDoublesUpToCap(t *testing.T) {
	cfg := ConsumerConfig{}
	cfg.defaults()
	var got []string
	for d := uint64(1); d <= 9; d++ {
		got = append(got, retryDelay(cfg, d).String())
	}
	want := []string{"1s", "2s", "4s", "8s", "16s", "32s", "1m0s", "1m0s", "1m0s"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("retry delays = %v, want %v", got, want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	got := redactURL("nats://user:secret@10.0.0.1:4222,nats://10.0.0.2:4222")
	if want := "nats://***@10.0.0.1:4222,nats://10.0.0.2:4222"; got != want {
		t.Errorf("redactURL = %q, want %q", got, want)
	}
}
