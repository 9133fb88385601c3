package tests

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/jiaotong-platform/jiaotong/internal/demo"
	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
	"github.com/jiaotong-platform/jiaotong/internal/sim"
)

// logIn fills the login form; the console must be showing it.
func logIn(t *testing.T, ctx context.Context, username, password string) {
	t.Helper()
	must(t, ctx, "login form", chromedp.WaitVisible(chromedp.ID("loginForm")))
	typeInto(t, ctx, "username", username)
	typeInto(t, ctx, "password", password)
	must(t, ctx, "submit", chromedp.Click(chromedp.CSS(`#loginForm button[type=submit]`)))
	must(t, ctx, "console shown", chromedp.WaitVisible(chromedp.ID("app")))
}

// logOut returns to the login form.
func logOut(t *testing.T, ctx context.Context) {
	t.Helper()
	must(t, ctx, "log out", chromedp.Click(chromedp.ID("logout")))
	waitFor(t, ctx, "login form again", `document.getElementById("loginForm")?.offsetParent != null`)
}

// pressEmergency registers a coach of an enterprise of the county, connects
// its terminal and reports a position with the emergency bit set: the
// monitor raises an SOS alarm (紧急报警) in that county.
func pressEmergency(t *testing.T, p *platform, county string) (plate string) {
	t.Helper()
	sys := access.With(context.Background(), access.System)
	ops, _, err := p.App.Registry.Operators(sys, registry.Filter{Region: county, Limit: 1})
	if err != nil || len(ops) == 0 {
		t.Fatalf("an enterprise of %s: %v", county, err)
	}
	v, err := p.App.Registry.CreateVehicle(sys, registry.VehicleFields{Plate: registrytest.Plate("川", "A", 7070), PlateColor: registry.PlateYellow,
		VIN: registrytest.VIN(7070), Category: registry.CategoryCoach, Seats: 45, OperatorID: ops[0].ID, Region: county,
		TransportCertNo: county + "7070", TransportCertUntil: civil.Today().AddDays(400), TerminalPhone: "14870700001"})
	if err != nil {
		t.Fatalf("register the coach: %v", err)
	}
	term, err := connectProbe(jt808Address(t, p.Stdout.String()), sim.VehicleOf(v, nil))
	if err != nil {
		t.Fatalf("connect its terminal: %v", err)
	}
	t.Cleanup(term.close)
	if err := term.location(1, time.Now()); err != nil {
		t.Fatalf("report the emergency: %v", err)
	}
	return v.Plate
}

// menuItems lists the data-menu keys of the side menu.
func menuItems(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return must(t, ctx, "menu items", chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-menu]")].map(e => e.dataset.menu)`))
}

// The operations a monitoring center works through in the console: the
// dashboard and the command-center screen, an alarm from raised to closed,
// and a platform check sent by the city's regulator and answered by an
// enterprise; the menus follow each user's role.
func TestIntegrationConsoleOperationsInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the platform and a browser")
	}
	ctx := browser(t)
	p := start(t, testConfig(t))
	defer screenshotOnFailure(t, ctx)
	// The demo fleet raises alarms of its own, when it happens to; an
	// emergency button pressed in Jinjiang makes sure there is one now.
	sosPlate := pressEmergency(t, p, "510104")

	// --- the county monitoring center (锦江区监控中心) ---
	must(t, ctx, "open the console", chromedp.Navigate(p.URL+"/dashboard"))
	logIn(t, ctx, "jinjiang.monitor", demo.UserPassword)
	waitFor(t, ctx, "dashboard menu", `document.querySelector('[data-menu="dashboard"]') !== null`)
	items := menuItems(t, ctx)
	for _, want := range []string{"dashboard", "map", "alarms", "playback", "checks", "bigscreen", "routes"} {
		if !strings.Contains(strings.Join(items, ","), want) {
			t.Errorf("the monitoring officer's menu %v lacks %s", items, want)
		}
	}

	// The dashboard: today's indicators, the alarm trend of the last seven
	// days (every day present), the rankings.
	waitFor(t, ctx, "dashboard loaded", `document.getElementById("dashboard")?.dataset.loaded === "true"`)
	if n := must(t, ctx, "KPI tiles", chromedp.Evaluate[int](`document.querySelectorAll("[data-kpi]").length`)); n != 6 {
		t.Errorf("%d indicator tiles, want 6 (入网率, 上线率, 轨迹完整率, 数据合格率, 漂移率, 查岗响应率)", n)
	}
	waitFor(t, ctx, "alarm trend of 7 days drawn", `document.querySelector("#trendChart")?.dataset.points === "7" && document.querySelector("#trendChart canvas") !== null`)
	// The rankings have the county's bar once the emergency is stored; the
	// page's figures are reloaded (by switching the period) until they do.
	waitLong(t, ctx, "alarms ranked by region", `(() => { const ok = Number(document.querySelector("#regionChart")?.dataset.points) > 0;
		if (!ok && !window.__dashReload) { window.__dashReload = setInterval(() => document.querySelector(".el-radio-button:not(.is-active) input")?.click(), 5000) }
		return ok })()`, 150*time.Second)
	if labels := must(t, ctx, "KPI labels", chromedp.Evaluate[string](`[...document.querySelectorAll("[data-kpi] span")].map(s => s.textContent).join(",")`)); !strings.Contains(labels, "入网率") || !strings.Contains(labels, "漂移率") {
		t.Errorf("indicator tiles %q are not labelled in Chinese", labels)
	}
	screenshot(t, ctx, "1-dashboard")

	// The command-center screen (大屏): the fleet on the map, the figures,
	// full window without the console's frame.
	must(t, ctx, "open the big screen", chromedp.Evaluate[bool](`document.getElementById("openBigscreen").click(), true`))
	waitFor(t, ctx, "big screen shown", `document.getElementById("bigscreen") !== null && document.getElementById("app") === null`)
	waitLong(t, ctx, "fleet on the big screen", `Number(document.getElementById("bigscreen").dataset.fleet) > 0`, 30*time.Second)
	waitFor(t, ctx, "trend on the big screen", `document.getElementById("bigscreen").dataset.trendDays === "7"`)
	screenshot(t, ctx, "2-bigscreen")
	must(t, ctx, "leave the big screen", chromedp.Click(chromedp.ID("leaveBigscreen")))
	waitFor(t, ctx, "back on the dashboard", `document.getElementById("dashboard") !== null`)

	// The vehicle card names the vehicle's main driver (主驾驶员) and the
	// validity of the licences.
	must(t, ctx, "open the map", chromedp.Click(chromedp.CSS(`[data-menu="map"]`)))
	waitFor(t, ctx, "vehicles listed", `document.querySelectorAll("#mapVehicles li").length > 0`)
	// A demo vehicle (the coach with the emergency has no driver registered).
	must(t, ctx, "open a vehicle", chromedp.Evaluate[bool](`[...document.querySelectorAll("#mapVehicles li")].find(li => !li.textContent.includes(`+strconv.Quote(sosPlate)+`)).click(), true`))
	waitFor(t, ctx, "the driver on the card", `(document.querySelector("#cardDriver .driver-name")?.textContent ?? "").trim().length >= 2`)
	waitFor(t, ctx, "licence validity on the card", `document.querySelectorAll("#cardLicences dt").length >= 2`)
	screenshot(t, ctx, "2b-vehicle-card-driver")

	// An alarm end to end: acknowledged, handled with the action taken,
	// reviewed and closed by the same center (it holds both permissions).
	must(t, ctx, "open the alarm center", chromedp.Click(chromedp.CSS(`[data-menu="alarms"]`)))
	waitLong(t, ctx, "a raised alarm listed", `(() => { const ok = document.querySelector("#arows .act-acknowledge") !== null;
		if (!ok) document.getElementById("asearch")?.click(); return ok })()`, 120*time.Second)
	// The rows move as new alarms arrive: the one worked on is found by its
	// state (no other alarm leaves "raised" in this test).
	act := func(step, button, from, state string, fill func()) {
		t.Helper()
		must(t, ctx, step, chromedp.Evaluate[bool](`[...document.querySelectorAll("#arows .el-table__body tr.el-table__row")].find(r => r.querySelector('.state[data-state="`+from+`"]') && r.querySelector(".`+button+`")).querySelector(".`+button+`").click(), true`))
		waitFor(t, ctx, step+" form", `document.getElementById("actSubmit")?.offsetParent != null`)
		fill()
		must(t, ctx, "confirm "+step, chromedp.Click(chromedp.ID("actSubmit")))
		waitFor(t, ctx, "alarm "+state, `document.querySelector('#arows .state[data-state="`+state+`"]') !== null && document.querySelector(".el-overlay-dialog.is-closing") === null && document.getElementById("actSubmit")?.offsetParent == null`)
	}
	act("acknowledge", "act-acknowledge", "raised", "acknowledged", func() {
		must(t, ctx, "notes", chromedp.SendKeys(chromedp.ID("actNotes"), "已收到"))
	})
	act("handle", "act-handle", "acknowledged", "handled", func() {
		must(t, ctx, "action", chromedp.SendKeys(chromedp.ID("actAction"), "已电话提醒驾驶员减速"))
	})
	screenshot(t, ctx, "3-alarm-handled")
	act("close", "act-close", "handled", "closed", func() {
		must(t, ctx, "review notes", chromedp.SendKeys(chromedp.ID("actNotes"), "处置得当，予以关闭"))
	})
	screenshot(t, ctx, "4-alarm-closed")
	logOut(t, ctx)

	// --- the city regulator sends a platform check (查岗) ---
	entAPI := login(t, p.URL, "ronghua.enterprise", demo.UserPassword)
	var entMe struct {
		Scope struct {
			OperatorID   int64  `json:"operator_id"`
			OperatorName string `json:"operator_name"`
		} `json:"scope"`
	}
	entAPI.do("GET", "/api/v1/auth/me", nil, &entMe)
	if entMe.Scope.OperatorName == "" {
		t.Fatal("the enterprise user's scope names no enterprise")
	}
	logIn(t, ctx, "chengdu.regulator", demo.UserPassword)

	// The city's map filters the fleet by region (county).
	must(t, ctx, "open the map", chromedp.Navigate(p.URL+"/map"))
	waitFor(t, ctx, "region filter", `document.querySelector("#mapRegion") !== null && Number(document.getElementById("map")?.dataset.vehicles) > 0`)
	all := must(t, ctx, "vehicles shown", chromedp.Evaluate[int](`Number(document.getElementById("map").dataset.vehicles)`))
	must(t, ctx, "open the region list", chromedp.Click(chromedp.CSS(`#mapRegion`)))
	waitFor(t, ctx, "锦江区 offered", `[...document.querySelectorAll(".el-select-dropdown__item")].some(li => li.offsetParent !== null && li.textContent.trim() === "锦江区")`)
	must(t, ctx, "choose 锦江区", chromedp.Evaluate[bool](`[...document.querySelectorAll(".el-select-dropdown__item")].find(li => li.offsetParent !== null && li.textContent.trim() === "锦江区").click(), true`))
	waitFor(t, ctx, "list closed", `[...document.querySelectorAll(".el-select__popper")].every(p => getComputedStyle(p).display === "none")`)
	waitFor(t, ctx, "only the county's vehicles", `(() => { const n = Number(document.getElementById("map").dataset.vehicles); return n > 0 && n < `+strconv.Itoa(all)+` })()`)
	screenshot(t, ctx, "4b-map-region")

	must(t, ctx, "open checks", chromedp.Navigate(p.URL+"/checks"))
	waitFor(t, ctx, "check form", `document.getElementById("checkForm") !== null`)
	question := "请报告当前值班人员姓名（" + time.Now().Format("150405") + "）"
	must(t, ctx, "type the question", chromedp.SendKeys(chromedp.ID("checkQuestion"), question))
	must(t, ctx, "open the enterprise list", chromedp.Click(chromedp.CSS(`#checkForm [data-field="operator_id"] .el-select__wrapper`)))
	waitFor(t, ctx, "the enterprise offered", `[...document.querySelectorAll(".el-select-dropdown__item")].some(li => li.offsetParent !== null && li.textContent.trim() === `+strconv.Quote(entMe.Scope.OperatorName)+`)`)
	must(t, ctx, "choose the enterprise", chromedp.Evaluate[bool](`[...document.querySelectorAll(".el-select-dropdown__item")].find(li => li.offsetParent !== null && li.textContent.trim() === `+strconv.Quote(entMe.Scope.OperatorName)+`).click(), true`))
	waitFor(t, ctx, "list closed", `[...document.querySelectorAll(".el-select__popper")].every(p => getComputedStyle(p).display === "none")`)
	must(t, ctx, "send", chromedp.Click(chromedp.ID("checkSend")))
	waitFor(t, ctx, "check pending in the list", `[...document.querySelectorAll("#checkRows .el-table__body tr.el-table__row")].some(r => r.textContent.includes(`+strconv.Quote(question)+`) && r.querySelector('.cstatus[data-status="pending"]'))`)
	screenshot(t, ctx, "5-check-sent")
	logOut(t, ctx)

	// --- the enterprise answers it; its menu has no regulator pages ---
	logIn(t, ctx, "ronghua.enterprise", demo.UserPassword)
	waitFor(t, ctx, "menu", `document.querySelector('[data-menu="map"]') !== null`)
	items = menuItems(t, ctx)
	if strings.Contains(strings.Join(items, ","), "bigscreen") {
		t.Errorf("the enterprise's menu %v offers the command-center screen", items)
	}
	if !strings.Contains(strings.Join(items, ","), "checks") {
		t.Errorf("the enterprise's menu %v has no platform checks to answer", items)
	}
	must(t, ctx, "try the big screen", chromedp.Navigate(p.URL+"/bigscreen"))
	waitFor(t, ctx, "sent back into the console", `document.getElementById("app") !== null && document.getElementById("bigscreen") === null`)
	must(t, ctx, "open checks", chromedp.Click(chromedp.CSS(`[data-menu="checks"]`)))
	waitFor(t, ctx, "the check to answer", `[...document.querySelectorAll("#checkRows .el-table__body tr.el-table__row")].some(r => r.textContent.includes(`+strconv.Quote(question)+`) && r.querySelector(".canswer"))`)
	if n := must(t, ctx, "send form", chromedp.Evaluate[bool](`document.getElementById("checkForm") !== null`)); n {
		t.Error("an enterprise is offered the form to send platform checks")
	}
	must(t, ctx, "answer", chromedp.Evaluate[bool](`[...document.querySelectorAll("#checkRows .el-table__body tr.el-table__row")].find(r => r.textContent.includes(`+strconv.Quote(question)+`)).querySelector(".canswer").click(), true`))
	waitFor(t, ctx, "answer dialog", `document.getElementById("checkAnswer")?.offsetParent != null`)
	must(t, ctx, "type the answer", chromedp.SendKeys(chromedp.ID("checkAnswer"), "值班员张三在岗"))
	screenshot(t, ctx, "6-check-answer")
	must(t, ctx, "send the answer", chromedp.Click(chromedp.ID("checkAnswerGo")))
	waitFor(t, ctx, "answer dialog closed", `document.getElementById("checkAnswer")?.offsetParent == null`)
	logOut(t, ctx)

	// --- the regulator sees the answer and the response rate ---
	logIn(t, ctx, "chengdu.regulator", demo.UserPassword)
	must(t, ctx, "open checks", chromedp.Navigate(p.URL+"/checks"))
	waitFor(t, ctx, "answered in time", `[...document.querySelectorAll("#checkRows .el-table__body tr.el-table__row")].some(r => r.textContent.includes(`+strconv.Quote(question)+`) && r.textContent.includes("值班员张三在岗") && r.querySelector('.cstatus[data-status="answered"]'))`)
	if vis := must(t, ctx, "status shown", chromedp.Evaluate[bool](`[...document.querySelectorAll("#checkRows .cstatus")].every(e => e.getBoundingClientRect().width > 0 && getComputedStyle(e).opacity === "1" && e.textContent.trim() !== "")`)); !vis {
		t.Error("the checks' status tags are not visible")
	}
	waitFor(t, ctx, "response rate of the enterprise", `[...document.querySelectorAll("#checkStats .el-table__body tr.el-table__row")].some(r => r.textContent.includes(`+strconv.Quote(entMe.Scope.OperatorName)+`) && r.querySelector(".rate").textContent.includes("%"))`)
	screenshot(t, ctx, "7-check-answered")
}

// The route form draws a corridor on the map: vertices added by clicks,
// moved by dragging, deleted by a right-click; the registry stores what was
// drawn.
func TestIntegrationConsoleRouteCorridorInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the platform and a browser")
	}
	ctx := browser(t)
	p := start(t, testConfig(t))
	defer screenshotOnFailure(t, ctx)
	admin := login(t, p.URL, "admin", adminPassword)

	// A demo route gives a coach operator and two stations to use.
	var routes page
	admin.do("GET", "/api/v1/routes?page_size=1", nil, &routes)
	if len(routes.Items) == 0 {
		t.Fatal("the demo has no route")
	}
	var demoRoute struct {
		OperatorID    int64  `json:"operator_id"`
		Region        string `json:"region"`
		Origin        int64  `json:"origin_station_id"`
		Destination   int64  `json:"destination_station_id"`
		LineClass     string `json:"line_class"`
		CorridorWidth int    `json:"corridor_width_m"`
	}
	_ = json.Unmarshal(routes.Items[0], &demoRoute)

	must(t, ctx, "open the routes", chromedp.Navigate(p.URL+"/registry/routes"))
	logIn(t, ctx, "admin", adminPassword)
	waitFor(t, ctx, "routes listed", rows("vrows")+` > 0`)
	must(t, ctx, "new route", chromedp.Click(chromedp.ID("rcreate")))
	must(t, ctx, "record form", chromedp.WaitVisible(chromedp.ID("recordForm")))
	code := "E2E-" + time.Now().Format("150405")
	for field, value := range map[string]string{"code": code, "name": "浏览器测试班线", "region": demoRoute.Region} {
		must(t, ctx, "type "+field, chromedp.SendKeys(chromedp.CSS(`[data-field="`+field+`"] input`), value))
	}
	for field, value := range map[string]int64{"operator_id": demoRoute.OperatorID, "origin_station_id": demoRoute.Origin, "destination_station_id": demoRoute.Destination, "corridor_width_m": 800} {
		must(t, ctx, "type "+field, chromedp.SendKeys(chromedp.CSS(`[data-field="`+field+`"] input`), strconv.FormatInt(value, 10)+"\t"))
	}
	selectOption(t, ctx, "line_class", "四类班线")

	// Draw: three clicks, then drag the middle vertex down, then delete the
	// last one with a right-click and add another end.
	waitLong(t, ctx, "corridor map ready", `(() => { const c = document.querySelector("#corridorMap canvas"); return c !== null && c.width > 100 })()`, 30*time.Second)
	must(t, ctx, "scroll the map into view", chromedp.ScrollIntoView(chromedp.ID("corridorMap")))
	time.Sleep(500 * time.Millisecond) // the dialog's scroll settles; clicks below go by page coordinates
	box := must(t, ctx, "map box", chromedp.Evaluate[[]float64](`(() => { const r = document.getElementById("corridorMap").getBoundingClientRect(); return [r.left, r.top, r.width, r.height] })()`))
	at := func(fx, fy float64) (float64, float64) { return box[0] + fx*box[2], box[1] + fy*box[3] }
	click := func(step string, fx, fy float64, opts ...chromedp.MouseOption) {
		t.Helper()
		x, y := at(fx, fy)
		must(t, ctx, step, chromedp.MouseClickXY(x, y, opts...))
	}
	vertices := func() int {
		return must(t, ctx, "vertices", chromedp.Evaluate[int](`Number(document.getElementById("corridorMap").dataset.vertices)`))
	}
	coords := func() [][]float64 {
		var c [][]float64
		raw := must(t, ctx, "coordinates", chromedp.Evaluate[string](`document.getElementById("corridorMap").dataset.coords`))
		_ = json.Unmarshal([]byte(raw), &c)
		return c
	}
	click("first vertex", 0.2, 0.3)
	click("second vertex", 0.5, 0.4)
	click("third vertex", 0.8, 0.3)
	// The map draws a change a moment later; a vertex can be grabbed once it is drawn.
	rendered := func(step string) {
		t.Helper()
		waitFor(t, ctx, step+" drawn", `(() => { const d = document.getElementById("corridorMap").dataset; return d.drawn === d.coords })()`)
	}
	waitFor(t, ctx, "three vertices", `document.getElementById("corridorMap").dataset.vertices === "3"`)
	rendered("three vertices")
	before := coords()

	// Drag the middle vertex 60 px down.
	x, y := at(0.5, 0.4)
	must(t, ctx, "press on the middle vertex", chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	for _, dy := range []float64{20, 40, 60} {
		must(t, ctx, "drag", chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y+dy, chromedp.ButtonLeft))
	}
	must(t, ctx, "release", chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x, y+60, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	waitFor(t, ctx, "middle vertex moved", `JSON.parse(document.getElementById("corridorMap").dataset.coords)[1][1] !== `+strconv.FormatFloat(before[1][1], 'f', -1, 64))
	if n := vertices(); n != 3 {
		t.Errorf("after the drag %d vertices, want still 3", n)
	}
	moved := coords()
	if !(moved[1][1] < before[1][1]) {
		t.Errorf("the vertex dragged down went from latitude %v to %v, want further south", before[1][1], moved[1][1])
	}
	rendered("the moved vertex")
	click("delete the last vertex", 0.8, 0.3, chromedp.ButtonRight)
	waitFor(t, ctx, "two vertices", `document.getElementById("corridorMap").dataset.vertices === "2"`)
	rendered("two vertices")
	click("a new end", 0.85, 0.6)
	waitFor(t, ctx, "three vertices again", `document.getElementById("corridorMap").dataset.vertices === "3"`)
	drawn := coords()
	screenshot(t, ctx, "1-corridor-drawn")

	must(t, ctx, "save", chromedp.Click(chromedp.ID("rsave")))
	waitFor(t, ctx, "form closed after save", `document.getElementById("recordForm") === null || document.getElementById("recordForm").offsetParent === null`)

	var saved page
	admin.do("GET", "/api/v1/routes?q="+code, nil, &saved)
	if len(saved.Items) != 1 {
		t.Fatalf("route %s saved %d times", code, len(saved.Items))
	}
	var route struct {
		ID       int64 `json:"id"`
		Corridor struct {
			Type        string      `json:"type"`
			Coordinates [][]float64 `json:"coordinates"`
		} `json:"corridor"`
		Width int `json:"corridor_width_m"`
	}
	_ = json.Unmarshal(saved.Items[0], &route)
	if route.Corridor.Type != "LineString" || len(route.Corridor.Coordinates) != 3 || route.Width != 800 {
		t.Fatalf("stored corridor %+v width %d, want the 3 drawn vertices, 800 m", route.Corridor, route.Width)
	}
	for i := range drawn {
		if route.Corridor.Coordinates[i][0] != drawn[i][0] || route.Corridor.Coordinates[i][1] != drawn[i][1] {
			t.Errorf("vertex %d stored %v, drawn %v", i, route.Corridor.Coordinates[i], drawn[i])
		}
	}

	// Editing shows the stored corridor again.
	typeInto(t, ctx, "vq", code)
	must(t, ctx, "search", chromedp.Click(chromedp.ID("vsearch")))
	waitFor(t, ctx, "the new route listed", rows("vrows")+` === 1`)
	must(t, ctx, "edit it", chromedp.Evaluate[bool](`document.querySelector("#vrows .redit").click(), true`))
	waitFor(t, ctx, "its corridor shown", `document.getElementById("corridorMap")?.dataset.vertices === "3"`)
	screenshot(t, ctx, "2-corridor-edit")
}
