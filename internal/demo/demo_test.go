package demo

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

func TestGenerateIsDeterministic(t *testing.T) {
	day := civil.Date{Year: 2026, Month: 3, Day: 1}
	a := GenerateAt(DefaultSeed, day)
	b := GenerateAt(DefaultSeed, day)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("two runs differ (-first +second):\n%s", diff)
	}
	// Identities do not depend on the day, only validity dates do.
	later := GenerateAt(DefaultSeed, day.AddDays(200))
	for i := range a.Vehicles {
		x, y := a.Vehicles[i], later.Vehicles[i]
		if x.Plate != y.Plate || x.VIN != y.VIN || x.TerminalPhone != y.TerminalPhone {
			t.Fatalf("vehicle %d changes with the day: %s/%s", i, x.Plate, y.Plate)
		}
	}
	for i := range a.Practitioners {
		if a.Practitioners[i].IDNumber != later.Practitioners[i].IDNumber {
			t.Fatalf("practitioner %d changes with the day", i)
		}
	}
	if a.Operators[0].LicenceValidUntil.AddDays(200) != later.Operators[0].LicenceValidUntil {
		t.Error("validity dates do not follow the day")
	}
	c := GenerateAt(DefaultSeed+1, day)
	if cmp.Equal(a.Vehicles, c.Vehicles) {
		t.Error("another seed gives the same vehicles")
	}
}

// TestCheckDigitsAgainstPublishedExamples checks the generator's own check
// functions on the examples the standards and their commentaries publish.
func TestCheckDigitsAgainstPublishedExamples(t *testing.T) {
	if c := idCheck("11010519491231002"); c != 'X' {
		t.Errorf("GB 11643 example: check %c, want X", c)
	}
	if v := vinWithCheck("1M8GDM9A0KP042788"); v != "1M8GDM9AXKP042788" {
		t.Errorf("ISO 3779 example: %s", v)
	}
	if c := usccCheck("91350100M000100Y4"); c != '3' {
		t.Errorf("GB 32100 example: check %c, want 3", c)
	}
}

func TestEveryRecordIsValid(t *testing.T) {
	ds := Generate(DefaultSeed)
	check := func(t *testing.T, what string, validate func(*apperr.Invalid)) {
		t.Helper()
		inv := &apperr.Invalid{}
		validate(inv)
		if err := inv.Err(); err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
	t.Run("operators", func(t *testing.T) {
		for _, o := range ds.Operators {
			if err := registry.ValidateCreditCode(o.CreditCode); err != nil {
				t.Errorf("%s credit code %s: %v", o.Name, o.CreditCode, err)
			}
			check(t, o.Name, func(inv *apperr.Invalid) { validateCopy(o, registry.ValidateOperator, inv) })
		}
	})
	t.Run("vehicles", func(t *testing.T) {
		for i, v := range ds.Vehicles {
			if err := registry.ValidateVIN(v.VIN); err != nil {
				t.Errorf("%s VIN %s: %v", v.Plate, v.VIN, err)
			}
			f := v.VehicleFields
			f.OperatorID = int64(v.Operator + 1)
			check(t, v.Plate, func(inv *apperr.Invalid) { validateCopy(f, registry.ValidateVehicle, inv) })
			if len(v.TerminalPhone) != 12 || v.TerminalPhone[0] == '0' {
				t.Errorf("vehicle %d terminal phone %q: want 12 digits without a leading zero", i, v.TerminalPhone)
			}
		}
	})
	t.Run("practitioners", func(t *testing.T) {
		today := civil.Today()
		for _, p := range ds.Practitioners {
			birth, gender, err := registry.ValidateIDNumber(p.IDNumber)
			if err != nil {
				t.Errorf("%s ID %s: %v", p.Name, p.IDNumber, err)
				continue
			}
			if !strings.HasPrefix(p.IDNumber, "5101") {
				t.Errorf("%s ID %s not registered in Chengdu", p.Name, p.IDNumber)
			}
			if age := today.Year - birth.Year; age < 23 || age > 60 {
				t.Errorf("%s is %d years old", p.Name, age)
			}
			if gender == "" {
				t.Errorf("%s has no gender", p.Name)
			}
			check(t, p.Name, func(inv *apperr.Invalid) { f := p.PractitionerFields; registry.ValidatePractitioner(&f, inv) })
		}
	})
	t.Run("stations", func(t *testing.T) {
		for _, s := range ds.Stations {
			check(t, s.Name, func(inv *apperr.Invalid) { validateCopy(s.StationFields, registry.ValidateStation, inv) })
		}
	})
	t.Run("routes", func(t *testing.T) {
		for _, r := range ds.Routes {
			f := r.RouteFields
			f.OperatorID, f.OriginStationID, f.DestinationStationID = 1, 1, 2
			check(t, r.Code, func(inv *apperr.Invalid) { validateCopy(f, registry.ValidateRoute, inv) })
		}
	})
	t.Run("vessels", func(t *testing.T) {
		for _, v := range ds.Vessels {
			if mid := v.MMSI[:3]; mid != "412" && mid != "413" && mid != "414" {
				t.Errorf("%s MMSI %s: not a Chinese MID", v.Name, v.MMSI)
			}
			check(t, v.Name, func(inv *apperr.Invalid) { validateCopy(v.VesselFields, registry.ValidateVessel, inv) })
		}
	})
}

// validateCopy runs a registry validator on a copy of v (validators normalise in place).
func validateCopy[T any](v T, validate func(*T, *apperr.Invalid), inv *apperr.Invalid) {
	validate(&v, inv)
}

func TestDatasetShape(t *testing.T) {
	ds := Generate(DefaultSeed)
	today := civil.Today()
	if n := len(ds.Operators); n < 28 || n > 32 {
		t.Errorf("%d operators, want about 30", n)
	}
	if n := len(ds.Vehicles); n != 300 {
		t.Errorf("%d vehicles, want 300", n)
	}
	if n := len(ds.Practitioners); n < 380 || n > 420 {
		t.Errorf("%d practitioners, want about 400", n)
	}
	scopes := map[registry.BusinessScope]bool{}
	for _, o := range ds.Operators {
		for _, s := range o.Scopes {
			scopes[s] = true
		}
	}
	for _, s := range []registry.BusinessScope{registry.ScopeScheduledCoach, registry.ScopeCharter, registry.ScopeHazmat,
		registry.ScopeGeneralFreight, registry.ScopeTaxi, registry.ScopeBus} {
		if !scopes[s] {
			t.Errorf("no operator with scope %s", s)
		}
	}
	categories := map[registry.VehicleCategory]int{}
	colors := map[registry.VehicleCategory]map[registry.PlateColor]bool{}
	unique := map[string]string{}
	uniq := func(kind, v string) {
		if prev, ok := unique[kind+v]; ok {
			t.Errorf("%s %s used twice (%s)", kind, v, prev)
		}
		unique[kind+v] = v
	}
	for _, v := range ds.Vehicles {
		categories[v.Category]++
		if colors[v.Category] == nil {
			colors[v.Category] = map[registry.PlateColor]bool{}
		}
		colors[v.Category][v.PlateColor] = true
		uniq("plate", v.Plate)
		uniq("vin", v.VIN)
		uniq("phone", v.TerminalPhone)
		uniq("terminal", v.TerminalID)
		uniq("cert", v.TransportCertNo)
	}
	for _, c := range []registry.VehicleCategory{registry.CategoryCoach, registry.CategoryCharter, registry.CategoryHazmat,
		registry.CategoryHeavyTruck, registry.CategoryTaxi, registry.CategoryBus} {
		if categories[c] < 20 {
			t.Errorf("%d vehicles of category %s", categories[c], c)
		}
	}
	if !colors[registry.CategoryTaxi][registry.PlateGreen] || !colors[registry.CategoryCoach][registry.PlateYellow] ||
		colors[registry.CategoryCoach][registry.PlateBlue] || !colors[registry.CategoryHazmat][registry.PlateYellow] {
		t.Errorf("plate colours per category: %v", colors)
	}
	for _, p := range ds.Practitioners {
		uniq("id", p.IDNumber)
		uniq("certno", p.CertNo)
	}
	quals := map[registry.QualificationCategory]bool{}
	for _, p := range ds.Practitioners {
		quals[p.Category] = true
	}
	for _, q := range []registry.QualificationCategory{registry.QualPassengerDriver, registry.QualHazmatDriver,
		registry.QualHazmatEscort, registry.QualFreightDriver, registry.QualTaxiDriver} {
		if !quals[q] {
			t.Errorf("no practitioner with qualification %s", q)
		}
	}
	// The licence expiry page needs licences expiring within 30 days and expired ones, of every kind.
	expiry := func(kind string, dates []civil.Date) {
		soon, expired := 0, 0
		for _, d := range dates {
			switch {
			case d.Before(today):
				expired++
			case d.Before(today.AddDays(31)):
				soon++
			}
		}
		if soon < 2 || expired < 1 || expired > 3 {
			t.Errorf("%s: %d expiring within 30 days, %d expired", kind, soon, expired)
		}
	}
	var od, vd, pd []civil.Date
	for _, o := range ds.Operators {
		od = append(od, o.LicenceValidUntil)
	}
	for _, v := range ds.Vehicles {
		vd = append(vd, v.TransportCertUntil)
	}
	for _, p := range ds.Practitioners {
		pd = append(pd, p.CertUntil)
	}
	expiry("operator licences", od)
	expiry("road transport certificates", vd)
	expiry("qualification certificates", pd)
}

func TestStationsAndRoutesOnRealRoads(t *testing.T) {
	net, err := roadnet.Chengdu()
	if err != nil {
		t.Fatal(err)
	}
	ds := Generate(DefaultSeed)
	for _, s := range ds.Stations {
		if _, ok := findPlace(net, s.Place); !ok {
			t.Errorf("station %s: place %s is not in the extract", s.Name, s.Place)
		}
		snap, _ := net.NearestRoutable(roadnet.Point{Lat: s.Lat, Lon: s.Lon})
		if snap.Distance > 200 {
			t.Errorf("station %s is %.0f m from a road", s.Name, snap.Distance)
		}
	}
	if n := len(ds.Routes); n < 8 {
		t.Fatalf("%d routes", n)
	}
	for _, r := range ds.Routes {
		t.Run(r.Code, func(t *testing.T) {
			c := r.Corridor.Coordinates
			if len(c) < 10 {
				t.Fatalf("corridor of %d points", len(c))
			}
			// The corridor passes every station in order and follows roads.
			var straight float64
			all := append(append([]int{r.Origin}, r.Stops...), r.Destination)
			for i, s := range all {
				st := ds.Stations[s]
				p := roadnet.Point{Lat: st.Lat, Lon: st.Lon}
				if i > 0 {
					prev := ds.Stations[all[i-1]]
					straight += roadnet.Distance(roadnet.Point{Lat: prev.Lat, Lon: prev.Lon}, p)
				}
				if d := distanceToLine(p, c); d > 200 {
					t.Errorf("corridor passes %.0f m from station %s", d, st.Name)
				}
			}
			if km := r.DistanceKm; km*1000 < straight || km*1000 > 2.2*straight+400 {
				t.Errorf("corridor %.1f km for %.1f km of straight lines", km, straight/1000)
			}
			for _, pt := range c[1 : len(c)-1] {
				s, _ := net.NearestEdge(roadnet.Point{Lat: pt[1], Lon: pt[0]})
				if s.Distance > 0.5 {
					t.Fatalf("corridor point %v is %.1f m off the road", pt, s.Distance)
				}
			}
			if len(r.Vehicles) < 2 || len(r.Schedule.Departures) < 5 {
				t.Errorf("%d vehicles, %d departures", len(r.Vehicles), len(r.Schedule.Departures))
			}
			for _, v := range r.Vehicles {
				if veh := ds.Vehicles[v]; veh.Operator != r.Operator || veh.Category != registry.CategoryCoach {
					t.Errorf("vehicle %s is not a coach of the route's operator", veh.Plate)
				}
			}
			if !utf8.ValidString(r.Name) || !strings.Contains(r.Name, "—") {
				t.Errorf("route name %q", r.Name)
			}
		})
	}
}

func distanceToLine(p roadnet.Point, coords [][]float64) float64 {
	best := 1e18
	for _, c := range coords {
		if d := roadnet.Distance(p, roadnet.Point{Lat: c[1], Lon: c[0]}); d < best {
			best = d
		}
	}
	return best
}

func TestUsers(t *testing.T) {
	ds := Generate(DefaultSeed)
	if len(ds.Users) != 3 {
		t.Fatalf("%d users", len(ds.Users))
	}
	for _, u := range ds.Users {
		in := u.User()
		if in.Password != UserPassword || len(in.Roles) == 0 || in.Scope.Region == "" {
			t.Errorf("user %s: %+v", u.Username, in)
		}
	}
	ent := ds.Users[2]
	if ent.Operator < 0 || !hasScope(ds.Operators[ent.Operator].Scopes, registry.ScopeHazmat) {
		t.Errorf("enterprise user belongs to %d, want a hazmat operator", ent.Operator)
	}
}

func hasScope(scopes []registry.BusinessScope, s registry.BusinessScope) bool {
	for _, x := range scopes {
		if x == s {
			return true
		}
	}
	return false
}

func TestSeedIsIdempotent(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, audit.Module(), registry.Module()); err != nil {
			t.Fatal(err)
		}
		svc := registry.New(db, nil)
		ds := Generate(DefaultSeed)
		if err := Seed(ctx, svc, ds); err != nil {
			t.Fatalf("seed: %v", err)
		}
		count := func() map[string]int {
			sys := access.With(ctx, access.System)
			_, ops, err1 := svc.Operators(sys, registry.Filter{Limit: 1})
			_, veh, err2 := svc.Vehicles(sys, registry.Filter{Limit: 1})
			_, pra, err3 := svc.Practitioners(sys, registry.Filter{Limit: 1})
			_, sta, err4 := svc.Stations(sys, registry.Filter{Limit: 1})
			_, rou, err5 := svc.Routes(sys, registry.Filter{Limit: 1})
			_, ves, err6 := svc.Vessels(sys, registry.Filter{Limit: 1})
			for _, err := range []error{err1, err2, err3, err4, err5, err6} {
				if err != nil {
					t.Fatal(err)
				}
			}
			return map[string]int{"operators": ops, "vehicles": veh, "practitioners": pra, "stations": sta, "routes": rou, "vessels": ves}
		}
		want := map[string]int{"operators": len(ds.Operators), "vehicles": len(ds.Vehicles), "practitioners": len(ds.Practitioners),
			"stations": len(ds.Stations), "routes": len(ds.Routes), "vessels": len(ds.Vessels)}
		if diff := cmp.Diff(want, count()); diff != "" {
			t.Fatalf("after seeding (-want +got):\n%s", diff)
		}
		entID := ds.Users[2].OperatorID
		if entID == 0 {
			t.Fatal("enterprise user's operator id not filled in")
		}
		again := Generate(DefaultSeed)
		if err := Seed(ctx, svc, again); err != nil {
			t.Fatalf("second seed: %v", err)
		}
		if diff := cmp.Diff(want, count()); diff != "" {
			t.Errorf("after seeding twice (-want +got):\n%s", diff)
		}
		if again.Users[2].OperatorID != entID {
			t.Errorf("second seed resolved the enterprise to %d, want %d", again.Users[2].OperatorID, entID)
		}
		// A route as stored keeps its corridor and coaches.
		sys := access.With(ctx, access.System)
		rs, _, err := svc.Routes(sys, registry.Filter{Q: ds.Routes[0].Code})
		if err != nil || len(rs) != 1 {
			t.Fatalf("route %s: %v %d", ds.Routes[0].Code, err, len(rs))
		}
		if r := rs[0]; r.Corridor == nil || len(r.Corridor.Coordinates) != len(ds.Routes[0].Corridor.Coordinates) || len(r.VehicleIDs) != len(ds.Routes[0].Vehicles) {
			t.Errorf("stored route lost its corridor or vehicles: %+v", r.RouteFields)
		}
	})
}
