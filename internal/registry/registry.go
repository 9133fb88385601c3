// Package registry is the platform's master data (运政基础数据): the
// operators (业户), vehicles (车), practitioners (人), passenger stations (站),
// scheduled routes (线) and vessels (船) every other module refers to.
//
// Other modules use the root package only: the record types below and the
// *Service methods (Vehicle, Operator, VehicleByTerminalPhone, OperatorRegion,
// ...). Every Service method that reads or changes records acts for the
// principal in the context and applies its data scope (access.Scope): a
// record outside the scope is reported as not found, never as forbidden, so
// its existence is not revealed. Background jobs pass access.System. The two
// identity lookups VehicleByTerminalPhone and OperatorRegion are unscoped:
// they resolve a terminal or an enterprise for the platform itself.
//
// Identity numbers of practitioners (居民身份证号码) are stored in full,
// because regulators need them, and are masked (510104********1234) in every
// read (get, list, export) by a principal without registry write permission.
package registry

import (
	"embed"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

//go:embed migrations
var migrations embed.FS

// Module is the registry's schema, migrated at start-up with the others.
func Module() sqldb.Module {
	return sqldb.NewModule("registry", migrations)
}

// Meta are the fields every record carries. Version counts the changes of a
// record: an update names the version it read (If-Match) and fails with a
// conflict when somebody changed the record in between.
type Meta struct {
	ID        int64     `json:"id" readOnly:"true"`
	Version   int64     `json:"version" readOnly:"true" doc:"Incremented by every change; send it back in If-Match to update"`
	CreatedAt time.Time `json:"created_at" readOnly:"true"`
	UpdatedAt time.Time `json:"updated_at" readOnly:"true"`
}

// BusinessScope is one kind of business an operator is licensed for (经营范围).
type BusinessScope string

// Business scopes.
const (
	ScopeScheduledCoach BusinessScope = "scheduled_coach" // 班线客运
	ScopeCharter        BusinessScope = "charter"         // 包车客运
	ScopeTourism        BusinessScope = "tourism"         // 旅游客运
	ScopeHazmat         BusinessScope = "hazmat"          // 危险货物运输
	ScopeGeneralFreight BusinessScope = "general_freight" // 普通货运
	ScopeTaxi           BusinessScope = "taxi"            // 出租汽车
	ScopeBus            BusinessScope = "bus"             // 城市公交
	ScopeRideHailing    BusinessScope = "ride_hailing"    // 网约车
	ScopeMaintenance    BusinessScope = "maintenance"     // 机动车维修
	ScopeTraining       BusinessScope = "training"        // 驾驶员培训
)

// OperatorStatus is an operator's business state.
type OperatorStatus string

// Operator states.
const (
	OperatorActive    OperatorStatus = "active"    // 营业
	OperatorSuspended OperatorStatus = "suspended" // 停业
	OperatorCancelled OperatorStatus = "cancelled" // 注销
)

// OperatorFields are the editable fields of an operator.
type OperatorFields struct {
	Name                string          `json:"name" minLength:"1" maxLength:"100" doc:"业户名称"`
	CreditCode          string          `json:"credit_code" minLength:"18" maxLength:"18" doc:"统一社会信用代码 (GB 32100, check character validated)"`
	Region              string          `json:"region" minLength:"6" maxLength:"6" doc:"GB/T 2260 code of the registering authority's county or city"`
	Scopes              []BusinessScope `json:"scopes,omitempty" uniqueItems:"true" enum:"scheduled_coach,charter,tourism,hazmat,general_freight,taxi,bus,ride_hailing,maintenance,training" doc:"经营范围"`
	LicenceNo           string          `json:"licence_no,omitempty" maxLength:"50" doc:"道路运输经营许可证号"`
	LicenceIssued       civil.Date      `json:"licence_issued,omitzero"`
	LicenceValidUntil   civil.Date      `json:"licence_valid_until,omitzero"`
	LegalRepresentative string          `json:"legal_representative,omitempty" maxLength:"50" doc:"法定代表人"`
	ContactPerson       string          `json:"contact_person,omitempty" maxLength:"50"`
	ContactPhone        string          `json:"contact_phone,omitempty" maxLength:"20"`
	Address             string          `json:"address,omitempty" maxLength:"200"`
	Status              OperatorStatus  `json:"status,omitempty" enum:"active,suspended,cancelled" doc:"营业 active (default), 停业 suspended, 注销 cancelled"`
	// HazmatClasses is the dangerous-goods part of the licensed scope: a
	// 危货 licence names the classes or divisions it covers, and the
	// e-waybill checks every goods line against it.
	HazmatClasses []string `json:"hazmat_classes,omitempty" uniqueItems:"true" doc:"危险货物经营范围: licensed GB 6944 classes or divisions, e.g. [\"2.1\", \"3\", \"8\"]; a class (\"2\") covers all its divisions"`
}

// Operator is a transport enterprise (业户).
type Operator struct {
	Meta
	OperatorFields
}

// PlateColor is a plate colour code of JT/T 697.7, as JT/T 808 terminals
// report it in registration (0x0100) and parameters (0x0084).
type PlateColor int

// Plate colours.
const (
	PlateBlue        PlateColor = 1  // 蓝色
	PlateYellow      PlateColor = 2  // 黄色
	PlateBlack       PlateColor = 3  // 黑色
	PlateWhite       PlateColor = 4  // 白色
	PlateGreen       PlateColor = 5  // 绿色 (small new-energy)
	PlateOther       PlateColor = 9  // 其他
	PlateYellowGreen PlateColor = 93 // 黄绿色 (large new-energy)
)

// Valid reports whether c is a known colour code.
func (c PlateColor) Valid() bool {
	switch c {
	case PlateBlue, PlateYellow, PlateBlack, PlateWhite, PlateGreen, PlateOther, PlateYellowGreen:
		return true
	}
	return false
}

// Label returns the colour's Chinese name.
func (c PlateColor) Label() string {
	return map[PlateColor]string{1: "蓝色", 2: "黄色", 3: "黑色", 4: "白色", 5: "绿色", 9: "其他", 93: "黄绿色"}[c]
}

// VehicleCategory is the regulatory category of a vehicle; the first seven
// are the key vehicles (重点营运车辆) monitoring watches.
type VehicleCategory string

// Vehicle categories.
const (
	CategoryCoach      VehicleCategory = "coach"       // 班线客车
	CategoryCharter    VehicleCategory = "charter"     // 包车客车
	CategoryTourism    VehicleCategory = "tourism"     // 旅游客车
	CategoryHazmat     VehicleCategory = "hazmat"      // 危险货物运输车
	CategoryHeavyTruck VehicleCategory = "heavy_truck" // 重型货车 (≥ 12 t)
	CategoryTractor    VehicleCategory = "tractor"     // 半挂牵引车
	CategoryTruck      VehicleCategory = "truck"       // 普通货车
	CategoryTaxi       VehicleCategory = "taxi"        // 出租车
	CategoryBus        VehicleCategory = "bus"         // 公交车
	CategoryTrailer    VehicleCategory = "trailer"     // 挂车 (drawn by a tractor; has no terminal)
)

// Passenger reports whether vehicles of the category carry passengers (and so
// state seats rather than a rated load).
func (c VehicleCategory) Passenger() bool {
	switch c {
	case CategoryCoach, CategoryCharter, CategoryTourism, CategoryTaxi, CategoryBus:
		return true
	}
	return false
}

// VehicleStatus is a vehicle's operating state.
type VehicleStatus string

// Vehicle states.
const (
	VehicleInService    VehicleStatus = "in_service"     // 营运
	VehicleOutOfService VehicleStatus = "out_of_service" // 停运
	VehicleScrapped     VehicleStatus = "scrapped"       // 报废
)

// VehicleFields are the editable fields of a vehicle.
type VehicleFields struct {
	Plate              string          `json:"plate" minLength:"7" maxLength:"12" doc:"号牌号码, e.g. 川A12345; separators are dropped"`
	PlateColor         PlateColor      `json:"plate_color" enum:"1,2,3,4,5,9,93" doc:"JT/T 697.7: 1 蓝 2 黄 3 黑 4 白 5 绿 9 其他 93 黄绿"`
	VIN                string          `json:"vin" minLength:"17" maxLength:"17" doc:"车辆识别代号 (ISO 3779 check digit validated)"`
	VehicleType        string          `json:"vehicle_type,omitempty" maxLength:"50" doc:"车辆类型, e.g. 大型普通客车"`
	Category           VehicleCategory `json:"category" enum:"coach,charter,tourism,hazmat,heavy_truck,tractor,truck,taxi,bus,trailer"`
	Seats              int             `json:"seats,omitempty" minimum:"0" maximum:"200" doc:"核定载客 (passenger categories)"`
	RatedLoadKg        int             `json:"rated_load_kg,omitempty" minimum:"0" maximum:"200000" doc:"核定载质量, kg (freight categories)"`
	Axles              int             `json:"axles,omitempty" minimum:"0" maximum:"12"`
	OperatorID         int64           `json:"operator_id" minimum:"1"`
	Region             string          `json:"region" minLength:"6" maxLength:"6" doc:"GB/T 2260 code"`
	TransportCertNo    string          `json:"transport_cert_no,omitempty" maxLength:"50" doc:"道路运输证号"`
	TransportCertUntil civil.Date      `json:"transport_cert_valid_until,omitzero"`
	TerminalPhone      string          `json:"terminal_phone,omitempty" maxLength:"20" doc:"JT/T 808 terminal phone (SIM), unique; leading zeros are dropped"`
	TerminalID         string          `json:"terminal_id,omitempty" maxLength:"30"`
	TerminalModel      string          `json:"terminal_model,omitempty" maxLength:"30"`
	TerminalMaker      string          `json:"terminal_maker,omitempty" maxLength:"30" doc:"terminal manufacturer ID"`
	Status             VehicleStatus   `json:"status,omitempty" enum:"in_service,out_of_service,scrapped" doc:"营运 in_service (default), 停运, 报废"`
	// HazmatClasses says what a dangerous-goods vehicle (or trailer) is
	// approved to carry; empty means it is not approved for dangerous goods.
	HazmatClasses []string `json:"hazmat_classes,omitempty" uniqueItems:"true" doc:"GB 6944 classes or divisions the vehicle is approved to carry (危货车辆/罐体适装类别), e.g. [\"3\"]; a class covers all its divisions"`
	// DriverID names the vehicle's main driver (主驾驶员) so the monitoring
	// console can say who is at the wheel without a terminal that reports
	// driver identification (0x0702).
	DriverID int64 `json:"driver_id,omitempty" minimum:"0" doc:"主驾驶员: id of a practitioner of the vehicle's operator holding a driver qualification (0: none)"`
}

// Vehicle is a road transport vehicle.
type Vehicle struct {
	Meta
	VehicleFields
}

// Gender is derived from a resident ID number.
type Gender string

// Genders.
const (
	GenderMale   Gender = "male"
	GenderFemale Gender = "female"
)

// QualificationCategory is the category of a qualification certificate (从业资格证).
type QualificationCategory string

// Qualification categories.
const (
	QualPassengerDriver    QualificationCategory = "passenger_driver"     // 道路旅客运输驾驶员
	QualFreightDriver      QualificationCategory = "freight_driver"       // 道路货物运输驾驶员
	QualHazmatDriver       QualificationCategory = "hazmat_driver"        // 道路危险货物运输驾驶员
	QualHazmatLoader       QualificationCategory = "hazmat_loader"        // 道路危险货物运输装卸管理人员
	QualHazmatEscort       QualificationCategory = "hazmat_escort"        // 道路危险货物运输押运人员
	QualTaxiDriver         QualificationCategory = "taxi_driver"          // 出租汽车驾驶员
	QualRideHailingDriver  QualificationCategory = "ride_hailing_driver"  // 网络预约出租汽车驾驶员
	QualMaintenanceTechnic QualificationCategory = "maintenance_engineer" // 机动车维修技术人员
)

// PractitionerFields are the editable fields of a practitioner.
type PractitionerFields struct {
	Name       string                `json:"name" minLength:"1" maxLength:"50"`
	IDNumber   string                `json:"id_number" minLength:"18" maxLength:"18" doc:"居民身份证号码 (GB 11643 check character validated); masked for readers without write permission"`
	Phone      string                `json:"phone,omitempty" maxLength:"20"`
	CertNo     string                `json:"cert_no,omitempty" maxLength:"50" doc:"从业资格证号"`
	Category   QualificationCategory `json:"category" enum:"passenger_driver,freight_driver,hazmat_driver,hazmat_loader,hazmat_escort,taxi_driver,ride_hailing_driver,maintenance_engineer"`
	CertUntil  civil.Date            `json:"cert_valid_until,omitzero"`
	OperatorID int64                 `json:"operator_id,omitempty" minimum:"0" doc:"employer (0: none)"`
	Region     string                `json:"region" minLength:"6" maxLength:"6"`
}

// Practitioner is a person working in road transport (从业人员).
type Practitioner struct {
	Meta
	PractitionerFields
	Gender    Gender     `json:"gender" readOnly:"true" doc:"derived from the ID number"`
	BirthDate civil.Date `json:"birth_date" readOnly:"true" doc:"derived from the ID number"`
}

// StationLevel is the grade of a passenger station.
type StationLevel string

// Station levels.
const (
	StationLevel1 StationLevel = "level1" // 一级站
	StationLevel2 StationLevel = "level2" // 二级站
	StationLevel3 StationLevel = "level3" // 三级站
	StationLevel4 StationLevel = "level4" // 四级站
	StationLevel5 StationLevel = "level5" // 五级站
	StationSimple StationLevel = "simple" // 简易站
	StationStop   StationLevel = "stop"   // 招呼站
)

// StationFields are the editable fields of a station.
type StationFields struct {
	Name          string       `json:"name" minLength:"1" maxLength:"100"`
	Level         StationLevel `json:"level" enum:"level1,level2,level3,level4,level5,simple,stop"`
	Address       string       `json:"address,omitempty" maxLength:"200"`
	Lon           float64      `json:"lon" doc:"WGS-84 longitude"`
	Lat           float64      `json:"lat" doc:"WGS-84 latitude"`
	OperatorID    int64        `json:"operator_id,omitempty" minimum:"0" doc:"operating enterprise (0: none)"`
	Region        string       `json:"region" minLength:"6" maxLength:"6"`
	ContactPerson string       `json:"contact_person,omitempty" maxLength:"50"`
	ContactPhone  string       `json:"contact_phone,omitempty" maxLength:"20"`
}

// Station is a passenger transport station (客运站).
type Station struct {
	Meta
	StationFields
}

// LineClass is the class of a scheduled passenger line.
type LineClass string

// Line classes.
const (
	LineClass1 LineClass = "class1" // 一类: inter-provincial
	LineClass2 LineClass = "class2" // 二类: inter-city within a province
	LineClass3 LineClass = "class3" // 三类: inter-county within a city
	LineClass4 LineClass = "class4" // 四类: within a county
)

// CorridorGeometry is a GeoJSON LineString in WGS-84 ([lon, lat] pairs).
type CorridorGeometry struct {
	Type        string      `json:"type" enum:"LineString"`
	Coordinates [][]float64 `json:"coordinates" minItems:"2"`
}

// RouteSchedule is a route's approved timetable (批准班次).
type RouteSchedule struct {
	Departures []string `json:"departures,omitempty" doc:"departure times, HH:MM"`
	Days       []int    `json:"days,omitempty" doc:"ISO weekdays 1 (Monday) to 7; empty means every day"`
}

// RouteFields are the editable fields of a route.
type RouteFields struct {
	Code                 string            `json:"code" minLength:"1" maxLength:"50" doc:"班线编号"`
	Name                 string            `json:"name" minLength:"1" maxLength:"100"`
	OperatorID           int64             `json:"operator_id" minimum:"1"`
	Region               string            `json:"region" minLength:"6" maxLength:"6"`
	OriginStationID      int64             `json:"origin_station_id" minimum:"1"`
	DestinationStationID int64             `json:"destination_station_id" minimum:"1"`
	Stops                []int64           `json:"stops,omitempty" doc:"intermediate station ids, in order"`
	Corridor             *CorridorGeometry `json:"corridor,omitempty" doc:"corridor geometry (GeoJSON LineString, WGS-84)"`
	CorridorWidthM       int               `json:"corridor_width_m,omitempty" minimum:"0" maximum:"10000" doc:"default 500"`
	DistanceKm           float64           `json:"distance_km,omitempty" minimum:"0"`
	LineClass            LineClass         `json:"line_class" enum:"class1,class2,class3,class4"`
	VehicleIDs           []int64           `json:"vehicle_ids,omitempty" doc:"assigned coaches of the operator"`
	Schedule             RouteSchedule     `json:"schedule,omitzero"`
	ValidFrom            civil.Date        `json:"valid_from,omitzero"`
	ValidUntil           civil.Date        `json:"valid_until,omitzero"`
}

// Route is a scheduled passenger line (客运班线).
type Route struct {
	Meta
	RouteFields
}

// VesselFields are the editable fields of a vessel.
type VesselFields struct {
	Name           string  `json:"name" minLength:"1" maxLength:"100"`
	MMSI           string  `json:"mmsi" minLength:"9" maxLength:"9"`
	IMO            string  `json:"imo,omitempty" maxLength:"10"`
	CallSign       string  `json:"call_sign,omitempty" maxLength:"20"`
	VesselType     string  `json:"vessel_type,omitempty" maxLength:"50"`
	GrossTonnage   float64 `json:"gross_tonnage,omitempty" minimum:"0"`
	OperatorID     int64   `json:"operator_id,omitempty" minimum:"0"`
	PortOfRegistry string  `json:"port_of_registry,omitempty" maxLength:"50"`
	Region         string  `json:"region" minLength:"6" maxLength:"6"`
}

// Vessel is a ship (船舶).
type Vessel struct {
	Meta
	VesselFields
}

// VehicleRef is what the gateway needs to know about a terminal's vehicle.
type VehicleRef struct {
	ID         int64
	Plate      string
	PlateColor PlateColor
	OperatorID int64
	Region     string
	TerminalID string
	Category   VehicleCategory
}

// Filter selects records of a list or an export. Zero fields do not filter;
// fields that do not apply to an entity are ignored.
type Filter struct {
	Q          string
	Region     string // subtree
	OperatorID int64
	Status     string
	Category   string // vehicle category, business scope, qualification category, station level, line class, vessel type
	// ExpiringWithinDays selects records whose licence or certificate expires
	// within that many days (expired ones included).
	ExpiringWithinDays int
	Sort               string
	Limit, Offset      int
}
