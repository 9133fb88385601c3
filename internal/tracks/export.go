package tracks

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sheet"
)

// exportSchema is the XLSX layout of a track export.
var exportSchema = sheet.MustSchema(
	sheet.Column{Key: "time", Header: "定位时间", Kind: sheet.DateTime},
	sheet.Column{Key: "lat", Header: "纬度", Kind: sheet.Number},
	sheet.Column{Key: "lon", Header: "经度", Kind: sheet.Number},
	sheet.Column{Key: "speed", Header: "速度(km/h)", Kind: sheet.Number},
	sheet.Column{Key: "heading", Header: "方向", Kind: sheet.Number},
	sheet.Column{Key: "altitude", Header: "海拔(m)", Kind: sheet.Number},
	sheet.Column{Key: "mileage", Header: "里程(km)", Kind: sheet.Number},
	sheet.Column{Key: "alarm", Header: "报警标志", Kind: sheet.Text},
	sheet.Column{Key: "status", Header: "状态", Kind: sheet.Text},
	sheet.Column{Key: "blind_area", Header: "补传", Kind: sheet.Text},
)

// exportTrack answers an export in the given format.
func exportTrack(name, format string, vehicle int64, pts []Point) (*huma.StreamResponse, error) {
	if format == "xlsx" {
		return sheet.Download(name+".xlsx", sheet.XLSX, exportSchema, func(w *sheet.Writer) error {
			for i := range pts {
				p := &pts[i]
				var mileage any
				if p.Has&HasMileage != 0 {
					mileage = float64(p.Mileage) / 10
				}
				blind := ""
				if p.BlindArea {
					blind = "是"
				}
				err := w.WriteRow(time.UnixMilli(p.Time).In(civil.CST), float64(p.Lat)/1e6, float64(p.Lon)/1e6,
					float64(p.Speed)/10, p.Heading, p.Altitude, mileage,
					fmt.Sprintf("0x%08X", p.Alarm), fmt.Sprintf("0x%08X", p.Status), blind)
				if err != nil {
					return err
				}
			}
			return nil
		}), nil
	}
	write, ctype, ext := writeGPX, "application/gpx+xml", ".gpx"
	if format == "kml" {
		write, ctype, ext = writeKML, "application/vnd.google-earth.kml+xml", ".kml"
	}
	return &huma.StreamResponse{Body: func(ctx huma.Context) {
		ctx.SetHeader("Content-Type", ctype)
		ctx.SetHeader("Content-Disposition", sheet.ContentDisposition(name+ext))
		bw := bufio.NewWriter(ctx.BodyWriter())
		if write(bw, fmt.Sprintf("vehicle %d", vehicle), pts) == nil {
			_ = bw.Flush()
		}
	}}, nil
}

func xmlText(s string) string {
	var b []byte
	w := &byteWriter{&b}
	_ = xml.EscapeText(w, []byte(s))
	return string(b)
}

type byteWriter struct{ b *[]byte }

func (w *byteWriter) Write(p []byte) (int, error) { *w.b = append(*w.b, p...); return len(p), nil }

func deg(v int32) string { return strconv.FormatFloat(float64(v)/1e6, 'f', 6, 64) }

// writeGPX writes a GPX 1.1 track with speed (m/s) and course in the
// standard elements.
func writeGPX(w io.Writer, name string, pts []Point) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"Jiaotong\" xmlns=\"http://www.topografix.com/GPX/1/1\">\n<trk><name>%s</name><trkseg>\n", xmlText(name))
	for i := range pts {
		p := &pts[i]
		fmt.Fprintf(bw, "<trkpt lat=\"%s\" lon=\"%s\"><ele>%d</ele><time>%s</time><course>%d</course><speed>%.2f</speed></trkpt>\n",
			deg(p.Lat), deg(p.Lon), p.Altitude, time.UnixMilli(p.Time).UTC().Format(time.RFC3339Nano), p.Heading, float64(p.Speed)/36)
	}
	bw.WriteString("</trkseg></trk>\n</gpx>\n")
	return bw.Flush()
}

// writeKML writes a KML 2.2 document with the track as a gx:Track (time
// per point) and a LineString for viewers without gx support.
func writeKML(w io.Writer, name string, pts []Point) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\" xmlns:gx=\"http://www.google.com/kml/ext/2.2\">\n<Document><name>%s</name>\n<Placemark><name>%s</name><gx:Track>\n", xmlText(name), xmlText(name))
	for i := range pts {
		fmt.Fprintf(bw, "<when>%s</when>\n", time.UnixMilli(pts[i].Time).UTC().Format(time.RFC3339Nano))
	}
	for i := range pts {
		p := &pts[i]
		fmt.Fprintf(bw, "<gx:coord>%s %s %d</gx:coord>\n", deg(p.Lon), deg(p.Lat), p.Altitude)
	}
	bw.WriteString("</gx:Track></Placemark>\n<Placemark><name>line</name><LineString><coordinates>\n")
	for i := range pts {
		p := &pts[i]
		fmt.Fprintf(bw, "%s,%s,%d\n", deg(p.Lon), deg(p.Lat), p.Altitude)
	}
	bw.WriteString("</coordinates></LineString></Placemark>\n</Document></kml>\n")
	return bw.Flush()
}
