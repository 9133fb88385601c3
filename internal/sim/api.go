package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
	"github.com/jiaotong-platform/jiaotong/internal/roadnet"
)

// Client reads and creates vehicles through the platform's REST API, with a
// session (username and password) or a bearer token (jt_...).
type Client struct {
	base  string
	http  *http.Client
	token string
	csrf  string
}

// NewTokenClient returns a client authenticating with an API token.
func NewTokenClient(baseURL, token string) *Client {
	return &Client{base: strings.TrimRight(baseURL, "/"), http: &http.Client{Timeout: 30 * time.Second}, token: token}
}

// Login opens a console session as username.
func Login(ctx context.Context, baseURL, username, password string) (*Client, error) {
	jar, _ := cookiejar.New(nil)
	c := &Client{base: strings.TrimRight(baseURL, "/"), http: &http.Client{Timeout: 30 * time.Second, Jar: jar}}
	var me struct {
		CSRFToken string `json:"csrf_token"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/v1/auth/login", map[string]string{"username": username, "password": password}, &me); err != nil {
		return nil, fmt.Errorf("sim: log in as %s: %w", username, err)
	}
	c.csrf = me.CSRFToken
	return c, nil
}

// APIError is a non-2xx answer of the API.
type APIError struct {
	Status int
	Body   string
}

func (e *APIError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &APIError{Status: resp.StatusCode, Body: strings.TrimSpace(string(data))}
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

type page[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

func list[T any](ctx context.Context, c *Client, path string) ([]T, error) {
	var all []T
	for p := 1; ; p++ {
		var pg page[T]
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		if err := c.do(ctx, http.MethodGet, fmt.Sprintf("%s%spage=%d&page_size=500", path, sep, p), nil, &pg); err != nil {
			return nil, fmt.Errorf("sim: list %s: %w", path, err)
		}
		all = append(all, pg.Items...)
		if len(pg.Items) == 0 || len(all) >= pg.Total {
			return all, nil
		}
	}
}

// Vehicles returns the in-service vehicles visible to the client that have
// a terminal phone, each with the scheduled route it is assigned to.
func (c *Client) Vehicles(ctx context.Context) ([]Vehicle, error) {
	vs, err := list[registry.Vehicle](ctx, c, "/api/v1/vehicles")
	if err != nil {
		return nil, err
	}
	routes, err := list[registry.Route](ctx, c, "/api/v1/routes")
	if err != nil {
		return nil, err
	}
	var stations []registry.Station
	if len(routes) > 0 {
		if stations, err = list[registry.Station](ctx, c, "/api/v1/stations"); err != nil {
			return nil, err
		}
	}
	return FleetOf(vs, routes, stations), nil
}

// FleetOf turns registry records into simulated vehicles: those in service
// with a terminal, each coach on the first route it is assigned to (whose
// corridor it then follows, stopping at its stations).
func FleetOf(vehicles []registry.Vehicle, routes []registry.Route, stations []registry.Station) []Vehicle {
	points := make(map[int64]roadnet.Point, len(stations))
	for _, s := range stations {
		points[s.ID] = roadnet.Point{Lat: s.Lat, Lon: s.Lon}
	}
	byVehicle := map[int64]*Route{}
	for i := range routes {
		r := RouteOf(&routes[i], points)
		if r == nil {
			continue
		}
		for _, id := range routes[i].VehicleIDs {
			if byVehicle[id] == nil {
				byVehicle[id] = r
			}
		}
	}
	var out []Vehicle
	for i := range vehicles {
		v := &vehicles[i]
		if v.TerminalPhone == "" || (v.Status != "" && v.Status != registry.VehicleInService) {
			continue
		}
		out = append(out, VehicleOf(v, byVehicle[v.ID]))
	}
	return out
}

// CreateVehicles registers n vehicles with valid plates, VINs and terminal
// phones (1450000xxxx, numbered from first) under the first operator the
// client can see, cycling through the categories that operator may run
// (any category when it lists none). Vehicles that already exist are
// skipped, so the call can be repeated.
func (c *Client) CreateVehicles(ctx context.Context, n, first int) (int, error) {
	ops, err := list[registry.Operator](ctx, c, "/api/v1/operators")
	if err != nil {
		return 0, err
	}
	if len(ops) == 0 {
		return 0, errors.New("sim: create vehicles: no operator visible to this account")
	}
	op := ops[0]
	cats := categoriesOf(op.Scopes)
	created := 0
	for i := first; i < first+n; i++ {
		cat := cats[i%len(cats)]
		f := registry.VehicleFields{
			Plate: registrytest.Plate("川", "Z", i), PlateColor: registry.PlateYellow, VIN: registrytest.VIN(900_000 + i),
			Category: cat, OperatorID: op.ID, Region: op.Region, TransportCertNo: fmt.Sprintf("%s%06d", op.Region, i%1_000_000),
			TransportCertUntil: civil.Today().AddDays(365), TerminalPhone: fmt.Sprintf("1450%07d", i%10_000_000),
			TerminalModel: "SIM-808", TerminalMaker: "JTSIM",
		}
		switch {
		case cat == registry.CategoryTaxi:
			f.PlateColor, f.Seats = registry.PlateBlue, 5
		case cat.Passenger():
			f.Seats = 45
		default:
			f.RatedLoadKg = 18000
		}
		err := c.do(ctx, http.MethodPost, "/api/v1/vehicles", f, nil)
		var ae *APIError
		switch {
		case err == nil:
			created++
		case errors.As(err, &ae) && ae.Status == http.StatusConflict:
		default:
			return created, fmt.Errorf("sim: create vehicle %s: %w", f.Plate, err)
		}
	}
	return created, nil
}

func categoriesOf(scopes []registry.BusinessScope) []registry.VehicleCategory {
	m := map[registry.BusinessScope][]registry.VehicleCategory{
		registry.ScopeScheduledCoach: {registry.CategoryCoach},
		registry.ScopeCharter:        {registry.CategoryCharter},
		registry.ScopeTourism:        {registry.CategoryTourism},
		registry.ScopeHazmat:         {registry.CategoryHazmat},
		registry.ScopeGeneralFreight: {registry.CategoryTruck, registry.CategoryHeavyTruck},
		registry.ScopeTaxi:           {registry.CategoryTaxi},
		registry.ScopeBus:            {registry.CategoryBus},
	}
	var out []registry.VehicleCategory
	for _, s := range scopes {
		out = append(out, m[s]...)
	}
	if len(out) == 0 {
		out = []registry.VehicleCategory{registry.CategoryTruck}
	}
	return out
}
