package main

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// defaultBcryptCost is chatbotd's BCRYPT_COST default, the cost its
// logins pay.
const defaultBcryptCost = 11

const benchPassword = "bench password 123"

// bcryptCeiling times the compare a login pays, on its own: one compare
// at a time (its latency), then one per core in parallel (the throughput
// logins are judged against).
func bcryptCeiling(d time.Duration) (one, parallel Load) {
	input := []byte("a 64-byte pre-hash stands here; the compare costs the same as it")
	hash, _ := bcrypt.GenerateFromPassword(input, defaultBcryptCost)
	compare := func(int) bool { return bcrypt.CompareHashAndPassword(hash, input) == nil }
	one = closedLoopFn(1, max(d/2, time.Second), compare)
	parallel = closedLoopFn(runtime.NumCPU(), d, compare)
	return one, parallel
}

// loginTarget is a started chatbotd with accounts to log in to.
type loginTarget struct {
	p     *product
	admin string // an administrator's access token
}

func startLoginTarget(ctx context.Context, emails ...string) (*loginTarget, error) {
	p, err := startProduct(ctx, "ADMIN_EMAIL=admin@example.com", "ADMIN_PASSWORD="+benchPassword)
	if err != nil {
		return nil, err
	}
	for _, e := range emails {
		if err := p.signup(e); err != nil {
			p.Close()
			return nil, err
		}
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if status, err := p.call("POST", "/v1/auth/login", "", map[string]string{"email": "admin@example.com", "password": benchPassword}, &tok); err != nil || status != 200 {
		p.Close()
		return nil, fmt.Errorf("administrator login: %d %v", status, err)
	}
	return &loginTarget{p: p, admin: tok.AccessToken}, nil
}

// login answers the status of one login from a random client address.
func (t *loginTarget) login(email, password string) int {
	res, err := t.p.post("/v1/auth/login", map[string]string{"email": email, "password": password})
	if err != nil {
		return 0
	}
	return res.StatusCode
}

// allowFailures raises the lockout threshold so that a closed loop of
// wrong passwords over a few accounts measures failures, not locks.
func (t *loginTarget) allowFailures(n int) error {
	status, err := t.p.call("PATCH", "/v1/admin/config", t.admin, map[string]any{"lockout": map[string]int{"max_failures": n}}, nil)
	if err != nil || status != 200 {
		return fmt.Errorf("raise the lockout threshold: %d %v", status, err)
	}
	return nil
}

// benchLoginRight compares logins with the right password with the
// bcrypt ceiling: cores × compares per second at the product's cost, and
// the p50 beyond one compare timed on its own.
func benchLoginRight(cfg runConfig) (Result, error) {
	one, base := bcryptCeiling(cfg.duration)
	t, err := startLoginTarget(context.Background(), "bench@example.com")
	if err != nil {
		return Result{}, err
	}
	defer t.p.Close()
	tr := t.p.track()
	load := closedLoopFn(runtime.NumCPU(), cfg.duration, func(int) bool { return t.login("bench@example.com", benchPassword) == 200 })
	r := Result{
		Name: "POST /v1/auth/login, right password", Ceiling: fmt.Sprintf("bcrypt compare at cost %d × %d cores", defaultBcryptCost, runtime.NumCPU()),
		Target: 0.9, Ratio: load.Rate / base.Rate, Load: load, Base: base,
		Extra: []Check{atMost("p50 beyond one bcrypt compare", load.P50ms-one.P50ms, 5, " ms")},
		Note: fmt.Sprintf("%d workers; one bcrypt compare timed alone: p50 %.1f ms, p99 %.1f ms; login p50 %.1f ms (overhead %.1f ms)",
			runtime.NumCPU(), one.P50ms, one.P99ms, load.P50ms, load.P50ms-one.P50ms),
	}
	r.CPUmsPerOp, r.RSSPeakMB = tr.finish(load.Requests)
	return r, nil
}

// wrongAccounts are enough accounts that a closed loop of wrong passwords
// never reaches the raised lockout threshold on one of them.
const wrongAccounts = 8

// benchLoginWrong measures wrong passwords (each a compare and a
// LoginFailed appended) against the same bcrypt ceiling.
func benchLoginWrong(cfg runConfig) (Result, error) {
	one, base := bcryptCeiling(cfg.duration)
	emails := make([]string, wrongAccounts)
	for i := range emails {
		emails[i] = fmt.Sprintf("wrong%d@example.com", i)
	}
	t, err := startLoginTarget(context.Background(), emails...)
	if err != nil {
		return Result{}, err
	}
	defer t.p.Close()
	if err := t.allowFailures(100); err != nil {
		return Result{}, err
	}
	tr := t.p.track()
	load := closedLoopFn(runtime.NumCPU(), cfg.duration, func(w int) bool {
		return t.login(emails[(w+int(time.Now().UnixNano()))%wrongAccounts], "wrong password") == 401
	})
	r := Result{
		Name: "POST /v1/auth/login, wrong password", Ceiling: fmt.Sprintf("bcrypt compare at cost %d × %d cores", defaultBcryptCost, runtime.NumCPU()),
		Target: 0.9, Ratio: load.Rate / base.Rate, Load: load, Base: base,
		Extra: []Check{atMost("p50 beyond one bcrypt compare", load.P50ms-one.P50ms, 5, " ms")},
		Note: fmt.Sprintf("%d workers over %d accounts (lockout threshold raised to 100 so none locks); one compare alone p50 %.1f ms; each failure appends LoginFailed",
			runtime.NumCPU(), wrongAccounts, one.P50ms),
	}
	r.CPUmsPerOp, r.RSSPeakMB = tr.finish(load.Requests)
	return r, nil
}

// benchLoginLocked measures logins to a locked account (the right
// password, refused) and to an unknown email beside wrong passwords in
// the same process: API.md wants them to cost the same, no timing oracle.
func benchLoginLocked(cfg runConfig) (Result, error) {
	_, base := bcryptCeiling(cfg.duration)
	t, err := startLoginTarget(context.Background(), "locked@example.com", "wrong@example.com")
	if err != nil {
		return Result{}, err
	}
	defer t.p.Close()
	for range 5 { // the default threshold locks it
		t.login("locked@example.com", "wrong password")
	}
	if s := t.login("locked@example.com", benchPassword); s != 401 {
		return Result{}, fmt.Errorf("the locked account answered %d to its right password", s)
	}
	if err := t.allowFailures(100); err != nil {
		return Result{}, err
	}
	workers := runtime.NumCPU()
	tr := t.p.track()
	load := closedLoopFn(workers, cfg.duration, func(int) bool { return t.login("locked@example.com", benchPassword) == 401 })
	cpu, peak := tr.finish(load.Requests)
	wrong := timedLogins(t, cfg.timed, "wrong@example.com", "wrong password")
	unknown := timedLogins(t, cfg.timed, "nobody@example.com", benchPassword)
	locked := timedLogins(t, cfg.timed, "locked@example.com", benchPassword)
	same := func(what string, got float64) Check {
		return atMost(what+" p50 differs from a wrong password's by", 100*abs(got-wrong)/wrong, 10, " %")
	}
	r := Result{
		Name: "POST /v1/auth/login, locked account", Ceiling: fmt.Sprintf("bcrypt compare at cost %d × %d cores", defaultBcryptCost, workers),
		Target: 0.9, Ratio: load.Rate / base.Rate, Load: load, Base: base,
		Extra:      []Check{same("locked account", locked), same("unknown email", unknown)},
		CPUmsPerOp: cpu, RSSPeakMB: peak,
		Note: fmt.Sprintf("%d workers on one locked account; then one at a time, %d each: wrong password p50 %.1f ms, locked account %.1f ms, unknown email %.1f ms",
			workers, cfg.timed, wrong, locked, unknown),
	}
	return r, nil
}

// timedLogins sends n logins one after another and answers their p50.
func timedLogins(t *loginTarget, n int, email, password string) float64 {
	ds := make([]time.Duration, 0, n)
	for range n {
		t0 := time.Now()
		t.login(email, password)
		ds = append(ds, time.Since(t0))
	}
	slices.Sort(ds)
	return pct(ds, 0.5)
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
