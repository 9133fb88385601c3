package jt808

import (
	"fmt"
	"math"
)

// ResendRequest is 0x8003 (补传分包请求, platform → terminal) or 0x0005
// (终端补传分包请求, 2019 terminal → platform): the serial of the first
// fragment of the original message and the missing fragment indexes. The
// count is a BYTE in 2011/2013 and a WORD in 2019.
type ResendRequest struct {
	ID             uint16   `json:"-"`
	OriginalSerial uint16   `json:"original_serial"`
	Indexes        []uint16 `json:"indexes"`
}

func (m *ResendRequest) MsgID() uint16 {
	if m.ID == 0 {
		return MsgPlatformResend
	}
	return m.ID
}

func (m *ResendRequest) AppendBody(dst []byte, v Version) ([]byte, error) {
	dst = be16(dst, m.OriginalSerial)
	if v == V2019 {
		if len(m.Indexes) > math.MaxUint16 {
			return dst, errTooMany("indexes", len(m.Indexes), math.MaxUint16)
		}
		dst = be16(dst, uint16(len(m.Indexes)))
	} else {
		if len(m.Indexes) > math.MaxUint8 {
			return dst, errTooMany("indexes", len(m.Indexes), math.MaxUint8)
		}
		dst = append(dst, byte(len(m.Indexes)))
	}
	for _, i := range m.Indexes {
		dst = be16(dst, i)
	}
	return dst, nil
}

func (m *ResendRequest) DecodeBody(src []byte, v Version) error {
	r := reader{b: src}
	m.OriginalSerial = r.u16("original serial")
	var n int
	if v == V2019 {
		n = int(r.u16("count"))
	} else {
		n = int(r.u8("count"))
	}
	if r.err == nil && r.left() < 2*n {
		return fmt.Errorf("%d indexes in %d bytes: %w", n, r.left(), ErrTruncated)
	}
	m.Indexes = make([]uint16, 0, n)
	for range n {
		m.Indexes = append(m.Indexes, r.u16("index"))
	}
	return r.err
}
