package live

import (
	"encoding/json"
	"math"
	"testing"
)

func TestAppendMicro(t *testing.T) {
	cases := []struct {
		in   int32
		want string
	}{
		{0, "0"}, {1, "0.000001"}, {-1, "-0.000001"}, {123456, "0.123456"}, {30_657_000, "30.657"},
		{-30_657_010, "-30.65701"}, {104_000_000, "104"}, {math.MaxInt32, "2147.483647"}, {math.MinInt32, "-2147.483648"},
	}
	for _, tc := range cases {
		got := string(appendMicro(nil, tc.in))
		if got != tc.want {
			t.Errorf("appendMicro(%d) = %q, want %q", tc.in, got, tc.want)
		}
		var f float64
		if err := json.Unmarshal([]byte(got), &f); err != nil || f != float64(tc.in)/1e6 {
			t.Errorf("appendMicro(%d) = %q reads back as %v (%v)", tc.in, got, f, err)
		}
	}
}

func TestOriginAllowed(t *testing.T) {
	allowed := []string{"console.example.gov.cn", "*.jt.example.gov.cn", "https://ops.example.org"}
	cases := []struct {
		origin, host string
		want         bool
	}{
		{"", "platform:8080", true}, // not a browser
		{"http://platform:8080", "platform:8080", true},
		{"http://PLATFORM:8080", "platform:8080", true},
		{"http://platform:8081", "platform:8080", false},
		{"https://evil.example.com", "platform:8080", false},
		{"null", "platform:8080", false},
		{"https://console.example.gov.cn", "platform:8080", true},
		{"https://sc.jt.example.gov.cn", "platform:8080", true},
		{"https://ops.example.org", "platform:8080", true},
		{"http://ops.example.org", "platform:8080", false},
		{"://bad", "platform:8080", false},
	}
	for _, tc := range cases {
		if got := originAllowed(tc.origin, tc.host, allowed); got != tc.want {
			t.Errorf("originAllowed(%q, %q) = %v, want %v", tc.origin, tc.host, got, tc.want)
		}
	}
}
