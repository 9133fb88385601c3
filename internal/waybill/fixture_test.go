package waybill_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
	"github.com/jiaotong-platform/jiaotong/internal/waybill"
)

func systemCtx() context.Context { return access.With(context.Background(), access.System) }

// env is a registry and a waybill service on one database.
type env struct {
	t   testing.TB
	db  *sqldb.DB
	reg *registry.Service
	svc *waybill.Service
	n   int // code counter, so fixtures never collide
}

func newEnv(t testing.TB, db *sqldb.DB) *env {
	t.Helper()
	if err := db.Migrate(context.Background(), audit.Module(), registry.Module(), waybill.Module()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	reg := registry.New(db, slog.New(slog.DiscardHandler))
	svc := waybill.New(db, reg, slog.New(slog.DiscardHandler))
	if err := svc.Init(context.Background()); err != nil {
		t.Fatalf("init: %v", err)
	}
	return &env{t: t, db: db, reg: reg, svc: svc, n: 1}
}

// serve starts the waybill API (and the public page) with test principals.
func (e *env) serve() string {
	e.t.Helper()
	srv := httpapi.New(httpapi.Options{})
	srv.Use(registrytest.Authenticate)
	waybill.Register(srv.API, e.svc)
	waybill.MountPublic(srv.Mux, e.svc)
	ts := httptest.NewServer(srv.Handler())
	e.t.Cleanup(ts.Close)
	return ts.URL
}

// carrier is the registry data of one hazmat carrier.
type carrier struct {
	region           string
	op               *registry.Operator
	tanker           *registry.Vehicle // class 3 tanker, 20 t
	tractor, trailer *registry.Vehicle // tractor + class 2.1/3 trailer, 30 t
	driver, escort   *registry.Practitioner
}

func (e *env) next() int { e.n++; return e.n }

func (e *env) carrier(region string) *carrier {
	e.t.Helper()
	ctx := systemCtx()
	c := &carrier{region: region}
	var err error
	n := e.next()
	c.op, err = e.reg.CreateOperator(ctx, registry.OperatorFields{Name: "危货运输" + region + string(rune('A'+n%26)),
		CreditCode: registrytest.CreditCode(region, n), Region: region, Scopes: []registry.BusinessScope{registry.ScopeHazmat},
		HazmatClasses: []string{"2.1", "3", "8"}, LicenceNo: "川交运管许可危字" + region, LicenceValidUntil: civil.Today().AddDays(400)})
	if err != nil {
		e.t.Fatalf("operator: %v", err)
	}
	vehicle := func(cat registry.VehicleCategory, load int, classes []string) *registry.Vehicle {
		n := e.next()
		v, err := e.reg.CreateVehicle(ctx, registry.VehicleFields{Plate: registrytest.Plate("川", "A", n), PlateColor: registry.PlateYellow,
			VIN: registrytest.VIN(n), Category: cat, RatedLoadKg: load, Axles: 3, OperatorID: c.op.ID, Region: region,
			TransportCertNo: "510100" + region, TransportCertUntil: civil.Today().AddDays(300), HazmatClasses: classes})
		if err != nil {
			e.t.Fatalf("vehicle %s: %v", cat, err)
		}
		return v
	}
	c.tanker = vehicle(registry.CategoryHazmat, 20000, []string{"3"})
	c.tractor = vehicle(registry.CategoryTractor, 0, nil)
	c.trailer = vehicle(registry.CategoryTrailer, 30000, []string{"2.1", "3"})
	person := func(name string, q registry.QualificationCategory) *registry.Practitioner {
		n := e.next()
		p, err := e.reg.CreatePractitioner(ctx, registry.PractitionerFields{Name: name, IDNumber: registrytest.IDNumber(region, n),
			CertNo: "QC" + region + name, Category: q, CertUntil: civil.Today().AddDays(200), OperatorID: c.op.ID, Region: region})
		if err != nil {
			e.t.Fatalf("practitioner: %v", err)
		}
		return p
	}
	c.driver = person("王驾驶", registry.QualHazmatDriver)
	c.escort = person("李押运", registry.QualHazmatEscort)
	return c
}

// fields is a waybill of 15 t gasoline in the tanker that passes every rule.
func (c *carrier) fields() waybill.Fields {
	dep := time.Now().Add(time.Hour).Truncate(time.Second)
	return waybill.Fields{
		OperatorID: c.op.ID,
		Shipper:    waybill.Party{Name: "中石油成都销售分公司", Contact: "赵经理", Phone: "028-86000000"},
		Consignee:  waybill.Party{Name: "温江加油站", Phone: "028-82000000"},
		VehicleID:  c.tanker.ID, DriverID: c.driver.ID, EscortID: c.escort.ID,
		Goods: []waybill.GoodsLine{{UNNumber: "1203", Name: "汽油", Class: "3", PackingGroup: "II", Quantity: 15, Unit: waybill.UnitTonne,
			Packaging: "罐体"}},
		Loading: waybill.Place{Name: "彭州油库", Address: "彭州市石化园区", Lon: 103.95, Lat: 31.05,
			WindowStart: dep.Add(-30 * time.Minute), WindowEnd: dep},
		Unloading:   waybill.Place{Name: "温江加油站", Lon: 103.84, Lat: 30.69, RadiusM: 300},
		DepartureAt: dep, ArrivalAt: dep.Add(3 * time.Hour),
		Route:             waybill.Route{Polyline: [][2]float64{{103.95, 31.05}, {103.90, 30.90}, {103.84, 30.69}}},
		EmergencyContacts: []waybill.Contact{{Name: "安全员陈", Phone: "13800000000", Role: "企业安全员"}},
	}
}

// issued creates and issues f, failing the test on any error.
func (e *env) issued(f waybill.Fields) *waybill.Waybill {
	e.t.Helper()
	ctx := systemCtx()
	w, err := e.svc.Create(ctx, f)
	if err != nil {
		e.t.Fatalf("create: %v", err)
	}
	w, err = e.svc.Issue(ctx, w.ID, w.Version)
	if err != nil {
		e.t.Fatalf("issue: %v", err)
	}
	return w
}
