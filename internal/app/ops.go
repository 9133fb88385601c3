package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/config"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sheet"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
)

// ModuleVersion is a module's applied schema version.
type ModuleVersion struct {
	Module  string
	Version int
}

// Migrate brings the schema of every module up to date without starting the
// platform, for `jiaotong migrate` in deployment pipelines.
func Migrate(ctx context.Context, cfg config.Config, logger *slog.Logger) ([]ModuleVersion, error) {
	db, err := openDB(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := db.Migrate(ctx, modules()...); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	versions, err := db.Versions(ctx)
	if err != nil {
		return nil, err
	}
	var out []ModuleVersion
	for m, v := range versions {
		out = append(out, ModuleVersion{m, v})
	}
	slices.SortFunc(out, func(a, b ModuleVersion) int {
		if a.Module < b.Module {
			return -1
		}
		return 1
	})
	return out, nil
}

// ImportKinds are the registry tables `jiaotong import` accepts.
var ImportKinds = []string{"operators", "vehicles", "practitioners", "stations", "vessels"}

// ImportSummary is what `jiaotong import` prints.
type ImportSummary struct {
	Total, Imported, Failed int
	// Problems describes the first rejected rows, one line each.
	Problems []string
}

// maxPrintedProblems bounds the rejected rows printed to the terminal; the
// report file has all of them.
const maxPrintedProblems = 20

// Import loads a CSV or XLSX file of kind into the registry as the platform
// itself, keeping every valid row, and writes the rejected rows with their
// reasons to reportPath when given (format from its extension).
func Import(ctx context.Context, cfg config.Config, logger *slog.Logger, kind, path, reportPath string) (ImportSummary, error) {
	if !slices.Contains(ImportKinds, kind) {
		return ImportSummary{}, fmt.Errorf("unknown kind %q (one of %s)", kind, strings.Join(ImportKinds, ", "))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return ImportSummary{}, fmt.Errorf("read %s: %w", path, err)
	}
	db, err := openDB(ctx, cfg, logger)
	if err != nil {
		return ImportSummary{}, err
	}
	defer db.Close()
	if err := db.Migrate(ctx, modules()...); err != nil {
		return ImportSummary{}, fmt.Errorf("migrate: %w", err)
	}
	svc := registry.New(db, logger.With("module", "registry"))
	file := sheet.File{Name: filepath.Base(path), Format: sheet.FormatOfName(path), Data: data}
	rep, err := svc.ImportRecords(access.With(ctx, access.System), kind, file)
	if err != nil {
		return ImportSummary{}, err
	}
	sum := ImportSummary{Total: rep.Total, Imported: rep.Imported, Failed: rep.Failed}
	sum.Problems = append(sum.Problems, rep.Warnings...)
	for i, e := range rep.Errors {
		if i == maxPrintedProblems {
			sum.Problems = append(sum.Problems, fmt.Sprintf("… and %d more rows", len(rep.Errors)-i))
			break
		}
		var reasons []string
		for _, p := range e.Problems {
			if p.Header != "" {
				reasons = append(reasons, p.Header+": "+p.Reason)
			} else {
				reasons = append(reasons, p.Reason)
			}
		}
		sum.Problems = append(sum.Problems, fmt.Sprintf("row %d: %s", e.Row, strings.Join(reasons, "; ")))
	}
	if reportPath != "" && rep.Failed > 0 {
		f, err := os.Create(reportPath)
		if err != nil {
			return sum, fmt.Errorf("write report: %w", err)
		}
		format := sheet.FormatOfName(reportPath)
		if format != sheet.CSV {
			format = sheet.XLSX
		}
		if err := errors.Join(rep.WriteErrors(f, format), f.Close()); err != nil {
			return sum, fmt.Errorf("write report %s: %w", reportPath, err)
		}
	}
	return sum, nil
}
