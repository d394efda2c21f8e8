package main

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// TestFaultLoginOverloadIsShedAndTheLockoutStaysExact sends far more
// bcrypt work at one account than the cores finish within the request
// timeout. Every login is decided (200 or 401) or refused at once (503 or
// 429 with Retry-After); none becomes a 500, and the account locks once.
func TestFaultLoginOverloadIsShedAndTheLockoutStaysExact(t *testing.T) {
	nt := brokerChild(t, "always")
	db := testkit.NewEmptyDatabase(t)
	settings := settingsFor(t, db.URL)
	settings["NATS_URL"], settings["BCRYPT_COST"], settings["TRUSTED_PROXIES"] = nt.URL, "11", "127.0.0.1/32"
	// Two cores and an 8 s deadline: 260 compares of 100 ms or more each
	// are more than they finish in time, while the first ones decided are
	// enough to lock.
	settings["REQUEST_TIMEOUT"], settings["GOMAXPROCS"] = "8s", "2"
	startChild(t, settings, "serve")
	c := client{t: t, base: "http://" + settings["HTTP_ADDR"]}
	waitReady(t, c.base, 200, 30*time.Second)
	c.signup("target@example.com")

	wrong, right := 200, 60
	var all tally
	var wg sync.WaitGroup
	failures, leaked := 0, 0
	var mu sync.Mutex
	for i := range wrong + right {
		// The wrong ones set off first: the compares are admitted in
		// turn, so the first decided are enough failures to lock.
		password, want := "a wrong password", 401
		if i >= wrong {
			password, want = "correct horse battery", 200
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := send("POST", c.base+"/v1/auth/login", map[string]string{"email": "target@example.com", "password": password},
				"X-Forwarded-For", fmt.Sprintf("10.%d.%d.1", i/250, i%250)) // one address each: the per-address rate is not what is tested
			// A right password may meet the lock the wrong ones set: 401.
			ok := a.status == 401 || a.status == want || a.shedProperly()
			all.add(a, ok)
			mu.Lock()
			defer mu.Unlock()
			if !ok {
				failures++
			}
			if a.leaks() {
				leaked++
			}
		}()
	}
	wg.Wait()
	t.Logf("answers by status: %v", all.counts)
	for _, a := range all.bad {
		t.Errorf("an answer that is neither decided nor shed: %d Retry-After %q after %v: %s %v", a.status, a.retryAfter, a.took, a.body, a.err)
	}
	locks := 0
	for _, env := range storedEvents(t, jsOf(t, nt), events.AllFilter) {
		if env.Type == events.AccountLocked {
			locks++
		}
	}
	if locks != 1 {
		t.Errorf("%d AccountLocked events, want exactly 1", locks)
		failures++
	}
	if all.counts[503]+all.counts[429] == 0 {
		t.Errorf("nothing was shed: two cores finished %d compares at cost 11 within 8 s", wrong+right)
	}
	recordFault(t, faultRow{Fault: fmt.Sprintf("login overload: %d wrong + %d right at bcrypt cost 11", wrong, right),
		Tries: wrong + right, Failures: failures, Leaked: leaked,
		Notes: fmt.Sprintf("%d decided, %d shed with Retry-After, %d AccountLocked", all.counts[200]+all.counts[401], all.counts[503]+all.counts[429], locks)})
}
