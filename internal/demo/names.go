package demo

import "github.com/jiaotong-platform/jiaotong/internal/registry"

// operatorSpec describes one demo enterprise. The names are invented;
// any likeness to a real company is a coincidence.
type operatorSpec struct {
	name    string
	region  string
	scopes  []registry.BusinessScope
	fleet   []fleetSpec
	address string
}

type fleetSpec struct {
	category registry.VehicleCategory
	count    int
}

var (
	coachScopes   = []registry.BusinessScope{registry.ScopeScheduledCoach}
	coachCharter  = []registry.BusinessScope{registry.ScopeScheduledCoach, registry.ScopeCharter}
	charterScopes = []registry.BusinessScope{registry.ScopeCharter}
	hazmatScopes  = []registry.BusinessScope{registry.ScopeHazmat}
	freightScopes = []registry.BusinessScope{registry.ScopeGeneralFreight}
	taxiScopes    = []registry.BusinessScope{registry.ScopeTaxi}
	busScopes     = []registry.BusinessScope{registry.ScopeBus}
	tourScopes    = []registry.BusinessScope{registry.ScopeTourism}
)

func fleet(c registry.VehicleCategory, n int) []fleetSpec { return []fleetSpec{{c, n}} }

// operators is the table of demo enterprises: 31 operators, 300 vehicles.
var operators = []operatorSpec{
	// 班线客运 (scheduled coach): 40 coaches, 4 charter coaches.
	{"成都蜀运长途汽车客运有限公司", RegionJinniu, coachScopes, fleet(registry.CategoryCoach, 8), "金牛区二环路北三段"},
	{"成都城北汽车客运有限责任公司", RegionJinniu, coachScopes, fleet(registry.CategoryCoach, 8), "金牛区站北路"},
	{"四川锦程旅客运输有限公司", RegionJinjiang, coachCharter, []fleetSpec{{registry.CategoryCoach, 8}, {registry.CategoryCharter, 4}}, "锦江区红星路三段"},
	{"成都昭觉客运有限公司", RegionChenghua, coachScopes, fleet(registry.CategoryCoach, 8), "成华区昭觉寺南路"},
	{"成都天府城际客运有限公司", RegionWuhou, coachScopes, fleet(registry.CategoryCoach, 8), "武侯区人民南路四段"},
	// 包车客运 (charter): 26 charter coaches.
	{"成都熊猫旅游包车有限公司", RegionChenghua, charterScopes, fleet(registry.CategoryCharter, 7), "成华区熊猫大道"},
	{"成都锦绣包车客运有限公司", RegionJinjiang, charterScopes, fleet(registry.CategoryCharter, 7), "锦江区东大街"},
	{"四川蜀道包车服务有限公司", RegionQingyang, charterScopes, fleet(registry.CategoryCharter, 6), "青羊区西大街"},
	{"成都青城旅游客运有限公司", RegionWuhou, charterScopes, fleet(registry.CategoryCharter, 6), "武侯区武侯祠大街"},
	// 危险货物运输 (hazmat): 50 tankers.
	{"成都蓉化危险货物运输有限公司", RegionChenghua, hazmatScopes, fleet(registry.CategoryHazmat, 10), "成华区府青路二段"},
	{"成都蓉油物流有限公司", RegionJinniu, hazmatScopes, fleet(registry.CategoryHazmat, 10), "金牛区蓉北商贸大道一段"},
	{"四川安达危险品运输有限公司", RegionWuhou, hazmatScopes, fleet(registry.CategoryHazmat, 10), "武侯区一环路南一段"},
	{"成都金牛燃气运输有限公司", RegionJinniu, hazmatScopes, fleet(registry.CategoryHazmat, 10), "金牛区解放路二段"},
	{"成都东方化工物流有限公司", RegionChenghua, hazmatScopes, fleet(registry.CategoryHazmat, 10), "成华区建设北路二段"},
	// 普通货运 (general freight, heavy trucks): 50.
	{"成都天府重载物流有限公司", RegionChenghua, freightScopes, []fleetSpec{{registry.CategoryHeavyTruck, 6}, {registry.CategoryTractor, 3}}, "成华区二环路东一段"},
	{"成都蓉北货运有限公司", RegionJinniu, freightScopes, []fleetSpec{{registry.CategoryHeavyTruck, 5}, {registry.CategoryTractor, 3}}, "金牛区一环路北二段"},
	{"四川川西运输有限公司", RegionQingyang, freightScopes, fleet(registry.CategoryHeavyTruck, 8), "青羊区蜀都大道"},
	{"成都锦鑫物流有限公司", RegionJinjiang, freightScopes, []fleetSpec{{registry.CategoryHeavyTruck, 5}, {registry.CategoryTractor, 3}}, "锦江区东风路"},
	{"成都武侯货运有限公司", RegionWuhou, freightScopes, fleet(registry.CategoryHeavyTruck, 8), "武侯区高升桥路"},
	{"成都八里庄运输有限公司", RegionChenghua, freightScopes, []fleetSpec{{registry.CategoryHeavyTruck, 6}, {registry.CategoryTractor, 3}}, "成华区八里庄路"},
	// 出租汽车 (taxi): 90.
	{"成都银杏出租汽车有限公司", RegionQingyang, taxiScopes, fleet(registry.CategoryTaxi, 18), "青羊区人民中路"},
	{"成都锦江出租汽车有限公司", RegionJinjiang, taxiScopes, fleet(registry.CategoryTaxi, 18), "锦江区春熙路"},
	{"成都金牛出租汽车有限公司", RegionJinniu, taxiScopes, fleet(registry.CategoryTaxi, 18), "金牛区人民北路"},
	{"成都武侯出租汽车有限公司", RegionWuhou, taxiScopes, fleet(registry.CategoryTaxi, 18), "武侯区人民南路三段"},
	{"成都成华出租汽车有限公司", RegionChenghua, taxiScopes, fleet(registry.CategoryTaxi, 18), "成华区一环路东三段"},
	// 公交 (city bus): 40.
	{"成都蓉城公交第一运营有限公司", RegionQingyang, busScopes, fleet(registry.CategoryBus, 14), "青羊区文武路"},
	{"成都蓉城公交第二运营有限公司", RegionJinniu, busScopes, fleet(registry.CategoryBus, 13), "金牛区北站西一路"},
	{"成都蓉城公交第三运营有限公司", RegionChenghua, busScopes, fleet(registry.CategoryBus, 13), "成华区双林路"},
	// Two more coach companies without vehicles of their own in the demo,
	// and the boat operator of the 锦江 night cruises.
	{"成都五块石汽车客运有限公司", RegionJinniu, coachScopes, nil, "金牛区五块石路"},
	{"成都新南门旅游客运有限公司", RegionJinjiang, coachCharter, nil, "锦江区新南路"},
	{"成都锦江水上游览有限公司", RegionJinjiang, tourScopes, nil, "锦江区合江亭"},
}

// Indexes of operators the rest of the dataset refers to.
const (
	opFirstHazmat = 9  // 成都蓉化危险货物运输有限公司: the demo enterprise user's company
	opBoats       = 30 // 成都锦江水上游览有限公司
)

// stationSpec places a passenger station at an OSM place of the extract.
type stationSpec struct {
	name     string
	place    string // name of the OSM feature
	lat, lon float64
	level    registry.StationLevel
	region   string
	operator int // index, -1 for none
	address  string
}

// stations lists the demo passenger stations; lat/lon are the positions of
// the OSM features, used when the extract does not name them.
var stations = []stationSpec{
	{"城北客运中心", "城北客运站", 30.69801, 104.06480, registry.StationLevel1, RegionJinniu, 1, "金牛区二环路北二段"},
	{"新南门汽车站", "新南门汽车站", 30.65134, 104.07314, registry.StationLevel1, RegionJinjiang, 29, "锦江区新南路"},
	{"昭觉寺汽车站", "昭觉寺汽车站", 30.70728, 104.10208, registry.StationLevel2, RegionChenghua, 3, "成华区昭觉寺横路"},
	{"五块石客运站", "五块石客运站", 30.70406, 104.07041, registry.StationLevel2, RegionJinniu, 28, "金牛区五块石路"},
	{"成都北门汽车站", "成都北门汽车站", 30.68532, 104.08261, registry.StationLevel3, RegionChenghua, -1, "成华区一环路北四段"},
	{"人民北路招呼站", "人民北路", 30.68759, 104.07063, registry.StationLevel5, RegionJinniu, -1, "金牛区人民北路"},
	{"天府广场客运站", "天府广场", 30.65983, 104.06382, registry.StationLevel4, RegionQingyang, -1, "青羊区人民中路一段"},
	{"春熙路客运站", "春熙路", 30.65643, 104.07741, registry.StationLevel4, RegionJinjiang, -1, "锦江区春熙路"},
	{"驷马桥客运站", "驷马桥", 30.69810, 104.09066, registry.StationLevel4, RegionChenghua, -1, "成华区驷马桥路"},
	{"宽窄巷子招呼站", "宽窄巷子", 30.66771, 104.04778, registry.StationLevel5, RegionQingyang, -1, "青羊区长顺上街"},
	{"红星桥客运站", "红星桥", 30.67346, 104.08810, registry.StationLevel4, RegionChenghua, -1, "成华区红星路一段"},
	{"八里庄客运站", "八里庄", 30.68945, 104.11533, registry.StationLevel3, RegionChenghua, -1, "成华区八里庄路"},
	{"骡马市客运站", "骡马市站", 30.66879, 104.06308, registry.StationLevel4, RegionQingyang, -1, "青羊区人民中路二段"},
	{"玉双路招呼站", "玉双路", 30.65634, 104.09618, registry.StationLevel5, RegionChenghua, -1, "成华区玉双路"},
}

// routeSpec is a demo scheduled route (班线) between stations (indexes).
type routeSpec struct {
	code     string
	operator int
	stations []int // origin, stops..., destination
	first    string
	every    int // minutes between departures
	last     string
}

var routes = []routeSpec{
	{"510100-B001", 0, []int{0, 5, 6, 1}, "06:30", 30, "20:00"},
	{"510100-B002", 0, []int{3, 0, 9}, "07:00", 60, "19:00"},
	{"510100-B003", 1, []int{0, 4, 10, 7}, "06:40", 40, "20:20"},
	{"510100-B004", 1, []int{0, 12, 9}, "07:10", 45, "19:40"},
	{"510100-B005", 2, []int{1, 7, 11}, "07:00", 30, "21:00"},
	{"510100-B006", 2, []int{1, 6, 9}, "08:00", 60, "18:00"},
	{"510100-B007", 3, []int{2, 8, 4, 7, 1}, "06:30", 40, "19:50"},
	{"510100-B008", 3, []int{2, 8, 11, 13}, "07:20", 50, "18:40"},
	{"510100-B009", 4, []int{6, 12, 5, 0}, "06:50", 35, "20:15"},
	{"510100-B010", 4, []int{1, 13, 11, 10}, "07:30", 60, "19:30"},
}

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方邹熊秦邱江尹薛段雷侯龙史陶贺顾毛郝龚邵严向汤")

var givenMale = []string{"伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞", "波", "林", "建国", "建华", "志强", "志明", "海涛", "德明", "文杰", "俊杰", "永刚", "国庆", "晓东", "红军", "成林", "小龙", "宇航", "浩然", "子豪", "家豪"}

var givenFemale = []string{"芳", "娟", "敏", "静", "丽", "艳", "霞", "玲", "燕", "琴", "婷", "雪", "慧", "晶", "秀英", "桂英", "丽娟", "晓燕", "春梅", "玉兰", "雨欣", "思雨", "欣怡", "梦瑶"}

// idRegions are the county codes (5101xx) that begin the demo practitioners'
// resident ID numbers: the districts of Chengdu most of them were registered in.
var idRegions = []string{"510104", "510105", "510106", "510107", "510108", "510112", "510113", "510114", "510115", "510121", "510124", "510181"}
