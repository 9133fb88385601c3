package sqldb

import (
	"strconv"
	"strings"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
)

// Where collects the conditions of a query built from optional filters.
// Each condition is written with "?" where its one argument goes; Add
// numbers the placeholders ($1, $2, ...) in the order arguments arrive, the
// form both dialects accept, so no caller counts them by hand.
type Where struct {
	conds []string
	args  []any
}

// Add appends cond, every "?" of which stands for arg (one placeholder, so
// "(a LIKE ? OR b LIKE ?)" binds the same value twice).
func (w *Where) Add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(w.args))))
}

// Bind adds an argument used outside the conditions (in the select list,
// say) and returns its placeholder.
func (w *Where) Bind(arg any) string {
	w.args = append(w.args, arg)
	return "$" + strconv.Itoa(len(w.args))
}

// Scope restricts the rows to a data scope: the region subtree (a "region"
// column holding GB/T 2260 codes) and the enterprise ("operator_id").
func (w *Where) Scope(s access.Scope) {
	if pfx := s.RegionPrefix(); pfx != "" {
		w.Add("region LIKE ?", pfx+"%")
	}
	if s.OperatorID != 0 {
		w.Add("operator_id = ?", s.OperatorID)
	}
}

// Args are the arguments in placeholder order.
func (w *Where) Args() []any { return w.args }

// And joins the conditions with AND ("1=1" when there are none), for a
// query that writes its own WHERE.
func (w *Where) And() string {
	if len(w.conds) == 0 {
		return "1=1"
	}
	return strings.Join(w.conds, " AND ")
}

// Clause is " WHERE " and the conditions, or "" when there are none.
func (w *Where) Clause() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + w.And()
}
