package live_test

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/live"
)

// BenchmarkLatency drives the service at 10,000 positions/s (1,000 vehicles
// reporting ten times a second, published as the gateway does: a batch of 100
// positions every 10 ms) with 100 alarms/s on the events stream, and
// measures, on real WebSocket clients, the time from a position's receive
// time (or an alarm's "at") to its arrival: bus publish, consumer, fan-out
// and WebSocket write and read. One iteration is one batch; run it with
// -benchtime=500x (5 s of load) or more.
//
// Consoles: one city-wide (510100) taking positions and alarms, one county
// (510104) taking alarms, and 50 consoles of other counties whose filters
// reject everything (their cost is in the fan-out).
//
// The gateway's own linger (4 ms by default) comes on top of these figures
// for the frame-to-console path.
func BenchmarkLatency(b *testing.B) {
	for _, tc := range []struct {
		name     string
		interval time.Duration
	}{
		{"10000pos_per_s/throttle=off", -1},
		{"10000pos_per_s/throttle=1s", time.Second},
	} {
		b.Run(tc.name, func(b *testing.B) { benchLatency(b, tc.interval) })
	}
}

func benchLatency(b *testing.B, interval time.Duration) {
	f := newFixture(b, live.Config{PositionInterval: interval})
	const vehicles, batch = 1000, 100
	type vehicle struct {
		id       int64
		lat, lon int32
	}
	fleet := make([]vehicle, vehicles)
	for i := range fleet {
		region := "510104"
		if i%2 == 1 {
			region = "510105"
		}
		v := f.createVehicle(b, f.ops[map[string]string{"510104": "op-a", "510105": "op-c"}[region]], region, 1000+i)
		fleet[i] = vehicle{id: v.ID, lat: 30_600_000 + int32(i*37), lon: 104_000_000 + int32(i*53)}
	}

	city := f.dial(b, "monitor:510100", nil)
	city.subscribe(b, `{"type":"subscribe","topics":["positions","alarms"]}`)
	county := f.dial(b, "monitor:510104", nil)
	county.subscribe(b, `{"type":"subscribe","topics":["alarms"]}`)
	for i := range 50 {
		c := f.dial(b, fmt.Sprintf("monitor:4403%02d", i), nil)
		c.subscribe(b, `{"type":"subscribe"}`)
	}

	var mu sync.Mutex
	var posLat, alarmLat []time.Duration
	var wg sync.WaitGroup
	collect := func(c *wsClient) {
		for m := range c.in {
			var d time.Duration
			switch m.Type {
			case "position":
				d = m.arrived.Sub(m.Received)
			case "alarm.raised":
				d = m.arrived.Sub(m.At)
			default:
				continue
			}
			mu.Lock()
			if m.Type == "position" {
				posLat = append(posLat, d)
			} else {
				alarmLat = append(alarmLat, d)
			}
			mu.Unlock()
		}
	}
	wg.Go(func() { collect(city) })
	wg.Go(func() { collect(county) })

	ps := make([]gateway.Position, batch)
	next := 0
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		<-tick.C
		now := time.Now()
		for i := range ps {
			v := fleet[next]
			next = (next + 1) % vehicles
			ps[i] = gateway.Position{VehicleID: v.id, DeviceTime: now, ReceiveTime: now, Lat: v.lat, Lon: v.lon,
				Speed: 600, Heading: 90, Status: 3}
		}
		f.publishPositions(b, ps...)
		if n%10 == 0 {
			a := f.alarm("jinjiang-a", "critical", time.Now())
			f.publishEvent(b, "alarm", a)
		}
		n++
	}
	b.StopTimer()
	// Let the last messages arrive, then stop the collectors.
	time.Sleep(300 * time.Millisecond)
	city.close()
	county.close()
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	report := func(name string, ds []time.Duration) {
		if len(ds) == 0 {
			return
		}
		slices.Sort(ds)
		q := func(p float64) float64 { return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) / 1000 }
		b.ReportMetric(q(0.50), name+"_p50_ms")
		b.ReportMetric(q(0.99), name+"_p99_ms")
		b.ReportMetric(float64(ds[len(ds)-1].Microseconds())/1000, name+"_max_ms")
		b.ReportMetric(float64(len(ds)), name+"_received")
	}
	report("pos", posLat)
	report("alarm", alarmLat)
	b.ReportMetric(float64(n*batch)/b.Elapsed().Seconds(), "pos/s")
	b.ReportMetric(float64(runtime.NumCPU()), "cpus")
}
