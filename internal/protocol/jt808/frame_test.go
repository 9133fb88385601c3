package jt808

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(stripSpaces(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func stripSpaces(s string) string {
	return string(bytes.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\t' || r == '\r' {
			return -1
		}
		return r
	}, []byte(s)))
}

// The escaping example given in the standard itself.
func TestEscapeStandardExample(t *testing.T) {
	payload := mustHex(t, "30 7E 08 7D 55")
	wire := mustHex(t, "30 7D 02 08 7D 01 55")
	if got := Escape(nil, payload); !bytes.Equal(got, wire) {
		t.Errorf("Escape = % X, want % X", got, wire)
	}
	got, stray := Unescape(nil, wire)
	if !bytes.Equal(got, payload) || stray != 0 {
		t.Errorf("Unescape = % X (stray %d), want % X", got, stray, payload)
	}
}

func TestUnescapeLoneEscape(t *testing.T) {
	got, stray := Unescape(nil, []byte{0x01, 0x7D, 0x33, 0x7D})
	if want := []byte{0x01, 0x7D, 0x33, 0x7D}; !bytes.Equal(got, want) || stray != 2 {
		t.Errorf("got % X stray %d", got, stray)
	}
}

func TestEscapeTailMatchesAppendFrame(t *testing.T) {
	for _, pkt := range [][]byte{{}, {0x7E}, {0x7D, 0x7E, 0x01}, mustHex(t, "0200001c0123456789017d02")} {
		want := AppendFrame([]byte("xx"), pkt)
		buf := append([]byte("xx"), pkt...)
		got := escapeTail(buf, 2)
		if !bytes.Equal(got, want) {
			t.Errorf("escapeTail(% X) = % X, want % X", pkt, got, want)
		}
	}
}

func TestUnpack(t *testing.T) {
	pkt := []byte{0x00, 0x02, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 0, 1}
	frame := AppendFrame(nil, pkt)
	got, err := Unpack(bytes.Clone(frame))
	if err != nil || !bytes.Equal(got, pkt) {
		t.Fatalf("Unpack = % X, %v", got, err)
	}
	frame[3] ^= 0xFF
	if _, err := Unpack(frame); !errors.Is(err, ErrChecksum) {
		t.Errorf("corrupted frame: err = %v, want ErrChecksum", err)
	}
	if _, err := Unpack([]byte{0x7E, 0x7E}); !errors.Is(err, ErrTruncated) {
		t.Errorf("empty frame: err = %v", err)
	}
}

func splitAll(s *Splitter, feeds ...[]byte) (frames []string, errs []error) {
	for _, f := range feeds {
		s.Feed(f)
		for {
			fr, err := s.Next()
			if errors.Is(err, ErrNeedMore) {
				break
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			frames = append(frames, hex.EncodeToString(fr))
		}
	}
	return frames, errs
}

func TestSplitter(t *testing.T) {
	tests := []struct {
		name   string
		max    int
		feeds  []string
		frames []string
		errs   int
	}{
		{"one frame", 0, []string{"7e0102037e"}, []string{"010203"}, 0},
		{"back to back", 0, []string{"7e01027e7e03047e"}, []string{"0102", "0304"}, 0},
		{"shared flag", 0, []string{"7e01027e03047e"}, []string{"0102", "0304"}, 0},
		{"garbage before", 0, []string{"ffff7e01027e"}, []string{"0102"}, 0},
		{"split across reads", 0, []string{"ff7e01", "02", "037e7e04", "7e"}, []string{"010203", "04"}, 0},
		{"unterminated", 0, []string{"7e0102"}, nil, 0},
		{"flags only", 0, []string{"7e7e7e7e"}, nil, 0},
		{"too large in one read", 4, []string{"7e01020304057e0a7e"}, []string{"0a"}, 1},
		{"too large across reads", 4, []string{"7e0102", "0304", "05067e0b7e"}, []string{"0b"}, 1},
		{"too large when joined", 4, []string{"7e010203", "04057e"}, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var feeds [][]byte
			for _, f := range tt.feeds {
				feeds = append(feeds, mustHex(t, f))
			}
			frames, errs := splitAll(NewSplitter(tt.max), feeds...)
			if diff := cmp.Diff(tt.frames, frames); diff != "" {
				t.Errorf("frames (-want +got):\n%s", diff)
			}
			if len(errs) != tt.errs {
				t.Errorf("errors = %v, want %d", errs, tt.errs)
			}
			for _, e := range errs {
				if !errors.Is(e, ErrFrameTooLarge) {
					t.Errorf("unexpected error %v", e)
				}
			}
		})
	}
}

// Feeding a stream byte by byte gives the same frames as feeding it whole.
func TestSplitterByteByByte(t *testing.T) {
	stream := mustHex(t, "00 7e 0102 7e 7e 7e 0304 05 7e ff ff 7e 06 7e")
	whole, _ := splitAll(NewSplitter(0), stream)
	var feeds [][]byte
	for i := range stream {
		feeds = append(feeds, stream[i:i+1])
	}
	single, _ := splitAll(NewSplitter(0), feeds...)
	if diff := cmp.Diff(whole, single); diff != "" {
		t.Error(diff)
	}
}
