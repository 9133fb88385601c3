package jt808

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Location is 0x0200 (位置信息汇报): the 28-byte basic block and the
// additional items that follow it. It is also the location part of 0x0201,
// each item of 0x0704 and (2013/2019) of 0x0801.
//
// Coordinates are signed micro-degrees (degrees × 10^6): south latitudes and
// west longitudes are negative, from status bits 2 and 3. Encoding writes
// the absolute value and sets those bits for negative values.
//
// Items and Trailing alias the decoded bytes. To decode without allocating,
// reuse one Location: DecodeLocation keeps the capacity of Items.
type Location struct {
	Alarm  Alarm  `json:"alarm"`
	Status Status `json:"status"`
	// Lat and Lon are micro-degrees, negative south/west.
	Lat int32 `json:"lat"`
	Lon int32 `json:"lon"`
	// Altitude is in metres.
	Altitude uint16 `json:"altitude"`
	// Speed is in 1/10 km/h.
	Speed uint16 `json:"speed"`
	// Direction is 0-359 degrees clockwise from north.
	Direction uint16 `json:"direction"`
	// Time is the terminal's time, GMT+8.
	Time BCDTime `json:"time"`
	// Items are the additional information items (附加信息) in wire order,
	// vendor and unknown ones included.
	Items []Item `json:"items"`
	// Trailing holds bytes after the last well-formed item: an item whose
	// declared length runs past the body, or a lone byte. Non-empty means
	// item parsing stopped early; the basic block is still valid.
	Trailing Hex `json:"trailing,omitempty"`

	version Version
}

// Item is one additional information item: ID, and its value (the length is
// len(Value)). Value aliases the decoded body.
type Item struct {
	ID    uint8 `json:"id"`
	Value Hex   `json:"value"`
}

// LocationBasicLen is the length of the basic block of a location report.
const LocationBasicLen = 28

// Status bits used to sign coordinates.
const (
	statusSouth = 1 << 2
	statusWest  = 1 << 3
)

func (*Location) MsgID() uint16 { return MsgLocation }

// DecodeBody implements Body; see DecodeLocation.
func (l *Location) DecodeBody(src []byte, v Version) error {
	err := DecodeLocation(l, src)
	l.version = v
	return err
}

// DecodeLocation decodes a 0x0200 body into l without allocating once
// l.Items has capacity for the items. Only a body shorter than the 28-byte
// basic block is an error; problems in the item list end up in l.Trailing.
func DecodeLocation(l *Location, b []byte) error {
	if len(b) < LocationBasicLen {
		*l = Location{Items: l.Items[:0]}
		return fmt.Errorf("location basic block: %d of 28 bytes: %w", len(b), ErrTruncated)
	}
	l.Alarm = Alarm(binary.BigEndian.Uint32(b[0:]))
	l.Status = Status(binary.BigEndian.Uint32(b[4:]))
	l.Lat = signedCoord(binary.BigEndian.Uint32(b[8:]), uint32(l.Status)&statusSouth != 0)
	l.Lon = signedCoord(binary.BigEndian.Uint32(b[12:]), uint32(l.Status)&statusWest != 0)
	l.Altitude = binary.BigEndian.Uint16(b[16:])
	l.Speed = binary.BigEndian.Uint16(b[18:])
	l.Direction = binary.BigEndian.Uint16(b[20:])
	copy(l.Time[:], b[22:28])
	l.version = V2013
	items := l.Items[:0]
	l.Trailing = nil
	rest := b[LocationBasicLen:]
	for len(rest) > 0 {
		if len(rest) < 2 || int(rest[1])+2 > len(rest) {
			l.Trailing = rest
			break
		}
		n := int(rest[1]) + 2
		items = append(items, Item{ID: rest[0], Value: rest[2:n:n]})
		rest = rest[n:]
	}
	l.Items = items
	return nil
}

// signedCoord applies the hemisphere; raw values beyond int32 (impossible
// coordinates) are clamped.
func signedCoord(raw uint32, negative bool) int32 {
	v := int32(min(raw, math.MaxInt32))
	if negative {
		return -v
	}
	return v
}

// AppendBody implements Body.
func (l *Location) AppendBody(dst []byte, _ Version) ([]byte, error) {
	return l.AppendBinary(dst)
}

// AppendBinary appends the encoded 0x0200 body. It fails only when an item
// value is longer than 255 bytes.
func (l *Location) AppendBinary(dst []byte) ([]byte, error) {
	status := uint32(l.Status)
	lat, lon := int64(l.Lat), int64(l.Lon)
	if lat < 0 {
		status |= statusSouth
		lat = -lat
	}
	if lon < 0 {
		status |= statusWest
		lon = -lon
	}
	dst = be32(dst, uint32(l.Alarm))
	dst = be32(dst, status)
	dst = be32(dst, uint32(lat))
	dst = be32(dst, uint32(lon))
	dst = be16(dst, l.Altitude)
	dst = be16(dst, l.Speed)
	dst = be16(dst, l.Direction)
	dst = append(dst, l.Time[:]...)
	for _, it := range l.Items {
		if len(it.Value) > 255 {
			return dst, fmt.Errorf("item 0x%02X: %d bytes: %w", it.ID, len(it.Value), ErrInvalid)
		}
		dst = append(dst, it.ID, byte(len(it.Value)))
		dst = append(dst, it.Value...)
	}
	return append(dst, l.Trailing...), nil
}

// Latitude returns the latitude in signed decimal degrees.
func (l *Location) Latitude() float64 { return float64(l.Lat) / 1e6 }

// Longitude returns the longitude in signed decimal degrees.
func (l *Location) Longitude() float64 { return float64(l.Lon) / 1e6 }

// SpeedKMH returns the speed in km/h.
func (l *Location) SpeedKMH() float64 { return float64(l.Speed) / 10 }

// Item returns the value of the first item with id and the expected length
// (a standard item with a wrong length is treated as absent).
func (l *Location) Item(id uint8) ([]byte, bool) {
	for _, it := range l.Items {
		if it.ID == id {
			if n, ok := itemLen(id); ok && !n(len(it.Value)) {
				continue
			}
			return it.Value, true
		}
	}
	return nil, false
}

// Additional item IDs (附加信息 ID).
const (
	ItemMileage         uint8 = 0x01 // DW, 1/10 km
	ItemFuel            uint8 = 0x02 // W, 1/10 L
	ItemTachographSpeed uint8 = 0x03 // W, 1/10 km/h
	ItemAlarmEventID    uint8 = 0x04 // W
	ItemTyrePressure    uint8 = 0x05 // 30 B (2019)
	ItemCargoTemp       uint8 = 0x06 // W, °C, top bit negative (2019)
	ItemOverspeed       uint8 = 0x11 // B or B+DW
	ItemAreaRoute       uint8 = 0x12 // B+DW+B
	ItemRouteTime       uint8 = 0x13 // DW+W+B
	ItemVideoAlarm      uint8 = 0x14 // DW (JT/T 1078)
	ItemSignalLoss      uint8 = 0x15 // DW (JT/T 1078)
	ItemSignalBlocked   uint8 = 0x16 // DW (JT/T 1078)
	ItemStorageFault    uint8 = 0x17 // W (JT/T 1078)
	ItemDrivingBehavior uint8 = 0x18 // W (JT/T 1078)
	ItemVehicleSignals  uint8 = 0x25 // DW
	ItemIOStatus        uint8 = 0x2A // W
	ItemAnalog          uint8 = 0x2B // DW
	ItemSignalStrength  uint8 = 0x30 // B
	ItemSatellites      uint8 = 0x31 // B
)

// itemLen returns the length check of a standard item ID.
func itemLen(id uint8) (func(int) bool, bool) {
	eq := func(n int) func(int) bool { return func(l int) bool { return l == n } }
	switch id {
	case ItemMileage, ItemVehicleSignals, ItemAnalog, ItemVideoAlarm, ItemSignalLoss, ItemSignalBlocked:
		return eq(4), true
	case ItemFuel, ItemTachographSpeed, ItemAlarmEventID, ItemCargoTemp, ItemIOStatus, ItemStorageFault, ItemDrivingBehavior:
		return eq(2), true
	case ItemTyrePressure:
		return eq(30), true
	case ItemOverspeed:
		return func(l int) bool { return l == 1 || l == 5 }, true
	case ItemAreaRoute:
		return eq(6), true
	case ItemRouteTime:
		return eq(7), true
	case ItemSignalStrength, ItemSatellites:
		return eq(1), true
	}
	return nil, false
}

// Mileage returns item 0x01, the odometer in 1/10 km.
func (l *Location) Mileage() (uint32, bool) { return l.itemU32(ItemMileage) }

// Fuel returns item 0x02, fuel in 1/10 L.
func (l *Location) Fuel() (uint16, bool) { return l.itemU16(ItemFuel) }

// TachographSpeed returns item 0x03, in 1/10 km/h.
func (l *Location) TachographSpeed() (uint16, bool) { return l.itemU16(ItemTachographSpeed) }

// AlarmEventID returns item 0x04.
func (l *Location) AlarmEventID() (uint16, bool) { return l.itemU16(ItemAlarmEventID) }

// VehicleSignals returns item 0x25, the extended vehicle signal word.
func (l *Location) VehicleSignals() (uint32, bool) { return l.itemU32(ItemVehicleSignals) }

// IOStatus returns item 0x2A.
func (l *Location) IOStatus() (uint16, bool) { return l.itemU16(ItemIOStatus) }

// Analog returns item 0x2B: AD0 (bits 0-15) and AD1 (bits 16-31).
func (l *Location) Analog() (ad0, ad1 uint16, ok bool) {
	v, ok := l.itemU32(ItemAnalog)
	return uint16(v), uint16(v >> 16), ok
}

// SignalStrength returns item 0x30.
func (l *Location) SignalStrength() (uint8, bool) { return l.itemU8(ItemSignalStrength) }

// Satellites returns item 0x31, the number of GNSS satellites used.
func (l *Location) Satellites() (uint8, bool) { return l.itemU8(ItemSatellites) }

func (l *Location) itemU8(id uint8) (uint8, bool) {
	v, ok := l.Item(id)
	if !ok || len(v) < 1 {
		return 0, false
	}
	return v[0], true
}

func (l *Location) itemU16(id uint8) (uint16, bool) {
	v, ok := l.Item(id)
	if !ok || len(v) < 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(v), true
}

func (l *Location) itemU32(id uint8) (uint32, bool) {
	v, ok := l.Item(id)
	if !ok || len(v) < 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(v), true
}

// LocationReply is 0x0201 (位置信息查询应答): the serial of the 0x8201 query
// and a location.
type LocationReply struct {
	ReplySerial uint16   `json:"reply_serial"`
	Location    Location `json:"location"`
}

func (*LocationReply) MsgID() uint16 { return MsgLocationReply }

func (m *LocationReply) AppendBody(dst []byte, _ Version) ([]byte, error) {
	dst = be16(dst, m.ReplySerial)
	return m.Location.AppendBinary(dst)
}

func (m *LocationReply) DecodeBody(src []byte, v Version) error {
	if len(src) < 2 {
		return fmt.Errorf("reply serial: %w", ErrTruncated)
	}
	m.ReplySerial = binary.BigEndian.Uint16(src)
	return m.Location.DecodeBody(src[2:], v)
}

// LocationBatch is 0x0704 (定位数据批量上传): Type 0 is a normal batch, 1 a
// blind-area re-send (盲区补报) of positions recorded without coverage.
type LocationBatch struct {
	Type  uint8      `json:"type"`
	Items []Location `json:"items"`
}

// Batch types of 0x0704.
const (
	BatchNormal    uint8 = 0
	BatchBlindArea uint8 = 1
)

func (*LocationBatch) MsgID() uint16 { return MsgLocationBatch }

func (m *LocationBatch) AppendBody(dst []byte, _ Version) ([]byte, error) {
	if len(m.Items) > math.MaxUint16 {
		return dst, errTooMany("items", len(m.Items), math.MaxUint16)
	}
	dst = be16(dst, uint16(len(m.Items)))
	dst = append(dst, m.Type)
	for i := range m.Items {
		at := len(dst)
		dst = append(dst, 0, 0)
		var err error
		if dst, err = m.Items[i].AppendBinary(dst); err != nil {
			return dst, err
		}
		n := len(dst) - at - 2
		if n > math.MaxUint16 {
			return dst, fmt.Errorf("item %d: %d bytes: %w", i, n, ErrInvalid)
		}
		binary.BigEndian.PutUint16(dst[at:], uint16(n))
	}
	return dst, nil
}

// DecodeBody decodes the batch. Items decoded before a truncated one are
// kept; the error says where decoding stopped.
func (m *LocationBatch) DecodeBody(src []byte, v Version) error {
	r := reader{b: src}
	count := r.u16("item count")
	m.Type = r.u8("data type")
	m.Items = m.Items[:0]
	if r.err != nil {
		return r.err
	}
	for i := range int(count) {
		n := r.u16("item length")
		b := r.bytes(int(n), "item")
		if r.err != nil {
			return fmt.Errorf("item %d: %w", i, r.err)
		}
		var l Location
		if err := l.DecodeBody(b, v); err != nil {
			return fmt.Errorf("item %d: %w", i, err)
		}
		m.Items = append(m.Items, l)
	}
	if r.left() > 0 {
		return fmt.Errorf("%d bytes after %d items: %w", r.left(), count, ErrInvalid)
	}
	return nil
}

// TrackLocation is 0x8202 (临时位置跟踪控制): report every Interval seconds
// for Validity seconds; an interval of 0 stops tracking.
type TrackLocation struct {
	Interval uint16 `json:"interval_s"`
	Validity uint32 `json:"validity_s"`
}

func (*TrackLocation) MsgID() uint16 { return MsgTrackLocation }

func (m *TrackLocation) AppendBody(dst []byte, _ Version) ([]byte, error) {
	return be32(be16(dst, m.Interval), m.Validity), nil
}

func (m *TrackLocation) DecodeBody(src []byte, _ Version) error {
	r := reader{b: src}
	m.Interval = r.u16("interval")
	m.Validity = r.u32("validity")
	return r.err
}

// ConfirmAlarm is 0x8203 (人工确认报警消息): the serial of the alarm message
// (0 = all) and the alarm bits being confirmed.
type ConfirmAlarm struct {
	AlarmSerial uint16 `json:"alarm_serial"`
	Alarm       Alarm  `json:"alarm"`
}

func (*ConfirmAlarm) MsgID() uint16 { return MsgConfirmAlarm }

func (m *ConfirmAlarm) AppendBody(dst []byte, _ Version) ([]byte, error) {
	return be32(be16(dst, m.AlarmSerial), uint32(m.Alarm)), nil
}

func (m *ConfirmAlarm) DecodeBody(src []byte, _ Version) error {
	r := reader{b: src}
	m.AlarmSerial = r.u16("alarm serial")
	m.Alarm = Alarm(r.u32("alarm type"))
	return r.err
}
