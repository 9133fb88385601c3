// Package demo generates the Chengdu demo dataset that `jiaotong serve
// --demo` loads on first start, and seeds it through the registry service.
//
// The dataset is deterministic for a seed and a day: the same operators
// (业户), vehicles, practitioners (从业人员), passenger stations (客运站),
// scheduled routes (班线) and vessels every time, with every unified social
// credit code, VIN and resident ID number carrying a valid check character.
// Validity dates are counted from the day of generation, so the licence
// expiry page (证照到期预警) always shows a few licences expiring within 30
// days and one or two already expired. Stations stand at real bus stations
// and stops of the embedded OpenStreetMap extract, and each route's corridor
// is the fastest path on its real roads (© OpenStreetMap contributors,
// ODbL 1.0).
//
// The demo users (see Dataset.Users) log in with the password UserPassword,
// "Demo@2026jt":
//
//	chengdu.regulator    监管人员 (regulator) of 成都市, scope 510100
//	jinjiang.monitor     监控员 (monitoring officer) of 锦江区, scope 510104
//	ronghua.enterprise   企业用户 of 成都蓉化危险货物运输有限公司 (hazmat), scope that enterprise
package demo

import (
	"github.com/jiaotong-platform/jiaotong/internal/iam"
	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
)

// DefaultSeed is the seed of the dataset `jiaotong serve --demo` loads; the
// simulator and tests that rely on the demo fleet use it too.
const DefaultSeed int64 = 2026

// UserPassword is the password of every demo user. It is public: demo
// installations are for showing the platform, never for real data.
const UserPassword = "Demo@2026jt"

// Regions of the dataset: Chengdu and its five central districts.
const (
	RegionChengdu  = "510100" // 成都市
	RegionJinjiang = "510104" // 锦江区
	RegionQingyang = "510105" // 青羊区
	RegionJinniu   = "510106" // 金牛区
	RegionWuhou    = "510107" // 武侯区
	RegionChenghua = "510108" // 成华区
)

// Dataset is the whole demo dataset. Records refer to each other by index
// into the Dataset's slices (Operator: index into Operators, -1 for none);
// Seed turns the indexes into the ids the registry assigns.
type Dataset struct {
	Seed          int64
	Operators     []registry.OperatorFields
	Vehicles      []Vehicle
	Practitioners []Practitioner
	Stations      []Station
	Routes        []Route
	Vessels       []Vessel
	Users         []User
	// Waybills are dangerous-goods e-waybills of the hazmat operators in
	// every state, seeded by SeedWaybills after Seed.
	Waybills []Waybill
}

// Vehicle is a demo vehicle, the operator it belongs to and its main
// driver (主驾驶员: index into Practitioners, -1 for none).
type Vehicle struct {
	Operator int
	Driver   int
	registry.VehicleFields
}

// Practitioner is a demo practitioner and the operator employing them (-1: none).
type Practitioner struct {
	Operator int
	registry.PractitionerFields
}

// Station is a demo passenger station; Place names the OpenStreetMap
// feature it stands at.
type Station struct {
	Operator int
	Place    string
	registry.StationFields
}

// Route is a demo scheduled route: its stations and coaches by index.
type Route struct {
	Operator    int
	Origin      int
	Destination int
	Stops       []int
	Vehicles    []int
	registry.RouteFields
}

// Vessel is a demo vessel on the 府河/锦江.
type Vessel struct {
	Operator int
	registry.VesselFields
}

// User is a demo account the application creates through iam.
type User struct {
	Username    string
	DisplayName string
	Description string // who the account stands for, shown at start-up
	Roles       []access.Role
	Region      string
	// Operator is the index of the enterprise of an enterprise user, -1 otherwise.
	Operator int
	// OperatorID is that enterprise's registry id; Seed fills it in.
	OperatorID int64
}

// User returns the iam input that creates the account (password UserPassword).
func (u User) User() iam.UserInput {
	return iam.UserInput{
		Username:    u.Username,
		DisplayName: u.DisplayName,
		Roles:       append([]access.Role(nil), u.Roles...),
		Scope:       access.Scope{Region: u.Region, OperatorID: u.OperatorID},
		Password:    UserPassword,
	}
}
