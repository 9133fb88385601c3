package gateway

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
)

// SessionInfo describes one live terminal session.
type SessionInfo struct {
	Phone         string    `json:"phone" doc:"Terminal phone (SIM), leading zeros stripped"`
	VehicleID     int64     `json:"vehicle_id,omitempty"`
	Plate         string    `json:"plate,omitempty"`
	Version       string    `json:"version" enum:"2011,2013,2019" doc:"JT/T 808 edition the terminal speaks"`
	RemoteAddr    string    `json:"remote_addr"`
	ConnectedAt   time.Time `json:"connected_at"`
	LastActivity  time.Time `json:"last_activity"`
	Authenticated bool      `json:"authenticated"`
	Frames        uint64    `json:"frames" doc:"Frames received"`
	Positions     uint64    `json:"positions" doc:"Positions received"`
	Acknowledged  uint64    `json:"acknowledged" doc:"Position frames answered after durable storage"`
	BadFrames     uint64    `json:"bad_frames" doc:"Malformed frames received"`

	region     string
	operatorID int64
}

func (s *session) info() SessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return SessionInfo{
		Phone: s.key, VehicleID: s.vehicle.ID, Plate: s.vehicle.Plate, Version: s.version.String(),
		RemoteAddr: s.remote, ConnectedAt: s.since, LastActivity: time.Unix(0, s.lastActive.Load()),
		Authenticated: s.authenticated, Frames: s.frames.Load(), Positions: s.positions.Load(),
		Acknowledged: s.acked.Load(), BadFrames: s.badFrames.Load(),
		region: s.vehicle.Region, operatorID: s.vehicle.OperatorID,
	}
}

// Sessions returns the authenticated sessions inside scope, by phone.
func (g *Gateway) Sessions(scope access.Scope) []SessionInfo {
	g.mu.RLock()
	ss := make([]*session, 0, len(g.sessions))
	for _, s := range g.sessions {
		ss = append(ss, s)
	}
	g.mu.RUnlock()
	out := make([]SessionInfo, 0, len(ss))
	for _, s := range ss {
		if in := s.info(); scope.Allows(in.region, in.operatorID) {
			out = append(out, in)
		}
	}
	slices.SortFunc(out, func(a, b SessionInfo) int { return strings.Compare(a.Phone, b.Phone) })
	return out
}

// CommandRequest is a downlink command. Kind selects the message and the
// field that carries its content.
type CommandRequest struct {
	Kind         string                   `json:"kind" enum:"text,query_parameters,set_parameters,query_position,track,set_circle_areas,set_rectangle_areas,set_polygon_area,set_route,delete_circle_areas,delete_rectangle_areas,delete_polygon_areas,delete_routes" doc:"text 0x8300; query_parameters 0x8104 (0x8106 with parameter_ids); set_parameters 0x8103; query_position 0x8201; track 0x8202; set_* 0x8600/0x8602/0x8604/0x8606; delete_* 0x8601/0x8603/0x8605/0x8607"`
	Text         *TextCommand             `json:"text,omitempty"`
	ParameterIDs []uint32                 `json:"parameter_ids,omitempty" maxItems:"255" doc:"query_parameters: only these parameters (0x8106); all when empty (0x8104)"`
	Parameters   []ParameterValue         `json:"parameters,omitempty" maxItems:"255" doc:"set_parameters: the values to set"`
	Track        *jt808.TrackLocation     `json:"track,omitempty" doc:"track: report every interval_s seconds for validity_s seconds; interval 0 stops"`
	Circles      *jt808.SetCircleAreas    `json:"circle_areas,omitempty"`
	Rectangles   *jt808.SetRectangleAreas `json:"rectangle_areas,omitempty"`
	Polygon      *jt808.SetPolygonArea    `json:"polygon_area,omitempty"`
	Route        *jt808.SetRoute          `json:"route,omitempty"`
	IDs          []uint32                 `json:"ids,omitempty" maxItems:"255" doc:"delete_*: area or route IDs; empty deletes all"`
	TimeoutS     int                      `json:"timeout_s,omitempty" minimum:"1" maximum:"120" doc:"How long to wait for the terminal's reply (default 30)"`
}

// TextCommand is the content of a text message (0x8300).
type TextCommand struct {
	Text      string `json:"text" minLength:"1" maxLength:"500" doc:"Shown or read out on the terminal (sent in GBK)"`
	Emergency bool   `json:"emergency,omitempty"`
	Display   bool   `json:"display,omitempty" doc:"Show on the terminal display (default when neither display nor tts is set)"`
	TTS       bool   `json:"tts,omitempty" doc:"Read out by text-to-speech"`
	Type      uint8  `json:"type,omitempty" enum:"0,1,2" doc:"2019 text type: 1 notice, 2 service"`
}

// ParameterValue is one terminal parameter to set; exactly one value field.
type ParameterValue struct {
	ID     uint32  `json:"id" doc:"Parameter ID, e.g. 1 (0x0001 heartbeat interval) or 85 (0x0055 maximum speed)"`
	DWord  *uint32 `json:"dword,omitempty"`
	Word   *uint16 `json:"word,omitempty"`
	Byte   *uint8  `json:"byte,omitempty"`
	String *string `json:"string,omitempty" maxLength:"200"`
}

// CommandResult is the terminal's answer to a command.
type CommandResult struct {
	Phone       string        `json:"phone"`
	VehicleID   int64         `json:"vehicle_id"`
	Kind        string        `json:"kind"`
	MsgID       string        `json:"msg_id" doc:"Message sent, e.g. 0x8300"`
	ReplyMsgID  string        `json:"reply_msg_id" doc:"Terminal's reply: 0x0001, 0x0104 or 0x0201"`
	Result      uint8         `json:"result" doc:"0x0001 result: 0 success, 1 failure, 2 message error, 3 not supported"`
	ResultLabel string        `json:"result_label" enum:"success,failure,message_error,not_supported"`
	Parameters  any           `json:"parameters,omitempty" doc:"0x0104 parameters reply"`
	Position    *PositionView `json:"position,omitempty" doc:"0x0201 position reply"`
}

// PositionView is a position in API units.
type PositionView struct {
	DeviceTime time.Time `json:"device_time"`
	Lat        float64   `json:"lat" doc:"WGS-84 degrees"`
	Lon        float64   `json:"lon" doc:"WGS-84 degrees"`
	SpeedKMH   float64   `json:"speed_kmh"`
	Heading    uint16    `json:"heading"`
	Altitude   int32     `json:"altitude_m"`
	Alarm      uint32    `json:"alarm"`
	Status     uint32    `json:"status"`
}

func resultLabel(r uint8) string {
	switch r {
	case jt808.ResultOK:
		return "success"
	case jt808.ResultFailure:
		return "failure"
	case jt808.ResultMessageError:
		return "message_error"
	}
	return "not_supported"
}

// body builds the JT/T 808 message of a request.
func (r *CommandRequest) body() (jt808.Body, error) {
	missing := func(field string) error {
		return apperr.Field(field, "required for kind "+r.Kind, nil)
	}
	switch r.Kind {
	case "text":
		if r.Text == nil {
			return nil, missing("text")
		}
		var flag uint8
		if r.Text.Emergency {
			flag |= jt808.TextEmergency
		}
		if r.Text.TTS {
			flag |= jt808.TextTTS
		}
		if r.Text.Display || !r.Text.TTS {
			flag |= jt808.TextDisplay
		}
		return &jt808.TextMessage{Flag: flag, TextType: r.Text.Type, Text: r.Text.Text}, nil
	case "query_parameters":
		if len(r.ParameterIDs) > 0 {
			return &jt808.QuerySomeParameters{IDs: r.ParameterIDs}, nil
		}
		return &jt808.QueryParameters{}, nil
	case "set_parameters":
		if len(r.Parameters) == 0 {
			return nil, missing("parameters")
		}
		m := &jt808.SetParameters{}
		var inv apperr.Invalid
		for i, p := range r.Parameters {
			n := 0
			var v jt808.Param
			if p.DWord != nil {
				n, v = n+1, jt808.ParamDWord(p.ID, *p.DWord)
			}
			if p.Word != nil {
				n, v = n+1, jt808.ParamWord(p.ID, *p.Word)
			}
			if p.Byte != nil {
				n, v = n+1, jt808.ParamByte(p.ID, *p.Byte)
			}
			if p.String != nil {
				n, v = n+1, jt808.ParamString(p.ID, *p.String)
			}
			if n != 1 {
				inv.Add(fmt.Sprintf("parameters[%d]", i), "needs exactly one of dword, word, byte, string", p.ID)
				continue
			}
			m.Params = append(m.Params, v)
		}
		if err := inv.Err(); err != nil {
			return nil, err
		}
		return m, nil
	case "query_position":
		return &jt808.QueryLocation{}, nil
	case "track":
		if r.Track == nil {
			return nil, missing("track")
		}
		return r.Track, nil
	case "set_circle_areas":
		if r.Circles == nil {
			return nil, missing("circle_areas")
		}
		return r.Circles, nil
	case "set_rectangle_areas":
		if r.Rectangles == nil {
			return nil, missing("rectangle_areas")
		}
		return r.Rectangles, nil
	case "set_polygon_area":
		if r.Polygon == nil {
			return nil, missing("polygon_area")
		}
		return r.Polygon, nil
	case "set_route":
		if r.Route == nil {
			return nil, missing("route")
		}
		return r.Route, nil
	case "delete_circle_areas":
		return &jt808.DeleteAreas{ID: jt808.MsgDeleteCircleAreas, IDs: r.IDs}, nil
	case "delete_rectangle_areas":
		return &jt808.DeleteAreas{ID: jt808.MsgDeleteRectangles, IDs: r.IDs}, nil
	case "delete_polygon_areas":
		return &jt808.DeleteAreas{ID: jt808.MsgDeletePolygonAreas, IDs: r.IDs}, nil
	case "delete_routes":
		return &jt808.DeleteAreas{ID: jt808.MsgDeleteRoutes, IDs: r.IDs}, nil
	}
	return nil, apperr.Field("kind", "unknown command kind", r.Kind)
}

// resolve finds the terminal a path names ("13900000001", or "v42" for
// vehicle 42) and checks that its vehicle is in the caller's scope.
func (g *Gateway) resolve(ctx context.Context, terminal string) (phone string, vehicleID int64, err error) {
	if rest, ok := strings.CutPrefix(terminal, "v"); ok {
		id, perr := strconv.ParseInt(rest, 10, 64)
		if perr != nil || id <= 0 {
			return "", 0, apperr.Field("terminal", "must be a terminal phone or v<vehicle id>", terminal)
		}
		v, err := g.vehicles.Vehicle(ctx, id)
		if err != nil {
			return "", 0, err
		}
		if v.TerminalPhone == "" {
			return "", 0, fmt.Errorf("vehicle %d has no terminal: %w", id, apperr.ErrNotFound)
		}
		return registry.NormalizeTerminalPhone(v.TerminalPhone), v.ID, nil
	}
	phone = registry.NormalizeTerminalPhone(terminal)
	if phone == "" || len(phone) > 20 {
		return "", 0, apperr.Field("terminal", "must be a terminal phone or v<vehicle id>", terminal)
	}
	ref, err := g.vehicles.VehicleByTerminalPhone(ctx, phone)
	if err != nil {
		return "", 0, err
	}
	// The scoped read refuses vehicles outside the caller's data scope.
	if _, err := g.vehicles.Vehicle(ctx, ref.ID); err != nil {
		return "", 0, err
	}
	return phone, ref.ID, nil
}

// Command sends a request to a terminal on behalf of the caller in ctx.
func (g *Gateway) Command(ctx context.Context, terminal string, req *CommandRequest) (*CommandResult, error) {
	if _, err := access.Require(ctx, access.PermTerminalCommand); err != nil {
		return nil, err
	}
	body, err := req.body()
	if err != nil {
		return nil, err
	}
	phone, vid, err := g.resolve(ctx, terminal)
	if err != nil {
		return nil, err
	}
	if req.TimeoutS > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(req.TimeoutS)*time.Second)
		defer cancel()
	}
	rep, err := g.Send(ctx, phone, body)
	if err != nil {
		return nil, err
	}
	out := &CommandResult{Phone: phone, VehicleID: vid, Kind: req.Kind, MsgID: jt808.MsgIDString(body.MsgID()),
		ReplyMsgID: jt808.MsgIDString(rep.MsgID), Result: rep.Result, ResultLabel: resultLabel(rep.Result)}
	if rep.Parameters != nil {
		out.Parameters = rep.Parameters
	}
	if p := rep.Position; p != nil {
		out.Position = &PositionView{DeviceTime: p.DeviceTime, Lat: float64(p.Lat) / 1e6, Lon: float64(p.Lon) / 1e6,
			SpeedKMH: float64(p.Speed) / 10, Heading: p.Heading, Altitude: p.Altitude, Alarm: p.Alarm, Status: p.Status}
	}
	return out, nil
}

type commandInput struct {
	Terminal string `path:"terminal" maxLength:"21" doc:"Terminal phone, or v<vehicle id> (e.g. v42)"`
	Body     CommandRequest
}

type commandOutput struct{ Body *CommandResult }

type sessionsOutput struct{ Body []SessionInfo }

type sessionInput struct {
	Phone string `path:"phone" maxLength:"20"`
}

type sessionOutput struct{ Body SessionInfo }

// Register adds the gateway's operations to api (rooted at /api/v1).
func Register(api huma.API, g *Gateway) {
	// Area and route times travel as ISO 8601 strings (jt808.BCDTime reads
	// them), not as the base64 huma would assume for a byte array.
	api.OpenAPI().Components.Schemas.RegisterTypeAlias(reflect.TypeFor[jt808.BCDTime](), reflect.TypeFor[string]())
	tags := []string{"Terminals"}
	huma.Register(api, huma.Operation{OperationID: "send-terminal-command", Method: http.MethodPost,
		Path: "/terminals/{terminal}/commands", Summary: "Send a command to a terminal and wait for its reply", Tags: tags,
		MaxBodyBytes: 256 << 10,
		Description: "Delivers a JT/T 808 downlink message (text, parameters, position query, temporary tracking, areas and routes) " +
			"to the terminal's live session and returns its reply. A terminal with no authenticated session on this gateway " +
			"is refused with 409 (the command is not queued); no reply within the timeout is 503."},
		func(ctx context.Context, in *commandInput) (*commandOutput, error) {
			res, err := g.Command(ctx, in.Terminal, &in.Body)
			if err != nil {
				return nil, err
			}
			return &commandOutput{Body: res}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "list-terminal-sessions", Method: http.MethodGet,
		Path: "/terminals/sessions", Summary: "List live terminal sessions", Tags: tags,
		Description: "Authenticated terminals connected to this gateway whose vehicle is in the caller's data scope."},
		func(ctx context.Context, _ *struct{}) (*sessionsOutput, error) {
			p, err := access.Require(ctx, access.PermMonitorRead)
			if err != nil {
				return nil, err
			}
			return &sessionsOutput{Body: g.Sessions(p.Scope)}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "get-terminal-session", Method: http.MethodGet,
		Path: "/terminals/sessions/{phone}", Summary: "Get one live terminal session", Tags: tags},
		func(ctx context.Context, in *sessionInput) (*sessionOutput, error) {
			p, err := access.Require(ctx, access.PermMonitorRead)
			if err != nil {
				return nil, err
			}
			key := registry.NormalizeTerminalPhone(in.Phone)
			s := g.session(key)
			if s == nil {
				return nil, apperr.NotFound("terminal session", in.Phone)
			}
			info := s.info()
			if !p.Scope.Allows(info.region, info.operatorID) {
				return nil, apperr.NotFound("terminal session", in.Phone)
			}
			return &sessionOutput{Body: info}, nil
		})
}
