package waybill

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// Hazard classes and divisions of GB 6944-2012 (the UN classes), with the
// Chinese names the console shows.
var classLabels = map[string]string{
	"1": "第1类 爆炸品", "1.1": "1.1项 有整体爆炸危险的物质和物品", "1.2": "1.2项 有迸射危险的物质和物品",
	"1.3": "1.3项 有燃烧危险并有局部爆炸或迸射危险的物质和物品", "1.4": "1.4项 不呈现重大危险的物质和物品",
	"1.5": "1.5项 有整体爆炸危险的非常不敏感物质", "1.6": "1.6项 无整体爆炸危险的极端不敏感物品",
	"2": "第2类 气体", "2.1": "2.1项 易燃气体", "2.2": "2.2项 非易燃无毒气体", "2.3": "2.3项 毒性气体",
	"3": "第3类 易燃液体",
	"4": "第4类 易燃固体、易于自燃的物质、遇水放出易燃气体的物质", "4.1": "4.1项 易燃固体、自反应物质和固态退敏爆炸品",
	"4.2": "4.2项 易于自燃的物质", "4.3": "4.3项 遇水放出易燃气体的物质",
	"5": "第5类 氧化性物质和有机过氧化物", "5.1": "5.1项 氧化性物质", "5.2": "5.2项 有机过氧化物",
	"6": "第6类 毒性物质和感染性物质", "6.1": "6.1项 毒性物质", "6.2": "6.2项 感染性物质",
	"7": "第7类 放射性物质", "8": "第8类 腐蚀性物质", "9": "第9类 杂项危险物质和物品",
}

// ClassLabel returns the Chinese name of a class or division ("" when unknown).
func ClassLabel(c string) string { return classLabels[c] }

// mainClass returns the class of a class or division: "2.1" → "2".
func mainClass(c string) string {
	if i := strings.IndexByte(c, '.'); i > 0 {
		return c[:i]
	}
	return c
}

// covers reports whether an approval for class or division approved (a
// licence scope, a vehicle's approval) covers goods of class or division
// goods. A whole class covers its divisions; a division covers only itself.
func covers(approved, goods string) bool {
	return approved == goods || approved == mainClass(goods)
}

// coveredBy reports whether any of approved covers goods.
func coveredBy(approved []string, goods string) bool {
	for _, a := range approved {
		if covers(a, goods) {
			return true
		}
	}
	return false
}

// UNEntry is one UN number of the embedded ADR list.
type UNEntry struct {
	Number string `json:"number" doc:"4 digits"`
	// Class is the class as the list gives it ("2", "3", "6.1").
	Class string `json:"class"`
	// ClassCode is ADR's classification code ("2F", "F1", "1.1D").
	ClassCode string `json:"class_code,omitempty"`
	// Division is the GB 6944 class or division the entry belongs to: the
	// class, refined to the division for classes 1 and 2 ("2.1", "1.4").
	Division   string `json:"division"`
	ClassLabel string `json:"class_label"`
	// Compatibility is the compatibility group of explosives ("S" for 1.4S).
	Compatibility string `json:"compatibility_group,omitempty"`
	Tunnel        string `json:"tunnel,omitempty" doc:"ADR transport category (tunnel restriction code)"`
	Name          string `json:"name" doc:"proper shipping name (English, as in ADR Table A)"`
	// InUse is false for numbers the list marks as no longer in use.
	InUse bool `json:"in_use"`
}

//go:embed data/un_numbers_adr.csv
var unCSV []byte

var (
	unOnce  sync.Once
	unList  []UNEntry
	unIndex map[string]*UNEntry
	unErr   error
)

// loadUN parses the embedded list once.
func loadUN() error {
	unOnce.Do(func() {
		r := csv.NewReader(bytes.NewReader(unCSV))
		head, err := r.Read()
		if err != nil || strings.Join(head, ",") != "number,class,classCode,tunnel,description" {
			unErr = fmt.Errorf("waybill: UN list header %v: %v", head, err)
			return
		}
		unIndex = map[string]*UNEntry{}
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				unErr = fmt.Errorf("waybill: UN list: %w", err)
				return
			}
			unList = append(unList, unEntryOf(rec))
		}
		for i := range unList {
			unIndex[unList[i].Number] = &unList[i]
		}
	})
	return unErr
}

// unEntryOf reads one CSV row. Rows whose class is "?" or negative are the
// list's withdrawn numbers.
func unEntryOf(rec []string) UNEntry {
	e := UNEntry{Number: rec[0], Class: rec[1], ClassCode: rec[2], Tunnel: rec[3], Name: rec[4], InUse: true}
	if e.Class == "?" || strings.HasPrefix(e.Class, "-") || strings.Contains(e.Name, "no longer in use") {
		e.InUse = false
		e.Class = strings.TrimPrefix(e.Class, "-")
		if e.Class == "?" {
			e.Class = ""
		}
	}
	e.Division = divisionOf(e.Class, e.ClassCode)
	if e.Class == "1" && len(e.ClassCode) == 4 {
		e.Compatibility = e.ClassCode[3:]
	}
	e.ClassLabel = classLabels[e.Division]
	return e
}

// divisionOf refines ADR's class with its classification code: explosives
// carry the division in the code ("1.4G" → 1.4); gases carry their hazard
// letters ("2F", "2TOC"): toxic (T…) is 2.3, flammable (F) 2.1, the rest
// (asphyxiant A, oxidising O, corrosive C alone) 2.2.
func divisionOf(class, code string) string {
	switch class {
	case "1":
		if len(code) >= 3 && code[1] == '.' {
			return code[:3]
		}
	case "2":
		letters := strings.TrimLeft(code, "0123456789")
		switch {
		case letters == "":
			return "2"
		case strings.Contains(letters, "T"):
			return "2.3"
		case strings.Contains(letters, "F"):
			return "2.1"
		default:
			return "2.2"
		}
	}
	return class
}

// LookupUN returns the entry of a UN number ("1203", "UN1203"), or nil.
func LookupUN(number string) *UNEntry {
	if loadUN() != nil {
		return nil
	}
	e := unIndex[normalizeUN(number)]
	if e == nil {
		return nil
	}
	out := *e
	return &out
}

func normalizeUN(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimSpace(strings.TrimPrefix(s, "UN"))
	return s
}

// SearchUN returns up to limit entries in use whose number starts with q or
// whose name contains it (case-insensitive), numbers first.
func SearchUN(q string, limit int) []UNEntry {
	if loadUN() != nil || limit <= 0 {
		return nil
	}
	q = strings.TrimSpace(q)
	num := normalizeUN(q)
	var byNum, byName []UNEntry
	upper := strings.ToUpper(q)
	for _, e := range unList {
		if !e.InUse {
			continue
		}
		switch {
		case num != "" && strings.HasPrefix(e.Number, num):
			byNum = append(byNum, e)
		case q != "" && strings.Contains(strings.ToUpper(e.Name), upper):
			byName = append(byName, e)
		case q == "":
			byNum = append(byNum, e)
		}
		if len(byNum) >= limit {
			break
		}
	}
	sort.SliceStable(byName, func(i, j int) bool { return len(byName[i].Name) < len(byName[j].Name) })
	out := append(byNum, byName...)
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// classMatches reports whether a declared class fits a UN entry: the
// entry's division, or its class when the declaration names only the class
// ("2" for a 2.1 gas). An entry without a known division (a gas with no
// classification code) accepts any division of its class.
func classMatches(declared string, e *UNEntry) bool {
	switch {
	case declared == e.Division || declared == e.Class:
		return true
	case e.Division == e.Class && mainClass(declared) == e.Class:
		return true
	}
	return false
}

// incompatibility is one pair of classes that must not travel in one load.
type incompatibility struct {
	A, B   string // classes or divisions; a class covers its divisions
	Reason string
}

// segregation is the mixed-loading table (配装) the issue check applies to
// the goods of one waybill. Its basis: the mixed-loading prohibition of ADR
// 7.5.2.1 (mirrored by JT/T 617.6) for explosives, which may not travel
// with any other class except 1.4S; and the separation rules of UN model
// regulations practice for toxic gases, oxidisers and organic peroxides
// with flammables and corrosives. The pairs other than those of class 1
// are our ASSUMPTION (docs/waybill.md) until checked against the official
// JT/T 617.6 table; they are data so that check is an edit here, not code.
var segregation = []incompatibility{
	{"1", "*", "爆炸品不得与其他类别危险货物混装 (explosives travel alone; 1.4S excepted)"},
	{"2.3", "3", "毒性气体不得与易燃液体混装 (toxic gas with flammable liquid)"},
	{"2.3", "4", "毒性气体不得与易燃固体等混装 (toxic gas with class 4)"},
	{"2.3", "5", "毒性气体不得与氧化性物质、有机过氧化物混装 (toxic gas with oxidisers)"},
	{"2.3", "8", "毒性气体不得与腐蚀性物质混装 (toxic gas with corrosives)"},
	{"2.1", "5", "易燃气体不得与氧化性物质、有机过氧化物混装 (flammable gas with oxidisers)"},
	{"3", "5", "易燃液体不得与氧化性物质、有机过氧化物混装 (flammable liquid with oxidisers)"},
	{"4", "5", "易燃固体等不得与氧化性物质、有机过氧化物混装 (class 4 with oxidisers)"},
	{"4.3", "8", "遇水放出易燃气体的物质不得与腐蚀性物质混装 (dangerous when wet with corrosives)"},
	{"5.2", "8", "有机过氧化物不得与腐蚀性物质混装 (organic peroxides with corrosives)"},
	{"6.1", "3", "毒性物质不得与易燃液体混装 (toxic with flammable liquid, packing group I only)"},
}

// incompatible returns the reason goods a and b (divisions, with the
// explosives' compatibility groups) may not share a load, or "".
func incompatible(a, b goodsClass) string {
	for _, r := range segregation {
		if r.matches(a, b) || r.matches(b, a) {
			if r.A == "6.1" && a.pg != "I" && b.pg != "I" {
				continue // only packing group I toxics are kept apart from flammables
			}
			return r.Reason
		}
	}
	return ""
}

type goodsClass struct {
	class  string // division when known
	compat string // compatibility group of explosives
	pg     string // packing group
}

func (r incompatibility) matches(a, b goodsClass) bool {
	if !covers(r.A, a.class) {
		return false
	}
	if r.B == "*" {
		// explosives against anything that is not class 1; 1.4S is
		// exempt on either side.
		if mainClass(b.class) == "1" || (a.class == "1.4" && a.compat == "S") || (b.class == "1.4" && b.compat == "S") {
			return false
		}
		return true
	}
	return covers(r.B, b.class)
}
