package gateway

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/wire"
)

// Position is one normalised location report of a terminal, the event the
// gateway publishes on the POSITIONS stream and the contract that monitor and
// tracks consume. It comes from a 0x0200 report, one item of a 0x0704 batch
// or a 0x0201 position-query reply.
//
// Coordinates are WGS-84 integer micro-degrees with the hemisphere applied
// (south and west are negative), as the terminal reported them.
type Position struct {
	VehicleID int64
	Phone     string // terminal phone, leading zeros stripped
	// DeviceTime is the terminal's own clock (the report's GMT+8 time,
	// converted); ReceiveTime is when the gateway read the frame. Blind-area
	// records can be hours older than their receive time.
	DeviceTime  time.Time
	ReceiveTime time.Time

	Lat, Lon int32  // micro-degrees, signed
	Speed    uint16 // 0.1 km/h (GNSS speed)
	Heading  uint16 // degrees, 0 = north, clockwise
	Altitude int32  // metres
	Alarm    uint32 // alarm word as reported (bits named in protocol/jt808)
	Status   uint32 // status word as reported

	// Decoded additional items; Has tells which are present.
	Has        Items
	Mileage    uint32 // 0x01: odometer, 0.1 km
	Fuel       uint16 // 0x02: 0.1 L
	TachoSpeed uint16 // 0x03: tachograph speed, 0.1 km/h
	Signal     uint8  // 0x30: wireless signal strength
	Satellites uint8  // 0x31: GNSS satellites in use

	// Extra holds every additional item of the report as on the wire (ID,
	// length, value ...), including the decoded ones, so a consumer can
	// decode vendor items per terminal model later.
	Extra []byte

	// BlindArea marks a record re-sent after a coverage gap (0x0704 type 1):
	// history, never a live position.
	BlindArea bool
	// UndatedDevice marks a report whose own time did not parse (not BCD,
	// no such date): DeviceTime then holds the receive time, so consumers
	// can place the point but must not count it as a good report.
	UndatedDevice bool
	// Version is the terminal's protocol version (see ProtocolVersion).
	Version ProtocolVersion
}

// Items is a set of decoded additional items of a Position.
type Items uint8

// The additional items a Position carries decoded.
const (
	HasMileage Items = 1 << iota
	HasFuel
	HasTachoSpeed
	HasSignal
	HasSatellites
)

// ProtocolVersion names the JT/T 808 edition a terminal speaks.
type ProtocolVersion uint8

// The three editions in the field.
const (
	V2013 ProtocolVersion = iota // the zero value: most terminals
	V2011
	V2019
)

func (v ProtocolVersion) String() string {
	switch v {
	case V2011:
		return "2011"
	case V2013:
		return "2013"
	case V2019:
		return "2019"
	}
	return "v" + strconv.Itoa(int(v))
}

// Partition returns the POSITIONS partition of a vehicle: a mixed hash of its
// id modulo n. Every producer and consumer of the stream uses this function,
// so a vehicle's positions stay in one partition and in order.
func Partition(vehicleID int64, n int) int {
	if n <= 1 {
		return 0
	}
	// splitmix64 finaliser: consecutive ids spread evenly.
	x := uint64(vehicleID)
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return int(x % uint64(n))
}

// Position batch wire format (one stream message carries many positions):
//
//	magic 'P', format version 1, base time (uvarint unix ms),
//	then records until the end of the message, each:
//	  flags B (bit0 blind area, bits 1-2 protocol version, bit3 extra present,
//	  bit4 undated device time),
//	  has B (Items), vehicle id uvarint, phone (uvarint length + bytes),
//	  receive time (zigzag varint ms relative to base),
//	  device time (zigzag varint ms relative to the receive time),
//	  lat, lon (zigzag varint), speed, heading (uvarint), altitude (zigzag),
//	  alarm, status (uvarint), then each present item in Items order (uvarint),
//	  extra (uvarint length + bytes) when flagged.
//
// Varints keep a typical position with four items near 45 bytes.
const (
	batchMagic   = 'P'
	batchVersion = 1
)

// ErrBadBatch reports a position batch that does not decode.
var ErrBadBatch = errors.New("gateway: malformed position batch")

// BatchEncoder builds one position batch into a buffer it reuses: after
// Reset it appends positions without allocating once the buffer has grown.
type BatchEncoder struct {
	buf  []byte
	base int64
	n    int
}

// Reset starts a new batch whose relative times are counted from base.
func (e *BatchEncoder) Reset(base time.Time) {
	e.base = base.UnixMilli()
	e.buf = append(e.buf[:0], batchMagic, batchVersion)
	e.buf = binary.AppendUvarint(e.buf, uint64(e.base))
	e.n = 0
}

// Len is the number of positions in the batch; Size its encoded length.
func (e *BatchEncoder) Len() int  { return e.n }
func (e *BatchEncoder) Size() int { return len(e.buf) }

// Bytes returns the encoded batch; it aliases the encoder's buffer until the
// next Reset.
func (e *BatchEncoder) Bytes() []byte { return e.buf }

// Append adds one position to the batch.
func (e *BatchEncoder) Append(p *Position) {
	if len(e.buf) == 0 {
		e.Reset(p.ReceiveTime)
	}
	var flags byte
	if p.BlindArea {
		flags |= 1
	}
	flags |= byte(p.Version&3) << 1
	if len(p.Extra) > 0 {
		flags |= 1 << 3
	}
	if p.UndatedDevice {
		flags |= 1 << 4
	}
	b := append(e.buf, flags, byte(p.Has))
	b = binary.AppendUvarint(b, uint64(p.VehicleID))
	b = binary.AppendUvarint(b, uint64(len(p.Phone)))
	b = append(b, p.Phone...)
	recv := p.ReceiveTime.UnixMilli()
	b = binary.AppendVarint(b, recv-e.base)
	b = binary.AppendVarint(b, p.DeviceTime.UnixMilli()-recv)
	b = binary.AppendVarint(b, int64(p.Lat))
	b = binary.AppendVarint(b, int64(p.Lon))
	b = binary.AppendUvarint(b, uint64(p.Speed))
	b = binary.AppendUvarint(b, uint64(p.Heading))
	b = binary.AppendVarint(b, int64(p.Altitude))
	b = binary.AppendUvarint(b, uint64(p.Alarm))
	b = binary.AppendUvarint(b, uint64(p.Status))
	if p.Has&HasMileage != 0 {
		b = binary.AppendUvarint(b, uint64(p.Mileage))
	}
	if p.Has&HasFuel != 0 {
		b = binary.AppendUvarint(b, uint64(p.Fuel))
	}
	if p.Has&HasTachoSpeed != 0 {
		b = binary.AppendUvarint(b, uint64(p.TachoSpeed))
	}
	if p.Has&HasSignal != 0 {
		b = append(b, p.Signal)
	}
	if p.Has&HasSatellites != 0 {
		b = append(b, p.Satellites)
	}
	if len(p.Extra) > 0 {
		b = binary.AppendUvarint(b, uint64(len(p.Extra)))
		b = append(b, p.Extra...)
	}
	e.buf = b
	e.n++
}

// AppendPositions encodes ps as one batch appended to dst.
func AppendPositions(dst []byte, ps []Position) []byte {
	e := BatchEncoder{buf: dst[len(dst):]}
	base := time.Time{}
	if len(ps) > 0 {
		base = ps[0].ReceiveTime
	}
	e.Reset(base)
	for i := range ps {
		e.Append(&ps[i])
	}
	if len(dst) == 0 {
		return e.buf
	}
	return append(dst, e.buf...)
}

// DecodePositions decodes a batch, appending its positions to dst. Phone and
// Extra are copied, so the result does not alias data.
func DecodePositions(data []byte, dst []Position) ([]Position, error) {
	r := reader{wire.NewReader(data, ErrBadBatch)}
	if len(data) < 2 || data[0] != batchMagic {
		return dst, fmt.Errorf("%w: bad magic", ErrBadBatch)
	}
	if data[1] != batchVersion {
		return dst, fmt.Errorf("%w: unknown format version %d", ErrBadBatch, data[1])
	}
	r.B = data[2:]
	base := int64(r.Uvarint())
	for r.Err == nil && len(r.B) > 0 {
		var p Position
		flags := r.Byte()
		p.Has = Items(r.Byte())
		if flags&^0x1f != 0 || p.Has&^(HasMileage|HasFuel|HasTachoSpeed|HasSignal|HasSatellites) != 0 {
			return dst, fmt.Errorf("%w: unknown flags", ErrBadBatch)
		}
		p.BlindArea = flags&1 != 0
		p.UndatedDevice = flags&(1<<4) != 0
		p.Version = ProtocolVersion(flags>>1) & 3
		p.VehicleID = int64(r.Uvarint())
		p.Phone = string(r.bytes())
		recv := base + r.Varint()
		p.ReceiveTime = time.UnixMilli(recv)
		p.DeviceTime = time.UnixMilli(recv + r.Varint())
		p.Lat = r.int32()
		p.Lon = r.int32()
		p.Speed = r.uint16()
		p.Heading = r.uint16()
		p.Altitude = r.int32()
		p.Alarm = r.uint32()
		p.Status = r.uint32()
		if p.Has&HasMileage != 0 {
			p.Mileage = r.uint32()
		}
		if p.Has&HasFuel != 0 {
			p.Fuel = r.uint16()
		}
		if p.Has&HasTachoSpeed != 0 {
			p.TachoSpeed = r.uint16()
		}
		if p.Has&HasSignal != 0 {
			p.Signal = r.Byte()
		}
		if p.Has&HasSatellites != 0 {
			p.Satellites = r.Byte()
		}
		if flags&(1<<3) != 0 {
			x := r.bytes()
			if r.Err == nil && len(x) == 0 {
				return dst, fmt.Errorf("%w: empty extra items", ErrBadBatch)
			}
			p.Extra = append([]byte(nil), x...)
		}
		if r.Err != nil {
			break
		}
		dst = append(dst, p)
	}
	if r.Err != nil {
		return dst, r.Err
	}
	return dst, nil
}

// PositionBatchCodec is the bus.Codec of a position batch, for
// bus.NewTopic[[]gateway.Position].
type PositionBatchCodec struct{}

// Encode appends the batch to dst.
func (PositionBatchCodec) Encode(dst []byte, v []Position) ([]byte, error) {
	return AppendPositions(dst, v), nil
}

// Decode replaces *v with the positions of data.
func (PositionBatchCodec) Decode(data []byte, v *[]Position) error {
	ps, err := DecodePositions(data, (*v)[:0])
	*v = ps
	return err
}

// reader is a cursor over a batch that records the first error.
type reader struct{ wire.Reader }

func (r *reader) int32() int32 {
	v := r.Varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		r.Fail("value out of range")
		return 0
	}
	return int32(v)
}

func (r *reader) uint32() uint32 {
	v := r.Uvarint()
	if v > math.MaxUint32 {
		r.Fail("value out of range")
		return 0
	}
	return uint32(v)
}

func (r *reader) uint16() uint16 {
	v := r.Uvarint()
	if v > math.MaxUint16 {
		r.Fail("value out of range")
		return 0
	}
	return uint16(v)
}

func (r *reader) bytes() []byte {
	n := r.Uvarint()
	if r.Err != nil {
		return nil
	}
	if n > uint64(len(r.B)) {
		r.Fail("truncated")
		return nil
	}
	v := r.B[:n]
	r.B = r.B[n:]
	return v
}
