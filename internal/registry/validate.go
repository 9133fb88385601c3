package registry

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/region"
)

// The validators below normalise a record in place (trim, upper-case codes,
// defaults) and add every problem they find to inv, under the record's JSON
// field names. They check the record alone; references to other records are
// checked by the service inside the write transaction.

var (
	businessScopes = []BusinessScope{ScopeScheduledCoach, ScopeCharter, ScopeTourism, ScopeHazmat, ScopeGeneralFreight,
		ScopeTaxi, ScopeBus, ScopeRideHailing, ScopeMaintenance, ScopeTraining}
	operatorStatuses  = []OperatorStatus{OperatorActive, OperatorSuspended, OperatorCancelled}
	vehicleCategories = []VehicleCategory{CategoryCoach, CategoryCharter, CategoryTourism, CategoryHazmat, CategoryHeavyTruck,
		CategoryTractor, CategoryTruck, CategoryTaxi, CategoryBus, CategoryTrailer}
	vehicleStatuses = []VehicleStatus{VehicleInService, VehicleOutOfService, VehicleScrapped}
	qualifications  = []QualificationCategory{QualPassengerDriver, QualFreightDriver, QualHazmatDriver, QualHazmatLoader,
		QualHazmatEscort, QualTaxiDriver, QualRideHailingDriver, QualMaintenanceTechnic}
	stationLevels = []StationLevel{StationLevel1, StationLevel2, StationLevel3, StationLevel4, StationLevel5, StationSimple, StationStop}
	lineClasses   = []LineClass{LineClass1, LineClass2, LineClass3, LineClass4}
)

func checkRegion(inv *apperr.Invalid, code string) {
	if !region.Valid(code) {
		inv.Add("region", "不是有效的GB/T 2260行政区划代码 (not a GB/T 2260 region code)", code)
	}
}

func checkRequired(inv *apperr.Invalid, field, v string) bool {
	if v == "" {
		inv.Add(field, "必填 (required)", nil)
		return false
	}
	return true
}

func checkPhone(inv *apperr.Invalid, field, v string) {
	if v != "" {
		if err := ValidatePhone(v); err != nil {
			inv.Add(field, err.Error(), v)
		}
	}
}

func checkEnum[E ~string](inv *apperr.Invalid, field string, v E, allowed []E) {
	if !slices.Contains(allowed, v) {
		names := make([]string, len(allowed))
		for i, a := range allowed {
			names[i] = string(a)
		}
		inv.Add(field, "取值无效 (must be one of "+strings.Join(names, ", ")+")", string(v))
	}
}

func checkOperatorIDRequired(inv *apperr.Invalid, id int64) {
	if id <= 0 {
		inv.Add("operator_id", "必填 (required)", id)
	}
}

func normalizeOperator(v *OperatorFields) {
	v.Name = strings.TrimSpace(v.Name)
	v.CreditCode = strings.ToUpper(strings.TrimSpace(v.CreditCode))
	v.Region = strings.TrimSpace(v.Region)
	v.LicenceNo = strings.TrimSpace(v.LicenceNo)
	v.ContactPhone = strings.TrimSpace(v.ContactPhone)
	if v.Status == "" {
		v.Status = OperatorActive
	}
	if v.Scopes == nil {
		v.Scopes = []BusinessScope{}
	}
	v.HazmatClasses = normalizeHazmatClasses(v.HazmatClasses)
}

// HazmatClassCodes are the GB 6944-2012 classes and divisions a licence or a
// vehicle approval may name. A whole class ("2") covers its divisions.
var HazmatClassCodes = []string{"1", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2", "2.1", "2.2", "2.3", "3",
	"4", "4.1", "4.2", "4.3", "5", "5.1", "5.2", "6", "6.1", "6.2", "7", "8", "9"}

// normalizeHazmatClasses trims the codes. A nil list stays nil: it means
// "not given" to a spreadsheet import, which then keeps the stored list.
func normalizeHazmatClasses(cs []string) []string {
	if cs == nil {
		return nil
	}
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, strings.TrimSpace(c))
	}
	return out
}

func checkHazmatClasses(inv *apperr.Invalid, cs []string) {
	seen := map[string]bool{}
	for i, c := range cs {
		field := fmt.Sprintf("hazmat_classes[%d]", i)
		if !slices.Contains(HazmatClassCodes, c) {
			inv.Add(field, "不是GB 6944危险货物类别或项别 (not a GB 6944 class or division, e.g. 2.1, 3, 8)", c)
		}
		if seen[c] {
			inv.Add(field, "重复 (listed twice)", c)
		}
		seen[c] = true
	}
}

// ValidateOperator normalises v and collects its problems in inv.
func ValidateOperator(v *OperatorFields, inv *apperr.Invalid) {
	normalizeOperator(v)
	checkRequired(inv, "name", v.Name)
	if checkRequired(inv, "credit_code", v.CreditCode) {
		if err := ValidateCreditCode(v.CreditCode); err != nil {
			inv.Add("credit_code", err.Error(), v.CreditCode)
		}
	}
	checkRegion(inv, v.Region)
	seen := map[BusinessScope]bool{}
	for i, sc := range v.Scopes {
		checkEnum(inv, fmt.Sprintf("scopes[%d]", i), sc, businessScopes)
		if seen[sc] {
			inv.Add(fmt.Sprintf("scopes[%d]", i), "重复 (listed twice)", string(sc))
		}
		seen[sc] = true
	}
	checkEnum(inv, "status", v.Status, operatorStatuses)
	checkHazmatClasses(inv, v.HazmatClasses)
	checkPhone(inv, "contact_phone", v.ContactPhone)
	if !v.LicenceIssued.IsZero() && !v.LicenceValidUntil.IsZero() && v.LicenceValidUntil.Before(v.LicenceIssued) {
		inv.Add("licence_valid_until", "有效期止早于发证日期 (ends before the issue date)", v.LicenceValidUntil.String())
	}
	if v.LicenceNo == "" && !v.LicenceValidUntil.IsZero() {
		inv.Add("licence_no", "填写有效期时须填写许可证号 (required when a validity is given)", nil)
	}
}

func normalizeVehicle(v *VehicleFields) {
	v.Plate = NormalizePlate(v.Plate)
	v.VIN = strings.ToUpper(strings.TrimSpace(v.VIN))
	v.Region = strings.TrimSpace(v.Region)
	v.TerminalPhone = NormalizeTerminalPhone(v.TerminalPhone)
	v.TerminalID = strings.ToUpper(strings.TrimSpace(v.TerminalID))
	v.TransportCertNo = strings.TrimSpace(v.TransportCertNo)
	if v.Status == "" {
		v.Status = VehicleInService
	}
	v.HazmatClasses = normalizeHazmatClasses(v.HazmatClasses)
}

// ValidateVehicle normalises v and collects its problems in inv.
func ValidateVehicle(v *VehicleFields, inv *apperr.Invalid) {
	normalizeVehicle(v)
	if !v.PlateColor.Valid() {
		inv.Add("plate_color", "号牌颜色代码无效 (JT/T 697.7 code: 1, 2, 3, 4, 5, 9 or 93)", int(v.PlateColor))
	}
	if checkRequired(inv, "plate", v.Plate) {
		if err := ValidatePlate(v.Plate, v.PlateColor); err != nil {
			inv.Add("plate", err.Error(), v.Plate)
		}
	}
	if checkRequired(inv, "vin", v.VIN) {
		if err := ValidateVIN(v.VIN); err != nil {
			inv.Add("vin", err.Error(), v.VIN)
		}
	}
	checkEnum(inv, "category", v.Category, vehicleCategories)
	checkEnum(inv, "status", v.Status, vehicleStatuses)
	checkHazmatClasses(inv, v.HazmatClasses)
	if v.Category.Passenger() && v.Seats <= 0 {
		inv.Add("seats", "客车须填写核定载客人数 (passenger vehicles state their seats)", v.Seats)
	}
	if (v.Category == CategoryHazmat || v.Category == CategoryHeavyTruck || v.Category == CategoryTruck || v.Category == CategoryTrailer) && v.RatedLoadKg <= 0 {
		inv.Add("rated_load_kg", "货车须填写核定载质量 (freight vehicles state their rated load)", v.RatedLoadKg)
	}
	if v.Seats < 0 || v.Seats > 200 {
		inv.Add("seats", "超出范围 (0..200)", v.Seats)
	}
	if v.RatedLoadKg < 0 || v.RatedLoadKg > 200000 {
		inv.Add("rated_load_kg", "超出范围 (0..200000 kg)", v.RatedLoadKg)
	}
	if v.Axles < 0 || v.Axles > 12 {
		inv.Add("axles", "超出范围 (0..12)", v.Axles)
	}
	checkOperatorIDRequired(inv, v.OperatorID)
	checkRegion(inv, v.Region)
	if v.TerminalPhone != "" {
		if err := ValidateTerminalPhone(v.TerminalPhone); err != nil {
			inv.Add("terminal_phone", err.Error(), v.TerminalPhone)
		}
	}
	if v.TransportCertNo == "" && !v.TransportCertUntil.IsZero() {
		inv.Add("transport_cert_no", "填写有效期时须填写道路运输证号 (required when a validity is given)", nil)
	}
}

// ValidatePractitioner normalises v, collects its problems in inv and
// returns the birth date and gender the ID number encodes.
func ValidatePractitioner(v *PractitionerFields, inv *apperr.Invalid) (Gender, civil.Date) {
	v.Name = strings.TrimSpace(v.Name)
	v.IDNumber = strings.ToUpper(strings.TrimSpace(v.IDNumber))
	v.Region = strings.TrimSpace(v.Region)
	v.CertNo = strings.TrimSpace(v.CertNo)
	checkRequired(inv, "name", v.Name)
	var gender Gender
	var birth civil.Date
	if checkRequired(inv, "id_number", v.IDNumber) {
		b, g, err := ValidateIDNumber(v.IDNumber)
		if err != nil {
			inv.Add("id_number", err.Error(), MaskIDNumber(v.IDNumber))
		}
		gender, birth = g, b
	}
	checkEnum(inv, "category", v.Category, qualifications)
	checkPhone(inv, "phone", v.Phone)
	checkRegion(inv, v.Region)
	if v.OperatorID < 0 {
		inv.Add("operator_id", "无效 (invalid)", v.OperatorID)
	}
	if v.CertNo == "" && !v.CertUntil.IsZero() {
		inv.Add("cert_no", "填写有效期时须填写从业资格证号 (required when a validity is given)", nil)
	}
	return gender, birth
}

// ValidateStation normalises v and collects its problems in inv.
func ValidateStation(v *StationFields, inv *apperr.Invalid) {
	v.Name = strings.TrimSpace(v.Name)
	v.Region = strings.TrimSpace(v.Region)
	checkRequired(inv, "name", v.Name)
	checkEnum(inv, "level", v.Level, stationLevels)
	if err := ValidateLonLat(v.Lon, v.Lat); err != nil {
		inv.Add("lon", err.Error(), v.Lon)
		inv.Add("lat", err.Error(), v.Lat)
	}
	checkRegion(inv, v.Region)
	checkPhone(inv, "contact_phone", v.ContactPhone)
	if v.OperatorID < 0 {
		inv.Add("operator_id", "无效 (invalid)", v.OperatorID)
	}
}

// ValidateRoute normalises v and collects its problems in inv.
func ValidateRoute(v *RouteFields, inv *apperr.Invalid) {
	v.Code = strings.TrimSpace(v.Code)
	v.Name = strings.TrimSpace(v.Name)
	v.Region = strings.TrimSpace(v.Region)
	if v.CorridorWidthM == 0 {
		v.CorridorWidthM = 500
	}
	if v.Stops == nil {
		v.Stops = []int64{}
	}
	if v.VehicleIDs == nil {
		v.VehicleIDs = []int64{}
	}
	checkRequired(inv, "code", v.Code)
	checkRequired(inv, "name", v.Name)
	checkOperatorIDRequired(inv, v.OperatorID)
	checkRegion(inv, v.Region)
	if v.OriginStationID <= 0 {
		inv.Add("origin_station_id", "必填 (required)", v.OriginStationID)
	}
	if v.DestinationStationID <= 0 {
		inv.Add("destination_station_id", "必填 (required)", v.DestinationStationID)
	}
	if v.OriginStationID != 0 && v.OriginStationID == v.DestinationStationID {
		inv.Add("destination_station_id", "起讫站相同 (same as the origin)", v.DestinationStationID)
	}
	for i, id := range v.Stops {
		if id <= 0 {
			inv.Add(fmt.Sprintf("stops[%d]", i), "无效的站点 (invalid station id)", id)
		}
	}
	checkEnum(inv, "line_class", v.LineClass, lineClasses)
	if c := v.Corridor; c != nil {
		if c.Type != "LineString" {
			inv.Add("corridor.type", "须为 LineString (must be a GeoJSON LineString)", c.Type)
		}
		if len(c.Coordinates) < 2 {
			inv.Add("corridor.coordinates", "至少两个点 (at least two positions)", len(c.Coordinates))
		}
		for i, p := range c.Coordinates {
			field := fmt.Sprintf("corridor.coordinates[%d]", i)
			switch {
			case len(p) < 2 || len(p) > 3:
				inv.Add(field, "坐标应为 [经度, 纬度] (a position is [lon, lat])", p)
			case math.IsNaN(p[0]) || math.IsNaN(p[1]):
				inv.Add(field, "坐标无效 (not a number)", nil)
			default:
				if err := ValidateLonLat(p[0], p[1]); err != nil {
					inv.Add(field, err.Error(), p)
				}
			}
		}
	}
	if v.CorridorWidthM < 0 || v.CorridorWidthM > 10000 {
		inv.Add("corridor_width_m", "超出范围 (1..10000 m)", v.CorridorWidthM)
	}
	if v.DistanceKm < 0 || v.DistanceKm > 10000 || math.IsNaN(v.DistanceKm) {
		inv.Add("distance_km", "超出范围 (0..10000 km)", v.DistanceKm)
	}
	seenVeh := map[int64]bool{}
	for i, id := range v.VehicleIDs {
		if id <= 0 || seenVeh[id] {
			inv.Add(fmt.Sprintf("vehicle_ids[%d]", i), "无效或重复 (invalid or repeated vehicle id)", id)
		}
		seenVeh[id] = true
	}
	for i, d := range v.Schedule.Departures {
		if t, err := time.Parse("15:04", d); err != nil || t.Format("15:04") != d {
			inv.Add(fmt.Sprintf("schedule.departures[%d]", i), "时间格式应为 HH:MM (time of day as HH:MM)", d)
		}
	}
	for i, d := range v.Schedule.Days {
		if d < 1 || d > 7 {
			inv.Add(fmt.Sprintf("schedule.days[%d]", i), "应为1至7 (ISO weekday 1..7)", d)
		}
	}
	if !v.ValidFrom.IsZero() && !v.ValidUntil.IsZero() && v.ValidUntil.Before(v.ValidFrom) {
		inv.Add("valid_until", "早于生效日期 (ends before valid_from)", v.ValidUntil.String())
	}
}

// ValidateVessel normalises v and collects its problems in inv.
func ValidateVessel(v *VesselFields, inv *apperr.Invalid) {
	v.Name = strings.TrimSpace(v.Name)
	v.MMSI = strings.TrimSpace(v.MMSI)
	v.IMO = strings.ToUpper(strings.TrimSpace(v.IMO))
	v.CallSign = strings.ToUpper(strings.TrimSpace(v.CallSign))
	v.Region = strings.TrimSpace(v.Region)
	checkRequired(inv, "name", v.Name)
	if checkRequired(inv, "mmsi", v.MMSI) {
		if err := ValidateMMSI(v.MMSI); err != nil {
			inv.Add("mmsi", err.Error(), v.MMSI)
		}
	}
	if v.IMO != "" {
		if err := ValidateIMO(v.IMO); err != nil {
			inv.Add("imo", err.Error(), v.IMO)
		}
	}
	if v.GrossTonnage < 0 || math.IsNaN(v.GrossTonnage) {
		inv.Add("gross_tonnage", "不能为负 (must not be negative)", v.GrossTonnage)
	}
	if v.OperatorID < 0 {
		inv.Add("operator_id", "无效 (invalid)", v.OperatorID)
	}
	checkRegion(inv, v.Region)
}
