// Package roadnet is the routable road network of the platform: it loads
// OpenStreetMap data (XML, plain or gzip, and PBF) into a compact directed
// graph, finds shortest paths by time or distance, snaps points to the
// nearest road, and walks along paths. The simulator drives vehicles on it,
// the demo data lays scheduled-route corridors on it, and traffic and map
// matching build on it.
//
// # Model
//
// Only drivable ways are loaded: motorway, trunk, primary, secondary,
// tertiary (and their *_link roads), unclassified, residential,
// living_street and service; ways tagged area=yes are squares, not roads,
// and are skipped. Each way keeps its class, Chinese name (name), English
// name (name:en), one-way rule, lanes and speed limit. One-way is oneway=
// yes/true/1 (forward) or -1/reverse, and is implied on motorways, motorway
// links and roundabouts unless oneway=no. maxspeed is read as km/h ("60",
// "60 km/h") or mph ("30 mph"); untagged ways take the Chinese urban
// default of their class (see Class.DefaultSpeed: motorway 100, trunk 80,
// primary 60, secondary 50, tertiary 40, residential 30, service 20 km/h).
//
// Every straight segment between two consecutive way nodes is one directed
// edge per permitted direction, stored in CSR arrays (edges sorted by their
// start node). Coordinates are float64 WGS-84 degrees (Point); FromMicro and
// Point.Micro convert from and to the integer micro-degrees of JT/T 808.
// Lengths are haversine metres; travel time is length over the speed limit.
//
// # Input
//
// Load detects the format from the first bytes. XML (OSM 0.6) is streamed
// with encoding/xml. PBF (.osm.pbf) is read by a protobuf decoder written
// for it, without generated code or a new dependency: raw and zlib blobs,
// dense and plain nodes, ways; relations, metadata and other block types are
// skipped, and a file whose OSMHeader requires a feature other than
// OsmSchema-V0.6 and DenseNodes (history files, say) is refused. Block sizes
// are bounded (64 KiB header, 32 MiB blob, 64 MiB decompressed) so a corrupt
// file costs an error, not memory. Both readers feed the same collector, so
// the same data gives the same graph bit for bit whichever the format.
//
// # Queries
//
// A Router runs A* with a binary heap and reuses its buffers, so a query
// allocates only the returned Path; one Router per goroutine, one Graph for
// all. NearestEdge uses an R-tree (tidwall/rtree) over the segments in a
// local planar projection and returns the projection of the point on the
// nearest segment. NearestRoutable restricts the search to the largest
// strongly connected component, where every point reaches every other, and
// is what trips should start and end on.
//
// Bus stops, bus and rail stations and named places of the extract are kept
// as Places, so demo stations can stand at real locations.
package roadnet
