package jt808

import "fmt"

// Message IDs. The prefix says the direction: Msg0xxx terminal → platform,
// Msg8xxx platform → terminal.
const (
	MsgTerminalResponse   uint16 = 0x0001 // 终端通用应答
	MsgHeartbeat          uint16 = 0x0002 // 终端心跳
	MsgDeregister         uint16 = 0x0003 // 终端注销
	MsgQueryServerTime    uint16 = 0x0004 // 查询服务器时间 (2019)
	MsgTerminalResend     uint16 = 0x0005 // 终端补传分包请求 (2019)
	MsgRegister           uint16 = 0x0100 // 终端注册
	MsgAuth               uint16 = 0x0102 // 终端鉴权
	MsgParameters         uint16 = 0x0104 // 查询终端参数应答
	MsgAttributes         uint16 = 0x0107 // 查询终端属性应答
	MsgUpgradeResult      uint16 = 0x0108 // 终端升级结果通知
	MsgLocation           uint16 = 0x0200 // 位置信息汇报
	MsgLocationReply      uint16 = 0x0201 // 位置信息查询应答
	MsgEventReport        uint16 = 0x0301 // 事件报告 (2019 deleted)
	MsgQuestionReply      uint16 = 0x0302 // 提问应答 (2019 deleted)
	MsgVehicleControlRep  uint16 = 0x0500 // 车辆控制应答
	MsgAreaQueryReply     uint16 = 0x0608 // 查询区域或线路数据应答 (2019)
	MsgTachographData     uint16 = 0x0700 // 行驶记录数据上传
	MsgWaybill            uint16 = 0x0701 // 电子运单上报
	MsgDriverIdentity     uint16 = 0x0702 // 驾驶员身份信息采集上报
	MsgLocationBatch      uint16 = 0x0704 // 定位数据批量上传
	MsgCANData            uint16 = 0x0705 // CAN 总线数据上传
	MsgMediaEvent         uint16 = 0x0800 // 多媒体事件信息上传
	MsgMediaData          uint16 = 0x0801 // 多媒体数据上传
	MsgMediaSearchReply   uint16 = 0x0802 // 存储多媒体数据检索应答
	MsgPhotoReply         uint16 = 0x0805 // 摄像头立即拍摄命令应答
	MsgUplinkPassThrough  uint16 = 0x0900 // 数据上行透传
	MsgCompressed         uint16 = 0x0901 // 数据压缩上报
	MsgTerminalRSA        uint16 = 0x0A00 // 终端 RSA 公钥
	MsgPlatformResponse   uint16 = 0x8001 // 平台通用应答
	MsgPlatformResend     uint16 = 0x8003 // 补传分包请求
	MsgServerTime         uint16 = 0x8004 // 查询服务器时间应答 (2019)
	MsgRegisterResponse   uint16 = 0x8100 // 终端注册应答
	MsgSetParameters      uint16 = 0x8103 // 设置终端参数
	MsgQueryParameters    uint16 = 0x8104 // 查询终端参数
	MsgTerminalControl    uint16 = 0x8105 // 终端控制
	MsgQuerySomeParams    uint16 = 0x8106 // 查询指定终端参数
	MsgQueryAttributes    uint16 = 0x8107 // 查询终端属性
	MsgUpgrade            uint16 = 0x8108 // 下发终端升级包
	MsgQueryLocation      uint16 = 0x8201 // 位置信息查询
	MsgTrackLocation      uint16 = 0x8202 // 临时位置跟踪控制
	MsgConfirmAlarm       uint16 = 0x8203 // 人工确认报警消息
	MsgLinkCheck          uint16 = 0x8204 // 链路检测 (2019)
	MsgText               uint16 = 0x8300 // 文本信息下发
	MsgCallBack           uint16 = 0x8400 // 电话回拨
	MsgPhoneBook          uint16 = 0x8401 // 设置电话本
	MsgVehicleControl     uint16 = 0x8500 // 车辆控制
	MsgSetCircleAreas     uint16 = 0x8600 // 设置圆形区域
	MsgDeleteCircleAreas  uint16 = 0x8601 // 删除圆形区域
	MsgSetRectangleAreas  uint16 = 0x8602 // 设置矩形区域
	MsgDeleteRectangles   uint16 = 0x8603 // 删除矩形区域
	MsgSetPolygonArea     uint16 = 0x8604 // 设置多边形区域
	MsgDeletePolygonAreas uint16 = 0x8605 // 删除多边形区域
	MsgSetRoute           uint16 = 0x8606 // 设置路线
	MsgDeleteRoutes       uint16 = 0x8607 // 删除路线
	MsgQueryAreas         uint16 = 0x8608 // 查询区域或线路数据 (2019)
	MsgTachographCommand  uint16 = 0x8700 // 行驶记录数据采集命令
	MsgMediaDataReply     uint16 = 0x8800 // 多媒体数据上传应答
	MsgTakePhoto          uint16 = 0x8801 // 摄像头立即拍摄命令
	MsgDownlinkPassThru   uint16 = 0x8900 // 数据下行透传
	MsgPlatformRSA        uint16 = 0x8A00 // 平台 RSA 公钥
)

type msgName struct{ en, zh string }

func msgNames(id uint16) (msgName, bool) {
	switch id {
	case 0x0001:
		return msgName{"terminal general response", "终端通用应答"}, true
	case 0x0002:
		return msgName{"heartbeat", "终端心跳"}, true
	case 0x0003:
		return msgName{"deregister", "终端注销"}, true
	case 0x0004:
		return msgName{"query server time", "查询服务器时间请求"}, true
	case 0x0005:
		return msgName{"terminal re-send request", "终端补传分包请求"}, true
	case 0x0100:
		return msgName{"register", "终端注册"}, true
	case 0x0102:
		return msgName{"authentication", "终端鉴权"}, true
	case 0x0104:
		return msgName{"parameters reply", "查询终端参数应答"}, true
	case 0x0107:
		return msgName{"attributes reply", "查询终端属性应答"}, true
	case 0x0108:
		return msgName{"upgrade result", "终端升级结果通知"}, true
	case 0x0200:
		return msgName{"location report", "位置信息汇报"}, true
	case 0x0201:
		return msgName{"location query reply", "位置信息查询应答"}, true
	case 0x0301:
		return msgName{"event report", "事件报告"}, true
	case 0x0302:
		return msgName{"question reply", "提问应答"}, true
	case 0x0500:
		return msgName{"vehicle control reply", "车辆控制应答"}, true
	case 0x0608:
		return msgName{"area/route query reply", "查询区域或线路数据应答"}, true
	case 0x0700:
		return msgName{"tachograph data upload", "行驶记录数据上传"}, true
	case 0x0701:
		return msgName{"e-waybill report", "电子运单上报"}, true
	case 0x0702:
		return msgName{"driver identity report", "驾驶员身份信息采集上报"}, true
	case 0x0704:
		return msgName{"location batch upload", "定位数据批量上传"}, true
	case 0x0705:
		return msgName{"CAN bus data upload", "CAN总线数据上传"}, true
	case 0x0800:
		return msgName{"multimedia event", "多媒体事件信息上传"}, true
	case 0x0801:
		return msgName{"multimedia data upload", "多媒体数据上传"}, true
	case 0x0802:
		return msgName{"stored media search reply", "存储多媒体数据检索应答"}, true
	case 0x0805:
		return msgName{"take photo reply", "摄像头立即拍摄命令应答"}, true
	case 0x0900:
		return msgName{"uplink pass-through", "数据上行透传"}, true
	case 0x0901:
		return msgName{"compressed data", "数据压缩上报"}, true
	case 0x0A00:
		return msgName{"terminal RSA public key", "终端RSA公钥"}, true
	case 0x8001:
		return msgName{"platform general response", "平台通用应答"}, true
	case 0x8003:
		return msgName{"re-send request", "补传分包请求"}, true
	case 0x8004:
		return msgName{"server time reply", "查询服务器时间应答"}, true
	case 0x8100:
		return msgName{"register response", "终端注册应答"}, true
	case 0x8103:
		return msgName{"set parameters", "设置终端参数"}, true
	case 0x8104:
		return msgName{"query parameters", "查询终端参数"}, true
	case 0x8105:
		return msgName{"terminal control", "终端控制"}, true
	case 0x8106:
		return msgName{"query specified parameters", "查询指定终端参数"}, true
	case 0x8107:
		return msgName{"query attributes", "查询终端属性"}, true
	case 0x8108:
		return msgName{"upgrade package", "下发终端升级包"}, true
	case 0x8201:
		return msgName{"location query", "位置信息查询"}, true
	case 0x8202:
		return msgName{"temporary location tracking", "临时位置跟踪控制"}, true
	case 0x8203:
		return msgName{"manual alarm confirmation", "人工确认报警消息"}, true
	case 0x8204:
		return msgName{"link check", "链路检测"}, true
	case 0x8300:
		return msgName{"text message", "文本信息下发"}, true
	case 0x8400:
		return msgName{"call back", "电话回拨"}, true
	case 0x8401:
		return msgName{"set phone book", "设置电话本"}, true
	case 0x8500:
		return msgName{"vehicle control", "车辆控制"}, true
	case 0x8600:
		return msgName{"set circle areas", "设置圆形区域"}, true
	case 0x8601:
		return msgName{"delete circle areas", "删除圆形区域"}, true
	case 0x8602:
		return msgName{"set rectangle areas", "设置矩形区域"}, true
	case 0x8603:
		return msgName{"delete rectangle areas", "删除矩形区域"}, true
	case 0x8604:
		return msgName{"set polygon area", "设置多边形区域"}, true
	case 0x8605:
		return msgName{"delete polygon areas", "删除多边形区域"}, true
	case 0x8606:
		return msgName{"set route", "设置路线"}, true
	case 0x8607:
		return msgName{"delete routes", "删除路线"}, true
	case 0x8608:
		return msgName{"query areas or routes", "查询区域或线路数据"}, true
	case 0x8700:
		return msgName{"tachograph data command", "行驶记录数据采集命令"}, true
	case 0x8800:
		return msgName{"multimedia data reply", "多媒体数据上传应答"}, true
	case 0x8801:
		return msgName{"take photo", "摄像头立即拍摄命令"}, true
	case 0x8900:
		return msgName{"downlink pass-through", "数据下行透传"}, true
	case 0x8A00:
		return msgName{"platform RSA public key", "平台RSA公钥"}, true
	}
	switch {
	case id >= 0xE000 && id <= 0xEFFF:
		return msgName{"vendor-defined uplink", "厂商自定义上行消息"}, false
	case id >= 0xF000:
		return msgName{"vendor-defined downlink", "厂商自定义下行消息"}, false
	}
	return msgName{}, false
}

// MsgName returns the English name of a message ID, or "unknown".
func MsgName(id uint16) string {
	if n, _ := msgNames(id); n.en != "" {
		return n.en
	}
	return "unknown"
}

// MsgNameZH returns the Chinese name of a message ID, or "未知消息".
func MsgNameZH(id uint16) string {
	if n, _ := msgNames(id); n.zh != "" {
		return n.zh
	}
	return "未知消息"
}

// MsgIDString formats a message ID as the standard writes it ("0x0200").
func MsgIDString(id uint16) string { return fmt.Sprintf("0x%04X", id) }
