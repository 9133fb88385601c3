package registry

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/danielgtaylor/huma/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
)

// Licence kinds of the expiry warnings (证照到期预警).
const (
	LicenceOperating     = "operating_licence"     // 道路运输经营许可证 of an operator
	LicenceTransportCert = "transport_certificate" // 道路运输证 of a vehicle
	LicenceQualification = "qualification"         // 从业资格证 of a practitioner
)

// ExpiringLicence is one licence that expires soon or has expired.
type ExpiringLicence struct {
	Kind       string     `json:"kind" enum:"operating_licence,transport_certificate,qualification"`
	Entity     string     `json:"entity" doc:"operator, vehicle or practitioner"`
	EntityID   int64      `json:"entity_id"`
	Holder     string     `json:"holder" doc:"operator name, plate number or practitioner name"`
	Number     string     `json:"number" doc:"licence or certificate number"`
	ValidUntil civil.Date `json:"valid_until"`
	DaysLeft   int        `json:"days_left" doc:"negative once expired"`
	Expired    bool       `json:"expired"`
	Region     string     `json:"region"`
	OperatorID int64      `json:"operator_id,omitempty"`
}

// maxExpiring bounds one expiry query per licence kind.
const maxExpiring = 10000

// Expiring returns the licences in the principal's scope that expire within
// days from today, expired ones included, soonest first.
func (s *Service) Expiring(ctx context.Context, days int, kind string, f Filter) ([]ExpiringLicence, error) {
	p, err := principal(ctx, access.PermRegistryRead)
	if err != nil {
		return nil, err
	}
	today := civil.Today()
	f.ExpiringWithinDays = max(days, 1)
	f.Limit, f.Offset, f.Sort = maxExpiring, 0, ""
	var out []ExpiringLicence
	add := func(k, entity string, id int64, holder, number string, until civil.Date, region string, op int64) {
		left := int(until.Time(civil.CST).Sub(today.Time(civil.CST)).Hours() / 24)
		out = append(out, ExpiringLicence{Kind: k, Entity: entity, EntityID: id, Holder: holder, Number: number,
			ValidUntil: until, DaysLeft: left, Expired: left < 0, Region: region, OperatorID: op})
	}
	if kind == "" || kind == LicenceOperating {
		ops, _, err := operators.list(ctx, s.db, p.Scope, f)
		if err != nil {
			return nil, err
		}
		for _, o := range ops {
			add(LicenceOperating, "operator", o.ID, o.Name, o.LicenceNo, o.LicenceValidUntil, o.Region, o.ID)
		}
	}
	if kind == "" || kind == LicenceTransportCert {
		vs, _, err := vehicles.list(ctx, s.db, p.Scope, f)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			add(LicenceTransportCert, "vehicle", v.ID, v.Plate, v.TransportCertNo, v.TransportCertUntil, v.Region, v.OperatorID)
		}
	}
	if kind == "" || kind == LicenceQualification {
		ps, _, err := practitioners.list(ctx, s.db, p.Scope, f)
		if err != nil {
			return nil, err
		}
		for _, v := range ps {
			add(LicenceQualification, "practitioner", v.ID, v.Name, v.CertNo, v.CertUntil, v.Region, v.OperatorID)
		}
	}
	slices.SortStableFunc(out, func(a, b ExpiringLicence) int { return a.DaysLeft - b.DaysLeft })
	return out, nil
}

type expiringInput struct {
	WithinDays int    `query:"within_days" minimum:"1" maximum:"3650" default:"30" doc:"days from today"`
	Kind       string `query:"kind" enum:"operating_licence,transport_certificate,qualification" doc:"only this kind of licence"`
	Region     string `query:"region" maxLength:"6" doc:"GB/T 2260 subtree"`
	OperatorID int64  `query:"operator_id" minimum:"0"`
	Page       int    `query:"page" minimum:"1" default:"1"`
	PageSize   int    `query:"page_size" minimum:"1" maximum:"500" default:"50"`
}

func registerExpiring(api huma.API, svc *Service) {
	huma.Register(api, huma.Operation{OperationID: "list-expiring-licences", Method: http.MethodGet, Path: "/registry/expiring",
		Summary: "Licences about to expire (证照到期预警)", Tags: []string{"registry"},
		Description: "Operating licences, road transport certificates and qualification certificates in the caller's scope " +
			"that expire within within_days, expired ones included (flagged), soonest first."},
		func(ctx context.Context, in *expiringInput) (*pageOutput[ExpiringLicence], error) {
			f, err := ListFilters{Region: in.Region, OperatorID: in.OperatorID}.filter("")
			if err != nil {
				return nil, err
			}
			all, err := svc.Expiring(ctx, in.WithinDays, in.Kind, f)
			if err != nil {
				return nil, fmt.Errorf("registry: expiring licences: %w", err)
			}
			lp := httpapi.ListParams{Page: in.Page, PageSize: in.PageSize}
			from := min(lp.Offset(), len(all))
			to := min(from+lp.Limit(), len(all))
			return &pageOutput[ExpiringLicence]{Body: httpapi.NewPage(all[from:to], len(all), lp)}, nil
		})
}
