package tracks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sheet"
	"github.com/jiaotong-platform/jiaotong/internal/tracks/chunk"
)

// APIPoint is a stored position as the API shows it.
type APIPoint struct {
	Time       time.Time `json:"time"`
	Received   time.Time `json:"received,omitzero"`
	Lat        float64   `json:"lat"`
	Lon        float64   `json:"lon"`
	SpeedKmh   float64   `json:"speed_kmh"`
	Heading    uint16    `json:"heading"`
	Altitude   int32     `json:"altitude"`
	Alarm      uint32    `json:"alarm"`
	Status     uint32    `json:"status"`
	MileageKm  *float64  `json:"mileage_km,omitempty"`
	FuelL      *float64  `json:"fuel_l,omitempty"`
	TachoKmh   *float64  `json:"tacho_speed_kmh,omitempty"`
	Signal     *uint8    `json:"signal,omitempty"`
	Satellites *uint8    `json:"satellites,omitempty"`
	BlindArea  bool      `json:"blind_area,omitempty"`
}

func apiPoint(p *Point) APIPoint {
	a := APIPoint{
		Time: time.UnixMilli(p.Time), Lat: float64(p.Lat) / 1e6, Lon: float64(p.Lon) / 1e6,
		SpeedKmh: float64(p.Speed) / 10, Heading: p.Heading, Altitude: p.Altitude,
		Alarm: p.Alarm, Status: p.Status, BlindArea: p.BlindArea,
	}
	if p.Received != 0 {
		a.Received = time.Unix(p.Received, 0)
	}
	if p.Has&HasMileage != 0 {
		v := float64(p.Mileage) / 10
		a.MileageKm = &v
	}
	if p.Has&HasFuel != 0 {
		v := float64(p.Fuel) / 10
		a.FuelL = &v
	}
	if p.Has&HasTachoSpeed != 0 {
		v := float64(p.TachoSpeed) / 10
		a.TachoKmh = &v
	}
	if p.Has&HasSignal != 0 {
		v := p.Signal
		a.Signal = &v
	}
	if p.Has&HasSatellites != 0 {
		v := p.Satellites
		a.Satellites = &v
	}
	return a
}

// The item bits of Point.Has.
const (
	HasMileage    = chunk.HasMileage
	HasFuel       = chunk.HasFuel
	HasTachoSpeed = chunk.HasTachoSpeed
	HasSignal     = chunk.HasSignal
	HasSatellites = chunk.HasSatellites
)

// RangeQuery is the vehicle and time range of the track operations (an
// exported type so huma sees the fields it embeds).
type RangeQuery struct {
	ID   int64     `path:"id" doc:"vehicle id"`
	From time.Time `query:"from" required:"true" doc:"start of the range (RFC 3339)"`
	To   time.Time `query:"to" required:"true" doc:"end of the range (RFC 3339)"`
}

type trackOutput struct {
	Body struct {
		VehicleID int64      `json:"vehicle_id"`
		Count     int        `json:"count"`
		Points    []APIPoint `json:"points"`
	}
}

func trackBody(vehicle int64, pts []Point) *trackOutput {
	out := &trackOutput{}
	out.Body.VehicleID, out.Body.Count = vehicle, len(pts)
	out.Body.Points = make([]APIPoint, len(pts))
	for i := range pts {
		out.Body.Points[i] = apiPoint(&pts[i])
	}
	return out
}

// Register adds the track operations to api (the /api/v1 group).
func Register(api huma.API, svc *Service) {
	tags := []string{"轨迹 tracks"}
	huma.Register(api, huma.Operation{
		OperationID: "get-vehicle-track", Method: http.MethodGet, Path: "/vehicles/{id}/track",
		Summary: "Track of a vehicle over a time range", Tags: tags,
		Description: "All points in time order, or with simplify > 0 only those that keep the shape within that many metres (Douglas-Peucker), for display.",
	}, func(ctx context.Context, in *struct {
		RangeQuery
		Simplify float64 `query:"simplify" minimum:"0" maximum:"10000" doc:"tolerance in metres; 0 returns every point"`
	}) (*trackOutput, error) {
		pts, err := svc.Track(ctx, in.ID, in.From, in.To)
		if err != nil {
			return nil, err
		}
		return trackBody(in.ID, Simplify(pts, in.Simplify)), nil
	})
	huma.Register(api, huma.Operation{
		OperationID: "get-vehicle-track-last", Method: http.MethodGet, Path: "/vehicles/{id}/track/last",
		Summary: "Newest points of a vehicle", Tags: tags,
	}, func(ctx context.Context, in *struct {
		ID int64 `path:"id"`
		N  int   `query:"n" default:"100" minimum:"1" maximum:"10000"`
	}) (*trackOutput, error) {
		pts, err := svc.Last(ctx, in.ID, in.N)
		if err != nil {
			return nil, err
		}
		return trackBody(in.ID, pts), nil
	})
	huma.Register(api, huma.Operation{
		OperationID: "get-vehicle-track-report", Method: http.MethodGet, Path: "/vehicles/{id}/track/report",
		Summary: "Mileage, trips and stops, daily summary and data quality of a vehicle", Tags: tags,
	}, func(ctx context.Context, in *RangeQuery) (*struct{ Body *Report }, error) {
		r, err := svc.Report(ctx, in.ID, in.From, in.To)
		if err != nil {
			return nil, err
		}
		return &struct{ Body *Report }{r}, nil
	})
	huma.Register(api, huma.Operation{
		OperationID: "play-vehicle-track", Method: http.MethodGet, Path: "/vehicles/{id}/track/playback",
		Summary: "Play a track back at a chosen speed", Tags: tags,
		Description: "Streams the points as JSON lines (application/x-ndjson), one point per line, paced by " +
			"the points' own time divided by speed (speed 60: one minute of track per second). " +
			"JSON lines rather than Server-Sent Events so the console can read it with fetch and an Authorization header.",
		Responses: map[string]*huma.Response{"200": {Description: "one APIPoint per line", Content: map[string]*huma.MediaType{"application/x-ndjson": {}}}},
	}, func(ctx context.Context, in *struct {
		RangeQuery
		Speed float64 `query:"speed" default:"60" minimum:"1" maximum:"3600" doc:"playback speed factor"`
	}) (*huma.StreamResponse, error) {
		pts, err := svc.Track(ctx, in.ID, in.From, in.To)
		if err != nil {
			return nil, err
		}
		speed := in.Speed
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			hctx.SetHeader("Content-Type", "application/x-ndjson")
			w := hctx.BodyWriter()
			flusher, _ := w.(http.Flusher)
			enc := json.NewEncoder(w)
			for i := range pts {
				if i > 0 {
					wait := time.Duration(float64(time.Duration(pts[i].Time-pts[i-1].Time)*time.Millisecond) / speed)
					select {
					case <-hctx.Context().Done():
						return
					case <-time.After(min(wait, 10*time.Second)):
					}
				}
				if err := enc.Encode(apiPoint(&pts[i])); err != nil {
					return
				}
				if flusher != nil {
					flusher.Flush()
				}
			}
		}}, nil
	})
	exportOp := huma.Operation{
		OperationID: "export-vehicle-track", Method: http.MethodGet, Path: "/vehicles/{id}/track/export",
		Summary: "Export a track as GPX, KML or XLSX", Tags: tags,
	}
	sheet.DocumentDownload(&exportOp)
	huma.Register(api, exportOp, func(ctx context.Context, in *struct {
		RangeQuery
		Format string `query:"format" enum:"gpx,kml,xlsx" default:"gpx"`
	}) (*huma.StreamResponse, error) {
		pts, err := svc.Track(ctx, in.ID, in.From, in.To)
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("track_%d_%s", in.ID, in.From.In(civil.CST).Format("20060102T1504"))
		return exportTrack(name, in.Format, in.ID, pts)
	})
	huma.Register(api, huma.Operation{
		OperationID: "search-track-area", Method: http.MethodPost, Path: "/tracks/area-search",
		Summary: "Which vehicles were inside an area during a window", Tags: tags,
		Description: "Give a bounding box or a polygon (WGS-84 degrees) and a window of at most 7 days; " +
			"vehicles outside the caller's data scope are left out.",
	}, func(ctx context.Context, in *struct {
		Body struct {
			From    time.Time    `json:"from"`
			To      time.Time    `json:"to"`
			BBox    []float64    `json:"bbox,omitempty" minItems:"4" maxItems:"4" doc:"[min_lon, min_lat, max_lon, max_lat]"`
			Polygon [][2]float64 `json:"polygon,omitempty" maxItems:"1000" doc:"[[lon, lat], ...], not closed"`
		}
	}) (*struct {
		Body struct {
			Vehicles []Visit `json:"vehicles"`
		}
	}, error) {
		var area Area
		switch {
		case len(in.Body.Polygon) > 0:
			for _, v := range in.Body.Polygon {
				area.Polygon = append(area.Polygon, [2]int32{micro(v[1]), micro(v[0])})
			}
		case len(in.Body.BBox) == 4:
			b := in.Body.BBox
			area.Box = Box{MinLon: micro(b[0]), MinLat: micro(b[1]), MaxLon: micro(b[2]), MaxLat: micro(b[3])}
		default:
			return nil, apperr.Field("bbox", "give a bbox or a polygon", nil)
		}
		visits, err := svc.WhoWasHere(ctx, area, in.Body.From, in.Body.To)
		if err != nil {
			return nil, err
		}
		out := &struct {
			Body struct {
				Vehicles []Visit `json:"vehicles"`
			}
		}{}
		out.Body.Vehicles = visits
		return out, nil
	})
}

func micro(deg float64) int32 {
	if deg > 1000 || deg < -1000 || deg != deg {
		return 1 << 30 // rejected by the range check
	}
	return int32(deg * 1e6)
}
