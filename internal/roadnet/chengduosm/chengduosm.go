// Package chengduosm embeds the OpenStreetMap extract of central Chengdu
// (成都二环内外) that the demo data, the simulator and the road network tests
// run on, so none of them needs a file outside the project.
//
// The data is © OpenStreetMap contributors, available under the Open
// Database License (ODbL 1.0); see README.md in this directory.
package chengduosm

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
)

//go:embed chengdu.osm.gz
var data []byte

// Attribution is the notice to show wherever the data is displayed or used.
const Attribution = "© OpenStreetMap contributors, ODbL 1.0"

// Compressed returns the gzip-compressed OSM XML (roadnet.Load accepts it as is).
// The slice is shared: do not modify it.
func Compressed() []byte { return data }

// Open returns a reader over the decompressed OSM XML; close it when done.
func Open() (io.ReadCloser, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("chengduosm: open: %w", err)
	}
	return zr, nil
}
