package sheet_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/jiaotong-platform/jiaotong/internal/platform/sheet"
)

func smallXLSX(tb testing.TB) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w, err := sheet.NewWriter(&buf, sheet.XLSX, vehicles)
	if err != nil {
		tb.Fatal(err)
	}
	_ = w.WriteRow("川A12345", "LGWEF4A59HF123456", 45, 8.1, "2027-03-31", "成都公交", true)
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzRead feeds arbitrary bytes to Read: it must answer with rows or an
// error, never panic or hang, and every row it hands out has a number past
// the header.
func FuzzRead(f *testing.F) {
	f.Add([]byte("车牌号码,车辆识别代号\n川A1,V1\n\n川A2,\"V\n2\"\n"))
	f.Add([]byte("\ufeffplate,vin,valid_until\nA,1,46477\n"))
	gbk, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("车牌号码,车辆识别代号\r\n川A1,V1\r\n"))
	f.Add(gbk)
	f.Add([]byte("\xff\xfe\x66\x8f\x0c\x72\x09\x00\x56\x00\x49\x00\x4e\x00\n\x00"))
	x := smallXLSX(f)
	f.Add(x)
	f.Add(x[:len(x)/3])
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := sheet.Read(bytes.NewReader(data), sheet.Detect, vehicles, func(r sheet.Row) error {
			if r.Num < 2 {
				t.Fatalf("row number %d", r.Num)
			}
			_ = r.Get("plate")
			_, _ = r.Date("valid_until")
			return nil
		}, sheet.WithMaxRows(1000))
		if err == nil && info.HeaderRow < 1 {
			t.Fatalf("no header row but no error: %+v", info)
		}
	})
}

func trimmed(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\ufeff' || r == '\u200b' || r == '\u2060'
	})
}

// FuzzCSVRoundTrip checks that what the writer exports the reader imports
// unchanged (up to trimming), whatever the text: quotes, commas, newlines,
// formula-like values, Chinese.
func FuzzCSVRoundTrip(f *testing.F) {
	f.Add("川A12345", "成都, \"公交\"\n集团")
	f.Add("=1+1", "'=SUM(A1)")
	f.Add("-5", "@x")
	f.Add(" ", "\u3000")
	f.Fuzz(func(t *testing.T, plate, owner string) {
		if !utf8.ValidString(plate) || !utf8.ValidString(owner) || strings.ContainsAny(plate+owner, "\r\x00") {
			t.Skip()
		}
		var buf bytes.Buffer
		w, err := sheet.NewWriter(&buf, sheet.CSV, vehicles)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRow(plate, "V", nil, nil, nil, owner); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		var got []sheet.Row
		_, err = sheet.Read(&buf, sheet.CSV, vehicles, func(r sheet.Row) error {
			got = append(got, r)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("%d rows", len(got))
		}
		if got[0].Get("plate") != trimmed(plate) || got[0].Get("owner") != trimmed(owner) {
			t.Errorf("got %q, %q; want %q, %q", got[0].Get("plate"), got[0].Get("owner"), trimmed(plate), trimmed(owner))
		}
	})
}
