package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// client talks to a running chatbotd.
type client struct {
	t    *testing.T
	base string
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (c client) do(method, path string, body any, headers ...string) reply {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatalf("%s %s: encode the body: %v", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer testkit.Close(c.t, "the response body", res.Body)
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read the answer: %v", method, path, err)
	}
	checkContract(c.t, c.base, req, res.StatusCode, res.Header, b)
	r := reply{status: res.StatusCode, header: res.Header, raw: string(b)}
	// An answer that is not a JSON object (a list, a 204, the metrics) has
	// no fields: raw holds it.
	if trimmed := bytes.TrimSpace(b); len(trimmed) > 0 && trimmed[0] == '{' {
		if err := json.Unmarshal(b, &r.body); err != nil {
			c.t.Fatalf("%s %s: %d with a body that is not JSON: %v: %.200s", method, path, res.StatusCode, err, b)
		}
	}
	return r
}

func (r reply) str(k string) string { s, _ := r.body[k].(string); return s }

func (c client) signup(email string) reply {
	c.t.Helper()
	r := c.do("POST", "/v1/auth/signup", map[string]string{"company_name": "Acme", "name": "Ada", "email": email, "password": "correct horse battery"})
	if r.status != 201 {
		c.t.Fatalf("signup: %d %s", r.status, r.raw)
	}
	return r
}

func (c client) login(email, password string) reply {
	return c.do("POST", "/v1/auth/login", map[string]string{"email": email, "password": password})
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

func startIdentity(t *testing.T) (client, map[string]string) {
	db := testkit.NewEmptyDatabase(t)
	settings := settingsFor(t, db.URL)
	start(t, settings, "serve")
	base := "http://" + settings["HTTP_ADDR"]
	waitReady(t, base, 200, 15*time.Second)
	return client{t: t, base: base}, settings
}

func TestAuthContract(t *testing.T) {
	c, settings := startIdentity(t)
	su := c.signup("Ada@Example.com")
	if su.header.Get("X-Event-Position") == "" || su.str("user_id") == "" || su.str("company_id") == "" {
		t.Fatalf("signup answer %v %s", su.header, su.raw)
	}
	if r := c.do("POST", "/v1/auth/signup", map[string]string{"company_name": "B", "name": "B", "email": "ada@example.com", "password": "correct horse battery"}); r.status != 409 || r.str("code") != "email_taken" {
		t.Errorf("duplicate signup: %d %s", r.status, r.raw)
	}
	if r := c.do("POST", "/v1/auth/signup", map[string]string{"company_name": "B", "name": "B", "email": "b@example.com", "password": "short"}); r.status != 422 {
		t.Errorf("weak password: %d %s", r.status, r.raw)
	}

	login := c.login("ada@example.com", "correct horse battery")
	if login.status != 200 || login.str("token_type") != "Bearer" || login.body["expires_in"] != float64(900) || login.str("refresh_token") == "" {
		t.Fatalf("login: %d %s", login.status, login.raw)
	}
	at := login.str("access_token")

	me := c.do("GET", "/v1/me", nil, append(bearer(at), "X-Min-Position", su.header.Get("X-Event-Position"))...)
	if me.status != 200 || me.str("email") != "ada@example.com" || me.str("role") != "company" || me.str("company_id") != su.str("company_id") {
		t.Fatalf("GET /v1/me: %d %s", me.status, me.raw)
	}

	t.Run("mass assignment through PATCH /v1/me is refused", func(t *testing.T) {
		for _, body := range []map[string]any{{"role": "admin"}, {"name": "X", "role": "admin"}, {"name": "X", "company_id": "c"}, {"name": "X", "status": "active"}} {
			if r := c.do("PATCH", "/v1/me", body, bearer(at)...); r.status != 400 {
				t.Errorf("PATCH %v: %d %s", body, r.status, r.raw)
			}
		}
		if r := c.do("GET", "/v1/me", nil, bearer(at)...); r.str("role") != "company" || r.str("name") != "Ada" {
			t.Errorf("something changed: %s", r.raw)
		}
	})
	t.Run("a rename answers the profile and is read back", func(t *testing.T) {
		r := c.do("PATCH", "/v1/me", map[string]string{"name": "Ada L."}, bearer(at)...)
		if r.status != 200 || r.str("name") != "Ada L." {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		back := c.do("GET", "/v1/me", nil, append(bearer(at), "X-Min-Position", r.header.Get("X-Event-Position"))...)
		if back.str("name") != "Ada L." {
			t.Fatalf("read back %s", back.raw)
		}
	})
	t.Run("every login failure answers the same", func(t *testing.T) {
		wrong := c.login("ada@example.com", "wrong password here")
		unknown := c.login("nobody@example.com", "wrong password here")
		if wrong.status != 401 || wrong.str("code") != "invalid_credentials" {
			t.Fatalf("wrong password: %d %s", wrong.status, wrong.raw)
		}
		strip := func(r reply) string { return strings.Replace(r.raw, r.str("request_id"), "", 1) }
		if strip(wrong) != strip(unknown) {
			t.Fatalf("bodies differ:\n%s\n%s", wrong.raw, unknown.raw)
		}
	})
	t.Run("JWKS publishes the token's key", func(t *testing.T) {
		r := c.do("GET", "/.well-known/jwks.json", nil)
		if r.status != 200 || !strings.Contains(r.raw, `"kty":"OKP"`) {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("a refresh token is no bearer and an access token no refresh token", func(t *testing.T) {
		if r := c.do("GET", "/v1/me", nil, bearer(login.str("refresh_token"))...); r.status != 401 || r.str("code") != "unauthenticated" {
			t.Errorf("refresh token as bearer: %d %s", r.status, r.raw)
		}
		if r := c.do("POST", "/v1/auth/refresh", map[string]string{"refresh_token": at}); r.status != 401 || r.str("code") != "invalid_refresh_token" {
			t.Errorf("access token at /refresh: %d %s", r.status, r.raw)
		}
	})
	t.Run("a 1 MB bearer is refused quickly", func(t *testing.T) {
		start := time.Now()
		conn, err := net.Dial("tcp", strings.TrimPrefix(c.base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		wrote := make(chan error, 1)
		go func() {
			_, err := fmt.Fprintf(conn, "GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", strings.Repeat("a", 1<<20))
			wrote <- err
		}()
		defer func() {
			testkit.Close(t, "the connection", conn)
			// The server may answer and hang up before it has read the
			// whole header: the write then fails with a reset or a broken
			// pipe, or ends with the close.
			err := <-wrote
			if err != nil && !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) && !errors.Is(err, net.ErrClosed) {
				t.Errorf("write the request: %v", err)
			}
		}()
		if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		testkit.Close(t, "the response body", res.Body)
		if res.StatusCode != 431 && res.StatusCode != 401 {
			t.Errorf("got %d", res.StatusCode)
		}
		if time.Since(start) > 2*time.Second {
			t.Errorf("took %v", time.Since(start))
		}
	})
	t.Run("no token, no profile", func(t *testing.T) {
		if r := c.do("GET", "/v1/me", nil); r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%d %v", r.status, r.header)
		}
	})
	t.Run("refresh rotates, logout revokes at once", func(t *testing.T) {
		r1 := c.do("POST", "/v1/auth/refresh", map[string]string{"refresh_token": login.str("refresh_token")})
		if r1.status != 200 || r1.str("refresh_token") == login.str("refresh_token") {
			t.Fatalf("refresh: %d %s", r1.status, r1.raw)
		}
		at2 := r1.str("access_token")
		if r := c.do("POST", "/v1/auth/logout", nil, bearer(at2)...); r.status != 204 {
			t.Fatalf("logout: %d %s", r.status, r.raw)
		}
		for _, tok := range []string{at, at2} {
			if r := c.do("GET", "/v1/me", nil, bearer(tok)...); r.status != 401 {
				t.Errorf("an access token of the logged-out session: %d", r.status)
			}
		}
		if r := c.do("POST", "/v1/auth/refresh", map[string]string{"refresh_token": r1.str("refresh_token")}); r.status != 401 {
			t.Errorf("refresh after logout: %d", r.status)
		}
	})
	t.Run("password change", func(t *testing.T) {
		a := c.login("ada@example.com", "correct horse battery").str("access_token")
		b := c.login("ada@example.com", "correct horse battery").str("access_token")
		if r := c.do("POST", "/v1/me/password", map[string]string{"current_password": "wrong password here", "new_password": "a brand new password"}, bearer(a)...); r.status != 403 || r.str("code") != "invalid_credentials" {
			t.Fatalf("wrong current: %d %s", r.status, r.raw)
		}
		if r := c.do("POST", "/v1/me/password", map[string]string{"current_password": "correct horse battery", "new_password": "a brand new password"}, bearer(a)...); r.status != 204 {
			t.Fatalf("change: %d %s", r.status, r.raw)
		}
		if r := c.do("GET", "/v1/me", nil, bearer(a)...); r.status != 200 {
			t.Errorf("the changing session lost access: %d", r.status)
		}
		if r := c.do("GET", "/v1/me", nil, bearer(b)...); r.status != 401 {
			t.Errorf("another session kept access: %d", r.status)
		}
		if r := c.login("ada@example.com", "a brand new password"); r.status != 200 {
			t.Errorf("new password: %d", r.status)
		}
	})
	t.Run("logout of all sessions", func(t *testing.T) {
		a := c.login("ada@example.com", "a brand new password").str("access_token")
		b := c.login("ada@example.com", "a brand new password").str("access_token")
		if r := c.do("POST", "/v1/auth/logout", map[string]bool{"all_sessions": true}, bearer(a)...); r.status != 204 {
			t.Fatalf("logout all: %d %s", r.status, r.raw)
		}
		for _, tok := range []string{a, b} {
			if r := c.do("GET", "/v1/me", nil, bearer(tok)...); r.status != 401 {
				t.Errorf("a session survived logout of all: %d", r.status)
			}
		}
	})
	t.Run("attempts and sessions reach their read models", func(t *testing.T) {
		conn, err := pgx.Connect(context.Background(), settings["DATABASE_URL"])
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := conn.Close(context.Background()); err != nil {
				t.Errorf("close the database connection: %v", err)
			}
		}()
		deadline := time.Now().Add(5 * time.Second)
		for {
			var failed, succeeded, revoked int
			if err := conn.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE NOT succeeded AND reason = 'wrong_password'),
				count(*) FILTER (WHERE succeeded) FROM rm_login_attempts_v1 WHERE user_id = $1`, su.str("user_id")).Scan(&failed, &succeeded); err != nil {
				t.Fatalf("count the login attempts: %v", err)
			}
			if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM rm_sessions_v1 WHERE user_id = $1 AND revoked_at IS NOT NULL`, su.str("user_id")).Scan(&revoked); err != nil {
				t.Fatalf("count the revoked sessions: %v", err)
			}
			if failed >= 1 && succeeded >= 5 && revoked >= 4 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("read models: %d failed, %d succeeded attempts, %d revoked sessions", failed, succeeded, revoked)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

func TestLoginIsThrottledPerClientAddress(t *testing.T) {
	c, _ := startIdentity(t)
	// The rate rolls (60 at once, then one a second): the attempts take
	// time, so a few more than 60 may pass, one per second they took.
	began, admitted := time.Now(), 0
	var last reply
	var sent time.Time // when the last admitted attempt was sent
	for range 200 {
		at := time.Now()
		// A forged X-Forwarded-For from an untrusted peer changes nothing.
		last = c.do("POST", "/v1/auth/login", map[string]string{"email": "x@example.com", "password": "whatever password"},
			"X-Forwarded-For", fmt.Sprintf("198.51.100.%d", admitted%250))
		if last.status != 401 {
			break
		}
		admitted, sent = admitted+1, at
	}
	if most := 60 + int(time.Since(began).Seconds()) + 1; admitted < 60 || admitted > most {
		t.Fatalf("%d attempts admitted before the first refusal, want 60 to %d", admitted, most)
	}
	if last.status != 429 || last.str("code") != "too_many_requests" || last.header.Get("Retry-After") == "" {
		t.Fatalf("attempt %d: %d %s Retry-After %q", admitted+1, last.status, last.raw, last.header.Get("Retry-After"))
	}
	r := c.do("POST", "/v1/auth/signup", map[string]string{"company_name": "A", "name": "A", "email": "s@example.com", "password": "correct horse battery"})
	// Within a second of the last admitted attempt the rate has given
	// nothing back, so the signup must be refused with the logins.
	if r.status != 429 && time.Since(sent) < 900*time.Millisecond {
		t.Errorf("signup counts with logins: %d", r.status)
	}
}

// A logout in one process stops the token in another within a second.
func TestRevocationReachesAnotherProcess(t *testing.T) {
	db := testkit.NewEmptyDatabase(t)
	cmd := settingsFor(t, db.URL)
	start(t, cmd, "command")
	waitReady(t, "http://"+cmd["HTTP_ADDR"], 200, 15*time.Second)
	qry := settingsFor(t, db.URL)
	qry["DATA_DIR"] = cmd["DATA_DIR"] // the same embedded NATS server and signing key
	start(t, qry, "query")
	waitReady(t, "http://"+qry["HTTP_ADDR"], 200, 15*time.Second)
	proj := settingsFor(t, db.URL)
	proj["DATA_DIR"] = cmd["DATA_DIR"]
	start(t, proj, "projector")

	w, r := client{t: t, base: "http://" + cmd["HTTP_ADDR"]}, client{t: t, base: "http://" + qry["HTTP_ADDR"]}
	su := w.signup("ada@example.com")
	at := w.login("ada@example.com", "correct horse battery").str("access_token")
	if me := r.do("GET", "/v1/me", nil, append(bearer(at), "X-Min-Position", su.header.Get("X-Event-Position"))...); me.status != 200 {
		t.Fatalf("query process: %d %s", me.status, me.raw)
	}
	if out := w.do("POST", "/v1/auth/logout", nil, bearer(at)...); out.status != 204 {
		t.Fatalf("logout: %d", out.status)
	}
	deadline := time.Now().Add(time.Second)
	for {
		me := r.do("GET", "/v1/me", nil, bearer(at)...)
		if me.status == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the query process still accepts the token 1s after logout: %d", me.status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// items reads a JSON array answer, or the items of a list answer.
func (r reply) items() []map[string]any {
	var arr []map[string]any
	if json.Unmarshal([]byte(r.raw), &arr) == nil {
		return arr
	}
	raw, _ := r.body["items"].([]any)
	for _, it := range raw {
		if m, ok := it.(map[string]any); ok {
			arr = append(arr, m)
		}
	}
	return arr
}
