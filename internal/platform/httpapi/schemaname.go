package httpapi

import (
	"path"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
)

// projectPrefix is the import path prefix of the project's own packages.
var projectPrefix = strings.TrimSuffix(reflect.TypeFor[Server]().PkgPath(), "internal/platform/httpapi")

// schemaName names OpenAPI schemas after their package and type
// ("TracksReport", "SheetReport"), so two modules can each have a Report
// without colliding in the one document. Generic wrappers of this package
// (Page) keep their plain name: "PageRegistryVehicle".
func schemaName(t reflect.Type, hint string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() == "" {
		return huma.DefaultSchemaNamer(t, hint)
	}
	full := t.Name()
	if t.PkgPath() != "" {
		full = t.PkgPath() + "." + full
	}
	var b strings.Builder
	parts := strings.FieldsFunc(strings.ReplaceAll(full, "[]", "List["), func(r rune) bool {
		return r == '[' || r == ']' || r == '*' || r == ','
	})
	for _, part := range parts {
		pkg, base := "", part
		if i := strings.LastIndex(part, "."); i >= 0 {
			pkg, base = part[:i], part[i+1:]
		}
		if strings.HasPrefix(pkg, projectPrefix) {
			if p := path.Base(pkg); p != "httpapi" && !strings.HasPrefix(strings.ToLower(base), p) {
				b.WriteString(upperFirst(p))
			}
		}
		b.WriteString(upperFirst(base))
	}
	return b.String()
}

func upperFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}
