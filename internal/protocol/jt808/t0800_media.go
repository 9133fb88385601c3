package jt808

import (
	"fmt"
	"math"
)

// MediaEvent is 0x0800 (多媒体事件信息上传). Type: 0 image, 1 audio, 2 video.
// Format: 0 JPEG, 1 TIF, 2 MP3, 3 WAV, 4 WMV. Event: 0 platform command, 1
// timed, 2 robbery alarm, 3 collision/rollover, further codes in 2019.
type MediaEvent struct {
	MediaID uint32 `json:"media_id"`
	Type    uint8  `json:"type"`
	Format  uint8  `json:"format"`
	Event   uint8  `json:"event"`
	Channel uint8  `json:"channel"`
}

func (*MediaEvent) MsgID() uint16 { return MsgMediaEvent }

func (m *MediaEvent) append(dst []byte) []byte {
	dst = be32(dst, m.MediaID)
	return append(dst, m.Type, m.Format, m.Event, m.Channel)
}

func (m *MediaEvent) decode(r *reader) {
	m.MediaID = r.u32("media id")
	m.Type = r.u8("media type")
	m.Format = r.u8("media format")
	m.Event = r.u8("event code")
	m.Channel = r.u8("channel")
}

func (m *MediaEvent) AppendBody(dst []byte, _ Version) ([]byte, error) { return m.append(dst), nil }
func (m *MediaEvent) DecodeBody(src []byte, _ Version) error {
	r := reader{b: src}
	m.decode(&r)
	return r.err
}

// MediaData is 0x0801 (多媒体数据上传): the event header, a location basic
// block (2013/2019 only, without items) and the media bytes, kept as-is.
// Decode the reassembled body: fragments other than the first carry only
// data. Data aliases the decoded body.
type MediaData struct {
	MediaEvent
	Location *Location `json:"location,omitempty"`
	Data     Hex       `json:"data"`
}

func (*MediaData) MsgID() uint16 { return MsgMediaData }

func (m *MediaData) AppendBody(dst []byte, v Version) ([]byte, error) {
	dst = m.MediaEvent.append(dst)
	if v != V2011 {
		var l Location
		if m.Location != nil {
			l = *m.Location
			l.Items, l.Trailing = nil, nil
		}
		dst, _ = l.AppendBinary(dst)
	}
	return append(dst, m.Data...), nil
}

func (m *MediaData) DecodeBody(src []byte, v Version) error {
	r := reader{b: src}
	m.MediaEvent.decode(&r)
	m.Location = nil
	if v != V2011 {
		b := r.bytes(LocationBasicLen, "location")
		if r.err != nil {
			return r.err
		}
		m.Location = &Location{}
		if err := m.Location.DecodeBody(b, v); err != nil {
			return err
		}
	}
	m.Data = r.rest()
	return r.err
}

// MediaDataReply is 0x8800 (多媒体数据上传应答): the media ID and the
// fragment indexes to re-send (none when the upload is complete).
type MediaDataReply struct {
	MediaID uint32   `json:"media_id"`
	Missing []uint16 `json:"missing,omitempty"`
}

func (*MediaDataReply) MsgID() uint16 { return MsgMediaDataReply }

func (m *MediaDataReply) AppendBody(dst []byte, _ Version) ([]byte, error) {
	dst = be32(dst, m.MediaID)
	if len(m.Missing) == 0 {
		return dst, nil
	}
	if len(m.Missing) > math.MaxUint8 {
		return dst, errTooMany("missing indexes", len(m.Missing), math.MaxUint8)
	}
	dst = append(dst, byte(len(m.Missing)))
	for _, i := range m.Missing {
		dst = be16(dst, i)
	}
	return dst, nil
}

func (m *MediaDataReply) DecodeBody(src []byte, _ Version) error {
	r := reader{b: src}
	m.MediaID = r.u32("media id")
	m.Missing = nil
	if r.done() {
		return nil
	}
	n := int(r.u8("count"))
	if r.err == nil && r.left() < 2*n {
		return fmt.Errorf("%d indexes in %d bytes: %w", n, r.left(), ErrTruncated)
	}
	for range n {
		m.Missing = append(m.Missing, r.u16("index"))
	}
	return r.err
}

// PassThrough is 0x0900 (数据上行透传) or 0x8900 (数据下行透传): a type byte
// (e.g. 0x00 GNSS detail, 0x0B IC card, 0x41/0x42 serial ports, 0xF0-0xFF
// vendor) and the payload, kept raw; Data aliases the decoded body.
type PassThrough struct {
	ID   uint16 `json:"-"`
	Type uint8  `json:"type"`
	Data Hex    `json:"data"`
}

func (m *PassThrough) MsgID() uint16 {
	if m.ID == 0 {
		return MsgUplinkPassThrough
	}
	return m.ID
}

func (m *PassThrough) AppendBody(dst []byte, _ Version) ([]byte, error) {
	return append(append(dst, m.Type), m.Data...), nil
}

func (m *PassThrough) DecodeBody(src []byte, _ Version) error {
	r := reader{b: src}
	m.Type = r.u8("type")
	m.Data = r.rest()
	return r.err
}
