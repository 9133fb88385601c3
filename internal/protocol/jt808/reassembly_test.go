package jt808

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func fragment(phone Phone, v Version, serial, total, index uint16) Header {
	return Header{MsgID: MsgMediaData, Version: v, Phone: phone, Serial: serial, Subpackage: true, Total: total, Index: index}
}

func TestReassembler(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	phone, _ := ParsePhone("13800138000", V2013)
	r := NewReassembler(time.Minute, 1<<20)

	if _, _, done, _ := r.Add(fragment(phone, V2013, 10, 3, 1), []byte("ab"), t0); done {
		t.Fatal("done after 1 of 3")
	}
	// A repeat is ignored; fragment 3 before 2 is fine.
	r.Add(fragment(phone, V2013, 10, 3, 1), []byte("XX"), t0)
	r.Add(fragment(phone, V2013, 12, 3, 3), []byte("ef"), t0)
	p := r.Pending()
	if len(p) != 1 || p[0].FirstSerial != 10 || !cmp.Equal(p[0].Missing, []uint16{2}) {
		t.Fatalf("pending %+v", p)
	}
	body, _ := p[0].ResendRequest().AppendBody(nil, V2013)
	if !bytes.Equal(body, []byte{0, 10, 1, 0, 2}) {
		t.Errorf("0x8003 body % X", body)
	}
	h, full, done, err := r.Add(fragment(phone, V2013, 11, 3, 2), []byte("cd"), t0.Add(time.Second))
	if err != nil || !done || string(full) != "abcdef" {
		t.Fatalf("done %v full %q err %v", done, full, err)
	}
	if h.Subpackage || h.Serial != 10 || h.BodyLen != 6 {
		t.Errorf("joined header %+v", h)
	}
	if r.Bytes() != 0 || len(r.Pending()) != 0 {
		t.Errorf("state left: %d bytes, %v", r.Bytes(), r.Pending())
	}
}

func TestReassemblerExpireAndCap(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	phone, _ := ParsePhone("1", V2019)
	r := NewReassembler(time.Minute, 4)
	r.Add(fragment(phone, V2019, 5, 2, 2), []byte("abc"), t0)
	if _, _, _, err := r.Add(fragment(phone, V2019, 7, 3, 1), []byte("xy"), t0); !errors.Is(err, ErrReassemblyFull) {
		t.Errorf("over cap: %v", err)
	}
	if got := r.Expire(t0.Add(30 * time.Second)); len(got) != 0 {
		t.Errorf("expired early: %v", got)
	}
	got := r.Expire(t0.Add(2 * time.Minute))
	if len(got) != 1 || got[0].FirstSerial != 4 || !cmp.Equal(got[0].Missing, []uint16{1}) {
		t.Errorf("expired %+v", got)
	}
	if r.Bytes() != 0 {
		t.Errorf("bytes %d", r.Bytes())
	}
	if _, _, _, err := r.Add(fragment(phone, V2019, 1, 2, 3), nil, t0); !errors.Is(err, ErrInvalid) {
		t.Errorf("index beyond total: %v", err)
	}
}
