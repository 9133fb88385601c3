package live

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/wshub"
)

// The protocol, one JSON object per WebSocket text message.
//
// Client → server:
//
//	{"type": "subscribe",
//	 "topics": ["positions", "alarms", "vehicle_states", "checks"],  // default: all
//	 "vehicle_ids": [12, 34],                                // optional: only these vehicles
//	 "bbox": [minLon, minLat, maxLon, maxLat],               // optional: map viewport, WGS-84 degrees
//	 "severities": ["critical", "major"]}                    // optional: alarms of these severities
//	{"type": "unsubscribe"}
//
// Each subscribe replaces the previous one. The server always narrows it to
// the principal's data scope. The viewport filters positions, and events
// that carry a position; an event without coordinates is not held back by
// it. Severities filter alarms only.
//
// Server → client:
//
//	{"type": "ready", "user": "...", "scope": {"region": "510104"}}          on connect
//	{"type": "subscribed", "topics": [...], ...}                           the subscription in force
//	{"type": "error", "title": "...", "errors": [{"location": "bbox", "message": "...", "value": ...}]}
//	{"type": "position", "vehicle_id": 12, "plate": "川A12345", "lat": 30.657, "lon": 104.066,
//	 "speed": 61.5, "heading": 90, "time": "...", "received": "...", "alarm": 0, "status": 3}
//	{"type": "alarm.raised", ...}, {"type": "vehicle.state", ...}          the monitor's events, untouched
//
// "time" is the terminal's clock and "received" when the gateway read the
// frame; events carry their own "at". Latency is measured from them.

// Topics a client can subscribe to.
const (
	TopicPositions     = "positions"
	TopicAlarms        = "alarms"
	TopicVehicleStates = "vehicle_states"
	TopicChecks        = "checks" // platform checks (查岗) sent to, answered or missed by an enterprise
)

type topic uint8

const (
	topicPositions topic = 1 << iota
	topicAlarms
	topicVehicleStates
	topicChecks

	allTopics = topicPositions | topicAlarms | topicVehicleStates | topicChecks
)

var topicNames = []struct {
	t    topic
	name string
}{{topicPositions, TopicPositions}, {topicAlarms, TopicAlarms}, {topicVehicleStates, TopicVehicleStates}, {topicChecks, TopicChecks}}

// Alarm severities of the event contract.
var severities = []string{"critical", "major", "minor", "info"}

// meta is what the filters look at in a message.
type meta struct {
	topic      topic
	vehicleID  int64
	region     string
	operatorID int64
	hasPos     bool
	lat, lon   float64
	severity   string
}

// subscription is one client's filter: the request intersected with the
// principal's scope.
type subscription struct {
	regionPrefix string
	operatorID   int64
	topics       topic
	vehicles     map[int64]struct{} // nil: every vehicle in scope
	hasBBox      bool
	bbox         [4]float64      // minLon, minLat, maxLon, maxLat
	severities   map[string]bool // nil: every severity
}

func (s *subscription) match(m *wshub.Message[meta]) bool {
	md := &m.Meta
	if s.topics&md.topic == 0 {
		return false
	}
	// The data scope first: nothing below can widen it.
	if !strings.HasPrefix(md.region, s.regionPrefix) {
		return false
	}
	if s.operatorID != 0 && md.operatorID != s.operatorID {
		return false
	}
	if s.vehicles != nil {
		if _, ok := s.vehicles[md.vehicleID]; !ok {
			return false
		}
	}
	if s.hasBBox && md.hasPos {
		if md.lon < s.bbox[0] || md.lat < s.bbox[1] || md.lon > s.bbox[2] || md.lat > s.bbox[3] {
			return false
		}
	}
	if s.severities != nil && md.topic == topicAlarms && !s.severities[md.severity] {
		return false
	}
	return true
}

// clientMessage is what a client sends.
type clientMessage struct {
	Type       string    `json:"type"`
	Topics     []string  `json:"topics,omitempty"`
	VehicleIDs []int64   `json:"vehicle_ids,omitempty"`
	BBox       []float64 `json:"bbox,omitempty"`
	Severities []string  `json:"severities,omitempty"`
}

// session is one connected console.
type session struct {
	principal   *access.Principal
	maxVehicles int
}

func newSession(p *access.Principal, maxVehicles int) *session {
	return &session{principal: p, maxVehicles: maxVehicles}
}

func (s *session) handler() wshub.Handler[meta] {
	return wshub.Handler[meta]{Open: s.open, Message: s.onMessage}
}

func (s *session) open(c *wshub.Client[meta]) {
	c.Send(mustJSON(map[string]any{"type": "ready", "user": s.principal.Username, "scope": s.principal.Scope}))
}

// onMessage applies a subscribe or unsubscribe; a bad one is answered with
// an error message and leaves the subscription as it was.
func (s *session) onMessage(c *wshub.Client[meta], data []byte) error {
	var msg clientMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&msg); err != nil {
		c.Send(errorMessage("message is not a valid JSON subscription", []errorDetail{{Location: "body", Message: err.Error()}}))
		return nil
	}
	switch msg.Type {
	case "subscribe":
		sub, err := s.subscribe(&msg)
		if err != nil {
			c.Send(errorMessage("invalid subscription", details(err)))
			return nil
		}
		c.SetFilter(sub.match)
		c.Send(subscribedMessage(&msg, s.principal.Scope))
	case "unsubscribe":
		c.SetFilter(nil)
		c.Send(mustJSON(map[string]any{"type": "unsubscribed"}))
	default:
		c.Send(errorMessage("unknown message type", []errorDetail{{Location: "type",
			Message: `must be "subscribe" or "unsubscribe"`, Value: msg.Type}}))
	}
	return nil
}

// subscribe validates a request and intersects it with the scope.
func (s *session) subscribe(msg *clientMessage) (*subscription, error) {
	var inv apperr.Invalid
	scope := s.principal.Scope
	sub := &subscription{regionPrefix: scope.RegionPrefix(), operatorID: scope.OperatorID}
	for i, name := range msg.Topics {
		found := false
		for _, tn := range topicNames {
			if tn.name == name {
				sub.topics |= tn.t
				found = true
			}
		}
		if !found {
			inv.Add(fmt.Sprintf("topics[%d]", i), "unknown topic; use positions, alarms, vehicle_states or checks", name)
		}
	}
	if len(msg.Topics) == 0 {
		sub.topics = allTopics
	}
	if msg.VehicleIDs != nil {
		if len(msg.VehicleIDs) > s.maxVehicles {
			inv.Add("vehicle_ids", fmt.Sprintf("at most %d vehicles per subscription", s.maxVehicles), len(msg.VehicleIDs))
		}
		sub.vehicles = make(map[int64]struct{}, len(msg.VehicleIDs))
		for i, id := range msg.VehicleIDs {
			if id <= 0 {
				inv.Add(fmt.Sprintf("vehicle_ids[%d]", i), "must be a vehicle id (positive)", id)
			}
			sub.vehicles[id] = struct{}{}
		}
	}
	if msg.BBox != nil {
		b := msg.BBox
		switch {
		case len(b) != 4:
			inv.Add("bbox", "must be [minLon, minLat, maxLon, maxLat]", b)
		case anyNaN(b) || b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90:
			inv.Add("bbox", "must lie within longitude -180..180 and latitude -90..90", b)
		case b[0] > b[2] || b[1] > b[3]:
			inv.Add("bbox", "minimum must not exceed maximum", b)
		default:
			sub.hasBBox = true
			copy(sub.bbox[:], b)
		}
	}
	if msg.Severities != nil {
		sub.severities = map[string]bool{}
		for i, sv := range msg.Severities {
			ok := false
			for _, known := range severities {
				ok = ok || sv == known
			}
			if !ok {
				inv.Add(fmt.Sprintf("severities[%d]", i), "unknown severity; use critical, major, minor or info", sv)
			}
			sub.severities[sv] = true
		}
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	return sub, nil
}

func anyNaN(fs []float64) bool {
	for _, f := range fs {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return true
		}
	}
	return false
}

type errorDetail struct {
	Location string `json:"location"`
	Message  string `json:"message"`
	Value    any    `json:"value,omitempty"`
}

func errorMessage(title string, errs []errorDetail) []byte {
	return mustJSON(map[string]any{"type": "error", "title": title, "errors": errs})
}

func details(err error) []errorDetail {
	var out []errorDetail
	for _, f := range apperr.Fields(err) {
		out = append(out, errorDetail{Location: f.Field, Message: f.Reason, Value: f.Value})
	}
	if len(out) == 0 {
		out = append(out, errorDetail{Location: "body", Message: err.Error()})
	}
	return out
}

func subscribedMessage(msg *clientMessage, scope access.Scope) []byte {
	topics := msg.Topics
	if len(topics) == 0 {
		topics = []string{TopicPositions, TopicAlarms, TopicVehicleStates, TopicChecks}
	}
	return mustJSON(map[string]any{"type": "subscribed", "topics": topics, "vehicle_ids": msg.VehicleIDs,
		"bbox": msg.BBox, "severities": msg.Severities, "scope": scope})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("live: marshal %T: %v", v, err))
	}
	return b
}

// checkOrigin refuses a handshake from a foreign page. Browsers send Origin
// on every WebSocket handshake; clients that send none are let through: they
// are not browsers, so they hold no cookie of somebody else to ride on.
func checkOrigin(r *http.Request, allowed []string) error {
	origin := r.Header.Get("Origin")
	if originAllowed(origin, r.Host, allowed) {
		return nil
	}
	return apperr.Forbidden(fmt.Sprintf("cross-origin WebSocket refused: origin %q may not connect to %s", origin, r.Host))
}

// originAllowed reports whether origin (the Origin header) may open a
// WebSocket on host.
func originAllowed(origin, host string, allowed []string) bool {
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, host) {
		return true
	}
	for _, pattern := range allowed {
		target := u.Host
		if strings.Contains(pattern, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, err := path.Match(strings.ToLower(pattern), strings.ToLower(target)); err == nil && ok {
			return true
		}
	}
	return false
}
