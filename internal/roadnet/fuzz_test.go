package roadnet

import (
	"bytes"
	"testing"
)

const fuzzSeedOSM = `<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <node id="1" lat="30.6570" lon="104.0660"/>
 <node id="2" lat="30.6580" lon="104.0670"><tag k="highway" v="bus_stop"/><tag k="name" v="天府广场"/></node>
 <node id="3" lat="30.6590" lon="104.0690"/>
 <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
  <tag k="highway" v="primary"/><tag k="oneway" v="-1"/><tag k="maxspeed" v="40 mph"/><tag k="name" v="人民南路"/></way>
 <way id="11"><nd ref="3"/><nd ref="1"/><tag k="highway" v="residential"/><tag k="lanes" v="x"/></way>
</osm>`

// FuzzLoad feeds arbitrary bytes to the OpenStreetMap loader: it must return
// a graph or an error, never panic, and a returned graph must be routable
// without panicking.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(fuzzSeedOSM))
	f.Add([]byte(`<osm><node id="1" lat="91" lon="0"/><way id="2"><nd ref="1"/><nd ref="9"/><tag k="highway" v="motorway"/></way></osm>`))
	f.Add([]byte("\x1f\x8b\x08\x00garbage"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Load(bytes.NewReader(data))
		if err != nil {
			return
		}
		r := g.NewRouter()
		if n := g.NumNodes(); n > 1 {
			_, _ = r.Route(0, NodeID(n-1), ByTime)
		}
		_, _ = g.NearestEdge(Point{Lat: 30.658, Lon: 104.067})
	})
}
