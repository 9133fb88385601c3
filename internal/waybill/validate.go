package waybill

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/region"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
)

// Registry is what the waybill reads of the master data. The app passes
// *registry.Service; every call acts for the principal in ctx and applies
// its data scope, so a waybill can only name records its writer may see.
type Registry interface {
	Operator(ctx context.Context, id int64) (*registry.Operator, error)
	Vehicle(ctx context.Context, id int64) (*registry.Vehicle, error)
	Practitioner(ctx context.Context, id int64) (*registry.Practitioner, error)
}

// Rule names one check made when a waybill is issued. The problem answered
// for a refused issue lists one error per violation, located at
// "waybill.<field>" with a message that starts with "[rule]".
type Rule string

// The issue rules.
const (
	RuleUNNumber       Rule = "un_number_known"           // the UN number exists and is in use
	RuleUNClass        Rule = "un_class_match"            // the declared class is the UN number's class
	RuleCarrierScope   Rule = "carrier_scope"             // the carrier is licensed for dangerous goods of each class
	RuleCarrierLicence Rule = "carrier_licence_valid"     // the carrier's operating licence is valid on the trip dates
	RuleVehicleCarrier Rule = "vehicle_of_carrier"        // vehicle and trailer belong to the carrier
	RuleVehicleHazmat  Rule = "vehicle_hazmat_approved"   // the vehicle is approved for dangerous goods of each class
	RuleVehicleCert    Rule = "vehicle_certificate_valid" // the vehicle's road transport certificate is valid on the trip dates
	RuleTrailerHazmat  Rule = "trailer_hazmat_approved"   // the trailer is a trailer approved for each class
	RuleTrailerCert    Rule = "trailer_certificate_valid" // the trailer's road transport certificate is valid on the trip dates
	RuleDriver         Rule = "driver_qualified"          // a dangerous-goods driver with a valid qualification
	RuleEscort         Rule = "escort_qualified"          // a dangerous-goods escort with a valid qualification
	RuleRatedLoad      Rule = "within_rated_load"         // the goods' mass is within the approved load
	RuleIncompatible   Rule = "classes_compatible"        // no incompatible classes in one load
	// RuleQuantityUnknown is a warning, never a refusal: a volume without a
	// density cannot be counted against the rated load.
	RuleQuantityUnknown Rule = "quantity_not_convertible"
)

// Rules lists the issue rules with their Chinese names (for the console).
var Rules = []struct {
	Rule  Rule   `json:"rule"`
	Label string `json:"label"`
}{
	{RuleUNNumber, "联合国编号有效"}, {RuleUNClass, "类别与联合国编号相符"}, {RuleCarrierScope, "承运人经营范围覆盖"},
	{RuleCarrierLicence, "承运人经营许可证有效"}, {RuleVehicleCarrier, "车辆属于承运人"}, {RuleVehicleHazmat, "车辆危货适装"},
	{RuleVehicleCert, "车辆道路运输证有效"}, {RuleTrailerHazmat, "挂车危货适装"}, {RuleTrailerCert, "挂车道路运输证有效"},
	{RuleDriver, "驾驶员从业资格有效"}, {RuleEscort, "押运员从业资格有效"}, {RuleRatedLoad, "不超过核定载质量"},
	{RuleIncompatible, "无禁忌混装"}, {RuleQuantityUnknown, "数量无法换算(提示)"},
}

// findings collects rule violations.
type findings []Finding

func (f *findings) add(rule Rule, field, format string, args ...any) {
	*f = append(*f, Finding{Rule: rule, Field: field, Message: fmt.Sprintf(format, args...)})
}

// err turns the violations into the problem the API answers (422).
func (f findings) err() error {
	if len(f) == 0 {
		return nil
	}
	inv := &apperr.Invalid{}
	for _, v := range f {
		inv.Add("waybill."+v.Field, "["+string(v.Rule)+"] "+v.Message, string(v.Rule))
	}
	return inv
}

var unPattern = regexp.MustCompile(`^[0-9]{4}$`)

var packingGroups = map[string]bool{"": true, "I": true, "II": true, "III": true}

// normalize trims and defaults the fields in place.
func normalize(f *Fields) {
	trimParty := func(p *Party) {
		p.Name, p.Contact, p.Phone = strings.TrimSpace(p.Name), strings.TrimSpace(p.Contact), strings.TrimSpace(p.Phone)
	}
	trimParty(&f.Shipper)
	trimParty(&f.Consignee)
	trimParty(&f.Loader)
	for i := range f.Goods {
		g := &f.Goods[i]
		g.UNNumber = normalizeUN(g.UNNumber)
		g.Name = strings.TrimSpace(g.Name)
		g.Class = strings.TrimSpace(g.Class)
		g.PackingGroup = strings.ToUpper(strings.TrimSpace(g.PackingGroup))
		g.Packaging = strings.TrimSpace(g.Packaging)
		if strings.EqualFold(string(g.Unit), "l") {
			g.Unit = UnitLitre
		}
	}
	for _, p := range []*Place{&f.Loading, &f.Unloading} {
		p.Name, p.Address, p.Region = strings.TrimSpace(p.Name), strings.TrimSpace(p.Address), strings.TrimSpace(p.Region)
		if p.RadiusM == 0 {
			p.RadiusM = DefaultRadiusM
		}
	}
	if len(f.Route.Polyline) > 0 && f.Route.CorridorWidthM == 0 {
		f.Route.CorridorWidthM = DefaultCorridorWidthM
	}
	f.WasteManifestNo = strings.TrimSpace(f.WasteManifestNo)
	f.Dispatcher = strings.TrimSpace(f.Dispatcher)
}

// validateFields checks the waybill's own fields (a draft must be
// well-formed; completeness against the registry is checked at issue).
func validateFields(f *Fields) error {
	normalize(f)
	inv := &apperr.Invalid{}
	if f.OperatorID <= 0 {
		inv.Add("operator_id", "必填 (required)", f.OperatorID)
	}
	if f.VehicleID <= 0 {
		inv.Add("vehicle_id", "必填 (required)", f.VehicleID)
	}
	if f.TrailerID != 0 && f.TrailerID == f.VehicleID {
		inv.Add("trailer_id", "挂车不能与车辆相同 (the trailer is not the vehicle)", f.TrailerID)
	}
	if f.DriverID != 0 && f.DriverID == f.EscortID {
		inv.Add("escort_id", "押运员不能由驾驶员兼任 (the escort is not the driver)", f.EscortID)
	}
	if f.Shipper.Name == "" {
		inv.Add("shipper.name", "必填 (required)", nil)
	}
	if f.Consignee.Name == "" {
		inv.Add("consignee.name", "必填 (required)", nil)
	}
	if len(f.Goods) == 0 {
		inv.Add("goods", "至少一项货物 (at least one goods line)", nil)
	}
	for i, g := range f.Goods {
		p := fmt.Sprintf("goods[%d].", i)
		if !unPattern.MatchString(g.UNNumber) {
			inv.Add(p+"un_number", "联合国编号为4位数字 (a UN number is 4 digits)", g.UNNumber)
		}
		if g.Name == "" {
			inv.Add(p+"name", "必填 (required)", nil)
		}
		if classLabels[g.Class] == "" {
			inv.Add(p+"class", "不是GB 6944类别或项别 (not a GB 6944 class or division)", g.Class)
		}
		if !packingGroups[g.PackingGroup] {
			inv.Add(p+"packing_group", "包装类别为 I、II 或 III", g.PackingGroup)
		}
		if !(g.Quantity > 0) || math.IsInf(g.Quantity, 0) {
			inv.Add(p+"quantity", "数量须大于0 (must be positive)", g.Quantity)
		}
		if unitLabels[g.Unit] == "" {
			inv.Add(p+"unit", "单位为 kg、t、L 或 m3", string(g.Unit))
		}
		if g.DensityKgL < 0 || g.DensityKgL > 25 {
			inv.Add(p+"density_kg_per_l", "密度超出范围 (0..25 kg/L)", g.DensityKgL)
		}
	}
	for name, pl := range map[string]*Place{"loading": &f.Loading, "unloading": &f.Unloading} {
		if pl.Name == "" {
			inv.Add(name+".name", "必填 (required)", nil)
		}
		if pl.Region != "" && !region.Valid(pl.Region) {
			inv.Add(name+".region", "不是有效的行政区划代码 (not a GB/T 2260 region code)", pl.Region)
		}
		if !validLonLat(pl.Lon, pl.Lat) || (pl.Lon == 0 && pl.Lat == 0) {
			inv.Add(name+".lon", "经纬度无效 (WGS-84 longitude/latitude required)", []float64{pl.Lon, pl.Lat})
		}
		if pl.RadiusM < 0 {
			inv.Add(name+".radius_m", "须为正数 (must be positive)", pl.RadiusM)
		}
		if !pl.WindowStart.IsZero() && !pl.WindowEnd.IsZero() && pl.WindowEnd.Before(pl.WindowStart) {
			inv.Add(name+".window_end", "时间窗结束早于开始 (window ends before it starts)", pl.WindowEnd)
		}
	}
	if f.DepartureAt.IsZero() {
		inv.Add("departure_at", "必填 (required)", nil)
	}
	if f.ArrivalAt.IsZero() {
		inv.Add("arrival_at", "必填 (required)", nil)
	} else if f.ArrivalAt.Before(f.DepartureAt) {
		inv.Add("arrival_at", "到达早于起运 (arrival before departure)", f.ArrivalAt)
	}
	if !f.DepartureAt.IsZero() && f.ArrivalAt.Sub(f.DepartureAt) > 31*24*time.Hour {
		inv.Add("arrival_at", "一次运输不超过31天 (a trip lasts at most 31 days)", f.ArrivalAt)
	}
	if n := len(f.Route.Polyline); n == 1 {
		inv.Add("route.polyline", "路线至少两个点 (a route has at least two points)", nil)
	}
	for i, pt := range f.Route.Polyline {
		if !validLonLat(pt[0], pt[1]) {
			inv.Add(fmt.Sprintf("route.polyline[%d]", i), "经纬度无效 (not a WGS-84 [lon, lat])", pt)
			break
		}
	}
	if f.Route.CorridorWidthM < 0 {
		inv.Add("route.corridor_width_m", "须为正数 (must be positive)", f.Route.CorridorWidthM)
	}
	for i, c := range f.EmergencyContacts {
		if strings.TrimSpace(c.Name) == "" || strings.TrimSpace(c.Phone) == "" {
			inv.Add(fmt.Sprintf("emergency_contacts[%d]", i), "姓名和电话必填 (name and phone required)", nil)
		}
	}
	return inv.Err()
}

func validLonLat(lon, lat float64) bool {
	return lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90 && !math.IsNaN(lon) && !math.IsNaN(lat)
}

// parties are the registry records a waybill names, as the writer sees them.
type parties struct {
	operator       *registry.Operator
	vehicle        *registry.Vehicle
	trailer        *registry.Vehicle
	driver, escort *registry.Practitioner
}

// resolve reads the registry records f names. A record the principal may
// not see reads as missing: it is reported against its field.
func resolve(ctx context.Context, reg Registry, f *Fields) (*parties, error) {
	inv := &apperr.Invalid{}
	p := &parties{}
	var err error
	missing := func(field string, id int64, e error, what string) error {
		if errors.Is(e, apperr.ErrNotFound) || errors.Is(e, apperr.ErrForbidden) {
			inv.Add(field, what+"不存在或不在数据范围内 (no such record in your data scope)", id)
			return nil
		}
		return e
	}
	if p.operator, err = reg.Operator(ctx, f.OperatorID); err != nil {
		if err := missing("operator_id", f.OperatorID, err, "承运人"); err != nil {
			return nil, err
		}
	}
	if p.vehicle, err = reg.Vehicle(ctx, f.VehicleID); err != nil {
		if err := missing("vehicle_id", f.VehicleID, err, "车辆"); err != nil {
			return nil, err
		}
	}
	if f.TrailerID != 0 {
		if p.trailer, err = reg.Vehicle(ctx, f.TrailerID); err != nil {
			if err := missing("trailer_id", f.TrailerID, err, "挂车"); err != nil {
				return nil, err
			}
		}
	}
	if f.DriverID != 0 {
		if p.driver, err = reg.Practitioner(ctx, f.DriverID); err != nil {
			if err := missing("driver_id", f.DriverID, err, "驾驶员"); err != nil {
				return nil, err
			}
		}
	}
	if f.EscortID != 0 {
		if p.escort, err = reg.Practitioner(ctx, f.EscortID); err != nil {
			if err := missing("escort_id", f.EscortID, err, "押运员"); err != nil {
				return nil, err
			}
		}
	}
	return p, inv.Err()
}

// tripDates are the calendar days (CST) of the trip: every certificate
// must be valid on each of them, so on the last.
func tripDates(f *Fields) (first, last civil.Date) {
	return civil.Of(f.DepartureAt.In(civil.CST)), civil.Of(f.ArrivalAt.In(civil.CST))
}

// validUntil reports whether a validity end covers the trip: a missing
// date is not a validity.
func validThrough(until, last civil.Date) bool {
	return !until.IsZero() && !until.Before(last)
}

// checkIssue applies every issue rule to f with the registry records p and
// returns the violations and the warnings.
func checkIssue(f *Fields, p *parties) (violations, warnings findings) {
	_, last := tripDates(f)
	// goods: UN number and class
	classes := make([]goodsClass, len(f.Goods))
	for i, g := range f.Goods {
		field := fmt.Sprintf("goods[%d]", i)
		// a line whose UN number or class is wrong takes no part in the
		// class checks below: which class it really is is unknown
		classes[i] = goodsClass{pg: g.PackingGroup}
		e := LookupUN(g.UNNumber)
		switch {
		case e == nil:
			violations.add(RuleUNNumber, field+".un_number", "UN%s 不在危险货物品名表中 (no such UN number)", g.UNNumber)
			continue
		case !e.InUse:
			violations.add(RuleUNNumber, field+".un_number", "UN%s 已停用 (no longer in use)", g.UNNumber)
			continue
		}
		if !classMatches(g.Class, e) {
			violations.add(RuleUNClass, field+".class", "UN%s 为 %s 类（%s），申报为 %s 类 (declared class %s, the UN number is %s)",
				g.UNNumber, e.Division, e.ClassLabel, g.Class, g.Class, e.Division)
			continue
		}
		// the more precise of the two stands for the line
		classes[i].class = g.Class
		if len(e.Division) > len(g.Class) {
			classes[i].class = e.Division
		}
		classes[i].compat = e.Compatibility
	}

	// carrier
	if op := p.operator; op != nil {
		hazmat := false
		for _, s := range op.Scopes {
			hazmat = hazmat || s == registry.ScopeHazmat
		}
		for i, c := range classes {
			if c.class != "" && (!hazmat || !coveredBy(op.HazmatClasses, c.class)) {
				violations.add(RuleCarrierScope, fmt.Sprintf("goods[%d].class", i),
					"承运人 %s 的经营范围不含 %s 类危险货物 (the carrier is not licensed for class %s; licensed: %s)",
					op.Name, c.class, c.class, listOrNone(op.HazmatClasses))
			}
		}
		switch {
		case op.Status != registry.OperatorActive:
			violations.add(RuleCarrierLicence, "operator_id", "承运人 %s 不在营业状态 (the carrier is %s)", op.Name, op.Status)
		case op.LicenceNo == "" || !validThrough(op.LicenceValidUntil, last):
			violations.add(RuleCarrierLicence, "operator_id", "承运人 %s 的道路运输经营许可证在运输期间无效 (operating licence not valid through %s; valid until %s)",
				op.Name, last, dateOrNone(op.LicenceValidUntil))
		}
	}

	// vehicle and trailer
	checkVehicle := func(v *registry.Vehicle, field string, ruleHazmat, ruleCert Rule, trailer bool) {
		if v == nil {
			return
		}
		if p.operator != nil && v.OperatorID != p.operator.ID {
			violations.add(RuleVehicleCarrier, field, "%s 不属于承运人 %s (not a vehicle of the carrier)", v.Plate, p.operator.Name)
		}
		switch {
		case trailer && v.Category != registry.CategoryTrailer:
			violations.add(ruleHazmat, field, "%s 不是挂车 (category %s is not a trailer)", v.Plate, v.Category)
		case !trailer && v.Category != registry.CategoryHazmat && v.Category != registry.CategoryTractor:
			violations.add(ruleHazmat, field, "%s 不是危险货物运输车辆或牵引车 (category %s cannot carry dangerous goods)", v.Plate, v.Category)
		case v.Status != registry.VehicleInService:
			violations.add(ruleHazmat, field, "%s 不在营运状态 (the vehicle is %s)", v.Plate, v.Status)
		default:
			// A tractor pulling a trailer carries nothing itself: the
			// trailer's approval decides.
			if !trailer && v.Category == registry.CategoryTractor && p.trailer != nil {
				break
			}
			for _, c := range classes {
				if c.class != "" && !coveredBy(v.HazmatClasses, c.class) {
					violations.add(ruleHazmat, field, "%s 未获准运输 %s 类危险货物 (not approved for class %s; approved: %s)",
						v.Plate, c.class, c.class, listOrNone(v.HazmatClasses))
				}
			}
		}
		if v.TransportCertNo == "" || !validThrough(v.TransportCertUntil, last) {
			violations.add(ruleCert, field, "%s 的道路运输证在运输期间无效 (road transport certificate not valid through %s; valid until %s)",
				v.Plate, last, dateOrNone(v.TransportCertUntil))
		}
	}
	checkVehicle(p.vehicle, "vehicle_id", RuleVehicleHazmat, RuleVehicleCert, false)
	checkVehicle(p.trailer, "trailer_id", RuleTrailerHazmat, RuleTrailerCert, true)
	if p.vehicle != nil && p.vehicle.Category == registry.CategoryTractor && p.trailer == nil {
		violations.add(RuleTrailerHazmat, "trailer_id", "牵引车 %s 须挂接挂车 (a tractor needs its trailer)", p.vehicle.Plate)
	}

	// people
	checkPerson := func(pr *registry.Practitioner, id int64, field string, rule Rule, want registry.QualificationCategory, role string) {
		switch {
		case id == 0:
			violations.add(rule, field, "未指定%s (no %s named)", role, strings.TrimSuffix(field, "_id"))
		case pr == nil:
			return // reported by resolve
		case pr.Category != want:
			violations.add(rule, field, "%s 的从业资格为 %s，不是 %s (qualification %s, %s required)",
				pr.Name, pr.Category.Label(), want.Label(), pr.Category, want)
		case pr.CertNo == "" || !validThrough(pr.CertUntil, last):
			violations.add(rule, field, "%s 的从业资格证在运输期间无效 (qualification certificate not valid through %s; valid until %s)",
				pr.Name, last, dateOrNone(pr.CertUntil))
		case p.operator != nil && pr.OperatorID != p.operator.ID:
			violations.add(rule, field, "%s 不是承运人 %s 的从业人员 (not employed by the carrier)", pr.Name, p.operator.Name)
		}
	}
	checkPerson(p.driver, f.DriverID, "driver_id", RuleDriver, registry.QualHazmatDriver, "驾驶员")
	checkPerson(p.escort, f.EscortID, "escort_id", RuleEscort, registry.QualHazmatEscort, "押运员")

	// load
	carrier := p.vehicle
	if p.trailer != nil {
		carrier = p.trailer // a semi-trailer's approved load is the trailer's
	}
	var kg float64
	for i, g := range f.Goods {
		m, ok := massKg(g)
		if !ok {
			warnings.add(RuleQuantityUnknown, fmt.Sprintf("goods[%d].quantity", i),
				"%g %s 无密度，无法换算为质量，未计入载质量核验 (a volume without density is not counted against the rated load)", g.Quantity, g.Unit)
			continue
		}
		kg += m
	}
	if carrier != nil {
		switch {
		case carrier.RatedLoadKg <= 0:
			violations.add(RuleRatedLoad, "vehicle_id", "%s 未登记核定载质量 (no rated load registered)", carrier.Plate)
		case kg > float64(carrier.RatedLoadKg)+1e-6:
			violations.add(RuleRatedLoad, "goods", "货物 %.0f kg 超过 %s 的核定载质量 %d kg (goods exceed the rated load)",
				kg, carrier.Plate, carrier.RatedLoadKg)
		}
	}

	// mixed loading
	for i := 0; i < len(classes); i++ {
		for j := i + 1; j < len(classes); j++ {
			if classes[i].class == "" || classes[j].class == "" {
				continue
			}
			if reason := incompatible(classes[i], classes[j]); reason != "" {
				violations.add(RuleIncompatible, fmt.Sprintf("goods[%d].class", j), "第%d项(%s)与第%d项(%s)：%s",
					i+1, classes[i].class, j+1, classes[j].class, reason)
			}
		}
	}
	return violations, warnings
}

// massKg converts a goods line to kilograms when it can.
func massKg(g GoodsLine) (float64, bool) {
	switch g.Unit {
	case UnitKg:
		return g.Quantity, true
	case UnitTonne:
		return g.Quantity * 1000, true
	case UnitLitre:
		if g.DensityKgL > 0 {
			return g.Quantity * g.DensityKgL, true
		}
	case UnitCubic:
		if g.DensityKgL > 0 {
			return g.Quantity * 1000 * g.DensityKgL, true
		}
	}
	return 0, false
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "无"
	}
	return strings.Join(l, "、")
}

func dateOrNone(d civil.Date) string {
	if d.IsZero() {
		return "未登记"
	}
	return d.String()
}
