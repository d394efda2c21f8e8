package main

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// metricValue is the value of one series of a scrape, written as the
// exposition writes it (labels sorted by name).
func metricValue(body, series string) (float64, bool) {
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}

func TestTheMetricsCountWhatOperatorsWatch(t *testing.T) {
	c, settings := startIdentity(t)
	admin := adminToken(t, c, settings)
	su := c.signup("ada@example.com")
	uid := su.str("user_id")
	cid, tok := su.str("company_id"), c.login("ada@example.com", "correct horse battery").str("access_token")
	if r := c.login("nobody@example.com", "correct horse battery"); r.status != 401 {
		t.Fatalf("an unknown email: %d", r.status)
	}
	for range 6 { // the fifth locks, the sixth finds the lock
		c.login("ada@example.com", "wrong password here")
	}
	if r := c.do("POST", "/v1/admin/users/"+uid+"/unlock", nil, bearer(admin)...); r.status != 204 {
		t.Fatalf("unlock: %d %s", r.status, r.raw)
	}

	base := "/v1/companies/" + cid + "/chatbots"
	create := append(bearer(tok), "Idempotency-Key", "b6d5a1f2-metrics")
	bot := c.do("POST", base, map[string]any{"name": "Bot"}, create...)
	if again := c.do("POST", base, map[string]any{"name": "Bot"}, create...); bot.status != 201 || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("create and its replay: %d / %d %v", bot.status, again.status, again.header)
	}
	bid := bot.str("id")
	c.do("PUT", base+"/"+bid+"/limits", map[string]any{"requests_per_minute": 1, "daily_requests": 100, "monthly_requests": 1000}, bearer(tok)...)
	key := c.do("POST", base+"/"+bid+"/api-keys", map[string]any{"name": "k"}, bearer(tok)...).str("key")
	if r := botCall(c, "cbk_not_a_key", "hi"); r.status != 401 {
		t.Fatalf("a bad key: %d", r.status)
	}
	if first, second := botCall(c, key, "hi"), botCall(c, key, "hi"); first.status != 200 || second.status != 429 {
		t.Fatalf("one call a minute: %d then %d", first.status, second.status)
	}
	c.do("PATCH", base+"/"+bid, map[string]any{"status": "paused"}, bearer(tok)...)
	if r := botCall(c, key, "hi"); r.status != 403 {
		t.Fatalf("a paused chatbot: %d", r.status)
	}

	m := c.do("GET", "/metrics", nil)
	for series, want := range map[string]float64{
		`chatbot_logins_total{result="success"}`:                2, // ada, the administrator
		`chatbot_logins_total{result="unknown_email"}`:          1,
		`chatbot_logins_total{result="wrong_password"}`:         5,
		`chatbot_logins_total{result="locked"}`:                 1,
		`chatbot_lockouts_total`:                                1,
		`chatbot_unlocks_total{reason="admin"}`:                 1,
		`chatbot_bot_refused_total{reason="invalid_key"}`:       1,
		`chatbot_bot_refused_total{reason="rate_limited"}`:      1,
		`chatbot_bot_refused_total{reason="chatbot_paused"}`:    1,
		`chatbot_bot_limited_total{limit="chatbot_per_minute"}`: 1,
		`chatbot_bot_limited_total{limit="company_daily"}`:      0,
		`chatbot_redis_fallback`:                                1, // no REDIS_URL: counted in the process
		`chatbot_ready{check="postgres",critical="true"}`:       1,
		`chatbot_ready{check="jetstream",critical="true"}`:      1,
		// A replay counts under its route, not under "/".
		`chatbot_http_requests_total{method="POST",route="/v1/companies/:cid/chatbots",status="201"}`: 2,
	} {
		if got, ok := metricValue(m.raw, series); !ok || got != want {
			t.Errorf("%s = %v (found %v), want %v", series, got, ok, want)
		}
	}
	if n, ok := metricValue(m.raw, `chatbot_stream_messages{stream="EVENTS"}`); !ok || n < 10 {
		t.Errorf("EVENTS messages = %v (found %v)", n, ok)
	}
	if b, ok := metricValue(m.raw, `chatbot_stream_bytes{stream="EVENTS"}`); !ok || b < 1000 {
		t.Errorf("EVENTS bytes = %v (found %v)", b, ok)
	}
	if !strings.Contains(m.raw, "chatbot_build_info{") || strings.Contains(m.raw, `route="/"`) {
		t.Errorf("no build info, or a route \"/\":\n%s", m.raw)
	}
	promtoolCheck(t, m.raw)
}

// promtoolCheck runs `promtool check metrics` on a scrape when promtool is
// installed; with PROMTOOL_REQUIRED set (CI) it must be.
func promtoolCheck(t *testing.T, scrape string) {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("PROMTOOL_REQUIRED") != "" {
			t.Fatal("PROMTOOL_REQUIRED is set but promtool is not on PATH")
		}
		t.Log("promtool is not installed: the exposition lint is skipped")
		return
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = strings.NewReader(scrape)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out.String())
	}
}
