package jt808

import (
	"fmt"

	"github.com/jiaotong-platform/jiaotong/internal/protocol/gbk"
)

// Plate colours (车牌颜色, JT/T 697.7).
const (
	PlateNone   uint8 = 0 // no plate: the plate field holds the VIN
	PlateBlue   uint8 = 1
	PlateYellow uint8 = 2
	PlateBlack  uint8 = 3
	PlateWhite  uint8 = 4
	PlateGreen  uint8 = 5 // 2019
	PlateOther  uint8 = 9
)

// Register is 0x0100 (终端注册). Field widths depend on the version:
// manufacturer 5/5/11, model 8/20/30, terminal ID 7/7/30 bytes for
// 2011/2013/2019. Padding (NUL, space) is trimmed on decode and NUL-padded
// on encode.
type Register struct {
	ProvinceID   uint16 `json:"province_id"`
	CityID       uint16 `json:"city_id"`
	Manufacturer string `json:"manufacturer"`
	Model        string `json:"model"`
	TerminalID   string `json:"terminal_id"`
	PlateColor   uint8  `json:"plate_color"`
	// Plate is the licence plate, or the VIN when PlateColor is 0.
	Plate string `json:"plate"`
}

func registerWidths(v Version) (manufacturer, model, terminalID int) {
	switch v {
	case V2011:
		return 5, 8, 7
	case V2019:
		return 11, 30, 30
	}
	return 5, 20, 7
}

func (*Register) MsgID() uint16 { return MsgRegister }

func (m *Register) AppendBody(dst []byte, v Version) ([]byte, error) {
	mw, mdw, tw := registerWidths(v)
	dst = be16(dst, m.ProvinceID)
	dst = be16(dst, m.CityID)
	dst = appendFixed(dst, gbk.Append(nil, m.Manufacturer), mw)
	dst = appendFixed(dst, gbk.Append(nil, m.Model), mdw)
	dst = appendFixed(dst, gbk.Append(nil, m.TerminalID), tw)
	dst = append(dst, m.PlateColor)
	return gbk.Append(dst, m.Plate), nil
}

func (m *Register) DecodeBody(src []byte, v Version) error {
	mw, mdw, tw := registerWidths(v)
	r := reader{b: src}
	m.ProvinceID = r.u16("province id")
	m.CityID = r.u16("city id")
	m.Manufacturer = gbk.DecodePadded(r.bytes(mw, "manufacturer id"))
	m.Model = gbk.DecodePadded(r.bytes(mdw, "terminal model"))
	m.TerminalID = gbk.DecodePadded(r.bytes(tw, "terminal id"))
	m.PlateColor = r.u8("plate colour")
	m.Plate = gbk.DecodePadded(r.rest())
	return r.err
}

// Register results (注册结果) of 0x8100.
const (
	RegisterOK                 uint8 = 0 // 成功
	RegisterVehicleRegistered  uint8 = 1 // 车辆已被注册
	RegisterNoSuchVehicle      uint8 = 2 // 数据库中无该车辆
	RegisterTerminalRegistered uint8 = 3 // 终端已被注册
	RegisterNoSuchTerminal     uint8 = 4 // 数据库中无该终端
)

// RegisterResponse is 0x8100 (终端注册应答). AuthCode is sent only when
// Result is RegisterOK.
type RegisterResponse struct {
	ReplySerial uint16 `json:"reply_serial"`
	Result      uint8  `json:"result"`
	AuthCode    string `json:"auth_code,omitempty"`
}

func (*RegisterResponse) MsgID() uint16 { return MsgRegisterResponse }

func (m *RegisterResponse) AppendBody(dst []byte, _ Version) ([]byte, error) {
	dst = be16(dst, m.ReplySerial)
	dst = append(dst, m.Result)
	if m.Result == RegisterOK {
		dst = gbk.Append(dst, m.AuthCode)
	}
	return dst, nil
}

func (m *RegisterResponse) DecodeBody(src []byte, _ Version) error {
	r := reader{b: src}
	m.ReplySerial = r.u16("reply serial")
	m.Result = r.u8("result")
	m.AuthCode = ""
	if m.Result == RegisterOK { // a refusal carries no code; bytes after it are ignored
		m.AuthCode = gbk.DecodePadded(r.rest())
	}
	return r.err
}

// Auth is 0x0102 (终端鉴权). In 2011/2013 the body is the auth code alone;
// 2019 prefixes it with a length byte and adds IMEI (15 bytes) and software
// version (20 bytes).
type Auth struct {
	Code            string `json:"auth_code"`
	IMEI            string `json:"imei,omitempty"`
	SoftwareVersion string `json:"software_version,omitempty"`
}

func (*Auth) MsgID() uint16 { return MsgAuth }

func (m *Auth) AppendBody(dst []byte, v Version) ([]byte, error) {
	code := gbk.Append(nil, m.Code)
	if v != V2019 {
		return append(dst, code...), nil
	}
	if len(code) > 255 {
		return dst, fmt.Errorf("auth code of %d bytes: %w", len(code), ErrInvalid)
	}
	dst = append(dst, byte(len(code)))
	dst = append(dst, code...)
	dst = appendFixed(dst, gbk.Append(nil, m.IMEI), 15)
	return appendFixed(dst, gbk.Append(nil, m.SoftwareVersion), 20), nil
}

func (m *Auth) DecodeBody(src []byte, v Version) error {
	if v != V2019 {
		m.Code = gbk.DecodePadded(src)
		m.IMEI, m.SoftwareVersion = "", ""
		return nil
	}
	r := reader{b: src}
	n := r.u8("auth code length")
	m.Code = gbk.Decode(r.bytes(int(n), "auth code"))
	m.IMEI = gbk.DecodePadded(r.bytes(15, "imei"))
	m.SoftwareVersion = gbk.DecodePadded(r.bytes(20, "software version"))
	return r.err
}
