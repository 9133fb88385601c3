package jt808

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/jiaotong-platform/jiaotong/internal/protocol/gbk"
)

// Param is one terminal parameter (终端参数): its ID and raw value. Value
// aliases the decoded body. Use the typed constructors (ParamDWord,
// ParamString …) to build one, and Param.Decoded to read one.
type Param struct {
	ID    uint32 `json:"id"`
	Value Hex    `json:"value"`
}

// ParamKind is the value type of a parameter ID.
type ParamKind uint8

// Parameter value types.
const (
	KindRaw ParamKind = iota
	KindByte
	KindWord
	KindDWord
	KindText
)

type paramDef struct {
	kind ParamKind
	name string
	unit string
}

// paramDefs lists the parameters whose types the reference gives.
func paramDef0(id uint32) paramDef {
	switch id {
	case 0x0001:
		return paramDef{KindDWord, "heartbeat_interval", "s"}
	case 0x0002:
		return paramDef{KindDWord, "tcp_reply_timeout", "s"}
	case 0x0003:
		return paramDef{KindDWord, "tcp_retransmissions", ""}
	case 0x0004:
		return paramDef{KindDWord, "udp_reply_timeout", "s"}
	case 0x0005:
		return paramDef{KindDWord, "udp_retransmissions", ""}
	case 0x0006:
		return paramDef{KindDWord, "sms_reply_timeout", "s"}
	case 0x0007:
		return paramDef{KindDWord, "sms_retransmissions", ""}
	case 0x0010:
		return paramDef{KindText, "main_server_apn", ""}
	case 0x0011:
		return paramDef{KindText, "main_server_user", ""}
	case 0x0012:
		return paramDef{KindText, "main_server_password", ""}
	case 0x0013:
		return paramDef{KindText, "main_server_address", ""}
	case 0x0014:
		return paramDef{KindText, "backup_server_apn", ""}
	case 0x0015:
		return paramDef{KindText, "backup_server_user", ""}
	case 0x0016:
		return paramDef{KindText, "backup_server_password", ""}
	case 0x0017:
		return paramDef{KindText, "backup_server_address", ""}
	case 0x0018:
		return paramDef{KindDWord, "server_tcp_port", ""}
	case 0x0019:
		return paramDef{KindDWord, "server_udp_port", ""}
	case 0x0020:
		return paramDef{KindDWord, "report_strategy", ""}
	case 0x0021:
		return paramDef{KindDWord, "report_scheme", ""}
	case 0x0022:
		return paramDef{KindDWord, "interval_driver_not_logged_in", "s"}
	case 0x0027:
		return paramDef{KindDWord, "interval_sleeping", "s"}
	case 0x0028:
		return paramDef{KindDWord, "interval_emergency", "s"}
	case 0x0029:
		return paramDef{KindDWord, "interval_default", "s"}
	case 0x002C:
		return paramDef{KindDWord, "distance_default", "m"}
	case 0x002D:
		return paramDef{KindDWord, "distance_driver_not_logged_in", "m"}
	case 0x002E:
		return paramDef{KindDWord, "distance_sleeping", "m"}
	case 0x002F:
		return paramDef{KindDWord, "distance_emergency", "m"}
	case 0x0030:
		return paramDef{KindDWord, "corner_angle", "°"}
	case 0x0031:
		return paramDef{KindWord, "displacement_radius", "m"}
	case 0x0032:
		return paramDef{KindRaw, "illegal_driving_period", "hhmm-hhmm"}
	case 0x0050:
		return paramDef{KindDWord, "alarm_mask", ""}
	case 0x0051:
		return paramDef{KindDWord, "alarm_sms_switch", ""}
	case 0x0052:
		return paramDef{KindDWord, "alarm_photo_switch", ""}
	case 0x0053:
		return paramDef{KindDWord, "alarm_photo_store", ""}
	case 0x0054:
		return paramDef{KindDWord, "key_alarm_flags", ""}
	case 0x0055:
		return paramDef{KindDWord, "max_speed", "km/h"}
	case 0x0056:
		return paramDef{KindDWord, "overspeed_duration", "s"}
	case 0x0057:
		return paramDef{KindDWord, "continuous_driving_limit", "s"}
	case 0x0058:
		return paramDef{KindDWord, "daily_driving_limit", "s"}
	case 0x0059:
		return paramDef{KindDWord, "min_rest", "s"}
	case 0x005A:
		return paramDef{KindDWord, "max_parking", "s"}
	case 0x005B:
		return paramDef{KindWord, "overspeed_warning_margin", "0.1 km/h"}
	case 0x005C:
		return paramDef{KindWord, "fatigue_warning_margin", "s"}
	case 0x005D:
		return paramDef{KindWord, "collision_parameters", ""}
	case 0x005E:
		return paramDef{KindWord, "rollover_angle", "°"}
	case 0x0064:
		return paramDef{KindDWord, "timed_photo_control", ""}
	case 0x0065:
		return paramDef{KindDWord, "distance_photo_control", ""}
	case 0x0080:
		return paramDef{KindDWord, "odometer", "0.1 km"}
	case 0x0081:
		return paramDef{KindWord, "province_id", ""}
	case 0x0082:
		return paramDef{KindWord, "city_id", ""}
	case 0x0083:
		return paramDef{KindText, "plate", ""}
	case 0x0084:
		return paramDef{KindByte, "plate_color", ""}
	case 0x0090:
		return paramDef{KindByte, "gnss_mode", ""}
	case 0x0091:
		return paramDef{KindByte, "gnss_baud_rate", ""}
	case 0x0092:
		return paramDef{KindByte, "gnss_output_rate", ""}
	case 0x0093:
		return paramDef{KindDWord, "gnss_collection_rate", "s"}
	case 0x0094:
		return paramDef{KindByte, "gnss_upload_mode", ""}
	case 0x0095:
		return paramDef{KindDWord, "gnss_upload_setting", ""}
	}
	return paramDef{KindRaw, "", ""}
}

// ParamType returns the value type and name of a parameter ID (KindRaw
// and "" for IDs without a known type).
func ParamType(id uint32) (ParamKind, string) {
	d := paramDef0(id)
	return d.kind, d.name
}

// ParamDWord builds a DWORD parameter.
func ParamDWord(id, v uint32) Param { return Param{id, binary.BigEndian.AppendUint32(nil, v)} }

// ParamWord builds a WORD parameter.
func ParamWord(id uint32, v uint16) Param { return Param{id, binary.BigEndian.AppendUint16(nil, v)} }

// ParamByte builds a BYTE parameter.
func ParamByte(id uint32, v uint8) Param { return Param{id, []byte{v}} }

// ParamString builds a STRING parameter (GBK on the wire).
func ParamString(id uint32, s string) Param { return Param{id, gbk.Append(nil, s)} }

// Decoded returns the value by its type: uint8/uint16/uint32 for numbers,
// string for text, the raw bytes otherwise (or when the length does not fit
// the type).
func (p Param) Decoded() any {
	v := p.Value
	switch paramDef0(p.ID).kind {
	case KindByte:
		if len(v) == 1 {
			return v[0]
		}
	case KindWord:
		if len(v) == 2 {
			return binary.BigEndian.Uint16(v)
		}
	case KindDWord:
		if len(v) == 4 {
			return binary.BigEndian.Uint32(v)
		}
	case KindText:
		return gbk.DecodePadded(v)
	}
	return []byte(v)
}

// MarshalJSON writes the ID in hex, the name, the typed value and the raw
// bytes.
func (p Param) MarshalJSON() ([]byte, error) {
	d := paramDef0(p.ID)
	val := p.Decoded()
	if b, ok := val.([]byte); ok {
		val = hex.EncodeToString(b)
	}
	return json.Marshal(struct {
		ID    string `json:"id"`
		Name  string `json:"name,omitempty"`
		Value any    `json:"value"`
		Unit  string `json:"unit,omitempty"`
		Raw   string `json:"raw"`
	}{fmt.Sprintf("0x%04X", p.ID), d.name, val, d.unit, hex.EncodeToString(p.Value)})
}

func appendParams(dst []byte, ps []Param) ([]byte, error) {
	if len(ps) > 255 {
		return dst, errTooMany("parameters", len(ps), 255)
	}
	dst = append(dst, byte(len(ps)))
	for _, p := range ps {
		if len(p.Value) > 255 {
			return dst, fmt.Errorf("parameter 0x%04X: %d bytes: %w", p.ID, len(p.Value), ErrInvalid)
		}
		dst = be32(dst, p.ID)
		dst = append(dst, byte(len(p.Value)))
		dst = append(dst, p.Value...)
	}
	return dst, nil
}

func decodeParams(r *reader) []Param {
	n := int(r.u8("parameter count"))
	ps := make([]Param, 0, min(n, r.left()/5))
	for i := 0; i < n && r.err == nil; i++ {
		id := r.u32("parameter id")
		l := r.u8("parameter length")
		v := r.bytes(int(l), "parameter value")
		if r.err == nil {
			ps = append(ps, Param{id, v})
		}
	}
	return ps
}

// SetParameters is 0x8103 (设置终端参数).
type SetParameters struct {
	Params []Param `json:"params"`
}

func (*SetParameters) MsgID() uint16 { return MsgSetParameters }
func (m *SetParameters) AppendBody(dst []byte, _ Version) ([]byte, error) {
	return appendParams(dst, m.Params)
}
func (m *SetParameters) DecodeBody(src []byte, _ Version) error {
	r := reader{b: src}
	m.Params = decodeParams(&r)
	return r.err
}

// ParametersReply is 0x0104 (查询终端参数应答), the reply to 0x8104 or 0x8106.
type ParametersReply struct {
	ReplySerial uint16  `json:"reply_serial"`
	Params      []Param `json:"params"`
}

func (*ParametersReply) MsgID() uint16 { return MsgParameters }
func (m *ParametersReply) AppendBody(dst []byte, _ Version) ([]byte, error) {
	return appendParams(be16(dst, m.ReplySerial), m.Params)
}
func (m *ParametersReply) DecodeBody(src []byte, _ Version) error {
	r := reader{b: src}
	m.ReplySerial = r.u16("reply serial")
	m.Params = decodeParams(&r)
	return r.err
}

// QuerySomeParameters is 0x8106 (查询指定终端参数); the reply is 0x0104.
type QuerySomeParameters struct {
	IDs []uint32 `json:"ids"`
}

func (*QuerySomeParameters) MsgID() uint16 { return MsgQuerySomeParams }
func (m *QuerySomeParameters) AppendBody(dst []byte, _ Version) ([]byte, error) {
	if len(m.IDs) > 255 {
		return dst, errTooMany("parameter ids", len(m.IDs), 255)
	}
	dst = append(dst, byte(len(m.IDs)))
	for _, id := range m.IDs {
		dst = be32(dst, id)
	}
	return dst, nil
}
func (m *QuerySomeParameters) DecodeBody(src []byte, _ Version) error {
	r := reader{b: src}
	n := int(r.u8("count"))
	m.IDs = make([]uint32, 0, min(n, r.left()/4))
	for i := 0; i < n && r.err == nil; i++ {
		id := r.u32("parameter id")
		if r.err == nil {
			m.IDs = append(m.IDs, id)
		}
	}
	return r.err
}
