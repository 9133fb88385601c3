package httpapi

import (
	"errors"
	"strconv"
	"strings"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
)

// ETag is the entity tag of a record at version: records carry a version
// incremented by every change, and updates send it back in If-Match.
func ETag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// ParseIfMatch reads the version an If-Match header names: 0 when the header
// is absent or "*" (no precondition). thingZH and thingEN name the record in
// the error, e.g. "运单" and "waybill".
func ParseIfMatch(h, thingZH, thingEN string) (int64, error) {
	h = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(h), "W/"))
	if h == "" || h == "*" {
		return 0, nil
	}
	v, err := strconv.ParseInt(strings.Trim(h, `"`), 10, 64)
	if err != nil || v <= 0 {
		return 0, apperr.Field("header.If-Match", "应为"+thingZH+"的版本号 (must be the "+thingEN+"'s version, as in its ETag)", h)
	}
	return v, nil
}

// InBody places the invalid fields of a validation error in the request
// body ("vin" → "body.vin"), as huma names its own schema errors. Fields
// already placed (body., query., header., or one of the prefixes in keep)
// stay where they are; other errors pass through.
func InBody(err error, keep ...string) error {
	var inv *apperr.Invalid
	if !errors.As(err, &inv) {
		return err
	}
	out := &apperr.Invalid{}
	for _, f := range inv.Fields {
		if !placed(f.Field, keep) {
			f.Field = "body." + f.Field
		}
		out.Fields = append(out.Fields, f)
	}
	return out
}

func placed(field string, keep []string) bool {
	for _, p := range append([]string{"body.", "query.", "header."}, keep...) {
		if strings.HasPrefix(field, p) {
			return true
		}
	}
	return false
}
