package jt808

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"
)

func seedFrames(f *testing.F) {
	files := testdataFiles(f)
	for _, path := range files {
		for _, fr := range readFrames(f, path) {
			f.Add(fr)
		}
	}
}

// FuzzSplitter feeds arbitrary bytes in two reads and checks that frames
// never contain a flag, respect the limit, and match a one-read split.
func FuzzSplitter(f *testing.F) {
	seedFrames(f)
	f.Add([]byte{0x7E, 0x7E, 0x7D, 0x7E})
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 64
		cut := len(data) / 3
		a, errsA := splitAll(NewSplitter(limit), bytes.Clone(data[:cut]), bytes.Clone(data[cut:]))
		b, errsB := splitAll(NewSplitter(limit), bytes.Clone(data))
		if len(errsA) == 0 && len(errsB) == 0 && len(a) != len(b) {
			t.Fatalf("split differs by feed boundary: %v vs %v", a, b)
		}
		for _, fr := range b {
			raw, _ := hex.DecodeString(fr)
			if bytes.IndexByte(raw, 0x7E) >= 0 {
				t.Fatalf("frame contains a flag: %s", fr)
			}
			if len(raw) == 0 || len(raw) > limit {
				t.Fatalf("frame of %d bytes, limit %d", len(raw), limit)
			}
		}
	})
}

// FuzzDecode runs every decoder over arbitrary frames: no panic, an
// explanation that marshals, and decode(encode(decode(x))) == decode(x).
func FuzzDecode(f *testing.F) {
	seedFrames(f)
	f.Fuzz(func(t *testing.T, frame []byte) {
		e := Explain(frame)
		if _, err := json.Marshal(e); err != nil {
			t.Fatalf("explanation does not marshal: %v", err)
		}
		pkt, err := Unpack(bytes.Clone(frame))
		if err != nil {
			return
		}
		h, body, err := Decode(pkt)
		if err != nil {
			return
		}
		out, err := Encode(nil, h, body)
		if err != nil {
			if errors.Is(err, ErrInvalid) {
				return
			}
			t.Fatalf("encode of decoded %s: %v", MsgIDString(h.MsgID), err)
		}
		pkt2, err := Unpack(out)
		if err != nil {
			t.Fatalf("re-encoded frame: %v", err)
		}
		h2, body2, err := Decode(pkt2)
		if err != nil {
			t.Fatalf("re-decode %s: %v", MsgIDString(h.MsgID), err)
		}
		j1, _ := json.Marshal(Explanation{Body: body})
		j2, _ := json.Marshal(Explanation{Body: body2})
		if bytes.Contains(j1, []byte("\ufffd")) || bytes.Contains(j1, []byte("\\ufffd")) {
			// Text that was not valid GBK decodes with replacement
			// characters; it cannot come back byte for byte, and a fixed-width
			// field may then cut it. Only valid text must round-trip.
			return
		}
		if h2.MsgID != h.MsgID || !bytes.Equal(j1, j2) {
			t.Fatalf("round trip changed %s:\n%s\n%s", MsgIDString(h.MsgID), j1, j2)
		}
	})
}

// FuzzDecode0200 checks the location hot path: no panic, the basic block
// always decodes from 28 bytes, and re-encoding reproduces the body when
// the coordinates are in range.
func FuzzDecode0200(f *testing.F) {
	for _, path := range []string{"testdata/0200_2013_traccar.hex", "testdata/0200_2019_xtream.hex"} {
		for _, fr := range readFrames(f, path) {
			pkt, err := Unpack(fr)
			if err != nil {
				continue
			}
			if _, body, err := ParseHeader(pkt); err == nil {
				f.Add(body)
			}
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var l Location
		err := DecodeLocation(&l, body)
		if len(body) >= LocationBasicLen && err != nil {
			t.Fatalf("basic block lost: %v", err)
		}
		if err != nil {
			return
		}
		_, _ = json.Marshal(l)
		lat := uint32(body[8])<<24 | uint32(body[9])<<16 | uint32(body[10])<<8 | uint32(body[11])
		lon := uint32(body[12])<<24 | uint32(body[13])<<16 | uint32(body[14])<<8 | uint32(body[15])
		if lat > 1<<31-1 || lon > 1<<31-1 || (lat == 0 && body[7]&statusSouth != 0) || (lon == 0 && body[7]&statusWest != 0) {
			return
		}
		out, err := l.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, body) {
			t.Fatalf("re-encoded body differs:\n%x\n%x", out, body)
		}
	})
}
