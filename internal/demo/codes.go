package demo

import (
	"fmt"
	"strings"
)

// This file computes the check characters of the national identifiers the
// demo data carries. They are written here, from the standards, rather than
// borrowed from registry's validators, so that the tests cross-check two
// independent implementations.

// GB 32100-2015 unified social credit code (统一社会信用代码).
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY" // no I, O, S, V, Z

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// usccCheck returns the check character of the 17-character body.
func usccCheck(body string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(usccChars, body[i]) * usccWeights[i]
	}
	return usccChars[(31-sum%31)%31]
}

// orgCodeCheck returns the GB 11714 check character of an 8-character
// organization code body (digits here): weights 3,7,9,10,5,8,4,2, modulus 11.
func orgCodeCheck(body string) byte {
	weights := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 8; i++ {
		sum += int(body[i]-'0') * weights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X'
	case 11:
		return '0'
	default:
		return byte('0' + c)
	}
}

// creditCode builds a unified social credit code of an enterprise (registration
// authority 9 = market regulation, type 1 = enterprise) registered in region,
// around a 9-character organization code with its own GB 11714 check.
func creditCode(region string, orgBody int) string {
	body8 := fmt.Sprintf("%08d", orgBody%100000000)
	body := "91" + region + body8 + string(orgCodeCheck(body8))
	return body + string(usccCheck(body))
}

// ISO 3779 vehicle identification number (车辆识别代号).
func vinValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'H':
		return int(c-'A') + 1
	case c >= 'J' && c <= 'N':
		return int(c-'J') + 1
	case c == 'P':
		return 7
	case c == 'R':
		return 9
	case c >= 'S' && c <= 'Z':
		return int(c-'S') + 2
	}
	return 0
}

var vinWeights = [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}

// vinWithCheck returns vin (17 characters, position 9 a placeholder) with the
// check digit filled in.
func vinWithCheck(vin string) string {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += vinValue(vin[i]) * vinWeights[i]
	}
	check := byte('0' + sum%11)
	if sum%11 == 10 {
		check = 'X'
	}
	return vin[:8] + string(check) + vin[9:]
}

// GB 11643-1999 citizen identification number (居民身份证号码).
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheck returns the check character of the 17-digit body.
func idCheck(body string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(body[i]-'0') * idWeights[i]
	}
	return "10X98765432"[sum%11]
}
