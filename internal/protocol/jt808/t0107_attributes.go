package jt808

import (
	"fmt"

	"github.com/jiaotong-platform/jiaotong/internal/protocol/gbk"
)

// Attributes is 0x0107 (查询终端属性应答). Model and terminal ID are 20 and 7
// bytes in 2013, 30 and 30 in 2019; ICCID is BCD[10].
type Attributes struct {
	TerminalType    uint16 `json:"terminal_type"`
	Manufacturer    string `json:"manufacturer"`
	Model           string `json:"model"`
	TerminalID      string `json:"terminal_id"`
	ICCID           string `json:"iccid"`
	HardwareVersion string `json:"hardware_version"`
	FirmwareVersion string `json:"firmware_version"`
	// GNSS bits: 0 GPS, 1 BeiDou, 2 GLONASS, 3 Galileo.
	GNSS uint8 `json:"gnss"`
	// Comm bits: 0 GPRS, 1 CDMA, 2 TD-SCDMA, 3 WCDMA, 4 CDMA2000, 5 TD-LTE, 7 other.
	Comm uint8 `json:"comm"`
}

func (*Attributes) MsgID() uint16 { return MsgAttributes }

func (m *Attributes) AppendBody(dst []byte, v Version) ([]byte, error) {
	_, mw, tw := registerWidths(v)
	if v == V2011 {
		mw = 20
	}
	dst = be16(dst, m.TerminalType)
	dst = appendFixed(dst, gbk.Append(nil, m.Manufacturer), 5)
	dst = appendFixed(dst, gbk.Append(nil, m.Model), mw)
	dst = appendFixed(dst, gbk.Append(nil, m.TerminalID), tw)
	iccid, err := ParsePhone(m.ICCID, V2019)
	if err != nil {
		return dst, fmt.Errorf("iccid: %w", err)
	}
	dst = append(dst, iccid.Bytes()...)
	for _, s := range []string{m.HardwareVersion, m.FirmwareVersion} {
		b := gbk.Append(nil, s)
		if len(b) > 255 {
			return dst, fmt.Errorf("version string of %d bytes: %w", len(b), ErrInvalid)
		}
		dst = append(dst, byte(len(b)))
		dst = append(dst, b...)
	}
	return append(dst, m.GNSS, m.Comm), nil
}

func (m *Attributes) DecodeBody(src []byte, v Version) error {
	_, mw, tw := registerWidths(v)
	if v == V2011 {
		mw = 20
	}
	r := reader{b: src}
	m.TerminalType = r.u16("terminal type")
	m.Manufacturer = gbk.DecodePadded(r.bytes(5, "manufacturer"))
	m.Model = gbk.DecodePadded(r.bytes(mw, "model"))
	m.TerminalID = gbk.DecodePadded(r.bytes(tw, "terminal id"))
	if b := r.bytes(10, "iccid"); b != nil {
		m.ICCID = phoneFrom(b).String()
	}
	m.HardwareVersion = gbk.Decode(r.bytes(int(r.u8("hardware version length")), "hardware version"))
	m.FirmwareVersion = gbk.Decode(r.bytes(int(r.u8("firmware version length")), "firmware version"))
	m.GNSS = r.u8("gnss attributes")
	m.Comm = r.u8("communication attributes")
	return r.err
}
