package app_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
	"golang.org/x/crypto/bcrypt"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/policy"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// clock is a fake clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type harness struct {
	t       *testing.T
	id      *app.Commands
	store   *eventstore.Store
	js      jetstream.JetStream
	clock   *clock
	policy  *policy.Holder
	revoked *auth.Revocations
	tokens  *auth.Tokens
}

const password = "correct horse battery staple"

func newHarness(t *testing.T, cost int) *harness {
	t.Helper()
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	store, err := eventstore.Open(ctx, js, eventstore.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, store: store, js: js, clock: clk, policy: policy.NewHolder(policy.Default())}
	h.tokens = auth.NewTokens(auth.NewKeySet(testKey(t)), "chatbotd", "chatbot-api", h.clock.Now)
	h.revoked = auth.NewRevocations(func() time.Duration { return h.policy.Get().AccessTTL }, h.clock.Now)
	h.id = h.identity(cost)
	return h
}

func (h *harness) identity(cost int) *app.Commands {
	hasher, err := auth.NewHasher(cost, []byte("pepper"), true)
	if err != nil {
		h.t.Fatal(err)
	}
	id, err := app.New(context.Background(), app.Deps{Store: h.store, JS: h.js, Hasher: hasher,
		Tokens: h.tokens, Policy: h.policy, Revocations: h.revoked, Now: h.clock.Now})
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *harness) signup(email string) app.SignupResult {
	h.t.Helper()
	res, err := h.id.Signup.Handle(context.Background(), app.SignupInput{CompanyName: "Acme", Name: "Ada", Email: email, Password: password})
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

var client = auth.Client{IP: "192.0.2.1", UserAgent: "test"}

func (h *harness) login(email, pw string) (app.TokenPair, error) {
	return h.id.Login.Handle(context.Background(), app.LoginCmd{Email: email, Password: pw, Client: client})
}

// failLogin tries a wrong password, which must be refused.
func (h *harness) failLogin() {
	h.t.Helper()
	if _, err := h.login("ada@example.com", "wrong password here"); err != app.ErrInvalidCredentials {
		h.t.Fatalf("a wrong password: got %v", err)
	}
}

// userEvents reads every event of a user from the stream, decoded.
func (h *harness) userEvents(res app.SignupResult) []events.Envelope {
	h.t.Helper()
	msgs, err := jetstreamext.GetBatch(context.Background(), h.js, events.StreamName, 1000,
		jetstreamext.GetBatchSubject(events.AggregateFilter(res.CompanyID, events.AggregateUser, res.UserID)))
	if err != nil {
		h.t.Fatal(err)
	}
	var out []events.Envelope
	for m, err := range msgs {
		if err != nil {
			break
		}
		env, err := events.Unmarshal(m.Data, m.Sequence)
		if err != nil {
			h.t.Fatal(err)
		}
		out = append(out, env)
	}
	return out
}

func count(t *testing.T, envs []events.Envelope, typ string, match func(any) bool) int {
	t.Helper()
	n := 0
	for _, e := range envs {
		if e.Type != typ {
			continue
		}
		data, err := events.Default.Decode(&e)
		if err != nil {
			t.Fatalf("decode %s at %d: %v", e.Type, e.Position, err)
		}
		if match == nil || match(data) {
			n++
		}
	}
	return n
}

func counted(d any) bool { return d.(*events.LoginFailedData).Counted }

func isCode(err error, code string) bool {
	var ae *apperr.Error
	return errors.As(err, &ae) && ae.Code == code
}

func TestSignup(t *testing.T) {
	h := newHarness(t, 4)
	ctx := context.Background()
	res := h.signup("Ada@Example.com")
	if res.UserID == "" || res.CompanyID == "" || res.Position == 0 {
		t.Fatalf("result %+v", res)
	}
	t.Run("the same email in another case is taken", func(t *testing.T) {
		_, err := h.id.Signup.Handle(ctx, app.SignupInput{CompanyName: "B", Name: "B", Email: " ADA@example.COM ", Password: password})
		if !isCode(err, "email_taken") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("a short password fails validation", func(t *testing.T) {
		_, err := h.id.Signup.Handle(ctx, app.SignupInput{CompanyName: "B", Name: "B", Email: "b@example.com", Password: "short"})
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != "validation_failed" || ae.Fields[0].Field != "password" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("a bad email fails validation", func(t *testing.T) {
		_, err := h.id.Signup.Handle(ctx, app.SignupInput{CompanyName: "B", Name: "B", Email: "not an email", Password: password})
		if !isCode(err, "validation_failed") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("signup can be switched off", func(t *testing.T) {
		p := policy.Default()
		p.SignupEnabled = false
		h.policy.Set(p)
		defer h.policy.Set(policy.Default())
		_, err := h.id.Signup.Handle(ctx, app.SignupInput{CompanyName: "B", Name: "B", Email: "c@example.com", Password: password})
		if !isCode(err, "forbidden") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("no password hash is in any event", func(t *testing.T) {
		for _, e := range h.userEvents(res) {
			if strings.Contains(string(e.Data), "$2a$") || strings.Contains(string(e.Data), password) {
				t.Fatalf("event %s carries the password or its hash", e.Type)
			}
		}
	})
}

func TestEveryLoginFailureLooksTheSame(t *testing.T) {
	h := newHarness(t, 4)
	res := h.signup("ada@example.com")
	_, unknown := h.login("nobody@example.com", password)
	_, wrong := h.login("ada@example.com", "wrong password here")
	for range 5 {
		h.failLogin()
	}
	_, locked := h.login("ada@example.com", password) // the right password on a locked account

	other := h.signup("bob@example.com")
	_, _, err := eventstore.Update(context.Background(), h.store, eventstore.Ref{Tenant: other.CompanyID, Type: events.AggregateUser, ID: other.UserID},
		eventstore.EventsOnly(func(*user.User) ([]events.Event, error) {
			return []events.Event{{Type: events.UserDisabled, Data: events.UserStatusData{}}}, nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	_, disabled := h.login("bob@example.com", password)
	if got := count(t, h.userEvents(res), events.LoginFailed, nil); got != 7 {
		t.Fatalf("%d LoginFailed on the locked account, want 7 (one wrong, five more, the right one while locked)", got)
	}
	for name, err := range map[string]error{"unknown": unknown, "wrong": wrong, "locked": locked, "disabled": disabled} {
		if err != app.ErrInvalidCredentials {
			t.Errorf("%s: got %v, want the one invalid_credentials error", name, err)
		}
	}
}

// Two identities on two stores stand for two processes: their attempts
// race through the stream's concurrency check, not a shared lock.
func TestLockoutIsExactUnderConcurrentAttempts(t *testing.T) {
	h := newHarness(t, 4)
	res := h.signup("ada@example.com")
	otherStore, err := eventstore.Open(context.Background(), h.js, eventstore.Options{Now: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	second := *h
	second.store = otherStore
	identities := []*app.Commands{h.id, second.identity(4)}
	var wg sync.WaitGroup
	var refused atomic.Int32
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := identities[i%2].Login.Handle(context.Background(), app.LoginCmd{Email: "ada@example.com", Password: "wrong password here", Client: client}); err == app.ErrInvalidCredentials {
				refused.Add(1)
			} else {
				t.Errorf("got %v", err)
			}
		}()
	}
	wg.Wait()
	envs := h.userEvents(res)
	max := h.policy.Get().MaxFailures
	if got := count(t, envs, events.LoginFailed, counted); got != max {
		t.Errorf("%d failures evaluated, want exactly %d", got, max)
	}
	if got := count(t, envs, events.AccountLocked, nil); got != 1 {
		t.Errorf("%d AccountLocked events, want exactly 1", got)
	}
	if got := count(t, envs, events.LoginFailed, nil); got != 200 || refused.Load() != 200 {
		t.Errorf("%d attempts recorded, %d refused; want 200 and 200", got, refused.Load())
	}
}

func TestLockExpiresAndEscalates(t *testing.T) {
	h := newHarness(t, 4)
	res := h.signup("ada@example.com")
	pol := h.policy.Get()
	lock := func() {
		t.Helper()
		for range pol.MaxFailures {
			h.failLogin()
		}
	}
	lock()
	if _, err := h.login("ada@example.com", password); err != app.ErrInvalidCredentials {
		t.Fatalf("locked account with the right password: %v", err)
	}
	h.clock.Add(pol.LockFor)
	if _, err := h.login("ada@example.com", password); err != nil {
		t.Fatalf("after the lock time: %v", err)
	}
	expired := func(d any) bool { return d.(*events.AccountUnlockedData).Reason == events.UnlockExpired }
	if got := count(t, h.userEvents(res), events.AccountUnlocked, expired); got != 1 {
		t.Fatalf("%d AccountUnlocked(expired), want 1", got)
	}

	t.Run("a success resets the count", func(t *testing.T) {
		for range pol.MaxFailures - 1 {
			h.failLogin()
		}
		if _, err := h.login("ada@example.com", password); err != nil {
			t.Fatal(err)
		}
		for range pol.MaxFailures - 1 {
			h.failLogin()
		}
		if _, err := h.login("ada@example.com", password); err != nil {
			t.Fatalf("locked although no window held %d failures: %v", pol.MaxFailures, err)
		}
	})

	t.Run("after the temporary locks the lock is permanent", func(t *testing.T) {
		for range pol.MaxTemporaryLocks {
			lock()
			h.clock.Add(pol.LockFor)
		}
		lock()
		h.clock.Add(100 * pol.LockFor)
		if _, err := h.login("ada@example.com", password); err != app.ErrInvalidCredentials {
			t.Fatalf("permanent lock ended by itself: %v", err)
		}
		permanent := func(d any) bool { return d.(*events.AccountLockedData).Permanent }
		if got := count(t, h.userEvents(res), events.AccountLocked, permanent); got != 1 {
			t.Fatalf("%d permanent locks", got)
		}
	})
}

func TestPasswordsAreNotTruncated(t *testing.T) {
	h := newHarness(t, 4)
	p72 := strings.Repeat("p", 72)
	if _, err := h.id.Signup.Handle(context.Background(), app.SignupInput{CompanyName: "A", Name: "A", Email: "a@example.com", Password: p72}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.login("a@example.com", p72+"x"); err != app.ErrInvalidCredentials {
		t.Fatalf("72 bytes plus one logged in: %v", err)
	}
	if _, err := h.login("a@example.com", p72); err != nil {
		t.Fatal(err)
	}
}

func TestALowerCostHashIsUpgradedAtLogin(t *testing.T) {
	h := newHarness(t, 4)
	res := h.signup("ada@example.com")
	stronger := h.identity(5)
	if _, err := stronger.Login.Handle(context.Background(), app.LoginCmd{Email: "ada@example.com", Password: password, Client: client}); err != nil {
		t.Fatal(err)
	}
	kv, err := h.js.KeyValue(context.Background(), app.CredentialsBucket)
	if err != nil {
		t.Fatalf("open the bucket: %v", err)
	}
	e, err := kv.Get(context.Background(), res.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost(e.Value()); err != nil || cost != 5 {
		t.Fatalf("cost after login %d (%v), want 5", cost, err)
	}
}

func TestRefreshRotationAndReuse(t *testing.T) {
	h := newHarness(t, 4)
	ctx := context.Background()
	h.signup("ada@example.com")
	r0, err := h.login("ada@example.com", password)
	if err != nil {
		t.Fatal(err)
	}
	r1, err := h.id.Refresh.Handle(ctx, app.RefreshCmd{Token: r0.RefreshToken, Client: client})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a spent token within the grace window still rotates", func(t *testing.T) {
		if _, err := h.id.Refresh.Handle(ctx, app.RefreshCmd{Token: r0.RefreshToken, Client: client}); err != nil {
			t.Fatalf("racing client within grace: %v", err)
		}
	})
	r2, err := h.id.Refresh.Handle(ctx, app.RefreshCmd{Token: r1.RefreshToken, Client: client})
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Add(h.policy.Get().RefreshReuseGrace + time.Second)
	if _, err := h.id.Refresh.Handle(ctx, app.RefreshCmd{Token: r0.RefreshToken, Client: client}); !isCode(err, "invalid_refresh_token") {
		t.Fatalf("replayed R0: %v", err)
	}
	if _, err := h.id.Refresh.Handle(ctx, app.RefreshCmd{Token: r2.RefreshToken, Client: client}); !isCode(err, "invalid_refresh_token") {
		t.Fatalf("R2 after the family was revoked: %v", err)
	}
	p, issued, err := h.tokens.Verify(r2.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if h.revoked.Allowed(p, issued) {
		t.Fatal("the revoked family's access token is still allowed")
	}
	for _, bad := range []string{"", "nonsense", "a.b.c", r0.AccessToken} {
		if _, err := h.id.Refresh.Handle(ctx, app.RefreshCmd{Token: bad, Client: client}); !isCode(err, "invalid_refresh_token") {
			t.Errorf("refresh with %.20q: %v", bad, err)
		}
	}
}

func TestConcurrentRefreshesMintOneFamilyMember(t *testing.T) {
	h := newHarness(t, 4)
	p := policy.Default()
	p.RefreshReuseGrace = 0
	h.policy.Set(p)
	h.signup("ada@example.com")
	r0, err := h.login("ada@example.com", password)
	if err != nil {
		t.Fatal(err)
	}
	var minted atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.id.Refresh.Handle(context.Background(), app.RefreshCmd{Token: r0.RefreshToken, Client: client}); err == nil {
				minted.Add(1)
			}
		}()
	}
	wg.Wait()
	if minted.Load() > 1 {
		t.Fatalf("%d tokens minted from one", minted.Load())
	}
}

func TestRefreshExpires(t *testing.T) {
	h := newHarness(t, 4)
	h.signup("ada@example.com")
	pair, err := h.login("ada@example.com", password)
	if err != nil {
		t.Fatalf("log in: %v", err)
	}
	h.clock.Add(h.policy.Get().RefreshIdleTTL + time.Second)
	if _, err := h.id.Refresh.Handle(context.Background(), app.RefreshCmd{Token: pair.RefreshToken, Client: client}); !isCode(err, "invalid_refresh_token") {
		t.Fatalf("idle-expired token: %v", err)
	}
}

func TestLogoutAndPasswordChangeRevoke(t *testing.T) {
	h := newHarness(t, 4)
	ctx := context.Background()
	h.signup("ada@example.com")
	a, err := h.login("ada@example.com", password)
	if err != nil {
		t.Fatalf("log in: %v", err)
	}
	b, err := h.login("ada@example.com", password)
	if err != nil {
		t.Fatalf("log in: %v", err)
	}
	pa, issuedA, err := h.tokens.Verify(a.AccessToken)
	if err != nil {
		t.Fatalf("verify the first access token: %v", err)
	}
	pb, issuedB, err := h.tokens.Verify(b.AccessToken)
	if err != nil {
		t.Fatalf("verify the second access token: %v", err)
	}

	t.Run("a wrong current password is refused", func(t *testing.T) {
		if _, err := h.id.ChangePassword.Handle(ctx, app.ChangePasswordCmd{Principal: pa, Current: "wrong password here", Next: "a brand new password", Client: client}); !isCode(err, "invalid_credentials") {
			t.Fatalf("got %v", err)
		}
	})
	h.clock.Add(time.Second)
	if _, err := h.id.ChangePassword.Handle(ctx, app.ChangePasswordCmd{Principal: pa, Current: password, Next: "a brand new password", Client: client}); err != nil {
		t.Fatal(err)
	}
	if !h.revoked.Allowed(pa, issuedA) {
		t.Error("the session that changed the password was revoked")
	}
	if h.revoked.Allowed(pb, issuedB) {
		t.Error("another session's access token still works after a password change")
	}
	if _, err := h.id.Refresh.Handle(ctx, app.RefreshCmd{Token: b.RefreshToken, Client: client}); !isCode(err, "invalid_refresh_token") {
		t.Errorf("another session refreshed after a password change: %v", err)
	}
	if _, err := h.login("ada@example.com", password); err != app.ErrInvalidCredentials {
		t.Errorf("the old password still logs in: %v", err)
	}

	if _, err := h.id.Logout.Handle(ctx, app.LogoutCmd{Principal: pa}); err != nil {
		t.Fatal(err)
	}
	if h.revoked.Allowed(pa, issuedA) {
		t.Error("the access token works after logout")
	}
	if _, err := h.id.Refresh.Handle(ctx, app.RefreshCmd{Token: a.RefreshToken, Client: client}); !isCode(err, "invalid_refresh_token") {
		t.Errorf("refresh after logout: %v", err)
	}
}

func testKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

// A temporary lock ends at its time by itself, with no login attempt: the
// timer scheduled in the stream fires and the unlock is appended.
func TestLockEndsByItselfAtItsTime(t *testing.T) {
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, err := eventstore.Open(ctx, js, eventstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := policy.Default()
	p.LockFor = time.Second
	holder := policy.NewHolder(p)
	hasher, err := auth.NewHasher(4, nil, true)
	if err != nil {
		t.Fatalf("make a hasher: %v", err)
	}
	revoked := auth.NewRevocations(func() time.Duration { return p.AccessTTL }, time.Now)
	id, err := app.New(ctx, app.Deps{Store: store, JS: js, Hasher: hasher, Policy: holder, Revocations: revoked,
		Tokens: auth.NewTokens(auth.NewKeySet(testKey(t)), "i", "a", time.Now)})
	if err != nil {
		t.Fatal(err)
	}
	startTasks(t, n, app.UnlockTimerTask(id.ExpireLock))
	h := &harness{t: t, id: id, js: js, store: store}
	res := h.signup("ada@example.com")
	for range p.MaxFailures {
		if _, err := id.Login.Handle(events.WithCorrelation(ctx, "req-lock"), app.LoginCmd{Email: "ada@example.com", Password: "wrong password here", Client: client}); err != app.ErrInvalidCredentials {
			t.Fatalf("a wrong password: got %v", err)
		}
	}
	expired := func(d any) bool { return d.(*events.AccountUnlockedData).Reason == events.UnlockExpired }
	deadline := time.Now().Add(10 * time.Second)
	for count(t, h.userEvents(res), events.AccountUnlocked, expired) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no AccountUnlocked(expired) 10s after a 1s lock")
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Run("the unlock is the system's, caused by the lock", func(t *testing.T) {
		byType := map[string]events.Envelope{}
		for _, e := range h.userEvents(res) {
			byType[e.Type] = e
		}
		lock, unlock := byType[events.AccountLocked], byType[events.AccountUnlocked]
		if want := events.UserActor(res.UserID); lock.Actor != want || byType[events.LoginFailed].Actor != want {
			t.Errorf("lock actor %+v, failure actor %+v, want %+v", lock.Actor, byType[events.LoginFailed].Actor, want)
		}
		if unlock.Actor != events.System || unlock.CausationID != lock.ID || unlock.CorrelationID != "req-lock" {
			t.Errorf("unlock actor %+v, causation %q, correlation %q; want system, %q, req-lock",
				unlock.Actor, unlock.CausationID, unlock.CorrelationID, lock.ID)
		}
	})
	if _, err := id.Login.Handle(ctx, app.LoginCmd{Email: "ada@example.com", Password: password, Client: client}); err != nil {
		t.Fatalf("login after the timer: %v", err)
	}
	if got := count(t, h.userEvents(res), events.AccountUnlocked, nil); got != 1 {
		t.Fatalf("%d unlocks, want 1", got)
	}
}
