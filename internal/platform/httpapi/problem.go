package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
)

// The one mapping from platform error kinds to HTTP statuses.
var kindStatus = []struct {
	kind   error
	status int
}{
	{apperr.ErrInvalid, http.StatusUnprocessableEntity},
	{apperr.ErrNotFound, http.StatusNotFound},
	{apperr.ErrConflict, http.StatusConflict},
	{apperr.ErrUnauthorized, http.StatusUnauthorized},
	{apperr.ErrForbidden, http.StatusForbidden},
	{apperr.ErrTooMany, http.StatusTooManyRequests},
	{apperr.ErrUnavailable, http.StatusServiceUnavailable},
}

// StatusOf returns the HTTP status for err's kind, 500 when it has none.
func StatusOf(err error) int {
	for _, k := range kindStatus {
		if errors.Is(err, k.kind) {
			return k.status
		}
	}
	return http.StatusInternalServerError
}

// Problem converts err into an RFC 9457 problem: the status of its kind, its
// message as detail and, for validation failures, one entry per invalid field
// ("body.vin", "query.sort", ...). Unexpected errors are logged with the
// request id and hidden from the client.
func Problem(ctx context.Context, err error) huma.StatusError {
	var se huma.StatusError
	if errors.As(err, &se) {
		return se
	}
	status := StatusOf(err)
	if status == http.StatusInternalServerError {
		id := RequestID(ctx)
		slog.ErrorContext(ctx, "request failed", slog.String("request_id", id), slog.Any("err", err))
		return &huma.ErrorModel{Status: status, Title: http.StatusText(status),
			Detail: "internal error; quote request id " + id + " when reporting it"}
	}
	model := &huma.ErrorModel{Status: status, Title: http.StatusText(status), Detail: err.Error()}
	if fields := apperr.Fields(err); len(fields) > 0 {
		model.Detail = "validation failed"
		for _, f := range fields {
			loc := f.Field
			if !strings.Contains(loc, ".") && !strings.HasPrefix(loc, "row") {
				loc = "body." + loc
			}
			model.Errors = append(model.Errors, &huma.ErrorDetail{Location: loc, Message: f.Reason, Value: f.Value})
		}
	}
	return model
}

// installProblemMapping makes huma turn the platform's error kinds into their
// problem responses wherever a handler returns them unwrapped.
func installProblemMapping() {
	huma.NewErrorWithContext = func(hctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
		if status == http.StatusInternalServerError && len(errs) == 1 && errs[0] != nil {
			ctx := context.Background()
			if hctx != nil {
				ctx = hctx.Context()
			}
			return Problem(ctx, errs[0])
		}
		return huma.NewError(status, msg, errs...)
	}
}

// WriteProblem writes a problem+json response from plain net/http code
// (middleware, file downloads) where huma is not in the loop.
func WriteProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := Problem(r.Context(), err)
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.GetStatus())
	_ = json.NewEncoder(w).Encode(p)
}
