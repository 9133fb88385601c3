package jt808

import "github.com/jiaotong-platform/jiaotong/internal/protocol/gbk"

// Text message flag bits (文本信息标志位).
const (
	TextEmergency = 1 << 0 // 紧急
	TextDisplay   = 1 << 2 // 终端显示器显示
	TextTTS       = 1 << 3 // 终端TTS播读
	TextAdScreen  = 1 << 4 // 广告屏显示
	TextCANFault  = 1 << 5 // 0 中心导航信息, 1 CAN故障码信息
)

// TextMessage is 0x8300 (文本信息下发). TextType (1 notice, 2 service) exists
// only in 2019.
type TextMessage struct {
	Flag     uint8  `json:"flag"`
	TextType uint8  `json:"text_type,omitempty"`
	Text     string `json:"text"`
}

func (*TextMessage) MsgID() uint16 { return MsgText }

func (m *TextMessage) AppendBody(dst []byte, v Version) ([]byte, error) {
	dst = append(dst, m.Flag)
	if v == V2019 {
		dst = append(dst, m.TextType)
	}
	return gbk.Append(dst, m.Text), nil
}

func (m *TextMessage) DecodeBody(src []byte, v Version) error {
	r := reader{b: src}
	m.Flag = r.u8("flag")
	m.TextType = 0
	if v == V2019 {
		m.TextType = r.u8("text type")
	}
	m.Text = gbk.Decode(r.rest())
	return r.err
}
