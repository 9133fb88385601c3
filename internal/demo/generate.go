package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

// Generate returns the demo dataset for seed, with validity dates counted
// from today (China Standard Time). Two calls on the same day return the
// same dataset; on another day only the validity dates differ.
func Generate(seed int64) Dataset { return GenerateAt(seed, civil.Today()) }

// GenerateAt returns the demo dataset for seed with validity dates counted
// from today. It is a pure function of its arguments, and everything but the
// dates (names, codes, plates, terminals, geometry) depends on seed alone.
func GenerateAt(seed int64, today civil.Date) Dataset {
	g := &gen{
		rng:    rand.New(rand.NewPCG(uint64(seed), 0x6a69616f746f6e67)),
		today:  today,
		plates: map[string]bool{},
		ids:    map[string]bool{},
		phones: map[string]bool{},
	}
	ds := Dataset{Seed: seed}
	ds.Operators = g.operators()
	ds.Vehicles = g.vehicles(ds.Operators)
	ds.Practitioners = g.practitioners(ds.Vehicles)
	ds.Stations = g.stations()
	ds.Routes = g.routes(ds.Stations, ds.Vehicles)
	ds.Vessels = g.vessels()
	ds.Waybills = waybillPlan(&ds, today)
	ds.Users = []User{
		{Username: "chengdu.regulator", DisplayName: "成都市交通运输局 运管处", Description: "成都市监管人员, scope 510100",
			Roles: []access.Role{access.RoleRegulator}, Region: RegionChengdu, Operator: -1},
		{Username: "jinjiang.monitor", DisplayName: "锦江区交通运输局 监控中心", Description: "锦江区监控员, scope 510104",
			Roles: []access.Role{access.RoleMonitor}, Region: RegionJinjiang, Operator: -1},
		{Username: "ronghua.enterprise", DisplayName: operators[opFirstHazmat].name, Description: "危险货物运输企业用户, scope its own enterprise",
			Roles: []access.Role{access.RoleEnterprise}, Region: operators[opFirstHazmat].region, Operator: opFirstHazmat},
	}
	return ds
}

type gen struct {
	rng    *rand.Rand
	today  civil.Date
	plates map[string]bool
	ids    map[string]bool
	phones map[string]bool
	serial int
}

func (g *gen) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *gen) digits(n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + g.rng.IntN(10)))
	}
	return b.String()
}

// mobile returns a unique 11-digit mobile number.
func (g *gen) mobile() string {
	for {
		p := "1" + string("3589"[g.rng.IntN(4)]) + g.digits(9)
		if !g.phones[p] {
			g.phones[p] = true
			return p
		}
	}
}

// name returns a Chinese personal name.
func (g *gen) name(female bool) string {
	s := string(surnames[g.rng.IntN(len(surnames))])
	if female {
		return s + g.pick(givenFemale)
	}
	return s + g.pick(givenMale)
}

// validity returns the end of a licence or certificate: mostly one to five
// years ahead; the k-th record of a kind is made to expire soon or to have
// expired when k is in soon or expired.
func (g *gen) validity(k int, soon, expired []int) civil.Date {
	switch {
	case slices.Contains(expired, k):
		return g.today.AddDays(-(10 + g.rng.IntN(50)))
	case slices.Contains(soon, k):
		return g.today.AddDays(3 + g.rng.IntN(25))
	}
	return g.today.AddDays(60 + g.rng.IntN(1700))
}

func (g *gen) operators() []registry.OperatorFields {
	out := make([]registry.OperatorFields, len(operators))
	for i, spec := range operators {
		until := g.validity(i, []int{3, 12, 21}, []int{17})
		issued := until.AddDays(-4*365 - g.rng.IntN(2*365))
		if issued.After(g.today) {
			issued = g.today.AddDays(-30)
		}
		out[i] = registry.OperatorFields{
			Name:                spec.name,
			CreditCode:          creditCode(spec.region, 20000000+g.rng.IntN(70000000)),
			Region:              spec.region,
			Scopes:              append([]registry.BusinessScope(nil), spec.scopes...),
			LicenceNo:           fmt.Sprintf("川交运管许可成字%s%06d号", spec.region, 100+i*37+g.rng.IntN(30)),
			LicenceIssued:       issued,
			LicenceValidUntil:   until,
			LegalRepresentative: g.name(g.rng.IntN(5) == 0),
			ContactPerson:       g.name(g.rng.IntN(3) == 0),
			ContactPhone:        g.mobile(),
			Address:             fmt.Sprintf("四川省成都市%s%d号", spec.address, 1+g.rng.IntN(300)),
			Status:              registry.OperatorActive,
			HazmatClasses:       append([]string(nil), hazmatClasses[spec.name]...),
		}
	}
	return out
}

// vehicleKind holds the per-category constants of the demo fleet.
type vehicleKind struct {
	types  []string
	wmi    []string // world manufacturer identifiers (first 3 VIN characters)
	seats  [2]int   // range, passenger categories
	loadKg [2]int   // range, freight categories
	axles  [2]int
}

var kinds = map[registry.VehicleCategory]vehicleKind{
	registry.CategoryCoach:      {types: []string{"大型高级客车", "大型普通客车"}, wmi: []string{"LZY", "LKL", "LA6"}, seats: [2]int{35, 55}, axles: [2]int{2, 3}},
	registry.CategoryCharter:    {types: []string{"大型普通客车", "中型普通客车"}, wmi: []string{"LZY", "LKL", "LGL"}, seats: [2]int{19, 53}, axles: [2]int{2, 2}},
	registry.CategoryHazmat:     {types: []string{"重型罐式货车", "重型罐式货车(危险品)"}, wmi: []string{"LZZ", "LFW", "LGA"}, loadKg: [2]int{10000, 31000}, axles: [2]int{3, 5}},
	registry.CategoryHeavyTruck: {types: []string{"重型厢式货车", "重型仓栅式货车", "重型自卸货车"}, wmi: []string{"LZZ", "LFW", "LGA"}, loadKg: [2]int{14000, 33000}, axles: [2]int{3, 5}},
	registry.CategoryTractor:    {types: []string{"重型半挂牵引车"}, wmi: []string{"LZZ", "LFW"}, loadKg: [2]int{25000, 40000}, axles: [2]int{3, 3}},
	registry.CategoryTaxi:       {types: []string{"小型轿车"}, wmi: []string{"LGX", "LSV", "LFV"}, seats: [2]int{5, 5}, axles: [2]int{2, 2}},
	registry.CategoryBus:        {types: []string{"大型普通客车(城市公交)"}, wmi: []string{"LZY", "LKL", "LGX"}, seats: [2]int{32, 90}, axles: [2]int{2, 2}},
}

const vinChars = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"

func (g *gen) rangeInt(r [2]int) int { return r[0] + g.rng.IntN(r[1]-r[0]+1) }

// plate returns a unique plate of Chengdu (川A) and its colour for category c.
func (g *gen) plate(c registry.VehicleCategory) (string, registry.PlateColor) {
	for {
		var p string
		color := registry.PlateYellow
		switch c {
		case registry.CategoryTaxi:
			if g.rng.IntN(6) == 0 { // some older CNG taxis keep blue plates
				p, color = "川AT"+g.digits(4), registry.PlateBlue
			} else { // new-energy taxis: green, D = battery electric
				p, color = "川AD"+g.digits(5), registry.PlateGreen
			}
		case registry.CategoryBus: // large new-energy: yellow-green, D at the end
			p, color = "川A"+g.digits(5)+"D", registry.PlateYellowGreen
		default:
			p = "川A" + string("BCEFGHJKLMNPQRSTUVWXYZ"[g.rng.IntN(22)]) + g.digits(4)
		}
		if !g.plates[p] {
			g.plates[p] = true
			return p, color
		}
	}
}

func (g *gen) vin(c registry.VehicleCategory) string {
	k := kinds[c]
	var b strings.Builder
	b.WriteString(g.pick(k.wmi))
	for range 5 {
		b.WriteByte(vinChars[g.rng.IntN(len(vinChars))])
	}
	b.WriteByte('0')                           // check digit placeholder
	b.WriteByte("JKLMNPRS"[g.rng.IntN(8)])     // model year 2018..2025
	b.WriteByte("ABCDEFGH123"[g.rng.IntN(11)]) // plant
	g.serial++
	fmt.Fprintf(&b, "%06d", (g.serial*7919+g.rng.IntN(7))%1000000)
	return vinWithCheck(b.String())
}

func (g *gen) vehicles(ops []registry.OperatorFields) []Vehicle {
	var out []Vehicle
	n := 0
	for oi, spec := range operators {
		for _, f := range spec.fleet {
			k := kinds[f.category]
			for range f.count {
				plate, color := g.plate(f.category)
				v := registry.VehicleFields{
					Plate:              plate,
					PlateColor:         color,
					VIN:                g.vin(f.category),
					VehicleType:        g.pick(k.types),
					Category:           f.category,
					Axles:              g.rangeInt(k.axles),
					OperatorID:         0, // set by Seed
					Region:             ops[oi].Region,
					TransportCertNo:    fmt.Sprintf("川交运管成字%s%06d号", ops[oi].Region, 200000+n*13+g.rng.IntN(13)),
					TransportCertUntil: g.validity(n, []int{7, 45, 118, 203, 262}, []int{88, 240}),
					// 12-digit terminal SIM numbers (BCD[6] of JT/T 808-2013), unique by construction.
					TerminalPhone: fmt.Sprintf("1440%08d", 28000000+n*97+g.rng.IntN(97)),
					TerminalID:    fmt.Sprintf("CD%05d", 10000+n),
					TerminalModel: []string{"JT808-G3", "ZK-T910", "HX-BD6"}[n%3],
					TerminalMaker: []string{"70111", "70213", "70566"}[n%3],
					Status:        registry.VehicleInService,
				}
				if f.category == registry.CategoryHazmat { // approved for the operator's classes
					v.HazmatClasses = append([]string(nil), ops[oi].HazmatClasses...)
				}
				if f.category.Passenger() {
					v.Seats = g.rangeInt(k.seats)
				} else {
					v.RatedLoadKg = g.rangeInt(k.loadKg) / 100 * 100
				}
				if n == 150 || n == 277 {
					v.Status = registry.VehicleOutOfService
				}
				out = append(out, Vehicle{Operator: oi, Driver: -1, VehicleFields: v})
				n++
			}
		}
	}
	return out
}

// qualification maps a vehicle category to the certificate its drivers hold.
func qualification(c registry.VehicleCategory) registry.QualificationCategory {
	switch c {
	case registry.CategoryHazmat:
		return registry.QualHazmatDriver
	case registry.CategoryHeavyTruck, registry.CategoryTractor, registry.CategoryTruck:
		return registry.QualFreightDriver
	case registry.CategoryTaxi:
		return registry.QualTaxiDriver
	}
	return registry.QualPassengerDriver
}

// birthAnchor is the day ages are counted from. It is fixed, not today, so
// that identities stay the same whatever the day of generation.
var birthAnchor = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// idNumber returns a unique resident ID number: a Chengdu county code, a
// birth date that makes the person ageMin..ageMax years old in 2026, a sequence
// number whose parity encodes the gender, and the GB 11643 check character.
func (g *gen) idNumber(female bool, ageMin, ageMax int) string {
	for {
		age := ageMin + g.rng.IntN(ageMax-ageMin+1)
		birth := birthAnchor.AddDate(-age, 0, -g.rng.IntN(365))
		seq := g.rng.IntN(500) * 2
		if !female {
			seq++
		}
		body := g.pick(idRegions) + birth.Format("20060102") + fmt.Sprintf("%03d", seq)
		id := body + string(idCheck(body))
		if !g.ids[id] {
			g.ids[id] = true
			return id
		}
	}
}

func (g *gen) practitioners(vehicles []Vehicle) []Practitioner {
	var out []Practitioner
	add := func(op int, region string, q registry.QualificationCategory, femaleOdds int) {
		k := len(out)
		female := g.rng.IntN(femaleOdds) == 0
		out = append(out, Practitioner{Operator: op, PractitionerFields: registry.PractitionerFields{
			Name:      g.name(female),
			IDNumber:  g.idNumber(female, 24, 58),
			Phone:     g.mobile(),
			CertNo:    fmt.Sprintf("%s%d%06d", region, 2010+g.rng.IntN(15), 100000+k*17+g.rng.IntN(17)),
			Category:  q,
			CertUntil: g.validity(k, []int{11, 60, 133, 219, 301, 377}, []int{42, 250}),
			Region:    region,
		}})
	}
	for i, v := range vehicles {
		q := qualification(v.Category)
		vehicles[i].Driver = len(out) // the first driver hired for a vehicle drives it
		add(v.Operator, v.Region, q, 12)
		switch {
		case v.Category == registry.CategoryHazmat: // every tanker has an escort (押运员)
			add(v.Operator, v.Region, registry.QualHazmatEscort, 3)
		case v.Category == registry.CategoryCoach && i%2 == 0: // long runs need a relief driver
			add(v.Operator, v.Region, q, 12)
		case v.Category == registry.CategoryTaxi && i%3 == 0: // double-shifted taxis
			add(v.Operator, v.Region, q, 6)
		}
	}
	return out
}

func (g *gen) stations() []Station {
	net, _ := roadnet.Chengdu()
	out := make([]Station, len(stations))
	for i, spec := range stations {
		lat, lon := spec.lat, spec.lon
		if net != nil {
			if p, ok := findPlace(net, spec.place); ok {
				lat, lon = p.Lat, p.Lon
			}
		}
		out[i] = Station{Operator: spec.operator, Place: spec.place, StationFields: registry.StationFields{
			Name:          spec.name,
			Level:         spec.level,
			Address:       "四川省成都市" + spec.address,
			Lat:           round6(lat),
			Lon:           round6(lon),
			Region:        spec.region,
			ContactPerson: g.name(g.rng.IntN(2) == 0),
			ContactPhone:  "028-" + string("68"[g.rng.IntN(2)]) + g.digits(7),
		}}
	}
	return out
}

// findPlace returns the position of the extract's place named name,
// preferring stations to stops to other places.
func findPlace(net *roadnet.Graph, name string) (roadnet.Point, bool) {
	rank := map[string]int{roadnet.PlaceBusStation: 0, roadnet.PlaceBusStop: 1, roadnet.PlaceRailStation: 2, roadnet.PlaceTransitStation: 3, roadnet.PlacePlace: 4}
	best, found := roadnet.Place{}, false
	for _, p := range net.Places() {
		if p.Name == name && (!found || rank[p.Kind] < rank[best.Kind]) {
			best, found = p, true
		}
	}
	return best.Point, found
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

func (g *gen) routes(sts []Station, vehicles []Vehicle) []Route {
	net, _ := roadnet.Chengdu()
	var router *roadnet.Router
	if net != nil {
		router = net.NewRouter()
	}
	// Coaches of each operator, handed out to its routes in turn.
	coaches := map[int][]int{}
	for i, v := range vehicles {
		if v.Category == registry.CategoryCoach {
			coaches[v.Operator] = append(coaches[v.Operator], i)
		}
	}
	perOperator := map[int]int{}
	for _, r := range routes {
		perOperator[r.operator]++
	}
	seen := map[int]int{}
	out := make([]Route, len(routes))
	for i, spec := range routes {
		origin, dest := spec.stations[0], spec.stations[len(spec.stations)-1]
		var stops []int
		stops = append(stops, spec.stations[1:len(spec.stations)-1]...)
		coords, km := corridor(router, sts, spec.stations)
		// Split the operator's coaches evenly between its routes.
		own := coaches[spec.operator]
		share := len(own) / perOperator[spec.operator]
		k := seen[spec.operator]
		seen[spec.operator]++
		assigned := slices.Clone(own[k*share : (k+1)*share])
		validUntil := g.today.AddDays(365 + g.rng.IntN(3*365))
		if i == 6 {
			validUntil = g.today.AddDays(20) // one line licence up for renewal
		}
		out[i] = Route{
			Operator: spec.operator, Origin: origin, Destination: dest, Stops: stops, Vehicles: assigned,
			RouteFields: registry.RouteFields{
				Code:           spec.code,
				Name:           sts[origin].Name + "—" + sts[dest].Name,
				Region:         operators[spec.operator].region,
				Corridor:       &registry.CorridorGeometry{Type: "LineString", Coordinates: coords},
				CorridorWidthM: 300,
				DistanceKm:     km,
				// Between districts of one city: class 3 (跨县).
				LineClass:  registry.LineClass3,
				Schedule:   registry.RouteSchedule{Departures: departures(spec.first, spec.every, spec.last)},
				ValidFrom:  g.today.AddDays(-2*365 + g.rng.IntN(300)),
				ValidUntil: validUntil,
			},
		}
	}
	return out
}

// corridor returns the fastest road path through the stations (GeoJSON
// [lon, lat] pairs) and its length in km, or the straight line between them
// when no road network is available.
func corridor(router *roadnet.Router, sts []Station, idx []int) ([][]float64, float64) {
	var coords [][]float64
	var metres float64
	add := func(p roadnet.Point) {
		c := []float64{round6(p.Lon), round6(p.Lat)}
		if n := len(coords); n > 0 && coords[n-1][0] == c[0] && coords[n-1][1] == c[1] {
			return
		}
		coords = append(coords, c)
	}
	for i := 1; i < len(idx); i++ {
		a := roadnet.Point{Lat: sts[idx[i-1]].Lat, Lon: sts[idx[i-1]].Lon}
		b := roadnet.Point{Lat: sts[idx[i]].Lat, Lon: sts[idx[i]].Lon}
		if router != nil {
			if p, err := router.RoutePoints(a, b, roadnet.ByTime); err == nil {
				for _, pt := range router.Graph().Geometry(p) {
					add(pt)
				}
				metres += p.Length
				continue
			}
		}
		add(a)
		add(b)
		metres += roadnet.Distance(a, b)
	}
	return coords, math.Round(metres/100) / 10
}

// departures lists the times from first to last every few minutes.
func departures(first string, every int, last string) []string {
	t0, _ := time.Parse("15:04", first)
	t1, _ := time.Parse("15:04", last)
	var out []string
	for t := t0; !t.After(t1); t = t.Add(time.Duration(every) * time.Minute) {
		out = append(out, t.Format("15:04"))
	}
	return out
}

func (g *gen) vessels() []Vessel {
	specs := []struct{ name, kind string }{
		{"锦江夜游1号", "内河客船(游览船)"},
		{"锦江夜游2号", "内河客船(游览船)"},
		{"合江亭3号", "内河客船(游览船)"},
		{"府河保洁1号", "内河工作船"},
	}
	out := make([]Vessel, len(specs))
	mids := []string{"412", "413", "414"}
	for i, s := range specs {
		out[i] = Vessel{Operator: opBoats, VesselFields: registry.VesselFields{
			Name:           s.name,
			MMSI:           mids[(i+1)%3] + fmt.Sprintf("%06d", 517000+i*131+g.rng.IntN(100)),
			VesselType:     s.kind,
			GrossTonnage:   float64(20 + g.rng.IntN(60)),
			PortOfRegistry: "成都",
			Region:         RegionJinjiang,
		}}
	}
	return out
}
