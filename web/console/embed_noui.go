//go:build noui

// Package console, built with the noui tag: the binary carries no console
// and answers / with a short note, so a node that serves no people stays
// small.
package console

import (
	"io/fs"
	"net/http"
	"testing/fstest"
)

const note = `<!doctype html><meta charset="utf-8"><title>交通 Jiaotong</title>
<p>此节点未包含控制台（noui 构建）。This node was built without the console (noui); the API is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>`

// FS returns the note as the only file.
func FS() fs.FS {
	return fstest.MapFS{"index.html": &fstest.MapFile{Data: []byte(note)}}
}

// Mount answers every path below / with the note.
func Mount(mux *http.ServeMux) {
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(note))
	})
}
