package waybill

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

// The console's helpers: what the waybill pages need beyond the records
// themselves. The state machine is served so the console offers exactly
// the moves the service accepts, and a planned route can be drawn along
// the roads of the platform's network instead of as straight lines.

// maxRouteVias bounds the points of one route-along-roads request: a
// planned route is drawn by hand, a few dozen clicks at most.
const maxRouteVias = 50

// maxSnapM is how far from a road a clicked point may be: further out the
// network does not cover the place and the leg stays straight.
const maxSnapM = 2000

// Move is one state change a waybill may make.
type Move struct {
	From      State  `json:"from"`
	To        State  `json:"to"`
	FromLabel string `json:"from_label"`
	ToLabel   string `json:"to_label"`
	// Issue is true for draft → issued: the issue checks run and the
	// console calls /issue rather than /transition.
	Issue bool `json:"issue,omitempty"`
}

// Moves lists every allowed state change in workflow order.
func Moves() []Move {
	var out []Move
	for _, from := range States {
		for _, to := range transitions[from] {
			out = append(out, Move{From: from, To: to, FromLabel: from.Label(), ToLabel: to.Label(), Issue: from == StateDraft && to == StateIssued})
		}
	}
	return out
}

// RouteRequest are the points a planned route passes through, in order.
type RouteRequest struct {
	Points [][2]float64 `json:"points" minItems:"2" maxItems:"50" doc:"[lon, lat] WGS-84: the start, the vias, the end"`
}

// RouteAlongRoads is a planned route following the road network.
type RouteAlongRoads struct {
	Polyline   [][2]float64 `json:"polyline" doc:"[lon, lat] WGS-84"`
	DistanceKm float64      `json:"distance_km"`
	// StraightLegs counts the legs between consecutive points that the
	// network could not route (a point far from its roads): they are
	// straight lines.
	StraightLegs int `json:"straight_legs"`
}

// routePlanner plans routes along a road network; without one, straight lines.
type routePlanner struct {
	graph func() (*roadnet.Graph, error)
}

// plan routes through the points leg by leg, falling back to a straight
// leg where the network does not reach.
func (p routePlanner) plan(points [][2]float64) (*RouteAlongRoads, error) {
	inv := &apperr.Invalid{}
	for i, c := range points {
		if c[0] < -180 || c[0] > 180 || c[1] < -90 || c[1] > 90 || math.IsNaN(c[0]) || math.IsNaN(c[1]) {
			inv.Add(fmt.Sprintf("body.points[%d]", i), "不是有效的经纬度 (not a WGS-84 lon/lat)", c)
		}
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	var router *roadnet.Router
	if p.graph != nil {
		if g, err := p.graph(); err == nil && g != nil {
			router = g.NewRouter()
		}
	}
	out := &RouteAlongRoads{}
	var metres float64
	add := func(lon, lat float64) {
		c := [2]float64{math.Round(lon*1e6) / 1e6, math.Round(lat*1e6) / 1e6}
		if n := len(out.Polyline); n > 0 && out.Polyline[n-1] == c {
			return
		}
		out.Polyline = append(out.Polyline, c)
	}
	for i := 1; i < len(points); i++ {
		a := roadnet.Point{Lon: points[i-1][0], Lat: points[i-1][1]}
		b := roadnet.Point{Lon: points[i][0], Lat: points[i][1]}
		if router != nil {
			g := router.Graph()
			sa, okA := g.NearestRoutable(a)
			sb, okB := g.NearestRoutable(b)
			if okA && okB && sa.Distance <= maxSnapM && sb.Distance <= maxSnapM {
				if path, err := router.RouteSnaps(sa, sb, roadnet.ByTime); err == nil {
					for _, pt := range g.Geometry(path) {
						add(pt.Lon, pt.Lat)
					}
					metres += path.Length
					continue
				} else if !errors.Is(err, roadnet.ErrNoRoute) {
					return nil, fmt.Errorf("waybill: route along roads: %w", err)
				}
			}
		}
		add(a.Lon, a.Lat)
		add(b.Lon, b.Lat)
		metres += roadnet.Distance(a, b)
		out.StraightLegs++
	}
	out.DistanceKm = math.Round(metres/100) / 10
	return out, nil
}

// RegisterConsole adds the console's helper operations (state moves,
// routes along roads) to api (the /api/v1 group). graph is the road
// network routes follow (roadnet.Chengdu in the platform); nil draws
// straight legs only.
func RegisterConsole(api huma.API, graph func() (*roadnet.Graph, error)) {
	tags := []string{"waybill"}
	huma.Register(api, huma.Operation{OperationID: "waybill-moves", Method: http.MethodGet, Path: "/waybills/moves",
		Summary: "Allowed state changes of e-waybills", Tags: tags,
		Description: "Every allowed state change with Chinese labels; draft → issued runs the issue checks (POST /waybills/{id}/issue), the others POST /waybills/{id}/transition."},
		func(ctx context.Context, _ *struct{}) (*struct{ Body []Move }, error) {
			if _, err := access.Require(ctx, access.PermWaybillRead); err != nil {
				return nil, err
			}
			return &struct{ Body []Move }{Moves()}, nil
		})
	planner := routePlanner{graph: graph}
	huma.Register(api, huma.Operation{OperationID: "waybill-route-along-roads", Method: http.MethodPost, Path: "/waybills/route-along-roads",
		Summary: "Plan a route along the roads", Tags: tags,
		Description: "The shortest-time route through the points, in order, on the platform's road network: the polyline of a waybill's planned route. " +
			"A leg whose points are more than 2 km from a road stays straight (straight_legs)."},
		func(ctx context.Context, in *struct{ Body RouteRequest }) (*struct{ Body *RouteAlongRoads }, error) {
			if _, err := access.Require(ctx, access.PermWaybillWrite); err != nil {
				return nil, err
			}
			r, err := planner.plan(in.Body.Points)
			return &struct{ Body *RouteAlongRoads }{r}, err
		})
}
