package jt808

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
)

// Version is the edition of JT/T 808 a terminal speaks. The zero value is
// V2013, the most common edition in the field.
type Version uint8

// Versions. 2011 and 2013 share the header; they are told apart by the body
// of 0x0100 (see Decode) and must then be remembered per terminal.
const (
	V2013 Version = iota
	V2011
	V2019
)

func (v Version) String() string {
	switch v {
	case V2011:
		return "2011"
	case V2013:
		return "2013"
	case V2019:
		return "2019"
	}
	return fmt.Sprintf("Version(%d)", uint8(v))
}

// MarshalJSON writes the edition year as a string ("2019").
func (v Version) MarshalJSON() ([]byte, error) { return json.Marshal(v.String()) }

// Body attribute word masks.
const (
	attrLength     = 0x03FF
	attrEncryption = 0x1C00
	attrSubpackage = 0x2000
	attrVersion    = 0x4000
	attrReserved   = 0x8000
)

// MaxBodyLen is the longest body one frame can carry (10-bit length field).
const MaxBodyLen = attrLength

// Header is a decoded JT/T 808 message header.
type Header struct {
	MsgID uint16 `json:"msg_id"`
	// BodyLen is the body length declared in the attribute word.
	BodyLen int `json:"body_len"`
	// Encryption holds attribute bits 10-12: 0 plain, 1 RSA.
	Encryption uint8 `json:"encryption"`
	// Reserved is attribute bit 15, kept so that re-encoding is exact.
	Reserved bool    `json:"reserved,omitempty"`
	Version  Version `json:"version"`
	// ProtocolVersion is the 2019 protocol version byte (0 otherwise).
	ProtocolVersion uint8  `json:"protocol_version,omitempty"`
	Phone           Phone  `json:"phone"`
	Serial          uint16 `json:"serial"`
	// Subpackage is set when the message is one fragment of a longer one;
	// Total and Index (from 1) then say which.
	Subpackage bool   `json:"subpackage,omitempty"`
	Total      uint16 `json:"total,omitempty"`
	Index      uint16 `json:"index,omitempty"`
}

// Len returns the encoded header length: 12/16 bytes (2011/2013) or 17/21
// bytes (2019), the larger when subpackaged.
func (h *Header) Len() int {
	n := 12
	if h.Version == V2019 {
		n = 17
	}
	if h.Subpackage {
		n += 4
	}
	return n
}

// ParseHeader reads the header at the start of pkt (unescaped, check code
// removed) and returns it with the body that follows. If the declared body
// length differs from the bytes present, it returns the header, the actual
// body and an error wrapping ErrBodyLength, so callers may still look at it.
//
// Version detection here only knows 2019 (attribute bit 14) from 2011/2013,
// reported as V2013; Decode refines 2011 from a 0x0100 body.
func ParseHeader(pkt []byte) (Header, []byte, error) {
	var h Header
	if len(pkt) < 12 {
		return h, nil, fmt.Errorf("jt808: header: %d bytes: %w", len(pkt), ErrTruncated)
	}
	h.MsgID = binary.BigEndian.Uint16(pkt)
	attr := binary.BigEndian.Uint16(pkt[2:])
	h.BodyLen = int(attr & attrLength)
	h.Encryption = uint8((attr & attrEncryption) >> 10)
	h.Subpackage = attr&attrSubpackage != 0
	h.Reserved = attr&attrReserved != 0
	off := 4
	if attr&attrVersion != 0 {
		h.Version = V2019
		if len(pkt) < 17 {
			return h, nil, fmt.Errorf("jt808: 2019 header: %d bytes: %w", len(pkt), ErrTruncated)
		}
		h.ProtocolVersion = pkt[4]
		h.Phone = phoneFrom(pkt[5:15])
		off = 15
	} else {
		h.Version = V2013
		h.Phone = phoneFrom(pkt[4:10])
		off = 10
	}
	h.Serial = binary.BigEndian.Uint16(pkt[off:])
	off += 2
	if h.Subpackage {
		if len(pkt) < off+4 {
			return h, nil, fmt.Errorf("jt808: subpackage header: %w", ErrTruncated)
		}
		h.Total = binary.BigEndian.Uint16(pkt[off:])
		h.Index = binary.BigEndian.Uint16(pkt[off+2:])
		off += 4
	}
	body := pkt[off:]
	if len(body) != h.BodyLen {
		return h, body, fmt.Errorf("jt808: header says %d body bytes, frame has %d: %w", h.BodyLen, len(body), ErrBodyLength)
	}
	return h, body, nil
}

// AppendHeader appends the encoded header to dst, taking the body length
// from bodyLen (not h.BodyLen). The phone is written in the width of
// h.Version: a 2019 header with a 6-byte phone left-pads it with zeros and a
// 2013 header with a 10-byte phone keeps its last 6 bytes.
func AppendHeader(dst []byte, h *Header, bodyLen int) ([]byte, error) {
	if bodyLen < 0 || bodyLen > MaxBodyLen {
		return dst, fmt.Errorf("jt808: body of %d bytes exceeds %d, subpackage it: %w", bodyLen, MaxBodyLen, ErrInvalid)
	}
	attr := uint16(bodyLen) | uint16(h.Encryption&7)<<10
	if h.Subpackage {
		attr |= attrSubpackage
	}
	if h.Version == V2019 {
		attr |= attrVersion
	}
	if h.Reserved {
		attr |= attrReserved
	}
	dst = binary.BigEndian.AppendUint16(dst, h.MsgID)
	dst = binary.BigEndian.AppendUint16(dst, attr)
	if h.Version == V2019 {
		dst = append(dst, h.ProtocolVersion)
		dst = h.Phone.appendWidth(dst, 10)
	} else {
		dst = h.Phone.appendWidth(dst, 6)
	}
	dst = binary.BigEndian.AppendUint16(dst, h.Serial)
	if h.Subpackage {
		dst = binary.BigEndian.AppendUint16(dst, h.Total)
		dst = binary.BigEndian.AppendUint16(dst, h.Index)
	}
	return dst, nil
}

// Phone is a terminal's phone number (终端手机号) as sent in the header: 6
// BCD bytes in 2011/2013, 10 in 2019. The raw bytes are the identity; a
// Phone is comparable and can be a map key. Nibbles above 9 (some devices
// send a hex ID) are kept and rendered as hex digits.
type Phone struct {
	raw [10]byte
	n   uint8
}

func phoneFrom(b []byte) Phone {
	var p Phone
	p.n = uint8(copy(p.raw[:], b))
	return p
}

// PhoneFromBytes returns the phone made of the 6 or 10 raw header bytes.
func PhoneFromBytes(b []byte) (Phone, error) {
	if len(b) != 6 && len(b) != 10 {
		return Phone{}, fmt.Errorf("jt808: phone must be 6 or 10 bytes, got %d: %w", len(b), ErrInvalid)
	}
	return phoneFrom(b), nil
}

// ParsePhone packs a digit string into BCD, left-padded with zeros to 12
// digits (6 bytes) or, for V2019 or longer input, 20 digits (10 bytes). Hex
// digits a-f are accepted for terminals that use hex IDs.
func ParsePhone(s string, v Version) (Phone, error) {
	width := 12
	if v == V2019 || len(s) > 12 {
		width = 20
	}
	if len(s) > width {
		return Phone{}, fmt.Errorf("jt808: phone %q longer than %d digits: %w", s, width, ErrInvalid)
	}
	s = strings.Repeat("0", width-len(s)) + s
	var p Phone
	p.n = uint8(width / 2)
	for i := 0; i < width; i += 2 {
		hi, ok1 := nibble(s[i])
		lo, ok2 := nibble(s[i+1])
		if !ok1 || !ok2 {
			return Phone{}, fmt.Errorf("jt808: phone %q: not a digit: %w", s, ErrInvalid)
		}
		p.raw[i/2] = hi<<4 | lo
	}
	return p, nil
}

func nibble(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Bytes returns the raw header bytes (6 or 10).
func (p Phone) Bytes() []byte { return p.raw[:p.n] }

// IsZero reports whether the phone was never set.
func (p Phone) IsZero() bool { return p.n == 0 }

// String returns every digit, zero padding included (12 or 20 characters).
func (p Phone) String() string {
	const hexDigits = "0123456789abcdef"
	var buf [20]byte
	for i, b := range p.raw[:p.n] {
		buf[2*i] = hexDigits[b>>4]
		buf[2*i+1] = hexDigits[b&0x0F]
	}
	return string(buf[:2*p.n])
}

// Key returns the phone without leading zeros, the same for a terminal
// whether it speaks 2013 (12 digits) or 2019 (20 digits). Use it for lookups.
func (p Phone) Key() string {
	s := strings.TrimLeft(p.String(), "0")
	if s == "" && p.n > 0 {
		return "0"
	}
	return s
}

// MarshalJSON writes the phone as its digit string.
func (p Phone) MarshalJSON() ([]byte, error) { return json.Marshal(p.String()) }

func (p Phone) appendWidth(dst []byte, width int) []byte {
	b := p.raw[:p.n]
	switch {
	case len(b) > width:
		b = b[len(b)-width:]
	case len(b) < width:
		for range width - len(b) {
			dst = append(dst, 0)
		}
	}
	return append(dst, b...)
}
