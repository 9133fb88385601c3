package registry_test

import (
	"testing"

	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
)

func TestMigrationsMatchAcrossDialects(t *testing.T) {
	lite, err := sqldb.Migrations(registry.Module().Migrations, sqldb.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := sqldb.Migrations(registry.Module().Migrations, sqldb.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Version != pg[i].Version || lite[i].Name != pg[i].Name {
			t.Errorf("migration %d: sqlite %d_%s, postgres %d_%s", i, lite[i].Version, lite[i].Name, pg[i].Version, pg[i].Name)
		}
	}
}
