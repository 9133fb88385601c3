package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
)

// LoadConfig configures a load run.
type LoadConfig struct {
	Server string
	// Vehicles are the registered terminals to connect, one connection each.
	Vehicles []Vehicle
	// Interval is each terminal's report interval in rate mode (default
	// 1 s); ignored when Pipeline > 0.
	Interval time.Duration
	// Pipeline > 0 keeps that many unacknowledged positions in flight per
	// terminal, sending the next on each acknowledgement (peak throughput).
	Pipeline int
	// Duration is the measured sending window (default 30 s).
	Duration time.Duration
	// ConnectConcurrency bounds simultaneous handshakes (default 200).
	ConnectConcurrency int
	SourceIPs          []net.IP
	Versions           VersionMix
	Seed               int64
	// ServerPID, when positive, is the gateway process measured in /proc.
	ServerPID int
	Timeout   time.Duration
	Logger    *slog.Logger
}

// LoadReport is the outcome of a load run.
type LoadReport struct {
	Terminals         int     `json:"terminals"`
	Connected         int64   `json:"terminals_connected"`
	Mode              string  `json:"mode"`
	Pipeline          int     `json:"pipeline,omitempty"`
	IntervalMs        float64 `json:"interval_ms,omitempty"`
	DurationS         float64 `json:"duration_s"`
	PositionsSent     int64   `json:"positions_sent"`
	PositionsAcked    int64   `json:"positions_acked"`
	PositionsRejected int64   `json:"positions_rejected"`
	AckedPerSecond    float64 `json:"acked_per_second"`
	AckLatencyP50Ms   float64 `json:"ack_latency_p50_ms"`
	AckLatencyP99Ms   float64 `json:"ack_latency_p99_ms"`
	AckLatencyMaxMs   float64 `json:"ack_latency_max_ms"`
	Errors            int64   `json:"errors"`
	// ServerCPUSeconds is the server's CPU time (user + system) during the
	// sending window; ServerKBPerConnect its resident memory growth from
	// before the first connection to all connections open and idle.
	ServerCPUSeconds   float64 `json:"server_cpu_seconds,omitempty"`
	ServerPeakRSSKB    int64   `json:"server_peak_rss_kb,omitempty"`
	ServerCPUPerPosUs  float64 `json:"server_cpu_us_per_position,omitempty"`
	ServerKBPerConnect float64 `json:"server_kb_per_connection,omitempty"`
}

// String renders the report for people.
func (r *LoadReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "terminals            %d (%d connected)\n", r.Terminals, r.Connected)
	if r.Pipeline > 0 {
		fmt.Fprintf(&b, "mode                 pipelined, %d in flight per terminal\n", r.Pipeline)
	} else {
		fmt.Fprintf(&b, "mode                 rate, one position every %.0f ms per terminal\n", r.IntervalMs)
	}
	fmt.Fprintf(&b, "duration             %.1f s\n", r.DurationS)
	fmt.Fprintf(&b, "positions sent       %d\n", r.PositionsSent)
	fmt.Fprintf(&b, "positions acked      %d (%.0f/s), rejected %d\n", r.PositionsAcked, r.AckedPerSecond, r.PositionsRejected)
	fmt.Fprintf(&b, "ack latency          p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", r.AckLatencyP50Ms, r.AckLatencyP99Ms, r.AckLatencyMaxMs)
	fmt.Fprintf(&b, "errors               %d\n", r.Errors)
	if r.ServerPeakRSSKB > 0 {
		fmt.Fprintf(&b, "server CPU           %.2f s in the sending window (%.2f µs per position)\n", r.ServerCPUSeconds, r.ServerCPUPerPosUs)
		fmt.Fprintf(&b, "server memory        %.1f KB per idle connection, peak RSS %d KB\n", r.ServerKBPerConnect, r.ServerPeakRSSKB)
	}
	return b.String()
}

// loadTerminal is one connected terminal of a load run.
type loadTerminal struct {
	s     *session
	phase float64
	seq   atomic.Int64
}

// position is a synthetic report: a slow circle around central Chengdu,
// cheap to make; load mode measures the gateway, not the road network.
func (t *loadTerminal) position(now time.Time) *jt808.Location {
	n := float64(t.seq.Add(1))
	a := t.phase + n*0.002
	return &jt808.Location{
		Status: 3, Lat: int32((30.66 + 0.03*math.Sin(a)) * 1e6), Lon: int32((104.07 + 0.03*math.Cos(a)) * 1e6),
		Altitude: 500, Speed: 400, Direction: uint16(int(a*180/math.Pi) % 360), Time: jt808.BCDTimeOf(now),
	}
}

// RunLoad connects every vehicle's terminal, sends positions for the
// configured duration, waits briefly for the last acknowledgements, and
// reports. It returns an error only when no terminal could connect.
func RunLoad(ctx context.Context, cfg LoadConfig) (*LoadReport, error) {
	if cfg.Duration <= 0 {
		cfg.Duration = 30 * time.Second
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.ConnectConcurrency <= 0 {
		cfg.ConnectConcurrency = 200
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Versions == (VersionMix{}) {
		cfg.Versions = DefaultVersions
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	var before procSample
	if cfg.ServerPID > 0 {
		var err error
		if before, err = readProc(cfg.ServerPID); err != nil {
			return nil, err
		}
	}
	var stats Stats
	var mu sync.Mutex
	var terms []*loadTerminal
	var readers sync.WaitGroup
	var sending atomic.Bool
	sem := make(chan struct{}, cfg.ConnectConcurrency)
	var wg sync.WaitGroup
	for i := range cfg.Vehicles {
		v := &cfg.Vehicles[i]
		var ip net.IP
		if n := len(cfg.SourceIPs); n > 0 {
			ip = cfg.SourceIPs[i%n]
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if ctx.Err() != nil {
				return
			}
			version := cfg.Versions.pick(cfg.Seed, v.TerminalPhone)
			s, sp, rbuf, _, err := connect(ctx, cfg.Server, ip, v, version, "", &stats, cfg.Timeout)
			if err != nil {
				cfg.Logger.Debug("sim load: connect", slog.String("phone", v.TerminalPhone), slog.Any("err", err))
				return
			}
			lt := &loadTerminal{s: s, phase: float64(i) * 0.37}
			if cfg.Pipeline > 0 {
				s.onAck = func() {
					if sending.Load() {
						_ = s.send(lt.position(time.Now()), 1)
					}
				}
			}
			stats.Connected.Add(1)
			mu.Lock()
			terms = append(terms, lt)
			mu.Unlock()
			readers.Go(func() { _ = s.readLoop(sp, rbuf) })
		})
	}
	wg.Wait()
	if len(terms) == 0 {
		return nil, fmt.Errorf("sim: load: no terminal could connect to %s (%d errors)", cfg.Server, stats.Errors.Load())
	}
	cfg.Logger.Info("sim load: connected", slog.Int("terminals", len(terms)), slog.Int64("errors", stats.Errors.Load()))
	// Measure from here: connection set-up is not part of the window. The
	// server's memory is read once the connections are open and idle, its
	// CPU from now to the end of the window.
	var connected procSample
	if cfg.ServerPID > 0 {
		time.Sleep(settleTime)
		var err error
		if connected, err = readProc(cfg.ServerPID); err != nil {
			return nil, err
		}
	}
	stats.Errors.Store(0)
	start := time.Now()
	sending.Store(true)
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	if cfg.Pipeline > 0 {
		for _, lt := range terms {
			for range cfg.Pipeline {
				_ = lt.s.send(lt.position(time.Now()), 1)
			}
		}
		<-runCtx.Done()
	} else {
		rate(runCtx, terms, cfg.Interval)
	}
	sending.Store(false)
	elapsed := time.Since(start)
	cancel()
	// Let the last acknowledgements arrive.
	drain := time.Now().Add(5 * time.Second)
	for stats.Acked.Load()+stats.Rejected.Load() < stats.Sent.Load() && time.Now().Before(drain) {
		time.Sleep(20 * time.Millisecond)
	}
	rep := &LoadReport{
		Terminals: len(cfg.Vehicles), Connected: stats.Connected.Load(), DurationS: elapsed.Seconds(),
		PositionsSent: stats.Sent.Load(), PositionsAcked: stats.Acked.Load(), PositionsRejected: stats.Rejected.Load(),
		AckLatencyP50Ms: ms(stats.Latency.Quantile(0.5)), AckLatencyP99Ms: ms(stats.Latency.Quantile(0.99)),
		AckLatencyMaxMs: ms(stats.Latency.Max()), Errors: stats.Errors.Load(),
	}
	rep.AckedPerSecond = float64(rep.PositionsAcked) / elapsed.Seconds()
	if cfg.Pipeline > 0 {
		rep.Mode, rep.Pipeline = "pipelined", cfg.Pipeline
	} else {
		rep.Mode, rep.IntervalMs = "rate", ms(cfg.Interval)
	}
	if cfg.ServerPID > 0 {
		after, err := readProc(cfg.ServerPID)
		if err != nil {
			cfg.Logger.Warn("sim load: server /proc", slog.Any("err", err))
		} else {
			rep.ServerCPUSeconds = after.cpu - connected.cpu
			rep.ServerPeakRSSKB = after.hwmKB
			if rep.PositionsAcked > 0 {
				rep.ServerCPUPerPosUs = rep.ServerCPUSeconds * 1e6 / float64(rep.PositionsAcked)
			}
			if rep.Connected > 0 {
				rep.ServerKBPerConnect = float64(connected.rssKB-before.rssKB) / float64(rep.Connected)
			}
		}
	}
	for _, lt := range terms {
		lt.s.close()
	}
	readers.Wait()
	return rep, nil
}

// settleTime lets the server finish the handshakes' work (and a garbage
// collection) before its idle memory is read.
const settleTime = 3 * time.Second

// rate sends one position per terminal per interval, spread evenly over
// the interval, from a few sender goroutines.
func rate(ctx context.Context, terms []*loadTerminal, interval time.Duration) {
	senders := min(len(terms), 8)
	var wg sync.WaitGroup
	for k := range senders {
		wg.Go(func() {
			var own []*loadTerminal
			for i := k; i < len(terms); i += senders {
				own = append(own, terms[i])
			}
			gap := interval / time.Duration(len(own))
			next := time.Now().Add(time.Duration(k) * interval / time.Duration(senders) / time.Duration(max(1, len(own))))
			for i := 0; ; i = (i + 1) % len(own) {
				if d := time.Until(next); d > 0 {
					select {
					case <-ctx.Done():
						return
					case <-time.After(d):
					}
				} else if ctx.Err() != nil {
					return
				}
				_ = own[i].s.send(own[i].position(time.Now()), 1)
				next = next.Add(gap)
			}
		})
	}
	wg.Wait()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// procSample is what /proc says of a process.
type procSample struct {
	cpu   float64 // utime + stime, seconds
	rssKB int64
	hwmKB int64
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

func readProc(pid int) (procSample, error) {
	var ps procSample
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ps, fmt.Errorf("sim: server process: %w", err)
	}
	// The command name may hold spaces; fields resume after the last ')'.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return ps, errors.New("sim: /proc stat: no command name")
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return ps, errors.New("sim: /proc stat: too few fields")
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return ps, errors.New("sim: /proc stat: bad utime/stime")
	}
	ps.cpu = (utime + stime) / clockTicks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ps, fmt.Errorf("sim: server process: %w", err)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		switch key {
		case "VmHWM":
			ps.hwmKB = kb
		case "VmRSS":
			ps.rssKB = kb
		}
	}
	return ps, nil
}

// SourceIPs returns n loopback addresses 127.0.0.1 … 127.0.0.n, over which
// a load run spreads its connections (each source address has its own
// ephemeral port range).
func SourceIPs(n int) []net.IP {
	var out []net.IP
	for i := range max(n, 0) {
		out = append(out, net.IPv4(127, 0, byte((i+1)/256), byte((i+1)%256)))
	}
	return out
}
