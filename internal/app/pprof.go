package app

import (
	"fmt"
	"net/http"
	"net/http/pprof"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
)

// mountPprof serves Go's profiler to administrators (--http-pprof), so an
// operator can profile a busy gateway or monitor in place:
//
//	go tool pprof -http=: 'http://HOST/debug/pprof/profile?seconds=20' (with an admin API token)
func mountPprof(mux *http.ServeMux) {
	adminOnly := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if _, err := access.Require(r.Context(), access.PermUsersManage); err != nil {
				httpapi.WriteProblem(w, r, fmt.Errorf("profiler: %w", err))
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("GET /debug/pprof/", adminOnly(pprof.Index))
	mux.HandleFunc("GET /debug/pprof/cmdline", adminOnly(pprof.Cmdline))
	mux.HandleFunc("GET /debug/pprof/profile", adminOnly(pprof.Profile))
	mux.HandleFunc("GET /debug/pprof/symbol", adminOnly(pprof.Symbol))
	mux.HandleFunc("GET /debug/pprof/trace", adminOnly(pprof.Trace))
}
