package waybill

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
)

// MountPublic adds the public verification page (no login, no external
// assets) that a waybill's QR code opens, to mux.
func MountPublic(mux *http.ServeMux, s *Service) {
	mux.Handle("GET "+VerifyPagePath, s.VerifyPage())
}

// VerifyPage is the page a roadside officer's phone opens from the QR
// code: the waybill's essential facts in Chinese, or a refusal in red.
func (s *Service) VerifyPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data := pageData{}
		v, err := s.Verify(r.Context(), r.URL.Query().Get("token"))
		status := http.StatusOK
		switch {
		case err == nil:
			data.V = v
		case errors.Is(err, apperr.ErrInvalid):
			status = http.StatusUnprocessableEntity
			data.Refused = "验证失败：运单凭证无效或被篡改，请核查纸质运单并联系承运企业。"
			if f := apperr.Fields(err); len(f) > 0 {
				data.Reason = f[0].Reason
			}
		default:
			slog.ErrorContext(r.Context(), "waybill: verify page", slog.Any("err", err))
			status = http.StatusServiceUnavailable
			data.Refused = "暂时无法验证，请稍后重试。"
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.WriteHeader(status)
		if err := verifyTmpl.Execute(w, data); err != nil {
			slog.WarnContext(r.Context(), "waybill: verify page", slog.Any("err", err))
		}
	})
}

type pageData struct {
	V       *Verification
	Refused string
	Reason  string
}

var verifyTmpl = template.Must(template.New("verify").Funcs(template.FuncMap{
	"t": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(civil.CST).Format("2006-01-02 15:04")
	},
	"class": ClassLabel,
}).Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>危险货物道路运输电子运单核验</title>
<style>
body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#f4f5f7;color:#1f2329}
main{max-width:640px;margin:0 auto;padding:16px}
h1{font-size:20px;margin:8px 0 16px}
.banner{padding:12px 16px;border-radius:6px;font-weight:600;margin-bottom:16px}
.ok{background:#e8f7ee;color:#137333;border:1px solid #34a853}
.warn{background:#fff4e5;color:#8a4b00;border:1px solid #f29900}
.bad{background:#fdecea;color:#a50e0e;border:1px solid #d93025}
table{width:100%;border-collapse:collapse;background:#fff;margin-bottom:16px}
th,td{text-align:left;padding:8px;border-bottom:1px solid #e5e6eb;font-size:15px;vertical-align:top}
th{width:32%;color:#646a73;font-weight:500}
.small{font-size:12px;color:#646a73}
</style></head><body><main>
<h1>危险货物道路运输电子运单核验</h1>
{{if .Refused}}<div class="banner bad">{{.Refused}}</div>{{if .Reason}}<p class="small">{{.Reason}}</p>{{end}}
{{else}}{{with .V}}
{{if .Current}}<div class="banner ok">签名有效 · 运单{{.Facts.StateLabel}}</div>
{{else}}<div class="banner warn">签名有效，但运单当前为「{{.Facts.StateLabel}}」，不是有效运输状态</div>{{end}}
{{with .Facts}}
<table>
<tr><th>电子运单编号</th><td>{{.Number}}</td></tr>
<tr><th>承运人</th><td>{{.Carrier}}</td></tr>
<tr><th>车辆号牌</th><td>{{.Plate}}{{if .TrailerPlate}} / 挂车 {{.TrailerPlate}}{{end}}</td></tr>
<tr><th>驾驶员</th><td>{{.Driver}}</td></tr>
<tr><th>押运员</th><td>{{.Escort}}</td></tr>
<tr><th>托运人</th><td>{{.Shipper}}</td></tr>
<tr><th>收货人</th><td>{{.Consignee}}</td></tr>
<tr><th>装货地</th><td>{{.Loading}}</td></tr>
<tr><th>卸货地</th><td>{{.Unloading}}</td></tr>
<tr><th>计划起运</th><td>{{t .DepartureAt}}</td></tr>
<tr><th>计划到达</th><td>{{t .ArrivalAt}}</td></tr>
<tr><th>签发时间</th><td>{{t .IssuedAt}}</td></tr>
</table>
<table>
<tr><th>UN编号</th><td><b>品名 · 类别 · 包装类别 · 数量</b></td></tr>
{{range .Goods}}<tr><th>UN{{.UNNumber}}</th><td>{{.Name}} · {{class .Class}} · {{if .PackingGroup}}{{.PackingGroup}}类包装{{else}}—{{end}} · {{.Quantity}} {{.Unit}}</td></tr>
{{end}}</table>
{{if .EmergencyContacts}}<table>{{range .EmergencyContacts}}<tr><th>应急联系人</th><td>{{.Name}} {{.Phone}} {{.Role}}</td></tr>{{end}}</table>{{end}}
{{end}}{{end}}{{end}}
<p class="small">本页由平台以国密SM2签名核验运单二维码；二维码内容被篡改或伪造时不会显示运单信息。</p>
</main></body></html>
`))
