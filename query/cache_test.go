package query_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// A chatbot changed again and again is never served stale to a read that
// names the change's position, though the cache serves it in between; a
// read that names no position sees the change within a second.
func TestACachedEntityIsNeverStaleAtItsWritesPosition(t *testing.T) {
	w := newCacheWorld(t, testkit.RedisURL(t))
	ctx := context.Background()
	cid, bot, last := w.company("Acme")
	if _, err := w.reader.Chatbot(ctx, last.Seq, cid, bot.ID); err != nil {
		t.Fatal(err)
	}
	for i := range 15 {
		// Read until the cache serves it, so the next write has a
		// cached entry to make stale.
		hits := w.reads("hit")
		for w.reads("hit") == hits {
			if _, err := w.reader.Chatbot(ctx, 0, cid, bot.ID); err != nil {
				t.Fatal(err)
			}
		}
		name := "name " + strconv.Itoa(i)
		last = w.rename(bot, last, name)
		r, err := w.reader.Chatbot(ctx, last.Seq, cid, bot.ID)
		if err != nil || r.Value.Name != name || r.Through < last.Seq {
			t.Fatalf("read at the write's position %d: %q through %d, %v; want %q", last.Seq, r.Value.Name, r.Through, err, name)
		}
		if i%5 == 0 {
			// Without a position: fresh within a second.
			name = "quiet " + strconv.Itoa(i)
			last = w.rename(bot, last, name)
			deadline := time.Now().Add(time.Second)
			for {
				r, err := w.reader.Chatbot(ctx, 0, cid, bot.ID)
				if err != nil {
					t.Fatal(err)
				}
				if r.Value.Name == name {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("a second after the write, a read without a position still answers %q", r.Value.Name)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	if hits := w.reads("hit"); hits < 15 {
		t.Fatalf("%d cache hits: the reads did not go through the cache", hits)
	}
	if w.reads("stale") == 0 {
		t.Fatal("no read found its entry older than its position: the test never met a stale entry")
	}
}

// One tenant's entries are never served to another: the same user id read
// as another tenant is nobody, and an entry planted under another tenant's
// key (as a bug in the keys would) is refused.
func TestCacheEntriesStayWithTheirTenant(t *testing.T) {
	url := testkit.RedisURL(t)
	w := newCacheWorld(t, url)
	ctx := context.Background()
	a, b := uuid.NewString(), uuid.NewString()
	user := seedUsers(t, w.db.Pool, a, 1)[0]
	deadline := time.Now().Add(5 * time.Second)
	for w.reads("hit") == 0 {
		if r, err := w.reader.Me(ctx, 0, a, user); err != nil || r.Value.ID != user {
			t.Fatalf("A reads its user: %+v, %v", r.Value, err)
		}
		if time.Now().After(deadline) {
			t.Fatal("A's reads were never served from the cache")
		}
		time.Sleep(10 * time.Millisecond)
	}
	notFound := func(what string) {
		t.Helper()
		r, err := w.reader.Me(ctx, 0, b, user)
		if e := (*apperr.Error)(nil); !errors.As(err, &e) || e.Kind != apperr.KindNotFound {
			t.Fatalf("%s: B reads A's user id: %+v, %v; want not found", what, r.Value, err)
		}
	}
	notFound("by id")

	rc := redis.NewClient(mustParse(t, url))
	defer testkit.Close(t, "the Redis client", rc)
	value := func(key string) string {
		t.Helper()
		v, err := rc.Get(ctx, key).Result()
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		return v
	}
	// Plant A's entry under B's key, with the generations in force. The
	// attempt is inconclusive when a retire came in between (the
	// projectors' start retires everything once; a lost invalidation under
	// load retires it again), when the read gave up on Redis, or when it
	// met the client-side cache's note that the key was absent before
	// Redis told it of the write; it is tried again until the deadline.
	deadline = time.Now().Add(10 * time.Second)
	for attempt := 1; ; attempt++ {
		if time.Now().After(deadline) {
			t.Fatalf("after %d attempts, the planted entry was never refused", attempt)
		}
		if _, err := w.reader.Me(ctx, 0, a, user); err != nil {
			t.Fatal(err)
		}
		epoch := value("cache:epoch")
		entry, err := rc.Get(ctx, "t:"+a+":users:v1:"+epoch+"."+value("t:"+a+":users:gen")+":me:"+user).Result()
		if err != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		planted := "t:" + b + ":users:v1:" + epoch + "." + value("t:"+b+":users:gen") + ":me:" + user
		if err := rc.Set(ctx, planted, entry, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		refused := w.reads("refused")
		notFound("planted under B's key")
		if w.reads("refused") > refused {
			return
		}
		t.Logf("attempt %d inconclusive: the read did not meet the planted entry", attempt)
		time.Sleep(20 * time.Millisecond)
	}
}

func mustParse(t *testing.T, url string) *redis.Options {
	t.Helper()
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// Redis frozen (too slow to answer), then killed: reads still answer, from
// Postgres, within a bound of the cache's timeout; readiness says the
// cache is down; a change made while Redis could not be told is not served
// stale once it answers again; and caching resumes.
func TestReadsOutliveRedis(t *testing.T) {
	rs := testkit.StartRedis(t)
	w := newCacheWorld(t, rs.URL())
	ctx := context.Background()
	cid, bot, last := w.company("Acme")
	read := func(what, want string) {
		t.Helper()
		start := time.Now()
		r, err := w.reader.Chatbot(ctx, last.Seq, cid, bot.ID)
		if err != nil || r.Value.Name != want {
			t.Fatalf("%s: %q, %v; want %q", what, r.Value.Name, err, want)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("%s took %v", what, took)
		}
	}
	waitHit := func(what string) {
		t.Helper()
		hits := w.reads("hit")
		deadline := time.Now().Add(10 * time.Second)
		for w.reads("hit") == hits {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the cache serves nothing", what)
			}
			if _, err := w.reader.Chatbot(ctx, 0, cid, bot.ID); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	read("before", "Acme bot")
	waitHit("before")
	if err := w.cache.Check(ctx); err != nil {
		t.Fatalf("readiness with Redis up: %v", err)
	}

	rs.Freeze()
	last = w.rename(bot, last, "renamed while Redis slept")
	// Memory may serve what it holds for a second more (the generations'
	// local bound); after that, reads go around the frozen Redis.
	bypassed := w.reads("bypass")
	deadline := time.Now().Add(5 * time.Second)
	for w.reads("bypass") == bypassed {
		if time.Now().After(deadline) {
			t.Fatal("no read bypassed the frozen Redis")
		}
		start := time.Now()
		if _, err := w.reader.Chatbot(ctx, 0, cid, bot.ID); err != nil || time.Since(start) > 2*time.Second {
			t.Fatalf("read with Redis frozen: %v after %v", err, time.Since(start))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for range 5 {
		r, err := w.reader.Chatbot(ctx, last.Seq, cid, bot.ID)
		if err != nil || r.Value.Name != "renamed while Redis slept" {
			t.Fatalf("read at the write's position with Redis frozen: %q, %v", r.Value.Name, err)
		}
	}
	if err := w.cache.Check(ctx); err == nil {
		t.Fatal("readiness says the cache is up with Redis frozen")
	}
	rs.Thaw()
	// The entry of the old name is still in Redis; it must not come back.
	time.Sleep(300 * time.Millisecond)
	deadline = time.Now().Add(5 * time.Second)
	for w.cache.Check(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the cache did not come back with Redis")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for range 20 {
		read("after the thaw", "renamed while Redis slept")
		time.Sleep(10 * time.Millisecond)
	}
	waitHit("after the thaw")

	rs.Kill()
	for range 10 {
		read("with Redis killed", "renamed while Redis slept")
	}
	rs.Start()
	waitHit("after the restart")
	read("after the restart", "renamed while Redis slept")
}

// GET answers carry an ETag and Cache-Control: private, no-cache; the
// current tag in If-None-Match answers 304 with no body, and a change
// gives a new tag.
func TestConditionalGets(t *testing.T) {
	w := newCacheWorld(t, testkit.RedisURL(t))
	cid, bot, last := w.company("Acme")
	paths := []string{"/v1/companies/" + cid, "/v1/companies/" + cid + "/chatbots", "/v1/companies/" + cid + "/chatbots/" + bot.ID,
		"/v1/companies/" + cid + "/chatbots/" + bot.ID + "/api-keys", "/v1/companies/" + cid + "/members", "/v1/companies/" + cid + "/usage"}
	pos := strconv.FormatUint(last.Seq, 10)
	tags := map[string]string{}
	for _, p := range paths {
		res := w.get(cid, p, "X-Min-Position", pos)
		tag := res.Header.Get("ETag")
		if res.StatusCode != 200 || tag == "" || res.Header.Get("Cache-Control") != "private, no-cache" {
			t.Fatalf("GET %s: %d ETag %q Cache-Control %q: %s", p, res.StatusCode, tag, res.Header.Get("Cache-Control"), body(t, res))
		}
		tags[p] = tag
		for _, inm := range []string{tag, "W/" + tag, `"other", ` + tag, "*"} {
			res = w.get(cid, p, "If-None-Match", inm)
			if res.StatusCode != 304 || res.Header.Get("ETag") != tag || body(t, res) != "" {
				t.Fatalf("GET %s If-None-Match %s: %d ETag %q", p, inm, res.StatusCode, res.Header.Get("ETag"))
			}
		}
		if res := w.get(cid, p, "If-None-Match", `"stale"`); res.StatusCode != 200 || body(t, res) == "" {
			t.Fatalf("GET %s with another tag: %d", p, res.StatusCode)
		}
	}
	last = w.rename(bot, last, "Renamed")
	pos = strconv.FormatUint(last.Seq, 10)
	for _, p := range paths[1:3] {
		res := w.get(cid, p, "If-None-Match", tags[p], "X-Min-Position", pos)
		if res.StatusCode != 200 || res.Header.Get("ETag") == tags[p] {
			t.Fatalf("GET %s after a rename with the old tag: %d ETag %q", p, res.StatusCode, res.Header.Get("ETag"))
		}
	}
	// Another company's manager gets 404, not the tag of the company.
	if res := w.get(uuid.NewString(), paths[2], "If-None-Match", tags[paths[2]]); res.StatusCode != 404 {
		t.Fatalf("another company's GET with the tag: %d", res.StatusCode)
	}
}
