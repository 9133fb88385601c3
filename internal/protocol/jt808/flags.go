package jt808

import (
	"encoding/json"
	"fmt"
)

// Alarm is the alarm word (报警标志) of a location report.
type Alarm uint32

// Status is the status word (状态) of a location report.
type Status uint32

// Flag names one set bit of an alarm or status word.
type Flag struct {
	Bit  int    `json:"bit"`
	Name string `json:"name"`
	ZH   string `json:"name_zh"`
}

type bitName struct{ en, zh string }

// alarmNames2013 follows JT/T 808-2013; 2019 differs at bits 15-17 and 31.
var alarmNames2013 = [32]bitName{
	0:  {"emergency", "紧急报警"},
	1:  {"overspeed", "超速报警"},
	2:  {"fatigue_driving", "疲劳驾驶"},
	3:  {"danger_warning", "危险预警"},
	4:  {"gnss_module_fault", "GNSS模块发生故障"},
	5:  {"gnss_antenna_disconnected", "GNSS天线未接或被剪断"},
	6:  {"gnss_antenna_short_circuit", "GNSS天线短路"},
	7:  {"main_power_undervoltage", "终端主电源欠压"},
	8:  {"main_power_lost", "终端主电源掉电"},
	9:  {"display_fault", "终端LCD或显示器故障"},
	10: {"tts_fault", "TTS模块故障"},
	11: {"camera_fault", "摄像头故障"},
	12: {"ic_card_module_fault", "道路运输证IC卡模块故障"},
	13: {"overspeed_warning", "超速预警"},
	14: {"fatigue_warning", "疲劳驾驶预警"},
	18: {"daily_driving_time_exceeded", "当天累计驾驶超时"},
	19: {"overtime_parking", "超时停车"},
	20: {"area_in_out", "进出区域"},
	21: {"route_in_out", "进出路线"},
	22: {"route_segment_time", "路段行驶时间不足/过长"},
	23: {"route_deviation", "路线偏离报警"},
	24: {"vss_fault", "车辆VSS故障"},
	25: {"fuel_abnormal", "车辆油量异常"},
	26: {"vehicle_stolen", "车辆被盗"},
	27: {"illegal_ignition", "车辆非法点火"},
	28: {"illegal_displacement", "车辆非法位移"},
	29: {"collision_warning", "碰撞预警"},
	30: {"rollover_warning", "侧翻预警"},
	31: {"illegal_door_open", "非法开门报警"},
}

func alarmName(bit int, v Version) bitName {
	if v == V2019 {
		switch bit {
		case 15:
			return bitName{"illegal_driving", "违规行驶报警"}
		case 16:
			return bitName{"tyre_pressure_warning", "胎压预警"}
		case 17:
			return bitName{"right_turn_blind_spot", "右转盲区异常报警"}
		case 31:
			return bitName{}
		}
	}
	return alarmNames2013[bit]
}

// Flags returns the named bits set in the alarm word for version v; set
// bits the version reserves are named "reserved_<bit>".
func (a Alarm) Flags(v Version) []Flag {
	var out []Flag
	for bit := range 32 {
		if a&(1<<bit) == 0 {
			continue
		}
		n := alarmName(bit, v)
		if n.en == "" {
			n = bitName{fmt.Sprintf("reserved_%d", bit), "保留"}
		}
		out = append(out, Flag{bit, n.en, n.zh})
	}
	return out
}

// Has reports whether bit is set.
func (a Alarm) Has(bit int) bool { return bit >= 0 && bit < 32 && a&(1<<bit) != 0 }

// Status bits (1 = the named condition).
var statusNames = [32]bitName{
	0:  {"acc_on", "ACC开"},
	1:  {"fixed", "已定位"},
	2:  {"south_latitude", "南纬"},
	3:  {"west_longitude", "西经"},
	4:  {"out_of_service", "停运状态"},
	5:  {"coordinates_encrypted", "经纬度已经保密插件加密"},
	6:  {"forward_collision_warning", "紧急刹车系统采集的前撞预警"},
	7:  {"lane_departure_warning", "车道偏移预警"},
	10: {"fuel_circuit_cut", "车辆油路断开"},
	11: {"electric_circuit_cut", "车辆电路断开"},
	12: {"doors_locked", "车门加锁"},
	13: {"door1_open", "门1开(前门)"},
	14: {"door2_open", "门2开(中门)"},
	15: {"door3_open", "门3开(后门)"},
	16: {"door4_open", "门4开(驾驶席门)"},
	17: {"door5_open", "门5开(自定义)"},
	18: {"gps_used", "使用GPS卫星定位"},
	19: {"beidou_used", "使用北斗卫星定位"},
	20: {"glonass_used", "使用GLONASS卫星定位"},
	21: {"galileo_used", "使用Galileo卫星定位"},
	22: {"moving", "车辆处于行驶状态"},
}

// Status bit accessors for the ones callers branch on.
func (s Status) ACC() bool   { return s&(1<<0) != 0 }
func (s Status) Fixed() bool { return s&(1<<1) != 0 }

// Load returns bits 8-9: 0 empty, 1 half, 2 reserved, 3 full.
func (s Status) Load() uint8 { return uint8(s>>8) & 3 }

// Flags returns the named bits set in the status word, and the load state
// (bits 8-9) as "load_half"/"load_full"/"load_reserved" when not empty.
// Bits 6, 7 and 22 are 2019 additions and named only for V2019.
func (s Status) Flags(v Version) []Flag {
	var out []Flag
	for bit := range 32 {
		if bit == 8 || bit == 9 || s&(1<<bit) == 0 {
			continue
		}
		n := statusNames[bit]
		if v != V2019 && (bit == 6 || bit == 7 || bit == 22) {
			n = bitName{}
		}
		if n.en == "" {
			n = bitName{fmt.Sprintf("reserved_%d", bit), "保留"}
		}
		out = append(out, Flag{bit, n.en, n.zh})
	}
	switch s.Load() {
	case 1:
		out = append(out, Flag{8, "load_half", "半载"})
	case 2:
		out = append(out, Flag{8, "load_reserved", "保留"})
	case 3:
		out = append(out, Flag{8, "load_full", "满载"})
	}
	return out
}

// wordJSON is the explained form of an alarm or status word.
type wordJSON struct {
	Value uint32 `json:"value"`
	Hex   string `json:"hex"`
	Flags []Flag `json:"flags"`
}

func explainWord(v uint32, flags []Flag) wordJSON {
	if flags == nil {
		flags = []Flag{}
	}
	return wordJSON{v, fmt.Sprintf("0x%08X", v), flags}
}

// MarshalJSON writes the value with its named bits (2013 names).
func (a Alarm) MarshalJSON() ([]byte, error) {
	return json.Marshal(explainWord(uint32(a), a.Flags(V2013)))
}

// MarshalJSON writes the value with its named bits (2013 names).
func (s Status) MarshalJSON() ([]byte, error) {
	return json.Marshal(explainWord(uint32(s), s.Flags(V2013)))
}
