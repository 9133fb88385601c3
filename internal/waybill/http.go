package waybill

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/platform/region"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sheet"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// maxWaybillBytes bounds one waybill's JSON body; a long planned route is
// the largest part.
const maxWaybillBytes = 512 << 10

// VerifyPagePath is the public page a waybill's QR code opens.
const VerifyPagePath = "/public/waybill/verify"

// ListQuery are the filters of the waybill list and its export.
type ListQuery struct {
	State      string `query:"state" enum:",draft,issued,loading,in_transit,delivered,cancelled" doc:"waybill state"`
	OperatorID int64  `query:"operator_id" minimum:"0" doc:"carrier"`
	VehicleID  int64  `query:"vehicle_id" minimum:"0" doc:"vehicle or trailer"`
	Plate      string `query:"plate" maxLength:"12" doc:"part of the vehicle's or trailer's plate"`
	UNNumber   string `query:"un_number" maxLength:"6" doc:"waybills carrying that UN number"`
	Region     string `query:"region" maxLength:"6" doc:"GB/T 2260 code: carriers in that region's subtree"`
	From       string `query:"from" maxLength:"10" doc:"planned departure on or after this date (YYYY-MM-DD, CST)"`
	To         string `query:"to" maxLength:"10" doc:"planned departure on or before this date (YYYY-MM-DD, CST)"`
}

func (q ListQuery) filter(search string) (Filter, error) {
	f := Filter{Q: search, State: State(q.State), OperatorID: q.OperatorID, VehicleID: q.VehicleID, Plate: q.Plate, UNNumber: q.UNNumber, Region: q.Region}
	inv := &apperr.Invalid{}
	if q.Region != "" && !region.Valid(q.Region) {
		inv.Add("query.region", "不是有效的行政区划代码 (not a GB/T 2260 region code)", q.Region)
	}
	var err error
	if q.From != "" {
		if f.From, err = civil.Parse(q.From); err != nil {
			inv.Add("query.from", "日期格式为 YYYY-MM-DD", q.From)
		}
	}
	if q.To != "" {
		if f.To, err = civil.Parse(q.To); err != nil {
			inv.Add("query.to", "日期格式为 YYYY-MM-DD", q.To)
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		inv.Add("query.to", "结束日期早于开始日期 (to is before from)", q.To)
	}
	return f, inv.Err()
}

type listInput struct {
	httpapi.ListParams
	ListQuery
}

type exportInput struct {
	ListQuery
	Sort   string `query:"sort" doc:"as the list"`
	Q      string `query:"q" maxLength:"100"`
	Format string `query:"format" enum:"xlsx,csv" default:"xlsx"`
}

type idInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type waybillOutput struct {
	ETag string `header:"ETag" doc:"the waybill's version; send it in If-Match"`
	Body *Waybill
}

func out(w *Waybill, err error) (*waybillOutput, error) {
	if err != nil {
		return nil, httpapi.InBody(err, "waybill.") // issue-rule violations stay at waybill.<field>
	}
	return &waybillOutput{ETag: httpapi.ETag(w.Version), Body: w}, nil
}

type createInput struct {
	Body Fields
}

type updateInput struct {
	ID      int64  `path:"id" minimum:"1"`
	IfMatch string `header:"If-Match" doc:"version (ETag) the change is based on; a waybill changed since is a 409"`
	Body    Fields
}

type issueInput struct {
	ID      int64  `path:"id" minimum:"1"`
	IfMatch string `header:"If-Match" doc:"version (ETag) the change is based on"`
}

type transitionInput struct {
	ID      int64  `path:"id" minimum:"1"`
	IfMatch string `header:"If-Match" doc:"version (ETag) the change is based on"`
	Body    struct {
		State State  `json:"state" enum:"issued,loading,in_transit,delivered,cancelled" doc:"the state to move to"`
		Note  string `json:"note,omitempty" maxLength:"500" doc:"recorded in the audit log; the reason of a cancellation"`
	}
}

type cancelInput struct {
	ID      int64  `path:"id" minimum:"1"`
	IfMatch string `header:"If-Match" doc:"version (ETag) the change is based on"`
	Body    struct {
		Reason string `json:"reason" minLength:"1" maxLength:"500" doc:"作废原因"`
	}
}

type historyInput struct {
	ID int64 `path:"id" minimum:"1"`
	httpapi.ListParams
}

type qrInput struct {
	ID     int64  `path:"id" minimum:"1"`
	Format string `query:"format" enum:"png,svg" default:"png"`
	Size   int    `query:"size" minimum:"0" maximum:"2000" doc:"PNG width in pixels (default 320)"`
}

type verifyInput struct {
	Token string `query:"token" required:"true" maxLength:"2048" doc:"the token of the waybill's QR code"`
}

type unSearchInput struct {
	Q     string `query:"q" maxLength:"100" doc:"UN number prefix or part of the shipping name"`
	Limit int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

type unInput struct {
	Number string `path:"number" maxLength:"6"`
}

// Codes are the code lists of the waybill with their Chinese names.
type Codes struct {
	States        []Code `json:"states"`
	Classes       []Code `json:"classes"`
	Units         []Code `json:"units"`
	PackingGroups []Code `json:"packing_groups"`
	Rules         []Code `json:"rules"`
}

// Code is one entry of a code list.
type Code struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

func codes() Codes {
	var c Codes
	for _, s := range States {
		c.States = append(c.States, Code{string(s), s.Label()})
	}
	for _, k := range []string{"1", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2", "2.1", "2.2", "2.3", "3", "4", "4.1", "4.2", "4.3",
		"5", "5.1", "5.2", "6", "6.1", "6.2", "7", "8", "9"} {
		c.Classes = append(c.Classes, Code{k, classLabels[k]})
	}
	for _, u := range []Unit{UnitKg, UnitTonne, UnitLitre, UnitCubic} {
		c.Units = append(c.Units, Code{string(u), unitLabels[u]})
	}
	c.PackingGroups = []Code{{"I", "I类包装 (高度危险)"}, {"II", "II类包装 (中等危险)"}, {"III", "III类包装 (轻度危险)"}}
	for _, r := range Rules {
		c.Rules = append(c.Rules, Code{string(r.Rule), r.Label})
	}
	return c
}

var exportSheet = sheet.MustSchema(
	sheet.Column{Key: "number", Header: "电子运单编号", Width: 24},
	sheet.Column{Key: "state", Header: "状态"},
	sheet.Column{Key: "operator", Header: "承运人", Width: 28},
	sheet.Column{Key: "region", Header: "行政区划代码"},
	sheet.Column{Key: "plate", Header: "车牌号码"},
	sheet.Column{Key: "trailer_plate", Header: "挂车号牌"},
	sheet.Column{Key: "driver", Header: "驾驶员"},
	sheet.Column{Key: "escort", Header: "押运员"},
	sheet.Column{Key: "shipper", Header: "托运人", Width: 24},
	sheet.Column{Key: "consignee", Header: "收货人", Width: 24},
	sheet.Column{Key: "goods", Header: "货物(UN号 品名 类别 数量)", Width: 50},
	sheet.Column{Key: "loading", Header: "装货地", Width: 24},
	sheet.Column{Key: "unloading", Header: "卸货地", Width: 24},
	sheet.Column{Key: "departure_at", Header: "计划起运时间"},
	sheet.Column{Key: "arrival_at", Header: "计划到达时间"},
	sheet.Column{Key: "issued_at", Header: "签发时间"},
	sheet.Column{Key: "updated_at", Header: "最后更新"},
)

func goodsText(w *Waybill) string {
	parts := make([]string, len(w.Goods))
	for i, g := range w.Goods {
		parts[i] = "UN" + g.UNNumber + " " + g.Name + " " + g.Class + "类 " + strconv.FormatFloat(g.Quantity, 'f', -1, 64) + string(g.Unit)
	}
	return strings.Join(parts, "；")
}

func localTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.In(civil.CST)
}

// Register adds the waybill operations to api (the /api/v1 group).
func Register(api huma.API, s *Service) {
	tags := []string{"waybill"}
	huma.Register(api, huma.Operation{OperationID: "list-waybills", Method: http.MethodGet, Path: "/waybills",
		Summary: "List dangerous-goods e-waybills", Tags: tags,
		Description: "Waybills in the caller's data scope, newest first; q searches the number, the plate and the carrier's name."},
		func(ctx context.Context, in *listInput) (*struct{ Body httpapi.Page[Waybill] }, error) {
			f, err := in.filter(in.Q)
			if err != nil {
				return nil, err
			}
			f.Sort, f.Limit, f.Offset = in.Sort, in.Limit(), in.Offset()
			items, total, err := s.List(ctx, f)
			if err != nil {
				return nil, err
			}
			return &struct{ Body httpapi.Page[Waybill] }{httpapi.NewPage(items, total, in.ListParams)}, nil
		})
	exportOp := huma.Operation{OperationID: "export-waybills", Method: http.MethodGet, Path: "/waybills/export",
		Summary: "Export e-waybills", Description: "The waybills matching the list filters as XLSX (default) or CSV.", Tags: tags}
	sheet.DocumentDownload(&exportOp)
	huma.Register(api, exportOp, func(ctx context.Context, in *exportInput) (*huma.StreamResponse, error) {
		if _, err := access.Require(ctx, access.PermWaybillRead); err != nil {
			return nil, err
		}
		f, err := in.filter(in.Q)
		if err != nil {
			return nil, err
		}
		f.Sort = in.Sort
		if _, err := sqldb.OrderBy(f.Sort, sorts, "-id"); err != nil {
			return nil, err
		}
		format := sheet.XLSX
		if in.Format == "csv" {
			format = sheet.CSV
		}
		return sheet.Download("电子运单_"+civil.Today().String(), format, exportSheet, func(wr *sheet.Writer) error {
			return s.Each(ctx, f, func(w *Waybill) error {
				return wr.WriteRow(w.Number, w.State.Label(), w.OperatorName, w.Region, w.Plate, w.TrailerPlate, w.DriverName, w.EscortName,
					w.Shipper.Name, w.Consignee.Name, goodsText(w), w.Loading.Name, w.Unloading.Name, localTime(w.DepartureAt),
					localTime(w.ArrivalAt), localTime(w.IssuedAt), localTime(w.UpdatedAt))
			})
		}), nil
	})
	huma.Register(api, huma.Operation{OperationID: "waybill-stats", Method: http.MethodGet, Path: "/waybills/stats",
		Summary: "E-waybill statistics", Tags: tags,
		Description: "Waybills per day of planned departure, per hazard class and per carrier, in the caller's scope. Drafts and cancelled waybills are counted only in by_state."},
		func(ctx context.Context, in *statsInput) (*struct{ Body *Stats }, error) {
			f, err := in.filter()
			if err != nil {
				return nil, err
			}
			st, err := s.Stats(ctx, f)
			return &struct{ Body *Stats }{st}, err
		})
	huma.Register(api, huma.Operation{OperationID: "waybill-codes", Method: http.MethodGet, Path: "/waybills/codes",
		Summary: "Code lists of e-waybills", Description: "States, hazard classes, units, packing groups and issue rules with their Chinese names.", Tags: tags},
		func(ctx context.Context, _ *struct{}) (*struct{ Body Codes }, error) {
			if _, err := access.Require(ctx, access.PermWaybillRead); err != nil {
				return nil, err
			}
			return &struct{ Body Codes }{codes()}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "search-un-numbers", Method: http.MethodGet, Path: "/un-numbers",
		Summary: "Search UN numbers", Description: "UN numbers in use whose number starts with q or whose shipping name contains it (ADR list; autocomplete).", Tags: tags},
		func(ctx context.Context, in *unSearchInput) (*struct{ Body []UNEntry }, error) {
			if _, err := access.Require(ctx, access.PermWaybillRead); err != nil {
				return nil, err
			}
			res := SearchUN(in.Q, in.Limit)
			if res == nil {
				res = []UNEntry{}
			}
			return &struct{ Body []UNEntry }{res}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "get-un-number", Method: http.MethodGet, Path: "/un-numbers/{number}",
		Summary: "Look up a UN number", Tags: tags},
		func(ctx context.Context, in *unInput) (*struct{ Body *UNEntry }, error) {
			if _, err := access.Require(ctx, access.PermWaybillRead); err != nil {
				return nil, err
			}
			e := LookupUN(in.Number)
			if e == nil {
				return nil, apperr.NotFound("UN number", in.Number)
			}
			return &struct{ Body *UNEntry }{e}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "create-waybill", Method: http.MethodPost, Path: "/waybills",
		Summary: "Write a draft e-waybill", Tags: tags, DefaultStatus: http.StatusCreated, MaxBodyBytes: maxWaybillBytes},
		func(ctx context.Context, in *createInput) (*waybillOutput, error) {
			return out(s.Create(ctx, in.Body))
		})
	huma.Register(api, huma.Operation{OperationID: "get-waybill", Method: http.MethodGet, Path: "/waybills/{id}",
		Summary: "Get an e-waybill", Tags: tags},
		func(ctx context.Context, in *idInput) (*waybillOutput, error) {
			return out(s.Get(ctx, in.ID))
		})
	huma.Register(api, huma.Operation{OperationID: "update-waybill", Method: http.MethodPut, Path: "/waybills/{id}",
		Summary: "Replace a draft e-waybill", Tags: tags, MaxBodyBytes: maxWaybillBytes,
		Description: "Only drafts can be edited. With If-Match, the update fails with 409 when the waybill changed since that version."},
		func(ctx context.Context, in *updateInput) (*waybillOutput, error) {
			v, err := httpapi.ParseIfMatch(in.IfMatch, "运单", "waybill")
			if err != nil {
				return nil, err
			}
			return out(s.Update(ctx, in.ID, v, in.Body))
		})
	huma.Register(api, huma.Operation{OperationID: "issue-waybill", Method: http.MethodPost, Path: "/waybills/{id}/issue",
		Summary: "Issue an e-waybill", Tags: tags,
		Description: "Checks the draft against every issue rule and signs it. 422 lists each violated rule (errors[].location waybill.<field>, message starting with [rule], value the rule); 409 when the vehicle already has an active waybill."},
		func(ctx context.Context, in *issueInput) (*waybillOutput, error) {
			v, err := httpapi.ParseIfMatch(in.IfMatch, "运单", "waybill")
			if err != nil {
				return nil, err
			}
			return out(s.Issue(ctx, in.ID, v))
		})
	huma.Register(api, huma.Operation{OperationID: "transition-waybill", Method: http.MethodPost, Path: "/waybills/{id}/transition",
		Summary: "Move an e-waybill to another state", Tags: tags,
		Description: "draft → issued → loading → in_transit → delivered; issued or loading → cancelled; issued → in_transit."},
		func(ctx context.Context, in *transitionInput) (*waybillOutput, error) {
			v, err := httpapi.ParseIfMatch(in.IfMatch, "运单", "waybill")
			if err != nil {
				return nil, err
			}
			return out(s.TransitionVersion(ctx, in.ID, v, in.Body.State, in.Body.Note))
		})
	huma.Register(api, huma.Operation{OperationID: "cancel-waybill", Method: http.MethodPost, Path: "/waybills/{id}/cancel",
		Summary: "Cancel (void) an e-waybill", Tags: tags, Description: "A draft, or an issued waybill whose trip has not started."},
		func(ctx context.Context, in *cancelInput) (*waybillOutput, error) {
			v, err := httpapi.ParseIfMatch(in.IfMatch, "运单", "waybill")
			if err != nil {
				return nil, err
			}
			return out(s.Cancel(ctx, in.ID, v, strings.TrimSpace(in.Body.Reason)))
		})
	huma.Register(api, huma.Operation{OperationID: "history-waybill", Method: http.MethodGet, Path: "/waybills/{id}/history",
		Summary: "Change history of an e-waybill", Tags: tags, Description: "Audit entries of the waybill, newest first."},
		func(ctx context.Context, in *historyInput) (*struct{ Body httpapi.Page[audit.Entry] }, error) {
			entries, total, err := s.History(ctx, in.ID, in.Limit(), in.Offset())
			if err != nil {
				return nil, err
			}
			return &struct{ Body httpapi.Page[audit.Entry] }{httpapi.NewPage(entries, total, in.ListParams)}, nil
		})
	qrOp := huma.Operation{OperationID: "waybill-qr", Method: http.MethodGet, Path: "/waybills/{id}/qr",
		Summary: "QR code of an issued e-waybill", Tags: tags,
		Description: "PNG (default) or SVG of the QR code holding the public verification URL with the waybill's signed token.",
		Responses: map[string]*huma.Response{"200": {Description: "the QR code", Content: map[string]*huma.MediaType{
			"image/png": {Schema: &huma.Schema{Type: "string", Format: "binary"}}, "image/svg+xml": {Schema: &huma.Schema{Type: "string"}}}}}}
	huma.Register(api, qrOp, func(ctx context.Context, in *qrInput) (*huma.StreamResponse, error) {
		w, err := s.Get(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		if w.Token == "" {
			return nil, apperr.Conflict("运单 " + w.Number + " 尚未签发，没有二维码 (a draft has no QR code)")
		}
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			link := verifyURL(hctx, w.Token)
			var body []byte
			var ctype string
			var err error
			if in.Format == "svg" {
				body, err = qrSVG(link)
				ctype = "image/svg+xml"
			} else {
				body, err = qrPNG(link, in.Size)
				ctype = "image/png"
			}
			if err != nil {
				p := httpapi.Problem(hctx.Context(), err)
				hctx.SetHeader("Content-Type", "application/problem+json")
				hctx.SetStatus(p.GetStatus())
				return
			}
			hctx.SetHeader("Content-Type", ctype)
			hctx.SetHeader("Cache-Control", "private, max-age=300")
			hctx.SetStatus(http.StatusOK)
			_, _ = hctx.BodyWriter().Write(body)
		}}, nil
	})

	public := []string{"public"}
	huma.Register(api, huma.Operation{OperationID: "verify-waybill", Method: http.MethodGet, Path: "/public/waybills/verify",
		Summary: "Verify an e-waybill's token (no login)", Tags: public,
		Description: "Checks the SM2 signature of a QR code's token and answers the waybill's essential facts; 422 naming query.token for an altered, forged or unknown token."},
		func(ctx context.Context, in *verifyInput) (*struct{ Body *Verification }, error) {
			v, err := s.Verify(ctx, in.Token)
			return &struct{ Body *Verification }{v}, err
		})
	huma.Register(api, huma.Operation{OperationID: "waybill-public-keys", Method: http.MethodGet, Path: "/public/waybills/keys",
		Summary: "The platform's e-waybill verification keys (no login)", Tags: public,
		Description: "SM2 public keys; a token's claims name their key by kid. Token: JTW1.<base64url claims>.<base64url ASN.1 SM2 signature of \"JTW1.<claims>\">."},
		func(ctx context.Context, _ *struct{}) (*struct{ Body []PublicKey }, error) {
			keys, err := s.PublicKeys(ctx)
			return &struct{ Body []PublicKey }{keys}, err
		})
}

// verifyURL is the absolute URL of the public verification page for tok,
// on the host the request came to (behind a proxy, X-Forwarded-Proto/Host).
func verifyURL(hctx huma.Context, tok string) string {
	scheme := "http"
	if hctx.TLS() != nil {
		scheme = "https"
	}
	if p := hctx.Header("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	host := hctx.Host()
	if h := hctx.Header("X-Forwarded-Host"); h != "" && !strings.ContainsAny(h, "/?# ") {
		host = h
	}
	return scheme + "://" + host + VerifyPagePath + "?token=" + url.QueryEscape(tok)
}
