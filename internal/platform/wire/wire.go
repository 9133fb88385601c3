// Package wire reads the platform's own compact binary encodings (the
// gateway's position batches, the track store's chunks): bytes and varints
// from a slice, with the first error kept so a decoder can read a whole
// record and check once at the end.
package wire

import (
	"encoding/binary"
	"fmt"
)

// Reader consumes B from the front. After a failure B is empty, every
// further read returns zero and Err holds the first problem, wrapping the
// sentinel the Reader was made with.
type Reader struct {
	B    []byte
	Err  error
	kind error
}

// NewReader reads b; failures wrap kind (e.g. the decoder's ErrCorrupt).
func NewReader(b []byte, kind error) Reader { return Reader{B: b, kind: kind} }

// Fail records the first problem and stops further reads.
func (r *Reader) Fail(what string) {
	if r.Err == nil {
		r.Err = fmt.Errorf("%w: %s", r.kind, what)
	}
	r.B = nil
}

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if len(r.B) < 1 {
		r.Fail("truncated")
		return 0
	}
	v := r.B[0]
	r.B = r.B[1:]
	return v
}

// Uvarint reads an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	v, n := binary.Uvarint(r.B)
	if n <= 0 {
		r.Fail("bad varint")
		return 0
	}
	r.B = r.B[n:]
	return v
}

// Varint reads a zig-zag signed varint.
func (r *Reader) Varint() int64 {
	v, n := binary.Varint(r.B)
	if n <= 0 {
		r.Fail("bad varint")
		return 0
	}
	r.B = r.B[n:]
	return v
}
