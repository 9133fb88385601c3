package registry

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jiaotong-platform/jiaotong/internal/platform/civil"
)

// This file holds the validators of the national identifiers the registry
// stores. Each returns nil or an error whose text is the reason shown to the
// user (in an apperr.FieldError), so import reports and API errors read the same.

// creditCodeChars is the GB 32100 character set: digits and capital letters
// without I, O, S, V and Z.
const creditCodeChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditCodeWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// CreditCodeCheck returns the GB 32100 check character for the first 17
// characters of a unified social credit code (统一社会信用代码).
func CreditCodeCheck(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, errors.New("需要17位本体代码 (17 characters before the check character)")
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(creditCodeChars, first17[i])
		if v < 0 {
			return 0, fmt.Errorf("第%d位字符 %q 不在 GB 32100 字符集 (character %d not allowed)", i+1, first17[i], i+1)
		}
		sum += v * creditCodeWeights[i]
	}
	return creditCodeChars[(31-sum%31)%31], nil
}

// ValidateCreditCode checks an 18-character unified social credit code: its
// character set and its check character.
func ValidateCreditCode(code string) error {
	if len(code) != 18 {
		return fmt.Errorf("统一社会信用代码应为18位 (must be 18 characters, got %d)", utf8.RuneCountInString(code))
	}
	want, err := CreditCodeCheck(code[:17])
	if err != nil {
		return err
	}
	if strings.IndexByte(creditCodeChars, code[17]) < 0 || code[17] != want {
		return fmt.Errorf("校验码错误 (check character should be %c)", want)
	}
	return nil
}

// vinValues is the ISO 3779 transliteration of VIN characters.
var vinValues = func() [256]int {
	var t [256]int
	for i := range t {
		t[i] = -1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = int(c - '0')
	}
	for i, c := range "ABCDEFGH" {
		t[c] = i + 1
	}
	for i, c := range "JKLMN" {
		t[c] = i + 1
	}
	t['P'], t['R'] = 7, 9
	for i, c := range "STUVWXYZ" {
		t[c] = i + 2
	}
	return t
}()

var vinWeights = [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}

// VINCheck returns the check digit (position 9) a VIN must carry.
func VINCheck(vin string) (byte, error) {
	if len(vin) != 17 {
		return 0, fmt.Errorf("车辆识别代号应为17位 (VIN must be 17 characters, got %d)", utf8.RuneCountInString(vin))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := vinValues[vin[i]]
		if v < 0 {
			return 0, fmt.Errorf("第%d位字符 %q 不允许 (letters I, O, Q and other characters are not allowed)", i+1, vin[i])
		}
		sum += v * vinWeights[i]
	}
	if r := sum % 11; r == 10 {
		return 'X', nil
	} else {
		return byte('0' + r), nil
	}
}

// ValidateVIN checks a vehicle identification number (车辆识别代号): 17
// characters without I, O, Q and the ISO 3779 check digit at position 9.
func ValidateVIN(vin string) error {
	want, err := VINCheck(vin)
	if err != nil {
		return err
	}
	if vin[8] != want {
		return fmt.Errorf("第9位校验位错误 (check digit should be %c)", want)
	}
	return nil
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckMap = "10X98765432"

// IDNumberCheck returns the GB 11643 check character of the first 17 digits
// of a resident ID number (居民身份证号码).
func IDNumberCheck(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, errors.New("需要17位本体码 (17 digits before the check character)")
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("第%d位应为数字 (character %d must be a digit)", i+1, i+1)
		}
		sum += int(c-'0') * idWeights[i]
	}
	return idCheckMap[sum%11], nil
}

// ValidateIDNumber checks an 18-character resident ID number: digits, a real
// birth date not in the future, and the check character. It returns the birth
// date and the gender it encodes.
func ValidateIDNumber(id string) (birth civil.Date, gender Gender, err error) {
	if len(id) != 18 {
		return civil.Date{}, "", fmt.Errorf("身份证号码应为18位 (must be 18 characters, got %d)", utf8.RuneCountInString(id))
	}
	want, err := IDNumberCheck(id[:17])
	if err != nil {
		return civil.Date{}, "", err
	}
	if id[17] != want {
		return civil.Date{}, "", fmt.Errorf("校验码错误 (check character should be %c)", want)
	}
	t, perr := time.Parse("20060102", id[6:14])
	if perr != nil || t.Year() < 1900 || civil.Of(t).After(civil.Today()) {
		return civil.Date{}, "", fmt.Errorf("出生日期 %s 无效 (birth date is not a real past date)", id[6:14])
	}
	gender = GenderFemale
	if (id[16]-'0')%2 == 1 {
		gender = GenderMale
	}
	return civil.Of(t), gender, nil
}

// MaskIDNumber hides the middle of an ID number: 510104********1234.
func MaskIDNumber(id string) string {
	if len(id) < 10 {
		return strings.Repeat("*", len(id))
	}
	return id[:6] + strings.Repeat("*", len(id)-10) + id[len(id)-4:]
}

// provinceAbbr lists the one-character province abbreviations that begin a
// Chinese plate number.
const provinceAbbr = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

// NormalizePlate upper-cases a plate number and drops the separators people
// type (川A·12345, 川A 12345, 川A-12345), the form the registry stores.
func NormalizePlate(p string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(p) {
		switch r {
		case '·', '•', '.', ' ', '-', '　', '・':
			continue
		}
		if r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func plateAlnum(r rune) bool {
	return (r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z' && r != 'I' && r != 'O')
}

// ValidatePlate checks a normalised plate number against its colour: a
// province abbreviation, the issuing authority's letter, then five
// characters (six for new-energy plates, which are green or yellow-green).
// The last of five may be 挂 (trailer) or 学 (driving-school car).
func ValidatePlate(plate string, color PlateColor) error {
	rs := []rune(plate)
	if len(rs) < 7 || len(rs) > 8 {
		return fmt.Errorf("号牌 %q 长度不对 (a plate has 7 characters, 8 for new-energy)", plate)
	}
	if !strings.ContainsRune(provinceAbbr, rs[0]) {
		return fmt.Errorf("号牌应以省份简称开头 (must start with a province abbreviation)")
	}
	if rs[1] < 'A' || rs[1] > 'Z' || rs[1] == 'I' || rs[1] == 'O' {
		return fmt.Errorf("号牌第2位应为发牌机关字母 (second character must be a letter)")
	}
	tail := rs[2:]
	for i, r := range tail {
		if plateAlnum(r) {
			continue
		}
		if i == len(tail)-1 && len(tail) == 5 && (r == '挂' || r == '学') {
			continue
		}
		return fmt.Errorf("号牌字符 %q 不允许 (letters and digits only, no I or O)", string(r))
	}
	newEnergy := len(tail) == 6
	switch {
	case newEnergy && color != PlateGreen && color != PlateYellowGreen:
		return errors.New("8位新能源号牌应为绿色或黄绿色 (new-energy plates are green or yellow-green)")
	case !newEnergy && (color == PlateGreen || color == PlateYellowGreen):
		return errors.New("绿色号牌应为8位新能源号牌 (green plates have 6 characters after the letter)")
	}
	return nil
}

// NormalizeTerminalPhone returns the canonical form of a JT/T 808 terminal
// phone number: its digits without leading zeros, so the 12-digit BCD[6] of
// the 2013 protocol and the 20-digit BCD[10] of 2019 name the same terminal.
func NormalizeTerminalPhone(p string) string {
	p = strings.TrimSpace(p)
	t := strings.TrimLeft(p, "0")
	if t == "" && p != "" {
		return "0"
	}
	return t
}

// ValidateTerminalPhone checks a terminal phone number: 1 to 20 digits.
func ValidateTerminalPhone(p string) error {
	if len(p) == 0 || len(p) > 20 {
		return errors.New("终端手机号应为1至20位数字 (1 to 20 digits)")
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return errors.New("终端手机号只能含数字 (digits only)")
		}
	}
	return nil
}

// ValidatePhone loosely checks a contact phone number: digits with an
// optional leading +, dashes and spaces, 5 to 20 characters.
func ValidatePhone(p string) error {
	if len(p) < 5 || len(p) > 20 {
		return errors.New("电话号码长度应为5至20位 (5 to 20 characters)")
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if (c >= '0' && c <= '9') || c == '-' || c == ' ' || (c == '+' && i == 0) {
			continue
		}
		return errors.New("电话号码只能含数字和连字符 (digits and dashes only)")
	}
	return nil
}

// ValidateMMSI checks a Maritime Mobile Service Identity of a ship station:
// nine digits whose Maritime Identification Digits (the first three) lie in
// 201-775 (China uses 412, 413 and 414).
func ValidateMMSI(m string) error {
	if len(m) != 9 {
		return errors.New("MMSI应为9位数字 (9 digits)")
	}
	for i := 0; i < 9; i++ {
		if m[i] < '0' || m[i] > '9' {
			return errors.New("MMSI只能含数字 (digits only)")
		}
	}
	if m[0] < '2' || m[0] > '7' {
		return errors.New("MMSI的海上识别数字应为2xx-7xx (MID must be 2xx-7xx)")
	}
	return nil
}

// ValidateIMO checks an IMO ship number: "IMO" optional, seven digits whose
// last is the sum of the first six weighted 7..2, modulo 10.
func ValidateIMO(n string) error {
	n = strings.TrimPrefix(n, "IMO")
	if len(n) != 7 {
		return errors.New("IMO编号应为7位数字 (7 digits)")
	}
	sum := 0
	for i := 0; i < 7; i++ {
		if n[i] < '0' || n[i] > '9' {
			return errors.New("IMO编号只能含数字 (digits only)")
		}
		if i < 6 {
			sum += int(n[i]-'0') * (7 - i)
		}
	}
	if int(n[6]-'0') != sum%10 {
		return fmt.Errorf("IMO校验位错误 (check digit should be %d)", sum%10)
	}
	return nil
}

// ValidateLonLat checks a WGS-84 position lies inside China's rough bounds.
func ValidateLonLat(lon, lat float64) error {
	if lon < 73 || lon > 136 || lat < 3 || lat > 54 {
		return fmt.Errorf("坐标 (%g, %g) 不在中国范围内 (WGS-84 longitude 73..136, latitude 3..54)", lon, lat)
	}
	return nil
}
