package sheet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sheet"
)

type importInput struct {
	sheet.Upload
}

type importOutput struct {
	Body *sheet.Report
}

type exportInput struct {
	Format string `query:"format" enum:"csv,xlsx" default:"xlsx"`
	Fail   string `query:"fail" enum:",early,late" required:"false"`
}

// server registers an import and an export operation the way a module does.
func server(t *testing.T) http.Handler {
	t.Helper()
	s := httpapi.New(httpapi.Options{Logger: slog.New(slog.DiscardHandler)})
	op := huma.Operation{OperationID: "import-vehicles", Method: http.MethodPost, Path: "/vehicles/import",
		Summary: "Import vehicles", Tags: []string{"registry"}}
	sheet.RegisterImport(s.API, op, func(ctx context.Context, in *importInput) (*importOutput, error) {
		file, err := in.File()
		if err != nil {
			return nil, err
		}
		rep, err := sheet.Import(file, vehicles, func(row sheet.Row) error {
			switch {
			case row.Get("vin") == "":
				return apperr.Field("vin", "必填", nil)
			case row.Get("plate") == "DOWN":
				return errors.New("database down")
			}
			return nil
		})
		return &importOutput{Body: rep}, err
	})
	exp := huma.Operation{OperationID: "export-vehicles", Method: http.MethodGet, Path: "/vehicles/export",
		Summary: "Export vehicles", Tags: []string{"registry"}}
	sheet.DocumentDownload(&exp)
	huma.Register(s.API, exp, func(ctx context.Context, in *exportInput) (*huma.StreamResponse, error) {
		f, _ := sheet.ParseFormat(in.Format)
		return sheet.Download("车辆_20261121", f, vehicles, func(w *sheet.Writer) error {
			if in.Fail == "early" {
				return apperr.Forbidden("无权导出")
			}
			for range 3 {
				if err := w.WriteRow("川A12345", "LGWEF4A59HF123456"); err != nil {
					return err
				}
			}
			return nil
		}), nil
	})
	return s.Handler()
}

func multipartBody(t *testing.T, field, filename, contentType string, data []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("note", "ignored")
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="`+field+`"; filename="`+filename+`"`)
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	pw, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = pw.Write(data)
	_ = mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func TestImportEndpoint(t *testing.T) {
	t.Parallel()
	h := server(t)
	csv := []byte("车牌号码,车辆识别代号\n川A1,V1\n川A2,\n")
	var xlsx bytes.Buffer
	w, _ := sheet.NewWriter(&xlsx, sheet.XLSX, vehicles)
	_ = w.WriteRow("川A1", "V1")
	_ = w.WriteRow("川A2", "")
	_ = w.Close()
	formCT, form := multipartBody(t, "file", "车辆.xlsx", "application/vnd.ms-excel", xlsx.Bytes())
	formCSVCT, formCSV := multipartBody(t, "file", "车辆.csv", "", csv)
	noFileCT, noFile := multipartBody(t, "attachment", "车辆.csv", "text/csv", csv)

	wantReport := `{"total":2,"imported":1,"failed":1,"errors":[{"row":3,"problems":[{"column":"vin","header":"车辆识别代号","reason":"必填"}]}]}`
	tests := []struct {
		name, contentType, query string
		body                     []byte
		status                   int
		want                     string // exact JSON for 200, a fragment otherwise
	}{
		{"raw csv", "text/csv", "", csv, 200, wantReport},
		{"raw xlsx", sheet.MIMEXLSX, "", xlsx.Bytes(), 200, wantReport},
		{"octet stream named by query", "application/octet-stream", "?filename=%E8%BD%A6%E8%BE%86.xlsx", xlsx.Bytes(), 200, wantReport},
		{"octet stream sniffed", "application/octet-stream", "", csv, 200, wantReport},
		{"multipart xlsx", formCT, "", form, 200, wantReport},
		{"multipart csv without type", formCSVCT, "", formCSV, 200, wantReport},
		{"multipart without file", noFileCT, "", noFile, 422, `"location":"body.file"`},
		{"json is refused", "application/json", "", []byte(`{}`), 415, `"location":"header.Content-Type"`},
		{"empty body", "text/csv", "", nil, 400, "request body is required"},
		{"missing column", "text/csv", "", []byte("车牌号码\nA\n"), 422, "缺少必填列：车辆识别代号"},
		{"garbage", "application/octet-stream", "", []byte("\x00\x00\x00garbage"), 422, `"location":"body.file"`},
		{"legacy xls by name", "application/vnd.ms-excel", "?filename=a.xls", []byte("x"), 422, "xls"},
		{"fatal row error", "text/csv", "", []byte("车牌号码,车辆识别代号\nDOWN,V\n"), 500, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPost, "/api/v1/vehicles/import"+tt.query, bytes.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.contentType)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := strings.TrimSpace(rec.Body.String())
			if rec.Code != tt.status {
				t.Fatalf("status = %d, body %s", rec.Code, got)
			}
			if tt.status == 200 {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
			} else if !strings.Contains(got, tt.want) {
				t.Errorf("body %s does not contain %s", got, tt.want)
			}
		})
	}
}

func TestExportEndpoint(t *testing.T) {
	t.Parallel()
	h := server(t)
	for _, format := range []sheet.Format{sheet.CSV, sheet.XLSX} {
		t.Run(format.String(), func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/vehicles/export?format="+format.String(), nil))
			if rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			wantCD := `attachment; filename="___20261121` + format.Ext() + `"; filename*=UTF-8''%E8%BD%A6%E8%BE%86_20261121` + format.Ext()
			if got := rec.Header().Get("Content-Disposition"); got != wantCD {
				t.Errorf("Content-Disposition = %s, want %s", got, wantCD)
			}
			if got := rec.Header().Get("Content-Type"); got != format.ContentType() {
				t.Errorf("Content-Type = %s", got)
			}
			rows, _, err := readAll(t, rec.Body.Bytes(), format)
			if err != nil || len(rows) != 3 {
				t.Errorf("rows = %v, err = %v", rows, err)
			}
		})
	}
	t.Run("failure before sending is a problem", func(t *testing.T) {
		t.Parallel()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/vehicles/export?format=csv&fail=early", nil))
		if rec.Code != 403 || !strings.Contains(rec.Body.String(), "无权导出") || rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("status %d, type %s, body %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
	})
}

func TestOpenAPIDescribesUploadAndDownload(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	server(t).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil))
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]any `json:"content"`
			} `json:"requestBody"`
			Responses map[string]struct {
				Content map[string]any `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	body, _ := io.ReadAll(rec.Body)
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("openapi: %v (%d)", err, rec.Code)
	}
	var in, out []string
	for ct := range doc.Paths["/api/v1/vehicles/import"]["post"].RequestBody.Content {
		in = append(in, ct)
	}
	for ct := range doc.Paths["/api/v1/vehicles/export"]["get"].Responses["200"].Content {
		out = append(out, ct)
	}
	sortStrings := cmp.Transformer("sort", func(s []string) []string {
		c := append([]string(nil), s...)
		for i := range c {
			for j := i + 1; j < len(c); j++ {
				if c[j] < c[i] {
					c[i], c[j] = c[j], c[i]
				}
			}
		}
		return c
	})
	if diff := cmp.Diff([]string{sheet.MIMEXLSX, "multipart/form-data", "text/csv"}, in, sortStrings); diff != "" {
		t.Errorf("request content types (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{sheet.MIMEXLSX, "text/csv"}, out, sortStrings); diff != "" {
		t.Errorf("response content types (-want +got):\n%s", diff)
	}
}

func TestContentDisposition(t *testing.T) {
	t.Parallel()
	got := sheet.ContentDisposition(`车辆 "a"/b.xlsx`)
	want := `attachment; filename="__ _a_/b.xlsx"; filename*=UTF-8''%E8%BD%A6%E8%BE%86%20%22a%22%2Fb.xlsx`
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}
