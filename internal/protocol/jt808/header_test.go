package jt808

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHeaderRoundTrip(t *testing.T) {
	p13, _ := ParsePhone("13800138000", V2013)
	p19, _ := ParsePhone("13800138000", V2019)
	tests := []Header{
		{MsgID: 0x0200, Version: V2013, Phone: p13, Serial: 7},
		{MsgID: 0x0801, Version: V2013, Phone: p13, Serial: 8, Subpackage: true, Total: 3, Index: 2},
		{MsgID: 0x0102, Version: V2019, ProtocolVersion: 1, Phone: p19, Serial: 65535},
		{MsgID: 0x0801, Version: V2019, ProtocolVersion: 1, Phone: p19, Serial: 1, Subpackage: true, Total: 9, Index: 9, Encryption: 1},
	}
	for _, h := range tests {
		t.Run(MsgIDString(h.MsgID)+"/"+h.Version.String(), func(t *testing.T) {
			b, err := AppendHeader(nil, &h, 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) != h.Len() {
				t.Errorf("len %d, want %d", len(b), h.Len())
			}
			b = append(b, 1, 2, 3)
			got, body, err := ParseHeader(b)
			if err != nil {
				t.Fatal(err)
			}
			h.BodyLen = 3
			if diff := cmp.Diff(h, got, cmp.AllowUnexported(Phone{})); diff != "" {
				t.Error(diff)
			}
			if len(body) != 3 {
				t.Errorf("body %d bytes", len(body))
			}
		})
	}
}

func TestParseHeaderErrors(t *testing.T) {
	if _, _, err := ParseHeader(make([]byte, 11)); !errors.Is(err, ErrTruncated) {
		t.Errorf("short: %v", err)
	}
	b := []byte{0x01, 0x02, 0x40, 0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0}
	if _, _, err := ParseHeader(b); !errors.Is(err, ErrTruncated) {
		t.Errorf("short 2019: %v", err)
	}
	b = []byte{0x02, 0x00, 0x00, 0x05, 0, 0, 0, 0, 0, 1, 0, 1, 9}
	h, body, err := ParseHeader(b)
	if !errors.Is(err, ErrBodyLength) || h.BodyLen != 5 || len(body) != 1 {
		t.Errorf("length mismatch: %v %+v %d", err, h, len(body))
	}
}

func TestPhone(t *testing.T) {
	p, err := ParsePhone("13800138000", V2013)
	if err != nil {
		t.Fatal(err)
	}
	if p.String() != "013800138000" || p.Key() != "13800138000" {
		t.Errorf("2013: %s %s", p, p.Key())
	}
	p19, _ := ParsePhone("13800138000", V2019)
	if p19.String() != "00000000013800138000" || p19.Key() != p.Key() {
		t.Errorf("2019: %s %s", p19, p19.Key())
	}
	// Non-BCD nibbles are kept and shown as hex, never rejected.
	raw, _ := PhoneFromBytes([]byte{0x01, 0x23, 0xAB, 0xCD, 0xEF, 0x0F})
	if raw.String() != "0123abcdef0f" {
		t.Errorf("hex phone %s", raw)
	}
	if _, err := ParsePhone("12x", V2013); err == nil {
		t.Error("accepted a letter")
	}
	if _, err := ParsePhone("123456789012345678901", V2019); err == nil {
		t.Error("accepted 21 digits")
	}
}
