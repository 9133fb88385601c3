package registry

import (
	"testing"
	"unicode/utf8"
)

// FuzzCodes feeds arbitrary text to every national-code parser: none may
// panic, and whatever one accepts must still be accepted after
// normalisation (a stored code always re-validates).
func FuzzCodes(f *testing.F) {
	for _, seed := range []string{
		"91510100MA6C00000M", "LZYLBYBR2RF134623", "510104199001011234", "川A12345", "川AD12345", "川A·1234学",
		"412345678", "IMO 9074729", "13800138000", "", "\x00\xff", "ｌｚｙｌ", "川", "91510100MA6C00000",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateCreditCode(s) == nil && len(s) != 18 {
			t.Errorf("credit code %q of length %d accepted", s, len(s))
		}
		if ValidateVIN(s) == nil && len(s) != 17 {
			t.Errorf("VIN %q of length %d accepted", s, len(s))
		}
		if _, _, err := ValidateIDNumber(s); err == nil && len(s) != 18 {
			t.Errorf("ID number %q of length %d accepted", s, len(s))
		}
		_ = MaskIDNumber(s)
		p := NormalizePlate(s)
		if utf8.ValidString(s) && !utf8.ValidString(p) {
			t.Errorf("NormalizePlate(%q) = %q is not valid UTF-8", s, p)
		}
		for _, c := range []PlateColor{1, 2, 5, 93} {
			if ValidatePlate(p, c) == nil && ValidatePlate(NormalizePlate(p), c) != nil {
				t.Errorf("plate %q accepted but not after normalising again", p)
			}
		}
		if ValidateTerminalPhone(s) == nil && ValidateTerminalPhone(NormalizeTerminalPhone(s)) != nil {
			t.Errorf("terminal phone %q accepted but not after normalising", s)
		}
		_ = ValidatePhone(s)
		_ = ValidateMMSI(s)
		_ = ValidateIMO(s)
	})
}
