package tests

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/jiaotong-platform/jiaotong/internal/demo"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
)

// chromiumPath finds the browser for the end-to-end tests: JIAOTONG_E2E_CHROMIUM,
// else Debian's chromium on the PATH.
func chromiumPath() string {
	if p := os.Getenv("JIAOTONG_E2E_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser starts a headless Chromium for the test, or skips when there is
// none (fails under CI, which installs it). Page exceptions and console
// errors and warnings are logged: they explain most failures.
func browser(t *testing.T) context.Context {
	t.Helper()
	return startBrowser(t, nil, func(kind, msg string) { t.Logf("%s: %s", kind, msg) })
}

// startBrowser starts Chromium with the options every console test needs
// plus extra, and hands each page exception ("page exception") and console
// error or warning ("console error", "console warning") to report.
func startBrowser(t *testing.T, extra []chromedp.ExecAllocatorOption, report func(kind, msg string)) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		msg := "no Chromium found (install Debian's chromium or set JIAOTONG_E2E_CHROMIUM)"
		if sqldbtest.RequireServices() {
			t.Fatal(msg)
		}
		t.Skip("SKIP browser: " + msg)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// WebGL for the map on a machine without a GPU: Chromium's software
		// renderer, which it no longer falls back to by itself.
		chromedp.Flag("enable-unsafe-swiftshader", true),
		chromedp.Flag("use-angle", "swiftshader"),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
	)
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg := ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
			report("page exception", msg)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				var parts []string
				for _, a := range ev.Args {
					if len(a.Value) > 0 {
						parts = append(parts, string(a.Value))
					} else {
						parts = append(parts, a.Description)
					}
				}
				report("console "+string(ev.Type), strings.Join(parts, " "))
			}
		}
	})
	if err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// screenshot keeps what the browser shows as a test artifact in
// tests/e2e/screenshots, named after the test and the step.
func screenshot(t *testing.T, ctx context.Context, step string) {
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", step, err)
		return
	}
	dir := filepath.Join("e2e", "screenshots")
	_ = os.MkdirAll(dir, 0o755)
	file := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+"-"+step+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Logf("screenshot %s: %v", step, err)
	}
}

// screenshotOnFailure keeps what the browser showed when a step failed.
func screenshotOnFailure(t *testing.T, ctx context.Context) {
	if t.Failed() {
		screenshot(t, ctx, "failed")
		if where, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`)); err == nil {
			t.Logf("page at failure: %s", where)
		}
	}
}

// must runs one browser action and fails the test, naming the step, when it
// does not succeed.
func must[T any](t *testing.T, ctx context.Context, step string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds.
func waitFor(t *testing.T, ctx context.Context, step, cond string) {
	t.Helper()
	waitLong(t, ctx, step, cond, 15*time.Second)
}

// waitLong is waitFor for what takes the platform a while, such as the demo
// fleet's first alarms.
func waitLong(t *testing.T, ctx context.Context, step, cond string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(time.Until(deadline))))
		if err == nil {
			return
		}
		if !pageNavigated(err) || time.Now().After(deadline) {
			t.Fatalf("%s: %v", step, err)
		}
		// The page replaced its document while the condition was being
		// polled (a redirect after login): poll again in the new one.
		time.Sleep(100 * time.Millisecond)
	}
}

// pageNavigated reports whether err says the JavaScript context a query ran
// in went away because the page navigated.
func pageNavigated(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Cannot find context with specified id") ||
		strings.Contains(msg, "Execution context was destroyed") ||
		strings.Contains(msg, "Inspected target navigated or closed")
}

// typeInto replaces the text of an input the way a person does, so the
// page's own input handlers see it.
func typeInto(t *testing.T, ctx context.Context, id, text string) {
	t.Helper()
	must(t, ctx, "clear #"+id, chromedp.Evaluate[bool](`(() => { const el = document.getElementById(`+strconv.Quote(id)+`);
		el.value = ""; el.dispatchEvent(new Event("input", {bubbles: true})); return true })()`))
	must(t, ctx, "type into #"+id, chromedp.SendKeys(chromedp.ID(id), text))
}

// rows counts the body rows of an Element Plus table.
func rows(id string) string {
	return `document.querySelectorAll("#` + id + ` .el-table__body tr.el-table__row").length`
}

func TestIntegrationConsoleInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the platform and a browser")
	}
	ctx := browser(t)
	p := start(t, testConfig(t))
	defer screenshotOnFailure(t, ctx)

	must(t, ctx, "open the console", chromedp.Navigate(p.URL+"/"))
	must(t, ctx, "login form", chromedp.WaitVisible(chromedp.ID("loginForm")))
	if lang := must(t, ctx, "page language", chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "zh-CN" {
		t.Errorf("default language %q, want zh-CN", lang)
	}

	// A wrong password shows the server's reason and keeps the form.
	typeInto(t, ctx, "username", "jinjiang.monitor")
	typeInto(t, ctx, "password", "not-the-password")
	must(t, ctx, "submit", chromedp.Click(chromedp.CSS(`#loginForm button[type=submit]`)))
	waitFor(t, ctx, "login error shown", `document.getElementById("loginErr").textContent.length > 0`)
	if msg := must(t, ctx, "read login error", chromedp.Text(chromedp.ID("loginErr"))); !strings.Contains(msg, "密码") {
		t.Errorf("wrong password message %q does not explain the failure", msg)
	}
	screenshot(t, ctx, "1-login-refused")

	typeInto(t, ctx, "password", demo.UserPassword)
	must(t, ctx, "submit", chromedp.Click(chromedp.CSS(`#loginForm button[type=submit]`)))
	must(t, ctx, "console shown", chromedp.WaitVisible(chromedp.ID("app")))
	if who := must(t, ctx, "header", chromedp.Text(chromedp.ID("who"))); !strings.Contains(who, "锦江区") {
		t.Errorf("header shows %q, want the user's scope 锦江区", who)
	}

	// The menu follows the monitoring officer's permissions.
	for _, item := range []string{"overview", "map", "alarms", "playback"} {
		waitFor(t, ctx, "menu item "+item, `document.querySelector('[data-menu="`+item+`"]') !== null`)
	}

	// The overview counts the records in the user's scope.
	waitFor(t, ctx, "vehicle count tile", `document.querySelector('.stat[data-entity="vehicles"] b') !== null`)
	if total := must(t, ctx, "vehicle count", chromedp.Text(chromedp.CSS(`.stat[data-entity="vehicles"] b`))); total == "" || total == "0" || total == "—" {
		t.Errorf("vehicle count tile shows %q", total)
	}
	screenshot(t, ctx, "2-overview")

	// The vehicle registry lists only the county's vehicles.
	must(t, ctx, "open the registry menu", chromedp.Click(chromedp.CSS(`.el-sub-menu__title`)))
	must(t, ctx, "vehicles menu item", chromedp.WaitVisible(chromedp.CSS(`[data-menu="vehicles"]`)))
	// The sub-menu slides open; click the item once it is there, by script,
	// so the click does not land where the item was a moment ago.
	must(t, ctx, "open vehicles", chromedp.Evaluate[bool](`document.querySelector('[data-menu="vehicles"]').click(), true`))
	waitFor(t, ctx, "vehicles listed", rows("vrows")+` > 0`)
	firstPlate := must(t, ctx, "first plate", chromedp.Text(chromedp.CSS(`#vrows .el-table__body tr.el-table__row td .cell`)))
	if !strings.HasPrefix(firstPlate, "川A") {
		t.Errorf("first vehicle plate %q, want a Chengdu plate", firstPlate)
	}
	regions := must(t, ctx, "regions listed", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#vrows .el-table__body tr.el-table__row")].map(r => r.children[5].textContent.trim())`))
	for _, r := range regions {
		if r != "510104" {
			t.Errorf("county user sees a vehicle of region %q", r)
		}
	}

	// Searching narrows the list to the plate searched for.
	typeInto(t, ctx, "vq", firstPlate)
	must(t, ctx, "search", chromedp.Click(chromedp.ID("vsearch")))
	waitFor(t, ctx, "one vehicle found", rows("vrows")+` === 1`)
	screenshot(t, ctx, "3-vehicles")

	// The live map draws the fleet from the live states, then keeps it
	// current over the WebSocket.
	must(t, ctx, "open the map", chromedp.Click(chromedp.CSS(`[data-menu="map"]`)))
	waitFor(t, ctx, "vehicles in the map's list", `document.querySelectorAll("#mapVehicles li").length > 0`)
	waitFor(t, ctx, "live link up", `document.getElementById("liveStatus").classList.contains("ok")`)
	waitLong(t, ctx, "vehicle markers drawn on the map", `Number(document.getElementById("map").dataset.rendered) > 0`, 30*time.Second)
	waitLong(t, ctx, "positions arriving live", `Number(document.getElementById("map").dataset.liveUpdates) > 0`, 45*time.Second)
	// Zoomed out, nearby vehicles merge into clusters labelled with their count.
	for i := 0; i < 4; i++ {
		must(t, ctx, "zoom out", chromedp.Click(chromedp.CSS(`.maplibregl-ctrl-zoom-out`)))
	}
	waitFor(t, ctx, "clusters at low zoom", `[...document.querySelectorAll("#map .cluster-label")].some(l => Number(l.textContent) > 1)`)
	screenshot(t, ctx, "4a-clusters")
	must(t, ctx, "open a vehicle", chromedp.Click(chromedp.CSS(`#mapVehicles li`)))
	must(t, ctx, "vehicle card", chromedp.WaitVisible(chromedp.ID("vehicleCard")))
	waitFor(t, ctx, "live speed on the card", `(document.getElementById("cardSpeed")?.textContent ?? "").includes("km/h")`)
	screenshot(t, ctx, "4b-vehicle-card")

	// The alarm center lists the alarms the demo fleet raises, and an
	// officer works one through.
	must(t, ctx, "open the alarm center", chromedp.Click(chromedp.CSS(`[data-menu="alarms"]`)))
	waitLong(t, ctx, "alarms listed", `(() => { const n = `+rows("arows")+`; if (n === 0) document.getElementById("asearch")?.click(); return n > 0 })()`, 90*time.Second)
	screenshot(t, ctx, "5-alarms")
	must(t, ctx, "acknowledge", chromedp.Evaluate[bool](`document.querySelector("#arows .act-acknowledge").click(), true`))
	waitFor(t, ctx, "notes", `document.getElementById("actNotes")?.offsetParent != null`)
	must(t, ctx, "type notes", chromedp.SendKeys(chromedp.ID("actNotes"), "已电话提醒驾驶员"))
	must(t, ctx, "confirm", chromedp.Click(chromedp.ID("actSubmit")))
	waitFor(t, ctx, "alarm acknowledged", `document.querySelector('#arows .state[data-state="acknowledged"]') !== null`)
	screenshot(t, ctx, "6-alarm-acknowledged")
	must(t, ctx, "alarm detail", chromedp.Evaluate[bool](`document.querySelector("#arows .act-detail").click(), true`))
	waitFor(t, ctx, "evidence drawn on a map", `Number(document.querySelector(".el-dialog .evidence")?.dataset.drawn) > 0`)
	screenshot(t, ctx, "6b-alarm-detail")
	must(t, ctx, "close the detail", chromedp.Evaluate[bool](`[...document.querySelectorAll(".el-dialog__headerbtn")].find(b => b.offsetParent !== null).click(), true`))
	waitFor(t, ctx, "detail closed", `document.querySelector(".el-overlay-dialog.is-closing") === null && document.querySelector(".el-dialog .evidence") === null`)

	// English is one switch away; Chinese is the default.
	must(t, ctx, "choose English", chromedp.SetValue(chromedp.ID("lang"), "en"))
	must(t, ctx, "apply language", chromedp.Evaluate[bool](`document.getElementById("lang").dispatchEvent(new Event("change"))`))
	waitFor(t, ctx, "menu in English", `document.querySelector('[data-menu="alarms"]').textContent.trim() === "Alarm center"`)
	if heading := must(t, ctx, "heading", chromedp.Text(chromedp.CSS(`#app h2`))); heading != "Alarm center" {
		t.Errorf("after switching to English the heading is %q", heading)
	}
	screenshot(t, ctx, "7-english")

	// Logging out returns to the login form.
	must(t, ctx, "log out", chromedp.Click(chromedp.ID("logout")))
	waitFor(t, ctx, "login form again", `document.getElementById("loginForm")?.offsetParent != null`)
}

// badVehiclesXLSX writes the platform's own vehicle export back with two
// broken rows: a VIN whose check digit is wrong and an unknown region code.
// Starting from the export keeps the headers the import expects.
func badVehiclesXLSX(t *testing.T, admin *client) string {
	t.Helper()
	resp, err := admin.http.Get(admin.base + "/api/v1/registry/vehicles/export?format=xlsx&page_size=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export vehicles: status %d", resp.StatusCode)
	}
	f, err := excelize.OpenReader(resp.Body)
	if err != nil {
		t.Fatalf("read export: %v", err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	all, err := f.GetRows(sheet)
	if err != nil || len(all) < 2 {
		t.Fatalf("export has %d rows: %v", len(all), err)
	}
	header, sample := all[0], all[1]
	col := func(name string) int {
		for i, h := range header {
			if strings.Contains(h, name) {
				return i
			}
		}
		t.Fatalf("export has no column %q: %v", name, header)
		return -1
	}
	out := excelize.NewFile()
	defer out.Close()
	name := out.GetSheetName(0)
	row := func(n int, values []string) {
		for i, v := range values {
			cell, _ := excelize.CoordinatesToCellName(i+1, n)
			_ = out.SetCellStr(name, cell, v)
		}
	}
	row(1, header)
	badVIN := append([]string(nil), sample...)
	badVIN[col("车牌号码")] = "川A9E2E1"
	badVIN[col("车辆识别代号")] = "LZYLBYBR3RF134623" // check digit should be 2
	badVIN[col("终端手机号")] = ""
	row(2, badVIN)
	badRegion := append([]string(nil), sample...)
	badRegion[col("车牌号码")] = "川A9E2E2"
	badRegion[col("行政区划代码")] = "999999"
	badRegion[col("终端手机号")] = ""
	row(3, badRegion)
	file := filepath.Join(t.TempDir(), "车辆导入.xlsx")
	if err := out.SaveAs(file); err != nil {
		t.Fatal(err)
	}
	return file
}

// selectOption picks an option of an Element Plus select inside the form
// item of field, the way a person does: open it, click the option.
func selectOption(t *testing.T, ctx context.Context, field, option string) {
	t.Helper()
	must(t, ctx, "open select "+field, chromedp.Click(chromedp.CSS(`[data-field="`+field+`"] .el-select__wrapper`)))
	waitFor(t, ctx, "option "+option, `[...document.querySelectorAll(".el-select-dropdown__item")].some(li => li.offsetParent !== null && li.textContent.trim() === `+strconv.Quote(option)+`)`)
	must(t, ctx, "choose "+option, chromedp.Evaluate[bool](`[...document.querySelectorAll(".el-select-dropdown__item")].find(li => li.offsetParent !== null && li.textContent.trim() === `+strconv.Quote(option)+`).click(), true`))
	// The list fades out over the fields below it: a click there before it
	// has gone would pick one of its options instead.
	waitFor(t, ctx, "list of "+field+" closed", `[...document.querySelectorAll(".el-select__popper")].every(p => getComputedStyle(p).display === "none")`)
}

func TestIntegrationConsoleRegistryInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the platform and a browser")
	}
	ctx := browser(t)
	p := start(t, testConfig(t))
	defer screenshotOnFailure(t, ctx)
	admin := login(t, p.URL, "admin", adminPassword)

	// A deep link survives the login: the server answers every client-side
	// route with the console, which sends the user back there.
	must(t, ctx, "open the vehicle registry", chromedp.Navigate(p.URL+"/registry/vehicles"))
	must(t, ctx, "login form", chromedp.WaitVisible(chromedp.ID("loginForm")))
	typeInto(t, ctx, "username", "admin")
	typeInto(t, ctx, "password", adminPassword)
	must(t, ctx, "submit", chromedp.Click(chromedp.CSS(`#loginForm button[type=submit]`)))
	waitFor(t, ctx, "vehicles listed", rows("vrows")+` > 0`)

	// A record the server refuses shows the reason under the field at fault.
	must(t, ctx, "new vehicle", chromedp.Click(chromedp.ID("rcreate")))
	must(t, ctx, "record form", chromedp.WaitVisible(chromedp.ID("recordForm")))
	for field, value := range map[string]string{"plate": "川A9E2E3", "vin": "LZYLBYBR3RF134623", "region": "510104"} {
		must(t, ctx, "type "+field, chromedp.SendKeys(chromedp.CSS(`[data-field="`+field+`"] input`), value))
	}
	must(t, ctx, "type operator", chromedp.SendKeys(chromedp.CSS(`[data-field="operator_id"] input`), "1\t"))
	must(t, ctx, "type seats", chromedp.SendKeys(chromedp.CSS(`[data-field="seats"] input`), "45\t"))
	selectOption(t, ctx, "plate_color", "黄")
	selectOption(t, ctx, "category", "班线客车")
	must(t, ctx, "save", chromedp.Click(chromedp.ID("rsave")))
	waitFor(t, ctx, "VIN error shown", `(document.querySelector('[data-field="vin"] .el-form-item__error')?.textContent ?? "").length > 0`)
	if msg := must(t, ctx, "VIN error", chromedp.Text(chromedp.CSS(`[data-field="vin"] .el-form-item__error`))); !strings.Contains(strings.ToUpper(msg), "VIN") && !strings.Contains(msg, "校验") {
		t.Errorf("VIN error %q does not name the problem", msg)
	}
	if n := must(t, ctx, "fields in error", chromedp.Evaluate[int](`document.querySelectorAll("#recordForm .el-form-item__error").length`)); n != 1 {
		t.Errorf("%d fields marked in error, want only the VIN", n)
	}
	screenshot(t, ctx, "1-vin-refused")
	must(t, ctx, "close the form", chromedp.Evaluate[bool](`document.querySelector(".el-dialog__headerbtn").click(), true`))
	waitFor(t, ctx, "form closed", `document.getElementById("recordForm")?.offsetParent == null`)

	// An edit is saved against the version it started from, and the change
	// history shows it.
	must(t, ctx, "edit the first vehicle", chromedp.Evaluate[bool](`document.querySelector("#vrows .redit").click(), true`))
	waitFor(t, ctx, "record form", `document.getElementById("recordForm")?.offsetParent != null`)
	must(t, ctx, "clear vehicle type", chromedp.Evaluate[bool](`(() => { const el = document.querySelector('[data-field="vehicle_type"] input');
		el.value = ""; el.dispatchEvent(new Event("input", {bubbles: true})); return true })()`))
	must(t, ctx, "type vehicle type", chromedp.SendKeys(chromedp.CSS(`[data-field="vehicle_type"] input`), "中型普通客车"))
	must(t, ctx, "save", chromedp.Click(chromedp.ID("rsave")))
	waitFor(t, ctx, "form closed after save", `document.getElementById("recordForm")?.offsetParent == null`)
	must(t, ctx, "history", chromedp.Evaluate[bool](`document.querySelector("#vrows .rhistory").click(), true`))
	waitFor(t, ctx, "change in the history", `[...document.querySelectorAll("#historyRows .el-table__body tr.el-table__row")].some(r => r.textContent.includes("中型普通客车"))`)
	screenshot(t, ctx, "1b-history")
	must(t, ctx, "close the history", chromedp.Evaluate[bool](`[...document.querySelectorAll(".el-dialog__headerbtn")].find(b => b.offsetParent !== null).click(), true`))
	waitFor(t, ctx, "history closed", `document.getElementById("historyRows")?.offsetParent == null && document.querySelector(".el-overlay-dialog.is-closing") === null`)

	// An import reports every rejected row with its reason.
	must(t, ctx, "import", chromedp.Click(chromedp.ID("rimport")))
	waitFor(t, ctx, "import dialog", `document.getElementById("importFile")?.offsetParent != null`)
	must(t, ctx, "choose the file", chromedp.SetUploadFiles(chromedp.ID("importFile"), []string{badVehiclesXLSX(t, admin)}))
	waitFor(t, ctx, "upload enabled", `!document.getElementById("importGo").disabled`)
	must(t, ctx, "upload", chromedp.Click(chromedp.ID("importGo")))
	waitFor(t, ctx, "import report", `document.getElementById("importSummary") !== null`)
	summary := must(t, ctx, "report summary", chromedp.Text(chromedp.ID("importSummary")))
	if !strings.Contains(summary, "失败 2 行") {
		t.Errorf("import summary %q, want 2 rows rejected", summary)
	}
	problems := must(t, ctx, "report rows", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#importErrors .el-table__body tr.el-table__row")].map(r => r.textContent)`))
	var sawVIN, sawRegion bool
	for _, p := range problems {
		sawVIN = sawVIN || strings.HasPrefix(p, "2")
		sawRegion = sawRegion || strings.HasPrefix(p, "3")
	}
	if !sawVIN || !sawRegion {
		t.Errorf("import report rows %q, want rows 2 and 3", problems)
	}
	screenshot(t, ctx, "2-import-report")

	// The other registries use the same page.
	for _, entity := range []string{"operators", "practitioners", "stations", "vessels"} {
		must(t, ctx, "open "+entity, chromedp.Navigate(p.URL+"/registry/"+entity))
		waitFor(t, ctx, entity+" listed", rows("vrows")+` > 0`)
	}

	// Track playback draws what the demo fleet has driven so far.
	var states page
	admin.do("GET", "/api/v1/monitor/live-states?page_size=1&sort=vehicle_id", nil, &states)
	if len(states.Items) == 0 {
		t.Fatal("no live vehicle to play back")
	}
	var v struct {
		VehicleID int64 `json:"vehicle_id"`
	}
	_ = json.Unmarshal(states.Items[0], &v)
	must(t, ctx, "open playback", chromedp.Navigate(p.URL+"/playback?vehicle="+itoa(v.VehicleID)))
	waitLong(t, ctx, "track points loaded", `(() => { const n = parseInt(document.getElementById("pbCount")?.textContent ?? "0", 10);
		if (!(n > 0)) document.getElementById("pbLoad")?.click(); return n > 0 })()`, 45*time.Second)
	screenshot(t, ctx, "3-playback")
}
