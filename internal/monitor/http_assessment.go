package monitor

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sheet"
)

type checkListInput struct {
	httpapi.ListParams
	OperatorID int64     `query:"operator_id" minimum:"0"`
	Region     string    `query:"region" maxLength:"6"`
	RequestID  int64     `query:"request_id" minimum:"0"`
	Status     string    `query:"status" enum:"pending,answered,late,missed,"`
	Overdue    string    `query:"overdue" enum:"true,false," doc:"pending checks past (true) or within (false) their limit"`
	From       time.Time `query:"from" doc:"sent from (RFC 3339)"`
	To         time.Time `query:"to" doc:"sent before (RFC 3339)"`
}

type checkSendInput struct {
	Body CheckSend
}

type checkAnswerInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Answer string `json:"answer" minLength:"1" maxLength:"1000" doc:"e.g. 值班员张三在岗"`
	}
}

type checkStatsInput struct {
	From       string `query:"from" required:"true" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" doc:"first day (YYYY-MM-DD, China time)"`
	To         string `query:"to" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" doc:"last day (YYYY-MM-DD), inclusive (default: from)"`
	Group      string `query:"group" enum:"operator,region" default:"operator"`
	Region     string `query:"region" maxLength:"6"`
	OperatorID int64  `query:"operator_id" minimum:"0"`
}

type indicatorInput struct {
	From       string `query:"from" required:"true" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" doc:"first day (YYYY-MM-DD)"`
	To         string `query:"to" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" doc:"last day (YYYY-MM-DD), inclusive (default: from)"`
	Level      string `query:"level" enum:"platform,region,operator," doc:"default: region for authorities, operator for enterprises"`
	Region     string `query:"region" maxLength:"6" doc:"rows of this region subtree"`
	OperatorID int64  `query:"operator_id" minimum:"0"`
	Total      bool   `query:"total" doc:"one row per unit summed over the range instead of one per day"`
}

func (in *indicatorInput) filter() (IndicatorFilter, error) {
	from, to, err := parseDays(in.From, in.To)
	return IndicatorFilter{From: from, To: to, Level: in.Level, Region: in.Region, OperatorID: in.OperatorID, Total: in.Total}, err
}

// parseDays reads a from/to pair of civil dates; to defaults to from.
func parseDays(from, to string) (civil.Date, civil.Date, error) {
	var inv apperr.Invalid
	f, err := civil.Parse(from)
	if err != nil {
		inv.Add("from", "must be a date YYYY-MM-DD", from)
	}
	t := f
	if to != "" {
		if t, err = civil.Parse(to); err != nil {
			inv.Add("to", "must be a date YYYY-MM-DD", to)
		}
	}
	return f, t, inv.Err()
}

// indicatorExportInput repeats indicatorInput's fields: huma does not see
// the fields of an embedded unexported struct.
type indicatorExportInput struct {
	From       string `query:"from" required:"true" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" doc:"first day (YYYY-MM-DD)"`
	To         string `query:"to" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" doc:"last day (YYYY-MM-DD), inclusive (default: from)"`
	Level      string `query:"level" enum:"platform,region,operator," doc:"default: region for authorities, operator for enterprises"`
	Region     string `query:"region" maxLength:"6" doc:"rows of this region subtree"`
	OperatorID int64  `query:"operator_id" minimum:"0"`
	Total      bool   `query:"total" doc:"one row per unit summed over the range instead of one per day"`
	Format     string `query:"format" enum:"xlsx,csv," default:"xlsx"`
}

type webhookInput struct {
	Body WebhookFields
}

type webhookUpdateInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body WebhookFields
}

// indicatorSheet is the indicator export's columns.
var indicatorSheet = sheet.MustSchema(
	sheet.Column{Key: "day", Header: "日期"},
	sheet.Column{Key: "level", Header: "统计层级"},
	sheet.Column{Key: "unit", Header: "统计对象"},
	sheet.Column{Key: "region", Header: "行政区划"},
	sheet.Column{Key: "region_name", Header: "区划名称"},
	sheet.Column{Key: "operator_id", Header: "业户编号", Kind: sheet.Number},
	sheet.Column{Key: "registered", Header: "重点车辆数", Kind: sheet.Number},
	sheet.Column{Key: "in_network", Header: "入网车辆数", Kind: sheet.Number},
	sheet.Column{Key: "network_rate", Header: "入网率", Kind: sheet.Number},
	sheet.Column{Key: "online", Header: "上线车辆数", Kind: sheet.Number},
	sheet.Column{Key: "online_rate", Header: "上线率", Kind: sheet.Number},
	sheet.Column{Key: "mileage_km", Header: "轨迹总里程(km)", Kind: sheet.Number},
	sheet.Column{Key: "complete_km", Header: "完整轨迹里程(km)", Kind: sheet.Number},
	sheet.Column{Key: "track_completeness", Header: "轨迹完整率", Kind: sheet.Number},
	sheet.Column{Key: "reports", Header: "定位数据总数", Kind: sheet.Number},
	sheet.Column{Key: "qualified", Header: "合格数据数", Kind: sheet.Number},
	sheet.Column{Key: "data_qualification", Header: "数据合格率", Kind: sheet.Number},
	sheet.Column{Key: "drifting", Header: "漂移车辆数", Kind: sheet.Number},
	sheet.Column{Key: "drift_rate", Header: "卫星定位漂移车辆率", Kind: sheet.Number},
	sheet.Column{Key: "overspeed_count", Header: "超速次数", Kind: sheet.Number},
	sheet.Column{Key: "overspeed_per_vehicle", Header: "平均车辆超速次数", Kind: sheet.Number},
	sheet.Column{Key: "fatigue_s", Header: "疲劳驾驶时长(秒)", Kind: sheet.Number},
	sheet.Column{Key: "fatigue_per_vehicle_s", Header: "平均疲劳驾驶时长(秒)", Kind: sheet.Number},
	sheet.Column{Key: "checks_due", Header: "查岗次数", Kind: sheet.Number},
	sheet.Column{Key: "checks_on_time", Header: "按时应答", Kind: sheet.Number},
	sheet.Column{Key: "check_response_rate", Header: "平台查岗响应率", Kind: sheet.Number},
)

var levelLabels = map[string]string{LevelPlatform: "全平台", LevelRegion: "行政区划", LevelOperator: "业户"}

// optional turns a nil rate into an empty cell.
func optional(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

// registerAssessment adds the platform-check, indicator, dashboard and
// webhook operations.
func registerAssessment(api huma.API, s *Service) {
	registerDashboard(api, s)
	checkTags := []string{"Platform checks"}
	huma.Register(api, huma.Operation{OperationID: "send-platform-check", Method: http.MethodPost, Path: "/platform-checks",
		Summary: "Send a platform check (查岗)", Description: "Asks one enterprise (operator_id) or every active enterprise of a region a question it must answer within the time limit.",
		Tags: checkTags, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *checkSendInput) (*struct{ Body *CheckSent }, error) {
			out, err := s.SendCheck(ctx, in.Body)
			return &struct{ Body *CheckSent }{out}, err
		})
	huma.Register(api, huma.Operation{OperationID: "list-platform-checks", Method: http.MethodGet, Path: "/platform-checks",
		Summary: "List platform checks", Description: "Checks in the caller's scope, newest first; an enterprise sees the checks addressed to it (status=pending for those to answer).", Tags: checkTags},
		func(ctx context.Context, in *checkListInput) (*struct{ Body httpapi.Page[Check] }, error) {
			f := CheckFilter{OperatorID: in.OperatorID, Region: in.Region, RequestID: in.RequestID, Status: in.Status,
				From: in.From, To: in.To, Sort: in.Sort, Limit: in.Limit(), Offset: in.Offset()}
			if in.Overdue != "" {
				b := in.Overdue == "true"
				f.Overdue = &b
			}
			items, total, err := s.Checks(ctx, f)
			if err != nil {
				return nil, err
			}
			return &struct{ Body httpapi.Page[Check] }{httpapi.NewPage(items, total, in.ListParams)}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "platform-check-stats", Method: http.MethodGet, Path: "/platform-checks/stats",
		Summary: "Platform-check response figures (平台查岗响应率)", Description: "Per enterprise or per region, for checks sent between from and to.", Tags: checkTags},
		func(ctx context.Context, in *checkStatsInput) (*struct{ Body []CheckStats }, error) {
			from, to, err := parseDays(in.From, in.To)
			if err != nil {
				return nil, err
			}
			out, err := s.CheckStatistics(ctx, CheckStatsFilter{From: from, To: to, Group: in.Group, Region: in.Region, OperatorID: in.OperatorID})
			return &struct{ Body []CheckStats }{out}, err
		})
	huma.Register(api, huma.Operation{OperationID: "get-platform-check", Method: http.MethodGet, Path: "/platform-checks/{id}",
		Summary: "Get a platform check", Tags: checkTags},
		func(ctx context.Context, in *idInput) (*struct{ Body *Check }, error) {
			c, err := s.Check(ctx, in.ID)
			return &struct{ Body *Check }{c}, err
		})
	huma.Register(api, huma.Operation{OperationID: "answer-platform-check", Method: http.MethodPost, Path: "/platform-checks/{id}/answer",
		Summary: "Answer a platform check (enterprise)", Description: "After the time limit the answer is recorded as late; after expiry the check is missed and cannot be answered.", Tags: checkTags},
		func(ctx context.Context, in *checkAnswerInput) (*struct{ Body *Check }, error) {
			c, err := s.AnswerCheck(ctx, in.ID, in.Body.Answer)
			return &struct{ Body *Check }{c}, err
		})

	kpiTags := []string{"Assessment indicators"}
	huma.Register(api, huma.Operation{OperationID: "list-indicators", Method: http.MethodGet, Path: "/monitor/indicators",
		Summary:     "Assessment indicators (入网率, 上线率, 轨迹完整率, 数据合格率, 漂移率, ...)",
		Description: "Daily indicators per platform, region or enterprise within the caller's scope; definitions in docs/monitoring-indicators.md.", Tags: kpiTags},
		func(ctx context.Context, in *indicatorInput) (*struct{ Body []Indicators }, error) {
			f, err := in.filter()
			if err != nil {
				return nil, err
			}
			out, err := s.IndicatorRows(ctx, f)
			return &struct{ Body []Indicators }{out}, err
		})
	exportOp := huma.Operation{OperationID: "export-indicators", Method: http.MethodGet, Path: "/monitor/indicators/export",
		Summary: "Export assessment indicators", Description: "The indicators matching the list filters as XLSX (default) or CSV.", Tags: kpiTags}
	sheet.DocumentDownload(&exportOp)
	huma.Register(api, exportOp, func(ctx context.Context, in *indicatorExportInput) (*huma.StreamResponse, error) {
		q := indicatorInput{From: in.From, To: in.To, Level: in.Level, Region: in.Region, OperatorID: in.OperatorID, Total: in.Total}
		f, err := q.filter()
		if err != nil {
			return nil, err
		}
		rows, err := s.IndicatorRows(ctx, f)
		if err != nil {
			return nil, err
		}
		format := sheet.XLSX
		if in.Format == "csv" {
			format = sheet.CSV
		}
		name := "考核指标_" + f.From.String()
		if f.To != f.From {
			name += "_" + f.To.String()
		}
		return sheet.Download(name, format, indicatorSheet, func(w *sheet.Writer) error {
			for i := range rows {
				r := &rows[i]
				day := r.Day
				if day == "" {
					day = f.From.String() + "~" + f.To.String()
				}
				var op any
				if r.OperatorID != 0 {
					op = r.OperatorID
				}
				if err := w.WriteRow(day, levelLabels[r.Level], r.Unit, r.Region, r.RegionName, op, r.Registered, r.InNetwork,
					optional(r.NetworkRate), r.Online, optional(r.OnlineRate), r.MileageKm, r.CompleteKm, optional(r.TrackCompleteness),
					r.Reports, r.Qualified, optional(r.DataQualification), r.Drifting, optional(r.DriftRate), r.OverspeedCount,
					optional(r.OverspeedPerVehicle), r.FatigueS, optional(r.FatiguePerVehicleS), r.ChecksDue, r.ChecksOnTime,
					optional(r.CheckResponseRate)); err != nil {
					return err
				}
			}
			return nil
		}), nil
	})

	hookTags := []string{"Webhooks"}
	huma.Register(api, huma.Operation{OperationID: "list-webhooks", Method: http.MethodGet, Path: "/monitor/webhooks",
		Summary: "List webhooks", Description: "Webhook subscriptions in the caller's scope; secrets are never returned.", Tags: hookTags},
		func(ctx context.Context, _ *struct{}) (*struct{ Body []Webhook }, error) {
			out, err := s.Webhooks(ctx)
			return &struct{ Body []Webhook }{out}, err
		})
	huma.Register(api, huma.Operation{OperationID: "get-webhook", Method: http.MethodGet, Path: "/monitor/webhooks/{id}",
		Summary: "Get a webhook", Tags: hookTags},
		func(ctx context.Context, in *idInput) (*struct{ Body *Webhook }, error) {
			w, err := s.WebhookByID(ctx, in.ID)
			return &struct{ Body *Webhook }{w}, err
		})
	huma.Register(api, huma.Operation{OperationID: "create-webhook", Method: http.MethodPost, Path: "/monitor/webhooks",
		Summary: "Create a webhook", Description: "The response carries the signing secret (X-Jiaotong-Signature: sha256=HMAC of the body); it is shown this once.",
		Tags: hookTags, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *webhookInput) (*struct{ Body *WebhookCreated }, error) {
			w, err := s.CreateWebhook(ctx, in.Body)
			return &struct{ Body *WebhookCreated }{w}, err
		})
	huma.Register(api, huma.Operation{OperationID: "update-webhook", Method: http.MethodPut, Path: "/monitor/webhooks/{id}",
		Summary: "Replace a webhook", Description: "Without secret the secret is kept; with one it is replaced.", Tags: hookTags},
		func(ctx context.Context, in *webhookUpdateInput) (*struct{ Body *Webhook }, error) {
			w, err := s.UpdateWebhook(ctx, in.ID, in.Body)
			return &struct{ Body *Webhook }{w}, err
		})
	huma.Register(api, huma.Operation{OperationID: "delete-webhook", Method: http.MethodDelete, Path: "/monitor/webhooks/{id}",
		Summary: "Delete a webhook", Tags: hookTags, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *idInput) (*struct{}, error) {
			return nil, s.DeleteWebhook(ctx, in.ID)
		})
}
