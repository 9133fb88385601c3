package sim

import (
	"context"
	"log/slog"
	"time"
)

// DemoScenarios is the mix of the in-process demo fleet: enough of each
// visible misbehaviour that the alarm center has something to show within
// minutes of the first start.
const DemoScenarios = "overspeed=5,offroute=10,offarea=25,blindarea=3,drift=2,sos=1,offline=2"

// RunDemo drives vehicles on the embedded Chengdu network against the
// platform's own gateway at gatewayAddr, in real time, until ctx ends. It
// is what `jiaotong serve --demo` runs so the console shows a living fleet
// on first start. Vehicles without a terminal phone are left out.
func RunDemo(ctx context.Context, gatewayAddr string, vehicles []Vehicle, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	w, err := Chengdu()
	if err != nil {
		return err
	}
	var vs []Vehicle
	for _, v := range vehicles {
		if v.TerminalPhone != "" {
			vs = append(vs, v)
		}
	}
	mix, err := ParseMix(DemoScenarios)
	if err != nil {
		return err
	}
	f, err := NewFleet(w, vs, Config{
		Server: gatewayAddr, Seed: 2026, Start: time.Now(), Speedup: 1, Interval: 15 * time.Second,
		Scenarios: mix, Logger: logger,
	})
	if err != nil {
		return err
	}
	logger.Info("sim: demo fleet driving", slog.Int("vehicles", len(vs)), slog.String("gateway", gatewayAddr))
	return f.Run(ctx)
}
