package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
)

// A session is one terminal connection. One goroutine reads and handles its
// frames; replies are appended to an output queue that the reading
// goroutine, the publisher that acknowledges positions or a command sender
// writes out, one writer at a time. An idle session holds a small read
// buffer, the splitter and this struct: no second goroutine, no big buffer.
type session struct {
	g      *Gateway
	c      net.Conn
	raw    syscall.RawConn // for non-blocking writes; nil when unavailable
	remote string
	since  time.Time

	lastActive atomic.Int64 // unix nanoseconds of the last frame
	frames     atomic.Uint64
	positions  atomic.Uint64
	acked      atomic.Uint64
	badFrames  atomic.Uint64

	mu            sync.Mutex
	phone         jt808.Phone // as the terminal sends it (6 or 10 bytes)
	key           string      // phone without leading zeros
	version       jt808.Version
	protoVer      uint8
	versionKnown  bool // 2011 was told from a 0x0100 body
	vehicle       registry.VehicleRef
	authenticated bool
	authCode      string
	serial        uint16 // next platform serial
	out           []byte // replies not yet written
	writing       bool   // a writer owns the socket
	closed        bool
	waiters       map[uint16]*waiter // downlink commands by their serial

	consecutiveBad int                // read goroutine only
	reasm          *jt808.Reassembler // read goroutine only; nil when no fragments are pending
}

func newSession(g *Gateway, c net.Conn) *session {
	s := &session{g: g, c: c, remote: c.RemoteAddr().String(), since: g.now()}
	if sc, ok := c.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			s.raw = raw
		}
	}
	s.lastActive.Store(s.since.UnixNano())
	return s
}

const minReadBuffer = 256

// serve is the read loop: it runs until the connection ends.
func (s *session) serve() {
	defer s.finish()
	g := s.g
	buf := make([]byte, minReadBuffer)
	sp := jt808.NewSplitter(g.cfg.MaxFrame)
	small := 0
	for {
		if err := s.c.SetReadDeadline(g.now().Add(g.cfg.IdleTimeout)); err != nil {
			return
		}
		n, err := s.c.Read(buf)
		if n > 0 {
			s.lastActive.Store(g.now().UnixNano())
			sp.Feed(buf[:n])
			for {
				frame, ferr := sp.Next()
				if errors.Is(ferr, jt808.ErrNeedMore) {
					break
				}
				if ferr != nil {
					g.m.decodeErrors.WithLabelValues("frame_too_large").Inc()
					if !s.malformed() {
						return
					}
					continue
				}
				if !s.handleFrame(frame) {
					return
				}
			}
			// Grow for terminals that send in bursts, shrink back when they
			// calm down, so idle connections keep a small buffer.
			switch {
			case n == len(buf) && len(buf) < g.cfg.MaxReadBuffer:
				buf = make([]byte, min(2*len(buf), g.cfg.MaxReadBuffer))
				small = 0
			case len(buf) > minReadBuffer && n < len(buf)/8:
				if small++; small >= 4 {
					buf = make([]byte, len(buf)/2)
					small = 0
				}
			default:
				small = 0
			}
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				s.g.m.dropped.WithLabelValues("idle").Inc()
				s.g.logger.Info("gateway: idle terminal disconnected", slog.String("phone", s.phoneKey()), slog.String("remote", s.remote))
			}
			return
		}
	}
}

// malformed counts a bad frame; false means too many in a row: disconnect.
func (s *session) malformed() bool {
	s.badFrames.Add(1)
	s.consecutiveBad++
	if s.consecutiveBad > s.g.cfg.MaxBadFrames {
		s.g.m.dropped.WithLabelValues("malformed").Inc()
		s.g.logger.Warn("gateway: too many malformed frames, disconnecting", slog.String("phone", s.phoneKey()), slog.String("remote", s.remote))
		return false
	}
	return true
}

func (s *session) finish() {
	s.mu.Lock()
	s.closed = true
	ws := s.waiters
	s.waiters = nil
	s.mu.Unlock()
	for _, w := range ws {
		w.fail(errOffline)
	}
	s.c.Close()
}

// close ends the connection from another goroutine; serve notices and
// cleans up.
func (s *session) close(reason string) {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	if !already {
		s.g.m.dropped.WithLabelValues(reason).Inc()
	}
	s.c.Close()
}

func (s *session) phoneKey() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.key
}

// handleFrame processes one frame; false closes the connection.
func (s *session) handleFrame(frame []byte) bool {
	g := s.g
	s.frames.Add(1)
	pkt, err := jt808.Unpack(frame)
	if err != nil {
		kind := "checksum"
		if !errors.Is(err, jt808.ErrChecksum) {
			kind = "truncated"
		}
		g.m.decodeErrors.WithLabelValues(kind).Inc()
		// A bad check code with a readable header is answered "message
		// error" so the terminal re-sends; anything shorter is dropped.
		if h, _, herr := jt808.ParseHeader(pkt); herr == nil || errors.Is(herr, jt808.ErrBodyLength) {
			if s.sameTerminal(&h) {
				s.reply(&h, jt808.ResultMessageError)
			}
		}
		return s.malformed()
	}
	h, body, err := jt808.ParseHeader(pkt)
	if err != nil {
		g.m.decodeErrors.WithLabelValues("header").Inc()
		if errors.Is(err, jt808.ErrBodyLength) && s.sameTerminal(&h) {
			s.reply(&h, jt808.ResultMessageError)
		}
		return s.malformed()
	}
	g.m.frame(h.MsgID)
	if !s.bindPhone(&h) {
		// One connection carries one terminal.
		g.m.decodeErrors.WithLabelValues("foreign_phone").Inc()
		return s.malformed()
	}
	if h.Encryption != 0 {
		g.m.decodeErrors.WithLabelValues("encrypted").Inc()
		s.reply(&h, jt808.ResultNotSupported)
		return true
	}
	if h.Subpackage {
		return s.fragment(&h, body)
	}
	return s.dispatch(&h, body)
}

// sameTerminal reports whether h may be answered on this connection.
func (s *session) sameTerminal(h *jt808.Header) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.key == "" || s.key == h.Phone.Key()
}

// bindPhone ties the connection to the first phone it sees, remembers the
// header form (2013 vs 2019) and refines h.Version with what the session
// knows (2011 is only told from a 0x0100 body).
func (s *session) bindPhone(h *jt808.Header) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key == "" {
		s.phone = h.Phone
		s.key = h.Phone.Key()
		s.version = h.Version
	} else if h.Phone.Key() != s.key {
		return false
	}
	s.phone = h.Phone
	s.protoVer = h.ProtocolVersion
	switch {
	case h.Version == jt808.V2019:
		s.version = jt808.V2019
	case s.versionKnown && s.version == jt808.V2011:
		h.Version = jt808.V2011
	case s.version == jt808.V2019:
		// A terminal switched to the 2013 header (firmware change).
		s.version = jt808.V2013
	}
	return true
}

// dispatch handles one complete message.
func (s *session) dispatch(h *jt808.Header, body []byte) bool {
	s.consecutiveBad = 0
	switch h.MsgID {
	case jt808.MsgRegister:
		return s.register(h, body)
	case jt808.MsgAuth:
		return s.authenticate(h, body)
	case jt808.MsgHeartbeat:
		s.reply(h, jt808.ResultOK)
		return true
	}
	if !s.isAuthenticated() {
		// Nothing but registration and authentication before 0x0102.
		s.reply(h, jt808.ResultFailure)
		return true
	}
	switch h.MsgID {
	case jt808.MsgDeregister:
		s.reply(h, jt808.ResultOK)
		s.mu.Lock()
		s.authenticated = false
		s.mu.Unlock()
		s.g.unbind(s)
		return true
	case jt808.MsgLocation:
		return s.location(h, body)
	case jt808.MsgLocationBatch:
		return s.locationBatch(h, body)
	case jt808.MsgTerminalResponse, jt808.MsgParameters, jt808.MsgLocationReply:
		return s.commandReply(h, body)
	case jt808.MsgQueryServerTime:
		s.send(jt808.NewServerTime(s.g.now()), true)
		return true
	}
	if jt808.MsgName(h.MsgID) == "unknown" {
		s.reply(h, jt808.ResultNotSupported)
		return true
	}
	// Known messages this gateway does not process further (multimedia
	// events, pass-through, driver identity ...) are acknowledged.
	s.reply(h, jt808.ResultOK)
	return true
}

func (s *session) isAuthenticated() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authenticated
}

func (s *session) register(h *jt808.Header, body []byte) bool {
	g := s.g
	var m jt808.Register
	v := h.Version
	if v != jt808.V2019 && len(body) <= 36 {
		v = jt808.V2011
	}
	if err := m.DecodeBody(body, v); err != nil {
		g.m.decodeErrors.WithLabelValues("body").Inc()
		s.reply(h, jt808.ResultMessageError)
		return s.malformed()
	}
	key := h.Phone.Key()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ref, err := g.lookupTerminal(ctx, key)
	resp := &jt808.RegisterResponse{ReplySerial: h.Serial}
	switch {
	case errors.Is(err, apperr.ErrNotFound):
		resp.Result = jt808.RegisterNoSuchTerminal
	case err != nil:
		g.logger.Error("gateway: register: registry lookup", slog.String("phone", key), slog.Any("err", err))
		s.reply(h, jt808.ResultFailure)
		return true
	case m.PlateColor != jt808.PlateNone && m.Plate != "" && !samePlate(m.Plate, ref.Plate):
		// The terminal is on file but claims another vehicle.
		resp.Result = jt808.RegisterNoSuchVehicle
	default:
		resp.Result = jt808.RegisterOK
		resp.AuthCode = g.AuthCode(key, ref.ID)
	}
	s.mu.Lock()
	s.version = v
	s.versionKnown = true
	s.mu.Unlock()
	if resp.Result != jt808.RegisterOK {
		g.logger.Info("gateway: registration refused", slog.String("phone", key), slog.String("plate", m.Plate),
			slog.Int("result", int(resp.Result)), slog.String("remote", s.remote))
	}
	s.send(resp, true)
	return true
}

func samePlate(a, b string) bool {
	norm := func(p string) string { return strings.ToUpper(strings.Join(strings.Fields(p), "")) }
	return norm(a) == norm(b)
}

func (s *session) authenticate(h *jt808.Header, body []byte) bool {
	g := s.g
	var m jt808.Auth
	if err := m.DecodeBody(body, h.Version); err != nil {
		g.m.decodeErrors.WithLabelValues("body").Inc()
		s.reply(h, jt808.ResultMessageError)
		return s.malformed()
	}
	key := h.Phone.Key()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ref, err := g.lookupTerminal(ctx, key)
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		g.logger.Error("gateway: authenticate: registry lookup", slog.String("phone", key), slog.Any("err", err))
		s.reply(h, jt808.ResultFailure)
		return true
	}
	if err != nil || strings.TrimSpace(m.Code) != g.AuthCode(key, ref.ID) {
		g.logger.Info("gateway: authentication refused", slog.String("phone", key), slog.String("remote", s.remote))
		s.reply(h, jt808.ResultFailure)
		return true
	}
	s.mu.Lock()
	s.vehicle = ref
	s.authenticated = true
	s.authCode = m.Code
	s.mu.Unlock()
	g.bind(s)
	s.reply(h, jt808.ResultOK)
	return true
}

// location publishes a 0x0200 report; its reply waits for the stream.
func (s *session) location(h *jt808.Header, body []byte) bool {
	m := locationPool.Get().(*jt808.Location)
	defer locationPool.Put(m)
	if err := jt808.DecodeLocation(m, body); err != nil {
		s.g.m.decodeErrors.WithLabelValues("body").Inc()
		s.reply(h, jt808.ResultMessageError)
		return s.malformed()
	}
	now := s.g.now()
	p := positionPool.Get().(*[1]Position)
	defer positionPool.Put(p)
	s.toPosition(&p[0], m, now, false, h.Version)
	s.positions.Add(1)
	s.g.pl.submit(p[0].VehicleID, p[:], pendingAck{to: s, serial: h.Serial, msgID: h.MsgID, received: now})
	return true
}

// locationBatch publishes every item of a 0x0704 batch in one stream
// message; one reply after it is stored.
func (s *session) locationBatch(h *jt808.Header, body []byte) bool {
	var m jt808.LocationBatch
	if err := m.DecodeBody(body, h.Version); err != nil {
		s.g.m.decodeErrors.WithLabelValues("body").Inc()
		s.reply(h, jt808.ResultMessageError)
		return s.malformed()
	}
	now := s.g.now()
	ps := make([]Position, len(m.Items))
	for i := range m.Items {
		s.toPosition(&ps[i], &m.Items[i], now, m.Type == jt808.BatchBlindArea, h.Version)
	}
	s.positions.Add(uint64(len(ps)))
	s.g.pl.submit(s.vehicleID(), ps, pendingAck{to: s, serial: h.Serial, msgID: h.MsgID, received: now})
	return true
}

func (s *session) vehicleID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.vehicle.ID
}

// toPosition normalises a decoded location body.
func (s *session) toPosition(p *Position, m *jt808.Location, now time.Time, blind bool, v jt808.Version) {
	s.mu.Lock()
	p.VehicleID = s.vehicle.ID
	p.Phone = s.key
	s.mu.Unlock()
	p.ReceiveTime = now
	if t, err := m.Time.Time(); err == nil {
		p.DeviceTime, p.UndatedDevice = t, false
	} else {
		p.DeviceTime, p.UndatedDevice = now, true
	}
	p.Lat, p.Lon = m.Lat, m.Lon
	p.Speed, p.Heading, p.Altitude = m.Speed, m.Direction, int32(m.Altitude)
	p.Alarm, p.Status = uint32(m.Alarm), uint32(m.Status)
	p.BlindArea = blind
	p.Version = ProtocolVersion(v)
	p.Has = 0
	if x, ok := m.Mileage(); ok {
		p.Mileage, p.Has = x, p.Has|HasMileage
	}
	if x, ok := m.Fuel(); ok {
		p.Fuel, p.Has = x, p.Has|HasFuel
	}
	if x, ok := m.TachographSpeed(); ok {
		p.TachoSpeed, p.Has = x, p.Has|HasTachoSpeed
	}
	if x, ok := m.SignalStrength(); ok {
		p.Signal, p.Has = x, p.Has|HasSignal
	}
	if x, ok := m.Satellites(); ok {
		p.Satellites, p.Has = x, p.Has|HasSatellites
	}
	// The items as on the wire (ID, length, value), trailing bytes kept.
	p.Extra = p.Extra[:0]
	for _, it := range m.Items {
		p.Extra = append(p.Extra, it.ID, byte(len(it.Value)))
		p.Extra = append(p.Extra, it.Value...)
	}
	p.Extra = append(p.Extra, m.Trailing...)
	if len(p.Extra) == 0 {
		p.Extra = nil
	}
}

// locationPool recycles decoded location bodies (their item slices) across
// connections, so the hot path does not allocate and idle sessions hold none.
var locationPool = sync.Pool{New: func() any { return new(jt808.Location) }}

// positionPool recycles the one-position slices of 0x0200 reports; the
// batch encoder copies a position, so the slice is free after submit.
var positionPool = sync.Pool{New: func() any { return new([1]Position) }}

// positionsStored is the pipeline telling the outcome of a batch. On
// success the 0x8001 reply is queued; on failure nothing is sent and the
// terminal re-sends. It returns true when the caller must flush s.
func (s *session) positionsStored(a *pendingAck, ok bool) {
	if !ok {
		return
	}
	s.acked.Add(1)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	h := s.headerLocked()
	resp := jt808.PlatformResponse{}
	resp.ReplySerial, resp.ReplyID, resp.Result = a.serial, a.msgID, jt808.ResultOK
	s.out, _ = jt808.Encode(s.out, h, &resp)
	s.mu.Unlock()
	s.flush(false)
}

// headerLocked builds the header of the next platform message.
func (s *session) headerLocked() jt808.Header {
	h := jt808.Header{Version: s.version, ProtocolVersion: s.protoVer, Phone: s.phone, Serial: s.serial}
	if h.Version == jt808.V2011 {
		h.Version = jt808.V2013 // same header
	}
	s.serial++
	return h
}

// reply answers h with a general response.
func (s *session) reply(h *jt808.Header, result uint8) {
	s.send(jt808.NewPlatformResponse(h, result), true)
}

// send queues one platform message and writes it out. inline is true on the
// read goroutine, which may block on the socket (it then reads no more:
// back-pressure); other goroutines only try a non-blocking write.
func (s *session) send(body jt808.Body, inline bool) (serial uint16, err error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return 0, errOffline
	}
	h := s.headerLocked()
	serial = h.Serial
	var buf []byte
	buf, err = jt808.Encode(s.out, h, bodyVersioned{body, s.version})
	if err != nil {
		s.mu.Unlock()
		return 0, err
	}
	s.out = buf
	s.mu.Unlock()
	s.flush(inline)
	return serial, nil
}

// bodyVersioned encodes a body for a 2011 terminal with the 2013 header.
type bodyVersioned struct {
	jt808.Body
	v jt808.Version
}

func (b bodyVersioned) AppendBody(dst []byte, _ jt808.Version) ([]byte, error) {
	return b.Body.AppendBody(dst, b.v)
}

// flush writes the output queue unless another writer owns the socket.
func (s *session) flush(inline bool) {
	s.mu.Lock()
	if s.writing || len(s.out) == 0 || s.closed {
		s.mu.Unlock()
		return
	}
	if len(s.out) > s.g.cfg.MaxWriteQueue {
		s.mu.Unlock()
		s.close("write queue full")
		return
	}
	s.writing = true
	if !inline && s.raw != nil {
		// Try one non-blocking write; the kernel buffer nearly always has
		// room for a few replies.
		var n int
		var werr error
		out := s.out
		rerr := s.raw.Write(func(fd uintptr) bool {
			n, werr = syscall.Write(int(fd), out)
			return true
		})
		if rerr == nil && werr == nil && n == len(out) {
			s.out = s.out[:0]
			s.writing = false
			s.shrinkOutLocked()
			s.mu.Unlock()
			return
		}
		if rerr != nil || (werr != nil && werr != syscall.EAGAIN && werr != syscall.EINTR) {
			s.writing = false
			s.mu.Unlock()
			s.close("write error")
			return
		}
		if n > 0 {
			s.out = s.out[:copy(s.out, s.out[n:])]
		}
		s.mu.Unlock()
		go s.writeLoop()
		return
	}
	s.mu.Unlock()
	if inline {
		s.writeLoop()
	} else {
		go s.writeLoop()
	}
}

// writeLoop writes the queue until it is empty; the caller set s.writing.
func (s *session) writeLoop() {
	var spare []byte
	for {
		s.mu.Lock()
		if len(s.out) == 0 || s.closed {
			s.writing = false
			s.shrinkOutLocked()
			s.mu.Unlock()
			// No deadline between writes: the non-blocking path would
			// fail on an expired one.
			_ = s.c.SetWriteDeadline(time.Time{})
			return
		}
		data := s.out
		s.out = spare[:0]
		s.mu.Unlock()
		_ = s.c.SetWriteDeadline(s.g.now().Add(s.g.cfg.WriteTimeout))
		_, err := s.c.Write(data)
		if err != nil {
			s.mu.Lock()
			s.writing = false
			s.mu.Unlock()
			s.close("write error")
			return
		}
		spare = data
	}
}

// shrinkOutLocked drops a grown output buffer once it is empty, so idle
// connections stay small.
func (s *session) shrinkOutLocked() {
	if cap(s.out) > 512 {
		s.out = nil
	}
}

var errOffline = fmt.Errorf("terminal offline: %w", apperr.ErrConflict)

// lookupTerminal asks the registry on a goroutine of its own: a database
// lookup runs deep stacks, and a connection goroutine that ran one would keep
// a grown stack for a long while although it then idles for hours.
func (g *Gateway) lookupTerminal(ctx context.Context, key string) (registry.VehicleRef, error) {
	type result struct {
		ref registry.VehicleRef
		err error
	}
	ch := make(chan result, 1)
	go func() {
		ref, err := g.vehicles.VehicleByTerminalPhone(ctx, key)
		ch <- result{ref, err}
	}()
	r := <-ch
	return r.ref, r.err
}
