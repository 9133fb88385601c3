package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
)

// session is one terminal's TCP connection to the gateway: it registers,
// authenticates, sends messages with increasing serials, matches each
// 0x8001 to the message it answers, and answers the platform's commands.
type session struct {
	conn    net.Conn
	phone   jt808.Phone
	version jt808.Version
	stats   *Stats

	wmu    sync.Mutex // serial, wbuf, writes
	serial uint16
	wbuf   []byte

	pmu     sync.Mutex
	pending map[uint16]pendingMsg
	last    *jt808.Location // last location sent, for 0x8201

	// onAck, if set, runs on the reader goroutine after each position ack.
	onAck func()
	// timeout bounds writes and the handshake.
	timeout time.Duration
}

type pendingMsg struct {
	sent      time.Time
	positions int
}

// dialer returns a dialer from the local address ip (nil: any).
func dialer(ip net.IP, timeout time.Duration) *net.Dialer {
	d := &net.Dialer{Timeout: timeout, KeepAlive: -1}
	if ip != nil {
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	return d
}

func newSession(conn net.Conn, phone string, v jt808.Version, stats *Stats, timeout time.Duration) (*session, error) {
	p, err := jt808.ParsePhone(phone, v)
	if err != nil {
		return nil, fmt.Errorf("sim: terminal phone %q: %w", phone, err)
	}
	return &session{conn: conn, phone: p, version: v, stats: stats, pending: map[uint16]pendingMsg{}, timeout: timeout}, nil
}

// send writes one message; positions > 0 marks it as carrying that many
// positions whose acknowledgement is awaited and timed.
func (s *session) send(body jt808.Body, positions int) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.serial++
	h := jt808.Header{Version: s.version, Phone: s.phone, Serial: s.serial}
	if s.version == jt808.V2019 {
		h.ProtocolVersion = 1
	}
	var err error
	s.wbuf, err = jt808.Encode(s.wbuf[:0], h, body)
	if err != nil {
		return err
	}
	if positions > 0 {
		s.pmu.Lock()
		s.pending[h.Serial] = pendingMsg{sent: time.Now(), positions: positions}
		if l, ok := body.(*jt808.Location); ok {
			s.last = l
		}
		s.pmu.Unlock()
	}
	if s.timeout > 0 {
		_ = s.conn.SetWriteDeadline(time.Now().Add(s.timeout))
	}
	if _, err := s.conn.Write(s.wbuf); err != nil {
		s.stats.Errors.Add(1)
		return fmt.Errorf("sim: write: %w", err)
	}
	if positions > 0 {
		s.stats.Sent.Add(int64(positions))
	}
	s.stats.Messages.Add(1)
	return nil
}

func (s *session) close() { _ = s.conn.Close() }

// register and authenticate: 0x0100 → 0x8100 (auth code) → 0x0102 →
// 0x8001. A cached code skips registration, as a real terminal does after
// its first connection.
func (s *session) handshake(v *Vehicle, code string, sp *jt808.Splitter, rbuf []byte) (string, error) {
	deadline := time.Now().Add(s.timeout)
	_ = s.conn.SetReadDeadline(deadline)
	defer s.conn.SetReadDeadline(time.Time{})
	if code == "" {
		reg := &jt808.Register{ProvinceID: 51, CityID: 100, Manufacturer: "JTSIM", Model: "SIM-808",
			TerminalID: terminalID(v), PlateColor: uint8(v.PlateColor), Plate: v.Plate}
		if reg.PlateColor == 0 {
			reg.Plate = v.VIN
		}
		if err := s.send(reg, 0); err != nil {
			return "", err
		}
		resp, err := s.await(sp, rbuf, func(h *jt808.Header, b jt808.Body) bool { return h.MsgID == jt808.MsgRegisterResponse })
		if err != nil {
			return "", fmt.Errorf("sim: register %s: %w", v.TerminalPhone, err)
		}
		rr := resp.(*jt808.RegisterResponse)
		if rr.Result != jt808.RegisterOK {
			return "", fmt.Errorf("sim: register %s: refused with result %d", v.TerminalPhone, rr.Result)
		}
		code = rr.AuthCode
	}
	auth := &jt808.Auth{Code: code, IMEI: "86000000" + last(v.TerminalPhone, 7), SoftwareVersion: "jtsim-1"}
	if err := s.send(auth, 0); err != nil {
		return "", err
	}
	resp, err := s.await(sp, rbuf, func(h *jt808.Header, b jt808.Body) bool {
		r, ok := b.(*jt808.PlatformResponse)
		return ok && r.ReplyID == jt808.MsgAuth
	})
	if err != nil {
		return "", fmt.Errorf("sim: authenticate %s: %w", v.TerminalPhone, err)
	}
	if r := resp.(*jt808.PlatformResponse); r.Result != jt808.ResultOK {
		return "", fmt.Errorf("sim: authenticate %s: %w (result %d)", v.TerminalPhone, errAuthRefused, r.Result)
	}
	return code, nil
}

var errAuthRefused = errors.New("authentication refused")

func terminalID(v *Vehicle) string {
	if v.TerminalID != "" {
		return v.TerminalID
	}
	return last(v.TerminalPhone, 7)
}

func last(s string, n int) string {
	if len(s) <= n {
		return strings.Repeat("0", n-len(s)) + s
	}
	return s[len(s)-n:]
}

// await reads until match accepts a message, handling others on the way.
func (s *session) await(sp *jt808.Splitter, rbuf []byte, match func(*jt808.Header, jt808.Body) bool) (jt808.Body, error) {
	for {
		for {
			frame, err := sp.Next()
			if errors.Is(err, jt808.ErrNeedMore) {
				break
			}
			if err != nil {
				s.stats.Errors.Add(1)
				continue
			}
			h, b, ok := s.decode(frame)
			if !ok {
				continue
			}
			if match(&h, b) {
				return b, nil
			}
			s.handle(&h, b)
		}
		n, err := s.conn.Read(rbuf)
		if err != nil {
			return nil, err
		}
		sp.Feed(rbuf[:n])
	}
}

func (s *session) decode(frame []byte) (jt808.Header, jt808.Body, bool) {
	pkt, err := jt808.Unpack(frame)
	if err != nil {
		s.stats.Errors.Add(1)
		return jt808.Header{}, nil, false
	}
	h, body, err := jt808.ParseHeader(pkt)
	if err != nil {
		s.stats.Errors.Add(1)
		return h, nil, false
	}
	h.Version = s.version
	b, err := jt808.DecodeBody(&h, body)
	if err != nil {
		s.stats.Errors.Add(1)
		return h, nil, false
	}
	return h, b, true
}

// readLoop handles the platform's messages until the connection ends.
func (s *session) readLoop(sp *jt808.Splitter, rbuf []byte) error {
	_, err := s.await(sp, rbuf, func(*jt808.Header, jt808.Body) bool { return false })
	return err
}

// handle acts on one platform message.
func (s *session) handle(h *jt808.Header, b jt808.Body) {
	switch m := b.(type) {
	case *jt808.PlatformResponse:
		s.pmu.Lock()
		p, ok := s.pending[m.ReplySerial]
		if ok {
			delete(s.pending, m.ReplySerial)
		}
		s.pmu.Unlock()
		if !ok {
			return
		}
		if m.Result == jt808.ResultOK {
			s.stats.Acked.Add(int64(p.positions))
			s.stats.Latency.Record(time.Since(p.sent))
		} else {
			s.stats.Rejected.Add(int64(p.positions))
		}
		if s.onAck != nil {
			s.onAck()
		}
	case *jt808.TextMessage:
		s.stats.Texts.Add(1)
		s.reply(h, jt808.ResultOK)
	case *jt808.QueryLocation:
		s.pmu.Lock()
		l := s.last
		s.pmu.Unlock()
		if l != nil {
			_ = s.send(&jt808.LocationReply{ReplySerial: h.Serial, Location: *l}, 0)
		}
	case *jt808.RegisterResponse, *jt808.ServerTime:
	default:
		if h.MsgID >= 0x8000 {
			s.stats.Commands.Add(1)
			s.reply(h, jt808.ResultOK)
		}
	}
}

func (s *session) reply(h *jt808.Header, result uint8) {
	_ = s.send(&jt808.TerminalResponse{GeneralResponse: jt808.GeneralResponse{
		ReplySerial: h.Serial, ReplyID: h.MsgID, Result: result}}, 0)
}

// connect dials server from ip and completes the handshake; code is the
// cached auth code ("" to register). On an auth refusal with a cached code
// it registers once more.
func connect(ctx context.Context, server string, ip net.IP, v *Vehicle, version jt808.Version, code string,
	stats *Stats, timeout time.Duration) (*session, *jt808.Splitter, []byte, string, error) {
	for attempt := 0; ; attempt++ {
		conn, err := dialer(ip, timeout).DialContext(ctx, "tcp", server)
		if err != nil {
			stats.Errors.Add(1)
			return nil, nil, nil, "", fmt.Errorf("sim: dial %s: %w", server, err)
		}
		s, err := newSession(conn, v.TerminalPhone, version, stats, timeout)
		if err != nil {
			conn.Close()
			return nil, nil, nil, "", err
		}
		sp := jt808.NewSplitter(0)
		rbuf := make([]byte, 512)
		newCode, err := s.handshake(v, code, sp, rbuf)
		if err == nil {
			stats.Connects.Add(1)
			return s, sp, rbuf, newCode, nil
		}
		conn.Close()
		if errors.Is(err, errAuthRefused) && code != "" && attempt == 0 {
			code = ""
			continue
		}
		stats.Errors.Add(1)
		return nil, nil, nil, "", err
	}
}
