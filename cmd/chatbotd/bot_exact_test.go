package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// TestChangesFailTheNextBotCallInAnotherProcessAndAStalledOneFailsClosed
// runs two `chatbotd command` processes on one NATS server: what one
// changes fails the very next bot call in the other, and a process that
// was stopped while a change was made answers no call from what it knew.
func TestChangesFailTheNextBotCallInAnotherProcessAndAStalledOneFailsClosed(t *testing.T) {
	nt := brokerChild(t, "1m")
	db := testkit.NewEmptyDatabase(t)
	settings := func() map[string]string {
		return map[string]string{"DATABASE_URL": db.URL, "HTTP_ADDR": freeAddr(t), "NATS_URL": nt.URL,
			"DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn", "BCRYPT_COST": "10"}
	}
	a, b := settings(), settings()
	startChild(t, a, "command")
	other, _ := startChild(t, b, "command")
	ca, cb := client{t: t, base: "http://" + a["HTTP_ADDR"]}, client{t: t, base: "http://" + b["HTTP_ADDR"]}
	waitReady(t, ca.base, 200, 20*time.Second)
	waitReady(t, cb.base, 200, 20*time.Second)

	cid, tok, _ := owner(t, ca, "owner@example.com")
	base := "/v1/companies/" + cid
	bid := ca.do("POST", base+"/chatbots", map[string]any{"name": "Bot"}, bearer(tok)...).str("id")
	issue := func() (key, id string) {
		r := ca.do("POST", base+"/chatbots/"+bid+"/api-keys", map[string]any{"name": "k"}, bearer(tok)...)
		if r.status != 201 {
			t.Fatalf("issue a key: %d %s", r.status, r.raw)
		}
		return r.str("key"), r.str("id")
	}
	call := func(key string) int { return botCall(cb, key, "hi").status }

	revoked, kid := issue()
	spare, _ := issue()
	if got := call(revoked); got != 200 {
		t.Fatalf("a key through the other process: %d", got)
	}
	began := time.Now()
	if r := ca.do("DELETE", base+"/chatbots/"+bid+"/api-keys/"+kid, nil, bearer(tok)...); r.status != 204 {
		t.Fatalf("revoke: %d", r.status)
	}
	t.Logf("revoke answered in %v", time.Since(began))
	if got := call(revoked); got != 401 {
		t.Errorf("a revoked key, next call in the other process: %d", got)
	}
	if got := call(spare); got != 200 {
		t.Errorf("another key of the chatbot: %d", got)
	}
	if r := ca.do("PATCH", base+"/chatbots/"+bid, map[string]any{"status": "paused"}, bearer(tok)...); r.status != 200 {
		t.Fatalf("pause: %d %s", r.status, r.raw)
	}
	if got := call(spare); got != 403 {
		t.Errorf("a paused chatbot, next call in the other process: %d", got)
	}
	ca.do("PATCH", base+"/chatbots/"+bid, map[string]any{"status": "active"}, bearer(tok)...)
	if got := call(spare); got != 200 {
		t.Fatalf("the chatbot active again: %d", got)
	}

	// The other process stalls while the chatbot is deleted: the delete
	// answers within its bound, and the stalled process, once it runs
	// again, does not answer from what it knew before.
	if err := other.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the other process stops", 5*time.Second, func() bool { return stopped(t, other.Process.Pid) })
	began = time.Now()
	if r := ca.do("DELETE", base+"/chatbots/"+bid, nil, bearer(tok)...); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	if took := time.Since(began); took < leaseForTest {
		t.Errorf("the delete answered in %v, before the stalled process's lease could end", took)
	} else {
		t.Logf("delete with a stalled process answered in %v", took)
	}
	if err := other.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if got := call(spare); got != 503 && got != 401 {
		t.Errorf("a deleted chatbot's key, first call in the process that stalled: %d", got)
	}
	if got := call(spare); got != 401 && got != 503 {
		t.Errorf("and the next: %d", got)
	}
	waitFor(t, "the stalled process catches up", 10*time.Second, func() bool { return call(spare) == 401 })
}

// leaseForTest is how long, at least, a change waits for a process that
// does not confirm it (command/bot's lease).
const leaseForTest = 1500 * time.Millisecond

// stopped tells whether the process is stopped by a signal (state T).
func stopped(t *testing.T, pid int) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	// pid (comm) state ...: comm may hold spaces, the state follows its ')'.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] == "T"
}
