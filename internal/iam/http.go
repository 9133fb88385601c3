package iam

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/access"
	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/httpapi"
	"github.com/jiaotong-platform/jiaotong/internal/platform/region"
)

// Register adds the iam operations to api (the server's /api/v1 group):
// authentication, users, API tokens, org units, regions and the audit log.
func Register(api huma.API, svc *Service) {
	registerAuth(api, svc)
	registerUsers(api, svc)
	registerTokens(api, svc)
	registerOrgUnits(api, svc)
	registerRegions(api)
	registerAudit(api, svc)
}

const smallBody = 16 << 10

// ---- authentication ----

type loginInput struct {
	Body struct {
		Username string `json:"username" minLength:"1" maxLength:"64"`
		Password string `json:"password" minLength:"1" maxLength:"128"`
	}
}

type loginOutput struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
	Body      Me
}

type meOutput struct {
	Body Me
}

type logoutOutput struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
}

type changePasswordInput struct {
	Body struct {
		CurrentPassword string `json:"current_password" minLength:"1" maxLength:"128"`
		NewPassword     string `json:"new_password" minLength:"1" maxLength:"128"`
	}
}

func (s *Service) sessionCookie(ctx context.Context, value string, expires time.Time) http.Cookie {
	c := http.Cookie{Name: CookieName, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.cfg.SecureCookie || clientFrom(ctx).tls}
	if value == "" {
		c.MaxAge = -1
		c.Expires = time.Unix(0, 0)
	} else {
		c.Expires = expires
		c.MaxAge = int(time.Until(expires) / time.Second)
		if c.MaxAge <= 0 {
			c.MaxAge = int(s.cfg.SessionLifetime / time.Second)
		}
	}
	return c
}

func registerAuth(api huma.API, s *Service) {
	huma.Register(api, huma.Operation{
		OperationID: "login", Method: http.MethodPost, Path: "/auth/login", Tags: []string{"auth"},
		Summary: "Log in (登录)",
		Description: "Checks the username and password and opens a console session: the session cookie " +
			"(HttpOnly, SameSite=Lax) is set and the body carries the CSRF token for unsafe requests. " +
			"Wrong credentials answer 401 whether or not the user exists; after repeated failures the username " +
			"is locked (423) and a client address that keeps failing is throttled (429).",
		Security: []map[string][]string{}, MaxBodyBytes: smallBody,
		Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusLocked, http.StatusTooManyRequests},
	}, func(ctx context.Context, in *loginInput) (*loginOutput, error) {
		res, err := s.Login(ctx, in.Body.Username, in.Body.Password)
		if err != nil {
			return nil, err
		}
		u := res.User
		p := &access.Principal{UserID: u.ID, Username: u.Username, Name: u.DisplayName, Roles: u.Roles,
			Scope: u.Scope.Scope(), Via: viaSession, RemoteAddr: clientFrom(ctx).addr}
		mctx := context.WithValue(access.With(ctx, p), sessionKey{}, &session{csrf: res.CSRFToken, expiresAt: res.ExpiresAt})
		me, err := s.Me(mctx)
		if err != nil {
			return nil, err
		}
		return &loginOutput{SetCookie: s.sessionCookie(ctx, res.Token, res.ExpiresAt), Body: me}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "logout", Method: http.MethodPost, Path: "/auth/logout", Tags: []string{"auth"},
		Summary: "Log out (退出登录)", Description: "Ends the console session and clears its cookie.",
		DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, _ *struct{}) (*logoutOutput, error) {
		if err := s.Logout(ctx); err != nil {
			return nil, err
		}
		return &logoutOutput{SetCookie: s.sessionCookie(ctx, "", time.Time{})}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-me", Method: http.MethodGet, Path: "/auth/me", Tags: []string{"auth"},
		Summary:     "Who am I (当前用户)",
		Description: "The caller's identity, roles with their Chinese labels, data scope and permissions; for a session also its CSRF token.",
	}, func(ctx context.Context, _ *struct{}) (*meOutput, error) {
		me, err := s.Me(ctx)
		if err != nil {
			return nil, err
		}
		return &meOutput{Body: me}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "change-own-password", Method: http.MethodPost, Path: "/auth/password", Tags: []string{"auth"},
		Summary:       "Change own password (修改密码)",
		Description:   "Needs the current password. Other sessions of the user end.",
		DefaultStatus: http.StatusNoContent, MaxBodyBytes: smallBody,
	}, func(ctx context.Context, in *changePasswordInput) (*struct{}, error) {
		return nil, s.ChangeOwnPassword(ctx, in.Body.CurrentPassword, in.Body.NewPassword)
	})
}

// ---- users ----

// UserIDPath is the {id} of the /users/{id} operations (exported: huma
// only looks into exported embedded structs).
type UserIDPath struct {
	ID int64 `path:"id" minimum:"1"`
}

type userOutput struct {
	Body User
}

type listUsersInput struct {
	httpapi.ListParams
	Role   string `query:"role" enum:"admin,regulator,monitor,enterprise,field,readonly" doc:"Users holding this role"`
	Status string `query:"status" enum:"active,disabled,locked"`
	Region string `query:"region" pattern:"^[0-9]{6}$" doc:"Users whose scope lies in this region subtree"`
}

type resetPasswordOutput struct {
	Body struct {
		Password string `json:"password,omitempty" doc:"The generated password, shown only now (absent when one was given)"`
	}
}

func registerUsers(api huma.API, s *Service) {
	tags := []string{"users"}
	huma.Register(api, huma.Operation{
		OperationID: "list-users", Method: http.MethodGet, Path: "/users", Tags: tags,
		Summary: "List users (用户列表)", Description: "Users whose scope lies within the caller's. q searches username, name, phone and e-mail.",
	}, func(ctx context.Context, in *listUsersInput) (*struct{ Body httpapi.Page[User] }, error) {
		items, total, err := s.ListUsers(ctx, UserFilter{ListParams: in.ListParams, Role: access.Role(in.Role),
			Status: in.Status, Region: in.Region})
		if err != nil {
			return nil, err
		}
		return &struct{ Body httpapi.Page[User] }{Body: httpapi.NewPage(items, total, in.ListParams)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-user", Method: http.MethodPost, Path: "/users", Tags: tags,
		Summary:       "Create a user (新建用户)",
		Description:   "The scope granted must lie within the caller's own scope (403 naming body.scope otherwise).",
		DefaultStatus: http.StatusCreated, MaxBodyBytes: smallBody,
	}, func(ctx context.Context, in *struct{ Body UserInput }) (*userOutput, error) {
		u, err := s.CreateUser(ctx, in.Body)
		if err != nil {
			return nil, err
		}
		return &userOutput{Body: u}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-user", Method: http.MethodGet, Path: "/users/{id}", Tags: tags, Summary: "Get a user",
	}, func(ctx context.Context, in *UserIDPath) (*userOutput, error) {
		u, err := s.GetUser(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &userOutput{Body: u}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "update-user", Method: http.MethodPatch, Path: "/users/{id}", Tags: tags,
		Summary:      "Update a user (修改用户)",
		Description:  "Absent fields stay unchanged. status=active also lifts a lock-out.",
		MaxBodyBytes: smallBody,
	}, func(ctx context.Context, in *struct {
		UserIDPath
		Body UserPatch
	}) (*userOutput, error) {
		u, err := s.UpdateUser(ctx, in.ID, in.Body)
		if err != nil {
			return nil, err
		}
		return &userOutput{Body: u}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "disable-user", Method: http.MethodPost, Path: "/users/{id}/disable", Tags: tags,
		Summary: "Disable a user (停用用户)", Description: "The user can no longer log in; its sessions end and its tokens stop working.",
	}, func(ctx context.Context, in *UserIDPath) (*userOutput, error) {
		u, err := s.DisableUser(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &userOutput{Body: u}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "reset-user-password", Method: http.MethodPost, Path: "/users/{id}/password", Tags: tags,
		Summary:      "Reset a user's password (重置密码)",
		Description:  "Sets the given password or, when none is given, generates one and returns it once. The user's sessions end.",
		MaxBodyBytes: smallBody,
	}, func(ctx context.Context, in *struct {
		UserIDPath
		Body struct {
			Password string `json:"password,omitempty" maxLength:"128"`
		}
	}) (*resetPasswordOutput, error) {
		gen, err := s.ResetPassword(ctx, in.ID, in.Body.Password)
		if err != nil {
			return nil, err
		}
		out := &resetPasswordOutput{}
		out.Body.Password = gen
		return out, nil
	})
}

// ---- API tokens ----

type tokenListOutput struct {
	Body struct {
		Items []Token `json:"items" nullable:"false"`
	}
}

type newTokenOutput struct {
	Body NewToken
}

func registerTokens(api huma.API, s *Service) {
	tags := []string{"tokens"}
	list := func(ctx context.Context, userID int64) (*tokenListOutput, error) {
		items, err := s.ListTokens(ctx, userID)
		if err != nil {
			return nil, err
		}
		out := &tokenListOutput{}
		out.Body.Items = items
		return out, nil
	}
	create := func(ctx context.Context, userID int64, in TokenInput) (*newTokenOutput, error) {
		t, err := s.CreateToken(ctx, userID, in)
		if err != nil {
			return nil, err
		}
		return &newTokenOutput{Body: t}, nil
	}
	huma.Register(api, huma.Operation{
		OperationID: "list-my-tokens", Method: http.MethodGet, Path: "/tokens", Tags: tags,
		Summary: "List my API tokens",
	}, func(ctx context.Context, _ *struct{}) (*tokenListOutput, error) { return list(ctx, 0) })

	huma.Register(api, huma.Operation{
		OperationID: "create-my-token", Method: http.MethodPost, Path: "/tokens", Tags: tags,
		Summary:       "Create an API token for myself",
		Description:   "The token (jt_...) is in the response only; send it as 'Authorization: Bearer jt_...'. It may be narrowed to some of my roles.",
		DefaultStatus: http.StatusCreated, MaxBodyBytes: smallBody,
	}, func(ctx context.Context, in *struct{ Body TokenInput }) (*newTokenOutput, error) {
		return create(ctx, 0, in.Body)
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-user-tokens", Method: http.MethodGet, Path: "/users/{id}/tokens", Tags: tags,
		Summary: "List a user's API tokens (admin)",
	}, func(ctx context.Context, in *UserIDPath) (*tokenListOutput, error) { return list(ctx, in.ID) })

	huma.Register(api, huma.Operation{
		OperationID: "create-user-token", Method: http.MethodPost, Path: "/users/{id}/tokens", Tags: tags,
		Summary: "Create an API token for a user (admin)", DefaultStatus: http.StatusCreated, MaxBodyBytes: smallBody,
	}, func(ctx context.Context, in *struct {
		UserIDPath
		Body TokenInput
	}) (*newTokenOutput, error) {
		return create(ctx, in.ID, in.Body)
	})

	huma.Register(api, huma.Operation{
		OperationID: "revoke-token", Method: http.MethodDelete, Path: "/tokens/{id}", Tags: tags,
		Summary: "Revoke an API token", Description: "By its owner or an administrator over the owner.",
	}, func(ctx context.Context, in *struct {
		ID int64 `path:"id" minimum:"1"`
	}) (*struct{ Body Token }, error) {
		t, err := s.RevokeToken(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body Token }{Body: t}, nil
	})
}

// ---- org units ----

// OrgUnitIDPath is the {id} of the /org-units/{id} operations.
type OrgUnitIDPath struct {
	ID int64 `path:"id" minimum:"1"`
}

type orgUnitOutput struct {
	Body OrgUnit
}

func registerOrgUnits(api huma.API, s *Service) {
	tags := []string{"org-units"}
	huma.Register(api, huma.Operation{
		OperationID: "list-org-units", Method: http.MethodGet, Path: "/org-units", Tags: tags,
		Summary:     "List org units (组织机构)",
		Description: "Units inside the caller's scope; region filters a subtree, parent lists the units directly below the unit of a region.",
	}, func(ctx context.Context, in *struct {
		httpapi.ListParams
		Region string `query:"region" pattern:"^[0-9]{6}$"`
		Parent string `query:"parent" pattern:"^[0-9]{6}$"`
	}) (*struct{ Body httpapi.Page[OrgUnit] }, error) {
		items, total, err := s.ListOrgUnits(ctx, OrgUnitFilter{ListParams: in.ListParams, Region: in.Region, Parent: in.Parent})
		if err != nil {
			return nil, err
		}
		return &struct{ Body httpapi.Page[OrgUnit] }{Body: httpapi.NewPage(items, total, in.ListParams)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "org-unit-tree", Method: http.MethodGet, Path: "/org-units/tree", Tags: tags,
		Summary: "Org unit tree", Description: "The units inside the caller's scope (below root when given) as a tree.",
	}, func(ctx context.Context, in *struct {
		Root string `query:"root" pattern:"^[0-9]{6}$" doc:"Region code of the subtree to return"`
	}) (*struct {
		Body struct {
			Items []*OrgUnitNode `json:"items" nullable:"false"`
		}
	}, error) {
		roots, err := s.OrgUnitTree(ctx, in.Root)
		if err != nil {
			return nil, err
		}
		out := &struct {
			Body struct {
				Items []*OrgUnitNode `json:"items" nullable:"false"`
			}
		}{}
		out.Body.Items = roots
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-org-unit", Method: http.MethodGet, Path: "/org-units/{id}", Tags: tags, Summary: "Get an org unit",
	}, func(ctx context.Context, in *OrgUnitIDPath) (*orgUnitOutput, error) {
		u, err := s.GetOrgUnit(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &orgUnitOutput{Body: u}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-org-unit", Method: http.MethodPost, Path: "/org-units", Tags: tags,
		Summary: "Create an org unit", DefaultStatus: http.StatusCreated, MaxBodyBytes: smallBody,
	}, func(ctx context.Context, in *struct{ Body OrgUnitInput }) (*orgUnitOutput, error) {
		u, err := s.CreateOrgUnit(ctx, in.Body)
		if err != nil {
			return nil, err
		}
		return &orgUnitOutput{Body: u}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "rename-org-unit", Method: http.MethodPatch, Path: "/org-units/{id}", Tags: tags,
		Summary: "Rename an org unit", MaxBodyBytes: smallBody,
	}, func(ctx context.Context, in *struct {
		OrgUnitIDPath
		Body struct {
			Name string `json:"name" minLength:"1" maxLength:"100"`
		}
	}) (*orgUnitOutput, error) {
		u, err := s.RenameOrgUnit(ctx, in.ID, in.Body.Name)
		if err != nil {
			return nil, err
		}
		return &orgUnitOutput{Body: u}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-org-unit", Method: http.MethodDelete, Path: "/org-units/{id}", Tags: tags,
		Summary: "Delete an org unit", Description: "Refused (409) while users belong to it.",
		DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *OrgUnitIDPath) (*struct{}, error) {
		return nil, s.DeleteOrgUnit(ctx, in.ID)
	})

	huma.Register(api, huma.Operation{
		OperationID: "seed-org-units", Method: http.MethodPost, Path: "/org-units/seed", Tags: tags,
		Summary:      "Create the transport bureaus of a province",
		Description:  "Creates 省交通运输厅, 市交通运输局 and 区/县交通运输局 units for every region of the province that has none yet.",
		MaxBodyBytes: smallBody,
	}, func(ctx context.Context, in *struct {
		Body struct {
			Province string `json:"province" pattern:"^[0-9]{6}$" doc:"GB/T 2260 province code, e.g. 510000"`
		}
	}) (*struct {
		Body struct {
			Created int `json:"created"`
		}
	}, error) {
		n, err := s.SeedOrgUnits(ctx, in.Body.Province)
		if err != nil {
			return nil, err
		}
		out := &struct {
			Body struct {
				Created int `json:"created"`
			}
		}{}
		out.Body.Created = n
		return out, nil
	})
}

// ---- regions ----

// RegionDetail is a region with its path from the province down.
type RegionDetail struct {
	region.Region
	FullName string          `json:"full_name" doc:"e.g. 四川省成都市锦江区"`
	Path     []region.Region `json:"path" nullable:"false"`
	HasChild bool            `json:"has_children"`
}

func requireLogin(ctx context.Context) error {
	if access.From(ctx) == nil {
		return fmt.Errorf("login required: %w", apperr.ErrUnauthorized)
	}
	return nil
}

func registerRegions(api huma.API) {
	tags := []string{"regions"}
	huma.Register(api, huma.Operation{
		OperationID: "list-regions", Method: http.MethodGet, Path: "/regions", Tags: tags,
		Summary:     "List regions (行政区划, GB/T 2260)",
		Description: "The children of parent, the provinces when parent is empty, or up to 50 matches of q.",
	}, func(ctx context.Context, in *struct {
		Parent string `query:"parent" pattern:"^[0-9]{6}$"`
		Q      string `query:"q" maxLength:"50" doc:"Name or code prefix"`
	}) (*struct {
		Body struct {
			Items []region.Region `json:"items" nullable:"false"`
		}
	}, error) {
		if err := requireLogin(ctx); err != nil {
			return nil, err
		}
		out := &struct {
			Body struct {
				Items []region.Region `json:"items" nullable:"false"`
			}
		}{}
		switch {
		case in.Q != "":
			out.Body.Items = region.Search(in.Q, 50)
		case in.Parent == "":
			out.Body.Items = region.Provinces()
		default:
			if !region.Valid(in.Parent) {
				return nil, apperr.Field("query.parent", "not a GB/T 2260 region code", in.Parent)
			}
			out.Body.Items = region.Children(in.Parent)
		}
		if out.Body.Items == nil {
			out.Body.Items = []region.Region{}
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-region", Method: http.MethodGet, Path: "/regions/{code}", Tags: tags,
		Summary: "Get a region with its path",
	}, func(ctx context.Context, in *struct {
		Code string `path:"code" pattern:"^[0-9]{6}$"`
	}) (*struct{ Body RegionDetail }, error) {
		if err := requireLogin(ctx); err != nil {
			return nil, err
		}
		r, ok := region.Lookup(in.Code)
		if !ok {
			return nil, apperr.NotFound("region", in.Code)
		}
		return &struct{ Body RegionDetail }{Body: RegionDetail{Region: r, FullName: region.FullName(r.Code),
			Path: region.Path(r.Code), HasChild: len(region.Children(r.Code)) > 0}}, nil
	})
}
