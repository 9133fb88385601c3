package wire

import (
	"encoding/binary"
	"errors"
	"testing"
)

var errBad = errors.New("bad record")

func TestReader(t *testing.T) {
	b := []byte{7}
	b = binary.AppendUvarint(b, 300)
	b = binary.AppendVarint(b, -5)
	r := NewReader(b, errBad)
	if r.Byte() != 7 || r.Uvarint() != 300 || r.Varint() != -5 || r.Err != nil || len(r.B) != 0 {
		t.Fatalf("read back wrong: err %v, %d bytes left", r.Err, len(r.B))
	}
	// Past the end: zero values and one error wrapping the sentinel.
	if r.Byte() != 0 || r.Uvarint() != 0 || !errors.Is(r.Err, errBad) {
		t.Fatalf("reading past the end: err %v", r.Err)
	}
	first := r.Err
	r.Fail("later problem")
	if r.Err != first {
		t.Errorf("a later failure replaced the first: %v", r.Err)
	}
	bad := NewReader([]byte{0xff, 0xff}, errBad) // unterminated varint
	if bad.Uvarint() != 0 || !errors.Is(bad.Err, errBad) {
		t.Errorf("unterminated varint: err %v", bad.Err)
	}
}
