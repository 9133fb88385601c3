package gateway

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func samplePositions() []Position {
	recv := time.UnixMilli(1_780_000_000_123)
	return []Position{
		{
			VehicleID: 42, Phone: "13800138000", DeviceTime: recv.Add(-1500 * time.Millisecond), ReceiveTime: recv,
			Lat: 30657400, Lon: 104065800, Speed: 652, Heading: 271, Altitude: 512, Alarm: 1 << 1, Status: 0b1110_0000_0000_0011,
			Has: HasMileage | HasFuel | HasSignal | HasSatellites, Mileage: 1234567, Fuel: 803, Signal: 25, Satellites: 14,
			Extra: []byte{0x01, 4, 0, 0x12, 0xd6, 0x87, 0x02, 2, 0x03, 0x23, 0x30, 1, 25, 0x31, 1, 14}, Version: V2019,
		},
		{
			VehicleID: 7, Phone: "1", DeviceTime: recv.Add(-3 * time.Hour), ReceiveTime: recv.Add(2 * time.Millisecond),
			Lat: -33868800, Lon: -151209300, BlindArea: true, UndatedDevice: true, Version: V2011, Has: HasTachoSpeed, TachoSpeed: 600,
		},
		{VehicleID: 1 << 40, Phone: "", DeviceTime: recv, ReceiveTime: recv, Alarm: 0xffffffff, Status: 0xffffffff, Speed: 0xffff, Altitude: -5},
	}
}

func TestPositionBatchRoundTrip(t *testing.T) {
	ps := samplePositions()
	data := AppendPositions(nil, ps)
	got, err := DecodePositions(data, nil)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if diff := cmp.Diff(ps, got); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}

	t.Run("appends after existing bytes", func(t *testing.T) {
		prefix := []byte("xyz")
		out := AppendPositions(prefix, ps)
		if string(out[:3]) != "xyz" {
			t.Fatalf("prefix lost: %q", out[:3])
		}
		got, err := DecodePositions(out[3:], nil)
		if err != nil || len(got) != len(ps) {
			t.Fatalf("decode after prefix: %d positions, %v", len(got), err)
		}
	})
	t.Run("codec", func(t *testing.T) {
		var c PositionBatchCodec
		b, _ := c.Encode(nil, ps)
		var out []Position
		if err := c.Decode(b, &out); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(ps, out); diff != "" {
			t.Fatalf("codec (-want +got):\n%s", diff)
		}
	})
}

func TestPositionBatchRejectsGarbage(t *testing.T) {
	good := AppendPositions(nil, samplePositions())
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"bad magic", []byte{'X', 1, 0}},
		{"unknown version", []byte{'P', 9, 0}},
		{"truncated", good[:len(good)-3]},
		{"unknown flags", append(AppendPositions(nil, nil), 0xe0, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := DecodePositions(tc.data, nil); !errors.Is(err, ErrBadBatch) {
				t.Fatalf("got %v, want ErrBadBatch", err)
			}
		})
	}
}

func TestBatchEncoderAllocationFree(t *testing.T) {
	ps := samplePositions()
	var e BatchEncoder
	e.Reset(ps[0].ReceiveTime)
	for range 300 {
		e.Append(&ps[0])
	}
	allocs := testing.AllocsPerRun(100, func() {
		e.Reset(ps[0].ReceiveTime)
		for i := range 256 {
			e.Append(&ps[i%len(ps)])
		}
	})
	if allocs != 0 {
		t.Fatalf("encoding a batch into a reused buffer allocated %.1f times", allocs)
	}
}

func TestPartitionSpreadsAndIsStable(t *testing.T) {
	counts := make([]int, 16)
	for id := int64(1); id <= 16000; id++ {
		p := Partition(id, 16)
		if p != Partition(id, 16) || p < 0 || p >= 16 {
			t.Fatalf("partition of %d: %d", id, p)
		}
		counts[p]++
	}
	for p, c := range counts {
		if c < 800 || c > 1200 {
			t.Errorf("partition %d holds %d of 16000 vehicles; want about 1000", p, c)
		}
	}
	if Partition(5, 1) != 0 || Partition(5, 0) != 0 {
		t.Fatal("a single partition must be 0")
	}
}

func FuzzDecodePositions(f *testing.F) {
	f.Add(AppendPositions(nil, samplePositions()))
	f.Add([]byte{'P', 1, 0})
	f.Add([]byte{'P', 1, 0, 0, 0, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := DecodePositions(data, nil)
		if err != nil {
			return
		}
		// What decodes re-encodes to something that decodes the same.
		again, err := DecodePositions(AppendPositions(nil, ps), nil)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if diff := cmp.Diff(ps, again); diff != "" {
			t.Fatalf("re-encode changed the batch (-first +second):\n%s", diff)
		}
	})
}

func BenchmarkBatchEncode(b *testing.B) {
	ps := samplePositions()
	var e BatchEncoder
	b.ReportAllocs()
	for b.Loop() {
		e.Reset(ps[0].ReceiveTime)
		for i := range 256 {
			e.Append(&ps[i%len(ps)])
		}
	}
	b.ReportMetric(float64(e.Size())/256, "bytes/pos")
}
