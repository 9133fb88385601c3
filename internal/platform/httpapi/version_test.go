package httpapi_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
)

func TestIfMatch(t *testing.T) {
	for h, want := range map[string]int64{"": 0, "*": 0, `"7"`: 7, `W/"12"`: 12, " 3 ": 3} {
		got, err := httpapi.ParseIfMatch(h, "记录", "record")
		if err != nil || got != want {
			t.Errorf("ParseIfMatch(%q) = %d, %v, want %d", h, got, err, want)
		}
	}
	for _, h := range []string{`"x"`, `"0"`, `"-2"`} {
		_, err := httpapi.ParseIfMatch(h, "运单", "waybill")
		if fs := apperr.Fields(err); len(fs) != 1 || fs[0].Field != "header.If-Match" {
			t.Errorf("ParseIfMatch(%q) = %v, want an error at header.If-Match", h, err)
		}
	}
	if v, _ := httpapi.ParseIfMatch(httpapi.ETag(42), "记录", "record"); v != 42 {
		t.Errorf("an ETag read back as If-Match gives %d, want 42", v)
	}
}

func TestInBody(t *testing.T) {
	var inv apperr.Invalid
	for _, f := range []string{"vin", "body.plate", "query.page", "header.If-Match", "waybill.escort_id"} {
		inv.Add(f, "bad", nil)
	}
	var got []string
	for _, f := range apperr.Fields(httpapi.InBody(inv.Err(), "waybill.")) {
		got = append(got, f.Field)
	}
	want := []string{"body.vin", "body.plate", "query.page", "header.If-Match", "waybill.escort_id"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	plain := errors.New("not a validation error")
	if httpapi.InBody(plain) != plain {
		t.Error("other errors must pass through")
	}
}
