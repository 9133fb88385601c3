package jt808

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// readFrames returns the frames of a testdata .hex file.
func readFrames(t testing.TB, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		b, err := hex.DecodeString(line)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, b)
	}
	return out
}

func testdataFiles(t testing.TB) []string {
	files, err := filepath.Glob("testdata/*.hex")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	return files
}

// constructed lists frames built with the encoder where no published
// capture exists; -update writes them to testdata.
func constructed(t testing.TB) map[string][]struct {
	h Header
	b Body
} {
	p13, _ := ParsePhone("13800138000", V2013)
	p19, _ := ParsePhone("13800138000", V2019)
	h13 := Header{Version: V2013, Phone: p13, Serial: 1}
	h11 := Header{Version: V2011, Phone: p13, Serial: 1}
	h19 := Header{Version: V2019, ProtocolVersion: 1, Phone: p19, Serial: 1}
	when := time.Date(2026, 3, 14, 9, 26, 53, 0, cst)
	loc := Location{
		Alarm: 1<<1 | 1<<20, Status: 1<<0 | 1<<1 | 1<<18 | 1<<19,
		Lat: 22543099, Lon: 114057868, Altitude: 35, Speed: 652, Direction: 270, Time: BCDTimeOf(when),
		Items: []Item{{ItemMileage, []byte{0, 0, 0x30, 0x39}}, {ItemFuel, []byte{0x01, 0xF4}}, {ItemSignalStrength, []byte{25}}, {ItemSatellites, []byte{12}}},
	}
	type hb = struct {
		h Header
		b Body
	}
	return map[string][]hb{
		"0001_2013_constructed.hex": {{h13, &TerminalResponse{GeneralResponse{ReplySerial: 5, ReplyID: MsgText, Result: ResultOK}}}},
		"0003_2013_constructed.hex": {{h13, &Deregister{}}},
		"0004_2019_constructed.hex": {{h19, &QueryServerTime{}}},
		"0100_2019_constructed.hex": {{h19, &Register{ProvinceID: 44, CityID: 300, Manufacturer: "JTONG", Model: "JT-GPS-2019", TerminalID: "T100001", PlateColor: PlateGreen, Plate: "粤B12345D"}}},
		"0102_2019_constructed.hex": {{h19, &Auth{Code: "45612", IMEI: "1234567890abcde", SoftwareVersion: "v2.0.0"}}},
		"0102_2011_constructed.hex": {{h11, &Auth{Code: "AUTH-2011"}}},
		"0104_2013_constructed.hex": {{h13, &ParametersReply{ReplySerial: 9, Params: []Param{
			ParamDWord(0x0001, 30), ParamString(0x0013, "gw.example.cn:7611"), ParamWord(0x0031, 500),
			ParamDWord(0x0055, 80), ParamString(0x0083, "粤B88888"), ParamByte(0x0084, PlateYellow), {0xF001, []byte{1, 2, 3}},
		}}}},
		"0107_2013_constructed.hex":       {{h13, &Attributes{TerminalType: 0x0007, Manufacturer: "JTONG", Model: "JT-808", TerminalID: "T100001", ICCID: "89860012345678901234", HardwareVersion: "HW1.2", FirmwareVersion: "FW3.4.5", GNSS: 0x03, Comm: 0x01}}},
		"0200_2013_constructed.hex":       {{h13, &loc}},
		"0201_2013_constructed.hex":       {{h13, &LocationReply{ReplySerial: 42, Location: loc}}},
		"0900_2019_constructed.hex":       {{h19, &PassThrough{ID: MsgUplinkPassThrough, Type: 0x41, Data: []byte("RS232 payload")}}},
		"8100_2013_constructed.hex":       {{h13, &RegisterResponse{ReplySerial: 1, Result: RegisterOK, AuthCode: "AUTH1234"}}, {h13, &RegisterResponse{ReplySerial: 2, Result: RegisterNoSuchVehicle}}},
		"8103_2013_constructed.hex":       {{h13, &SetParameters{Params: []Param{ParamDWord(0x0001, 60), ParamDWord(0x0029, 10), ParamDWord(0x0055, 100), ParamWord(0x005B, 50)}}}},
		"8300_2011_constructed.hex":       {{h11, &TextMessage{Flag: TextDisplay | TextTTS, Text: "前方路段施工，请减速慢行"}}},
		"8604_2019_constructed.hex":       {{h19, &SetPolygonArea{ID: 7, Attr: AreaSpeedLimited | AreaAlarmPlatIn, AreaLimits: AreaLimits{MaxSpeed: 60, OverspeedDuration: 10, NightMaxSpeed: 40}, Vertices: []Point{{22500000, 114000000}, {22600000, 114000000}, {22600000, 114100000}}, Name: "学校区域"}}},
		"8606_2019_constructed.hex":       {{h19, &SetRoute{ID: 9, Attr: AreaTimeBounded, Start: BCDTime{0, 0, 0, 0x08, 0x30, 0}, End: BCDTime{0, 0, 0, 0x18, 0, 0}, Points: []RoutePoint{{PointID: 1, SegmentID: 1, Lat: 22500000, Lon: 114000000, Width: 30, Attr: SegmentSpeedLimited, MaxSpeed: 80, OverspeedDuration: 5, NightMaxSpeed: 60}, {PointID: 2, SegmentID: 2, Lat: -22600000, Lon: 114100000, Width: 30, Attr: SegmentTimeLimited, TooLong: 600, TooShort: 60}}, Name: "班线"}}},
		"8900_2013_constructed.hex":       {{h13, &PassThrough{ID: MsgDownlinkPassThru, Type: 0xF0, Data: []byte{0xAA, 0x55, 0x7E, 0x7D}}}},
		"0704_2013_blind_constructed.hex": {{h13, &LocationBatch{Type: BatchBlindArea, Items: []Location{loc, {Lat: -33868820, Lon: -151209296, Time: BCDTimeOf(when.Add(-time.Hour))}}}}},
	}
}

func TestConstructedFrames(t *testing.T) {
	for name, msgs := range constructed(t) {
		t.Run(name, func(t *testing.T) {
			var want strings.Builder
			for _, m := range msgs {
				frame, err := Encode(nil, m.h, m.b)
				if err != nil {
					t.Fatal(err)
				}
				want.WriteString(hex.EncodeToString(frame) + "\n")
			}
			path := filepath.Join("testdata", name)
			if *update {
				if err := os.WriteFile(path, []byte(want.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want.String() {
				t.Errorf("encoder output differs from %s:\n got %s\nwant %s", path, got, want.String())
			}
		})
	}
}

// TestGolden explains every testdata frame and compares with the golden
// JSON; every published frame must decode without error.
func TestGolden(t *testing.T) {
	for _, path := range testdataFiles(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".hex")
		t.Run(name, func(t *testing.T) {
			var got []Explanation
			for _, fr := range readFrames(t, path) {
				e := Explain(fr)
				if e.Error != "" && !strings.Contains(name, "bad") {
					t.Errorf("%s: %s", e.Frame, e.Error)
				}
				got = append(got, e)
			}
			out, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, '\n')
			golden := filepath.Join("testdata", name+".json")
			if *update {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if diff := cmp.Diff(string(want), string(out)); diff != "" {
				t.Errorf("golden mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReencode decodes every testdata frame, encodes it again and checks
// the frame is reproduced byte for byte, except where the original uses
// padding or terminators this codec normalises (listed with the reason).
func TestReencode(t *testing.T) {
	normalised := map[string]string{
		"0100_2011_traccar": "space padding of fixed fields becomes NUL padding",
		"0100_2013_traccar": "space padding of fixed fields becomes NUL padding",
	}
	for _, path := range testdataFiles(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".hex")
		if strings.Contains(name, "bad") {
			continue
		}
		for i, fr := range readFrames(t, path) {
			pkt, err := Unpack(bytes.Clone(fr))
			if err != nil {
				t.Errorf("%s #%d: %v", name, i, err)
				continue
			}
			h, body, err := Decode(pkt)
			if err != nil {
				t.Errorf("%s #%d: %v", name, i, err)
				continue
			}
			out, err := Encode(nil, h, body)
			if err != nil {
				t.Errorf("%s #%d: encode: %v", name, i, err)
				continue
			}
			if !bytes.Equal(out, fr) && normalised[name] == "" {
				t.Errorf("%s #%d: re-encoded frame differs\n got %x\nwant %x", name, i, out, fr)
			}
		}
	}
}
