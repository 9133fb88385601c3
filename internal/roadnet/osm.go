package roadnet

import (
	"bufio"
	"compress/gzip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
)

// rawWay is a drivable way as read from OSM, before the graph is built.
type rawWay struct {
	way   Way
	nodes []int64
}

// placeKind classifies a tagged node or way as a place worth keeping, or "".
func placeKind(tags map[string]string) string {
	switch {
	case tags["amenity"] == "bus_station":
		return PlaceBusStation
	case tags["highway"] == "bus_stop":
		return PlaceBusStop
	case tags["railway"] == "station" || tags["railway"] == "halt":
		return PlaceRailStation
	case tags["public_transport"] == "station":
		return PlaceTransitStation
	case tags["place"] != "":
		return PlacePlace
	}
	return ""
}

// Load reads OpenStreetMap data and builds the drivable road graph. The
// format is detected from the first bytes, so callers need not know it:
// gzip-compressed input is decompressed first; then a leading zero byte (the
// high byte of the big-endian length every PBF file starts with) means the
// Protocolbuffer Binary Format (.osm.pbf), anything else OSM 0.6 XML. Both
// readers stream their input; memory is the node coordinates plus the graph
// (and, for PBF, one file block at a time).
func Load(r io.Reader) (*Graph, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("roadnet: load: gzip: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	parse := parseOSM
	if first, err := br.Peek(1); err == nil && first[0] == 0 {
		parse = parsePBF
	}
	g, err := parse(br)
	if err != nil {
		return nil, fmt.Errorf("roadnet: load: %w", err)
	}
	return g, nil
}

// LoadFile is Load on a file (.osm, .osm.gz or .osm.pbf).
func LoadFile(path string) (*Graph, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("roadnet: load: %w", err)
	}
	defer f.Close()
	return Load(f)
}

// osmCollector is what both readers feed: it decides which nodes and ways
// matter (highway filtering, one-way, speed limit, names, places) so that
// XML and PBF input of the same data give the same graph.
type osmCollector struct {
	coords   map[int64]Point
	ways     []rawWay
	places   []Place
	placeWay []placeWayRef
}

func newOSMCollector() *osmCollector {
	return &osmCollector{coords: make(map[int64]Point, 1<<15)}
}

// node records a node's position and keeps it as a place when it is one.
func (c *osmCollector) node(id int64, p Point, tags map[string]string) error {
	// Written so that NaN fails too.
	if !(p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180) {
		return fmt.Errorf("node %d: coordinates out of range (%v, %v)", id, p.Lat, p.Lon)
	}
	c.coords[id] = p
	if len(tags) == 0 {
		return nil
	}
	if k := placeKind(tags); k != "" {
		c.places = append(c.places, Place{OSMID: id, Kind: k, Name: tags["name"], NameEn: tags["name:en"], Point: p})
	}
	return nil
}

// way keeps a drivable way, or a named place drawn as a way. nodes is copied.
func (c *osmCollector) way(id int64, nodes []int64, tags map[string]string) {
	if cl, ok := ParseClass(tags["highway"]); ok && len(nodes) >= 2 && tags["area"] != "yes" {
		w := Way{
			OSMID:  id,
			Class:  cl,
			Name:   tags["name"],
			NameEn: tags["name:en"],
			Oneway: parseOneway(tags["oneway"], cl, tags["junction"]),
			Lanes:  parseLanes(tags["lanes"]),
		}
		if kmh, ok := ParseMaxspeed(tags["maxspeed"]); ok {
			w.MaxSpeed, w.SpeedTagged = kmh, true
		} else {
			w.MaxSpeed = cl.DefaultSpeed()
		}
		c.ways = append(c.ways, rawWay{way: w, nodes: append([]int64(nil), nodes...)})
	} else if k := placeKind(tags); k != "" && tags["name"] != "" && len(nodes) > 0 {
		c.placeWay = append(c.placeWay, placeWayRef{
			place: Place{OSMID: -id, Kind: k, Name: tags["name"], NameEn: tags["name:en"]},
			nodes: append([]int64(nil), nodes...),
		})
	}
}

// graph places the named areas and builds the graph.
func (c *osmCollector) graph() (*Graph, error) {
	// Named areas (a bus station drawn as a building) become a place at the
	// mean of their nodes.
	for _, pw := range c.placeWay {
		var sum Point
		n := 0
		for _, id := range pw.nodes {
			if p, ok := c.coords[id]; ok {
				sum.Lat += p.Lat
				sum.Lon += p.Lon
				n++
			}
		}
		if n > 0 {
			pw.place.Point = Point{Lat: sum.Lat / float64(n), Lon: sum.Lon / float64(n)}
			c.places = append(c.places, pw.place)
		}
	}
	return build(c.ways, c.coords, c.places)
}

// relation ignores relations: the road graph needs none.
func (c *osmCollector) relation(int64, []Member, map[string]string) {}

// relations is false: the readers then skip relations unparsed, so a file
// loads into the graph exactly as it did before relations were read.
func (c *osmCollector) relations() bool { return false }

// osmSink receives the elements of an OSM file in file order (nodes, then
// ways, then relations in well-formed files). The tags map and the slices
// are reused by the reader: a sink copies what it keeps.
type osmSink interface {
	node(id int64, p Point, tags map[string]string) error
	way(id int64, nodes []int64, tags map[string]string)
	relation(id int64, members []Member, tags map[string]string)
	// relations says whether the sink wants relations at all.
	relations() bool
}

func parseOSM(r io.Reader) (*Graph, error) {
	c := newOSMCollector()
	if err := readOSM(r, c); err != nil {
		return nil, err
	}
	return c.graph()
}

// readOSM streams OSM XML into c.
func readOSM(r io.Reader, c osmSink) error {
	d := xml.NewDecoder(r)
	var (
		// state of the element being read
		inElem  string
		elemID  int64
		elemPt  Point
		tags    = make(map[string]string, 16)
		nds     []int64
		members []Member
		sawRoot bool
	)
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("xml: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "osm":
				sawRoot = true
			case "node", "way", "relation":
				inElem = t.Name.Local
				clear(tags)
				nds = nds[:0]
				members = members[:0]
				var err error
				elemID, elemPt, err = elementAttrs(t)
				if err != nil {
					return fmt.Errorf("%s: %w", inElem, err)
				}
			case "tag":
				if inElem == "" {
					continue
				}
				var k, v string
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "k":
						k = a.Value
					case "v":
						v = a.Value
					}
				}
				tags[k] = v
			case "nd":
				if inElem != "way" {
					continue
				}
				for _, a := range t.Attr {
					if a.Name.Local == "ref" {
						ref, err := strconv.ParseInt(a.Value, 10, 64)
						if err != nil {
							return fmt.Errorf("way %d: nd ref %q: %w", elemID, a.Value, err)
						}
						nds = append(nds, ref)
					}
				}
			case "member":
				if inElem != "relation" || !c.relations() {
					continue
				}
				var m Member
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "type":
						m.Type = a.Value
					case "role":
						m.Role = a.Value
					case "ref":
						ref, err := strconv.ParseInt(a.Value, 10, 64)
						if err != nil {
							return fmt.Errorf("relation %d: member ref %q: %w", elemID, a.Value, err)
						}
						m.Ref = ref
					}
				}
				members = append(members, m)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "node":
				if err := c.node(elemID, elemPt, tags); err != nil {
					return err
				}
				inElem = ""
			case "way":
				c.way(elemID, nds, tags)
				inElem = ""
			case "relation":
				if c.relations() {
					c.relation(elemID, members, tags)
				}
				inElem = ""
			}
		}
	}
	if !sawRoot {
		return errors.New("not an OSM XML document (no <osm> root)")
	}
	return nil
}

type placeWayRef struct {
	place Place
	nodes []int64
}

func elementAttrs(t xml.StartElement) (id int64, p Point, err error) {
	for _, a := range t.Attr {
		switch a.Name.Local {
		case "id":
			id, err = strconv.ParseInt(a.Value, 10, 64)
		case "lat":
			p.Lat, err = strconv.ParseFloat(a.Value, 64)
		case "lon":
			p.Lon, err = strconv.ParseFloat(a.Value, 64)
		}
		if err != nil {
			return 0, Point{}, fmt.Errorf("attribute %s=%q: %w", a.Name.Local, a.Value, err)
		}
	}
	return id, p, nil
}
