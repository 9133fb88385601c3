package jt808

import "fmt"

// decodeEmpty accepts an empty body. Extra bytes are tolerated (terminals
// pad heartbeats) but reported.
func decodeEmpty(src []byte) error {
	if len(src) != 0 {
		return fmt.Errorf("%d unexpected body bytes: %w", len(src), ErrInvalid)
	}
	return nil
}

// Heartbeat is 0x0002 (终端心跳), an empty body.
type Heartbeat struct{}

func (*Heartbeat) MsgID() uint16                                    { return MsgHeartbeat }
func (*Heartbeat) AppendBody(dst []byte, _ Version) ([]byte, error) { return dst, nil }
func (*Heartbeat) DecodeBody(src []byte, _ Version) error           { return decodeEmpty(src) }

// Deregister is 0x0003 (终端注销), an empty body.
type Deregister struct{}

func (*Deregister) MsgID() uint16                                    { return MsgDeregister }
func (*Deregister) AppendBody(dst []byte, _ Version) ([]byte, error) { return dst, nil }
func (*Deregister) DecodeBody(src []byte, _ Version) error           { return decodeEmpty(src) }

// QueryServerTime is 0x0004 (查询服务器时间请求, 2019), an empty body.
type QueryServerTime struct{}

func (*QueryServerTime) MsgID() uint16                                    { return MsgQueryServerTime }
func (*QueryServerTime) AppendBody(dst []byte, _ Version) ([]byte, error) { return dst, nil }
func (*QueryServerTime) DecodeBody(src []byte, _ Version) error           { return decodeEmpty(src) }

// QueryParameters is 0x8104 (查询终端参数), an empty body; the reply is 0x0104.
type QueryParameters struct{}

func (*QueryParameters) MsgID() uint16                                    { return MsgQueryParameters }
func (*QueryParameters) AppendBody(dst []byte, _ Version) ([]byte, error) { return dst, nil }
func (*QueryParameters) DecodeBody(src []byte, _ Version) error           { return decodeEmpty(src) }

// QueryAttributes is 0x8107 (查询终端属性), an empty body; the reply is 0x0107.
type QueryAttributes struct{}

func (*QueryAttributes) MsgID() uint16                                    { return MsgQueryAttributes }
func (*QueryAttributes) AppendBody(dst []byte, _ Version) ([]byte, error) { return dst, nil }
func (*QueryAttributes) DecodeBody(src []byte, _ Version) error           { return decodeEmpty(src) }

// QueryLocation is 0x8201 (位置信息查询), an empty body; the reply is 0x0201.
type QueryLocation struct{}

func (*QueryLocation) MsgID() uint16                                    { return MsgQueryLocation }
func (*QueryLocation) AppendBody(dst []byte, _ Version) ([]byte, error) { return dst, nil }
func (*QueryLocation) DecodeBody(src []byte, _ Version) error           { return decodeEmpty(src) }
