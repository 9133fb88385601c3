// Package region knows China's administrative divisions by their GB/T 2260
// six-digit codes (province → city → county), the keys of every org unit,
// data scope and regional statistic on the platform. The code table is
// embedded; see data/README.md for its source.
package region

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"sync"
)

//go:embed data/*.csv
var files embed.FS

// Level is the tier of a division.
type Level string

// Division tiers.
const (
	Province Level = "province" // 省级
	City     Level = "city"     // 地级
	County   Level = "county"   // 县级
)

// Region is one administrative division.
type Region struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Level  Level  `json:"level"`
	Parent string `json:"parent,omitempty"`
}

type table struct {
	byCode   map[string]Region
	children map[string][]string
	roots    []string
}

var (
	loadOnce sync.Once
	tbl      *table
)

func load() *table {
	loadOnce.Do(func() {
		t := &table{byCode: map[string]Region{}, children: map[string][]string{}}
		read := func(name string, level Level) {
			b, err := files.ReadFile("data/" + name)
			if err != nil {
				panic(fmt.Sprintf("region: embedded %s: %v", name, err))
			}
			rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
			if err != nil {
				panic(fmt.Sprintf("region: embedded %s: %v", name, err))
			}
			for _, r := range rows[1:] {
				if strings.Contains(r[1], "直辖县级行政区划") {
					continue // a statistical placeholder, not a division: its counties hang under the province
				}
				t.byCode[r[0]] = Region{Code: r[0], Name: r[1], Level: level}
			}
		}
		read("province.csv", Province)
		read("city.csv", City)
		read("area.csv", County)
		for code, r := range t.byCode {
			switch r.Level {
			case Province:
				t.roots = append(t.roots, code)
				continue
			case City:
				r.Parent = code[:2] + "0000"
			case County:
				r.Parent = code[:4] + "00"
				if _, ok := t.byCode[r.Parent]; !ok { // municipality district or province-administered county
					r.Parent = code[:2] + "0000"
				}
			}
			t.byCode[code] = r
			t.children[r.Parent] = append(t.children[r.Parent], code)
		}
		slices.Sort(t.roots)
		for _, c := range t.children {
			slices.Sort(c)
		}
		tbl = t
	})
	return tbl
}

// Lookup returns the division with the given code.
func Lookup(code string) (Region, bool) {
	r, ok := load().byCode[code]
	return r, ok
}

// Valid reports whether code is a known division.
func Valid(code string) bool {
	_, ok := Lookup(code)
	return ok
}

// Provinces returns the provincial divisions in code order.
func Provinces() []Region { return regions(load().roots) }

// Children returns the divisions directly below code, in code order.
func Children(code string) []Region { return regions(load().children[code]) }

// Path returns the chain from the province down to code itself.
func Path(code string) []Region {
	var out []Region
	for c := code; c != ""; {
		r, ok := Lookup(c)
		if !ok {
			break
		}
		out = append(out, r)
		c = r.Parent
	}
	slices.Reverse(out)
	return out
}

// FullName joins the names along the path: "四川省成都市锦江区".
func FullName(code string) string {
	var b strings.Builder
	for _, r := range Path(code) {
		b.WriteString(r.Name)
	}
	return b.String()
}

// Contains reports whether region inner lies in the subtree of outer (a
// region contains itself).
func Contains(outer, inner string) bool {
	for c := inner; c != ""; {
		if c == outer {
			return true
		}
		r, ok := Lookup(c)
		if !ok {
			return false
		}
		c = r.Parent
	}
	return false
}

// Search returns up to limit divisions whose name contains q, provinces first.
func Search(q string, limit int) []Region {
	var out []Region
	for _, r := range load().byCode {
		if strings.Contains(r.Name, q) || strings.HasPrefix(r.Code, q) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Region) int { return strings.Compare(a.Code, b.Code) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

func regions(codes []string) []Region {
	out := make([]Region, 0, len(codes))
	for _, c := range codes {
		out = append(out, load().byCode[c])
	}
	return out
}
