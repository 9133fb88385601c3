package sqldb

import (
	"fmt"
	"slices"
	"strings"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
)

// OrderBy turns an API sort parameter ("-updated_at,name": comma-separated
// fields, a leading '-' for descending) into an ORDER BY list using only the
// columns in allowed (API field name → SQL column), so no client text ever
// reaches SQL. An unknown field is an error naming query.sort. The result
// always ends with def, for a stable order across pages.
func OrderBy(sort string, allowed map[string]string, def string) (string, error) {
	var parts []string
	for _, f := range strings.Split(sort, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		dir := " ASC"
		if strings.HasPrefix(f, "-") {
			dir, f = " DESC", f[1:]
		} else {
			f = strings.TrimPrefix(f, "+")
		}
		col, ok := allowed[f]
		if !ok {
			names := make([]string, 0, len(allowed))
			for k := range allowed {
				names = append(names, k)
			}
			slices.Sort(names)
			return "", apperr.Field("query.sort", fmt.Sprintf("cannot sort by %q (allowed: %s)", f, strings.Join(names, ", ")), sort)
		}
		parts = append(parts, col+dir)
	}
	return strings.Join(append(parts, def), ", "), nil
}
