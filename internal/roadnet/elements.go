package roadnet

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"maps"
)

// Member is one member of an OSM relation.
type Member struct {
	Type string // node, way or relation
	Ref  int64
	Role string
}

// ElementKind says which OSM primitive an Element is.
type ElementKind uint8

// The OSM primitives.
const (
	NodeElement ElementKind = iota + 1
	WayElement
	RelationElement
)

// Element is one OSM primitive with its tags and geometry, for readers that
// need more of the map than the road graph keeps (the basemap draws water,
// buildings, land use, places and boundaries too).
type Element struct {
	Kind ElementKind
	ID   int64
	// Tags is nil for an untagged way; the map belongs to the receiver.
	Tags map[string]string
	// Point is a node's position.
	Point Point
	// Coords are a way's node positions in order; nodes missing from the
	// file (a way cut by the extract's border) are left out.
	Coords []Point
	// Nodes are the way's node ids as listed, including missing ones: the
	// way is complete when len(Coords) == len(Nodes).
	Nodes []int64
	// Members are a relation's members.
	Members []Member
}

// ReadElements streams the OSM data in r (XML or PBF, optionally gzipped;
// detected like Load) to fn: every tagged node, every way (tagged or not,
// since multipolygon members are often untagged) with its coordinates, and
// every relation. Untagged nodes are only remembered for the ways' positions.
// It stops at fn's first error and returns it. Load's behaviour is unchanged:
// both read through the same parsers.
func ReadElements(r io.Reader, fn func(Element) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("roadnet: read elements: gzip: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	read := readOSM
	if first, err := br.Peek(1); err == nil && first[0] == 0 {
		read = readPBF
	}
	s := &elementSink{fn: fn, coords: make(map[int64]Point, 1<<15)}
	if err := read(br, s); err != nil {
		return fmt.Errorf("roadnet: read elements: %w", err)
	}
	if s.err != nil {
		return s.err
	}
	return nil
}

// elementSink adapts the parsers' callbacks to ReadElements' fn.
type elementSink struct {
	fn     func(Element) error
	coords map[int64]Point
	err    error
}

func (s *elementSink) node(id int64, p Point, tags map[string]string) error {
	if !(p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180) {
		return fmt.Errorf("node %d: coordinates out of range (%v, %v)", id, p.Lat, p.Lon)
	}
	s.coords[id] = p
	if len(tags) == 0 || s.err != nil {
		return s.err
	}
	s.err = s.fn(Element{Kind: NodeElement, ID: id, Tags: maps.Clone(tags), Point: p})
	return s.err
}

func (s *elementSink) way(id int64, nodes []int64, tags map[string]string) {
	if s.err != nil {
		return
	}
	e := Element{Kind: WayElement, ID: id, Nodes: append([]int64(nil), nodes...), Coords: make([]Point, 0, len(nodes))}
	if len(tags) > 0 {
		e.Tags = maps.Clone(tags)
	}
	for _, n := range nodes {
		if p, ok := s.coords[n]; ok {
			e.Coords = append(e.Coords, p)
		}
	}
	s.err = s.fn(e)
}

func (s *elementSink) relations() bool { return true }

func (s *elementSink) relation(id int64, members []Member, tags map[string]string) {
	if s.err != nil {
		return
	}
	s.err = s.fn(Element{Kind: RelationElement, ID: id, Tags: maps.Clone(tags), Members: append([]Member(nil), members...)})
}
