package jt808

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Explanation is a frame decoded for people (the packet explainer, 报文解释器):
// every field named, units applied, and an Error saying why a frame does not
// decode. It marshals to JSON with snake_case names.
type Explanation struct {
	Frame           string          `json:"frame"`
	Version         string          `json:"version,omitempty"`
	ProtocolVersion *uint8          `json:"protocol_version,omitempty"`
	MsgID           string          `json:"msg_id,omitempty"`
	MsgName         string          `json:"msg_name,omitempty"`
	MsgNameZH       string          `json:"msg_name_zh,omitempty"`
	Phone           string          `json:"phone,omitempty"`
	Serial          *uint16         `json:"serial,omitempty"`
	BodyLength      *int            `json:"body_length,omitempty"`
	Encryption      uint8           `json:"encryption,omitempty"`
	Subpackage      *SubpackageInfo `json:"subpackage,omitempty"`
	Check           *CheckInfo      `json:"check_code,omitempty"`
	StrayEscapes    int             `json:"stray_escapes,omitempty"`
	Body            Body            `json:"body,omitempty"`
	Error           string          `json:"error,omitempty"`
}

// SubpackageInfo says which fragment of a subpackaged message a frame is.
type SubpackageInfo struct {
	Total uint16 `json:"total"`
	Index uint16 `json:"index"`
}

// CheckInfo compares the check code in the frame with the computed one.
type CheckInfo struct {
	InFrame  string `json:"in_frame"`
	Computed string `json:"computed"`
	OK       bool   `json:"ok"`
}

// ExplainHex explains a frame written in hex. Spaces, line breaks, colons
// and a 0x prefix are ignored; the flags are optional.
func ExplainHex(s string) Explanation {
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', ':', '-':
			return -1
		}
		return r
	}, s)
	clean = strings.TrimPrefix(strings.TrimPrefix(clean, "0x"), "0X")
	b, err := hex.DecodeString(clean)
	if err != nil {
		return Explanation{Frame: strings.TrimSpace(s), Error: "not a hex string: " + err.Error()}
	}
	return Explain(b)
}

// Explain decodes one wire frame (escaped, with or without its 0x7E flags)
// for display. It never panics and does not modify frame; when the frame is
// damaged it decodes as much as it can and says what is wrong in Error.
func Explain(frame []byte) (e Explanation) {
	e.Frame = hex.EncodeToString(frame)
	defer func() {
		// Decoders are written not to panic; this keeps the explainer's
		// promise even if one ever does.
		if r := recover(); r != nil {
			e.Body = nil
			e.Error = fmt.Sprintf("internal decoder error: %v", r)
		}
	}()
	content := trimFlags(frame)
	if bytes.IndexByte(content, flagByte) >= 0 {
		e.Error = "frame contains 0x7E inside: more than one frame, or a missing escape"
		return e
	}
	pkt, stray := Unescape(nil, content)
	e.StrayEscapes = stray
	if len(pkt) < 13 {
		e.Error = fmt.Sprintf("frame too short: %d bytes after unescaping, a header and check code need at least 13", len(pkt))
		return e
	}
	data, check := pkt[:len(pkt)-1], pkt[len(pkt)-1]
	sum := Checksum(data)
	e.Check = &CheckInfo{InFrame: fmt.Sprintf("0x%02X", check), Computed: fmt.Sprintf("0x%02X", sum), OK: sum == check}
	var problems []string
	if sum != check {
		problems = append(problems, fmt.Sprintf("bad check code: frame has 0x%02X, content gives 0x%02X", check, sum))
	}
	h, body, err := Decode(data)
	if err != nil && (errors.Is(err, ErrTruncated) && body == nil) {
		// Header itself is unreadable.
		problems = append(problems, err.Error())
		e.Error = strings.Join(problems, "; ")
		return e
	}
	e.Version = h.Version.String()
	if h.Version == V2019 {
		pv := h.ProtocolVersion
		e.ProtocolVersion = &pv
	}
	e.MsgID = MsgIDString(h.MsgID)
	e.MsgName, e.MsgNameZH = MsgName(h.MsgID), MsgNameZH(h.MsgID)
	e.Phone = h.Phone.String()
	serial, bl := h.Serial, h.BodyLen
	e.Serial, e.BodyLength = &serial, &bl
	e.Encryption = h.Encryption
	if h.Subpackage {
		e.Subpackage = &SubpackageInfo{h.Total, h.Index}
	}
	if errors.Is(err, ErrBodyLength) {
		problems = append(problems, err.Error())
		// Try the body anyway: the length field is wrong more often than
		// the body.
		_, b, _ := ParseHeader(data)
		body, err = DecodeBody(&h, b)
	}
	if err != nil {
		if errors.Is(err, ErrTruncated) {
			problems = append(problems, "truncated body: "+err.Error())
		} else {
			problems = append(problems, err.Error())
		}
	}
	// Fragments of subpackaged messages are shown raw; the whole message
	// decodes after reassembly.
	e.Body = body
	e.Error = strings.Join(problems, "; ")
	return e
}
