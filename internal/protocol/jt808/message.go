package jt808

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// Body is a message body. Every body decodes from and encodes to the bytes
// of one version; DecodeBody must not keep a reference to src except in
// fields documented as aliasing it.
type Body interface {
	// MsgID returns the message ID this body is sent with.
	MsgID() uint16
	// AppendBody appends the encoded body to dst.
	AppendBody(dst []byte, v Version) ([]byte, error)
	// DecodeBody fills the body from src.
	DecodeBody(src []byte, v Version) error
}

// NewBody returns an empty body for a message ID: a typed body for the IDs
// this package knows, a *Raw for the rest.
func NewBody(id uint16) Body {
	switch id {
	case MsgTerminalResponse:
		return &TerminalResponse{}
	case MsgPlatformResponse:
		return &PlatformResponse{}
	case MsgHeartbeat:
		return &Heartbeat{}
	case MsgDeregister:
		return &Deregister{}
	case MsgQueryServerTime:
		return &QueryServerTime{}
	case MsgServerTime:
		return &ServerTime{}
	case MsgTerminalResend:
		return &ResendRequest{ID: MsgTerminalResend}
	case MsgPlatformResend:
		return &ResendRequest{ID: MsgPlatformResend}
	case MsgRegister:
		return &Register{}
	case MsgRegisterResponse:
		return &RegisterResponse{}
	case MsgAuth:
		return &Auth{}
	case MsgParameters:
		return &ParametersReply{}
	case MsgSetParameters:
		return &SetParameters{}
	case MsgQueryParameters:
		return &QueryParameters{}
	case MsgQuerySomeParams:
		return &QuerySomeParameters{}
	case MsgAttributes:
		return &Attributes{}
	case MsgQueryAttributes:
		return &QueryAttributes{}
	case MsgLocation:
		return &Location{}
	case MsgLocationReply:
		return &LocationReply{}
	case MsgQueryLocation:
		return &QueryLocation{}
	case MsgTrackLocation:
		return &TrackLocation{}
	case MsgConfirmAlarm:
		return &ConfirmAlarm{}
	case MsgLocationBatch:
		return &LocationBatch{}
	case MsgText:
		return &TextMessage{}
	case MsgSetCircleAreas:
		return &SetCircleAreas{}
	case MsgSetRectangleAreas:
		return &SetRectangleAreas{}
	case MsgSetPolygonArea:
		return &SetPolygonArea{}
	case MsgSetRoute:
		return &SetRoute{}
	case MsgDeleteCircleAreas, MsgDeleteRectangles, MsgDeletePolygonAreas, MsgDeleteRoutes:
		return &DeleteAreas{ID: id}
	case MsgMediaEvent:
		return &MediaEvent{}
	case MsgMediaData:
		return &MediaData{}
	case MsgMediaDataReply:
		return &MediaDataReply{}
	case MsgUplinkPassThrough, MsgDownlinkPassThru:
		return &PassThrough{ID: id}
	}
	return &Raw{ID: id}
}

// Decode parses pkt (unescaped header + body, check code removed, as
// returned by Unpack) into its header and typed body.
//
// Version: a 0x0100 body of 36 bytes or less marks a 2011 terminal and
// sets Header.Version to V2011. For other messages 2011 and 2013 cannot be
// told apart; a gateway that knows the terminal's edition should call
// ParseHeader, set the version and call DecodeBody.
//
// Fragments of subpackaged messages and encrypted bodies decode to *Raw
// (the latter with ErrEncrypted). A body length differing from the header
// is an error (wrapping ErrBodyLength); the header is still returned.
func Decode(pkt []byte) (Header, Body, error) {
	h, body, err := ParseHeader(pkt)
	if err != nil {
		return h, nil, err
	}
	if h.MsgID == MsgRegister && h.Version != V2019 && len(body) <= 36 {
		h.Version = V2011
	}
	b, err := DecodeBody(&h, body)
	return h, b, err
}

// DecodeBody decodes body as the message h describes. The result may alias
// body (see the package documentation).
func DecodeBody(h *Header, body []byte) (Body, error) {
	if h.Subpackage || h.Encryption != 0 {
		r := &Raw{ID: h.MsgID, Data: body}
		if h.Encryption != 0 {
			return r, ErrEncrypted
		}
		return r, nil
	}
	b := NewBody(h.MsgID)
	if err := b.DecodeBody(body, h.Version); err != nil {
		return b, fmt.Errorf("jt808: decode %s: %w", MsgIDString(h.MsgID), err)
	}
	return b, nil
}

// Encode appends a complete wire frame (flags, escaped header, body and
// check code) to dst. The message ID and body length in h are taken from
// body; the other header fields (version, phone, serial, subpackage) are
// used as given. When dst has enough capacity Encode does not allocate.
func Encode(dst []byte, h Header, body Body) ([]byte, error) {
	h.MsgID = body.MsgID()
	start := len(dst)
	hl := h.Len()
	// Reserve the header, write the body after it, then fill the header in.
	for range hl {
		dst = append(dst, 0)
	}
	dst, err := body.AppendBody(dst, h.Version)
	if err != nil {
		return dst[:start], fmt.Errorf("jt808: encode %s: %w", MsgIDString(h.MsgID), err)
	}
	bodyLen := len(dst) - start - hl
	if _, err := AppendHeader(dst[start:start], &h, bodyLen); err != nil {
		return dst[:start], fmt.Errorf("jt808: encode %s: %w", MsgIDString(h.MsgID), err)
	}
	return escapeTail(dst, start), nil
}

// EncodePacket is Encode without the framing: it appends the unescaped
// header and body (no check code, no flags), the form Decode reads.
func EncodePacket(dst []byte, h Header, body Body) ([]byte, error) {
	h.MsgID = body.MsgID()
	start := len(dst)
	hl := h.Len()
	for range hl {
		dst = append(dst, 0)
	}
	dst, err := body.AppendBody(dst, h.Version)
	if err != nil {
		return dst[:start], err
	}
	if _, err := AppendHeader(dst[start:start], &h, len(dst)-start-hl); err != nil {
		return dst[:start], err
	}
	return dst, nil
}

// Raw is the body of a message this package does not parse (unknown or
// vendor IDs, subpackage fragments, encrypted bodies). Data aliases the
// decoded bytes.
type Raw struct {
	ID   uint16 `json:"-"`
	Data Hex    `json:"data"`
}

func (r *Raw) MsgID() uint16 { return r.ID }
func (r *Raw) AppendBody(dst []byte, _ Version) ([]byte, error) {
	return append(dst, r.Data...), nil
}
func (r *Raw) DecodeBody(src []byte, _ Version) error { r.Data = src; return nil }

// Hex is a byte slice that marshals to JSON as a hex string.
type Hex []byte

func (h Hex) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(h)) }

func (h *Hex) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(s)
	*h = d
	return err
}

// reader reads big-endian fields and remembers the first short read.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) need(n int, field string) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || len(r.b)-r.off < n {
		r.err = fmt.Errorf("%s: need %d bytes at offset %d, have %d: %w", field, n, r.off, len(r.b)-r.off, ErrTruncated)
		return false
	}
	return true
}

func (r *reader) u8(field string) uint8 {
	if !r.need(1, field) {
		return 0
	}
	v := r.b[r.off]
	r.off++
	return v
}

func (r *reader) u16(field string) uint16 {
	if !r.need(2, field) {
		return 0
	}
	v := binary.BigEndian.Uint16(r.b[r.off:])
	r.off += 2
	return v
}

func (r *reader) u32(field string) uint32 {
	if !r.need(4, field) {
		return 0
	}
	v := binary.BigEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v
}

func (r *reader) bytes(n int, field string) []byte {
	if !r.need(n, field) {
		return nil
	}
	v := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return v
}

func (r *reader) rest() []byte {
	if r.err != nil {
		return nil
	}
	v := r.b[r.off:len(r.b):len(r.b)]
	r.off = len(r.b)
	return v
}

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) done() bool { return r.err == nil && r.off >= len(r.b) }

// appendFixed appends b truncated or NUL-padded to exactly n bytes.
func appendFixed(dst, b []byte, n int) []byte {
	if len(b) > n {
		b = b[:n]
	}
	dst = append(dst, b...)
	for range n - len(b) {
		dst = append(dst, 0)
	}
	return dst
}

func be16(dst []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(dst, v) }
func be32(dst []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(dst, v) }

func errTooMany(what string, n, limit int) error {
	return fmt.Errorf("%d %s, at most %d: %w", n, what, limit, ErrInvalid)
}

var _ = errors.Is
