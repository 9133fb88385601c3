package registry

import (
	"strconv"
	"strings"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sheet"
)

// Chinese labels of the code lists, as clerks write them in spreadsheets.
// Imports accept the label or the code; exports write the label.
var (
	scopeLabels = map[BusinessScope]string{ScopeScheduledCoach: "班线客运", ScopeCharter: "包车客运", ScopeTourism: "旅游客运",
		ScopeHazmat: "危险货物运输", ScopeGeneralFreight: "普通货运", ScopeTaxi: "出租汽车", ScopeBus: "城市公交",
		ScopeRideHailing: "网约车", ScopeMaintenance: "机动车维修", ScopeTraining: "驾驶员培训"}
	operatorStatusLabels = map[OperatorStatus]string{OperatorActive: "营业", OperatorSuspended: "停业", OperatorCancelled: "注销"}
	categoryLabels       = map[VehicleCategory]string{CategoryCoach: "班线客车", CategoryCharter: "包车客车", CategoryTourism: "旅游客车",
		CategoryHazmat: "危险货物运输车", CategoryHeavyTruck: "重型货车", CategoryTractor: "半挂牵引车", CategoryTruck: "普通货车",
		CategoryTaxi: "出租车", CategoryBus: "公交车", CategoryTrailer: "挂车"}
	vehicleStatusLabels = map[VehicleStatus]string{VehicleInService: "营运", VehicleOutOfService: "停运", VehicleScrapped: "报废"}
	qualificationLabels = map[QualificationCategory]string{QualPassengerDriver: "道路旅客运输驾驶员", QualFreightDriver: "道路货物运输驾驶员",
		QualHazmatDriver: "道路危险货物运输驾驶员", QualHazmatLoader: "道路危险货物运输装卸管理人员", QualHazmatEscort: "道路危险货物运输押运人员",
		QualTaxiDriver: "出租汽车驾驶员", QualRideHailingDriver: "网络预约出租汽车驾驶员", QualMaintenanceTechnic: "机动车维修技术人员"}
	stationLevelLabels = map[StationLevel]string{StationLevel1: "一级", StationLevel2: "二级", StationLevel3: "三级", StationLevel4: "四级",
		StationLevel5: "五级", StationSimple: "简易站", StationStop: "招呼站"}
	lineClassLabels = map[LineClass]string{LineClass1: "一类", LineClass2: "二类", LineClass3: "三类", LineClass4: "四类"}
)

// Label returns the Chinese name of a business scope.
func (s BusinessScope) Label() string { return scopeLabels[s] }

// Label returns the Chinese name of a vehicle category.
func (c VehicleCategory) Label() string { return categoryLabels[c] }

// Label returns the Chinese name of a qualification category.
func (q QualificationCategory) Label() string { return qualificationLabels[q] }

// fromLabel reads a code-list cell: the code itself or its Chinese label
// (with or without a trailing 站/客车 style suffix the label already has).
// An unknown value is returned unchanged for the validator to reject.
func fromLabel[E ~string](cell string, labels map[E]string) E {
	cell = strings.TrimSpace(cell)
	for code, label := range labels {
		if cell == string(code) || cell == label || strings.EqualFold(cell, string(code)) {
			return code
		}
	}
	// "一级站" for "一级"
	for code, label := range labels {
		if strings.TrimSuffix(cell, "站") == label {
			return code
		}
	}
	return E(cell)
}

// classesCell reads a list of dangerous-goods classes ("2.1、3、第8类"): nil
// when the sheet has no such column (an update keeps the stored list), an
// empty list for an empty cell.
func classesCell(row sheet.Row, key string) []string {
	if !row.Has(key) {
		return nil
	}
	out := []string{}
	for _, part := range strings.FieldsFunc(row.Get(key), func(r rune) bool { return strings.ContainsRune("、,，;；/ ", r) }) {
		part = strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(part, "第"), "类"), "项")
		if part != "" {
			out = append(out, part)
		}
	}
	return out
}

func intCell(row sheet.Row, key string, inv *apperr.Invalid) int {
	s := strings.TrimSpace(row.Get(key))
	if s == "" {
		return 0
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, ".0"), ".00")
	n, err := strconv.Atoi(s)
	if err != nil {
		inv.Add(key, "应为整数 (must be a whole number)", s)
	}
	return n
}

func floatCell(row sheet.Row, key string, inv *apperr.Invalid) float64 {
	s := strings.TrimSpace(row.Get(key))
	if s == "" {
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		inv.Add(key, "应为数字 (must be a number)", s)
	}
	return f
}

func dateCell(row sheet.Row, key string, inv *apperr.Invalid) civil.Date {
	d, err := row.Date(key)
	if err != nil {
		inv.Add(key, err.Error(), row.Get(key))
	}
	return d
}

func plateColorCell(row sheet.Row, inv *apperr.Invalid) PlateColor {
	s := strings.TrimSpace(row.Get("plate_color"))
	for _, c := range []PlateColor{PlateBlue, PlateYellow, PlateBlack, PlateWhite, PlateGreen, PlateOther, PlateYellowGreen} {
		if s == c.Label() || s == strings.TrimSuffix(c.Label(), "色") || s == strconv.Itoa(int(c)) {
			return c
		}
	}
	if s == "" {
		inv.Add("plate_color", "必填 (required)", nil)
	} else {
		inv.Add("plate_color", "号牌颜色无效：蓝色/黄色/黑色/白色/绿色/黄绿色/其他 或 JT/T 697.7 代码", s)
	}
	return 0
}

// opColumn is the operator column of the imports: a credit code or a name.
func opColumn(required bool) sheet.Column {
	return sheet.Column{Key: "operator", Header: "所属业户", Required: required,
		Aliases: []string{"业户", "经营业户", "所属企业", "企业名称", "业户统一社会信用代码", "operator", "operator_credit_code"}}
}

var regionColumn = sheet.Column{Key: "region", Header: "行政区划代码", Required: true, Aliases: []string{"区划代码", "所属区划", "region_code"}}

var operatorImport = &importer[Operator]{
	k: operatorKind,
	schema: sheet.MustSchema(
		sheet.Column{Key: "name", Header: "业户名称", Required: true, Aliases: []string{"企业名称", "名称"}},
		sheet.Column{Key: "credit_code", Header: "统一社会信用代码", Required: true, Aliases: []string{"信用代码", "社会信用代码"}, Width: 22},
		regionColumn,
		sheet.Column{Key: "scopes", Header: "经营范围", Aliases: []string{"经营范围(多项用、分隔)"}, Width: 30},
		sheet.Column{Key: "licence_no", Header: "道路运输经营许可证号", Aliases: []string{"经营许可证号", "许可证号"}},
		sheet.Column{Key: "licence_issued", Header: "发证日期", Kind: sheet.Date, Aliases: []string{"许可证发证日期"}},
		sheet.Column{Key: "licence_valid_until", Header: "有效期至", Kind: sheet.Date, Aliases: []string{"许可证有效期至", "有效期止"}},
		sheet.Column{Key: "legal_representative", Header: "法定代表人", Aliases: []string{"法人代表", "法人"}},
		sheet.Column{Key: "contact_person", Header: "联系人"},
		sheet.Column{Key: "contact_phone", Header: "联系电话", Aliases: []string{"电话"}},
		sheet.Column{Key: "address", Header: "经营地址", Aliases: []string{"地址"}, Width: 30},
		sheet.Column{Key: "status", Header: "经营状态", Aliases: []string{"状态"}},
		sheet.Column{Key: "hazmat_classes", Header: "危货经营类别", Aliases: []string{"危险货物经营范围", "危险货物类别", "危货类别"}, Width: 16},
	),
	parse: func(row sheet.Row, _ *operatorIndex, inv *apperr.Invalid) *Operator {
		v := &Operator{OperatorFields: OperatorFields{Name: row.Get("name"), CreditCode: row.Get("credit_code"), Region: row.Get("region"),
			LicenceNo: row.Get("licence_no"), LicenceIssued: dateCell(row, "licence_issued", inv),
			LicenceValidUntil: dateCell(row, "licence_valid_until", inv), LegalRepresentative: row.Get("legal_representative"),
			ContactPerson: row.Get("contact_person"), ContactPhone: row.Get("contact_phone"), Address: row.Get("address"),
			Status: fromLabel(row.Get("status"), operatorStatusLabels), HazmatClasses: classesCell(row, "hazmat_classes")}}
		for _, part := range strings.FieldsFunc(row.Get("scopes"), func(r rune) bool { return strings.ContainsRune("、,，;；/ ", r) }) {
			v.Scopes = append(v.Scopes, fromLabel(part, scopeLabels))
		}
		for i := range v.Scopes { // problems name the column, not scopes[i]
			if _, ok := scopeLabels[v.Scopes[i]]; !ok {
				inv.Add("scopes", "经营范围无效 (unknown business scope)", string(v.Scopes[i]))
				v.Scopes = nil
				break
			}
		}
		return v
	},
	row: func(v *Operator, _ *operatorIndex) []any {
		labels := make([]string, len(v.Scopes))
		for i, s := range v.Scopes {
			labels[i] = s.Label()
		}
		return []any{v.Name, v.CreditCode, v.Region, strings.Join(labels, "、"), v.LicenceNo, v.LicenceIssued, v.LicenceValidUntil,
			v.LegalRepresentative, v.ContactPerson, v.ContactPhone, v.Address, operatorStatusLabels[v.Status], strings.Join(v.HazmatClasses, "、")}
	},
	keyQuery: "SELECT id, region, id, credit_code FROM registry_operators",
	keyNames: []string{"credit_code"},
	keysOf:   func(v *Operator) []string { return []string{v.CreditCode} },
	// a sheet without the dangerous-goods classes column keeps them
	carry: func(old, v *Operator) {
		if v.HazmatClasses == nil {
			v.HazmatClasses = old.HazmatClasses
		}
	},
}

var vehicleImport = &importer[Vehicle]{
	k: vehicleKind,
	schema: sheet.MustSchema(
		sheet.Column{Key: "plate", Header: "车牌号码", Required: true, Aliases: []string{"车牌号", "号牌号码", "车牌"}},
		sheet.Column{Key: "plate_color", Header: "车牌颜色", Required: true, Aliases: []string{"号牌颜色", "颜色"}},
		sheet.Column{Key: "vin", Header: "车辆识别代号", Required: true, Aliases: []string{"车架号", "VIN码", "车辆识别代码"}, Width: 20},
		sheet.Column{Key: "vehicle_type", Header: "车辆类型"},
		sheet.Column{Key: "category", Header: "营运类别", Required: true, Aliases: []string{"车辆类别", "类别"}},
		sheet.Column{Key: "seats", Header: "核定载客", Kind: sheet.Number, Aliases: []string{"座位数", "核定载客人数"}},
		sheet.Column{Key: "rated_load_kg", Header: "核定载质量(kg)", Kind: sheet.Number, Aliases: []string{"核定载质量", "核定载重"}},
		sheet.Column{Key: "axles", Header: "轴数", Kind: sheet.Number},
		opColumn(true),
		regionColumn,
		sheet.Column{Key: "transport_cert_no", Header: "道路运输证号", Aliases: []string{"运输证号"}},
		sheet.Column{Key: "transport_cert_valid_until", Header: "道路运输证有效期至", Kind: sheet.Date, Aliases: []string{"运输证有效期至", "有效期至"}},
		sheet.Column{Key: "terminal_phone", Header: "终端手机号", Aliases: []string{"SIM卡号", "终端SIM卡号", "sim"}},
		sheet.Column{Key: "terminal_id", Header: "终端ID", Aliases: []string{"终端编号"}},
		sheet.Column{Key: "terminal_model", Header: "终端型号"},
		sheet.Column{Key: "terminal_maker", Header: "终端厂商", Aliases: []string{"终端制造商"}},
		sheet.Column{Key: "status", Header: "营运状态", Aliases: []string{"车辆状态", "状态"}},
		sheet.Column{Key: "hazmat_classes", Header: "危货适装类别", Aliases: []string{"可运危险货物类别", "危险货物类别", "危货类别"}, Width: 16},
	),
	parse: func(row sheet.Row, ops *operatorIndex, inv *apperr.Invalid) *Vehicle {
		return &Vehicle{VehicleFields: VehicleFields{Plate: row.Get("plate"), PlateColor: plateColorCell(row, inv), VIN: row.Get("vin"),
			VehicleType: row.Get("vehicle_type"), Category: fromLabel(row.Get("category"), categoryLabels),
			Seats: intCell(row, "seats", inv), RatedLoadKg: intCell(row, "rated_load_kg", inv), Axles: intCell(row, "axles", inv),
			OperatorID: ops.resolve(row.Get("operator"), "operator", true, inv), Region: row.Get("region"),
			TransportCertNo: row.Get("transport_cert_no"), TransportCertUntil: dateCell(row, "transport_cert_valid_until", inv),
			TerminalPhone: row.Get("terminal_phone"), TerminalID: row.Get("terminal_id"), TerminalModel: row.Get("terminal_model"),
			TerminalMaker: row.Get("terminal_maker"), Status: fromLabel(row.Get("status"), vehicleStatusLabels),
			HazmatClasses: classesCell(row, "hazmat_classes")}}
	},
	row: func(v *Vehicle, ops *operatorIndex) []any {
		return []any{v.Plate, v.PlateColor.Label(), v.VIN, v.VehicleType, v.Category.Label(), v.Seats, v.RatedLoadKg, v.Axles,
			ops.label(v.OperatorID), v.Region, v.TransportCertNo, v.TransportCertUntil, v.TerminalPhone, v.TerminalID,
			v.TerminalModel, v.TerminalMaker, vehicleStatusLabels[v.Status], strings.Join(v.HazmatClasses, "、")}
	},
	keyQuery: "SELECT id, region, operator_id, plate || '|' || CAST(plate_color AS TEXT), vin, terminal_phone FROM registry_vehicles",
	keyNames: []string{"plate", "vin", "terminal_phone"},
	keysOf: func(v *Vehicle) []string {
		return []string{v.Plate + "|" + strconv.Itoa(int(v.PlateColor)), v.VIN, v.TerminalPhone}
	},
	carry: func(old, v *Vehicle) {
		if v.OperatorID == old.OperatorID {
			v.DriverID = old.DriverID
		}
		if v.HazmatClasses == nil { // a sheet without the column keeps them
			v.HazmatClasses = old.HazmatClasses
		}
	},
}

var practitionerImport = &importer[Practitioner]{
	k: practitionerKind,
	schema: sheet.MustSchema(
		sheet.Column{Key: "name", Header: "姓名", Required: true},
		sheet.Column{Key: "id_number", Header: "身份证号码", Required: true, Aliases: []string{"身份证号", "公民身份号码"}, Width: 22},
		sheet.Column{Key: "phone", Header: "联系电话", Aliases: []string{"手机号", "电话"}},
		sheet.Column{Key: "cert_no", Header: "从业资格证号", Aliases: []string{"资格证号"}},
		sheet.Column{Key: "category", Header: "从业资格类别", Required: true, Aliases: []string{"资格类别", "类别"}, Width: 28},
		sheet.Column{Key: "cert_valid_until", Header: "从业资格证有效期至", Kind: sheet.Date, Aliases: []string{"资格证有效期至", "有效期至"}},
		opColumn(false),
		regionColumn,
	),
	parse: func(row sheet.Row, ops *operatorIndex, inv *apperr.Invalid) *Practitioner {
		return &Practitioner{PractitionerFields: PractitionerFields{Name: row.Get("name"), IDNumber: row.Get("id_number"),
			Phone: row.Get("phone"), CertNo: row.Get("cert_no"), Category: fromLabel(row.Get("category"), qualificationLabels),
			CertUntil: dateCell(row, "cert_valid_until", inv), OperatorID: ops.resolve(row.Get("operator"), "operator", false, inv),
			Region: row.Get("region")}}
	},
	row: func(v *Practitioner, ops *operatorIndex) []any {
		return []any{v.Name, v.IDNumber, v.Phone, v.CertNo, v.Category.Label(), v.CertUntil, ops.label(v.OperatorID), v.Region}
	},
	keyQuery: "SELECT id, region, operator_id, id_number FROM registry_practitioners",
	keyNames: []string{"id_number"},
	keysOf:   func(v *Practitioner) []string { return []string{v.IDNumber} },
}

var stationImport = &importer[Station]{
	k: stationKind,
	schema: sheet.MustSchema(
		sheet.Column{Key: "name", Header: "站名", Required: true, Aliases: []string{"客运站名称", "名称"}},
		sheet.Column{Key: "level", Header: "站级", Required: true, Aliases: []string{"等级", "客运站等级"}},
		sheet.Column{Key: "address", Header: "地址", Width: 30},
		sheet.Column{Key: "lon", Header: "经度", Required: true, Kind: sheet.Number, Aliases: []string{"经度(WGS-84)", "longitude"}},
		sheet.Column{Key: "lat", Header: "纬度", Required: true, Kind: sheet.Number, Aliases: []string{"纬度(WGS-84)", "latitude"}},
		opColumn(false),
		regionColumn,
		sheet.Column{Key: "contact_person", Header: "联系人"},
		sheet.Column{Key: "contact_phone", Header: "联系电话", Aliases: []string{"电话"}},
	),
	parse: func(row sheet.Row, ops *operatorIndex, inv *apperr.Invalid) *Station {
		return &Station{StationFields: StationFields{Name: row.Get("name"), Level: fromLabel(row.Get("level"), stationLevelLabels),
			Address: row.Get("address"), Lon: floatCell(row, "lon", inv), Lat: floatCell(row, "lat", inv),
			OperatorID: ops.resolve(row.Get("operator"), "operator", false, inv), Region: row.Get("region"),
			ContactPerson: row.Get("contact_person"), ContactPhone: row.Get("contact_phone")}}
	},
	row: func(v *Station, ops *operatorIndex) []any {
		return []any{v.Name, stationLevelLabels[v.Level], v.Address, v.Lon, v.Lat, ops.label(v.OperatorID), v.Region, v.ContactPerson, v.ContactPhone}
	},
	// A station is identified by its name within its region.
	keyQuery: "SELECT id, region, operator_id, region || '|' || name FROM registry_stations",
	keyNames: []string{"name"},
	keysOf:   func(v *Station) []string { return []string{v.Region + "|" + v.Name} },
}

var vesselImport = &importer[Vessel]{
	k: vesselKind,
	schema: sheet.MustSchema(
		sheet.Column{Key: "name", Header: "船名", Required: true, Aliases: []string{"船舶名称"}},
		sheet.Column{Key: "mmsi", Header: "MMSI", Required: true, Aliases: []string{"水上移动通信业务标识码"}},
		sheet.Column{Key: "imo", Header: "IMO编号", Aliases: []string{"IMO"}},
		sheet.Column{Key: "call_sign", Header: "呼号"},
		sheet.Column{Key: "vessel_type", Header: "船舶类型", Aliases: []string{"类型"}},
		sheet.Column{Key: "gross_tonnage", Header: "总吨", Kind: sheet.Number, Aliases: []string{"总吨位"}},
		opColumn(false),
		sheet.Column{Key: "port_of_registry", Header: "船籍港"},
		regionColumn,
	),
	parse: func(row sheet.Row, ops *operatorIndex, inv *apperr.Invalid) *Vessel {
		return &Vessel{VesselFields: VesselFields{Name: row.Get("name"), MMSI: row.Get("mmsi"), IMO: row.Get("imo"),
			CallSign: row.Get("call_sign"), VesselType: row.Get("vessel_type"), GrossTonnage: floatCell(row, "gross_tonnage", inv),
			OperatorID: ops.resolve(row.Get("operator"), "operator", false, inv), PortOfRegistry: row.Get("port_of_registry"),
			Region: row.Get("region")}}
	},
	row: func(v *Vessel, ops *operatorIndex) []any {
		return []any{v.Name, v.MMSI, v.IMO, v.CallSign, v.VesselType, v.GrossTonnage, ops.label(v.OperatorID), v.PortOfRegistry, v.Region}
	},
	keyQuery: "SELECT id, region, operator_id, mmsi FROM registry_vessels",
	keyNames: []string{"mmsi"},
	keysOf:   func(v *Vessel) []string { return []string{v.MMSI} },
}

// routeExport writes routes as a table; routes are not imported from
// spreadsheets, their geometry and timetable do not fit in cells.
var routeExport = &importer[Route]{
	k: routeKind,
	schema: sheet.MustSchema(
		sheet.Column{Key: "code", Header: "班线编号"},
		sheet.Column{Key: "name", Header: "班线名称"},
		opColumn(false),
		regionColumn,
		sheet.Column{Key: "origin_station_id", Header: "起点站ID", Kind: sheet.Number},
		sheet.Column{Key: "destination_station_id", Header: "终点站ID", Kind: sheet.Number},
		sheet.Column{Key: "line_class", Header: "班线类别"},
		sheet.Column{Key: "distance_km", Header: "里程(km)", Kind: sheet.Number},
		sheet.Column{Key: "departures", Header: "发班时间"},
		sheet.Column{Key: "vehicles", Header: "配置车辆数", Kind: sheet.Number},
		sheet.Column{Key: "valid_until", Header: "有效期至", Kind: sheet.Date},
	),
	row: func(v *Route, ops *operatorIndex) []any {
		return []any{v.Code, v.Name, ops.label(v.OperatorID), v.Region, v.OriginStationID, v.DestinationStationID,
			lineClassLabels[v.LineClass], v.DistanceKm, strings.Join(v.Schedule.Departures, " "), len(v.VehicleIDs), v.ValidUntil}
	},
}
