package roadnet

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The Chengdu extract converted to PBF by osmium (see testdata/README.md):
// dense nodes with zlib, plain nodes with zlib, dense nodes uncompressed.
var chengduPBFFiles = []string{
	"testdata/chengdu.osm.pbf",
	"testdata/chengdu-nodense.osm.pbf",
	"testdata/chengdu-uncompressed.osm.pbf",
}

// TestPBFMatchesXML loads each PBF form of the Chengdu extract and requires
// the very graph the XML gives: same nodes with bit-identical coordinates,
// same edges, ways and places, and the same routes.
func TestPBFMatchesXML(t *testing.T) {
	x := chengduGraph(t)
	for _, file := range chengduPBFFiles {
		t.Run(file, func(t *testing.T) {
			g, err := LoadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if g.NumNodes() != x.NumNodes() || g.NumEdges() != x.NumEdges() || g.NumWays() != x.NumWays() || g.CoreSize() != x.CoreSize() {
				t.Fatalf("nodes/edges/ways/core %d/%d/%d/%d, XML %d/%d/%d/%d",
					g.NumNodes(), g.NumEdges(), g.NumWays(), g.CoreSize(),
					x.NumNodes(), x.NumEdges(), x.NumWays(), x.CoreSize())
			}
			if diff := cmp.Diff(x.Ways(), g.Ways()); diff != "" {
				t.Errorf("ways (-xml +pbf):\n%s", diff)
			}
			if diff := cmp.Diff(x.Places(), g.Places()); diff != "" {
				t.Errorf("places (-xml +pbf):\n%s", diff)
			}
			for name, eq := range map[string]bool{
				"osm node ids": slices.Equal(x.osmNode, g.osmNode),
				"coordinates":  slices.Equal(x.coord, g.coord),
				"edge offsets": slices.Equal(x.first, g.first),
				"edge heads":   slices.Equal(x.to, g.to),
				"edge ways":    slices.Equal(x.way, g.way),
				"edge lengths": slices.Equal(x.length, g.length),
				"edge times":   slices.Equal(x.time, g.time),
				"twins":        slices.Equal(x.twin, g.twin),
			} {
				if !eq {
					t.Errorf("%s differ", name)
				}
			}
			if a, b := totalLength(x), totalLength(g); a != b {
				t.Errorf("total length %.3f m, XML %.3f m", b, a)
			}
			rx, rg := x.NewRouter(), g.NewRouter()
			for _, trip := range [][2]Point{
				{tianfuSquare, northRailway},
				{zhaojuesiBus, xinnanmenBus},
				{northRailway, {Lat: 30.6428, Lon: 104.0396}},
			} {
				for _, m := range []Metric{ByTime, ByDistance} {
					want, err := rx.RoutePoints(trip[0], trip[1], m)
					if err != nil {
						t.Fatal(err)
					}
					got, err := rg.RoutePoints(trip[0], trip[1], m)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(want.Edges, got.Edges) || want.Length != got.Length || want.Time != got.Time {
						t.Errorf("route %v→%v: %d edges %.1f m, XML %d edges %.1f m",
							trip[0], trip[1], len(got.Edges), got.Length, len(want.Edges), want.Length)
					}
				}
			}
		})
	}
}

func totalLength(g *Graph) float64 {
	var sum float64
	for _, l := range g.length {
		sum += float64(l)
	}
	return sum
}

// A small protobuf and PBF encoder, enough to write the test files below.

type pbWriter struct{ b []byte }

func (w *pbWriter) key(num, typ int) { w.b = binary.AppendUvarint(w.b, uint64(num)<<3|uint64(typ)) }

func (w *pbWriter) uint(num int, v uint64) {
	w.key(num, wireVarint)
	w.b = binary.AppendUvarint(w.b, v)
}

func (w *pbWriter) sint(num int, v int64) { w.uint(num, uint64(v<<1^v>>63)) }

func (w *pbWriter) bytes(num int, b []byte) {
	w.key(num, wireBytes)
	w.b = binary.AppendUvarint(w.b, uint64(len(b)))
	w.b = append(w.b, b...)
}

func (w *pbWriter) packed(num int, vs []uint64) {
	var p []byte
	for _, v := range vs {
		p = binary.AppendUvarint(p, v)
	}
	w.bytes(num, p)
}

// packedDeltas writes vs delta-coded and zig-zagged.
func (w *pbWriter) packedDeltas(num int, vs []int64) {
	var p []byte
	prev := int64(0)
	for _, v := range vs {
		d := v - prev
		p = binary.AppendUvarint(p, uint64(d<<1^d>>63))
		prev = v
	}
	w.bytes(num, p)
}

type testNode struct {
	id       int64
	lat, lon int64 // nanodegrees
	tags     []string
}

type testWay struct {
	id   int64
	refs []int64
	tags []string
}

type pbfOptions struct {
	dense, zlib      bool
	gran             int64 // 0: the default 100, left out of the block
	latOff, lonOff   int64
	features         []string // nil: OsmSchema-V0.6 and DenseNodes
	noHeader         bool
	corruptPrimitive func(block []byte) []byte
}

// pbfFile frames one block: length, BlobHeader, Blob.
func pbfFile(typ string, content []byte, compress bool) []byte {
	var blob pbWriter
	if compress {
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(content)
		zw.Close()
		blob.uint(2, uint64(len(content)))
		blob.bytes(3, z.Bytes())
	} else {
		blob.bytes(1, content)
	}
	var h pbWriter
	h.bytes(1, []byte(typ))
	h.uint(3, uint64(len(blob.b)))
	out := binary.BigEndian.AppendUint32(nil, uint32(len(h.b)))
	out = append(out, h.b...)
	return append(out, blob.b...)
}

// encodePBF writes nodes and ways as a PBF file of two data blocks.
func encodePBF(nodes []testNode, ways []testWay, o pbfOptions) []byte {
	var out []byte
	if !o.noHeader {
		var hb pbWriter
		features := o.features
		if features == nil {
			features = []string{"OsmSchema-V0.6", "DenseNodes"}
		}
		for _, f := range features {
			hb.bytes(4, []byte(f))
		}
		hb.bytes(16, []byte("roadnet test"))
		out = append(out, pbfFile("OSMHeader", hb.b, o.zlib)...)
	}
	gran := o.gran
	if gran == 0 {
		gran = 100
	}
	// Strings are numbered from 1: index 0 is the dense nodes separator.
	block := func(group func(idx func(string) uint64) []byte) []byte {
		table := []string{""}
		index := map[string]uint64{}
		idx := func(s string) uint64 {
			if i, ok := index[s]; ok {
				return i
			}
			index[s] = uint64(len(table))
			table = append(table, s)
			return index[s]
		}
		g := group(idx)
		var st, pb pbWriter
		for _, s := range table {
			st.bytes(1, []byte(s))
		}
		pb.bytes(1, st.b)
		pb.bytes(2, g)
		if o.gran != 0 {
			pb.uint(17, uint64(o.gran))
		}
		if o.latOff != 0 {
			pb.uint(19, uint64(o.latOff))
		}
		if o.lonOff != 0 {
			pb.uint(20, uint64(o.lonOff))
		}
		if o.corruptPrimitive != nil {
			return o.corruptPrimitive(pb.b)
		}
		return pb.b
	}
	nodeBlock := block(func(idx func(string) uint64) []byte {
		var grp pbWriter
		if o.dense {
			var ids, lats, lons []int64
			var kv []uint64
			for _, n := range nodes {
				ids = append(ids, n.id)
				lats = append(lats, (n.lat-o.latOff)/gran)
				lons = append(lons, (n.lon-o.lonOff)/gran)
				for _, s := range n.tags {
					kv = append(kv, idx(s))
				}
				kv = append(kv, 0)
			}
			var d pbWriter
			d.packedDeltas(1, ids)
			d.packedDeltas(8, lats)
			d.packedDeltas(9, lons)
			d.packed(10, kv)
			grp.bytes(2, d.b)
			return grp.b
		}
		for _, n := range nodes {
			var nw pbWriter
			nw.sint(1, n.id)
			var keys, vals []uint64
			for i := 0; i+1 < len(n.tags); i += 2 {
				keys = append(keys, idx(n.tags[i]))
				vals = append(vals, idx(n.tags[i+1]))
			}
			nw.packed(2, keys)
			nw.packed(3, vals)
			nw.sint(8, (n.lat-o.latOff)/gran)
			nw.sint(9, (n.lon-o.lonOff)/gran)
			grp.bytes(1, nw.b)
		}
		return grp.b
	})
	wayBlock := block(func(idx func(string) uint64) []byte {
		var grp pbWriter
		for _, w := range ways {
			var ww pbWriter
			ww.uint(1, uint64(w.id))
			var keys, vals []uint64
			for i := 0; i+1 < len(w.tags); i += 2 {
				keys = append(keys, idx(w.tags[i]))
				vals = append(vals, idx(w.tags[i+1]))
			}
			ww.packed(2, keys)
			ww.packed(3, vals)
			ww.packedDeltas(8, w.refs)
			grp.bytes(3, ww.b)
		}
		return grp.b
	})
	out = append(out, pbfFile("OSMData", nodeBlock, o.zlib)...)
	return append(out, pbfFile("OSMData", wayBlock, o.zlib)...)
}

// The content of sampleOSM (roadnet_test.go).
var (
	sampleNodes = []testNode{
		{id: 1, lat: 30_000_000_000, lon: 104_000_000_000},
		{id: 2, lat: 30_001_000_000, lon: 104_000_000_000},
		{id: 3, lat: 30_002_000_000, lon: 104_000_000_000, tags: []string{"highway", "bus_stop", "name", "测试站"}},
		{id: 4, lat: 30_002_000_000, lon: 104_001_000_000},
	}
	sampleWays = []testWay{
		{id: 10, refs: []int64{1, 2, 3}, tags: []string{"highway", "primary", "name", "测试路", "name:en", "Test Road", "maxspeed", "30 mph", "lanes", "3"}},
		{id: 11, refs: []int64{3, 4}, tags: []string{"highway", "motorway"}},
		{id: 12, refs: []int64{4, 2}, tags: []string{"highway", "residential", "oneway", "-1"}},
		{id: 13, refs: []int64{2, 4}, tags: []string{"highway", "footway"}},
		{id: 14, refs: []int64{1, 4}, tags: []string{"highway", "tertiary", "junction", "roundabout", "oneway", "no"}},
		{id: 15, refs: []int64{1, 99}, tags: []string{"highway", "service"}},
	}
)

// TestLoadPBFEncodings writes sampleOSM in the variants PBF writers may
// choose (dense or plain nodes, raw or zlib blobs, another granularity and
// coordinate offsets) and requires the graph of the XML each time.
func TestLoadPBFEncodings(t *testing.T) {
	want, err := Load(strings.NewReader(sampleOSM))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]pbfOptions{
		"dense raw":            {dense: true},
		"dense zlib":           {dense: true, zlib: true},
		"plain raw":            {},
		"plain zlib":           {zlib: true},
		"granularity, offsets": {dense: true, gran: 1000, latOff: 29_000_000_000, lonOff: 103_500_000_000},
		"no feature list":      {dense: true, features: []string{}},
	}
	for name, o := range tests {
		t.Run(name, func(t *testing.T) {
			g, err := Load(bytes.NewReader(encodePBF(sampleNodes, sampleWays, o)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.Ways(), g.Ways()); diff != "" {
				t.Errorf("ways (-xml +pbf):\n%s", diff)
			}
			if diff := cmp.Diff(want.Places(), g.Places()); diff != "" {
				t.Errorf("places (-xml +pbf):\n%s", diff)
			}
			if !slices.Equal(want.coord, g.coord) || !slices.Equal(want.to, g.to) || !slices.Equal(want.osmNode, g.osmNode) {
				t.Errorf("graph differs: coords %v, XML %v", g.coord, want.coord)
			}
		})
	}
	// Gzip around PBF is detected too.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(encodePBF(sampleNodes, sampleWays, pbfOptions{dense: true}))
	zw.Close()
	if g, err := Load(&gz); err != nil || g.NumWays() != want.NumWays() {
		t.Errorf("gzip-compressed PBF: %v", err)
	}
}

// TestLoadPBFErrors feeds broken files: each must give an error that says
// what is wrong, and none may panic.
func TestLoadPBFErrors(t *testing.T) {
	valid := encodePBF(sampleNodes, sampleWays, pbfOptions{dense: true})
	blob := func(fields func(w *pbWriter)) []byte {
		var b pbWriter
		fields(&b)
		return b.b
	}
	rawBlock := func(typ string, blobMsg []byte) []byte {
		var h pbWriter
		h.bytes(1, []byte(typ))
		h.uint(3, uint64(len(blobMsg)))
		out := binary.BigEndian.AppendUint32(nil, uint32(len(h.b)))
		return append(append(out, h.b...), blobMsg...)
	}
	header := pbfFile("OSMHeader", nil, false)
	badNodes := func(n []testNode, o pbfOptions) []byte { return encodePBF(n, sampleWays, o) }
	// A blob header claiming more than 32 MiB, with nothing behind it.
	var hugeHeader pbWriter
	hugeHeader.bytes(1, []byte("OSMData"))
	hugeHeader.uint(3, 33<<20)
	hugeBlob := append(binary.BigEndian.AppendUint32(nil, uint32(len(hugeHeader.b))), hugeHeader.b...)
	tests := []struct {
		name, in, want string
	}{
		{"unknown required feature",
			string(encodePBF(sampleNodes, sampleWays, pbfOptions{features: []string{"OsmSchema-V0.6", "HistoricalInformation"}})),
			`required features ["HistoricalInformation"] not supported`},
		{"data before header",
			string(encodePBF(sampleNodes, sampleWays, pbfOptions{noHeader: true})),
			"OSMData block before the OSMHeader block"},
		{"no header at all", string(pbfFile("Other", []byte("x"), false)), "no OSMHeader block"},
		{"header length over 64 KiB", "\x00\x01\x00\x01", "exceeds the 65536-byte limit"},
		{"blob over 32 MiB", string(header) + string(hugeBlob), "blob of 34603008 bytes exceeds the 33554432-byte limit"},
		{"raw_size over 64 MiB",
			string(header) + string(rawBlock("OSMData", blob(func(w *pbWriter) { w.uint(2, 65<<20); w.bytes(3, []byte{0x78, 0x9c}) }))),
			"raw_size 68157440 exceeds"},
		{"raw_size wrong",
			string(header) + string(rawBlock("OSMData", blob(func(w *pbWriter) {
				var z bytes.Buffer
				zw := zlib.NewWriter(&z)
				zw.Write([]byte{0x0a, 0x00})
				zw.Close()
				w.uint(2, 3)
				w.bytes(3, z.Bytes())
			}))),
			"2 bytes decompressed, raw_size says 3"},
		{"zlib without raw_size", string(header) + string(rawBlock("OSMData", blob(func(w *pbWriter) { w.bytes(3, []byte{1, 2, 3}) }))), "zlib data without raw_size"},
		{"corrupt zlib", string(header) + string(rawBlock("OSMData", blob(func(w *pbWriter) { w.uint(2, 3); w.bytes(3, []byte{1, 2, 3}) }))), "zlib"},
		{"lz4", string(header) + string(rawBlock("OSMData", blob(func(w *pbWriter) { w.uint(2, 3); w.bytes(6, []byte{1, 2, 3}) }))), "lz4 compression not supported"},
		{"empty blob", string(header) + string(rawBlock("OSMData", nil)), "blob holds no data"},
		{"no datasize", "\x00\x00\x00\x03\x0a\x01x", "no datasize"},
		{"truncated blob header", "\x00\x00\x00\x10\x0a", "unexpected EOF"},
		{"truncated blob", string(valid[:len(valid)-3]), "unexpected EOF"},
		{"truncated length", string(valid) + "\x00\x00", "block length: unexpected EOF"},
		{"bad protobuf in header", string(pbfFile("OSMHeader", []byte{0x22, 0x05, 'a'}, false)), "truncated protobuf message"},
		{"zero granularity",
			string(encodePBF(sampleNodes, sampleWays, pbfOptions{dense: true, corruptPrimitive: func(b []byte) []byte {
				var w pbWriter
				w.uint(17, 0)
				return append(b, w.b...)
			}})),
			"block 1 at byte 62: OSMData: granularity 0"}, // the 62-byte OSMHeader block comes first
		{"string index outside table",
			string(encodePBF(sampleNodes, []testWay{{id: 1, refs: []int64{1, 2}, tags: []string{"highway", "primary"}}}, pbfOptions{corruptPrimitive: func(b []byte) []byte {
				// A group whose way refers past the end of the string table.
				var w pbWriter
				var way pbWriter
				way.uint(1, 7)
				way.packed(2, []uint64{500})
				way.packed(3, []uint64{1})
				var grp pbWriter
				grp.bytes(3, way.b)
				w.bytes(2, grp.b)
				return append(b, w.b...)
			}})),
			"string index 500 outside the table"},
		{"coordinates out of range",
			string(badNodes([]testNode{{id: 1, lat: 95_000_000_000, lon: 0}}, pbfOptions{dense: true})),
			"node 1: coordinates out of range"},
		{"dense node without value",
			string(encodePBF(nil, sampleWays, pbfOptions{corruptPrimitive: func(b []byte) []byte {
				var d pbWriter
				d.packedDeltas(1, []int64{5})
				d.packedDeltas(8, []int64{1})
				d.packedDeltas(9, []int64{1})
				d.packed(10, []uint64{1})
				var grp, w pbWriter
				grp.bytes(2, d.b)
				w.bytes(2, grp.b)
				return append(b, w.b...)
			}})),
			"dense node 5: key without value"},
		{"dense arrays of different lengths",
			string(encodePBF(nil, sampleWays, pbfOptions{corruptPrimitive: func(b []byte) []byte {
				var d pbWriter
				d.packedDeltas(1, []int64{5, 6})
				d.packedDeltas(8, []int64{1})
				d.packedDeltas(9, []int64{1, 2})
				var grp, w pbWriter
				grp.bytes(2, d.b)
				w.bytes(2, grp.b)
				return append(b, w.b...)
			}})),
			"2 ids, 1 lats, 2 lons"},
		{"keys and values of different counts",
			string(encodePBF(nil, sampleWays, pbfOptions{corruptPrimitive: func(b []byte) []byte {
				var n pbWriter
				n.sint(1, 8)
				n.packed(2, []uint64{1, 1})
				n.packed(3, []uint64{1})
				var grp, w pbWriter
				grp.bytes(1, n.b)
				w.bytes(2, grp.b)
				return append(b, w.b...)
			}})),
			"node 8: tags: 2 keys but 1 values"},
		{"no roads", string(encodePBF(sampleNodes, nil, pbfOptions{dense: true})), "no drivable road"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tc.in))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestLoadPBFTruncatedAndFlipped cuts the real file inside each of its
// blocks and flips bytes of it: always an error or a graph, never a panic.
func TestLoadPBFTruncatedAndFlipped(t *testing.T) {
	data, err := os.ReadFile("testdata/chengdu.osm.pbf")
	if err != nil {
		t.Fatal(err)
	}
	// Block boundaries: a cut exactly there is a valid shorter file.
	var cuts []int
	for off := 0; off < len(data); {
		hlen := int(binary.BigEndian.Uint32(data[off:]))
		_, size, err := parseBlobHeader(data[off+4 : off+4+hlen])
		if err != nil {
			t.Fatal(err)
		}
		cuts = append(cuts, off+2, off+4+hlen/2, off+4+hlen+int(size)/2, off+4+hlen+int(size)-1)
		off += 4 + hlen + int(size)
	}
	for _, c := range cuts {
		if _, err := Load(bytes.NewReader(data[:c])); err == nil {
			t.Errorf("cut at byte %d of %d: no error", c, len(data))
		}
	}
	raw, err := os.ReadFile("testdata/chengdu-uncompressed.osm.pbf")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 12 {
		b := slices.Clone(raw)
		for range 8 {
			b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
		}
		_, _ = Load(bytes.NewReader(b))
	}
	small := encodePBF(sampleNodes, sampleWays, pbfOptions{dense: true})
	for range 300 {
		b := slices.Clone(small)
		b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
		_, _ = Load(bytes.NewReader(b))
	}
}

// FuzzLoadPBF feeds arbitrary bytes to the PBF reader: it must return a
// graph or an error, never panic, and a returned graph must be routable.
func FuzzLoadPBF(f *testing.F) {
	f.Add(encodePBF(sampleNodes, sampleWays, pbfOptions{dense: true}))
	f.Add(encodePBF(sampleNodes, sampleWays, pbfOptions{}))
	f.Add(encodePBF(sampleNodes, sampleWays, pbfOptions{dense: true, zlib: true, gran: 1000, latOff: 29_000_000_000}))
	// The first block of the committed file and the start of its second.
	if raw, err := os.ReadFile("testdata/chengdu-uncompressed.osm.pbf"); err == nil {
		hlen := int(binary.BigEndian.Uint32(raw))
		if _, size, err := parseBlobHeader(raw[4 : 4+hlen]); err == nil {
			end := 4 + hlen + int(size)
			f.Add(slices.Clone(raw[:end]))
			f.Add(slices.Clone(raw[:min(end+2048, len(raw))]))
		}
	}
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := parsePBF(bytes.NewReader(data))
		if err != nil {
			return
		}
		r := g.NewRouter()
		if n := g.NumNodes(); n > 1 {
			_, _ = r.Route(0, NodeID(n-1), ByTime)
		}
		_, _ = g.NearestEdge(Point{Lat: 30.001, Lon: 104.0})
	})
}
