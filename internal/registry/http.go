package registry

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/platform/region"
)

// maxRecordBytes bounds the JSON body of one record; a route with a long
// corridor is the largest.
const maxRecordBytes = 256 << 10

// Register adds the registry's operations to api (the /api/v1 group).
func Register(api huma.API, svc *Service) {
	registerCRUD(api, crud[Operator, OperatorFields]{
		path: "/operators", one: "operator", label: "业户 operator",
		list: svc.Operators, get: svc.Operator, create: svc.CreateOperator, update: svc.UpdateOperator, del: svc.DeleteOperator,
		history: func(ctx context.Context, id int64, l, o int) ([]audit.Entry, int, error) {
			return operatorKind.history(ctx, svc, id, l, o)
		},
	})
	registerCRUD(api, crud[Vehicle, VehicleFields]{
		path: "/vehicles", one: "vehicle", label: "车辆 vehicle",
		list: svc.Vehicles, get: svc.Vehicle, create: svc.CreateVehicle, update: svc.UpdateVehicle, del: svc.DeleteVehicle,
		history: func(ctx context.Context, id int64, l, o int) ([]audit.Entry, int, error) {
			return vehicleKind.history(ctx, svc, id, l, o)
		},
	})
	registerCRUD(api, crud[Practitioner, PractitionerFields]{
		path: "/practitioners", one: "practitioner", label: "从业人员 practitioner",
		list: svc.Practitioners, get: svc.Practitioner, create: svc.CreatePractitioner, update: svc.UpdatePractitioner, del: svc.DeletePractitioner,
		history: func(ctx context.Context, id int64, l, o int) ([]audit.Entry, int, error) {
			return practitionerKind.history(ctx, svc, id, l, o)
		},
	})
	registerCRUD(api, crud[Station, StationFields]{
		path: "/stations", one: "station", label: "客运站 station",
		list: svc.Stations, get: svc.Station, create: svc.CreateStation, update: svc.UpdateStation, del: svc.DeleteStation,
		history: func(ctx context.Context, id int64, l, o int) ([]audit.Entry, int, error) {
			return stationKind.history(ctx, svc, id, l, o)
		},
	})
	registerCRUD(api, crud[Route, RouteFields]{
		path: "/routes", one: "route", label: "班线 route",
		list: svc.Routes, get: svc.Route, create: svc.CreateRoute, update: svc.UpdateRoute, del: svc.DeleteRoute,
		history: func(ctx context.Context, id int64, l, o int) ([]audit.Entry, int, error) {
			return routeKind.history(ctx, svc, id, l, o)
		},
	})
	registerCRUD(api, crud[Vessel, VesselFields]{
		path: "/vessels", one: "vessel", label: "船舶 vessel",
		list: svc.Vessels, get: svc.Vessel, create: svc.CreateVessel, update: svc.UpdateVessel, del: svc.DeleteVessel,
		history: func(ctx context.Context, id int64, l, o int) ([]audit.Entry, int, error) {
			return vesselKind.history(ctx, svc, id, l, o)
		},
	})
	registerExpiring(api, svc)
	registerTabular(api, svc)
}

// crud is what the generic operations of one entity call.
type crud[T, F any] struct {
	path, one, label string
	list             func(context.Context, Filter) ([]T, int, error)
	get              func(context.Context, int64) (*T, error)
	create           func(context.Context, F) (*T, error)
	update           func(context.Context, int64, int64, F) (*T, error)
	del              func(context.Context, int64) error
	history          func(context.Context, int64, int, int) ([]audit.Entry, int, error)
}

// ListFilters are the filters of every registry list and export.
type ListFilters struct {
	Region     string `query:"region" maxLength:"6" doc:"GB/T 2260 code: records in that region's subtree"`
	OperatorID int64  `query:"operator_id" minimum:"0" doc:"records of one operator (for operators: that operator)"`
	Status     string `query:"status" maxLength:"30" doc:"operators and vehicles: status"`
	Category   string `query:"category" maxLength:"50" doc:"vehicle category, operator business scope, qualification category, station level, line class or vessel type"`
	Expiring   int    `query:"licence_expiring_within_days" minimum:"0" maximum:"3650" doc:"operators, vehicles, practitioners, routes: licence or certificate expiring within that many days (or expired)"`
}

func (f ListFilters) filter(q string) (Filter, error) {
	if f.Region != "" && !region.Valid(f.Region) {
		return Filter{}, apperr.Field("query.region", "不是有效的行政区划代码 (not a GB/T 2260 region code)", f.Region)
	}
	return Filter{Q: q, Region: f.Region, OperatorID: f.OperatorID, Status: f.Status, Category: f.Category,
		ExpiringWithinDays: f.Expiring}, nil
}

type listInput struct {
	httpapi.ListParams
	ListFilters
}

type pageOutput[T any] struct {
	Body httpapi.Page[T]
}

type idInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type itemOutput[T any] struct {
	ETag string `header:"ETag" doc:"the record's version; send it in If-Match to update"`
	Body *T
}

type createInput[F any] struct {
	Body F
}

type updateInput[F any] struct {
	ID      int64  `path:"id" minimum:"1"`
	IfMatch string `header:"If-Match" doc:"version (ETag) the update is based on; a record changed since is a 409 conflict"`
	Body    F
}

type historyInput struct {
	ID int64 `path:"id" minimum:"1"`
	httpapi.ListParams
}

func registerCRUD[T, F any](api huma.API, c crud[T, F]) {
	tags := []string{"registry"}
	huma.Register(api, huma.Operation{OperationID: "list-" + c.one + "s", Method: http.MethodGet, Path: c.path,
		Summary: "List " + c.label + "s", Tags: tags,
		Description: "Records in the caller's data scope; q searches the identifying text fields."},
		func(ctx context.Context, in *listInput) (*pageOutput[T], error) {
			f, err := in.filter(in.Q)
			if err != nil {
				return nil, err
			}
			f.Sort, f.Limit, f.Offset = in.Sort, in.Limit(), in.Offset()
			items, total, err := c.list(ctx, f)
			if err != nil {
				return nil, err
			}
			return &pageOutput[T]{Body: httpapi.NewPage(items, total, in.ListParams)}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "get-" + c.one, Method: http.MethodGet, Path: c.path + "/{id}",
		Summary: "Get one " + c.label, Tags: tags},
		func(ctx context.Context, in *idInput) (*itemOutput[T], error) {
			v, err := c.get(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return &itemOutput[T]{ETag: httpapi.ETag(metaOf(v).Version), Body: v}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "create-" + c.one, Method: http.MethodPost, Path: c.path,
		Summary: "Register a " + c.label, Tags: tags, DefaultStatus: http.StatusCreated, MaxBodyBytes: maxRecordBytes},
		func(ctx context.Context, in *createInput[F]) (*itemOutput[T], error) {
			v, err := c.create(ctx, in.Body)
			if err != nil {
				return nil, httpapi.InBody(err)
			}
			return &itemOutput[T]{ETag: httpapi.ETag(metaOf(v).Version), Body: v}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "update-" + c.one, Method: http.MethodPut, Path: c.path + "/{id}",
		Summary: "Replace a " + c.label, Tags: tags, MaxBodyBytes: maxRecordBytes,
		Description: "Send the full record. With If-Match, the update fails with 409 when the record changed since that version."},
		func(ctx context.Context, in *updateInput[F]) (*itemOutput[T], error) {
			ver, err := httpapi.ParseIfMatch(in.IfMatch, "记录", "record")
			if err != nil {
				return nil, err
			}
			v, err := c.update(ctx, in.ID, ver, in.Body)
			if err != nil {
				return nil, httpapi.InBody(err)
			}
			return &itemOutput[T]{ETag: httpapi.ETag(metaOf(v).Version), Body: v}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "delete-" + c.one, Method: http.MethodDelete, Path: c.path + "/{id}",
		Summary: "Delete a " + c.label, Tags: tags, DefaultStatus: http.StatusNoContent,
		Description: "Refused with 409 while other records refer to it."},
		func(ctx context.Context, in *idInput) (*struct{}, error) {
			return nil, c.del(ctx, in.ID)
		})
	huma.Register(api, huma.Operation{OperationID: "history-" + c.one, Method: http.MethodGet, Path: c.path + "/{id}/history",
		Summary: "Change history of a " + c.label, Tags: tags, Description: "Audit entries of the record, newest first."},
		func(ctx context.Context, in *historyInput) (*pageOutput[audit.Entry], error) {
			entries, total, err := c.history(ctx, in.ID, in.Limit(), in.Offset())
			if err != nil {
				return nil, err
			}
			return &pageOutput[audit.Entry]{Body: httpapi.NewPage(entries, total, in.ListParams)}, nil
		})
}

// metaOf reaches the Meta embedded in every record type.
func metaOf(v any) *Meta {
	switch r := v.(type) {
	case *Operator:
		return &r.Meta
	case *Vehicle:
		return &r.Meta
	case *Practitioner:
		return &r.Meta
	case *Station:
		return &r.Meta
	case *Route:
		return &r.Meta
	case *Vessel:
		return &r.Meta
	}
	return &Meta{}
}
