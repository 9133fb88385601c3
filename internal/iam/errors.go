package iam

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
)

// fieldForbidden is a 403 that names the input field at fault, e.g. a scope
// outside the administrator's own. It matches apperr.ErrForbidden and renders
// as a problem with one errors[] entry, like a validation failure does.
type fieldForbidden struct {
	model *huma.ErrorModel
}

func forbiddenField(field, reason string, value any) error {
	return &fieldForbidden{model: &huma.ErrorModel{
		Status: http.StatusForbidden,
		Title:  http.StatusText(http.StatusForbidden),
		Detail: field + ": " + reason,
		Errors: []*huma.ErrorDetail{{Location: "body." + field, Message: reason, Value: value}},
	}}
}

func (e *fieldForbidden) Error() string                  { return e.model.Detail }
func (e *fieldForbidden) GetStatus() int                 { return e.model.Status }
func (e *fieldForbidden) Is(target error) bool           { return target == apperr.ErrForbidden }
func (e *fieldForbidden) ContentType(ct string) string   { return e.model.ContentType(ct) }
func (e *fieldForbidden) MarshalJSON() ([]byte, error)   { return json.Marshal(e.model) }
func (e *fieldForbidden) ErrorDetail() *huma.ErrorDetail { return e.model.Errors[0] }

// statusError is a problem with a status outside the apperr kinds (423
// Locked) and an optional Retry-After.
type statusError struct {
	model      *huma.ErrorModel
	retryAfter time.Duration
}

func newStatusError(status int, detail string, retryAfter time.Duration) error {
	return &statusError{model: &huma.ErrorModel{Status: status, Title: http.StatusText(status), Detail: detail},
		retryAfter: retryAfter}
}

func (e *statusError) Error() string                { return e.model.Detail }
func (e *statusError) GetStatus() int               { return e.model.Status }
func (e *statusError) ContentType(ct string) string { return e.model.ContentType(ct) }
func (e *statusError) MarshalJSON() ([]byte, error) { return json.Marshal(e.model) }
func (e *statusError) Is(target error) bool {
	switch e.model.Status {
	case http.StatusTooManyRequests:
		return target == apperr.ErrTooMany
	case http.StatusForbidden, http.StatusLocked:
		return target == apperr.ErrForbidden
	case http.StatusUnauthorized:
		return target == apperr.ErrUnauthorized
	}
	return false
}

// GetHeaders lets huma send Retry-After with the problem.
func (e *statusError) GetHeaders() http.Header {
	h := http.Header{}
	if e.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((e.retryAfter+time.Second-1)/time.Second)))
	}
	return h
}

// inList returns "$n, $n+1, ..." for len(vals) values appended to args.
func inList(args *[]any, vals []string) string {
	ph := make([]string, len(vals))
	for i, v := range vals {
		*args = append(*args, v)
		ph[i] = "$" + strconv.Itoa(len(*args))
	}
	return strings.Join(ph, ", ")
}

// minutes renders a duration for a message a person reads.
func minutes(d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	return fmt.Sprintf("%d 分钟", max(m, 1))
}
