package roadnet

import (
	"bytes"
	"sync"

	"github.com/jiaotong-platform/jiaotong/internal/roadnet/chengduosm"
)

// ChengduAttribution is the notice owed wherever the Chengdu network is shown.
const ChengduAttribution = chengduosm.Attribution

var chengdu = sync.OnceValues(func() (*Graph, error) {
	return Load(bytes.NewReader(chengduosm.Compressed()))
})

// Chengdu returns the road network of the embedded central Chengdu extract
// (© OpenStreetMap contributors, ODbL 1.0). It is loaded once per process and
// shared: a Graph is immutable. Other modules reach the demo network through
// this function rather than the chengduosm package.
func Chengdu() (*Graph, error) { return chengdu() }

// ChengduOSM returns the embedded extract itself, gzip-compressed OSM XML,
// for readers that need more of the map than the road graph (the basemap
// reads it with ReadElements). The slice is shared: do not modify it.
func ChengduOSM() []byte { return chengduosm.Compressed() }
