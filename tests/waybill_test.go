package tests

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jiaotong-platform/jiaotong/internal/demo"
)

// TestIntegrationWaybills drives the e-waybill of the demo platform as the
// console and a roadside officer's phone do: the enterprise user lists its
// waybills and fetches a QR code, whose URL opens the public verification
// page without a login; a forged token is refused there.
func TestIntegrationWaybills(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole platform")
	}
	p := start(t, testConfig(t))

	type wb struct {
		ID       int64  `json:"id"`
		Number   string `json:"number"`
		State    string `json:"state"`
		Token    string `json:"token"`
		Operator int64  `json:"operator_id"`
	}
	var all struct {
		Total int  `json:"total"`
		Items []wb `json:"items"`
	}
	city := login(t, p.URL, "chengdu.regulator", demo.UserPassword)
	if status := city.do("GET", "/api/v1/waybills?page_size=100", nil, &all); status != 200 || all.Total < 6 {
		t.Fatalf("city regulator lists %d waybills (status %d)", all.Total, status)
	}
	ent := login(t, p.URL, "ronghua.enterprise", demo.UserPassword)
	var mine struct {
		Total int  `json:"total"`
		Items []wb `json:"items"`
	}
	if status := ent.do("GET", "/api/v1/waybills", nil, &mine); status != 200 || mine.Total == 0 || mine.Total >= all.Total {
		t.Fatalf("enterprise lists %d of %d waybills (status %d)", mine.Total, all.Total, status)
	}
	var active *wb
	for i, w := range mine.Items {
		if w.Operator != mine.Items[0].Operator {
			t.Fatalf("enterprise sees another carrier's waybill %s", w.Number)
		}
		if w.State == "in_transit" {
			active = &mine.Items[i]
		}
	}
	if active == nil || active.Token == "" {
		t.Fatalf("no waybill in transit with a token among %+v", mine.Items)
	}

	// the QR code holds the public page's URL on this host
	resp, err := ent.http.Get(p.URL + "/api/v1/waybills/" + itoa(active.ID) + "/qr?format=svg")
	if err != nil {
		t.Fatal(err)
	}
	svg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.HasPrefix(svg, []byte("<svg")) {
		t.Fatalf("QR: %d %.100s", resp.StatusCode, svg)
	}

	// the public page and API answer without a login
	anon := &http.Client{}
	page := p.URL + "/public/waybill/verify?token=" + url.QueryEscape(active.Token)
	resp, err = anon.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), active.Number) || !strings.Contains(string(body), "签名有效") {
		t.Fatalf("public page: %d %s", resp.StatusCode, body)
	}
	resp, err = anon.Get(p.URL + "/api/v1/public/waybills/verify?token=" + url.QueryEscape(active.Token))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Valid   bool `json:"valid"`
		Current bool `json:"current"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
	if resp.StatusCode != 200 || !v.Valid || !v.Current {
		t.Fatalf("public API: %d %+v", resp.StatusCode, v)
	}
	forged := strings.Replace(active.Token, ".", ".e30", 1)
	resp, err = anon.Get(p.URL + "/public/waybill/verify?token=" + url.QueryEscape(forged))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity || strings.Contains(string(body), active.Number) {
		t.Fatalf("forged token on the public page: %d", resp.StatusCode)
	}

	// the waybill API itself needs a login
	resp, err = anon.Get(p.URL + "/api/v1/waybills")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous list: %d", resp.StatusCode)
	}
}
