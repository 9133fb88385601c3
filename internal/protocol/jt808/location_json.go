package jt808

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// locationJSON is the explained form of a location: units applied, bits
// named, items decoded.
type locationJSON struct {
	Alarm       wordJSON   `json:"alarm"`
	Status      wordJSON   `json:"status"`
	Latitude    float64    `json:"latitude"`
	Longitude   float64    `json:"longitude"`
	AltitudeM   uint16     `json:"altitude_m"`
	SpeedKMH    float64    `json:"speed_kmh"`
	Direction   uint16     `json:"direction"`
	Time        string     `json:"time"`
	TimeValid   bool       `json:"time_valid"`
	Items       []ItemInfo `json:"items"`
	Trailing    string     `json:"trailing,omitempty"`
	ItemProblem string     `json:"item_error,omitempty"`
}

// MarshalJSON writes the location for people: signed decimal degrees, km/h,
// ISO 8601 time with +08:00, named alarm and status bits, items with units.
func (l Location) MarshalJSON() ([]byte, error) {
	j := locationJSON{
		Alarm:     explainWord(uint32(l.Alarm), l.Alarm.Flags(l.version)),
		Status:    explainWord(uint32(l.Status), l.Status.Flags(l.version)),
		Latitude:  l.Latitude(),
		Longitude: l.Longitude(),
		AltitudeM: l.Altitude,
		SpeedKMH:  l.SpeedKMH(),
		Direction: l.Direction,
		Time:      l.Time.String(),
		Items:     make([]ItemInfo, 0, len(l.Items)),
	}
	_, err := l.Time.Time()
	j.TimeValid = err == nil
	for _, it := range l.Items {
		j.Items = append(j.Items, ExplainItem(it))
	}
	if len(l.Trailing) > 0 {
		j.Trailing = hex.EncodeToString(l.Trailing)
		j.ItemProblem = fmt.Sprintf("additional items stop at a malformed item (%d bytes left)", len(l.Trailing))
	}
	return json.Marshal(j)
}

// ItemInfo is an additional item explained: its name, the decoded value
// with its unit, and the raw bytes.
type ItemInfo struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	ZH    string `json:"name_zh,omitempty"`
	Value any    `json:"value,omitempty"`
	Unit  string `json:"unit,omitempty"`
	Raw   string `json:"raw"`
	Note  string `json:"note,omitempty"`
}

// ExplainItem decodes one additional item for display. Unknown and vendor
// IDs, and standard IDs with a wrong length, are shown raw with a note.
func ExplainItem(it Item) ItemInfo {
	v := it.Value
	info := ItemInfo{ID: fmt.Sprintf("0x%02X", it.ID), Raw: hex.EncodeToString(v)}
	if check, ok := itemLen(it.ID); ok && !check(len(v)) {
		info.Name = "malformed"
		info.Note = fmt.Sprintf("standard item with unexpected length %d, kept raw", len(v))
		return info
	}
	u16 := func() uint16 { return binary.BigEndian.Uint16(v) }
	u32 := func() uint32 { return binary.BigEndian.Uint32(v) }
	switch it.ID {
	case ItemMileage:
		info.Name, info.ZH, info.Value, info.Unit = "mileage", "里程", float64(u32())/10, "km"
	case ItemFuel:
		info.Name, info.ZH, info.Value, info.Unit = "fuel", "油量", float64(u16())/10, "L"
	case ItemTachographSpeed:
		info.Name, info.ZH, info.Value, info.Unit = "tachograph_speed", "行驶记录功能获取的速度", float64(u16())/10, "km/h"
	case ItemAlarmEventID:
		info.Name, info.ZH, info.Value = "alarm_event_id", "需要人工确认报警事件的ID", u16()
	case ItemTyrePressure:
		p := make([]int, len(v))
		for i, b := range v {
			p[i] = int(b)
			if b == 0xFF {
				p[i] = -1
			}
		}
		info.Name, info.ZH, info.Value, info.Unit = "tyre_pressure", "胎压", p, "Pa (-1 invalid)"
	case ItemCargoTemp:
		t := int(u16() & 0x7FFF)
		if u16()&0x8000 != 0 {
			t = -t
		}
		info.Name, info.ZH, info.Value, info.Unit = "cargo_temperature", "车厢温度", t, "°C"
	case ItemOverspeed:
		m := map[string]any{"location_type": v[0]}
		if len(v) == 5 {
			m["area_id"] = binary.BigEndian.Uint32(v[1:])
		}
		info.Name, info.ZH, info.Value = "overspeed_info", "超速报警附加信息", m
	case ItemAreaRoute:
		info.Name, info.ZH = "area_route_alarm", "进出区域/路线报警附加信息"
		info.Value = map[string]any{"location_type": v[0], "area_id": binary.BigEndian.Uint32(v[1:]), "direction": v[5], "direction_name": map[bool]string{true: "in", false: "out"}[v[5] == 0]}
	case ItemRouteTime:
		info.Name, info.ZH = "route_time_alarm", "路段行驶时间不足/过长报警附加信息"
		info.Value = map[string]any{"segment_id": binary.BigEndian.Uint32(v), "driving_time_s": binary.BigEndian.Uint16(v[4:]), "result": v[6], "result_name": map[bool]string{true: "too_short", false: "too_long"}[v[6] == 0]}
	case ItemVideoAlarm:
		info.Name, info.ZH, info.Value = "video_alarm", "视频相关报警", fmt.Sprintf("0x%08X", u32())
	case ItemSignalLoss:
		info.Name, info.ZH, info.Value = "video_signal_loss", "视频信号丢失报警状态", fmt.Sprintf("0x%08X", u32())
	case ItemSignalBlocked:
		info.Name, info.ZH, info.Value = "video_signal_blocked", "视频信号遮挡报警状态", fmt.Sprintf("0x%08X", u32())
	case ItemStorageFault:
		info.Name, info.ZH, info.Value = "storage_fault", "存储器故障报警状态", fmt.Sprintf("0x%04X", u16())
	case ItemDrivingBehavior:
		info.Name, info.ZH, info.Value = "abnormal_driving", "异常驾驶行为报警", fmt.Sprintf("0x%04X", u16())
	case ItemVehicleSignals:
		info.Name, info.ZH = "vehicle_signals", "扩展车辆信号状态位"
		info.Value = map[string]any{"value": u32(), "set": namedBits(u32(), vehicleSignalNames[:])}
	case ItemIOStatus:
		info.Name, info.ZH = "io_status", "IO状态位"
		info.Value = map[string]any{"value": u16(), "set": namedBits(uint32(u16()), []string{"deep_sleep", "sleep"})}
	case ItemAnalog:
		info.Name, info.ZH = "analog", "模拟量"
		info.Value = map[string]any{"ad0": uint16(u32()), "ad1": uint16(u32() >> 16)}
	case ItemSignalStrength:
		info.Name, info.ZH, info.Value = "signal_strength", "无线通信网络信号强度", v[0]
	case ItemSatellites:
		info.Name, info.ZH, info.Value = "gnss_satellites", "GNSS定位卫星数", v[0]
	default:
		switch {
		case it.ID >= 0xE0:
			info.Name, info.ZH, info.Note = "vendor", "自定义信息", "vendor-defined; meaning depends on the terminal model"
		default:
			info.Name, info.Note = "unknown", "not a standard item; kept raw"
		}
	}
	return info
}

var vehicleSignalNames = [...]string{
	"low_beam", "high_beam", "right_indicator", "left_indicator", "braking", "reversing",
	"fog_lamp", "clearance_lamp", "horn", "air_conditioner", "neutral", "retarder",
	"abs", "heater", "clutch",
}

func namedBits(v uint32, names []string) []string {
	out := []string{}
	for bit := range 32 {
		if v&(1<<bit) == 0 {
			continue
		}
		if bit < len(names) {
			out = append(out, names[bit])
		} else {
			out = append(out, fmt.Sprintf("reserved_%d", bit))
		}
	}
	return out
}
