package sqldb_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
)

func TestWhere(t *testing.T) {
	var none sqldb.Where
	if none.Clause() != "" || none.And() != "1=1" || len(none.Args()) != 0 {
		t.Errorf("empty: clause %q and %q args %v", none.Clause(), none.And(), none.Args())
	}

	var w sqldb.Where
	w.Scope(access.Scope{Region: "510104", OperatorID: 7})
	w.Add("(name LIKE ? OR code LIKE ?)", "%川%")
	w.Add("day >= ?", "2026-11-20")
	if got, want := w.Clause(), " WHERE region LIKE $1 AND operator_id = $2 AND (name LIKE $3 OR code LIKE $3) AND day >= $4"; got != want {
		t.Errorf("clause\n got %s\nwant %s", got, want)
	}
	if diff := cmp.Diff([]any{"510104%", int64(7), "%川%", "2026-11-20"}, w.Args()); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}

	var national sqldb.Where
	national.Scope(access.Scope{})
	if national.Clause() != "" {
		t.Errorf("national scope adds %q", national.Clause())
	}
}

// TestWhereRunsOnBothDialects: the numbered placeholders, a repeated one
// included, are accepted by SQLite and PostgreSQL alike.
func TestWhereRunsOnBothDialects(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T, db *sqldb.DB) {
		ctx := t.Context()
		if _, err := db.Write().ExecContext(ctx, `CREATE TABLE w (name TEXT, code TEXT, region TEXT, operator_id BIGINT)`); err != nil {
			t.Fatal(err)
		}
		for _, r := range [][]any{{"川A", "x", "510104", 7}, {"渝B", "川", "510104", 7}, {"川C", "y", "510105", 7}, {"川D", "z", "510104", 8}} {
			if _, err := db.Write().ExecContext(ctx, `INSERT INTO w VALUES ($1, $2, $3, $4)`, r...); err != nil {
				t.Fatal(err)
			}
		}
		var w sqldb.Where
		w.Scope(access.Scope{Region: "510104", OperatorID: 7})
		w.Add("(name LIKE ? OR code LIKE ?)", "%川%")
		var n int
		if err := db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM w`+w.Clause(), w.Args()...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("%d rows match, want 2", n)
		}
	})
}
