package sim

import (
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

// Vehicle is what the simulator needs to know about a registered vehicle:
// who its terminal claims to be (phone, plate) and how it drives (category,
// scheduled route).
type Vehicle struct {
	ID            int64                    `json:"id"`
	Plate         string                   `json:"plate"`
	PlateColor    registry.PlateColor      `json:"plate_color"`
	VIN           string                   `json:"vin"`
	Category      registry.VehicleCategory `json:"category"`
	TerminalPhone string                   `json:"terminal_phone"`
	TerminalID    string                   `json:"terminal_id,omitempty"`
	TerminalModel string                   `json:"terminal_model,omitempty"`
	TerminalMaker string                   `json:"terminal_maker,omitempty"`
	Region        string                   `json:"region,omitempty"`
	// Route is the scheduled route (客运班线) the vehicle serves; a vehicle
	// with a route shuttles along its corridor and stops at its stations.
	Route *Route `json:"route,omitempty"`
	// Trip, when set, makes the vehicle drive this one hazmat trip instead
	// of free trips (see HazmatTrip).
	Trip *HazmatTrip `json:"trip,omitempty"`
}

// Route is a scheduled route as the simulator drives it.
type Route struct {
	ID   int64  `json:"id"`
	Code string `json:"code"`
	// Corridor is the approved path (WGS-84), origin to destination.
	Corridor []roadnet.Point `json:"corridor"`
	// WidthM is the corridor half-width monitoring allows, in metres.
	WidthM float64 `json:"width_m"`
	// Stations are the origin, intermediate stops and destination in order.
	Stations []roadnet.Point `json:"stations"`
}

// VehicleOf converts a registry vehicle; route may be nil.
func VehicleOf(v *registry.Vehicle, route *Route) Vehicle {
	return Vehicle{
		ID: v.ID, Plate: v.Plate, PlateColor: v.PlateColor, VIN: v.VIN, Category: v.Category,
		TerminalPhone: v.TerminalPhone, TerminalID: v.TerminalID, TerminalModel: v.TerminalModel,
		TerminalMaker: v.TerminalMaker, Region: v.Region, Route: route,
	}
}

// RouteOf converts a registry route whose station coordinates are known
// (stations maps station id to its point). A route without a corridor of at
// least two points yields nil.
func RouteOf(r *registry.Route, stations map[int64]roadnet.Point) *Route {
	if r.Corridor == nil || len(r.Corridor.Coordinates) < 2 {
		return nil
	}
	out := &Route{ID: r.ID, Code: r.Code, WidthM: float64(r.CorridorWidthM)}
	if out.WidthM <= 0 {
		out.WidthM = 500
	}
	for _, c := range r.Corridor.Coordinates {
		if len(c) >= 2 {
			out.Corridor = append(out.Corridor, roadnet.Point{Lon: c[0], Lat: c[1]})
		}
	}
	ids := append([]int64{r.OriginStationID}, r.Stops...)
	ids = append(ids, r.DestinationStationID)
	for _, id := range ids {
		if p, ok := stations[id]; ok {
			out.Stations = append(out.Stations, p)
		}
	}
	if len(out.Stations) < 2 {
		out.Stations = []roadnet.Point{out.Corridor[0], out.Corridor[len(out.Corridor)-1]}
	}
	return out
}
