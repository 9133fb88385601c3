// Package chunk is the codec of a sealed track chunk: the time-ordered
// positions of one vehicle, compressed column by column. It is pure (no I/O,
// no logging, no globals) so it can be fuzzed and reused; the format is
// documented in docs/track-chunk-format.md.
//
// Each field of the points forms a column of integers. Every column is
// transformed (kept as is, delta, or delta of delta) and then written either
// as plain zig-zag varints or as run-length pairs; the encoder tries each
// combination and keeps the smallest, so a steady 30 s report interval
// costs nothing per point for its time column and a status word that never
// changes costs two bytes for the whole chunk. Columns that are zero after
// the transform are not written at all.
//
// The round trip is exact: Decode(Encode(pts)) == pts for every field of
// Point, whatever the values (out-of-order times, wrap-arounds, extremes).
package chunk

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"

	"github.com/jiaotong-platform/jiaotong/internal/platform/wire"
)

// Point is one stored position. It keeps every field of a gateway position
// that reports need; see docs/track-chunk-format.md for what is left out.
type Point struct {
	// Time is the terminal's device time, unix milliseconds.
	Time int64
	// Received is when the platform received the report, unix seconds
	// (whole seconds: the sub-second part is the gateway's read instant and
	// costs a byte per point without telling anything useful).
	Received int64
	Lat, Lon int32  // WGS-84 micro-degrees
	Speed    uint16 // 0.1 km/h
	Heading  uint16 // degrees
	Altitude int32  // metres
	Alarm    uint32 // JT/T 808 alarm word
	Status   uint32 // JT/T 808 status word

	Has        Items  // which of the additional items below are present
	Mileage    uint32 // odometer, 0.1 km
	Fuel       uint16 // 0.1 L
	TachoSpeed uint16 // tachograph speed, 0.1 km/h
	Signal     uint8  // wireless signal strength
	Satellites uint8  // GNSS satellites in use

	BlindArea bool  // re-sent after a coverage gap (0x0704 type 1)
	Version   uint8 // JT/T 808 edition code of the terminal (0..3)
}

// Items is a set of additional items; the bits match gateway.Items.
type Items uint8

// The additional items a Point may carry.
const (
	HasMileage Items = 1 << iota
	HasFuel
	HasTachoSpeed
	HasSignal
	HasSatellites

	allItems = HasMileage | HasFuel | HasTachoSpeed | HasSignal | HasSatellites
)

// MaxPoints bounds the points of one chunk, so a corrupt or hostile chunk
// cannot make Decode allocate without limit.
const MaxPoints = 1 << 16

const (
	magic = 'K'
	// Formats: the column body as is, or compressed with DEFLATE when
	// that is smaller (it usually is by a fifth: varints of similar
	// magnitude repeat byte patterns).
	formatRaw     = 1
	formatDeflate = 2

	// maxRawSize bounds an inflated body: far more than MaxPoints points
	// can take (15 columns of at most 10-byte varints plus headers).
	maxRawSize = MaxPoints*numColumns*10 + 64
	// minDeflate is the body size below which DEFLATE is not tried.
	minDeflate = 48
)

// Errors of Encode and Decode.
var (
	ErrCorrupt  = errors.New("chunk: corrupt chunk")
	ErrTooLarge = errors.New("chunk: too many points")
)

// Column indexes, in the order the columns are written.
const (
	colTime = iota
	colReceived
	colLat
	colLon
	colSpeed
	colHeading
	colAltitude
	colAlarm
	colStatus
	colFlags // Has | BlindArea<<5 | Version<<6
	colMileage
	colFuel
	colTacho
	colSignal
	colSatellites
	numColumns
)

// Transforms and modes of a column (the column header byte is
// transform<<4 | mode).
const (
	transNone  = 0
	transDelta = 1
	transDoD   = 2

	modePlain  = 1
	modeRLE    = 2
	modePacked = 3
)

// optional maps the item columns to their Has bit.
var optional = [numColumns]Items{
	colMileage: HasMileage, colFuel: HasFuel, colTacho: HasTachoSpeed,
	colSignal: HasSignal, colSatellites: HasSatellites,
}

// Encoder encodes chunks into a buffer it reuses, so steady sealing does not
// allocate. The zero value is ready to use; an Encoder is not safe for
// concurrent use.
type Encoder struct {
	col  []int64
	tmp  []int64
	hdr  []byte
	body []byte
	zbuf bytes.Buffer
	zw   *flate.Writer
}

// Encode appends the chunk of pts to dst and returns it. The points are
// stored in the given order (the store sorts them by Time first).
func Encode(dst []byte, pts []Point) ([]byte, error) {
	var e Encoder
	return e.Encode(dst, pts)
}

// Encode appends the chunk of pts to dst and returns it.
func (e *Encoder) Encode(dst []byte, pts []Point) ([]byte, error) {
	if len(pts) > MaxPoints {
		return dst, fmt.Errorf("%w: %d points, at most %d", ErrTooLarge, len(pts), MaxPoints)
	}
	var present uint64
	e.body = e.body[:0]
	for c := range numColumns {
		e.col = column(e.col[:0], pts, c)
		var hdr byte
		hdr, e.body = appendColumn(e.body, e.col, &e.tmp)
		if hdr != 0 {
			present |= 1 << c
		}
	}
	e.hdr = binary.AppendUvarint(e.hdr[:0], uint64(len(pts)))
	e.hdr = binary.AppendUvarint(e.hdr, present)
	if len(e.hdr)+len(e.body) >= minDeflate {
		if z, ok := e.deflate(); ok && len(z) < len(e.hdr)+len(e.body) {
			dst = append(dst, magic, formatDeflate)
			return append(dst, z...), nil
		}
	}
	dst = append(dst, magic, formatRaw)
	dst = append(dst, e.hdr...)
	return append(dst, e.body...), nil
}

// deflate compresses the body into the encoder's scratch buffer.
func (e *Encoder) deflate() ([]byte, bool) {
	e.zbuf.Reset()
	if e.zw == nil {
		zw, err := flate.NewWriter(&e.zbuf, flate.BestSpeed)
		if err != nil {
			return nil, false
		}
		e.zw = zw
	} else {
		e.zw.Reset(&e.zbuf)
	}
	if _, err := e.zw.Write(e.hdr); err != nil {
		return nil, false
	}
	if _, err := e.zw.Write(e.body); err != nil {
		return nil, false
	}
	if err := e.zw.Close(); err != nil {
		return nil, false
	}
	return e.zbuf.Bytes(), true
}

// column extracts column c of pts as int64 values (item columns only for
// the points that have the item).
func column(dst []int64, pts []Point, c int) []int64 {
	for i := range pts {
		p := &pts[i]
		if bit := optional[c]; bit != 0 && p.Has&bit == 0 {
			continue
		}
		var v int64
		switch c {
		case colTime:
			v = p.Time
		case colReceived:
			v = p.Received - floorDiv(p.Time, 1000)
		case colLat:
			v = int64(p.Lat)
		case colLon:
			v = int64(p.Lon)
		case colSpeed:
			v = int64(p.Speed)
		case colHeading:
			v = int64(p.Heading)
		case colAltitude:
			v = int64(p.Altitude)
		case colAlarm:
			v = int64(p.Alarm)
		case colStatus:
			v = int64(p.Status)
		case colFlags:
			v = int64(p.Has) | int64(b2i(p.BlindArea))<<5 | int64(p.Version&3)<<6
		case colMileage:
			v = int64(p.Mileage)
		case colFuel:
			v = int64(p.Fuel)
		case colTacho:
			v = int64(p.TachoSpeed)
		case colSignal:
			v = int64(p.Signal)
		case colSatellites:
			v = int64(p.Satellites)
		}
		dst = append(dst, v)
	}
	return dst
}

// appendColumn writes the cheapest encoding of vals, returning its header
// byte (0 when the column is all zeros and nothing is written).
func appendColumn(dst []byte, vals []int64, tmp *[]int64) (byte, []byte) {
	bestSize, bestTrans, bestMode := math.MaxInt, 0, 0
	for trans := transNone; trans <= transDoD; trans++ {
		t := transform((*tmp)[:0], vals, trans)
		*tmp = t
		plain, rle, packed, zero := sizes(t)
		if zero {
			if trans == transNone {
				return 0, dst
			}
			// All-zero after a transform of non-zero values cannot
			// happen (the first value is kept as is).
		}
		if plain < bestSize {
			bestSize, bestTrans, bestMode = plain, trans, modePlain
		}
		if rle < bestSize {
			bestSize, bestTrans, bestMode = rle, trans, modeRLE
		}
		if packed < bestSize {
			bestSize, bestTrans, bestMode = packed, trans, modePacked
		}
	}
	t := transform((*tmp)[:0], vals, bestTrans)
	*tmp = t
	hdr := byte(bestTrans<<4 | bestMode)
	dst = append(dst, hdr)
	switch bestMode {
	case modePlain:
		for _, v := range t {
			dst = binary.AppendVarint(dst, v)
		}
		return hdr, dst
	case modePacked:
		return hdr, appendPacked(dst, t)
	}
	for i := 0; i < len(t); {
		j := i + 1
		for j < len(t) && t[j] == t[i] {
			j++
		}
		dst = binary.AppendVarint(dst, t[i])
		dst = binary.AppendUvarint(dst, uint64(j-i))
		i = j
	}
	return hdr, dst
}

// transform applies a transform with wrapping arithmetic (exactly undone by
// untransform whatever the values).
func transform(dst, vals []int64, trans int) []int64 {
	var prev, prevDelta int64
	for i, v := range vals {
		switch trans {
		case transNone:
			dst = append(dst, v)
		case transDelta:
			dst = append(dst, v-prev)
		case transDoD:
			d := v - prev
			if i == 0 {
				dst = append(dst, v)
			} else {
				dst = append(dst, d-prevDelta)
			}
			if i > 0 {
				prevDelta = d
			}
		}
		prev = v
	}
	return dst
}

// sizes returns the plain, run-length and bit-packed sizes of vals and
// whether they are all zero.
func sizes(vals []int64) (plain, rle, packed int, zero bool) {
	zero = true
	var all uint64
	for _, v := range vals {
		all |= zigzag(v)
	}
	packed = 2 + (len(vals)*bits.Len64(all)+7)/8
	for i := 0; i < len(vals); {
		v := vals[i]
		if v != 0 {
			zero = false
		}
		j := i + 1
		for j < len(vals) && vals[j] == v {
			j++
		}
		n := varintLen(v)
		plain += n * (j - i)
		rle += n + uvarintLen(uint64(j-i))
		i = j
	}
	return plain + 1, rle + 1, packed, zero
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// appendPacked writes the zig-zag values with the fewest bits that hold the
// largest: a width byte, then the bits, least significant first.
func appendPacked(dst []byte, vals []int64) []byte {
	var all uint64
	for _, v := range vals {
		all |= zigzag(v)
	}
	w := bits.Len64(all)
	dst = append(dst, byte(w))
	var acc uint64 // pending bits
	var n int      // number of pending bits
	for _, v := range vals {
		u := zigzag(v)
		acc |= u << n
		if n+w >= 64 {
			// The value straddles the accumulator: flush 64 bits and keep
			// the high part of u.
			dst = binary.LittleEndian.AppendUint64(dst, acc)
			shift := 64 - n
			if shift == 64 {
				acc = 0
			} else {
				acc = u >> shift
			}
			n = n + w - 64
			continue
		}
		n += w
	}
	for n > 0 {
		dst = append(dst, byte(acc))
		acc >>= 8
		n -= 8
	}
	return dst
}

func varintLen(v int64) int {
	return uvarintLen(uint64(v<<1) ^ uint64(v>>63))
}

func uvarintLen(u uint64) int {
	n := 1
	for u >= 0x80 {
		u >>= 7
		n++
	}
	return n
}

// Len returns the number of points of a chunk without decoding it.
func Len(data []byte) (int, error) {
	r := reader{wire.NewReader(data, ErrCorrupt)}
	var z inflater
	if err := r.header(&z); err != nil {
		return 0, err
	}
	n := r.Uvarint()
	if r.Err != nil {
		return 0, r.Err
	}
	if n > MaxPoints {
		return 0, fmt.Errorf("%w: %d points", ErrCorrupt, n)
	}
	return int(n), nil
}

// Decode decodes a chunk, appending its points to dst. It never panics on
// malformed input: anything that is not a chunk written by Encode is
// reported as ErrCorrupt.
func Decode(data []byte, dst []Point) ([]Point, error) {
	var d Decoder
	return d.Decode(data, dst)
}

// Decoder decodes chunks with scratch space it reuses; not safe for
// concurrent use.
type Decoder struct {
	col []int64
	z   inflater
}

// Decode is the package Decode with reused scratch space.
func (d *Decoder) Decode(data []byte, dst []Point) ([]Point, error) {
	r := reader{wire.NewReader(data, ErrCorrupt)}
	if err := r.header(&d.z); err != nil {
		return dst, err
	}
	n64 := r.Uvarint()
	present := r.Uvarint()
	if r.Err != nil {
		return dst, r.Err
	}
	if n64 > MaxPoints {
		return dst, fmt.Errorf("%w: %d points", ErrCorrupt, n64)
	}
	if present>>numColumns != 0 {
		return dst, fmt.Errorf("%w: unknown columns", ErrCorrupt)
	}
	n := int(n64)
	base := len(dst)
	dst = append(dst, make([]Point, n)...)
	pts := dst[base:]
	for c := range numColumns {
		// Item columns hold one value per point having the item; the
		// flags column comes before them, so Has is known here.
		want := n
		bit := optional[c]
		if bit != 0 {
			want = 0
			for i := range pts {
				if pts[i].Has&bit != 0 {
					want++
				}
			}
		}
		d.col = d.col[:0]
		if present&(1<<c) != 0 {
			d.col = r.column(d.col, want)
		} else {
			for range want {
				d.col = append(d.col, 0)
			}
		}
		if r.Err != nil {
			return dst[:base], r.Err
		}
		if err := store(pts, c, d.col); err != nil {
			return dst[:base], err
		}
	}
	if len(r.B) != 0 {
		return dst[:base], fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(r.B))
	}
	return dst, nil
}

// store sets field c of pts from the decoded column, checking ranges.
func store(pts []Point, c int, vals []int64) error {
	bad := func(what string, v int64) error {
		return fmt.Errorf("%w: %s %d out of range", ErrCorrupt, what, v)
	}
	k := 0
	for i := range pts {
		p := &pts[i]
		if bit := optional[c]; bit != 0 && p.Has&bit == 0 {
			continue
		}
		v := vals[k]
		k++
		switch c {
		case colTime:
			p.Time = v
		case colReceived:
			p.Received = v + floorDiv(p.Time, 1000)
		case colLat, colLon, colAltitude:
			if v < math.MinInt32 || v > math.MaxInt32 {
				return bad("coordinate", v)
			}
			switch c {
			case colLat:
				p.Lat = int32(v)
			case colLon:
				p.Lon = int32(v)
			default:
				p.Altitude = int32(v)
			}
		case colSpeed, colHeading, colFuel, colTacho:
			if v < 0 || v > math.MaxUint16 {
				return bad("16-bit value", v)
			}
			switch c {
			case colSpeed:
				p.Speed = uint16(v)
			case colHeading:
				p.Heading = uint16(v)
			case colFuel:
				p.Fuel = uint16(v)
			default:
				p.TachoSpeed = uint16(v)
			}
		case colAlarm, colStatus, colMileage:
			if v < 0 || v > math.MaxUint32 {
				return bad("32-bit value", v)
			}
			switch c {
			case colAlarm:
				p.Alarm = uint32(v)
			case colStatus:
				p.Status = uint32(v)
			default:
				p.Mileage = uint32(v)
			}
		case colSignal, colSatellites:
			if v < 0 || v > math.MaxUint8 {
				return bad("8-bit value", v)
			}
			if c == colSignal {
				p.Signal = uint8(v)
			} else {
				p.Satellites = uint8(v)
			}
		case colFlags:
			if v < 0 || v > 0xff || Items(v)&^allItems&0x1f != 0 {
				return bad("flags", v)
			}
			p.Has = Items(v) & allItems
			p.BlindArea = v&(1<<5) != 0
			p.Version = uint8(v >> 6)
		}
	}
	return nil
}

type reader struct{ wire.Reader }

// header checks the magic and, for a deflated chunk, inflates the body
// into scratch (bounded by maxRawSize).
func (r *reader) header(z *inflater) error {
	if len(r.B) < 2 || r.B[0] != magic {
		r.Fail("bad magic")
		return r.Err
	}
	switch r.B[1] {
	case formatRaw:
		r.B = r.B[2:]
	case formatDeflate:
		body, err := z.inflate(r.B[2:])
		if err != nil {
			r.Fail(err.Error())
			return r.Err
		}
		r.B = body
	default:
		r.Fail(fmt.Sprintf("unknown format %d", r.B[1]))
		return r.Err
	}
	return nil
}

// inflater decompresses deflated bodies with a reader and buffer it reuses.
type inflater struct {
	zr  io.ReadCloser
	src bytes.Reader
	out bytes.Buffer
}

func (z *inflater) inflate(data []byte) ([]byte, error) {
	z.src.Reset(data)
	if z.zr == nil {
		z.zr = flate.NewReader(&z.src)
	} else if err := z.zr.(flate.Resetter).Reset(&z.src, nil); err != nil {
		return nil, err
	}
	z.out.Reset()
	n, err := z.out.ReadFrom(io.LimitReader(z.zr, maxRawSize+1))
	if err != nil {
		return nil, fmt.Errorf("inflate: %v", err)
	}
	if n > maxRawSize {
		return nil, errors.New("inflated body too large")
	}
	return z.out.Bytes(), nil
}

// column reads one written column of want values and undoes its transform.
func (r *reader) column(dst []int64, want int) []int64 {
	if len(r.B) == 0 {
		r.Fail("truncated column")
		return dst
	}
	hdr := r.B[0]
	r.B = r.B[1:]
	trans, mode := int(hdr>>4), int(hdr&0x0f)
	if trans > transDoD || mode < modePlain || mode > modePacked {
		r.Fail("bad column header")
		return dst
	}
	switch mode {
	case modePlain:
		for range want {
			v := r.Varint()
			if r.Err != nil {
				return dst
			}
			dst = append(dst, v)
		}
	case modePacked:
		if len(r.B) == 0 {
			r.Fail("truncated column")
			return dst
		}
		w := int(r.B[0])
		r.B = r.B[1:]
		if w > 64 {
			r.Fail("bad bit width")
			return dst
		}
		size := (want*w + 7) / 8
		if size > len(r.B) {
			r.Fail("truncated column")
			return dst
		}
		data := r.B[:size]
		r.B = r.B[size:]
		bit := 0
		for range want {
			var u uint64
			for got := 0; got < w; {
				byteIdx, off := bit>>3, bit&7
				take := min(8-off, w-got)
				u |= uint64(data[byteIdx]>>off&(1<<take-1)) << got
				got += take
				bit += take
			}
			dst = append(dst, unzigzag(u))
		}
	case modeRLE:
		for len(dst) < want {
			v := r.Varint()
			run := r.Uvarint()
			if r.Err != nil {
				return dst
			}
			if run == 0 || run > uint64(want-len(dst)) {
				r.Fail("bad run length")
				return dst
			}
			for range run {
				dst = append(dst, v)
			}
		}
	}
	// Undo the transform in place (wrapping arithmetic, as in transform).
	var prev, prevDelta int64
	for i, t := range dst {
		var v int64
		switch trans {
		case transNone:
			v = t
		case transDelta:
			v = prev + t
		case transDoD:
			if i == 0 {
				v = t
			} else {
				d := prevDelta + t
				v = prev + d
				prevDelta = d
			}
		}
		dst[i] = v
		prev = v
	}
	return dst
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
