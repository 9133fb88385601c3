package iam

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/xuri/excelize/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/audit"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
)

// MaxAuditExportRows bounds one export; narrow the filters for more.
const MaxAuditExportRows = 100_000

// AuditFilters are the query parameters shared by the audit list and export.
type AuditFilters struct {
	Entity   string `query:"entity" maxLength:"50" doc:"e.g. user, vehicle, org_unit"`
	EntityID string `query:"entity_id" maxLength:"64"`
	UserID   int64  `query:"user_id" minimum:"0" doc:"Who made the change"`
	Action   string `query:"action" maxLength:"50" doc:"e.g. create, update, delete, login, login_failed"`
	From     string `query:"from" doc:"From this time (RFC 3339) or day (YYYY-MM-DD, China time), inclusive"`
	To       string `query:"to" doc:"Until this time (RFC 3339, exclusive) or day (YYYY-MM-DD, China time, inclusive)"`
}

func parseAuditTime(inv *apperr.Invalid, field, v string, endOfDay bool) time.Time {
	if v == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t
	}
	if d, err := time.ParseInLocation(time.DateOnly, v, civil.CST); err == nil {
		if endOfDay {
			d = d.AddDate(0, 0, 1)
		}
		return d
	}
	inv.Add(field, "not a time (2026-03-01T08:00:00+08:00) or a day (2026-03-01)", v)
	return time.Time{}
}

// auditFilter checks the caller may read the audit log and builds the
// filter, always limited to the caller's scope.
func auditFilter(ctx context.Context, in AuditFilters, q string) (audit.Filter, error) {
	p, err := access.Require(ctx, access.PermAuditRead)
	if err != nil {
		return audit.Filter{}, err
	}
	inv := &apperr.Invalid{}
	f := audit.Filter{Entity: in.Entity, EntityID: in.EntityID, UserID: in.UserID, Action: in.Action,
		Scope: p.Scope, Query: q}
	f.From = parseAuditTime(inv, "query.from", in.From, false)
	f.To = parseAuditTime(inv, "query.to", in.To, true)
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		inv.Add("query.to", "must be after from", in.To)
	}
	return f, inv.Err()
}

// AuditRecord is one audit entry as the API shows it.
type AuditRecord = audit.Entry

var auditHeaders = []string{"编号", "时间", "用户ID", "用户名", "方式", "来源地址", "操作", "对象类型", "对象ID",
	"行政区划", "业户ID", "摘要", "变更前", "变更后"}

func auditRow(e audit.Entry) []string {
	return []string{strconv.FormatInt(e.ID, 10), e.At.In(civil.CST).Format(time.DateTime), strconv.FormatInt(e.UserID, 10),
		e.Username, e.Via, e.RemoteAddr, e.Action, e.Entity, e.EntityID, e.Region, strconv.FormatInt(e.OperatorID, 10),
		e.Summary, string(e.Before), string(e.After)}
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func registerAudit(api huma.API, s *Service) {
	tags := []string{"audit"}
	huma.Register(api, huma.Operation{
		OperationID: "list-audit", Method: http.MethodGet, Path: "/audit", Tags: tags,
		Summary:     "Audit log (审计日志)",
		Description: "Every change on the platform, newest first, limited to the caller's scope. q searches username and summary. Only sort=-at is supported.",
	}, func(ctx context.Context, in *struct {
		httpapi.ListParams
		AuditFilters
	}) (*struct{ Body httpapi.Page[AuditRecord] }, error) {
		if in.Sort != "" && in.Sort != "-at" && in.Sort != "-id" {
			return nil, apperr.Field("query.sort", "the audit log is listed newest first; only -at is supported", in.Sort)
		}
		f, err := auditFilter(ctx, in.AuditFilters, in.Q)
		if err != nil {
			return nil, err
		}
		f.Limit, f.Offset = in.Limit(), in.Offset()
		items, total, err := audit.List(ctx, s.db, f)
		if err != nil {
			return nil, err
		}
		return &struct{ Body httpapi.Page[AuditRecord] }{Body: httpapi.NewPage(items, total, in.ListParams)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "export-audit", Method: http.MethodGet, Path: "/audit/export", Tags: tags,
		Summary: "Export the audit log (导出审计日志)",
		Description: fmt.Sprintf("Same filters as the list, as CSV (UTF-8 with BOM, opens in Excel) or XLSX, "+
			"Chinese column headers, newest first, at most %d rows.", MaxAuditExportRows),
		Responses: map[string]*huma.Response{"200": {Description: "The export file", Content: map[string]*huma.MediaType{
			"text/csv": {}, xlsxType: {}}}},
	}, func(ctx context.Context, in *struct {
		AuditFilters
		Q      string `query:"q" maxLength:"100"`
		Format string `query:"format" enum:"csv,xlsx" default:"csv"`
	}) (*huma.StreamResponse, error) {
		f, err := auditFilter(ctx, in.AuditFilters, in.Q)
		if err != nil {
			return nil, err
		}
		// Freeze the end so entries written during the export do not shift
		// the pages under it.
		if now := time.Now().Add(time.Millisecond); f.To.IsZero() || f.To.After(now) {
			f.To = now
		}
		const batch = 1000
		f.Limit = batch
		first, _, err := audit.List(ctx, s.db, f)
		if err != nil {
			return nil, err
		}
		name := "audit-" + time.Now().In(civil.CST).Format("20060102-150405")
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			next := func(offset int) ([]audit.Entry, error) {
				if offset == 0 {
					return first, nil
				}
				if offset >= MaxAuditExportRows {
					return nil, nil
				}
				g := f
				g.Offset = offset
				items, _, err := audit.List(ctx, s.db, g)
				return items, err
			}
			var err error
			if in.Format == "xlsx" {
				hctx.SetHeader("Content-Type", xlsxType)
				hctx.SetHeader("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
				err = writeAuditXLSX(hctx, next)
			} else {
				hctx.SetHeader("Content-Type", "text/csv; charset=utf-8")
				hctx.SetHeader("Content-Disposition", `attachment; filename="`+name+`.csv"`)
				err = writeAuditCSV(hctx, next)
			}
			if err != nil {
				s.logger.ErrorContext(ctx, "audit export failed", "err", err, "request_id", httpapi.RequestID(ctx))
			}
		}}, nil
	})
}

func writeAuditCSV(hctx huma.Context, next func(offset int) ([]audit.Entry, error)) error {
	w := hctx.BodyWriter()
	if _, err := w.Write([]byte("\uFEFF")); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(auditHeaders); err != nil {
		return err
	}
	for offset := 0; ; {
		items, err := next(offset)
		if err != nil {
			return err
		}
		for _, e := range items {
			if err := cw.Write(auditRow(e)); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if len(items) == 0 {
			return nil
		}
		offset += len(items)
	}
}

func writeAuditXLSX(hctx huma.Context, next func(offset int) ([]audit.Entry, error)) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "审计日志"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	_ = sw.SetColWidth(2, 2, 20)
	_ = sw.SetColWidth(12, 12, 40)
	row := 1
	put := func(values []string) error {
		cells := make([]any, len(values))
		for i, v := range values {
			cells[i] = v
		}
		cell, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		row++
		return sw.SetRow(cell, cells)
	}
	if err := put(auditHeaders); err != nil {
		return err
	}
	for offset := 0; ; {
		items, err := next(offset)
		if err != nil {
			return err
		}
		for _, e := range items {
			if err := put(auditRow(e)); err != nil {
				return err
			}
		}
		if len(items) == 0 {
			break
		}
		offset += len(items)
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(hctx.BodyWriter())
	return err
}
