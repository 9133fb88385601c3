package jt808

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var cmpBody = []cmp.Option{cmpopts.EquateEmpty()}

// sampleBodies has one value of every body type, per version where the
// layout differs.
func sampleBodies() []Body {
	when := BCDTimeOf(time.Date(2025, 12, 31, 23, 59, 58, 0, cst))
	loc := Location{Alarm: 1, Status: 3, Lat: 31234567, Lon: -121987654, Altitude: 12, Speed: 600, Direction: 359, Time: when,
		Items: []Item{{0x01, Hex{0, 0, 1, 0}}, {0xEB, Hex{1, 2, 3}}}, Trailing: Hex{0x30}}
	loc.Status |= statusWest // the encoder sets it for a negative longitude
	return []Body{
		&TerminalResponse{GeneralResponse{1, 0x8300, 0}},
		&PlatformResponse{GeneralResponse{2, 0x0200, 4}},
		&Heartbeat{}, &Deregister{}, &QueryServerTime{}, &QueryParameters{}, &QueryAttributes{}, &QueryLocation{},
		NewServerTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
		&ResendRequest{ID: MsgPlatformResend, OriginalSerial: 9, Indexes: []uint16{2, 5}},
		&ResendRequest{ID: MsgTerminalResend, OriginalSerial: 9, Indexes: []uint16{1}},
		&Register{ProvinceID: 11, CityID: 101, Manufacturer: "ABCDE", Model: "M1", TerminalID: "ID1", PlateColor: 1, Plate: "京A12345"},
		&RegisterResponse{ReplySerial: 3, Result: 0, AuthCode: "code"},
		&RegisterResponse{ReplySerial: 3, Result: 4},
		&Auth{Code: "authcode"},
		&SetParameters{Params: []Param{ParamDWord(1, 10), ParamString(0x83, "粤B1")}},
		&ParametersReply{ReplySerial: 7, Params: []Param{ParamByte(0x84, 2)}},
		&QuerySomeParameters{IDs: []uint32{1, 0x55}},
		&Attributes{TerminalType: 1, Manufacturer: "M", Model: "X", TerminalID: "T", ICCID: "89860000000000000001", HardwareVersion: "h", FirmwareVersion: "f", GNSS: 3, Comm: 1},
		&loc,
		&LocationReply{ReplySerial: 5, Location: Location{Time: when, Lat: -1, Status: statusSouth}},
		&TrackLocation{Interval: 5, Validity: 3600},
		&ConfirmAlarm{AlarmSerial: 0, Alarm: 1 << 20},
		&LocationBatch{Type: BatchBlindArea, Items: []Location{{Time: when, Lat: 1}, {Time: when, Lon: 2, Items: []Item{{0x30, Hex{9}}}}}},
		&TextMessage{Flag: TextTTS, Text: "你好"},
		&SetCircleAreas{Action: AreaAppend, Areas: []CircleArea{{ID: 1, Attr: AreaTimeBounded | AreaSpeedLimited, Lat: 1, Lon: 2, Radius: 300, AreaLimits: AreaLimits{Start: when, End: when, MaxSpeed: 60, OverspeedDuration: 5}}}},
		&SetRectangleAreas{Areas: []RectangleArea{{ID: 2, TopLeftLat: 3, TopLeftLon: 4, BottomRightLat: 1, BottomRightLon: 5}}},
		&SetPolygonArea{ID: 3, Vertices: []Point{{1, 2}, {3, 4}, {5, 6}}},
		&SetRoute{ID: 4, Points: []RoutePoint{{PointID: 1, SegmentID: 1, Lat: 1, Lon: 1, Width: 10, Attr: SegmentTimeLimited | SegmentSpeedLimited, TooLong: 100, TooShort: 10, MaxSpeed: 50, OverspeedDuration: 3}}},
		&DeleteAreas{ID: MsgDeleteRoutes, IDs: []uint32{4, 5}},
		&DeleteAreas{ID: MsgDeleteCircleAreas},
		&MediaEvent{MediaID: 1, Type: 0, Format: 0, Event: 1, Channel: 2},
		&MediaData{MediaEvent: MediaEvent{MediaID: 1, Channel: 2}, Location: &Location{Time: when, Lat: 5}, Data: Hex{0xFF, 0xD8}},
		&MediaDataReply{MediaID: 1, Missing: []uint16{2, 3}},
		&MediaDataReply{MediaID: 1},
		&PassThrough{ID: MsgUplinkPassThrough, Type: 0xF1, Data: Hex{1}},
		&PassThrough{ID: MsgDownlinkPassThru, Type: 0x41, Data: Hex{}},
		&Raw{ID: 0xE001, Data: Hex{1, 2, 3}},
	}
}

func TestRoundTripEveryBody(t *testing.T) {
	for _, v := range []Version{V2011, V2013, V2019} {
		phone, _ := ParsePhone("1", v)
		for _, b := range sampleBodies() {
			if _, ok := b.(*MediaData); ok && v == V2011 {
				b = &MediaData{MediaEvent: MediaEvent{MediaID: 1}, Data: Hex{1}}
			}
			if a, ok := b.(*Attributes); ok && v == V2011 {
				_ = a // 0x0107 is a 2013 message; 2011 uses the 2013 layout here
			}
			t.Run(v.String()+"/"+MsgIDString(b.MsgID()), func(t *testing.T) {
				frame, err := Encode(nil, Header{Version: v, Phone: phone, Serial: 77}, b)
				if err != nil {
					t.Fatal(err)
				}
				pkt, err := Unpack(bytes.Clone(frame))
				if err != nil {
					t.Fatal(err)
				}
				h, err := parseForVersion(pkt, v)
				if err != nil {
					t.Fatal(err)
				}
				got, err := DecodeBody(&h, pkt[h.Len():])
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(b, got, append(cmpBody, cmpopts.IgnoreUnexported(Location{}))...); diff != "" {
					t.Errorf("decode(encode(x)) != x (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// parseForVersion reads a header and applies the version a gateway would
// have remembered (2011 cannot be seen in most headers).
func parseForVersion(pkt []byte, v Version) (Header, error) {
	h, _, err := ParseHeader(pkt)
	if err == nil && v == V2011 {
		h.Version = V2011
	}
	return h, err
}

func TestLocationBrokenItemKeepsBasicBlock(t *testing.T) {
	var l Location
	body := append(make([]byte, 28), 0x01, 0x04, 0x00, 0x00, 0x00, 0x10, 0x30, 0x05, 0x01)
	body[8], body[11] = 0x01, 0x02
	if err := DecodeLocation(&l, body); err != nil {
		t.Fatal(err)
	}
	if l.Lat != 0x01000002 || len(l.Items) != 1 || !bytes.Equal(l.Trailing, []byte{0x30, 0x05, 0x01}) {
		t.Errorf("got lat %d items %v trailing % X", l.Lat, l.Items, l.Trailing)
	}
	if m, ok := l.Mileage(); !ok || m != 16 {
		t.Errorf("mileage %d %v", m, ok)
	}
	if err := DecodeLocation(&l, body[:27]); !errors.Is(err, ErrTruncated) {
		t.Errorf("short block: %v", err)
	}
}

func TestLocationSigns(t *testing.T) {
	var l Location
	body := make([]byte, 28)
	body[7] = statusSouth | statusWest
	body[11], body[15] = 10, 20
	if err := DecodeLocation(&l, body); err != nil {
		t.Fatal(err)
	}
	if l.Lat != -10 || l.Lon != -20 {
		t.Errorf("lat %d lon %d", l.Lat, l.Lon)
	}
}

func TestVersionDetection(t *testing.T) {
	for _, tc := range []struct {
		file string
		want Version
	}{
		{"testdata/0100_2011_traccar.hex", V2011},
		{"testdata/0100_2013_traccar.hex", V2013},
		{"testdata/0100_2019_constructed.hex", V2019},
	} {
		for _, fr := range readFrames(t, tc.file) {
			pkt, err := Unpack(fr)
			if err != nil {
				t.Fatal(err)
			}
			h, _, err := Decode(pkt)
			if err != nil || h.Version != tc.want {
				t.Errorf("%s: version %v err %v, want %v", tc.file, h.Version, err, tc.want)
			}
		}
	}
}

func TestResendCountWidth(t *testing.T) {
	r := &ResendRequest{OriginalSerial: 0x6F, Indexes: []uint16{2, 3, 4}}
	b13, _ := r.AppendBody(nil, V2013)
	b19, _ := r.AppendBody(nil, V2019)
	if !bytes.Equal(b13, mustHex(t, "006f03000200030004")) || !bytes.Equal(b19, mustHex(t, "006f0003000200030004")) {
		t.Errorf("2013 % X, 2019 % X", b13, b19)
	}
	many := &ResendRequest{Indexes: make([]uint16, 256)}
	if _, err := many.AppendBody(nil, V2013); !errors.Is(err, ErrInvalid) {
		t.Errorf("256 indexes in 2013: %v", err)
	}
}

func TestUnknownIDIsRaw(t *testing.T) {
	pkt, _ := EncodePacket(nil, Header{}, &Raw{ID: 0xF0AB, Data: Hex{1, 2}})
	h, b, err := Decode(pkt)
	if err != nil || h.MsgID != 0xF0AB {
		t.Fatal(err)
	}
	if r, ok := b.(*Raw); !ok || !bytes.Equal(r.Data, []byte{1, 2}) {
		t.Errorf("got %#v", b)
	}
}

func TestExplainErrors(t *testing.T) {
	for _, tc := range []struct{ hex, want string }{
		{"zz", "not a hex"},
		{"7e7e", "too short"},
		{"7e0002000004304832546500b7cb7e", "bad check code"},
		{"7e01020005013511221122000661757468656e7469636174696f6e0d7e", "body length"},
		{"7e 0200 0010 013800138000 0001 0000000000000000000000000000 00 7e", "truncated"},
	} {
		e := ExplainHex(tc.hex)
		if !bytes.Contains([]byte(e.Error), []byte(tc.want)) {
			t.Errorf("%s: error %q, want it to mention %q", tc.hex, e.Error, tc.want)
		}
	}
}
