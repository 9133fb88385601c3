package gateway_test

import (
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
)

// terminal is a test JT/T 808 terminal speaking over TCP.
type terminal struct {
	t      testing.TB
	c      net.Conn
	v      jt808.Version
	phone  jt808.Phone
	serial uint16
	sp     *jt808.Splitter
	buf    []byte
	out    []byte
}

func dialTerminal(t testing.TB, addr, phone string, v jt808.Version) *terminal {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial gateway: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	p, err := jt808.ParsePhone(phone, v)
	if err != nil {
		t.Fatalf("phone %s: %v", phone, err)
	}
	return &terminal{t: t, c: c, v: v, phone: p, sp: jt808.NewSplitter(0), buf: make([]byte, 4096)}
}

// frame encodes body as this terminal's next message.
func (tm *terminal) frame(body jt808.Body) ([]byte, uint16) {
	tm.t.Helper()
	h := jt808.Header{Version: tm.v, Phone: tm.phone, Serial: tm.serial}
	if tm.v == jt808.V2019 {
		h.ProtocolVersion = 1
	}
	tm.serial++
	f, err := jt808.Encode(nil, h, body)
	if err != nil {
		tm.t.Fatalf("encode %T: %v", body, err)
	}
	return f, h.Serial
}

// send writes one message and returns its serial.
func (tm *terminal) send(body jt808.Body) uint16 {
	tm.t.Helper()
	f, serial := tm.frame(body)
	tm.write(f)
	return serial
}

func (tm *terminal) write(b []byte) {
	tm.t.Helper()
	_ = tm.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := tm.c.Write(b); err != nil {
		tm.t.Fatalf("terminal write: %v", err)
	}
}

// next reads the next platform message.
func (tm *terminal) next() (jt808.Header, jt808.Body) {
	tm.t.Helper()
	h, b, err := tm.tryNext(10 * time.Second)
	if err != nil {
		tm.t.Fatalf("terminal %s: read: %v", tm.phone.Key(), err)
	}
	return h, b
}

func (tm *terminal) tryNext(wait time.Duration) (jt808.Header, jt808.Body, error) {
	for {
		frame, err := tm.sp.Next()
		if err == nil {
			pkt, err := jt808.Unpack(frame)
			if err != nil {
				return jt808.Header{}, nil, fmt.Errorf("unpack: %w", err)
			}
			return jt808.Decode(pkt)
		}
		if !errors.Is(err, jt808.ErrNeedMore) {
			return jt808.Header{}, nil, err
		}
		_ = tm.c.SetReadDeadline(time.Now().Add(wait))
		n, err := tm.c.Read(tm.buf)
		if n > 0 {
			tm.out = append(tm.out[:0], tm.buf[:n]...)
			tm.sp.Feed(tm.out)
		}
		if err != nil && n == 0 {
			return jt808.Header{}, nil, err
		}
	}
}

// response reads the next message and requires a 0x8001 answering serial.
func (tm *terminal) response(serial, msgID uint16) uint8 {
	tm.t.Helper()
	h, b := tm.next()
	r, ok := b.(*jt808.PlatformResponse)
	if !ok {
		tm.t.Fatalf("terminal %s: got %s %T, want 0x8001 for serial %d", tm.phone.Key(), jt808.MsgIDString(h.MsgID), b, serial)
	}
	if r.ReplySerial != serial || r.ReplyID != msgID {
		tm.t.Fatalf("terminal %s: 0x8001 answers %s serial %d, want %s serial %d", tm.phone.Key(),
			jt808.MsgIDString(r.ReplyID), r.ReplySerial, jt808.MsgIDString(msgID), serial)
	}
	if h.Version != tm.v && !(tm.v == jt808.V2011 && h.Version == jt808.V2013) {
		tm.t.Fatalf("terminal %s speaks %s, reply came in %s", tm.phone.Key(), tm.v, h.Version)
	}
	return r.Result
}

// register sends 0x0100 and returns the 0x8100 result and code.
func (tm *terminal) register(plate string) (uint8, string) {
	tm.t.Helper()
	serial := tm.send(&jt808.Register{ProvinceID: 51, CityID: 100, Manufacturer: "JTTST", Model: "M1",
		TerminalID: "T000001", PlateColor: jt808.PlateYellow, Plate: plate})
	h, b := tm.next()
	r, ok := b.(*jt808.RegisterResponse)
	if !ok {
		tm.t.Fatalf("register: got %s %T", jt808.MsgIDString(h.MsgID), b)
	}
	if r.ReplySerial != serial {
		tm.t.Fatalf("register: reply serial %d, want %d", r.ReplySerial, serial)
	}
	return r.Result, r.AuthCode
}

// login registers and authenticates, failing the test otherwise.
func (tm *terminal) login(plate string) {
	tm.t.Helper()
	res, code := tm.register(plate)
	if res != jt808.RegisterOK || code == "" {
		tm.t.Fatalf("terminal %s: register result %d code %q", tm.phone.Key(), res, code)
	}
	serial := tm.send(&jt808.Auth{Code: code, IMEI: "860000000000001", SoftwareVersion: "1.0"})
	if r := tm.response(serial, jt808.MsgAuth); r != jt808.ResultOK {
		tm.t.Fatalf("terminal %s: auth result %d", tm.phone.Key(), r)
	}
}

// location builds a report: position i of a little drive.
func location(i int, at time.Time) *jt808.Location {
	l := &jt808.Location{
		Status:    jt808.Status(0b11),
		Lat:       30_657_400 + int32(i)*10,
		Lon:       104_065_800 - int32(i)*7,
		Altitude:  500,
		Speed:     uint16(400 + i),
		Direction: uint16(i % 360),
		Time:      jt808.BCDTimeOf(at),
		Items: []jt808.Item{
			{ID: jt808.ItemMileage, Value: []byte{0, 1, 0, byte(i)}},
			{ID: jt808.ItemSignalStrength, Value: []byte{20}},
			{ID: jt808.ItemSatellites, Value: []byte{12}},
		},
	}
	return l
}
