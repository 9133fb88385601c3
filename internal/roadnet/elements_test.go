package roadnet

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiaotong-platform/jiaotong/internal/roadnet/chengduosm"
)

func readAll(t *testing.T, data []byte) []Element {
	t.Helper()
	var out []Element
	if err := ReadElements(bytes.NewReader(data), func(e Element) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// The XML and every PBF encoding of the Chengdu extract give the same
// elements, relations with their members included.
func TestReadElementsPBFMatchesXML(t *testing.T) {
	x := readAll(t, chengduosm.Compressed())
	var nodes, ways, rels, water, boundaryRels int
	for _, e := range x {
		switch e.Kind {
		case NodeElement:
			nodes++
		case WayElement:
			ways++
			if e.Tags["waterway"] != "" {
				water++
			}
		case RelationElement:
			rels++
			if e.Tags["boundary"] == "administrative" && len(e.Members) > 0 {
				boundaryRels++
			}
		}
	}
	// Counts from the extract's README: 3,820 ways and 121 relations.
	if ways != 3820 || rels != 121 || nodes == 0 || water == 0 || boundaryRels == 0 {
		t.Fatalf("tagged nodes %d, ways %d, relations %d, waterways %d, boundary relations %d", nodes, ways, rels, water, boundaryRels)
	}
	for _, file := range chengduPBFFiles {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(x, readAll(t, data)); diff != "" {
				t.Errorf("elements (-xml +pbf):\n%s", diff)
			}
		})
	}
}

func TestReadElementsStopsAtCallbackError(t *testing.T) {
	stop := errors.New("enough")
	n := 0
	err := ReadElements(bytes.NewReader(chengduosm.Compressed()), func(Element) error {
		n++
		if n == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 10 {
		t.Fatalf("err %v after %d elements, want %v after 10", err, n, stop)
	}
	if err := ReadElements(bytes.NewReader([]byte("<nope/>")), func(Element) error { return nil }); err == nil {
		t.Fatal("a document that is not OSM was accepted")
	}
}
