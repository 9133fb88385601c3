package demo

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
	"github.com/jiaotong-platform/jiaotong/internal/waybill"
)

// hazmatClasses is the dangerous-goods scope of each demo hazmat operator
// (by name); its tankers are approved for the same classes.
var hazmatClasses = map[string][]string{
	"成都蓉化危险货物运输有限公司": {"3", "6.1", "8"},
	"成都蓉油物流有限公司":     {"3"},
	"四川安达危险品运输有限公司":  {"2.1", "3", "8"},
	"成都金牛燃气运输有限公司":   {"2.1", "2.2"},
	"成都东方化工物流有限公司":   {"3", "5.1", "8"},
}

// Waybill is a demo e-waybill (电子运单): one trip of a hazmat operator's
// tanker with its driver and escort, by index into the dataset, and the
// state SeedWaybills leaves it in. The ids in Fields are set by SeedWaybills.
type Waybill struct {
	Operator, Vehicle, Driver, Escort int
	State                             waybill.State
	waybill.Fields
}

// waybillSpec is one planned demo trip; times are hours of a day (CST)
// counted from the day of generation.
type waybillSpec struct {
	operator              int
	state                 waybill.State
	day, depart, hours    int
	un, name, class, pg   string
	from, to              int // station indexes standing for the places
	loading, unloading    string
	shipper, consignee    string
	fillPercent           int
	unitLitre             bool
	densityKgL            float64
	emergencyRole         string
	emergencyContactPhone string
}

var waybillSpecs = []waybillSpec{
	{9, waybill.StateDelivered, -1, 9, 3, "1830", "硫酸", "8", "II", 2, 11, "成华区化工原料仓库", "八里庄污水处理厂", "四川蜀化化工有限公司", "成都排水有限责任公司", 80, false, 0, "企业安全员", "028-83330001"},
	{9, waybill.StateInTransit, 0, 8, 10, "1789", "盐酸", "8", "II", 10, 0, "红星桥化工仓库", "城北工业园区", "四川蜀化化工有限公司", "成都城北电镀厂", 70, false, 0, "企业安全员", "028-83330001"},
	{10, waybill.StateIssued, 0, 14, 3, "1203", "汽油", "3", "II", 3, 1, "昭觉寺油库", "新南门加油站", "中国石油成都销售分公司", "中国石油新南门加油站", 75, true, 0.74, "托运人应急电话", "028-86660002"},
	{10, waybill.StateLoading, 0, 10, 3, "1202", "柴油", "3", "III", 3, 7, "昭觉寺油库", "春熙路加油站", "中国石油成都销售分公司", "中国石油春熙路加油站", 80, false, 0, "托运人应急电话", "028-86660002"},
	{12, waybill.StateDraft, 1, 9, 3, "1075", "液化石油气", "2.1", "", 0, 4, "城北液化气储配站", "五块石液化气供应站", "成都城北燃气有限公司", "五块石液化气供应站", 60, false, 0, "燃气抢险", "028-87770003"},
	{11, waybill.StateCancelled, 0, 7, 3, "1090", "丙酮", "3", "II", 9, 6, "驷马桥化工仓库", "天府广场医药公司", "四川安达化学试剂有限公司", "成都天府医药有限公司", 50, false, 0, "企业安全员", "028-85550004"},
	{13, waybill.StateDelivered, -2, 13, 4, "1170", "乙醇溶液", "3", "II", 11, 8, "东方化工仓库", "驷马桥酒精经销部", "成都东方化工有限公司", "驷马桥酒精经销部", 70, false, 0, "企业安全员", "028-84440005"},
}

// waybillPlan returns the demo waybills for the dataset: for each trip
// the first tanker of the operator (not used by another trip) whose
// certificate, driver and escort are valid for two more days.
func waybillPlan(ds *Dataset, today civil.Date) []Waybill {
	net, _ := roadnet.Chengdu()
	var router *roadnet.Router
	if net != nil {
		router = net.NewRouter()
	}
	valid := func(d civil.Date) bool { return !d.Before(today.AddDays(2)) }
	used := map[int]bool{}
	var out []Waybill
	for _, spec := range waybillSpecs {
		op := ds.Operators[spec.operator]
		if !valid(op.LicenceValidUntil) {
			continue
		}
		vi := -1
		for i, v := range ds.Vehicles {
			if v.Operator != spec.operator || v.Category != registry.CategoryHazmat || used[i] || v.Status != registry.VehicleInService ||
				!valid(v.TransportCertUntil) || v.Driver < 0 || v.Driver+1 >= len(ds.Practitioners) {
				continue
			}
			d, e := ds.Practitioners[v.Driver], ds.Practitioners[v.Driver+1]
			if d.Category != registry.QualHazmatDriver || e.Category != registry.QualHazmatEscort || !valid(d.CertUntil) || !valid(e.CertUntil) {
				continue
			}
			vi = i
			break
		}
		if vi < 0 {
			continue
		}
		used[vi] = true
		v := ds.Vehicles[vi]
		dep := today.AddDays(spec.day).Time(civil.CST).Add(time.Duration(spec.depart) * time.Hour)
		a, b := ds.Stations[spec.from], ds.Stations[spec.to]
		coords, km := corridor(router, ds.Stations, []int{spec.from, spec.to})
		poly := make([][2]float64, len(coords))
		for i, c := range coords {
			poly[i] = [2]float64{c[0], c[1]}
		}
		kg := float64(v.RatedLoadKg) * float64(spec.fillPercent) / 100
		line := waybill.GoodsLine{UNNumber: spec.un, Name: spec.name, Class: spec.class, PackingGroup: spec.pg,
			Quantity: math.Round(kg/100) / 10, Unit: waybill.UnitTonne, Packaging: "罐体"}
		if spec.unitLitre {
			line.Quantity, line.Unit, line.DensityKgL = math.Round(kg/spec.densityKgL/100)*100, waybill.UnitLitre, spec.densityKgL
		}
		w := Waybill{Operator: spec.operator, Vehicle: vi, Driver: v.Driver, Escort: v.Driver + 1, State: spec.state, Fields: waybill.Fields{
			Shipper:   waybill.Party{Name: spec.shipper, Contact: ds.Operators[spec.operator].ContactPerson, Phone: spec.emergencyContactPhone},
			Consignee: waybill.Party{Name: spec.consignee},
			Goods:     []waybill.GoodsLine{line},
			Loading: waybill.Place{Name: spec.loading, Address: a.Address, Region: a.Region, Lon: a.Lon, Lat: a.Lat, RadiusM: 300,
				WindowStart: dep.Add(-time.Hour), WindowEnd: dep},
			Unloading: waybill.Place{Name: spec.unloading, Address: b.Address, Region: b.Region, Lon: b.Lon, Lat: b.Lat, RadiusM: 300,
				WindowStart: dep.Add(time.Duration(spec.hours) * time.Hour / 2), WindowEnd: dep.Add(time.Duration(spec.hours) * time.Hour)},
			DepartureAt: dep, ArrivalAt: dep.Add(time.Duration(spec.hours) * time.Hour),
			Route: waybill.Route{Polyline: poly, CorridorWidthM: 600, DistanceKm: km},
			EmergencyContacts: []waybill.Contact{{Name: op.ContactPerson, Phone: op.ContactPhone, Role: spec.emergencyRole},
				{Name: "托运人应急", Phone: spec.emergencyContactPhone, Role: "托运人"}},
			Dispatcher: op.ContactPerson,
		}}
		out = append(out, w)
	}
	return out
}

// SeedWaybills writes the demo waybills through the waybill service, as
// access.System, after Seed: each is written, issued and moved to its
// state through the same checks as any other. It does nothing once any
// waybill exists, so a restart adds none.
func SeedWaybills(ctx context.Context, reg *registry.Service, svc *waybill.Service, ds Dataset) error {
	ctx = access.With(ctx, access.System)
	if _, total, err := svc.List(ctx, waybill.Filter{Limit: 1}); err != nil {
		return fmt.Errorf("demo: waybills: %w", err)
	} else if total > 0 {
		return nil
	}
	for _, w := range ds.Waybills {
		f := w.Fields
		var err error
		if f.OperatorID, err = find(ds.Operators[w.Operator].CreditCode,
			func(f registry.Filter) ([]registry.Operator, int, error) { return reg.Operators(ctx, f) },
			func(o registry.Operator) (string, int64) { return o.CreditCode, o.ID }); err != nil {
			return fmt.Errorf("demo: waybill: %w", err)
		}
		if f.VehicleID, err = find(ds.Vehicles[w.Vehicle].VIN,
			func(f registry.Filter) ([]registry.Vehicle, int, error) { return reg.Vehicles(ctx, f) },
			func(o registry.Vehicle) (string, int64) { return o.VIN, o.ID }); err != nil {
			return fmt.Errorf("demo: waybill: %w", err)
		}
		person := func(i int) (int64, error) {
			return find(ds.Practitioners[i].IDNumber,
				func(f registry.Filter) ([]registry.Practitioner, int, error) { return reg.Practitioners(ctx, f) },
				func(o registry.Practitioner) (string, int64) { return o.IDNumber, o.ID })
		}
		if f.DriverID, err = person(w.Driver); err != nil {
			return fmt.Errorf("demo: waybill: %w", err)
		}
		if f.EscortID, err = person(w.Escort); err != nil {
			return fmt.Errorf("demo: waybill: %w", err)
		}
		if f.OperatorID == 0 || f.VehicleID == 0 || f.DriverID == 0 || f.EscortID == 0 {
			return fmt.Errorf("demo: waybill of %s: registry records missing (run Seed first)", ds.Vehicles[w.Vehicle].Plate)
		}
		created, err := svc.Create(ctx, f)
		if err != nil {
			return fmt.Errorf("demo: waybill of %s: %w", ds.Vehicles[w.Vehicle].Plate, err)
		}
		var path []waybill.State
		switch w.State {
		case waybill.StateIssued:
			path = []waybill.State{waybill.StateIssued}
		case waybill.StateLoading:
			path = []waybill.State{waybill.StateIssued, waybill.StateLoading}
		case waybill.StateInTransit:
			path = []waybill.State{waybill.StateIssued, waybill.StateLoading, waybill.StateInTransit}
		case waybill.StateDelivered:
			path = []waybill.State{waybill.StateIssued, waybill.StateLoading, waybill.StateInTransit, waybill.StateDelivered}
		case waybill.StateCancelled:
			path = []waybill.State{waybill.StateIssued, waybill.StateCancelled}
		}
		for _, s := range path {
			if _, err := svc.Transition(ctx, created.ID, s, "演示数据 (demo)"); err != nil {
				return fmt.Errorf("demo: waybill %s to %s: %w", created.Number, s, err)
			}
		}
	}
	return nil
}
