package jt808

import (
	"errors"
	"testing"
	"time"
)

// typical0200 is a 2013 location report with 4 additional items (mileage,
// fuel, signal strength, satellites), as most terminals send it.
func typical0200(b *testing.B) []byte {
	b.Helper()
	phone, _ := ParsePhone("13800138000", V2013)
	l := Location{Status: 3, Lat: 22543099, Lon: 114057868, Altitude: 35, Speed: 652, Direction: 270,
		Time:  BCDTimeOf(time.Date(2026, 3, 14, 9, 26, 53, 0, cst)),
		Items: []Item{{ItemMileage, Hex{0, 0, 0x30, 0x39}}, {ItemFuel, Hex{1, 0xF4}}, {ItemSignalStrength, Hex{25}}, {ItemSatellites, Hex{12}}}}
	frame, err := Encode(nil, Header{Phone: phone, Serial: 1}, &l)
	if err != nil {
		b.Fatal(err)
	}
	return frame
}

func BenchmarkSplit(b *testing.B) {
	frame := typical0200(b)
	stream := make([]byte, 0, 64*len(frame))
	for range 64 {
		stream = append(stream, frame...)
	}
	s := NewSplitter(0)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		s.Feed(stream)
		for {
			if _, err := s.Next(); errors.Is(err, ErrNeedMore) {
				break
			}
		}
	}
}

func BenchmarkUnpack(b *testing.B) {
	frame := typical0200(b)
	buf := make([]byte, len(frame))
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, frame)
		if _, err := Unpack(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode0200 is the hot path: header + location with 4 items into
// a reused Location (target ≤ 300 ns, 0 allocations).
func BenchmarkDecode0200(b *testing.B) {
	pkt, err := Unpack(typical0200(b))
	if err != nil {
		b.Fatal(err)
	}
	var l Location
	b.ReportAllocs()
	for b.Loop() {
		_, body, err := ParseHeader(pkt)
		if err != nil {
			b.Fatal(err)
		}
		if err := DecodeLocation(&l, body); err != nil {
			b.Fatal(err)
		}
	}
	if len(l.Items) != 4 {
		b.Fatal(len(l.Items))
	}
}

// BenchmarkUnpackDecode0200 adds unescaping and the check code to the hot
// path, from a raw frame as the splitter returns it.
func BenchmarkUnpackDecode0200(b *testing.B) {
	frame := typical0200(b)
	buf := make([]byte, len(frame))
	var l Location
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, frame)
		pkt, err := Unpack(buf)
		if err != nil {
			b.Fatal(err)
		}
		_, body, _ := ParseHeader(pkt)
		if err := DecodeLocation(&l, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode8001(b *testing.B) {
	phone, _ := ParsePhone("13800138000", V2013)
	h := Header{Phone: phone, Serial: 9}
	resp := &PlatformResponse{GeneralResponse{ReplySerial: 1, ReplyID: MsgLocation, Result: ResultOK}}
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = Encode(buf[:0], h, resp); err != nil {
			b.Fatal(err)
		}
	}
}
