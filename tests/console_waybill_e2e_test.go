package tests

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/jiaotong-platform/jiaotong/internal/demo"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
)

// pickOption opens the Element Plus select of the form item data-field and
// clicks the first option whose text starts with prefix.
func pickOption(t *testing.T, ctx context.Context, field, prefix string) {
	t.Helper()
	opt := `[...document.querySelectorAll(".el-select-dropdown__item")].find(li => li.offsetParent !== null && li.textContent.trim().startsWith(` + strconv.Quote(prefix) + `))`
	must(t, ctx, "open select "+field, chromedp.Click(chromedp.CSS(`[data-field="`+field+`"] .el-select__wrapper`)))
	waitFor(t, ctx, "option "+prefix, opt+` !== undefined`)
	must(t, ctx, "choose "+prefix, chromedp.Evaluate[bool](opt+`.click(), true`))
	waitFor(t, ctx, "dropdown of "+field+" closed", `![...document.querySelectorAll(".el-select-dropdown")].some(d => d.offsetParent !== null)`)
}

// clickMap clicks the waybill map at a fraction of its width and height.
func clickMap(t *testing.T, ctx context.Context, fx, fy float64) {
	t.Helper()
	rect := must(t, ctx, "map position", chromedp.Evaluate[[]float64](`(() => { const r = document.querySelector('[data-testid="waybill-map"]').getBoundingClientRect(); return [r.left, r.top, r.width, r.height] })()`))
	must(t, ctx, "click the map", chromedp.MouseClickXY(rect[0]+rect[2]*fx, rect[1]+rect[3]*fy))
}

// TestIntegrationConsoleWaybillsInBrowser drives the e-waybill pages as the
// demo hazmat enterprise: the list with its statistics, a waybill's detail
// with its route on the map, a new draft whose UN number comes from the
// autocomplete, an issue refused naming the rule broken, the fix and the
// issue, and the printable page with the QR code.
func TestIntegrationConsoleWaybillsInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the platform and a browser")
	}
	ctx := browser(t)
	p := start(t, testConfig(t))
	defer screenshotOnFailure(t, ctx)

	// What the enterprise may put on a new waybill: a class 8 tanker in
	// service without an active waybill, and a hazmat driver and escort,
	// all valid for the next days.
	ent := login(t, p.URL, "ronghua.enterprise", demo.UserPassword)
	soon := civil.Today().AddDays(2).String()
	var busy struct {
		Items []struct {
			VehicleID int64  `json:"vehicle_id"`
			State     string `json:"state"`
		} `json:"items"`
	}
	ent.do("GET", "/api/v1/waybills?page_size=100", nil, &busy)
	var vehicles struct {
		Items []struct {
			ID            int64    `json:"id"`
			Plate         string   `json:"plate"`
			Status        string   `json:"status"`
			CertUntil     string   `json:"transport_cert_valid_until"`
			HazmatClasses []string `json:"hazmat_classes"`
			RatedLoadKg   int      `json:"rated_load_kg"`
		} `json:"items"`
	}
	ent.do("GET", "/api/v1/vehicles?category=hazmat&page_size=500", nil, &vehicles)
	held := map[int64]bool{}
	for _, w := range busy.Items {
		held[w.VehicleID] = held[w.VehicleID] || w.State == "issued" || w.State == "loading" || w.State == "in_transit"
	}
	plate := ""
	for _, v := range vehicles.Items {
		if !held[v.ID] && v.Status == "in_service" && v.CertUntil >= soon && slices.Contains(v.HazmatClasses, "8") && v.RatedLoadKg >= 5000 {
			plate = v.Plate
			break
		}
	}
	crew := func(category string) string {
		var ps struct {
			Items []struct {
				Name      string `json:"name"`
				CertUntil string `json:"cert_valid_until"`
			} `json:"items"`
		}
		ent.do("GET", "/api/v1/practitioners?page_size=500&category="+category, nil, &ps)
		for _, x := range ps.Items {
			if x.CertUntil >= soon {
				return x.Name
			}
		}
		return ""
	}
	driver, escort := crew("hazmat_driver"), crew("hazmat_escort")
	if plate == "" || driver == "" || escort == "" {
		t.Fatalf("the demo enterprise has no free tanker (%q), driver (%q) or escort (%q) for a new waybill", plate, driver, escort)
	}

	// The list, behind a deep link that survives the login.
	must(t, ctx, "open the waybills", chromedp.Navigate(p.URL+"/waybills"))
	logIn(t, ctx, "ronghua.enterprise", demo.UserPassword)
	waitFor(t, ctx, "waybills listed", rows("wrows")+` > 0`)
	waitFor(t, ctx, "menu entry", `document.querySelector('[data-menu="waybills"]')?.textContent.trim() === "电子运单"`)
	waitFor(t, ctx, "statistics strip", `document.getElementById("wstatsTotal") !== null`)
	labels := must(t, ctx, "state tags", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#wrows .wstate")].map(e => e.textContent.trim())`))
	if !slices.Contains(labels, "运输中") {
		t.Errorf("state tags %v, want the demo waybill in transit as 运输中", labels)
	}
	screenshot(t, ctx, "1-list")

	// Filtering by UN number narrows the list, and the export takes the
	// same filters: an XLSX with one row per waybill listed.
	typeInto(t, ctx, "wun", "1789")
	must(t, ctx, "search", chromedp.Click(chromedp.ID("wsearch")))
	waitFor(t, ctx, "filtered", `[...document.querySelectorAll("#wrows tr.el-table__row")].every(r => r.textContent.includes("UN1789")) && `+rows("wrows")+` > 0`)
	listed := must(t, ctx, "rows listed", chromedp.Evaluate[int](rows("wrows")))
	href := must(t, ctx, "export link", chromedp.Evaluate[string](`document.getElementById("wexport").getAttribute("href")`))
	if !strings.Contains(href, "un_number=1789") || !strings.Contains(href, "format=xlsx") {
		t.Errorf("export link %q does not carry the filters", href)
	}
	resp, err := ent.http.Get(p.URL + href)
	if err != nil {
		t.Fatal(err)
	}
	book, err := excelize.OpenReader(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("export is not an XLSX: %v", err)
	}
	sheetRows, _ := book.GetRows(book.GetSheetName(0))
	if len(sheetRows) != listed+1 || sheetRows[0][0] != "电子运单编号" {
		t.Errorf("export has %d rows (header %v), want a header and the %d waybills listed", len(sheetRows), sheetRows[0], listed)
	}
	must(t, ctx, "reset the filters", chromedp.Evaluate[bool](`[...document.querySelectorAll(".filters button")].find(b => b.textContent.trim() === "重置").click(), true`))
	waitFor(t, ctx, "all listed again", `[...document.querySelectorAll("#wrows .wstate")].some(e => e.dataset.state === "in_transit")`)

	// The detail of the waybill in transit: facts, history, the route on the map.
	must(t, ctx, "open the waybill in transit", chromedp.Evaluate[bool](`[...document.querySelectorAll("#wrows tr.el-table__row")].find(r => r.querySelector('.wstate[data-state="in_transit"]')).querySelector(".wlink").click(), true`))
	waitFor(t, ctx, "detail shown", `document.querySelector('#wState[data-state="in_transit"]') !== null`)
	waitFor(t, ctx, "history", `document.querySelectorAll("#wTimeline li").length >= 3`)
	waitLong(t, ctx, "route drawn on the map", `Number(document.querySelector('[data-testid="waybill-map"]')?.dataset.drawn) > 0`, 30*time.Second)
	waitFor(t, ctx, "moves offered", `document.querySelectorAll(".wmove").length > 0`)
	if moves := must(t, ctx, "moves offered", chromedp.Evaluate[[]string](`[...document.querySelectorAll(".wmove")].map(b => b.dataset.to)`)); !slices.Equal(moves, []string{"delivered"}) {
		t.Errorf("a waybill in transit offers %v, want only delivered", moves)
	}
	waitLong(t, ctx, "the vehicle on the map", `document.querySelector('[data-testid="waybill-map"]')?.dataset.vehicle === "1"`, 60*time.Second)
	screenshot(t, ctx, "2-detail")

	// A new draft: the UN number from the autocomplete fills the name and class.
	must(t, ctx, "back to the list", chromedp.Evaluate[bool](`document.querySelector('[data-menu="waybills"]').click(), true`))
	must(t, ctx, "new waybill", chromedp.Click(chromedp.ID("wcreate")))
	must(t, ctx, "form", chromedp.WaitVisible(chromedp.ID("waybillForm")))
	for field, text := range map[string]string{"shipper.name": "四川蜀化化工有限公司", "consignee.name": "成都城北电镀厂", "loading.name": "红星桥化工仓库", "unloading.name": "城北工业园区"} {
		must(t, ctx, "type "+field, chromedp.SendKeys(chromedp.CSS(`[data-field="`+field+`"] input`), text))
	}
	pickOption(t, ctx, "vehicle_id", plate)
	pickOption(t, ctx, "driver_id", driver)
	must(t, ctx, "type a UN number", chromedp.SendKeys(chromedp.CSS(`[data-field="goods[0].un_number"] input`), "1830"))
	waitFor(t, ctx, "UN suggestion", `[...document.querySelectorAll('.un-suggest .un-item[data-un="1830"]')].some(e => e.offsetParent !== null)`)
	must(t, ctx, "choose UN1830", chromedp.Evaluate[bool](`[...document.querySelectorAll('.un-suggest .un-item[data-un="1830"]')].find(e => e.offsetParent !== null).closest("li").click(), true`))
	waitFor(t, ctx, "class from the UN list", `document.querySelector('[data-field="goods[0].class"] .el-select__wrapper').textContent.trim().startsWith("8")`)
	if name := must(t, ctx, "name from the UN list", chromedp.Value(chromedp.CSS(`[data-field="goods[0].name"] input`))); !strings.Contains(strings.ToUpper(name), "SULPHURIC") {
		t.Errorf("UN1830 filled the name %q", name)
	}
	must(t, ctx, "quantity", chromedp.SendKeys(chromedp.CSS(`[data-field="goods[0].quantity"] input`), "5\t"))
	// The places are picked on the map, then the route follows the roads.
	waitLong(t, ctx, "form map ready", `document.querySelector('[data-testid="waybill-map"]')?.dataset.ready === "1"`, 30*time.Second)
	clickMap(t, ctx, 0.35, 0.4)
	waitFor(t, ctx, "loading place picked", `/^\d/.test(document.getElementById("w-loading-point").textContent)`)
	clickMap(t, ctx, 0.65, 0.6)
	waitFor(t, ctx, "unloading place picked", `/^\d/.test(document.getElementById("w-unloading-point").textContent)`)
	must(t, ctx, "route along roads", chromedp.Click(chromedp.ID("wAlongRoads")))
	waitFor(t, ctx, "route planned", `parseInt(document.getElementById("wRouteInfo").textContent, 10) > 2`)

	// Without an escort the issue is refused, naming the rule and the field.
	must(t, ctx, "issue", chromedp.Click(chromedp.ID("wissue")))
	waitFor(t, ctx, "rule named", `document.querySelector('#issueErrors li[data-rule="escort_qualified"]') !== null`)
	waitFor(t, ctx, "escort field marked", `document.querySelector('[data-field="escort_id"].is-error .el-form-item__error') !== null`)
	if n := must(t, ctx, "fields marked", chromedp.Evaluate[int](`document.querySelectorAll("#waybillForm .el-form-item.is-error").length`)); n != 1 {
		t.Errorf("%d fields marked in error, want only the escort", n)
	}
	if rules := must(t, ctx, "rules", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#issueErrors li")].map(l => l.dataset.rule)`)); len(rules) != 1 {
		t.Errorf("issue refused for %v, want only escort_qualified", rules)
	}
	screenshot(t, ctx, "3-issue-refused")

	// With the escort the waybill is issued and its detail opens.
	pickOption(t, ctx, "escort_id", escort)
	must(t, ctx, "issue again", chromedp.Click(chromedp.ID("wissue")))
	waitFor(t, ctx, "issued", `document.querySelector('#wState[data-state="issued"]') !== null`)
	waitLong(t, ctx, "new route drawn", `Number(document.querySelector('[data-testid="waybill-map"]')?.dataset.drawn) > 0`, 30*time.Second)
	number := must(t, ctx, "number", chromedp.Text(chromedp.ID("wNumber")))
	if goods := must(t, ctx, "goods", chromedp.Text(chromedp.ID("wGoods"))); !strings.Contains(goods, "UN1830") || !strings.Contains(goods, "5 t") {
		t.Errorf("issued goods %q, want UN1830, 5 t", goods)
	}
	screenshot(t, ctx, "4-issued")

	// The trip starts: the move is recorded in the history.
	must(t, ctx, "start loading", chromedp.Evaluate[bool](`document.querySelector('.wmove[data-to="loading"]').click(), true`))
	waitFor(t, ctx, "note dialog", `document.getElementById("wMoveNote")?.offsetParent != null`)
	must(t, ctx, "note", chromedp.SendKeys(chromedp.ID("wMoveNote"), "到达装货地"))
	must(t, ctx, "confirm the move", chromedp.Click(chromedp.ID("wMoveGo")))
	waitFor(t, ctx, "loading", `document.querySelector('#wState[data-state="loading"]') !== null`)
	waitFor(t, ctx, "move in the history", `document.querySelector('#wTimeline li[data-action="transition"]') !== null`)
	waitFor(t, ctx, "dialog closed", `document.getElementById("wMoveNote")?.offsetParent == null && document.querySelector(".el-overlay-dialog.is-closing") === null`)

	// The printable page shows the number and the QR code.
	must(t, ctx, "print view", chromedp.Click(chromedp.ID("wPrint")))
	waitFor(t, ctx, "QR code loaded", `(() => { const i = document.getElementById("wQr"); return !!i && i.complete && i.naturalWidth > 0 })()`)
	if n := must(t, ctx, "printed number", chromedp.Text(chromedp.ID("wPrintNumber"))); n != number {
		t.Errorf("print view shows %q, want %q", n, number)
	}
	if hidden := must(t, ctx, "print button", chromedp.Evaluate[bool](`document.getElementById("wDoPrint") !== null && !document.querySelector(".el-menu")`)); !hidden {
		t.Error("the print view has no print button, or shows the console's menu")
	}
	screenshot(t, ctx, "5-print")

	// A regulator reads every carrier's waybills of the city but writes none.
	must(t, ctx, "back to the console", chromedp.Navigate(p.URL+"/waybills"))
	waitFor(t, ctx, "list again", rows("wrows")+` > 0`)
	logOut(t, ctx)
	logIn(t, ctx, "chengdu.regulator", demo.UserPassword)
	must(t, ctx, "open the waybills", chromedp.Evaluate[bool](`document.querySelector('[data-menu="waybills"]').click(), true`))
	waitFor(t, ctx, "the city's waybills", rows("wrows")+` >= 6`)
	if n := must(t, ctx, "write buttons", chromedp.Evaluate[int](`document.querySelectorAll("#wcreate, #wrows .wedit").length`)); n != 0 {
		t.Errorf("the regulator is offered %d write buttons", n)
	}
	waitFor(t, ctx, "carrier filter", `document.getElementById("woperator") !== null`)
	must(t, ctx, "open a waybill", chromedp.Evaluate[bool](`document.querySelector("#wrows .wlink").click(), true`))
	waitFor(t, ctx, "detail", `document.getElementById("wState") !== null && document.querySelectorAll("#wTimeline li").length > 0`)
	if n := must(t, ctx, "moves", chromedp.Evaluate[int](`document.querySelectorAll(".wmove, #wEdit").length`)); n != 0 {
		t.Errorf("the regulator is offered %d state changes", n)
	}
}
