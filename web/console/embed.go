//go:build !noui

// Package console serves the web console: the built front end in dist/,
// embedded into the binary so a government intranet needs nothing else.
// Unknown paths below / fall back to index.html, so client-side routes work
// on reload. Building with the noui tag leaves the console out (a gateway
// or monitor node that serves no people).
package console

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// FS returns the console's files.
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded at build time; its absence is a build error
	}
	return sub
}

// Mount registers the console on mux at "/".
func Mount(mux *http.ServeMux) {
	files := FS()
	fileServer := http.FileServerFS(files)
	// "/" without a method: a method pattern would conflict with the API's
	// catch-all, which is more specific by path but not by method.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name == "" {
			name = "index.html"
		}
		if _, err := fs.Stat(files, name); err != nil {
			// A client-side route: let the single-page app resolve it.
			r = r.Clone(r.Context())
			r.URL.Path = "/"
		}
		if strings.HasPrefix(name, "assets/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "same-origin")
		fileServer.ServeHTTP(w, r)
	})
}
