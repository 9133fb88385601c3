package jt808

// Result codes of the general responses (通用应答结果).
const (
	ResultOK             uint8 = 0 // 成功/确认
	ResultFailure        uint8 = 1 // 失败
	ResultMessageError   uint8 = 2 // 消息有误
	ResultNotSupported   uint8 = 3 // 不支持
	ResultAlarmConfirmed uint8 = 4 // 报警处理确认 (platform response only)
)

// GeneralResponse is the shared layout of 0x0001 and 0x8001: the serial and
// ID of the message answered and a result code.
type GeneralResponse struct {
	ReplySerial uint16 `json:"reply_serial"`
	ReplyID     uint16 `json:"reply_msg_id"`
	Result      uint8  `json:"result"`
}

func (g *GeneralResponse) append(dst []byte) []byte {
	dst = be16(dst, g.ReplySerial)
	dst = be16(dst, g.ReplyID)
	return append(dst, g.Result)
}

func (g *GeneralResponse) decode(src []byte) error {
	r := reader{b: src}
	g.ReplySerial = r.u16("reply serial")
	g.ReplyID = r.u16("reply message id")
	g.Result = r.u8("result")
	return r.err
}

// TerminalResponse is 0x0001, the terminal's general response (终端通用应答)
// to a platform message that has no dedicated reply.
type TerminalResponse struct{ GeneralResponse }

func (*TerminalResponse) MsgID() uint16 { return MsgTerminalResponse }
func (m *TerminalResponse) AppendBody(dst []byte, _ Version) ([]byte, error) {
	return m.append(dst), nil
}
func (m *TerminalResponse) DecodeBody(src []byte, _ Version) error { return m.decode(src) }

// PlatformResponse is 0x8001, the platform's general response (平台通用应答)
// to every terminal message without a dedicated reply.
type PlatformResponse struct{ GeneralResponse }

// NewPlatformResponse answers the message h describes with result.
func NewPlatformResponse(h *Header, result uint8) *PlatformResponse {
	return &PlatformResponse{GeneralResponse{ReplySerial: h.Serial, ReplyID: h.MsgID, Result: result}}
}

func (*PlatformResponse) MsgID() uint16 { return MsgPlatformResponse }
func (m *PlatformResponse) AppendBody(dst []byte, _ Version) ([]byte, error) {
	return m.append(dst), nil
}
func (m *PlatformResponse) DecodeBody(src []byte, _ Version) error { return m.decode(src) }
