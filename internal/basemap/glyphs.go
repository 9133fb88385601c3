package basemap

// Glyphs for map labels. MapLibre draws text from signed distance field
// (SDF) glyph bitmaps served in ranges of 256 code points. Chinese
// characters are drawn by the browser with its own fonts
// (localIdeographFontFamily in the console), so the server only needs the
// Latin, Greek and Cyrillic ranges, rendered here at start from the Go
// fonts (golang.org/x/image/font/gofont, BSD licence) — no font files to
// download, nothing fetched from outside.
//
//	glyphs    { repeated fontstack stacks = 1; }
//	fontstack { string name = 1; string range = 2; repeated glyph glyphs = 3; }
//	glyph     { uint32 id = 1; bytes bitmap = 2; uint32 width = 3; uint32 height = 4;
//	            sint32 left = 5; sint32 top = 6; uint32 advance = 7; }

import (
	"fmt"
	"image"
	"math"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Font stacks the styles name.
const (
	FontRegular = "Go Regular"
	FontBold    = "Go Bold"
)

// Glyph layout constants of the MapLibre glyph format: glyphs rendered at
// 24 px with a 3 px border, the distance field spanning 8 px with the
// outline at a quarter of it (value 191).
const (
	glyphSize   = 24
	glyphBorder = 3
	sdfRadius   = 8.0
	sdfCutoff   = 0.25
	// glyphTopShift aligns the baseline with the glyphs MapLibre draws
	// locally for Chinese text, so mixed labels sit on one line.
	glyphTopShift = 27
)

type glyphs struct {
	once  sync.Once
	err   error
	faces map[string]font.Face
	mu    sync.Mutex
	cache map[string][]byte
}

func (g *glyphs) init() error {
	g.once.Do(func() {
		g.faces = map[string]font.Face{}
		g.cache = map[string][]byte{}
		for name, ttf := range map[string][]byte{FontRegular: goregular.TTF, FontBold: gobold.TTF} {
			f, err := opentype.Parse(ttf)
			if err != nil {
				g.err = fmt.Errorf("basemap: glyphs: %s: %w", name, err)
				return
			}
			face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: glyphSize, DPI: 72, Hinting: font.HintingNone})
			if err != nil {
				g.err = fmt.Errorf("basemap: glyphs: %s: %w", name, err)
				return
			}
			g.faces[name] = face
		}
	})
	return g.err
}

// Range returns the glyph PBF of the 256 code points from start for a font
// stack ("Go Bold,Go Regular": the first font the server has wins). Code
// points the fonts lack are left out, which MapLibre tolerates.
func (g *glyphs) Range(stack string, start int) ([]byte, error) {
	if err := g.init(); err != nil {
		return nil, err
	}
	name := FontRegular
	for _, s := range strings.Split(stack, ",") {
		if strings.Contains(strings.ToLower(s), "bold") {
			name = FontBold
			break
		}
		if _, ok := g.faces[strings.TrimSpace(s)]; ok {
			name = strings.TrimSpace(s)
			break
		}
	}
	key := fmt.Sprintf("%s/%d", name, start)
	g.mu.Lock()
	defer g.mu.Unlock()
	if b, ok := g.cache[key]; ok {
		return b, nil
	}
	face := g.faces[name]
	var stackMsg pbuf
	stackMsg.str(1, stack)
	stackMsg.str(2, fmt.Sprintf("%d-%d", start, start+255))
	for cp := start; cp < start+256; cp++ {
		if gb, ok := renderGlyph(face, rune(cp)); ok {
			stackMsg.bytes(3, gb)
		}
	}
	var out pbuf
	out.bytes(1, stackMsg)
	g.cache[key] = out
	return out, nil
}

// renderGlyph rasterises one code point and encodes its glyph message.
func renderGlyph(face font.Face, r rune) ([]byte, bool) {
	src := r
	fullwidth := r >= 0xff01 && r <= 0xff5e
	if fullwidth {
		// Full-width ASCII forms (（）、Ａ…) are common in Chinese names and
		// absent from the Go fonts: draw the ASCII character on a full em.
		src = r - 0xfee0
	}
	adv, ok := face.GlyphAdvance(src)
	if r == 0x3000 { // ideographic space
		adv, ok = fixed.I(glyphSize), true
	}
	if !ok || r < 0x20 {
		return nil, false
	}
	dr, mask, mp, _, ok := face.Glyph(fixed.Point26_6{}, src)
	var g pbuf
	g.varint(1, uint64(r))
	advance := adv.Round()
	left := 0
	if fullwidth {
		left = (glyphSize - advance) / 2
		advance = glyphSize
	}
	if !ok || dr.Empty() || r == 0x3000 {
		g.varint(3, 0)
		g.varint(4, 0)
		g.varint(5, 0)
		g.varint(6, zz64(int64(-glyphTopShift)))
		g.varint(7, uint64(advance))
		return g, true
	}
	w, h := dr.Dx(), dr.Dy()
	g.bytes(2, sdf(mask, mp, w, h))
	g.varint(3, uint64(w))
	g.varint(4, uint64(h))
	g.varint(5, zz64(int64(dr.Min.X+left)))
	g.varint(6, zz64(int64(-dr.Min.Y-glyphTopShift)))
	g.varint(7, uint64(advance))
	return g, true
}

func zz64(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

// sdf computes the signed distance field of a w×h coverage mask with the
// glyph border around it: exact Euclidean distances (Felzenszwalb and
// Huttenlocher's transform) to the inside and outside, with partly covered
// pixels placed on the outline by their coverage, as TinySDF does.
func sdf(mask image.Image, mp image.Point, w, h int) []byte {
	W, H := w+2*glyphBorder, h+2*glyphBorder
	outer := make([]float64, W*H)
	inner := make([]float64, W*H)
	const inf = 1e20
	for y := range H {
		for x := range W {
			a := 0.0
			gx, gy := x-glyphBorder, y-glyphBorder
			if gx >= 0 && gx < w && gy >= 0 && gy < h {
				_, _, _, al := mask.At(mp.X+gx, mp.Y+gy).RGBA()
				a = float64(al) / 0xffff
			}
			i := y*W + x
			switch {
			case a >= 1:
				outer[i], inner[i] = 0, inf
			case a <= 0:
				outer[i], inner[i] = inf, 0
			default:
				d := 0.5 - a
				outer[i], inner[i] = math.Max(0, d)*math.Max(0, d), math.Max(0, -d)*math.Max(0, -d)
			}
		}
	}
	edt(outer, W, H)
	edt(inner, W, H)
	out := make([]byte, W*H)
	for i := range out {
		d := math.Sqrt(outer[i]) - math.Sqrt(inner[i])
		v := math.Round(255 - 255*(d/sdfRadius+sdfCutoff))
		out[i] = byte(math.Max(0, math.Min(255, v)))
	}
	return out
}

// edt replaces squared seed distances with squared Euclidean distances to
// the nearest seed, in place: a 1-D transform over columns, then rows.
func edt(grid []float64, w, h int) {
	n := max(w, h)
	f := make([]float64, n)
	d := make([]float64, n)
	v := make([]int, n)
	z := make([]float64, n+1)
	for x := range w {
		for y := range h {
			f[y] = grid[y*w+x]
		}
		edt1d(f[:h], d[:h], v, z)
		for y := range h {
			grid[y*w+x] = d[y]
		}
	}
	for y := range h {
		copy(f[:w], grid[y*w:y*w+w])
		edt1d(f[:w], d[:w], v, z)
		copy(grid[y*w:y*w+w], d[:w])
	}
}

func edt1d(f, d []float64, v []int, z []float64) {
	n := len(f)
	k := 0
	v[0] = 0
	z[0], z[1] = math.Inf(-1), math.Inf(1)
	for q := 1; q < n; q++ {
		var s float64
		for {
			r := v[k]
			s = ((f[q] + float64(q*q)) - (f[r] + float64(r*r))) / float64(2*q-2*r)
			if s <= z[k] && k > 0 {
				k--
				continue
			}
			break
		}
		if s <= z[k] { // k == 0 and the new parabola wins everywhere
			v[0], z[0], z[1] = q, math.Inf(-1), math.Inf(1)
			k = 0
			continue
		}
		k++
		v[k], z[k], z[k+1] = q, s, math.Inf(1)
	}
	k = 0
	for q := range n {
		for z[k+1] < float64(q) {
			k++
		}
		r := v[k]
		d[q] = float64((q-r)*(q-r)) + f[r]
	}
}
