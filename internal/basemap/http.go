package basemap

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
)

// Prefix is where the basemap is served. The tiles, styles and glyphs are
// public like any web map's: they hold OpenStreetMap data and boundaries,
// nothing about the fleet, and MapLibre's workers fetch them without the
// console's CSRF header.
const Prefix = "/api/v1/basemap"

// Mount registers the tile, style and glyph handlers.
func (s *Service) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Prefix+"/tiles/{z}/{x}/{y}", s.serveTile)
	mux.HandleFunc("GET "+Prefix+"/styles/{name}", s.serveStyle)
	mux.HandleFunc("GET "+Prefix+"/fonts/{stack}/{range}", s.serveGlyphs)
}

func notFound(w http.ResponseWriter, r *http.Request, what string) {
	httpapi.WriteProblem(w, r, apperr.NotFound(what, r.URL.Path))
}

func (s *Service) serveTile(w http.ResponseWriter, r *http.Request) {
	ys := r.PathValue("y")
	for _, ext := range []string{".pbf", ".mvt"} {
		ys = strings.TrimSuffix(ys, ext)
	}
	z, errZ := strconv.Atoi(r.PathValue("z"))
	x, errX := strconv.Atoi(r.PathValue("x"))
	y, errY := strconv.Atoi(ys)
	if errZ != nil || errX != nil || errY != nil || !validTile(z, x, y) {
		s.metrics.requests.WithLabelValues("not_found").Inc()
		notFound(w, r, "tile")
		return
	}
	if s.External() != nil {
		s.metrics.requests.WithLabelValues("not_found").Inc()
		notFound(w, r, "tile (the basemap uses external tiles)")
		return
	}
	t, err := s.tile(r.Context(), z, x, y)
	if err != nil {
		s.metrics.requests.WithLabelValues("error").Inc()
		httpapi.WriteProblem(w, r, err)
		return
	}
	h := w.Header()
	h.Set("ETag", t.etag)
	// Tiles change only when boundaries are imported: browsers revalidate
	// after five minutes, and a revalidation costs one 304.
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("Vary", "Accept-Encoding")
	if match(r.Header.Get("If-None-Match"), t.etag) {
		s.metrics.requests.WithLabelValues("not_modified").Inc()
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if len(t.gz) == 0 {
		s.metrics.requests.WithLabelValues("empty").Inc()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.metrics.requests.WithLabelValues("data").Inc()
	h.Set("Content-Type", "application/vnd.mapbox-vector-tile")
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		h.Set("Content-Length", strconv.Itoa(len(t.gz)))
		_, _ = w.Write(t.gz)
		return
	}
	zr, err := gzip.NewReader(bytes.NewReader(t.gz))
	if err != nil {
		httpapi.WriteProblem(w, r, fmt.Errorf("basemap: tile: %w", err))
		return
	}
	_, _ = io.Copy(w, zr)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// match reports whether an If-None-Match header names etag.
func match(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

func (s *Service) serveStyle(w http.ResponseWriter, r *http.Request) {
	theme := strings.TrimSuffix(r.PathValue("name"), ".json")
	if !slices.Contains(Themes, theme) {
		notFound(w, r, "style")
		return
	}
	b, err := json.Marshal(Style(StyleOptions{Theme: theme, Prefix: Prefix, Attribution: s.cfg.Attribution, External: s.External()}))
	if err != nil {
		httpapi.WriteProblem(w, r, err)
		return
	}
	h := fnv.New64a()
	h.Write(b)
	etag := fmt.Sprintf(`"%x"`, h.Sum64())
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	if match(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func (s *Service) serveGlyphs(w http.ResponseWriter, r *http.Request) {
	rng := strings.TrimSuffix(r.PathValue("range"), ".pbf")
	a, b, ok := strings.Cut(rng, "-")
	start, err1 := strconv.Atoi(a)
	end, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || start < 0 || start%256 != 0 || end != start+255 || end > 0xffff {
		notFound(w, r, "glyph range")
		return
	}
	data, err := s.glyphs.Range(r.PathValue("stack"), start)
	if err != nil {
		httpapi.WriteProblem(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(data)
}
