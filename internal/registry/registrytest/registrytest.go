// Package registrytest helps other modules' tests build registry data: valid
// national codes made from a number (so fixtures never collide), and a
// test-only middleware that authenticates requests from a header.
package registrytest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
)

// CreditCode returns a valid unified social credit code unique for n
// (a company registered in region, a 6-digit code).
func CreditCode(region string, n int) string {
	body := fmt.Sprintf("91%s%09d", region, n%1_000_000_000)
	c, err := registry.CreditCodeCheck(body)
	if err != nil {
		panic(err)
	}
	return body + string(c)
}

// VIN returns a valid VIN unique for n.
func VIN(n int) string {
	v := []byte(fmt.Sprintf("LGB%05dX%08d", n/100_000_000%100_000, n%100_000_000))
	v = append(v[:0:0], v...)
	// Positions 1-8 WMI+VDS, 9 check, 10-17 serial: LGB + 5 digits, check, 8 digits.
	c, err := registry.VINCheck(string(v))
	if err != nil {
		panic(err)
	}
	v[8] = c
	return string(v)
}

// IDNumber returns a valid resident ID number of someone born in 1980-1999
// in region, unique for n below 1000 per birth date.
func IDNumber(region string, n int) string {
	year := 1980 + n%20
	month := 1 + (n/20)%12
	day := 1 + (n/240)%28
	body := fmt.Sprintf("%s%04d%02d%02d%03d", region, year, month, day, (n/6720)%1000)
	c, err := registry.IDNumberCheck(body)
	if err != nil {
		panic(err)
	}
	return body + string(c)
}

// Plate returns a valid blue-plate style number for province abbreviation p
// ("川") and authority letter l ("A"), unique for n below 10^5.
func Plate(p, l string, n int) string {
	return fmt.Sprintf("%s%s%05d", p, l, n%100_000)
}

// Principal builds a principal with the given scope and roles.
func Principal(username, region string, operatorID int64, roles ...access.Role) *access.Principal {
	return &access.Principal{UserID: int64(len(username)), Username: username, Roles: roles,
		Scope: access.Scope{Region: region, OperatorID: operatorID}, Via: "test"}
}

// Header is the request header Authenticate reads.
const Header = "X-Test-Principal"

// Authenticate is test middleware standing in for iam: the header
// "X-Test-Principal: role[+role]:region[:operator_id]" makes the request act as
// such a principal. Without the header the request is anonymous.
func Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get(Header)
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		parts := strings.Split(h, ":")
		var roles []access.Role
		for _, s := range strings.Split(parts[0], "+") {
			roles = append(roles, access.Role(s))
		}
		p := &access.Principal{UserID: 1, Username: h, Roles: roles, Via: "test", RemoteAddr: r.RemoteAddr}
		if len(parts) > 1 {
			p.Scope.Region = parts[1]
		}
		if len(parts) > 2 {
			p.Scope.OperatorID, _ = strconv.ParseInt(parts[2], 10, 64)
		}
		next.ServeHTTP(w, r.WithContext(access.With(r.Context(), p)))
	})
}
