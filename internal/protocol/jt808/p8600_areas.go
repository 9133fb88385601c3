package jt808

import (
	"fmt"
	"math"

	"github.com/jiaotong-platform/jiaotong/internal/protocol/gbk"
)

// Area attribute bits (区域属性) of circles, rectangles and polygons.
const (
	AreaTimeBounded    = 1 << 0  // start/end time present (根据时间)
	AreaSpeedLimited   = 1 << 1  // max speed present (限速)
	AreaAlarmDriverIn  = 1 << 2  // 进区域报警给驾驶员
	AreaAlarmPlatIn    = 1 << 3  // 进区域报警给平台
	AreaAlarmDriverOut = 1 << 4  // 出区域报警给驾驶员
	AreaAlarmPlatOut   = 1 << 5  // 出区域报警给平台
	AreaSouth          = 1 << 6  // 南纬
	AreaWest           = 1 << 7  // 西经
	AreaDoorsShut      = 1 << 8  // 禁止开门
	AreaCommOff        = 1 << 14 // 进区域关闭通信模块
	AreaCollectGNSS    = 1 << 15 // 进区域采集GNSS详细定位数据
)

// Route segment attribute bits (路段属性).
const (
	SegmentTimeLimited  = 1 << 0 // driving-time thresholds present
	SegmentSpeedLimited = 1 << 1 // speed limit present
	SegmentSouth        = 1 << 2
	SegmentWest         = 1 << 3
)

// Area setting actions (设置属性) of 0x8600 and 0x8602.
const (
	AreaReplace uint8 = 0 // 更新区域
	AreaAppend  uint8 = 1 // 追加区域
	AreaModify  uint8 = 2 // 修改区域
)

// AreaLimits are the optional fields an attribute word switches on. Times
// may be periodic (a zero date means "every day"), so they stay BCD.
type AreaLimits struct {
	Start BCDTime `json:"start,omitzero"`
	End   BCDTime `json:"end,omitzero"`
	// MaxSpeed is in km/h; OverspeedDuration in seconds.
	MaxSpeed          uint16 `json:"max_speed,omitempty"`
	OverspeedDuration uint8  `json:"overspeed_duration,omitempty"`
	// NightMaxSpeed (2019) is in km/h.
	NightMaxSpeed uint16 `json:"night_max_speed,omitempty"`
}

func (a *AreaLimits) append(dst []byte, attr uint16, v Version) []byte {
	if attr&AreaTimeBounded != 0 {
		dst = append(dst, a.Start[:]...)
		dst = append(dst, a.End[:]...)
	}
	if attr&AreaSpeedLimited != 0 {
		dst = be16(dst, a.MaxSpeed)
		dst = append(dst, a.OverspeedDuration)
		if v == V2019 {
			dst = be16(dst, a.NightMaxSpeed)
		}
	}
	return dst
}

func (a *AreaLimits) decode(r *reader, attr uint16, v Version) {
	*a = AreaLimits{}
	if attr&AreaTimeBounded != 0 {
		copy(a.Start[:], r.bytes(6, "start time"))
		copy(a.End[:], r.bytes(6, "end time"))
	}
	if attr&AreaSpeedLimited != 0 {
		a.MaxSpeed = r.u16("max speed")
		a.OverspeedDuration = r.u8("overspeed duration")
		if v == V2019 {
			a.NightMaxSpeed = r.u16("night max speed")
		}
	}
}

// coordAttr returns the unsigned coordinate and sets the attribute bit for
// negative values.
func coordAttr(c int32, attr *uint16, bit uint16) uint32 {
	if c < 0 {
		*attr |= bit
		return uint32(-int64(c))
	}
	return uint32(c)
}

func appendName(dst []byte, name string, v Version) ([]byte, error) {
	if v != V2019 {
		return dst, nil
	}
	b := gbk.Append(nil, name)
	if len(b) > math.MaxUint16 {
		return dst, fmt.Errorf("name of %d bytes: %w", len(b), ErrInvalid)
	}
	return append(be16(dst, uint16(len(b))), b...), nil
}

func decodeName(r *reader, v Version) string {
	if v != V2019 {
		return ""
	}
	n := r.u16("name length")
	return gbk.Decode(r.bytes(int(n), "name"))
}

// CircleArea is one circular area (圆形区域). Lat/Lon are signed
// micro-degrees; Radius is in metres.
type CircleArea struct {
	ID     uint32 `json:"id"`
	Attr   uint16 `json:"attr"`
	Lat    int32  `json:"lat"`
	Lon    int32  `json:"lon"`
	Radius uint32 `json:"radius_m"`
	AreaLimits
	Name string `json:"name,omitempty"`
}

// SetCircleAreas is 0x8600 (设置圆形区域).
type SetCircleAreas struct {
	Action uint8        `json:"action"`
	Areas  []CircleArea `json:"areas"`
}

func (*SetCircleAreas) MsgID() uint16 { return MsgSetCircleAreas }

func (m *SetCircleAreas) AppendBody(dst []byte, v Version) ([]byte, error) {
	if len(m.Areas) > 255 {
		return dst, errTooMany("areas", len(m.Areas), 255)
	}
	dst = append(dst, m.Action, byte(len(m.Areas)))
	for _, a := range m.Areas {
		attr := a.Attr
		lat, lon := coordAttr(a.Lat, &attr, AreaSouth), coordAttr(a.Lon, &attr, AreaWest)
		dst = be32(dst, a.ID)
		dst = be16(dst, attr)
		dst = be32(be32(dst, lat), lon)
		dst = be32(dst, a.Radius)
		dst = a.AreaLimits.append(dst, attr, v)
		var err error
		if dst, err = appendName(dst, a.Name, v); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

func (m *SetCircleAreas) DecodeBody(src []byte, v Version) error {
	r := reader{b: src}
	m.Action = r.u8("action")
	n := int(r.u8("count"))
	m.Areas = nil
	for i := 0; i < n && r.err == nil; i++ {
		var a CircleArea
		a.ID = r.u32("area id")
		a.Attr = r.u16("area attribute")
		a.Lat = signedCoord(r.u32("latitude"), a.Attr&AreaSouth != 0)
		a.Lon = signedCoord(r.u32("longitude"), a.Attr&AreaWest != 0)
		a.Radius = r.u32("radius")
		a.AreaLimits.decode(&r, a.Attr, v)
		a.Name = decodeName(&r, v)
		if r.err == nil {
			m.Areas = append(m.Areas, a)
		}
	}
	return r.err
}

// RectangleArea is one rectangular area (矩形区域), given by its top-left
// and bottom-right corners in signed micro-degrees.
type RectangleArea struct {
	ID             uint32 `json:"id"`
	Attr           uint16 `json:"attr"`
	TopLeftLat     int32  `json:"top_left_lat"`
	TopLeftLon     int32  `json:"top_left_lon"`
	BottomRightLat int32  `json:"bottom_right_lat"`
	BottomRightLon int32  `json:"bottom_right_lon"`
	AreaLimits
	Name string `json:"name,omitempty"`
}

// SetRectangleAreas is 0x8602 (设置矩形区域).
type SetRectangleAreas struct {
	Action uint8           `json:"action"`
	Areas  []RectangleArea `json:"areas"`
}

func (*SetRectangleAreas) MsgID() uint16 { return MsgSetRectangleAreas }

func (m *SetRectangleAreas) AppendBody(dst []byte, v Version) ([]byte, error) {
	if len(m.Areas) > 255 {
		return dst, errTooMany("areas", len(m.Areas), 255)
	}
	dst = append(dst, m.Action, byte(len(m.Areas)))
	for _, a := range m.Areas {
		attr := a.Attr
		c := [4]uint32{
			coordAttr(a.TopLeftLat, &attr, AreaSouth), coordAttr(a.TopLeftLon, &attr, AreaWest),
			coordAttr(a.BottomRightLat, &attr, AreaSouth), coordAttr(a.BottomRightLon, &attr, AreaWest),
		}
		dst = be32(dst, a.ID)
		dst = be16(dst, attr)
		for _, x := range c {
			dst = be32(dst, x)
		}
		dst = a.AreaLimits.append(dst, attr, v)
		var err error
		if dst, err = appendName(dst, a.Name, v); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

func (m *SetRectangleAreas) DecodeBody(src []byte, v Version) error {
	r := reader{b: src}
	m.Action = r.u8("action")
	n := int(r.u8("count"))
	m.Areas = nil
	for i := 0; i < n && r.err == nil; i++ {
		var a RectangleArea
		a.ID = r.u32("area id")
		a.Attr = r.u16("area attribute")
		s, w := a.Attr&AreaSouth != 0, a.Attr&AreaWest != 0
		a.TopLeftLat = signedCoord(r.u32("top-left latitude"), s)
		a.TopLeftLon = signedCoord(r.u32("top-left longitude"), w)
		a.BottomRightLat = signedCoord(r.u32("bottom-right latitude"), s)
		a.BottomRightLon = signedCoord(r.u32("bottom-right longitude"), w)
		a.AreaLimits.decode(&r, a.Attr, v)
		a.Name = decodeName(&r, v)
		if r.err == nil {
			m.Areas = append(m.Areas, a)
		}
	}
	return r.err
}

// Point is a vertex in signed micro-degrees.
type Point struct {
	Lat int32 `json:"lat"`
	Lon int32 `json:"lon"`
}

// SetPolygonArea is 0x8604 (设置多边形区域), one polygon per message. In 2019
// the night speed follows the overspeed duration and the name follows the
// vertices (implementations disagree; this is the jt808-server order).
type SetPolygonArea struct {
	ID   uint32 `json:"id"`
	Attr uint16 `json:"attr"`
	AreaLimits
	Vertices []Point `json:"vertices"`
	Name     string  `json:"name,omitempty"`
}

func (*SetPolygonArea) MsgID() uint16 { return MsgSetPolygonArea }

func (m *SetPolygonArea) AppendBody(dst []byte, v Version) ([]byte, error) {
	if len(m.Vertices) > math.MaxUint16 {
		return dst, errTooMany("vertices", len(m.Vertices), math.MaxUint16)
	}
	attr := m.Attr
	pts := make([]uint32, 0, 2*len(m.Vertices))
	for _, p := range m.Vertices {
		pts = append(pts, coordAttr(p.Lat, &attr, AreaSouth), coordAttr(p.Lon, &attr, AreaWest))
	}
	dst = be32(dst, m.ID)
	dst = be16(dst, attr)
	dst = m.AreaLimits.append(dst, attr, v)
	dst = be16(dst, uint16(len(m.Vertices)))
	for _, x := range pts {
		dst = be32(dst, x)
	}
	return appendName(dst, m.Name, v)
}

func (m *SetPolygonArea) DecodeBody(src []byte, v Version) error {
	r := reader{b: src}
	m.ID = r.u32("area id")
	m.Attr = r.u16("area attribute")
	m.AreaLimits.decode(&r, m.Attr, v)
	n := int(r.u16("vertex count"))
	if r.err == nil && r.left() < 8*n {
		return fmt.Errorf("%d vertices in %d bytes: %w", n, r.left(), ErrTruncated)
	}
	m.Vertices = make([]Point, 0, n)
	s, w := m.Attr&AreaSouth != 0, m.Attr&AreaWest != 0
	for range n {
		m.Vertices = append(m.Vertices, Point{signedCoord(r.u32("latitude"), s), signedCoord(r.u32("longitude"), w)})
	}
	m.Name = decodeName(&r, v)
	return r.err
}

// RoutePoint is a turning point (拐点) of a route and the segment that
// starts there.
type RoutePoint struct {
	PointID   uint32 `json:"point_id"`
	SegmentID uint32 `json:"segment_id"`
	Lat       int32  `json:"lat"`
	Lon       int32  `json:"lon"`
	// Width is the segment width in metres.
	Width uint8 `json:"width_m"`
	Attr  uint8 `json:"attr"`
	// TooLong / TooShort are driving-time thresholds in seconds.
	TooLong           uint16 `json:"too_long_s"`
	TooShort          uint16 `json:"too_short_s"`
	MaxSpeed          uint16 `json:"max_speed,omitempty"`
	OverspeedDuration uint8  `json:"overspeed_duration,omitempty"`
	NightMaxSpeed     uint16 `json:"night_max_speed"`
}

// SetRoute is 0x8606 (设置路线).
type SetRoute struct {
	ID     uint32       `json:"id"`
	Attr   uint16       `json:"attr"`
	Start  BCDTime      `json:"start"`
	End    BCDTime      `json:"end"`
	Points []RoutePoint `json:"points"`
	Name   string       `json:"name,omitempty"`
}

func (*SetRoute) MsgID() uint16 { return MsgSetRoute }

func (m *SetRoute) AppendBody(dst []byte, v Version) ([]byte, error) {
	if len(m.Points) > math.MaxUint16 {
		return dst, errTooMany("points", len(m.Points), math.MaxUint16)
	}
	dst = be32(dst, m.ID)
	dst = be16(dst, m.Attr)
	if m.Attr&AreaTimeBounded != 0 {
		dst = append(dst, m.Start[:]...)
		dst = append(dst, m.End[:]...)
	}
	dst = be16(dst, uint16(len(m.Points)))
	for _, p := range m.Points {
		attr16 := uint16(p.Attr)
		lat, lon := coordAttr(p.Lat, &attr16, SegmentSouth), coordAttr(p.Lon, &attr16, SegmentWest)
		dst = be32(dst, p.PointID)
		dst = be32(dst, p.SegmentID)
		dst = be32(be32(dst, lat), lon)
		dst = append(dst, p.Width, uint8(attr16))
		if attr16&SegmentTimeLimited != 0 {
			dst = be16(be16(dst, p.TooLong), p.TooShort)
		}
		if attr16&SegmentSpeedLimited != 0 {
			dst = append(be16(dst, p.MaxSpeed), p.OverspeedDuration)
			if v == V2019 {
				dst = be16(dst, p.NightMaxSpeed)
			}
		}
	}
	return appendName(dst, m.Name, v)
}

func (m *SetRoute) DecodeBody(src []byte, v Version) error {
	r := reader{b: src}
	m.ID = r.u32("route id")
	m.Attr = r.u16("route attribute")
	m.Start, m.End = BCDTime{}, BCDTime{}
	if m.Attr&AreaTimeBounded != 0 {
		copy(m.Start[:], r.bytes(6, "start time"))
		copy(m.End[:], r.bytes(6, "end time"))
	}
	n := int(r.u16("point count"))
	m.Points = make([]RoutePoint, 0, min(n, r.left()/18))
	for i := 0; i < n && r.err == nil; i++ {
		var p RoutePoint
		p.PointID = r.u32("point id")
		p.SegmentID = r.u32("segment id")
		lat, lon := r.u32("latitude"), r.u32("longitude")
		p.Width = r.u8("segment width")
		p.Attr = r.u8("segment attribute")
		p.Lat = signedCoord(lat, p.Attr&SegmentSouth != 0)
		p.Lon = signedCoord(lon, p.Attr&SegmentWest != 0)
		if p.Attr&SegmentTimeLimited != 0 {
			p.TooLong = r.u16("too-long threshold")
			p.TooShort = r.u16("too-short threshold")
		}
		if p.Attr&SegmentSpeedLimited != 0 {
			p.MaxSpeed = r.u16("max speed")
			p.OverspeedDuration = r.u8("overspeed duration")
			if v == V2019 {
				p.NightMaxSpeed = r.u16("night max speed")
			}
		}
		if r.err == nil {
			m.Points = append(m.Points, p)
		}
	}
	m.Name = decodeName(&r, v)
	return r.err
}

// DeleteAreas is 0x8601, 0x8603, 0x8605 or 0x8607 (删除圆形/矩形/多边形区域,
// 删除路线): a count and the IDs to delete (no IDs conventionally means all).
type DeleteAreas struct {
	ID  uint16   `json:"-"`
	IDs []uint32 `json:"ids"`
}

func (m *DeleteAreas) MsgID() uint16 {
	if m.ID == 0 {
		return MsgDeleteCircleAreas
	}
	return m.ID
}

func (m *DeleteAreas) AppendBody(dst []byte, _ Version) ([]byte, error) {
	if len(m.IDs) > 255 {
		return dst, errTooMany("ids", len(m.IDs), 255)
	}
	dst = append(dst, byte(len(m.IDs)))
	for _, id := range m.IDs {
		dst = be32(dst, id)
	}
	return dst, nil
}

func (m *DeleteAreas) DecodeBody(src []byte, _ Version) error {
	r := reader{b: src}
	n := int(r.u8("count"))
	m.IDs = make([]uint32, 0, min(n, r.left()/4))
	for i := 0; i < n && r.err == nil; i++ {
		id := r.u32("id")
		if r.err == nil {
			m.IDs = append(m.IDs, id)
		}
	}
	return r.err
}
