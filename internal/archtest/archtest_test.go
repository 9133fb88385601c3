// Package archtest guards the dependency rules of docs/architecture.md:
// protocol codecs stand alone, the platform layer knows no business module,
// and a business module reaches another only through its root package.
package archtest

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/jiaotong-platform/jiaotong"

type pkg struct {
	path    string
	imports []string // including test imports
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-f",
		`{{.ImportPath}} {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}`, module+"/...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		p := pkg{path: strings.TrimPrefix(f[0], module+"/")}
		for _, imp := range f[1:] {
			if rel, ok := strings.CutPrefix(imp, module+"/"); ok {
				p.imports = append(p.imports, rel)
			}
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// moduleOf returns the bounded context a package belongs to ("registry" for
// internal/registry/registrytest), or "" for shared layers and commands.
func moduleOf(path string) string {
	rest, ok := strings.CutPrefix(path, "internal/")
	if !ok {
		return ""
	}
	top, _, _ := strings.Cut(rest, "/")
	switch top {
	case "platform", "protocol", "app", "archtest":
		return ""
	case "sim":
		// The simulator is a tool behind `jiaotong sim`, not a bounded
		// context: it drives the platform from outside, like a command.
		return ""
	}
	return top
}

func TestDependencyRules(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for _, p := range pkgs {
		for _, imp := range p.imports {
			if err := check(p.path, imp); err != "" {
				t.Errorf("%s imports %s: %s", p.path, imp, err)
			}
		}
	}
}

func check(from, imp string) string {
	switch {
	case strings.HasPrefix(from, "internal/protocol/"):
		if strings.HasPrefix(imp, "internal/") && !strings.HasPrefix(imp, "internal/protocol/") {
			return "protocol codecs must stand alone (stdlib and x/text only)"
		}
	case strings.HasPrefix(from, "internal/platform/"):
		if moduleOf(imp) != "" || strings.HasPrefix(imp, "internal/app") {
			return "the platform layer must not depend on a business module"
		}
	case strings.HasPrefix(from, "cmd/"):
		if moduleOf(imp) != "" {
			return "commands go through internal/app, not modules"
		}
	}
	fromMod, impMod := moduleOf(from), moduleOf(imp)
	if fromMod != "" && impMod != "" && fromMod != impMod {
		root := "internal/" + impMod
		if imp != root && imp != root+"/"+impMod+"test" {
			return "a module may use another module's root package (or its test doubles) only"
		}
	}
	return ""
}

func TestRuleChecker(t *testing.T) {
	bad := [][2]string{
		{"internal/protocol/jt808", "internal/platform/bus"},
		{"internal/platform/sqldb", "internal/registry"},
		{"internal/monitor", "internal/registry/store"},
		{"cmd/jiaotong", "internal/registry"},
	}
	for _, b := range bad {
		if check(b[0], b[1]) == "" {
			t.Errorf("%s → %s should be forbidden", b[0], b[1])
		}
	}
	good := [][2]string{
		{"internal/monitor", "internal/registry"},
		{"internal/monitor", "internal/registry/registrytest"},
		{"internal/registry", "internal/platform/sqldb"},
		{"internal/registry/store", "internal/registry"},
		{"internal/app", "internal/registry/anything"},
		{"cmd/jiaotong", "internal/app"},
	}
	for _, g := range good {
		if msg := check(g[0], g[1]); msg != "" {
			t.Errorf("%s → %s should be allowed: %s", g[0], g[1], msg)
		}
	}
}
