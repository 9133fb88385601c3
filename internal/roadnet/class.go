package roadnet

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Class is the OpenStreetMap highway class of a drivable way. The order is
// from the most to the least important road.
type Class uint8

// The drivable highway classes. Anything else (footway, cycleway, steps,
// pedestrian, track, ...) is not loaded.
const (
	ClassMotorway Class = iota + 1
	ClassMotorwayLink
	ClassTrunk
	ClassTrunkLink
	ClassPrimary
	ClassPrimaryLink
	ClassSecondary
	ClassSecondaryLink
	ClassTertiary
	ClassTertiaryLink
	ClassUnclassified
	ClassResidential
	ClassLivingStreet
	ClassService
)

// classInfo is one row of the class table: the OSM tag value, a Chinese
// label, and the default speed limit when the way carries no maxspeed.
type classInfo struct {
	tag   string
	label string
	// defaultKmh are Chinese urban defaults: the Road Traffic Safety Law
	// implementing regulations cap unmarked urban roads at 30–50 km/h, and
	// urban expressways (城市快速路, tagged trunk in Chengdu, e.g. the 二环
	// elevated road) are posted at 60–80 km/h.
	defaultKmh float64
}

// classes is the class table, indexed by Class.
var classes = [...]classInfo{
	ClassMotorway:      {"motorway", "高速公路", 100},
	ClassMotorwayLink:  {"motorway_link", "高速匝道", 60},
	ClassTrunk:         {"trunk", "快速路/干线公路", 80},
	ClassTrunkLink:     {"trunk_link", "快速路匝道", 40},
	ClassPrimary:       {"primary", "主干路", 60},
	ClassPrimaryLink:   {"primary_link", "主干路连接线", 40},
	ClassSecondary:     {"secondary", "次干路", 50},
	ClassSecondaryLink: {"secondary_link", "次干路连接线", 30},
	ClassTertiary:      {"tertiary", "支路", 40},
	ClassTertiaryLink:  {"tertiary_link", "支路连接线", 30},
	ClassUnclassified:  {"unclassified", "一般道路", 30},
	ClassResidential:   {"residential", "居住区道路", 30},
	ClassLivingStreet:  {"living_street", "生活街道", 15},
	ClassService:       {"service", "服务性道路", 20},
}

var classByTag = func() map[string]Class {
	m := make(map[string]Class, len(classes))
	for c := ClassMotorway; c <= ClassService; c++ {
		m[classes[c].tag] = c
	}
	return m
}()

// ParseClass maps an OSM highway tag value to a drivable Class; ok is false
// for values that are not drivable roads.
func ParseClass(tag string) (c Class, ok bool) {
	c, ok = classByTag[tag]
	return c, ok
}

// String returns the OSM tag value ("primary").
func (c Class) String() string {
	if c >= ClassMotorway && c <= ClassService {
		return classes[c].tag
	}
	return "unknown"
}

// Label returns the Chinese name of the class for the console.
func (c Class) Label() string {
	if c >= ClassMotorway && c <= ClassService {
		return classes[c].label
	}
	return "未知"
}

// DefaultSpeed returns the speed limit in km/h assumed for an untagged way of
// this class.
func (c Class) DefaultSpeed() float64 {
	if c >= ClassMotorway && c <= ClassService {
		return classes[c].defaultKmh
	}
	return 30
}

// ParseMaxspeed parses an OSM maxspeed value into km/h: "60", "60 km/h",
// "60kmh", "30 mph", "60;80" (the first value). ok is false for symbolic or
// unparsable values ("none", "signals", "CN:urban"), which callers replace by
// the class default.
func ParseMaxspeed(v string) (kmh float64, ok bool) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	factor := 1.0
	lower := strings.ToLower(v)
	switch {
	case strings.HasSuffix(lower, "mph"):
		factor = 1.609344
		v = v[:len(v)-3]
	case strings.HasSuffix(lower, "km/h"):
		v = v[:len(v)-4]
	case strings.HasSuffix(lower, "kmh"), strings.HasSuffix(lower, "kph"):
		v = v[:len(v)-3]
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || n <= 0 || n > 200 || math.IsNaN(n) {
		return 0, false
	}
	return math.Round(n*factor*10) / 10, true
}

// parseLanes parses an OSM lanes value ("2", "3;2" → first); 0 when absent or invalid.
func parseLanes(v string) uint8 {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 || n > 20 {
		return 0
	}
	return uint8(n)
}

// Oneway says in which direction(s) a way may be driven.
type Oneway int8

// Oneway values. OnewayReverse means only against the order of the way's nodes
// (oneway=-1).
const (
	OnewayNo      Oneway = 0
	OnewayForward Oneway = 1
	OnewayReverse Oneway = -1
)

// parseOneway interprets the oneway tag, with oneway implied for motorways,
// motorway links and roundabouts unless the way says oneway=no.
func parseOneway(v string, c Class, junction string) Oneway {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "true", "1":
		return OnewayForward
	case "-1", "reverse":
		return OnewayReverse
	case "no", "false", "0":
		return OnewayNo
	}
	if c == ClassMotorway || c == ClassMotorwayLink || junction == "roundabout" || junction == "circular" {
		return OnewayForward
	}
	return OnewayNo
}

// MarshalText writes the class as its OSM tag value, so JSON reads "primary".
func (c Class) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText parses an OSM tag value.
func (c *Class) UnmarshalText(b []byte) error {
	v, ok := ParseClass(string(b))
	if !ok {
		return fmt.Errorf("roadnet: unknown road class %q", b)
	}
	*c = v
	return nil
}
