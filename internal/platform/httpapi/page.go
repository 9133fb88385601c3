package httpapi

import "github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"

// ListParams is the one convention for list endpoints: embed it in a huma
// input struct next to the endpoint's own filters.
//
//	GET /api/v1/vehicles?page=2&page_size=50&sort=-updated_at,plate&q=川A
type ListParams struct {
	Page     int    `query:"page" minimum:"1" default:"1" doc:"Page number, from 1"`
	PageSize int    `query:"page_size" minimum:"1" maximum:"500" default:"50" doc:"Items per page (at most 500)"`
	Sort     string `query:"sort" doc:"Comma-separated fields; a leading '-' sorts descending, e.g. '-updated_at,name'"`
	Q        string `query:"q" maxLength:"100" doc:"Free-text search"`
}

// Offset returns the number of items before the requested page.
func (p ListParams) Offset() int { return (max(p.Page, 1) - 1) * p.Limit() }

// Limit returns the page size, defaulted and capped.
func (p ListParams) Limit() int {
	switch {
	case p.PageSize <= 0:
		return 50
	case p.PageSize > 500:
		return 500
	}
	return p.PageSize
}

// OrderBy turns the sort parameter into an ORDER BY list over the allowed
// columns (API field name → SQL column), ending with def; see sqldb.OrderBy.
func (p ListParams) OrderBy(allowed map[string]string, def string) (string, error) {
	return sqldb.OrderBy(p.Sort, allowed, def)
}

// Page is the body of every list response.
type Page[T any] struct {
	Items    []T `json:"items" nullable:"false"`
	Total    int `json:"total" doc:"Items matching the filters, over all pages"`
	Page     int `json:"page"`
	PageSize int `json:"page_size"`
}

// NewPage builds a page body; a nil slice is sent as [].
func NewPage[T any](items []T, total int, p ListParams) Page[T] {
	if items == nil {
		items = []T{}
	}
	return Page[T]{Items: items, Total: total, Page: max(p.Page, 1), PageSize: p.Limit()}
}
