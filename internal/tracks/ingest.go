package tracks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
	"github.com/jiaotong-platform/jiaotong/internal/tracks/chunk"
)

// head is the unsealed points of one vehicle, in time order.
type head struct {
	vehicle  int64
	pts      []chunk.Point
	firstSeq uint64    // lowest stream sequence of a point in pts
	maxSeq   uint64    // highest
	opened   time.Time // wall clock when the first point arrived
}

// insert adds p in time order; an exact re-send (same device time) of a
// point already in the head is dropped.
func (h *head) insert(p chunk.Point, seq uint64, now time.Time) {
	if len(h.pts) == 0 {
		h.opened, h.firstSeq = now, seq
	}
	h.firstSeq = min(h.firstSeq, seq)
	h.maxSeq = max(h.maxSeq, seq)
	n := len(h.pts)
	if n == 0 || h.pts[n-1].Time < p.Time {
		h.pts = append(h.pts, p)
		return
	}
	i, found := slices.BinarySearchFunc(h.pts, p.Time, func(q chunk.Point, t int64) int { return cmpInt(q.Time, t) })
	if found {
		return
	}
	h.pts = slices.Insert(h.pts, i, p)
}

// heads is the in-memory state of ingest, shared by the consumer, the
// sealing loop and the queries.
type heads struct {
	mu sync.Mutex
	m  map[int64]*head
	// sealed is, per vehicle, the highest stream sequence already sealed
	// into SQL (loaded at start, advanced by each seal).
	sealed map[int64]uint64
	// next is the sequence after the last message consumed (or the
	// checkpoint when nothing was consumed yet).
	next uint64
	// loaded tells whether the checkpoint was read.
	loaded bool
	// sealMu serialises seal rounds: a round's checkpoint is only right
	// if no other round holds detached heads it does not know about.
	sealMu sync.Mutex
}

func newHeads() *heads {
	return &heads{m: map[int64]*head{}, sealed: map[int64]uint64{}}
}

// toPoint converts a gateway position into a stored point.
func toPoint(p *gateway.Position) chunk.Point {
	return chunk.Point{
		Time:     p.DeviceTime.UnixMilli(),
		Received: floorDiv(p.ReceiveTime.UnixMilli(), 1000),
		Lat:      p.Lat, Lon: p.Lon,
		Speed: p.Speed, Heading: p.Heading, Altitude: p.Altitude,
		Alarm: p.Alarm, Status: p.Status,
		Has:     chunk.Items(p.Has) & (chunk.HasMileage | chunk.HasFuel | chunk.HasTachoSpeed | chunk.HasSignal | chunk.HasSatellites),
		Mileage: p.Mileage, Fuel: p.Fuel, TachoSpeed: p.TachoSpeed, Signal: p.Signal, Satellites: p.Satellites,
		BlindArea: p.BlindArea, Version: uint8(p.Version) & 3,
	}
}

// Ingest adds the positions of one stream message (sequence seq) to the
// heads. Positions of vehicles already sealed past seq (a replay after a
// restart) and of unknown terminals (vehicle id 0) are skipped. It is what
// the consumer calls; tests and benchmarks call it directly.
func (s *Service) Ingest(seq uint64, ps []gateway.Position) {
	now := s.now()
	h := s.heads
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range ps {
		p := &ps[i]
		if p.VehicleID <= 0 {
			continue
		}
		if seq != 0 && seq <= h.sealed[p.VehicleID] {
			continue
		}
		hd := h.m[p.VehicleID]
		if hd == nil {
			hd = &head{vehicle: p.VehicleID}
			h.m[p.VehicleID] = hd
		}
		hd.insert(toPoint(p), seq, now)
	}
	h.next = max(h.next, seq+1)
}

// Run consumes the positions stream into the store and runs the sealing
// and retention loops until ctx ends. It does not flush on the way out: the
// checkpoint makes the next Run replay whatever was not sealed.
func (s *Service) Run(ctx context.Context) error {
	if s.events == nil {
		return errors.New("tracks: run: no bus")
	}
	if err := s.load(ctx); err != nil {
		return err
	}
	cc := bus.ConsumerConfig{
		Stream:      s.cfg.Stream,
		Description: "track store " + s.cfg.Consumer,
		Batch:       200,
		// Tracks are written in bulk and nobody waits on them live: let
		// batches fill rather than close a few milliseconds after their
		// first message.
		BatchWait: 250 * time.Millisecond,
	}
	for _, p := range s.cfg.Partitions {
		cc.FilterSubjects = append(cc.FilterSubjects, s.cfg.SubjectPrefix+"."+strconv.Itoa(p))
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		for {
			// The gateway declares the stream; it may start after us.
			if err := s.events.WaitStream(gctx, cc.Stream); err != nil && gctx.Err() != nil {
				return nil
			}
			err := s.consume(gctx, cc)
			if gctx.Err() != nil {
				return nil
			}
			// The connection dropped: resume from the last consumed
			// message after a pause.
			s.logger.Warn("tracks: consumer stopped, retrying", slog.Any("err", err))
			select {
			case <-gctx.Done():
				return nil
			case <-time.After(2 * time.Second):
			}
		}
	})
	g.Go(func() error { return s.sealLoop(gctx) })
	g.Go(func() error { return s.retentionLoop(gctx) })
	err := g.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// consume runs one consumer from the sequence after the last one consumed.
func (s *Service) consume(ctx context.Context, cc bus.ConsumerConfig) error {
	s.heads.mu.Lock()
	from := s.heads.next
	s.heads.mu.Unlock()
	if from > 0 {
		cc.DeliverPolicy, cc.StartSeq = bus.DeliverByStartSeq, from
	}
	s.logger.Info("tracks: consuming positions", slog.String("stream", s.cfg.Stream), slog.Uint64("from_seq", from))
	var buf []gateway.Position
	return s.events.ConsumeBatch(ctx, cc, func(_ context.Context, msgs []*bus.Msg) error {
		for _, m := range msgs {
			var err error
			buf, err = gateway.DecodePositions(m.Data, buf[:0])
			if err != nil {
				// A batch that does not decode never will: log and go on
				// with what decoded.
				s.logger.Error("tracks: undecodable position batch", slog.Uint64("seq", m.Sequence), slog.Any("err", err))
			}
			s.Ingest(m.Sequence, buf)
		}
		return nil
	})
}

// Pending returns the number of points held in heads, not yet sealed.
func (s *Service) Pending() int {
	h := s.heads
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, hd := range h.m {
		n += len(hd.pts)
	}
	return n
}

// load reads the checkpoint and the per-vehicle sealed sequences.
func (s *Service) load(ctx context.Context) error {
	next, sealed, err := loadCheckpoint(ctx, s.db, s.cfg.Consumer)
	if err != nil {
		return fmt.Errorf("tracks: load checkpoint: %w", err)
	}
	h := s.heads
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next = max(h.next, next)
	for v, seq := range sealed {
		h.sealed[v] = max(h.sealed[v], seq)
	}
	h.loaded = true
	return nil
}

func (s *Service) sealLoop(ctx context.Context) error {
	t := time.NewTicker(s.cfg.SealEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, err := s.Seal(ctx, false); err != nil && ctx.Err() == nil {
			// The heads stay in memory and the next round tries again.
			s.logger.Warn("tracks: seal", slog.Any("err", err))
		}
	}
}

// sealJob is a head taken out of the map to be written.
type sealJob struct {
	h      *head
	chunks []sealedChunk
}

// sealedChunk is one encoded chunk with its index columns.
type sealedChunk struct {
	vehicle                        int64
	start, end                     int64
	points                         int
	minLat, minLon, maxLat, maxLon int32
	data                           []byte
}

// Seal writes heads into chunks: the heads that are full or older than
// HeadAge, or every head when all is set. It returns the number of points
// sealed. The checkpoint advances in the same transactions.
func (s *Service) Seal(ctx context.Context, all bool) (int, error) {
	total := 0
	for {
		n, more, err := s.sealRound(ctx, all)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

// sealRound seals at most SealBatch heads in one transaction and reports
// whether more are due.
func (s *Service) sealRound(ctx context.Context, all bool) (int, bool, error) {
	h := s.heads
	h.sealMu.Lock()
	defer h.sealMu.Unlock()
	now := s.now()
	h.mu.Lock()
	var jobs []sealJob
	more := false
	for v, hd := range h.m {
		if !all && len(hd.pts) < s.cfg.ChunkPoints && now.Sub(hd.opened) < s.cfg.HeadAge {
			continue
		}
		if len(jobs) == s.cfg.SealBatch {
			more = true
			break
		}
		jobs = append(jobs, sealJob{h: hd})
		delete(h.m, v)
	}
	replay := h.next
	for _, hd := range h.m {
		replay = min(replay, hd.firstSeq)
	}
	h.mu.Unlock()

	var enc chunk.Encoder
	points := 0
	for i := range jobs {
		jobs[i].chunks = splitChunks(&enc, jobs[i].h, s.cfg.ChunkPoints)
		points += len(jobs[i].h.pts)
	}
	err := writeChunks(ctx, s.db, s.cfg.Consumer, jobs, replay)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		// Put the points back: nothing was written.
		for _, j := range jobs {
			cur := h.m[j.h.vehicle]
			if cur == nil {
				h.m[j.h.vehicle] = j.h
				continue
			}
			for _, p := range j.h.pts {
				cur.insert(p, j.h.firstSeq, j.h.opened)
			}
			cur.firstSeq = min(cur.firstSeq, j.h.firstSeq)
			cur.maxSeq = max(cur.maxSeq, j.h.maxSeq)
		}
		return 0, false, fmt.Errorf("tracks: seal %d heads: %w", len(jobs), err)
	}
	for _, j := range jobs {
		h.sealed[j.h.vehicle] = max(h.sealed[j.h.vehicle], j.h.maxSeq)
	}
	return points, more, nil
}

// splitChunks cuts a head's points into chunks of at most n points and at
// most chunkSpan of time each, and encodes them.
func splitChunks(enc *chunk.Encoder, hd *head, n int) []sealedChunk {
	var out []sealedChunk
	span := chunkSpan.Milliseconds()
	for i := 0; i < len(hd.pts); {
		j := i + 1
		for j < len(hd.pts) && j-i < n && hd.pts[j].Time-hd.pts[i].Time < span {
			j++
		}
		part := hd.pts[i:j]
		data, err := enc.Encode(nil, part)
		if err != nil {
			// Unreachable: n is capped at chunk.MaxPoints.
			panic(err)
		}
		c := sealedChunk{vehicle: hd.vehicle, start: part[0].Time, end: part[len(part)-1].Time, points: len(part), data: data,
			minLat: part[0].Lat, maxLat: part[0].Lat, minLon: part[0].Lon, maxLon: part[0].Lon}
		for _, p := range part[1:] {
			c.minLat, c.maxLat = min(c.minLat, p.Lat), max(c.maxLat, p.Lat)
			c.minLon, c.maxLon = min(c.minLon, p.Lon), max(c.maxLon, p.Lon)
		}
		out = append(out, c)
		i = j
	}
	return out
}

// headPoints returns a copy of the unsealed points of a vehicle within
// [from, to].
func (s *Service) headPoints(vehicle, from, to int64) []chunk.Point {
	h := s.heads
	h.mu.Lock()
	defer h.mu.Unlock()
	hd := h.m[vehicle]
	if hd == nil {
		return nil
	}
	var out []chunk.Point
	for _, p := range hd.pts {
		if p.Time >= from && p.Time <= to {
			out = append(out, p)
		}
	}
	return out
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
