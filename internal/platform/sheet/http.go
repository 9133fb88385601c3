package sheet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
)

// DefaultUploadBytes is the body limit DocumentUpload gives an import
// operation that sets none: far above an XLSX of 100,000 vehicles.
const DefaultUploadBytes = 32 << 20

// Upload is embedded in the input of an import operation. The file comes
// either as the raw request body (Content-Type text/csv or the XLSX type,
// what scripts and curl send; ?filename= may name it) or as the "file" field
// of a multipart/form-data body (what a browser form sends).
//
//	type importInput struct {
//		sheet.Upload
//	}
type Upload struct {
	ContentType string `header:"Content-Type" hidden:"true"`
	Filename    string `query:"filename" doc:"Name of the uploaded file (车辆.xlsx); tells the format when the content type does not"`
	RawBody     []byte `contentType:"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"`
}

// File is an uploaded table.
type File struct {
	Name   string
	Format Format // CSV, XLSX, or Detect when only the content can tell
	// Data aliases the request buffer: use it before the handler returns.
	Data []byte
}

// File extracts the uploaded file. It fails with 415 for a content type that
// is not a table and with 422 naming body.file when a multipart body has no
// file field.
func (u *Upload) File() (File, error) {
	return ReadUpload(u.ContentType, u.Filename, u.RawBody)
}

// ReadUpload turns a request's content type, the file name it gave (may be
// empty) and its body into a File.
func ReadUpload(contentType, filename string, body []byte) (File, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if contentType == "" {
		mt, err = "application/octet-stream", nil
	}
	if err != nil {
		return File{}, unsupported(contentType)
	}
	if mt == "multipart/form-data" {
		return readMultipart(params["boundary"], body)
	}
	f, err := formatOf(mt, filename)
	if err != nil {
		return File{}, err
	}
	if len(body) == 0 {
		return File{}, apperr.Field("body", "请求体为空，请上传 CSV 或 XLSX 文件 (empty body)", nil)
	}
	return File{Name: filename, Format: f, Data: body}, nil
}

// formatOf decides the format from a media type and a file name.
func formatOf(mediaType, filename string) (Format, error) {
	switch strings.ToLower(mediaType) {
	case MIMEXLSX:
		return XLSX, nil
	case MIMECSV, "application/csv", "text/comma-separated-values", "text/plain", "text/tab-separated-values":
		return CSV, nil
	case "application/octet-stream", "application/vnd.ms-excel", "application/zip", "application/x-zip-compressed", "binary/octet-stream":
		// Generic types (and the one Windows gives every .csv when Excel
		// is installed): the name, then the content, decides.
		if strings.EqualFold(pathExt(filename), ".xls") {
			return Detect, apperr.Field("body.file", "不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 .csv (legacy .xls not supported)", filename)
		}
		return FormatOfName(filename), nil
	}
	return Detect, unsupported(mediaType)
}

func pathExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}

func unsupported(ct string) error {
	return huma.NewError(http.StatusUnsupportedMediaType,
		"请上传 CSV 或 XLSX 文件 (unsupported media type; send text/csv, "+MIMEXLSX+" or multipart/form-data with a file field)",
		&huma.ErrorDetail{Location: "header.Content-Type", Message: "unsupported media type", Value: ct})
}

// readMultipart finds the "file" part of a multipart/form-data body.
func readMultipart(boundary string, body []byte) (File, error) {
	if boundary == "" {
		return File{}, apperr.Field("body", "multipart 请求缺少 boundary (malformed multipart body)", nil)
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return File{}, apperr.Field("body.file", "缺少文件字段 file (missing file field)", nil)
		}
		if err != nil {
			return File{}, apperr.Field("body", "multipart 请求格式错误 (malformed multipart body)", nil)
		}
		if part.FormName() != "file" {
			continue
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return File{}, apperr.Field("body.file", "文件读取失败 (malformed multipart body)", nil)
		}
		if len(data) == 0 {
			return File{}, apperr.Field("body.file", "上传的文件为空 (empty file)", part.FileName())
		}
		partType := part.Header.Get("Content-Type")
		mt, _, err := mime.ParseMediaType(partType)
		if partType == "" || err != nil {
			mt = "application/octet-stream"
		}
		f, err := formatOf(mt, part.FileName())
		if err != nil {
			// A browser's guess at the type of a local file is no reason
			// to refuse it: the name and the content decide.
			f = FormatOfName(part.FileName())
		}
		return File{Name: part.FileName(), Format: f, Data: data}, nil
	}
}

// Read reads the uploaded file; see the package function Read.
func (f File) Read(s *Schema, fn func(Row) error, opts ...Option) (Info, error) {
	return Read(bytes.NewReader(f.Data), f.Format, s, fn, opts...)
}

// Import reads the file row by row into a Report. fn imports one row; an
// error of kind invalid, conflict, not found or forbidden rejects that row
// (recorded with Report.Record) and the import goes on; any other error
// stops it and is returned. Problems with the file itself (not a table,
// required columns missing) are returned as errors too.
func Import(f File, s *Schema, fn func(Row) error, opts ...Option) (*Report, error) {
	rep := NewReport(s)
	info, err := f.Read(s, func(row Row) error {
		err := fn(row)
		if err != nil && !isRowError(err) {
			return err
		}
		rep.Record(row, err)
		return nil
	}, opts...)
	if err != nil {
		return nil, err
	}
	rep.Warn(info.Warnings...)
	return rep, nil
}

func isRowError(err error) bool {
	for _, k := range []error{apperr.ErrInvalid, apperr.ErrConflict, apperr.ErrNotFound, apperr.ErrForbidden} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// DocumentUpload describes an import operation's request body in the
// OpenAPI (CSV or XLSX) and gives it DefaultUploadBytes as body limit unless
// it has one. Call it on the operation before huma.Register, or use
// RegisterImport, which also documents the multipart form. (Listing the
// multipart form before Register would make huma parse every body as that
// form; multipart bodies are accepted either way.)
func DocumentUpload(op *huma.Operation) {
	if op.MaxBodyBytes == 0 {
		op.MaxBodyBytes = DefaultUploadBytes
	}
	if op.RequestBody == nil {
		op.RequestBody = &huma.RequestBody{}
	}
	op.RequestBody.Required = true
	if op.RequestBody.Description == "" {
		op.RequestBody.Description = "The table as CSV (UTF-8 or GBK) or XLSX, as the raw body or as the field `file` of a multipart form."
	}
	if op.RequestBody.Content == nil {
		op.RequestBody.Content = map[string]*huma.MediaType{}
	}
	binary := func() *huma.MediaType { return &huma.MediaType{Schema: &huma.Schema{Type: "string", Format: "binary"}} }
	op.RequestBody.Content[MIMECSV] = binary()
	op.RequestBody.Content[MIMEXLSX] = binary()
}

// RegisterImport registers an import operation whose input embeds Upload:
// DocumentUpload, huma.Register, then the multipart/form-data variant (a
// "file" field) added to the operation's OpenAPI.
func RegisterImport[I, O any](api huma.API, op huma.Operation, handler func(context.Context, *I) (*O, error)) {
	DocumentUpload(&op)
	huma.Register(api, op, handler)
	for _, item := range api.OpenAPI().Paths {
		for _, o := range []*huma.Operation{item.Post, item.Put, item.Patch} {
			if o == nil || o.OperationID != op.OperationID || o.RequestBody == nil {
				continue
			}
			o.RequestBody.Content["multipart/form-data"] = &huma.MediaType{Schema: &huma.Schema{
				Type:     "object",
				Required: []string{"file"},
				Properties: map[string]*huma.Schema{
					"file": {Type: "string", Format: "binary", Description: "The CSV or XLSX file"},
				},
			}}
		}
	}
}

// DocumentDownload describes a file download response (CSV or XLSX) in the
// OpenAPI of op. Call it on the operation before huma.Register.
func DocumentDownload(op *huma.Operation) {
	if op.Responses == nil {
		op.Responses = map[string]*huma.Response{}
	}
	binary := func() *huma.MediaType { return &huma.MediaType{Schema: &huma.Schema{Type: "string", Format: "binary"}} }
	op.Responses["200"] = &huma.Response{
		Description: "The table as a file",
		Headers: map[string]*huma.Param{
			"Content-Disposition": {Schema: &huma.Schema{Type: "string"}, Description: "attachment with the file name"},
		},
		Content: map[string]*huma.MediaType{MIMECSV: binary(), MIMEXLSX: binary()},
	}
}

// ContentDisposition returns an attachment Content-Disposition for filename:
// an ASCII fallback for old clients and the UTF-8 name in RFC 5987/6266 form
// (filename*=UTF-8”%E8%BD%A6...), so Chinese names survive every browser.
func ContentDisposition(filename string) string {
	var ascii strings.Builder
	for _, r := range filename {
		switch {
		case r == '"' || r == '\\' || r < 0x20 || r == 0x7f:
			ascii.WriteByte('_')
		case r < 0x80:
			ascii.WriteRune(r)
		default:
			ascii.WriteByte('_')
		}
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii.String(), rfc5987Escape(filename))
}

// rfc5987Escape percent-encodes everything but RFC 5987's attr-char.
func rfc5987Escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// SetDownloadHeaders sets Content-Type and Content-Disposition for a file in
// format named filename (the format's extension is added when missing).
func SetDownloadHeaders(h http.Header, filename string, f Format) {
	h.Set("Content-Type", f.ContentType())
	h.Set("Content-Disposition", ContentDisposition(withExt(filename, f)))
	h.Set("X-Content-Type-Options", "nosniff")
}

func withExt(name string, f Format) string {
	if FormatOfName(name) != f {
		return name + f.Ext()
	}
	return name
}

// Download is the response of an export operation: it writes the table
// that fill produces as a file named filename. Query and check what to
// export before returning it, so errors still become problem responses;
// an error from fill before anything was sent (always for XLSX, which is
// sent on Close, and for CSV up to 64 KB) is answered with a problem too,
// later ones abort the connection so the client never mistakes a cut file
// for a whole one.
//
//	return sheet.Download("车辆_"+civil.Today().String()+".xlsx", sheet.XLSX, schema,
//		func(w *sheet.Writer) error { ... w.WriteRow(v.Plate, v.VIN, ...) ... }), nil
func Download(filename string, format Format, s *Schema, fill func(*Writer) error) *huma.StreamResponse {
	return &huma.StreamResponse{Body: func(ctx huma.Context) {
		out := &sentWriter{w: ctx.BodyWriter(), ctx: ctx, filename: withExt(filename, format), format: format}
		wr, err := NewWriter(out, format, s)
		if err == nil {
			if err = fill(wr); err != nil {
				wr.Abort()
			} else {
				err = wr.Close()
			}
		}
		if err == nil {
			return
		}
		if !out.sent {
			p := httpapi.Problem(ctx.Context(), err)
			ctx.SetHeader("Content-Type", "application/problem+json")
			ctx.SetStatus(p.GetStatus())
			_ = json.NewEncoder(ctx.BodyWriter()).Encode(p)
			return
		}
		slog.ErrorContext(ctx.Context(), "export failed after sending began", slog.String("file", filename),
			slog.String("request_id", httpapi.RequestID(ctx.Context())), slog.Any("err", err))
		panic(http.ErrAbortHandler)
	}}
}

// sentWriter sets the download headers just before the first byte goes out
// and remembers that it did.
type sentWriter struct {
	w        io.Writer
	ctx      huma.Context
	filename string
	format   Format
	sent     bool
}

func (s *sentWriter) Write(p []byte) (int, error) {
	if !s.sent {
		s.sent = true
		s.ctx.SetHeader("Content-Type", s.format.ContentType())
		s.ctx.SetHeader("Content-Disposition", ContentDisposition(s.filename))
		s.ctx.SetHeader("X-Content-Type-Options", "nosniff")
		s.ctx.SetStatus(http.StatusOK)
	}
	return s.w.Write(p)
}
