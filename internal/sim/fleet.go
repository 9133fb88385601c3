package sim

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
)

// Config configures a Fleet.
type Config struct {
	// Server is the gateway's JT/T 808 address, HOST:PORT.
	Server string
	// Seed makes trips, scenarios and reports reproducible.
	Seed int64
	// Start is the simulated time at which the fleet starts (default: now).
	Start time.Time
	// Speedup is how many simulated seconds pass per real second (default 1).
	Speedup float64
	// Interval and ParkedInterval are the report intervals (simulated).
	Interval       time.Duration
	ParkedInterval time.Duration
	// Heartbeat is the real time of silence after which a terminal sends
	// 0x0002 (default 60 s), so parked terminals keep their session.
	Heartbeat time.Duration
	// Scenarios and Versions mix misbehaviour and protocol editions.
	Scenarios Mix
	Versions  VersionMix
	// SourceIPs spreads connections over local addresses (nil: any).
	SourceIPs []net.IP
	// Timeout bounds a dial, a handshake and a write (default 10 s).
	Timeout time.Duration
	// Observe, if set, sees every output as it is sent (from several
	// goroutines; it must not block).
	Observe func(v *Vehicle, out Output)
	Logger  *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Start.IsZero() {
		c.Start = time.Now()
	}
	if c.Speedup <= 0 {
		c.Speedup = 1
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = 60 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Versions == (VersionMix{}) {
		c.Versions = DefaultVersions
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Fleet is a set of simulated terminals driving the road network and
// reporting to one gateway.
type Fleet struct {
	cfg       Config
	w         *World
	terminals []*terminal
	stats     Stats
	realStart time.Time
}

// terminal is one simulated device: its track, its connection and what it
// remembers between connections.
type terminal struct {
	idx     int
	v       *Vehicle
	track   *Track
	version jt808.Version
	ip      net.IP

	mu           sync.Mutex
	sess         *session
	code         string
	offlineUntil time.Time // simulated
	lastWrite    time.Time // real
}

// NewFleet prepares one terminal per vehicle. Vehicles without a terminal
// phone are an error.
func NewFleet(w *World, vehicles []Vehicle, cfg Config) (*Fleet, error) {
	cfg = cfg.withDefaults()
	if cfg.Server == "" {
		return nil, errors.New("sim: no gateway address")
	}
	f := &Fleet{cfg: cfg, w: w}
	scen := cfg.Scenarios.Assign(cfg.Seed, vehicles)
	opts := TrackOptions{Interval: cfg.Interval, ParkedInterval: cfg.ParkedInterval}
	for i := range vehicles {
		v := vehicles[i]
		if v.TerminalPhone == "" {
			return nil, fmt.Errorf("sim: vehicle %s has no terminal phone", v.Plate)
		}
		t := &terminal{idx: i, v: &v, version: cfg.Versions.pick(cfg.Seed, v.TerminalPhone)}
		t.track = NewTrack(w, t.v, scen[i], cfg.Seed, cfg.Start, opts)
		if n := len(cfg.SourceIPs); n > 0 {
			t.ip = cfg.SourceIPs[i%n]
		}
		f.terminals = append(f.terminals, t)
	}
	return f, nil
}

// Stats returns the fleet's counters.
func (f *Fleet) Stats() *Stats { return &f.stats }

// Tracks returns the tracks, one per vehicle in order.
func (f *Fleet) Tracks() []*Track {
	out := make([]*Track, len(f.terminals))
	for i, t := range f.terminals {
		out[i] = t.track
	}
	return out
}

// simNow is the simulated time now.
func (f *Fleet) simNow() time.Time {
	return f.cfg.Start.Add(time.Duration(float64(time.Since(f.realStart)) * f.cfg.Speedup))
}

// realDelay is the real time until simulated time at.
func (f *Fleet) realDelay(at time.Time) time.Duration {
	return time.Duration(float64(at.Sub(f.simNow())) / f.cfg.Speedup)
}

// Run connects the terminals and drives them until ctx ends; it returns nil
// then. Connection failures are counted and retried, not returned.
func (f *Fleet) Run(ctx context.Context) error {
	f.realStart = time.Now()
	var wg sync.WaitGroup
	for _, t := range f.terminals {
		wg.Go(func() { f.connectLoop(ctx, t) })
	}
	shards := max(1, min(runtime.GOMAXPROCS(0)*2, len(f.terminals)))
	for s := range shards {
		var own []*terminal
		for i := s; i < len(f.terminals); i += shards {
			own = append(own, f.terminals[i])
		}
		wg.Go(func() { f.schedule(ctx, own) })
	}
	<-ctx.Done()
	for _, t := range f.terminals {
		t.mu.Lock()
		if t.sess != nil {
			t.sess.close()
		}
		t.mu.Unlock()
	}
	wg.Wait()
	return nil
}

// connectLoop keeps terminal t connected, except while it is offline on
// purpose.
func (f *Fleet) connectLoop(ctx context.Context, t *terminal) {
	// Spread the first connections over a second.
	backoff := time.Duration(t.idx%1000) * time.Millisecond
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		t.mu.Lock()
		until := t.offlineUntil
		code := t.code
		t.mu.Unlock()
		if d := f.realDelay(until); d > 0 {
			backoff = d
			continue
		}
		s, sp, rbuf, newCode, err := connect(ctx, f.cfg.Server, t.ip, t.v, t.version, code, &f.stats, f.cfg.Timeout)
		if err != nil {
			if ctx.Err() == nil {
				f.cfg.Logger.Debug("sim: connect", slog.String("phone", t.v.TerminalPhone), slog.Any("err", err))
			}
			backoff = time.Second + time.Duration(t.idx%500)*time.Millisecond
			continue
		}
		t.mu.Lock()
		t.sess, t.code, t.lastWrite = s, newCode, time.Now()
		t.mu.Unlock()
		f.stats.Connected.Add(1)
		err = s.readLoop(sp, rbuf)
		f.stats.Connected.Add(-1)
		t.mu.Lock()
		t.sess = nil
		offline := f.realDelay(t.offlineUntil) > 0
		t.mu.Unlock()
		s.close()
		if ctx.Err() != nil {
			return
		}
		if !offline {
			f.cfg.Logger.Debug("sim: connection lost", slog.String("phone", t.v.TerminalPhone), slog.Any("err", err))
		}
		backoff = time.Second
	}
}

// schedule steps the tracks of one shard as their report times come.
func (f *Fleet) schedule(ctx context.Context, own []*terminal) {
	router := f.w.G.NewRouter()
	h := &trackHeap{ts: own}
	heap.Init(h)
	timer := time.NewTimer(0)
	defer timer.Stop()
	nextBeat := time.Now().Add(f.cfg.Heartbeat / 4)
	for len(h.ts) > 0 {
		t := h.ts[0]
		if wait := min(f.realDelay(t.track.NextAt()), time.Until(nextBeat)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if !time.Now().Before(nextBeat) {
			f.heartbeats(own)
			nextBeat = time.Now().Add(f.cfg.Heartbeat / 4)
			continue
		}
		out := t.track.Next(router)
		f.emit(t, out)
		heap.Fix(h, 0)
	}
}

// emit sends one output of terminal t.
func (f *Fleet) emit(t *terminal, out Output) {
	if f.cfg.Observe != nil {
		f.cfg.Observe(t.v, out)
	}
	t.mu.Lock()
	s := t.sess
	if s != nil {
		t.lastWrite = time.Now()
	}
	if out.Offline > 0 {
		t.offlineUntil = out.At.Add(out.Offline)
	}
	t.mu.Unlock()
	n := 0
	for _, b := range out.Batches {
		n += len(b.Items)
	}
	if out.Location != nil {
		n++
	}
	if s == nil {
		f.stats.Dropped.Add(int64(n))
		return
	}
	for _, b := range out.Batches {
		if err := s.send(b, len(b.Items)); err != nil {
			s.close()
			return
		}
	}
	if out.Location != nil {
		if err := s.send(out.Location, 1); err != nil {
			s.close()
			return
		}
	}
	if out.Offline > 0 {
		s.close()
	}
}

// heartbeats sends 0x0002 for terminals silent for the heartbeat interval.
func (f *Fleet) heartbeats(ts []*terminal) {
	for _, t := range ts {
		t.mu.Lock()
		s := t.sess
		due := s != nil && time.Since(t.lastWrite) >= f.cfg.Heartbeat
		if due {
			t.lastWrite = time.Now()
		}
		t.mu.Unlock()
		if due {
			_ = s.send(&jt808.Heartbeat{}, 0)
		}
	}
}

type trackHeap struct{ ts []*terminal }

func (h *trackHeap) Len() int { return len(h.ts) }
func (h *trackHeap) Less(i, j int) bool {
	return h.ts[i].track.NextAt().Before(h.ts[j].track.NextAt())
}
func (h *trackHeap) Swap(i, j int) { h.ts[i], h.ts[j] = h.ts[j], h.ts[i] }
func (h *trackHeap) Push(x any)    { h.ts = append(h.ts, x.(*terminal)) }
func (h *trackHeap) Pop() any {
	x := h.ts[len(h.ts)-1]
	h.ts = h.ts[:len(h.ts)-1]
	return x
}
