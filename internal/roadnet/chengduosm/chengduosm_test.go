package chengduosm

import (
	"bytes"
	"io"
	"testing"
)

func TestOpen(t *testing.T) {
	r, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 3465459 {
		t.Errorf("decompressed size %d, want the original 3,465,459 bytes", len(b))
	}
	if !bytes.Contains(b[:200], []byte(`<osm version="0.6"`)) {
		t.Error("not OSM XML")
	}
}
