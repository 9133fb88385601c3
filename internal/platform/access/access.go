// Package access defines who is acting (Principal), what they may do (roles
// and permissions) and which data they may see (Scope). It is the shared
// vocabulary between iam, which authenticates requests and puts a Principal in
// the context, and every module that checks permissions and filters by scope.
package access

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
)

// Role is a user's job on the platform.
type Role string

// The roles named by the seeds. A user holds one or more.
const (
	RoleAdmin      Role = "admin"      // platform administrator (系统管理员)
	RoleRegulator  Role = "regulator"  // transport authority regulator (运管/执法/信用)
	RoleMonitor    Role = "monitor"    // monitoring officer (监控员)
	RoleEnterprise Role = "enterprise" // transport enterprise staff (企业用户)
	RoleField      Role = "field"      // field enforcement officer (运政通)
	RoleReadOnly   Role = "readonly"   // read-only viewer (只读)
)

// Roles lists every role, in display order.
var Roles = []Role{RoleAdmin, RoleRegulator, RoleMonitor, RoleEnterprise, RoleField, RoleReadOnly}

// Label returns the role's Chinese name for the console.
func (r Role) Label() string {
	switch r {
	case RoleAdmin:
		return "系统管理员"
	case RoleRegulator:
		return "监管人员"
	case RoleMonitor:
		return "监控员"
	case RoleEnterprise:
		return "企业用户"
	case RoleField:
		return "执法人员"
	case RoleReadOnly:
		return "只读用户"
	}
	return string(r)
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Permission names one capability. Modules declare their own and grant them
// to roles in the table below, so the whole policy reads in one place.
type Permission string

// Permissions of the foundation modules.
const (
	PermRegistryRead  Permission = "registry.read"
	PermRegistryWrite Permission = "registry.write"
	PermUsersManage   Permission = "iam.users.manage"
	PermAuditRead     Permission = "audit.read"
	PermMonitorRead   Permission = "monitor.read"
	PermAlarmHandle   Permission = "monitor.alarm.handle"
	PermAlarmReview   Permission = "monitor.alarm.review"
	// PermTerminalCommand sends commands (text, parameters, tracking, areas)
	// to vehicle terminals through the gateway.
	PermTerminalCommand Permission = "gateway.terminal.command"
	// PermPlatformCheck sends platform checks (平台查岗) to enterprises; the
	// enterprises answer with PermAlarmHandle.
	PermPlatformCheck Permission = "monitor.check.send"
	// PermWebhooksManage configures the webhooks that receive monitor events.
	PermWebhooksManage Permission = "monitor.webhooks.manage"
	// PermWaybillRead reads dangerous-goods e-waybills (电子运单) and their
	// statistics; verifying a waybill's token needs no permission at all.
	PermWaybillRead Permission = "waybill.read"
	// PermWaybillWrite writes, issues, moves and cancels e-waybills: the
	// carrier's staff (enterprise) and administrators.
	PermWaybillWrite Permission = "waybill.write"
)

var grants = map[Role][]Permission{
	RoleAdmin: {PermRegistryRead, PermRegistryWrite, PermUsersManage, PermAuditRead,
		PermMonitorRead, PermAlarmHandle, PermAlarmReview, PermTerminalCommand, PermPlatformCheck, PermWebhooksManage,
		PermWaybillRead, PermWaybillWrite},
	RoleRegulator:  {PermRegistryRead, PermRegistryWrite, PermMonitorRead, PermAlarmReview, PermPlatformCheck, PermWaybillRead},
	RoleMonitor:    {PermRegistryRead, PermMonitorRead, PermAlarmHandle, PermAlarmReview, PermTerminalCommand, PermPlatformCheck, PermWaybillRead},
	RoleEnterprise: {PermRegistryRead, PermRegistryWrite, PermMonitorRead, PermAlarmHandle, PermTerminalCommand, PermWaybillRead, PermWaybillWrite},
	RoleField:      {PermRegistryRead, PermMonitorRead, PermWaybillRead},
	RoleReadOnly:   {PermRegistryRead, PermMonitorRead, PermWaybillRead},
}

// Grants reports whether role r carries permission p.
func (r Role) Grants(p Permission) bool { return slices.Contains(grants[r], p) }

// Permissions returns every permission granted by any of roles, sorted and
// without duplicates (what the console shows and uses to hide menu items).
func Permissions(roles ...Role) []Permission {
	var out []Permission
	for _, r := range roles {
		out = append(out, grants[r]...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Scope is the slice of data a principal may see and change: a region
// subtree (GB/T 2260 code of a province, city or county), one enterprise, or
// everything. An enterprise scope also carries the enterprise's region.
type Scope struct {
	// Region is a 6-digit GB/T 2260 code; "" means the whole country.
	Region string `json:"region,omitempty"`
	// OperatorID, when non-zero, limits the scope to one enterprise (业户).
	OperatorID int64 `json:"operator_id,omitempty"`
}

// All is the unrestricted scope of a platform administrator.
var All = Scope{}

// RegionPrefix returns the code prefix shared by every region inside the
// scope: "51" for 510000 (Sichuan), "5101" for 510100 (Chengdu), the full code
// for a county. "" means every region.
func (s Scope) RegionPrefix() string { return RegionPrefix(s.Region) }

// RegionPrefix returns the prefix of the GB/T 2260 subtree rooted at code.
func RegionPrefix(code string) string {
	switch {
	case code == "" || code == "000000" || code == "100000":
		return ""
	case strings.HasSuffix(code, "0000"):
		return code[:2]
	case strings.HasSuffix(code, "00"):
		return code[:4]
	}
	return code
}

// ContainsRegion reports whether region code lies inside the scope's region.
func (s Scope) ContainsRegion(code string) bool {
	return strings.HasPrefix(code, s.RegionPrefix())
}

// Allows reports whether a record in region, owned by operatorID (0 when the
// record belongs to no enterprise), is inside the scope.
func (s Scope) Allows(region string, operatorID int64) bool {
	if !s.ContainsRegion(region) {
		return false
	}
	return s.OperatorID == 0 || s.OperatorID == operatorID
}

// Within reports whether s lies entirely inside outer: used when an
// administrator grants a scope to another user.
func (s Scope) Within(outer Scope) bool {
	if !outer.ContainsRegion(s.Region) {
		return false
	}
	return outer.OperatorID == 0 || outer.OperatorID == s.OperatorID
}

// Principal is the authenticated actor of a request.
type Principal struct {
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
	Name     string `json:"name"`
	Roles    []Role `json:"roles"`
	Scope    Scope  `json:"scope"`
	// Via says how the request authenticated: "session", "token" or "system".
	Via string `json:"via"`
	// RemoteAddr is the client address, kept for the audit log.
	RemoteAddr string `json:"-"`
}

// Can reports whether any of the principal's roles grants p.
func (p *Principal) Can(perm Permission) bool {
	if p == nil {
		return false
	}
	for _, r := range p.Roles {
		if r.Grants(perm) {
			return true
		}
	}
	return false
}

// System is the principal of the platform itself (start-up seeding, demo data,
// background jobs). It has every permission and the whole country in scope.
var System = &Principal{Username: "system", Name: "系统", Roles: []Role{RoleAdmin}, Via: "system"}

type ctxKey struct{}

// With returns a context carrying p.
func With(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// CredentialCheck tells whether the credential a principal authenticated
// with still holds: the session not logged out, idle or expired, the token
// not revoked, the user not disabled. It returns an error of kind
// ErrUnauthorized once the credential is gone. A request is checked when it
// arrives; a connection that outlives its request (the live WebSocket) calls
// the check now and then, so logging out ends it too.
type CredentialCheck func(ctx context.Context) error

type credentialKey struct{}

// WithCredentialCheck returns ctx carrying check, set by the authenticating
// middleware next to the principal.
func WithCredentialCheck(ctx context.Context, check CredentialCheck) context.Context {
	return context.WithValue(ctx, credentialKey{}, check)
}

// CredentialCheckFrom returns the check in ctx, or nil (anonymous requests,
// principals that cannot lapse such as tests' fixed principals).
func CredentialCheckFrom(ctx context.Context) CredentialCheck {
	c, _ := ctx.Value(credentialKey{}).(CredentialCheck)
	return c
}

// From returns the principal in ctx, or nil when the request is anonymous.
func From(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}

// Require returns the principal in ctx when it holds perm, and an error of
// kind ErrUnauthorized (no principal) or ErrForbidden (missing permission).
func Require(ctx context.Context, perm Permission) (*Principal, error) {
	p := From(ctx)
	if p == nil {
		return nil, fmt.Errorf("login required: %w", apperr.ErrUnauthorized)
	}
	if !p.Can(perm) {
		return nil, apperr.Forbidden(fmt.Sprintf("permission %s required", perm))
	}
	return p, nil
}
