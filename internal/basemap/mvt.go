package basemap

// Mapbox Vector Tile 2.1 encoding, written by hand: the message family
// (Tile, Layer, Feature, Value) is four small messages, and encoding them
// directly avoids a protobuf dependency and any intermediate structures.
//
//	Tile    { repeated Layer layers = 3; }
//	Layer   { uint32 version = 15; string name = 1; repeated Feature features = 2;
//	          repeated string keys = 3; repeated Value values = 4; uint32 extent = 5; }
//	Feature { uint64 id = 1; repeated uint32 tags = 2 [packed]; GeomType type = 3;
//	          repeated uint32 geometry = 4 [packed]; }
//	Value   { string string_value = 1; float float_value = 2; double double_value = 3;
//	          int64 int_value = 4; uint64 uint_value = 5; sint64 sint_value = 6; bool bool_value = 7; }

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Extent is the tile's coordinate range (the MVT default).
const Extent = 4096

// Geometry types of an MVT feature.
const (
	geomPoint   = 1
	geomLine    = 2
	geomPolygon = 3
)

// Geometry commands.
const (
	cmdMoveTo    = 1
	cmdLineTo    = 2
	cmdClosePath = 7
)

// tpt is a point in tile coordinates (0..Extent, y down).
type tpt struct{ X, Y int32 }

// tileFeature is one feature ready to encode: geometry in tile coordinates.
// For points, Parts[0] holds the points; for lines each part is a line; for
// polygons each part is a ring, exterior rings wound clockwise (positive
// area, y down) and followed by their holes.
type tileFeature struct {
	ID    uint64
	Type  int
	Props []prop
	Parts [][]tpt
}

// prop is one attribute; the value is a string, int64, float64 or bool.
type prop struct {
	Key string
	Val any
}

// pbuf is a protobuf writer.
type pbuf []byte

func (b *pbuf) key(num, typ int)         { *b = binary.AppendUvarint(*b, uint64(num)<<3|uint64(typ)) }
func (b *pbuf) varint(num int, v uint64) { b.key(num, 0); *b = binary.AppendUvarint(*b, v) }
func (b *pbuf) bytes(num int, p []byte) {
	b.key(num, 2)
	*b = binary.AppendUvarint(*b, uint64(len(p)))
	*b = append(*b, p...)
}
func (b *pbuf) str(num int, s string) {
	b.key(num, 2)
	*b = binary.AppendUvarint(*b, uint64(len(s)))
	*b = append(*b, s...)
}

func zz(v int32) uint32 { return uint32(v<<1) ^ uint32(v>>31) }

// layerEncoder builds one layer, interning keys and values.
type layerEncoder struct {
	name     string
	keys     []string
	keyIdx   map[string]uint32
	values   []any
	valIdx   map[any]uint32
	features pbuf
	n        int
	geom     []uint32
	tags     []uint32
	scratch  pbuf
}

func newLayerEncoder(name string) *layerEncoder {
	return &layerEncoder{name: name, keyIdx: map[string]uint32{}, valIdx: map[any]uint32{}}
}

func (l *layerEncoder) add(f tileFeature) {
	l.geom = encodeGeometry(l.geom[:0], f.Type, f.Parts)
	if len(l.geom) == 0 {
		return
	}
	l.tags = l.tags[:0]
	for _, p := range f.Props {
		ki, ok := l.keyIdx[p.Key]
		if !ok {
			ki = uint32(len(l.keys))
			l.keys = append(l.keys, p.Key)
			l.keyIdx[p.Key] = ki
		}
		vi, ok := l.valIdx[p.Val]
		if !ok {
			vi = uint32(len(l.values))
			l.values = append(l.values, p.Val)
			l.valIdx[p.Val] = vi
		}
		l.tags = append(l.tags, ki, vi)
	}
	fb := l.scratch[:0]
	if f.ID != 0 {
		fb.varint(1, f.ID)
	}
	if len(l.tags) > 0 {
		fb = appendPacked(fb, 2, l.tags)
	}
	fb.varint(3, uint64(f.Type))
	fb = appendPacked(fb, 4, l.geom)
	l.features.bytes(2, fb)
	l.scratch = fb
	l.n++
}

func appendPacked(b pbuf, num int, vs []uint32) pbuf {
	size := 0
	for _, v := range vs {
		size += uvarintLen(uint64(v))
	}
	b.key(num, 2)
	b = binary.AppendUvarint(b, uint64(size))
	for _, v := range vs {
		b = binary.AppendUvarint(b, uint64(v))
	}
	return b
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// encodeGeometry writes the command stream of a feature; it returns dst
// unchanged when nothing drawable is left.
func encodeGeometry(dst []uint32, typ int, parts [][]tpt) []uint32 {
	var cx, cy int32
	cmd := func(id, count int) uint32 { return uint32(id&7) | uint32(count)<<3 }
	switch typ {
	case geomPoint:
		if len(parts) == 0 || len(parts[0]) == 0 {
			return dst
		}
		pts := parts[0]
		dst = append(dst, cmd(cmdMoveTo, len(pts)))
		for _, p := range pts {
			dst = append(dst, zz(p.X-cx), zz(p.Y-cy))
			cx, cy = p.X, p.Y
		}
	case geomLine, geomPolygon:
		for _, part := range parts {
			n := len(part)
			if typ == geomPolygon && n > 1 && part[0] == part[n-1] {
				n-- // the closing point is implied by ClosePath
			}
			if (typ == geomLine && n < 2) || (typ == geomPolygon && n < 3) {
				continue
			}
			dst = append(dst, cmd(cmdMoveTo, 1), zz(part[0].X-cx), zz(part[0].Y-cy))
			cx, cy = part[0].X, part[0].Y
			dst = append(dst, cmd(cmdLineTo, n-1))
			for _, p := range part[1:n] {
				dst = append(dst, zz(p.X-cx), zz(p.Y-cy))
				cx, cy = p.X, p.Y
			}
			if typ == geomPolygon {
				dst = append(dst, cmd(cmdClosePath, 1))
			}
		}
	}
	return dst
}

// bytes returns the encoded Layer message, or nil when it has no features.
func (l *layerEncoder) encode() []byte {
	if l.n == 0 {
		return nil
	}
	var b pbuf
	b.varint(15, 2)
	b.str(1, l.name)
	b = append(b, l.features...)
	for _, k := range l.keys {
		b.str(3, k)
	}
	for _, v := range l.values {
		var vb pbuf
		switch v := v.(type) {
		case string:
			vb.str(1, v)
		case float64:
			vb.key(3, 1)
			vb = binary.LittleEndian.AppendUint64(vb, math.Float64bits(v))
		case int64:
			if v < 0 {
				vb.varint(6, uint64(v<<1^v>>63))
			} else {
				vb.varint(5, uint64(v))
			}
		case bool:
			bv := uint64(0)
			if v {
				bv = 1
			}
			vb.varint(7, bv)
		}
		b.bytes(4, vb)
	}
	b.varint(5, Extent)
	return b
}

// encodeTile concatenates the non-empty layers into a Tile message.
func encodeTile(layers []*layerEncoder) []byte {
	var t pbuf
	for _, l := range layers {
		if lb := l.encode(); lb != nil {
			t.bytes(3, lb)
		}
	}
	return t
}

// DecodedLayer is one layer of a decoded tile; the decoder exists for the
// tests and tools that check what the encoder produced.
type DecodedLayer struct {
	Name     string
	Extent   uint32
	Features []DecodedFeature
}

// DecodedFeature is a feature with its attributes and geometry in tile
// coordinates (rings without the closing point).
type DecodedFeature struct {
	ID    uint64
	Type  int
	Props map[string]any
	Parts [][]tpt
}

var errTruncated = errors.New("basemap: mvt: truncated message")

type pread struct{ b []byte }

func (r *pread) field() (num, typ int, v uint64, data []byte, ok bool, err error) {
	if len(r.b) == 0 {
		return 0, 0, 0, nil, false, nil
	}
	k, n := binary.Uvarint(r.b)
	if n <= 0 {
		return 0, 0, 0, nil, false, errTruncated
	}
	r.b = r.b[n:]
	num, typ = int(k>>3), int(k&7)
	switch typ {
	case 0:
		v, n = binary.Uvarint(r.b)
		if n <= 0 {
			return 0, 0, 0, nil, false, errTruncated
		}
		r.b = r.b[n:]
	case 1:
		if len(r.b) < 8 {
			return 0, 0, 0, nil, false, errTruncated
		}
		v, r.b = binary.LittleEndian.Uint64(r.b), r.b[8:]
	case 5:
		if len(r.b) < 4 {
			return 0, 0, 0, nil, false, errTruncated
		}
		v, r.b = uint64(binary.LittleEndian.Uint32(r.b)), r.b[4:]
	case 2:
		l, n := binary.Uvarint(r.b)
		if n <= 0 || uint64(len(r.b)-n) < l {
			return 0, 0, 0, nil, false, errTruncated
		}
		data, r.b = r.b[n:n+int(l)], r.b[n+int(l):]
	default:
		return 0, 0, 0, nil, false, fmt.Errorf("basemap: mvt: wire type %d", typ)
	}
	return num, typ, v, data, true, nil
}

func packed(data []byte) ([]uint32, error) {
	var out []uint32
	for len(data) > 0 {
		v, n := binary.Uvarint(data)
		if n <= 0 {
			return nil, errTruncated
		}
		out = append(out, uint32(v))
		data = data[n:]
	}
	return out, nil
}

// DecodeTile parses an MVT tile.
func DecodeTile(b []byte) ([]DecodedLayer, error) {
	var layers []DecodedLayer
	r := pread{b}
	for {
		num, _, _, data, ok, err := r.field()
		if err != nil {
			return nil, err
		}
		if !ok {
			return layers, nil
		}
		if num != 3 {
			continue
		}
		l, err := decodeLayer(data)
		if err != nil {
			return nil, err
		}
		layers = append(layers, l)
	}
}

func decodeLayer(b []byte) (DecodedLayer, error) {
	var (
		l      DecodedLayer
		keys   []string
		values []any
		raw    [][]byte
	)
	r := pread{b}
	for {
		num, _, v, data, ok, err := r.field()
		if err != nil {
			return l, err
		}
		if !ok {
			break
		}
		switch num {
		case 1:
			l.Name = string(data)
		case 2:
			raw = append(raw, data)
		case 3:
			keys = append(keys, string(data))
		case 4:
			vr := pread{data}
			var val any
			for {
				n, _, vv, vd, ok, err := vr.field()
				if err != nil {
					return l, err
				}
				if !ok {
					break
				}
				switch n {
				case 1:
					val = string(vd)
				case 2:
					val = float64(math.Float32frombits(uint32(vv)))
				case 3:
					val = math.Float64frombits(vv)
				case 4, 5:
					val = int64(vv)
				case 6:
					val = int64(vv>>1) ^ -int64(vv&1)
				case 7:
					val = vv != 0
				}
			}
			values = append(values, val)
		case 5:
			l.Extent = uint32(v)
		}
	}
	for _, fb := range raw {
		f := DecodedFeature{Props: map[string]any{}}
		var tags, geom []uint32
		fr := pread{fb}
		for {
			num, _, v, data, ok, err := fr.field()
			if err != nil {
				return l, err
			}
			if !ok {
				break
			}
			switch num {
			case 1:
				f.ID = v
			case 2:
				if tags, err = packed(data); err != nil {
					return l, err
				}
			case 3:
				f.Type = int(v)
			case 4:
				if geom, err = packed(data); err != nil {
					return l, err
				}
			}
		}
		for i := 0; i+1 < len(tags); i += 2 {
			if int(tags[i]) >= len(keys) || int(tags[i+1]) >= len(values) {
				return l, fmt.Errorf("basemap: mvt: layer %s: tag index out of range", l.Name)
			}
			f.Props[keys[tags[i]]] = values[tags[i+1]]
		}
		parts, err := decodeGeometry(f.Type, geom)
		if err != nil {
			return l, fmt.Errorf("basemap: mvt: layer %s: %w", l.Name, err)
		}
		f.Parts = parts
		l.Features = append(l.Features, f)
	}
	return l, nil
}

func decodeGeometry(typ int, g []uint32) ([][]tpt, error) {
	var (
		parts  [][]tpt
		cur    []tpt
		cx, cy int32
	)
	unzz := func(v uint32) int32 { return int32(v>>1) ^ -int32(v&1) }
	for i := 0; i < len(g); {
		id, count := int(g[i]&7), int(g[i]>>3)
		i++
		switch id {
		case cmdMoveTo, cmdLineTo:
			if i+2*count > len(g) {
				return nil, errTruncated
			}
			for j := 0; j < count; j++ {
				cx += unzz(g[i])
				cy += unzz(g[i+1])
				i += 2
				if id == cmdMoveTo && typ != geomPoint {
					if cur != nil {
						parts = append(parts, cur)
					}
					cur = nil
				}
				cur = append(cur, tpt{cx, cy})
			}
		case cmdClosePath:
		default:
			return nil, fmt.Errorf("command %d", id)
		}
	}
	if cur != nil {
		parts = append(parts, cur)
	}
	return parts, nil
}
