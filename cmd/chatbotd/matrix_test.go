package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// cell is what one role gets from one route, on its own company's object
// and on another company's.
type cell struct{ own, other int }

// row is one route's expectations by caller, and a body that is valid for
// it (so a refusal is about who asks, not what is asked).
type row struct {
	body func(env matrixEnv) any
	// ids gives the own and other object ids when they are not companies.
	ids func(env matrixEnv) (own, other string)
	// params, for routes with several parameters, gives each of them for
	// one company's objects.
	params                       func(env matrixEnv, company string) map[string]string
	anonymous, user, comp, admin cell
}

type matrixEnv struct {
	ownCompany, otherCompany string
	uniq                     func() string
	newUser                  func(company string) string      // a fresh user-role account
	newBot                   func(company string) string      // a fresh chatbot
	newKey                   func(company, bot string) string // a fresh API key's id
}

// objects are the path parameters of a route on one company's objects:
// fresh ones, so destructive calls harm no one else.
func objects(e matrixEnv, company string) map[string]string {
	bot := e.newBot(company)
	return map[string]string{"cid": company, "bid": bot, "uid": e.newUser(company), "kid": e.newKey(company, bot)}
}

// users are fresh accounts in each company, so destructive calls harm no one else.
func users(e matrixEnv) (string, string) { return e.newUser(e.ownCompany), e.newUser(e.otherCompany) }

func same(status int) cell { return cell{status, status} }

// noDeadLetter is a dead letter id that no letter has.
func noDeadLetter(matrixEnv) (string, string) {
	return "0190a1b2-0000-7000-8000-000000000001", "0190a1b2-0000-7000-8000-000000000002"
}

// routes lists every operation of the API. A route missing here fails the
// test: no route goes unchecked, none is public by accident.
var routes = map[string]row{
	"GET /healthz":               {anonymous: same(200), user: same(200), comp: same(200), admin: same(200)},
	"GET /readyz":                {anonymous: same(200), user: same(200), comp: same(200), admin: same(200)},
	"GET /.well-known/jwks.json": {anonymous: same(200), user: same(200), comp: same(200), admin: same(200)},
	"POST /v1/auth/login": {body: func(matrixEnv) any {
		return map[string]string{"email": "nobody@example.com", "password": "wrong password"}
	}, anonymous: same(401), user: same(401), comp: same(401), admin: same(401)},
	"POST /v1/auth/refresh": {body: func(matrixEnv) any { return map[string]string{"refresh_token": "x.y.z"} }, anonymous: same(401), user: same(401), comp: same(401), admin: same(401)},
	"POST /v1/auth/signup":  {body: func(e matrixEnv) any { return signupBody(e.uniq()) }, anonymous: same(201), user: same(201), comp: same(201), admin: same(201)},
	"POST /v1/auth/password-reset": {body: func(matrixEnv) any { return map[string]string{"email": "nobody@example.com"} },
		anonymous: same(202), user: same(202), comp: same(202), admin: same(202)},
	"POST /v1/auth/password-reset/confirm": {body: func(matrixEnv) any {
		return map[string]string{"token": "x.y.z", "new_password": "a long enough password"}
	}, anonymous: same(400), user: same(400), comp: same(400), admin: same(400)},
	"POST /v1/auth/logout": {anonymous: same(401), user: same(204), comp: same(204), admin: same(204)},
	"GET /v1/me":           {anonymous: same(401), user: same(200), comp: same(200), admin: same(200)},
	"PATCH /v1/me":         {body: func(matrixEnv) any { return map[string]string{"name": "Renamed"} }, anonymous: same(401), user: same(200), comp: same(200), admin: same(200)},
	"POST /v1/me/password": {body: func(matrixEnv) any {
		return map[string]string{"current_password": "not the password", "new_password": "a long new password"}
	}, anonymous: same(401), user: same(403), comp: same(403), admin: same(403)},
	"GET /v1/admin/roles":                     {anonymous: same(401), user: same(403), comp: same(403), admin: same(200)},
	"GET /v1/admin/config":                    {anonymous: same(401), user: same(403), comp: same(403), admin: same(200)},
	"PATCH /v1/admin/config":                  {body: func(matrixEnv) any { return map[string]any{"login_rate": map[string]int{"per_ip_per_minute": 10000}} }, anonymous: same(401), user: same(403), comp: same(403), admin: same(200)},
	"GET /v1/admin/users":                     {anonymous: same(401), user: same(403), comp: same(403), admin: same(200)},
	"GET /v1/admin/users/{id}":                {ids: users, anonymous: same(401), user: same(403), comp: same(403), admin: same(200)},
	"GET /v1/admin/users/{id}/login-attempts": {ids: users, anonymous: same(401), user: same(403), comp: same(403), admin: same(200)},
	"PATCH /v1/admin/users/{id}":              {ids: users, body: func(matrixEnv) any { return map[string]string{"name": "Renamed"} }, anonymous: same(401), user: same(403), comp: same(403), admin: same(200)},
	"DELETE /v1/admin/users/{id}":             {ids: users, anonymous: same(401), user: same(403), comp: same(403), admin: same(204)},
	"POST /v1/admin/users/{id}/unlock":        {ids: users, anonymous: same(401), user: same(403), comp: same(403), admin: same(204)},
	"GET /v1/admin/events":                    {anonymous: same(401), user: same(403), comp: same(403), admin: same(200)},
	"GET /v1/admin/companies":                 {anonymous: same(401), user: same(403), comp: same(403), admin: same(200)},
	"GET /v1/admin/companies/{id}":            {anonymous: same(401), user: same(403), comp: same(403), admin: same(200)},
	"PATCH /v1/admin/companies/{id}":          {body: func(matrixEnv) any { return map[string]string{"status": "active"} }, anonymous: same(401), user: same(403), comp: same(403), admin: same(200)},
	"POST /v1/admin/users": {body: func(e matrixEnv) any {
		return map[string]string{"email": e.uniq() + "@example.com", "name": "New", "password": "a long password 1", "role": "user", "company_id": e.ownCompany}
	}, anonymous: same(401), user: same(403), comp: same(403), admin: same(201)},
	"GET /v1/admin/projections": {anonymous: same(401), user: same(403), comp: same(403), admin: same(200)},
	// No dead letters here: an admin's call passes the guard and finds none.
	"GET /v1/admin/dead-letters":               {anonymous: same(401), user: same(403), comp: same(403), admin: same(200)},
	"GET /v1/admin/dead-letters/{id}":          {ids: noDeadLetter, anonymous: same(401), user: same(403), comp: same(403), admin: same(404)},
	"POST /v1/admin/dead-letters/{id}/retry":   {ids: noDeadLetter, anonymous: same(401), user: same(403), comp: same(403), admin: same(404)},
	"POST /v1/admin/dead-letters/{id}/discard": {ids: noDeadLetter, anonymous: same(401), user: same(403), comp: same(403), admin: same(404)},

	// A company's routes: members read, managers write, admins do both on any company.
	"GET /v1/companies/{cid}":                         companyRead,
	"GET /v1/companies/{cid}/members":                 companyRead,
	"GET /v1/companies/{cid}/chatbots":                companyRead,
	"GET /v1/companies/{cid}/chatbots/{bid}":          companyRead,
	"GET /v1/companies/{cid}/chatbots/{bid}/api-keys": companyRead,
	"GET /v1/companies/{cid}/usage":                   companyRead,
	"PATCH /v1/companies/{cid}":                       companyWrite(200, func(matrixEnv) any { return map[string]string{"name": "Renamed"} }),
	"POST /v1/companies/{cid}/members": companyWrite(201, func(e matrixEnv) any {
		return map[string]string{"email": e.uniq() + "@example.com", "name": "M", "password": "correct horse battery", "role": "user"}
	}),
	"PATCH /v1/companies/{cid}/members/{uid}":   companyWrite(200, func(matrixEnv) any { return map[string]string{"role": "user"} }),
	"DELETE /v1/companies/{cid}/members/{uid}":  companyWrite(204, nil),
	"POST /v1/companies/{cid}/chatbots":         companyWrite(201, func(matrixEnv) any { return map[string]string{"name": "Bot"} }),
	"PATCH /v1/companies/{cid}/chatbots/{bid}":  companyWrite(200, func(matrixEnv) any { return map[string]string{"status": "paused"} }),
	"DELETE /v1/companies/{cid}/chatbots/{bid}": companyWrite(204, nil),
	"PUT /v1/companies/{cid}/chatbots/{bid}/limits": companyWrite(200, func(matrixEnv) any {
		return map[string]any{"requests_per_minute": 5, "daily_requests": nil, "monthly_requests": nil}
	}),
	"POST /v1/companies/{cid}/chatbots/{bid}/api-keys":         companyWrite(201, func(matrixEnv) any { return map[string]string{"name": "k"} }),
	"DELETE /v1/companies/{cid}/chatbots/{bid}/api-keys/{kid}": companyWrite(204, nil),
	"PUT /v1/companies/{cid}/chatbots/{bid}/api-keys/{kid}/limits": companyWrite(200, func(matrixEnv) any {
		return map[string]any{"requests_per_minute": 5, "daily_requests": nil, "monthly_requests": nil}
	}),
	// The bot API takes API keys, not tokens.
	"POST /v1/bot/messages": {body: func(matrixEnv) any { return map[string]string{"message": "hi"} }, anonymous: same(401), user: same(401), comp: same(401), admin: same(401)},
	"POST /v1/admin/projections/{name}/rebuild": {ids: func(matrixEnv) (string, string) { return "companies", "companies" },
		anonymous: same(401), user: same(403), comp: same(403), admin: same(202)},
}

// pathParam is a path parameter of the spec, such as {id}.
var pathParam = regexp.MustCompile(`\{[a-z_]+\}`)

// crossStatus is what a role gets for another company's object under its
// own company's path: refused for lack of permission, else not found.
func crossStatus(want cell) int {
	if want.own == 401 || want.own == 403 {
		return want.own
	}
	return 404
}

var companyRead = row{params: objects, anonymous: same(401), user: cell{200, 404}, comp: cell{200, 404}, admin: same(200)}

func companyWrite(status int, body func(matrixEnv) any) row {
	return row{params: objects, body: body, anonymous: same(401), user: same(403), comp: cell{status, 404}, admin: same(status)}
}

func signupBody(u string) map[string]string {
	return map[string]string{"company_name": "C" + u, "name": "N", "email": u + "@example.com", "password": "correct horse battery"}
}

// TestEveryRouteForEveryRole walks the OpenAPI spec: each operation, each
// role (and no token), on its own company's and on another company's object.
func TestEveryRouteForEveryRole(t *testing.T) {
	c, settings := startIdentity(t)
	admin := adminToken(t, c, settings)
	// The walk logs in before every call; lift the per-address throttle.
	if r := c.do("PATCH", "/v1/admin/config", map[string]any{"login_rate": map[string]int{"per_ip_per_minute": 100000}}, bearer(admin)...); r.status != 200 {
		t.Fatalf("raise the login rate: %d %s", r.status, r.raw)
	}
	n := 0
	uniq := func() string { n++; return fmt.Sprintf("m%d", n) }
	own := c.signup("owner@example.com")
	other := c.signup("other@example.com")
	env := matrixEnv{ownCompany: own.str("company_id"), otherCompany: other.str("company_id"), uniq: uniq}
	// Reads wait for the objects made for them to be projected.
	minPosition := "0"
	env.newUser = func(company string) string {
		r := c.do("POST", "/v1/admin/users", map[string]string{"email": uniq() + "@example.com", "name": "Victim",
			"password": "correct horse battery", "role": "user", "company_id": company}, bearer(admin)...)
		if r.status != 201 {
			t.Fatalf("create a user: %d %s", r.status, r.raw)
		}
		minPosition = r.header.Get("X-Event-Position")
		return r.str("id")
	}
	env.newBot = func(company string) string {
		r := c.do("POST", "/v1/companies/"+company+"/chatbots", map[string]string{"name": "Bot"}, bearer(admin)...)
		if r.status != 201 {
			t.Fatalf("create a chatbot: %d %s", r.status, r.raw)
		}
		minPosition = r.header.Get("X-Event-Position")
		return r.str("id")
	}
	env.newKey = func(company, bot string) string {
		r := c.do("POST", "/v1/companies/"+company+"/chatbots/"+bot+"/api-keys", map[string]string{"name": "k"}, bearer(admin)...)
		if r.status != 201 {
			t.Fatalf("create a key: %d %s", r.status, r.raw)
		}
		minPosition = r.header.Get("X-Event-Position")
		return r.str("id")
	}
	member := c.do("POST", "/v1/admin/users", map[string]string{"email": "member@example.com", "name": "Member",
		"password": "correct horse battery", "role": "user", "company_id": env.ownCompany}, bearer(admin)...)
	if member.status != 201 {
		t.Fatalf("create member: %d %s", member.status, member.raw)
	}
	tokens := map[string]func() string{
		"anonymous": func() string { return "" },
		"user":      func() string { return c.login("member@example.com", "correct horse battery").str("access_token") },
		"company":   func() string { return c.login("owner@example.com", "correct horse battery").str("access_token") },
		"admin":     func() string { return c.login("ops@example.com", "an admin password 123").str("access_token") },
	}

	spec := c.do("GET", "/openapi.json", nil)
	paths, _ := spec.body["paths"].(map[string]any)
	var ops []string
	for path, item := range paths {
		for method := range item.(map[string]any) {
			ops = append(ops, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(ops)
	if len(ops) < len(routes) {
		t.Errorf("the spec lists %d operations, the table %d", len(ops), len(routes))
	}
	for _, op := range ops {
		r, ok := routes[op]
		if !ok {
			t.Errorf("%s is not in the route table: add its expected status for every role", op)
			continue
		}
		method, path, _ := strings.Cut(op, " ")
		for _, role := range []string{"anonymous", "user", "company", "admin"} {
			want := map[string]cell{"anonymous": r.anonymous, "user": r.user, "company": r.comp, "admin": r.admin}[role]
			// cross: the caller's own company in the path, with another
			// company's object under it: never found, for anyone.
			for _, side := range []string{"own", "other", "cross"} {
				if !strings.Contains(path, "{") && side == "other" {
					continue
				}
				if side == "cross" && (r.params == nil || strings.Count(path, "{") < 2) {
					continue
				}
				ownID, otherID := env.ownCompany, env.otherCompany
				if r.ids != nil && strings.Contains(path, "{") {
					ownID, otherID = r.ids(env)
				}
				id, status, company := ownID, want.own, env.ownCompany
				if side == "other" {
					id, status, company = otherID, want.other, env.otherCompany
				}
				target := pathParam.ReplaceAllLiteralString(path, id)
				if r.params != nil {
					params := r.params(env, company)
					if side == "cross" {
						params = r.params(env, env.otherCompany)
						params["cid"] = env.ownCompany
						status = crossStatus(want)
					}
					target = pathParam.ReplaceAllStringFunc(path, func(p string) string { return params[strings.Trim(p, "{}")] })
				}
				var body any
				if r.body != nil {
					body = r.body(env)
				}
				headers := []string{"X-Min-Position", minPosition}
				if tok := tokens[role](); tok != "" {
					headers = append(headers, bearer(tok)...)
				}
				got := c.do(method, target, body, headers...)
				if got.status != status {
					t.Errorf("%s as %s on the %s company's object: %d, want %d (%.200s)", op, role, side, got.status, status, got.raw)
				}
				if got.status >= 200 && got.status < 300 && (side == "other" && role != "admin" || side == "cross") {
					t.Errorf("%s as %s succeeded on another company's object", op, role)
				}
			}
		}
	}
}
