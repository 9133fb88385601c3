package roadnet

// OpenStreetMap PBF (Protocolbuffer Binary Format) reader. The protobuf wire
// format is decoded by hand: the two message families involved
// (fileformat.proto and osmformat.proto) are small and stable, and a
// generated decoder would add a dependency and allocate per entity.
//
// A file is a sequence of blocks, each a 4-byte big-endian length, a
// BlobHeader {type, datasize} of that length, and a Blob of datasize bytes
// holding one message raw or zlib-compressed. The first block of interest is
// an OSMHeader (HeaderBlock), whose required features a reader must all
// understand; the OSMData blocks (PrimitiveBlock) carry the entities.
// Block types this reader does not know are skipped, as the format asks.

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Size limits of the format: a reader must refuse larger blocks, which also
// bounds the memory a corrupt or hostile file can claim.
const (
	pbfMaxHeaderSize = 64 << 10 // BlobHeader
	pbfMaxBlobSize   = 32 << 20 // Blob as stored (compressed)
	pbfMaxRawSize    = 64 << 20 // Blob content once decompressed
)

// pbfFeatures are the required features this reader understands.
var pbfFeatures = map[string]bool{
	"OsmSchema-V0.6": true,
	"DenseNodes":     true,
}

// Protobuf wire types.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

var errTruncated = errors.New("truncated protobuf message")

// pbField is one field of a protobuf message: its number, wire type, and
// either its integer value (varint, fixed32, fixed64) or its bytes.
type pbField struct {
	num  uint64
	typ  int
	v    uint64
	data []byte
}

// pbReader walks the fields of one protobuf message.
type pbReader struct{ b []byte }

// next returns the next field; ok is false at the end of the message.
func (r *pbReader) next() (f pbField, ok bool, err error) {
	if len(r.b) == 0 {
		return f, false, nil
	}
	key, err := r.varint()
	if err != nil {
		return f, false, err
	}
	f.num, f.typ = key>>3, int(key&7)
	if f.num == 0 {
		return f, false, errors.New("protobuf field number 0")
	}
	switch f.typ {
	case wireVarint:
		f.v, err = r.varint()
	case wireFixed64:
		if len(r.b) < 8 {
			return f, false, errTruncated
		}
		f.v, r.b = binary.LittleEndian.Uint64(r.b), r.b[8:]
	case wireFixed32:
		if len(r.b) < 4 {
			return f, false, errTruncated
		}
		f.v, r.b = uint64(binary.LittleEndian.Uint32(r.b)), r.b[4:]
	case wireBytes:
		var n uint64
		n, err = r.varint()
		if err == nil && n > uint64(len(r.b)) {
			err = errTruncated
		}
		if err == nil {
			f.data, r.b = r.b[:n], r.b[n:]
		}
	default:
		// Groups (3, 4) are not used by the OSM format.
		err = fmt.Errorf("protobuf wire type %d not supported (field %d)", f.typ, f.num)
	}
	if err != nil {
		return f, false, err
	}
	return f, true, nil
}

func (r *pbReader) varint() (uint64, error) {
	v, n := binary.Uvarint(r.b)
	if n == 0 {
		return 0, errTruncated
	}
	if n < 0 {
		return 0, errors.New("protobuf varint overflows 64 bits")
	}
	r.b = r.b[n:]
	return v, nil
}

// zigzag decodes a sint32/sint64 value.
func zigzag(v uint64) int64 { return int64(v>>1) ^ -int64(v&1) }

// appendVarints appends the values of a repeated integer field: the whole
// packed run when the field is length-delimited, or its single value when a
// writer did not pack it (protobuf readers must accept both).
func appendVarints(dst []uint64, f pbField) ([]uint64, error) {
	switch f.typ {
	case wireVarint:
		return append(dst, f.v), nil
	case wireBytes:
		b := f.data
		for len(b) > 0 {
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return dst, fmt.Errorf("field %d: bad packed varint", f.num)
			}
			dst = append(dst, v)
			b = b[n:]
		}
		return dst, nil
	}
	return dst, fmt.Errorf("field %d: wire type %d for a repeated integer", f.num, f.typ)
}

// appendDeltas appends a delta-coded packed sint64 field, decoded to
// absolute values starting from the last value already accumulated.
func appendDeltas(dst []int64, f pbField) ([]int64, error) {
	var acc int64
	if len(dst) > 0 {
		acc = dst[len(dst)-1]
	}
	add := func(u uint64) {
		acc += zigzag(u)
		dst = append(dst, acc)
	}
	switch f.typ {
	case wireVarint:
		add(f.v)
		return dst, nil
	case wireBytes:
		b := f.data
		for len(b) > 0 {
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return dst, fmt.Errorf("field %d: bad packed varint", f.num)
			}
			add(v)
			b = b[n:]
		}
		return dst, nil
	}
	return dst, fmt.Errorf("field %d: wire type %d for a repeated integer", f.num, f.typ)
}

// wantType checks a singular field's wire type.
func wantType(f pbField, typ int) error {
	if f.typ != typ {
		return fmt.Errorf("field %d: wire type %d, want %d", f.num, f.typ, typ)
	}
	return nil
}

// pbfReader holds the state and reusable buffers of one PBF parse.
type pbfReader struct {
	r        *bufio.Reader
	c        osmSink
	offset   int64 // where the next block starts, for error messages
	header   bool  // OSMHeader seen
	hbuf     []byte
	blob     bytes.Buffer
	raw      bytes.Buffer
	zr       io.ReadCloser
	strs     []string
	tags     map[string]string
	ids      []int64
	lats     []int64
	lons     []int64
	refs     []int64
	keys     []uint64
	vals     []uint64
	keysVals []uint64
	roles    []uint64
	memIDs   []int64
	memTypes []uint64
	members  []Member
}

func parsePBF(r io.Reader) (*Graph, error) {
	c := newOSMCollector()
	if err := readPBF(r, c); err != nil {
		return nil, err
	}
	return c.graph()
}

// readPBF streams an OSM PBF file into c.
func readPBF(r io.Reader, c osmSink) error {
	p := &pbfReader{r: bufio.NewReaderSize(r, 64<<10), c: c, tags: make(map[string]string, 16)}
	for n := 0; ; n++ {
		start := p.offset
		more, err := p.block()
		if err != nil {
			return fmt.Errorf("pbf: block %d at byte %d: %w", n, start, err)
		}
		if !more {
			break
		}
	}
	if !p.header {
		return errors.New("pbf: no OSMHeader block: not an OSM PBF file")
	}
	return nil
}

// block reads and handles one file block; more is false at a clean end of file.
func (p *pbfReader) block() (more bool, err error) {
	var lenBuf [4]byte
	if _, err := io.ReadFull(p.r, lenBuf[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		return false, fmt.Errorf("block length: %w", err)
	}
	hlen := binary.BigEndian.Uint32(lenBuf[:])
	if hlen > pbfMaxHeaderSize {
		return false, fmt.Errorf("blob header of %d bytes exceeds the %d-byte limit", hlen, pbfMaxHeaderSize)
	}
	if p.hbuf == nil {
		p.hbuf = make([]byte, pbfMaxHeaderSize)
	}
	hb := p.hbuf[:hlen]
	if _, err := io.ReadFull(p.r, hb); err != nil {
		return false, fmt.Errorf("blob header: %w", noEOF(err))
	}
	typ, size, err := parseBlobHeader(hb)
	if err != nil {
		return false, fmt.Errorf("blob header: %w", err)
	}
	p.blob.Reset()
	// Copy rather than allocate size bytes up front: a truncated file that
	// claims a large blob costs only what it really holds.
	if n, err := io.CopyN(&p.blob, p.r, size); err != nil {
		return false, fmt.Errorf("%s blob: %d of %d bytes: %w", typ, n, size, noEOF(err))
	}
	defer func() { p.offset += 4 + int64(hlen) + size }()
	switch typ {
	case "OSMHeader":
		data, err := p.unpack()
		if err != nil {
			return false, fmt.Errorf("OSMHeader blob: %w", err)
		}
		if err := checkHeaderBlock(data); err != nil {
			return false, fmt.Errorf("OSMHeader: %w", err)
		}
		p.header = true
	case "OSMData":
		if !p.header {
			return false, errors.New("OSMData block before the OSMHeader block")
		}
		data, err := p.unpack()
		if err != nil {
			return false, fmt.Errorf("OSMData blob: %w", err)
		}
		if err := p.primitiveBlock(data); err != nil {
			return false, fmt.Errorf("OSMData: %w", err)
		}
	}
	return true, nil
}

// noEOF turns a bare EOF inside a block into ErrUnexpectedEOF.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func parseBlobHeader(b []byte) (typ string, size int64, err error) {
	r := pbReader{b}
	sawSize := false
	for {
		f, ok, err := r.next()
		if err != nil {
			return "", 0, err
		}
		if !ok {
			break
		}
		switch f.num {
		case 1: // type
			if err := wantType(f, wireBytes); err != nil {
				return "", 0, err
			}
			typ = string(f.data)
		case 3: // datasize
			if err := wantType(f, wireVarint); err != nil {
				return "", 0, err
			}
			if f.v > pbfMaxBlobSize {
				return "", 0, fmt.Errorf("blob of %d bytes exceeds the %d-byte limit", f.v, pbfMaxBlobSize)
			}
			size, sawSize = int64(f.v), true
		}
	}
	if typ == "" {
		return "", 0, errors.New("no type")
	}
	if !sawSize {
		return "", 0, errors.New("no datasize")
	}
	return typ, size, nil
}

// unpack returns the content of the blob just read, decompressing it if
// needed. The slice is valid until the next block is read.
func (p *pbfReader) unpack() ([]byte, error) {
	r := pbReader{p.blob.Bytes()}
	var (
		raw, zdata []byte
		hasRaw     bool
		rawSize    = int64(-1)
	)
	for {
		f, ok, err := r.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		switch f.num {
		case 1: // raw
			if err := wantType(f, wireBytes); err != nil {
				return nil, err
			}
			raw, hasRaw = f.data, true
		case 2: // raw_size
			if err := wantType(f, wireVarint); err != nil {
				return nil, err
			}
			if f.v > pbfMaxRawSize {
				return nil, fmt.Errorf("raw_size %d exceeds the %d-byte limit", int64(f.v), pbfMaxRawSize)
			}
			rawSize = int64(f.v)
		case 3: // zlib_data
			if err := wantType(f, wireBytes); err != nil {
				return nil, err
			}
			zdata = f.data
		case 4:
			return nil, errors.New("lzma compression not supported")
		case 5:
			return nil, errors.New("bzip2 compression not supported")
		case 6:
			return nil, errors.New("lz4 compression not supported")
		case 7:
			return nil, errors.New("zstd compression not supported")
		}
	}
	switch {
	case hasRaw:
		if int64(len(raw)) > pbfMaxRawSize {
			return nil, fmt.Errorf("raw data of %d bytes exceeds the %d-byte limit", len(raw), pbfMaxRawSize)
		}
		return raw, nil
	case zdata != nil:
		if rawSize < 0 {
			return nil, errors.New("zlib data without raw_size")
		}
		if err := p.inflate(zdata); err != nil {
			return nil, fmt.Errorf("zlib: %w", err)
		}
		if int64(p.raw.Len()) != rawSize {
			return nil, fmt.Errorf("zlib: %d bytes decompressed, raw_size says %d", p.raw.Len(), rawSize)
		}
		return p.raw.Bytes(), nil
	}
	return nil, errors.New("blob holds no data")
}

// inflate decompresses zdata into p.raw, reading at most one byte past the
// limit so an oversized stream is detected without being stored.
func (p *pbfReader) inflate(zdata []byte) error {
	var err error
	if p.zr == nil {
		p.zr, err = zlib.NewReader(bytes.NewReader(zdata))
	} else {
		err = p.zr.(zlib.Resetter).Reset(bytes.NewReader(zdata), nil)
	}
	if err != nil {
		return err
	}
	p.raw.Reset()
	n, err := p.raw.ReadFrom(io.LimitReader(p.zr, pbfMaxRawSize+1))
	if err != nil {
		return err
	}
	if n > pbfMaxRawSize {
		return fmt.Errorf("decompresses past the %d-byte limit", pbfMaxRawSize)
	}
	return nil
}

// checkHeaderBlock refuses a file whose required features this reader does
// not implement (history, for instance), as the format demands.
func checkHeaderBlock(b []byte) error {
	r := pbReader{b}
	var unknown []string
	for {
		f, ok, err := r.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if f.num == 4 { // required_features
			if err := wantType(f, wireBytes); err != nil {
				return err
			}
			if feat := string(f.data); !pbfFeatures[feat] {
				unknown = append(unknown, feat)
			}
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("required features %q not supported (this reader knows OsmSchema-V0.6 and DenseNodes)", unknown)
	}
	return nil
}

// primitiveBlock decodes one PrimitiveBlock: the string table and
// coordinate scaling come first in the message by convention, but protobuf
// allows any order, so the groups are decoded in a second pass.
func (p *pbfReader) primitiveBlock(b []byte) error {
	var (
		gran              = int64(100)
		latOffset, lonOff int64
		groups            [][]byte
	)
	p.strs = p.strs[:0]
	r := pbReader{b}
	for {
		f, ok, err := r.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		switch f.num {
		case 1: // stringtable
			if err := wantType(f, wireBytes); err != nil {
				return err
			}
			if err := p.stringTable(f.data); err != nil {
				return fmt.Errorf("string table: %w", err)
			}
		case 2: // primitivegroup
			if err := wantType(f, wireBytes); err != nil {
				return err
			}
			groups = append(groups, f.data)
		case 17: // granularity, in nanodegrees
			if err := wantType(f, wireVarint); err != nil {
				return err
			}
			gran = int64(int32(f.v))
		case 19: // lat_offset, in nanodegrees
			if err := wantType(f, wireVarint); err != nil {
				return err
			}
			latOffset = int64(f.v)
		case 20: // lon_offset
			if err := wantType(f, wireVarint); err != nil {
				return err
			}
			lonOff = int64(f.v)
		}
	}
	if gran <= 0 {
		return fmt.Errorf("granularity %d", gran)
	}
	sc := scale{gran: gran, lat: latOffset, lon: lonOff}
	for i, g := range groups {
		if err := p.primitiveGroup(g, sc); err != nil {
			return fmt.Errorf("group %d: %w", i, err)
		}
	}
	return nil
}

// scale converts the block's integer coordinates to degrees.
type scale struct{ gran, lat, lon int64 }

// point computes lat/lon in nanodegrees exactly, then divides once: the
// result is the float64 nearest to the decimal value, the same that
// strconv.ParseFloat gives for the XML text of the same node.
func (s scale) point(lat, lon int64) Point {
	return Point{
		Lat: float64(s.lat+s.gran*lat) / 1e9,
		Lon: float64(s.lon+s.gran*lon) / 1e9,
	}
}

func (p *pbfReader) stringTable(b []byte) error {
	r := pbReader{b}
	for {
		f, ok, err := r.next()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if f.num == 1 {
			if err := wantType(f, wireBytes); err != nil {
				return err
			}
			p.strs = append(p.strs, string(f.data))
		}
	}
}

// str returns string table entry i.
func (p *pbfReader) str(i uint64) (string, error) {
	if i >= uint64(len(p.strs)) {
		return "", fmt.Errorf("string index %d outside the table of %d", i, len(p.strs))
	}
	return p.strs[i], nil
}

// setTags fills p.tags from parallel key and value string indexes.
func (p *pbfReader) setTags(keys, vals []uint64) error {
	if len(p.tags) > 0 {
		clear(p.tags)
	}
	if len(keys) != len(vals) {
		return fmt.Errorf("%d keys but %d values", len(keys), len(vals))
	}
	for i := range keys {
		k, err := p.str(keys[i])
		if err != nil {
			return err
		}
		v, err := p.str(vals[i])
		if err != nil {
			return err
		}
		p.tags[k] = v
	}
	return nil
}

func (p *pbfReader) primitiveGroup(b []byte, sc scale) error {
	r := pbReader{b}
	for {
		f, ok, err := r.next()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if f.num >= 1 && f.num <= 3 {
			if err := wantType(f, wireBytes); err != nil {
				return err
			}
		}
		switch f.num {
		case 1:
			err = p.node(f.data, sc)
		case 2:
			err = p.denseNodes(f.data, sc)
		case 3:
			err = p.way(f.data)
		case 4:
			if !p.c.relations() {
				break
			}
			if err := wantType(f, wireBytes); err != nil {
				return err
			}
			err = p.relation(f.data)
		}
		// 5 changesets are not needed.
		if err != nil {
			return err
		}
	}
}

func (p *pbfReader) node(b []byte, sc scale) error {
	var id, lat, lon int64
	p.keys, p.vals = p.keys[:0], p.vals[:0]
	r := pbReader{b}
	for {
		f, ok, err := r.next()
		if err != nil {
			return fmt.Errorf("node: %w", err)
		}
		if !ok {
			break
		}
		switch f.num {
		case 1, 8, 9: // id, lat, lon: sint64
			if err := wantType(f, wireVarint); err != nil {
				return fmt.Errorf("node: %w", err)
			}
			switch f.num {
			case 1:
				id = zigzag(f.v)
			case 8:
				lat = zigzag(f.v)
			case 9:
				lon = zigzag(f.v)
			}
		case 2:
			p.keys, err = appendVarints(p.keys, f)
		case 3:
			p.vals, err = appendVarints(p.vals, f)
		}
		if err != nil {
			return fmt.Errorf("node %d: %w", id, err)
		}
	}
	if err := p.setTags(p.keys, p.vals); err != nil {
		return fmt.Errorf("node %d: tags: %w", id, err)
	}
	return p.c.node(id, sc.point(lat, lon), p.tags)
}

func (p *pbfReader) denseNodes(b []byte, sc scale) error {
	p.ids, p.lats, p.lons, p.keysVals = p.ids[:0], p.lats[:0], p.lons[:0], p.keysVals[:0]
	r := pbReader{b}
	for {
		f, ok, err := r.next()
		if err != nil {
			return fmt.Errorf("dense nodes: %w", err)
		}
		if !ok {
			break
		}
		switch f.num {
		case 1:
			p.ids, err = appendDeltas(p.ids, f)
		case 8:
			p.lats, err = appendDeltas(p.lats, f)
		case 9:
			p.lons, err = appendDeltas(p.lons, f)
		case 10:
			p.keysVals, err = appendVarints(p.keysVals, f)
		}
		// 5 denseinfo (versions, timestamps, users) is not needed.
		if err != nil {
			return fmt.Errorf("dense nodes: %w", err)
		}
	}
	if len(p.lats) != len(p.ids) || len(p.lons) != len(p.ids) {
		return fmt.Errorf("dense nodes: %d ids, %d lats, %d lons", len(p.ids), len(p.lats), len(p.lons))
	}
	// keys_vals is empty when no node of the group has tags; otherwise it
	// holds, per node, key and value string indexes ended by a 0.
	kv := p.keysVals
	for i, id := range p.ids {
		if len(p.tags) > 0 {
			clear(p.tags)
		}
		if len(kv) > 0 {
			for {
				if len(kv) == 0 {
					return fmt.Errorf("dense node %d: keys_vals ends inside its tags", id)
				}
				if kv[0] == 0 {
					kv = kv[1:]
					break
				}
				if len(kv) < 2 {
					return fmt.Errorf("dense node %d: key without value", id)
				}
				k, err := p.str(kv[0])
				if err != nil {
					return fmt.Errorf("dense node %d: %w", id, err)
				}
				v, err := p.str(kv[1])
				if err != nil {
					return fmt.Errorf("dense node %d: %w", id, err)
				}
				p.tags[k] = v
				kv = kv[2:]
			}
		}
		if err := p.c.node(id, sc.point(p.lats[i], p.lons[i]), p.tags); err != nil {
			return err
		}
	}
	return nil
}

func (p *pbfReader) way(b []byte) error {
	var id int64
	p.keys, p.vals, p.refs = p.keys[:0], p.vals[:0], p.refs[:0]
	r := pbReader{b}
	for {
		f, ok, err := r.next()
		if err != nil {
			return fmt.Errorf("way: %w", err)
		}
		if !ok {
			break
		}
		switch f.num {
		case 1: // id: int64, not zig-zag
			if err := wantType(f, wireVarint); err != nil {
				return fmt.Errorf("way: %w", err)
			}
			id = int64(f.v)
		case 2:
			p.keys, err = appendVarints(p.keys, f)
		case 3:
			p.vals, err = appendVarints(p.vals, f)
		case 8:
			p.refs, err = appendDeltas(p.refs, f)
		}
		// 9 and 10 (LocationsOnWays) are optional; the node coordinates
		// come from the nodes.
		if err != nil {
			return fmt.Errorf("way %d: %w", id, err)
		}
	}
	if err := p.setTags(p.keys, p.vals); err != nil {
		return fmt.Errorf("way %d: tags: %w", id, err)
	}
	p.c.way(id, p.refs, p.tags)
	return nil
}

// memberTypes are the values of Relation.MemberType in osmformat.proto.
var memberTypes = [...]string{"node", "way", "relation"}

func (p *pbfReader) relation(b []byte) error {
	var id int64
	p.keys, p.vals, p.roles, p.memIDs, p.memTypes = p.keys[:0], p.vals[:0], p.roles[:0], p.memIDs[:0], p.memTypes[:0]
	r := pbReader{b}
	for {
		f, ok, err := r.next()
		if err != nil {
			return fmt.Errorf("relation: %w", err)
		}
		if !ok {
			break
		}
		switch f.num {
		case 1: // id: int64, not zig-zag
			if err := wantType(f, wireVarint); err != nil {
				return fmt.Errorf("relation: %w", err)
			}
			id = int64(f.v)
		case 2:
			p.keys, err = appendVarints(p.keys, f)
		case 3:
			p.vals, err = appendVarints(p.vals, f)
		case 8: // roles_sid: int32 string indexes
			p.roles, err = appendVarints(p.roles, f)
		case 9: // memids: sint64, delta coded
			p.memIDs, err = appendDeltas(p.memIDs, f)
		case 10: // types
			p.memTypes, err = appendVarints(p.memTypes, f)
		}
		if err != nil {
			return fmt.Errorf("relation %d: %w", id, err)
		}
	}
	if len(p.roles) != len(p.memIDs) || len(p.memTypes) != len(p.memIDs) {
		return fmt.Errorf("relation %d: %d member ids, %d roles, %d types", id, len(p.memIDs), len(p.roles), len(p.memTypes))
	}
	if err := p.setTags(p.keys, p.vals); err != nil {
		return fmt.Errorf("relation %d: tags: %w", id, err)
	}
	p.members = p.members[:0]
	for i, ref := range p.memIDs {
		role, err := p.str(p.roles[i])
		if err != nil {
			return fmt.Errorf("relation %d: %w", id, err)
		}
		if p.memTypes[i] >= uint64(len(memberTypes)) {
			return fmt.Errorf("relation %d: member type %d", id, p.memTypes[i])
		}
		p.members = append(p.members, Member{Type: memberTypes[p.memTypes[i]], Ref: ref, Role: role})
	}
	p.c.relation(id, p.members, p.tags)
	return nil
}
