package sim

import (
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/registry"
)

// profile is how a category of vehicle drives.
type profile struct {
	// capKmh is the vehicle's own ceiling (speed limiter, category limit).
	capKmh float64
	// factorLo/Hi bound the share of the speed limit a driver aims at,
	// drawn per trip.
	factorLo, factorHi float64
	// accel and decel are comfortable rates in m/s².
	accel, decel float64
	// parkLo/Hi bound the stop at the end of a trip (ACC off when ≥ 5 min).
	parkLo, parkHi time.Duration
	// nightFrom/To is the rest window (hours, CST); equal means none.
	nightFrom, nightTo int
	// stopEvery is the spacing of bus stops on trips without a route (m).
	stopEvery float64
}

// profileOf returns the driving profile of a category: buses slow with
// frequent stops, trucks capped, taxis quick and rarely parked.
func profileOf(c registry.VehicleCategory) profile {
	switch c {
	case registry.CategoryTaxi:
		return profile{capKmh: 80, factorLo: 0.85, factorHi: 0.97, accel: 2.0, decel: 3.0,
			parkLo: time.Minute, parkHi: 4 * time.Minute}
	case registry.CategoryBus:
		return profile{capKmh: 50, factorLo: 0.6, factorHi: 0.8, accel: 1.0, decel: 1.5,
			parkLo: 5 * time.Minute, parkHi: 12 * time.Minute, nightFrom: 23, nightTo: 6, stopEvery: 600}
	case registry.CategoryCoach, registry.CategoryCharter, registry.CategoryTourism:
		return profile{capKmh: 80, factorLo: 0.75, factorHi: 0.92, accel: 1.2, decel: 2.0,
			parkLo: 8 * time.Minute, parkHi: 15 * time.Minute, nightFrom: 22, nightTo: 6}
	case registry.CategoryHazmat:
		return profile{capKmh: 60, factorLo: 0.7, factorHi: 0.88, accel: 0.8, decel: 1.8,
			parkLo: 10 * time.Minute, parkHi: 19 * time.Minute, nightFrom: 22, nightTo: 6}
	case registry.CategoryHeavyTruck, registry.CategoryTractor:
		return profile{capKmh: 70, factorLo: 0.7, factorHi: 0.88, accel: 0.8, decel: 1.8,
			parkLo: 5 * time.Minute, parkHi: 15 * time.Minute}
	}
	return profile{capKmh: 80, factorLo: 0.75, factorHi: 0.92, accel: 1.2, decel: 2.0,
		parkLo: 3 * time.Minute, parkHi: 12 * time.Minute}
}
