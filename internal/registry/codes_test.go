package registry_test

import (
	"math/rand/v2"
	"testing"

	"github.com/jiaotong-platform/jiaotong/internal/registry"
	"github.com/jiaotong-platform/jiaotong/internal/registry/registrytest"
)

func TestValidateCreditCode(t *testing.T) {
	tests := []struct {
		code string
		ok   bool
	}{
		{"91350100M000100Y43", true},  // real-shaped example from GB 32100 publications
		{"91510104MA61XKT62C", false}, // wrong check character
		{"91350100M000100Y4", false},  // 17 characters
		{"91350100M000100I43", false}, // I is not in the character set
		{registrytest.CreditCode("510104", 42), true},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			if err := registry.ValidateCreditCode(tt.code); (err == nil) != tt.ok {
				t.Errorf("ValidateCreditCode(%q) = %v, want ok=%v", tt.code, err, tt.ok)
			}
		})
	}
}

func TestValidateVIN(t *testing.T) {
	tests := []struct {
		vin string
		ok  bool
	}{
		{"1M8GDM9AXKP042788", true}, // the ISO 3779 textbook example
		{"LSVAU033512345678", false},
		{"1M8GDM9AXKP04278", false},  // 16 characters
		{"1M8GDM9AXKP0427O8", false}, // letter O
		{"11111111111111111", true},
		{registrytest.VIN(7), true},
	}
	for _, tt := range tests {
		t.Run(tt.vin, func(t *testing.T) {
			if err := registry.ValidateVIN(tt.vin); (err == nil) != tt.ok {
				t.Errorf("ValidateVIN(%q) = %v, want ok=%v", tt.vin, err, tt.ok)
			}
		})
	}
}

func TestValidateIDNumber(t *testing.T) {
	tests := []struct {
		id     string
		ok     bool
		gender registry.Gender
	}{
		{"11010519491231002X", true, registry.GenderFemale}, // the GB 11643 example
		{"110105194912310021", false, ""},
		{"510104199002301234", false, ""}, // February 30th
		{"51010419900101123", false, ""},
		{registrytest.IDNumber("510104", 3), true, registry.GenderFemale},
		{registrytest.IDNumber("510104", 3*6720), true, registry.GenderMale},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			_, g, err := registry.ValidateIDNumber(tt.id)
			if (err == nil) != tt.ok {
				t.Fatalf("ValidateIDNumber(%q) = %v, want ok=%v", tt.id, err, tt.ok)
			}
			if tt.ok && g != tt.gender {
				t.Errorf("gender = %s, want %s", g, tt.gender)
			}
		})
	}
	if got := registry.MaskIDNumber("11010519491231002X"); got != "110105********002X" {
		t.Errorf("MaskIDNumber = %s", got)
	}
}

func TestValidatePlate(t *testing.T) {
	tests := []struct {
		plate string
		color registry.PlateColor
		ok    bool
	}{
		{"川A12345", registry.PlateBlue, true},
		{"川AD12345", registry.PlateGreen, true},
		{"川A12345D", registry.PlateYellowGreen, true},
		{"川A1234挂", registry.PlateYellow, true},
		{"川AD12345", registry.PlateBlue, false},
		{"川A12345", registry.PlateGreen, false},
		{"XA12345", registry.PlateBlue, false},
		{"川112345", registry.PlateBlue, false},
		{"川A1234O", registry.PlateBlue, false},
		{"川A1234", registry.PlateBlue, false},
	}
	for _, tt := range tests {
		t.Run(tt.plate, func(t *testing.T) {
			if err := registry.ValidatePlate(tt.plate, tt.color); (err == nil) != tt.ok {
				t.Errorf("ValidatePlate(%q, %d) = %v, want ok=%v", tt.plate, tt.color, err, tt.ok)
			}
		})
	}
	if got := registry.NormalizePlate(" 川a·123 45 "); got != "川A12345" {
		t.Errorf("NormalizePlate = %q", got)
	}
}

func TestValidateOthers(t *testing.T) {
	if err := registry.ValidateMMSI("413123456"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"813123456", "41312345", "41312345a"} {
		if registry.ValidateMMSI(bad) == nil {
			t.Errorf("MMSI %q accepted", bad)
		}
	}
	if err := registry.ValidateIMO("IMO9074729"); err != nil {
		t.Error(err)
	}
	if registry.ValidateIMO("9074728") == nil {
		t.Error("bad IMO check digit accepted")
	}
	if got := registry.NormalizeTerminalPhone("00000000013912345678"); got != "13912345678" {
		t.Errorf("NormalizeTerminalPhone = %q", got)
	}
	if registry.ValidateLonLat(104.06, 30.67) != nil || registry.ValidateLonLat(-104.06, 30.67) == nil {
		t.Error("ValidateLonLat bounds")
	}
}

// mutateEveryPosition checks the property of a check character: a valid code
// validates, and replacing any single character by another of its alphabet
// makes it fail.
func mutateEveryPosition(t *testing.T, name, code, alphabet string, validate func(string) error) {
	t.Helper()
	if err := validate(code); err != nil {
		t.Fatalf("%s %q generated valid but rejected: %v", name, code, err)
	}
	b := []byte(code)
	for i := range b {
		orig := b[i]
		for j := 0; j < len(alphabet); j++ {
			if alphabet[j] == orig {
				continue
			}
			b[i] = alphabet[j]
			if validate(string(b)) == nil {
				t.Errorf("%s %q with position %d changed to %c still validates", name, code, i+1, alphabet[j])
			}
		}
		b[i] = orig
	}
}

func TestCheckCharacterProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const creditChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	const vinChars = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
	for range 20 {
		body := make([]byte, 17)
		for i := range body {
			body[i] = creditChars[r.IntN(len(creditChars))]
		}
		c, _ := registry.CreditCodeCheck(string(body))
		mutateEveryPosition(t, "credit code", string(body)+string(c), creditChars, registry.ValidateCreditCode)

		// ISO 3779 weights position 9 by 0 and some transliterations
		// coincide (A and J are both 1), so a VIN mutation is only required
		// to fail when it changes the weighted value.
		vin := make([]byte, 17)
		for i := range vin {
			vin[i] = vinChars[r.IntN(len(vinChars))]
		}
		vc, _ := registry.VINCheck(string(vin))
		vin[8] = vc
		if err := registry.ValidateVIN(string(vin)); err != nil {
			t.Fatalf("generated VIN %s rejected: %v", vin, err)
		}
		for i := range vin {
			orig := vin[i]
			for j := 0; j < len(vinChars); j++ {
				vin[i] = vinChars[j]
				changed, _ := registry.VINCheck(string(vin))
				if vinChars[j] != orig && i != 8 && changed == vc {
					continue // same transliterated value: indistinguishable by design
				}
				if vinChars[j] != orig && registry.ValidateVIN(string(vin)) == nil {
					t.Errorf("VIN %s with position %d changed still validates", vin, i+1)
				}
			}
			vin[i] = orig
		}

		id := registrytest.IDNumber("510104", r.IntN(100000))
		mutateEveryPosition(t, "ID number", id, "0123456789X", func(s string) error {
			_, _, err := registry.ValidateIDNumber(s)
			return err
		})
	}
}
