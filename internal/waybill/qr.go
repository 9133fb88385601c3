package waybill

import (
	"fmt"
	"strings"

	"rsc.io/qr"
)

// qrCode encodes text at error correction level M (about 15 % of the code
// may be damaged or covered: a waybill printed on paper gets dirty).
func qrCode(text string) (*qr.Code, error) {
	c, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, fmt.Errorf("waybill: QR code: %w", err)
	}
	return c, nil
}

// qrPNG renders text as a PNG about width pixels wide (default 320), with
// the quiet zone of four modules the standard asks for.
func qrPNG(text string, width int) ([]byte, error) {
	c, err := qrCode(text)
	if err != nil {
		return nil, err
	}
	if width <= 0 {
		width = 320
	}
	c.Scale = max(1, width/(c.Size+8))
	return c.PNG(), nil
}

// qrSVG renders text as an SVG: one path of unit squares, quiet zone
// included, scalable to any print size.
func qrSVG(text string) ([]byte, error) {
	c, err := qrCode(text)
	if err != nil {
		return nil, err
	}
	n := c.Size + 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y := 0; y < c.Size; y++ {
		for x := 0; x < c.Size; x++ {
			if c.Black(x, y) {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+4, y+4)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return []byte(b.String()), nil
}
