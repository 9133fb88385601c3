package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus"
	"github.com/jiaotong-platform/jiaotong/internal/platform/wshub"
)

// handlePositions fans one position batch out. Blind-area records are
// history re-sent after a coverage gap and are not pushed. A vehicle the
// registry does not know cannot be placed in anybody's scope and is skipped.
func (s *Service) handlePositions(ctx context.Context, m *bus.Msg) error {
	ps, err := gateway.DecodePositions(m.Data, nil)
	if err != nil {
		return bus.Permanent(fmt.Errorf("live: decode positions %s/%d: %w", m.Stream, m.Sequence, err))
	}
	for i := range ps {
		p := &ps[i]
		if p.BlindArea || p.VehicleID <= 0 {
			continue
		}
		v, err := s.vehicles.get(ctx, p.VehicleID)
		if err != nil {
			s.m.skipped.WithLabelValues("lookup_failed").Inc()
			s.logLookupError(p.VehicleID, err)
			continue
		}
		if v == nil {
			s.m.skipped.WithLabelValues("unknown_vehicle").Inc()
			continue
		}
		msg := &wshub.Message[meta]{
			Data: appendPosition(nil, p, v),
			Key:  uint64(p.VehicleID),
			Meta: meta{topic: topicPositions, vehicleID: p.VehicleID, region: v.region, operatorID: v.operatorID,
				hasPos: true, lat: float64(p.Lat) / 1e6, lon: float64(p.Lon) / 1e6},
		}
		s.hub.Broadcast(msg)
		s.m.positions.Inc()
	}
	return nil
}

// logLookupError logs a failed vehicle lookup, at most once per
// lookupErrorEvery: when the registry is down every position fails.
func (s *Service) logLookupError(id int64, err error) {
	now := time.Now().UnixNano()
	last := s.lastLookupErr.Load()
	if now-last < int64(lookupErrorEvery) || !s.lastLookupErr.CompareAndSwap(last, now) {
		return
	}
	s.log.Warn("live: look up vehicle (positions of unknown scope are skipped)", slog.Int64("vehicle_id", id), slog.Any("err", err))
}

const lookupErrorEvery = 10 * time.Second

// envelope holds the top-level fields of an event (docs: the event contract
// between monitor and live) that filtering needs; the event itself is
// forwarded untouched.
type envelope struct {
	Type       string   `json:"type"`
	VehicleID  int64    `json:"vehicle_id"`
	Region     string   `json:"region"`
	OperatorID int64    `json:"operator_id"`
	Lat        *float64 `json:"lat"`
	Lon        *float64 `json:"lon"`
	Severity   string   `json:"severity"`
}

// handleEvent fans one alarm or vehicle-state event out. An event without a
// region is placed by its vehicle; one that cannot be placed at all reaches
// only principals whose scope is the whole country.
func (s *Service) handleEvent(ctx context.Context, m *bus.Msg) error {
	var env envelope
	if err := json.Unmarshal(m.Data, &env); err != nil {
		return bus.Permanent(fmt.Errorf("live: decode event %s/%d: %w", m.Stream, m.Sequence, err))
	}
	md := meta{vehicleID: env.VehicleID, region: env.Region, operatorID: env.OperatorID, severity: env.Severity}
	switch {
	case strings.HasPrefix(env.Type, "alarm."):
		md.topic = topicAlarms
	case strings.HasPrefix(env.Type, "vehicle."):
		md.topic = topicVehicleStates
	case strings.HasPrefix(env.Type, "check."):
		md.topic = topicChecks
	default:
		s.m.skipped.WithLabelValues("unknown_event").Inc()
		return nil
	}
	if env.Lat != nil && env.Lon != nil {
		md.hasPos, md.lat, md.lon = true, *env.Lat, *env.Lon
	}
	if md.region == "" && md.vehicleID > 0 {
		v, err := s.vehicles.get(ctx, md.vehicleID)
		if err != nil {
			s.logLookupError(md.vehicleID, err)
		} else if v != nil {
			md.region, md.operatorID = v.region, v.operatorID
		}
	}
	s.hub.Broadcast(&wshub.Message[meta]{Data: m.Data, Meta: md})
	s.m.events.Inc()
	return nil
}

// vehicleInfo is what live needs of a vehicle.
type vehicleInfo struct {
	region     string
	operatorID int64
	plateJSON  []byte // the plate as a JSON string, ready to append
}

type cachedVehicle struct {
	v      *vehicleInfo // nil: the registry has no such vehicle
	loaded time.Time
}

// vehicleCache remembers looked-up vehicles for ttl (unknown ones for a
// tenth of it, so a vehicle registered meanwhile appears soon).
type vehicleCache struct {
	lookup VehicleLookup
	ttl    time.Duration
	mu     sync.Mutex
	m      map[int64]cachedVehicle
}

func newVehicleCache(lookup VehicleLookup, ttl time.Duration) *vehicleCache {
	return &vehicleCache{lookup: lookup, ttl: ttl, m: map[int64]cachedVehicle{}}
}

func (c *vehicleCache) get(ctx context.Context, id int64) (*vehicleInfo, error) {
	now := time.Now()
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if ok {
		ttl := c.ttl
		if e.v == nil {
			ttl /= 10
		}
		if now.Sub(e.loaded) < ttl {
			return e.v, nil
		}
	}
	rec, err := c.lookup.Vehicle(access.With(ctx, access.System), id)
	var v *vehicleInfo
	switch {
	case errors.Is(err, apperr.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		plate, _ := json.Marshal(rec.Plate)
		v = &vehicleInfo{region: rec.Region, operatorID: rec.OperatorID, plateJSON: plate}
	}
	c.mu.Lock()
	c.m[id] = cachedVehicle{v: v, loaded: now}
	c.mu.Unlock()
	return v, nil
}

// appendPosition encodes a position for the consoles, by hand: it runs for
// every position on the stream.
func appendPosition(b []byte, p *gateway.Position, v *vehicleInfo) []byte {
	b = append(b, `{"type":"position","vehicle_id":`...)
	b = strconv.AppendInt(b, p.VehicleID, 10)
	if len(v.plateJSON) > 2 {
		b = append(b, `,"plate":`...)
		b = append(b, v.plateJSON...)
	}
	b = append(b, `,"lat":`...)
	b = appendMicro(b, p.Lat)
	b = append(b, `,"lon":`...)
	b = appendMicro(b, p.Lon)
	b = append(b, `,"speed":`...)
	b = strconv.AppendFloat(b, float64(p.Speed)/10, 'f', -1, 64)
	b = append(b, `,"heading":`...)
	b = strconv.AppendUint(b, uint64(p.Heading), 10)
	b = append(b, `,"altitude":`...)
	b = strconv.AppendInt(b, int64(p.Altitude), 10)
	b = append(b, `,"time":"`...)
	b = p.DeviceTime.UTC().AppendFormat(b, timeFormat)
	b = append(b, `","received":"`...)
	b = p.ReceiveTime.UTC().AppendFormat(b, timeFormat)
	b = append(b, `","alarm":`...)
	b = strconv.AppendUint(b, uint64(p.Alarm), 10)
	b = append(b, `,"status":`...)
	b = strconv.AppendUint(b, uint64(p.Status), 10)
	return append(b, '}')
}

// timeFormat is RFC 3339 in UTC with milliseconds, as the events use.
const timeFormat = "2006-01-02T15:04:05.000Z"

// appendMicro writes micro-degrees as decimal degrees without float noise.
func appendMicro(b []byte, v int32) []byte {
	x := int64(v)
	if x < 0 {
		b = append(b, '-')
		x = -x
	}
	b = strconv.AppendInt(b, x/1_000_000, 10)
	frac := x % 1_000_000
	if frac == 0 {
		return b
	}
	var digits [7]byte
	s := strconv.AppendInt(digits[:0], 1_000_000+frac, 10)[1:] // six digits, leading zeros kept
	n := len(s)
	for n > 0 && s[n-1] == '0' {
		n--
	}
	return append(append(b, '.'), s[:n]...)
}
