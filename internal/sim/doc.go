// Package sim is the fleet simulator and load generator behind `jiaotong
// sim`: simulated JT/T 808 terminals that drive real roads and talk to a
// gateway over TCP like real devices.
//
// # Generator
//
// A [Track] is one vehicle: it drives shortest-path trips on the road
// network ([World], from internal/roadnet) with the speed profile of its
// category (buses slow with stops every ~600 m, trucks capped, taxis
// quick), accelerates and brakes, stops at traffic lights and stations,
// rests after three hours of driving and at night when its category must,
// and a vehicle with a scheduled route shuttles along its corridor, stopping
// at its stations. Scenarios ([Scenario], mixed by percentage with [Mix])
// break the rules on purpose: overspeed, fatigue, night driving, a coach
// moving between 02:00 and 05:00, leaving the route corridor or the
// approved area, blind-area re-sends, drift and jumps, invalid data, SOS,
// going offline. A Track is a pure function of its seed and the simulated
// time: the same --seed gives the same trips and the same reports.
//
// # Fleet
//
// A [Fleet] runs many tracks against a gateway. Simulated time runs
// --speedup times faster than real time, and device times are simulated
// times, so a four-hour fatigue case takes minutes or seconds. Terminals
// cost one small goroutine each (the socket reader); a few scheduler
// goroutines step the tracks that are due and write their reports.
//
// # Load
//
// [RunLoad] measures a gateway: many registered terminals sending synthetic
// positions at a rate or with several unacknowledged positions in flight,
// spread over source addresses 127.0.0.x, and a [LoadReport] with
// acknowledgement latencies and the server's CPU and memory from /proc.
package sim
