package gbk

import (
	"bytes"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	cases := []struct {
		text string
		wire []byte
	}{
		{"粤B88888", []byte{0xD4, 0xC1, 0x42, 0x38, 0x38, 0x38, 0x38, 0x38}},
		{"测A1234", []byte{0xB2, 0xE2, 0x41, 0x31, 0x32, 0x33, 0x34}},
		{"ABC", []byte("ABC")},
		{"€5", []byte{0x80, 0x35}},                    // code page 936's one-byte euro sign
		{"价€粤", []byte{0xBC, 0xDB, 0x80, 0xD4, 0xC1}}, // and amid other text
		{"", nil},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			if got := Append(nil, c.text); !bytes.Equal(got, c.wire) {
				t.Errorf("Append = % X, want % X", got, c.wire)
			}
			if got := Decode(c.wire); got != c.text {
				t.Errorf("Decode = %q, want %q", got, c.text)
			}
			if Len(c.text) != len(c.wire) {
				t.Errorf("Len = %d, want %d", Len(c.text), len(c.wire))
			}
		})
	}
}

func TestDecodePadded(t *testing.T) {
	if got := DecodePadded([]byte{0, ' ', 0xB2, 0xE2, 'A', 0, 0}); got != "测A" {
		t.Errorf("got %q", got)
	}
}

func TestInvalidNeverFails(t *testing.T) {
	if got := Decode([]byte{0xFF, 0xFF, 'a'}); got == "" {
		t.Error("empty result for invalid input")
	}
	_ = Append(nil, "bad \xff utf8")
}
